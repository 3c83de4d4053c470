//! `x-events`: EventBridge rules that start task families' tasks, in ECS ComposeX's syntax.
//!
//! Each rule (`AWS::Events::Rule`) has a `ScheduleExpression` (`rate(…)`, `cron(…)`) or an
//! `EventPattern`, and one ECS target per task family its `Services` name: `TaskCount` tasks of
//! the family's task definition, on FARGATE (or the family's EC2 capacity provider), in the
//! application subnets with the family's security group and no public IP. Each rule has its own IAM role, trusted by EventBridge of
//! this account, that may `ecs:RunTask` on exactly the task definitions of its targets (in the
//! cluster only) and `iam:PassRole` on exactly those families' execution and task roles (to ECS
//! tasks only); nothing else.
//!
//! `DeleteDefaultService: true` (ECS ComposeX: no ECS service, only the task definition; its
//! code deletes the service) sets the family's ECS service to `DesiredCount: 0` instead: other
//! resources refer to the service (its output, other services' `DependsOn`, load-balancer
//! targets), and a service at 0 runs no task between events, which is what the option is for.
//!
//! The rules need the families' roles, task definitions and services: the stage runs after the
//! family concerns ([`expand`], called by the renderer), and the registry lists the key as read
//! there.

use crate::cfn::naming::pascal;
use crate::cfn::{get_att, is_intrinsic, r#ref};
use crate::compose::read::{boolean, kind, literal, map_or, seq_or, show, uint};
use crate::diagnostics::{index, join};
use crate::emit::iam::{execution_role_id, task_role_id};
use crate::emit::network::task_security_groups;
use crate::emit::task::task_definition_id;
use crate::plan::families::{service_id, Family};
use crate::plan::Emit;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub const KEY: &str = "x-events";

/// Properties of `AWS::Events::Rule` a file may set; `Targets` and `RoleArn` are ComposeX's.
const PROPERTIES: &[&str] = &["Description", "EventBusName", "EventPattern", "Name", "ScheduleExpression", "State"];

/// ECS `RunTask` starts at most 10 tasks a call; a rule has at most 5 targets.
const MAX_TASK_COUNT: u64 = 10;
const MAX_TARGETS: usize = 5;

/// One family a rule starts.
struct Target<'a> {
    fam: &'a Family,
    count: u64,
}

pub fn expand(ctx: &mut Emit) {
    let Some(x) = ctx.project.extensions.get(KEY) else { return };
    let Some(rules) = map_or(x, KEY, "x-events must be a mapping of rule names to rules", ctx.d) else { return };
    let mut idle: BTreeMap<String, String> = BTreeMap::new();
    for (name, def) in rules {
        let path = join(KEY, name);
        rule(ctx, name, def, &path, &mut idle);
    }
    for (fam, path) in idle {
        let id = ctx.plan.families.list.get(&fam).map(service_id);
        let Some(id) = id else { continue };
        if ctx.plan.scaling.get(&fam).is_some_and(|s| s.min > 0) {
            ctx.d.warn(
                "CX4232",
                join(&path, "DeleteDefaultService"),
                format!("task family {fam:?}: DeleteDefaultService sets its service to 0 tasks, and its scaling's minimum starts them again; lower the minimum to 0"),
            );
        }
        if let Some(mut service) = ctx.t.resource(&id).cloned() {
            service["Properties"]["DesiredCount"] = json!(0);
            ctx.t.replace(&id, service);
        }
    }
}

