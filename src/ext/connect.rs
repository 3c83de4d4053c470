//! ECS ComposeX's `x-network.x-ecs_connect` of a service, read once when the file is loaded:
//! the short names (`DnsName`) and discovery names (`CloudMapServiceName`) of its ports, or a
//! whole `ServiceConnectConfiguration` as `Properties`. The Service Connect concern
//! (`emit::connect`) uses them.

use super::cloudmap::Cloudmap;
use crate::compose::read::{kind, map_or};
use crate::compose::Service;
use crate::diagnostics::{join, Diagnostics};
use serde_json::Value;
use std::collections::BTreeMap;

/// The longest CloudMap service name Service Connect accepts.
pub const MAX_DISCOVERY_NAME: usize = 64;

/// ECS ComposeX `x-ecs_connect` of one service, read.
#[derive(Debug, Clone, Default)]
pub struct XConnect {
    /// port name → (DnsName, CloudMapServiceName, path)
    pub ports: BTreeMap<String, (Option<String>, Option<String>, String)>,
    pub properties: Option<Value>,
}

/// `x-network.x-ecs_connect` of a service, read (errors into `d`).
pub fn read(cloudmap: &Cloudmap, s: &Service, d: &mut Diagnostics) -> Option<XConnect> {
    let x = s.extensions.get("x-network")?.get("x-ecs_connect")?;
    let path = join(&join(&join("services", &s.name), "x-network"), "x-ecs_connect");
    let mut out = XConnect::default();
    if x.is_null() {
        return Some(out);
    }
    let head = "x-ecs_connect must be a mapping with MacroParameters or Properties";
    let Some(m) = map_or(x, &path, head, d) else { return Some(out) };
    for (k, v) in m {
        let p = join(&path, k);
        match k.as_str() {
            "Properties" => match v.as_object() {
                Some(_) => out.properties = Some(v.clone()),
                None => d.error(
                    "CX2004",
                    &p,
                    format!("Properties must be ECS's ServiceConnectConfiguration, a mapping, not {}", kind(v)),
                ),
            },
            "MacroParameters" => {
                let Some(mp) = map_or(v, &p, "MacroParameters must be a mapping", d) else { continue };
                for (mk, mv) in mp {
                    let mpath = join(&p, mk);
                    match mk.as_str() {
                        "x-cloudmap" => check_namespace(cloudmap, mv, &mpath, d),
                        "service_ports" => {
                            let head = "service_ports must map port names to {DnsName, CloudMapServiceName}";
                            for (pname, spec) in map_or(mv, &mpath, head, d).into_iter().flatten() {
                                let pp = join(&mpath, pname);
                                let (dns, cloudmap) = service_port(spec, &pp, d);
                                out.ports.insert(pname.clone(), (dns, cloudmap, pp));
                            }
                        }
                        _ => d.error(
                            "CX2005",
                            &mpath,
                            format!("{mk:?} is not an x-ecs_connect macro parameter; use service_ports or x-cloudmap"),
                        ),
                    }
                }
            }
            _ => d.error("CX2006", &p, format!("{k:?} is not an x-ecs_connect key; use MacroParameters or Properties")),
        }
    }
    Some(out)
}

/// `{DnsName, CloudMapServiceName}` of one port, checked against what ECS accepts.
fn service_port(spec: &Value, path: &str, d: &mut Diagnostics) -> (Option<String>, Option<String>) {
    let head = "a Service Connect port must be a mapping with DnsName and CloudMapServiceName";
    let Some(m) = map_or(spec, path, head, d) else { return (None, None) };
    let mut out: (Option<String>, Option<String>) = (None, None);
    for (k, v) in m {
        let p = join(path, k);
        if !matches!(k.as_str(), "DnsName" | "CloudMapServiceName") {
            d.error(
                "CX2007",
                &p,
                format!("{k:?} is not a Service Connect port key; use DnsName or CloudMapServiceName"),
            );
            continue;
        }
        let Some(text) = v.as_str() else {
            d.error("CX2008", &p, format!("{k} must be a string, not {}", kind(v)));
            continue;
        };
        let lower = text.to_ascii_lowercase();
        match k.as_str() {
            "DnsName" => {
                if lower.is_empty()
                    || lower.len() > 127
                    || lower.starts_with('-')
                    || !lower.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
                {
                    d.error("CX2009", &p, format!("{text:?} is not a DNS name Service Connect accepts: up to 127 letters, digits, '_', '-' and '.', not starting with '-'"));
                } else {
                    out.0 = Some(lower);
                }
            }
            "CloudMapServiceName" => {
                if lower.is_empty()
                    || lower.len() > MAX_DISCOVERY_NAME
                    || lower.starts_with('-')
                    || !lower.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
                {
                    d.error("CX2010", &p, format!("{text:?} is not a discovery name Service Connect accepts: up to 64 letters, digits, '_' and '-', not starting with '-'"));
                } else {
                    out.1 = Some(lower);
                }
            }
            _ => {}
        }
    }
    out
}

/// `MacroParameters.x-cloudmap` names a namespace of `x-cloudmap`: ComposeX creates one.
fn check_namespace(cloudmap: &Cloudmap, v: &Value, path: &str, d: &mut Diagnostics) {
    let Some(name) = v.as_str() else {
        d.error(
            "CX2011",
            path,
            format!("x-cloudmap must name a namespace of the top-level x-cloudmap, not {}", kind(v)),
        );
        return;
    };
    let declared = &cloudmap.declared;
    if !declared.iter().any(|n| *n == name) {
        let known = if declared.is_empty() {
            "the top-level x-cloudmap declares none (ComposeX then creates the namespace named after the project)"
                .to_string()
        } else {
            format!("it declares {}", declared.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", "))
        };
        d.error(
            "CX2012",
            path,
            format!("{name:?} is not a namespace of x-cloudmap: {known}; name it, or remove this key"),
        );
    }
}
