//! Short names: ECS Service Connect on the CloudMap namespace, so that `http://api:8080` works on
//! ECS as it does in docker compose.
//!
//! - Every container port gets a `Name` in its task definition (the long syntax's `name`, else
//!   `tcp_8080` as ECS ComposeX names them) and, when known, an `AppProtocol` (`app_protocol`
//!   http, http2 or grpc; Docker's `x-aws-protocol: http`).
//! - A family with TCP ports is a Service Connect server: one entry per port, whose client alias
//!   is the compose service's own name on its container port (`api:8080`). A service that runs
//!   in several families gives its short name to the first of them (by name); the others answer
//!   to `service.family`. The entry's `DiscoveryName` (the CloudMap service ECS creates for it)
//!   is `family-portname`, never the family's name: that one is the A-record discovery service
//!   that keeps `family.namespace` resolving, and two CloudMap services cannot share a name.
//! - A family without ports is a Service Connect client when it may reach a family with ports
//!   (`links`, `depends_on`, or named in its `x-network.Ingress.Services`) or asks for it with
//!   `x-network.x-ecs_connect`; a family that may reach no one gets nothing (its security group
//!   would stop it anyway), so adding an unrelated service changes no other service.
//! - ECS ComposeX's `x-network.x-ecs_connect`: `MacroParameters.service_ports.<port name>`
//!   `{DnsName, CloudMapServiceName}` set the alias and the discovery name of a port (a
//!   `CloudMapServiceName` that is a family's DNS service name is replaced by ComposeX's own
//!   discovery name: clients use the alias, so nothing changes for them);
//!   `MacroParameters.x-cloudmap` names the namespace, which must be the one of `x-cloudmap`;
//!   `Properties` is ECS's `ServiceConnectConfiguration`, used as written (with the namespace
//!   when it names none).
//!
//! Ports of a range (`"8000-8010:8000-8010"`) and UDP ports stay out of Service Connect (it
//! proxies TCP, one entry per port): they are reached as `family.namespace`.

use super::discovery::MAX_DNS_LABEL;
use super::discovery::NAMESPACE_ID;
use super::logging::sidecar_log_configuration;
use crate::cfn::get_att;
use crate::compose::{Port, Protocol, Service};
use crate::diagnostics::{join, Diagnostics};
use crate::ext::connect::MAX_DISCOVERY_NAME;
use crate::ext::network::Network;
use crate::plan::families::has_ports;
use crate::plan::families::Family;
use crate::plan::{ConnectEntry, Ctx, Emit};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Application protocols ECS knows for a port mapping.
const APP_PROTOCOLS: &[&str] = &["http", "http2", "grpc"];

/// The `Name` of a port mapping: the compose name, else `tcp_8080`.
pub fn port_name(p: &Port) -> String {
    p.name.clone().unwrap_or_else(|| format!("{}_{}", p.protocol.as_str(), p.target))
}

/// Names a container's port mapping (and gives it its application protocol) for Service
/// Connect; called by the task definition for each of its ports.
pub fn name_mapping(mapping: &mut Value, p: &Port) {
    if p.name.is_some() || mapping.get("Name").is_none() {
        mapping["Name"] = json!(port_name(p));
    }
    if let Some(proto) = app_protocol(p) {
        mapping["AppProtocol"] = json!(proto);
    }
}

fn app_protocol(p: &Port) -> Option<&'static str> {
    if p.protocol != Protocol::Tcp {
        return None;
    }
    let wanted = p.app_protocol.as_deref().map(str::to_ascii_lowercase);
    let wanted = wanted.or_else(|| p.aws_protocol.clone().filter(|x| x == "http"));
    APP_PROTOCOLS.iter().copied().find(|a| Some(*a) == wanted.as_deref())
}

/// The `ServiceConnectConfiguration` of the family's ECS service, if it has one.
pub fn configuration(ctx: &Emit, fam: &Family) -> Option<Value> {
    ctx.plan.infra.namespace_id.as_ref()?;
    // Computed once for the whole namespace by `check` (per family it would be quadratic).
    let mine = ctx.plan.connect.get(&fam.name).cloned().unwrap_or_default();
    let namespace = get_att(NAMESPACE_ID, "Arn");
    let properties = fam.services.iter().find_map(|s| ctx.ext.service(s).connect.clone().and_then(|x| x.properties));
    if let Some(mut p) = properties {
        if p.get("Namespace").is_none() {
            p["Namespace"] = namespace;
        }
        return Some(p);
    }
    if mine.is_empty() && !is_client(ctx, fam) {
        return None;
    }
    let mut conf = json!({
        "Enabled": true,
        "Namespace": namespace,
        "LogConfiguration": sidecar_log_configuration(fam, "service-connect")
    });
    if !mine.is_empty() {
        conf["Services"] = Value::Array(
            mine.iter()
                .map(|e| {
                    json!({
                        "PortName": e.port_name,
                        "DiscoveryName": e.discovery_name,
                        "ClientAliases": [{"Port": e.port, "DnsName": e.dns_name}]
                    })
                })
                .collect(),
        );
    }
    Some(conf)
}

