//! `x-tags` (ECS ComposeX syntax): tags on every resource of the template whose type takes tags
//! that CloudFormation updates in place, generated or written under `Resources`.
//!
//! Which types take tags, and in which property and form (`Tags: [{Key, Value}]`, `Tags: {k: v}`
//! for SSM parameters, `FileSystemTags` for EFS), is read from the CloudFormation resource
//! schemas of the pinned cfn-lint, through `taggable.json` (`scripts/cfn-schemas.py` writes it
//! and checks it): a type whose tags would replace the resource is left untagged, so that adding
//! tags to a deployed stack never replaces anything. Tags the resource already carries (a
//! subnet's `Name`, a user's own) keep their value. ECS services get `PropagateTags: SERVICE`, so
//! that the tasks they start carry the tags too.
//!
//! Each resource is tagged on its own: adding a service adds its resources, tagged, and changes
//! no other. The stage runs after every other one but the `x-aws-cloudformation` overlay
//! ([`expand`], called by the renderer), whose own values win.

use crate::cfn::{is_intrinsic, Template};
use crate::compose::read::show;
use crate::diagnostics::{index, join, Diagnostics};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::OnceLock;

pub const KEY: &str = "x-tags";

/// CloudFormation's limits on a tag, and on the tags of one resource.
const MAX_KEY: usize = 128;
const MAX_VALUE: usize = 256;
const MAX_TAGS: usize = 50;

/// Type → {"property", "form"}, generated from the pinned schemas.
fn taggable() -> &'static BTreeMap<String, Value> {
    static TABLE: OnceLock<BTreeMap<String, Value>> = OnceLock::new();
    TABLE.get_or_init(|| serde_json::from_str(include_str!("taggable.json")).expect("the generated table"))
}

/// The property that holds the tags of `cfn_type`, and whether it is a list of {Key, Value}.
pub fn tag_property(cfn_type: &str) -> Option<(&'static str, bool)> {
    let entry = taggable().get(cfn_type)?;
    Some((entry["property"].as_str()?, entry["form"] == "list"))
}

/// Reads `x-tags`: a mapping of key → value, or a list of {Key, Value}; the tags in order, each
/// value a string or an intrinsic.
pub fn read(x: &Value, d: &mut Diagnostics) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = Vec::new();
    let mut add = |key: &Value, value: Option<&Value>, path: String, d: &mut Diagnostics| {
        let Some(key) = key.as_str() else {
            return d.error(
                "CX4352",
                &path,
                format!("the key {} is not a string; write the tag's key as text", show(key)),
            );
        };
        if key.is_empty() || key.chars().count() > MAX_KEY {
            return d.error(
                "CX4353",
                &path,
                format!("a tag key has 1 to {MAX_KEY} characters; {key:?} has {}", key.chars().count()),
            );
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return d.error(
                "CX4354",
                &path,
                format!("{key:?}: keys starting with aws: are reserved for AWS; choose another"),
            );
        }
        let value = match value {
            Some(Value::String(s)) if s.chars().count() > MAX_VALUE => {
                return d.error(
                    "CX4355",
                    &path,
                    format!("a tag value has at most {MAX_VALUE} characters; this one has {}", s.chars().count()),
                )
            }
            Some(v @ Value::String(_)) => v.clone(),
            Some(Value::Number(n)) => Value::String(n.to_string()),
            Some(Value::Bool(b)) => Value::String(b.to_string()),
            Some(v) if is_intrinsic(v) => v.clone(),
            Some(v) => {
                return d.error("CX4356", &path, format!("the value {} is not a string; write it as text", show(v)))
            }
            None => return d.error("CX4357", &path, "the tag has no Value; add one (it may be empty, \"\")"),
        };
        if out.iter().any(|(k, _)| k == key) {
            return d.error("CX4358", &path, format!("the key {key:?} is tagged twice; keep one"));
        }
        out.push((key.to_string(), value));
    };
    match x {
        Value::Object(m) => {
            for (k, v) in m {
                add(&Value::String(k.clone()), Some(v), join(KEY, k), d);
            }
        }
        Value::Array(list) => {
            for (i, item) in list.iter().enumerate() {
                let path = index(KEY, i);
                let Some(m) = item.as_object() else {
                    d.error("CX4359", &path, format!("{} is not a tag; write {{Key: …, Value: …}}", show(item)));
                    continue;
                };
                for k in m.keys().filter(|k| *k != "Key" && *k != "Value") {
                    d.error("CX4360", join(&path, k), format!("{k:?} is not a key of a tag; use Key and Value"));
                }
                match m.get("Key") {
                    Some(key) => add(key, m.get("Value"), path, d),
                    None => d.error("CX4361", &path, "the tag has no Key; add one"),
                }
            }
        }
        other => d.error(
            "CX4362",
            KEY,
            format!("{} is not tags; write a mapping of key: value, or a list of {{Key, Value}}", show(other)),
        ),
    }
    if out.len() > MAX_TAGS {
        d.error("CX4363", KEY, format!("{} tags; CloudFormation takes at most {MAX_TAGS} on a resource", out.len()));
    }
    out
}

