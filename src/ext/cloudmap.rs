//! `x-cloudmap`, read once when the file is loaded: the name of the stack's one CloudMap
//! namespace (`Name`, or the `Name`/`ZoneName` of the one namespace declared in ECS ComposeX's
//! form `x-cloudmap: {PrivateNamespace: {Name: …}}`), and the names of the namespaces declared
//! that way, which `x-ecs_connect` may name. The namespace itself is `kinds::cloudmap`'s.

use crate::compose::read::{literal, map_or};
use crate::compose::Project;
use crate::diagnostics::{join, Diagnostics};

const OWNER: &str = "x-cloudmap";

/// What `x-cloudmap` says, checked.
#[derive(Debug, Clone, Default)]
pub struct Cloudmap {
    /// The namespace's name, when the file gives one.
    pub name: Option<String>,
    /// The namespaces declared in ECS ComposeX's form, by key.
    pub declared: Vec<String>,
}

pub fn read(project: &Project, d: &mut Diagnostics) -> Cloudmap {
    let mut out = Cloudmap::default();
    let Some(x) = project.extensions.get(OWNER) else { return out };
    let Some(m) = map_or(x, OWNER, "x-cloudmap must be a mapping", d) else { return out };
    if m.contains_key("Name") {
        out.name = literal(&m["Name"], &join(OWNER, "Name"), "the namespace name", d);
        return out;
    }
    if m.len() > 1 {
        d.error("CX2001", OWNER, "ComposeX creates one CloudMap namespace; declare one");
    }
    for (key, def) in m {
        out.declared.push(key.clone());
        let path = join(OWNER, key);
        let Some(dm) = map_or(def, &path, "a namespace must be a mapping with Name", d) else { continue };
        for (k, v) in dm {
            let p = join(&path, k);
            match k.as_str() {
                "Name" | "ZoneName" => {
                    if let Some(n) = literal(v, &p, "the namespace name", d) {
                        out.name = Some(n);
                    }
                }
                "Lookup" | "Use" => d.error("CX2002", &p, "ComposeX creates the namespace of the stack; an existing namespace cannot be used yet: remove it to get one named after the project"),
                "Properties" | "MacroParameters" => d.error(
                    "CX2151",
                    &p,
                    format!("ComposeX creates the stack's one private DNS namespace from its name alone, and {k} cannot tune it yet; remove {k} and give the name with ZoneName or Name"),
                ),
                _ => d.error("CX2003", &p, format!("{k:?} is not a namespace key; use Name")),
            }
        }
    }
    out
}
