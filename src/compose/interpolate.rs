//! `${VAR}` interpolation like docker compose, outside intrinsic functions.
//!
//! A user's compose file already relies on `${IMAGE:-nginx}` working the way docker compose
//! does it, so the syntax and the outcomes follow docker compose. Two places are left alone
//! because `${…}` there belongs to CloudFormation: the CloudFormation sections of the template
//! and any intrinsic function (`{"Fn::Sub": "arn:${AWS::Partition}:…"}`).

use crate::cfn::intrinsics::is_intrinsic;
use crate::diagnostics::{join, Diagnostics};
use serde_json::{Map, Value};

/// Top-level keys whose strings and keys are interpolated (plus every top-level `x-…` key).
const COMPOSE_SECTIONS: &[&str] = &["name", "services", "networks", "volumes", "secrets", "configs"];

/// Replaces `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
/// `${VAR?error}`, `${VAR:+alternative}`, `${VAR+alternative}` and `$$` in the string values and
/// mapping keys of `name`, `services`, `networks`, `volumes`, `secrets`, `configs` and the
/// top-level `x-…` keys. Never inside an intrinsic function object, never in the CloudFormation
/// sections.
///
/// - `:-`/`:?`/`:+` treat an empty variable like an unset one; `-`/`?`/`+` only look at whether
///   it is set. Defaults, alternatives and error texts are themselves interpolated, only when
///   they are used (`${A:-${B:-x}}`).
/// - An unset variable with no default is an empty string and a warning at the value's path
///   (`services.web.environment.SHELLY: variable SHELL is not set; using an empty string`).
/// - `${VAR:?msg}`/`${VAR?msg}` on an unset variable: an error at the path,
///   `required variable VAR is missing a value: msg`.
/// - Malformed expressions are errors at the path: an unterminated `${`, `${}`, or a `$` that is
///   followed by neither `$`, `{` nor a name (docker compose rejects these too; `$$` is the way
///   out).
/// - CloudFormation's own `${…}` are kept as written: `${!Literal}` (Fn::Sub's escape, which ECS
///   ComposeX also uses in `x-…` sections) silently, `${AWS::Region}` or `${Res.Attr}` in a plain
///   string with a warning, because nothing substitutes them outside `!Sub`.
/// - A value's path is the path of the key as written in the file; two keys that become the same
///   after interpolation are an error.
///
/// Non-string values (numbers, booleans) are left as they are; interpolated text stays text.
pub fn interpolate(doc: &mut Value, lookup: &dyn Fn(&str) -> Option<String>, diags: &mut Diagnostics) {
    let Value::Object(top) = doc else { return };
    let mut path = String::new();
    for (key, value) in top.iter_mut() {
        if COMPOSE_SECTIONS.contains(&key.as_str()) || key.starts_with("x-") {
            path.clear();
            path.push_str(&join("", key));
            walk(value, &mut path, lookup, diags);
        }
    }
}

