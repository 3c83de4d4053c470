//! A service's `x-alarms` (ECS ComposeX syntax), read once when the file is loaded: the
//! `Predefined` alarms the service asks for, each with its `Settings` (threshold overrides) and
//! its `Topics` (where it notifies). `Lookup` and any other key are refused.

use crate::cfn::is_intrinsic;
use crate::compose::read::{kind, show, uint};
use crate::compose::Service;
use crate::diagnostics::{index, join, Diagnostics};
use serde_json::Value;

pub const KEY: &str = "x-alarms";

/// The predefined alarms ComposeX builds: each a composite alarm of the family's average
/// utilisation of one resource above a threshold AND its running task count at or above
/// `RunningTaskCount`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Predefined {
    HighCpuUsageAndMaxScaledOut,
    HighRamUsageAndMaxScaledOut,
}

impl Predefined {
    pub const ALL: [Predefined; 2] = [Predefined::HighCpuUsageAndMaxScaledOut, Predefined::HighRamUsageAndMaxScaledOut];

    pub fn name(self) -> &'static str {
        match self {
            Predefined::HighCpuUsageAndMaxScaledOut => "HighCpuUsageAndMaxScaledOut",
            Predefined::HighRamUsageAndMaxScaledOut => "HighRamUsageAndMaxScaledOut",
        }
    }

    /// The `AWS/ECS` metric of the primary alarm, and the setting that sets its threshold.
    pub fn metric(self) -> &'static str {
        match self {
            Predefined::HighCpuUsageAndMaxScaledOut => "CPUUtilization",
            Predefined::HighRamUsageAndMaxScaledOut => "MemoryUtilization",
        }
    }
}

/// ECS ComposeX's defaults for the primary (utilisation) alarm.
pub const DEFAULT_UTILIZATION: f64 = 75.0;
pub const DEFAULT_PERIOD: u64 = 60;
pub const DEFAULT_EVALUATION_PERIODS: u64 = 10;
pub const DEFAULT_DATAPOINTS: u64 = 5;

/// One predefined alarm of a service.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    pub kind: Predefined,
    /// Percent of the utilisation threshold.
    pub utilization: f64,
    pub period: u64,
    pub evaluation_periods: u64,
    pub datapoints: u64,
    /// The task count at or above which the family counts as scaled out; none: its maximum.
    pub running_tasks: Option<u64>,
    pub topics: Vec<Topic>,
    pub path: String,
}

/// Where an alarm notifies.
#[derive(Debug, Clone, PartialEq)]
pub enum Topic {
    /// `x-sns: name`: a topic of the file, with the path it was written at.
    Sns(String, String),
    /// `TopicArn: arn`, or the ARN itself.
    Arn(Value),
}

