//! `x-elbv2` (ECS ComposeX syntax): load balancers described in full.
//!
//! ```yaml
//! x-elbv2:
//!   front:
//!     Properties: {Type: application, Scheme: internet-facing}     # LoadBalancer properties
//!     MacroParameters: {timeout_seconds: 60, http2: true, Ingress: {ExtSources: [{IPv4: 1.2.3.0/24}]}}
//!     Listeners:
//!       - {Port: 80, Protocol: HTTP, DefaultActions: [{Redirect: HTTP_TO_HTTPS}]}
//!       - Port: 443
//!         Protocol: HTTPS
//!         Certificates: [{x-acm: shop-cert}]
//!         Targets:
//!           - {name: web:web, access: /}                      # the default action
//!           - {name: api:api, access: api.example.com/v1*}    # rule 1: host and path
//!     Services:
//!       web:web: {port: 8080, protocol: HTTP, healthcheck: "8080:HTTP:/health:200"}
//!       api:api: {port: 5000, protocol: HTTP, TargetGroupAttributes: {stickiness.enabled: "false"}}
//! ```
//!
//! Without `x-elbv2`, the file's published ports make one load balancer ([`auto`]); either way
//! the load balancers are written out by [`emit`].
//!
//! Each `Services` entry (`family:container`) is one target group of IP targets; a listener's
//! `Targets` become its default action (`access: /`) and rules, whose priorities are their
//! position in the list. Every target group a listener uses is attached to its ECS service.
//! `TargetGroups` (ECS ComposeX) names target groups; one that lists containers of several task
//! families is one target group in which each of their ECS services registers its tasks.

use super::cognito_userpool::Pool;
use super::route53::Zone;
use crate::cfn::{is_intrinsic, naming::pascal, r#ref};
use crate::compose::read::{boolean, kind, literal, map_or, seq_or, show, uint};
use crate::compose::Protocol;
use crate::diagnostics::{index, join, Diagnostics};
use crate::emit::elb::health::{self, Health};
use crate::emit::elb::{auto, emit, Action, Lb, LbType, Listener, Member, Rule, Source, Target, MAX_LISTENERS};
use crate::plan::Ctx;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

pub const KEY: &str = "x-elbv2";

/// The load balancers of the file with their certificates (`x-acm`): those of `x-elbv2`, or
/// else the one its published ports make.
pub fn expand(ctx: &mut Ctx) {
    let zones = super::route53::expand(ctx);
    let certificates = super::acm::expand(ctx, &zones);
    let pools = super::cognito_userpool::expand(ctx);
    let lbs = if ctx.project.extensions.contains_key(KEY) {
        if ctx.project.extensions.contains_key(auto::EXISTING_KEY) {
            ctx.d.error("CX4046", 
                auto::EXISTING_KEY,
                "x-aws-loadbalancer puts the published ports on an existing load balancer, but with x-elbv2 published ports are not exposed by themselves; describe the listeners in x-elbv2, or remove x-elbv2",
            );
        }
        parse(ctx, &Known { certificates: &certificates, zones: &zones, pools: &pools })
    } else {
        auto::plan(ctx, &certificates)
    };
    for lb in &lbs {
        // Elastic Load Balancing's quota: 50 listeners per load balancer.
        if lb.listeners.len() > MAX_LISTENERS {
            let path = lb.listeners.get(MAX_LISTENERS).map_or(lb.path.clone(), |l| l.path.clone());
            ctx.d.error("CX4047", 
                path,
                format!(
                    "{} needs {} listeners, more than the {MAX_LISTENERS} a load balancer takes; publish fewer ports (expose the others), or split them over several x-elbv2 load balancers",
                    lb.label,
                    lb.listeners.len()
                ),
            );
            continue;
        }
        emit::emit(ctx, lb);
    }
    emit::check_services(ctx);
}

const ALB_PROTOCOLS: &[&str] = &["HTTP", "HTTPS"];
const NLB_PROTOCOLS: &[&str] = &["TCP", "TLS", "UDP", "TCP_UDP"];

/// Target group attributes of each type (AWS documentation); a key of the other type is an
/// error, a key of neither a warning (AWS adds attributes).
const ALB_ATTRIBUTES: &[&str] = &[
    "deregistration_delay.timeout_seconds",
    "stickiness.enabled",
    "stickiness.type",
    "stickiness.app_cookie.cookie_name",
    "stickiness.app_cookie.duration_seconds",
    "stickiness.lb_cookie.duration_seconds",
    "load_balancing.algorithm.type",
    "load_balancing.algorithm.anomaly_mitigation",
    "load_balancing.cross_zone.enabled",
    "slow_start.duration_seconds",
    "target_group_health.dns_failover.minimum_healthy_targets.count",
    "target_group_health.dns_failover.minimum_healthy_targets.percentage",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage",
];
const NLB_ATTRIBUTES: &[&str] = &[
    "deregistration_delay.timeout_seconds",
    "deregistration_delay.connection_termination.enabled",
    "stickiness.enabled",
    "stickiness.type",
    "preserve_client_ip.enabled",
    "proxy_protocol_v2.enabled",
    "load_balancing.cross_zone.enabled",
    "target_health_state.unhealthy.connection_termination.enabled",
    "target_health_state.unhealthy.draining_interval_seconds",
    "target_group_health.dns_failover.minimum_healthy_targets.count",
    "target_group_health.dns_failover.minimum_healthy_targets.percentage",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage",
];

/// What the load balancers refer to by name: certificates (`x-acm`), hosted zones
/// (`x-route53`), user pools (`x-cognito_userpool`).
pub struct Known<'a> {
    pub certificates: &'a BTreeMap<String, Value>,
    pub zones: &'a BTreeMap<String, Zone>,
    pub pools: &'a BTreeMap<String, Pool>,
}

pub fn parse(ctx: &mut Ctx, known: &Known) -> Vec<Lb> {
    let x = ctx.project.extensions[KEY].clone();
    let head = "x-elbv2 must be a mapping of load balancer names to load balancers";
    let Some(m) = map_or(&x, KEY, head, &mut ctx.d) else { return Vec::new() };
    m.iter().filter_map(|(name, def)| load_balancer(ctx, name, def, known)).collect()
}

