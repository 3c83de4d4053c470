//! YAML → JSON, with CloudFormation short-form tags turned into long form.
//!
//! The rest of the engine only knows JSON (the macro receives JSON), so the CLI's YAML is brought
//! to exactly the shape CloudFormation would hand the macro: `!Ref x` is `{"Ref": "x"}`,
//! `!GetAtt a.b` is `{"Fn::GetAtt": ["a", "b"]}`, and so on. Two compose tags, `!reset` and
//! `!override`, only mean something while merging several files; they are kept as one-key
//! objects (`{"!reset": …}`, `{"!override": …}`) for [`crate::compose::merge`] to consume.

use crate::diagnostics::{index, join};
use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Number, Value};
use std::cell::RefCell;
use std::fmt;

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
///   and among several merged mappings the first one wins (YAML 1.1 merge semantics). A `<<` whose
///   value is not a mapping or a list of mappings is an error naming the mapping's path.
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
    // The parser would take minutes to reach its own limit on a deeply nested flow collection
    // (100,000 `[`): a quick scan refuses it first.
    if let Some((line, column)) = too_deep(text) {
        return Err(format!(
            "collections nested more than {MAX_DEPTH} levels deep at line {line} column {column}; a compose file needs a handful"
        ));
    }
    // serde_norway parses; the seed builds the JSON as the events come (no intermediate YAML
    // value, no path text unless there is an error). Errors of our own are kept aside, exact,
    // and the error serde_norway returns for them is dropped.
    let ours = RefCell::new(None);
    let seed = Node { path: &Path::Root, error: &ours };
    let de = serde_norway::Deserializer::from_str(text);
    match seed.deserialize(de) {
        Ok(v) => Ok(v),
        Err(e) => Err(ours.into_inner().unwrap_or_else(|| describe_error(e))),
    }
}

/// How deep flow collections (`[`, `{`) may nest: serde_norway's own recursion limit.
const MAX_DEPTH: usize = 128;

/// The line and column where flow collections first nest deeper than [`MAX_DEPTH`], skipping
/// quoted text and comments.
fn too_deep(text: &str) -> Option<(usize, usize)> {
    let (mut depth, mut line, mut column) = (0usize, 1usize, 0usize);
    let mut chars = text.chars().peekable();
    let mut previous = '\n';
    while let Some(c) = chars.next() {
        column += 1;
        match c {
            '\n' => (line, column) = (line + 1, 0),
            '#' if previous.is_whitespace() => while chars.next_if(|c| *c != '\n').is_some() {},
            '"' | '\'' => {
                while let Some(q) = chars.next() {
                    column += 1;
                    match q {
                        '\n' => (line, column) = (line + 1, 0),
                        '\\' if c == '"' => {
                            chars.next();
                        }
                        q if q == c => break,
                        _ => {}
                    }
                }
            }
            '[' | '{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some((line, column));
                }
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        previous = c;
    }
    None
}

/// Where a value sits, built on the stack as the parse descends and written out only for an
/// error message.
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    fn text(&self) -> String {
        match self {
            Path::Root => String::new(),
            Path::Key(parent, key) => join(&parent.text(), key),
            Path::Index(parent, i) => index(&parent.text(), *i),
        }
    }
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

/// One YAML node to turn into JSON.
#[derive(Clone, Copy)]
struct Node<'a> {
    path: &'a Path<'a>,
    error: &'a RefCell<Option<String>>,
}

