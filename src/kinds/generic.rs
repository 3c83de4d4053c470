//! The generic expansion of an `x-` resource: the resource itself (with its references
//! resolved), its output, and for each consumer the IAM statements of its access levels scoped
//! to the resource's ARNs, and the environment variables with its values.

use super::consumers::{self, Consumer};
use super::{resource_kinds, variant, Attr, Kind, Scope};
use crate::cfn::is_intrinsic;
use crate::cfn::naming::logical_id;
use crate::compose::read::{kind as kind_of, literal};
use crate::diagnostics::{index, join};
use crate::plan::refs::{self, Target};
use crate::plan::Ctx;
use serde_json::{json, Map, Value};

/// One declared resource, as a kind's hook sees it.
#[derive(Debug, Clone)]
pub struct Decl {
    pub kind: &'static Kind,
    pub name: String,
    pub id: String,
    pub path: String,
    pub def: Map<String, Value>,
}

/// Names every resource of every kind first, so that references may point forward and across
/// kinds.
pub fn declare(ctx: &mut Ctx) {
    for kind in resource_kinds() {
        ctx.declared.kinds.insert(kind.key);
        let Some(v) = ctx.project.extensions.get(kind.key) else { continue };
        let Some(m) = v.as_object() else { continue };
        for (name, def) in m.iter().filter(|(n, _)| !matches!(n.as_str(), "DeletionPolicy" | "UpdateReplacePolicy")) {
            let kind = variant(kind, def);
            let id = logical_id(name, kind.suffix);
            let target = Target {
                default: match kind.default {
                    Attr::None => None,
                    default => Some(default.value(&id)),
                },
                attributes: kind
                    .return_values
                    .iter()
                    .chain(kind.extra_attributes)
                    .map(|(n, a)| (*n, a.value(&id)))
                    .collect(),
                return_values: kind.return_values.iter().map(|(n, _)| *n).collect(),
                id,
            };
            ctx.declared.resources.insert((kind.key.to_string(), name.clone()), target);
        }
    }
}

/// Expands every resource `kind` declares.
pub fn expand(ctx: &mut Ctx, kind: &'static Kind) {
    let Some(v) = ctx.project.extensions.get(kind.key).cloned() else { return };
    let Some(m) = v.as_object() else {
        ctx.d.error(
            kind.key,
            format!("{} must be a mapping of resource names to resources, not {}", kind.key, kind_of(&v)),
        );
        return;
    };
    for (name, def) in m {
        if matches!(name.as_str(), "DeletionPolicy" | "UpdateReplacePolicy") {
            continue;
        }
        let path = join(kind.key, name);
        let def = if def.is_null() { Value::Object(Map::new()) } else { def.clone() };
        let Some(dm) = def.as_object() else {
            ctx.d.error(
                &path,
                format!("a resource must be a mapping with Properties and Services, not {}", kind_of(&def)),
            );
            continue;
        };
        let kind = variant(kind, &def);
        let decl = Decl { kind, name: name.clone(), id: logical_id(name, kind.suffix), path, def: dm.clone() };
        resource(ctx, &decl);
    }
}

