//! `x-scaling` (ECS ComposeX): the family's task count between `Range` bounds, with target
//! tracking on CPU and memory and AWS's own scheduled actions.

use super::family::Family;
use super::service::service_id;
use super::Ctx;
use crate::cfn::get_att;
use crate::compose::read::{boolean, kind, uint};
use crate::diagnostics::join;
use serde_json::{json, Map, Value};

pub fn expand(ctx: &mut Ctx, fam: &Family) {
    let mut found: Option<(String, Map<String, Value>)> = None;
    for name in &fam.services {
        let Some(x) = ctx.project.services[name].extensions.get("x-scaling") else { continue };
        let path = join(&join("services", name), "x-scaling");
        match x.as_object() {
            Some(m) => {
                if found.is_some() {
                    ctx.d.warn(
                        &path,
                        format!(
                            "another service of task family {:?} already sets x-scaling; this one is ignored",
                            fam.name
                        ),
                    );
                } else {
                    found = Some((path, m.clone()));
                }
            }
            None => ctx.d.error(&path, format!("x-scaling must be a mapping, not {}", kind(x))),
        }
    }
    let Some((path, m)) = found else { return };
    let mut range = None;
    let mut target: Option<Map<String, Value>> = None;
    let mut scheduled = None;
    for (k, v) in &m {
        let p = join(&path, k);
        match k.as_str() {
            "Range" => range = parse_range(ctx, v, &p),
            "TargetScaling" => match v.as_object() {
                Some(t) => target = Some(t.clone()),
                None => ctx.d.error(&p, format!("TargetScaling must be a mapping, not {}", kind(v))),
            },
            "ScheduledActions" => {
                if v.is_array() {
                    scheduled = Some(v.clone())
                } else {
                    ctx.d.error(&p, "ScheduledActions must be a list of AWS::ApplicationAutoScaling::ScalableTarget ScheduledAction")
                }
            }
            _ => {
                ctx.d.error(&p, format!("{k:?} is not an x-scaling key; use Range, TargetScaling or ScheduledActions"))
            }
        }
    }
    let (min, max) = match range {
        Some(r) => r,
        None => {
            if !m.contains_key("Range") {
                ctx.d.error(join(&path, "Range"), "x-scaling needs Range, like \"1-4\"");
            }
            (1, 1)
        }
    };
    let service = service_id(fam);
    let target_id = format!("{}ScalableTarget", fam.id);
    let mut props = json!({
        "MinCapacity": min,
        "MaxCapacity": max,
        "ServiceNamespace": "ecs",
        "ScalableDimension": "ecs:service:DesiredCount",
        "ResourceId": {"Fn::Join": ["/", ["service", ctx.infra.cluster_name.clone(), get_att(&service, "Name")]]},
    });
    if let Some(s) = scheduled {
        props["ScheduledActions"] = s;
    }
    ctx.add(&fam.name, target_id.clone(), crate::cfn::resource("AWS::ApplicationAutoScaling::ScalableTarget", props));
    let Some(t) = target else { return };
    let tpath = join(&path, "TargetScaling");
    let mut common = Map::new();
    let mut metrics = Vec::new();
    for (k, v) in &t {
        let p = join(&tpath, k);
        match k.as_str() {
            "CpuTarget" => metrics.extend(uint(v, &p, "percentage", &mut ctx.d).map(|n| ("Cpu", "ECSServiceAverageCPUUtilization", n, p.clone()))),
            "MemoryTarget" => metrics.extend(uint(v, &p, "percentage", &mut ctx.d).map(|n| ("Memory", "ECSServiceAverageMemoryUtilization", n, p.clone()))),
            "DisableScaleIn" => {
                if let Some(b) = boolean(v, &p, &mut ctx.d) {
                    common.insert("DisableScaleIn".into(), json!(b));
                }
            }
            "ScaleInCooldown" | "ScaleOutCooldown" => {
                if let Some(n) = uint(v, &p, "number of seconds", &mut ctx.d) {
                    common.insert(k.clone(), json!(n));
                }
            }
            _ => ctx.d.error(&p, format!("{k:?} is not a TargetScaling key; use CpuTarget, MemoryTarget, DisableScaleIn, ScaleInCooldown or ScaleOutCooldown")),
        }
    }
    if metrics.is_empty() {
        ctx.d.warn(&tpath, "has no CpuTarget nor MemoryTarget, so nothing scales on load; add one");
    }
    for (label, metric, value, p) in metrics {
        if !(1..=100).contains(&value) {
            ctx.d.error(&p, format!("{value} is not a percentage between 1 and 100"));
        }
        let mut conf = common.clone();
        conf.insert("TargetValue".into(), json!(value));
        conf.insert("PredefinedMetricSpecification".into(), json!({"PredefinedMetricType": metric}));
        ctx.add(
            &fam.name,
            format!("{}{}ScalingPolicy", fam.id, label),
            json!({"Type": "AWS::ApplicationAutoScaling::ScalingPolicy", "Properties": {
                "PolicyName": {"Fn::Sub": format!("${{AWS::StackName}}-{}-{}", fam.name, label.to_lowercase())},
                "PolicyType": "TargetTrackingScaling",
                "ScalingTargetId": {"Ref": target_id},
                "TargetTrackingScalingPolicyConfiguration": conf
            }}),
        );
    }
}

/// The `Range` of the family's `x-scaling`, when it reads as one (for the service's count).
pub fn range_of(ctx: &Ctx, fam: &Family) -> Option<(u64, u64)> {
    let x = fam.services.iter().find_map(|s| ctx.project.services[s].extensions.get("x-scaling"))?;
    let text = match x.get("Range")? {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let (a, b) = text.split_once('-')?;
    let (a, b) = (a.trim().parse::<u64>().ok()?, b.trim().parse::<u64>().ok()?);
    (a <= b).then_some((a, b))
}

/// `"1-4"` → (1, 4).
fn parse_range(ctx: &mut Ctx, v: &Value, path: &str) -> Option<(u64, u64)> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => {
            ctx.d.error(path, format!("Range must be a string like \"1-4\", not {}", kind(other)));
            return None;
        }
    };
    let parsed =
        text.split_once('-').and_then(|(a, b)| Some((a.trim().parse::<u64>().ok()?, b.trim().parse::<u64>().ok()?)));
    match parsed {
        Some((a, b)) if a <= b => Some((a, b)),
        _ => {
            ctx.d.error(path, format!("{text:?} is not a range; use \"MIN-MAX\" like \"1-4\""));
            None
        }
    }
}
