//! Isolation: every family has its own security group with no ingress, and each declared
//! relation opens exactly the destination's ports to exactly the source, as one
//! `AWS::EC2::SecurityGroupIngress` whose description names the relation.
//!
//! Relations: `links` and `depends_on` (the source may call the destination), and the
//! destination's `x-network.Ingress` (`Services`, `Myself`, `ExtSources`, `AwsSources`). When
//! both ends declare compose `networks`, they must share one, as in docker compose.

use crate::cfn::{get_att, naming::pascal};
use crate::compose::{Port, Protocol};
use crate::diagnostics::{index, join};
use crate::ext::network::{AwsSourceKind, Network};
use crate::plan::families::Family;
use crate::plan::{Ctx, Emit};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The security groups a family's tasks join: its own, then the existing groups its services'
/// `x-network.AdditionalSecurityGroups` name, each once. The ECS service and the tasks that
/// x-events rules start use the same list.
pub fn task_security_groups(ext: &crate::ext::Extensions, fam: &Family) -> Vec<Value> {
    let mut groups = vec![get_att(&security_group_id(fam), "GroupId")];
    for name in &fam.services {
        for g in ext.service(name).network.iter().flat_map(|n| &n.additional_security_groups) {
            if !groups.contains(g) {
                groups.push(g.clone());
            }
        }
    }
    groups
}

pub fn security_group_id(fam: &Family) -> String {
    format!("{}SecurityGroup", fam.id)
}

pub fn security_group(ctx: &mut Emit, fam: &Family) {
    let vpc = ctx.plan.infra.vpc_id.clone();
    ctx.add(
        &fam.name,
        security_group_id(fam),
        json!({"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": format!("ComposeX task family {}", fam.name),
            "VpcId": vpc,
            "Tags": [{"Key": "Name", "Value": {"Fn::Sub": format!("${{AWS::StackName}}-{}", fam.name)}}]
        }}),
    );
}

/// The (port, protocol) pairs a family listens on: `ports[].target` and `expose`.
pub fn family_ports(ctx: &Ctx, fam: &Family) -> Vec<(u16, Protocol)> {
    container_ports(ctx, &fam.services).into_iter().collect()
}

/// The ports a name stands for in a relation: a service's own ports (a link to one member of a
/// task family opens that member's ports, not its neighbours'), or every port of a family.
fn ports_of(ctx: &Ctx, name: &str) -> BTreeSet<(u16, Protocol)> {
    container_ports(ctx, ctx.plan.families.services_of(name))
}

/// The (port, protocol) pairs the containers of `services` listen on.
fn container_ports(ctx: &Ctx, services: &[String]) -> BTreeSet<(u16, Protocol)> {
    services
        .iter()
        .flat_map(|s| ctx.project.services[s].container_ports().map(|p: &Port| (p.target, p.protocol)))
        .collect()
}

/// (destination family, source) → (why, in words; the ports to open).
type Rules = BTreeMap<(String, Source), (BTreeSet<String>, BTreeSet<(u16, Protocol)>)>;

/// The compose networks a service or family is on (`default` when it declares none).
fn networks_of<'c>(ctx: &'c Ctx, name: &str) -> BTreeSet<&'c str> {
    ctx.plan
        .families
        .services_of(name)
        .iter()
        .flat_map(|s| match &ctx.project.services[s].networks {
            Some(nets) => nets.iter().map(String::as_str).collect::<Vec<_>>(),
            None => vec!["default"],
        })
        .collect()
}

/// One source of traffic into a family.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    Family(String),
    Cidr {
        v6: bool,
        cidr: String,
        name: String,
    },
    /// (label for logical IDs and descriptions, the ID as JSON text: a literal or an intrinsic)
    SecurityGroup(String, String),
    PrefixList(String, String),
}