fn rule(ctx: &mut Emit, name: &str, def: &Value, path: &str, idle: &mut BTreeMap<String, String>) {
    let Some(def) = map_or(def, path, "an x-events rule must be a mapping with Properties and Services", ctx.d) else {
        return;
    };
    let mut props = Map::new();
    let mut targets: Vec<Target> = Vec::new();
    let mut services_seen = false;
    for (k, v) in def {
        let p = join(path, k);
        match k.as_str() {
            "Properties" => properties(ctx, v, &p, &mut props),
            "Services" => {
                services_seen = true;
                services(ctx, v, &p, &mut targets, idle);
            }
            "Lookup" => ctx.d.error("CX4213", 
                &p,
                "Lookup needs AWS API calls while the template is transformed, which a macro cannot make; declare the rule with Properties",
            ),
            "Settings" | "MacroParameters" => {
                if v.as_object().is_some_and(|m| !m.is_empty()) {
                    ctx.d.warn("CX4214", &p, "ignored: an x-events rule has no settings ComposeX applies");
                }
            }
            _ => ctx.d.error("CX4215", 
                &p,
                format!("{k:?} is not an x-events key; use Properties, Services, Settings or MacroParameters"),
            ),
        }
    }
    if def.contains_key("Lookup") {
        return;
    }
    if !def.contains_key("Properties") {
        ctx.d.error("CX4216", path, "a rule needs Properties with a ScheduleExpression or an EventPattern");
        return;
    }
    if !services_seen {
        ctx.d.error("CX4217", path, "a rule needs Services: the services whose tasks it starts");
        return;
    }
    if targets.is_empty() {
        return;
    }
    if targets.len() > MAX_TARGETS {
        ctx.d.error(
            "CX4218",
            join(path, "Services"),
            format!(
                "a rule starts at most {MAX_TARGETS} task families (its targets), and this one names {}",
                targets.len()
            ),
        );
        return;
    }
    let id = format!("{}Rule", pascal(name));
    let role = format!("{id}Role");
    let cluster = cluster_arn(&ctx.plan.infra.cluster);
    let mut run = Vec::new();
    let mut pass = Vec::new();
    let mut list = Vec::new();
    for t in &targets {
        run.push(r#ref(&task_definition_id(t.fam)));
        pass.push(get_att(&execution_role_id(t.fam), "Arn"));
        if ctx.t.has(&task_role_id(t.fam)) {
            pass.push(get_att(&task_role_id(t.fam), "Arn"));
        }
        let mut ecs = json!({
            "TaskDefinitionArn": r#ref(&task_definition_id(t.fam)),
            "TaskCount": t.count,
            "NetworkConfiguration": {"AwsVpcConfiguration": {
                "AssignPublicIp": "DISABLED",
                "SecurityGroups": task_security_groups(ctx.ext, t.fam),
                "Subnets": ctx.plan.infra.app_subnets
            }}
        });
        // A family on EC2 capacity starts on its capacity provider, as its ECS service does.
        match ctx.plan.compute.get(&t.fam.name) {
            Some(e) => ecs["CapacityProviderStrategy"] = json!([{"CapacityProvider": r#ref(&e.provider), "Weight": 1}]),
            None => ecs["LaunchType"] = json!("FARGATE"),
        }
        list.push(json!({
            "Id": t.fam.id,
            "Arn": cluster,
            "RoleArn": get_att(&role, "Arn"),
            "EcsParameters": ecs
        }));
    }
    let policy = json!({
        "PolicyName": "RunTasks",
        "PolicyDocument": {"Version": "2012-10-17", "Statement": [
            {
                "Effect": "Allow",
                "Action": "ecs:RunTask",
                "Resource": run,
                "Condition": {"ArnEquals": {"ecs:cluster": cluster}}
            },
            {
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": pass,
                "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
            }
        ]}
    });
    let trust = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    }]});
    ctx.add(
        KEY,
        role,
        crate::cfn::resource("AWS::IAM::Role", json!({"AssumeRolePolicyDocument": trust, "Policies": [policy]})),
    );
    props.entry("State").or_insert(json!("ENABLED"));
    props.insert("Targets".into(), Value::Array(list));
    ctx.add(KEY, id, crate::cfn::resource("AWS::Events::Rule", Value::Object(props)));
}

/// The cluster's ARN: the created cluster's, an ARN given, or one built from a name given.
fn cluster_arn(cluster: &Value) -> Value {
    match cluster {
        Value::Object(m) if m.get("Ref").and_then(Value::as_str) == Some("Cluster") && m.len() == 1 => {
            get_att("Cluster", "Arn")
        }
        Value::String(s) if s.starts_with("arn:") => cluster.clone(),
        Value::String(s) => {
            json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:ecs:${{AWS::Region}}:${{AWS::AccountId}}:cluster/{s}")})
        }
        // An intrinsic of a `Use`, read as the cluster's name (as scaling reads it).
        other => json!({"Fn::Sub": [
            "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:cluster/${Name}", {"Name": other}
        ]}),
    }
}

