//! Scaling of a family's task count: one `AWS::ApplicationAutoScaling::ScalableTarget` and its
//! policies, from three dialects.
//!
//! - ECS ComposeX `x-scaling`: `Range: "1-4"`, `TargetScaling` (`CpuTarget`, `MemoryTarget`,
//!   `DisableScaleIn`, `ScaleInCooldown`, `ScaleOutCooldown`; cooldowns default to ECS
//!   ComposeX's 300 s in and 60 s out) and AWS's own `ScheduledActions`.
//! - Docker's `deploy.x-aws-autoscaling`: `{min, max, cpu}` or `{min, max, mem}`, read as a Range
//!   with one target (Docker's 60 s cooldowns; `min` defaults to 1). A service with both keeps
//!   `x-scaling`, as ECS ComposeX does.
//! - Step scaling on queue depth, from the `Scaling` of an `x-sqs` consumer, or on an alarm,
//!   from the `Scaling` of an `x-alarms` alarm's service (see `steps`).
//!
//! The services of one family merge as ECS ComposeX merges them: the widest range, the lowest
//! targets and cooldowns, scale-in disabled if one of them disables it, every scheduled action.
//! Step counts above the range's maximum raise it (with a warning); a family that scales on a
//! queue without any range gets the range of its step counts.

use super::steps;
use crate::cfn::get_att;
use crate::diagnostics::{join, Diagnostics};
use crate::ext::scaling::{Scaling, Tracking};
use crate::plan::families::{service_id, Family};
use crate::plan::{Ctx, Emit, FamilyScaling};
use serde_json::{json, Map, Value};

/// ECS ComposeX's target-tracking cooldowns, when `x-scaling` gives none.
const SCALE_IN_COOLDOWN: u64 = 300;
const SCALE_OUT_COOLDOWN: u64 = 60;

pub fn target_id(fam: &Family) -> String {
    format!("{}ScalableTarget", fam.id)
}

/// Every family's scaling, merged from its services and its queues, with its task-count bounds
/// (the ECS service's `DesiredCount` starts inside them).
pub fn plan(ctx: &mut Ctx) {
    let mut d = Diagnostics::new();
    for fam in ctx.plan.families.list.values() {
        let scaling = merged(ctx, fam);
        let queues = steps::collect(&ctx.plan, fam, &mut d);
        if let Some((min, max)) = bounds(scaling.as_ref(), &queues, &mut d) {
            let scaling = scaling.unwrap_or_default();
            ctx.plan.scaling.insert(fam.name.clone(), FamilyScaling { scaling, queues, min, max });
        }
    }
    ctx.d.extend(d);
}

/// The family's scalable target and policies, when it scales.
pub fn expand(ctx: &mut Emit, fam: &Family) {
    let Some(FamilyScaling { scaling: plan, queues, min, max }) = ctx.plan.scaling.get(&fam.name) else { return };
    let (min, max) = (*min, *max);
    let service = service_id(fam);
    let target = target_id(fam);
    let mut props = json!({
        "MinCapacity": min,
        "MaxCapacity": max,
        "ServiceNamespace": "ecs",
        "ScalableDimension": "ecs:service:DesiredCount",
        "ResourceId": {"Fn::Join": ["/", ["service", ctx.plan.infra.cluster_name.clone(), get_att(&service, "Name")]]},
    });
    if !plan.scheduled.is_empty() {
        let mut names = std::collections::BTreeMap::new();
        for (action, path) in &plan.scheduled {
            if let Some(name) = action.get("ScheduledActionName").and_then(Value::as_str) {
                if let Some(other) = names.insert(name.to_string(), path.clone()) {
                    ctx.d.error(
                        "CX5056",
                        join(path, "ScheduledActionName"),
                        format!("{other} has the same name in task family {:?}; rename one", fam.name),
                    );
                }
            }
        }
        props["ScheduledActions"] = Value::Array(plan.scheduled.iter().map(|(a, _)| a.clone()).collect());
    }
    ctx.add(
        &fam.name,
        target.clone(),
        json!({"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Properties": props}),
    );
    tracking(ctx, fam, &plan.tracking, &target);
    steps::expand(ctx, fam, &target, queues);
}

/// Target tracking policies, one per metric.
fn tracking(ctx: &mut Emit, fam: &Family, t: &Tracking, target: &str) {
    let Some(path) = &t.path else { return };
    if t.cpu.is_none() && t.memory.is_none() {
        ctx.d.warn("CX5057", path, "has no CPU nor memory target, so nothing scales on load; add one");
        return;
    }
    for (label, metric, value) in
        [("Cpu", "ECSServiceAverageCPUUtilization", t.cpu), ("Memory", "ECSServiceAverageMemoryUtilization", t.memory)]
    {
        let Some(value) = value else { continue };
        let mut conf = Map::new();
        conf.insert("TargetValue".into(), json!(value));
        conf.insert("PredefinedMetricSpecification".into(), json!({"PredefinedMetricType": metric}));
        conf.insert("ScaleInCooldown".into(), json!(t.scale_in.unwrap_or(SCALE_IN_COOLDOWN)));
        conf.insert("ScaleOutCooldown".into(), json!(t.scale_out.unwrap_or(SCALE_OUT_COOLDOWN)));
        if t.disable_scale_in {
            conf.insert("DisableScaleIn".into(), json!(true));
        }
        ctx.add(
            &fam.name,
            format!("{}{}ScalingPolicy", fam.id, label),
            json!({"Type": "AWS::ApplicationAutoScaling::ScalingPolicy", "Properties": {
                "PolicyName": {"Fn::Sub": format!("${{AWS::StackName}}-{}-{}", fam.name, label.to_lowercase())},
                "PolicyType": "TargetTrackingScaling",
                "ScalingTargetId": {"Ref": target},
                "TargetTrackingScalingPolicyConfiguration": conf
            }}),
        );
    }
}

/// The declared range, widened to the step counts; or the range of the step counts alone.
fn bounds(plan: Option<&Scaling>, queues: &[crate::plan::Queue], d: &mut Diagnostics) -> Option<(u64, u64)> {
    let counts = || queues.iter().flat_map(|q| q.steps.iter().map(|s| s.count));
    match plan.and_then(|p| p.range.clone()) {
        Some((min, max, path)) => {
            let mut top = max;
            for q in queues {
                if let Some(most) = q.steps.iter().map(|s| s.count).max().filter(|c| *c > max) {
                    d.warn("CX5058", &q.path, format!("a step sets {most} tasks, above the maximum of {path} ({max}); the maximum is raised to {most}"));
                    top = top.max(most);
                }
            }
            Some((min, top))
        }
        None if !queues.is_empty() => Some((counts().min()?, counts().max()?)),
        None => plan.map(|_| (1, 1)),
    }
}

/// The family's scaling: its services' (`ext::scaling`), merged.
fn merged(ctx: &Ctx, fam: &Family) -> Option<Scaling> {
    let mut out: Option<Scaling> = None;
    for name in &fam.services {
        let Some(p) = ctx.ext.service(name).scaling.clone() else { continue };
        match &mut out {
            Some(o) => o.merge(p),
            None => out = Some(p),
        }
    }
    out
}
