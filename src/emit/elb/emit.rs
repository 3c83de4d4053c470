//! Writes a load balancer model out: the load balancer and its security group, the ingress to
//! its listener ports, listeners (with their extra certificates and rules), the target groups
//! the listeners use, the ingress from the load balancer to each target port, and what each
//! ECS service needs (`LoadBalancers`, the listeners to wait for, the grace period).

use super::{ip_protocols, Action, Lb, LbType, Source};
use crate::cfn::{get_att, naming::pascal, r#ref};
use crate::compose::Protocol;
use crate::emit::network::{cidr_id, description, security_group_id};
use crate::plan::Ctx;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// A current TLS policy (TLS 1.3 and 1.2 only) for HTTPS and TLS listeners that do not name one;
/// the load balancers' own default still accepts TLS 1.0.
pub const DEFAULT_SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/// The actions of a listener or rule that signs the user in before it forwards: the authenticate
/// action first, then the forward (ALB runs them by `Order`).
fn authenticated(auth: &Value, forward: Value) -> Value {
    let mut auth = auth.clone();
    auth["Order"] = json!(1);
    let mut forward = forward;
    forward["Order"] = json!(2);
    json!([auth, forward])
}

pub fn listener_id(lb: &Lb, port: u16) -> String {
    format!("{}Listener{port}", lb.id)
}

pub fn emit(ctx: &mut Ctx, lb: &Lb) {
    let owner = lb.path.clone();
    let sg = format!("{}SecurityGroup", lb.id);
    let lb_arn = lb.existing.clone().unwrap_or_else(|| r#ref(&lb.id));
    if lb.existing.is_none() {
        ctx.add(
            &owner,
            sg.clone(),
            json!({"Type": "AWS::EC2::SecurityGroup", "Properties": {
                "GroupDescription": format!("ComposeX {}", lb.label),
                "VpcId": ctx.plan.infra.vpc_id.clone(),
                "Tags": [{"Key": "Name", "Value": {"Fn::Sub": format!("${{AWS::StackName}}-{}", lb.name)}}]
            }}),
        );
        let mut props = Map::new();
        props.insert("Type".into(), json!(lb.ty.as_str()));
        props.insert("Scheme".into(), json!(if lb.internet_facing { "internet-facing" } else { "internal" }));
        props.insert("Subnets".into(), lb.subnets.clone());
        let infra = &ctx.plan.infra;
        let from = if lb.subnets == infra.public_subnets { infra.public_from.clone() } else { String::new() };
        if lb.ty == LbType::Application && !lb.properties.contains_key("SubnetMappings") {
            crate::plan::two_zones(ctx, &lb.subnets, &from, &format!("{} (an application load balancer)", lb.label));
        }
        props.insert("SecurityGroups".into(), json!([get_att(&sg, "GroupId")]));
        for (k, v) in &lb.properties {
            props.insert(k.clone(), v.clone());
        }
        if props.contains_key("SubnetMappings") {
            props.remove("Subnets");
        }
        // An application load balancer drops requests with header fields HTTP does not allow,
        // rather than passing them to the targets (request smuggling), unless the file says.
        if lb.ty == LbType::Application {
            let attributes = props.entry("LoadBalancerAttributes").or_insert_with(|| json!([]));
            if let Some(list) = attributes.as_array_mut() {
                let key = "routing.http.drop_invalid_header_fields.enabled";
                if !list.iter().any(|a| a["Key"] == key) {
                    list.push(json!({"Key": key, "Value": "true"}));
                }
            }
        }
        let mut resource = json!({"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": props});
        // An internet-facing load balancer in a created VPC needs its internet route.
        if lb.internet_facing && ctx.t.owner("VpcPublicDefaultRoute") == Some("x-vpc") {
            resource["DependsOn"] = json!("VpcPublicDefaultRoute");
        }
        ctx.add(&owner, lb.id.clone(), resource);
        listener_ingress(ctx, lb, &sg);
        let output = format!("{}DnsName", lb.id);
        ctx.t.output(output, get_att(&lb.id, "DNSName"), &format!("DNS name of {}", lb.label));
    }

    // Which listeners and rules send to each target group: the ECS service waits for them, as the
    // target group must belong to the load balancer before ECS registers tasks in it.
    let mut senders: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for l in &lb.listeners {
        let lid = listener_id(lb, l.port);
        if let Action::Forward(key) = &l.default {
            senders.entry(key.clone()).or_default().insert(lid.clone());
        }
        for (i, r) in l.rules.iter().enumerate() {
            senders.entry(r.target.clone()).or_default().insert(format!("{lid}Rule{}", i + 1));
        }
    }
    for (key, t) in &lb.targets {
        if !senders.contains_key(key) {
            continue;
        }
        let mut props = Map::new();
        props.insert("TargetType".into(), json!("ip"));
        props.insert("VpcId".into(), ctx.plan.infra.vpc_id.clone());
        props.insert("Port".into(), json!(t.port));
        props.insert("Protocol".into(), json!(t.protocol));
        for (k, v) in &t.health {
            props.insert(k.clone(), v.clone());
        }
        if !t.attributes.is_empty() {
            props.insert("TargetGroupAttributes".into(), Value::Array(t.attributes.clone()));
        }
        for (k, v) in &t.extra {
            props.insert(k.clone(), v.clone());
        }
        ctx.add(
            &t.owner,
            t.id.clone(),
            json!({"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": props}),
        );
    }
    let tg_ref = |key: &str| -> Value { lb.targets.get(key).map(|t| r#ref(&t.id)).unwrap_or(Value::Null) };
    for l in &lb.listeners {
        let lid = listener_id(lb, l.port);
        let default = match &l.default {
            Action::Forward(key) => json!({"Type": "forward", "TargetGroupArn": tg_ref(key)}),
            Action::Raw(v) => v.clone(),
            Action::NotFound => json!({"Type": "fixed-response", "FixedResponseConfig": {
                "StatusCode": "404", "ContentType": "text/plain", "MessageBody": "Not Found"}}),
        };
        let mut props = Map::new();
        props.insert("LoadBalancerArn".into(), lb_arn.clone());
        props.insert("Port".into(), json!(l.port));
        props.insert("Protocol".into(), json!(l.protocol));
        let default = match (&l.default_auth, &l.default) {
            (Some(auth), Action::Forward(_)) => authenticated(auth, default),
            _ => json!([default]),
        };
        props.insert("DefaultActions".into(), default);
        if let Some((_, first)) = l.certificates.first() {
            props.insert("Certificates".into(), json!([{"CertificateArn": first}]));
        }
        if matches!(l.protocol.as_str(), "HTTPS" | "TLS") {
            props.insert("SslPolicy".into(), l.ssl_policy.clone().unwrap_or_else(|| json!(DEFAULT_SSL_POLICY)));
        }
        ctx.add(&owner, lid.clone(), json!({"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": props}));
        // A listener holds one certificate; the others are served by SNI.
        let mut seen = BTreeSet::new();
        for (name, arn) in l.certificates.iter().skip(1) {
            let mut cid = format!("{lid}Certificate{}", pascal(name));
            let mut n = 2;
            while !seen.insert(cid.clone()) {
                cid = format!("{lid}Certificate{}{n}", pascal(name));
                n += 1;
            }
            ctx.add(
                &owner,
                cid,
                json!({"Type": "AWS::ElasticLoadBalancingV2::ListenerCertificate", "Properties": {
                    "ListenerArn": r#ref(&lid), "Certificates": [{"CertificateArn": arn}]}}),
            );
        }
        for (i, r) in l.rules.iter().enumerate() {
            ctx.add(
                &owner,
                format!("{lid}Rule{}", i + 1),
                json!({"Type": "AWS::ElasticLoadBalancingV2::ListenerRule", "Properties": {
                    "ListenerArn": r#ref(&lid),
                    "Priority": i + 1,
                    "Conditions": r.conditions,
                    "Actions": match &r.auth {
                        Some(auth) => authenticated(auth, json!({"Type": "forward", "TargetGroupArn": tg_ref(&r.target)})),
                        None => json!([{"Type": "forward", "TargetGroupArn": tg_ref(&r.target)}]),
                    }
                }}),
            );
        }
    }

    // From the load balancer's group to each target port (and health check port) of each family
    // the target group sends to; each family's ECS service registers its tasks in it.
    let mut ingress: BTreeMap<(String, u16, &'static str), BTreeSet<String>> = BTreeMap::new();
    for (key, t) in &lb.targets {
        let Some(ids) = senders.get(key) else { continue };
        for m in &t.members {
            for proto in ip_protocols(&t.protocol) {
                ingress.entry((m.family.clone(), t.port, proto)).or_default().insert(t.why.clone());
            }
            if let Some(hp) = t.health_port {
                ingress.entry((m.family.clone(), hp, "tcp")).or_default().insert(format!("health checks of {}", t.why));
            }
            let entry = ctx.plan.load_balancers.entry(m.family.clone()).or_default();
            entry
                .entries
                .push(json!({"ContainerName": m.container, "ContainerPort": t.port, "TargetGroupArn": r#ref(&t.id)}));
            entry.why.push(t.why.clone());
            if let Some(g) = m.grace {
                entry.grace = Some(entry.grace.map_or(g, |x| x.max(g)));
            }
            ctx.plan.family_depends_on.entry(m.family.clone()).or_default().extend(ids.iter().cloned());
            let protocols: &[Protocol] = if t.protocol == "TCP_UDP" {
                &[Protocol::Tcp, Protocol::Udp]
            } else {
                std::slice::from_ref(&m.container_protocol)
            };
            for p in protocols {
                ctx.plan.balanced_ports.insert((m.container.clone(), t.port, *p));
            }
        }
    }
    if lb.existing.is_some() {
        return;
    }
    for ((family, port, proto), why) in ingress {
        let fam = ctx.plan.families.list[&family].clone();
        let why: Vec<String> = why.into_iter().collect();
        ctx.add(
            &family,
            format!("{}From{}{}{port}Ingress", fam.id, lb.id, pascal(proto)),
            json!({"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
                "GroupId": get_att(&security_group_id(&fam), "GroupId"),
                "IpProtocol": proto,
                "FromPort": port,
                "ToPort": port,
                "SourceSecurityGroupId": get_att(&sg, "GroupId"),
                "Description": description(&format!("{} to {family} on {port}/{proto} ({})", lb.label, why.join("; ")))
            }}),
        );
    }
}

/// Ingress to the listener ports from the load balancer's sources (the internet by default).
fn listener_ingress(ctx: &mut Ctx, lb: &Lb, sg: &str) {
    let mut ports: BTreeSet<(u16, &'static str)> = BTreeSet::new();
    for l in &lb.listeners {
        for p in ip_protocols(&l.protocol) {
            ports.insert((l.port, p));
        }
    }
    for src in &lb.ingress {
        let (src_id, key, value, label) = match src {
            Source::Cidr { v6, cidr, name, why } => (
                if name == cidr { cidr_id(cidr) } else { pascal(name) },
                if *v6 { "CidrIpv6" } else { "CidrIp" },
                json!(cidr),
                {
                    let who = if name == cidr { cidr.clone() } else { format!("{name} {cidr}") };
                    if why.is_empty() {
                        who
                    } else {
                        format!("{who} ({why})")
                    }
                },
            ),
            Source::SecurityGroup(label, id) => (pascal(label), "SourceSecurityGroupId", id.clone(), label.clone()),
            Source::PrefixList(label, id) => (pascal(label), "SourcePrefixListId", id.clone(), label.clone()),
        };
        for (port, proto) in &ports {
            let mut props = Map::new();
            props.insert("GroupId".into(), get_att(sg, "GroupId"));
            props.insert("IpProtocol".into(), json!(proto));
            props.insert("FromPort".into(), json!(port));
            props.insert("ToPort".into(), json!(port));
            props.insert(key.into(), value.clone());
            props.insert(
                "Description".into(),
                json!(description(&format!("{label} to {} listener {port}/{proto}", lb.label))),
            );
            ctx.add(
                &lb.path,
                format!("{}From{src_id}{}{port}Ingress", lb.id, pascal(proto)),
                json!({"Type": "AWS::EC2::SecurityGroupIngress", "Properties": props}),
            );
        }
    }
}

/// The most target groups one ECS service may use (Amazon ECS: a service that uses Application
/// or Network Load Balancers takes at most five).
pub const MAX_TARGET_GROUPS: usize = 5;

/// ECS refuses a service with more than five target groups.
pub fn check_services(ctx: &mut Ctx) {
    let over: Vec<(String, Vec<String>)> = ctx
        .plan
        .load_balancers
        .iter()
        .filter(|(_, s)| s.entries.len() > MAX_TARGET_GROUPS)
        .map(|(f, s)| (f.clone(), s.why.clone()))
        .collect();
    for (family, why) in over {
        let first = ctx.plan.families.list[&family].services[0].clone();
        ctx.d.error("CX5026", 
            crate::diagnostics::join("services", &first),
            format!("task family {family:?} would be registered in {} target groups ({}), but an ECS service takes at most {MAX_TARGET_GROUPS}; publish fewer of its ports, or take it out of some of these target groups", why.len(), why.join("; ")),
        );
    }
}
