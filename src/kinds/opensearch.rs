//! `x-opensearch`: Amazon OpenSearch Service domains, in the VPC.
//!
//! Each becomes an `AWS::OpenSearchService::Domain` on the storage subnets (one, or one per zone
//! of a zone-aware domain) with:
//!
//! - its own security group, open to each consumer family on 443/tcp only;
//! - encryption at rest and node-to-node encryption, HTTPS enforced with a TLS 1.2 policy (a file
//!   that turns any of these off is refused);
//! - an access policy that admits the principals of this account only as far as their IAM
//!   policies allow (naming the consumers' task roles there would make a cycle: their policies
//!   name the domain), and the consumers' task roles are the only roles of the stack granted
//!   `es:ESHttp*` on it, by their access level;
//! - `Retain` when it is deleted or replaced (a domain has no CloudFormation snapshot).
//!
//! Consumers get the domain's endpoint in a variable named after it (`Settings.EnvNames`).

use super::datastore::{self, own};
use super::generic::{looked_up, macro_parameters, Decl};
use super::{Attr, Kind, Level, Scope};
use crate::compose::read::{kind as kind_of, show};
use crate::diagnostics::join;
use crate::plan::Ctx;
use serde_json::{json, Map, Value};

const WITH_INDEXES: Scope = Scope::WithChildren("/*");
const HTTP_RW: &[&str] =
    &["es:ESHttpDelete", "es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPatch", "es:ESHttpPost", "es:ESHttpPut"];
const HTTP_RO: &[&str] = &["es:ESHttpGet", "es:ESHttpHead"];
const DESCRIBE: &[&str] = &["es:DescribeDomain", "es:DescribeDomainConfig", "es:ListTags"];

pub const KIND: Kind = Kind {
    key: "x-opensearch",
    cfn_type: "AWS::OpenSearchService::Domain",
    suffix: "Search",
    default: Attr::GetAtt("DomainEndpoint"),
    return_values: &[
        ("DomainName", Attr::Ref),
        ("DomainEndpoint", Attr::GetAtt("DomainEndpoint")),
        ("Arn", Attr::GetAtt("Arn")),
        ("DomainArn", Attr::GetAtt("DomainArn")),
    ],
    arn: Attr::GetAtt("Arn"),
    levels: &[
        Level { name: "Http:RO", actions: HTTP_RO, scope: WITH_INDEXES },
        Level { name: "Http:RW", actions: HTTP_RW, scope: WITH_INDEXES },
        Level { name: "IAM:RO", actions: DESCRIBE, scope: Scope::Resource },
        // What ECS ComposeX files write for IAM:RO, as for a database.
        Level { name: "DBCluster:RO", actions: DESCRIBE, scope: Scope::Resource },
    ],
    default_access: Some("Http:RO"),
    keeps_data: Some("Retain"),
    hook: Some(hook),
    ..Kind::BASE
};

const PORT: u16 = 443;
const INSTANCE_TYPE: &str = "t3.medium.search";
const TLS_POLICY: &str = "Policy-Min-TLS-1-2-2019-07";

