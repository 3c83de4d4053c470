//! CloudMap service discovery: one private DNS namespace in the VPC and, for every family with
//! ports, a discovery service so that `family.namespace` resolves to its tasks' addresses.

use super::family::Family;
use super::Ctx;
use crate::cfn::{get_att, sub};
use crate::compose::read::{kind, literal};
use crate::diagnostics::join;
use serde_json::{json, Value};

pub const NAMESPACE_ID: &str = "CloudMapNamespace";
const OWNER: &str = "x-cloudmap";

/// The family's ports (container ports of `ports` and `expose`), which make it discoverable.
pub fn has_ports(ctx: &Ctx, fam: &Family) -> bool {
    fam.services.iter().any(|s| {
        let s = &ctx.project.services[s];
        !s.ports.is_empty() || !s.expose.is_empty()
    })
}

pub fn namespace(ctx: &mut Ctx) {
    let families: Vec<Family> = ctx.families.list.values().cloned().collect();
    if !families.iter().any(|f| has_ports(ctx, f)) {
        return;
    }
    let mut name = match &ctx.project.name {
        Some(n) => Value::String(format!("{n}.local")),
        None => sub("${AWS::StackName}.local"),
    };
    if let Some(x) = ctx.project.extensions.get("x-cloudmap").cloned() {
        match x.as_object() {
            Some(m) if m.contains_key("Name") => {
                if let Some(n) = literal(&m["Name"], &join(OWNER, "Name"), "the namespace name", &mut ctx.d) {
                    name = Value::String(n);
                }
            }
            Some(m) => {
                if m.len() > 1 {
                    ctx.d.error(OWNER, "ComposeX creates one CloudMap namespace; declare one");
                }
                for (key, def) in m {
                    let path = join(OWNER, key);
                    let Some(dm) = def.as_object() else {
                        ctx.d.error(&path, format!("a namespace must be a mapping with Name, not {}", kind(def)));
                        continue;
                    };
                    for (k, v) in dm {
                        let p = join(&path, k);
                        match k.as_str() {
                            "Name" | "ZoneName" => {
                                if let Some(n) = literal(v, &p, "the namespace name", &mut ctx.d) {
                                    name = Value::String(n);
                                }
                            }
                            "Lookup" | "Use" => ctx.d.error(&p, "ComposeX creates the namespace of the stack; an existing namespace cannot be used yet: remove it to get one named after the project"),
                            _ => ctx.d.error(&p, format!("{k:?} is not a namespace key; use Name")),
                        }
                    }
                }
            }
            None => ctx.d.error(OWNER, format!("x-cloudmap must be a mapping, not {}", kind(&x))),
        }
    }
    let vpc = ctx.infra.vpc_id.clone();
    ctx.add(
        OWNER,
        NAMESPACE_ID.into(),
        json!({"Type": "AWS::ServiceDiscovery::PrivateDnsNamespace", "Properties": {"Name": name, "Vpc": vpc, "Description": {"Fn::Sub": "ComposeX services of ${AWS::StackName}"}}}),
    );
    ctx.infra.namespace_id = Some(get_att(NAMESPACE_ID, "Id"));
}

pub fn service_id(fam: &Family) -> String {
    format!("{}DiscoveryService", fam.id)
}

pub fn service(ctx: &mut Ctx, fam: &Family) {
    let Some(ns) = ctx.infra.namespace_id.clone() else { return };
    if !has_ports(ctx, fam) {
        return;
    }
    ctx.add(
        &fam.name,
        service_id(fam),
        json!({"Type": "AWS::ServiceDiscovery::Service", "Properties": {
            "Name": fam.name,
            "Description": format!("ComposeX family {}", fam.name),
            "DnsConfig": {"NamespaceId": ns, "RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": 15}]},
            "HealthCheckCustomConfig": {"FailureThreshold": 1}
        }}),
    );
}
