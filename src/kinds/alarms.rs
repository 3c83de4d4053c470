//! `x-alarms` (ECS ComposeX syntax): CloudWatch alarms (`AWS::CloudWatch::Alarm`, logical ID
//! `<Name>Alarm`) from `Properties`, and composite alarms (`AWS::CloudWatch::CompositeAlarm`)
//! from `MacroParameters.CompositeExpression`, whose rule names other alarms of `x-alarms`.
//!
//! - `Properties` are the alarm's, with `x-kind::name` references resolved; a dimension value
//!   `x-elbv2::<lb>` is the load balancer's `LoadBalancerFullName` and
//!   `x-elbv2::<lb>::<family>::<port>` the `TargetGroupFullName` of its target group for that
//!   family and port, which must exist.
//! - `Topics`: where the alarm notifies, `x-sns: <name>` (a topic of the file) or `TopicArn`,
//!   on the states `NotifyOn` names (`all`, the default: alarm and back to OK; `alarm`; `okay`).
//! - `MacroParameters.ServiceName`: the service or task family the alarm watches; its
//!   dimensions are that family's ECS service (`ClusterName`, `ServiceName`), in place of
//!   `Properties.Dimensions`.
//! - `Services.<service or family>.Scaling`: the alarm sets the family's task count, by the
//!   step scaling of `emit::steps`: `Steps` (`LowerBound`, `UpperBound`, `Count`), whose bounds
//!   are the metric above the alarm's `Threshold` (the first starts at 0), set the task count
//!   in alarm (`ScaleOutCooldown`); back to OK, the family returns to its range's minimum
//!   (`ScaleInCooldown`). Both policies are the alarm's actions, beside its topics. The alarm
//!   must fire above its threshold (`GreaterThan…` comparison). A composite alarm cannot act on
//!   Application Auto Scaling, so its `Services` are refused. `Lookup` is refused like every
//!   other kind's (it needs AWS calls at transform time).
//!
//! The stage runs after `x-elbv2`, whose resources the dimensions name, and before the
//! families' scaling is planned, which reads the `Scaling` read here.

use crate::cfn::naming::pascal;
use crate::cfn::{get_att, is_intrinsic};
use crate::compose::read::{kind, show};
use crate::diagnostics::{index, join};
use crate::plan::families::service_id;
use crate::plan::{Ctx, QueueScaling};
use serde_json::{json, Map, Value};

pub const KEY: &str = "x-alarms";

/// The logical ID of alarm `name`.
pub fn alarm_id(name: &str) -> String {
    format!("{}Alarm", pascal(name))
}

pub fn expand(ctx: &mut Ctx) {
    let Some(x) = ctx.project.extensions.get(KEY) else { return };
    let Some(alarms) = x.as_object() else {
        return ctx.d.error(
            "CX4246",
            KEY,
            format!("x-alarms must be a mapping of alarm names to alarms, not {}", kind(x)),
        );
    };
    for (name, def) in alarms {
        let path = join(KEY, name);
        let Some(def) = def.as_object() else {
            ctx.d.error(
                "CX4247",
                &path,
                format!("an alarm must be a mapping with Properties or MacroParameters, not {}", kind(def)),
            );
            continue;
        };
        alarm(ctx, alarms, name, def, &path);
    }
}

