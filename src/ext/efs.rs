//! What the file says of the Amazon EFS file system each named volume becomes, read once when
//! the file is loaded:
//!
//! - `driver_opts`: `uid`, `gid`, `permissions` own the access point's root directory; the
//!   options of Docker's EFS volume plugin (`performance_mode`, `throughput_mode`,
//!   `provisioned_throughput`, `lifecycle_policy`, `backup_policy`) become the file system's
//!   `PerformanceMode`, `ThroughputMode`, `ProvisionedThroughputInMibps`,
//!   `LifecyclePolicies: [{TransitionToIA}]` and `BackupPolicy: {Status}`;
//! - ECS ComposeX's `x-efs`, in the volume (`volumes.<name>.x-efs`) or top-level
//!   (`x-efs.<name>`, the volume of that name): `Properties` of the file system,
//!   `MacroParameters` (`EnforceIamAuth`, `RootDirectoryCreateMode`), `Services`, `Settings`
//!   (`Subnets`); `Lookup` is refused.
//!
//! Values are checked against what CloudFormation accepts, from the `AWS::EFS::FileSystem`
//! schema of the pinned cfn-lint (`efs_file_system.json`, written by `scripts/cfn-schemas.py`).

use crate::cfn::is_intrinsic;
use crate::compose::read::{boolean, kind, literal, show};
use crate::compose::Project;
use crate::diagnostics::{index, join, Diagnostics};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The top-level key.
pub const KEY: &str = "x-efs";

/// The `driver_opts` keys ComposeX reads: the access point's owner, then Docker's EFS plugin
/// options with the file-system property each sets.
const OWNER_OPTS: &[&str] = &["uid", "gid", "permissions"];
const PLUGIN_OPTS: &[(&str, &str)] = &[
    ("performance_mode", "PerformanceMode"),
    ("throughput_mode", "ThroughputMode"),
    ("provisioned_throughput", "ProvisionedThroughputInMibps"),
    ("lifecycle_policy", "LifecyclePolicies"),
    ("backup_policy", "BackupPolicy"),
];

/// Where the mount targets stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Subnets {
    /// The app subnets, where the tasks run.
    #[default]
    App,
    /// The storage subnets, where the databases stand.
    Storage,
}

/// A service (or task family) `x-efs.<name>.Services` names.
#[derive(Debug, Clone, PartialEq)]
pub struct Consumer {
    pub name: String,
    /// `Access: RO` (true), `RW` (false), or none.
    pub read_only: Option<bool>,
    pub path: String,
}

/// The settings of one named volume's file system.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Volume {
    /// `driver_opts.uid`, `gid`, `permissions`, each with its path.
    pub uid: Option<(String, String)>,
    pub gid: Option<(String, String)>,
    pub permissions: Option<(String, String)>,
    /// `MacroParameters.RootDirectoryCreateMode`: the root directory's mode, with its path.
    pub root_mode: Option<(String, String)>,
    /// `AWS::EFS::FileSystem` properties the file sets (from `driver_opts` and `x-efs`), each
    /// with the path it was written at; ComposeX's own (`Encrypted`, `FileSystemPolicy`, its
    /// `Name` tag) are not among them.
    pub properties: BTreeMap<String, (String, Value)>,
    /// `Settings.Subnets`.
    pub subnets: Subnets,
    /// `Services`, when written, with its path: the services that mount the volume.
    pub services: Option<(String, Vec<Consumer>)>,
    /// The paths of everything above that configures a file system ComposeX creates (an
    /// existing one cannot take them).
    pub configured: Vec<String>,
}

/// The schema facts `efs_file_system.json` holds.
fn schema() -> &'static Value {
    static TABLE: OnceLock<Value> = OnceLock::new();
    TABLE.get_or_init(|| serde_json::from_str(include_str!("efs_file_system.json")).expect("the generated table"))
}

/// The values the property at `path` (`PerformanceMode`, `LifecyclePolicies/*/TransitionToIA`)
/// accepts.
fn allowed(path: &str) -> Vec<&'static str> {
    schema()["enums"][path].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default()
}

