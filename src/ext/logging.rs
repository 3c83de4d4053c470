//! Log retention, read once when the file is loaded: a service's `x-logging.RetentionInDays`
//! and Docker's project-wide `x-aws-logs_retention`, each raised to a value CloudWatch Logs
//! accepts (with a warning when it changes).

use crate::compose::read::{boolean, map_or, show, uint};
use crate::compose::{Project, Service};
use crate::diagnostics::{join, Diagnostics};
use serde_json::{Map, Value};

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

/// A service's `x-logging`: the retention it asks for, and its FireLens settings.
#[derive(Debug, Clone, Default)]
pub struct XLogging {
    pub retention: Option<u64>,
    pub firelens: Option<FireLens>,
}

/// ECS ComposeX's `x-logging.FireLens`: route the service's logs through a Fluent Bit log
/// router in its task.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FireLens {
    /// `Shorthands.ReplaceAwsLogs`: CloudWatch Logs through Fluent Bit instead of awslogs.
    pub replace_awslogs: bool,
    /// `Advanced.DockerImageOverride`: the log router's image.
    pub image: Option<Value>,
    /// `FirelensConfiguration.Type`: fluentbit or fluentd.
    pub router_type: Option<String>,
    /// `FirelensConfiguration.Options` (`enable-ecs-log-metadata`, `config-file-type`,
    /// `config-file-value`), as ECS takes them.
    pub options: Map<String, Value>,
    /// `Advanced.LogDriverBufferLimit`, bytes.
    pub buffer_limit: Option<u64>,
    /// `Advanced.GracePeriod`: the router's stop timeout, seconds.
    pub grace_period: Option<u64>,
    /// `Advanced.EnvironmentVariables` of the router.
    pub environment: Map<String, Value>,
}

pub fn read(s: &Service, d: &mut Diagnostics) -> XLogging {
    let mut out = XLogging::default();
    let Some(x) = s.extensions.get("x-logging") else { return out };
    let path = join(&join("services", &s.name), "x-logging");
    let Some(m) = x.as_object() else {
        d.error("CX2033", &path, "x-logging must be a mapping with RetentionInDays or FireLens");
        return out;
    };
    for (k, v) in m {
        let p = join(&path, k);
        match k.as_str() {
            "RetentionInDays" => {
                if let Some(days) = uint(v, &p, "number of days", d) {
                    let valid = accepted_retention(days);
                    if valid != days {
                        d.warn("CX2034", &p, format!("CloudWatch Logs cannot keep logs {days} days; keeping them {valid} days, the next value it accepts"));
                    }
                    out.retention = Some(valid);
                }
            }
            "FireLens" => out.firelens = firelens(v, &p, d),
            "CreateLogGroup" => {}
            _ => d.error("CX2035", &p, format!("{k:?} is not an x-logging key; use RetentionInDays or FireLens")),
        }
    }
    out
}

fn firelens(v: &Value, path: &str, d: &mut Diagnostics) -> Option<FireLens> {
    let m = map_or(v, path, "FireLens must be a mapping with Shorthands or Advanced", d)?;
    let mut f = FireLens::default();
    for (k, v) in m {
        let p = join(path, k);
        let Some(section) = map_or(v, &p, &format!("{k} must be a mapping"), d) else { continue };
        for (key, value) in section {
            let at = join(&p, key);
            match (k.as_str(), key.as_str()) {
                ("Shorthands", "ReplaceAwsLogs") => f.replace_awslogs = boolean(value, &at, d).unwrap_or(false),
                (_, "FirelensConfiguration") => configuration(&mut f, value, &at, d),
                ("Advanced", "DockerImageOverride") => f.image = Some(value.clone()),
                ("Advanced", "LogDriverBufferLimit") => f.buffer_limit = uint(value, &at, "a number of bytes", d),
                ("Advanced", "GracePeriod") => match uint(value, &at, "a number of seconds", d) {
                    Some(g @ 5..=120) => f.grace_period = Some(g),
                    Some(_) => d.error("CX2069", &at, "GracePeriod must be between 5 and 120 seconds, the stop timeouts ECS accepts"),
                    None => {}
                },
                ("Advanced", "EnvironmentVariables") => {
                    if let Some(env) = map_or(value, &at, "EnvironmentVariables must be a mapping", d) {
                        f.environment = env.clone();
                    }
                }
                ("Advanced", "SidecarCpuReservation" | "EnableApiHeathCheck") => {
                    d.warn("CX2070", &at, "ignored: the log router reserves no CPU of its own and ECS watches it as an essential container")
                }
                ("Advanced", "SourceFile" | "ParserFiles" | "ComposeXManagedAwsDestinations") => d.error(
                    "CX2079",
                    &at,
                    format!(
                        "{key} needs a Fluent Bit configuration file {}, which ComposeX does not build; put the configuration in an image (DockerImageOverride) or in S3, and point FirelensConfiguration.Options config-file-type and config-file-value at it (or send to one output with logging.options)",
                        if key == "ComposeXManagedAwsDestinations" { "with one output per destination" } else { "built from local files" }
                    ),
                ),
                (_, key) => d.error("CX2080", &at, format!("{key:?} is not a key of FireLens.{k}")),
            }
        }
        if !matches!(k.as_str(), "Shorthands" | "Advanced") {
            d.error("CX2081", &p, format!("{k:?} is not a FireLens key; use Shorthands or Advanced"));
        }
    }
    Some(f)
}

fn configuration(f: &mut FireLens, v: &Value, path: &str, d: &mut Diagnostics) {
    let Some(m) = map_or(v, path, "FirelensConfiguration must be a mapping with Type and Options", d) else { return };
    for (k, v) in m {
        let p = join(path, k);
        match k.as_str() {
            "Type" => match v.as_str() {
                Some(t @ ("fluentbit" | "fluentd")) => f.router_type = Some(t.to_string()),
                _ => d.error("CX2082", &p, "Type must be fluentbit or fluentd"),
            },
            "Options" => {
                let Some(opts) = map_or(v, &p, "Options must be a mapping", d) else { continue };
                for (o, ov) in opts {
                    match o.as_str() {
                        "enable-ecs-log-metadata" | "config-file-type" | "config-file-value" => {
                            let text = match ov {
                                Value::Bool(b) => b.to_string(),
                                other => show(other),
                            };
                            f.options.insert(o.clone(), Value::String(text.trim_matches('"').to_string()));
                        }
                        _ => d.error("CX2083", join(&p, o), format!("{o:?} is not a FireLens option; use enable-ecs-log-metadata, config-file-type, config-file-value")),
                    }
                }
            }
            _ => d.error("CX2084", &p, format!("{k:?} is not a key of FirelensConfiguration; use Type and Options")),
        }
    }
}