/// Tags every taggable resource of `t` with `x-tags`, when the file has it.
pub fn expand(project: &crate::compose::Project, t: &mut Template, d: &mut Diagnostics) {
    let Some(x) = project.extensions.get(KEY) else { return };
    let tags = read(x, d);
    if tags.is_empty() {
        return;
    }
    let ids: Vec<String> = t.ids().map(String::from).collect();
    for id in ids {
        let Some(mut r) = t.resource(&id).cloned() else { continue };
        let Some(ty) = r["Type"].as_str().map(String::from) else { continue };
        let Some((property, list)) = tag_property(&ty) else { continue };
        let Some(props) = r.as_object_mut().map(|m| m.entry("Properties").or_insert_with(|| json!({}))) else {
            continue;
        };
        let Some(props) = props.as_object_mut() else { continue };
        if ty == "AWS::ECS::Service" {
            props.entry("PropagateTags").or_insert_with(|| json!("SERVICE"));
        }
        let existing = props.entry(property).or_insert_with(|| if list { json!([]) } else { json!({}) });
        let count = match existing {
            Value::Array(a) if list => {
                for (k, v) in &tags {
                    if !a.iter().any(|tag| tag["Key"] == *k) {
                        a.push(json!({"Key": k, "Value": v}));
                    }
                }
                a.len()
            }
            Value::Object(m) if !list && !is_intrinsic(&Value::Object(m.clone())) => {
                for (k, v) in &tags {
                    m.entry(k.clone()).or_insert_with(|| v.clone());
                }
                m.len()
            }
            // Tags written as an intrinsic (`!If`…) are the file's: left as they are.
            _ => continue,
        };
        if count > MAX_TAGS {
            d.error(
                "CX4364",
                KEY,
                format!(
                    "{id} would carry {count} tags with these; CloudFormation takes at most {MAX_TAGS} on a resource"
                ),
            );
        }
        t.replace(&id, r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_knows_the_forms() {
        assert_eq!(tag_property("AWS::SQS::Queue"), Some(("Tags", true)));
        assert_eq!(tag_property("AWS::SSM::Parameter"), Some(("Tags", false)));
        assert_eq!(tag_property("AWS::EFS::FileSystem"), Some(("FileSystemTags", true)));
        assert_eq!(tag_property("AWS::EC2::SecurityGroupIngress"), None);
    }

    #[test]
    fn reads_both_forms_and_refuses_bad_tags() {
        let mut d = Diagnostics::new();
        let tags = read(&json!({"team": "payments", "cost": 12}), &mut d);
        assert_eq!(tags, vec![("cost".into(), json!("12")), ("team".into(), json!("payments"))]);
        assert!(!d.has_errors());
        let tags = read(
            &json!([{"Key": "a", "Value": "1"}, {"Key": "aws:x", "Value": "2"}, {"Key": "a", "Value": "3"}, {"Value": "4"}]),
            &mut d,
        );
        assert_eq!(tags, vec![("a".into(), json!("1"))]);
        assert_eq!(d.errors().len(), 3);
    }
}

#[cfg(test)]
mod stability {
    use crate::render::{render, Options};
    use serde_json::json;

    /// Adding a service adds its resources, tagged, and leaves every other resource as it was.
    #[test]
    fn adding_a_service_changes_no_other_resource() {
        let one = json!({
            "x-tags": {"team": "payments"},
            "x-sqs": {"jobs": {"Services": {"web": {"Access": "RWMessages"}}}},
            "services": {"web": {"image": "nginx:1.27", "ports": ["80:80"]}}
        });
        let mut two = one.clone();
        two["services"]["worker"] = json!({"image": "busybox:1.36"});
        let a = render(&one, &Options::default()).template.expect("renders").to_value();
        let b = render(&two, &Options::default()).template.expect("renders").to_value();
        let (a, b) = (a["Resources"].as_object().unwrap(), b["Resources"].as_object().unwrap());
        for (id, r) in a {
            assert_eq!(Some(r), b.get(id), "{id} changed");
        }
        assert!(b.keys().any(|id| id.starts_with("Worker")));
        assert_eq!(b["WorkerTaskDefinition"]["Properties"]["Tags"], json!([{"Key": "team", "Value": "payments"}]));
    }
}
