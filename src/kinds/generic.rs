//! The generic expansion of an `x-` resource: the resource itself (with its references
//! resolved), its output, and for each consumer the IAM statements of its access levels scoped
//! to the resource's ARNs, and the environment variables with its values.

use super::consumers::{self, Consumer};
use super::{resource_kinds, variant, Attr, Kind, Scope};
use crate::cfn::is_intrinsic;
use crate::cfn::naming::logical_id;
use crate::compose::read::{kind as kind_of, literal, map_or};
use crate::compose::Project;
use crate::diagnostics::{index, join, Diagnostics};
use crate::plan::refs::{self, Target};
use crate::plan::Ctx;
use serde_json::{json, Map, Value};

/// One declared resource, read when the file is loaded: what the generic expansion needs,
/// checked, and its definition for the kind's hook (its `MacroParameters`, its own `Settings`).
#[derive(Debug, Clone)]
pub struct Decl {
    /// The kind, or the variant its definition picks.
    pub kind: &'static Kind,
    pub name: String,
    pub id: String,
    pub path: String,
    pub def: Map<String, Value>,
    /// Its `Services`.
    pub consumers: Vec<Consumer>,
    /// The variables its consumers get its default value in (`Settings.EnvNames`).
    pub env_names: Vec<String>,
    /// `DeletionPolicy` and `UpdateReplacePolicy`, its own or its kind's, checked.
    pub policies: Vec<(&'static str, Value)>,
}

/// Every resource of every resource kind of the registry, in registry order, then name order.
pub fn read(project: &Project, d: &mut Diagnostics) -> Vec<Decl> {
    let mut out = Vec::new();
    for kind in resource_kinds() {
        let Some(v) = project.extensions.get(kind.key) else { continue };
        let head = format!("{} must be a mapping of resource names to resources", kind.key);
        let Some(m) = map_or(v, kind.key, &head, d) else { continue };
        for (name, def) in m {
            if matches!(name.as_str(), "DeletionPolicy" | "UpdateReplacePolicy") {
                continue;
            }
            let path = join(kind.key, name);
            let def = if def.is_null() { Value::Object(Map::new()) } else { def.clone() };
            let head = "a resource must be a mapping with Properties and Services";
            let Some(dm) = map_or(&def, &path, head, d) else { continue };
            let kind = variant(kind, &def);
            check_keys(kind, dm, &path, d);
            let consumers = dm
                .get("Services")
                .map(|s| consumers::parse(kind, s, &join(&path, "Services"), kind.consumer_keys, d))
                .unwrap_or_default();
            let env_names = settings_env_names(kind, name, dm, &path, d);
            let policies = policies(kind, m, dm, &path, d);
            out.push(Decl {
                kind,
                name: name.clone(),
                id: logical_id(name, kind.suffix),
                path,
                def: dm.clone(),
                consumers,
                env_names,
                policies,
            });
        }
    }
    out
}

/// The keys of a resource's definition ComposeX reads; `Lookup` and `Use` are refused.
fn check_keys(kind: &Kind, def: &Map<String, Value>, path: &str, d: &mut Diagnostics) {
    for k in def.keys() {
        let p = join(path, k);
        match k.as_str() {
            "Properties" | "MacroParameters" | "Settings" | "Services" => {}
            "DeletionPolicy" | "UpdateReplacePolicy" => {}
            "Lookup" | "Use" if def.contains_key("Properties") => d.warn("CX4125", 
                &p,
                format!("ignored: {k} needs AWS API calls while the template is transformed, which a macro cannot make; the resource is created from Properties instead"),
            ),
            "Lookup" | "Use" => d.error("CX4126", 
                &p,
                format!(
                    "{k} needs AWS API calls while the template is transformed, which a macro cannot make; for an existing resource, declare a template Parameter with its ARN and give the services access with x-iam (see the README, \"Existing resources\")"
                ),
            ),
            "Scaling" if kind.key == "x-dynamodb" => {}
            "SecretsMappings" if kind.key == "x-docdb" => d.warn(
                "CX4388",
                &p,
                "ignored: ComposeX names the variables of the connection after the cluster (Settings.EnvNames), NAME_HOST, NAME_PORT, NAME_USERNAME and NAME_PASSWORD, rather than after the keys of its secret",
            ),
            _ => d.error("CX4127", &p, format!("{k:?} is not a key of an {} resource; use Properties, MacroParameters, Settings or Services", kind.key)),
        }
    }
    if def.contains_key("MacroParameters") && kind.hook.is_none() {
        d.warn(
            "CX4128",
            join(path, "MacroParameters"),
            format!("ignored: {} has no macro parameters ComposeX uses", kind.key),
        );
    }
}

/// CloudFormation's resource policies, per resource or for the whole kind (`x-s3:
/// {DeletionPolicy: Retain, …}` as ECS ComposeX files write it). One the file sets and not the
/// other applies to both (the data kept on delete is the data a replacement would delete);
/// where the file sets none, a kind that holds data gets its `keeps_data`.
fn policies(
    kind: &Kind,
    all: &Map<String, Value>,
    def: &Map<String, Value>,
    path: &str,
    d: &mut Diagnostics,
) -> Vec<(&'static str, Value)> {
    let mut set: Vec<(&'static str, Option<String>)> = Vec::new();
    for attr in ["DeletionPolicy", "UpdateReplacePolicy"] {
        let own = def.get(attr).map(|v| (v, join(path, attr)));
        let kind_wide = all.get(attr).map(|v| (v, join(kind.key, attr)));
        let value = match own.or(kind_wide) {
            None => None,
            Some((v, p)) => match v.as_str() {
                Some(x @ ("Delete" | "Retain" | "Snapshot")) => Some(x.to_string()),
                Some("RetainExceptOnCreate") if attr == "DeletionPolicy" => Some("RetainExceptOnCreate".to_string()),
                _ => {
                    let valid = if attr == "DeletionPolicy" {
                        "Delete, Retain, RetainExceptOnCreate or Snapshot"
                    } else {
                        "Delete, Retain or Snapshot"
                    };
                    d.error("CX4129", p, format!("{} is not a {attr}; use {valid}", crate::compose::read::show(v)));
                    return Vec::new();
                }
            },
        };
        set.push((attr, value));
    }
    let chosen = set.iter().find_map(|(_, v)| v.clone());
    let fallback = chosen.map(|c| if c == "RetainExceptOnCreate" { "Retain".to_string() } else { c });
    let fallback = fallback.or_else(|| kind.keeps_data.map(str::to_string));
    set.into_iter()
        .filter_map(|(attr, v)| {
            let v = v.or_else(|| match (attr, fallback.as_deref()) {
                ("DeletionPolicy", Some(f)) => Some(f.to_string()),
                ("UpdateReplacePolicy", Some(f)) => Some(f.to_string()),
                _ => None,
            })?;
            Some((attr, Value::String(v)))
        })
        .collect()
}

/// Names every resource of every kind first, so that references may point forward and across
/// kinds.
pub fn declare(ctx: &mut Ctx, decls: &[Decl]) {
    for kind in resource_kinds() {
        ctx.plan.declared.kinds.insert(kind.key);
    }
    for decl in decls {
        let (kind, id) = (decl.kind, decl.id.clone());
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
        ctx.plan.declared.resources.insert((kind.key.to_string(), decl.name.clone()), target);
    }
}

/// Expands every resource of kind `kind` (whatever its variant).
pub fn expand(ctx: &mut Ctx, kind: &'static Kind, decls: &[Decl]) {
    let of_kind: Vec<&Decl> = decls.iter().filter(|d| d.kind.key == kind.key).collect();
    let siblings: Vec<Decl> = of_kind.iter().map(|d| (*d).clone()).collect();
    for decl in of_kind {
        resource(ctx, decl, &siblings);
    }
}

fn resource(ctx: &mut Ctx, decl: &Decl, siblings: &[Decl]) {
    let kind = decl.kind;
    let path = &decl.path;
    let props = match decl.def.get("Properties") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(p @ Value::Object(_)) => refs::resolve(&ctx.plan.declared, p, &join(path, "Properties"), &mut ctx.d),
        Some(other) => {
            ctx.d.error(
                "CX4130",
                join(path, "Properties"),
                format!("Properties must be a mapping, not {}", kind_of(other)),
            );
            Value::Object(Map::new())
        }
    };
    let mut resource = crate::cfn::resource(kind.cfn_type, props);
    for (attr, v) in &decl.policies {
        resource[*attr] = v.clone();
    }
    if let Some(hook) = kind.hook {
        hook(ctx, decl, siblings, &mut resource);
    }
    ctx.add(path, decl.id.clone(), resource);
    ctx.t.output(format!("{}Arn", decl.id), kind.arn.value(&decl.id), &format!("ARN of {path}"));
    let keys = kms_keys(ctx, decl);
    grant(ctx, decl, &keys);
}

/// What a reader or writer of a resource encrypted with a KMS key needs of the key (SQS, SNS,
/// Kinesis, S3 and DynamoDB server-side encryption alike).
const KMS_FOR_ENCRYPTED: &[&str] = &["kms:Decrypt", "kms:GenerateDataKey"];

/// The keys of `x-kms` the resource's properties name (`KmsMasterKeyId`, `KMSMasterKeyID`,
/// `StreamEncryption.KeyId`…), as logical IDs: a `Ref` or `Fn::GetAtt` of one.
pub fn kms_keys(ctx: &Ctx, decl: &Decl) -> Vec<String> {
    let ids: Vec<&str> =
        ctx.plan.declared.resources.iter().filter(|((k, _), _)| k == "x-kms").map(|(_, t)| t.id.as_str()).collect();
    let Some(props) = ctx.t.resource(&decl.id).and_then(|r| r.get("Properties")) else { return vec![] };
    let mut found = std::collections::BTreeSet::new();
    named_keys(props, &ids, &mut found);
    found.into_iter().collect()
}

fn named_keys(v: &Value, ids: &[&str], found: &mut std::collections::BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            let named = match (m.get("Ref"), m.get("Fn::GetAtt")) {
                (Some(Value::String(id)), _) => Some(id.as_str()),
                (_, Some(Value::Array(a))) => a.first().and_then(Value::as_str),
                _ => None,
            };
            match named.filter(|id| ids.contains(id)) {
                Some(id) => {
                    found.insert(id.to_string());
                }
                None => m.values().for_each(|x| named_keys(x, ids, found)),
            }
        }
        Value::Array(a) => a.iter().for_each(|x| named_keys(x, ids, found)),
        _ => {}
    }
}