fn load_balancer(ctx: &mut Ctx, name: &str, def: &Value, known: &Known) -> Option<Lb> {
    let path = join(KEY, name);
    let head = "a load balancer must be a mapping with Properties, Listeners and Services";
    let m = map_or(def, &path, head, &mut ctx.d)?;
    for k in m.keys() {
        let p = join(&path, k);
        match k.as_str() {
            "Properties" | "MacroParameters" | "Settings" | "Listeners" | "Services" | "DnsAliases" | "TargetGroups" => {}
            "Lookup" => ctx.d.error("CX4048", &p, "Lookup needs AWS API calls while the template is transformed, which a macro cannot make; to use an existing load balancer, give its ARN in x-aws-loadbalancer and publish the ports (see the README)"),
            _ => ctx.d.error("CX4051", &p, format!("{k:?} is not an x-elbv2 key; use Properties, MacroParameters, Settings, Listeners or Services")),
        }
    }
    let id = format!("{}LoadBalancer", pascal(name));
    let label = format!("load balancer {name}");

    // Properties: the type and scheme are read, the rest passed through.
    let mut props = Map::new();
    let mut ty = None;
    let mut internet_facing = true;
    let mut attributes: Vec<Value> = Vec::new();
    let mut dualstack = false;
    match m.get("Properties") {
        None | Some(Value::Null) => {}
        Some(Value::Object(p)) => {
            let pp = join(&path, "Properties");
            for (k, v) in p {
                let kp = join(&pp, k);
                match k.as_str() {
                    "Type" => match literal(v, &kp, "the load balancer type", &mut ctx.d).as_deref() {
                        Some("application") => ty = Some(LbType::Application),
                        Some("network") => ty = Some(LbType::Network),
                        Some(other) => ctx.d.error("CX4052", &kp, format!("{other:?} is not a load balancer type ComposeX makes; use application or network")),
                        None => {}
                    },
                    "Scheme" => match literal(v, &kp, "the scheme", &mut ctx.d).as_deref() {
                        Some("internet-facing") => internet_facing = true,
                        Some("internal") => internet_facing = false,
                        Some(other) => ctx.d.error("CX4053", &kp, format!("{other:?} is not a scheme; use internet-facing or internal")),
                        None => {}
                    },
                    "SecurityGroups" => ctx.d.error("CX4054", &kp, "ComposeX gives the load balancer its own security group, open on the listener ports only; choose who may reach it with MacroParameters.Ingress"),
                    "LoadBalancerAttributes" => {
                        attributes.extend(seq_or(v, &kp, "LoadBalancerAttributes must be a list of {Key, Value}", &mut ctx.d).into_iter().flatten().cloned())
                    }
                    "Name" if v.as_str().is_some_and(|n| !valid_lb_name(n)) => ctx.d.error("CX4055", 
                        &kp,
                        format!("{} is not a load balancer name: at most 32 letters, digits and hyphens, not starting or ending with a hyphen nor starting with internal-; leave Name out to let CloudFormation name it", crate::compose::read::show(v)),
                    ),
                    _ => {
                        if k == "IpAddressType" && v.as_str().is_some_and(|s| s.starts_with("dualstack")) {
                            dualstack = true;
                        }
                        props.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        Some(other) => ctx.d.error(
            "CX4056",
            join(&path, "Properties"),
            format!("Properties must be a mapping, not {}", kind(other)),
        ),
    }

    // The listeners' raw ports and protocols decide the type when Properties do not.
    let lpath = join(&path, "Listeners");
    // A list of listeners with Port, or (ECS ComposeX's newer form) a mapping by port.
    let raw_listeners: Vec<(Value, String)> = match m.get("Listeners") {
        Some(Value::Object(by_port)) if !is_intrinsic(&m["Listeners"]) => by_port
            .iter()
            .filter_map(|(port, l)| {
                let mut l = l.clone();
                if let (Some(o), Ok(n)) = (l.as_object_mut(), port.parse::<u16>()) {
                    o.entry("Port").or_insert_with(|| json!(n));
                }
                if l.get("Port").is_none() && l.is_object() {
                    ctx.d.error(
                        "CX4316",
                        join(&lpath, port),
                        format!("{port:?} is not a port; key the listeners by their port numbers"),
                    );
                    return None;
                }
                Some((l, join(&lpath, port)))
            })
            .collect(),
        Some(v) => seq_or(v, &lpath, "Listeners must be a list, or a mapping by port", &mut ctx.d)
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, l)| (l.clone(), index(&lpath, i)))
            .collect(),
        None => {
            ctx.d.error(
                "CX4057",
                &lpath,
                "a load balancer needs Listeners, each with Port, Protocol and Targets or DefaultActions",
            );
            Vec::new()
        }
    };
    let ty = ty.unwrap_or_else(|| {
        let all_http = raw_listeners.iter().all(|(l, _)| {
            let p = l.get("Protocol").and_then(Value::as_str).unwrap_or("HTTP").to_ascii_uppercase();
            ALB_PROTOCOLS.contains(&p.as_str())
        });
        if all_http {
            LbType::Application
        } else {
            LbType::Network
        }
    });

    let groups = target_groups(ctx, m, &path);
    let (mut targets, mut declared) = services(ctx, name, &id, groups.services.as_ref(), &join(&path, "Services"), ty);
    for group in &groups.shared {
        declared.insert(group.name.clone());
        if let Some(t) = shared_target(ctx, name, &id, group, ty) {
            targets.insert(group.name.clone(), t);
        }
    }
    let mut listeners = Vec::new();
    let mut ports = BTreeSet::new();
    for (l, lp) in &raw_listeners {
        if let Some(l) = listener(ctx, l, lp, ty, (&id, &targets, &groups.keys), &declared, known) {
            if !ports.insert(l.port) {
                ctx.d.error(
                    "CX4058",
                    join(lp, "Port"),
                    format!("another listener of {name} already takes port {}", l.port),
                );
                continue;
            }
            listeners.push(l);
        }
    }
    let used: BTreeSet<&String> = listeners
        .iter()
        .flat_map(|l| {
            let d = match &l.default {
                Action::Forward(k) => Some(k),
                _ => None,
            };
            d.into_iter().chain(l.rules.iter().map(|r| &r.target))
        })
        .collect();
    for key in targets.keys() {
        if !used.contains(key) {
            ctx.d.warn(
                "CX4059",
                groups.paths.get(key).cloned().unwrap_or_else(|| join(&join(&path, "Services"), key)),
                "no listener sends traffic to this target, so it is left out; name it in a listener's Targets",
            );
        }
    }

    let mut ingress = None;
    let mut shortcuts: Vec<(&str, String, String)> = Vec::new();
    let mpath = join(&path, "MacroParameters");
    let mp = m.get("MacroParameters").and_then(|v| map_or(v, &mpath, "MacroParameters must be a mapping", &mut ctx.d));
    for (k, v) in mp.into_iter().flatten() {
        let kp = join(&mpath, k);
        if k == "Ingress" {
            ingress = Some(ingress_sources(ctx, v, &kp));
        } else if let Some((key, value)) = shortcut(&mut ctx.d, k, v, &kp, ty) {
            shortcuts.push((key, value, kp));
        }
    }
    for (key, value, kp) in shortcuts {
        if attributes.iter().any(|a| a.get("Key").and_then(Value::as_str) == Some(key)) {
            ctx.d.warn("CX4060", kp, format!("ignored: Properties.LoadBalancerAttributes sets {key} too, and wins"));
        } else {
            attributes.push(json!({"Key": key, "Value": value}));
        }
    }
    if !attributes.is_empty() {
        props.insert("LoadBalancerAttributes".into(), Value::Array(attributes));
    }
    let ingress = ingress.unwrap_or_else(|| {
        let mut v =
            vec![Source::Cidr { v6: false, cidr: "0.0.0.0/0".into(), name: "Anywhere".into(), why: String::new() }];
        if dualstack {
            v.push(Source::Cidr { v6: true, cidr: "::/0".into(), name: "AnywhereIpv6".into(), why: String::new() });
        }
        v
    });
    let mut subnets =
        if internet_facing { ctx.plan.infra.public_subnets.clone() } else { ctx.plan.infra.app_subnets.clone() };
    let sp = join(&path, "Settings");
    for (k, v) in
        m.get("Settings").and_then(|s| map_or(s, &sp, "Settings must be a mapping", &mut ctx.d)).into_iter().flatten()
    {
        let kp = join(&sp, k);
        match k.as_str() {
            "Subnets" => match literal(v, &kp, "a subnets name", &mut ctx.d).as_deref() {
                Some("PublicSubnets") => subnets = ctx.plan.infra.public_subnets.clone(),
                Some("AppSubnets") => subnets = ctx.plan.infra.app_subnets.clone(),
                Some(other) => ctx.d.error(
                    "CX4061",
                    &kp,
                    format!("{other:?} is not a subnets name of x-vpc; use PublicSubnets or AppSubnets"),
                ),
                None => {}
            },
            "NoAllocateEips" | "RetainEips" => ctx.d.warn(
                "CX4062",
                &kp,
                "ignored: ComposeX allocates no Elastic IPs; AWS assigns the load balancer's addresses",
            ),
            _ => ctx.d.error("CX4063", &kp, format!("{k:?} is not an x-elbv2 setting; use Subnets")),
        }
    }
    if let Some(v) = m.get("DnsAliases") {
        super::route53::aliases(ctx, known.zones, &id, dualstack, v, &join(&path, "DnsAliases"));
    }
    Some(Lb {
        name: name.to_string(),
        label,
        id,
        path,
        ty,
        existing: None,
        properties: props,
        subnets,
        internet_facing,
        ingress,
        listeners,
        targets,
    })
}

/// A `MacroParameters` key other than `Ingress`: the load balancer attribute it sets, if any.
fn shortcut(d: &mut Diagnostics, k: &str, v: &Value, kp: &str, ty: LbType) -> Option<(&'static str, String)> {
    let flag = |d: &mut Diagnostics, key| boolean(v, kp, d).map(|b| (key, b.to_string()));
    match (k, ty) {
        ("timeout_seconds", LbType::Application) => {
            let n = uint(v, kp, "idle timeout", d)?;
            if !(1..=4000).contains(&n) {
                d.error("CX4064", kp, format!("the idle timeout is {n} seconds; load balancers accept 1 to 4000"));
                return None;
            }
            Some(("idle_timeout.timeout_seconds", n.to_string()))
        }
        ("desync_mitigation_mode", LbType::Application) => {
            match literal(v, kp, "desync_mitigation_mode", d)?.as_str() {
                mode @ ("monitor" | "defensive" | "strictest") => {
                    Some(("routing.http.desync_mitigation_mode", mode.to_string()))
                }
                other => {
                    d.error(
                        "CX4065",
                        kp,
                        format!("{other:?} is not a desync mitigation mode; use monitor, defensive or strictest"),
                    );
                    None
                }
            }
        }
        ("drop_invalid_header_fields", LbType::Application) => {
            flag(d, "routing.http.drop_invalid_header_fields.enabled")
        }
        ("http2", LbType::Application) => flag(d, "routing.http2.enabled"),
        ("cross_zone", LbType::Network) => flag(d, "load_balancing.cross_zone.enabled"),
        ("cross_zone", LbType::Application) => {
            d.warn("CX4066", kp, "ignored: application load balancers always balance across zones");
            None
        }
        ("timeout_seconds" | "desync_mitigation_mode" | "drop_invalid_header_fields" | "http2", LbType::Network) => {
            d.warn(
                "CX4067",
                kp,
                "ignored: it is a setting of application load balancers, and this one is a network load balancer",
            );
            None
        }
        _ => {
            d.error("CX4068", kp, format!("{k:?} is not an x-elbv2 macro parameter; use timeout_seconds, desync_mitigation_mode, drop_invalid_header_fields, http2, cross_zone or Ingress"));
            None
        }
    }
}

/// A target group of `TargetGroups` that lists several containers: built by [`shared_target`].
struct Shared {
    name: String,
    path: String,
    /// Its settings with the keys of a `Services` entry (`port`, `protocol`, `healthcheck`…).
    spec: Map<String, Value>,
    /// (`family:container` as written, the path of its entry).
    members: Vec<(String, String)>,
}

/// What `TargetGroups` (ECS ComposeX) gives a load balancer.
struct Groups {
    /// `Services` with the target groups of one container joined as `family:container:port`.
    services: Option<Value>,
    /// The key listeners reach each group by: `family:container:port` for one container, the
    /// group's name for several, empty for a group that is refused.
    keys: BTreeMap<String, String>,
    /// Key → the path of the target group that declares it.
    paths: BTreeMap<String, String>,
    shared: Vec<Shared>,
}

/// `TargetGroups` (ECS ComposeX): named target groups of one container port
/// (`Port`; `Services: [{Name: family:container, Port}]`). A group of one container joins
/// `Services` as `family:container:port`; a group of several is built by [`shared_target`].
fn target_groups(ctx: &mut Ctx, m: &Map<String, Value>, path: &str) -> Groups {
    let mut out = Groups { services: None, keys: BTreeMap::new(), paths: BTreeMap::new(), shared: Vec::new() };
    let Some(v) = m.get("TargetGroups") else {
        out.services = m.get("Services").cloned();
        return out;
    };
    let tp = join(path, "TargetGroups");
    let mut services = match m.get("Services") {
        Some(Value::Object(s)) => s.clone(),
        None => Map::new(),
        Some(other) => {
            out.services = Some(other.clone());
            return out;
        }
    };
    let head = "TargetGroups must be a mapping of names to {Port, Protocol, HealthCheck, Services: [{Name: family:container, Port}]}";
    for (name, tg) in map_or(v, &tp, head, &mut ctx.d).into_iter().flatten() {
        let gp = join(&tp, name);
        // Refused until it is read whole: listeners naming it then report nothing more.
        out.keys.insert(name.clone(), String::new());
        // ECS ComposeX's pattern; a listener target tells a group from a family:container by it.
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')) {
            ctx.d.error(
                "CX4381",
                &gp,
                format!("{name:?} is not a target group name: letters, digits, '-', '.' and '_' only"),
            );
            continue;
        }
        let Some(g) = map_or(tg, &gp, head, &mut ctx.d) else { continue };
        let mut spec = Map::new();
        for (k, v) in g {
            match k.as_str() {
                "Protocol" => {
                    spec.insert("protocol".into(), v.clone());
                }
                "HealthCheck" => {
                    spec.insert("healthcheck".into(), v.clone());
                }
                "TargetGroupAttributes" | "ProtocolVersion" => {
                    spec.insert(k.clone(), v.clone());
                }
                "Port" | "Services" => {}
                _ => ctx.d.error("CX4317", 
                    join(&gp, k),
                    format!("{k:?} is not a target group key; use Port, Protocol, HealthCheck, Services, TargetGroupAttributes or ProtocolVersion"),
                ),
            }
        }
        let sp = join(&gp, "Services");
        let members = g
            .get("Services")
            .and_then(|v| seq_or(v, &sp, "Services must be a list of {Name: family:container, Port}", &mut ctx.d));
        let members = members.cloned().unwrap_or_default();
        if members.is_empty() {
            ctx.d.error(
                "CX4318",
                &sp,
                "a target group needs the containers it sends to: Services: [{Name: family:container}]",
            );
            continue;
        }
        let mut names = Vec::new();
        for (i, member) in members.iter().enumerate() {
            let mp = index(&sp, i);
            match member.get("Name").and_then(|n| literal(n, &join(&mp, "Name"), "a family:container name", &mut ctx.d))
            {
                Some(n) => names.push((n, mp)),
                None if member.get("Name").is_none() => {
                    ctx.d.error("CX4319", join(&mp, "Name"), "a target group member needs Name, family:container")
                }
                None => {}
            }
        }
        if names.len() != members.len() {
            continue;
        }
        // The group's Port is the container port ECS registers for every member; the members'
        // Port only stands in for it when the group has none and they agree.
        let member_ports: BTreeSet<u64> =
            members.iter().filter_map(|m| m.get("Port").and_then(Value::as_u64)).collect();
        let port = match g.get("Port") {
            Some(p) => p.as_u64(),
            None if member_ports.len() == 1 => member_ports.first().copied(),
            None => None,
        };
        let Some(port) = port.and_then(|n| u16::try_from(n).ok()) else {
            ctx.d.error(
                "CX4320",
                join(&gp, "Port"),
                "a target group needs Port, the container port the load balancer sends to",
            );
            continue;
        };
        for (member, (_, mp)) in members.iter().zip(&names) {
            if let Some(member_port) = member.get("Port").and_then(Value::as_u64).filter(|p| *p != u64::from(port)) {
                ctx.d.warn(
                    "CX4321",
                    join(mp, "Port"),
                    format!("ignored: the load balancer sends to the target group's Port {port}, not {member_port}"),
                );
            }
        }
        spec.insert("port".into(), json!(port));
        if names.len() > 1 {
            out.keys.insert(name.clone(), name.clone());
            out.paths.insert(name.clone(), gp.clone());
            out.shared.push(Shared { name: name.clone(), path: gp, spec, members: names });
            continue;
        }
        let key = format!("{}:{port}", names[0].0);
        if services.contains_key(&key) {
            ctx.d.error("CX4322", &gp, format!("{key} is also in Services; declare it once"));
            continue;
        }
        services.insert(key.clone(), Value::Object(spec));
        out.keys.insert(name.clone(), key.clone());
        out.paths.insert(key, gp);
    }
    out.services = Some(Value::Object(services));
    out
}

/// `family:container:port` → (`family:container`, port); `None` for other names.
fn split_port(raw: &str) -> Option<(&str, u16)> {
    let (rest, port) = raw.rsplit_once(':')?;
    rest.contains(':').then_some(())?;
    port.parse().ok().map(|p| (rest, p))
}

/// `family:container`, or a name that stands for exactly one container (a family of one
/// service, or a service in one family), as (family, container).
fn resolve(ctx: &mut Ctx, raw: &str, path: &str) -> Option<(String, String)> {
    match raw.split_once(':') {
        Some((f, c)) => {
            let Some(fam) = ctx.plan.families.list.get(f) else {
                ctx.d.error(
                    "CX4069",
                    path,
                    format!("{f:?} is not a task family of this file (a target is named family:container)"),
                );
                return None;
            };
            if !fam.services.iter().any(|s| s == c) {
                let list = fam.services.join(", ");
                ctx.d.error(
                    "CX4070",
                    path,
                    format!("{c:?} is not a container of task family {f:?}, whose containers are {list}"),
                );
                return None;
            }
            Some((f.to_string(), c.to_string()))
        }
        None => {
            if let Some(fam) = ctx.plan.families.list.get(raw).filter(|f| f.services.len() == 1) {
                return Some((raw.to_string(), fam.services[0].clone()));
            }
            if let Some(fams) = ctx.plan.families.of_service.get(raw).filter(|f| f.len() == 1) {
                return Some((fams[0].clone(), raw.to_string()));
            }
            ctx.d.error(
                "CX4071",
                path,
                format!("{raw:?} does not name one container; name the target family:container"),
            );
            None
        }
    }
}

/// `Services`: one target group per `family:container`; with every key declared, valid or not
/// (a listener naming an invalid one has its error already).
fn services(
    ctx: &mut Ctx,
    lb_name: &str,
    lb_id: &str,
    v: Option<&Value>,
    path: &str,
    ty: LbType,
) -> (BTreeMap<String, Target>, BTreeSet<String>) {
    let mut out = BTreeMap::new();
    let mut declared_keys = BTreeSet::new();
    let entries: Vec<(String, Value, String)> = match v {
        None => {
            ctx.d.error("CX4072", path, "a load balancer needs Services: the containers it sends to, as \"family:container\": {port, protocol, healthcheck}");
            return (out, declared_keys);
        }
        Some(Value::Object(m)) if !is_intrinsic(v.unwrap_or(&Value::Null)) => {
            m.iter().filter(|(k, _)| !k.starts_with("x-")).map(|(k, s)| (k.clone(), s.clone(), join(path, k))).collect()
        }
        // The legacy list form: [{name: family:container, port, …}].
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, it)| {
                let name = it.get("name").and_then(Value::as_str)?.to_string();
                let mut spec = it.clone();
                if let Some(o) = spec.as_object_mut() {
                    o.remove("name");
                }
                Some((name, spec, index(path, i)))
            })
            .collect(),
        Some(other) => {
            ctx.d.error(
                "CX4073",
                path,
                format!("Services must be a mapping of \"family:container\" to target settings, not {}", kind(other)),
            );
            return (out, declared_keys);
        }
    };
    for (raw, mut spec, p) in entries {
        // `family:container:port` (ECS ComposeX's newer form) names one port of the container.
        let (raw, named_port) = match split_port(&raw) {
            Some((rest, port)) => (rest, Some(port)),
            None => (raw.as_str(), None),
        };
        let Some((family, container)) = resolve(ctx, raw, &p) else { continue };
        let key = match named_port {
            Some(port) => {
                match spec.get("port").and_then(Value::as_u64) {
                    Some(n) if n != u64::from(port) => {
                        ctx.d.error(
                            "CX4323",
                            join(&p, "port"),
                            format!("{n} is not the port {port} the target's name gives; make them the same"),
                        );
                        continue;
                    }
                    Some(_) => {}
                    None => {
                        if let Some(o) = spec.as_object_mut() {
                            o.entry("port").or_insert_with(|| json!(port));
                        }
                    }
                }
                format!("{family}:{container}:{port}")
            }
            None => format!("{family}:{container}"),
        };
        declared_keys.insert(key.clone());
        if out.contains_key(&key) {
            ctx.d.error("CX4074", &p, format!("{key} is already a target of {lb_name}"));
            continue;
        }
        let head = "a target must be a mapping with port, protocol and healthcheck";
        let Some(sm) = map_or(&spec, &p, head, &mut ctx.d) else { continue };
        let Some(port) = target_port(ctx, sm, &p) else { continue };
        let member = MemberRef {
            family: family.clone(),
            container: container.clone(),
            port_path: join(&p, "port"),
            protocol_path: join(&p, "protocol"),
        };
        let Some(settings) = settings(ctx, sm, &p, false, port, ty, &[member]) else { continue };
        let fam_id = ctx.plan.families.list[&family].id.clone();
        let container_part = if pascal(&container) == fam_id { String::new() } else { pascal(&container) };
        let id = format!(
            "{lb_id}{fam_id}{container_part}{}TargetGroup",
            named_port.map(|n| n.to_string()).unwrap_or_default()
        );
        out.insert(key.clone(), settings.target(port, id, family, format!("x-elbv2 {lb_name} target {key}")));
    }
    (out, declared_keys)
}

