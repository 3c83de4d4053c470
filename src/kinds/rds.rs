//! `x-rds`: relational databases.
//!
//! An Aurora engine (`aurora-mysql`, `aurora-postgresql`) becomes an `AWS::RDS::DBCluster` with
//! one `AWS::RDS::DBInstance`, its writer; `mysql`, `mariadb` and `postgres` one
//! `AWS::RDS::DBInstance`. Either way the database gets:
//!
//! - its own security group, open to each consumer family on the database port only, and a
//!   subnet group on the storage subnets;
//! - master credentials generated in an `AWS::SecretsManager::Secret` (the password never
//!   appears in the template: the database reads it through a `{{resolve:secretsmanager:…}}`
//!   reference), attached to the database so that Secrets Manager adds its host and port;
//! - storage encryption, and a snapshot when it is deleted or replaced.
//!
//! Consumers get the credentials as ECS `Secrets` (their execution role may read that one
//! secret): `{NAME}` (the whole JSON document, as ECS ComposeX gives it), `{NAME}_HOST`,
//! `{NAME}_PORT`, `{NAME}_USERNAME`, `{NAME}_PASSWORD`, `{NAME}_DBNAME`, where NAME is the
//! resource's name upper-cased or each of `Settings.EnvNames`. `Access: {DBCluster: RO}` (or
//! `{DBInstance: RO}`) lets the task describe the database. `GrantTaskAccess` lets the task role
//! read the secret too (`{SecretEnvName: VAR}` also puts its ARN in VAR).

use super::datastore;
use super::generic::{looked_up, set_env, Decl};
use super::{Attr, Kind, Level, Scope};
use crate::cfn::r#ref;
use crate::compose::read::kind as kind_of;
use crate::diagnostics::join;
use crate::plan::Ctx;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const AURORA_ENGINES: &[&str] = &["aurora-mysql", "aurora-postgresql"];
const ENGINES: &[&str] = &["aurora-mysql", "aurora-postgresql", "mariadb", "mysql", "postgres"];

/// The secret's ARN, through its attachment: a reference to it waits until Secrets Manager has
/// added the database's host and port to the secret.
pub(super) const SECRET: Attr = Attr::Of("SecretAttachment", &Attr::Ref);

pub(super) const CONSUMER_KEYS: &[&str] = &["GrantTaskAccess", "GenerateConnectionStringSecret", "SecretsMappings"];

/// An Aurora cluster (also the kind an unknown engine is read as, to report it).
pub const CLUSTER: Kind = Kind {
    key: "x-rds",
    cfn_type: "AWS::RDS::DBCluster",
    suffix: "Database",
    default: Attr::None,
    return_values: &[
        ("Endpoint.Address", Attr::GetAtt("Endpoint.Address")),
        ("Endpoint.Port", Attr::GetAtt("Endpoint.Port")),
        ("ReadEndpoint.Address", Attr::GetAtt("ReadEndpoint.Address")),
        ("DBSecret", SECRET),
    ],
    arn: Attr::GetAtt("DBClusterArn"),
    levels: &[
        Level { name: "RW", actions: &[], scope: Scope::Resource },
        Level { name: "DBCluster:RO", actions: &["rds:DescribeDBClusters"], scope: Scope::Resource },
    ],
    extra_attributes: &[("Arn", Attr::GetAtt("DBClusterArn"))],
    consumer_keys: CONSUMER_KEYS,
    default_access: Some("RW"),
    keeps_data: Some("Snapshot"),
    hook: Some(hook),
    ..Kind::BASE
};

/// A single DB instance (MySQL, MariaDB, PostgreSQL): an Aurora cluster's kind, but for its
/// type, attributes and levels.
pub const INSTANCE: Kind = Kind {
    cfn_type: "AWS::RDS::DBInstance",
    return_values: &[
        ("Endpoint.Address", Attr::GetAtt("Endpoint.Address")),
        ("Endpoint.Port", Attr::GetAtt("Endpoint.Port")),
        ("DBSecret", SECRET),
    ],
    arn: Attr::GetAtt("DBInstanceArn"),
    levels: &[
        Level { name: "RW", actions: &[], scope: Scope::Resource },
        Level { name: "DBInstance:RO", actions: &["rds:DescribeDBInstances"], scope: Scope::Resource },
    ],
    extra_attributes: &[("Arn", Attr::GetAtt("DBInstanceArn"))],
    ..CLUSTER
};

pub fn variant(def: &Value) -> &'static Kind {
    match datastore::engine_name(def) {
        Some(e) if ENGINES.contains(&e.as_str()) && !AURORA_ENGINES.contains(&e.as_str()) => &INSTANCE,
        _ => &CLUSTER,
    }
}

