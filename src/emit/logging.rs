//! Logs: one CloudWatch log group per family, its retention from `x-logging.RetentionInDays`
//! (default 30), and the awslogs configuration of each container.
//!
//! The group is always the family's own: the execution role may write only there, so a
//! user-chosen `awslogs-group` is replaced (with a warning) rather than widening the role.

use crate::cfn::r#ref;
use crate::compose::Service;
use crate::diagnostics::join;
use crate::plan::families::Family;
use crate::plan::Emit;
use serde_json::{json, Map, Value};

pub const DEFAULT_RETENTION: u64 = 30;
pub fn log_group_id(fam: &Family) -> String {
    format!("{}LogGroup", fam.id)
}

/// The family's log group: the longest retention its services ask for (`x-logging`), else
/// the project's (`x-aws-logs_retention`), else 30 days.
pub fn expand(ctx: &mut Emit, fam: &Family) {
    let retention = fam.services.iter().filter_map(|name| ctx.ext.service(name).retention).max();
    let days = retention.or(ctx.ext.logs_retention).unwrap_or(DEFAULT_RETENTION);
    ctx.add(
        &fam.name,
        log_group_id(fam),
        json!({"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": days}}),
    );
}

/// The container's `LogConfiguration`: awslogs to the family's group, with the options of the
/// compose `logging` section that awslogs understands.
pub fn container_config(ctx: &mut Emit, fam: &Family, s: &Service) -> Value {
    let path = join(&join("services", &s.name), "logging");
    let mut options = Map::new();
    if let Some(l) = &s.logging {
        if let Some(driver) = &l.driver {
            if driver != "awslogs" {
                ctx.d.warn(
                    "CX5039",
                    join(&path, "driver"),
                    format!("the {driver} driver is replaced by awslogs to CloudWatch Logs"),
                );
            }
        }
        for (k, v) in &l.options {
            let p = join(&join(&path, "options"), k);
            match k.as_str() {
                "awslogs-stream-prefix"
                | "awslogs-datetime-format"
                | "awslogs-multiline-pattern"
                | "mode"
                | "max-buffer-size" => {
                    options.insert(k.clone(), v.clone());
                }
                "awslogs-group" => ctx.d.warn(
                    "CX5040",
                    &p,
                    "replaced by the family's own log group, the only one its execution role may write to",
                ),
                "awslogs-create-group" => ctx.d.warn("CX5041", &p, "ignored: the log group is created by the template"),
                "awslogs-region" => ctx.d.warn("CX5042", &p, "ignored: logs go to the stack's region"),
                _ => ctx.d.warn("CX5043", &p, "ignored: not an awslogs option"),
            }
        }
    }
    options.insert("awslogs-group".into(), r#ref(&log_group_id(fam)));
    options.insert("awslogs-region".into(), r#ref("AWS::Region"));
    options.entry("awslogs-stream-prefix").or_insert_with(|| Value::String(s.name.clone()));
    crate::cfn::object([("LogDriver", Value::String("awslogs".into())), ("Options", Value::Object(options))])
}