/// Every named volume's settings, by name.
pub fn read(project: &Project, d: &mut Diagnostics) -> BTreeMap<String, Volume> {
    let mut out = BTreeMap::new();
    let top = project.extensions.get(KEY);
    match top {
        Some(Value::Object(m)) => {
            for name in m.keys().filter(|n| !project.volumes.contains_key(*n)) {
                d.error(
                    "CX2180",
                    join(KEY, name),
                    format!("configures the volume {name:?}, which is not declared; declare it under the top-level volumes and mount it in the services that use it (an x-efs entry is the file system of the volume of its name)"),
                );
            }
        }
        Some(Value::Null) | None => {}
        Some(other) => {
            d.error("CX2146", KEY, format!("x-efs must map volume names to their settings, not {}", kind(other)))
        }
    }
    for (name, def) in &project.volumes {
        let path = join("volumes", name);
        let mut v = Volume::default();
        if let Some(opts) = def.get("driver_opts").filter(|o| !o.is_null()) {
            driver_opts(opts, &join(&path, "driver_opts"), &mut v, d);
        }
        let inner = def.get(KEY).map(|x| (x, join(&path, KEY)));
        let outer = top.and_then(|t| t.get(name)).map(|x| (x, join(KEY, name)));
        if let (Some((_, a)), Some((_, b))) = (&inner, &outer) {
            d.error(
                "CX2147",
                b,
                format!("{a} also configures this file system; keep one of the two (both are the file system of volume {name:?})"),
            );
        }
        if let Some((x, p)) = inner.or(outer) {
            x_efs(x, &p, &mut v, d);
        }
        combinations(&v, d);
        out.insert(name.clone(), v);
    }
    out
}

fn driver_opts(opts: &Value, path: &str, v: &mut Volume, d: &mut Diagnostics) {
    let Value::Object(m) = opts else {
        d.error("CX2148", path, format!("driver_opts must be a mapping, not {}", kind(opts)));
        return;
    };
    for (k, x) in m {
        let p = join(path, k);
        let text = |d: &mut Diagnostics| literal(x, &p, k, d).map(|t| (p.clone(), t));
        match k.as_str() {
            "uid" => v.uid = text(d),
            "gid" => v.gid = text(d),
            "permissions" => v.permissions = text(d),
            "performance_mode" | "throughput_mode" | "lifecycle_policy" | "backup_policy" => {
                let Some(t) = literal(x, &p, k, d) else { continue };
                let prop = PLUGIN_OPTS.iter().find(|(o, _)| o == k).map(|(_, prop)| *prop).unwrap_or_default();
                let (schema_path, value) = match k.as_str() {
                    "lifecycle_policy" => ("LifecyclePolicies/*/TransitionToIA", json!([{"TransitionToIA": t}])),
                    "backup_policy" => ("BackupPolicy/Status", json!({"Status": t})),
                    _ => (prop, json!(t)),
                };
                if one_of(&t, schema_path, &p, d) {
                    v.properties.insert(prop.into(), (p.clone(), value));
                    v.configured.push(p);
                }
            }
            "provisioned_throughput" => {
                let number = match x {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => s.trim().parse::<f64>().ok(),
                    _ => None,
                };
                match number {
                    Some(n) if n.is_finite() => {
                        let min = schema()["minimums"]["ProvisionedThroughputInMibps"].as_f64().unwrap_or(1.0);
                        if n < min {
                            d.error("CX2149", &p, format!("{n} MiB/s is below what EFS provisions ({min} at least)"));
                            continue;
                        }
                        let value = if n.fract() == 0.0 && n <= u32::MAX as f64 { json!(n as u64) } else { json!(n) };
                        v.properties.insert("ProvisionedThroughputInMibps".into(), (p.clone(), value));
                        v.configured.push(p);
                    }
                    _ => d.error(
                        "CX2150",
                        &p,
                        format!("{} is not a throughput; write the MiB/s to provision, a number like 10", show(x)),
                    ),
                }
            }
            // The local driver's host storage: judged together, with what they mount, by
            // `emit::volumes`.
            "type" | "o" | "device" => {}
            _ => {
                let known: Vec<&str> = OWNER_OPTS.iter().copied().chain(PLUGIN_OPTS.iter().map(|(o, _)| *o)).collect();
                d.error(
                    "CX2196",
                    &p,
                    format!("{k:?} is not a driver option ComposeX reads; it reads {}", known.join(", ")),
                );
            }
        }
    }
}

/// Whether `text` is a value the property at `schema_path` accepts (an error when not).
fn one_of(text: &str, schema_path: &str, path: &str, d: &mut Diagnostics) -> bool {
    let ok = allowed(schema_path);
    if ok.contains(&text) {
        return true;
    }
    d.error("CX2152", path, format!("{text:?} is not a value EFS accepts here; use one of {}", ok.join(", ")));
    false
}