/// Instance classes: the smallest Graviton class each family of engine accepts.
const AURORA_CLASS: &str = "db.t4g.medium";
const INSTANCE_CLASS: &str = "db.t4g.micro";
const DEFAULT_USERNAME: &str = "dbadmin";

fn hook(ctx: &mut Ctx, decl: &Decl, _: &[Decl], resource: &mut Value) {
    let aurora = decl.kind.cfn_type == CLUSTER.cfn_type;
    let props_path = join(&decl.path, "Properties");
    let mut props = resource.get("Properties").and_then(Value::as_object).cloned().unwrap_or_default();
    if looked_up(decl) {
        return;
    }
    let Some(engine) = datastore::engine(ctx, decl, &props, ENGINES, &["DBInstanceClass"]) else { return };
    if let Some((v, path)) = &engine.version {
        check_version(ctx, aurora, &engine.name, v, path);
    }
    let postgres = engine.name.contains("postgres");
    let port = datastore::port(ctx, decl, &props, if postgres { 5432 } else { 3306 });
    engine.set(&mut props);

    let db_key = if aurora { "DatabaseName" } else { "DBName" };
    let dbname = props.get(db_key).cloned().unwrap_or_else(|| json!(database_name(&decl.name)));
    props.insert(db_key.into(), dbname.clone());
    let credentials = datastore::Credentials {
        default_username: DEFAULT_USERNAME,
        engine: &engine.name,
        max_username: if postgres { 63 } else { 16 },
        password_keys: &["MasterUserPassword", "ManageMasterUserPassword", "MasterUserSecret"],
        dbname: Some(dbname),
    };
    let secret = datastore::master_credentials(ctx, decl, &mut props, &credentials);

    let why = "ComposeX gives the database its own subnet group and security group, open to its consumers only";
    let security_groups = if aurora { "VpcSecurityGroupIds" } else { "VPCSecurityGroups" };
    datastore::network(ctx, decl, &mut props, port, "AWS::RDS::DBSubnetGroup", security_groups, why);
    if props.remove("DBSecurityGroups").is_some() {
        ctx.d.warn("CX4143", join(&props_path, "DBSecurityGroups"), format!("ignored: {why}"));
    }
    props.entry("StorageEncrypted").or_insert(json!(true));
    // Lets the tasks sign in with IAM as well as with the password: no cost, no interruption.
    if engine.name != "mariadb" {
        props.entry("EnableIAMDatabaseAuthentication").or_insert(json!(true));
    }

    let class = engine.params.get("DBInstanceClass").cloned();
    if aurora {
        ctx.add(
            &decl.path,
            format!("{}Instance1", decl.id),
            json!({"Type": "AWS::RDS::DBInstance", "Properties": {
                "DBClusterIdentifier": r#ref(&decl.id),
                "DBInstanceClass": class.unwrap_or_else(|| json!(AURORA_CLASS)),
                "Engine": engine.name,
                "PubliclyAccessible": false
            }}),
        );
    } else {
        if let Some(c) = class {
            if props.get("DBInstanceClass").is_some_and(|p| *p != c) {
                ctx.d.error(
                    "CX4144",
                    join(&join(&decl.path, "MacroParameters"), "DBInstanceClass"),
                    format!("differs from {}; set DBInstanceClass once", join(&props_path, "DBInstanceClass")),
                );
            }
            props.insert("DBInstanceClass".into(), c);
        }
        props.entry("DBInstanceClass").or_insert(json!(INSTANCE_CLASS));
        props.entry("AllocatedStorage").or_insert(json!("20"));
        props.entry("StorageType").or_insert(json!("gp3"));
        props.entry("PubliclyAccessible").or_insert(json!(false));
    }
    resource["Properties"] = Value::Object(props);

    give_consumers(ctx, decl, &secret, PARTS);
}

/// The keys of the secret consumers get as `{NAME}_{SUFFIX}` variables.
const PARTS: &[(&str, &str)] =
    &[("HOST", "host"), ("PORT", "port"), ("USERNAME", "username"), ("PASSWORD", "password"), ("DBNAME", "dbname")];

