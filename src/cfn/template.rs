//! The template being built, and the finished template a render returns.
//!
//! Sections are `BTreeMap`s (serde_json's default map), so output is sorted by key: the same
//! input always gives byte-identical output, and a resource's text depends only on itself.
//!
//! Each resource is kept as its compact JSON text from the moment it is added. A resource is
//! built as a `serde_json::Value`, where every mapping is a B-tree node of about 600 bytes even
//! for `{"Ref": …}`; kept that way, a 1000-service template is about 20 MB of nodes, which leaves
//! the caches, so that every later stage and the final drop ran at memory speed (the 1000-service
//! render took 18–23 times the 100-service one; 13–14 times with text, BENCHMARKS.md). As text it
//! is about 1.5 MB, the tree is freed while it is still in cache, and the Lambda's response
//! embeds the text as is. The few stages that read a resource back after adding it (queue
//! delivery, the `x-aws-cloudformation` overlay) parse that one resource.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// `{"Type": ty, "Properties": props}`, moving `props` in. (`json!` would copy a `Value` it is
/// given, serialising it again: on large templates that copy was a fifth of the time.)
pub fn resource(ty: &str, props: Value) -> Value {
    let mut m = Map::new();
    m.insert("Type".into(), Value::String(ty.into()));
    m.insert("Properties".into(), props);
    Value::Object(m)
}

