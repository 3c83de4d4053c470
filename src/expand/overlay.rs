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

use crate::compose::read::kind;
use crate::diagnostics::{join, Diagnostics};
use serde_json::{Map, Value};

pub const KEY: &str = "x-aws-cloudformation";

/// Merges the overlay `x` into `template`.
pub fn apply(template: &mut Value, x: &Value, d: &mut Diagnostics) {
    let Some(overlay) = x.as_object().filter(|_| !crate::cfn::is_intrinsic(x)) else {
        d.error(KEY, format!("x-aws-cloudformation must be a mapping of template sections, not {}", kind(x)));
        return;
    };
    if let Some(res) = overlay.get("Resources") {
        match res.as_object() {
            Some(m) => {
                let existing = template.get("Resources").and_then(Value::as_object);
                for (id, r) in m {
                    let known = existing.is_some_and(|e| e.contains_key(id));
                    if !known && !r.is_null() && r.get("Type").is_none() {
                        d.error(
                            join(&join(KEY, "Resources"), id),
                            format!("no resource {id:?} is generated nor declared: fix the logical ID (composex render shows them), or give it a Type to add one"),
                        );
                    }
                }
            }
            None if res.is_null() => {
                d.error(join(KEY, "Resources"), "the template cannot lose every resource; remove this key");
                return;
            }
            None => {
                d.error(
                    join(KEY, "Resources"),
                    format!("Resources must be a mapping of logical IDs, not {}", kind(res)),
                );
                return;
            }
        }
    }
    if let Some(t) = template.as_object_mut() {
        merge_map(t, overlay);
    }
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

    #[test]
    fn maps_merge_other_values_replace_null_removes() {
        let mut t = json!({"Resources": {"A": {"Type": "T", "Properties": {"X": 1, "L": [1, 2], "M": {"a": 1, "b": 2}, "I": {"Ref": "P"}, "J": {"Ref": "Q"}}}}});
        let mut d = Diagnostics::new();
        apply(
            &mut t,
            &json!({"Resources": {"A": {"Condition": "C", "Properties": {"X": 2, "L": [3], "M": {"b": null, "c": 3}, "I": {"Fn::Sub": "x"}, "J": {"a": 1}, "N": true}}}, "Outputs": {"O": {"Value": "v"}}}),
            &mut d,
        );
        assert!(!d.has_errors());
        assert_eq!(
            t,
            json!({"Resources": {"A": {"Type": "T", "Condition": "C", "Properties": {"X": 2, "L": [3], "M": {"a": 1, "c": 3}, "I": {"Fn::Sub": "x"}, "J": {"a": 1}, "N": true}}}, "Outputs": {"O": {"Value": "v"}}})
        );
    }

    #[test]
    fn an_unknown_resource_needs_a_type() {
        let mut t = json!({"Resources": {"A": {"Type": "T"}}});
        let mut d = Diagnostics::new();
        apply(&mut t, &json!({"Resources": {"B": {"Properties": {}}, "C": {"Type": "AWS::SNS::Topic"}}}), &mut d);
        let errors = d.errors();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].path, "x-aws-cloudformation.Resources.B");
    }
}
