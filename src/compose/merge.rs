//! Merging several compose files (`-f a.yml -f b.yml`) with the compose-spec merge rules.
//!
//! A user who overlays `prod.yml` on `compose.yaml` expects what `docker compose config` would
//! show, so the rules follow the compose-spec (and compose-go where the spec is silent), with
//! the CloudFormation parts of a template treated the way CloudFormation users expect: an
//! overlay's resource, parameter or output replaces the one with the same logical ID whole.
//!
//! Rules, by where a value sits:
//! - mappings merge key by key, recursively; the overlay wins for scalars; when the two sides
//!   are of different kinds the overlay replaces;
//! - a sequence the rules below do not name is replaced by the overlay's;
//! - an intrinsic function (`{"Ref": …}`, `{"Fn::…": …}`) is a value: it replaces, or is
//!   replaced, whole;
//! - an overlay value `null` means "no value": the base value is kept;
//! - `!reset` (`{"!reset": …}` from [`crate::compose::yaml`]) removes the key (or list item);
//!   `!override` replaces instead of merging. Neither survives the merge, even of one file;
//! - services: `command`, `entrypoint`, `healthcheck.test` are replaced; `environment`,
//!   `labels`, `annotations`, `sysctls`, `extra_hosts`, `deploy.labels`, `build.args`,
//!   `build.labels` are maps even when written as lists, and are merged as maps; `ports`,
//!   `expose`, `dns`, `dns_search`, `tmpfs`, `cap_add`, `cap_drop`, `links`, `external_links`,
//!   `profiles`, `env_file` are concatenated without duplicates; `volumes` are merged by mount
//!   target, `secrets` and `configs` by source (the overlay's entry replaces the base's in place);
//!   `depends_on` and `networks` stay lists when both sides are lists, otherwise both become maps
//!   and merge; `logging` merges unless the two files name different drivers (then the overlay
//!   replaces it); `build: ./dir` merged with a `build:` mapping is `{context: ./dir}`;
//! - top level: CloudFormation sections (`Resources`, `Parameters`, `Outputs`, `Conditions`,
//!   `Mappings`, `Metadata`) merge by key, the later file's entry replacing the earlier whole;
//!   every other mapping (`services`, `networks`, `volumes`, `secrets`, `configs`, `x-…`) merges
//!   recursively; scalars (`name`, `Description`, `Transform`…) are replaced.

use super::yaml::{OVERRIDE_TAG, RESET_TAG};
use crate::cfn::intrinsics::is_intrinsic;
use serde_json::{Map, Value};

/// Merges `docs` in order, later files overriding earlier ones (see the module documentation).
/// `!reset` and `!override` markers are consumed even when there is a single document. An empty
/// list gives `Value::Null`; a `null` document (an empty file) changes nothing.
pub fn merge_files(docs: Vec<Value>) -> Value {
    let mut docs = docs.into_iter();
    let mut merged = docs.next().map(strip).unwrap_or(Value::Null);
    for overlay in docs {
        merged = merge(merged, overlay, Rule::Root).unwrap_or(Value::Null);
    }
    merged
}

/// Merges the service `overlay` onto the service `base` with the rules of services (what
/// `extends` does: the same rules as merging files).
pub fn merge_service(base: Value, overlay: Value) -> Value {
    merge(strip(base), overlay, Rule::Service).unwrap_or(Value::Null)
}

