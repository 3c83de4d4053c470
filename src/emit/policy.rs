//! IAM policy documents: statements merged so that policies stay small, and the size quotas a
//! role must respect (IAM counts characters without white space).

use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Inline policies of one role, all together.
pub const ROLE_INLINE_LIMIT: usize = 10_240;
/// One customer-managed policy.
pub const MANAGED_LIMIT: usize = 6_144;
/// Managed policies one role may have attached (IAM's default quota).
pub const MANAGED_PER_ROLE: usize = 10;

/// Length as compact JSON, which is how IAM counts a policy (characters without white space).
pub fn size(v: &Value) -> usize {
    serde_json::to_vec(v).map_or(0, |b| b.len())
}

/// Statements with the same effect, actions and condition become one, with the union of their
/// resources (each once). The order is that of each group's first statement.
pub fn merge(statements: &[Value]) -> Vec<Value> {
    let mut order: Vec<String> = Vec::new();
    let mut groups: BTreeMap<String, (Value, Vec<Value>)> = BTreeMap::new();
    for st in statements {
        let mut key_part = st.clone();
        if let Some(m) = key_part.as_object_mut() {
            m.remove("Resource");
        }
        let key = key_part.to_string();
        let resources = match st.get("Resource") {
            Some(Value::Array(a)) => a.clone(),
            Some(v) => vec![v.clone()],
            None => vec![],
        };
        let entry = groups.entry(key.clone()).or_insert_with(|| {
            order.push(key.clone());
            (key_part, Vec::new())
        });
        for r in resources {
            if !entry.1.contains(&r) {
                entry.1.push(r);
            }
        }
    }
    order
        .into_iter()
        .filter_map(|k| groups.remove(&k))
        .map(|(mut st, resources)| {
            st["Resource"] = if resources.len() == 1 { resources[0].clone() } else { Value::Array(resources) };
            st
        })
        .collect()
}

pub fn document(statements: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// Statements in groups whose documents each fit in `limit` characters.
pub fn chunks(statements: &[Value], limit: usize) -> Vec<Vec<Value>> {
    let overhead = size(&document(vec![]));
    let mut out: Vec<Vec<Value>> = Vec::new();
    let mut current: Vec<Value> = Vec::new();
    let mut used = overhead;
    for st in statements {
        let s = size(st) + 1;
        if !current.is_empty() && used + s > limit {
            out.push(std::mem::take(&mut current));
            used = overhead;
        }
        current.push(st.clone());
        used += s;
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_statements_with_the_same_actions() {
        let a = json!({"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": "arn:a"});
        let b = json!({"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": ["arn:b", "arn:a"]});
        let c = json!({"Effect": "Allow", "Action": ["sns:Publish"], "Resource": "arn:c"});
        assert_eq!(
            merge(&[a, c.clone(), b]),
            vec![json!({"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": ["arn:a", "arn:b"]}), c]
        );
    }

    #[test]
    fn chunks_fit_their_limit() {
        let st: Vec<Value> = (0..50).map(|i| json!({"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": format!("arn:aws:s3:::bucket-{i}/*")})).collect();
        let parts = chunks(&st, 1000);
        assert!(parts.len() > 1);
        assert_eq!(parts.iter().map(Vec::len).sum::<usize>(), 50);
        for p in parts {
            assert!(size(&document(p)) <= 1000);
        }
    }
}
