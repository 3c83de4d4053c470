//! `x-elasticache`: caches. Redis and Valkey become an `AWS::ElastiCache::ReplicationGroup`
//! (one node unless the properties say otherwise, encrypted at rest), Memcached an
//! `AWS::ElastiCache::CacheCluster`. Each has its own security group, open to each consumer
//! family on the cache port only (6379, 11211, or `Properties.Port`), and a subnet group on the
//! storage subnets. Access is by network only: consumers get the cache's address in a variable
//! named after it, and its port and other endpoints through `ReturnValues`.

use super::datastore;
use super::generic::{looked_up, Decl};
use super::{Attr, Kind, Level, Scope};
use crate::diagnostics::join;
use crate::plan::Ctx;
use serde_json::{json, Value};

const ENGINES: &[&str] = &["memcached", "redis", "valkey"];
const NODE_TYPE: &str = "cache.t4g.micro";
const GROUP_ARN: Attr =
    Attr::Sub("arn:${AWS::Partition}:elasticache:${AWS::Region}:${AWS::AccountId}:replicationgroup:${Id}");
const CLUSTER_ARN: Attr = Attr::Sub("arn:${AWS::Partition}:elasticache:${AWS::Region}:${AWS::AccountId}:cluster:${Id}");

/// Redis or Valkey (also the kind an unknown engine is read as, to report it).
pub const REPLICATION_GROUP: Kind = Kind {
    key: "x-elasticache",
    cfn_type: "AWS::ElastiCache::ReplicationGroup",
    suffix: "Cache",
    default: Attr::GetAtt("PrimaryEndPoint.Address"),
    return_values: &[
        ("Endpoint.Address", Attr::GetAtt("PrimaryEndPoint.Address")),
        ("Endpoint.Port", Attr::GetAtt("PrimaryEndPoint.Port")),
        ("PrimaryEndPoint.Address", Attr::GetAtt("PrimaryEndPoint.Address")),
        ("PrimaryEndPoint.Port", Attr::GetAtt("PrimaryEndPoint.Port")),
        ("ReaderEndPoint.Address", Attr::GetAtt("ReaderEndPoint.Address")),
        ("ReaderEndPoint.Port", Attr::GetAtt("ReaderEndPoint.Port")),
        ("ConfigurationEndPoint.Address", Attr::GetAtt("ConfigurationEndPoint.Address")),
        ("ConfigurationEndPoint.Port", Attr::GetAtt("ConfigurationEndPoint.Port")),
    ],
    arn: GROUP_ARN,
    levels: &[Level { name: "RW", actions: &[], scope: Scope::Resource }],
    extra_attributes: &[("Arn", GROUP_ARN)],
    default_access: Some("RW"),
    keeps_data: Some("Snapshot"),
    hook: Some(hook),
    ..Kind::BASE
};

/// Memcached: a replication group's kind but for its type and attributes, and without a
/// snapshot (Memcached has none).
pub const CACHE_CLUSTER: Kind = Kind {
    cfn_type: "AWS::ElastiCache::CacheCluster",
    default: Attr::GetAtt("ConfigurationEndpoint.Address"),
    return_values: &[
        ("Endpoint.Address", Attr::GetAtt("ConfigurationEndpoint.Address")),
        ("Endpoint.Port", Attr::GetAtt("ConfigurationEndpoint.Port")),
        ("ConfigurationEndpoint.Address", Attr::GetAtt("ConfigurationEndpoint.Address")),
        ("ConfigurationEndpoint.Port", Attr::GetAtt("ConfigurationEndpoint.Port")),
    ],
    arn: CLUSTER_ARN,
    extra_attributes: &[("Arn", CLUSTER_ARN)],
    keeps_data: None,
    ..REPLICATION_GROUP
};

pub fn variant(def: &Value) -> &'static Kind {
    match datastore::engine_name(def).as_deref() {
        Some("memcached") => &CACHE_CLUSTER,
        _ => &REPLICATION_GROUP,
    }
}

