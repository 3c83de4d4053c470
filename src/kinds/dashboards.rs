//! `x-dashboards` (ECS ComposeX syntax): CloudWatch dashboards (`AWS::CloudWatch::Dashboard`,
//! logical ID `<Name>Dashboard`) with, for each service or task family `Services` names, a graph
//! of its ECS service's CPU and memory utilization (`AWS/ECS`, by cluster and service): ECS
//! ComposeX's predefined metrics.
//!
//! The body is the dashboard's JSON, written with `Fn::Sub` so that it names the stack's
//! region, cluster and services. `Settings.start` is the time range shown (`-PT12H` by default).
//! `Resources` (graphs of `x-` resources) and a service's `Metrics` are refused: not built yet.
//! `Type` must be `cloudwatch`, the only one ECS ComposeX has.

use crate::cfn::naming::pascal;
use crate::compose::read::{kind, show};
use crate::diagnostics::join;
use crate::plan::families::service_id;
use crate::plan::Ctx;
use serde_json::{json, Map, Value};

pub const KEY: &str = "x-dashboards";
const DEFAULT_START: &str = "-PT12H";

pub fn dashboard_id(name: &str) -> String {
    format!("{}Dashboard", pascal(name))
}

pub fn expand(ctx: &mut Ctx) {
    let Some(x) = ctx.project.extensions.get(KEY) else { return };
    let Some(dashboards) = x.as_object() else {
        return ctx.d.error(
            "CX4271",
            KEY,
            format!("x-dashboards must be a mapping of dashboard names to dashboards, not {}", kind(x)),
        );
    };
    for (name, def) in dashboards {
        let path = join(KEY, name);
        let Some(def) = def.as_object() else {
            ctx.d.error("CX4272", &path, format!("a dashboard must be a mapping with Services, not {}", kind(def)));
            continue;
        };
        dashboard(ctx, name, def, &path);
    }
}

fn dashboard(ctx: &mut Ctx, name: &str, def: &Map<String, Value>, path: &str) {
    let mut start = DEFAULT_START.to_string();
    let mut services: Vec<(String, String)> = Vec::new();
    for (k, v) in def {
        let p = join(path, k);
        match k.as_str() {
            "Type" if v == "cloudwatch" => {}
            "Type" => ctx.d.error("CX4273", &p, format!("{} is not a dashboard type; use cloudwatch", show(v))),
            "Settings" => {
                for (sk, sv) in v.as_object().into_iter().flatten() {
                    let sp = join(&p, sk);
                    match (sk.as_str(), sv.as_str()) {
                        ("start", Some(s)) if s.starts_with('-') && s.len() > 2 => start = s.to_string(),
                        ("start", _) => ctx.d.error(
                            "CX4274",
                            &sp,
                            format!("{} is not a relative start; write one such as -PT12H or -P7D", show(sv)),
                        ),
                        _ => ctx.d.error("CX4275", &sp, format!("{sk:?} is not a dashboard setting; use start")),
                    }
                }
            }
            "Services" => {
                let Some(m) = v.as_object() else {
                    ctx.d.error(
                        "CX4276",
                        &p,
                        format!("Services must be a mapping of service or task family names, not {}", kind(v)),
                    );
                    continue;
                };
                for (s, sdef) in m {
                    let sp = join(&p, s);
                    let Some(fams) = ctx.plan.families.resolve(s) else {
                        ctx.d.error(
                            "CX4277",
                            &sp,
                            format!("{s:?} is neither a service nor a task family of this file"),
                        );
                        continue;
                    };
                    let fams: Vec<(String, String)> = fams.iter().map(|f| (f.name.clone(), service_id(f))).collect();
                    let mut predefined = true;
                    for (mk, mv) in sdef.as_object().into_iter().flatten() {
                        let mp = join(&sp, mk);
                        match (mk.as_str(), mv) {
                            ("UsePredefinedMetrics", Value::Bool(b)) => predefined = *b,
                            ("Metrics", _) => ctx.d.error(
                                "CX4278",
                                &mp,
                                "graphs of chosen metrics are not built yet; use UsePredefinedMetrics: true",
                            ),
                            _ => ctx.d.error(
                                "CX4314",
                                &mp,
                                format!("{mk:?} is not a key of a dashboard's service; use UsePredefinedMetrics"),
                            ),
                        }
                    }
                    if !predefined {
                        ctx.d.warn(
                            "CX4280",
                            &sp,
                            "UsePredefinedMetrics is false and nothing else is graphed: no graph for it",
                        );
                        continue;
                    }
                    for f in fams {
                        if !services.contains(&f) {
                            services.push(f);
                        }
                    }
                }
            }
            "Resources" => ctx.d.error("CX4281", &p, "graphs of x- resources are not built yet; remove Resources"),
            _ => ctx.d.error("CX4282", &p, format!("{k:?} is not an x-dashboards key; use Type, Settings, Services")),
        }
    }
    if services.is_empty() {
        ctx.d.warn("CX4283", path, "the dashboard graphs nothing: name services under Services");
        return;
    }
    let widgets: Vec<Value> = services
        .iter()
        .enumerate()
        .map(|(i, (family, id))| {
            json!({
                "type": "metric",
                "x": (i % 2) * 12,
                "y": (i / 2) * 6,
                "width": 12,
                "height": 6,
                "properties": {
                    "title": format!("{family}: CPU and memory utilization"),
                    "region": "${AWS::Region}",
                    "stat": "Average",
                    "period": 300,
                    "view": "timeSeries",
                    "metrics": [
                        ["AWS/ECS", "CPUUtilization", "ClusterName", "${ClusterName}", "ServiceName", format!("${{{id}.Name}}")],
                        ["AWS/ECS", "MemoryUtilization", "ClusterName", "${ClusterName}", "ServiceName", format!("${{{id}.Name}}")]
                    ]
                }
            })
        })
        .collect();
    let body = json!({"start": start, "widgets": widgets}).to_string();
    let props = json!({
        "DashboardBody": {"Fn::Sub": [body, {"ClusterName": ctx.plan.infra.cluster_name.clone()}]}
    });
    ctx.add(KEY, dashboard_id(name), json!({"Type": "AWS::CloudWatch::Dashboard", "Properties": props}));
}