fn resource(ctx: &mut Ctx, decl: &Decl) {
    let kind = decl.kind;
    let path = &decl.path;
    for k in decl.def.keys() {
        let p = join(path, k);
        match k.as_str() {
            "Properties" | "MacroParameters" | "Settings" | "Services" => {}
            "DeletionPolicy" | "UpdateReplacePolicy" => {}
            "Lookup" | "Use" if decl.def.contains_key("Properties") => ctx.d.warn(
                &p,
                format!("ignored: {k} needs AWS API calls while the template is transformed, which a macro cannot make; the resource is created from Properties instead"),
            ),
            "Lookup" | "Use" => ctx.d.error(
                &p,
                format!(
                    "{k} needs AWS API calls while the template is transformed, which a macro cannot make; for an existing resource, declare a template Parameter with its ARN and give the services access with x-iam (see the README, \"Existing resources\")"
                ),
            ),
            _ => ctx.d.error(&p, format!("{k:?} is not a key of an {} resource; use Properties, MacroParameters, Settings or Services", kind.key)),
        }
    }
    let props = match decl.def.get("Properties") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(p @ Value::Object(_)) => refs::resolve(&ctx.declared, p, &join(path, "Properties"), &mut ctx.d),
        Some(other) => {
            ctx.d.error(join(path, "Properties"), format!("Properties must be a mapping, not {}", kind_of(other)));
            Value::Object(Map::new())
        }
    };
    if decl.def.contains_key("MacroParameters") && kind.hook.is_none() {
        ctx.d.warn(
            join(path, "MacroParameters"),
            format!("ignored: {} has no macro parameters ComposeX uses", kind.key),
        );
    }
    let consumers = decl
        .def
        .get("Services")
        .map(|s| consumers::parse(kind, s, &join(path, "Services"), kind.consumer_keys, &mut ctx.d))
        .unwrap_or_default();
    let mut resource = crate::cfn::resource(kind.cfn_type, props);
    // CloudFormation's resource policies, per resource or for the whole kind (`x-s3:
    // {DeletionPolicy: Retain, …}` as ECS ComposeX files write it).
    for attr in ["DeletionPolicy", "UpdateReplacePolicy"] {
        let own = decl.def.get(attr).map(|v| (v.clone(), join(path, attr)));
        let kind_wide =
            ctx.project.extensions.get(kind.key).and_then(|k| k.get(attr)).map(|v| (v.clone(), join(kind.key, attr)));
        if let Some((v, p)) = own.or(kind_wide) {
            match v.as_str() {
                Some("Delete" | "Retain" | "Snapshot" | "RetainExceptOnCreate") => resource[attr] = v,
                _ => ctx.d.error(
                    p,
                    format!(
                        "{} is not a {attr}; use Delete, Retain, RetainExceptOnCreate or Snapshot",
                        crate::compose::read::show(&v)
                    ),
                ),
            }
        }
    }
    if let Some(hook) = kind.hook {
        hook(ctx, decl, &consumers, &mut resource);
    }
    ctx.add(path, decl.id.clone(), resource);
    ctx.t.output(format!("{}Arn", decl.id), kind.arn.value(&decl.id), &format!("ARN of {path}"));
    grant(ctx, decl, &consumers);
}

/// The ARNs a level's statement is scoped to.
fn arns(kind: &Kind, id: &str, scope: Scope) -> Vec<Value> {
    let arn = kind.arn.value(id);
    let child = |suffix: &str| json!({"Fn::Join": ["", [arn.clone(), suffix]]});
    match scope {
        Scope::Resource => vec![arn.clone()],
        Scope::WithChildren(suffix) => vec![arn.clone(), child(suffix)],
        Scope::Children(suffix) => vec![child(suffix)],
    }
}

/// IAM statements and environment variables for each consumer.
pub fn grant(ctx: &mut Ctx, decl: &Decl, consumers: &[Consumer]) {
    let kind = decl.kind;
    let env_names = settings_env_names(ctx, decl);
    for c in consumers {
        // `Scaling` (x-sqs) is read by the family's scaling: crate::emit::steps.
        let Some(fams) = ctx.families.resolve(&c.name) else {
            ctx.d.error(&c.path, format!("{:?} is not a service nor a task family of this file", c.name));
            continue;
        };
        let fams: Vec<String> = fams.iter().map(|f| f.name.clone()).collect();
        // Levels without actions (network-only access to a database or cache) grant no statement.
        for level in c.levels.iter().filter(|l| !l.actions.is_empty()) {
            let mut actions: Vec<&str> = level.actions.to_vec();
            actions.sort_unstable();
            let statement = crate::cfn::object([
                ("Effect", Value::String("Allow".into())),
                ("Action", Value::Array(actions.into_iter().map(|a| Value::String(a.into())).collect())),
                ("Resource", Value::Array(arns(kind, &decl.id, level.scope))),
            ]);
            for f in &fams {
                ctx.grants.entry(f.clone()).or_default().push(statement.clone());
            }
        }
        let mut vars: Vec<(String, Value)> = match kind.default {
            Attr::None => vec![],
            default => env_names.iter().map(|n| (n.clone(), default.value(&decl.id))).collect(),
        };
        for (attr, var) in &c.return_values {
            if let Some(v) = kind.attribute(&decl.id, attr) {
                vars.push((var.clone(), v));
            }
        }
        for svc in ctx.families.services_of(&c.name).to_vec() {
            for (var, value) in &vars {
                set_env(ctx, &svc, var, value.clone(), &c.path);
            }
        }
    }
}

