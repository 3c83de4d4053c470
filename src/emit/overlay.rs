//! Docker's `x-aws-cloudformation`: a piece of CloudFormation template merged into the generated
//! one last, so that any generated property can be tuned.
//!
//! ```yaml
//! x-aws-cloudformation:
//!   Resources:
//!     WebService:
//!       Properties:
//!         DeploymentConfiguration: {MinimumHealthyPercent: 50}   # maps merge
//!         EnableExecuteCommand: true                            # new keys are added
//!     WebLogGroup:
//!       Properties:
//!         RetentionInDays: 7                                    # other values replace
//! ```
//!
//! Mappings merge key by key, recursively; every other value (strings, numbers, lists) replaces
//! the generated one; `null` removes the key (as Docker's merge did). A resource the overlay names
//! that is neither generated nor declared must bring its own `Type`. The result is checked
//! against CloudFormation's quotas like any template; what the overlay changes is the user's own
//! choice, not checked against ComposeX's guarantees.

use crate::cfn::Template;
use crate::compose::read::{kind, map_or};
use crate::diagnostics::{join, Diagnostics};
use serde_json::{Map, Value};

pub const KEY: &str = "x-aws-cloudformation";

/// Merges the overlay `x` into `template`.
pub fn apply(template: &mut Template, x: &Value, d: &mut Diagnostics) {
    let head = "x-aws-cloudformation must be a mapping of template sections";
    let Some(overlay) = map_or(x, KEY, head, d) else { return };
    let resources = match overlay.get("Resources") {
        Some(Value::Null) => {
            d.error("CX5049", join(KEY, "Resources"), "the template cannot lose every resource; remove this key");
            return;
        }
        Some(res) => {
            let head = "Resources must be a mapping of logical IDs";
            let Some(m) = map_or(res, &join(KEY, "Resources"), head, d) else { return };
            for (id, r) in m {
                if !template.has(id) && !r.is_null() && r.get("Type").is_none() {
                    d.error("CX5050", 
                        join(&join(KEY, "Resources"), id),
                        format!("no resource {id:?} is generated nor declared: fix the logical ID (composex render shows them), or give it a Type to add one"),
                    );
                }
            }
            Some(m)
        }
        None => None,
    };
    // Each resource the overlay names is read back, merged and written again; the others are
    // not touched.
    let mut removed = Vec::new();
    for (id, r) in resources.into_iter().flatten() {
        match (template.resource(id).cloned(), r) {
            (_, Value::Null) => {
                template.remove(id);
                removed.push(id.clone());
            }
            (Some(Value::Object(mut a)), Value::Object(b)) if !function(r) => {
                merge_map(&mut a, b);
                template.put(id.clone(), Value::Object(a));
            }
            _ => template.put(id.clone(), r.clone()),
        }
    }
    dangling(template, &removed, d);
    for (k, v) in overlay {
        match k.as_str() {
            "Resources" => {}
            "Outputs" => match v {
                Value::Null => template.outputs.clear(),
                Value::Object(m) => merge_map(&mut template.outputs, m),
                other => {
                    d.error("CX5051", join(KEY, "Outputs"), format!("Outputs must be a mapping, not {}", kind(other)))
                }
            },
            _ => merge_map(&mut template.sections, &Map::from_iter([(k.clone(), v.clone())])),
        }
    }
}

/// A resource the overlay removes must not be referred to by what stays (`Ref`, `Fn::GetAtt`,
/// `${Id}` in `Fn::Sub`, `DependsOn`, an output): CloudFormation refuses such a template.
fn dangling(template: &Template, removed: &[String], d: &mut Diagnostics) {
    if removed.is_empty() {
        return;
    }
    let mut found: Vec<(String, String)> = Vec::new();
    for id in template.ids() {
        let Some(r) = template.resource(id) else { continue };
        for gone in removed {
            if refers_to(r, gone) {
                found.push((format!("Resources.{id}"), gone.clone()));
            }
        }
    }
    for (oid, o) in &template.outputs {
        for gone in removed {
            if refers_to(o, gone) {
                found.push((format!("Outputs.{oid}"), gone.clone()));
            }
        }
    }
    for (referrer, gone) in found {
        d.error(
            "CX5052",
            join(&join(KEY, "Resources"), &gone),
            format!("removes {gone}, which {referrer} still refers to; remove or change that too, or keep {gone}"),
        );
    }
}

