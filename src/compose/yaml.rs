//! YAML → JSON, with CloudFormation short-form tags turned into long form.
//!
//! The rest of the engine only knows JSON (the macro receives JSON), so the CLI's YAML is brought
//! to exactly the shape CloudFormation would hand the macro: `!Ref x` is `{"Ref": "x"}`,
//! `!GetAtt a.b` is `{"Fn::GetAtt": ["a", "b"]}`, and so on. Two compose tags, `!reset` and
//! `!override`, only mean something while merging several files; they are kept as one-key
//! objects (`{"!reset": …}`, `{"!override": …}`) for [`crate::compose::merge`] to consume.

use crate::diagnostics::{index, join};
use serde_json::{Map, Number, Value};
use serde_norway::Value as Yaml;

/// The key of the one-key object that stands for a compose `!reset` tag until merge time.
pub const RESET_TAG: &str = "!reset";
/// The key of the one-key object that stands for a compose `!override` tag until merge time.
pub const OVERRIDE_TAG: &str = "!override";

/// CloudFormation short forms written `!Name value` whose long form is `{"Fn::Name": value}`.
const FN_TAGS: &[&str] = &[
    "Sub",
    "Join",
    "If",
    "Select",
    "Split",
    "FindInMap",
    "ImportValue",
    "Base64",
    "Cidr",
    "GetAZs",
    "Equals",
    "And",
    "Or",
    "Not",
    "Transform",
    "Length",
    "ToJsonString",
];

/// Parses one YAML document into JSON.
///
/// - YAML merge keys (`<<: *anchor`, `<<: [*a, *b]`) are applied; keys written next to `<<` win,
///   and among several merged mappings the first one wins (YAML 1.1 merge semantics).
/// - CloudFormation short forms become long form: `!Ref x` → `{"Ref": "x"}`, `!Condition x` →
///   `{"Condition": "x"}`, `!GetAtt a.b.c` → `{"Fn::GetAtt": ["a", "b.c"]}` (split at the first
///   dot; the list form `!GetAtt [a, b]` is kept), `!Sub`/`!Join`/`!If`/… → `{"Fn::Sub": …}`.
///   Tags nest (`!If [c, !Ref a, !Ref "AWS::NoValue"]`). A tag with no value (`!GetAZs`) has the
///   value `""`, which is what CloudFormation reads for it.
/// - Compose's `!reset x` / `!override x` become `{"!reset": x}` / `{"!override": x}`; merging
///   removes them (see [`crate::compose::merge::merge_files`]).
/// - Mapping keys that are numbers or booleans (`80: x`, `true: y`) become their text (`"80"`,
///   `"true"`); a null, list, mapping or tagged key is an error, as is a key that appears twice
///   once stringified (`80` and `"80"`).
/// - Integers stay integers. Floats stay floats (`1.0` stays `1.0`, not `1`), but `.inf` and
///   `.nan` are errors: JSON cannot hold them, and a CloudFormation template cannot either; the
///   message says to quote the value if text was meant.
/// - Any other tag (`!Foo`) is an error naming it; the YAML core tags (`!!str`, `!!int`, …) are
///   resolved by the parser itself.
///
/// An empty document (or one with only comments) is `Value::Null`: the caller says what is
/// missing. Syntax errors carry the line and column of the problem.
pub fn parse_yaml(text: &str) -> Result<Value, String> {
    let mut yaml: Yaml = serde_norway::from_str(text).map_err(describe_error)?;
    yaml.apply_merge().map_err(|e| format!("YAML merge key (<<): {e}"))?;
    to_json(yaml, "")
}

/// serde_norway's message, with the location appended when the message lacks one (duplicate
/// keys, for example, are reported without it).
fn describe_error(e: serde_norway::Error) -> String {
    let message = e.to_string();
    match e.location() {
        Some(loc) if !message.contains(" line ") => {
            format!("{message} at line {} column {}", loc.line(), loc.column())
        }
        _ => message,
    }
}

/// `path: message`, or just the message at the document root.
fn at(path: &str, message: String) -> String {
    if path.is_empty() {
        message
    } else {
        format!("{path}: {message}")
    }
}

fn to_json(yaml: Yaml, path: &str) -> Result<Value, String> {
    Ok(match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => number(&n, path)?,
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => Value::Array(
            items.into_iter().enumerate().map(|(i, item)| to_json(item, &index(path, i))).collect::<Result<_, _>>()?,
        ),
        Yaml::Mapping(mapping) => {
            let mut out = Map::new();
            for (key, value) in mapping {
                let key = key_text(key, path)?;
                let child = join(path, &key);
                let value = to_json(value, &child)?;
                if out.insert(key.clone(), value).is_some() {
                    return Err(at(&child, "this key appears twice in the mapping".into()));
                }
            }
            Value::Object(out)
        }
        Yaml::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.strip_prefix('!').unwrap_or(&tag).to_string();
            tagged_to_json(&name, tagged.value, path)?
        }
    })
}

