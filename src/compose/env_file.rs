//! `env_file:` for the CLI: the files are read and their variables inlined into `environment`.
//!
//! A template deployed by CloudFormation cannot refer to files on the machine that rendered it,
//! so the CLI reads them and the template carries the values. The Lambda never sees files: a
//! fragment that still has `env_file` is reported by the service model.

use crate::diagnostics::{index, join, Diagnostics};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// For every service with `env_file` (a path, a list of paths, or a list of
/// `{path, required}`; relative paths are relative to `base_dir`), reads the files in order
/// (a later file wins over an earlier one), merges their variables into the service's
/// `environment` and removes `env_file`.
///
/// - `environment` keeps precedence: a variable it sets is not touched; one it lists without a
///   value (`- KEY` / `KEY:`) takes the file's value, as docker compose does.
/// - A list-form `environment` becomes a mapping. Values from files are strings.
/// - A missing file is an error at `services.X.env_file[i]` (`services.X.env_file` for the
///   single-string form) naming the file, unless it is `required: false`.
/// - Values are taken literally: no `${VAR}` interpolation happens in them, so call this after
///   [`crate::compose::interpolate::interpolate`] (which does interpolate the `env_file` paths).
///
/// File syntax (docker's `.env`): `KEY=VALUE` lines, blank lines and `# comments`, an optional
/// `export ` prefix, `'single'` quotes (literal) and `"double"` quotes (escapes `\n`, `\t`,
/// `\r`, `\"`, `\\`; may span lines), ` #` starting a comment after an unquoted value, and
/// `KEY` alone (a variable to take from the shell) skipped.
pub fn inline_env_files(doc: &mut Value, base_dir: &Path, diags: &mut Diagnostics) {
    let Some(Value::Object(services)) = doc.get_mut("services") else { return };
    for (name, service) in services.iter_mut() {
        let Value::Object(service) = service else { continue };
        let Some(env_file) = service.remove("env_file") else { continue };
        let path = join(&join("services", name), "env_file");
        let mut from_files = BTreeMap::new();
        for (file, required, at) in entries(env_file, &path, diags) {
            let resolved = base_dir.join(&file);
            match std::fs::read_to_string(&resolved) {
                Ok(text) => match parse_lines(&text) {
                    Ok((vars, bare)) => {
                        from_files.extend(vars);
                        for (line, key) in bare {
                            diags.warn(
                                "CX1153",
                                &at,
                                format!("{file} line {line}: {key:?} has no value and is left out (docker compose would take it from the shell); write {key}=VALUE"),
                            );
                        }
                    }
                    Err(e) => diags.error("CX1001", at, format!("{file}: {e}")),
                },
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    if required {
                        diags.error(
                            "CX1002",
                            at,
                            format!(
                                "env file {file} not found (looked for {}); create it or mark it `required: false`",
                                resolved.display()
                            ),
                        );
                    }
                }
                Err(e) => {
                    diags.error("CX1003", at, format!("env file {file} cannot be read ({}): {e}", resolved.display()))
                }
            }
        }
        if from_files.is_empty() {
            continue;
        }
        let env_path = join(&join("services", name), "environment");
        let Some(mut environment) = environment_map(service.get("environment"), &env_path, diags) else { continue };
        for (key, value) in from_files {
            let slot = environment.entry(key).or_insert(Value::Null);
            if slot.is_null() {
                *slot = Value::String(value);
            }
        }
        service.insert("environment".into(), Value::Object(environment));
    }
}

