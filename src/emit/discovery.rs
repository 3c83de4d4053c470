//! CloudMap service discovery: for every family with ports, a discovery service in the stack's
//! namespace (`kinds::cloudmap`) so that `family.namespace` resolves to its tasks' addresses.

use crate::diagnostics::join;
use crate::plan::families::{has_ports, Family};
use crate::plan::Emit;
use serde_json::json;

pub const NAMESPACE_ID: &str = "CloudMapNamespace";

/// The longest label of a DNS name.
pub const MAX_DNS_LABEL: usize = 63;

pub fn service_id(fam: &Family) -> String {
    format!("{}DiscoveryService", fam.id)
}

pub fn service(ctx: &mut Emit, fam: &Family) {
    let Some(ns) = ctx.plan.infra.namespace_id.clone() else { return };
    if !has_ports(ctx.project, fam) {
        return;
    }
    if fam.name.len() > MAX_DNS_LABEL {
        ctx.d.error("CX5010", 
            join("services", &fam.services[0]),
            format!("task family {:?} is {} characters, and its CloudMap name (a DNS label) may have at most {MAX_DNS_LABEL}: shorten the service's name, or name its family with deploy.labels ecs.task.family", fam.name, fam.name.len()),
        );
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
