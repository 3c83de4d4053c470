//! A service's scaling, in two dialects, read once when the file is loaded.
//!
//! - ECS ComposeX `x-scaling`: `Range: "1-4"`, `TargetScaling` (`CpuTarget`, `MemoryTarget`,
//!   `DisableScaleIn`, `ScaleInCooldown`, `ScaleOutCooldown`) and AWS's own `ScheduledActions`.
//! - Docker's `deploy.x-aws-autoscaling`: `{min, max, cpu}` or `{min, max, mem}`, read as a Range
//!   with one target (Docker's 60 s cooldowns; `min` defaults to 1). A service with both keeps
//!   `x-scaling`, as ECS ComposeX does.
//!
//! The scaling concern (`emit::scaling`) merges a family's and writes it out.

use crate::compose::read::{boolean, kind, map_or, object, uint};
use crate::compose::Service;
use crate::diagnostics::{index, join, Diagnostics};
use serde_json::{Map, Value};

/// Docker's target-tracking cooldowns, in and out, for `x-aws-autoscaling`.
const DOCKER_COOLDOWN: u64 = 60;
const SCHEDULED_KEYS: &[&str] =
    &["ScheduledActionName", "Schedule", "ScalableTargetAction", "Timezone", "StartTime", "EndTime"];

/// Target tracking of a family.
#[derive(Debug, Clone, Default)]
pub struct Tracking {
    pub cpu: Option<u64>,
    pub memory: Option<u64>,
    pub disable_scale_in: bool,
    pub scale_in: Option<u64>,
    pub scale_out: Option<u64>,
    /// Where it was declared (the first one), for messages.
    pub path: Option<String>,
}

/// A service's scaling (or a family's, merged from its services').
#[derive(Debug, Clone, Default)]
pub struct Scaling {
    /// (min, max) of `Range` or `x-aws-autoscaling`, and where.
    pub range: Option<(u64, u64, String)>,
    pub tracking: Tracking,
    pub scheduled: Vec<(Value, String)>,
}