pub fn relations(ctx: &mut Ctx) {
    let mut rules: Rules = BTreeMap::new();
    let project = ctx.project;
    unrelated_names(ctx);
    for (name, s) in &project.services {
        // (target, where it is written: a dependency's path, or a link's index; why)
        let links = s.links.iter().enumerate().map(|(i, l)| (l, Err(i), "links"));
        let deps = s.depends_on.iter().map(|dep| (&dep.service, Ok(&dep.path), "depends_on"));
        for (target, at, why) in links.chain(deps) {
            // Only findings need the path.
            let path = || at.map_or_else(|i| index(&join(&join("services", name), "links"), i), String::clone);
            let Some(dst_fams) = ctx.plan.families.resolve(target) else {
                ctx.d.error("CX5044", path(), format!("{target:?} is not a service nor a task family of this file"));
                continue;
            };
            if networks_of(ctx, name).is_disjoint(&networks_of(ctx, target)) {
                ctx.d.warn("CX5045", path(), format!("{name:?} and {target:?} share no network, so {name:?} may not reach it; add a common network to both"));
                continue;
            }
            let src_fams = &ctx.plan.families.of_service[name];
            let target_ports = ports_of(ctx, target);
            // Ports the file does not declare, and where they are known from.
            let inferred: Vec<String> = ctx
                .plan
                .families
                .services_of(target)
                .iter()
                .flat_map(|t| ctx.project.services[t].expose.iter())
                .filter_map(|p| p.inferred.as_ref().map(|from| format!("{} from {from}", p.target)))
                .collect();
            let because = match inferred.is_empty() {
                true => format!("{name} {why} {target}"),
                false => format!("{name} {why} {target}, port {}", inferred.join(", ")),
            };
            for dst in &dst_fams {
                if target_ports.is_empty() && !src_fams.contains(&dst.name) {
                    ctx.d.warn("CX5046", 
                        path(),
                        format!(
                            "{target:?} declares no port and none can be inferred (from its image, or a {target}:PORT in {name}'s environment), so {name:?} may reach it on none; declare the ports it listens on in expose"
                        ),
                    );
                }
                if target_ports.is_empty() {
                    continue;
                }
                for src in src_fams {
                    if src != &dst.name {
                        let rule = rules.entry((dst.name.clone(), Source::Family(src.clone()))).or_default();
                        rule.0.insert(because.clone());
                        rule.1.extend(target_ports.iter().copied());
                    }
                }
            }
        }
        if let Some(x) = ctx.ext.service(name).network.clone() {
            ingress(ctx, name, &x, &mut rules);
        }
    }
    for ((dst, src), (why, ports)) in rules {
        // The family's ID and group, not a copy of the family with all its member names.
        let (fam_id, group) = {
            let fam = &ctx.plan.families.list[&dst];
            (fam.id.clone(), get_att(&security_group_id(fam), "GroupId"))
        };
        let why: Vec<String> = why.into_iter().collect();
        for (port, proto) in ports {
            let (src_id, src_prop, src_value, src_label) = match &src {
                Source::Family(f) => {
                    let sf = &ctx.plan.families.list[f];
                    (sf.id.clone(), "SourceSecurityGroupId", get_att(&security_group_id(sf), "GroupId"), f.clone())
                }
                Source::Cidr { v6, cidr, name } => (
                    if name == cidr { cidr_id(cidr) } else { pascal(name) },
                    if *v6 { "CidrIpv6" } else { "CidrIp" },
                    json!(cidr),
                    format!("{name} {cidr}"),
                ),
                Source::SecurityGroup(label, id) => (
                    pascal(label),
                    "SourceSecurityGroupId",
                    serde_json::from_str(id).unwrap_or_default(),
                    label.clone(),
                ),
                Source::PrefixList(label, id) => {
                    (pascal(label), "SourcePrefixListId", serde_json::from_str(id).unwrap_or_default(), label.clone())
                }
            };
            let id = format!(
                "{}From{}{}{}Ingress",
                fam_id,
                src_id,
                if proto == Protocol::Udp { "Udp" } else { "Tcp" },
                port
            );
            let mut props = Map::new();
            props.insert("GroupId".into(), group.clone());
            props.insert("IpProtocol".into(), json!(proto.as_str()));
            props.insert("FromPort".into(), json!(port));
            props.insert("ToPort".into(), json!(port));
            props.insert(src_prop.into(), src_value);
            props.insert(
                "Description".into(),
                json!(description(&format!("{src_label} to {dst} on {port}/{} ({})", proto.as_str(), why.join("; ")))),
            );
            ctx.add(&dst, id, crate::cfn::resource("AWS::EC2::SecurityGroupIngress", Value::Object(props)));
        }
    }
}

/// A warning for each environment value that names another service by `NAME:PORT`
/// (`http://api:8080`) without a relation to it: docker compose lets every service of a network
/// reach every other, so files often rely on that, while here the other service's security group
/// stays closed and no short name is set up unless `depends_on` or `links` asks.
fn unrelated_names(ctx: &mut Ctx) {
    let project = ctx.project;
    for (name, s) in &project.services {
        let Some(mine) = ctx.plan.families.of_service.get(name) else { continue };
        for (var, v) in &s.environment {
            let mut seen = BTreeSet::new();
            for (target, port) in crate::plan::exposure::named_hosts(v) {
                let related = s.links.iter().any(|l| l == target) || s.depends_on.iter().any(|d| d.service == target);
                // In its own task family, a service reaches another on localhost.
                let same = ctx.plan.families.of_service.get(target).is_some_and(|t| t.iter().all(|f| mine.contains(f)));
                if target == name || !project.services.contains_key(target) || related || same || !seen.insert(target) {
                    continue;
                }
                ctx.d.warn(
                    "CX5181",
                    join(&join(&join("services", name), "environment"), var),
                    format!("names service {target:?} ({target}:{port}), but {name:?} declares no relation to it, so its security group stays closed to {name:?} and the name does not resolve; add depends_on: [{target}] (or links) to {name:?}"),
                );
            }
        }
    }
}

