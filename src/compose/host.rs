//! What a service asks of the host it runs on: devices (`gpus`, and
//! `deploy.resources.reservations.devices`) and `deploy.placement`. Only compose's own rules
//! are checked here; what a host can give is decided where the services are placed.

use super::model::{Constraint, DeviceCount, DeviceRequest, Placement, Preference};
use super::read::{kind, list, literal, object, show, uint};
use crate::diagnostics::{join, Diagnostics};
use serde_json::Value;

/// `gpus: all`, or a list of device requests whose capability is `gpu`.
pub fn gpus(v: &Value, path: &str, d: &mut Diagnostics) -> Vec<DeviceRequest> {
    match v {
        Value::String(s) if s == "all" => {
            vec![DeviceRequest { capabilities: vec!["gpu".into()], path: path.to_string(), ..Default::default() }]
        }
        Value::Array(_) => list(v, path, "gpus", false, d, |item, p, d| {
            let mut r = request(item, p, false, d)?;
            if r.capabilities.is_empty() {
                r.capabilities.push("gpu".into());
            }
            Some(r)
        }),
        other => {
            d.error(
                "CX1123",
                path,
                format!("gpus must be `all` or a list of device requests, not {}", show_kind(other)),
            );
            Vec::new()
        }
    }
}

/// `deploy.resources.reservations.devices`: a list of device requests, each with capabilities.
pub fn devices(v: &Value, path: &str, d: &mut Diagnostics) -> Vec<DeviceRequest> {
    list(v, path, "devices", false, d, |item, p, d| request(item, p, true, d))
}

fn show_kind(v: &Value) -> String {
    match v {
        Value::String(_) => show(v),
        other => kind(other).to_string(),
    }
}

/// One device request: `capabilities`, `count` (a number or `all`), `device_ids`, `driver`,
/// `options`. `count` and `device_ids` exclude each other (compose's rule).
fn request(v: &Value, path: &str, needs_capabilities: bool, d: &mut Diagnostics) -> Option<DeviceRequest> {
    let m = object(v, path, "a device request", d)?;
    let mut r = DeviceRequest { path: path.to_string(), ..Default::default() };
    let mut counted = false;
    for (k, val) in m {
        let p = join(path, k);
        match k.as_str() {
            "capabilities" => {
                r.capabilities = list(val, &p, "capabilities", true, d, |c, p, d| literal(c, p, "a capability", d))
            }
            "count" => {
                counted = true;
                r.count = match val {
                    Value::String(s) if s == "all" => DeviceCount::All,
                    other => DeviceCount::Count(uint(other, &p, "device count (or `all`)", d)?),
                }
            }
            "device_ids" => {
                r.device_ids = list(val, &p, "device_ids", false, d, |c, p, d| literal(c, p, "a device ID", d))
            }
            "driver" => r.driver = literal(val, &p, "driver", d),
            "options" => r.options = true,
            k if k.starts_with("x-") => {}
            k => d.error(
                "CX1124",
                &p,
                format!("{k:?} is not a device request key; use capabilities, count, device_ids, driver or options"),
            ),
        }
    }
    if counted && !r.device_ids.is_empty() {
        d.error("CX1125", join(path, "device_ids"), "count and device_ids exclude each other; keep one");
    }
    if needs_capabilities && r.capabilities.is_empty() && m.contains_key("capabilities") {
        d.error("CX1126", join(path, "capabilities"), "a device request needs at least one capability, like gpu");
    } else if needs_capabilities && !m.contains_key("capabilities") {
        d.error("CX1127", path, "a device request needs capabilities, like `capabilities: [gpu]`");
    }
    Some(r)
}