/// Properties that size a replication group; without any, it is one node.
const SIZING: &[&str] =
    &["NumCacheClusters", "NumNodeGroups", "ReplicasPerNodeGroup", "NodeGroupConfiguration", "PrimaryClusterId"];

fn hook(ctx: &mut Ctx, decl: &Decl, _: &[Decl], resource: &mut Value) {
    let group = decl.kind.cfn_type == REPLICATION_GROUP.cfn_type;
    let mut props = resource.get("Properties").and_then(Value::as_object).cloned().unwrap_or_default();
    if looked_up(decl) {
        return;
    }
    let Some(engine) = datastore::engine(ctx, decl, &props, ENGINES, &[]) else { return };
    let default_port = if engine.name == "memcached" { 11211 } else { 6379 };
    let port = datastore::port(ctx, decl, &props, default_port);
    engine.set(&mut props);
    props.entry("CacheNodeType").or_insert(json!(NODE_TYPE));

    let why = "ComposeX gives the cache its own subnet group and security group, open to its consumers only";
    let security_groups = if group { "SecurityGroupIds" } else { "VpcSecurityGroupIds" };
    datastore::network(ctx, decl, &mut props, port, "AWS::ElastiCache::SubnetGroup", security_groups, why);
    if props.remove("CacheSecurityGroupNames").is_some() {
        ctx.d.warn(
            "CX4043",
            join(&join(&decl.path, "Properties"), "CacheSecurityGroupNames"),
            format!("ignored: {why}"),
        );
    }
    if group {
        cache_cluster_properties(ctx, decl, &mut props);
        props.entry("ReplicationGroupDescription").or_insert(json!(format!("{} (ComposeX)", decl.path)));
        if !SIZING.iter().any(|k| props.contains_key(*k)) {
            props.insert("NumCacheClusters".into(), json!(1));
        }
        props.entry("AtRestEncryptionEnabled").or_insert(json!(true));
        // Plain connections, as with the cache the compose file runs locally; set it to true
        // (and use TLS in the clients) to encrypt them.
        props.entry("TransitEncryptionEnabled").or_insert(json!(false));
    } else {
        props.entry("NumCacheNodes").or_insert(json!(1));
    }
    resource["Properties"] = serde_json::Value::Object(props);
}

/// Properties of a cache cluster written for a Redis or Valkey cache, which is a replication
/// group (as ECS ComposeX files do): `NumCacheNodes` is its `NumCacheClusters`, `ClusterName`
/// its `ReplicationGroupId`; CloudFormation refuses the cluster's names on a group.
fn cache_cluster_properties(ctx: &mut Ctx, decl: &Decl, props: &mut serde_json::Map<String, Value>) {
    let path = join(&decl.path, "Properties");
    for (theirs, ours) in [("NumCacheNodes", "NumCacheClusters"), ("ClusterName", "ReplicationGroupId")] {
        let Some(v) = props.remove(theirs) else { continue };
        let p = join(&path, theirs);
        if props.contains_key(ours) {
            ctx.d.warn(
                "CX4044",
                &p,
                format!("ignored: a {} cache is a replication group, which takes {ours}, set too", decl.kind.key),
            );
        } else {
            ctx.d.warn(
                "CX4045",
                &p,
                format!("read as {ours}: a Redis or Valkey cache is a replication group, which takes {ours}"),
            );
            props.insert(ours.into(), v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_follow_the_engine() {
        assert_eq!(variant(&json!({"Properties": {"Engine": "memcached"}})).cfn_type, "AWS::ElastiCache::CacheCluster");
        assert_eq!(
            variant(&json!({"MacroParameters": {"Engine": "redis"}})).cfn_type,
            "AWS::ElastiCache::ReplicationGroup"
        );
        assert_eq!(
            variant(&json!({"MacroParameters": {"Engine": "valkey"}})).cfn_type,
            "AWS::ElastiCache::ReplicationGroup"
        );
    }
}