/// A mapping built from owned values (no copy, unlike `json!`).
pub fn object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Object(entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// The owner of the resources and outputs the input's own `Resources` and `Outputs` declare.
pub const USER_RESOURCES: &str = "(your Resources)";

#[derive(Debug, Default, Clone)]
pub struct Template {
    /// Every top-level section other than `Resources` and `Outputs`, passed through.
    pub sections: Map<String, Value>,
    /// Logical ID → the resource as compact JSON, and its owner.
    resources: BTreeMap<String, Stored>,
    pub outputs: Map<String, Value>,
    /// Which family or x- resource each resource belongs to (for quota messages and clashes):
    /// the names, each once, that `Stored::owner` points into. Resources come in runs of one
    /// owner (a family's stages add theirs one after the other), so the last name is checked
    /// first, then the index.
    owner_names: Vec<String>,
    owner_index: BTreeMap<String, u32>,
    /// Output → its owner.
    output_owners: BTreeMap<String, String>,
}

/// A resource as kept in the template.
#[derive(Debug, Clone)]
struct Stored {
    text: Box<str>,
    /// Index in `owner_names`, or `NO_OWNER` for a resource put by the overlay.
    owner: u32,
}

const NO_OWNER: u32 = u32::MAX;

/// A resource as compact JSON, byte for byte what serde_json writes. The text is made in a
/// buffer kept from one resource to the next, then copied once into an allocation of its size.
fn raw(resource: &Value) -> Box<str> {
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUFFER.with(|b| {
        let mut out = b.borrow_mut();
        out.clear();
        super::json::write_compact(resource, &mut out);
        Box::from(std::str::from_utf8(&out).expect("JSON written from a Value is UTF-8"))
    })
}

/// A resource's text back as a value. The text was written from a `Value`, so it parses;
/// without serde_json's limit of 128 levels, which a resource may pass by embedding a deep
/// input value a few levels down (the input itself was read with that limit, so the depth
/// stays bounded).
fn parse(text: &str) -> Value {
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    serde::Deserialize::deserialize(&mut de).expect("a resource's own JSON text parses")
}

impl Template {
    /// Adds a generated resource. Returns false when the logical ID is taken.
    pub fn add(&mut self, owner: &str, id: String, resource: Value) -> bool {
        self.try_add(owner, id, resource).is_ok()
    }

    /// Adds a generated resource, or gives its logical ID back when it is taken. One search of
    /// the resources serves both the check and the insertion: for 1000 services the map holds
    /// about 1800 logical IDs, and each search compares a dozen of them.
    pub fn try_add(&mut self, owner: &str, id: String, resource: Value) -> Result<(), String> {
        let owner = self.owner_id(owner);
        match self.resources.entry(id) {
            std::collections::btree_map::Entry::Occupied(e) => Err(e.key().clone()),
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(Stored { text: raw(&resource), owner });
                Ok(())
            }
        }
    }

    /// The index of an owner's name, added when new.
    fn owner_id(&mut self, owner: &str) -> u32 {
        if self.owner_names.last().is_some_and(|last| last == owner) {
            return self.owner_names.len() as u32 - 1;
        }
        if let Some(&i) = self.owner_index.get(owner) {
            return i;
        }
        let i = self.owner_names.len() as u32;
        self.owner_names.push(owner.to_string());
        self.owner_index.insert(owner.to_string(), i);
        i
    }

    /// The family or x- resource that added the resource of this logical ID.
    pub fn owner(&self, id: &str) -> Option<&str> {
        self.resources.get(id).and_then(|r| self.owner_names.get(r.owner as usize)).map(String::as_str)
    }

    /// Records who added an output.
    pub fn set_output_owner(&mut self, id: String, owner: &str) {
        self.output_owners.insert(id, owner.to_string());
    }

    /// Whether something already owns the output of this ID.
    pub fn has_output_owner(&self, id: &str) -> bool {
        self.output_owners.contains_key(id)
    }

    /// The owner of each resource, in logical-ID order (`None` for a resource the overlay put).
    pub fn owners(&self) -> impl Iterator<Item = Option<&str>> {
        self.resources.values().map(|r| self.owner_names.get(r.owner as usize).map(String::as_str))
    }

    /// Whether a resource of this logical ID is in the template.
    pub fn has(&self, id: &str) -> bool {
        self.resources.contains_key(id)
    }

    /// The resource of this logical ID, as a value of its own (parsed from its text).
    pub fn resource(&self, id: &str) -> Option<Value> {
        self.resources.get(id).map(|r| parse(&r.text))
    }

    /// Replaces the resource of an existing logical ID (its owner stays).
    pub fn replace(&mut self, id: &str, resource: &Value) {
        if let Some(r) = self.resources.get_mut(id) {
            r.text = raw(resource);
        }
    }

    /// Adds or replaces a resource without an owner check (the `x-aws-cloudformation` overlay).
    pub fn put(&mut self, id: String, resource: &Value) {
        match self.resources.get_mut(&id) {
            // A replaced resource keeps its owner.
            Some(r) => r.text = raw(resource),
            None => {
                self.resources.insert(id, Stored { text: raw(resource), owner: NO_OWNER });
            }
        }
    }

    pub fn remove(&mut self, id: &str) {
        self.resources.remove(id);
    }

    /// Logical IDs of every resource, in order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.resources.keys().map(String::as_str)
    }

    pub fn resource_count(&self) -> usize {
        self.resources.len()
    }

    pub fn output(&mut self, id: String, value: Value, description: &str) {
        let mut o = Map::new();
        o.insert("Description".into(), Value::String(description.into()));
        o.insert("Value".into(), value);
        self.outputs.insert(id, Value::Object(o));
    }

    /// The top-level entries in key order: the sections, `Resources` (always, even empty) and
    /// `Outputs` (when there is one).
    fn entries(&self) -> Vec<(&str, Entry<'_>)> {
        let mut v: Vec<(&str, Entry)> = self
            .sections
            .iter()
            .filter(|(k, _)| *k != "Resources" && *k != "Outputs")
            .map(|(k, s)| (k.as_str(), Entry::Section(s)))
            .collect();
        v.push(("Resources", Entry::Resources(&self.resources)));
        if !self.outputs.is_empty() {
            v.push(("Outputs", Entry::Outputs(&self.outputs)));
        }
        v.sort_by(|a, b| a.0.cmp(b.0));
        v
    }

    /// The whole template as one value (YAML output, tests).
    pub fn to_value(&self) -> Value {
        let mut t = self.sections.clone();
        t.insert(
            "Resources".into(),
            Value::Object(self.resources.iter().map(|(k, r)| (k.clone(), parse(&r.text))).collect()),
        );
        if !self.outputs.is_empty() {
            t.insert("Outputs".into(), Value::Object(self.outputs.clone()));
        }
        Value::Object(t)
    }

    /// The template as serde_json's pretty printer writes `to_value()` (two-space indent),
    /// appended to `out`.
    pub fn write_pretty(&self, out: &mut Vec<u8>) {
        out.push(b'{');
        for (i, (key, entry)) in self.entries().into_iter().enumerate() {
            out.extend_from_slice(if i == 0 { b"\n  " } else { b",\n  " });
            super::json::write_string(key, out);
            out.extend_from_slice(b": ");
            match entry {
                Entry::Section(v) => super::json::write_pretty_at(v, 1, out),
                Entry::Outputs(m) => super::json::write_pretty_map_at(m, 1, out),
                Entry::Resources(r) if r.is_empty() => out.extend_from_slice(b"{}"),
                Entry::Resources(r) => {
                    out.push(b'{');
                    for (j, (id, Stored { text, .. })) in r.iter().enumerate() {
                        out.extend_from_slice(if j == 0 { b"\n    " } else { b",\n    " });
                        super::json::write_string(id, out);
                        out.extend_from_slice(b": ");
                        super::json::reindent(text, 2, out);
                    }
                    out.extend_from_slice(b"\n  }");
                }
            }
        }
        out.extend_from_slice(b"\n}");
    }

    /// The length of `to_value()` as compact JSON, for the 1 MB quota.
    pub fn compact_len(&self) -> usize {
        use super::json::{compact_len, compact_len_map, string_len};
        let entries = self.entries();
        2 + entries.len().saturating_sub(1)
            + entries
                .iter()
                .map(|(k, e)| {
                    string_len(k)
                        + 1
                        + match e {
                            Entry::Section(v) => compact_len(v),
                            Entry::Outputs(m) => compact_len_map(m),
                            Entry::Resources(r) => {
                                2 + r.len().saturating_sub(1)
                                    + r.iter().map(|(k, t)| string_len(k) + 1 + t.text.len()).sum::<usize>()
                            }
                        }
                })
                .sum::<usize>()
    }
}