fn hook(ctx: &mut Ctx, decl: &Decl, siblings: &[Decl], resource: &mut Value) {
    if looked_up(decl) {
        return;
    }
    let props_path = join(&decl.path, "Properties");
    // A domain name is unique in the account and region: two domains of the file with one name
    // cannot both be created.
    if let Some(name) = name_of(decl) {
        let earlier = siblings
            .iter()
            .take_while(|d| d.path != decl.path)
            .find(|d| d.kind.key == decl.kind.key && name_of(d) == Some(name));
        if let Some(first) = earlier {
            ctx.d.error("CX4344", 
                join(&props_path, "DomainName"),
                format!("{name:?} is also the DomainName of {}; a domain name is unique in an account and region, so give each its own or leave DomainName out", first.path),
            );
        }
    }
    let mut props = resource.get("Properties").and_then(Value::as_object).cloned().unwrap_or_default();
    let _ = macro_parameters(ctx, decl, &[]);
    if let Some(v) = props.get("EngineVersion") {
        if let Some(e) = version_error(v) {
            ctx.d.error("CX4345", join(&props_path, "EngineVersion"), e);
        }
    }

    // Size: one node unless the file says otherwise; subnets follow the zones it spans.
    let cluster =
        props.entry("ClusterConfig").or_insert_with(|| json!({"InstanceType": INSTANCE_TYPE, "InstanceCount": 1}));
    let zones = match cluster.as_object() {
        Some(c) if c.get("ZoneAwarenessEnabled").is_some_and(|v| v == true || v == "true") => {
            c.get("ZoneAwarenessConfig")
                .and_then(|z| z.get("AvailabilityZoneCount"))
                .and_then(|n| n.as_u64().or_else(|| n.as_str().and_then(|s| s.parse().ok())))
                .unwrap_or(2) as usize
        }
        _ => 1,
    };
    props.entry("EBSOptions").or_insert_with(|| json!({"EBSEnabled": true, "VolumeSize": 10, "VolumeType": "gp3"}));
    let subnets = ctx.plan.infra.storage_subnets.clone();
    let available = subnets.as_array().map_or(0, Vec::len);
    if available < zones {
        ctx.d.error(
            "CX4245",
            join(&join(&props_path, "ClusterConfig"), "ZoneAwarenessConfig"),
            format!(
                "the domain spans {zones} zones, but the storage subnets are in {available}; use at most {available}"
            ),
        );
    }
    let subnets: Vec<Value> = subnets.as_array().map(|a| a.iter().take(zones).cloned().collect()).unwrap_or_default();
    let sg = datastore::security_group(ctx, decl, PORT);
    let why = "ComposeX puts the domain on the storage subnets with its own security group, open to its consumers only";
    own(ctx, decl, &mut props, "VPCOptions", json!({"SubnetIds": subnets, "SecurityGroupIds": [sg]}), why);

    // Encryption at rest and in transit.
    require(ctx, &mut props, &props_path, "EncryptionAtRestOptions", "Enabled", "encrypts the data at rest");
    require(
        ctx,
        &mut props,
        &props_path,
        "NodeToNodeEncryptionOptions",
        "Enabled",
        "encrypts the traffic between nodes",
    );
    require(ctx, &mut props, &props_path, "DomainEndpointOptions", "EnforceHTTPS", "serves the domain over HTTPS only");
    if let Some(Value::Object(endpoint)) = props.get_mut("DomainEndpointOptions") {
        let policy = endpoint.entry("TLSSecurityPolicy").or_insert(json!(TLS_POLICY));
        if policy.as_str().is_some_and(|p| !p.contains("TLS-1-2")) {
            let shown = show(policy);
            ctx.d.error(
                "CX4346",
                join(&join(&props_path, "DomainEndpointOptions"), "TLSSecurityPolicy"),
                format!("{shown} admits TLS older than 1.2; leave TLSSecurityPolicy out or use {TLS_POLICY}"),
            );
        }
    }

    // Who may call it: this account's principals, as far as IAM lets them; the consumers' task
    // roles get their level's actions on this domain only.
    let policy = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
        "Action": "es:ESHttp*",
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:es:${AWS::Region}:${AWS::AccountId}:domain/*"}
    }]});
    let why =
        "ComposeX admits only the principals IAM allows, and grants the consumers' task roles by their access level";
    own(ctx, decl, &mut props, "AccessPolicies", policy, why);
    resource["Properties"] = Value::Object(props);
}

/// The literal `DomainName` a declaration sets.
fn name_of(d: &Decl) -> Option<&str> {
    d.def.get("Properties").and_then(|p| p.get("DomainName")).and_then(Value::as_str)
}

/// `props[group][flag]` is true: set when absent, refused when the file turns it off.
fn require(ctx: &mut Ctx, props: &mut Map<String, Value>, path: &str, group: &str, flag: &str, what: &str) {
    let entry = props.entry(group).or_insert_with(|| json!({}));
    let Some(m) = entry.as_object_mut() else {
        ctx.d.error("CX4347", join(path, group), format!("{group} must be a mapping, not {}", kind_of(entry)));
        return;
    };
    if m.get(flag).is_some_and(|v| v == false || v == "false") {
        ctx.d.error(
            "CX4348",
            join(&join(path, group), flag),
            format!("ComposeX {what}; leave {flag} out or set it to true"),
        );
    }
    m.insert(flag.into(), json!(true));
}

/// An `EngineVersion` the service does not create, or one without encryption at rest (before
/// Elasticsearch 5.1): the reason, with the way out. Intrinsic functions are left to the
/// service.
fn version_error(v: &Value) -> Option<String> {
    let text = v.as_str()?;
    let how = "use OpenSearch_X.Y (OpenSearch_2.19…), or leave EngineVersion out for the service's default";
    let Some((engine, version)) = text.split_once('_') else {
        return Some(format!("{text:?} is not an engine version; {how}"));
    };
    let (major, minor) = version.split_once('.').unwrap_or((version, ""));
    let (Ok(major), Ok(minor)) = (major.parse::<u32>(), minor.parse::<u32>()) else {
        return Some(format!("{text:?} is not an engine version; {how}"));
    };
    match engine {
        "OpenSearch" if major >= 1 => None,
        "Elasticsearch" if (major, minor) >= (5, 1) && major <= 7 => None,
        "Elasticsearch" if major < 5 || (major, minor) < (5, 1) => {
            Some(format!("{text} cannot encrypt data at rest, which ComposeX turns on; {how}"))
        }
        _ => Some(format!("{text:?} is not a version the service creates; {how}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_those_the_service_creates_with_encryption() {
        assert_eq!(version_error(&json!("OpenSearch_2.13")), None);
        assert_eq!(version_error(&json!("Elasticsearch_7.10")), None);
        assert!(version_error(&json!("OpenSearch_0.1")).unwrap().contains("is not a version the service creates"));
        assert!(version_error(&json!("Elasticsearch_2.3")).unwrap().contains("cannot encrypt data at rest"));
        assert!(version_error(&json!("2.13")).unwrap().contains("is not an engine version"));
        assert_eq!(version_error(&json!({"Ref": "Version"})), None);
    }
}
