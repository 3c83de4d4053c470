//! Step scaling on queue depth (ECS ComposeX): a consumer of an `x-sqs` queue may say how many
//! tasks its family runs for how many visible messages. The same steps on an `x-alarms` alarm's
//! `Services` scale on that alarm (`kinds::alarms`): their bounds are the metric above the
//! alarm's threshold, the first at 0, and the alarm holds both policies as its actions, so no
//! depth alarm is made.
//!
//! ```yaml
//! x-sqs:
//!   jobs:
//!     Services:
//!       worker:
//!         Access: Consume
//!         Scaling:
//!           ScaleInCooldown: 120      # seconds, default 60
//!           ScaleOutCooldown: 60      # seconds, default 60
//!           Steps:                    # visible messages → tasks
//!             - {LowerBound: 0, UpperBound: 10, Count: 1}
//!             - {LowerBound: 10, UpperBound: 100, Count: 5}
//!             - {LowerBound: 100, Count: 10}
//! ```
//!
//! Bounds are queue depths, as written: the first step's `LowerBound` is the threshold of one
//! CloudWatch alarm on the queue's `ApproximateNumberOfMessagesVisible` (maximum over a minute).
//! In alarm, a `StepScaling` policy sets the task count (`ExactCapacity`) of the step the depth
//! falls in (Application Auto Scaling's intervals are relative to the threshold, so each bound
//! is written minus the threshold). Back below the threshold, or without data from an idle
//! queue, a second policy brings the family down to its range's minimum. Steps are sorted by
//! `LowerBound` and must follow each other without gap or overlap; the last one is open-ended.

use crate::compose::read::{kind, object, uint};
use crate::diagnostics::{index, join, Diagnostics};
use crate::plan::families::Family;
use crate::plan::{Emit, Plan, Queue, Step};
use serde_json::{json, Value};

/// ECS ComposeX's default cooldown of both policies, in seconds.
const COOLDOWN: u64 = 60;

/// The queues family `fam` scales on: every `x-sqs` consumer with `Scaling` that names the
/// family or one of its services.
pub fn collect(plan: &Plan, fam: &Family, d: &mut Diagnostics) -> Vec<Queue> {
    let mut out: Vec<Queue> = Vec::new();
    for decl in &plan.queue_scaling {
        if !plan.families.resolve(&decl.consumer).is_some_and(|fams| fams.iter().any(|f| f.name == fam.name)) {
            continue;
        }
        if let Some(other) = out.iter().find(|q| q.id == decl.queue.id) {
            let what = if decl.queue.on_alarm { "alarm" } else { "queue" };
            d.error(
                "CX5079",
                &decl.queue.path,
                format!("{} already scales task family {:?} on this {what}; keep one", other.path, fam.name),
            );
            continue;
        }
        out.push(decl.queue.clone());
    }
    out
}

