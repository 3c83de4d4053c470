//! `x-docdb`: Amazon DocumentDB clusters.
//!
//! Each becomes an `AWS::DocDB::DBCluster` with its instances (`MacroParameters.Instances`, one
//! `db.t4g.medium` by default), and like an `x-rds` database:
//!
//! - its own security group, open to each consumer family on the cluster port (27017, or
//!   `Properties.Port`) only, and a subnet group on the storage subnets;
//! - master credentials generated in an `AWS::SecretsManager::Secret` (the cluster reads the
//!   password through a `{{resolve:secretsmanager:…}}` reference, so that it never appears in
//!   the template), attached to the cluster so that Secrets Manager adds its host and port;
//! - storage encryption, a week of backups, and a snapshot when it is deleted or replaced;
//! - `MacroParameters.DBClusterParameterGroup` as its own `AWS::DocDB::DBClusterParameterGroup`.
//!
//! Consumers get the credentials as ECS `Secrets` (their execution role may read that one
//! secret): `{NAME}` (the whole JSON document), `{NAME}_HOST`, `{NAME}_PORT`, `{NAME}_USERNAME`
//! and `{NAME}_PASSWORD`, where NAME is the resource's name upper-cased or each of
//! `Settings.EnvNames`; `ReturnValues` put the endpoints in their environment (the port is the
//! secret's: `Port` is no attribute of the cluster's CloudFormation schema). DocumentDB has no
//! IAM action that opens a connection (its IAM sign-in is a database user named after the task
//! role, which a template cannot create), so access is by the network and the credentials;
//! `Access: {DBCluster: RO}` lets the task describe the cluster, and `GrantTaskAccess` lets the
//! task role read the secret too.

use super::datastore::{self, own};
use super::generic::{looked_up, macro_parameters, Decl};
use super::rds::{give_consumers, CONSUMER_KEYS, SECRET};
use super::{Attr, Kind, Level, Scope};
use crate::cfn::r#ref;
use crate::compose::read::kind as kind_of;
use crate::diagnostics::{index, join};
use crate::plan::Ctx;
use serde_json::{json, Map, Value};

const ARN: Attr = Attr::Sub("arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:cluster:${Id}");

pub const KIND: Kind = Kind {
    key: "x-docdb",
    cfn_type: "AWS::DocDB::DBCluster",
    suffix: "DocDb",
    default: Attr::None,
    return_values: &[
        ("DBClusterName", Attr::Ref),
        ("Endpoint", Attr::GetAtt("Endpoint")),
        ("ReadEndpoint", Attr::GetAtt("ReadEndpoint")),
        ("ClusterResourceId", Attr::GetAtt("ClusterResourceId")),
        ("DBSecret", SECRET),
    ],
    arn: ARN,
    levels: &[
        Level { name: "RW", actions: &[], scope: Scope::Resource },
        Level { name: "DBCluster:RO", actions: &["rds:DescribeDBClusters"], scope: Scope::Resource },
    ],
    extra_attributes: &[("Arn", ARN)],
    consumer_keys: CONSUMER_KEYS,
    default_access: Some("RW"),
    keeps_data: Some("Snapshot"),
    hook: Some(hook),
    ..Kind::BASE
};

const PORT: u16 = 27017;
const INSTANCE_CLASS: &str = "db.t4g.medium";
const DEFAULT_USERNAME: &str = "docdbadmin";
const PARAMETER_FAMILY: &str = "docdb5.0";
/// The keys of the secret consumers get as `{NAME}_{SUFFIX}`.
const PARTS: &[(&str, &str)] =
    &[("HOST", "host"), ("PORT", "port"), ("USERNAME", "username"), ("PASSWORD", "password")];

fn hook(ctx: &mut Ctx, decl: &Decl, _: &[Decl], resource: &mut Value) {
    if looked_up(decl) {
        return;
    }
    let props_path = join(&decl.path, "Properties");
    let mut props = resource.get("Properties").and_then(Value::as_object).cloned().unwrap_or_default();
    let params = macro_parameters(ctx, decl, &["Instances", "DBClusterParameterGroup"]);
    let port = datastore::port(ctx, decl, &props, PORT);
    datastore::version_as_text(&mut props);

    let credentials = datastore::Credentials {
        default_username: DEFAULT_USERNAME,
        engine: "DocumentDB",
        max_username: 63,
        password_keys: &["MasterUserPassword", "ManageMasterUserPassword", "MasterUserSecretKmsKeyId"],
        dbname: None,
    };
    let secret = datastore::master_credentials(ctx, decl, &mut props, &credentials);

    let why = "ComposeX gives the cluster its own subnet group and security group, open to its consumers only";
    datastore::network(ctx, decl, &mut props, port, "AWS::DocDB::DBSubnetGroup", "VpcSecurityGroupIds", why);
    props.entry("StorageEncrypted").or_insert(json!(true));
    // A week of point-in-time recovery: backup storage up to the cluster's size is not billed.
    props.entry("BackupRetentionPeriod").or_insert(json!(7));
    if props.get("StorageEncrypted").is_some_and(|v| v == false || v == "false") {
        ctx.d.error(
            "CX4235",
            join(&props_path, "StorageEncrypted"),
            "ComposeX encrypts the data of every database it creates; leave StorageEncrypted out or set it to true",
        );
    }

    parameter_group(ctx, decl, &params, &mut props, "AWS::DocDB::DBClusterParameterGroup", Some(PARAMETER_FAMILY));
    resource["Properties"] = Value::Object(props);

    instances(ctx, decl, params.get("Instances"), "AWS::DocDB::DBInstance", INSTANCE_CLASS);
    give_consumers(ctx, decl, &secret, PARTS);
}

