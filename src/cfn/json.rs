//! The template as JSON text: the pretty form the CLI prints, the compact length the 1 MB
//! quota is checked against, and the pretty form of a resource kept as compact text.
//!
//! Both give byte for byte what serde_json gives (`to_vec_pretty`, `to_vec().len()`): the golden
//! outputs were written by serde_json and are compared with this writer's. They exist because a
//! direct walk over the `Value` is about twice as fast as serde_json's serializer, whose
//! formatter calls were a sixth of a kitchen-sink CLI run (callgrind).

use serde_json::Value;

/// What serde_json writes for each byte of a string: 0 (the byte itself), `u` (`\u00XX`), or
/// the letter of a two-byte escape.
const ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = b'u';
        b += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

/// `v` as serde_json's pretty printer writes it (two-space indent), appended to `out`.
pub fn write_pretty(v: &Value, out: &mut Vec<u8>) {
    pretty(v, 0, out);
}

/// `v` as compact JSON (serde_json's `to_vec`), appended to `out`.
pub fn write_compact(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_compact(item, out);
            }
            out.push(b']');
        }
        Value::Object(m) => {
            out.push(b'{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                string(k, out);
                out.push(b':');
                write_compact(item, out);
            }
            out.push(b'}');
        }
        Value::String(s) => string(s, out),
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => number(n, out),
    }
}

/// A number as serde_json writes it: integers digit by digit, floats by their `Display` (ryu).
fn number(n: &serde_json::Number, out: &mut Vec<u8>) {
    let (negative, mut u) = match (n.as_u64(), n.as_i64()) {
        (Some(u), _) => (false, u),
        (None, Some(i)) => (true, i.unsigned_abs()),
        _ => {
            out.extend_from_slice(n.to_string().as_bytes());
            return;
        }
    };
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    if negative {
        out.push(b'-');
    }
    out.extend_from_slice(&digits[at..]);
}

/// `v` written as a value nested `level` deep in a pretty document.
pub fn write_pretty_at(v: &Value, level: usize, out: &mut Vec<u8>) {
    pretty(v, level, out);
}

/// A mapping written as a value nested `level` deep in a pretty document.
pub fn write_pretty_map_at(m: &serde_json::Map<String, Value>, level: usize, out: &mut Vec<u8>) {
    if m.is_empty() {
        out.extend_from_slice(b"{}");
        return;
    }
    out.push(b'{');
    for (i, (k, item)) in m.iter().enumerate() {
        out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
        indent(level + 1, out);
        string(k, out);
        out.extend_from_slice(b": ");
        pretty(item, level + 1, out);
    }
    out.push(b'\n');
    indent(level, out);
    out.push(b'}');
}

/// A JSON string as serde_json writes it.
pub fn write_string(s: &str, out: &mut Vec<u8>) {
    string(s, out);
}

/// Compact JSON written by serde_json, re-laid out as its pretty printer would have written the
/// same value nested `level` deep. Only the layout between tokens changes: strings (with their
/// escapes) and numbers are copied as they are, so the result is byte for byte `write_pretty`
/// of the parsed value.
pub fn reindent(compact: &str, level: usize, out: &mut Vec<u8>) {
    let bytes = compact.as_bytes();
    let mut level = level;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'"' => {
                // Copy the whole string: up to the first quote not escaped.
                let start = i;
                i += 1;
                while bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                out.extend_from_slice(&bytes[start..=i]);
            }
            b'{' | b'[' => {
                let close = if b == b'{' { b'}' } else { b']' };
                if bytes.get(i + 1) == Some(&close) {
                    out.extend_from_slice(&[b, close]);
                    i += 1;
                } else {
                    level += 1;
                    out.extend_from_slice(&[b, b'\n']);
                    indent(level, out);
                }
            }
            b'}' | b']' => {
                level -= 1;
                out.push(b'\n');
                indent(level, out);
                out.push(b);
            }
            b',' => {
                out.extend_from_slice(b",\n");
                indent(level, out);
            }
            b':' => out.extend_from_slice(b": "),
            _ => {
                // A number or a literal: up to the next structural byte.
                let start = i;
                while i + 1 < bytes.len() && !matches!(bytes[i + 1], b',' | b'}' | b']') {
                    i += 1;
                }
                out.extend_from_slice(&bytes[start..=i]);
            }
        }
        i += 1;
    }
}

