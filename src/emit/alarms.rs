//! A service's predefined alarms (`services.<name>.x-alarms.Predefined`, ECS ComposeX syntax),
//! on the ECS service of each family the service is in. `HighCpuUsageAndMaxScaledOut` and
//! `HighRamUsageAndMaxScaledOut` are each three resources:
//!
//! - `<Family><Name>UsageAlarm`: the service's average `CPUUtilization` / `MemoryUtilization`
//!   (`AWS/ECS`, dimensions `ClusterName` and `ServiceName`) at or above the threshold (default
//!   75 %), over `Period` (60 s), `EvaluationPeriods` (10) and `DatapointsToAlarm` (5);
//! - `<Family><Name>TaskCountAlarm`: the service's `RunningTaskCount` (`ECS/ContainerInsights`,
//!   the Container Insights the cluster ComposeX creates turns on) at or above `RunningTaskCount`
//!   over one minute; that count defaults to the family's scaling maximum, or, for a family that
//!   does not scale, to the tasks it runs (it never runs more);
//! - `<Family><Name>Alarm`: the composite alarm `ALARM(usage) AND ALARM(task count)`: the family
//!   is busy and cannot scale out further. It alone notifies the `Topics`, on alarm and back to OK.
//!
//! In a family of several services, the IDs carry the service's name after the family's.

use crate::cfn::get_att;
use crate::cfn::naming::pascal;
use crate::ext::alarms::{Alarm, Topic};
use crate::plan::families::{service_id, Family};
use crate::plan::Emit;
use serde_json::{json, Value};

/// The prefix of the logical IDs of a service's alarms: the family's, with the service's name
/// when the family has several services (each may ask for the same alarm with its own settings).
fn prefix(fam: &Family, service: &str) -> String {
    if fam.services.len() == 1 {
        fam.id.clone()
    } else {
        format!("{}{}", fam.id, pascal(service))
    }
}

pub fn expand(ctx: &mut Emit, fam: &Family) {
    for service in &fam.services {
        let prefix = prefix(fam, service);
        for alarm in &ctx.ext.service(service).alarms {
            predefined(ctx, fam, &prefix, alarm);
        }
    }
}

fn predefined(ctx: &mut Emit, fam: &Family, prefix: &str, alarm: &Alarm) {
    let name = alarm.kind.name();
    let Some(tasks) = alarm.running_tasks.or_else(|| maximum(ctx, fam)) else {
        return ctx.d.error(
            "CX5155",
            &alarm.path,
            format!("the number of tasks of task family {:?} is not known when the template is transformed; set Settings.RunningTaskCount", fam.name),
        );
    };
    let mut actions = Vec::new();
    for topic in &alarm.topics {
        let arn = match topic {
            Topic::Arn(a) => a.clone(),
            Topic::Sns(n, path) => match ctx.plan.declared.id("x-sns", n) {
                Some(id) => json!({"Ref": id}),
                None => {
                    ctx.d.error("CX5156", path, format!("x-sns declares no topic {n:?}; declare it, or give its ARN"));
                    continue;
                }
            },
        };
        if !actions.contains(&arn) {
            actions.push(arn);
        }
    }
    let dimensions = json!([
        {"Name": "ClusterName", "Value": ctx.plan.infra.cluster_name.clone()},
        {"Name": "ServiceName", "Value": get_att(&service_id(fam), "Name")}
    ]);
    let metric = alarm.kind.metric();
    let plural = if tasks == 1 { "task" } else { "tasks" };
    let usage = format!("{prefix}{name}UsageAlarm");
    let count = format!("{prefix}{name}TaskCountAlarm");
    ctx.add(
        &fam.name,
        usage.clone(),
        json!({"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "AlarmDescription": format!("{name} of task family {}: average {metric} at or above {}%", fam.name, alarm.utilization),
            "Namespace": "AWS/ECS",
            "MetricName": metric,
            "Dimensions": dimensions,
            "Statistic": "Average",
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Threshold": alarm.utilization,
            "Period": alarm.period,
            "EvaluationPeriods": alarm.evaluation_periods,
            "DatapointsToAlarm": alarm.datapoints,
            "TreatMissingData": "notBreaching"
        }}),
    );
    ctx.add(
        &fam.name,
        count.clone(),
        json!({"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "AlarmDescription": format!("{name} of task family {}: {tasks} or more running {plural}", fam.name),
            "Namespace": "ECS/ContainerInsights",
            "MetricName": "RunningTaskCount",
            "Dimensions": dimensions,
            "Statistic": "Sum",
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Threshold": tasks,
            "Period": 60,
            "EvaluationPeriods": 1,
            "DatapointsToAlarm": 1,
            "TreatMissingData": "notBreaching"
        }}),
    );
    let mut props = json!({
        "AlarmDescription": format!("{}: task family {} busy and scaled out to {tasks} {plural}", alarm.path, fam.name),
        "AlarmRule": {"Fn::Sub": format!("ALARM(\"${{{usage}.Arn}}\") AND ALARM(\"${{{count}.Arn}}\")")}
    });
    if !actions.is_empty() {
        props["AlarmActions"] = Value::Array(actions.clone());
        props["OKActions"] = Value::Array(actions);
    }
    ctx.add(
        &fam.name,
        format!("{prefix}{name}Alarm"),
        json!({"Type": "AWS::CloudWatch::CompositeAlarm", "Properties": props}),
    );
}

/// The most tasks the family runs: its scaling maximum, else its largest `deploy.replicas`
/// (default 1); none when a count is not a number (a template parameter).
fn maximum(ctx: &Emit, fam: &Family) -> Option<u64> {
    if let Some(s) = ctx.plan.scaling.get(&fam.name) {
        return Some(s.max);
    }
    let mut most = 1;
    for name in &fam.services {
        if let Some(r) = &ctx.project.services[name].deploy.replicas {
            most = most.max(r.as_u64().or_else(|| r.as_str()?.trim().parse().ok())?);
        }
    }
    Some(most)
}