fn number(n: &serde_norway::Number, path: &str) -> Result<Value, String> {
    if let Some(u) = n.as_u64() {
        return Ok(Value::Number(u.into()));
    }
    if let Some(i) = n.as_i64() {
        return Ok(Value::Number(i.into()));
    }
    let f = n.as_f64().unwrap_or(f64::NAN);
    Number::from_f64(f).map(Value::Number).ok_or_else(|| {
        at(path, format!("{n} is not a number a template can hold; quote it if you mean the text \"{n}\""))
    })
}

/// The text of a mapping key: strings as they are, numbers and booleans as written.
fn key_text(key: Yaml, path: &str) -> Result<String, String> {
    match key {
        Yaml::String(s) => Ok(s),
        Yaml::Number(n) => Ok(n.to_string()),
        Yaml::Bool(b) => Ok(b.to_string()),
        Yaml::Null => Err(at(path, "a mapping key is empty (null); give it a name".into())),
        Yaml::Sequence(_) | Yaml::Mapping(_) => {
            Err(at(path, "a mapping key is a list or a mapping; keys must be text".into()))
        }
        Yaml::Tagged(t) => Err(at(path, format!("a mapping key has the tag {}; keys must be plain text", t.tag))),
    }
}

fn tagged_to_json(name: &str, value: Yaml, path: &str) -> Result<Value, String> {
    let one = |key: String, v: Value| Value::Object(Map::from_iter([(key, v)]));
    // A bare tag (`!GetAZs`) means an empty string to CloudFormation's own YAML reader.
    let value_or_empty = |v: Yaml| -> Result<Value, String> {
        match v {
            Yaml::Null => Ok(Value::String(String::new())),
            v => to_json(v, path),
        }
    };
    match name {
        "reset" => Ok(one(RESET_TAG.into(), to_json(value, path)?)),
        "override" => Ok(one(OVERRIDE_TAG.into(), to_json(value, path)?)),
        "Ref" | "Condition" => Ok(one(name.into(), value_or_empty(value)?)),
        "GetAtt" => match value {
            Yaml::String(s) => match s.split_once('.') {
                Some((resource, attribute)) if !resource.is_empty() && !attribute.is_empty() => Ok(one(
                    "Fn::GetAtt".into(),
                    Value::Array(vec![Value::String(resource.into()), Value::String(attribute.into())]),
                )),
                _ => {
                    Err(at(path, format!("!GetAtt {s:?} is not LogicalId.Attribute; write !GetAtt Resource.Attribute")))
                }
            },
            Yaml::Sequence(_) => Ok(one("Fn::GetAtt".into(), to_json(value, path)?)),
            _ => Err(at(path, "!GetAtt needs Resource.Attribute or [Resource, Attribute]".into())),
        },
        _ if FN_TAGS.contains(&name) => Ok(one(format!("Fn::{name}"), value_or_empty(value)?)),
        _ => Err(at(
            path,
            format!(
                "unknown YAML tag !{name}; the tags understood are !Ref, !Condition, !GetAtt, !{}, \
                 and compose's !reset and !override",
                FN_TAGS.join(", !")
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(text: &str) -> Value {
        parse_yaml(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    #[test]
    fn ref_and_condition() {
        assert_eq!(parse("a: !Ref Vpc"), json!({"a": {"Ref": "Vpc"}}));
        assert_eq!(parse("a: !Ref 'AWS::Region'"), json!({"a": {"Ref": "AWS::Region"}}));
        assert_eq!(parse("a: !Condition IsProd"), json!({"a": {"Condition": "IsProd"}}));
    }

    #[test]
    fn get_att_splits_at_the_first_dot_and_keeps_the_list_form() {
        assert_eq!(parse("a: !GetAtt Db.Endpoint.Address"), json!({"a": {"Fn::GetAtt": ["Db", "Endpoint.Address"]}}));
        assert_eq!(parse("a: !GetAtt [Db, Arn]"), json!({"a": {"Fn::GetAtt": ["Db", "Arn"]}}));
        let e = parse_yaml("a: !GetAtt Db").unwrap_err();
        assert_eq!(e, "a: !GetAtt \"Db\" is not LogicalId.Attribute; write !GetAtt Resource.Attribute");
    }

    #[test]
    fn every_fn_tag_has_its_long_form() {
        for name in FN_TAGS {
            let v = parse(&format!("a: !{name} x"));
            assert_eq!(v, json!({"a": {format!("Fn::{name}"): "x"}}), "{name}");
        }
        assert_eq!(parse("a: !GetAZs"), json!({"a": {"Fn::GetAZs": ""}}));
        assert_eq!(parse("a: !Join ['-', [a, b]]"), json!({"a": {"Fn::Join": ["-", ["a", "b"]]}}));
        assert_eq!(
            parse("a: !FindInMap\n  - M\n  - !Ref AWS::Region\n  - Ami\n"),
            json!({"a": {"Fn::FindInMap": ["M", {"Ref": "AWS::Region"}, "Ami"]}})
        );
    }

    #[test]
    fn nested_tags() {
        assert_eq!(
            parse("a: !Sub ['${A}-x', {A: !Ref B}]"),
            json!({"a": {"Fn::Sub": ["${A}-x", {"A": {"Ref": "B"}}]}})
        );
        assert_eq!(
            parse("a: !If [c, !Ref a, !Ref \"AWS::NoValue\"]"),
            json!({"a": {"Fn::If": ["c", {"Ref": "a"}, {"Ref": "AWS::NoValue"}]}})
        );
        assert_eq!(parse("a: !Select [0, !GetAZs \"\"]"), json!({"a": {"Fn::Select": [0, {"Fn::GetAZs": ""}]}}));
        assert_eq!(parse("a: !Equals [!Ref Env, prod]"), json!({"a": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}}));
    }

    #[test]
    fn reset_and_override_survive_as_one_key_objects() {
        assert_eq!(
            parse("ports: !reset []\nenv: !reset\nvolumes: !override\n  - a:/b\n"),
            json!({"ports": {"!reset": []}, "env": {"!reset": null}, "volumes": {"!override": ["a:/b"]}})
        );
    }

    #[test]
    fn unknown_tag_is_an_error_naming_it() {
        let e = parse_yaml("services:\n  web:\n    image: !Foo bar\n").unwrap_err();
        assert!(e.starts_with("services.web.image: unknown YAML tag !Foo;"), "{e}");
        assert!(parse_yaml("a: [!Bar x]").unwrap_err().starts_with("a[0]: unknown YAML tag !Bar;"));
    }

    #[test]
    fn merge_keys_and_anchors() {
        let v = parse(
            "x-base: &base\n  image: nginx\n  user: root\nservices:\n  a:\n    <<: *base\n    user: app\n  b: *base\n",
        );
        assert_eq!(
            v,
            json!({
                "x-base": {"image": "nginx", "user": "root"},
                "services": {"a": {"image": "nginx", "user": "app"}, "b": {"image": "nginx", "user": "root"}}
            })
        );
        // Several merged mappings: the first one listed wins.
        let v = parse("p: &p {a: 1, b: 1}\nq: &q {b: 2, c: 2}\nr:\n  <<: [*p, *q]\n");
        assert_eq!(v["r"], json!({"a": 1, "b": 1, "c": 2}));
    }

    #[test]
    fn keys_become_text_and_numbers_keep_their_kind() {
        assert_eq!(parse("80: x\ntrue: y\n1.5: z"), json!({"80": "x", "true": "y", "1.5": "z"}));
        let v = parse("i: 80\nn: -3\nf: 1.0\nh: 0.5\ns: '80'\no: 010\nb: yes");
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"b":"yes","f":1.0,"h":0.5,"i":80,"n":-3,"o":"010","s":"80"}"#
        );
        assert_eq!(
            parse_yaml("a:\n  b: .inf").unwrap_err(),
            "a.b: .inf is not a number a template can hold; quote it if you mean the text \".inf\""
        );
        assert!(parse_yaml("a: .nan").unwrap_err().starts_with("a: .nan is not a number"));
        assert_eq!(parse_yaml("80: a\n'80': b").unwrap_err(), "80: this key appears twice in the mapping");
        assert_eq!(parse_yaml("a:\n  ~: b").unwrap_err(), "a: a mapping key is empty (null); give it a name");
    }

    #[test]
    fn empty_document_is_null() {
        assert_eq!(parse(""), Value::Null);
        assert_eq!(parse("# only a comment\n"), Value::Null);
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        let e = parse_yaml("services:\n  web:\n    ports: [80\n").unwrap_err();
        assert!(e.contains("line 4 column 1"), "{e}");
        let e = parse_yaml("a: 1\nb:\n  c: 1\n  c: 2\n").unwrap_err();
        assert!(e.starts_with("b: duplicate entry with key \"c\" at line 3 column 3"), "{e}");
    }

    #[test]
    fn every_corpus_file_parses() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
        let mut stack = vec![root];
        let mut parsed = 0;
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    let v = parse_yaml(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"));
                    assert!(v.is_object(), "{path:?}");
                    parsed += 1;
                }
            }
        }
        assert!(parsed == 0 || parsed > 40, "{parsed}");
    }
}
