//! `include` for the CLI: each compose file it names is read as its own project (relative paths
//! inside it — its own `include`, `extends.file`, `env_file`, `label_file` — resolved from its
//! folder, or from `project_directory`), and its services, networks, volumes, secrets, configs,
//! models and `x-` keys are added to the including file. A name both define is an error, as in
//! docker compose: `include` imports, it does not override (several `-f` files do that). The
//! macro has no files and refuses `include` (see the project model).

use crate::diagnostics::{index, join, Diagnostics};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// Reads one included file, with its own relative paths resolved from the folder given.
pub type Reader<'a> = dyn Fn(&Path, &Path, &mut Diagnostics) -> Result<Value, String> + 'a;

/// Top-level keys whose entries an included file adds.
const SECTIONS: &[&str] = &["services", "networks", "volumes", "secrets", "configs", "models"];

/// Replaces `include` in `doc` (whose folder is `dir`) by what its files define. `chain` holds
/// the files being included, to stop a file that includes itself.
pub fn inline(doc: &mut Value, dir: &Path, read: &Reader, chain: &mut Vec<PathBuf>, d: &mut Diagnostics) {
    let Some(Value::Object(top)) = Some(&mut *doc) else { return };
    let Some(include) = top.remove("include") else { return };
    let items = match include {
        Value::Null => vec![],
        Value::Array(items) => items,
        other => vec![other],
    };
    for (i, item) in items.into_iter().enumerate() {
        let at = index("include", i);
        let Some((files, project_dir)) = entry(&item, &at, dir, d) else { continue };
        let mut merged = Value::Object(Map::new());
        for file in &files {
            if chain.contains(file) {
                d.error("CX1116", &at, {
                    let names: Vec<String> = chain.iter().chain([file]).map(|f| f.display().to_string()).collect();
                    format!("the files include each other in a circle: {}; break the chain", names.join(" → "))
                });
                continue;
            }
            let folder = project_dir.clone().unwrap_or_else(|| file.parent().unwrap_or(dir).to_path_buf());
            chain.push(file.clone());
            match read(file, &folder, d) {
                Ok(mut other) => {
                    inline(&mut other, &folder, read, chain, d);
                    merged = super::merge::merge_files(vec![merged, other]);
                }
                Err(e) => d.error("CX1117", &at, format!("{}: {e}", file.display())),
            }
            chain.pop();
        }
        add(top, merged, &at, d);
    }
}

/// The files of one `include` entry (a path, or `{path: one or several, project_directory}`)
/// and the folder their relative paths start from.
fn entry(item: &Value, at: &str, dir: &Path, d: &mut Diagnostics) -> Option<(Vec<PathBuf>, Option<PathBuf>)> {
    match item {
        Value::String(p) => Some((vec![dir.join(p)], None)),
        Value::Object(m) => {
            for k in m.keys().filter(|k| !matches!(k.as_str(), "path" | "project_directory")) {
                let why = if k == "env_file" {
                    "the CLI interpolates every file from the environment it runs in and the .env file beside the first file; set the variables there"
                } else {
                    "use path and project_directory"
                };
                d.error("CX1118", join(at, k), format!("{k:?} is not supported in include: {why}"));
            }
            let files: Vec<PathBuf> = match m.get("path") {
                Some(Value::String(p)) => vec![dir.join(p)],
                Some(Value::Array(ps)) if !ps.is_empty() && ps.iter().all(Value::is_string) => {
                    ps.iter().filter_map(Value::as_str).map(|p| dir.join(p)).collect()
                }
                _ => {
                    d.error(
                        "CX1119",
                        join(at, "path"),
                        "include needs path: a compose file, or a list of files merged in order",
                    );
                    return None;
                }
            };
            let project_dir = match m.get("project_directory") {
                None | Some(Value::Null) => None,
                Some(Value::String(p)) => Some(dir.join(p)),
                Some(_) => {
                    d.error("CX1120", join(at, "project_directory"), "expected a folder path");
                    return None;
                }
            };
            Some((files, project_dir))
        }
        _ => {
            d.error("CX1121", at, "an include entry is a file path or {path, project_directory}");
            None
        }
    }
}

/// Adds the entries of `included`'s sections and `x-` keys to `top`; a name defined on both
/// sides is an error at the including entry.
fn add(top: &mut Map<String, Value>, included: Value, at: &str, d: &mut Diagnostics) {
    let Value::Object(included) = included else { return };
    for (key, value) in included {
        let mapping = SECTIONS.contains(&key.as_str()) || key.starts_with("x-");
        let (true, Value::Object(entries)) = (mapping, value) else { continue };
        let slot = top.entry(key.clone()).or_insert_with(|| Value::Object(Map::new()));
        if slot.is_null() {
            *slot = Value::Object(Map::new());
        }
        let Value::Object(own) = slot else { continue };
        for (name, v) in entries {
            if own.contains_key(&name) {
                d.error(
                    "CX1122",
                    at,
                    format!("{key}.{name} is defined both here and in the included file; include imports and does not override: rename one, or merge the files with -f"),
                );
            } else {
                own.insert(name, v);
            }
        }
    }
}