fn alarm(ctx: &mut Ctx, alarms: &Map<String, Value>, name: &str, def: &Map<String, Value>, path: &str) {
    let mut props = Map::new();
    let mut composite: Option<Value> = None;
    let mut actions: (Vec<Value>, Vec<Value>) = (Vec::new(), Vec::new());
    let mut service_dimensions: Option<Value> = None;
    let mut scaled: Option<String> = None;
    let is_composite = def.get("MacroParameters").is_some_and(|m| m.get("CompositeExpression").is_some());
    for (k, v) in def {
        let p = join(path, k);
        match k.as_str() {
            "Properties" => match v.as_object() {
                Some(m) => {
                    for (pk, pv) in m {
                        let pp = join(&p, pk);
                        let value = if pk == "Dimensions" { dimensions(ctx, pv, &pp) } else { pv.clone() };
                        let value = crate::plan::refs::resolve(&ctx.plan.declared, &value, &pp, &mut ctx.d);
                        props.insert(pk.clone(), value);
                    }
                }
                None => ctx.d.error("CX4248", &p, format!("Properties must be a mapping of AWS::CloudWatch::Alarm properties, not {}", kind(v))),
            },
            "MacroParameters" => {
                for (mk, mv) in v.as_object().into_iter().flatten() {
                    let mp = join(&p, mk);
                    match (mk.as_str(), mv) {
                        ("CompositeExpression", Value::String(e)) => composite = rule(ctx, alarms, name, e, &mp),
                        ("CompositeExpression", other) => ctx.d.error("CX4249", &mp, format!("{} is not an alarm rule; write one such as ALARM(alarm-01) and OK(alarm-02)", show(other))),
                        ("ServiceName", _) if is_composite => ctx.d.error("CX4250", &mp, "a composite alarm has no dimensions; name the service in one of the alarms its rule names"),
                        ("ServiceName", Value::String(n)) => service_dimensions = ecs_dimensions(ctx, n, &mp),
                        ("ServiceName", other) => ctx.d.error("CX4367", &mp, format!("{} is not a service name; write the name of a service or task family", show(other))),
                        _ => ctx.d.error("CX4251", &mp, format!("{mk:?} is not an x-alarms macro parameter; use CompositeExpression or ServiceName")),
                    }
                }
            }
            "Topics" => topics(ctx, v, &p, &mut actions),
            "Services" if is_composite => ctx.d.error("CX4252", &p, "a composite alarm cannot trigger Application Auto Scaling (CloudWatch runs only SNS, Lambda and Systems Manager actions on one): put Services on a metric alarm its rule names"),
            "Services" => {
                services(ctx, name, v, &p, &mut actions);
                scaled = Some(p);
            }
            "Lookup" => ctx.d.error("CX4253", &p, "Lookup needs AWS API calls while the template is transformed, which a macro cannot make; declare the alarm with Properties"),
            "Settings" => {
                if v.as_object().is_some_and(|m| !m.is_empty()) {
                    ctx.d.warn("CX4254", &p, "ignored: an x-alarms alarm has no settings ComposeX applies");
                }
            }
            _ => ctx.d.error("CX4255", &p, format!("{k:?} is not an x-alarms key; use Properties, MacroParameters, Services, Topics, Settings")),
        }
    }
    let (on_alarm, on_ok) = actions;
    let id = alarm_id(name);
    let resource = if let Some(rule) = composite {
        if !props.is_empty() {
            ctx.d.error(
                "CX4256",
                join(path, "Properties"),
                "a composite alarm is its CompositeExpression; remove Properties, or make it an alarm of its own",
            );
            return;
        }
        let mut p = json!({"AlarmRule": rule, "AlarmDescription": format!("x-alarms {name}: {}", def["MacroParameters"]["CompositeExpression"].as_str().unwrap_or_default())});
        set_actions(&mut p, on_alarm, on_ok);
        json!({"Type": "AWS::CloudWatch::CompositeAlarm", "Properties": p})
    } else {
        let written = def.get("MacroParameters").is_some_and(|m| m.get("CompositeExpression").is_some());
        if !def.contains_key("Properties") && !written && !def.contains_key("Lookup") {
            ctx.d.error(
                "CX4257",
                path,
                "an alarm needs Properties (MetricName, Namespace, Threshold…) or MacroParameters.CompositeExpression",
            );
            return;
        }
        for k in ["AlarmActions", "OKActions"] {
            if props.contains_key(k) {
                ctx.d.error(
                    "CX4258",
                    join(&join(path, "Properties"), k),
                    "the actions come from Topics; list the topics there",
                );
            }
        }
        if let Some(dims) = service_dimensions {
            if props.contains_key("Dimensions") {
                ctx.d.error(
                    "CX4368",
                    join(&join(path, "Properties"), "Dimensions"),
                    "MacroParameters.ServiceName sets the dimensions; remove one of them",
                );
            }
            props.insert("Dimensions".into(), dims);
        }
        if let Some(p) = &scaled {
            let op = props.get("ComparisonOperator").and_then(Value::as_str).unwrap_or_default();
            if !matches!(op, "GreaterThanThreshold" | "GreaterThanOrEqualToThreshold") {
                ctx.d.error(
                    "CX4369",
                    join(&join(path, "Properties"), "ComparisonOperator"),
                    format!("{p} scales on the metric above the Threshold: use GreaterThanThreshold or GreaterThanOrEqualToThreshold"),
                );
            }
        }
        let mut p = Value::Object(props);
        set_actions(&mut p, on_alarm, on_ok);
        json!({"Type": "AWS::CloudWatch::Alarm", "Properties": p})
    };
    ctx.add(KEY, id, resource);
}