/// An `x-efs` entry (`volumes.<name>.x-efs` or `x-efs.<name>`) at `path`.
fn x_efs(x: &Value, path: &str, v: &mut Volume, d: &mut Diagnostics) {
    let Value::Object(m) = x else {
        d.error(
            "CX2153",
            path,
            format!("x-efs must be a mapping with Properties, MacroParameters, Services or Settings, not {}", kind(x)),
        );
        return;
    };
    for (k, x) in m {
        let p = join(path, k);
        match k.as_str() {
            "Properties" => properties(x, &p, v, d),
            "MacroParameters" => macro_parameters(x, &p, v, d),
            "Services" => v.services = services(x, &p, d).map(|list| (p.clone(), list)),
            "Settings" => settings(x, &p, v, d),
            "Lookup" => d.error(
                "CX2154",
                &p,
                "Lookup needs AWS API calls while the template is transformed, which a macro cannot make; mount an existing file system with `external: true` and `name: fs-…` (or !Ref of a template Parameter) on the volume",
            ),
            _ => d.error(
                "CX2155",
                &p,
                format!("{k:?} is not an x-efs key; use Properties, MacroParameters, Services or Settings"),
            ),
        }
    }
}

/// The properties ComposeX sets on every file system, and why.
const OWNED: &[(&str, &str)] = &[
    (
        "FileSystemPolicy",
        "ComposeX's policy refuses connections without TLS and lets in only what IAM grants through a mount target",
    ),
    ("Encrypted", "ComposeX encrypts every file system it creates"),
];