/// A target group of `TargetGroups` that lists several containers: one target group, in which the
/// ECS service of each container's family registers its tasks on the group's Port. Containers of
/// one task family share the task's network address, so one family appears once.
fn shared_target(ctx: &mut Ctx, lb_name: &str, lb_id: &str, group: &Shared, ty: LbType) -> Option<Target> {
    let port = target_port(ctx, &group.spec, &group.path)?;
    let mut members: Vec<MemberRef> = Vec::new();
    let mut ok = true;
    for (raw, mp) in &group.members {
        let Some((family, container)) = resolve(ctx, raw, &join(mp, "Name")) else {
            ok = false;
            continue;
        };
        if let Some(other) = members.iter().find(|m| m.family == family) {
            let first = other.container.clone();
            if first == container {
                ctx.d.error("CX4403", join(mp, "Name"), format!("{family}:{container} is listed twice; list it once"));
            } else {
                ctx.d.error("CX4404",
                    join(mp, "Name"),
                    format!("{first:?} and {container:?} both run in task family {family:?}, whose tasks have one network address: the target group reaches each task on port {port}, where only one container can listen; list the one that listens on {port}"),
                );
            }
            ok = false;
            continue;
        }
        members.push(MemberRef { family, container, port_path: mp.clone(), protocol_path: mp.clone() });
    }
    if !ok {
        return None;
    }
    let settings = settings(ctx, &group.spec, &group.path, true, port, ty, &members)?;
    let id = format!("{lb_id}{}TargetGroup", pascal(&group.name));
    Some(settings.target(port, id, group.path.clone(), format!("x-elbv2 {lb_name} target group {}", group.name)))
}