impl Node<'_> {
    /// Records one of our own errors (the first wins) and stops the parse.
    fn fail<E: de::Error>(&self, message: String) -> E {
        self.error.borrow_mut().get_or_insert(message);
        E::custom("")
    }

    /// A mapping: its keys as text, its values converted, its merge keys applied.
    fn object<'de, A: MapAccess<'de>>(self, mut map: A) -> Result<Map<String, Value>, A::Error> {
        let mut out = Map::new();
        let (mut merges, mut merged_seen) = (Vec::new(), false);
        // The keys that were numbers or booleans in the YAML (rare), to tell `80` twice (YAML's
        // own duplicate) from `80` and `"80"` (the same text once stringified).
        let mut not_text: Vec<(String, KeyKind)> = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let (key, kind) = match key {
                Key::Text(text, kind) => (text, kind),
                Key::Null => {
                    return Err(self.fail(at(&self.path.text(), "a mapping key is empty (null); give it a name".into())))
                }
                Key::Collection => {
                    return Err(self
                        .fail(at(&self.path.text(), "a mapping key is a list or a mapping; keys must be text".into())))
                }
                Key::Tagged(tag) => {
                    return Err(self.fail(at(
                        &self.path.text(),
                        format!("a mapping key has the tag !{tag}; keys must be plain text"),
                    )))
                }
            };
            let path = Path::Key(self.path, &key);
            let node = Node { path: &path, error: self.error };
            if key == "<<" && kind == KeyKind::Str {
                if merged_seen {
                    return Err(de::Error::custom("duplicate entry with key \"<<\""));
                }
                merged_seen = true;
                match map.next_value_seed(MergeSeed { node, in_list: false })? {
                    Ok(maps) => merges = maps,
                    Err(message) => {
                        return Err(self.fail(at(&self.path.text(), format!("YAML merge key (<<): {message}"))))
                    }
                }
                continue;
            }
            let value = map.next_value_seed(node)?;
            let kind_of = |k: &str| not_text.iter().find(|(t, _)| t == k).map_or(KeyKind::Str, |(_, kind)| *kind);
            match out.entry(key) {
                Entry::Vacant(v) => {
                    if kind != KeyKind::Str {
                        not_text.push((v.key().clone(), kind));
                    }
                    v.insert(value);
                }
                Entry::Occupied(o) if kind_of(o.key()) == kind => {
                    // The same key written twice: serde_norway's own message and location.
                    return Err(de::Error::custom(match kind {
                        KeyKind::Str => format!("duplicate entry with key {:?}", o.key()),
                        KeyKind::Number => format!("duplicate entry with key {}", o.key()),
                        KeyKind::Bool => format!("duplicate entry with key `{}`", o.key()),
                    }));
                }
                Entry::Occupied(o) => {
                    let path = Path::Key(self.path, o.key());
                    return Err(self.fail(at(&path.text(), "this key appears twice in the mapping".into())));
                }
            }
        }
        // YAML merge keys: the keys written beside `<<` win, then the first merged mapping.
        for m in merges {
            for (k, v) in m {
                out.entry(k).or_insert(v);
            }
        }
        Ok(out)
    }
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Number(i.into()))
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Value, E> {
        Ok(Value::Number(u.into()))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Value, E> {
        Number::from_f64(f).map(Value::Number).ok_or_else(|| {
            let n = serde_norway::Number::from(f);
            self.fail(at(
                &self.path.text(),
                format!("{n} is not a number a template can hold; quote it if you mean the text \"{n}\""),
            ))
        })
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        loop {
            let path = Path::Index(self.path, items.len());
            match seq.next_element_seed(Node { path: &path, error: self.error })? {
                Some(item) => items.push(item),
                None => return Ok(Value::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        self.object(map).map(Value::Object)
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        let (tag, content): (String, _) = data.variant()?;
        let name = tag.strip_prefix('!').unwrap_or(&tag);
        let value = content.newtype_variant_seed(self)?;
        tagged(name, value, self.path).map_err(|message| self.fail(message))
    }
}

/// The JSON of a tagged node, its content already converted: CloudFormation short forms in long
/// form, compose's `!reset`/`!override` as one-key objects, anything else an error.
fn tagged(name: &str, value: Value, path: &Path) -> Result<Value, String> {
    let one = |key: String, v: Value| Value::Object(Map::from_iter([(key, v)]));
    // A bare tag (`!GetAZs`) means an empty string to CloudFormation's own YAML reader.
    let or_empty = |v: Value| if v.is_null() { Value::String(String::new()) } else { v };
    match name {
        "reset" => Ok(one(RESET_TAG.into(), value)),
        "override" => Ok(one(OVERRIDE_TAG.into(), value)),
        "Ref" | "Condition" => Ok(one(name.into(), or_empty(value))),
        "GetAtt" => match value {
            Value::String(s) => match s.split_once('.') {
                Some((resource, attribute)) if !resource.is_empty() && !attribute.is_empty() => Ok(one(
                    "Fn::GetAtt".into(),
                    Value::Array(vec![Value::String(resource.into()), Value::String(attribute.into())]),
                )),
                _ => Err(at(
                    &path.text(),
                    format!("!GetAtt {s:?} is not LogicalId.Attribute; write !GetAtt Resource.Attribute"),
                )),
            },
            Value::Array(_) => Ok(one("Fn::GetAtt".into(), value)),
            _ => Err(at(&path.text(), "!GetAtt needs Resource.Attribute or [Resource, Attribute]".into())),
        },
        _ if FN_TAGS.contains(&name) => Ok(one(format!("Fn::{name}"), or_empty(value))),
        _ => Err(at(
            &path.text(),
            format!(
                "unknown YAML tag !{name}; the tags understood are !Ref, !Condition, !GetAtt, !{}, \
                 and compose's !reset and !override",
                FN_TAGS.join(", !")
            ),
        )),
    }
}

/// The value of a `<<` key: a mapping, or a list of mappings (`in_list`), else the reason it is
/// not (worded as serde_norway words it).
struct MergeSeed<'a> {
    node: Node<'a>,
    in_list: bool,
}

type Merged = Result<Vec<Map<String, Value>>, &'static str>;

impl MergeSeed<'_> {
    fn scalar<E>(&self) -> Result<Merged, E> {
        Ok(Err(if self.in_list {
            "expected a mapping for merging, but found scalar"
        } else {
            "expected a mapping or list of mappings for merging, but found scalar"
        }))
    }
}

impl<'de> DeserializeSeed<'de> for MergeSeed<'_> {
    type Value = Merged;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Merged, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for MergeSeed<'_> {
    type Value = Merged;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Merged, A::Error> {
        Ok(Ok(vec![self.node.object(map)?]))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Merged, A::Error> {
        if self.in_list {
            while seq.next_element::<de::IgnoredAny>()?.is_some() {}
            return Ok(Err("expected a mapping for merging, but found sequence"));
        }
        let mut maps = Vec::new();
        let mut problem = None;
        while let Some(item) = seq.next_element_seed(MergeSeed { node: self.node, in_list: true })? {
            match item {
                Ok(m) => maps.extend(m),
                Err(message) => {
                    problem.get_or_insert(message);
                }
            }
        }
        Ok(problem.map_or(Ok(maps), Err))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Merged, A::Error> {
        let (_, content): (de::IgnoredAny, _) = data.variant()?;
        content.newtype_variant::<de::IgnoredAny>()?;
        Ok(Err("unexpected tagged value in merge"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Merged, E> {
        self.scalar()
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Merged, E> {
        self.scalar()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Merged, E> {
        self.scalar()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Merged, E> {
        self.scalar()
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Merged, E> {
        self.scalar()
    }
    fn visit_unit<E: de::Error>(self) -> Result<Merged, E> {
        self.scalar()
    }
}

/// A mapping key as YAML wrote it: its text, and whether it was a string, a number or a boolean.
enum Key {
    Text(String, KeyKind),
    Null,
    Collection,
    Tagged(String),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    Str,
    Number,
    Bool,
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Key, E> {
        Ok(Key::Text(b.to_string(), KeyKind::Bool))
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Key, E> {
        Ok(Key::Text(i.to_string(), KeyKind::Number))
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Key, E> {
        Ok(Key::Text(u.to_string(), KeyKind::Number))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Key, E> {
        Ok(Key::Text(serde_norway::Number::from(f).to_string(), KeyKind::Number))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Key, E> {
        Ok(Key::Text(s.to_owned(), KeyKind::Str))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Key, E> {
        Ok(Key::Text(s, KeyKind::Str))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Key, E> {
        Ok(Key::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Key, A::Error> {
        while seq.next_element::<de::IgnoredAny>()?.is_some() {}
        Ok(Key::Collection)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Key, A::Error> {
        while map.next_entry::<de::IgnoredAny, de::IgnoredAny>()?.is_some() {}
        Ok(Key::Collection)
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Key, A::Error> {
        let (tag, content): (String, _) = data.variant()?;
        content.newtype_variant::<de::IgnoredAny>()?;
        Ok(Key::Tagged(tag.strip_prefix('!').unwrap_or(&tag).to_string()))
    }
}
#[cfg(test)]
mod tests {
    #[test]
    fn deep_flow_collections_are_refused_at_once() {
        let deep = format!("services:\n  web:\n    image: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        // The scan's message, not the parser's: the parser never ran.
        let e = parse_yaml(&deep).unwrap_err();
        assert_eq!(
            e,
            "collections nested more than 128 levels deep at line 3 column 140; a compose file needs a handful"
        );
        // Brackets in quotes and comments do not count.
        let quoted = format!("a: '{}'\nb: \"{}\" # {}\n", "[".repeat(200), "{".repeat(200), "[".repeat(200));
        assert!(parse_yaml(&quoted).is_ok());
    }

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
        // A plain mapping that looks like a long form merges; a tag does not.
        assert_eq!(parse("a:\n  <<: {Ref: x}\n")["a"], json!({"Ref": "x"}));
        for (text, message) in [
            (
                "a:\n  <<: 5\n",
                "a: YAML merge key (<<): expected a mapping or list of mappings for merging, but found scalar",
            ),
            ("a:\n  <<: [5]\n", "a: YAML merge key (<<): expected a mapping for merging, but found scalar"),
            ("a:\n  <<: [[1]]\n", "a: YAML merge key (<<): expected a mapping for merging, but found sequence"),
            ("a:\n  <<: !Ref x\n", "a: YAML merge key (<<): unexpected tagged value in merge"),
            ("a:\n  b:\n    <<: [{c: 1}, !Ref x]\n", "a.b: YAML merge key (<<): unexpected tagged value in merge"),
        ] {
            assert_eq!(parse_yaml(text).unwrap_err(), message, "{text:?}");
        }
        assert!(parse_yaml("a:\n  <<: {b: 1}\n  <<: {c: 2}\n")
            .unwrap_err()
            .starts_with("a: duplicate entry with key \"<<\""));
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
        let e = parse_yaml("80: a\n80: b\n").unwrap_err();
        assert!(e.starts_with("duplicate entry with key 80 at line 1 column 1"), "{e}");
        let e = parse_yaml("a: [!Ref x, !Sub '']\nb: *nowhere\n").unwrap_err();
        assert!(e.starts_with("unknown anchor at line 2 column 4"), "{e}");
    }

    #[test]
    fn every_corpus_file_parses() {
        let Some(root) = crate::compose::test_corpus() else { return };
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
        assert!(parsed > 40, "{parsed}");
    }
}