fn properties(ctx: &mut Emit, v: &Value, path: &str, props: &mut Map<String, Value>) {
    let Some(m) = map_or(v, path, "Properties must be a mapping of AWS::Events::Rule properties", ctx.d) else {
        return;
    };
    for (k, v) in m {
        let p = join(path, k);
        match k.as_str() {
            "ScheduleExpression" => {
                if let Value::String(s) = v {
                    if let Err(e) = schedule(s) {
                        ctx.d.error("CX4219", &p, format!("{} is not a schedule expression: {e}", show(v)));
                        continue;
                    }
                } else if !is_intrinsic(v) {
                    ctx.d.error("CX4220", &p, format!("a schedule expression must be a string, not {}", kind(v)));
                    continue;
                }
            }
            "EventPattern" if !v.is_object() && !v.is_string() => {
                ctx.d.error("CX4221", &p, format!("an event pattern must be a mapping, not {}", kind(v)));
                continue;
            }
            "State" if v.is_string() => {
                let s = v.as_str().unwrap_or_default();
                if !matches!(s, "ENABLED" | "DISABLED") {
                    ctx.d.error("CX4222", &p, format!("{} is not a rule state; use ENABLED or DISABLED", show(v)));
                    continue;
                }
            }
            "Targets" | "RoleArn" => {
                ctx.d.error(
                    "CX4223",
                    &p,
                    format!("{k} is ComposeX's: the targets are the tasks of Services, with a role for this rule"),
                );
                continue;
            }
            k if PROPERTIES.contains(&k) => {}
            _ => {
                ctx.d.error(
                    "CX4224",
                    &p,
                    format!(
                        "{k:?} is not a property of an EventBridge rule ComposeX accepts; use {}",
                        PROPERTIES.join(", ")
                    ),
                );
                continue;
            }
        }
        props.insert(k.clone(), v.clone());
    }
    match (m.contains_key("ScheduleExpression"), m.contains_key("EventPattern")) {
        (false, false) => ctx.d.error("CX4225", path, "a rule needs a ScheduleExpression or an EventPattern"),
        (true, true) => ctx.d.error(
            "CX4226",
            path,
            "a rule has a ScheduleExpression or an EventPattern, not both; declare two rules",
        ),
        _ => {}
    }
}

/// `rate(N unit)` (minute, hour or day; singular for 1) or `cron(…)` with six fields.
fn schedule(s: &str) -> Result<(), String> {
    if let Some(inner) = s.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
        let mut parts = inner.split_whitespace();
        let (Some(n), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err("rate() takes a number and a unit: rate(5 minutes)".into());
        };
        let n: u64 = n.parse().ok().filter(|n| *n > 0).ok_or("the rate must be a positive whole number")?;
        let units: &[&str] = if n == 1 { &["minute", "hour", "day"] } else { &["minutes", "hours", "days"] };
        if !units.contains(&unit) {
            return Err(format!("the unit of rate({n} …) is one of {}", units.join(", ")));
        }
        return Ok(());
    }
    if let Some(inner) = s.strip_prefix("cron(").and_then(|r| r.strip_suffix(')')) {
        let fields: Vec<&str> = inner.split_whitespace().collect();
        if fields.len() != 6 {
            return Err(format!(
                "cron() takes six fields (minutes hours day-of-month month day-of-week year), and this has {}",
                fields.len()
            ));
        }
        // One of day-of-month and day-of-week must be `?`.
        if fields[2] != "?" && fields[4] != "?" {
            return Err("either the day-of-month (3rd) or the day-of-week (5th) field must be ?".into());
        }
        return Ok(());
    }
    Err("use rate(5 minutes) or cron(0 8 * * ? *)".into())
}

