//! The load balancer made from published ports, when the file has no `x-elbv2`.
//!
//! What "published" means: a port with a published (host) port, `"80:8080"` or `{target: 8080,
//! published: 80}`, of any container of any task family. `"8080"` alone and `expose` stay
//! private. Each published port becomes one listener on that port, forwarding to a target group
//! of the container port, in the tasks of the container's task family. As on one docker host,
//! a published port can be taken once: when several containers publish the same port (or one
//! container that runs in several task families), the first by task family name then service
//! name gets the listener and the others get a warning. A port published for both TCP and UDP
//! by the same container becomes one TCP_UDP listener.
//!
//! A data store's published port (by its image or its port: `plan::exposure`) stays private,
//! with a warning: the habit of publishing a database's port locally must not put it on the
//! internet.
//!
//! The type: HTTP ports (80, 443, or `x-aws-protocol: http`/`https`) go to an application load
//! balancer, the others to a network load balancer; a file with both gets both, side by side
//! (`LoadBalancer` and `NetworkLoadBalancer`), so a game port does not take the web front's
//! HTTPS and routing away. An existing load balancer (below) has one type: a network one when
//! any port is not HTTP. On an ALB, port 443 (or
//! `x-aws-protocol: https`) is an HTTPS listener that ends TLS with the certificates of `x-acm`,
//! and targets are spoken to in HTTPS when their container port is 443, HTTP otherwise. On an
//! NLB, those ports are TLS listeners forwarding TCP, except `"443:443"`, passed through as TCP
//! to a container that ends TLS itself.
//!
//! With a certificate, port 80 publishing the same container as 443 redirects to HTTPS.
//!
//! Docker's `x-aws-loadbalancer: ARN` puts the listeners and target groups on an existing load
//! balancer instead of creating one (whose type must be the one the ports call for).

use super::health;
use super::{Action, Lb, LbType, Listener, Member, Source, Target};
use crate::cfn::{is_intrinsic, naming::pascal};
use crate::compose::read::{kind, show};
use crate::compose::{Port, Protocol};
use crate::diagnostics::join;
use crate::plan::exposure::data_store;
use crate::plan::Ctx;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

pub const EXISTING_KEY: &str = "x-aws-loadbalancer";
/// Logical ID of the load balancer of the published ports, and prefix of its resources.
pub const LB_ID: &str = "LoadBalancer";
/// The network load balancer beside it, when some published ports are HTTP and others not.
const NLB_ID: &str = "NetworkLoadBalancer";
const AWS_PROTOCOLS: &[&str] = &["http", "https", "tcp", "tls", "udp"];

struct Published {
    family: String,
    service: String,
    port: Port,
}

/// The winner of a published port: the container port the listener sends to.
struct Choice {
    published: u16,
    family: String,
    service: String,
    target: u16,
    protocol: Protocol,
    /// TCP and UDP on the same port.
    both: bool,
    aws: Option<String>,
    path: String,
}

