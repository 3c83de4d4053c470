//! The CloudFormation macro contract: request and response, and the pure `transform`.
//!
//! `aws_lambda_events` has no type for macro events, so they are defined here. The request is
//! read leniently (every field optional) so that no input can make the Lambda itself fail:
//! CloudFormation shows a Lambda error as "failed without an error message", while a `failure`
//! response shows our message in the stack events.

use crate::cfn::Template;
use crate::diagnostics::Diagnostics;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How many errors `errorMessage` lists before "(+N more)".
pub const MAX_ERROR_LINES: usize = 40;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MacroRequest {
    pub region: Value,
    pub account_id: Value,
    pub fragment: Value,
    pub transform_id: Value,
    pub params: Value,
    pub request_id: Value,
    pub template_parameter_values: Value,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MacroResponse {
    pub request_id: Value,
    pub status: String,
    /// The processed template; `{}` on failure.
    #[serde(serialize_with = "fragment")]
    pub fragment: Option<Template>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error_message: Option<String>,
}

/// Options that do not come from the template itself.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Compose project name (`-p`); the template's `name` wins when both are set.
    pub project_name: Option<String>,
    /// Rendering for the CLI: `file:` secrets become empty Secrets Manager secrets instead of
    /// errors (the macro has no files).
    pub cli: bool,
}

/// The outcome of one render: the template when there was no error, and every finding.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub template: Option<Template>,
    pub diagnostics: Diagnostics,
}

/// Renders a whole template (compose sections plus CloudFormation sections, `Transform` removed
/// or not) into a CloudFormation template.
pub fn render(doc: &Value, options: &Options) -> Rendered {
    crate::expand::render(doc, options)
}

/// Handles one macro request. Never panics on any input: a malformed request is a `failure`.
pub fn transform(mut request: Value) -> MacroResponse {
    let request_id = request.get("requestId").cloned().unwrap_or(Value::Null);
    // The fragment is taken out whole (no copy of a large template); the rest is read leniently.
    let fragment = request.as_object_mut().and_then(|m| m.remove("fragment")).unwrap_or(Value::Null);
    let req: MacroRequest = match serde_json::from_value(request) {
        Ok(r) => r,
        Err(e) => return failure(request_id, format!("the request is not a CloudFormation macro event: {e}")),
    };
    if fragment.is_null() {
        return failure(
            req.request_id,
            "the request has no `fragment`: ComposeX expects a CloudFormation macro event".into(),
        );
    }
    // The fragment is given away: the render frees it once read (see `render_owned`).
    let outcome = std::panic::catch_unwind(|| crate::expand::render_owned(fragment, &Options::default()));
    match outcome {
        Ok(Rendered { template: Some(t), .. }) => MacroResponse {
            request_id: req.request_id,
            status: "success".into(),
            fragment: Some(t),
            error_message: None,
        },
        Ok(Rendered { diagnostics, .. }) => failure(req.request_id, diagnostics.error_message(MAX_ERROR_LINES)),
        Err(_) => failure(
            req.request_id,
            "ComposeX hit an internal error on this template; please report it with the template attached".into(),
        ),
    }
}

fn failure(request_id: Value, message: String) -> MacroResponse {
    MacroResponse { request_id, status: "failure".into(), fragment: None, error_message: Some(message) }
}

fn fragment<S: serde::Serializer>(t: &Option<Template>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => t.serialize(s),
        None => serde_json::Map::new().serialize(s),
    }
}
