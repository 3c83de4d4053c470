//! CloudFormation quotas a processed template must respect, and the one namespace of its logical
//! IDs. Exceeding one at deploy time gives a terse error; checking here lets the message say
//! which families weigh what.

use super::template::{USER_PARAMETERS, USER_RESOURCES};
use super::Template;
use crate::diagnostics::{join, Diagnostics};
use serde_json::Value;
use std::collections::BTreeMap;

pub const MAX_RESOURCES: usize = 500;
pub const MAX_PARAMETERS: usize = 200;
pub const MAX_OUTPUTS: usize = 200;
/// Template size from S3 (the limit that applies to a processed template): 1 MB.
pub const MAX_BYTES: usize = 1_000_000;

/// Checks the quotas on the finished template; its `owners` say which family or resource
/// generated each logical ID.
pub fn check(template: &Template, diags: &mut Diagnostics) {
    let resources = template.resource_count();
    if resources > MAX_RESOURCES {
        diags.error("CX6001", 
            "",
            format!(
                "the template has {resources} resources, more than CloudFormation's {MAX_RESOURCES}: {}; split the application into several stacks",
                weights(template.owners(), USER_RESOURCES)
            ),
        );
    }
    let parameters = template.sections.get("Parameters").and_then(Value::as_object);
    let count = parameters.map_or(0, |m| m.len());
    if count > MAX_PARAMETERS {
        diags.error(
            "CX6002",
            "Parameters",
            format!(
                "the template has {count} parameters, more than CloudFormation's {MAX_PARAMETERS}: {}; make fewer values template parameters, or split the application into several stacks",
                weights(template.parameter_owners(), USER_PARAMETERS)
            ),
        );
    }
    // Parameters and resources share one namespace of logical IDs: `Ref` could not tell them apart.
    for id in parameters.into_iter().flat_map(|p| p.keys()).filter(|id| template.has(id)) {
        let path = template.parameter_owner(id).map_or_else(|| join("Parameters", id), str::to_string);
        let resource = match template.owner(id) {
            Some(owner) if owner != USER_RESOURCES => format!("the resource generated for {owner}"),
            _ => "a resource of the file's Resources".to_string(),
        };
        diags.error(
            "CX6010",
            path,
            format!("{id} is the logical ID of a template parameter and of {resource}; a template's logical IDs are unique across Parameters and Resources: rename one"),
        );
    }
    let outputs = template.outputs.len();
    if outputs > MAX_OUTPUTS {
        diags.error("CX6003", 
            "Outputs",
            format!("the template has {outputs} outputs, more than CloudFormation's {MAX_OUTPUTS}; split the application into several stacks"),
        );
    }
    // Past the resource quota the stack cannot deploy anyway, and that error already names what
    // weighs most.
    let bytes = if resources > MAX_RESOURCES { 0 } else { serde_json::to_vec(template).map_or(0, |b| b.len()) };
    if bytes > MAX_BYTES {
        diags.error("CX6004", 
            "",
            format!("the template is {bytes} bytes, more than CloudFormation's {MAX_BYTES}: {}; split the application into several stacks", weights(template.owners(), USER_RESOURCES)),
        );
    }
}

/// "web 9, db 7, (your Resources) 2": how many of the IDs each owner has, heaviest first;
/// `unowned` names the file's own.
fn weights<'a>(owners: impl Iterator<Item = Option<&'a str>>, unowned: &'a str) -> String {
    let mut by_owner: BTreeMap<&str, usize> = BTreeMap::new();
    // The IDs of one family share its prefix, so they come in runs of one owner: counted in the
    // run, and added to the map once per run.
    let mut run: Option<(&str, usize)> = None;
    for owner in owners {
        let owner = owner.unwrap_or(unowned);
        match &mut run {
            Some((o, n)) if *o == owner => *n += 1,
            _ => {
                if let Some((o, n)) = run.replace((owner, 1)) {
                    *by_owner.entry(o).or_default() += n;
                }
            }
        }
    }
    if let Some((o, n)) = run {
        *by_owner.entry(o).or_default() += n;
    }
    let mut list: Vec<(&str, usize)> = by_owner.into_iter().collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let shown: Vec<String> = list.iter().take(10).map(|(o, n)| format!("{o} {n}")).collect();
    let mut s = shown.join(", ");
    if list.len() > 10 {
        s.push_str(&format!(", (+{} more)", list.len() - 10));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn weights_count_each_owner_and_the_users_own_resources() {
        let mut t = Template::default();
        for (owner, id) in [("web", "WebA"), ("db", "DbA"), ("web", "WebB"), ("x-vpc", "Vpc"), ("web", "A0")] {
            t.add(owner, id.into(), json!({"Type": "T"}));
        }
        // An owned output, and resources with no owner (the user's, as the x-aws-cloudformation
        // overlay adds them).
        t.set_output_owner("X".into(), "db");
        t.put("B".into(), json!({"Type": "T"}));
        t.put("Zz".into(), json!({"Type": "T"}));
        assert_eq!(weights(t.owners(), USER_RESOURCES), "web 3, (your Resources) 2, db 1, x-vpc 1");
    }
}
