//! Logs: one CloudWatch log group per family, its retention from `x-logging.RetentionInDays`
//! (default 30), and the awslogs configuration of each container.
//!
//! The group is always the family's own: the execution role may write only there, so a
//! user-chosen `awslogs-group` is replaced (with a warning) rather than widening the role.

use super::family::Family;
use super::Ctx;
use crate::cfn::r#ref;
use crate::compose::read::uint;
use crate::compose::Service;
use crate::diagnostics::join;
use serde_json::{json, Map, Value};

pub const DEFAULT_RETENTION: u64 = 30;
/// The values CloudWatch Logs accepts for RetentionInDays.
const RETENTIONS: &[u64] =
    &[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/// The retention CloudWatch Logs accepts for `days`: that value, or the next one it knows.
pub fn accepted_retention(days: u64) -> u64 {
    RETENTIONS.iter().copied().find(|r| *r >= days).unwrap_or(3653)
}

pub fn log_group_id(fam: &Family) -> String {
    format!("{}LogGroup", fam.id)
}

pub fn expand(ctx: &mut Ctx, fam: &Family) {
    let mut retention = None;
    for name in &fam.services {
        let s = &ctx.project.services[name];
        let Some(x) = s.extensions.get("x-logging") else { continue };
        let path = join(&join("services", name), "x-logging");
        let Some(m) = x.as_object() else {
            ctx.d.error(&path, "x-logging must be a mapping with RetentionInDays");
            continue;
        };
        for (k, v) in m {
            let p = join(&path, k);
            match k.as_str() {
                "RetentionInDays" => {
                    if let Some(days) = uint(v, &p, "number of days", &mut ctx.d) {
                        let valid = accepted_retention(days);
                        if valid != days {
                            ctx.d.warn(&p, format!("CloudWatch Logs cannot keep logs {days} days; keeping them {valid} days, the next value it accepts"));
                        }
                        retention = Some(retention.map_or(valid, |r: u64| r.max(valid)));
                    }
                }
                "CreateLogGroup" => {}
                _ => ctx.d.error(&p, format!("{k:?} is not an x-logging key; use RetentionInDays")),
            }
        }
    }
    // Docker's x-aws-logs_retention is the default of every family (its own findings are
    // reported once, by the docker stage).
    let project_default = super::docker::logs_retention(ctx.project, &mut crate::diagnostics::Diagnostics::new());
    let days = retention.or(project_default).unwrap_or(DEFAULT_RETENTION);
    ctx.add(
        &fam.name,
        log_group_id(fam),
        json!({"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": days}}),
    );
}

/// The container's `LogConfiguration`: awslogs to the family's group, with the options of the
/// compose `logging` section that awslogs understands.
pub fn container_config(ctx: &mut Ctx, fam: &Family, s: &Service) -> Value {
    let path = join(&join("services", &s.name), "logging");
    let mut options = Map::new();
    if let Some(l) = &s.logging {
        if let Some(driver) = &l.driver {
            if driver != "awslogs" {
                ctx.d.warn(
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
                "awslogs-group" => ctx
                    .d
                    .warn(&p, "replaced by the family's own log group, the only one its execution role may write to"),
                "awslogs-create-group" => ctx.d.warn(&p, "ignored: the log group is created by the template"),
                "awslogs-region" => ctx.d.warn(&p, "ignored: logs go to the stack's region"),
                _ => ctx.d.warn(&p, "ignored: not an awslogs option"),
            }
        }
    }
    options.insert("awslogs-group".into(), r#ref(&log_group_id(fam)));
    options.insert("awslogs-region".into(), r#ref("AWS::Region"));
    options.entry("awslogs-stream-prefix").or_insert_with(|| Value::String(s.name.clone()));
    crate::cfn::object([("LogDriver", Value::String("awslogs".into())), ("Options", Value::Object(options))])
}
