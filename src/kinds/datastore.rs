//! What databases, caches and search domains (`x-rds`, `x-elasticache`, `x-docdb`, `x-neptune`,
//! `x-opensearch`) share: the engine they run, read from `MacroParameters` or `Properties`;
//! their own security group, open only to the task families that consume them and only on the
//! engine port, and a subnet group on the storage subnets; the properties ComposeX owns on them
//! (the subnet group, the security groups), which replace what the user wrote with a warning;
//! and, for the databases with a password (`x-rds`, `x-docdb`), master credentials generated in
//! Secrets Manager, so that no password is written in the template.

use super::generic::Decl;
use crate::cfn::{get_att, r#ref};
use crate::compose::read::{literal, map_or, show};
use crate::diagnostics::join;
use crate::emit::network::description;
use crate::plan::Ctx;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The engine of a database or cache, and where the user wrote it.
#[derive(Debug, Clone)]
pub struct Engine {
    pub name: String,
    pub path: String,
    /// `EngineVersion` as written (a literal or an intrinsic function), with its path.
    pub version: Option<(Value, String)>,
    /// `MacroParameters` (an empty map when absent).
    pub params: Map<String, Value>,
}

impl Engine {
    /// Sets `Engine` and `EngineVersion` in the resource's properties.
    pub fn set(&self, props: &mut Map<String, Value>) {
        props.insert("Engine".into(), json!(self.name));
        if let Some((v, _)) = &self.version {
            props.insert("EngineVersion".into(), v.clone());
        }
        version_as_text(props);
    }
}

/// `EngineVersion` as text: YAML reads 5.0 or 14.6 as a number, CloudFormation wants the text.
pub fn version_as_text(props: &mut Map<String, Value>) {
    if let Some(Value::Number(n)) = props.get("EngineVersion") {
        let text = n.to_string();
        props.insert("EngineVersion".into(), json!(text));
    }
}

/// The engine a definition names, without diagnostics: for picking a kind's variant.
pub fn engine_name(def: &Value) -> Option<String> {
    ["MacroParameters", "Properties"]
        .iter()
        .find_map(|k| def.get(k).and_then(|m| m.get("Engine")).and_then(Value::as_str))
        .map(str::to_ascii_lowercase)
}

/// `Engine` and `EngineVersion` from `MacroParameters` or `Properties` (the same in both when
/// both set them); the engine must be one of `engines`. Other macro parameters than
/// `extra_params` are ignored with a warning.
pub fn engine(
    ctx: &mut Ctx,
    decl: &Decl,
    props: &Map<String, Value>,
    engines: &[&str],
    extra_params: &[&str],
) -> Option<Engine> {
    let mp_path = join(&decl.path, "MacroParameters");
    let params = match decl.def.get("MacroParameters") {
        None | Some(Value::Null) => Map::new(),
        Some(mp) => {
            let head = "MacroParameters must be a mapping with Engine and EngineVersion";
            map_or(mp, &mp_path, head, &mut ctx.d)?.clone()
        }
    };
    let mut known = vec!["Engine", "EngineVersion"];
    known.extend(extra_params);
    for k in params.keys().filter(|k| !known.contains(&k.as_str())) {
        ctx.d.warn(
            "CX4027",
            join(&mp_path, k),
            format!("ignored: ComposeX reads {} from the MacroParameters of {}", known.join(", "), decl.kind.key),
        );
    }
    // (value, path) from MacroParameters and from Properties; both must agree.
    let pick = |ctx: &mut Ctx, key: &str| -> Option<(Value, String)> {
        let from_mp = params.get(key).map(|v| (v.clone(), join(&mp_path, key)));
        let from_props = props.get(key).map(|v| (v.clone(), join(&join(&decl.path, "Properties"), key)));
        match (from_mp, from_props) {
            (Some(a), Some(b)) if a.0 != b.0 => {
                ctx.d.error(
                    "CX4028",
                    &a.1,
                    format!("{} differs from {} {}; set {key} once", show(&a.0), b.1, show(&b.0)),
                );
                None
            }
            (a, b) => a.or(b),
        }
    };
    let version = pick(ctx, "EngineVersion");
    let Some((value, path)) = pick(ctx, "Engine") else {
        if !params.contains_key("Engine") || !props.contains_key("Engine") {
            ctx.d.error(
                "CX4029",
                &decl.path,
                format!("needs an Engine, in MacroParameters or Properties: {}", choices(engines)),
            );
        }
        return None;
    };
    let name = literal(&value, &path, "the engine", &mut ctx.d)?.to_ascii_lowercase();
    if !engines.contains(&name.as_str()) {
        ctx.d.error(
            "CX4030",
            &path,
            format!("{name:?} is not an engine ComposeX creates for {}; use {}", decl.kind.key, choices(engines)),
        );
        return None;
    }
    Some(Engine { name, path, version, params })
}

/// `a, b or c`.
fn choices(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// `Port` of the properties (a literal, needed for the ingress rules), or the engine's default
/// (also after reporting a port that is not one, so that the rest is still checked).
pub fn port(ctx: &mut Ctx, decl: &Decl, props: &Map<String, Value>, default: u16) -> u16 {
    let Some(v) = props.get("Port") else { return default };
    let path = join(&join(&decl.path, "Properties"), "Port");
    let Some(text) = literal(v, &path, "the port (ComposeX opens it to the consumers)", &mut ctx.d) else {
        return default;
    };
    match text.parse::<u16>() {
        Ok(p) if p > 0 => p,
        _ => {
            ctx.d.error("CX4031", &path, format!("{text:?} is not a port number"));
            default
        }
    }
}

/// Sets a property ComposeX owns; what the user wrote there is replaced, with a warning.
pub fn own(ctx: &mut Ctx, decl: &Decl, props: &mut Map<String, Value>, key: &str, value: Value, why: &str) {
    if props.contains_key(key) {
        ctx.d.warn("CX4032", join(&join(&decl.path, "Properties"), key), format!("replaced: {why}"));
    }
    props.insert(key.to_string(), value);
}

/// The resource's subnet group, of type `subnet_group`, on the storage subnets, and its own
/// security group (see [`security_group`]): both set in its properties, the security group as
/// `security_groups_key`, replacing what the file set there with the warning `why`. A DB
/// subnet group (RDS, DocumentDB, Neptune) must span two zones; an ElastiCache one may stand in
/// one.
pub fn network(
    ctx: &mut Ctx,
    decl: &Decl,
    props: &mut Map<String, Value>,
    port: u16,
    subnet_group: &str,
    security_groups_key: &str,
    why: &str,
) {
    let id = format!("{}SubnetGroup", decl.id);
    let subnets = ctx.plan.infra.storage_subnets.clone();
    let description = format!("{} on the storage subnets (ComposeX)", decl.path);
    let (key, properties) = if subnet_group == "AWS::ElastiCache::SubnetGroup" {
        ("CacheSubnetGroupName", json!({"Description": description, "SubnetIds": subnets}))
    } else {
        let from = ctx.plan.infra.storage_from.clone();
        crate::plan::two_zones(ctx, &subnets, &from, &format!("the DB subnet group of {}", decl.path));
        ("DBSubnetGroupName", json!({"DBSubnetGroupDescription": description, "SubnetIds": subnets}))
    };
    ctx.add(&decl.path, id.clone(), json!({"Type": subnet_group, "Properties": properties}));
    let sg = security_group(ctx, decl, port);
    own(ctx, decl, props, key, r#ref(&id), why);
    own(ctx, decl, props, security_groups_key, json!([sg]), why);
}

/// The resource's own security group, and one ingress rule per consumer family, on `port`
/// (TCP) only. Returns the group's ID, for the resource's properties.
pub fn security_group(ctx: &mut Ctx, decl: &Decl, port: u16) -> Value {
    let sg = format!("{}SecurityGroup", decl.id);
    let vpc = ctx.plan.infra.vpc_id.clone();
    let short = decl.kind.key.trim_start_matches("x-");
    ctx.add(
        &decl.path,
        sg.clone(),
        json!({"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": description(&format!("ComposeX {}: reachable from its consumers on {port}/tcp", decl.path)),
            "VpcId": vpc,
            "Tags": [{"Key": "Name", "Value": {"Fn::Sub": format!("${{AWS::StackName}}-{short}-{}", decl.name)}}]
        }}),
    );
    // Family → the consumer names that stand for it.
    let mut families: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for c in &decl.consumers {
        for f in ctx.plan.families.resolve(&c.name).unwrap_or_default() {
            families.entry(f.name.clone()).or_default().insert(c.name.clone());
        }
    }
    for (fam, names) in families {
        let family = ctx.plan.families.list[&fam].clone();
        let why: Vec<String> = names.iter().map(|n| join(&join(&decl.path, "Services"), n)).collect();
        ctx.add(
            &decl.path,
            format!("{}From{}Tcp{port}Ingress", decl.id, family.id),
            json!({"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
                "GroupId": get_att(&sg, "GroupId"),
                "IpProtocol": "tcp",
                "FromPort": port,
                "ToPort": port,
                "SourceSecurityGroupId": get_att(&crate::emit::network::security_group_id(&family), "GroupId"),
                "Description": description(&format!("{fam} to {} on {port}/tcp ({})", decl.path, why.join("; ")))
            }}),
        );
    }
    get_att(&sg, "GroupId")
}

/// What a database's generated master credentials differ in from one kind to another.
pub struct Credentials<'a> {
    /// The master username when `Properties.MasterUsername` sets none.
    pub default_username: &'a str,
    /// The engine, as the error about a username it refuses names it (`mysql`, `DocumentDB`).
    pub engine: &'a str,
    /// The longest master username the engine accepts.
    pub max_username: usize,
    /// The properties that would set or manage the master password, ignored with a warning.
    pub password_keys: &'a [&'a str],
    /// The database name the secret holds beside the username (`dbname`), for an engine that
    /// creates one.
    pub dbname: Option<Value>,
}

