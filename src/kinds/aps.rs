//! `x-aps`: Amazon Managed Service for Prometheus workspaces (`AWS::APS::Workspace`), ECS
//! ComposeX syntax. Consumers get the workspace's ARN by default, and may ask for its
//! `PrometheusEndpoint`, `RemoteWriteUrl` and `QueryUrl`; `Query` lets them query it, `Write`
//! remote-write to it, `RW` both. `MacroParameters.CreateNewLogGroup` (`true`, or the log
//! group's `LogGroupName` and `RetentionInDays`) creates the log group the workspace logs to.
//! A workspace holds metrics: it is kept when the stack is deleted or it is replaced.

use super::generic::{macro_parameters, Decl};
use super::{Attr, Kind, Level, Scope};
use crate::compose::read::{kind, show, uint};
use crate::diagnostics::join;
use crate::plan::Ctx;
use serde_json::{json, Value};

const QUERY: &[&str] = &["aps:GetLabels", "aps:GetMetricMetadata", "aps:GetSeries", "aps:QueryMetrics"];
const WRITE: &[&str] = &["aps:RemoteWrite"];
const RW: &[&str] = &["aps:GetLabels", "aps:GetMetricMetadata", "aps:GetSeries", "aps:QueryMetrics", "aps:RemoteWrite"];

pub const KIND: Kind = Kind {
    key: "x-aps",
    cfn_type: "AWS::APS::Workspace",
    suffix: "Workspace",
    return_values: &[
        ("Arn", Attr::Ref),
        ("WorkspaceId", Attr::GetAtt("WorkspaceId")),
        ("PrometheusEndpoint", Attr::GetAtt("PrometheusEndpoint")),
        ("RemoteWriteUrl", Attr::Build(remote_write_url)),
        ("QueryUrl", Attr::Build(query_url)),
    ],
    levels: &[
        Level { name: "Query", actions: QUERY, scope: Scope::Resource },
        Level { name: "Write", actions: WRITE, scope: Scope::Resource },
        Level { name: "RW", actions: RW, scope: Scope::Resource },
    ],
    hook: Some(hook),
    keeps_data: Some("Retain"),
    ..Kind::BASE
};

/// The workspace's endpoint (which ends with `/`) and a path of its API.
fn endpoint(id: &str, path: &str) -> Value {
    json!({"Fn::Sub": format!("${{{id}.PrometheusEndpoint}}{path}")})
}

fn remote_write_url(id: &str) -> Value {
    endpoint(id, "api/v1/remote_write")
}

fn query_url(id: &str) -> Value {
    endpoint(id, "api/v1/query")
}

/// The log group's properties `CreateNewLogGroup` may set.
const LOG_GROUP_KEYS: &[&str] = &["LogGroupName", "RetentionInDays"];

fn hook(ctx: &mut Ctx, decl: &Decl, _: &[Decl], resource: &mut Value) {
    let params = macro_parameters(ctx, decl, &["CreateNewLogGroup"]);
    let Some(v) = params.get("CreateNewLogGroup") else { return };
    let path = join(&join(&decl.path, "MacroParameters"), "CreateNewLogGroup");
    let mut props = json!({"RetentionInDays": crate::emit::logging::DEFAULT_RETENTION});
    match v {
        Value::Bool(false) => return,
        Value::Bool(true) => {}
        Value::Object(m) => {
            for (k, v) in m {
                let p = join(&path, k);
                match k.as_str() {
                    "LogGroupName" if v.is_string() || crate::cfn::is_intrinsic(v) => props[k] = v.clone(),
                    "RetentionInDays" => {
                        if let Some(days) = uint(v, &p, "number of days", &mut ctx.d) {
                            let valid = crate::ext::logging::accepted_retention(days);
                            if valid != days {
                                ctx.d.warn("CX4288", &p, format!("CloudWatch Logs cannot keep logs {days} days; keeping them {valid} days, the next value it accepts"));
                            }
                            props[k] = json!(valid);
                        }
                    }
                    "LogGroupName" => ctx.d.error("CX4284", &p, format!("{} is not a log group name", show(v))),
                    _ => ctx.d.error(
                        "CX4285",
                        &p,
                        format!(
                            "{k:?} is not a log group property ComposeX sets here; use {}",
                            LOG_GROUP_KEYS.join(", ")
                        ),
                    ),
                }
            }
        }
        other => {
            return ctx.d.error(
                "CX4286",
                &path,
                format!(
                    "CreateNewLogGroup must be true, false or a mapping of LogGroupName and RetentionInDays, not {}",
                    kind(other)
                ),
            );
        }
    }
    if resource["Properties"].get("LoggingConfiguration").is_some() {
        return ctx.d.error("CX4287", &path, "Properties.LoggingConfiguration names a log group already; keep one");
    }
    let id = format!("{}LogGroup", decl.id);
    resource["Properties"]["LoggingConfiguration"] = json!({"LogGroupArn": {"Fn::GetAtt": [id, "Arn"]}});
    ctx.add(&decl.name, id, json!({"Type": "AWS::Logs::LogGroup", "Properties": props}));
}
