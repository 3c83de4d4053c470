//! The CloudFormation sections of the input: passed through unchanged, except `Transform`,
//! from which ComposeX removes itself (other transforms, such as AWS::Serverless, stay).

use crate::cfn::template::USER_RESOURCES;
use crate::compose::project::CFN_SECTIONS;
use crate::plan::Ctx;
use serde_json::Value;

pub const TRANSFORM_NAME: &str = "ComposeX";

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
                None => ctx.d.error("CX5053", "Resources", "Resources must be a mapping of logical IDs to resources"),
            },
            "Outputs" => match value.as_object() {
                Some(outs) => {
                    for (id, o) in outs {
                        ctx.t.outputs.insert(id.clone(), o.clone());
                        ctx.t.set_output_owner(id.clone(), USER_RESOURCES);
                    }
                }
                None => ctx.d.error("CX5054", "Outputs", "Outputs must be a mapping"),
            },
            _ => {
                if !value.is_object() && !matches!(key.as_str(), "AWSTemplateFormatVersion" | "Description") {
                    ctx.d.error("CX5055", key.as_str(), format!("{key} must be a mapping"));
                }
                ctx.t.sections.insert(key.clone(), value.clone());
            }
        }
    }
}
