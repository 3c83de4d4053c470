//! The CloudFormation sections of the input: passed through unchanged, except `Transform`,
//! from which ComposeX removes itself (other transforms, such as AWS::Serverless, stay).

use super::Ctx;
use crate::compose::project::CFN_SECTIONS;
use crate::diagnostics::join;
use serde_json::Value;

pub const TRANSFORM_NAME: &str = "ComposeX";
pub const USER_RESOURCES: &str = "(your Resources)";

pub fn sections(doc: &Value, ctx: &mut Ctx) {
    let Some(top) = doc.as_object() else { return };
    ctx.t.sections.insert("AWSTemplateFormatVersion".into(), Value::String("2010-09-09".into()));
    for (key, value) in top {
        if !CFN_SECTIONS.contains(&key.as_str()) {
            continue;
        }
        match key.as_str() {
            "Transform" => {
                let rest: Vec<Value> = match value {
                    Value::String(s) if s == TRANSFORM_NAME => vec![],
                    Value::Array(list) => list.iter().filter(|v| v.as_str() != Some(TRANSFORM_NAME)).cloned().collect(),
                    other => vec![other.clone()],
                };
                match rest.len() {
                    0 => {}
                    1 => {
                        ctx.t.sections.insert(key.clone(), rest.into_iter().next().unwrap_or_default());
                    }
                    _ => {
                        ctx.t.sections.insert(key.clone(), Value::Array(rest));
                    }
                }
            }
            "Resources" => match value.as_object() {
                Some(res) => {
                    for (id, r) in res {
                        ctx.t.add(USER_RESOURCES, id.clone(), r.clone());
                    }
                }
                None => ctx.d.error("Resources", "Resources must be a mapping of logical IDs to resources"),
            },
            "Outputs" => match value.as_object() {
                Some(outs) => {
                    for (id, o) in outs {
                        ctx.t.outputs.insert(id.clone(), o.clone());
                        ctx.t.set_output_owner(id.clone(), USER_RESOURCES);
                    }
                }
                None => ctx.d.error("Outputs", "Outputs must be a mapping"),
            },
            _ => {
                if !value.is_object() && !matches!(key.as_str(), "AWSTemplateFormatVersion" | "Description") {
                    ctx.d.error(key.as_str(), format!("{key} must be a mapping"));
                }
                ctx.t.sections.insert(key.clone(), value.clone());
            }
        }
    }
}

impl Ctx<'_> {
    /// Adds a generated resource; a logical ID that is already taken is an error naming both
    /// owners (a user resource of the same name, or two compose names that normalise alike).
    pub fn add(&mut self, owner: &str, id: String, resource: Value) {
        let Err(id) = self.t.try_add(owner, id, resource) else { return };
        let other = self.t.owner(&id).unwrap_or_default().to_string();
        let path = if other == USER_RESOURCES {
            join("Resources", &id)
        } else if let Some(f) = self.families.list.get(owner) {
            join("services", &f.services[0])
        } else {
            owner.to_string()
        };
        self.d.error(
            path,
            format!("the logical ID {id:?} is generated for {owner} and also used by {other}; rename one of them"),
        );
    }
}