pub fn plan(ctx: &mut Ctx, certificates: &BTreeMap<String, Value>) -> Vec<Lb> {
    let existing = existing_arn(ctx);
    let mut by_port: BTreeMap<u16, Vec<Published>> = BTreeMap::new();
    let mut private = Vec::new();
    for fam in ctx.plan.families.list.values() {
        for name in &fam.services {
            let s = &ctx.project.services[name];
            for p in &s.ports {
                let Some(published) = p.published else { continue };
                if let Some(why) = data_store(s, p) {
                    private.push((p.path.clone(), name.clone(), published, p.target, why));
                    continue;
                }
                by_port.entry(published).or_default().push(Published {
                    family: fam.name.clone(),
                    service: name.clone(),
                    port: p.clone(),
                });
            }
        }
    }
    for (path, service, published, target, why) in private {
        ctx.d.warn("CX5014", 
            path,
            format!("{service:?} is a data store ({why}), so its published port {published} is not put on the internet: the services that declare the relation (depends_on, links, x-network Ingress) reach it on {target}; to expose it on purpose, describe a listener for it in x-elbv2"),
        );
    }
    // x-aws-protocol values, once per port declaration.
    let mut checked = BTreeSet::new();
    for entries in by_port.values() {
        for e in entries {
            let Some(a) = &e.port.aws_protocol else { continue };
            if !checked.insert(e.port.path.clone()) {
                continue;
            }
            let p = join(&e.port.path, "x-aws-protocol");
            if !AWS_PROTOCOLS.contains(&a.as_str()) {
                ctx.d.error(
                    "CX5015",
                    &p,
                    format!("{a:?} is not a load balancer protocol; use http, https, tcp, tls or udp"),
                );
            } else if (a == "udp") != (e.port.protocol == Protocol::Udp) {
                ctx.d.error(
                    "CX5016",
                    &p,
                    format!("{a} does not match the port's protocol {}", e.port.protocol.as_str()),
                );
            }
        }
    }
    if by_port.is_empty() {
        if existing.is_some() {
            ctx.d.warn("CX5017", EXISTING_KEY, "no service publishes a port, so nothing is put on this load balancer");
        }
        return Vec::new();
    }
    let mut choices = Vec::new();
    for (published, entries) in &by_port {
        let (wf, ws) = (entries[0].family.clone(), entries[0].service.clone());
        for other in entries.iter().filter(|e| e.family != wf || e.service != ws) {
            let msg = if other.service == ws {
                format!("{ws:?} also runs in task family {:?}: the listener on port {published} sends to its tasks in task family {wf:?} only", other.family)
            } else {
                format!("port {published} is also published by {ws:?} (task family {wf:?}), and one listener takes one port: it sends to {ws:?}, not to {:?}; publish another port, or describe the listeners in x-elbv2", other.service)
            };
            ctx.d.warn("CX5018", &other.port.path, msg);
        }
        let mine: Vec<&Published> = entries.iter().filter(|e| e.family == wf && e.service == ws).collect();
        let tcp = mine.iter().find(|e| e.port.protocol == Protocol::Tcp);
        let udp = mine.iter().find(|e| e.port.protocol == Protocol::Udp);
        let (pick, both) = match (tcp, udp) {
            (Some(t), Some(u)) if t.port.target == u.port.target => (*t, true),
            (Some(t), _) => (*t, false),
            (None, Some(u)) => (*u, false),
            (None, None) => continue,
        };
        for e in &mine {
            let same = e.port.target == pick.port.target && (both || e.port.protocol == pick.port.protocol);
            if !same {
                ctx.d.warn("CX5019", 
                    &e.port.path,
                    format!("port {published} is already published for container port {}/{}: one listener takes one port, so this mapping gets none", pick.port.target, pick.port.protocol.as_str()),
                );
            }
        }
        choices.push(Choice {
            published: *published,
            family: wf,
            service: ws,
            target: pick.port.target,
            protocol: pick.port.protocol,
            both,
            aws: pick.port.aws_protocol.clone(),
            path: pick.port.path.clone(),
        });
    }
    // x-aws-protocol says what a port speaks; without it, 80 and 443 are HTTP(S).
    let is_http = |c: &Choice| {
        c.protocol == Protocol::Tcp
            && !c.both
            && match c.aws.as_deref() {
                Some(a) => matches!(a, "http" | "https"),
                None => matches!(c.published, 80 | 443),
            }
    };
    warn_linked(ctx, &choices);
    let (http, other): (Vec<Choice>, Vec<Choice>) = choices.into_iter().partition(is_http);
    if other.is_empty() || (http.is_empty() && existing.is_none()) {
        let ty = if other.is_empty() { LbType::Application } else { LbType::Network };
        let all = if other.is_empty() { http } else { other };
        return vec![build(ctx, LB_ID, ty, existing, &all, certificates)];
    }
    if existing.is_some() {
        // One existing load balancer has one type: a network one takes every port.
        let all: Vec<Choice> = http.into_iter().chain(other).collect();
        return vec![build(ctx, LB_ID, LbType::Network, existing, &all, certificates)];
    }
    // HTTP ports on an application load balancer, the others on a network one beside it.
    vec![
        build(ctx, LB_ID, LbType::Application, None, &http, certificates),
        build(ctx, NLB_ID, LbType::Network, None, &other, certificates),
    ]
}

