//! References between resources and from services: `x-sqs::jobs` (the resource's default value)
//! and `x-sqs::jobs::Arn` (one of its attributes), in `Properties` and in environment values.
//! A reference to nothing is an error that names both ends.

use super::{kind, Attr, Kind};
use crate::diagnostics::{index, join, Diagnostics};
use serde_json::Value;
use std::collections::BTreeMap;

/// Declared resources: (kind key, name) → logical ID and the kind it is (a variant, for kinds
/// whose type depends on the declaration).
pub type Declared = BTreeMap<(String, String), (String, &'static Kind)>;

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
    kind(k)?;
    let Some((id, kind)) = declared.get(&(k.to_string(), name.to_string())) else {
        let names: Vec<&str> = declared.keys().filter(|(dk, _)| dk == k).map(|(_, n)| n.as_str()).collect();
        let known = if names.is_empty() {
            format!("{k} declares nothing")
        } else {
            format!("{k} declares {}", names.join(", "))
        };
        return Some(Err(format!("{text} refers to {k} {name:?}, which is not declared ({known})")));
    };
    Some(match attr {
        None if matches!(kind.default, Attr::None) => {
            Err(format!("{text}: {k} has no default value; name an attribute: {text}::{}", kind.return_values[0].0))
        }
        None => Ok(kind.default.value(id)),
        Some(a) => kind
            .attribute(id, a)
            .ok_or_else(|| format!("{text}: {a:?} is not an attribute of {k}; use {}", kind.attribute_names())),
    })
}

/// `v` with every reference replaced by the intrinsic it stands for; dangling ones are errors at
/// their path (the referring end), naming the resource referred to (the other end).
pub fn resolve(declared: &Declared, v: &Value, path: &str, d: &mut Diagnostics) -> Value {
    match v {
        Value::String(s) => match value_of(declared, s) {
            Some(Ok(x)) => x,
            Some(Err(e)) => {
                d.error(path, e);
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
        let mut declared = Declared::new();
        declared.insert(("x-sqs".into(), "jobs".into()), ("JobsQueue".into(), &crate::resources::sqs::KIND));
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
            "services.web.environment.Q: x-sqs::jbos refers to x-sqs \"jbos\", which is not declared (x-sqs declares jobs)\n\
             x-sns.t.Properties.X: x-sqs::jobs::Nope: \"Nope\" is not an attribute of x-sqs; use Url, Arn, QueueName"
        );
    }
}