/// Characters RDS refuses in a master password (`/`, `"`, `@`, space), and the backslash.
const EXCLUDED: &str = "\"@/\\ ";

/// A database's master credentials, generated in an `AWS::SecretsManager::Secret`: the username
/// the file chose (it is not secret), and a password no one writes. The database reads both
/// through `{{resolve:secretsmanager:…}}` references, so that the password never appears in the
/// template, and the secret is attached to it so that Secrets Manager adds its host and port.
/// Returns the secret's logical ID.
pub fn master_credentials(ctx: &mut Ctx, decl: &Decl, props: &mut Map<String, Value>, spec: &Credentials) -> String {
    let props_path = join(&decl.path, "Properties");
    let secret = format!("{}Secret", decl.id);
    let username = props.remove("MasterUsername").unwrap_or_else(|| json!(spec.default_username));
    let (engine, max) = (spec.engine, spec.max_username);
    if username.as_str().is_some_and(|u| !valid_identifier(u, max)) {
        let (path, shown) = (join(&props_path, "MasterUsername"), show(&username));
        // Each kind keeps its own codes, the ones its users know.
        if decl.kind.key == "x-docdb" {
            ctx.d.error("CX4315", path, format!("{shown} is not a master username {engine} accepts: a letter, then letters, digits or _, {max} at most"));
        } else {
            ctx.d.error("CX4141", path, format!("{shown} is not a master username {engine} accepts: a letter, then letters, digits or _, {max} at most"));
        }
    }
    // The password properties the file sets are removed, each with a warning.
    for key in spec.password_keys.iter().filter(|k| props.remove(**k).is_some()) {
        let path = join(&props_path, key);
        if decl.kind.key == "x-docdb" {
            ctx.d.warn("CX4234", path, format!("ignored: ComposeX generates the master password in the secret {secret}, so that no password is written in the template"));
        } else {
            ctx.d.warn("CX4142", path, format!("ignored: ComposeX generates the master password in the secret {secret}, so that no password is written in the template"));
        }
    }
    let resolve =
        |key: &str| json!({"Fn::Sub": format!("{{{{resolve:secretsmanager:${{{secret}}}:SecretString:{key}}}}}")});
    props.insert("MasterUsername".into(), resolve("username"));
    props.insert("MasterUserPassword".into(), resolve("password"));
    let mut fields = vec![("username", "Username", &username)];
    if let Some(dbname) = &spec.dbname {
        fields.push(("dbname", "DbName", dbname));
    }
    ctx.add(
        &decl.path,
        secret.clone(),
        // Kept with the database's snapshot: restoring it needs these credentials.
        json!({"Type": "AWS::SecretsManager::Secret", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain", "Properties": {
            "Description": format!("Master credentials of {} (ComposeX)", decl.path),
            "GenerateSecretString": {
                "SecretStringTemplate": secret_template(&fields),
                "GenerateStringKey": "password",
                "PasswordLength": 32,
                "ExcludeCharacters": EXCLUDED
            }
        }}),
    );
    ctx.add(
        &decl.path,
        format!("{secret}Attachment"),
        json!({"Type": "AWS::SecretsManager::SecretTargetAttachment", "Properties": {
            "SecretId": r#ref(&secret), "TargetId": r#ref(&decl.id), "TargetType": decl.kind.cfn_type
        }}),
    );
    secret
}

