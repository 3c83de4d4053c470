//! The template being built.
//!
//! Sections are `BTreeMap`s (serde_json's default map), so output is sorted by key: the same
//! input always gives byte-identical output, and a resource's text depends only on itself.

use serde_json::{Map, Value};

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
