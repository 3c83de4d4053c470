//! Small readers that turn a JSON value into a Rust value or an error at its path. They let the
//! parsers collect every error and carry on, instead of stopping at the first.

use crate::cfn::is_intrinsic;
use crate::diagnostics::{index, Diagnostics};
use serde_json::{Map, Value};

/// A short description of a value's JSON type, for messages.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) if is_intrinsic(v) => "an intrinsic function",
        Value::Object(_) => "a mapping",
    }
}

/// A value shown in a message: short, on one line.
pub fn show(v: &Value) -> String {
    let s = match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(57).collect();
        format!("{cut}...")
    } else {
        s
    }
}

/// A string known at transform time. Numbers and booleans are accepted as their text, as
/// docker compose does.
pub fn literal(v: &Value, path: &str, what: &str, d: &mut Diagnostics) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        v if is_intrinsic(v) => {
            d.error(
                "CX1022",
                path,
                format!(
                    "{what} must be known when the template is transformed; an intrinsic function cannot be used here"
                ),
            );
            None
        }
        other => {
            d.error("CX1023", path, format!("{what} must be a string, not {}", kind(other)));
            None
        }
    }
}

/// A string or an intrinsic function (passed through to CloudFormation). Numbers and booleans
/// become their text.
pub fn string_or_intrinsic(v: &Value, path: &str, what: &str, d: &mut Diagnostics) -> Option<Value> {
    match v {
        Value::String(_) => Some(v.clone()),
        Value::Number(n) => Some(Value::String(n.to_string())),
        Value::Bool(b) => Some(Value::String(b.to_string())),
        v if is_intrinsic(v) => Some(v.clone()),
        other => {
            d.error("CX1024", path, format!("{what} must be a string, not {}", kind(other)));
            None
        }
    }
}

pub fn boolean(v: &Value, path: &str, d: &mut Diagnostics) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if matches!(s.to_ascii_lowercase().as_str(), "true" | "yes" | "on") => Some(true),
        Value::String(s) if matches!(s.to_ascii_lowercase().as_str(), "false" | "no" | "off") => Some(false),
        other => {
            d.error("CX1025", path, format!("{} is not a boolean; use true or false", show(other)));
            None
        }
    }
}

/// A non-negative whole number (numbers written as strings accepted).
pub fn uint(v: &Value, path: &str, what: &str, d: &mut Diagnostics) -> Option<u64> {
    let n = match v {
        Value::Number(n) => {
            n.as_u64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0).map(|f| f as u64))
        }
        Value::String(s) => s.trim().parse::<u64>().ok(),
        v if is_intrinsic(v) => {
            d.error(
                "CX1026",
                path,
                format!(
                    "{what} must be known when the template is transformed; an intrinsic function cannot be used here"
                ),
            );
            return None;
        }
        _ => None,
    };
    if n.is_none() {
        d.error("CX1027", path, format!("{} is not a valid {what}; use a whole number", show(v)));
    }
    n
}

/// A mapping, or an error.
pub fn object<'a>(v: &'a Value, path: &str, what: &str, d: &mut Diagnostics) -> Option<&'a Map<String, Value>> {
    map_or(v, path, &format!("{what} must be a mapping"), d)
}

/// A mapping (not an intrinsic function), or the error "`head`, not <its kind>".
pub fn map_or<'a>(v: &'a Value, path: &str, head: &str, d: &mut Diagnostics) -> Option<&'a Map<String, Value>> {
    match v {
        Value::Object(m) if !is_intrinsic(v) => Some(m),
        other => {
            d.error("CX1028", path, format!("{head}, not {}", kind(other)));
            None
        }
    }
}

/// A list, or the error "`head`, not <its kind>".
pub fn seq_or<'a>(v: &'a Value, path: &str, head: &str, d: &mut Diagnostics) -> Option<&'a Vec<Value>> {
    match v {
        Value::Array(items) => Some(items),
        other => {
            d.error("CX1029", path, format!("{head}, not {}", kind(other)));
            None
        }
    }
}

/// A list of items, each read with `f` at its own path. A single string counts as a list of one
/// when `single` is true (`cap_add: SYS_PTRACE`, `tmpfs: /run`).
pub fn list<T>(
    v: &Value,
    path: &str,
    what: &str,
    single: bool,
    d: &mut Diagnostics,
    mut f: impl FnMut(&Value, &str, &mut Diagnostics) -> Option<T>,
) -> Vec<T> {
    match v {
        Value::Array(items) => {
            // Sized from the input: collected from `filter_map`, a one-item list took room for
            // four, and the model of 1000 services kept about 0.3 MB of such room.
            let mut out = Vec::with_capacity(items.len());
            out.extend(items.iter().enumerate().filter_map(|(i, it)| f(it, &index(path, i), d)));
            out
        }
        Value::String(_) if single => f(v, path, d).into_iter().collect(),
        Value::Null => Vec::new(),
        other => {
            d.error("CX1030", path, format!("{what} must be a list, not {}", kind(other)));
            Vec::new()
        }
    }
}

/// Splits a command line into words as a POSIX shell would (quotes and backslashes), which is
/// what docker compose does with `command: "a b 'c d'"`.
pub fn shell_words(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => cur.push(x),
                        None => return Err("a single quote is not closed".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x @ ('"' | '\\' | '$' | '`')) => cur.push(x),
                            Some('\n') => {}
                            Some(x) => {
                                cur.push('\\');
                                cur.push(x)
                            }
                            None => return Err("a double quote is not closed".into()),
                        },
                        Some(x) => cur.push(x),
                        None => return Err("a double quote is not closed".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') => {}
                    Some(x) => cur.push(x),
                    None => cur.push('\\'),
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c)
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_like_sh() {
        assert_eq!(shell_words("a b  c").unwrap(), vec!["a", "b", "c"]);
        assert_eq!(
            shell_words("/bin/bash -c \"envsubst < x && nginx -g 'daemon off;'\"").unwrap(),
            vec!["/bin/bash", "-c", "envsubst < x && nginx -g 'daemon off;'"]
        );
        assert_eq!(shell_words("echo 'it''s' \"\"").unwrap(), vec!["echo", "its", ""]);
        assert!(shell_words("echo 'oops").is_err());
    }
}
