//! `x-cluster`: the ECS cluster. Absent, one is created with FARGATE and FARGATE_SPOT capacity
//! providers (FARGATE by default); `Use` (or Docker's `x-aws-cluster`) names an existing one.

use crate::cfn::r#ref;
use crate::compose::read::{kind, map_or};
use crate::diagnostics::join;
use crate::plan::Ctx;
use serde_json::{json, Value};

const OWNER: &str = "x-cluster";

pub fn expand(ctx: &mut Ctx) {
    let x = ctx.project.extensions.get("x-cluster").cloned();
    let aws = ctx.project.extensions.get("x-aws-cluster").cloned();
    if let Some(name) = aws {
        if x.is_some() {
            ctx.d.error("CX4013", "x-aws-cluster", "x-aws-cluster and x-cluster both name the cluster; keep one");
        }
        return use_existing(ctx, &name, "x-aws-cluster");
    }
    let mut props = json!({
        "CapacityProviders": ["FARGATE", "FARGATE_SPOT"],
        "DefaultCapacityProviderStrategy": [{"CapacityProvider": "FARGATE", "Weight": 1}],
        "ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}]
    });
    if let Some(x) = &x {
        let head = "x-cluster must be a mapping with Use or Properties";
        let Some(m) = map_or(x, OWNER, head, &mut ctx.d) else { return };
        for (k, v) in m {
            let p = join(OWNER, k);
            match k.as_str() {
                "Use" => return use_existing(ctx, v, &p),
                "Lookup" => {
                    ctx.d.error("CX4014", &p, "Lookup needs AWS API calls while the template is transformed, which a macro cannot make; use `Use: cluster-name` (or its ARN, or a !Ref of a template Parameter)");
                    return;
                }
                // Not map_or: these are CloudFormation's own properties, where an intrinsic is kept.
                "Properties" => match v.as_object() {
                    Some(pm) => {
                        for (pk, pv) in pm {
                            props[pk] = pv.clone();
                        }
                    }
                    None => ctx.d.error("CX4015", &p, format!("Properties must be a mapping, not {}", kind(v))),
                },
                // ECS ComposeX's MacroParameters create the log group, bucket and key that log
                // ECS Exec sessions.
                "MacroParameters" => {
                    if v.as_object().is_some_and(|m| !m.is_empty()) {
                        ctx.d.warn("CX4233", &p, "ignored: ComposeX does not build ECS Exec session logging (its log group, bucket and KMS key); sessions of x-ecs.EnableExecuteCommand are not logged");
                    }
                }
                _ => ctx.d.error("CX4016", &p, format!("{k:?} is not an x-cluster key; use Use or Properties")),
            }
        }
    }
    ctx.add(OWNER, "Cluster".into(), crate::cfn::resource("AWS::ECS::Cluster", props));
    ctx.plan.infra.cluster = r#ref("Cluster");
    ctx.plan.infra.cluster_name = r#ref("Cluster");
}

fn use_existing(ctx: &mut Ctx, v: &Value, path: &str) {
    match v {
        Value::String(s) if !s.is_empty() => {
            ctx.plan.infra.cluster = v.clone();
            // Scaling needs the name: the last part of an ARN.
            ctx.plan.infra.cluster_name = Value::String(s.rsplit('/').next().unwrap_or(s).to_string());
        }
        v if crate::cfn::is_intrinsic(v) => {
            ctx.plan.infra.cluster = v.clone();
            ctx.plan.infra.cluster_name = v.clone();
        }
        other => {
            ctx.d.error("CX4017", path, format!("the cluster to use must be its name or ARN, not {}", kind(other)))
        }
    }
}
