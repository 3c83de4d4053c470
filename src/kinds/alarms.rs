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
//! - `Services` (scaling a family on the alarm) is refused: ComposeX does not build it, and a
//!   stack without it runs another number of tasks than the file says. `Lookup` is refused like
//!   every other kind's (it needs AWS calls at transform time).
//!
//! The stage runs after `x-elbv2`, whose resources the dimensions name.

use crate::cfn::naming::pascal;
use crate::cfn::{get_att, is_intrinsic};
use crate::compose::read::{kind, show};
use crate::diagnostics::{index, join};
use crate::plan::Ctx;
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
                        ("ServiceName", _) => ctx.d.error("CX4250", &mp, "setting the dimensions from a service is not built; write Properties.Dimensions (ClusterName, ServiceName)"),
                        _ => ctx.d.error("CX4251", &mp, format!("{mk:?} is not an x-alarms macro parameter; use CompositeExpression")),
                    }
                }
            }
            "Topics" => topics(ctx, v, &p, &mut actions),
            "Services" => ctx.d.error("CX4252", &p, "scaling services on an alarm is not built yet; a stack without it runs another number of tasks than this file says: remove Services, or scale with x-scaling"),
            "Lookup" => ctx.d.error("CX4253", &p, "Lookup needs AWS API calls while the template is transformed, which a macro cannot make; declare the alarm with Properties"),
            "Settings" => {
                if v.as_object().is_some_and(|m| !m.is_empty()) {
                    ctx.d.warn("CX4254", &p, "ignored: an x-alarms alarm has no settings ComposeX applies");
                }
            }
            _ => ctx.d.error("CX4255", &p, format!("{k:?} is not an x-alarms key; use Properties, MacroParameters, Topics, Settings")),
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