/// Walks `value`, whose path is in `path`; the buffer grows and shrinks with the walk so that a
/// path string is only made when there is something to report.
fn walk(value: &mut Value, path: &mut String, lookup: &dyn Fn(&str) -> Option<String>, diags: &mut Diagnostics) {
    match value {
        Value::String(s) => {
            if let Some(new) = expand_at(s, path, lookup, diags) {
                *s = new;
            }
        }
        Value::Array(items) => {
            let len = path.len();
            for (i, item) in items.iter_mut().enumerate() {
                use std::fmt::Write;
                let _ = write!(path, "[{i}]");
                walk(item, path, lookup, diags);
                path.truncate(len);
            }
        }
        Value::Object(_) if is_intrinsic(value) => {}
        Value::Object(map) if !map.keys().any(|k| k.contains('$')) => {
            let len = path.len();
            for (key, child) in map.iter_mut() {
                push_key(path, key);
                walk(child, path, lookup, diags);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            let len = path.len();
            let mut out = Map::new();
            for (key, mut child) in std::mem::take(map) {
                push_key(path, &key);
                walk(&mut child, path, lookup, diags);
                let new_key = expand_at(&key, path, lookup, diags).unwrap_or(key);
                if out.contains_key(&new_key) {
                    diags.error(
                        "CX1010",
                        path.as_str(),
                        format!("this key is {new_key:?} after interpolation, like another key of the mapping"),
                    );
                    path.truncate(len);
                    continue;
                }
                path.truncate(len);
                out.insert(new_key, child);
            }
            *map = out;
        }
        _ => {}
    }
}

/// Appends `.key` (quoted when needed) to a path buffer, as `diagnostics::join` does.
fn push_key(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    if key.is_empty() || key.bytes().any(|b| matches!(b, b'.' | b' ' | b'"' | b'[' | b']')) {
        path.push_str(&join("", key));
    } else {
        path.push_str(key);
    }
}

/// The pseudo parameters `Fn::Sub` replaces in a string.
pub const PSEUDO: &[&str] =
    &["AWS::AccountId", "AWS::Partition", "AWS::Region", "AWS::StackId", "AWS::StackName", "AWS::URLSuffix"];

/// Whether `text` names pseudo parameters (`${AWS::Region}`), and nothing else in `${…}`: an
/// environment value the container gets through `Fn::Sub`, resolved.
pub fn names_pseudo_parameters(text: &str) -> bool {
    let mut parts = text.split("${").skip(1).peekable();
    parts.peek().is_some() && parts.all(|p| PSEUDO.iter().any(|x| p.starts_with(&format!("{x}}}"))))
}

/// Interpolates `text`, reporting at `path`; `None` when there was nothing to do or an error.
fn expand_at(
    text: &str,
    path: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    diags: &mut Diagnostics,
) -> Option<String> {
    if !text.contains('$') {
        return None;
    }
    let mut warnings = Vec::new();
    let result = expand(text, lookup, &mut warnings);
    // A service's environment value with only pseudo parameters is given to Fn::Sub when the
    // template is made (`${AWS::Region}` reaches the container as the region): nothing to say.
    let in_environment = path.starts_with("services.") && path.contains(".environment");
    let pseudo_only = text.split("${").skip(1).all(|p| PSEUDO.iter().any(|x| p.starts_with(&format!("{x}}}"))));
    for w in warnings {
        if in_environment && pseudo_only && w.contains("is CloudFormation syntax") {
            continue;
        }
        diags.warn("CX1011", path, w);
    }
    match result {
        Ok(s) => Some(s),
        Err(e) => {
            diags.error("CX1012", path, e);
            None
        }
    }
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The interpolation of one string. Special characters are all ASCII, so byte offsets found by
/// scanning for them are always char boundaries.
fn expand(text: &str, lookup: &dyn Fn(&str) -> Option<String>, warnings: &mut Vec<String>) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut literal_from = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        out.push_str(&text[literal_from..i]);
        match bytes.get(i + 1) {
            Some(b'$') => {
                out.push('$');
                i += 2;
            }
            Some(b'{') => {
                let close = closing_brace(text, i + 2).ok_or_else(|| {
                    format!("{:?}: `${{` is not closed by `}}`; write `$$` for a literal `$`", &text[i..])
                })?;
                out.push_str(&braced(&text[i + 2..close], lookup, warnings)?);
                i = close + 1;
            }
            Some(&b) if is_name_start(b) => {
                let end = (i + 1..bytes.len()).find(|&j| !is_name_char(bytes[j])).unwrap_or(bytes.len());
                out.push_str(&variable(&text[i + 1..end], lookup, warnings));
                i = end;
            }
            // ECS ComposeX files write regular expressions (`^name$`) and prices (`$5`) this way;
            // docker compose refuses them, so the `$` is kept with a warning that gives the form
            // both accept.
            _ => {
                warnings.push(format!(
                    "{text:?}: a `$` followed by neither a variable name nor `{{` is kept as a literal `$`; docker compose refuses it: write `$$` for a literal `$` that both accept"
                ));
                out.push('$');
                i += 1;
            }
        }
        literal_from = i;
    }
    out.push_str(&text[literal_from..]);
    Ok(out)
}