/// Checks what only the whole namespace shows (aliases and discovery names are unique in it)
/// and what the user wrote in `x-ecs_connect`; called once, before the families expand.
pub fn check(ctx: &mut Ctx) {
    let mut d = Diagnostics::new();
    // One walk over the services gathers the Ingress sources and checks the ports: for 1000
    // services the model is out of cache, and each walk reads every service from memory.
    let mut sources: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, s) in &ctx.project.services {
        add_ingress_sources(name, s, ctx.ext.service(name).network.as_ref(), &mut sources);
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for p in s.container_ports() {
            if let Some(a) = &p.app_protocol {
                if app_protocol(p).is_none() {
                    d.warn(
                        "CX5001",
                        join(&p.path, "app_protocol"),
                        format!(
                            "ignored: ECS knows the application protocols http, http2 and grpc (over TCP), not {a:?}"
                        ),
                    );
                }
            }
            let Some(n) = &p.name else { continue };
            if n.is_empty()
                || n.len() > 64
                || n.starts_with('-')
                || !n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
            {
                d.error("CX5002", join(&p.path, "name"), format!("{n:?} is not a port name ECS accepts: up to 64 lower-case letters, digits, '_' and '-', not starting with '-'"));
            }
            if let Some(other) = seen.insert(n.clone(), p.path.clone()) {
                if other != p.path {
                    d.error("CX5003", join(&p.path, "name"), format!("{other} has the same name; name each port once"));
                }
            }
        }
        if let Some(x) = &ctx.ext.service(name).connect {
            if ctx.plan.infra.namespace_id.is_none() && x.properties.is_none() {
                d.warn(
                    "CX5004",
                    join(&join(&join("services", name), "x-network"), "x-ecs_connect"),
                    "ignored: no service of this file has ports, so there is nothing to connect to",
                );
            }
        }
    }
    ctx.plan.connect_sources = sources;
    if ctx.plan.infra.namespace_id.is_some() {
        let family_names = discoverable_names(ctx);
        ctx.plan.connect = entries(ctx, &family_names, &mut d);
        let mut aliases: BTreeMap<(String, u16), String> = BTreeMap::new();
        let mut discovery: BTreeMap<String, String> = BTreeMap::new();
        for e in ctx.plan.connect.values().flatten() {
            if let Some(label) = e.dns_name.split('.').find(|l| l.len() > MAX_DNS_LABEL) {
                d.error("CX5005", &e.path, format!("the Service Connect short name {:?} has a label of {} characters, and DNS labels have at most {MAX_DNS_LABEL}: give the port a shorter DnsName in x-network.x-ecs_connect, or shorten the service's name", e.dns_name, label.len()));
            }
            if let Some(other) = aliases.insert((e.dns_name.clone(), e.port), e.path.clone()) {
                d.error("CX5006", &e.path, format!("{other} gives clients the same short name {}:{}; each name and port must be unique in the namespace", e.dns_name, e.port));
            }
            if family_names.contains(&e.discovery_name) {
                d.error("CX5007", &e.path, format!("the Service Connect discovery name {:?} is the name of a task family's CloudMap service; rename the port", e.discovery_name));
            } else if let Some(other) = discovery.insert(e.discovery_name.clone(), e.path.clone()) {
                d.error("CX5008", &e.path, format!("{other} has the same Service Connect discovery name {:?}; CloudMap names are unique in the namespace", e.discovery_name));
            }
        }
    }
    ctx.d.extend(d);
}

/// The CloudMap (A-record) service names of the families with ports, lower-case: Service Connect
/// discovery names must stay apart from them.
fn discoverable_names(ctx: &Ctx) -> BTreeSet<String> {
    ctx.plan.families.list.values().filter(|f| has_ports(ctx.project, f)).map(|f| f.name.to_ascii_lowercase()).collect()
}

