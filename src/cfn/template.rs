//! The template being built, and the finished template a render returns.
//!
//! Sections are `BTreeMap`s (serde_json's default map), so output is sorted by key: the same
//! input always gives byte-identical output, and a resource's text depends only on itself.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// `{"Type": ty, "Properties": props}`, moving `props` in (`json!` would copy a `Value` it is
/// given).
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

/// The owner of the parameters the input's own `Parameters` declare.
pub const USER_PARAMETERS: &str = "(your Parameters)";

#[derive(Debug, Default, Clone)]
pub struct Template {
    /// Every top-level section other than `Resources` and `Outputs`, passed through.
    pub sections: Map<String, Value>,
    /// Logical ID → resource.
    resources: Map<String, Value>,
    pub outputs: Map<String, Value>,
    /// Logical ID → the family or x- resource that added it (for quota messages and clashes);
    /// resources the `x-aws-cloudformation` overlay put have none.
    owners: BTreeMap<String, String>,
    /// Output → its owner.
    output_owners: BTreeMap<String, String>,
    /// Generated parameter → what made it (a path: `services.web.x-environment`); the file's
    /// own have none.
    parameter_owners: BTreeMap<String, String>,
}

impl Template {
    /// Adds a generated resource. Returns false when the logical ID is taken.
    pub fn add(&mut self, owner: &str, id: String, resource: Value) -> bool {
        self.try_add(owner, id, resource).is_ok()
    }

    /// Adds a generated resource, or gives its logical ID back when it is taken.
    pub fn try_add(&mut self, owner: &str, id: String, resource: Value) -> Result<(), String> {
        if self.resources.contains_key(&id) {
            return Err(id);
        }
        self.owners.insert(id.clone(), owner.to_string());
        self.resources.insert(id, resource);
        Ok(())
    }

    /// The family or x- resource that added the resource of this logical ID.
    pub fn owner(&self, id: &str) -> Option<&str> {
        self.owners.get(id).map(String::as_str)
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
        self.resources.keys().map(|id| self.owner(id))
    }

    /// Whether a resource of this logical ID is in the template.
    pub fn has(&self, id: &str) -> bool {
        self.resources.contains_key(id)
    }

    /// The resource of this logical ID.
    pub fn resource(&self, id: &str) -> Option<&Value> {
        self.resources.get(id)
    }

    /// Replaces the resource of an existing logical ID (its owner stays).
    pub fn replace(&mut self, id: &str, resource: Value) {
        if let Some(r) = self.resources.get_mut(id) {
            *r = resource;
        }
    }

    /// Adds or replaces a resource without an owner check (the `x-aws-cloudformation` overlay);
    /// a replaced resource keeps its owner.
    pub fn put(&mut self, id: String, resource: Value) {
        self.resources.insert(id, resource);
    }

    pub fn remove(&mut self, id: &str) {
        self.resources.remove(id);
        self.owners.remove(id);
    }

    /// Logical IDs of every resource, in order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.resources.keys().map(String::as_str)
    }

    pub fn resource_count(&self) -> usize {
        self.resources.len()
    }

    /// Adds a generated template parameter, or gives back the owner of the parameter that has
    /// its logical ID already ([`USER_PARAMETERS`] for the file's own). `Parameters` that are not
    /// a mapping are an error of their own: nothing is added to them.
    pub fn add_parameter(&mut self, owner: &str, id: &str, declaration: Value) -> Result<(), String> {
        let parameters = self.sections.entry("Parameters").or_insert_with(|| Value::Object(Map::new()));
        let Some(parameters) = parameters.as_object_mut() else { return Ok(()) };
        if parameters.contains_key(id) {
            return Err(self.parameter_owners.get(id).map_or(USER_PARAMETERS, String::as_str).to_string());
        }
        parameters.insert(id.to_string(), declaration);
        self.parameter_owners.insert(id.to_string(), owner.to_string());
        Ok(())
    }

    /// What made the template parameter of this logical ID (`None` for the file's own).
    pub fn parameter_owner(&self, id: &str) -> Option<&str> {
        self.parameter_owners.get(id).map(String::as_str)
    }

    /// The owner of each template parameter, in logical-ID order (`None` for the file's own).
    pub fn parameter_owners(&self) -> impl Iterator<Item = Option<&str>> {
        let ids = self.sections.get("Parameters").and_then(Value::as_object).into_iter().flat_map(|p| p.keys());
        ids.map(|id| self.parameter_owner(id))
    }

    pub fn output(&mut self, id: String, value: Value, description: &str) {
        let mut o = Map::new();
        o.insert("Description".into(), Value::String(description.into()));
        o.insert("Value".into(), value);
        self.outputs.insert(id, Value::Object(o));
    }

    /// The whole template as one value (tests).
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("a template of JSON values serializes")
    }
}

/// One mapping in key order: the sections, `Resources` (always, even empty) and `Outputs` (when
/// there is one).
impl Serialize for Template {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut entries: Vec<(&str, &Map<String, Value>)> = Vec::new();
        if !self.outputs.is_empty() {
            entries.push(("Outputs", &self.outputs));
        }
        entries.push(("Resources", &self.resources));
        let sections = self.sections.iter().filter(|(k, _)| *k != "Resources" && *k != "Outputs");
        let mut map = serializer.serialize_map(Some(entries.len() + sections.clone().count()))?;
        let mut sections = sections.peekable();
        for (key, m) in entries {
            while let Some((k, v)) = sections.next_if(|(k, _)| k.as_str() < key) {
                map.serialize_entry(k, v)?;
            }
            map.serialize_entry(key, m)?;
        }
        for (k, v) in sections {
            map.serialize_entry(k, v)?;
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
    fn sections_resources_and_outputs_are_one_mapping_in_key_order() {
        let t = sample();
        let v = t.to_value();
        assert_eq!(v["Resources"]["B"]["Properties"]["X"], json!({"Ref": "P"}));
        assert_eq!(v["Outputs"]["O"]["Description"], json!("the ARN"));
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["AWSTemplateFormatVersion", "Metadata", "Outputs", "Parameters", "Resources"]);
        assert_eq!(serde_json::to_string(&t).unwrap(), serde_json::to_string(&v).unwrap());
    }

    #[test]
    fn an_empty_template_still_has_resources() {
        let t = Template::default();
        assert_eq!(serde_json::to_string_pretty(&t).unwrap(), "{\n  \"Resources\": {}\n}");
    }

    #[test]
    fn a_resource_read_back_and_replaced() {
        let mut t = sample();
        assert!(!t.add("b", "A".into(), json!({})), "the logical ID is taken");
        let mut a = t.resource("A").unwrap().clone();
        a["DependsOn"] = json!("B");
        t.replace("A", a);
        assert_eq!(t.resource("A").unwrap()["DependsOn"], json!("B"));
        assert_eq!(t.owner("A"), Some("a"));
        assert!(t.has("B") && !t.has("C"));
        assert_eq!(t.ids().collect::<Vec<_>>(), ["A", "B"]);
    }

    #[test]
    fn generated_parameters_know_their_owner() {
        let mut t = sample();
        assert_eq!(t.add_parameter("services.web.build", "WebImage", json!({"Type": "String"})), Ok(()));
        assert_eq!(t.add_parameter("services.api.x-environment", "P", json!({})), Err(USER_PARAMETERS.to_string()));
        assert_eq!(t.add_parameter("x", "WebImage", json!({})), Err("services.web.build".to_string()));
        assert_eq!(t.parameter_owners().collect::<Vec<_>>(), [None, Some("services.web.build")]);
    }
}