fn services<'a>(
    ctx: &mut Emit<'a>,
    v: &Value,
    path: &str,
    targets: &mut Vec<Target<'a>>,
    idle: &mut BTreeMap<String, String>,
) {
    let mut entries: Vec<(String, Option<&Value>, String)> = Vec::new();
    match v {
        Value::Array(_) => {
            let Some(items) = seq_or(v, path, "Services must be a mapping or a list", ctx.d) else { return };
            for (i, item) in items.iter().enumerate() {
                let ip = index(path, i);
                let Some(m) = map_or(item, &ip, "a Services entry must be a mapping with name and TaskCount", ctx.d)
                else {
                    continue;
                };
                let Some(name) = m.get("name") else {
                    ctx.d.error("CX4227", &ip, "a Services entry needs name: the service it starts");
                    continue;
                };
                let Some(name) = literal(name, &join(&ip, "name"), "the service name", ctx.d) else { continue };
                entries.push((name, Some(item), ip));
            }
        }
        _ => {
            let Some(m) = map_or(v, path, "Services must be a mapping of service names, or a list", ctx.d) else {
                return;
            };
            for (name, def) in m {
                entries.push((name.clone(), Some(def).filter(|d| !d.is_null()), join(path, name)));
            }
        }
    }
    for (name, def, p) in entries {
        let mut count = 1;
        let mut delete = false;
        if let Some(def) = def {
            let Some(m) = map_or(def, &p, "a service of a rule must be a mapping with TaskCount", ctx.d) else {
                continue;
            };
            for (k, v) in m {
                let kp = join(&p, k);
                match k.as_str() {
                    "name" => {}
                    "TaskCount" => match uint(v, &kp, "TaskCount", ctx.d) {
                        Some(n) if (1..=MAX_TASK_COUNT).contains(&n) => count = n,
                        Some(n) => ctx.d.error(
                            "CX4228",
                            &kp,
                            format!("a rule starts 1 to {MAX_TASK_COUNT} tasks of a family (ECS RunTask), not {n}"),
                        ),
                        None => {}
                    },
                    "DeleteDefaultService" => delete = boolean(v, &kp, ctx.d).unwrap_or(false),
                    _ => ctx.d.error(
                        "CX4229",
                        &kp,
                        format!("{k:?} is not a key of an x-events service; use TaskCount or DeleteDefaultService"),
                    ),
                }
            }
        }
        let plan = ctx.plan;
        let Some(fams) = plan.families.resolve(&name) else {
            ctx.d.error("CX4230", &p, format!("{name:?} is not a service nor a task family of this file"));
            continue;
        };
        for fam in fams {
            if delete {
                idle.entry(fam.name.clone()).or_insert_with(|| p.clone());
            }
            if targets.iter().any(|t| t.fam.name == fam.name) {
                ctx.d.warn(
                    "CX4231",
                    &p,
                    format!("task family {:?} is already a target of this rule; one target starts it", fam.name),
                );
                continue;
            }
            targets.push(Target { fam, count });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{cluster_arn, schedule};
    use serde_json::json;

    #[test]
    fn the_cluster_arn_of_each_form() {
        assert_eq!(cluster_arn(&json!({"Ref": "Cluster"})), json!({"Fn::GetAtt": ["Cluster", "Arn"]}));
        let arn = json!("arn:aws:ecs:eu-west-1:111122223333:cluster/prod");
        assert_eq!(cluster_arn(&arn), arn);
        assert_eq!(
            cluster_arn(&json!("prod")),
            json!({"Fn::Sub": "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:cluster/prod"})
        );
        let name = json!({"Ref": "ClusterName"});
        // A `Ref` of a parameter is the name the file gives, not a created cluster: only the
        // logical ID ComposeX creates (`Cluster`) has an `Arn` attribute.
        assert_eq!(cluster_arn(&name)["Fn::Sub"][1]["Name"], name);
    }

    #[test]
    fn schedules() {
        for ok in
            ["rate(1 minute)", "rate(2 minutes)", "rate(12 hours)", "cron(0 8 * * ? *)", "cron(0/5 * ? * MON-FRI *)"]
        {
            assert!(schedule(ok).is_ok(), "{ok}");
        }
        for bad in [
            "rate(1 minutes)",
            "rate(2 minute)",
            "rate(0 hours)",
            "rate(5 weeks)",
            "cron(0 8 * * *)",
            "cron(0 8 * * 1 *)",
            "every day",
        ] {
            assert!(schedule(bad).is_err(), "{bad}");
        }
    }
}
