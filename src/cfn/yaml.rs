//! A template as YAML that CloudFormation reads back as written. CloudFormation's YAML parser
//! follows YAML 1.1, where `on`, `NO`, `y`, `12:30:00` (sexagesimal) or `1_000` are booleans and
//! numbers, so a string is written plain only when it cannot be read as anything else, and
//! double-quoted (JSON's escapes, which YAML shares) otherwise.

use serde_json::{Map, Value};

/// `v` as block-style YAML.
pub fn to_string(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Object(m) if !m.is_empty() => mapping(m, 0, &mut out),
        Value::Array(a) if !a.is_empty() => sequence(a, 0, &mut out),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn mapping(m: &Map<String, Value>, indent: usize, out: &mut String) {
    for (k, v) in m {
        out.push_str(&" ".repeat(indent));
        out.push_str(&string(k));
        out.push(':');
        value(v, indent, out);
    }
}

fn sequence(a: &[Value], indent: usize, out: &mut String) {
    for v in a {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        match v {
            // The first key of a mapping in a list shares the dash's line.
            Value::Object(m) if !m.is_empty() => {
                let mut inner = String::new();
                mapping(m, indent + 2, &mut inner);
                out.push(' ');
                out.push_str(inner.trim_start());
            }
            other => value(other, indent, out),
        }
    }
}

/// What follows a key's colon or a list's dash: a scalar on the same line, a collection below.
fn value(v: &Value, indent: usize, out: &mut String) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            mapping(m, indent + 2, out);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            sequence(a, indent + 2, out);
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => string(s),
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
        other => other.to_string(),
    }
}

/// A string plain when YAML 1.1 and 1.2 both read it back as this string, else double-quoted.
fn string(s: &str) -> String {
    if plain(s) {
        s.to_string()
    } else {
        Value::String(s.to_string()).to_string()
    }
}

/// Words YAML 1.1 reads as booleans or null.
const SPECIAL: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE", "on",
    "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL", "~",
];

fn plain(s: &str) -> bool {
    let Some(first) = s.chars().next() else { return false };
    // Letters, digits and a few marks that start no YAML construct, with no ": " or " #" inside.
    let safe_chars = s.chars().all(|c| c.is_ascii_alphanumeric() || "_-./:@+=,()$*' ".contains(c));
    let safe_start = first.is_ascii_alphabetic() || first == '/' || first == '_';
    safe_chars
        && safe_start
        && !s.ends_with([' ', ':'])
        && !s.contains(": ")
        && !s.contains(" #")
        && !SPECIAL.contains(&s)
        && !looks_numeric(s)
}

/// Words a reader might take for a number (`inf`, `NaN`): quoted too.
fn looks_numeric(s: &str) -> bool {
    s.parse::<f64>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_yaml_1_1_reads_otherwise_are_quoted() {
        for s in ["on", "NO", "y", "12:30:00", "1:20", "1_000", "0777", "0x1F", ".5", "~", "", "- a", "a: b", "#x"] {
            assert_eq!(string(s), Value::String(s.into()).to_string(), "{s}");
        }
        for s in ["nginx:1.27", "AWS::ECS::Service", "Allow", "arn:aws:s3:::b/*", "/health"] {
            assert_eq!(string(s), s, "{s}");
        }
    }

    #[test]
    fn collections_are_block_style() {
        let v = json!({"A": [{"B": "on", "C": [1, true, null]}, "x"], "D": {}, "E": []});
        assert_eq!(
            to_string(&v),
            "A:\n  - B: \"on\"\n    C:\n      - 1\n      - true\n      - null\n  - x\nD: {}\nE: []\n"
        );
    }
}
