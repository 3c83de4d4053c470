//! `x-route53` (ECS ComposeX syntax): public hosted zones, for the DNS validation of `x-acm`
//! certificates and the alias records of `x-elbv2` load balancers.
//!
//! ```yaml
//! x-route53:
//!   public:
//!     ZoneName: example.com            # created: AWS::Route53::HostedZone
//!   existing:
//!     ZoneName: example.net            # optional with Use: checks the records' names
//!     Use: Z0123456789ABCDEFGHIJ       # an existing zone's ID, or !Ref of a template Parameter
//! x-acm:
//!   site:
//!     MacroParameters: {DomainNames: [shop.example.com], HostedZoneId: x-route53::public}
//! x-elbv2:
//!   front:
//!     DnsAliases:
//!       - {Route53Zone: x-route53::public, Names: [shop.example.com]}
//! ```
//!
//! Each name of `DnsAliases` is an alias `A` record (and `AAAA` for a dualstack load balancer)
//! to the load balancer, in the zone named.

use crate::cfn::{get_att, is_intrinsic, naming::pascal, r#ref};
use crate::compose::read::{literal, map_or, seq_or, show};
use crate::diagnostics::{index, join};
use crate::plan::Ctx;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub const KEY: &str = "x-route53";

/// What a reference `x-route53::NAME` starts with.
pub const PREFIX: &str = "x-route53::";

/// A hosted zone of `x-route53`.
#[derive(Debug, Clone)]
pub struct Zone {
    /// The zone's ID: a `Ref` of the created zone, or the ID given in `Use`.
    pub id: Value,
    /// The zone's domain, without its final dot, when the file says it.
    pub domain: Option<String>,
}

pub fn zone_id(name: &str) -> String {
    format!("{}HostedZone", pascal(name))
}

/// The hosted zones of `x-route53` by name; the created ones are added to the template.
pub fn expand(ctx: &mut Ctx) -> BTreeMap<String, Zone> {
    let mut out = BTreeMap::new();
    let Some(x) = ctx.project.extensions.get(KEY).cloned() else { return out };
    let head = "x-route53 must be a mapping of zone names to hosted zones";
    let Some(m) = map_or(&x, KEY, head, &mut ctx.d) else { return out };
    for (name, def) in m {
        let path = join(KEY, name);
        let head = "a hosted zone must be a mapping with ZoneName, and Use for an existing zone";
        let Some(def) = map_or(def, &path, head, &mut ctx.d) else { continue };
        let mut domain = None;
        let mut use_id = None;
        let mut lookup = false;
        for (k, v) in def {
            let p = join(&path, k);
            match k.as_str() {
                "ZoneName" | "Name" => {
                    if let Some(n) = literal(v, &p, "a zone name", &mut ctx.d) {
                        let n = n.trim_end_matches('.').to_ascii_lowercase();
                        if valid_domain(&n) {
                            domain = Some(n);
                        } else {
                            ctx.d.error("CX4049", 
                                &p,
                                format!("{n:?} is not a domain name; write one like example.com"),
                            );
                        }
                    }
                }
                "Use" => match v {
                    Value::String(s) if valid_zone_id(s) => use_id = Some(v.clone()),
                    v if is_intrinsic(v) => use_id = Some(v.clone()),
                    other => ctx.d.error("CX4050", 
                        &p,
                        format!("{} is not a hosted zone ID (Z followed by upper-case letters and digits) nor an intrinsic function", show(other)),
                    ),
                },
                "Lookup" => {
                    lookup = true;
                    ctx.d.error("CX4349", 
                        &p,
                        "Lookup needs AWS API calls while the template is transformed, which a macro cannot make; give the existing zone's ID with `Use: Z…` (or !Ref of a template Parameter)",
                    );
                }
                _ => ctx.d.error("CX4350", 
                    &p,
                    format!("{k:?} is not an x-route53 key; use ZoneName, and Use for an existing zone"),
                ),
            }
        }
        if lookup {
            continue;
        }
        if def.contains_key("ZoneName") && def.contains_key("Name") {
            ctx.d.error("CX4351", join(&path, "Name"), "ZoneName and Name both name the zone; keep one");
            continue;
        }
        if let Some(id) = use_id {
            out.insert(name.clone(), Zone { id, domain });
            continue;
        }
        let Some(d) = domain else {
            if !def.contains_key("ZoneName") && !def.contains_key("Name") && !def.contains_key("Use") {
                ctx.d.error(
                    "CX4289",
                    &path,
                    "a hosted zone needs ZoneName (the domain of the zone to create), or Use (an existing zone's ID)",
                );
            }
            continue;
        };
        let id = zone_id(name);
        // The zone's name servers are delegated to from the parent domain: a zone replaced or
        // deleted with the stack would get new ones and take the domain off the internet.
        ctx.add(
            &path,
            id.clone(),
            json!({
                "Type": "AWS::Route53::HostedZone",
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": {
                    "Name": d,
                    "HostedZoneConfig": {"Comment": {"Fn::Sub": format!("${{AWS::StackName}} {path}")}},
                }
            }),
        );
        ctx.t.output(format!("{id}Id"), r#ref(&id), &format!("ID of the hosted zone {path}"));
        ctx.t.output(
            format!("{id}NameServers"),
            json!({"Fn::Join": [",", get_att(&id, "NameServers")]}),
            &format!("Name servers of {path}: delegate {d} to them"),
        );
        out.insert(name.clone(), Zone { id: r#ref(&id), domain: Some(d) });
    }
    out
}

/// The zone a `x-route53::NAME` reference names, with an error at `path` when there is none.
pub fn resolve<'a>(ctx: &mut Ctx, zones: &'a BTreeMap<String, Zone>, text: &str, path: &str) -> Option<&'a Zone> {
    let name = text.strip_prefix(PREFIX)?;
    let zone = zones.get(name);
    if zone.is_none() && !zone_refused(ctx, name) {
        ctx.d.error(
            "CX4290",
            path,
            format!("{text:?} names no zone of x-route53; declare `x-route53: {{{name}: {{ZoneName: …}}}}`"),
        );
    }
    zone
}

/// Whether zone `name` is declared but refused (its error is already reported).
fn zone_refused(ctx: &Ctx, name: &str) -> bool {
    ctx.project.extensions.get(KEY).and_then(|x| x.get(name)).is_some()
}

/// `DnsAliases` of load balancer `lb_id` (x-elbv2): an alias record to it per name and address
/// family, in the zone each entry names.
pub fn aliases(ctx: &mut Ctx, zones: &BTreeMap<String, Zone>, lb_id: &str, dualstack: bool, v: &Value, path: &str) {
    let head = "DnsAliases must be a list of {Route53Zone: x-route53::NAME, Names: [names]}";
    let Some(list) = seq_or(v, path, head, &mut ctx.d) else { return };
    for (i, entry) in list.iter().enumerate() {
        let ep = index(path, i);
        let Some(m) = map_or(entry, &ep, head, &mut ctx.d) else { continue };
        for k in m.keys() {
            if k != "Route53Zone" && k != "Names" {
                ctx.d.error(
                    "CX4291",
                    join(&ep, k),
                    format!("{k:?} is not a DnsAliases key; use Route53Zone and Names"),
                );
            }
        }
        let zp = join(&ep, "Route53Zone");
        let zone = match m.get("Route53Zone") {
            Some(Value::String(s)) if s.starts_with(PREFIX) => resolve(ctx, zones, s, &zp).cloned(),
            Some(other) => {
                ctx.d.error(
                    "CX4292",
                    &zp,
                    format!("{} is not a zone of x-route53; write x-route53::NAME", show(other)),
                );
                None
            }
            None => {
                ctx.d.error("CX4293", &zp, "a DNS alias needs Route53Zone: x-route53::NAME, the zone of its names");
                None
            }
        };
        let np = join(&ep, "Names");
        let names: Vec<(String, String)> = match m.get("Names") {
            Some(v) => seq_or(v, &np, "Names must be a list of domain names", &mut ctx.d)
                .into_iter()
                .flatten()
                .enumerate()
                .filter_map(|(j, n)| {
                    let p = index(&np, j);
                    literal(n, &p, "a domain name", &mut ctx.d)
                        .map(|n| (n.trim_end_matches('.').to_ascii_lowercase(), p))
                })
                .collect(),
            None => {
                ctx.d.error("CX4294", &np, "a DNS alias needs Names, the domain names that lead to the load balancer");
                Vec::new()
            }
        };
        let Some(zone) = zone else { continue };
        for (name, p) in names {
            let bare = name.strip_prefix("*.").unwrap_or(&name);
            if !valid_domain(bare) {
                ctx.d.error("CX4295", &p, format!("{name:?} is not a domain name; write one like www.example.com"));
                continue;
            }
            if let Some(domain) = &zone.domain {
                if name != *domain && !name.ends_with(&format!(".{domain}")) {
                    ctx.d.error(
                        "CX4296",
                        &p,
                        format!(
                            "{name:?} is not in the zone {domain:?} of {}; name a zone that holds it",
                            show(&m["Route53Zone"])
                        ),
                    );
                    continue;
                }
            }
            let types: &[&str] = if dualstack { &["A", "AAAA"] } else { &["A"] };
            for ty in types {
                let id = format!("{lb_id}Alias{}{}", record_id(&name), pascal(&ty.to_ascii_lowercase()));
                ctx.add(
                    path,
                    id,
                    json!({"Type": "AWS::Route53::RecordSet", "Properties": {
                        "HostedZoneId": zone.id,
                        "Name": name,
                        "Type": ty,
                        "AliasTarget": {
                            "DNSName": get_att(lb_id, "DNSName"),
                            "HostedZoneId": get_att(lb_id, "CanonicalHostedZoneID"),
                            "EvaluateTargetHealth": false,
                        },
                    }}),
                );
            }
        }
    }
}

/// A record name in logical IDs: `*.shop.example.com` → `WildcardShopExampleCom`.
fn record_id(name: &str) -> String {
    match name.strip_prefix("*.") {
        Some(rest) => format!("Wildcard{}", pascal(rest)),
        None => pascal(name),
    }
}

fn valid_zone_id(s: &str) -> bool {
    s.len() > 1 && s.starts_with('Z') && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Labels of letters, digits and hyphens (and underscores, which DNS allows), at least two.
pub(super) fn valid_domain(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').count() >= 2
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(valid_zone_id("Z0123456789ABCDEFGHIJ"));
        assert!(!valid_zone_id("z0123"));
        assert!(!valid_zone_id("Z"));
        assert!(valid_domain("example.com"));
        assert!(valid_domain("a-b.example.co.uk"));
        assert!(!valid_domain("com"));
        assert!(!valid_domain("-a.example.com"));
        assert!(!valid_domain("a..example.com"));
        assert_eq!(record_id("*.warp.example.com"), "WildcardWarpExampleCom");
        assert_eq!(record_id("warp.example.com"), "WarpExampleCom");
    }
}