/// A container a target sends to, with the paths its port and protocol errors are reported at.
struct MemberRef {
    family: String,
    container: String,
    port_path: String,
    protocol_path: String,
}

/// What a target's settings make of it, for the containers it sends to.
struct Settings {
    members: Vec<Member>,
    protocol: String,
    health: Health,
    attributes: Vec<Value>,
    extra: Map<String, Value>,
}

impl Settings {
    fn target(self, port: u16, id: String, owner: String, why: String) -> Target {
        Target {
            members: self.members,
            port,
            protocol: self.protocol,
            id,
            owner,
            health: self.health.props,
            health_port: self.health.port,
            attributes: self.attributes,
            extra: self.extra,
            why,
        }
    }
}

/// A target's `port`, after its keys are checked.
fn target_port(ctx: &mut Ctx, sm: &Map<String, Value>, p: &str) -> Option<u16> {
    for k in sm.keys() {
        if !matches!(k.as_str(), "port" | "protocol" | "healthcheck" | "TargetGroupAttributes" | "ProtocolVersion") {
            ctx.d.error("CX4075", join(p, k), format!("{k:?} is not a target key; use port, protocol, healthcheck, TargetGroupAttributes or ProtocolVersion"));
        }
    }
    let Some(pv) = sm.get("port") else {
        ctx.d.error("CX4076", join(p, "port"), "a target needs port, the container port the load balancer sends to");
        return None;
    };
    uint(pv, &join(p, "port"), "port", &mut ctx.d).and_then(|n| u16::try_from(n).ok())
}

/// A target's protocol, health check, attributes and protocol version (`sm`, at `p`; `group`
/// when they come from a target group of `TargetGroups`, whose keys are written `Protocol` and
/// `HealthCheck`), checked against every container it sends to on `port`.
fn settings(
    ctx: &mut Ctx,
    sm: &Map<String, Value>,
    p: &str,
    group: bool,
    port: u16,
    ty: LbType,
    refs: &[MemberRef],
) -> Option<Settings> {
    let key_path = |key: &str| match (group, key) {
        (true, "protocol") => join(p, "Protocol"),
        (true, "healthcheck") => join(p, "HealthCheck"),
        _ => join(p, key),
    };
    // The protocols each container declares the port with.
    let mut listening: Vec<Vec<Protocol>> = Vec::new();
    for m in refs {
        let s = &ctx.project.services[&m.container];
        let declared: Vec<(u16, Protocol)> = s.container_ports().map(|p| (p.target, p.protocol)).collect();
        let protos: Vec<Protocol> = declared.iter().filter(|(t, _)| *t == port).map(|(_, pr)| *pr).collect();
        if protos.is_empty() {
            let list: BTreeSet<String> = declared.iter().map(|(t, _)| t.to_string()).collect();
            let list: Vec<String> = list.into_iter().collect();
            let container = &m.container;
            ctx.d.error(
                "CX4077",
                &m.port_path,
                format!(
                    "{container:?} does not listen on {port}; its ports are {}",
                    if list.is_empty() { "none: declare it in ports or expose".to_string() } else { list.join(", ") }
                ),
            );
        }
        listening.push(protos);
    }
    if listening.iter().any(Vec::is_empty) {
        return None;
    }
    let container_protocol =
        |protos: &[Protocol]| if protos.contains(&Protocol::Tcp) { Protocol::Tcp } else { Protocol::Udp };
    let protocol = match sm.get("protocol") {
        Some(v) => literal(v, &key_path("protocol"), "a protocol", &mut ctx.d)?.to_ascii_uppercase(),
        None => match ty {
            LbType::Application => "HTTP".into(),
            LbType::Network if listening.iter().all(|protos| container_protocol(protos) == Protocol::Udp) => {
                "UDP".into()
            }
            LbType::Network => "TCP".into(),
        },
    };
    let allowed = if ty == LbType::Application { ALB_PROTOCOLS } else { NLB_PROTOCOLS };
    if !allowed.contains(&protocol.as_str()) {
        ctx.d.error(
            "CX4078",
            key_path("protocol"),
            format!(
                "{protocol:?} is not a target protocol of {} {} load balancer; use {}",
                if ty == LbType::Application { "an" } else { "a" },
                ty.as_str(),
                allowed.join(", ")
            ),
        );
        return None;
    }
    let needs_udp = matches!(protocol.as_str(), "UDP" | "TCP_UDP");
    let needs_tcp = protocol != "UDP";
    let mut matched = true;
    for (m, protos) in refs.iter().zip(&listening) {
        if (needs_udp && !protos.contains(&Protocol::Udp)) || (needs_tcp && !protos.contains(&Protocol::Tcp)) {
            let container = &m.container;
            ctx.d.error(
                "CX4079",
                &m.protocol_path,
                format!(
                    "{protocol} does not match port {port} of {container:?}, which is {}",
                    protos.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(" and ")
                ),
            );
            matched = false;
        }
    }
    if !matched {
        return None;
    }
    // Every member's family must answer the health check: its port is one they all declare.
    let family_ports: Vec<Vec<u16>> = refs.iter().map(|m| auto::family_ports(ctx, &m.family)).collect();
    let any_family_port: Vec<u16> =
        family_ports.iter().flatten().copied().collect::<BTreeSet<u16>>().into_iter().collect();
    let hp = key_path("healthcheck");
    let health: Option<Health> = match sm.get("healthcheck") {
        None => {
            // Each container's own HTTP check when they agree, else the load balancer's default.
            let checks: Vec<Health> = refs
                .iter()
                .zip(&family_ports)
                .map(|(m, ports)| {
                    let s = &ctx.project.services[&m.container];
                    health::from_container(&mut ctx.d, s, port, ports, ty, &protocol)
                })
                .collect();
            let same = checks.windows(2).all(|w| w[0].props == w[1].props && w[0].port == w[1].port);
            if same {
                checks.into_iter().next()
            } else {
                Some(health::default(ty, &protocol))
            }
        }
        Some(Value::String(text)) => health::parse_string(&mut ctx.d, text, &hp, port, &any_family_port),
        Some(Value::Object(o)) if !is_intrinsic(&Value::Object(o.clone())) => {
            health::parse_object(&mut ctx.d, o, &hp, port, &any_family_port)
        }
        Some(other) => {
            ctx.d.error("CX4080", &hp, format!("healthcheck must be a string like \"{port}:HTTP:/health:200\" or a mapping of HealthCheck properties, not {}", kind(other)));
            None
        }
    };
    let health = health?;
    if let Some(check_port) = health.port {
        let mut reachable = true;
        for (m, ports) in refs.iter().zip(&family_ports) {
            if !ports.contains(&check_port) {
                let family = &m.family;
                ctx.d.error(
                    "CX4405",
                    &hp,
                    format!("the health check is on port {check_port}, which no container of task family {family:?} declares, so its tasks would never be healthy; check a port every family of the target group declares"),
                );
                reachable = false;
            }
        }
        if !reachable {
            return None;
        }
    }
    if ty == LbType::Application && health.props.get("HealthCheckProtocol").and_then(Value::as_str) == Some("TCP") {
        ctx.d.error("CX4081", &hp, "application load balancers check health over HTTP or HTTPS, not TCP");
        return None;
    }
    let attributes = match sm.get("TargetGroupAttributes") {
        Some(a) => target_group_attributes(ctx, a, &join(p, "TargetGroupAttributes"), ty),
        None => Vec::new(),
    };
    let mut extra = Map::new();
    if let Some(pv) = sm.get("ProtocolVersion") {
        let kp = join(p, "ProtocolVersion");
        match literal(pv, &kp, "a protocol version", &mut ctx.d).as_deref() {
            Some(v @ ("HTTP1" | "HTTP2" | "GRPC")) if ty == LbType::Application => {
                extra.insert("ProtocolVersion".into(), json!(v));
            }
            Some(v @ ("HTTP1" | "HTTP2" | "GRPC")) => ctx.d.error(
                "CX4082",
                &kp,
                format!("{v} is a protocol version of application load balancers' targets only"),
            ),
            Some(other) => {
                ctx.d.error("CX4083", &kp, format!("{other:?} is not a protocol version; use HTTP1, HTTP2 or GRPC"))
            }
            None => {}
        }
    }
    let members = refs
        .iter()
        .zip(&listening)
        .map(|(m, protos)| Member {
            family: m.family.clone(),
            container: m.container.clone(),
            container_protocol: container_protocol(protos),
            grace: ctx.project.services[&m.container]
                .healthcheck
                .as_ref()
                .and_then(|h| h.start_period)
                .map(|p| p.ceil() as u64),
        })
        .collect();
    Some(Settings { members, protocol, health, attributes, extra })
}