/// Every family's Service Connect entries.
fn entries(ctx: &Ctx, family_names: &BTreeSet<String>, d: &mut Diagnostics) -> BTreeMap<String, Vec<ConnectEntry>> {
    let mut out: BTreeMap<String, Vec<ConnectEntry>> = BTreeMap::new();
    for fam in ctx.plan.families.list.values() {
        let mut list = Vec::new();
        // A port two members both listen on is already an error of the task definition.
        let mut done = BTreeSet::new();
        for name in &fam.services {
            let s = &ctx.project.services[name];
            let x = ctx.ext.service(name).connect.clone().unwrap_or_default();
            let connected = connectable(s);
            for p in &connected {
                let pname = port_name(p);
                if !done.insert(pname.clone()) {
                    continue;
                }
                // The service's short name goes to the first family it runs in.
                let first = ctx.plan.families.of_service.get(name).and_then(|f| f.first()) == Some(&fam.name);
                let mut dns_name =
                    if first { name.to_ascii_lowercase() } else { format!("{name}.{}", fam.name).to_ascii_lowercase() };
                let mut discovery_name = discovery_name(&fam.name, &pname);
                let mut path = p.path.clone();
                if let Some((dns, cloudmap, xpath)) = x.ports.get(&pname) {
                    path = xpath.clone();
                    if let Some(n) = dns {
                        dns_name = n.to_ascii_lowercase();
                    }
                    if let Some(n) = cloudmap.as_ref().map(|n| n.to_ascii_lowercase()) {
                        // A family's DNS service already has that name: ComposeX keeps its own.
                        if !family_names.contains(&n) {
                            discovery_name = n;
                        }
                    }
                }
                list.push(ConnectEntry { port_name: pname, port: p.target, dns_name, discovery_name, path });
            }
            for (pname, (_, _, xpath)) in &x.ports {
                if !connected.iter().any(|p| port_name(p) == *pname) {
                    let names: BTreeSet<String> = connected.iter().map(|p| port_name(p)).collect();
                    let names: Vec<String> = names.into_iter().collect();
                    d.error(
                        "CX5009",
                        xpath,
                        if names.is_empty() {
                            format!("{name:?} has no TCP port for Service Connect, so {pname:?} names none")
                        } else {
                            format!(
                                "no TCP port of {name:?} is named {pname:?}; its ports are named {}",
                                names.join(", ")
                            )
                        },
                    );
                }
            }
        }
        if !list.is_empty() {
            out.insert(fam.name.clone(), list);
        }
    }
    out
}

/// The service's ports Service Connect carries: TCP, one per mapping, not from a range.
fn connectable(s: &Service) -> Vec<&Port> {
    let all: Vec<&Port> = s.container_ports().collect();
    let mut per_path: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &all {
        *per_path.entry(p.path.as_str()).or_default() += 1;
    }
    all.into_iter().filter(|p| p.protocol == Protocol::Tcp && per_path[p.path.as_str()] == 1).collect()
}

/// `family-portname`, lower-case, within CloudMap's 64 characters.
fn discovery_name(family: &str, port: &str) -> String {
    let text: String = format!("{family}-{port}")
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '-' })
        .collect();
    if text.len() <= MAX_DISCOVERY_NAME {
        return text;
    }
    // FNV-1a keeps long names apart, deterministically.
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    format!("{}-{:08x}", &text[..MAX_DISCOVERY_NAME - 9], hash as u32)
}

/// Whether a family without Service Connect entries may reach one that has some, or asks for
/// Service Connect itself.
fn is_client(ctx: &Emit, fam: &Family) -> bool {
    let with_ports = |f: &str| ctx.plan.families.list.get(f).is_some_and(|f| has_ports(ctx.project, f));
    for name in &fam.services {
        let s = &ctx.project.services[name];
        if ctx.ext.service(name).connect.is_some() {
            return true;
        }
        let targets = s.links.iter().chain(s.depends_on.iter().map(|d| &d.service));
        for t in targets {
            let reaches = ctx
                .plan
                .families
                .resolve(t)
                .is_some_and(|fs| fs.iter().any(|f| f.name != fam.name && with_ports(&f.name)));
            if reaches {
                return true;
            }
        }
    }
    // Named as a source in the x-network.Ingress.Services of another service with ports.
    std::iter::once(&fam.name).chain(&fam.services).any(|n| {
        ctx.plan.connect_sources.get(n).is_some_and(|namers| namers.iter().any(|other| !fam.services.contains(other)))
    })
}

/// Adds service `other` to `out[n]` for each name `n` its `x-network.Ingress.Services` lists,
/// when it has ports (name → the services with ports that list it).
fn add_ingress_sources(
    other: &str,
    s: &crate::compose::Service,
    x: Option<&Network>,
    out: &mut BTreeMap<String, BTreeSet<String>>,
) {
    if !s.has_ports() {
        return;
    }
    for (_, n, _) in x.into_iter().flat_map(|x| &x.services) {
        out.entry(n.clone()).or_default().insert(other.to_string());
    }
}