/// The ARNs a level's statement is scoped to.
fn arns(kind: &Kind, id: &str, scope: Scope) -> Vec<Value> {
    let arn = kind.arn.value(id);
    let child = |suffix: &str| json!({"Fn::Join": ["", [arn.clone(), suffix]]});
    match scope {
        Scope::Resource => vec![arn.clone()],
        Scope::WithChildren(suffix) => vec![arn.clone(), child(suffix)],
        Scope::Children(suffix) => vec![child(suffix)],
        Scope::Sub(text) => {
            vec![
                json!({"Fn::Sub": text.replace("${Id}", &format!("${{{id}}}")).replace("${Id.", &format!("${{{id}."))}),
            ]
        }
    }
}

/// IAM statements and environment variables for each consumer.
fn grant(ctx: &mut Ctx, decl: &Decl, keys: &[String]) {
    let kind = decl.kind;
    for c in &decl.consumers {
        // `Scaling` (x-sqs) is read by the family's scaling: crate::emit::steps.
        let Some(fams) = ctx.plan.families.resolve(&c.name) else {
            ctx.d.error("CX4131", &c.path, format!("{:?} is not a service nor a task family of this file", c.name));
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
                ctx.plan.grants.entry(f.clone()).or_default().push(statement.clone());
            }
        }
        // Reading or writing a resource encrypted with a key of this stack needs the key too.
        if c.levels.iter().any(|l| !l.actions.is_empty()) && kind.key != "x-kms" {
            for key in keys {
                let statement = crate::cfn::object([
                    ("Effect", Value::String("Allow".into())),
                    ("Action", json!(KMS_FOR_ENCRYPTED)),
                    ("Resource", json!([{"Fn::GetAtt": [key, "Arn"]}])),
                ]);
                for f in &fams {
                    ctx.plan.grants.entry(f.clone()).or_default().push(statement.clone());
                }
            }
        }
        let mut vars: Vec<(String, Value)> = match kind.default {
            Attr::None => vec![],
            default => decl.env_names.iter().map(|n| (n.clone(), default.value(&decl.id))).collect(),
        };
        for (attr, var) in &c.return_values {
            if let Some(v) = kind.attribute(&decl.id, attr) {
                vars.push((var.clone(), v));
            }
        }
        for svc in ctx.plan.families.services_of(&c.name).to_vec() {
            for (var, value) in &vars {
                set_env(ctx, &svc, var, value.clone(), &c.path);
            }
        }
    }
}