/// `TargetGroupAttributes` as a list of {Key, Value} or a mapping {key: value}; values become
/// strings, as CloudFormation wants them.
fn target_group_attributes(ctx: &mut Ctx, v: &Value, path: &str, ty: LbType) -> Vec<Value> {
    let pairs: Vec<(String, Value, String)> = match v {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, it)| {
                let ip = index(path, i);
                match (it.get("Key").and_then(Value::as_str), it.get("Value")) {
                    (Some(k), Some(v)) => Some((k.to_string(), v.clone(), ip)),
                    _ => {
                        ctx.d.error("CX4084", &ip, "an attribute must be {Key, Value}");
                        None
                    }
                }
            })
            .collect(),
        Value::Object(m) if !is_intrinsic(v) => m.iter().map(|(k, v)| (k.clone(), v.clone(), join(path, k))).collect(),
        other => {
            ctx.d.error(
                "CX4085",
                path,
                format!("TargetGroupAttributes must be a list of {{Key, Value}} or a mapping, not {}", kind(other)),
            );
            return Vec::new();
        }
    };
    let (mine, other) =
        if ty == LbType::Application { (ALB_ATTRIBUTES, NLB_ATTRIBUTES) } else { (NLB_ATTRIBUTES, ALB_ATTRIBUTES) };
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (k, val, p) in pairs {
        if !seen.insert(k.clone()) {
            ctx.d.error("CX4086", &p, format!("{k} is set twice"));
            continue;
        }
        if !mine.contains(&k.as_str()) {
            if other.contains(&k.as_str()) {
                ctx.d.error(
                    "CX4087",
                    &p,
                    format!(
                        "{k} is a target group attribute of {} load balancers, and this one is {}",
                        if ty == LbType::Application { "network" } else { "application" },
                        ty.as_str()
                    ),
                );
                continue;
            }
            ctx.d.warn(
                "CX4088",
                &p,
                format!("{k} is not a target group attribute ComposeX knows; it is passed as written"),
            );
        }
        let text = match &val {
            Value::String(s) => json!(s),
            Value::Bool(b) => json!(b.to_string()),
            Value::Number(n) => json!(n.to_string()),
            v if is_intrinsic(v) => v.clone(),
            other => {
                ctx.d.error("CX4089", &p, format!("an attribute value must be a string, not {}", kind(other)));
                continue;
            }
        };
        out.push(json!({"Key": k, "Value": text}));
    }
    out
}

/// Why a load balancer's source takes no `Ports`.
const LB_PORTS: &str = "a source of a load balancer reaches each of its listeners' ports, and cannot be narrowed to some yet; remove Ports, or split the listeners over two load balancers with their own Ingress";

/// `MacroParameters.Ingress`: who may reach the listeners, instead of the whole internet.
fn ingress_sources(ctx: &mut Ctx, v: &Value, path: &str) -> Vec<Source> {
    let mut out = Vec::new();
    let Some(m) = map_or(v, path, "Ingress must be a mapping with ExtSources and AwsSources", &mut ctx.d) else {
        return out;
    };
    for (k, iv) in m {
        let ip = join(path, k);
        match k.as_str() {
            "Myself" => {
                ctx.d.error("CX4400", &ip, "a load balancer runs no tasks of its own to let in; remove Myself (a service's x-network.Ingress.Myself lets its own tasks reach it)");
                continue;
            }
            "Services" => {
                ctx.d.error("CX4401", &ip, "services reaching a load balancer from inside the VPC are not built yet: its Ingress takes ExtSources and AwsSources; give the VPC's CIDR under ExtSources, or reach the service itself through its x-network.Ingress.Services");
                continue;
            }
            _ => {}
        }
        let Some(items) = seq_or(iv, &ip, &format!("{k} must be a list"), &mut ctx.d) else { continue };
        match k.as_str() {
            "ExtSources" => {
                for (i, item) in items.iter().enumerate() {
                    let sp = index(&ip, i);
                    let Some(e) = crate::ext::network::ext_source(&mut ctx.d, item, &sp) else { continue };
                    if let Some(p) = &e.ports {
                        ctx.d.error("CX4398", &p.path, LB_PORTS);
                    }
                    let name = e.name.unwrap_or_else(|| e.cidr.clone());
                    let why = e.description.map(|d| format!("ExtSources {d}")).unwrap_or_else(|| "ExtSources".into());
                    out.push(Source::Cidr { v6: e.v6, cidr: e.cidr, name, why });
                }
            }
            "AwsSources" => {
                for (i, item) in items.iter().enumerate() {
                    let sp = index(&ip, i);
                    let ty = item.get("Type").and_then(Value::as_str).unwrap_or_default().to_string();
                    if item.get("Ports").is_some() {
                        ctx.d.error("CX4399", join(&sp, "Ports"), LB_PORTS);
                    }
                    let Some(id) = item.get("Id").filter(|v| v.is_string() || is_intrinsic(v)).cloned() else {
                        ctx.d.error(
                            "CX4090",
                            join(&sp, "Id"),
                            "an AWS source needs Id, the security group or prefix list ID (or an intrinsic function)",
                        );
                        continue;
                    };
                    let label = id.as_str().map(str::to_string).unwrap_or_else(|| format!("{ty}{i}"));
                    let literal_ok = |prefix: &str| id.as_str().is_none_or(|s| s.starts_with(prefix));
                    match ty.as_str() {
                        "SecurityGroup" if literal_ok("sg-") => out.push(Source::SecurityGroup(label, id)),
                        "PrefixList" if literal_ok("pl-") => out.push(Source::PrefixList(label, id)),
                        "SecurityGroup" | "PrefixList" => {
                            ctx.d.error("CX4091", join(&sp, "Id"), format!("{label:?} is not a {ty} ID"))
                        }
                        _ => ctx.d.error(
                            "CX4092",
                            join(&sp, "Type"),
                            format!("{ty:?} is not an AWS source type; use SecurityGroup or PrefixList"),
                        ),
                    }
                }
            }
            _ => ctx.d.error(
                "CX4093",
                &ip,
                format!("{k:?} is not a load balancer Ingress key; use ExtSources or AwsSources"),
            ),
        }
    }
    if out.is_empty() {
        ctx.d.warn("CX4094", path, "no source may reach the listeners: the load balancer is closed to everyone");
    }
    out
}

