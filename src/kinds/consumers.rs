//! The `Services` of an `x-` resource: who consumes it, with which access, and which of its
//! values they want in their environment. Both ECS ComposeX forms are read: the map keyed by
//! service or task-family name, and the legacy list of `{name, access}`.

use super::{Kind, Level};
use crate::compose::read::{kind as kind_of, literal, map_or};
use crate::diagnostics::{index, join, Diagnostics};
use serde_json::{Map, Value};

#[derive(Debug, Clone)]
pub struct Consumer {
    /// A service or task-family name.
    pub name: String,
    pub path: String,
    pub levels: Vec<&'static Level>,
    /// (attribute, environment variable name)
    pub return_values: Vec<(String, String)>,
    /// Keys the kind reads itself (`Scaling`, `GrantTaskAccess`…).
    pub extra: Map<String, Value>,
}

/// Keys every consumer may have; a kind may accept more (`extra_keys`).
const COMMON: &[&str] = &["Access", "ReturnValues", "access", "name", "Name"];

pub fn parse(kind: &Kind, v: &Value, path: &str, extra_keys: &[&str], d: &mut Diagnostics) -> Vec<Consumer> {
    let mut out = Vec::new();
    match v {
        Value::Object(m) => {
            for (name, spec) in m {
                let p = join(path, name);
                let spec = if spec.is_null() { Value::Object(Map::new()) } else { spec.clone() };
                let Some(sm) = map_or(&spec, &p, "a consumer must be a mapping with Access", d) else { continue };
                out.extend(consumer(kind, name.clone(), sm, &p, extra_keys, d));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let p = index(path, i);
                let head = "a consumer must be a mapping with name and access";
                let Some(sm) = map_or(item, &p, head, d) else { continue };
                let Some(name) = sm
                    .get("name")
                    .or_else(|| sm.get("Name"))
                    .and_then(|n| literal(n, &join(&p, "name"), "a service name", d))
                else {
                    d.error(
                        "CX4018",
                        join(&p, "name"),
                        "a consumer in the list form needs name, the service or task family",
                    );
                    continue;
                };
                out.extend(consumer(kind, name, sm, &p, extra_keys, d));
            }
        }
        Value::Null => {}
        other => d.error(
            "CX4019",
            path,
            format!("Services must be a mapping of service names to their access, not {}", kind_of(other)),
        ),
    }
    out
}

fn consumer(
    kind: &Kind,
    name: String,
    m: &Map<String, Value>,
    path: &str,
    extra_keys: &[&str],
    d: &mut Diagnostics,
) -> Option<Consumer> {
    let mut c = Consumer { name, path: path.to_string(), levels: vec![], return_values: vec![], extra: Map::new() };
    for (k, v) in m {
        let p = join(path, k);
        match k.as_str() {
            "Access" | "access" => c.levels = levels(kind, v, &p, d),
            "ReturnValues" => {
                let head = "ReturnValues must map attributes to variable names, like {Arn: QUEUE_ARN}";
                for (attr, var) in map_or(v, &p, head, d).into_iter().flatten() {
                    let ap = join(&p, attr);
                    if !kind.return_values.iter().any(|(n, _)| n == attr) {
                        let msg =
                            format!("{attr:?} is not a return value of {}; use {}", kind.key, kind.attribute_names());
                        d.error("CX4020", &ap, msg);
                        continue;
                    }
                    // `{Attr: NAME}`, or `{Attr: {EnvVarName: NAME}}` as the common resource
                    // spec of ECS ComposeX also allows.
                    let (var, vp) = match var {
                        Value::Object(o) => {
                            if let Some(k) = o.keys().find(|k| k.as_str() != "EnvVarName") {
                                d.error(
                                    "CX4382",
                                    join(&ap, k),
                                    format!("{k:?} is not a key of a return value; use EnvVarName, the environment variable's name"),
                                );
                            }
                            let Some(name) = o.get("EnvVarName") else {
                                d.error("CX4383", &ap, "a return value given as a mapping needs EnvVarName, the environment variable's name");
                                continue;
                            };
                            (name, join(&ap, "EnvVarName"))
                        }
                        other => (other, ap.clone()),
                    };
                    if let Some(var) = literal(var, &vp, "an environment variable name", d) {
                        c.return_values.push((attr.clone(), var));
                    }
                }
            }
            "name" | "Name" => {}
            k if extra_keys.contains(&k) => {
                c.extra.insert(k.to_string(), v.clone());
            }
            "Scaling" => d.error(
                "CX4385",
                &p,
                format!("step scaling on the metrics of {} is not built: ComposeX scales a service on the depth of an x-sqs queue (x-sqs Services.<service>.Scaling) and on its CPU or memory (x-scaling.TargetScaling); use one of those, or declare the scaling policy under Resources", kind.key),
            ),
            "DoNotExposeMappings" => d.error(
                "CX4386",
                &p,
                "ComposeX always gives a consumer the connection's parts from the database's secret (NAME_HOST, NAME_PORT…), and cannot leave them out yet; remove DoNotExposeMappings, or remove the service from Services and grant it what it needs with x-iam",
            ),
            _ => {
                let mut known: Vec<&str> = vec!["Access", "ReturnValues"];
                known.extend(extra_keys.iter().copied());
                d.error("CX4021", &p, format!("{k:?} is not a consumer key of {}; use {}", kind.key, known.join(", ")));
            }
        }
    }
    let _ = COMMON;
    if !m.contains_key("Access") && !m.contains_key("access") {
        match kind.default_access.and_then(|l| kind.level(l)) {
            Some(level) => {
                d.warn("CX4022", path, format!("has no Access; it gets {}, the default of {}", level.name, kind.key));
                c.levels = vec![level];
            }
            None => d.warn("CX4023", 
                path,
                format!("has no Access: it gets the resource's values in its environment, and no IAM permission on it (use one of {})", kind.level_names()),
            ),
        }
    }
    Some(c)
}

/// `Access: RWMessages`, or a mapping of scopes to levels (`{objects: RW, bucket: ListOnly}`,
/// `{DBCluster: RO}`), each read as the level `scope:level` of the kind.
fn levels(kind: &Kind, v: &Value, path: &str, d: &mut Diagnostics) -> Vec<&'static Level> {
    let names: Vec<(String, String)> = match v {
        Value::String(s) => vec![(s.clone(), path.to_string())],
        Value::Object(m) => m
            .iter()
            .filter_map(|(scope, lv)| match lv {
                Value::String(s) => Some((format!("{scope}:{s}"), join(path, scope))),
                Value::Bool(b) => Some((format!("{scope}:{b}"), join(path, scope))),
                other => {
                    d.error(
                        "CX4024",
                        join(path, scope),
                        format!("an access level must be a name, not {}", kind_of(other)),
                    );
                    None
                }
            })
            .collect(),
        other => {
            d.error(
                "CX4025",
                path,
                format!("Access must be a level name ({}), not {}", kind.level_names(), kind_of(other)),
            );
            return vec![];
        }
    };
    let mut out = Vec::new();
    for (name, p) in names {
        match kind.level(&name) {
            Some(l) => out.push(l),
            None => d.error(
                "CX4026",
                p,
                format!("{name:?} is not an access level of {}; use {}", kind.key, kind.level_names()),
            ),
        }
    }
    out
}