/// The index of the `}` that closes a `${` whose content starts at `from`, counting nested `${`.
fn closing_brace(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 1;
    let mut i = from;
    while i < bytes.len() {
        if bytes[i] == b'$' && bytes.get(i + 1) == Some(&b'{') {
            depth += 1;
            i += 2;
            continue;
        }
        if bytes[i] == b'}' {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
        i += 1;
    }
    None
}

fn variable(name: &str, lookup: &dyn Fn(&str) -> Option<String>, warnings: &mut Vec<String>) -> String {
    lookup(name).unwrap_or_else(|| {
        warnings.push(format!("variable {name} is not set; using an empty string"));
        String::new()
    })
}

/// The content of `${…}`.
fn braced(inner: &str, lookup: &dyn Fn(&str) -> Option<String>, warnings: &mut Vec<String>) -> Result<String, String> {
    let bytes = inner.as_bytes();
    let name_len = if bytes.first().copied().is_some_and(is_name_start) {
        bytes.iter().position(|&b| !is_name_char(b)).unwrap_or(bytes.len())
    } else {
        0
    };
    let (name, rest) = inner.split_at(name_len);
    let written = format!("${{{inner}}}");
    if name.is_empty() {
        if inner.starts_with('!') {
            return Ok(written);
        }
        return Err(format!("{written} is not a valid variable expression; write `$$` for a literal `$`"));
    }
    if rest.is_empty() {
        return Ok(variable(name, lookup, warnings));
    }
    // `:` makes an empty value count as missing; without it only an unset variable does.
    let (colon, rest_op) = match rest.strip_prefix(':') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let mut chars = rest_op.chars();
    let op = chars.next();
    let arg = chars.as_str();
    if let Some(op @ ('-' | '?' | '+')) = op {
        let value = lookup(name);
        let present = match &value {
            Some(v) => !colon || !v.is_empty(),
            None => false,
        };
        return match op {
            '-' if !present => expand(arg, lookup, warnings),
            '+' if present => expand(arg, lookup, warnings),
            '+' => Ok(String::new()),
            '?' if !present => {
                let message = expand(arg, lookup, warnings)?;
                Err(if message.is_empty() {
                    format!("required variable {name} is missing a value")
                } else {
                    format!("required variable {name} is missing a value: {message}")
                })
            }
            _ => Ok(value.unwrap_or_default()),
        };
    }
    // `${AWS::Region}`, `${Resource.Attribute}`: Fn::Sub placeholders.
    let sub_like = (rest.starts_with("::") || rest.starts_with('.'))
        && !rest.ends_with([':', '.'])
        && rest.bytes().all(|b| is_name_char(b) || b == b':' || b == b'.');
    if sub_like {
        warnings.push(format!(
            "{written} is CloudFormation syntax, not a compose variable; it is kept as written, and only !Sub replaces it"
        ));
        return Ok(written);
    }
    Err(format!("{written} is not a valid variable expression; write `$$` for a literal `$`"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(name: &str) -> Option<String> {
        match name {
            "IMAGE" => Some("nginx:1".into()),
            "EMPTY" => Some(String::new()),
            "PORT" => Some("8080".into()),
            "PREFIX" => Some("app".into()),
            _ => None,
        }
    }

    fn run(doc: Value) -> (Value, Vec<String>, Vec<String>) {
        let mut doc = doc;
        let mut diags = Diagnostics::new();
        interpolate(&mut doc, &env, &mut diags);
        let errors = diags.errors().iter().map(|d| d.plain()).collect();
        let warnings = diags.warnings().iter().map(|d| d.plain()).collect();
        (doc, errors, warnings)
    }

    fn one(text: &str) -> Result<String, String> {
        let (doc, errors, _) = run(json!({"x-t": text}));
        match errors.first() {
            Some(e) => Err(e.clone()),
            None => Ok(doc["x-t"].as_str().unwrap().to_string()),
        }
    }

    #[test]
    fn plain_and_braced_variables() {
        assert_eq!(one("$IMAGE"), Ok("nginx:1".into()));
        assert_eq!(one("${IMAGE}"), Ok("nginx:1".into()));
        assert_eq!(one("a-$PORT-b"), Ok("a-8080-b".into()));
        assert_eq!(one("${PREFIX}_x$PORT.y"), Ok("app_x8080.y".into()));
        assert_eq!(one("pa$$word $${IMAGE}"), Ok("pa$word ${IMAGE}".into()));
        assert_eq!(one("no dollar"), Ok("no dollar".into()));
        assert_eq!(one("é$PORTü"), Ok("é8080ü".into()));
    }

    #[test]
    fn defaults() {
        assert_eq!(one("${UNSET:-d}"), Ok("d".into()));
        assert_eq!(one("${EMPTY:-d}"), Ok("d".into()));
        assert_eq!(one("${IMAGE:-d}"), Ok("nginx:1".into()));
        assert_eq!(one("${UNSET-d}"), Ok("d".into()));
        assert_eq!(one("${EMPTY-d}"), Ok("".into()));
        assert_eq!(one("${UNSET:-}"), Ok("".into()));
        assert_eq!(one("${UNSET:-a:b-c}"), Ok("a:b-c".into()));
        assert_eq!(one("${UNSET:-${ALSO:-x}}y"), Ok("xy".into()));
        assert_eq!(one("${UNSET:-${PORT}}"), Ok("8080".into()));
        assert_eq!(one("${UNSET:-$PORT}"), Ok("8080".into()));
    }

    #[test]
    fn alternatives() {
        assert_eq!(one("${PORT:+on}"), Ok("on".into()));
        assert_eq!(one("${EMPTY:+on}"), Ok("".into()));
        assert_eq!(one("${UNSET:+on}"), Ok("".into()));
        assert_eq!(one("${EMPTY+on}"), Ok("on".into()));
        assert_eq!(one("${UNSET+on}"), Ok("".into()));
    }

    #[test]
    fn required_variables() {
        assert_eq!(one("${PORT:?need it}"), Ok("8080".into()));
        assert_eq!(one("${EMPTY?need it}"), Ok("".into()));
        assert_eq!(
            one("${EMPTY:?need ${PREFIX}}"),
            Err("x-t: required variable EMPTY is missing a value: need app".into())
        );
        assert_eq!(one("${UNSET?}"), Err("x-t: required variable UNSET is missing a value".into()));
    }

    #[test]
    fn malformed_expressions_are_errors() {
        assert_eq!(one("a ${"), Err("x-t: \"${\": `${` is not closed by `}`; write `$$` for a literal `$`".into()));
        assert_eq!(one("${A"), Err("x-t: \"${A\": `${` is not closed by `}`; write `$$` for a literal `$`".into()));
        assert_eq!(one("${}"), Err("x-t: ${} is not a valid variable expression; write `$$` for a literal `$`".into()));
        assert_eq!(
            one("${A B}"),
            Err("x-t: ${A B} is not a valid variable expression; write `$$` for a literal `$`".into())
        );
        assert_eq!(one("costs $5"), Ok("costs $5".into()));
        assert_eq!(one("^end$"), Ok("^end$".into()));
        let (_, _, warnings) = run(json!({"x-t": "^end$"}));
        assert_eq!(
            warnings,
            ["x-t: \"^end$\": a `$` followed by neither a variable name nor `{` is kept as a literal `$`; docker compose refuses it: write `$$` for a literal `$` that both accept"]
        );
        assert!(one("${A:}").is_err());
        assert!(one("${A.}").is_err());
    }

    #[test]
    fn unset_variable_warns_at_the_value_path() {
        let (doc, errors, warnings) =
            run(json!({"services": {"app01": {"environment": {"SHELLY": "${SHELL}", "TERMY": "$TERM"}}}}));
        assert_eq!(doc, json!({"services": {"app01": {"environment": {"SHELLY": "", "TERMY": ""}}}}));
        assert!(errors.is_empty());
        assert_eq!(
            warnings,
            vec![
                "services.app01.environment.SHELLY: variable SHELL is not set; using an empty string",
                "services.app01.environment.TERMY: variable TERM is not set; using an empty string",
            ]
        );
    }

    #[test]
    fn keys_lists_and_sections() {
        let (doc, errors, _) = run(json!({
            "name": "${PREFIX}-stack",
            "services": {"web": {"image": "${IMAGE}", "ports": ["${PORT}:80", 443], "environment": {"${PREFIX}_PORT": "$PORT"}}},
            "networks": {"n": {"name": "$PREFIX"}},
            "volumes": {"v": {"name": "$PREFIX"}},
            "secrets": {"s": {"file": "$PREFIX"}},
            "configs": {"c": {"file": "$PREFIX"}},
            "x-custom": {"k": "$PREFIX"}
        }));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            doc,
            json!({
                "name": "app-stack",
                "services": {"web": {"image": "nginx:1", "ports": ["8080:80", 443], "environment": {"app_PORT": "8080"}}},
                "networks": {"n": {"name": "app"}},
                "volumes": {"v": {"name": "app"}},
                "secrets": {"s": {"file": "app"}},
                "configs": {"c": {"file": "app"}},
                "x-custom": {"k": "app"}
            })
        );
        let (_, errors, _) = run(json!({"services": {"s": {"labels": {"$PREFIX": "a", "app": "b"}}}}));
        assert_eq!(
            errors,
            vec!["services.s.labels.app: this key is \"app\" after interpolation, like another key of the mapping"]
        );
        let (_, errors, _) = run(json!({"services": {"s": {"ports": ["a", "${X:?port needed}"]}}}));
        assert_eq!(errors, vec!["services.s.ports[1]: required variable X is missing a value: port needed"]);
    }

    #[test]
    fn cloudformation_sections_and_intrinsics_are_left_alone() {
        let input = json!({
            "Resources": {"R": {"Properties": {"Name": "${UNSET}", "$X": "$Y"}}},
            "Parameters": {"P": {"Default": "${UNSET}"}},
            "Outputs": {"O": {"Value": "${UNSET}"}},
            "Conditions": {"C": "$X"}, "Mappings": {"M": "$X"}, "Metadata": {"M": "$X"},
            "Description": "costs $5", "Transform": "$X",
            "services": {"web": {
                "image": {"Fn::Sub": "${AWS::AccountId}.dkr.ecr/${Repo}:${UNSET}"},
                "environment": {"A": {"Fn::If": ["c", "${UNSET}", {"Ref": "AWS::NoValue"}]}, "B": {"Ref": "$X"}}
            }}
        });
        let (doc, errors, warnings) = run(input.clone());
        assert_eq!(doc, input);
        assert!(errors.is_empty() && warnings.is_empty(), "{errors:?} {warnings:?}");
    }

    #[test]
    fn cloudformation_placeholders_in_plain_strings_are_kept() {
        let (doc, errors, warnings) = run(json!({"x-s3": {"b": {"Resource": ["${!ARN}/*", "${AWS::Region}"]}}}));
        assert!(errors.is_empty());
        assert_eq!(doc, json!({"x-s3": {"b": {"Resource": ["${!ARN}/*", "${AWS::Region}"]}}}));
        assert_eq!(
            warnings,
            vec!["x-s3.b.Resource[1]: ${AWS::Region} is CloudFormation syntax, not a compose variable; it is kept as written, and only !Sub replaces it"]
        );
    }

    /// Corpus files (relative to the corpus) with a `$` followed by neither a name nor `{`,
    /// which docker compose refuses: they interpolate, with a warning at the value's path.
    const LONE_DOLLAR: &[&str] = &[
        // A regular expression, "^startsEnds$", in x-prometheus metric_selectors.
        "ecs-composex/prometheus/prometheus_custom_options.yml",
        "ecs-composex/prometheus/prometheus_enabled.yml",
    ];

    #[test]
    fn corpus_files_interpolate_without_errors() {
        let Some(root) = crate::compose::test_corpus() else { return };
        let blog = std::fs::read_to_string(root.join("ecs-composex/blog.yml")).unwrap();
        let mut doc = crate::compose::yaml::parse_yaml(&blog).unwrap();
        let mut diags = Diagnostics::new();
        interpolate(&mut doc, &|_| None, &mut diags);
        assert!(!diags.has_errors(), "{:?}", diags.errors());
        assert_eq!(doc["services"]["app01"]["image"], json!("nginx"));
        let warnings: Vec<String> = diags.warnings().iter().map(|d| d.plain()).collect();
        assert!(warnings.contains(
            &"services.app01.environment.SHELLY: variable SHELL is not set; using an empty string".to_string()
        ));

        let mut stack = vec![root.clone()];
        let (mut checked, mut warned) = (0, Vec::new());
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                    let name = path.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
                    let mut doc = crate::compose::yaml::parse_yaml(&std::fs::read_to_string(&path).unwrap()).unwrap();
                    let mut diags = Diagnostics::new();
                    interpolate(&mut doc, &|_| None, &mut diags);
                    checked += 1;
                    assert!(!diags.has_errors(), "{name}: {:?}", diags.errors());
                    let lone: Vec<_> = diags
                        .warnings()
                        .into_iter()
                        .filter(|w| w.message.contains("is kept as a literal `$`"))
                        .collect();
                    if !lone.is_empty() {
                        assert!(lone.iter().all(|w| !w.path.is_empty() && !w.path.contains(' ')), "{name}: {lone:?}");
                        warned.push(name);
                    }
                }
            }
        }
        assert!(checked > 40, "{checked}");
        warned.sort();
        assert_eq!(warned, LONE_DOLLAR, "LONE_DOLLAR lists the files that warn of a lone `$`");
    }
}
