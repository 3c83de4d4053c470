//! The top level of a compose file: which keys are compose, which are CloudFormation sections
//! (handled by the caller), which are extensions, and which are mistakes.

use super::model::{Model, Project};
use super::read::{kind, list, literal, map_or, object, uint};
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
                    if key == "networks" {
                        network(v, &join(key, name), d);
                    }
                    target.insert(name.clone(), if v.is_null() { Value::Object(Default::default()) } else { v.clone() });
                }
            }
            "models" if value.is_null() => {}
            "models" => models(&mut p, value, d),
            "include" => d.error("CX1015", "include", "`include` needs other files, which the macro cannot read; render with the composex CLI, which reads them, or write their services into this file"),
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
    for s in p.services.values() {
        for m in s.models.iter().filter(|m| !p.models.contains_key(&m.name)) {
            d.error(
                "CX1094",
                &m.path,
                format!("model {:?} is not declared; add it under the top-level models, with model: set", m.name),
            );
        }
    }
    for name in undeclared {
        p.secrets.entry(name).or_insert_with(|| Value::Object(Default::default()));
    }
    p
}

/// Checks a top-level network. On ECS a network is the set of services that may reach each
/// other; what docker makes of it on a host is ignored with a warning, unknown keys are errors.
fn network(v: &Value, path: &str, d: &mut Diagnostics) {
    if v.is_null() {
        return;
    }
    let Some(m) = object(v, path, "a network", d) else { return };
    for (k, val) in m {
        let p = join(path, k);
        match k.as_str() {
            "driver" | "driver_opts" | "ipam" | "attachable" | "enable_ipv4" | "enable_ipv6" | "labels" => d.warn(
                "CX1141",
                &p,
                "ignored: each task has its own network interface in the VPC's subnets; a network only says which services may reach each other",
            ),
            "name" | "external" => {
                // An existing security group (external, name: sg-…) is refused where the
                // dialect's x-aws-securitygroup is read.
                let sg = m.get("name").and_then(Value::as_str).is_some_and(|n| n.starts_with("sg-"));
                if !sg && (k == "name" || val.as_bool() == Some(true)) {
                    d.warn("CX1142", &p, "ignored: ComposeX makes the network from this file's services; there is no docker network to name or join on ECS");
                }
            }
            "internal" => {
                if val.as_bool() == Some(true) {
                    d.warn("CX1143", &p, "not enforced: tasks keep their outbound access through the NAT gateway, which they need to pull images and reach AWS (ECR, CloudWatch Logs, Secrets Manager); the services of the network are reached, as any others, only through the relations the file declares");
                }
            }
            k if k.starts_with("x-") => {}
            k => d.error(
                "CX1144",
                &p,
                format!("{k:?} is not a network key; use driver, driver_opts, ipam, attachable, enable_ipv4, enable_ipv6, internal, labels, name or external"),
            ),
        }
    }
}

/// Reads the top-level `models`: `model` (required), `context_size`, `runtime_flags`, `x-` keys.
fn models(p: &mut Project, value: &Value, d: &mut Diagnostics) {
    let head = "models must be a mapping of model names to models";
    for (name, mv) in map_or(value, "models", head, d).into_iter().flatten() {
        let path = join("models", name);
        check_name(name, &path, "a model name", d);
        let Some(m) = object(mv, &path, "a model", d) else { continue };
        let mut model = Model { path: path.clone(), ..Model::default() };
        for (k, v) in m {
            let kp = join(&path, k);
            match k.as_str() {
                "model" => model.model = literal(v, &kp, "a model identifier", d).unwrap_or_default(),
                "context_size" => model.context_size = uint(v, &kp, "context_size", d).map(|n| (n, kp)),
                "runtime_flags" => {
                    let flags = list(v, &kp, "runtime_flags", false, d, |v, p, d| literal(v, p, "a flag", d));
                    model.runtime_flags = Some((flags, kp));
                }
                // The model's own name for the runner; not a key of the specification's table,
                // but compose-go reads it.
                "name" => {
                    literal(v, &kp, "a name", d);
                }
                k if k.starts_with("x-") => model.extensions.push(kp),
                k => d.error(
                    "CX1095",
                    &kp,
                    format!("{k:?} is not a key of a model; use model, context_size and runtime_flags"),
                ),
            }
        }
        if !m.contains_key("model") {
            d.error("CX1096", &path, "a model needs `model:`, the identifier of the model");
        }
        p.models.insert(name.clone(), model);
    }
}

/// Reads the `services` mapping `value` into `p`.
fn services(p: &mut Project, value: &Value, d: &mut Diagnostics) {
    let head = "services must be a mapping of service names to services";
    let Some(services) = map_or(value, "services", head, d) else { return };
    for name in services.keys() {
        if let Some(sv) = super::extends::resolve(name, services, d) {
            service(p, name.clone(), &sv, d);
        }
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
