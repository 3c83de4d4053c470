//! A service's CodeGuru profiler (ECS ComposeX syntax), read once when the file is loaded:
//! `x-codeguru-profiler`, the key ECS ComposeX's code reads on a service, or
//! `x-codeguru_profiler`, the one its specification names. `true` asks for a profiling group of
//! the service's own; a mapping, for one with those `AWS::CodeGuruProfiler::ProfilingGroup`
//! properties; `false`, for none.

use crate::cfn::is_intrinsic;
use crate::compose::read::{boolean, show};
use crate::compose::Service;
use crate::diagnostics::{join, Diagnostics};
use serde_json::{Map, Value};

/// Both spellings, ECS ComposeX's code's first.
pub const KEYS: [&str; 2] = ["x-codeguru-profiler", "x-codeguru_profiler"];

/// Properties of `AWS::CodeGuruProfiler::ProfilingGroup` a service may set.
const PROPERTIES: &[&str] =
    &["ProfilingGroupName", "AgentPermissions", "AnomalyDetectionNotificationConfiguration", "ComputePlatform", "Tags"];

/// The profiling group a service asks for: its properties, and where it was asked.
#[derive(Debug, Clone, PartialEq)]
pub struct Profiler {
    pub properties: Map<String, Value>,
    pub path: String,
}

pub fn read(s: &Service, d: &mut Diagnostics) -> Option<Profiler> {
    let base = join("services", &s.name);
    let written: Vec<&str> = KEYS.into_iter().filter(|k| s.extensions.contains_key(*k)).collect();
    if written.len() > 1 {
        d.error("CX2071", join(&base, KEYS[1]), format!("{} is set too; keep one", KEYS[0]));
        return None;
    }
    let key = *written.first()?;
    let path = join(&base, key);
    let v = &s.extensions[key];
    let properties = match v {
        Value::Bool(_) | Value::String(_) if boolean(v, &path, d)? => Map::new(),
        Value::Bool(_) | Value::String(_) => return None,
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let p = join(&path, k);
                if !PROPERTIES.contains(&k.as_str()) {
                    d.error(
                        "CX2072",
                        &p,
                        format!("{k:?} is not a profiling group property; use {}", PROPERTIES.join(", ")),
                    );
                    continue;
                }
                if k == "ProfilingGroupName" {
                    let ok = v.as_str().is_some_and(|n| {
                        !n.is_empty()
                            && n.len() <= 255
                            && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                    });
                    if !ok && !is_intrinsic(v) {
                        d.error(
                            "CX2073",
                            &p,
                            format!("{} is not a profiling group name: 1 to 255 letters, digits, - and _", show(v)),
                        );
                        continue;
                    }
                }
                if k == "AnomalyDetectionNotificationConfiguration" {
                    for (i, c) in v.as_array().into_iter().flatten().enumerate() {
                        let uri = &c["channelUri"];
                        let arn = uri.as_str().is_some_and(|u| u.starts_with("arn:") && u.contains(":sns:"));
                        if !arn && !is_intrinsic(uri) {
                            d.error(
                                "CX2074",
                                join(&crate::diagnostics::index(&p, i), "channelUri"),
                                format!("{} is not an SNS topic ARN; give the ARN of the topic to notify", show(uri)),
                            );
                        }
                    }
                }
                out.insert(k.clone(), v.clone());
            }
            out
        }
        other => {
            d.error(
                "CX2075",
                &path,
                format!(
                    "{} is not a profiler setting; write true, false, or a mapping of ProfilingGroup properties",
                    show(other)
                ),
            );
            return None;
        }
    };
    Some(Profiler { properties, path })
}