/// How the values under a key are merged.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Rule {
    /// The document: sections get their own rules.
    Root,
    /// Mappings merge recursively, everything else is replaced.
    Deep,
    /// A CloudFormation section: merge by key, each entry replaced whole.
    Section,
    /// The `services` mapping: each entry is a service.
    Services,
    Service,
    Deploy,
    Build,
    /// The overlay replaces, whatever the kinds.
    Replace,
    /// A mapping that may be written as a list of `KEY=VALUE` (or `host:ip` for extra_hosts).
    MapLike(Sep),
    /// A list concatenated without duplicates; a lone string counts as a one-item list.
    UniqueList,
    /// A list whose items are identified by a key; the overlay's item replaces the base's.
    Keyed(ItemKey),
    /// A list of names or a mapping name → options (`depends_on`, service `networks`).
    NamesOrMap(NameDefault),
    Logging,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Sep {
    /// `KEY=VALUE`, `KEY` alone meaning no value.
    Equals,
    /// extra_hosts: `host=ip` or `host:ip`.
    Host,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum ItemKey {
    /// volumes: the mount target.
    Target,
    /// secrets, configs: the source (the short form is the source).
    Source,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum NameDefault {
    /// depends_on: a name alone means `{condition: service_started}`.
    Condition,
    /// networks: a name alone means no options (`null`).
    Null,
}

fn child_rule(parent: Rule, key: &str) -> Rule {
    match parent {
        Rule::Root => match key {
            "services" => Rule::Services,
            "Resources" | "Parameters" | "Outputs" | "Conditions" | "Mappings" | "Metadata" => Rule::Section,
            _ => Rule::Deep,
        },
        Rule::Services => Rule::Service,
        Rule::Section => Rule::Replace,
        Rule::Service => match key {
            "command" | "entrypoint" => Rule::Replace,
            "environment" | "labels" | "annotations" | "sysctls" => Rule::MapLike(Sep::Equals),
            "extra_hosts" => Rule::MapLike(Sep::Host),
            "ports" | "expose" | "dns" | "dns_search" | "tmpfs" | "cap_add" | "cap_drop" | "links"
            | "external_links" | "profiles" | "env_file" => Rule::UniqueList,
            "volumes" => Rule::Keyed(ItemKey::Target),
            "secrets" | "configs" => Rule::Keyed(ItemKey::Source),
            "depends_on" => Rule::NamesOrMap(NameDefault::Condition),
            "networks" => Rule::NamesOrMap(NameDefault::Null),
            "logging" => Rule::Logging,
            "deploy" => Rule::Deploy,
            "build" => Rule::Build,
            _ => Rule::Deep,
        },
        Rule::Deploy => match key {
            "labels" => Rule::MapLike(Sep::Equals),
            _ => Rule::Deep,
        },
        Rule::Build => match key {
            "args" | "labels" => Rule::MapLike(Sep::Equals),
            "extra_hosts" => Rule::MapLike(Sep::Host),
            _ => Rule::Deep,
        },
        // healthcheck.test, ulimits, x-… and the rest: sequences are replaced by `Deep` anyway.
        _ => Rule::Deep,
    }
}

fn tag_of(v: &Value) -> Option<&str> {
    match v {
        Value::Object(m) if m.len() == 1 => {
            let key = m.keys().next()?;
            (key == RESET_TAG || key == OVERRIDE_TAG).then_some(key.as_str())
        }
        _ => None,
    }
}

/// Removes every `!reset`/`!override` marker: a reset key or list item disappears, an override
/// becomes its value. Used on the first document and on every value an overlay brings in whole.
/// A reset document root is `null`.
fn strip(v: Value) -> Value {
    strip_opt(v).unwrap_or(Value::Null)
}

fn strip_opt(mut v: Value) -> Option<Value> {
    strip_in_place(&mut v).then_some(v)
}

/// [`strip_opt`] in place: the maps and lists are kept (most documents have no tag at all, so
/// rebuilding every map would be wasted work); `false` when `v` itself is reset.
fn strip_in_place(v: &mut Value) -> bool {
    match tag_of(v) {
        Some(RESET_TAG) => return false,
        Some(_) => {
            let Value::Object(m) = std::mem::take(v) else { unreachable!() };
            let Some((_, inner)) = m.into_iter().next() else { return false };
            *v = inner;
            return strip_in_place(v);
        }
        None => {}
    }
    match v {
        Value::Object(m) => m.retain(|_, item| strip_in_place(item)),
        Value::Array(a) => a.retain_mut(strip_in_place),
        _ => {}
    }
    true
}

/// Merges `overlay` onto `base` under `rule`; `None` means the value is reset (removed).
fn merge(base: Value, overlay: Value, rule: Rule) -> Option<Value> {
    match tag_of(&overlay) {
        Some(RESET_TAG) => return None,
        Some(_) => return strip_opt(overlay),
        None => {}
    }
    if overlay.is_null() {
        return Some(base);
    }
    if base.is_null() || is_intrinsic(&base) || is_intrinsic(&overlay) || rule == Rule::Replace {
        return strip_opt(overlay);
    }
    match rule {
        Rule::MapLike(sep) => merge_map_like(base, overlay, sep),
        Rule::UniqueList => merge_unique(base, overlay),
        Rule::Keyed(key) => merge_keyed(base, overlay, key),
        Rule::NamesOrMap(default) => merge_names_or_map(base, overlay, default),
        Rule::Logging => {
            let driver = |v: &Value| v.get("driver").cloned();
            match (driver(&base), driver(&overlay)) {
                (Some(a), Some(b)) if a != b => strip_opt(overlay),
                _ => merge_deep(base, overlay, rule),
            }
        }
        Rule::Build => match (base, overlay) {
            (Value::String(context), o @ Value::Object(_)) => merge_deep(context_map(context), o, rule),
            (b @ Value::Object(_), Value::String(context)) => merge_deep(b, context_map(context), rule),
            (b, o) => merge_deep(b, o, rule),
        },
        _ => merge_deep(base, overlay, rule),
    }
}

fn context_map(context: String) -> Value {
    Value::Object(Map::from_iter([("context".to_string(), Value::String(context))]))
}

/// Two mappings merge key by key; anything else is replaced by the overlay.
fn merge_deep(base: Value, overlay: Value, rule: Rule) -> Option<Value> {
    match (base, overlay) {
        (Value::Object(b), Value::Object(o)) => Some(Value::Object(merge_maps(b, o, |k| child_rule(rule, k)))),
        (_, o) => strip_opt(o),
    }
}

fn merge_maps(
    mut base: Map<String, Value>,
    overlay: Map<String, Value>,
    rule_for: impl Fn(&str) -> Rule,
) -> Map<String, Value> {
    for (key, value) in overlay {
        match base.remove(&key) {
            Some(b) => {
                if let Some(v) = merge(b, value, rule_for(&key)) {
                    base.insert(key, v);
                }
            }
            None => {
                if let Some(v) = strip_opt(value) {
                    base.insert(key, v);
                }
            }
        }
    }
    base
}

/// `["A=1", "B"]` → `{"A": "1", "B": null}`; a mapping as it is. `None` when an item is not a
/// string (an intrinsic function, say): such a list cannot be merged by key.
fn to_map(v: Value, sep: Sep) -> Option<Map<String, Value>> {
    match v {
        Value::Object(m) => Some(m),
        Value::Array(items) => {
            let mut out = Map::new();
            for item in items {
                let Value::String(s) = item else { return None };
                let split = match sep {
                    Sep::Equals => s.split_once('='),
                    Sep::Host => s.split_once('=').or_else(|| s.split_once(':')),
                };
                let (key, value) = match split {
                    Some((k, v)) => (k.to_string(), Value::String(v.to_string())),
                    None => (s, Value::Null),
                };
                match (sep, out.get_mut(&key)) {
                    // One host may map to several addresses: keep them all, in order.
                    (Sep::Host, Some(Value::Array(addresses))) => addresses.push(value),
                    (Sep::Host, Some(first)) => *first = Value::Array(vec![first.take(), value]),
                    _ => {
                        out.insert(key, value);
                    }
                }
            }
            Some(out)
        }
        _ => None,
    }
}

fn merge_map_like(base: Value, overlay: Value, sep: Sep) -> Option<Value> {
    match (to_map(base, sep), to_map(overlay.clone(), sep)) {
        (Some(b), Some(o)) => Some(Value::Object(merge_maps(b, o, |_| Rule::Replace))),
        _ => strip_opt(overlay),
    }
}

fn as_list(v: Value) -> Option<Vec<Value>> {
    match v {
        Value::Array(a) => Some(a),
        s @ Value::String(_) => Some(vec![s]),
        _ => None,
    }
}

fn merge_unique(base: Value, overlay: Value) -> Option<Value> {
    match (as_list(base), as_list(overlay.clone())) {
        (Some(b), Some(o)) => {
            let mut out: Vec<Value> = Vec::new();
            for item in b.into_iter().chain(o.into_iter().filter_map(strip_opt)) {
                if !out.contains(&item) {
                    out.push(item);
                }
            }
            Some(Value::Array(out))
        }
        _ => strip_opt(overlay),
    }
}

/// The identity of a list item: the mount target of a volume, the source of a secret or config.
/// Items without one (an intrinsic function) are identified by their whole value.
fn item_key(item: &Value, key: ItemKey) -> String {
    let found = match (item, key) {
        (Value::String(s), ItemKey::Target) => {
            // `source:target[:mode]` or an anonymous `target`.
            let mut parts = s.split(':');
            let first = parts.next().unwrap_or_default();
            Some(parts.next().unwrap_or(first).to_string())
        }
        (Value::String(s), ItemKey::Source) => Some(s.clone()),
        (Value::Object(m), ItemKey::Target) => m.get("target").and_then(Value::as_str).map(str::to_string),
        (Value::Object(m), ItemKey::Source) => m.get("source").and_then(Value::as_str).map(str::to_string),
        _ => None,
    };
    match found {
        Some(k) => format!("k:{k}"),
        None => format!("v:{item}"),
    }
}

fn merge_keyed(base: Value, overlay: Value, key: ItemKey) -> Option<Value> {
    match (base, overlay) {
        (Value::Array(mut out), Value::Array(o)) => {
            for item in o.into_iter().filter_map(strip_opt) {
                let k = item_key(&item, key);
                match out.iter().position(|b| item_key(b, key) == k) {
                    Some(i) => out[i] = item,
                    None => out.push(item),
                }
            }
            Some(Value::Array(out))
        }
        (_, o) => strip_opt(o),
    }
}

fn merge_names_or_map(base: Value, overlay: Value, default: NameDefault) -> Option<Value> {
    let names =
        |v: &Value| -> Option<Vec<String>> { v.as_array()?.iter().map(|i| i.as_str().map(str::to_string)).collect() };
    match (names(&base), names(&overlay)) {
        // Both lists: keep the form the user wrote.
        (Some(_), Some(_)) => return merge_unique(base, overlay),
        (_, Some(o)) if base.is_object() => {
            // Names alone in the overlay keep the base's options for that name.
            let o = o.into_iter().map(|n| (n, Value::Null)).collect();
            let Value::Object(b) = base else { unreachable!() };
            return Some(Value::Object(fill_defaults(merge_maps(b, o, |_| Rule::Deep), default)));
        }
        _ => {}
    }
    let base_map = match (names(&base), base) {
        (Some(n), _) => fill_defaults(n.into_iter().map(|n| (n, Value::Null)).collect(), default),
        (None, Value::Object(m)) => m,
        (None, _) => return strip_opt(overlay),
    };
    match overlay {
        Value::Object(o) => Some(Value::Object(fill_defaults(merge_maps(base_map, o, |_| Rule::Deep), default))),
        o => strip_opt(o),
    }
}

fn fill_defaults(mut m: Map<String, Value>, default: NameDefault) -> Map<String, Value> {
    if default == NameDefault::Condition {
        for v in m.values_mut() {
            if v.is_null() {
                *v = serde_json::json!({"condition": "service_started"});
            }
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::yaml::parse_yaml;
    use serde_json::json;

    fn merged(docs: &[&str]) -> Value {
        merge_files(docs.iter().map(|d| parse_yaml(d).unwrap()).collect())
    }

    fn svc(docs: &[&str]) -> Value {
        merged(docs)["services"]["s"].clone()
    }

    #[test]
    fn mappings_merge_and_scalars_are_replaced() {
        let v = merged(&["services: {s: {image: a, user: root}}\nname: one", "services: {s: {image: b}}\nname: two"]);
        assert_eq!(v, json!({"name": "two", "services": {"s": {"image": "b", "user": "root"}}}));
    }

    #[test]
    fn commands_and_other_lists_are_replaced() {
        let s = svc(&[
            "services: {s: {command: [a, b], entrypoint: x, healthcheck: {test: [CMD, a], retries: 3}, devices: [a]}}",
            "services: {s: {command: [c], entrypoint: [y], healthcheck: {test: [CMD, b]}, devices: [b]}}",
        ]);
        assert_eq!(
            s,
            json!({"command": ["c"], "entrypoint": ["y"], "healthcheck": {"test": ["CMD", "b"], "retries": 3}, "devices": ["b"]})
        );
    }

    #[test]
    fn map_like_keys_merge_whatever_form_each_side_uses() {
        let s = svc(&[
            "services: {s: {environment: [A=1, B=2, C], labels: {x: '1'}, sysctls: [a.b=1], deploy: {labels: [f=a], replicas: 1}, build: {args: [X=1]}}}",
            "services: {s: {environment: {B: '3', D: 4}, labels: [y=2], sysctls: {a.c: 2}, deploy: {labels: {g: b}}, build: {args: {Y: 2}}}}",
        ]);
        assert_eq!(
            s,
            json!({
                "environment": {"A": "1", "B": "3", "C": null, "D": 4},
                "labels": {"x": "1", "y": "2"},
                "sysctls": {"a.b": "1", "a.c": 2},
                "deploy": {"labels": {"f": "a", "g": "b"}, "replicas": 1},
                "build": {"args": {"X": "1", "Y": 2}}
            })
        );
    }

    #[test]
    fn extra_hosts_accept_colon_and_equals() {
        let s = svc(&[
            "services: {s: {extra_hosts: ['a:1.1.1.1', 'v6:::1', 'm=1.1.1.1', 'm=2.2.2.2']}}",
            "services: {s: {extra_hosts: {a: 3.3.3.3}}}",
        ]);
        assert_eq!(s, json!({"extra_hosts": {"a": "3.3.3.3", "v6": "::1", "m": ["1.1.1.1", "2.2.2.2"]}}));
    }

    #[test]
    fn null_in_an_overlay_keeps_the_base_value() {
        let s = svc(&[
            "services: {s: {environment: {A: '1'}, user: root}}",
            "services: {s: {environment: {A: null, B: null}, user: null}}",
        ]);
        assert_eq!(s, json!({"environment": {"A": "1", "B": null}, "user": "root"}));
    }

    #[test]
    fn unique_lists_are_concatenated_without_duplicates() {
        let s = svc(&[
            "services: {s: {ports: ['80:80', {target: 81}], cap_add: [A], dns: 1.1.1.1, tmpfs: /run, profiles: [p]}}",
            "services: {s: {ports: ['80:80', '8080:80', {target: 81}], cap_add: [B, A], dns: [8.8.8.8], tmpfs: [/run, /tmp], profiles: [q]}}",
        ]);
        assert_eq!(
            s,
            json!({
                "ports": ["80:80", {"target": 81}, "8080:80"],
                "cap_add": ["A", "B"],
                "dns": ["1.1.1.1", "8.8.8.8"],
                "tmpfs": ["/run", "/tmp"],
                "profiles": ["p", "q"]
            })
        );
    }

    #[test]
    fn volumes_merge_by_target_and_secrets_by_source() {
        let s = svc(&[
            "services: {s: {volumes: ['foo:/work', '/anon', {type: volume, source: v, target: /data}], secrets: [a, {source: b, target: x}], configs: [c]}}",
            "services: {s: {volumes: ['bar:/work:ro', 'w:/data', '/other'], secrets: [{source: a, target: y}, b, d], configs: [c]}}",
        ]);
        assert_eq!(
            s,
            json!({
                "volumes": ["bar:/work:ro", "/anon", "w:/data", "/other"],
                "secrets": [{"source": "a", "target": "y"}, "b", "d"],
                "configs": ["c"]
            })
        );
    }

    #[test]
    fn depends_on_and_networks_lists_and_maps() {
        // Both lists: still a list.
        assert_eq!(
            svc(&["services: {s: {depends_on: [a, b]}}", "services: {s: {depends_on: [a, c]}}"]),
            json!({"depends_on": ["a", "b", "c"]})
        );
        // A list and a map: both become maps, names alone get the default condition.
        assert_eq!(
            svc(&[
                "services: {s: {depends_on: [a, b], networks: [front]}}",
                "services: {s: {depends_on: {b: {condition: service_healthy}}, networks: {back: {aliases: [x]}}}}",
            ]),
            json!({
                "depends_on": {"a": {"condition": "service_started"}, "b": {"condition": "service_healthy"}},
                "networks": {"front": null, "back": {"aliases": ["x"]}}
            })
        );
        // A name alone in the overlay keeps the base's condition.
        assert_eq!(
            svc(&[
                "services: {s: {depends_on: {a: {condition: service_healthy}}}}",
                "services: {s: {depends_on: [a, b]}}"
            ]),
            json!({"depends_on": {"a": {"condition": "service_healthy"}, "b": {"condition": "service_started"}}})
        );
    }

    #[test]
    fn logging_and_ulimits() {
        assert_eq!(
            svc(&[
                "services: {s: {logging: {driver: awslogs, options: {a: 1}}, ulimits: {nofile: {soft: 1, hard: 2}, nproc: 5}}}",
                "services: {s: {logging: {options: {b: 2}}, ulimits: {nofile: {hard: 3}}}}",
            ]),
            json!({"logging": {"driver": "awslogs", "options": {"a": 1, "b": 2}}, "ulimits": {"nofile": {"soft": 1, "hard": 3}, "nproc": 5}})
        );
        assert_eq!(
            svc(&[
                "services: {s: {logging: {driver: awslogs, options: {a: 1}}}}",
                "services: {s: {logging: {driver: json-file, options: {b: 2}}}}"
            ]),
            json!({"logging": {"driver": "json-file", "options": {"b": 2}}})
        );
    }

    #[test]
    fn build_string_meets_build_mapping() {
        assert_eq!(
            svc(&["services: {s: {build: ./app}}", "services: {s: {build: {args: [A=1]}}}"]),
            json!({"build": {"context": "./app", "args": ["A=1"]}})
        );
    }

    #[test]
    fn x_keys_merge_recursively_and_their_lists_are_replaced() {
        let v = merged(&[
            "x-sqs: {q: {Properties: {A: 1}, Tags: [a]}}",
            "x-sqs: {q: {Properties: {B: 2}, Tags: [b]}, r: {}}",
        ]);
        assert_eq!(v, json!({"x-sqs": {"q": {"Properties": {"A": 1, "B": 2}, "Tags": ["b"]}, "r": {}}}));
    }

    #[test]
    fn cloudformation_sections_replace_per_key_and_intrinsics_are_values() {
        let v = merged(&[
            "Resources: {A: {Type: X, Properties: {P: 1}}, B: {Type: Y}}\nservices: {s: {image: !Ref Img, environment: {E: !Sub '${A}'}}}",
            "Resources: {A: {Type: X, Properties: {Q: 2}}}\nservices: {s: {image: {Name: x}, environment: {E: !Ref B}}}",
        ]);
        assert_eq!(
            v,
            json!({
                "Resources": {"A": {"Type": "X", "Properties": {"Q": 2}}, "B": {"Type": "Y"}},
                "services": {"s": {"image": {"Name": "x"}, "environment": {"E": {"Ref": "B"}}}}
            })
        );
        // A mapping is not merged into an intrinsic function either.
        let v = merged(&["x-a: {v: !If [c, a, b]}", "x-a: {v: {Other: 1}}"]);
        assert_eq!(v, json!({"x-a": {"v": {"Other": 1}}}));
    }

    #[test]
    fn reset_removes_and_override_replaces() {
        let s = svc(&[
            "services: {s: {image: a, ports: ['8080:80'], environment: {FOO: BAR, KEEP: x}, volumes: ['a:/a']}}",
            "services: {s: {ports: !reset [], environment: {FOO: !reset null}, volumes: !override ['b:/b'], new: !override {x: 1}}}",
        ]);
        assert_eq!(s, json!({"image": "a", "environment": {"KEEP": "x"}, "volumes": ["b:/b"], "new": {"x": 1}}));
    }

    #[test]
    fn no_tag_survives_even_a_single_file() {
        let v = merged(&["services: {s: {image: !override a, ports: !reset ['1:1'], x-l: [!reset a, b, {c: !override {d: !reset 1, e: 2}}]}}"]);
        assert_eq!(v, json!({"services": {"s": {"image": "a", "x-l": ["b", {"c": {"e": 2}}]}}}));
        // Tags in a part the overlay brings in whole are consumed too.
        let v = merged(&["services: {}", "services: {t: {image: !override b, cap_add: !reset [X]}}"]);
        assert_eq!(v, json!({"services": {"t": {"image": "b"}}}));
        assert_eq!(merge_files(vec![]), Value::Null);
        assert_eq!(merged(&["name: a", ""]), json!({"name": "a"}));
    }

    fn corpus(path: &str) -> Option<Value> {
        let file = crate::compose::test_corpus()?.join(path);
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{path}: {e}"));
        Some(parse_yaml(&text).unwrap_or_else(|e| panic!("{path}: {e}")))
    }

    #[test]
    fn ecs_composex_module_files_merge_onto_the_base() {
        let Some(base) = corpus("ecs-composex/blog.features.yml") else { return };
        let sqs = corpus("ecs-composex/sqs/simple_queue.yml").unwrap();
        let v = merge_files(vec![base.clone(), sqs.clone()]);
        assert_eq!(v["x-sqs"], sqs["x-sqs"]);
        assert_eq!(v["services"], base["services"]);
        assert_eq!(v["version"], json!("3.8"));

        let elb = corpus("ecs-composex/elbv2/create_only.yml").unwrap();
        let v = merge_files(vec![base.clone(), elb.clone()]);
        assert_eq!(v["x-elbv2"], elb["x-elbv2"]);
        assert_eq!(v["x-acm"], elb["x-acm"]);

        // An overlay that touches services: labels merge, lists stay lists.
        let ddb = corpus("ecs-composex/dynamodb/table.yml").unwrap();
        let v = merge_files(vec![base.clone(), ddb]);
        assert_eq!(v["services"]["rproxy"]["depends_on"], json!(["app01", "app02"]));
        assert_eq!(v["services"]["app01"]["deploy"]["labels"], base["services"]["app01"]["deploy"]["labels"]);

        let s2s = corpus("ecs-composex/ecs/service_to_service.yml").unwrap();
        let v = merge_files(vec![base.clone(), s2s]);
        let app03 = &v["services"]["app03"];
        assert_eq!(app03["deploy"]["labels"], json!({"ecs.ephemeral.storage": "128GB", "testing": "value"}));
        assert_eq!(app03["x-logging"], json!({"RetentionInDays": 42}));
        assert_eq!(
            app03["x-network"]["Ingress"]["ExtSources"],
            json!([{"IPv4": "0.0.0.0/0", "Description": "ANYWHERE"}])
        );
        assert_eq!(app03["secrets"], json!(["abcd", "zyx", "john"]));
    }

    #[test]
    fn every_ecs_composex_module_merges_without_leftover_tags() {
        let Some(base) = corpus("ecs-composex/blog.features.yml") else { return };
        let root = crate::compose::test_corpus().unwrap().join("ecs-composex");
        let mut files = vec![];
        for dir in std::fs::read_dir(&root).unwrap().flatten() {
            if dir.path().is_dir() {
                for f in std::fs::read_dir(dir.path()).unwrap().flatten() {
                    if f.path().extension().is_some_and(|e| e == "yml" || e == "yaml") {
                        files.push(f.path());
                    }
                }
            }
        }
        assert!(files.len() > 10);
        for f in files {
            let overlay = parse_yaml(&std::fs::read_to_string(&f).unwrap()).unwrap();
            let v = merge_files(vec![base.clone(), overlay.clone()]);
            if is_intrinsic(&overlay) {
                // Not an overlay of blog.features.yml: a CloudFormation template that is one
                // function, such as cfn_macro/remote_files.yml (`Fn::Transform: {Name: compose-x,
                // Parameters: {ComposeFiles: [s3://…]}}`, the macro called on remote files). An
                // intrinsic is a value, which replaces the base whole.
                assert_eq!(v, overlay, "{f:?}");
                continue;
            }
            assert!(v["services"]["app01"]["image"] == json!("nginx"), "{f:?}");
            let text = v.to_string();
            assert!(!text.contains("\"!reset\"") && !text.contains("\"!override\""), "{f:?}");
        }
    }
}
