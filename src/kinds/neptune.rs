//! `x-neptune`: Amazon Neptune graph database clusters.
//!
//! Each becomes an `AWS::Neptune::DBCluster` with its instances (`MacroParameters.Instances`,
//! one `db.t3.medium` by default) and:
//!
//! - IAM database authentication, always: Neptune has no password, so IAM is what keeps a task
//!   that is not a consumer out, and consumers are granted `neptune-db:connect` (or the read
//!   actions) on exactly this cluster's resource ID;
//! - its own security group, open to each consumer family on the cluster port (8182, or
//!   `Properties.Port`) only, and a subnet group on the storage subnets;
//! - storage encryption, a week of backups, and a snapshot when it is deleted or replaced;
//! - `MacroParameters.DBClusterParameterGroup` as its own
//!   `AWS::Neptune::DBClusterParameterGroup`.
//!
//! Consumers get the cluster's endpoint in a variable named after it (`Settings.EnvNames`), and
//! its port, reader endpoint and resource ID through `ReturnValues`.

use super::datastore;
use super::docdb::{instances, parameter_group};
use super::generic::{looked_up, macro_parameters, Decl};
use super::{Attr, Kind, Level, Scope};
use crate::diagnostics::join;
use crate::plan::Ctx;
use serde_json::{json, Value};

const ARN: Attr = Attr::Sub("arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:cluster:${Id}");
/// The data ARN IAM authentication checks: the cluster's resource ID, every path below it.
const DATA: Scope =
    Scope::Sub("arn:${AWS::Partition}:neptune-db:${AWS::Region}:${AWS::AccountId}:${Id.ClusterResourceId}/*");

pub const KIND: Kind = Kind {
    key: "x-neptune",
    cfn_type: "AWS::Neptune::DBCluster",
    suffix: "Neptune",
    default: Attr::GetAtt("Endpoint"),
    return_values: &[
        ("DBClusterName", Attr::Ref),
        ("Endpoint", Attr::GetAtt("Endpoint")),
        ("Port", Attr::GetAtt("Port")),
        ("ReadEndpoint", Attr::GetAtt("ReadEndpoint")),
        ("ClusterResourceId", Attr::GetAtt("ClusterResourceId")),
    ],
    arn: ARN,
    levels: &[
        Level { name: "NeptuneDB:RW", actions: &["neptune-db:connect"], scope: DATA },
        Level {
            name: "NeptuneDB:RO",
            actions: &["neptune-db:GetQueryStatus", "neptune-db:ReadDataViaQuery"],
            scope: DATA,
        },
        Level { name: "DBCluster:RO", actions: &["rds:DescribeDBClusters"], scope: Scope::Resource },
    ],
    extra_attributes: &[("Arn", ARN)],
    default_access: Some("NeptuneDB:RW"),
    keeps_data: Some("Snapshot"),
    hook: Some(hook),
    ..Kind::BASE
};

const PORT: u16 = 8182;
const INSTANCE_CLASS: &str = "db.t3.medium";

fn hook(ctx: &mut Ctx, decl: &Decl, _: &[Decl], resource: &mut Value) {
    if looked_up(decl) {
        return;
    }
    let props_path = join(&decl.path, "Properties");
    let mut props = resource.get("Properties").and_then(Value::as_object).cloned().unwrap_or_default();
    let params = macro_parameters(ctx, decl, &["Instances", "DBClusterParameterGroup"]);
    let port = datastore::port(ctx, decl, &props, PORT);
    datastore::version_as_text(&mut props);

    let why = "ComposeX gives the cluster its own subnet group and security group, open to its consumers only";
    datastore::network(ctx, decl, &mut props, port, "AWS::Neptune::DBSubnetGroup", "VpcSecurityGroupIds", why);
    for (key, what) in [
        ("IamAuthEnabled", "IAM authentication is what lets the consumers in and keeps every other task out"),
        ("StorageEncrypted", "ComposeX encrypts the data of every database it creates"),
    ] {
        if props.get(key).is_some_and(|v| v == false || v == "false") {
            ctx.d.error("CX4244", join(&props_path, key), format!("{what}; leave {key} out or set it to true"));
        }
        props.insert(key.into(), json!(true));
    }
    // A week of point-in-time recovery: backup storage up to the cluster's size is not billed.
    props.entry("BackupRetentionPeriod").or_insert(json!(7));
    parameter_group(ctx, decl, &params, &mut props, "AWS::Neptune::DBClusterParameterGroup", None);
    resource["Properties"] = Value::Object(props);
    instances(ctx, decl, params.get("Instances"), "AWS::Neptune::DBInstance", INSTANCE_CLASS);
}
