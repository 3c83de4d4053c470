//! The template being built.
//!
//! Sections are `BTreeMap`s (serde_json's default map), so output is sorted by key: the same
//! input always gives byte-identical output, and a resource's text depends only on itself.

use serde_json::{Map, Value};

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

#[derive(Debug, Default, Clone)]
pub struct Template {
    /// Every top-level section other than `Resources` and `Outputs`, passed through.
    pub sections: Map<String, Value>,
    pub resources: Map<String, Value>,
    pub outputs: Map<String, Value>,
    /// Which family or x- resource each generated logical ID belongs to, for quota messages.
    pub owners: Map<String, Value>,
}

impl Template {
    /// Adds a generated resource. Returns false when the logical ID is taken.
    pub fn add(&mut self, owner: &str, id: String, resource: Value) -> bool {
        if self.resources.contains_key(&id) {
            return false;
        }
        self.owners.insert(id.clone(), Value::String(owner.to_string()));
        self.resources.insert(id, resource);
        true
    }

    pub fn output(&mut self, id: String, value: Value, description: &str) {
        let mut o = Map::new();
        o.insert("Description".into(), Value::String(description.into()));
        o.insert("Value".into(), value);
        self.outputs.insert(id, Value::Object(o));
    }

    pub fn into_value(self) -> Value {
        let mut t = self.sections;
        t.insert("Resources".into(), Value::Object(self.resources));
        if !self.outputs.is_empty() {
            t.insert("Outputs".into(), Value::Object(self.outputs));
        }
        Value::Object(t)
    }
}