fn set_actions(props: &mut Value, on_alarm: Vec<Value>, on_ok: Vec<Value>) {
    if !on_alarm.is_empty() {
        props["AlarmActions"] = Value::Array(on_alarm);
    }
    if !on_ok.is_empty() {
        props["OKActions"] = Value::Array(on_ok);
    }
}

/// `MacroParameters.ServiceName`: the dimensions of that service's or family's ECS service.
fn ecs_dimensions(ctx: &mut Ctx, name: &str, path: &str) -> Option<Value> {
    let fams = match ctx.plan.families.resolve(name) {
        Some(f) if f.len() == 1 => f,
        Some(f) => {
            let names: Vec<&str> = f.iter().map(|f| f.name.as_str()).collect();
            ctx.d.error(
                "CX4370",
                path,
                format!("service {name:?} runs in task families {}; name one of them", names.join(", ")),
            );
            return None;
        }
        None => {
            ctx.d.error("CX4371", path, format!("{name:?} is no service nor task family of the file"));
            return None;
        }
    };
    let service = service_id(fams[0]);
    Some(json!([
        {"Name": "ClusterName", "Value": ctx.plan.infra.cluster_name.clone()},
        {"Name": "ServiceName", "Value": get_att(&service, "Name")}
    ]))
}

/// `Services`: each service or family whose `Scaling` the alarm drives, read into the plan for
/// the family's scaling; the scale-out policy joins the alarm's actions, the scale-in one its
/// OK actions.
fn services(ctx: &mut Ctx, alarm: &str, v: &Value, path: &str, actions: &mut (Vec<Value>, Vec<Value>)) {
    let Some(m) = v.as_object() else {
        return ctx.d.error(
            "CX4372",
            path,
            format!("Services must be a mapping of service or family names to {{Scaling}}, not {}", kind(v)),
        );
    };
    let id = alarm_id(alarm);
    for (svc, def) in m {
        let p = join(path, svc);
        let Some(def) = def.as_object() else {
            ctx.d.error(
                "CX4373",
                &p,
                format!("a service of an alarm must be a mapping with Scaling, not {}", kind(def)),
            );
            continue;
        };
        let Some(fams) = ctx.plan.families.resolve(svc) else {
            ctx.d.error("CX4374", &p, format!("{svc:?} is no service nor task family of the file"));
            continue;
        };
        let fams: Vec<String> = fams.iter().map(|f| f.id.clone()).collect();
        let mut queue = None;
        for (k, v) in def {
            let kp = join(&p, k);
            match k.as_str() {
                "Access" => {
                    if v.as_str() != Some("NA") {
                        ctx.d.warn("CX4375", &kp, "ignored: an alarm grants no access; write NA or leave it out");
                    }
                }
                "Scaling" | "scaling" => queue = crate::emit::steps::parse(v, &kp, alarm, &id, true, &mut ctx.d),
                "ReturnValues" => ctx.d.error(
                    "CX4384",
                    &kp,
                    "an alarm gives its services no value in their environment; remove ReturnValues (to give them the alarm's name, set it under environment)",
                ),
                _ => ctx.d.error("CX4376", &kp, format!("{k:?} is not a key of an alarm's service; use Scaling")),
            }
        }
        if !def.keys().any(|k| k.eq_ignore_ascii_case("scaling")) {
            ctx.d.warn("CX4377", &p, "ignored: without Scaling, the alarm does nothing to this service");
            continue;
        }
        let Some(queue) = queue else { continue };
        ctx.plan.queue_scaling.push(QueueScaling { consumer: svc.clone(), queue });
        for fam in fams {
            let (out, scale_in) =
                (json!({"Ref": format!("{fam}{id}ScaleOutPolicy")}), json!({"Ref": format!("{fam}{id}ScaleInPolicy")}));
            if !actions.0.contains(&out) {
                actions.0.push(out);
            }
            if !actions.1.contains(&scale_in) {
                actions.1.push(scale_in);
            }
        }
    }
}