/// A consumer's `Scaling` of queue `name` (logical ID `id`), read; with `on_alarm`, a service's
/// `Scaling` on the `x-alarms` alarm `name`, whose bounds are the metric above its threshold.
pub fn parse(v: &Value, path: &str, name: &str, id: &str, on_alarm: bool, d: &mut Diagnostics) -> Option<Queue> {
    let unit = if on_alarm { "metric value above the alarm's threshold" } else { "number of messages" };
    let m = object(v, path, "Scaling", d)?;
    let mut q = Queue {
        name: name.to_string(),
        id: id.to_string(),
        path: path.to_string(),
        steps: vec![],
        scale_in_cooldown: COOLDOWN,
        scale_out_cooldown: COOLDOWN,
        on_alarm,
    };
    let mut written: Vec<(Step, String)> = Vec::new();
    let mut ok = true;
    for (k, v) in m {
        let p = join(path, k);
        match k.as_str() {
            "ScaleInCooldown" => q.scale_in_cooldown = uint(v, &p, "number of seconds", d).unwrap_or(COOLDOWN),
            "ScaleOutCooldown" => q.scale_out_cooldown = uint(v, &p, "number of seconds", d).unwrap_or(COOLDOWN),
            "Steps" => match v.as_array() {
                Some(list) if !list.is_empty() => {
                    for (i, s) in list.iter().enumerate() {
                        match step(s, &index(&p, i), unit, d) {
                            Some(s) => written.push((s, index(&p, i))),
                            None => ok = false,
                        }
                    }
                }
                _ => {
                    d.error(
                        "CX5080",
                        &p,
                        format!("Steps must be a list of {{LowerBound, UpperBound, Count}}, not {}", kind(v)),
                    );
                    ok = false;
                }
            },
            _ => {
                d.error(
                    "CX5081",
                    &p,
                    format!("{k:?} is not a Scaling key; use Steps, ScaleInCooldown or ScaleOutCooldown"),
                );
                ok = false;
            }
        }
    }
    if !m.contains_key("Steps") {
        d.error("CX5082", 
            join(path, "Steps"),
            "Scaling needs Steps: how many tasks for how many messages, like [{LowerBound: 0, UpperBound: 10, Count: 1}, {LowerBound: 10, Count: 5}]",
        );
        return None;
    }
    if !ok {
        return None;
    }
    written.sort_by_key(|(s, _)| s.lower);
    // The alarm fires at its threshold, bound 0: a first step above it would leave the metric
    // between the threshold and that step without a task count, which Application Auto Scaling
    // refuses at run time.
    if on_alarm && written[0].0.lower != 0 {
        d.error(
            "CX5154",
            join(&written[0].1, "LowerBound"),
            format!(
                "{} must be 0: bounds are the metric above the alarm's Threshold, and the first step starts there",
                written[0].0.lower
            ),
        );
        return None;
    }
    let noun = if on_alarm { "above the threshold" } else { "messages" };
    let last = written.len() - 1;
    for i in 0..written.len() {
        let (s, p) = &written[i];
        if let Some(prev) = i.checked_sub(1).map(|j| &written[j].0) {
            match prev.upper {
                None => {
                    d.error(
                        "CX5083",
                        join(p, "LowerBound"),
                        format!(
                            "the step from {} has no UpperBound, so it covers this one; give it UpperBound {}",
                            prev.lower, s.lower
                        ),
                    );
                    ok = false;
                }
                Some(u) if u != s.lower => {
                    d.error("CX5084", 
                        join(p, "LowerBound"),
                        format!("{} must be {u}, the UpperBound of the step below it: steps can have neither gaps nor overlaps", s.lower),
                    );
                    ok = false;
                }
                Some(_) => {}
            }
        }
        if i == last {
            if let Some(u) = s.upper {
                d.warn(
                    "CX5085",
                    join(p, "UpperBound"),
                    format!(
                        "ignored: the last step has no upper bound, so {} tasks run from {} {noun} up, beyond {u} too",
                        s.count, s.lower
                    ),
                );
            }
        }
    }
    if !ok {
        return None;
    }
    q.steps = written.into_iter().map(|(s, _)| s).collect();
    if let Some(s) = q.steps.last_mut() {
        s.upper = None;
    }
    Some(q)
}