/// The load balancer `id` of type `ty` with a listener per chosen port.
fn build(
    ctx: &mut Ctx,
    id: &str,
    ty: LbType,
    existing: Option<Value>,
    choices: &[Choice],
    certificates: &BTreeMap<String, Value>,
) -> Lb {
    let (name, label) = if id == NLB_ID {
        ("network-load-balancer", "network load balancer of the published ports that are not HTTP")
    } else {
        ("load-balancer", "load balancer of the published ports")
    };
    let mut lb = Lb {
        name: name.into(),
        label: label.into(),
        id: id.into(),
        path: if existing.is_some() { EXISTING_KEY.into() } else { "published ports".into() },
        ty,
        existing,
        properties: Map::new(),
        subnets: ctx.plan.infra.public_subnets.clone(),
        internet_facing: true,
        ingress: vec![Source::Cidr {
            v6: false,
            cidr: "0.0.0.0/0".into(),
            name: "Anywhere".into(),
            why: String::new(),
        }],
        listeners: Vec::new(),
        targets: BTreeMap::new(),
    };
    for c in choices {
        let tls_port = match c.aws.as_deref() {
            Some(a) => a == "https",
            None => c.published == 443,
        };
        let (listener_protocol, tg_protocol) = match ty {
            LbType::Application if tls_port => ("HTTPS", if c.target == 443 { "HTTPS" } else { "HTTP" }),
            LbType::Application => ("HTTP", if c.target == 443 { "HTTPS" } else { "HTTP" }),
            LbType::Network if c.both => ("TCP_UDP", "TCP_UDP"),
            LbType::Network if c.protocol == Protocol::Udp => ("UDP", "UDP"),
            LbType::Network if c.aws.as_deref() == Some("tls") || (tls_port && c.target != 443) => ("TLS", "TCP"),
            LbType::Network => ("TCP", "TCP"),
        };
        let mut certs = Vec::new();
        if matches!(listener_protocol, "HTTPS" | "TLS") {
            if certificates.is_empty() {
                ctx.d.error("CX5020", 
                    &c.path,
                    format!("port {} is published for {}, so the load balancer ends TLS there and needs a certificate; declare one in x-acm (Properties, MacroParameters, or Use with an existing certificate's ARN), or set x-aws-protocol: tcp on the port to pass TLS through to the container", c.published, if listener_protocol == "HTTPS" { "HTTPS" } else { "TLS" }),
                );
            }
            certs = certificates.iter().map(|(n, v)| (n.clone(), v.clone())).collect();
        }
        let fam = &ctx.plan.families.list[&c.family];
        let svc_part = if pascal(&c.service) == fam.id { String::new() } else { pascal(&c.service) };
        let key = format!("{}:{}:{}/{}", c.family, c.service, c.target, tg_protocol);
        if let Some(t) = lb.targets.get_mut(&key) {
            t.why = format!("{}, {}", t.why, c.published);
        } else {
            let s = &ctx.project.services[&c.service];
            let family_ports = family_ports(ctx, &c.family);
            let h = health::from_container(&mut ctx.d, s, c.target, &family_ports, ty, tg_protocol);
            if tg_protocol == "UDP" && h.props.get("HealthCheckProtocol") == Some(&json!("TCP")) {
                ctx.d.warn("CX5021", 
                    &c.path,
                    format!("a UDP target is health-checked over TCP on port {}: the container must also listen on TCP {}, or give it an HTTP healthcheck (curl http://localhost:PORT/…) on a TCP port it declares", c.target, c.target),
                );
            }
            lb.targets.insert(
                key.clone(),
                Target {
                    members: vec![Member {
                        family: c.family.clone(),
                        container: c.service.clone(),
                        container_protocol: c.protocol,
                        grace: s.healthcheck.as_ref().and_then(|h| h.start_period).map(|p| p.ceil() as u64),
                    }],
                    port: c.target,
                    protocol: tg_protocol.into(),
                    id: format!("{id}{}{svc_part}{}{}TargetGroup", fam.id, super::protocol_id(tg_protocol), c.target),
                    owner: c.family.clone(),
                    health: h.props,
                    health_port: h.port,
                    attributes: Vec::new(),
                    extra: Map::new(),
                    why: format!("{} publishes {}", c.service, c.published),
                },
            );
        }
        lb.listeners.push(Listener {
            port: c.published,
            protocol: listener_protocol.into(),
            certificates: certs,
            ssl_policy: None,
            default: Action::Forward(key),
            default_auth: None,
            rules: Vec::new(),
            path: c.path.clone(),
        });
    }
    redirect_to_https(&mut lb);
    if lb.existing.is_some() {
        let families: BTreeSet<String> =
            lb.targets.values().flat_map(|t| t.members.iter().map(|m| m.family.clone())).collect();
        ctx.d.warn("CX5022", 
            EXISTING_KEY,
            format!(
                "the security group of an existing load balancer cannot be known when the template is transformed, so no ingress is opened from it to {}; allow it on each with x-network.Ingress.AwsSources: [{{Type: SecurityGroup, Id: <the load balancer's group>}}]",
                families.into_iter().collect::<Vec<_>>().join(", ")
            ),
        );
    }
    lb
}