fn min_some(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

impl Scaling {
    /// Merges another service's scaling into this one's, as ECS ComposeX merges a family's.
    pub fn merge(&mut self, other: Scaling) {
        self.range = match (self.range.take(), other.range) {
            (Some((a, b, p)), Some((c, e, _))) => Some((a.min(c), b.max(e), p)),
            (x, y) => x.or(y),
        };
        let (t, o) = (&mut self.tracking, other.tracking);
        t.cpu = min_some(t.cpu, o.cpu);
        t.memory = min_some(t.memory, o.memory);
        t.scale_in = min_some(t.scale_in, o.scale_in);
        t.scale_out = min_some(t.scale_out, o.scale_out);
        t.disable_scale_in |= o.disable_scale_in;
        if t.path.is_none() {
            t.path = o.path;
        }
        self.scheduled.extend(other.scheduled);
    }
}

/// The scaling service `s` declares, if any.
pub fn read(s: &Service, d: &mut Diagnostics) -> Option<Scaling> {
    let name = &s.name;
    let docker = s.deploy.extensions.get("x-aws-autoscaling");
    // Paths only for the services that declare scaling.
    let docker_path = || join(&join(&join("services", name), "deploy"), "x-aws-autoscaling");
    match (s.extensions.get("x-scaling"), docker) {
        (Some(x), docker) => {
            if docker.is_some() {
                d.warn(
                    "CX2046",
                    docker_path(),
                    "ignored: the service's x-scaling wins, as in ECS ComposeX; keep one of them",
                );
            }
            x_scaling(x, &join(&join("services", name), "x-scaling"), d)
        }
        (None, Some(v)) => x_aws_autoscaling(v, &docker_path(), d),
        (None, None) => None,
    }
}

/// ECS ComposeX `x-scaling` of one service.
fn x_scaling(x: &Value, path: &str, d: &mut Diagnostics) -> Option<Scaling> {
    let m = map_or(x, path, "x-scaling must be a mapping", d)?;
    let mut plan = Scaling::default();
    for (k, v) in m {
        let p = join(path, k);
        match k.as_str() {
            "Range" => plan.range = parse_range(v, &p, d).map(|(a, b)| (a, b, p.clone())),
            "TargetScaling" => {
                if let Some(t) = map_or(v, &p, "TargetScaling must be a mapping", d) {
                    plan.tracking = target_scaling(t, &p, d);
                }
            }
            "ScheduledActions" => match v.as_array() {
                Some(list) => {
                    for (i, a) in list.iter().enumerate() {
                        let ap = index(&p, i);
                        if let Some(a) = scheduled_action(a, &ap, d) {
                            plan.scheduled.push((a, ap));
                        }
                    }
                }
                None => d.error(
                    "CX2047",
                    &p,
                    "ScheduledActions must be a list of AWS::ApplicationAutoScaling::ScalableTarget ScheduledAction",
                ),
            },
            _ => d.error(
                "CX2048",
                &p,
                format!("{k:?} is not an x-scaling key; use Range, TargetScaling or ScheduledActions"),
            ),
        }
    }
    if !m.contains_key("Range") {
        d.error("CX2049", join(path, "Range"), "x-scaling needs Range, like \"1-4\"");
    }
    Some(plan)
}

fn target_scaling(t: &Map<String, Value>, path: &str, d: &mut Diagnostics) -> Tracking {
    let mut out = Tracking { path: Some(path.to_string()), ..Default::default() };
    for (k, v) in t {
        let p = join(path, k);
        match k.as_str() {
            "CpuTarget" => out.cpu = percentage(v, &p, d),
            "MemoryTarget" => out.memory = percentage(v, &p, d),
            "DisableScaleIn" => out.disable_scale_in = boolean(v, &p, d) == Some(true),
            "ScaleInCooldown" => out.scale_in = uint(v, &p, "number of seconds", d),
            "ScaleOutCooldown" => out.scale_out = uint(v, &p, "number of seconds", d),
            "TgtTargetsCount" => d.error("CX2050", &p, "scaling on a load balancer's requests per target is not supported; use CpuTarget or MemoryTarget"),
            _ => d.error("CX2051", &p, format!("{k:?} is not a TargetScaling key; use CpuTarget, MemoryTarget, DisableScaleIn, ScaleInCooldown or ScaleOutCooldown")),
        }
    }
    out
}

fn percentage(v: &Value, path: &str, d: &mut Diagnostics) -> Option<u64> {
    let n = uint(v, path, "percentage", d)?;
    if !(1..=100).contains(&n) {
        d.error("CX2052", path, format!("{n} is not a percentage between 1 and 100"));
        return None;
    }
    Some(n)
}

/// One of AWS's scheduled actions, checked so that the deploy does not fail on it; a rate
/// written in a short form (`rate(1h)`) is rewritten in the form AWS reads.
fn scheduled_action(a: &Value, path: &str, d: &mut Diagnostics) -> Option<Value> {
    let m = object(a, path, "a scheduled action", d)?;
    let before = d.errors().len();
    let mut out = a.clone();
    for (k, v) in m {
        let p = join(path, k);
        match k.as_str() {
            "ScheduledActionName" => match v.as_str() {
                Some(n) if n.is_empty() || n.len() > 256 || n.contains([':', '/', '|']) || n.trim() != n => d.error("CX2053", 
                    &p,
                    format!("{n:?} is not a scheduled action name: 1 to 256 characters, without ':', '/', '|' or spaces at either end"),
                ),
                Some(_) => {}
                None => d.error("CX2054", &p, format!("ScheduledActionName must be a string, not {}", kind(v))),
            },
            "Schedule" => match v.as_str() {
                Some(s) if s.starts_with("rate(") && s.ends_with(')') => match rate(&s[5..s.len() - 1]) {
                    Some(r) if r == s => {}
                    Some(r) => {
                        d.warn("CX2055", &p, format!("{s:?} is read as {r:?}, the form Application Auto Scaling accepts"));
                        out["Schedule"] = Value::String(r);
                    }
                    None => d.error("CX2056", &p, format!("{s:?} is not a rate: write rate(VALUE UNIT), with UNIT minutes, hours or days, like rate(1 hour)")),
                },
                Some(s) if ["at(", "cron("].iter().any(|x| s.starts_with(x)) && s.ends_with(')') => {}
                Some(s) => d.error("CX2057", &p, format!("{s:?} is not a schedule; use at(yyyy-mm-ddThh:mm:ss), rate(1 hour) or cron(…)")),
                None if crate::cfn::is_intrinsic(v) => {}
                None => d.error("CX2058", &p, format!("Schedule must be a string, not {}", kind(v))),
            },
            "ScalableTargetAction" => {
                let t = map_or(v, &p, "ScalableTargetAction must be a mapping with MinCapacity and MaxCapacity", d);
                if t.is_some_and(Map::is_empty) {
                    d.error("CX2059", &p, "ScalableTargetAction needs MinCapacity, MaxCapacity or both");
                }
                for (tk, tv) in t.into_iter().flatten() {
                    let tp = join(&p, tk);
                    match tk.as_str() {
                        "MinCapacity" | "MaxCapacity" => {
                            uint(tv, &tp, "number of tasks", d);
                        }
                        _ => d.error("CX2060", &tp, format!("{tk:?} is not a ScalableTargetAction key; use MinCapacity or MaxCapacity")),
                    }
                }
            }
            "Timezone" | "StartTime" | "EndTime" => {}
            _ => d.error("CX2061", &p, format!("{k:?} is not a scheduled action key; use {}", SCHEDULED_KEYS.join(", "))),
        }
    }
    for required in ["ScheduledActionName", "Schedule", "ScalableTargetAction"] {
        if !m.contains_key(required) {
            d.error("CX2062", join(path, required), format!("a scheduled action needs {required}"));
        }
    }
    (d.errors().len() == before).then_some(out)
}

/// `rate(…)` as Application Auto Scaling reads it, from what is inside the parentheses: a whole
/// number above 0 and a unit, singular for 1 (`1 hour`, `5 minutes`); short forms (`1h`, `30m`,
/// `2 days`, `1 hours`) are read too. `None` when it is not a rate.
fn rate(inner: &str) -> Option<String> {
    let inner = inner.trim();
    let split = inner.find(|c: char| !c.is_ascii_digit()).unwrap_or(inner.len());
    let n: u64 = inner[..split].parse().ok().filter(|n| *n > 0)?;
    let unit = match inner[split..].trim() {
        "m" | "min" | "mins" | "minute" | "minutes" => "minute",
        "h" | "hr" | "hrs" | "hour" | "hours" => "hour",
        "d" | "day" | "days" => "day",
        _ => return None,
    };
    Some(format!("rate({n} {unit}{})", if n == 1 { "" } else { "s" }))
}

/// Docker's `deploy.x-aws-autoscaling`: `{min, max, cpu}` or `{min, max, mem}`.
fn x_aws_autoscaling(v: &Value, path: &str, d: &mut Diagnostics) -> Option<Scaling> {
    let m = object(v, path, "x-aws-autoscaling", d)?;
    let (mut min, mut max, mut cpu, mut memory) = (None, None, None, None);
    for (k, v) in m {
        let p = join(path, k);
        match k.as_str() {
            "min" => min = uint(v, &p, "number of tasks", d),
            "max" => max = uint(v, &p, "number of tasks", d),
            "cpu" => cpu = percentage(v, &p, d),
            "mem" | "memory" => memory = percentage(v, &p, d),
            _ => d.error("CX2063", &p, format!("{k:?} is not an x-aws-autoscaling key; use min, max, cpu or mem")),
        }
    }
    if !m.contains_key("max") {
        d.error("CX2064", join(path, "max"), "x-aws-autoscaling needs max, the largest number of tasks");
    }
    if cpu.is_some() && memory.is_some() {
        d.error("CX2065", path, "x-aws-autoscaling tracks cpu or mem, not both; keep one, or use x-scaling.TargetScaling with CpuTarget and MemoryTarget");
    }
    // Docker left min at 0, where a service scaled to no task has no CPU to track and never
    // comes back; ECS ComposeX reads it as 1, and so does ComposeX.
    let min = min.unwrap_or(1);
    let max = max.unwrap_or(min);
    if min > max {
        d.error("CX2066", join(path, "min"), format!("{min} is above max ({max})"));
    }
    Some(Scaling {
        range: Some((min, max.max(min), path.to_string())),
        tracking: Tracking {
            cpu,
            memory,
            disable_scale_in: false,
            scale_in: Some(DOCKER_COOLDOWN),
            scale_out: Some(DOCKER_COOLDOWN),
            path: Some(path.to_string()),
        },
        scheduled: vec![],
    })
}

/// `"1-4"` → (1, 4).
fn parse_range(v: &Value, path: &str, d: &mut Diagnostics) -> Option<(u64, u64)> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => {
            d.error("CX2067", path, format!("Range must be a string like \"1-4\", not {}", kind(other)));
            return None;
        }
    };
    let parsed =
        text.split_once('-').and_then(|(a, b)| Some((a.trim().parse::<u64>().ok()?, b.trim().parse::<u64>().ok()?)));
    match parsed {
        Some((a, b)) if a <= b => Some((a, b)),
        _ => {
            d.error("CX2068", path, format!("{text:?} is not a range; use \"MIN-MAX\" like \"1-4\""));
            None
        }
    }
}