fn step(v: &Value, path: &str, unit: &str, d: &mut Diagnostics) -> Option<Step> {
    let m = object(v, path, "a step", d)?;
    let (mut lower, mut upper, mut count) = (None, None, None);
    let mut ok = true;
    for (k, v) in m {
        let p = join(path, k);
        let n = match k.as_str() {
            "LowerBound" | "UpperBound" => uint(v, &p, unit, d),
            "Count" => uint(v, &p, "number of tasks", d),
            _ => {
                d.error("CX5086", &p, format!("{k:?} is not a step key; use LowerBound, UpperBound and Count"));
                ok = false;
                continue;
            }
        };
        ok &= n.is_some();
        match k.as_str() {
            "LowerBound" => lower = n,
            "UpperBound" => upper = n,
            _ => count = n,
        }
    }
    for (key, found) in [("LowerBound", lower.is_some()), ("Count", count.is_some())] {
        if !found && !m.contains_key(key) {
            d.error("CX5087", join(path, key), format!("a step needs {key}"));
            ok = false;
        }
    }
    if let (Some(l), Some(u)) = (lower, upper) {
        if l >= u {
            d.error("CX5088", join(path, "UpperBound"), format!("{u} must be above LowerBound ({l})"));
            ok = false;
        }
    }
    ok.then(|| Step { lower: lower.unwrap_or(0), upper, count: count.unwrap_or(0) })
}

/// For each queue: the scale-out and scale-in policies on the family's scalable target, and
/// the alarm on the queue's depth that drives them.
pub fn expand(ctx: &mut Emit, fam: &Family, target: &str, queues: &[Queue]) {
    for q in queues {
        // A queue's bounds are depths, made relative to the depth alarm's threshold; an
        // x-alarms alarm's are relative to its own threshold already.
        let threshold = if q.on_alarm { 0 } else { q.steps[0].lower };
        let adjustments: Vec<Value> = q
            .steps
            .iter()
            .map(|s| {
                let mut a = json!({"MetricIntervalLowerBound": s.lower - threshold, "ScalingAdjustment": s.count});
                if let Some(u) = s.upper {
                    a["MetricIntervalUpperBound"] = json!(u - threshold);
                }
                a
            })
            .collect();
        let prefix = format!("{}{}", fam.id, q.id);
        // An alarm and a queue may share a name; their policies on one target may not.
        let source = if q.on_alarm { format!("alarm-{}", q.name) } else { q.name.clone() };
        let (out_id, in_id) = (format!("{prefix}ScaleOutPolicy"), format!("{prefix}ScaleInPolicy"));
        let policy = |suffix: &str, cooldown: u64, steps: Value| {
            json!({"Type": "AWS::ApplicationAutoScaling::ScalingPolicy", "Properties": {
                "PolicyName": {"Fn::Sub": format!("${{AWS::StackName}}-{}-{source}-{suffix}", fam.name)},
                "PolicyType": "StepScaling",
                "ScalingTargetId": {"Ref": target},
                "StepScalingPolicyConfiguration": {
                    "AdjustmentType": "ExactCapacity",
                    "Cooldown": cooldown,
                    "MetricAggregationType": "Maximum",
                    "StepAdjustments": steps
                }
            }})
        };
        ctx.add(&fam.name, out_id.clone(), policy("out", q.scale_out_cooldown, Value::Array(adjustments)));
        // Below the threshold: ExactCapacity 0, which Application Auto Scaling raises to the
        // scalable target's current minimum (scheduled actions may change it).
        ctx.add(
            &fam.name,
            in_id.clone(),
            policy("in", q.scale_in_cooldown, json!([{"MetricIntervalUpperBound": 0, "ScalingAdjustment": 0}])),
        );
        if q.on_alarm {
            // The x-alarms alarm names both policies in its actions (`kinds::alarms`).
            continue;
        }
        ctx.add(
            &fam.name,
            format!("{prefix}DepthAlarm"),
            json!({"Type": "AWS::CloudWatch::Alarm", "Properties": {
                "AlarmDescription": format!("Task count of family {} by the depth of queue {} ({})", fam.name, q.name, q.path),
                "Namespace": "AWS/SQS",
                "MetricName": "ApproximateNumberOfMessagesVisible",
                "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [q.id, "QueueName"]}}],
                "Statistic": "Maximum",
                "Period": 60,
                "EvaluationPeriods": 1,
                "DatapointsToAlarm": 1,
                "Threshold": threshold,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": [{"Ref": out_id}],
                "OKActions": [{"Ref": in_id}]
            }}),
        );
    }
}
