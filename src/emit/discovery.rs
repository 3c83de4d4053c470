//! CloudMap service discovery: for every family with ports, a discovery service in the stack's
//! namespace (`kinds::cloudmap`) so that `family.namespace` resolves to its tasks' addresses.

use crate::plan::families::Family;
use crate::plan::Ctx;
use serde_json::json;

pub const NAMESPACE_ID: &str = "CloudMapNamespace";

/// The family's ports (container ports of `ports` and `expose`), which make it discoverable.
pub fn has_ports(ctx: &Ctx, fam: &Family) -> bool {
    fam.services.iter().any(|s| {
        let s = &ctx.project.services[s];
        s.has_ports()
    })
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