/// A CIDR as a logical-ID part that keeps CIDRs apart: `10.1.0.0/16` → `Cidr10x1x0x0x16`.
pub fn cidr_id(cidr: &str) -> String {
    let parts: Vec<&str> = cidr.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    format!("Cidr{}", parts.join("x"))
}

/// Security-group descriptions allow a limited alphabet and 255 characters.
pub fn description(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(c) { c } else { '_' })
        .collect();
    if clean.len() > 255 {
        format!("{}...", &clean[..252])
    } else {
        clean
    }
}

/// `x-network.Ingress` of service `name` (read by `ext::network`): sources into the service's
/// families, on its ports.
fn ingress(ctx: &mut Ctx, name: &str, x: &Network, rules: &mut Rules) {
    let dst_fams = ctx.plan.families.of_service[name].clone();
    let svc = &ctx.project.services[name];
    if x.ingress && !svc.has_ports() {
        ctx.d.warn(
            "CX5047",
            join(&x.path, "Ingress"),
            format!("{name:?} has no ports, so no ingress can be opened to it; declare ports or expose"),
        );
    }
    // Ingress declared on a service opens that service's ports.
    let own_ports = ports_of(ctx, name);
    // A source's Ports narrow it to those of the service's ports; one the service does not
    // have is an error, as it would open nothing.
    let mut wrong = Vec::new();
    let mut add = |src: Source, why: String, only: &Option<crate::ext::network::Ports>| {
        let allowed: BTreeSet<(u16, Protocol)> = match only {
            Some(o) => {
                for p in &o.ports {
                    if !own_ports.iter().any(|(q, _)| q == p) {
                        wrong.push((o.path.clone(), *p));
                    }
                }
                own_ports.iter().copied().filter(|(q, _)| o.ports.contains(q)).collect()
            }
            None => own_ports.clone(),
        };
        for dst in &dst_fams {
            if src == Source::Family(dst.clone()) && !why.contains("Myself") {
                continue;
            }
            let rule = rules.entry((dst.clone(), src.clone())).or_default();
            rule.0.insert(why.clone());
            rule.1.extend(allowed.iter().copied());
        }
    };
    for a in &x.aws_sources {
        let why = format!("{name} x-network AwsSources");
        match a.kind {
            AwsSourceKind::SecurityGroup => add(Source::SecurityGroup(a.label.clone(), a.id.clone()), why, &a.ports),
            AwsSourceKind::PrefixList => add(Source::PrefixList(a.label.clone(), a.id.clone()), why, &a.ports),
        }
    }
    for e in &x.ext_sources {
        let label = e.name.clone().unwrap_or_else(|| e.cidr.clone());
        let why = match &e.description {
            Some(text) => format!("{name} x-network ExtSources {label}: {text}"),
            None => format!("{name} x-network ExtSources {label}"),
        };
        add(Source::Cidr { v6: e.v6, cidr: e.cidr.clone(), name: label }, why, &e.ports);
    }
    if x.myself {
        for f in dst_fams.clone() {
            add(Source::Family(f), format!("{name} x-network Myself"), &None);
        }
    }
    for (sp, src, only) in &x.services {
        match ctx.plan.families.resolve(src) {
            Some(fams) => {
                let fams: Vec<String> = fams.iter().map(|f| f.name.clone()).collect();
                for f in fams {
                    add(Source::Family(f), format!("{name} x-network Ingress from {src}"), only);
                }
            }
            None => ctx.d.error("CX5048", sp, format!("{src:?} is not a service nor a task family of this file")),
        }
    }
    for (path, port) in wrong {
        let have: Vec<String> = own_ports.iter().map(|(p, _)| p.to_string()).collect();
        ctx.d.error(
            "CX5183",
            path,
            format!(
                "{port} is not a port of {name:?}, so it opens nothing; use its ports ({})",
                if have.is_empty() { "it has none".to_string() } else { have.join(", ") }
            ),
        );
    }
}