/// One listener of `Listeners`.
fn listener(
    ctx: &mut Ctx,
    v: &Value,
    path: &str,
    ty: LbType,
    (lb_id, targets, groups): (&str, &BTreeMap<String, Target>, &BTreeMap<String, String>),
    declared: &BTreeSet<String>,
    known: &Known,
) -> Option<Listener> {
    let head = "a listener must be a mapping with Port, Protocol and Targets or DefaultActions";
    let m = map_or(v, path, head, &mut ctx.d)?;
    for k in m.keys() {
        if !matches!(k.as_str(), "Port" | "Protocol" | "Certificates" | "SslPolicy" | "DefaultActions" | "Targets") {
            ctx.d.error("CX4095", join(path, k), format!("{k:?} is not a listener key; use Port, Protocol, Certificates, SslPolicy, DefaultActions or Targets"));
        }
    }
    let Some(pv) = m.get("Port") else {
        ctx.d.error("CX4096", join(path, "Port"), "a listener needs Port");
        return None;
    };
    let port = uint(pv, &join(path, "Port"), "port", &mut ctx.d).and_then(|n| u16::try_from(n).ok().filter(|p| *p > 0));
    let Some(port) = port else {
        if pv.as_u64().is_some() {
            ctx.d.error("CX4097", join(path, "Port"), format!("{} is not a port number (1-65535)", show(pv)));
        }
        return None;
    };
    let allowed = if ty == LbType::Application { ALB_PROTOCOLS } else { NLB_PROTOCOLS };
    let mut protocol = match m.get("Protocol") {
        Some(v) => literal(v, &join(path, "Protocol"), "a protocol", &mut ctx.d)?.to_ascii_uppercase(),
        None => allowed[0].to_string(),
    };
    if !allowed.contains(&protocol.as_str()) {
        ctx.d.error(
            "CX4098",
            join(path, "Protocol"),
            format!(
                "{protocol:?} is not a listener protocol of {} {} load balancer; use {}{}",
                if ty == LbType::Application { "an" } else { "a" },
                ty.as_str(),
                allowed.join(", "),
                if ty == LbType::Application {
                    ", or make it a network load balancer (Properties.Type: network)"
                } else {
                    ""
                }
            ),
        );
        return None;
    }
    // Certificates: x-acm names, or ARNs.
    let cp = join(path, "Certificates");
    let items = m.get("Certificates").and_then(|v| seq_or(v, &cp, "Certificates must be a list", &mut ctx.d));
    let certs: Vec<(String, Value)> = (items.into_iter().flatten().enumerate())
        .filter_map(|(i, item)| certificate(&mut ctx.d, item, &index(&cp, i), i, known.certificates))
        .collect();
    if !certs.is_empty() {
        match protocol.as_str() {
            "HTTP" => {
                ctx.d.warn(
                    "CX4099",
                    join(path, "Protocol"),
                    "HTTP with certificates: the listener ends TLS, so it is HTTPS",
                );
                protocol = "HTTPS".into();
            }
            "TCP" => {
                ctx.d.warn(
                    "CX4100",
                    join(path, "Protocol"),
                    "TCP with certificates: the listener ends TLS, so it is TLS",
                );
                protocol = "TLS".into();
            }
            "UDP" | "TCP_UDP" => {
                ctx.d.error(
                    "CX4101",
                    join(path, "Certificates"),
                    format!(
                        "{} {protocol} listener cannot end TLS; use TLS, or remove Certificates",
                        article(&protocol)
                    ),
                );
                return None;
            }
            _ => {}
        }
    } else if matches!(protocol.as_str(), "HTTPS" | "TLS") {
        // Certificates that were given but are wrong have their own errors.
        if !m.contains_key("Certificates") {
            ctx.d.error(
                "CX4102",
                join(path, "Certificates"),
                format!(
                    "{} {protocol} listener needs Certificates: [{{x-acm: NAME}}] or [{{CertificateArn: ARN}}]",
                    article(&protocol)
                ),
            );
        }
        return None;
    }
    let ssl_policy = m.get("SslPolicy").cloned();
    if ssl_policy.is_some() && !matches!(protocol.as_str(), "HTTPS" | "TLS") {
        ctx.d.warn(
            "CX4103",
            join(path, "SslPolicy"),
            format!("ignored: {} {protocol} listener does not end TLS", article(&protocol)),
        );
    }

    let dp = join(path, "DefaultActions");
    let mut default = m.get("DefaultActions").and_then(|v| default_action(&mut ctx.d, v, &dp, ty, &protocol));
    let explicit_default = default.is_some();

    // Targets: the default (access /) and rules.
    let mut rules = Vec::new();
    let mut default_auth = None;
    if let Some(tv) = m.get("Targets") {
        let tp = join(path, "Targets");
        let items =
            seq_or(tv, &tp, "Targets must be a list of {name, access}", &mut ctx.d).cloned().unwrap_or_default();
        if ty == LbType::Network && items.len() > 1 {
            ctx.d.error(
                "CX4104",
                &tp,
                "a network load balancer listener sends to one target; give each target its own listener",
            );
            return None;
        }
        for (i, item) in items.iter().enumerate() {
            let ip = index(&tp, i);
            let Some(o) = item.as_object() else {
                ctx.d.error(
                    "CX4105",
                    &ip,
                    format!("a target must be a mapping with name and access, not {}", kind(item)),
                );
                continue;
            };
            for k in o.keys() {
                match k.as_str() {
                    "name" | "access" | "Conditions" | "AuthenticateCognitoConfig" | "AuthenticateOidcConfig" | "CreateCognitoClient" => {}
                    _ => ctx.d.error("CX4107", join(&ip, k), format!("{k:?} is not a listener target key; use name, access, Conditions, AuthenticateOidcConfig, AuthenticateCognitoConfig or CreateCognitoClient")),
                }
            }
            let Some(raw) = o.get("name").and_then(|n| literal(n, &join(&ip, "name"), "a target name", &mut ctx.d))
            else {
                if !o.contains_key("name") {
                    ctx.d.error(
                        "CX4108",
                        join(&ip, "name"),
                        "a listener target needs name, family:container of x-elbv2 Services",
                    );
                }
                continue;
            };
            let client_id = format!("{lb_id}Listener{port}{}CognitoClient", pascal(&raw));
            let auth = if o.contains_key("CreateCognitoClient") {
                cognito_client(ctx, o, &ip, &protocol, ty, known, &client_id, lb_id)
            } else {
                authentication(ctx, o, &ip, &protocol, ty)
            };
            if auth == Some(None) {
                continue;
            }
            let auth = auth.flatten();
            let key = match groups.get(&raw).cloned() {
                // A target group of TargetGroups that is refused (its error is reported).
                Some(k) if k.is_empty() => continue,
                // A target group of TargetGroups of several containers.
                Some(k) if !k.contains(':') => k,
                grouped => {
                    let raw = grouped.unwrap_or(raw);
                    let (name, named_port) = match split_port(&raw) {
                        Some((rest, port)) => (rest, Some(port)),
                        None => (raw.as_str(), None),
                    };
                    let Some((f, c)) = resolve(ctx, name, &join(&ip, "name")) else { continue };
                    match named_port {
                        Some(port) => format!("{f}:{c}:{port}"),
                        None => format!("{f}:{c}"),
                    }
                }
            };
            let Some(t) = targets.get(&key) else {
                if declared.contains(&key) {
                    continue;
                }
                ctx.d.error(
                    "CX4109",
                    join(&ip, "name"),
                    format!("{key} is not in this load balancer's Services; declare its port and protocol there"),
                );
                continue;
            };
            if ty == LbType::Network {
                // The pairs network load balancers accept.
                let ok = match protocol.as_str() {
                    "TCP" => matches!(t.protocol.as_str(), "TCP" | "TCP_UDP"),
                    "TLS" => matches!(t.protocol.as_str(), "TCP" | "TLS"),
                    "UDP" => matches!(t.protocol.as_str(), "UDP" | "TCP_UDP"),
                    other => t.protocol == other,
                };
                if !ok {
                    ctx.d.error(
                        "CX4110",
                        join(&ip, "name"),
                        format!(
                            "{} {protocol} listener cannot send to the {} target {key}",
                            article(&protocol),
                            t.protocol
                        ),
                    );
                    continue;
                }
                if let Some(a) = o.get("access").and_then(Value::as_str).filter(|a| *a != "/") {
                    ctx.d.warn(
                        "CX4111",
                        join(&ip, "access"),
                        format!("ignored: network load balancers do not route by host or path ({a:?})"),
                    );
                }
                default = Some(Action::Forward(key));
                continue;
            }
            let conditions = match (o.get("Conditions"), o.get("access")) {
                (Some(Value::Array(c)), _) => c.clone(),
                (Some(other), _) => {
                    ctx.d.error(
                        "CX4112",
                        join(&ip, "Conditions"),
                        format!("Conditions must be a list of listener rule conditions, not {}", kind(other)),
                    );
                    continue;
                }
                (None, None) => Vec::new(),
                (None, Some(a)) => {
                    let Some(text) = literal(a, &join(&ip, "access"), "access", &mut ctx.d) else { continue };
                    match access(&text) {
                        Ok(c) => c,
                        Err(why) => {
                            ctx.d.error("CX4113", join(&ip, "access"), why);
                            continue;
                        }
                    }
                }
            };
            if conditions.is_empty() {
                if default.is_none() {
                    default = Some(Action::Forward(key));
                    default_auth = auth;
                    continue;
                }
                if !explicit_default {
                    ctx.d.error("CX4114", join(&ip, "access"), "another target of this listener already takes every request (access /); give this one a host or a path");
                    continue;
                }
                // The default is a redirect or another action: "/" becomes a rule for every path.
                rules.push(Rule {
                    target: key,
                    conditions: vec![json!({"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}})],
                    auth,
                });
                continue;
            }
            rules.push(Rule { target: key, conditions, auth });
        }
    }
    let default = match default {
        Some(d) => d,
        None if ty == LbType::Application => Action::NotFound,
        None => {
            ctx.d.error("CX4115", path, "a listener needs Targets or DefaultActions");
            return None;
        }
    };
    if rules.len() > 100 {
        ctx.d.error("CX4116", join(path, "Targets"), "a listener takes at most 100 rules");
    }
    Some(Listener {
        port,
        protocol,
        certificates: certs,
        ssl_policy,
        default,
        default_auth,
        rules,
        path: path.to_string(),
    })
}

/// `DefaultActions`: one predefined redirect, or a CloudFormation listener action.
fn default_action(d: &mut Diagnostics, v: &Value, path: &str, ty: LbType, protocol: &str) -> Option<Action> {
    let items = seq_or(v, path, "DefaultActions must be a list", d)?;
    let [item] = items.as_slice() else {
        d.error("CX4117", path, "DefaultActions takes one action");
        return None;
    };
    let ip = index(path, 0);
    match item.get("Redirect") {
        Some(r) if r.as_str() == Some("HTTP_TO_HTTPS") && ty == LbType::Application && protocol == "HTTP" => {
            return Some(Action::Raw(json!({"Type": "redirect", "RedirectConfig": {
                "Protocol": "HTTPS", "Port": "443", "Host": "#{host}", "Path": "/#{path}",
                "Query": "#{query}", "StatusCode": "HTTP_301"}})));
        }
        Some(r) if r.as_str() == Some("HTTP_TO_HTTPS") => d.error(
            "CX4118",
            join(&ip, "Redirect"),
            "HTTP_TO_HTTPS redirects an HTTP listener of an application load balancer",
        ),
        Some(r) => d.error(
            "CX4119",
            join(&ip, "Redirect"),
            format!("{} is not a predefined redirect; use HTTP_TO_HTTPS", show(r)),
        ),
        None if item.get("Type").is_some() => return Some(Action::Raw(item.clone())),
        None => d.error(
            "CX4120",
            &ip,
            "a default action is {Redirect: HTTP_TO_HTTPS}, or a CloudFormation listener action with Type",
        ),
    }
    None
}

/// One item of a listener's `Certificates`: an `x-acm` name or an ARN, as (name, ARN).
fn certificate(
    d: &mut Diagnostics,
    item: &Value,
    ip: &str,
    i: usize,
    certificates: &BTreeMap<String, Value>,
) -> Option<(String, Value)> {
    let keys: Vec<&String> = item.as_object().map(|o| o.keys().collect()).unwrap_or_default();
    if keys.len() != 1 {
        d.error("CX4121", ip, "a certificate is {x-acm: NAME}, {CertificateArn: ARN} or {Arn: ARN}");
        return None;
    }
    let (k, val) = (keys[0].as_str(), &item[keys[0].as_str()]);
    let kp = join(ip, k);
    match k {
        "x-acm" => {
            let n = literal(val, &kp, "a certificate name", d)?;
            if let Some(arn) = certificates.get(&n) {
                return Some((n, arn.clone()));
            }
            let known = certificates.keys().cloned().collect::<Vec<_>>().join(", ");
            let known = if known.is_empty() { known } else { format!(" ({known})") };
            d.error("CX4122", kp, format!("{n:?} is not a certificate of x-acm{known}"));
        }
        "CertificateArn" | "Arn" => match val {
            Value::String(s) if s.starts_with("arn:") && (s.contains(":acm:") || s.contains(":iam::")) => {
                let short = s.rsplit('/').next().unwrap_or(s).chars().take(8).collect::<String>();
                return Some((format!("Arn{short}"), val.clone()));
            }
            v if is_intrinsic(v) => return Some((format!("Arn{}", i + 1), v.clone())),
            other => d.error(
                "CX4123",
                kp,
                format!(
                    "{} is not a certificate ARN (arn:aws:acm:… or arn:aws:iam::…:server-certificate/…)",
                    show(other)
                ),
            ),
        },
        other => d.error("CX4124", kp, format!("{other:?} is not a certificate key; use x-acm, CertificateArn or Arn")),
    }
    None
}

/// "an HTTP", "a TCP".
/// The keys of `AuthenticateOidcConfig`, the required ones first (ELB's `AuthenticateOidcConfig`).
const OIDC_REQUIRED: &[&str] = &["Issuer", "AuthorizationEndpoint", "TokenEndpoint", "UserInfoEndpoint", "ClientId"];
const OIDC_OPTIONAL: &[&str] = &[
    "ClientSecret",
    "UseExistingClientSecret",
    "AuthenticationRequestExtraParams",
    "OnUnauthenticatedRequest",
    "Scope",
    "SessionCookieName",
    "SessionTimeout",
];
const COGNITO_REQUIRED: &[&str] = &["UserPoolArn", "UserPoolClientId", "UserPoolDomain"];
const COGNITO_OPTIONAL: &[&str] =
    &["AuthenticationRequestExtraParams", "OnUnauthenticatedRequest", "Scope", "SessionCookieName", "SessionTimeout"];

/// The authenticate action a listener target asks for: `None` when it asks for none,
/// `Some(None)` when what it asks for is wrong (the errors are reported), else the action.
fn authentication(
    ctx: &mut Ctx,
    o: &Map<String, Value>,
    path: &str,
    protocol: &str,
    ty: LbType,
) -> Option<Option<Value>> {
    let (key, oidc) = match (o.get("AuthenticateOidcConfig"), o.get("AuthenticateCognitoConfig")) {
        (None, None) => return None,
        (Some(_), Some(_)) => {
            ctx.d.error("CX4324", 
                join(path, "AuthenticateCognitoConfig"),
                "a target signs users in with one identity provider; keep AuthenticateOidcConfig or AuthenticateCognitoConfig",
            );
            return Some(None);
        }
        (Some(_), None) => ("AuthenticateOidcConfig", true),
        (None, Some(_)) => ("AuthenticateCognitoConfig", false),
    };
    let p = join(path, key);
    if ty != LbType::Application || protocol != "HTTPS" {
        ctx.d.error("CX4325", 
            &p,
            "only an HTTPS listener of an application load balancer can sign users in; give this listener Protocol HTTPS and a certificate",
        );
        return Some(None);
    }
    let head = format!("{key} must be a mapping");
    let Some(m) = map_or(&o[key], &p, &head, &mut ctx.d) else { return Some(None) };
    let (required, optional) = if oidc { (OIDC_REQUIRED, OIDC_OPTIONAL) } else { (COGNITO_REQUIRED, COGNITO_OPTIONAL) };
    let mut ok = true;
    for k in m.keys() {
        if !required.contains(&k.as_str()) && !optional.contains(&k.as_str()) {
            ctx.d.error(
                "CX4326",
                join(&p, k),
                format!("{k:?} is not a key of {key}; use {}", [required, optional].concat().join(", ")),
            );
            ok = false;
        }
    }
    for k in required {
        if !m.contains_key(*k) {
            ctx.d.error("CX4327", join(&p, k), format!("{key} needs {k}"));
            ok = false;
        }
    }
    if oidc {
        let existing = m.get("UseExistingClientSecret").and_then(Value::as_bool) == Some(true);
        match m.get("ClientSecret") {
            Some(v) if !secret_reference(ctx, v) => {
                ctx.d.error("CX4328", 
                    join(&p, "ClientSecret"),
                    "a client secret written in the file, or in a Parameter without NoEcho, is readable in the template or the stack; give a dynamic reference ('{{resolve:secretsmanager:NAME:SecretString:KEY}}') or !Ref of a template Parameter with NoEcho: true",
                );
                ok = false;
            }
            None if !existing => {
                ctx.d.error("CX4329", 
                    join(&p, "ClientSecret"),
                    "AuthenticateOidcConfig needs ClientSecret (a dynamic reference or !Ref of a NoEcho Parameter), or UseExistingClientSecret: true on a listener that has one",
                );
                ok = false;
            }
            _ => {}
        }
    }
    if !ok {
        return Some(None);
    }
    let mut config = m.clone();
    if let Some(Value::Object(extra)) = config.get_mut("AuthenticationRequestExtraParams") {
        for v in extra.values_mut() {
            if let Some(t) = v.as_bool().map(|b| b.to_string()).or_else(|| v.as_i64().map(|n| n.to_string())) {
                *v = json!(t);
            }
        }
    }
    let ty = if oidc { "authenticate-oidc" } else { "authenticate-cognito" };
    Some(Some(json!({"Type": ty, key: config})))
}

/// `CreateCognitoClient` (ECS ComposeX): an app client of a user pool of `x-cognito_userpool` for
/// this target, and the `authenticate-cognito` action that uses it. The client has a secret
/// (the load balancer needs one, and keeps it itself) and allows the authorization code flow
/// back to `https://HOST/oauth2/idpresponse`, HOST being the host of `access`, else the load
/// balancer's DNS name.
#[allow(clippy::too_many_arguments)]
fn cognito_client(
    ctx: &mut Ctx,
    o: &Map<String, Value>,
    path: &str,
    protocol: &str,
    ty: LbType,
    known: &Known,
    client_id: &str,
    lb_id: &str,
) -> Option<Option<Value>> {
    let p = join(path, "CreateCognitoClient");
    if o.contains_key("AuthenticateOidcConfig") || o.contains_key("AuthenticateCognitoConfig") {
        ctx.d.error("CX4330", &p, "a target signs users in one way; keep CreateCognitoClient, AuthenticateOidcConfig or AuthenticateCognitoConfig");
        return Some(None);
    }
    if ty != LbType::Application || protocol != "HTTPS" {
        ctx.d.error("CX4331", &p, "only an HTTPS listener of an application load balancer can sign users in; give this listener Protocol HTTPS and a certificate");
        return Some(None);
    }
    let Some(m) =
        map_or(&o["CreateCognitoClient"], &p, "CreateCognitoClient must be a mapping with UserPoolId", &mut ctx.d)
    else {
        return Some(None);
    };
    let up = join(&p, "UserPoolId");
    let Some(name) = m.get("UserPoolId").and_then(|v| literal(v, &up, "a user pool name", &mut ctx.d)) else {
        if !m.contains_key("UserPoolId") {
            ctx.d.error(
                "CX4332",
                &up,
                "CreateCognitoClient needs UserPoolId, the name of a user pool of x-cognito_userpool",
            );
        }
        return Some(None);
    };
    let name = name.strip_prefix("x-cognito_userpool::").unwrap_or(&name).to_string();
    let Some(pool) = known.pools.get(&name) else {
        let declared = ctx.project.extensions.get(super::cognito_userpool::KEY).and_then(|x| x.get(&name)).is_some();
        if !declared {
            ctx.d.error("CX4333", &up, format!("{name:?} is not a user pool of x-cognito_userpool; declare it there"));
        }
        return Some(None);
    };
    let Some(domain) = pool.domain.clone() else {
        ctx.d.error("CX4334", &up, format!("the load balancer signs users in on the user pool's hosted pages, and {name:?} has none; give it MacroParameters.Domain (for a pool of Use, the domain its pages have)"));
        return Some(None);
    };
    if m.get("GenerateSecret").is_some_and(|g| g.as_bool() != Some(true)) {
        ctx.d.error(
            "CX4335",
            join(&p, "GenerateSecret"),
            "a load balancer's app client needs a secret; leave GenerateSecret out, or true",
        );
        return Some(None);
    }
    let mut props: Map<String, Value> =
        m.iter().filter(|(k, _)| *k != "UserPoolId").map(|(k, v)| (k.clone(), v.clone())).collect();
    props.insert("UserPoolId".into(), pool.id.clone());
    props.insert("GenerateSecret".into(), json!(true));
    props.insert("AllowedOAuthFlowsUserPoolClient".into(), json!(true));
    props.entry("AllowedOAuthFlows").or_insert_with(|| json!(["code"]));
    props.entry("AllowedOAuthScopes").or_insert_with(|| json!(["openid"]));
    props.entry("SupportedIdentityProviders").or_insert_with(|| json!(["COGNITO"]));
    let host = o
        .get("access")
        .and_then(Value::as_str)
        .filter(|a| !a.starts_with('/'))
        .map(|a| a.split(['/', ':']).next().unwrap_or_default().to_string());
    let callback = match host {
        Some(h) if !h.is_empty() => json!(format!("https://{h}/oauth2/idpresponse")),
        _ => json!({"Fn::Sub": format!("https://${{{lb_id}.DNSName}}/oauth2/idpresponse")}),
    };
    props.entry("CallbackURLs").or_insert_with(|| json!([callback]));
    ctx.add(path, client_id.to_string(), json!({"Type": "AWS::Cognito::UserPoolClient", "Properties": props}));
    Some(Some(json!({"Type": "authenticate-cognito", "AuthenticateCognitoConfig": {
        "UserPoolArn": pool.arn, "UserPoolClientId": r#ref(client_id), "UserPoolDomain": domain}})))
}

/// Whether `v` keeps a secret out of the template: a Secrets Manager dynamic reference, or the
/// `Ref` of a template Parameter with `NoEcho`.
fn secret_reference(ctx: &Ctx, v: &Value) -> bool {
    match v {
        Value::String(s) => s.starts_with("{{resolve:secretsmanager:") && s.ends_with("}}"),
        Value::Object(o) => o.get("Ref").and_then(Value::as_str).is_some_and(|name| {
            ctx.t.sections.get("Parameters").and_then(|p| p.get(name)).and_then(|p| p.get("NoEcho")).is_some_and(|n| {
                n.as_bool() == Some(true) || n.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true"))
            })
        }),
        _ => false,
    }
}

fn article(protocol: &str) -> &'static str {
    if protocol.starts_with('H') {
        "an"
    } else {
        "a"
    }
}

/// `access`: `/path`, `host`, `host/path` or `host:port/path` (the port is not part of the Host
/// header match, as in ECS ComposeX) → listener rule conditions; `/` alone → none (the default).
fn access(text: &str) -> Result<Vec<Value>, String> {
    let path_cond = |p: &str| json!({"Field": "path-pattern", "PathPatternConfig": {"Values": [p]}});
    if text == "/" || text.is_empty() {
        return Ok(Vec::new());
    }
    if text.starts_with('/') {
        if text.len() > 128 || text.contains(char::is_whitespace) {
            return Err(format!("{text:?} is not a path pattern (at most 128 characters, no spaces)"));
        }
        return Ok(vec![path_cond(text)]);
    }
    let (host_port, path) = match text.find('/') {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, ""),
    };
    let host = match host_port.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => h,
        Some(_) => return Err(format!("{text:?} is not a host name, a path, nor host/path")),
        None => host_port,
    };
    let host_ok = !host.is_empty()
        && host.len() <= 128
        && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '*' | '?'))
        && !host.starts_with('-')
        && !host.starts_with('.');
    if !host_ok {
        return Err(format!("{text:?} is not a host name, a path, nor host/path (e.g. api.example.com/v1*)"));
    }
    let mut out = vec![json!({"Field": "host-header", "HostHeaderConfig": {"Values": [host]}})];
    if !path.is_empty() && path != "/" {
        if path.len() > 128 || path.contains(char::is_whitespace) {
            return Err(format!("{path:?} is not a path pattern (at most 128 characters, no spaces)"));
        }
        out.push(path_cond(path));
    }
    Ok(out)
}

/// Elastic Load Balancing's rule for a load balancer's name.
fn valid_lb_name(n: &str) -> bool {
    (1..=32).contains(&n.len())
        && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !n.starts_with('-')
        && !n.ends_with('-')
        && !n.starts_with("internal-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_forms() {
        assert!(access("/").unwrap().is_empty());
        assert_eq!(
            access("/api*").unwrap(),
            vec![json!({"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api*"]}})]
        );
        assert_eq!(
            access("example.com").unwrap(),
            vec![json!({"Field": "host-header", "HostHeaderConfig": {"Values": ["example.com"]}})]
        );
        let c = access("thereisnospoon.ews-network.net:8080/abcd/test.html").unwrap();
        assert_eq!(c[0]["HostHeaderConfig"]["Values"][0], "thereisnospoon.ews-network.net");
        assert_eq!(c[1]["PathPatternConfig"]["Values"][0], "/abcd/test.html");
        assert!(access("not a host").is_err());
        assert!(access("a:b/c").is_err());
    }
}