/// An HTTP listener on 80 of an application load balancer that also ends HTTPS on 443 for the
/// same target redirects to HTTPS instead of forwarding: with a certificate, no page is served
/// in clear text.
fn redirect_to_https(lb: &mut Lb) {
    if lb.ty != LbType::Application {
        return;
    }
    let https: Vec<Action> =
        lb.listeners.iter().filter(|l| l.port == 443 && l.protocol == "HTTPS").map(|l| l.default.clone()).collect();
    for l in lb.listeners.iter_mut().filter(|l| l.port == 80 && l.protocol == "HTTP") {
        if https.contains(&l.default) {
            l.default = Action::Raw(json!({"Type": "redirect", "RedirectConfig": {
                "Protocol": "HTTPS", "Port": "443", "Host": "#{host}", "Path": "/#{path}",
                "Query": "#{query}", "StatusCode": "HTTP_301"}}));
        }
    }
}

/// The ports a task family listens on (container ports of `ports` and `expose`).
pub fn family_ports(ctx: &Ctx, family: &str) -> Vec<u16> {
    let set: BTreeSet<u16> = ctx.plan.families.list[family]
        .services
        .iter()
        .flat_map(|s| {
            let s = &ctx.project.services[s];
            s.container_ports().map(|p| p.target)
        })
        .collect();
    set.into_iter().collect()
}

/// `x-aws-loadbalancer`: an existing load balancer's ARN (a name would need a lookup).
fn existing_arn(ctx: &mut Ctx) -> Option<Value> {
    let v = ctx.project.extensions.get(EXISTING_KEY)?.clone();
    match &v {
        Value::String(s)
            if s.starts_with("arn:") && s.contains(":elasticloadbalancing:") && s.contains(":loadbalancer/") =>
        {
            Some(v)
        }
        Value::String(_) => {
            ctx.d.error("CX5023", 
                EXISTING_KEY,
                format!("{} is not a load balancer ARN; the macro cannot look a load balancer up by name: give its ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/…) or !Ref of a template Parameter", show(&v)),
            );
            None
        }
        v if is_intrinsic(v) => Some(v.clone()),
        other => {
            ctx.d.error(
                "CX5024",
                EXISTING_KEY,
                format!("x-aws-loadbalancer must be a load balancer ARN, not {}", kind(other)),
            );
            None
        }
    }
}

/// A published port of a service that other services call (links, depends_on) is most often a
/// port published for local use: on AWS it is on the internet. Say so.
fn warn_linked(ctx: &mut Ctx, choices: &[Choice]) {
    if choices.is_empty() {
        return;
    }
    let published: BTreeSet<&str> = choices.iter().map(|c| c.service.as_str()).collect();
    let mut called: BTreeSet<String> = BTreeSet::new();
    for (name, s) in &ctx.project.services {
        let targets = s.links.iter().chain(s.depends_on.iter().map(|d| &d.service));
        for t in targets {
            for other in ctx.plan.families.services_of(t) {
                if other != name && published.contains(other.as_str()) {
                    called.insert(other.clone());
                }
            }
        }
    }
    for c in choices {
        if called.contains(&c.service) {
            ctx.d.warn("CX5025", 
                &c.path,
                format!("the load balancer makes {:?} reachable from the internet on port {}; other services reach it without publishing: if only they need it, declare the port without a published one (\"{}\") or in expose", c.service, c.published, c.target),
            );
        }
    }
}
