//! `extends`: a service built on another service, merged with the rules of merging files (the
//! extending service's values win). The compose specification lets the base live in this file
//! (`extends: web` or `{service: web}`) or in another one (`{file: common.yml, service: web}`).
//!
//! Bases in this file are resolved for the macro and the CLI alike. Bases in other files are
//! read by the CLI ([`inline_files`], relative to the file that names them); the macro has no
//! files and refuses them with the way out. Dependencies the base declares (networks, volumes,
//! secrets, `depends_on`) are not imported: the extending file must declare them, as docker
//! compose requires. A chain that comes back to a service it passed is an error.

use super::merge::merge_service;
use crate::diagnostics::{join, Diagnostics};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::path::Path;

/// Where an `extends` points: the base service, and its file when it is another one.
struct Base {
    service: String,
    file: Option<String>,
}

fn base(v: &Value, path: &str, d: &mut Diagnostics) -> Option<Base> {
    let expected = "extends must be a service name or {service, file}";
    match v {
        Value::String(s) => Some(Base { service: s.clone(), file: None }),
        Value::Object(m) => {
            for k in m.keys().filter(|k| !matches!(k.as_str(), "service" | "file")) {
                d.error("CX1103", join(path, k), format!("{k:?} is not a key of extends; use service and file"));
            }
            let Some(Value::String(service)) = m.get("service") else {
                d.error("CX1104", join(path, "service"), "extends needs the name of the service to extend");
                return None;
            };
            let file = match m.get("file") {
                None | Some(Value::Null) => None,
                Some(Value::String(f)) => Some(f.clone()),
                Some(_) => {
                    d.error("CX1105", join(path, "file"), "expected the path of a compose file");
                    return None;
                }
            };
            Some(Base { service: service.clone(), file })
        }
        _ => {
            d.error("CX1106", path, expected);
            None
        }
    }
}

/// The service `name` of `services` with its `extends` chain resolved (without `extends`), or
/// as written when it has none; `None` after an error.
pub fn resolve<'a>(name: &str, services: &'a Map<String, Value>, d: &mut Diagnostics) -> Option<Cow<'a, Value>> {
    let mut seen = vec![name.to_string()];
    resolve_in(name, services, &mut seen, d)
}

fn resolve_in<'a>(
    name: &str,
    services: &'a Map<String, Value>,
    seen: &mut Vec<String>,
    d: &mut Diagnostics,
) -> Option<Cow<'a, Value>> {
    let sv = services.get(name)?;
    let Some(ext) = sv.get("extends").filter(|e| !e.is_null()) else { return Some(Cow::Borrowed(sv)) };
    let path = join(&join("services", name), "extends");
    let b = base(ext, &path, d)?;
    if b.file.is_some() {
        d.error(
            "CX1107",
            join(&path, "file"),
            "extends from another file needs that file, which the macro cannot read; copy the service into this file and extend it by name, or render with the composex CLI, which reads it",
        );
        return None;
    }
    if seen.contains(&b.service) {
        seen.push(b.service);
        d.error("CX1108", &path, format!("extends goes round in a circle: {}; break the chain", seen.join(" → ")));
        return None;
    }
    if !services.contains_key(&b.service) {
        d.error(
            "CX1109",
            &path,
            format!(
                "service {:?} is not defined in this file; extends names a service of the file (or add file:)",
                b.service
            ),
        );
        return None;
    }
    seen.push(b.service.clone());
    let resolved = resolve_in(&b.service, services, seen, d)?.into_owned();
    let mut own = sv.clone();
    if let Value::Object(m) = &mut own {
        m.remove("extends");
    }
    Some(Cow::Owned(merge_service(resolved, own)))
}

/// For the CLI: every service whose `extends` names another file gets that file's service merged
/// under it, recursively (a base's own `file:` is relative to the file that names it), and keeps
/// no `extends`. `load` reads and interpolates a file. Extends within one file are left to
/// [`resolve`].
pub fn inline_files(doc: &mut Value, dir: &Path, load: &dyn Fn(&Path) -> Result<Value, String>, d: &mut Diagnostics) {
    let Some(Value::Object(services)) = doc.get_mut("services") else { return };
    for (name, sv) in services.iter_mut() {
        let path = join(&join("services", name), "extends");
        let mut chain = Vec::new();
        let names_file = sv.get("extends").and_then(|e| e.get("file")).is_some();
        match from_file(sv, dir, load, &path, &mut chain, d) {
            Some(merged) => *sv = merged,
            // Reported: the service keeps its own values, without the base it could not have.
            None if names_file => {
                if let Value::Object(m) = sv {
                    m.remove("extends");
                }
            }
            None => {}
        }
    }
}

/// `sv` merged on the base its `extends` names in another file; `None` when it names none, or
/// after an error.
fn from_file(
    sv: &Value,
    dir: &Path,
    load: &dyn Fn(&Path) -> Result<Value, String>,
    path: &str,
    chain: &mut Vec<String>,
    d: &mut Diagnostics,
) -> Option<Value> {
    let ext = sv.get("extends").filter(|e| !e.is_null())?;
    let b = base(ext, path, d)?;
    let file = b.file?;
    let at = join(path, "file");
    let resolved = dir.join(&file);
    let key = format!("{}#{}", resolved.display(), b.service);
    if chain.contains(&key) {
        chain.push(key);
        d.error("CX1110", path, format!("extends goes round in a circle: {}; break the chain", chain.join(" → ")));
        return None;
    }
    chain.push(key);
    let other = match load(&resolved) {
        Ok(v) => v,
        Err(e) => {
            d.error("CX1111", at, format!("{file}: {e}"));
            return None;
        }
    };
    let Some(services) = other.get("services").and_then(Value::as_object) else {
        d.error("CX1112", at, format!("{file} has no services"));
        return None;
    };
    if !services.contains_key(&b.service) {
        d.error("CX1113", join(path, "service"), format!("{file} has no service {:?}", b.service));
        return None;
    }
    let base_dir = resolved.parent().unwrap_or(dir).to_path_buf();
    let base_sv = &services[&b.service];
    // The base's own extends: another file (relative to its file), or a service of its file.
    let base_value = match from_file(base_sv, &base_dir, load, path, chain, d) {
        Some(v) => v,
        None if base_sv.get("extends").and_then(|e| e.get("file")).is_some() => return None,
        None => {
            let mut errors = Diagnostics::new();
            match resolve(&b.service, services, &mut errors) {
                Some(v) => v.into_owned(),
                None => {
                    for e in errors.errors() {
                        d.error("CX1114", path, format!("in {file}: {}: {}", e.path, e.message));
                    }
                    return None;
                }
            }
        }
    };
    let mut own = sv.clone();
    if let Value::Object(m) = &mut own {
        m.remove("extends");
    }
    Some(merge_service(base_value, own))
}