/// Adds a variable a resource gives a service; two resources giving the same name is an error.
pub fn set_env(ctx: &mut Ctx, service: &str, var: &str, value: Value, from: &str) {
    let vars = ctx.plan.env.entry(service.to_string()).or_default();
    if let Some((existing, other)) = vars.get(var) {
        // The same value twice (a service that is a consumer itself and through its family) is fine.
        if other != from && existing != &value {
            let other = other.clone();
            ctx.d.error("CX4132", from, format!("gives {service:?} the variable {var}, which {other} gives it too; rename one with Settings.EnvNames or ReturnValues"));
        }
        return;
    }
    vars.insert(var.to_string(), (value, from.to_string()));
}

fn settings_env_names(
    kind: &Kind,
    name: &str,
    def: &Map<String, Value>,
    path: &str,
    d: &mut Diagnostics,
) -> Vec<String> {
    let path = join(path, "Settings");
    let mut names = vec![crate::cfn::naming::env_name(name)];
    let Some(s) = def.get("Settings") else { return names };
    let Some(m) = map_or(s, &path, "Settings must be a mapping", d) else { return names };
    for (k, v) in m {
        let p = join(&path, k);
        match k.as_str() {
            "EnvNames" => match v.as_array() {
                Some(list) if !list.is_empty() => {
                    names = list
                        .iter()
                        .enumerate()
                        .filter_map(|(i, n)| literal(n, &index(&p, i), "a variable name", d))
                        .collect();
                }
                _ => d.error("CX4133", &p, "EnvNames must be a list of variable names"),
            },
            k if kind.settings_keys.contains(&k) => {}
            _ => d.warn("CX4134", &p, "ignored: ComposeX reads EnvNames from Settings"),
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
            ctx.d.warn("CX4135", &path, format!("ignored: {key} has no macro parameters ComposeX uses"));
            Map::new()
        }
        Some(mp) => {
            let m = map_or(mp, &path, "MacroParameters must be a mapping", &mut ctx.d).cloned().unwrap_or_default();
            for k in m.keys() {
                if !known.contains(&k.as_str()) {
                    ctx.d.warn(
                        "CX4136",
                        join(&path, k),
                        format!("ignored: ComposeX reads {} from MacroParameters of {key}", known.join(", ")),
                    );
                }
            }
            m
        }
    }
}
