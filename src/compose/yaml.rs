//! YAML → JSON, with CloudFormation short-form tags turned into long form.
//! (stub: being written in the loader branch)

use serde_json::Value;

/// Parses one YAML document. `!Ref x` becomes `{"Ref": "x"}`, `!GetAtt a.b` becomes
/// `{"Fn::GetAtt": ["a", "b"]}`, `!Sub`, `!Join`, `!If`… become `{"Fn::…": …}`.
/// The error names the line and column.
pub fn parse_yaml(text: &str) -> Result<Value, String> {
    serde_norway::from_str(text).map_err(|e| e.to_string())
}