fn properties(x: &Value, path: &str, v: &mut Volume, d: &mut Diagnostics) {
    let Value::Object(m) = x else {
        d.error("CX2156", path, format!("Properties must be a mapping, not {}", kind(x)));
        return;
    };
    let known: Vec<&str> = schema()["properties"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    for (k, x) in m {
        let p = join(path, k);
        if !known.contains(&k.as_str()) {
            d.error(
                "CX2157",
                &p,
                format!("{k:?} is not a property of AWS::EFS::FileSystem; it has {}", known.join(", ")),
            );
            continue;
        }
        match k.as_str() {
            "Encrypted" => {
                if !is_intrinsic(x) && boolean(x, &p, d) == Some(false) {
                    d.error(
                        "CX2158",
                        &p,
                        "ComposeX encrypts every file system it creates; leave Encrypted out or set it to true",
                    );
                }
                continue;
            }
            "FileSystemPolicy" => {
                let why = OWNED.iter().find(|(o, _)| *o == k).map(|(_, w)| *w).unwrap_or_default();
                d.warn("CX2159", &p, format!("replaced: {why}"));
                continue;
            }
            "AvailabilityZoneName" => {
                d.error(
                    "CX2160",
                    &p,
                    "a One Zone file system takes a mount target in its zone only, and ComposeX gives the tasks one in each of their subnets' zones; leave AvailabilityZoneName out",
                );
                continue;
            }
            "FileSystemTags" => {
                if let Value::Array(tags) = x {
                    for (i, t) in tags.iter().enumerate() {
                        if t.get("Key").and_then(Value::as_str) == Some("Name") {
                            d.warn(
                                "CX2161",
                                index(&p, i),
                                "replaced: ComposeX names the file system after the stack and the volume",
                            );
                        }
                    }
                }
            }
            _ => {}
        }
        enums(x, k, &p, d);
        if let Some((other, _)) = v.properties.get(k) {
            d.error("CX2162", &p, format!("{other} also sets {k}; keep one of the two"));
            continue;
        }
        v.properties.insert(k.clone(), (p.clone(), x.clone()));
        v.configured.push(p);
    }
}

/// Checks the literal values under `x` (at schema path `at`) that the schema enumerates or
/// bounds; intrinsic functions pass.
fn enums(x: &Value, at: &str, path: &str, d: &mut Diagnostics) {
    match x {
        Value::String(s) if schema()["enums"].get(at).is_some() => {
            one_of(s, at, path, d);
        }
        Value::Number(n) => {
            if let (Some(min), Some(n)) = (schema()["minimums"][at].as_f64(), n.as_f64()) {
                if n < min {
                    d.error("CX2163", path, format!("{n} is below the least {at} accepts ({min})"));
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                enums(item, &format!("{at}/*"), &index(path, i), d);
            }
        }
        Value::Object(m) if !is_intrinsic(x) => {
            for (k, item) in m {
                enums(item, &format!("{at}/{k}"), &join(path, k), d);
            }
        }
        _ => {}
    }
}

fn macro_parameters(x: &Value, path: &str, v: &mut Volume, d: &mut Diagnostics) {
    let Value::Object(m) = x else {
        d.error("CX2164", path, format!("MacroParameters must be a mapping, not {}", kind(x)));
        return;
    };
    for (k, x) in m {
        let p = join(path, k);
        match k.as_str() {
            "EnforceIamAuth" => {
                if boolean(x, &p, d) == Some(false) {
                    d.error(
                        "CX2165",
                        &p,
                        "ComposeX always mounts through the volume's access point with IAM authorization, and the file system's policy lets in only what IAM grants: without it, any NFS client that reaches a mount target would mount it; leave EnforceIamAuth out or set it to true",
                    );
                }
            }
            "RootDirectoryCreateMode" => {
                let Some(t) = literal(x, &p, k, d) else { continue };
                if (3..=4).contains(&t.len()) && t.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
                    v.root_mode = Some((p.clone(), t));
                    v.configured.push(p);
                } else {
                    d.error(
                        "CX2166",
                        &p,
                        format!("{t:?} is not a POSIX mode; write three or four octal digits, like \"0775\""),
                    );
                }
            }
            _ => d.error(
                "CX2167",
                &p,
                format!("{k:?} is not an x-efs macro parameter; use EnforceIamAuth or RootDirectoryCreateMode"),
            ),
        }
    }
}

/// `Services`: a mapping of names to `{Access}`, or ECS ComposeX's legacy list of
/// `{name, access}`.
fn services(x: &Value, path: &str, d: &mut Diagnostics) -> Option<Vec<Consumer>> {
    let entries: Vec<(String, String, Option<&Value>)> = match x {
        Value::Object(m) => m
            .iter()
            .filter_map(|(n, c)| {
                let p = join(path, n);
                match c {
                    Value::Object(c) => Some((n.clone(), p, c.get("Access"))),
                    Value::Null => Some((n.clone(), p, None)),
                    other => {
                        d.error(
                            "CX2168",
                            &p,
                            format!("a service's entry must be a mapping with Access, not {}", kind(other)),
                        );
                        None
                    }
                }
            })
            .collect(),
        Value::Array(list) => list
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let p = index(path, i);
                match c.get("name").and_then(Value::as_str) {
                    Some(n) => Some((n.to_string(), p, c.get("access"))),
                    None => {
                        d.error("CX2169", &p, "a Services entry of the list form needs name (and access)");
                        None
                    }
                }
            })
            .collect(),
        other => {
            d.error(
                "CX2170",
                path,
                format!("Services must map service names to {{Access: RW}} or {{Access: RO}}, not {}", kind(other)),
            );
            return None;
        }
    };
    let mut out = Vec::new();
    for (name, p, access) in entries {
        let read_only = match access {
            None => None,
            Some(a) => match a.as_str() {
                Some("RW") => Some(false),
                Some("RO") => Some(true),
                _ => {
                    d.error(
                        "CX2171",
                        join(&p, "Access"),
                        format!("{} is not an access to a volume; use RW or RO (the mounts' :ro decides too)", show(a)),
                    );
                    None
                }
            },
        };
        out.push(Consumer { name, read_only, path: p });
    }
    Some(out)
}

fn settings(x: &Value, path: &str, v: &mut Volume, d: &mut Diagnostics) {
    let Value::Object(m) = x else {
        d.error("CX2172", path, format!("Settings must be a mapping, not {}", kind(x)));
        return;
    };
    for (k, x) in m {
        let p = join(path, k);
        match (k.as_str(), x.as_str()) {
            ("Subnets", Some("AppSubnets")) => v.subnets = Subnets::App,
            ("Subnets", Some("StorageSubnets")) => {
                v.subnets = Subnets::Storage;
                v.configured.push(p);
            }
            ("Subnets", _) => d.error(
                "CX2173",
                &p,
                format!("{} is not where ComposeX puts mount targets; use AppSubnets (where the tasks run, the default) or StorageSubnets", show(x)),
            ),
            _ => d.error("CX2174", &p, format!("{k:?} is not an x-efs setting; use Subnets")),
        }
    }
}