/// For every service with `label_file` (a path or a list of paths, relative to `base_dir`, in
/// the syntax of env files), reads the files in order and merges their labels into `labels`,
/// where a label written in the file itself wins, as docker compose does; removes `label_file`.
pub fn inline_label_files(doc: &mut Value, base_dir: &Path, diags: &mut Diagnostics) {
    let Some(Value::Object(services)) = doc.get_mut("services") else { return };
    for (name, service) in services.iter_mut() {
        let Value::Object(service) = service else { continue };
        let Some(label_file) = service.remove("label_file") else { continue };
        let path = join(&join("services", name), "label_file");
        let files: Vec<(String, String)> = match label_file {
            Value::Null => vec![],
            Value::String(f) => vec![(f, path.clone())],
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .filter_map(|(i, item)| match item {
                    Value::String(f) => Some((f, index(&path, i))),
                    _ => {
                        diags.error("CX1100", index(&path, i), "expected the path of a label file");
                        None
                    }
                })
                .collect(),
            _ => {
                diags.error("CX1101", &path, "expected a label file path or a list of them");
                continue;
            }
        };
        let mut from_files = BTreeMap::new();
        for (file, at) in files {
            let resolved = base_dir.join(&file);
            match std::fs::read_to_string(&resolved).map_err(|e| e.to_string()).and_then(|t| parse_env_file(&t)) {
                Ok(vars) => from_files.extend(vars),
                Err(e) => diags.error("CX1102", at, format!("label file {file} ({}): {e}", resolved.display())),
            }
        }
        if from_files.is_empty() {
            continue;
        }
        let labels_path = join(&join("services", name), "labels");
        let Some(mut labels) = environment_map(service.get("labels"), &labels_path, diags) else { continue };
        for (key, value) in from_files {
            let slot = labels.entry(key).or_insert(Value::Null);
            if slot.is_null() {
                *slot = Value::String(value);
            }
        }
        service.insert("labels".into(), Value::Object(labels));
    }
}

/// `(file, required, diagnostic path)` for each entry of `env_file`.
fn entries(env_file: Value, path: &str, diags: &mut Diagnostics) -> Vec<(String, bool, String)> {
    let expected = "expected a file path or {path, required}";
    match env_file {
        Value::Null => vec![],
        Value::String(file) => vec![(file, true, path.to_string())],
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .filter_map(|(i, item)| {
                let at = index(path, i);
                match item {
                    Value::String(file) => Some((file, true, at)),
                    Value::Object(m) if m.contains_key("format") => {
                        diags.error(
                            "CX1154",
                            join(&at, "format"),
                            "ComposeX reads env files in docker's .env syntax only (quotes and comments parsed); remove format, or move the variables to environment",
                        );
                        None
                    }
                    Value::Object(m) => match (m.get("path"), m.get("required")) {
                        (Some(Value::String(file)), None) => Some((file.clone(), true, at)),
                        (Some(Value::String(file)), Some(Value::Bool(required))) => Some((file.clone(), *required, at)),
                        (Some(Value::String(_)), Some(_)) => {
                            diags.error("CX1004", join(&at, "required"), "expected true or false");
                            None
                        }
                        _ => {
                            diags.error("CX1005", at, expected);
                            None
                        }
                    },
                    _ => {
                        diags.error("CX1006", at, expected);
                        None
                    }
                }
            })
            .collect(),
        _ => {
            diags.error("CX1007", path, expected);
            vec![]
        }
    }
}

/// The service's `environment` as a mapping (`["A=1", "B"]` → `{"A": "1", "B": null}`); `None`
/// (with an error, the service left as it was) when env files cannot be merged into it.
fn environment_map(environment: Option<&Value>, path: &str, diags: &mut Diagnostics) -> Option<Map<String, Value>> {
    match environment {
        None | Some(Value::Null) => Some(Map::new()),
        Some(v @ Value::Object(m)) if !crate::cfn::intrinsics::is_intrinsic(v) => Some(m.clone()),
        Some(Value::Array(items)) => {
            let mut out = Map::new();
            for (i, item) in items.iter().enumerate() {
                let Some(s) = item.as_str() else {
                    diags.error("CX1008", index(path, i), "expected KEY=VALUE to merge env_file into");
                    return None;
                };
                match s.split_once('=') {
                    Some((k, v)) => out.insert(k.to_string(), Value::String(v.to_string())),
                    None => out.insert(s.to_string(), Value::Null),
                };
            }
            Some(out)
        }
        Some(_) => {
            diags.error("CX1009", path, "env_file cannot be merged into this environment; write environment as a mapping or a list of KEY=VALUE");
            None
        }
    }
}