/// `Topics`: each an `x-sns` topic of the file or a `TopicArn`, with `NotifyOn`.
fn topics(ctx: &mut Ctx, v: &Value, path: &str, actions: &mut (Vec<Value>, Vec<Value>)) {
    let Some(list) = v.as_array() else {
        return ctx.d.error(
            "CX4259",
            path,
            format!("Topics must be a list of {{x-sns: name}} or {{TopicArn: arn}}, not {}", kind(v)),
        );
    };
    for (i, t) in list.iter().enumerate() {
        let p = index(path, i);
        let Some(m) = t.as_object() else {
            ctx.d.error(
                "CX4260",
                &p,
                format!("{} is not a topic; write {{x-sns: name}} or {{TopicArn: arn}}", show(t)),
            );
            continue;
        };
        let mut arn = None;
        let (mut alarm, mut ok) = (true, true);
        for (k, v) in m {
            let kp = join(&p, k);
            match (k.as_str(), v) {
                ("x-sns", Value::String(n)) => match ctx.plan.declared.id("x-sns", n) {
                    Some(id) => arn = Some(json!({"Ref": id})),
                    None => ctx.d.error(
                        "CX4261",
                        &kp,
                        format!("x-sns declares no topic {n:?}; declare it, or give its TopicArn"),
                    ),
                },
                ("TopicArn", Value::String(a)) if a.starts_with("arn:") && a.contains(":sns:") => arn = Some(v.clone()),
                ("TopicArn", v) if is_intrinsic(v) => arn = Some(v.clone()),
                ("x-sns" | "TopicArn", other) => {
                    ctx.d.error("CX4262", &kp, format!("{} is not a topic name or ARN", show(other)))
                }
                ("NotifyOn", v) => {
                    let states: Vec<&Value> = match v {
                        Value::Array(a) => a.iter().collect(),
                        other => vec![other],
                    };
                    (alarm, ok) = (false, false);
                    for s in states {
                        match s.as_str() {
                            Some("all") => (alarm, ok) = (true, true),
                            Some("alarm") => alarm = true,
                            Some("okay") => ok = true,
                            _ => ctx.d.error(
                                "CX4263",
                                &kp,
                                format!("{} is not a state to notify on; use all, alarm or okay", show(s)),
                            ),
                        }
                    }
                }
                _ => {
                    ctx.d.error("CX4264", &kp, format!("{k:?} is not a topic key; use x-sns or TopicArn, and NotifyOn"))
                }
            }
        }
        let Some(arn) = arn else {
            if !m.contains_key("x-sns") && !m.contains_key("TopicArn") {
                ctx.d.error("CX4265", &p, "a topic needs x-sns (a topic of the file) or TopicArn");
            }
            continue;
        };
        if alarm && !actions.0.contains(&arn) {
            actions.0.push(arn.clone());
        }
        if ok && !actions.1.contains(&arn) {
            actions.1.push(arn);
        }
    }
}