/// Rules across settings: provisioned throughput goes with the provisioned mode, Max I/O does not
/// take Elastic throughput, and the root directory has one mode.
fn combinations(v: &Volume, d: &mut Diagnostics) {
    let text =
        |v: &Volume, k: &str| v.properties.get(k).and_then(|(p, x)| x.as_str().map(|s| (p.clone(), s.to_string())));
    let mode = text(v, "ThroughputMode");
    let provisioned = v.properties.get("ProvisionedThroughputInMibps").map(|(p, _)| p.clone());
    match (&mode, &provisioned) {
        (Some((p, m)), None) if m == "provisioned" => d.error(
            "CX2175",
            p,
            "the provisioned throughput mode needs the throughput to provision: add provisioned_throughput (driver_opts) or ProvisionedThroughputInMibps (x-efs Properties), in MiB/s",
        ),
        (Some((_, m)), Some(p)) if m != "provisioned" => d.error(
            "CX2176",
            p,
            format!("a provisioned throughput needs the provisioned throughput mode, not {m}; set the mode to provisioned, or leave the throughput out"),
        ),
        (None, Some(p)) if !v.properties.get("ThroughputMode").is_some_and(|(_, x)| is_intrinsic(x)) => d.error(
            "CX2177",
            p,
            "a provisioned throughput needs the provisioned throughput mode: add throughput_mode: provisioned (driver_opts) or ThroughputMode: provisioned (x-efs Properties)",
        ),
        _ => {}
    }
    if let (Some((p, perf)), Some((_, m))) = (text(v, "PerformanceMode"), &mode) {
        if perf == "maxIO" && m == "elastic" {
            d.error(
                "CX2178",
                p,
                "EFS does not run the Max I/O performance mode with Elastic throughput; use generalPurpose, or another throughput mode",
            );
        }
    }
    if let (Some((a, x)), Some((b, y))) = (&v.permissions, &v.root_mode) {
        if x.trim_start_matches('0') != y.trim_start_matches('0') {
            d.error("CX2179", b, format!("{a} gives the root directory's mode as {x:?}, and this as {y:?}; keep one"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settings of volume `v` of a file whose other top-level keys are `top`.
    fn read_v(v: Value, top: Value) -> (Volume, Diagnostics) {
        let mut d = Diagnostics::new();
        let mut doc = json!({"services": {"web": {"image": "nginx", "volumes": ["v:/v"]}}, "volumes": {"v": v}});
        doc.as_object_mut().unwrap().extend(top.as_object().unwrap().clone());
        let project = crate::compose::load(&doc, &mut d);
        let mut all = read(&project, &mut d);
        (all.remove("v").unwrap(), d)
    }

    #[test]
    fn the_schema_table_has_the_plugin_options_properties() {
        for (_, prop) in PLUGIN_OPTS {
            assert!(schema()["properties"].as_array().unwrap().contains(&json!(prop)), "{prop}");
        }
        assert!(allowed("PerformanceMode").contains(&"maxIO"));
        assert!(allowed("LifecyclePolicies/*/TransitionToIA").contains(&"AFTER_14_DAYS"));
        assert!(allowed("BackupPolicy/Status").contains(&"ENABLED"));
    }

    #[test]
    fn plugin_options_become_properties() {
        let (v, d) = read_v(
            json!({"driver_opts": {"throughput_mode": "provisioned", "provisioned_throughput": "2.5", "backup_policy": "DISABLED"}}),
            json!({}),
        );
        assert!(!d.has_errors(), "{:?}", d.errors());
        assert_eq!(v.properties["ProvisionedThroughputInMibps"].1, json!(2.5));
        assert_eq!(v.properties["BackupPolicy"].1, json!({"Status": "DISABLED"}));
        assert_eq!(v.configured.len(), 3);
    }

    #[test]
    fn top_level_x_efs_is_the_volume_of_its_name() {
        let (v, d) = read_v(
            json!({}),
            json!({"x-efs": {"v": {"Settings": {"Subnets": "StorageSubnets"}, "Services": [{"name": "web", "access": "RO"}]}}}),
        );
        assert!(!d.has_errors(), "{:?}", d.errors());
        assert_eq!(v.subnets, Subnets::Storage);
        assert_eq!(v.services.unwrap().1[0].read_only, Some(true));
    }

    #[test]
    fn intrinsics_pass_the_value_checks() {
        let (v, d) = read_v(json!({"x-efs": {"Properties": {"ThroughputMode": {"Ref": "Mode"}}}}), json!({}));
        assert!(!d.has_errors(), "{:?}", d.errors());
        assert_eq!(v.properties["ThroughputMode"].1, json!({"Ref": "Mode"}));
    }
}