/// Parses docker's `.env` syntax into `(KEY, VALUE)` pairs in file order. The error names the
/// line.
pub fn parse_env_file(text: &str) -> Result<Vec<(String, String)>, String> {
    parse_lines(text).map(|(vars, _)| vars)
}

/// The variables of an env file, `(KEY, VALUE)`, and the `(line, KEY)` of those written without
/// a value.
type Parsed = (Vec<(String, String)>, Vec<(usize, String)>);

/// [`parse_env_file`], and the variables written without a value.
fn parse_lines(text: &str) -> Result<Parsed, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut vars = Vec::new();
    let mut bare = Vec::new();
    let mut lines = text.split('\n').enumerate();
    while let Some((n, line)) = lines.next() {
        let line_no = n + 1;
        let line = line.strip_suffix('\r').unwrap_or(line).trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").or_else(|| line.strip_prefix("export\t")).unwrap_or(line).trim_start();
        let (key, raw) = match line.split_once('=') {
            Some((k, v)) => (k.trim_end(), Some(v.trim_start())),
            None => (line.trim_end(), None),
        };
        if key.is_empty() || key.contains(char::is_whitespace) {
            return Err(format!("line {line_no}: {key:?} is not a variable name; expected KEY=VALUE"));
        }
        let Some(raw) = raw else {
            bare.push((line_no, key.to_string()));
            continue;
        };
        let value = match raw.chars().next() {
            Some(quote @ ('\'' | '"')) => {
                // A quoted value may go on over the next lines until its closing quote.
                let mut body = raw[1..].to_string();
                loop {
                    if let Some(value) = closed_quote(&body, quote) {
                        break value;
                    }
                    match lines.next() {
                        Some((_, next)) => {
                            body.push('\n');
                            body.push_str(next.strip_suffix('\r').unwrap_or(next));
                        }
                        None => return Err(format!("line {line_no}: the {quote} quote of {key} is not closed")),
                    }
                }
            }
            _ => {
                let end = raw.find(" #").or_else(|| raw.find("\t#")).unwrap_or(raw.len());
                raw[..end].trim_end().to_string()
            }
        };
        vars.push((key.to_string(), value));
    }
    Ok((vars, bare))
}

