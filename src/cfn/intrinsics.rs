//! Intrinsic functions in long form, the only form JSON and a macro fragment know.

use serde_json::{json, Value};

/// Keys that make a one-key object an intrinsic function rather than data.
pub fn is_intrinsic_key(key: &str) -> bool {
    key == "Ref" || key == "Condition" || key.starts_with("Fn::")
}

/// `{"Ref": …}`, `{"Fn::Sub": …}`…: a value whose content is only known at deploy time.
pub fn is_intrinsic(v: &Value) -> bool {
    v.as_object().is_some_and(is_intrinsic_map)
}

/// [`is_intrinsic`] of a mapping.
pub fn is_intrinsic_map(m: &serde_json::Map<String, Value>) -> bool {
    m.len() == 1 && m.keys().next().is_some_and(|k| is_intrinsic_key(k))
}

pub fn r#ref(logical_id: &str) -> Value {
    json!({ "Ref": logical_id })
}

pub fn get_att(logical_id: &str, attribute: &str) -> Value {
    json!({ "Fn::GetAtt": [logical_id, attribute] })
}

pub fn sub(text: &str) -> Value {
    json!({ "Fn::Sub": text })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_intrinsics() {
        assert!(is_intrinsic(&json!({"Ref": "X"})));
        assert!(is_intrinsic(&json!({"Fn::Sub": "x"})));
        assert!(!is_intrinsic(&json!({"Ref": "X", "Other": 1})));
        assert!(!is_intrinsic(&json!({"Name": "X"})));
        assert!(!is_intrinsic(&json!("Ref")));
    }
}
