//! The top level of a compose file: which keys are compose, which are CloudFormation sections
//! (handled by the caller), which are extensions, and which are mistakes.

use super::model::Project;
use super::read::{kind, literal, map_or, object};
use super::service;
use crate::diagnostics::{join, Diagnostics};
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
    let mut p = Project::default();
    // Not map_or: a template may be nothing but a `Fn::Transform`, which looks like an intrinsic.
    let Some(top) = doc.as_object() else {
        d.error("CX1013", "", format!("the template must be a mapping with a `services` key, not {}", kind(doc)));
        return p;
    };
    for (key, value) in top {
        match key.as_str() {
            k if CFN_SECTIONS.contains(&k) => {}
            "version" => {}
            "name" => {
                p.name = literal(value, "name", "the project name", d);
                if let Some(n) = &p.name {
                    if n.is_empty() || !n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_') || !n.starts_with(|c: char| c.is_ascii_alphanumeric()) {
                        d.error("CX1014", "name", format!("{n:?} is not a compose project name; use lower-case letters, digits, dashes and underscores, starting with a letter or digit"));
                    }
                }
            }
            "services" => services(&mut p, value, d),
            "networks" | "volumes" | "secrets" | "configs" if value.is_null() => {}
            "networks" | "volumes" | "secrets" | "configs" => {
                let Some(m) = object(value, key, key, d) else { continue };
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
            "include" => d.error("CX1015", "include", "`include` needs other files; pass them as several -f files to the composex CLI instead"),
            k if k.starts_with("x-") => {
                p.extensions.insert(k.to_string(), value.clone());
            }
            k => d.error("CX1016", 
                k,
                format!("{k:?} is not a compose key nor a CloudFormation section; check its spelling, or prefix extensions with x-"),
            ),
        }
    }
    if !top.contains_key("services") {
        d.error("CX1017", "services", "the template has no services; add a `services` mapping");
    }
    let mut undeclared = Vec::new();
    for (name, s) in &p.services {
        if let Some(nets) = &s.networks {
            for (i, n) in nets.iter().enumerate() {
                if n != "default" && !p.networks.contains_key(n) {
                    d.error(
                        "CX1018",
                        format!("services.{name}.networks[{i}]"),
                        format!("network {n:?} is not declared; add it under the top-level networks"),
                    );
                }
            }
        }
        for sec in &s.secrets {
            if !p.secrets.contains_key(&sec.source) {
                // docker compose refuses this; ECS ComposeX files rely on it, so it is read as a
                // secret of that name (see the secrets stage) with a warning.
                d.warn(
                    "CX1019",
                    &sec.path,
                    format!("secret {:?} is not declared under the top-level secrets", sec.source),
                );
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
    let head = "services must be a mapping of service names to services";
    for (name, sv) in map_or(value, "services", head, d).into_iter().flatten() {
        service(p, name.clone(), sv, d);
    }
}

/// Reads the service `name`, defined by `sv`, into `p`.
fn service(p: &mut Project, name: String, sv: &Value, d: &mut Diagnostics) {
    let path = join("services", &name);
    check_name(&name, &path, "a service", d);
    if name.contains('.') {
        d.error("CX1020", &path, "ECS container names allow only letters, digits, '-' and '_'; rename the service");
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
        d.error("CX1021", path, format!("{name:?} is not valid as {what}; use letters, digits, '-', '_' and '.'"));
    }
}
