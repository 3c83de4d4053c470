//! ECS ComposeX's `x-network` of a service, read once when the file is loaded: who may open
//! connections to it (`Ingress`: `Myself`, `Services`, `ExtSources`, `AwsSources`) and whether
//! its tasks get a public IP (`AssignPublicIp`), which existing security groups its tasks join
//! besides their own (`AdditionalSecurityGroups`). `x-ecs_connect` inside it is read by
//! [`super::connect`]. The network concern (`emit::network`) turns the sources into rules.

use crate::cfn::is_intrinsic;
use crate::compose::read::{boolean, literal, map_or};
use crate::compose::Service;
use crate::diagnostics::{index, join, Diagnostics};
use serde_json::Value;

/// What a service's `x-network` says, checked.
#[derive(Debug, Clone, Default)]
pub struct Network {
    /// The path of `x-network`.
    pub path: String,
    /// Whether it has `Ingress` at all.
    pub ingress: bool,
    pub myself: bool,
    /// Services or task families that may connect: (path, name, ports).
    pub services: Vec<(String, String, Option<Ports>)>,
    pub ext_sources: Vec<ExtSource>,
    pub aws_sources: Vec<AwsSource>,
    pub assign_public_ip: bool,
    /// Existing security groups the tasks join besides the family's own: IDs as literals
    /// (`sg-…`) or intrinsic functions, in the order written.
    pub additional_security_groups: Vec<Value>,
}

/// `Ports` of a source (ECS ComposeX syntax): the only ports of the service it may reach,
/// with the path of the list for messages.
#[derive(Debug, Clone)]
pub struct Ports {
    pub path: String,
    pub ports: Vec<u16>,
}