/// `deploy.placement`: `constraints` (`node.labels.disk == ssd`), `preferences`
/// (`- spread: node.labels.zone`), `max_replicas_per_node`.
pub fn placement(v: &Value, path: &str, d: &mut Diagnostics) -> Placement {
    let mut out = Placement::default();
    let Some(m) = object(v, path, "placement", d) else { return out };
    for (k, val) in m {
        let p = join(path, k);
        match k.as_str() {
            "constraints" => out.constraints = list(val, &p, "constraints", false, d, constraint),
            "preferences" => out.preferences = list(val, &p, "preferences", false, d, preference),
            "max_replicas_per_node" => {
                out.max_replicas_per_node = uint(val, &p, "number of replicas per node", d).map(|n| (n, p.clone()))
            }
            k if k.starts_with("x-") => {}
            k => d.error(
                "CX1128",
                &p,
                format!("{k:?} is not a placement key; use constraints, preferences or max_replicas_per_node"),
            ),
        }
    }
    out
}

fn constraint(v: &Value, path: &str, d: &mut Diagnostics) -> Option<Constraint> {
    let text = literal(v, path, "a placement constraint", d)?;
    let (attribute, equal, value) = if let Some((a, b)) = text.split_once("!=") {
        (a, false, b)
    } else if let Some((a, b)) = text.split_once("==") {
        (a, true, b)
    } else {
        d.error(
            "CX1129",
            path,
            format!("{text:?} is not a placement constraint; write `attribute == value` or `attribute != value`"),
        );
        return None;
    };
    let (attribute, value) = (attribute.trim(), value.trim());
    if attribute.is_empty() || value.is_empty() {
        d.error("CX1130", path, format!("{text:?} needs an attribute and a value on each side of the operator"));
        return None;
    }
    Some(Constraint { attribute: attribute.to_string(), equal, value: value.to_string(), path: path.to_string() })
}

fn preference(v: &Value, path: &str, d: &mut Diagnostics) -> Option<Preference> {
    let m = object(v, path, "a placement preference", d)?;
    let mut spread = None;
    for (k, val) in m {
        let p = join(path, k);
        match k.as_str() {
            "spread" => spread = literal(val, &p, "spread", d),
            k => d.error("CX1131", &p, format!("{k:?} is not a placement preference; use spread")),
        }
    }
    if spread.is_none() && !m.contains_key("spread") {
        d.error("CX1132", path, "a placement preference needs `spread: attribute`");
    }
    Some(Preference { spread: spread?, path: path.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(d: &Diagnostics) -> String {
        d.errors().iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn gpus_all_is_one_request_of_every_gpu() {
        let mut d = Diagnostics::new();
        let r = gpus(&json!("all"), "services.a.gpus", &mut d);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].count, DeviceCount::All);
        assert_eq!(r[0].capabilities, vec!["gpu".to_string()]);
        assert!(!d.has_errors());
    }

    #[test]
    fn device_requests_check_compose_rules() {
        let mut d = Diagnostics::new();
        devices(&json!([{"count": 1, "device_ids": ["0"], "capabilities": ["gpu"]}, {"count": 2}]), "p", &mut d);
        let text = errors(&d);
        assert!(text.contains("p[0].device_ids: count and device_ids exclude each other"), "{text}");
        assert!(text.contains("p[1]: a device request needs capabilities"), "{text}");
    }

    #[test]
    fn constraints_are_split_at_their_operator() {
        let mut d = Diagnostics::new();
        let p = placement(
            &json!({"constraints": ["node.labels.disk == ssd", "node.role!=manager", "nope"], "preferences": [{"spread": "node.labels.zone"}]}),
            "p",
            &mut d,
        );
        assert_eq!(p.constraints.len(), 2);
        assert_eq!(
            (p.constraints[0].attribute.as_str(), p.constraints[0].equal, p.constraints[0].value.as_str()),
            ("node.labels.disk", true, "ssd")
        );
        assert!(!p.constraints[1].equal);
        assert_eq!(p.preferences[0].spread, "node.labels.zone");
        assert!(errors(&d).contains("p.constraints[2]: \"nope\" is not a placement constraint"));
    }
}