/// The value inside quotes when `body` (what follows the opening quote) contains the closing
/// one; text after the closing quote (a comment) is ignored.
fn closed_quote(body: &str, quote: char) -> Option<String> {
    if quote == '\'' {
        return body.find('\'').map(|end| body[..end].to_string());
    }
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some(c @ ('"' | '\\')) => out.push(c),
                Some(c) => {
                    out.push('\\');
                    out.push(c);
                }
                None => return None,
            },
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A fresh directory under the system temp dir, removed when dropped.
    struct TempDir(std::path::PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!("composex-env-file-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        fn write(&self, file: &str, text: &str) {
            std::fs::write(self.0.join(file), text).unwrap();
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn parses_docker_env_syntax() {
        let text = "\u{feff}# comment\n\nA=1\nexport B = two words \nC='single $X # kept'\nD=\"line\\none\\t\\\"q\\\" \\\\ \\x\" # comment\nE=plain # comment\nF=a#b\nG=\nH\nI=\"multi\nline\"\r\nJ='x' trailing\nK==v\n";
        assert_eq!(
            parse_env_file(text).unwrap(),
            vec![
                ("A".into(), "1".into()),
                ("B".into(), "two words".into()),
                ("C".into(), "single $X # kept".into()),
                ("D".into(), "line\none\t\"q\" \\ \\x".into()),
                ("E".into(), "plain".into()),
                ("F".into(), "a#b".into()),
                ("G".into(), "".into()),
                ("I".into(), "multi\nline".into()),
                ("J".into(), "x".into()),
                ("K".into(), "=v".into()),
            ]
        );
        assert_eq!(parse_env_file("A=1\nB='open\n").unwrap_err(), "line 2: the ' quote of B is not closed");
        assert_eq!(
            parse_env_file("MY VAR=1").unwrap_err(),
            "line 1: \"MY VAR\" is not a variable name; expected KEY=VALUE"
        );
    }

    #[test]
    fn inlines_files_into_environment() {
        let dir = TempDir::new("inline");
        dir.write("a.env", "A=from-a\nB=from-a\nC=from-a\nD=from-a\n");
        std::fs::create_dir_all(dir.0.join("sub")).unwrap();
        dir.write("sub/b.env", "B=from-b\n");
        let mut doc = json!({"services": {
            "web": {"image": "x", "env_file": ["a.env", {"path": "sub/b.env", "required": true}, {"path": "none.env", "required": false}],
                    "environment": ["C=from-environment", "D"]},
            "one": {"env_file": "sub/b.env"},
            "plain": {"environment": {"X": "1"}}
        }});
        let mut diags = Diagnostics::new();
        inline_env_files(&mut doc, &dir.0, &mut diags);
        assert!(!diags.has_errors(), "{:?}", diags.errors());
        assert_eq!(
            doc,
            json!({"services": {
                "web": {"image": "x", "environment": {"A": "from-a", "B": "from-b", "C": "from-environment", "D": "from-a"}},
                "one": {"environment": {"B": "from-b"}},
                "plain": {"environment": {"X": "1"}}
            }})
        );
    }

    #[test]
    fn missing_required_file_is_an_error_at_its_entry() {
        let dir = TempDir::new("missing");
        dir.write("bad.env", "A=1\nB=\"open\n");
        let mut doc = json!({"services": {
            "web": {"env_file": ["ok-missing.env", {"path": "bad.env"}, 3, {"path": "x", "required": "no"}]},
            "one": {"env_file": "gone.env"}
        }});
        let mut diags = Diagnostics::new();
        inline_env_files(&mut doc, &dir.0, &mut diags);
        let errors: Vec<String> = diags.errors().iter().map(|d| d.plain()).collect();
        let looked = |f: &str| dir.0.join(f).display().to_string();
        assert_eq!(
            errors,
            vec![
                format!("services.one.env_file: env file gone.env not found (looked for {}); create it or mark it `required: false`", looked("gone.env")),
                format!("services.web.env_file[0]: env file ok-missing.env not found (looked for {}); create it or mark it `required: false`", looked("ok-missing.env")),
                "services.web.env_file[1]: bad.env: line 2: the \" quote of B is not closed".to_string(),
                "services.web.env_file[2]: expected a file path or {path, required}".to_string(),
                "services.web.env_file[3].required: expected true or false".to_string(),
            ]
        );
        // env_file is gone whatever happened, so nothing downstream trips over it twice.
        assert_eq!(doc, json!({"services": {"web": {}, "one": {}}}));
    }

    #[test]
    fn environment_that_cannot_take_files_is_an_error_and_kept() {
        let dir = TempDir::new("intrinsic");
        dir.write("a.env", "A=1\n");
        let mut doc = json!({"services": {"web": {"env_file": "a.env", "environment": {"Fn::If": ["c", {}, {}]}}}});
        let mut diags = Diagnostics::new();
        inline_env_files(&mut doc, &dir.0, &mut diags);
        let errors: Vec<String> = diags.errors().iter().map(|d| d.plain()).collect();
        assert_eq!(
            errors,
            vec!["services.web.environment: env_file cannot be merged into this environment; write environment as a mapping or a list of KEY=VALUE"]
        );
        assert_eq!(doc, json!({"services": {"web": {"environment": {"Fn::If": ["c", {}, {}]}}}}));
    }
}