fn pretty(v: &Value, level: usize, out: &mut Vec<u8>) {
    match v {
        Value::Array(items) if !items.is_empty() => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
                indent(level + 1, out);
                pretty(item, level + 1, out);
            }
            out.push(b'\n');
            indent(level, out);
            out.push(b']');
        }
        Value::Object(m) => write_pretty_map_at(m, level, out),
        Value::Array(_) => out.extend_from_slice(b"[]"),
        Value::String(s) => string(s, out),
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        // Display is serde_json's own number formatting (itoa, ryu).
        Value::Number(n) => number(n, out),
    }
}

fn indent(level: usize, out: &mut Vec<u8>) {
    const SPACES: &[u8] = &[b' '; 64];
    let mut n = level * 2;
    while n > 0 {
        let k = n.min(SPACES.len());
        out.extend_from_slice(&SPACES[..k]);
        n -= k;
    }
}

/// A JSON string: unescaped runs copied whole.
fn string(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    out.push(b'"');
    // Most strings need no escape: one pass the compiler vectorises (no early exit), then one
    // copy.
    if !bytes.iter().fold(false, |any, &b| any | (b < 0x20) | (b == b'"') | (b == b'\\')) {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let e = ESCAPE[b as usize];
        if e == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        if e == b'u' {
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 0xf) as usize]]);
        } else {
            out.extend_from_slice(&[b'\\', e]);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// The length of `v` as compact JSON (`serde_json::to_vec(v).len()`), without writing it.
pub fn compact_len(v: &Value) -> usize {
    match v {
        Value::Array(items) => 2 + items.len().saturating_sub(1) + items.iter().map(compact_len).sum::<usize>(),
        Value::Object(m) => compact_len_map(m),
        Value::String(s) => string_len(s),
        Value::Null => 4,
        Value::Bool(b) => 4 + usize::from(!*b),
        Value::Number(n) => n.to_string().len(),
    }
}

/// The length of a mapping as compact JSON.
pub fn compact_len_map(m: &serde_json::Map<String, Value>) -> usize {
    2 + m.len().saturating_sub(1) + m.iter().map(|(k, item)| string_len(k) + 1 + compact_len(item)).sum::<usize>()
}

/// The length of `s` as a JSON string, quotes and escapes included.
pub fn string_len(s: &str) -> usize {
    // One table load and one add per byte, no branch.
    const LEN: [u8; 256] = {
        let mut t = [1u8; 256];
        let mut b = 0;
        while b < 256 {
            t[b] = match ESCAPE[b] {
                0 => 1,
                b'u' => 6,
                _ => 2,
            };
            b += 1;
        }
        t
    };
    2 + s.bytes().map(|b| LEN[b as usize] as usize).sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tricky() -> Value {
        let all_low: String = (0u8..0x20).map(char::from).collect();
        json!({
            "a": [1, -2, 3.5, 1e300, 0.1, -0.0, u64::MAX, i64::MIN, null, true, false, {}, [], [[]], [{}]],
            "": {"k": {"Ref": "X"}, "quote\"key\n": "v", "deep": {"er": {"est": [1, {"x": [2]}]}}},
            "s": format!("x\"y\\z/é✓\u{7f}{all_low}"),
            "e": "",
        })
    }

    /// The values every writer is checked on.
    fn samples() -> [Value; 7] {
        [tricky(), json!([]), json!({}), json!("s"), json!(null), json!(12), json!([[{"a": [{}]}], 1])]
    }

    /// `write` gives, on every sample, what `serde_json` gives.
    fn writes_like_serde_json(write: fn(&Value, &mut Vec<u8>), serde: fn(&Value) -> serde_json::Result<String>) {
        for v in samples() {
            let mut out = Vec::new();
            write(&v, &mut out);
            assert_eq!(String::from_utf8(out).unwrap(), serde(&v).unwrap());
        }
    }

    #[test]
    fn pretty_is_byte_for_byte_serde_json() {
        writes_like_serde_json(write_pretty, serde_json::to_string_pretty);
    }

    #[test]
    fn reindented_compact_text_is_the_pretty_form() {
        for v in samples() {
            let compact = serde_json::to_string(&v).unwrap();
            for level in [0, 2] {
                let (mut a, mut b) = (Vec::new(), Vec::new());
                reindent(&compact, level, &mut a);
                write_pretty_at(&v, level, &mut b);
                assert_eq!(String::from_utf8(a).unwrap(), String::from_utf8(b).unwrap());
            }
        }
    }

    #[test]
    fn compact_is_byte_for_byte_serde_json() {
        writes_like_serde_json(write_compact, serde_json::to_string);
    }

    #[test]
    fn compact_len_is_serde_json_s() {
        for v in [tricky(), json!([]), json!({}), json!("s"), json!(null), json!(false)] {
            assert_eq!(compact_len(&v), serde_json::to_vec(&v).unwrap().len());
        }
    }
}