/// The secret's JSON template, to which Secrets Manager adds the generated password: `fields`
/// are its keys with their values, literals or intrinsic functions (substituted in as the
/// variable named beside them).
fn secret_template(fields: &[(&str, &str, &Value)]) -> Value {
    if fields.iter().all(|(_, _, v)| v.is_string()) {
        let doc: Map<String, Value> = fields.iter().map(|(key, _, v)| (key.to_string(), (*v).clone())).collect();
        return json!(Value::Object(doc).to_string());
    }
    let mut vars = Map::new();
    let mut parts = Vec::new();
    for (key, var, v) in fields {
        let part = match v.as_str() {
            Some(s) => s.replace("${", "${!"),
            None => {
                vars.insert(var.to_string(), (*v).clone());
                format!("${{{var}}}")
            }
        };
        parts.push(format!("\"{key}\":\"{part}\""));
    }
    json!({"Fn::Sub": [format!("{{{}}}", parts.join(",")), vars]})
}

/// A master username the engines accept: a letter, then letters, digits or `_`, `max` at most.
fn valid_identifier(s: &str, max: usize) -> bool {
    s.len() <= max
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The variable names a resource's consumers get: `Settings.EnvNames`, or the resource's name
/// upper-cased. (The generic expansion reports what is wrong in `Settings`.)
pub fn env_names(decl: &Decl) -> Vec<String> {
    let names: Vec<String> = decl
        .def
        .get("Settings")
        .and_then(|s| s.get("EnvNames"))
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(|n| n.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    if names.is_empty() {
        vec![crate::cfn::naming::env_name(&decl.name)]
    } else {
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_read_as_a_sentence() {
        assert_eq!(choices(&["a"]), "a");
        assert_eq!(choices(&["a", "b", "c"]), "a, b or c");
    }

    #[test]
    fn descriptions_keep_to_the_allowed_alphabet() {
        assert_eq!(
            description("web to x-rds.db on 5432/tcp (x-rds.db.Services.web)"),
            "web to x-rds.db on 5432/tcp (x-rds.db.Services.web)"
        );
        assert_eq!(description("a\"b'c"), "a_b_c");
        assert_eq!(description(&"x".repeat(300)).len(), 255);
    }

    #[test]
    fn secret_templates_hold_username_and_database_name() {
        let (admin, shop, db) = (json!("admin"), json!("shop"), json!({"Ref": "DbName"}));
        assert_eq!(
            secret_template(&[("username", "Username", &admin), ("dbname", "DbName", &shop)]),
            json!("{\"dbname\":\"shop\",\"username\":\"admin\"}")
        );
        assert_eq!(
            secret_template(&[("username", "Username", &admin), ("dbname", "DbName", &db)]),
            json!({"Fn::Sub": ["{\"username\":\"admin\",\"dbname\":\"${DbName}\"}", {"DbName": {"Ref": "DbName"}}]})
        );
        assert_eq!(
            secret_template(&[("username", "Username", &db)]),
            json!({"Fn::Sub": ["{\"username\":\"${Username}\"}", {"Username": {"Ref": "DbName"}}]})
        );
    }
}
