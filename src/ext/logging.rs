//! Log retention, read once when the file is loaded: a service's `x-logging.RetentionInDays`
//! and Docker's project-wide `x-aws-logs_retention`, each raised to a value CloudWatch Logs
//! accepts (with a warning when it changes).

use crate::compose::read::{show, uint};
use crate::compose::{Project, Service};
use crate::diagnostics::{join, Diagnostics};
use serde_json::Value;

/// The values CloudWatch Logs accepts for RetentionInDays.
const RETENTIONS: &[u64] =
    &[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/// The retention CloudWatch Logs accepts for `days`: that value, or the next one it knows.
pub fn accepted_retention(days: u64) -> u64 {
    RETENTIONS.iter().copied().find(|r| *r >= days).unwrap_or(3653)
}

pub const LOGS_RETENTION: &str = "x-aws-logs_retention";

/// `x-aws-logs_retention`: the retention, in days, of every family's log group that
/// `x-logging.RetentionInDays` does not set (Docker had one log group for the whole project).
pub fn logs_retention(project: &Project, d: &mut Diagnostics) -> Option<u64> {
    let v = project.extensions.get(LOGS_RETENTION)?;
    let days = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    match days {
        Some(0) | None => {
            d.error(
                "CX2031",
                LOGS_RETENTION,
                format!("{} is not a number of days; use one CloudWatch Logs accepts, like 7, 30 or 365", show(v)),
            );
            None
        }
        Some(days) => {
            let valid = accepted_retention(days);
            if valid != days {
                d.warn("CX2032", LOGS_RETENTION, format!("CloudWatch Logs cannot keep logs {days} days; keeping them {valid} days, the next value it accepts"));
            }
            Some(valid)
        }
    }
}

/// A service's `x-logging`: the retention it asks for, if any.
pub fn read(s: &Service, d: &mut Diagnostics) -> Option<u64> {
    let x = s.extensions.get("x-logging")?;
    let path = join(&join("services", &s.name), "x-logging");
    let Some(m) = x.as_object() else {
        d.error("CX2033", &path, "x-logging must be a mapping with RetentionInDays");
        return None;
    };
    let mut retention = None;
    for (k, v) in m {
        let p = join(&path, k);
        match k.as_str() {
            "RetentionInDays" => {
                if let Some(days) = uint(v, &p, "number of days", d) {
                    let valid = accepted_retention(days);
                    if valid != days {
                        d.warn("CX2034", &p, format!("CloudWatch Logs cannot keep logs {days} days; keeping them {valid} days, the next value it accepts"));
                    }
                    retention = Some(valid);
                }
            }
            "CreateLogGroup" => {}
            _ => d.error("CX2035", &p, format!("{k:?} is not an x-logging key; use RetentionInDays")),
        }
    }
    retention
}
