//! The CloudFormation macro contract: request and response, and the pure `transform`.
//!
//! `aws_lambda_events` has no type for macro events, so they are defined here. The request is
//! read leniently (every field optional) so that no input can make the Lambda itself fail:
//! CloudFormation shows a Lambda error as "failed without an error message", while a `failure`
//! response shows our message in the stack events.

use crate::cfn::Template;
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

/// Renders a whole template (compose sections plus CloudFormation sections, `Transform` removed
/// or not) into a CloudFormation template: the one render of the CLI and the Lambda.
pub use crate::render::{render, Options, Rendered};

/// Handles one macro request. Never panics on any input: a malformed request is a `failure`.
pub fn transform(mut request: Value) -> MacroResponse {
    // The fragment is taken out whole (no copy of a large template); the rest is read leniently.
    let fragment = request.as_object_mut().and_then(|m| m.remove("fragment")).unwrap_or(Value::Null);
    let request_id = request.get("requestId").cloned().unwrap_or(Value::Null);
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
    // Nothing the render touched is used after a panic: the fragment is only read.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| render(&fragment, &Options::default())));
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

/// Handles one macro request given as JSON text, what the Lambda receives: the request is
/// decoded (serde_json's default nesting limit of 128 turns a too deep input into a `failure`),
/// then handled by [`transform`].
pub fn transform_json(body: &str) -> MacroResponse {
    match serde_json::from_str::<Value>(body) {
        Ok(request) => transform(request),
        Err(e) => failure(Value::Null, format!("the request is not a CloudFormation macro event: {e}")),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn answer_of(text: &str) -> (String, Option<String>) {
        let r = transform_json(text);
        (r.status, r.error_message)
    }

    #[test]
    fn text_that_is_not_json_is_a_failure() {
        let (status, message) = answer_of("{\"requestId\": \"a\", \"fragment\": ");
        assert_eq!(status, "failure");
        assert!(message.unwrap().starts_with("the request is not a CloudFormation macro event: EOF while parsing"));
    }

    #[test]
    fn deep_nesting_is_a_failure_not_a_crash() {
        let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
        // Inside a service, and at the top of the request.
        let in_service = format!(r#"{{"requestId": "a", "fragment": {{"services": {{"web": {{"image": {deep}}}}}}}}}"#);
        let (status, message) = answer_of(&in_service);
        assert_eq!(status, "failure");
        assert!(message.unwrap().contains("recursion limit exceeded"));
        assert_eq!(answer_of(&deep).0, "failure");
    }

    #[test]
    fn a_repeated_key_keeps_its_last_value_as_when_decoded_whole() {
        let text = r#"{"requestId": "a", "fragment": {"services": {"web": {"image": 1}, "web": {"image": "nginx"}}}}"#;
        let whole = transform(serde_json::from_str(text).unwrap());
        let from_text = transform_json(text);
        assert_eq!(from_text.status, "success", "{:?}", from_text.error_message);
        assert_eq!(serde_json::to_string(&from_text).unwrap(), serde_json::to_string(&whole).unwrap());
    }

    #[test]
    fn other_shapes_answer_as_the_decoded_request() {
        for text in [
            "[]",
            "{}",
            r#"{"requestId": "a", "fragment": null}"#,
            r#"{"requestId": "a", "fragment": "x"}"#,
            r#"{"requestId": "a", "fragment": {"services": {"Fn::If": ["C", {}, {}]}}}"#,
            r#"{"requestId": "a", "fragment": {"services": []}}"#,
            r#"{"requestId": 7, "region": [], "fragment": {"Resources": {}}}"#,
        ] {
            let whole = transform(serde_json::from_str(text).unwrap());
            assert_eq!(
                serde_json::to_string(&transform_json(text)).unwrap(),
                serde_json::to_string(&whole).unwrap(),
                "{text}"
            );
        }
    }
}
