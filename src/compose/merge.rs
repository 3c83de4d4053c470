//! Merging several compose files (`-f a.yml -f b.yml`) with the compose-spec merge rules.
//! (stub: being written in the loader branch)

use serde_json::Value;

/// Merges `docs` in order, later files overriding earlier ones.
pub fn merge_files(docs: Vec<Value>) -> Value {
    let mut it = docs.into_iter();
    let first = it.next().unwrap_or(Value::Null);
    it.fold(first, |_, b| b)
}