/// Adds a variable a resource gives a service; two resources giving the same name is an error.
pub fn set_env(ctx: &mut Ctx, service: &str, var: &str, value: Value, from: &str) {
    let vars = ctx.env.entry(service.to_string()).or_default();
    if let Some((existing, other)) = vars.get(var) {
        // The same value twice (a service that is a consumer itself and through its family) is fine.
        if other != from && existing != &value {
            let other = other.clone();
            ctx.d.error(from, format!("gives {service:?} the variable {var}, which {other} gives it too; rename one with Settings.EnvNames or ReturnValues"));
        }
        return;
    }
    vars.insert(var.to_string(), (value, from.to_string()));
}

fn settings_env_names(ctx: &mut Ctx, decl: &Decl) -> Vec<String> {
    let path = join(&decl.path, "Settings");
    let mut names = vec![crate::cfn::naming::env_name(&decl.name)];
    let Some(s) = decl.def.get("Settings") else { return names };
    let Some(m) = s.as_object() else {
        ctx.d.error(&path, format!("Settings must be a mapping, not {}", kind_of(s)));
        return names;
    };
    for (k, v) in m {
        let p = join(&path, k);
        match k.as_str() {
            "EnvNames" => match v.as_array() {
                Some(list) if !list.is_empty() => {
                    names = list
                        .iter()
                        .enumerate()
                        .filter_map(|(i, n)| literal(n, &index(&p, i), "a variable name", &mut ctx.d))
                        .collect();
                }
                _ => ctx.d.error(&p, "EnvNames must be a list of variable names"),
            },
            k if decl.kind.settings_keys.contains(&k) => {}
            _ => ctx.d.warn(&p, "ignored: ComposeX reads EnvNames from Settings"),
        }
    }
    names
}

// What the kinds' hooks share.

/// Whether the resource is one the generic expansion refuses to look up (`Lookup`, `Use`): its
/// hook then has nothing to add to that error.
pub(super) fn looked_up(decl: &Decl) -> bool {
    decl.def.contains_key("Lookup") || decl.def.contains_key("Use")
}

/// The resource's `Properties` when they are a mapping the hook can read (not an intrinsic).
pub(super) fn properties(resource: &mut Value) -> Option<&mut Map<String, Value>> {
    let props = resource.get_mut("Properties")?;
    if is_intrinsic(props) {
        return None;
    }
    props.as_object_mut()
}

/// The `MacroParameters` of a resource whose kind has a hook (the generic expansion leaves them
/// to the hook): the mapping, with a warning for each key the kind does not read.
pub(super) fn macro_parameters(ctx: &mut Ctx, decl: &Decl, known: &[&str]) -> Map<String, Value> {
    let path = join(&decl.path, "MacroParameters");
    let key = decl.kind.key;
    match decl.def.get("MacroParameters") {
        None | Some(Value::Null) => Map::new(),
        Some(_) if known.is_empty() => {
            ctx.d.warn(&path, format!("ignored: {key} has no macro parameters ComposeX uses"));
            Map::new()
        }
        Some(Value::Object(m)) if !is_intrinsic(&decl.def["MacroParameters"]) => {
            for k in m.keys() {
                if !known.contains(&k.as_str()) {
                    ctx.d.warn(
                        join(&path, k),
                        format!("ignored: ComposeX reads {} from MacroParameters of {key}", known.join(", ")),
                    );
                }
            }
            m.clone()
        }
        Some(other) => {
            ctx.d.error(&path, format!("MacroParameters must be a mapping, not {}", kind_of(other)));
            Map::new()
        }
    }
}