/// `Dimensions` with `x-elbv2::` values made the load balancer's or target group's full name.
fn dimensions(ctx: &mut Ctx, v: &Value, path: &str) -> Value {
    let Some(list) = v.as_array() else { return v.clone() };
    let mut out = Vec::new();
    for (i, dim) in list.iter().enumerate() {
        let mut dim = dim.clone();
        if let Some(text) = dim["Value"].as_str().filter(|t| t.starts_with("x-elbv2::")) {
            let p = join(&index(path, i), "Value");
            if let Some(value) = elbv2_name(ctx, text, &p) {
                dim["Value"] = value;
            }
        }
        out.push(dim);
    }
    Value::Array(out)
}

/// `x-elbv2::<lb>` → `LoadBalancerFullName`; `x-elbv2::<lb>::<family>::<port>` →
/// `TargetGroupFullName` of that load balancer's target group for the family and port.
fn elbv2_name(ctx: &mut Ctx, text: &str, path: &str) -> Option<Value> {
    let parts: Vec<&str> = text.split("::").collect();
    let lb = format!("{}LoadBalancer", pascal(parts.get(1).copied().unwrap_or_default()));
    if !ctx.t.resource(&lb).is_some_and(|r| r["Type"] == "AWS::ElasticLoadBalancingV2::LoadBalancer") {
        ctx.d.error(
            "CX4266",
            path,
            format!("{text}: x-elbv2 declares no load balancer {:?}", parts.get(1).copied().unwrap_or_default()),
        );
        return None;
    }
    match parts.len() {
        2 => Some(get_att(&lb, "LoadBalancerFullName")),
        4 => {
            let (family, port) = (parts[2], parts[3]);
            let prefix = format!("{lb}{}", pascal(family));
            let found = ctx.t.ids().find(|id| {
                id.starts_with(&prefix)
                    && ctx.t.resource(id).is_some_and(|r| {
                        r["Type"] == "AWS::ElasticLoadBalancingV2::TargetGroup"
                            && r["Properties"]["Port"].to_string().trim_matches('"') == port
                    })
            });
            match found {
                Some(id) => Some(get_att(id, "TargetGroupFullName")),
                None => {
                    ctx.d.error("CX4267", path, format!("{text}: load balancer {:?} has no target group for {family:?} on port {port}; name a target of its Services", parts[1]));
                    None
                }
            }
        }
        _ => {
            ctx.d.error(
                "CX4268",
                path,
                format!(
                    "{text} names no load balancer resource; write x-elbv2::<lb> or x-elbv2::<lb>::<family>::<port>"
                ),
            );
            None
        }
    }
}

/// `ALARM(alarm-01) and OK(alarm-02)` → the rule with each alarm named by its ARN, as a
/// `Fn::Sub`; every name must be an alarm of `x-alarms` other than this one.
fn rule(ctx: &mut Ctx, alarms: &Map<String, Value>, own: &str, expression: &str, path: &str) -> Option<Value> {
    const STATES: [&str; 3] = ["INSUFFICIENT_DATA(", "ALARM(", "OK("];
    let mut out = String::new();
    let mut ok = true;
    let mut i = 0;
    let bytes = expression.as_bytes();
    while i < expression.len() {
        let at_word = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        let state = STATES.iter().find(|s| at_word && expression[i..].starts_with(*s));
        let Some(state) = state else {
            let c = expression[i..].chars().next().unwrap_or_default();
            out.push(c);
            i += c.len_utf8();
            continue;
        };
        let open = i + state.len();
        let Some(close) = expression[open..].find(')').map(|c| open + c) else {
            ctx.d.error("CX4269", path, format!("{state} is not closed; write {state}alarm-name)"));
            return None;
        };
        let name = expression[open..close].trim().trim_matches('"');
        if name != own && alarms.contains_key(name) {
            out.push_str(&format!("{state}\"${{{}.Arn}}\")", alarm_id(name)));
        } else {
            let others: Vec<&str> = alarms.keys().map(String::as_str).filter(|k| *k != own).collect();
            ctx.d.error(
                "CX4270",
                path,
                format!("{state}{name}) names no other alarm of x-alarms; name one of {}", others.join(", ")),
            );
            ok = false;
        }
        i = close + 1;
    }
    ok.then(|| json!({"Fn::Sub": out}))
}
