//! Compose `models` → Amazon Bedrock. A model whose `model:` is a Bedrock model ID is invoked
//! where Bedrock hosts it, not run by the stack: each service that lists it gets the two
//! variables compose names (`endpoint_var`, `model_var`, by default `<NAME>_URL` and
//! `<NAME>_MODEL`) set to the Bedrock runtime endpoint of the stack's region and to the model
//! ID, and its task family's task role one statement, `bedrock:InvokeModel` and
//! `bedrock:InvokeModelWithResponseStream` on exactly that model's ARNs.
//!
//! - a foundation model ID (`anthropic.claude-3-haiku-20240307-v1:0`, `amazon.titan-…`,
//!   `meta.llama…`): `arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/<id>`;
//! - a cross-Region inference profile ID (`us.anthropic.…`, `eu.…`, `apac.…`, `global.…`): the
//!   profile, `arn:…:bedrock:${AWS::Region}:${AWS::AccountId}:inference-profile/<id>`, and the
//!   foundation model in every Region it may route to, `arn:…:bedrock:*::foundation-model/<base>`
//!   (Bedrock checks both when a profile is invoked);
//! - anything else (Docker Model Runner's `ai/smollm2`, `hf.co/…`, a bare name): refused, as
//!   Bedrock does not host it, with the way out.
//!
//! `context_size` and `runtime_flags` tune a model runner; Bedrock has no such setting per model,
//! so they are ignored with a warning.

use crate::cfn::naming::pascal;
use crate::plan::Ctx;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The two actions a service needs to call a model, streamed or not.
pub const ACTIONS: [&str; 2] = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"];

/// The prefixes of Bedrock's cross-Region (system-defined) inference profiles.
const PROFILE_PREFIXES: &[&str] = &["us", "us-gov", "eu", "apac", "jp", "au", "ca", "global"];

/// What Bedrock calls a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BedrockModel {
    Foundation(String),
    /// (profile ID, the foundation model ID it routes to).
    Profile(String, String),
}

/// A Bedrock foundation-model ID: `provider.name`, the provider in lower case, the name of the
/// characters Bedrock IDs use (`anthropic.claude-3-haiku-20240307-v1:0`).
fn foundation_id(id: &str) -> bool {
    let Some((provider, name)) = id.split_once('.') else { return false };
    provider.starts_with(|c: char| c.is_ascii_lowercase())
        && provider.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':' | '_'))
}

/// Reads a compose `model:` as a Bedrock model, or `None` when Bedrock does not host it.
pub fn bedrock_model(id: &str) -> Option<BedrockModel> {
    if let Some((prefix, base)) = id.split_once('.') {
        if PROFILE_PREFIXES.contains(&prefix) && foundation_id(base) {
            return Some(BedrockModel::Profile(id.to_string(), base.to_string()));
        }
    }
    foundation_id(id).then(|| BedrockModel::Foundation(id.to_string()))
}

impl BedrockModel {
    /// The ARNs a caller must be allowed to invoke.
    pub fn arns(&self) -> Vec<Value> {
        let sub = |s: String| json!({ "Fn::Sub": s });
        match self {
            BedrockModel::Foundation(id) => {
                vec![sub(format!("arn:${{AWS::Partition}}:bedrock:${{AWS::Region}}::foundation-model/{id}"))]
            }
            BedrockModel::Profile(id, base) => vec![
                sub(format!(
                    "arn:${{AWS::Partition}}:bedrock:${{AWS::Region}}:${{AWS::AccountId}}:inference-profile/{id}"
                )),
                sub(format!("arn:${{AWS::Partition}}:bedrock:*::foundation-model/{base}")),
            ],
        }
    }
}

/// The Bedrock runtime endpoint of the stack's Region, for `endpoint_var`.
pub fn endpoint() -> Value {
    json!({"Fn::Sub": "https://bedrock-runtime.${AWS::Region}.${AWS::URLSuffix}"})
}

