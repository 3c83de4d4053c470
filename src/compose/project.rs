//! The top level of a compose file: which keys are compose, which are CloudFormation sections
//! (handled by the caller), which are extensions, and which are mistakes.

use super::model::Project;
use super::read::{kind, literal};
use super::service;
use crate::cfn::{is_intrinsic, is_intrinsic_map};
use crate::diagnostics::{join, Diagnostics};
use serde_json::value::RawValue;
use serde_json::Value;

/// Top-level CloudFormation sections a template may carry beside the compose keys.
pub const CFN_SECTIONS: &[&str] = &[
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Rules",
    "Mappings",
    "Conditions",
    "Transform",
    "Resources",
    "Outputs",
];

/// Reads the compose part of `doc`. CloudFormation sections are skipped (the caller passes them
/// through); unknown non-`x-` keys are errors, as in the compose specification.
pub fn load(doc: &Value, d: &mut Diagnostics) -> Project {
    load_top(doc, None, d)
}

/// Like [`load`], but takes `services` out of `doc` and frees each service's input as soon as
/// it is parsed, while it is still in cache (what the macro does with the fragment it owns). For
/// 1000 services the input is about 4.6 MB of maps: freed later in one walk, every one of its
/// blocks had to be fetched from memory again. The rest of `doc` (the CloudFormation sections)
/// stays for the caller.
pub fn load_owned(doc: &mut Value, d: &mut Diagnostics) -> Project {
    let services = doc.as_object_mut().and_then(|top| top.remove("services"));
    load_top(doc, services.map(Taken::Value), d)
}

/// Like [`load_owned`], for a document whose services are still JSON text, by name (what the
/// macro reads from the request it receives): each service is decoded right before it is read,
/// and freed right after, so that the decoded services never all exist at once.
pub fn load_raw(doc: &Value, services: Vec<(String, &RawValue)>, d: &mut Diagnostics) -> Project {
    load_top(doc, Some(Taken::Raw(services)), d)
}

/// The `services` of a document, taken out of it.
enum Taken<'r> {
    Value(Value),
    /// A mapping's entries, each as JSON text.
    Raw(Vec<(String, &'r RawValue)>),
}

/// Reads `doc`, whose `services` were taken out into `taken` when it is `Some`.
fn load_top(doc: &Value, taken: Option<Taken>, d: &mut Diagnostics) -> Project {
    let mut p = Project::default();
    let Some(top) = doc.as_object() else {
        d.error("", format!("the template must be a mapping with a `services` key, not {}", kind(doc)));
        return p;
    };
    let taken_services = taken.is_some();
    match taken {
        Some(Taken::Value(Value::Object(m))) if !is_intrinsic_map(&m) => {
            p.services.reserve(m.len());
            for (name, sv) in m {
                // `sv` is dropped at the end of each turn, right after it was read.
                service(&mut p, name, &sv, d);
            }
        }
        Some(Taken::Value(other)) => services(&mut p, &other, d),
        Some(Taken::Raw(list)) => {
            p.services.reserve(list.len());
            for (name, raw) in list {
                // The text is valid JSON (it was read as such); only a nesting deeper than the
                // decoder's limit fails here.
                match serde_json::from_str::<Value>(raw.get()) {
                    Ok(sv) => service(&mut p, name, &sv, d),
                    Err(e) => d.error(
                        join("services", &name),
                        format!("this service is nested too deeply to read ({e}); keep it under 128 levels"),
                    ),
                }
            }
        }
        None => {}
    }
    for (key, value) in top {
        match key.as_str() {
            k if CFN_SECTIONS.contains(&k) => {}
            "version" => {}
            "name" => {
                p.name = literal(value, "name", "the project name", d);
                if let Some(n) = &p.name {
                    if n.is_empty() || !n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_') || !n.starts_with(|c: char| c.is_ascii_alphanumeric()) {
                        d.error("name", format!("{n:?} is not a compose project name; use lower-case letters, digits, dashes and underscores, starting with a letter or digit"));
                    }
                }
            }
            "services" => services(&mut p, value, d),
            "networks" | "volumes" | "secrets" | "configs" => match value {
                Value::Object(m) if !is_intrinsic(value) => {
                    let target = match key.as_str() {
                        "networks" => &mut p.networks,
                        "volumes" => &mut p.volumes,
                        "secrets" => &mut p.secrets,
                        _ => &mut p.configs,
                    };
                    for (name, v) in m {
                        check_name(name, &join(key, name), "a name", d);
                        target.insert(name.clone(), if v.is_null() { Value::Object(Default::default()) } else { v.clone() });
                    }
                }
                Value::Null => {}
                other => d.error(key.as_str(), format!("{key} must be a mapping, not {}", kind(other))),
            },
            "include" => d.error("include", "`include` needs other files; pass them as several -f files to the composex CLI instead"),
            k if k.starts_with("x-") => {
                p.extensions.insert(k.to_string(), value.clone());
            }
            k => d.error(
                k,
                format!("{k:?} is not a compose key nor a CloudFormation section; check its spelling, or prefix extensions with x-"),
            ),
        }
    }
    if !taken_services && !top.contains_key("services") {
        d.error("services", "the template has no services; add a `services` mapping");
    }
    let mut undeclared = Vec::new();
    for (name, s) in &p.services {
        if let Some(nets) = &s.networks {
            for (i, n) in nets.iter().enumerate() {
                if n != "default" && !p.networks.contains_key(n) {
                    d.error(
                        format!("services.{name}.networks[{i}]"),
                        format!("network {n:?} is not declared; add it under the top-level networks"),
                    );
                }
            }
        }
        for sec in &s.rare().secrets {
            if !p.secrets.contains_key(&sec.source) {
                // docker compose refuses this; ECS ComposeX files rely on it, so it is read as a
                // secret of that name (see the secrets stage) with a warning.
                d.warn(&sec.path, format!("secret {:?} is not declared under the top-level secrets", sec.source));
                undeclared.push(sec.source.clone());
            }
        }
    }
    for name in undeclared {
        p.secrets.entry(name).or_insert_with(|| Value::Object(Default::default()));
    }
    p
}

/// Reads the `services` mapping `value` into `p`.
fn services(p: &mut Project, value: &Value, d: &mut Diagnostics) {
    match value {
        Value::Object(m) if !is_intrinsic(value) => {
            p.services.reserve(m.len());
            for (name, sv) in m {
                service(p, name.clone(), sv, d);
            }
        }
        other => {
            d.error("services", format!("services must be a mapping of service names to services, not {}", kind(other)))
        }
    }
}

/// Reads the service `name`, defined by `sv`, into `p`.
fn service(p: &mut Project, name: String, sv: &Value, d: &mut Diagnostics) {
    let path = join("services", &name);
    check_name(&name, &path, "a service", d);
    if name.contains('.') {
        d.error(&path, "ECS container names allow only letters, digits, '-' and '_'; rename the service");
    }
    if let Some(s) = service::parse(&name, sv, &path, d) {
        p.services.insert(name, s);
    }
}

/// Names become parts of logical IDs and DNS names: letters, digits, `-`, `_`, `.`.
fn check_name(name: &str, path: &str, what: &str, d: &mut Diagnostics) {
    if name.is_empty()
        || !name.chars().any(|c| c.is_ascii_alphanumeric())
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        d.error(path, format!("{name:?} is not valid as {what}; use letters, digits, '-', '_' and '.'"));
    }
}