/// Whether `v` refers to logical ID `id`.
fn refers_to(v: &Value, id: &str) -> bool {
    match v {
        Value::Object(m) => m.iter().any(|(k, x)| match (k.as_str(), x) {
            ("Ref", Value::String(s)) => s == id,
            ("Fn::GetAtt", Value::Array(a)) => a.first().and_then(Value::as_str) == Some(id) || refers_to(x, id),
            ("Fn::GetAtt", Value::String(s)) => s.split('.').next() == Some(id),
            ("DependsOn", Value::String(s)) => s == id,
            ("DependsOn", Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(id)),
            ("Fn::Sub", Value::String(s)) => sub_refers(s, id),
            ("Fn::Sub", Value::Array(a)) => {
                a.first().and_then(Value::as_str).is_some_and(|s| sub_refers(s, id)) || refers_to(x, id)
            }
            _ => refers_to(x, id),
        }),
        Value::Array(a) => a.iter().any(|x| refers_to(x, id)),
        _ => false,
    }
}

/// Whether an `Fn::Sub` text names `${id}` or `${id.Attr}`.
fn sub_refers(text: &str, id: &str) -> bool {
    text.split("${").skip(1).any(|part| {
        let name = part.split('}').next().unwrap_or_default();
        name == id || name.split('.').next() == Some(id)
    })
}

fn merge_map(into: &mut Map<String, Value>, from: &Map<String, Value>) {
    for (k, v) in from {
        match (into.get_mut(k), v) {
            (_, Value::Null) => {
                into.remove(k);
            }
            (Some(a @ Value::Object(_)), Value::Object(b)) if !function(a) && !function(v) => {
                if let Value::Object(a) = a {
                    merge_map(a, b);
                }
            }
            _ => {
                into.insert(k.clone(), v.clone());
            }
        }
    }
}

/// `{"Ref": …}` or `{"Fn::…": …}`: replaced whole, never merged into. (A lone `Condition` key is a
/// resource's condition here, merged like any key.)
fn function(v: &Value) -> bool {
    v.as_object().is_some_and(|m| m.len() == 1 && m.keys().all(|k| k == "Ref" || k.starts_with("Fn::")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template(v: Value) -> Template {
        let mut t = Template::default();
        for (id, r) in v["Resources"].as_object().unwrap() {
            t.add("x", id.clone(), r.clone());
        }
        t
    }

    #[test]
    fn maps_merge_other_values_replace_null_removes() {
        let mut t = template(
            json!({"Resources": {"A": {"Type": "T", "Properties": {"X": 1, "L": [1, 2], "M": {"a": 1, "b": 2}, "I": {"Ref": "P"}, "J": {"Ref": "Q"}}}, "Z": {"Type": "T"}}}),
        );
        let mut d = Diagnostics::new();
        apply(
            &mut t,
            &json!({"Resources": {"A": {"Condition": "C", "Properties": {"X": 2, "L": [3], "M": {"b": null, "c": 3}, "I": {"Fn::Sub": "x"}, "J": {"a": 1}, "N": true}}, "Z": null}, "Outputs": {"O": {"Value": "v"}}}),
            &mut d,
        );
        assert!(!d.has_errors());
        assert_eq!(
            t.to_value(),
            json!({"Resources": {"A": {"Type": "T", "Condition": "C", "Properties": {"X": 2, "L": [3], "M": {"a": 1, "c": 3}, "I": {"Fn::Sub": "x"}, "J": {"a": 1}, "N": true}}}, "Outputs": {"O": {"Value": "v"}}})
        );
    }

    #[test]
    fn outputs_merge_or_go_and_must_be_a_mapping() {
        let mut t = template(json!({"Resources": {"A": {"Type": "T"}}}));
        t.output("O".into(), json!("v"), "o");
        let mut d = Diagnostics::new();
        apply(&mut t, &json!({"Outputs": {"P": {"Value": "w"}}, "Description": "d"}), &mut d);
        assert_eq!(t.to_value()["Outputs"].as_object().unwrap().len(), 2);
        assert_eq!(t.to_value()["Description"], json!("d"));
        apply(&mut t, &json!({"Outputs": null}), &mut d);
        assert!(t.to_value().get("Outputs").is_none());
        assert!(!d.has_errors());
        apply(&mut t, &json!({"Outputs": "x"}), &mut d);
        assert_eq!(
            d.error_message(5),
            "x-aws-cloudformation.Outputs: Outputs must be a mapping, not a string [CX5051]"
        );
    }

    #[test]
    fn an_unknown_resource_needs_a_type() {
        let mut t = template(json!({"Resources": {"A": {"Type": "T"}}}));
        let mut d = Diagnostics::new();
        apply(&mut t, &json!({"Resources": {"B": {"Properties": {}}, "C": {"Type": "AWS::SNS::Topic"}}}), &mut d);
        let errors = d.errors();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].path, "x-aws-cloudformation.Resources.B");
    }
}