pub fn expand(ctx: &mut Ctx) {
    let mut mapped: BTreeMap<String, BedrockModel> = BTreeMap::new();
    let mut sids: BTreeMap<String, String> = BTreeMap::new();
    for (name, m) in &ctx.project.models {
        if let Some((_, p)) = &m.context_size {
            ctx.d.warn("CX5120", p, "ignored: Bedrock sets the context size of each model itself");
        }
        if let Some((_, p)) = &m.runtime_flags {
            ctx.d.warn(
                "CX5121",
                p,
                "ignored: Bedrock runs the model, with no runtime flags; pass inference parameters in each request",
            );
        }
        for p in &m.extensions {
            ctx.d.warn("CX5122", p, "ignored: ComposeX does not know this extension");
        }
        if m.model.is_empty() {
            continue;
        }
        let Some(model) = bedrock_model(&m.model) else {
            ctx.d.error("CX5123", 
                format!("{}.model", m.path),
                format!(
                    "{:?} is not a model Amazon Bedrock hosts, and ECS has no model runner; set model: to a Bedrock model ID such as anthropic.claude-3-haiku-20240307-v1:0 (or an inference profile such as us.anthropic.claude-3-haiku-20240307-v1:0), or run that model in a service of its own",
                    m.model
                ),
            );
            continue;
        };
        let sid = format!("InvokeModel{}", pascal(name));
        if let Some(other) = sids.insert(sid.clone(), name.clone()) {
            ctx.d.error(
                "CX5124",
                &m.path,
                format!("model {name:?} and model {other:?} have the same name once normalised; rename one"),
            );
        }
        mapped.insert(name.clone(), model);
    }
    for (service, s) in &ctx.project.services {
        for used in &s.models {
            let Some(model) = mapped.get(&used.name) else { continue };
            let statement = json!({
                "Sid": format!("InvokeModel{}", pascal(&used.name)),
                "Effect": "Allow",
                "Action": ACTIONS,
                "Resource": model.arns()
            });
            let fams: Vec<String> =
                ctx.plan.families.resolve(service).unwrap_or_default().iter().map(|f| f.name.clone()).collect();
            for f in fams {
                let grants = ctx.plan.grants.entry(f).or_default();
                if !grants.contains(&statement) {
                    grants.push(statement.clone());
                }
            }
            let id = match model {
                BedrockModel::Foundation(id) | BedrockModel::Profile(id, _) => id.clone(),
            };
            for (var, value) in [(used.endpoint_var(), endpoint()), (used.model_var(), Value::String(id))] {
                let vars = ctx.plan.env.entry(service.clone()).or_default();
                if let Some((_, other)) = vars.get(&var) {
                    let other = other.clone();
                    ctx.d.error("CX5125", 
                        &used.path,
                        format!("gives {service:?} the variable {var}, which {other} gives it too; name another with endpoint_var or model_var"),
                    );
                    continue;
                }
                vars.insert(var, (value, used.path.clone()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bedrock_model_ids() {
        let f = |s: &str| Some(BedrockModel::Foundation(s.to_string()));
        assert_eq!(
            bedrock_model("anthropic.claude-3-haiku-20240307-v1:0"),
            f("anthropic.claude-3-haiku-20240307-v1:0")
        );
        assert_eq!(bedrock_model("amazon.titan-embed-text-v2:0"), f("amazon.titan-embed-text-v2:0"));
        assert_eq!(bedrock_model("meta.llama3-1-8b-instruct-v1:0"), f("meta.llama3-1-8b-instruct-v1:0"));
        assert_eq!(
            bedrock_model("us.anthropic.claude-3-5-haiku-20241022-v1:0"),
            Some(BedrockModel::Profile(
                "us.anthropic.claude-3-5-haiku-20241022-v1:0".into(),
                "anthropic.claude-3-5-haiku-20241022-v1:0".into()
            ))
        );
        for dmr in [
            "ai/smollm2",
            "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF",
            "smollm2",
            "smollm2:1.7b",
            "ai/llama3.2:1B-Q8_0",
            "Anthropic.claude",
        ] {
            assert_eq!(bedrock_model(dmr), None, "{dmr}");
        }
    }
}