/// `MacroParameters.DBClusterParameterGroup` (in `params`): the properties of a cluster
/// parameter group of type `cfn_type` (DocumentDB's or Neptune's), which the cluster's
/// `DBClusterParameterGroupName` names; its `Family` defaults to `family` where the kind has one
/// to give, and is required otherwise. Turning TLS off is the file's choice, with a warning: the
/// consumers then talk to the cluster in plain text.
pub(super) fn parameter_group(
    ctx: &mut Ctx,
    decl: &Decl,
    params: &Map<String, Value>,
    cluster: &mut Map<String, Value>,
    cfn_type: &str,
    family: Option<&str>,
) {
    let Some(group) = params.get("DBClusterParameterGroup") else { return };
    let path = &join(&join(&decl.path, "MacroParameters"), "DBClusterParameterGroup");
    let Some(m) = group.as_object() else {
        ctx.d.error(
            "CX4236",
            path,
            format!("DBClusterParameterGroup must be a mapping with Family and Parameters, not {}", kind_of(group)),
        );
        return;
    };
    let mut props: Map<String, Value> = m.clone();
    match family {
        Some(f) => {
            props.entry("Family").or_insert(json!(f));
        }
        None if !props.contains_key("Family") => {
            ctx.d.error(
                "CX4243",
                path,
                "DBClusterParameterGroup needs Family, the engine's parameter group family (neptune1.3…)",
            );
            return;
        }
        None => {}
    }
    props.entry("Description").or_insert(json!(format!("Parameters of {} (ComposeX)", decl.path)));
    match props.get("Parameters") {
        Some(Value::Object(p)) => {
            if p.get("tls").and_then(Value::as_str) == Some("disabled") {
                ctx.d.warn("CX4237", 
                    join(&join(path, "Parameters"), "tls"),
                    "TLS is disabled: the consumers reach the cluster in plain text; leave tls out (enabled) to encrypt the connections",
                );
            }
        }
        Some(other) => {
            ctx.d.error(
                "CX4238",
                join(path, "Parameters"),
                format!("Parameters must be a mapping of parameter names to values, not {}", kind_of(other)),
            );
            return;
        }
        None => {
            ctx.d.error(
                "CX4239",
                path,
                "DBClusterParameterGroup needs Parameters, a mapping of parameter names to values",
            );
            return;
        }
    }
    let id = format!("{}ParameterGroup", decl.id);
    ctx.add(&decl.path, id.clone(), json!({"Type": cfn_type, "Properties": props}));
    let why = "ComposeX creates the cluster's parameter group from MacroParameters.DBClusterParameterGroup";
    own(ctx, decl, cluster, "DBClusterParameterGroupName", r#ref(&id), why);
}

/// The cluster's instances, of type `cfn_type`: one per item of `MacroParameters.Instances`
/// (the properties of a DB instance), or one of class `class`.
pub(super) fn instances(ctx: &mut Ctx, decl: &Decl, list: Option<&Value>, cfn_type: &str, class: &str) {
    let path = join(&join(&decl.path, "MacroParameters"), "Instances");
    let items: Vec<Value> = match list {
        None | Some(Value::Null) => vec![json!({})],
        Some(Value::Array(a)) if !a.is_empty() => a.clone(),
        Some(other) => {
            ctx.d.error(
                "CX4240",
                &path,
                format!(
                    "Instances must be a list of DB instance properties, like [{{DBInstanceClass: {class}}}], not {}",
                    kind_of(other)
                ),
            );
            return;
        }
    };
    for (i, item) in items.iter().enumerate() {
        let p = index(&path, i);
        let Some(m) = item.as_object() else {
            ctx.d.error(
                "CX4241",
                &p,
                format!("an instance must be a mapping of DB instance properties, not {}", kind_of(item)),
            );
            continue;
        };
        let mut props = m.clone();
        if props.contains_key("DBClusterIdentifier") {
            ctx.d.warn(
                "CX4242",
                join(&p, "DBClusterIdentifier"),
                format!("replaced: the instance belongs to {}", decl.path),
            );
        }
        props.insert("DBClusterIdentifier".into(), r#ref(&decl.id));
        props.entry("DBInstanceClass").or_insert(json!(class));
        ctx.add(&decl.path, format!("{}Instance{}", decl.id, i + 1), json!({"Type": cfn_type, "Properties": props}));
    }
}