enum Entry<'a> {
    Section(&'a Value),
    Resources(&'a BTreeMap<String, Stored>),
    Outputs(&'a Map<String, Value>),
}

/// The template as JSON: what `to_value()` would give, with each resource's text embedded as
/// is (a `RawValue`, which serde_json checks with a scan, not a parse into values). Only
/// serde_json's serializers understand that embedding; for any other format (YAML), serialise
/// `to_value()`.
impl Serialize for Template {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let entries = self.entries();
        let mut map = serializer.serialize_map(Some(entries.len()))?;
        for (k, e) in entries {
            match e {
                Entry::Section(v) => map.serialize_entry(k, v)?,
                Entry::Resources(r) => map.serialize_entry(k, &Raw(r))?,
                Entry::Outputs(m) => map.serialize_entry(k, m)?,
            }
        }
        map.end()
    }
}

/// The resources as a mapping of `RawValue`s.
struct Raw<'a>(&'a BTreeMap<String, Stored>);

impl Serialize for Raw<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (id, Stored { text, .. }) in self.0 {
            let raw: &RawValue = serde_json::from_str(text).map_err(S::Error::custom)?;
            map.serialize_entry(id, raw)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Template {
        let mut t = Template::default();
        t.sections.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
        t.sections.insert("Parameters".into(), json!({"P": {"Type": "String", "Default": "é\"\n"}}));
        t.sections.insert("Metadata".into(), json!({"E": {}, "L": [], "N": [1, 2.5, -3, null, true, false]}));
        t.add(
            "a",
            "B".into(),
            json!({"Type": "T", "Properties": {"X": {"Ref": "P"}, "E": {}, "L": [], "S": "a\u{1}\\b"}}),
        );
        t.add("a", "A".into(), json!({"Type": "T", "Properties": {"Nested": [{"a": [[], {}]}, [1, [2]]]}}));
        t.output("O".into(), json!({"Fn::GetAtt": ["A", "Arn"]}), "the ARN");
        t
    }

    #[test]
    fn every_form_matches_serde_json_on_the_whole_value() {
        let t = sample();
        let v = t.to_value();
        assert_eq!(v["Resources"]["B"]["Properties"]["X"], json!({"Ref": "P"}));
        let mut pretty = Vec::new();
        t.write_pretty(&mut pretty);
        assert_eq!(String::from_utf8(pretty).unwrap(), serde_json::to_string_pretty(&v).unwrap());
        assert_eq!(serde_json::to_string(&t).unwrap(), serde_json::to_string(&v).unwrap());
        assert_eq!(t.compact_len(), serde_json::to_vec(&v).unwrap().len());
    }

    #[test]
    fn an_empty_template_still_has_resources() {
        let t = Template::default();
        let mut pretty = Vec::new();
        t.write_pretty(&mut pretty);
        assert_eq!(String::from_utf8(pretty).unwrap(), "{\n  \"Resources\": {}\n}");
        assert_eq!(t.compact_len(), serde_json::to_vec(&t.to_value()).unwrap().len());
        assert_eq!(serde_json::to_string(&t).unwrap(), r#"{"Resources":{}}"#);
    }

    #[test]
    fn a_resource_deeper_than_serde_json_s_limit_reads_back() {
        let mut v = json!("x");
        for _ in 0..200 {
            v = json!([v]);
        }
        let mut t = Template::default();
        t.add("a", "A".into(), json!({"Type": "T", "Properties": {"D": v}}));
        assert_eq!(t.resource("A").unwrap()["Properties"]["D"], v);
        assert_eq!(serde_json::to_string(&t).unwrap(), serde_json::to_string(&t.to_value()).unwrap());
    }

    #[test]
    fn a_resource_read_back_and_replaced() {
        let mut t = sample();
        assert!(!t.add("b", "A".into(), json!({})), "the logical ID is taken");
        let mut a = t.resource("A").unwrap();
        a["DependsOn"] = json!("B");
        t.replace("A", &a);
        assert_eq!(t.resource("A").unwrap()["DependsOn"], json!("B"));
        assert_eq!(t.owner("A"), Some("a"));
        assert!(t.has("B") && !t.has("C"));
        assert_eq!(t.ids().collect::<Vec<_>>(), ["A", "B"]);
    }
}