/// The credentials as ECS `Secrets` of every consumer, the execution role's read of the secret,
/// and what the consumer keys ask for. `parts` are the keys of the secret each consumer gets as
/// `{NAME}_{SUFFIX}`, beside the whole document as `{NAME}`.
pub(super) fn give_consumers(ctx: &mut Ctx, decl: &Decl, secret: &str, parts: &[(&str, &str)]) {
    let read = json!({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": r#ref(secret)});
    let arn = SECRET.value(&decl.id);
    let suffixed = |base: &str| -> Vec<String> { parts.iter().map(|(suffix, _)| format!("{base}_{suffix}")).collect() };
    let mut vars: Vec<(String, Value)> = Vec::new();
    for base in datastore::env_names(decl) {
        vars.push((base.clone(), arn.clone()));
        for (suffix, key) in parts {
            vars.push((
                format!("{base}_{suffix}"),
                json!({"Fn::Sub": format!("${{{}SecretAttachment}}:{key}::", decl.id)}),
            ));
        }
    }
    for c in &decl.consumers {
        let Some(fams) = ctx.plan.families.resolve(&c.name) else { continue };
        let fams: Vec<String> = fams.iter().map(|f| f.name.clone()).collect();
        for f in &fams {
            ctx.plan.exec_grants.entry(f.clone()).or_default().push(read.clone());
        }
        for svc in ctx.plan.families.services_of(&c.name).to_vec() {
            for (var, value) in &vars {
                add_secret(ctx, &svc, var, value, &c.path);
            }
        }
        if let Some(v) = c.extra.get("GrantTaskAccess") {
            let p = join(&c.path, "GrantTaskAccess");
            let (grant, env) = match v {
                Value::Bool(b) => (*b, None),
                Value::Object(m) => {
                    for k in m.keys().filter(|k| *k != "SecretEnvName") {
                        ctx.d.warn("CX4145", join(&p, k), "ignored: ComposeX reads SecretEnvName from GrantTaskAccess");
                    }
                    let env = match m.get("SecretEnvName") {
                        Some(Value::String(s)) => Some(s.clone()),
                        Some(other) => {
                            ctx.d.error(
                                "CX4146",
                                join(&p, "SecretEnvName"),
                                format!("must be a variable name, not {}", kind_of(other)),
                            );
                            None
                        }
                        None => None,
                    };
                    (true, env)
                }
                other => {
                    ctx.d.error(
                        "CX4147",
                        &p,
                        format!("GrantTaskAccess must be true or {{SecretEnvName: VAR}}, not {}", kind_of(other)),
                    );
                    (false, None)
                }
            };
            if grant {
                let statement = json!({"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": [r#ref(secret)]});
                for f in &fams {
                    ctx.plan.grants.entry(f.clone()).or_default().push(statement.clone());
                }
            }
            if let Some(var) = env {
                for svc in ctx.plan.families.services_of(&c.name).to_vec() {
                    set_env(ctx, &svc, &var, arn.clone(), &c.path);
                }
            }
        }
        if c.extra.contains_key("GenerateConnectionStringSecret") {
            let base = datastore::env_names(decl).remove(0);
            ctx.d.warn("CX4148", join(&c.path, "GenerateConnectionStringSecret"), {
                let mut all = suffixed(&base);
                let last = all.pop().unwrap_or_default();
                format!("ignored: ComposeX gives the connection's parts instead, as {} and {last}", all.join(", "))
            });
        }
        if c.extra.contains_key("SecretsMappings") {
            ctx.d.warn(
                "CX4149",
                join(&c.path, "SecretsMappings"),
                format!(
                    "ignored: ComposeX names the variables after the database (Settings.EnvNames): NAME, {}",
                    suffixed("NAME").join(", ")
                ),
            );
        }
    }
}

/// Adds an ECS secret to a service's container; a variable the compose file sets itself keeps
/// its value, and two resources may not give one name different values.
fn add_secret(ctx: &mut Ctx, service: &str, var: &str, value: &Value, from: &str) {
    if ctx.project.services.get(service).is_some_and(|s| s.environment.contains_key(var)) {
        ctx.d.warn(
            "CX4150",
            join(&join(&join("services", service), "environment"), var),
            format!("set here and by {from} (an ECS secret); the value set here wins"),
        );
        return;
    }
    let secrets = ctx.plan.secrets.entry(service.to_string()).or_default();
    match secrets.get(var) {
        Some(other) if other != value => ctx.d.error("CX4151", 
            from,
            format!("gives {service:?} the secret variable {var}, which something else gives it too; rename one with Settings.EnvNames"),
        ),
        Some(_) => {}
        None => {
            secrets.insert(var.to_string(), value.clone());
        }
    }
}

/// The database's default name: the resource name's alphanumerics, lower-cased, starting with a
/// letter (what both MySQL and PostgreSQL accept), 63 characters at most.
fn database_name(name: &str) -> String {
    let mut n: String = name.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect();
    if !n.starts_with(|c: char| c.is_ascii_alphabetic()) {
        n.insert_str(0, "db");
    }
    n.truncate(63);
    n
}

/// The engine versions RDS knows, and those it no longer creates, for a DB cluster and a DB
/// instance: cfn-lint's data (rules E3690, W3690, W3691), written from the pinned package by
/// `scripts/rds-versions.py`, which `scripts/test.sh` checks. A version RDS refuses is refused
/// here, with one it creates, rather than at deploy time.
const VERSIONS: &str = include_str!("rds_versions.json");

#[derive(serde::Deserialize)]
struct Versions {
    versions: Vec<String>,
    deprecated: Vec<String>,
}

fn versions() -> &'static BTreeMap<String, BTreeMap<String, Versions>> {
    static DATA: std::sync::OnceLock<BTreeMap<String, BTreeMap<String, Versions>>> = std::sync::OnceLock::new();
    DATA.get_or_init(|| serde_json::from_str(VERSIONS).expect("rds_versions.json is the generated table"))
}

fn check_version(ctx: &mut Ctx, aurora: bool, engine: &str, v: &Value, path: &str) {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ if crate::cfn::is_intrinsic(v) => return,
        other => {
            ctx.d.error("CX4152", path, format!("EngineVersion must be a version like 16.6, not {}", kind_of(other)));
            return;
        }
    };
    if let Some(e) = version_error(if aurora { "cluster" } else { "instance" }, engine, &text) {
        ctx.d.error("CX4153", path, e);
    }
}

fn version_error(kind: &str, engine: &str, text: &str) -> Option<String> {
    let known = versions().get(kind)?.get(engine)?;
    let created = |v: &&String| !known.deprecated.contains(*v);
    let deprecated = known.deprecated.iter().any(|v| v == text);
    if known.versions.iter().any(|v| v == text) && !deprecated {
        return None;
    }
    // The newest version RDS creates of the same major version, else of any.
    let major = |v: &str| v.split('.').next().unwrap_or_default().to_string();
    let newest = |filter: &dyn Fn(&String) -> bool| {
        known.versions.iter().filter(created).filter(|v| filter(v)).max_by_key(|v| version_key(v)).cloned()
    };
    let suggestion = newest(&|v| major(v) == major(text)).or_else(|| newest(&|_| true))?;
    let what = if deprecated { "is deprecated: RDS no longer creates it" } else { "is not a version RDS knows" };
    Some(format!("{engine} {text} {what}; use {suggestion} (or leave EngineVersion out for RDS's default)"))
}

/// A version's parts, numbers as numbers, for ordering (`8.0.mysql_aurora.3.10.0`).
fn version_key(v: &str) -> Vec<(u64, String)> {
    v.split(['.', '-']).map(|p| (p.parse().unwrap_or(0), p.to_string())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_follow_the_engine() {
        assert_eq!(variant(&json!({"MacroParameters": {"Engine": "aurora-mysql"}})).cfn_type, "AWS::RDS::DBCluster");
        assert_eq!(variant(&json!({"Properties": {"Engine": "postgres"}})).cfn_type, "AWS::RDS::DBInstance");
        assert_eq!(variant(&json!({"Properties": {"Engine": "MariaDB"}})).cfn_type, "AWS::RDS::DBInstance");
        assert_eq!(variant(&json!({"Properties": {"Engine": "oracle-ee"}})).cfn_type, "AWS::RDS::DBCluster");
    }

    #[test]
    fn versions_are_those_rds_creates() {
        let err = |kind: &str, engine: &str, v: &str| version_error(kind, engine, v);
        assert_eq!(err("cluster", "aurora-mysql", "8.0.mysql_aurora.3.08.0"), None);
        assert_eq!(err("instance", "mariadb", "10.11.9"), None);
        let deprecated = err("cluster", "aurora-postgresql", "15.4").unwrap();
        assert!(
            deprecated.starts_with("aurora-postgresql 15.4 is deprecated: RDS no longer creates it; use 15."),
            "{deprecated}"
        );
        let unknown = err("instance", "postgres", "16.99.1").unwrap();
        assert!(unknown.starts_with("postgres 16.99.1 is not a version RDS knows; use 16."), "{unknown}");
        assert!(err("instance", "postgres", "99").unwrap().contains("is not a version RDS knows"));
    }

    #[test]
    fn default_database_names_start_with_a_letter() {
        assert_eq!(database_name("dbA"), "dba");
        assert_eq!(database_name("01-orders"), "db01orders");
        assert_eq!(database_name(&"a".repeat(80)).len(), 63);
    }
}
