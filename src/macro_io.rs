//! The CloudFormation macro contract: request and response, and the pure `transform`.
//!
//! `aws_lambda_events` has no type for macro events, so they are defined here. The request is
//! read leniently (every field optional) so that no input can make the Lambda itself fail:
//! CloudFormation shows a Lambda error as "failed without an error message", while a `failure`
//! response shows our message in the stack events.

use crate::cfn::Template;
pub use crate::render::{render, Options, Rendered};
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

/// Handles one macro request. Never panics on any input: a malformed request is a `failure`.
pub fn transform(mut request: Value) -> MacroResponse {
    // The fragment is taken out whole (no copy of a large template); the rest is read leniently.
    let fragment = request.as_object_mut().and_then(|m| m.remove("fragment")).unwrap_or(Value::Null);
    // The fragment is given away: the render frees it once read (see `render_owned`).
    let render = (!fragment.is_null()).then_some(move || crate::render::render_owned(fragment, &Options::default()));
    answer(request, render)
}

/// Handles one macro request given as JSON text, what the Lambda receives: the same response
/// as [`transform`] of the decoded request. The fragment's services stay text until the render
/// reads them, each decoded right before it is read and freed right after. Decoded whole, the
/// request of 1000 services is a tree of about 4.8 MB (its text is 0.4 MB) that no cache holds,
/// and that every service's parse then reads back from memory.
///
/// A request of another shape (not an object, no fragment, services that are not a plain
/// mapping, invalid JSON) is decoded whole and goes to [`transform`].
pub fn transform_json(body: &str) -> MacroResponse {
    use serde_json::value::RawValue;
    use std::collections::BTreeMap;
    /// The request, read in one pass over its text; the services stay text.
    #[derive(Deserialize)]
    struct Request<'a> {
        #[serde(borrow)]
        fragment: Option<Fragment<'a>>,
        #[serde(flatten)]
        rest: serde_json::Map<String, Value>,
    }
    #[derive(Deserialize)]
    struct Fragment<'a> {
        #[serde(borrow)]
        services: Option<BTreeMap<String, &'a RawValue>>,
        #[serde(flatten)]
        rest: serde_json::Map<String, Value>,
    }
    let whole = || match serde_json::from_str::<Value>(body) {
        Ok(request) => transform(request),
        Err(e) => failure(Value::Null, format!("the request is not a CloudFormation macro event: {e}")),
    };
    // Anything this shape does not hold (a repeated key, a fragment or services of another
    // type, services written as an intrinsic function) is decoded whole, to answer exactly as
    // `transform` does.
    let Ok(Request { fragment: Some(fragment), rest }) = serde_json::from_str::<Request>(body) else { return whole() };
    let Some(services) = fragment.services else { return whole() };
    if services.len() == 1 && services.keys().all(|k| crate::cfn::intrinsics::is_intrinsic_key(k)) {
        return whole();
    }
    let (doc, services) = (Value::Object(fragment.rest), services.into_iter().collect());
    answer(Value::Object(rest), Some(move || crate::render::render_raw(doc, services, &Options::default())))
}

/// The response to `request` (without its fragment), given how to render the fragment (`None`
/// when the request has none).
fn answer(request: Value, render: Option<impl FnOnce() -> Rendered>) -> MacroResponse {
    let request_id = request.get("requestId").cloned().unwrap_or(Value::Null);
    let req: MacroRequest = match serde_json::from_value(request) {
        Ok(r) => r,
        Err(e) => return failure(request_id, format!("the request is not a CloudFormation macro event: {e}")),
    };
    let Some(render) = render else {
        return failure(
            req.request_id,
            "the request has no `fragment`: ComposeX expects a CloudFormation macro event".into(),
        );
    };
    // The render owns its input, and nothing of it is used after a panic.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(render));
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
