//! CloudFormation quotas a processed template must respect. Exceeding one at deploy time gives
//! a terse error; checking here lets the message say which families weigh what.

use crate::diagnostics::Diagnostics;
use serde_json::Value;
use std::collections::BTreeMap;

pub const MAX_RESOURCES: usize = 500;
pub const MAX_PARAMETERS: usize = 200;
pub const MAX_OUTPUTS: usize = 200;
/// Template size from S3 (the limit that applies to a processed template): 1 MB.
pub const MAX_BYTES: usize = 1_000_000;

/// Checks the quotas on the finished template. `owners` maps logical IDs to the family or
/// resource that generated them.
pub fn check(template: &Value, owners: &serde_json::Map<String, Value>, diags: &mut Diagnostics) {
    let count = |section: &str| template.get(section).and_then(Value::as_object).map_or(0, |m| m.len());
    let resources = count("Resources");
    if resources > MAX_RESOURCES {
        diags.error(
            "",
            format!(
                "the template has {resources} resources, more than CloudFormation's {MAX_RESOURCES}: {}; split the application into several stacks",
                weights(template, owners)
            ),
        );
    }
    let parameters = count("Parameters");
    if parameters > MAX_PARAMETERS {
        diags.error(
            "Parameters",
            format!("the template has {parameters} parameters, more than CloudFormation's {MAX_PARAMETERS}"),
        );
    }
    let outputs = count("Outputs");
    if outputs > MAX_OUTPUTS {
        diags.error(
            "Outputs",
            format!("the template has {outputs} outputs, more than CloudFormation's {MAX_OUTPUTS}; split the application into several stacks"),
        );
    }
    // Counting bytes means writing the whole template out; past the resource quota the stack
    // cannot deploy anyway, and that error already names what weighs most.
    let bytes = if resources > MAX_RESOURCES { 0 } else { super::json::compact_len(template) };
    if bytes > MAX_BYTES {
        diags.error(
            "",
            format!("the template is {bytes} bytes, more than CloudFormation's {MAX_BYTES}: {}; split the application into several stacks", weights(template, owners)),
        );
    }
}

/// "web 9, db 7, (your Resources) 2": resources per owner, heaviest first.
fn weights(template: &Value, owners: &serde_json::Map<String, Value>) -> String {
    let mut by_owner: BTreeMap<String, usize> = BTreeMap::new();
    if let Some(res) = template.get("Resources").and_then(Value::as_object) {
        for id in res.keys() {
            let owner = owners.get(id).and_then(Value::as_str).unwrap_or("(your Resources)");
            *by_owner.entry(owner.to_string()).or_default() += 1;
        }
    }
    let mut list: Vec<(String, usize)> = by_owner.into_iter().collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let shown: Vec<String> = list.iter().take(10).map(|(o, n)| format!("{o} {n}")).collect();
    let mut s = shown.join(", ");
    if list.len() > 10 {
        s.push_str(&format!(", (+{} more)", list.len() - 10));
    }
    s
}