/// One `ExtSources` entry: a CIDR, with its name, description and ports.
#[derive(Debug, Clone)]
pub struct ExtSource {
    pub v6: bool,
    pub cidr: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub ports: Option<Ports>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsSourceKind {
    SecurityGroup,
    PrefixList,
}

/// One `AwsSources` entry: an existing security group or prefix list.
#[derive(Debug, Clone)]
pub struct AwsSource {
    pub kind: AwsSourceKind,
    /// Its name in logical IDs and descriptions: the literal ID, or the type and position.
    pub label: String,
    /// The ID as JSON text: a literal or an intrinsic.
    pub id: String,
    pub ports: Option<Ports>,
}

/// The `x-network` of service `s`, if it has one.
pub fn read(s: &Service, d: &mut Diagnostics) -> Option<Network> {
    let x = s.extensions.get("x-network").filter(|x| !x.is_null())?;
    let path = join(&join("services", &s.name), "x-network");
    let m = map_or(x, &path, "x-network must be a mapping", d)?;
    let mut out = Network { path: path.clone(), ingress: m.contains_key("Ingress"), ..Default::default() };
    for (k, v) in m {
        let p = join(&path, k);
        match k.as_str() {
            "Ingress" => ingress(v, &p, &mut out, d),
            "AssignPublicIp" => out.assign_public_ip = boolean(v, &p, d) == Some(true),
            "AdditionalSecurityGroups" => additional_security_groups(v, &p, &mut out, d),
            // Service Connect: read by super::connect.
            "x-ecs_connect" => {}
            "x-cloudmap" => d.warn("CX2036", &p, "ignored: ComposeX registers every family with ports in its one namespace, as family.namespace, and gives it short names with Service Connect"),
            _ => d.error("CX2037", &p, format!("{k:?} is not an x-network key; use Ingress, AssignPublicIp, AdditionalSecurityGroups or x-ecs_connect")),
        }
    }
    Some(out)
}

/// `AdditionalSecurityGroups: {name: sg-…}` (ECS ComposeX syntax): existing groups the tasks
/// join. ComposeX adds no rule to them: what they let in is what their owner set.
fn additional_security_groups(v: &Value, p: &str, out: &mut Network, d: &mut Diagnostics) {
    let head = "AdditionalSecurityGroups must map names to security group IDs, like {shared: sg-0123456789abcdef0}";
    for (name, id) in map_or(v, p, head, d).into_iter().flatten() {
        let ip = join(p, name);
        match id {
            Value::String(s) if s.starts_with("sg-") && s.len() > 3 && s[3..].chars().all(|c| c.is_ascii_alphanumeric()) => {
                out.additional_security_groups.push(id.clone())
            }
            Value::String(s) => d.error("CX2197", &ip, format!("{s:?} is not a security group ID; write one like sg-0123456789abcdef0, or a !Ref to a parameter of type AWS::EC2::SecurityGroup::Id")),
            Value::Object(o) if o.contains_key("Lookup") || o.contains_key("Tags") || o.contains_key("Arn") || o.contains_key("Identifier") => d.error(
                "CX2198",
                &ip,
                "Lookup needs AWS API calls while the template is transformed, which a macro cannot make; give the security group's ID, or a !Ref to a parameter of type AWS::EC2::SecurityGroup::Id",
            ),
            v if is_intrinsic(v) => out.additional_security_groups.push(v.clone()),
            _ => d.error("CX2199", &ip, "a security group must be its ID (sg-…) or an intrinsic function such as !Ref to a parameter"),
        }
    }
}

fn ingress(v: &Value, p: &str, out: &mut Network, d: &mut Diagnostics) {
    let Some(im) = map_or(v, p, "Ingress must be a mapping", d) else { return };
    for (ik, iv) in im {
        let ip = join(p, ik);
        match ik.as_str() {
            "Myself" => out.myself |= boolean(iv, &ip, d) == Some(true),
            "Services" => {
                for (i, item) in iv.as_array().into_iter().flatten().enumerate() {
                    let sp = index(&ip, i);
                    let (src, ports) = match item {
                        Value::Object(o) => {
                            if !o.contains_key("Name") {
                                d.error(
                                    "CX2200",
                                    &sp,
                                    "an Ingress service needs Name, the service or task family that may connect",
                                );
                            }
                            (
                                o.get("Name").and_then(|n| literal(n, &join(&sp, "Name"), "a service name", d)),
                                ports(item, &sp, d),
                            )
                        }
                        other => (literal(other, &sp, "a service name", d), None),
                    };
                    if let Some(src) = src {
                        out.services.push((sp, src, ports));
                    }
                }
                if !iv.is_array() {
                    d.error("CX2038", &ip, "Services must be a list of {Name: service}");
                }
            }
            "ExtSources" => {
                for (i, item) in iv.as_array().into_iter().flatten().enumerate() {
                    if let Some(e) = ext_source(d, item, &index(&ip, i)) {
                        out.ext_sources.push(e);
                    }
                }
                if !iv.is_array() {
                    d.error("CX2039", &ip, "ExtSources must be a list of {IPv4 or IPv6, Name}");
                }
            }
            "AwsSources" => {
                for (i, item) in iv.as_array().into_iter().flatten().enumerate() {
                    let sp = index(&ip, i);
                    let ty = item.get("Type").and_then(Value::as_str).unwrap_or_default();
                    let id = item.get("Id").filter(|v| v.is_string() || is_intrinsic(v)).cloned();
                    let Some(id) = id else {
                        d.error(
                            "CX2040",
                            join(&sp, "Id"),
                            "an AWS source needs Id, the security group or prefix list ID (or an intrinsic function)",
                        );
                        continue;
                    };
                    // Intrinsic IDs are named after their position, literal ones after themselves.
                    let label = id.as_str().map(str::to_string).unwrap_or_else(|| format!("{ty}{i}"));
                    let literal_ok = |prefix: &str| id.as_str().is_none_or(|s| s.starts_with(prefix));
                    let kind = match ty {
                        "SecurityGroup" if literal_ok("sg-") => AwsSourceKind::SecurityGroup,
                        "PrefixList" if literal_ok("pl-") => AwsSourceKind::PrefixList,
                        "SecurityGroup" | "PrefixList" => {
                            d.error("CX2041", join(&sp, "Id"), format!("{label:?} is not a {ty} ID"));
                            continue;
                        }
                        _ => {
                            d.error(
                                "CX2042",
                                join(&sp, "Type"),
                                format!("{ty:?} is not an AWS source type; use SecurityGroup or PrefixList"),
                            );
                            continue;
                        }
                    };
                    let ports = ports(item, &sp, d);
                    out.aws_sources.push(AwsSource { kind, label, id: id.to_string(), ports });
                }
            }
            _ => d.error(
                "CX2043",
                &ip,
                format!("{ik:?} is not an Ingress key; use Services, Myself, ExtSources or AwsSources"),
            ),
        }
    }
}

/// One `ExtSources` entry (`{IPv4 or IPv6, Name, Description}`, ECS ComposeX syntax), checked;
/// `None` after an error at its path. Load balancers read theirs with it too.
pub fn ext_source(d: &mut Diagnostics, item: &Value, path: &str) -> Option<ExtSource> {
    let get = |k: &str| item.get(k).and_then(Value::as_str).map(str::to_string);
    let (v6, cidr) = match (get("IPv4"), get("IPv6")) {
        (Some(c), None) => (false, c),
        (None, Some(c)) => (true, c),
        _ => {
            d.error("CX2044", path, "an external source needs one of IPv4 or IPv6, a CIDR");
            return None;
        }
    };
    if !valid_cidr(&cidr, v6) {
        d.error(
            "CX2045",
            join(path, if v6 { "IPv6" } else { "IPv4" }),
            format!("{cidr:?} is not an IP{} CIDR", if v6 { "v6" } else { "v4" }),
        );
        return None;
    }
    let ports = ports(item, path, d);
    Some(ExtSource { v6, cidr, name: get("Name"), description: get("Description"), ports })
}

/// A source's `Ports`, a list of port numbers, checked; `None` when it has none.
pub fn ports(item: &Value, path: &str, d: &mut Diagnostics) -> Option<Ports> {
    let v = item.get("Ports")?;
    let p = join(path, "Ports");
    let Some(list) = v.as_array() else {
        d.error("CX2201", &p, "Ports must be a list of port numbers, like [8080]");
        return None;
    };
    let mut ports = Vec::new();
    for (i, n) in list.iter().enumerate() {
        match n.as_u64().filter(|n| (1..=65535).contains(n)) {
            Some(n) => ports.push(n as u16),
            None => d.error("CX2202", index(&p, i), format!("{n} is not a port; use a whole number from 1 to 65535")),
        }
    }
    Some(Ports { path: p, ports })
}

fn valid_cidr(cidr: &str, v6: bool) -> bool {
    let Some((addr, prefix)) = cidr.split_once('/') else { return false };
    let Ok(prefix) = prefix.parse::<u8>() else { return false };
    if v6 {
        addr.parse::<std::net::Ipv6Addr>().is_ok() && prefix <= 128
    } else {
        addr.parse::<std::net::Ipv4Addr>().is_ok() && prefix <= 32
    }
}