pub fn read(s: &Service, d: &mut Diagnostics) -> Vec<Alarm> {
    let Some(v) = s.extensions.get(KEY) else { return Vec::new() };
    let base = join(&join("services", &s.name), KEY);
    let Some(m) = v.as_object().filter(|_| !is_intrinsic(v)) else {
        d.error("CX2091", &base, format!("x-alarms must be a mapping with Predefined, not {}", kind(v)));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in m {
        let p = join(&base, k);
        match k.as_str() {
            "Predefined" => predefined(v, &p, d, &mut out),
            "Lookup" => d.error("CX2092", &p, "Lookup needs AWS API calls while the template is transformed, which a macro cannot make; declare the alarms under Predefined"),
            _ => d.error("CX2093", &p, format!("{k:?} is not a key of a service's x-alarms; use Predefined")),
        }
    }
    out
}

fn known() -> String {
    Predefined::ALL.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ")
}

fn predefined(v: &Value, path: &str, d: &mut Diagnostics, out: &mut Vec<Alarm>) {
    let Some(m) = v.as_object().filter(|_| !is_intrinsic(v)) else {
        return d.error(
            "CX2094",
            path,
            format!(
                "Predefined must be a mapping of predefined alarm names ({}) to settings, not {}",
                known(),
                kind(v)
            ),
        );
    };
    for (name, def) in m {
        let p = join(path, name);
        let Some(kind_) = Predefined::ALL.into_iter().find(|k| k.name() == name) else {
            d.error("CX2095", &p, format!("{name:?} is not a predefined alarm; use one of {}", known()));
            continue;
        };
        let mut alarm = Alarm {
            kind: kind_,
            utilization: DEFAULT_UTILIZATION,
            period: DEFAULT_PERIOD,
            evaluation_periods: DEFAULT_EVALUATION_PERIODS,
            datapoints: DEFAULT_DATAPOINTS,
            running_tasks: None,
            topics: Vec::new(),
            path: p.clone(),
        };
        let def = match def {
            Value::Null => serde_json::Map::new(),
            Value::Object(m) if !is_intrinsic(def) => m.clone(),
            other => {
                d.error(
                    "CX2096",
                    &p,
                    format!("a predefined alarm must be a mapping with Settings and Topics, not {}", kind(other)),
                );
                continue;
            }
        };
        let before = d.errors().len();
        for (k, v) in &def {
            let kp = join(&p, k);
            match k.as_str() {
                "Settings" => settings(v, &kp, d, &mut alarm),
                "Topics" => alarm.topics = topics(v, &kp, d),
                _ => d.error("CX2097", &kp, format!("{k:?} is not a key of a predefined alarm; use Settings, Topics")),
            }
        }
        if alarm.datapoints > alarm.evaluation_periods {
            d.error(
                "CX2098",
                join(&join(&p, "Settings"), "DatapointsToAlarm"),
                format!(
                    "{} datapoints cannot be found in {} evaluation periods; set DatapointsToAlarm at most EvaluationPeriods",
                    alarm.datapoints, alarm.evaluation_periods
                ),
            );
        }
        if d.errors().len() == before {
            out.push(alarm);
        }
    }
}

fn settings(v: &Value, path: &str, d: &mut Diagnostics, alarm: &mut Alarm) {
    let Some(m) = v.as_object().filter(|_| !is_intrinsic(v)) else {
        return d.error("CX2099", path, format!("Settings must be a mapping, not {}", kind(v)));
    };
    let metric = alarm.kind.metric();
    for (k, v) in m {
        let p = join(path, k);
        match k.as_str() {
            "Period" => {
                if let Some(n) = uint(v, &p, "period in seconds", d) {
                    // CloudWatch accepts 10, 20, 30 and multiples of 60 seconds.
                    if [10, 20, 30].contains(&n) || (n > 0 && n % 60 == 0) {
                        alarm.period = n;
                    } else {
                        d.error("CX2100", &p, format!("{n} is not an alarm period; use 10, 20, 30 or a multiple of 60 seconds"));
                    }
                }
            }
            "EvaluationPeriods" | "DatapointsToAlarm" | "RunningTaskCount" => {
                let Some(n) = uint(v, &p, "count", d) else { continue };
                if n == 0 {
                    d.error("CX2101", &p, format!("{k} must be at least 1"));
                    continue;
                }
                match k.as_str() {
                    "EvaluationPeriods" => alarm.evaluation_periods = n,
                    "DatapointsToAlarm" => alarm.datapoints = n,
                    _ => alarm.running_tasks = Some(n),
                }
            }
            "CPUUtilization" | "MemoryUtilization" if k == metric => match v.as_f64() {
                Some(f) if f > 0.0 && f <= 100.0 => alarm.utilization = f,
                _ => d.error("CX2102", &p, format!("{} is not a percentage; use a number above 0, at most 100", show(v))),
            },
            "CPUUtilization" | "MemoryUtilization" => d.error(
                "CX2103",
                &p,
                format!("{} alarms on {metric}, not {k}; set {metric}", alarm.kind.name()),
            ),
            _ => d.error(
                "CX2104",
                &p,
                format!("{k:?} is not a setting of {}; use Period, EvaluationPeriods, DatapointsToAlarm, RunningTaskCount, {metric}", alarm.kind.name()),
            ),
        }
    }
}

fn topics(v: &Value, path: &str, d: &mut Diagnostics) -> Vec<Topic> {
    let Some(list) = v.as_array() else {
        d.error("CX2105", path, format!("Topics must be a list of {{x-sns: name}} or topic ARNs, not {}", kind(v)));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, t) in list.iter().enumerate() {
        let p = index(path, i);
        let arn =
            |v: &Value| v.as_str().is_some_and(|a| a.starts_with("arn:") && a.contains(":sns:")) || is_intrinsic(v);
        match t {
            Value::String(_) if arn(t) => out.push(Topic::Arn(t.clone())),
            Value::Object(m) if !is_intrinsic(t) && m.len() == 1 => {
                let (k, v) = m.iter().next().expect("one key");
                let kp = join(&p, k);
                match (k.as_str(), v) {
                    ("x-sns", Value::String(n)) => out.push(Topic::Sns(n.clone(), kp)),
                    ("TopicArn", v) if arn(v) => out.push(Topic::Arn(v.clone())),
                    ("x-sns" | "TopicArn", other) => {
                        d.error("CX2106", &kp, format!("{} is not a topic name or SNS topic ARN", show(other)))
                    }
                    _ => d.error("CX2107", &kp, format!("{k:?} is not a topic key; use x-sns or TopicArn")),
                }
            }
            other => d.error(
                "CX2108",
                &p,
                format!("{} is not a topic; write {{x-sns: name}}, {{TopicArn: arn}} or the topic's ARN", show(other)),
            ),
        }
    }
    out
}
