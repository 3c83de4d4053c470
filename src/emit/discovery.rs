//! CloudMap service discovery: for every family with ports, a discovery service in the stack's
//! namespace (`kinds::cloudmap`) so that `family.namespace` resolves to its tasks' addresses.

use crate::plan::families::{has_ports, Family};
use crate::plan::Emit;
use serde_json::json;

pub const NAMESPACE_ID: &str = "CloudMapNamespace";

pub fn service_id(fam: &Family) -> String {
    format!("{}DiscoveryService", fam.id)
}

pub fn service(ctx: &mut Emit, fam: &Family) {
    let Some(ns) = ctx.plan.infra.namespace_id.clone() else { return };
    if !has_ports(ctx.project, fam) {
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
