//! References between resources and from services: `x-sqs::jobs` (the resource's default value)
//! and `x-sqs::jobs::Arn` (one of its attributes), in `Properties` and in environment values.
//! A reference to nothing is an error that names both ends.

use crate::diagnostics::{index, join, Diagnostics};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The `x-` resources of the file, named before any is expanded so that references may point
/// forward and across kinds.
#[derive(Debug, Clone, Default)]
pub struct Declared {
    /// The keys of every kind that declares resources (`x-sqs`): text of the form
    /// `x-kind::name` with another key is left as it is.
    pub kinds: BTreeSet<&'static str>,
    /// (kind key, name) → what a reference to it may stand for.
    pub resources: BTreeMap<(String, String), Target>,
}

/// A declared resource, as references see it.
#[derive(Debug, Clone)]
pub struct Target {
    pub id: String,
    /// The value of `x-kind::name`, when the kind has one.
    pub default: Option<Value>,
    /// Attributes `x-kind::name::Attr` may name, with their values.
    pub attributes: Vec<(&'static str, Value)>,
    /// The return values of the kind, in the order error messages list them.
    pub return_values: Vec<&'static str>,
}

impl Declared {
    /// The logical ID of resource `name` of kind `key`.
    pub fn id(&self, key: &str, name: &str) -> Option<&str> {
        self.resources.get(&(key.to_string(), name.to_string())).map(|t| t.id.as_str())
    }
}

/// `x-kind::name[::Attr]` split into its parts, when `text` has that shape.
pub fn parse(text: &str) -> Option<(&str, &str, Option<&str>)> {
    if !text.starts_with("x-") {
        return None;
    }
    let mut parts = text.split("::");
    let k = parts.next()?;
    let name = parts.next()?;
    let attr = parts.next();
    if parts.next().is_some() || name.is_empty() || attr == Some("") {
        return None;
    }
    Some((k, name, attr))
}

/// The value a reference stands for, or the error that says why it stands for nothing.
pub fn value_of(declared: &Declared, text: &str) -> Option<Result<Value, String>> {
    let (k, name, attr) = parse(text)?;
    if !declared.kinds.contains(k) {
        return None;
    }
    let Some(target) = declared.resources.get(&(k.to_string(), name.to_string())) else {
        let names: Vec<&str> = declared.resources.keys().filter(|(dk, _)| dk == k).map(|(_, n)| n.as_str()).collect();
        let known = if names.is_empty() {
            format!("{k} declares nothing")
        } else {
            format!("{k} declares {}", names.join(", "))
        };
        return Some(Err(format!("{text} refers to {k} {name:?}, which is not declared ({known})")));
    };
    Some(match attr {
        None => target.default.clone().ok_or_else(|| {
            format!("{text}: {k} has no default value; name an attribute: {text}::{}", target.return_values[0])
        }),
        Some(a) => target.attributes.iter().find(|(n, _)| *n == a).map(|(_, v)| v.clone()).ok_or_else(|| {
            format!("{text}: {a:?} is not an attribute of {k}; use {}", target.return_values.join(", "))
        }),
    })
}

/// `v` with every reference replaced by the intrinsic it stands for; dangling ones are errors at
/// their path (the referring end), naming the resource referred to (the other end).
pub fn resolve(declared: &Declared, v: &Value, path: &str, d: &mut Diagnostics) -> Value {
    match v {
        Value::String(s) => match value_of(declared, s) {
            Some(Ok(x)) => x,
            Some(Err(e)) => {
                d.error("CX3012", path, e);
                v.clone()
            }
            None => v.clone(),
        },
        Value::Array(items) => {
            Value::Array(items.iter().enumerate().map(|(i, x)| resolve(declared, x, &index(path, i), d)).collect())
        }
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, x)| (k.clone(), resolve(declared, x, &join(path, k), d))).collect())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_resolve_or_name_both_ends() {
        let mut declared = Declared::default();
        declared.kinds.insert("x-sqs");
        declared.resources.insert(
            ("x-sqs".into(), "jobs".into()),
            Target {
                id: "JobsQueue".into(),
                default: Some(json!({"Ref": "JobsQueue"})),
                attributes: vec![("Arn", json!({"Fn::GetAtt": ["JobsQueue", "Arn"]}))],
                return_values: vec!["Url", "Arn", "QueueName"],
            },
        );
        let mut d = Diagnostics::new();
        let v = json!({"a": "x-sqs::jobs", "b": ["x-sqs::jobs::Arn"], "c": "plain", "e": "x-unknown::thing"});
        assert_eq!(
            resolve(&declared, &v, "x-sns.t.Properties", &mut d),
            json!({"a": {"Ref": "JobsQueue"}, "b": [{"Fn::GetAtt": ["JobsQueue", "Arn"]}], "c": "plain", "e": "x-unknown::thing"})
        );
        assert!(!d.has_errors());
        resolve(&declared, &json!("x-sqs::jbos"), "services.web.environment.Q", &mut d);
        resolve(&declared, &json!("x-sqs::jobs::Nope"), "x-sns.t.Properties.X", &mut d);
        assert_eq!(
            d.error_message(10),
            "services.web.environment.Q: x-sqs::jbos refers to x-sqs \"jbos\", which is not declared (x-sqs declares jobs) [CX3012]\n\
             x-sns.t.Properties.X: x-sqs::jobs::Nope: \"Nope\" is not an attribute of x-sqs; use Url, Arn, QueueName [CX3012]"
        );
    }
}
