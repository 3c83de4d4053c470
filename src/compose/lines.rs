//! Where each value of a compose file is written: the line of every key and list item of its
//! block-style YAML, by path (`services.api.ports[0]` → 12), so that the CLI can say which file
//! and line of a merged project a finding is about. Flow collections (`[a, b]`, `{a: 1}`) and
//! block scalars (`|`, `>`) count as the line of their key. The parser keeps no positions, and
//! a finding's path is all the engine knows, so this small scan of the text does the mapping.

use crate::diagnostics::{index, join};

/// (path, line) of every key and list item, in the order written.
pub fn locate(text: &str) -> Vec<(String, usize)> {
    // The open collections: (indent of their entries, path, next list index, entry is an item).
    let mut stack: Vec<(usize, String, usize, bool)> = Vec::new();
    let mut out = Vec::new();
    let mut scalar_of: Option<usize> = None;
    for (n, raw) in text.lines().enumerate() {
        let trimmed = raw.trim_start();
        let mut indent = raw.len() - trimmed.len();
        if let Some(owner) = scalar_of {
            if trimmed.is_empty() || indent > owner {
                continue;
            }
            scalar_of = None;
        }
        let mut rest = trimmed;
        if rest.is_empty() || rest.starts_with('#') || rest.starts_with("---") || rest.starts_with("...") {
            continue;
        }
        // `- ` items, possibly nested on one line (`- - a`), then a `key:` that may follow.
        while rest == "-" || rest.starts_with("- ") {
            while stack.last().is_some_and(|(i, _, _, item)| *i > indent || (*i == indent && *item)) {
                stack.pop();
            }
            let path = match stack.last_mut() {
                Some((_, parent, next, _)) => {
                    *next += 1;
                    index(parent, *next - 1)
                }
                None => break,
            };
            out.push((path.clone(), n + 1));
            stack.push((indent, path, 0, true));
            let after = rest[1..].trim_start();
            indent += rest.len() - after.len();
            rest = after;
        }
        let Some((key, value)) = key_of(rest) else { continue };
        while stack.last().is_some_and(|(i, _, _, item)| *i > indent || (*i == indent && !*item)) {
            stack.pop();
        }
        if key == "<<" {
            continue;
        }
        let path = join(stack.last().map_or("", |(_, p, _, _)| p.as_str()), &key);
        out.push((path.clone(), n + 1));
        if value.starts_with('|') || value.starts_with('>') {
            scalar_of = Some(indent);
        }
        stack.push((indent, path, 0, false));
    }
    out
}

/// `key: value` or `key:` (quoted keys unquoted), and the text after the colon.
fn key_of(line: &str) -> Option<(String, &str)> {
    let (key, after) = match line.chars().next()? {
        q @ ('"' | '\'') => {
            let end = line[1..].find(q)? + 1;
            (line[1..end].to_string(), line[end + 1..].trim_start())
        }
        '{' | '[' | '&' | '*' | '!' | '|' | '>' => return None,
        _ => {
            let colon = line.find(": ").or_else(|| line.ends_with(':').then(|| line.len() - 1))?;
            (line[..colon].trim_end().to_string(), &line[colon..])
        }
    };
    let value = after.strip_prefix(':')?;
    (value.is_empty() || value.starts_with(' ')).then(|| (key, value.trim()))
}

/// The line of `path`, or of the nearest enclosing value the scan located.
pub fn line_of(lines: &[(String, usize)], path: &str) -> Option<usize> {
    let mut p = path;
    loop {
        if let Some((_, l)) = lines.iter().find(|(q, _)| q == p) {
            return Some(*l);
        }
        p = &p[..p.rfind(['.', '['])?];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_items_have_their_lines() {
        let text = "services:\n  api:\n    image: x # c\n    ports:\n      - \"80:80\"\n      - target: 81\n        published: 82\n    command: |\n      a: b\n    labels:\n      \"a.b\": c\n    expose:\n    - 9000\n";
        let lines = locate(text);
        let at = |p: &str| line_of(&lines, p);
        assert_eq!(at("services.api.image"), Some(3));
        assert_eq!(at("services.api.ports[0]"), Some(5));
        assert_eq!(at("services.api.ports[1].published"), Some(7));
        assert_eq!(at("services.api.ports[1].protocol"), Some(6));
        assert_eq!(at("services.api.labels.\"a.b\""), Some(11));
        assert_eq!(at("services.api.expose[0]"), Some(13));
        assert!(lines.iter().all(|(p, _)| !p.contains("command.")), "{lines:?}");
        assert_eq!(at("x-other"), None);
    }
}
