//! Compose `secrets` → ECS `Secrets`: each service that lists a secret gets it as an environment
//! variable that ECS fills at start, and its family's execution role may read exactly that ARN.
//!
//! Sources, by top-level secret:
//! - `external: true` + `name:` a Secrets Manager ARN, an SSM parameter ARN, or an SSM parameter
//!   name (without `name`, the secret's key);
//! - ECS ComposeX `x-secrets: {Name, VarName, JsonKeys, KmsKeyId}`: a Secrets Manager secret by
//!   name or ARN, one variable or one per JSON key;
//! - Docker's `x-aws-keys: [key…]` beside `name:`: one variable per JSON key;
//! - `environment:`: a Secrets Manager secret whose value is a `NoEcho` template parameter the
//!   deployer fills from that variable, in the macro and the CLI alike;
//! - `file:`: refused by the macro (it has no files); the CLI creates a Secrets Manager secret
//!   whose value is a `NoEcho` template parameter the deployer passes (`--parameter-overrides`);
//! - none of these: the Secrets Manager secret named after the key, with a warning.
//!
//! Habits of docker compose that leak or miss a secret on ECS get a warning with the way out: a
//! credential written in `environment` (`POSTGRES_PASSWORD`, `*_SECRET`, `*_TOKEN`…) is in the
//! template and the task definition for anyone who may read them; and `/run/secrets/<name>`,
//! where docker puts secrets, does not exist on ECS, which sets environment variables instead.

use crate::cfn::naming::pascal;
use crate::compose::read::{literal, map_or};
use crate::diagnostics::{index, join};
use crate::plan::Ctx;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Where one top-level secret's values come from.
#[derive(Debug, Clone)]
struct Source {
    /// `ValueFrom` of the whole secret.
    value_from: Value,
    /// What IAM must allow: (action, resource).
    grant: (&'static str, Value),
    /// Variable name, when the definition names one.
    var: Option<String>,
    /// (JSON key, variable name): one variable per key instead of one for the whole secret.
    keys: Vec<(String, String)>,
    kms_key: Option<Value>,
}

impl Source {
    /// A whole Secrets Manager secret.
    fn secrets_manager(value_from: Value) -> Source {
        Source::new(("secretsmanager:GetSecretValue", sm_iam(&value_from)), value_from)
    }

    /// A whole SSM parameter, by its ARN.
    fn ssm(arn: Value) -> Source {
        Source::new(("ssm:GetParameters", arn.clone()), arn)
    }

    fn new(grant: (&'static str, Value), value_from: Value) -> Source {
        Source { value_from, grant, var: None, keys: vec![], kms_key: None }
    }
}

fn sm_arn_of_name(name: &str) -> Value {
    json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:{name}")})
}

/// IAM needs the secret's full ARN, which ends in a random `-XXXXXX`: a name or partial ARN
/// gets the six-character wildcard, the narrowest AWS accepts.
fn sm_iam(value_from: &Value) -> Value {
    let full = |s: &str| {
        s.rsplit_once('-').is_some_and(|(_, tail)| tail.len() == 6 && tail.chars().all(|c| c.is_ascii_alphanumeric()))
    };
    match value_from {
        Value::String(s) if full(s) => value_from.clone(),
        Value::String(s) => Value::String(format!("{s}-??????")),
        Value::Object(m) => match m.get("Fn::Sub") {
            Some(Value::String(s)) => json!({"Fn::Sub": format!("{s}-??????")}),
            _ => value_from.clone(),
        },
        other => other.clone(),
    }
}

fn ssm_arn(name: &str) -> Value {
    json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter/{}", name.trim_start_matches('/'))})
}

/// The default variable of secret `db-password`: `DB_PASSWORD`.
fn var_name(name: &str) -> String {
    crate::cfn::naming::env_name(name)
}

pub fn expand(ctx: &mut Ctx) {
    let mut sources: BTreeMap<String, Source> = Default::default();
    let defs = ctx.project.secrets.clone();
    for (name, def) in &defs {
        if let Some(s) = source(ctx, name, def) {
            sources.insert(name.clone(), s);
        }
    }
    let project = ctx.project;
    // (service, secret) → the variables ECS sets with it.
    let mut given: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
    for (svc, s) in &project.services {
        for sec in &s.secrets {
            let Some(src) = sources.get(&sec.source) else { continue };
            let target = sec.target.as_deref().filter(|t| !t.contains('/') && !t.is_empty());
            let vars: Vec<(String, Value)> = if src.keys.is_empty() {
                let var =
                    target.map(str::to_string).or_else(|| src.var.clone()).unwrap_or_else(|| var_name(&sec.source));
                vec![(var, src.value_from.clone())]
            } else {
                src.keys.iter().map(|(key, var)| (var.clone(), json_key(&src.value_from, key))).collect()
            };
            if let Some(file) = sec.target.as_deref().filter(|t| t.contains('/')) {
                let names: Vec<&str> = vars.iter().map(|(v, _)| v.as_str()).collect();
                ctx.d.warn(
                    "CX5168",
                    join(&sec.path, "target"),
                    format!("{file} is not written: ECS passes a secret as an environment variable, here {}; have the application read it there (or write it to the file in the entrypoint), or set target to the variable's name", names.join(", ")),
                );
            }
            given.entry((svc, &sec.source)).or_default().extend(vars.iter().map(|(v, _)| v.clone()));
            for (var, value_from) in vars {
                let entry = ctx.plan.secrets.entry(svc.clone()).or_default();
                if entry.insert(var.clone(), value_from).is_some() {
                    ctx.d.error("CX5059", &sec.path, format!("{var} is already set by another secret of {svc:?}; give one a VarName (x-secrets) or a target"));
                }
            }
            let fams = ctx.plan.families.of_service.get(svc).cloned().unwrap_or_default();
            for f in fams {
                let grants = ctx.plan.exec_grants.entry(f).or_default();
                grants.push(json!({"Effect": "Allow", "Action": [src.grant.0], "Resource": src.grant.1}));
                if let Some(k) = &src.kms_key {
                    grants.push(json!({"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": k}));
                }
            }
        }
    }
    for (svc, s) in &project.services {
        let env = join(&join("services", svc), "environment");
        for (var, value) in &s.environment {
            let p = join(&env, var);
            let text = value.as_str().unwrap_or_default();
            if plain_credential(var, text) {
                ctx.d.warn("CX5060", &p, format!("a credential in plain text: it is written into the template and the task definition, where whoever may read them sees it; keep it in Secrets Manager or SSM, declare it under the top-level secrets (external: true with its ARN, or x-secrets) and list it in the service's secrets with target: {var}, which ECS sets at start"));
            }
            for name in text.split("/run/secrets/").skip(1) {
                let name: String =
                    name.chars().take_while(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c)).collect();
                let vars = given.get(&(svc.as_str(), name.as_str()));
                let now = match vars {
                    Some(v) => format!("secret {name:?} is in the variable {}", v.join(", ")),
                    None => format!("list {name:?} in the service's secrets, and ECS sets it as a variable"),
                };
                let hint = match var.strip_suffix("_FILE") {
                    Some(plain) => format!(": an image that reads {var} usually reads {plain} too, so give the secret that name (secrets: [{{source: {name}, target: {plain}}}])"),
                    None => String::new(),
                };
                ctx.d.warn("CX5061", &p, format!("ECS passes secrets as environment variables, not as files under /run/secrets: {now}; have the application read the variable{hint}"));
            }
        }
    }
}

/// A variable that, by its name, holds a credential, set to a literal value: not a file name
/// (`*_FILE`), not a flag, not a dynamic reference CloudFormation resolves.
fn plain_credential(var: &str, text: &str) -> bool {
    const ENDINGS: &[&str] =
        &["PASSWORD", "PASSWD", "_PASS", "SECRET", "TOKEN", "API_KEY", "APIKEY", "PRIVATE_KEY", "ACCESS_KEY"];
    let var = var.to_ascii_uppercase();
    ENDINGS.iter().any(|e| var.ends_with(e))
        && !text.is_empty()
        && !text.starts_with("{{resolve:")
        && !matches!(text.to_ascii_lowercase().as_str(), "true" | "false" | "yes" | "no" | "on" | "off")
}

/// `ValueFrom` of one JSON key of a Secrets Manager secret: `ARN:key::`.
fn json_key(value_from: &Value, key: &str) -> Value {
    match value_from {
        Value::String(s) => Value::String(format!("{s}:{key}::")),
        Value::Object(m) => match m.get("Fn::Sub") {
            Some(Value::String(s)) => json!({"Fn::Sub": format!("{s}:{key}::")}),
            _ => json!({"Fn::Join": ["", [value_from, format!(":{key}::")]]}),
        },
        other => json!({"Fn::Join": ["", [other, format!(":{key}::")]]}),
    }
}

fn source(ctx: &mut Ctx, name: &str, def: &Value) -> Option<Source> {
    let path = join("secrets", name);
    let m = map_or(def, &path, "a secret must be a mapping", &mut ctx.d)?;
    for k in m.keys() {
        if !matches!(k.as_str(), "external" | "name" | "file" | "environment" | "x-secrets" | "x-aws-keys" | "labels")
            && !k.starts_with("x-")
        {
            ctx.d.error(
                "CX5062",
                join(&path, k),
                format!("{k:?} is not a secret key; use external and name, file, or x-secrets"),
            );
        }
    }
    if let Some(x) = m.get("x-secrets") {
        return x_secrets(ctx, name, x, &join(&path, "x-secrets"));
    }
    if let Some(f) = m.get("file") {
        return file_secret(ctx, name, f, &join(&path, "file"));
    }
    if let Some(e) = m.get("environment") {
        return environment_secret(ctx, name, e, &join(&path, "environment"));
    }
    let external = m.get("external").is_some_and(|v| v.as_bool() == Some(true) || v.as_str() == Some("true"));
    let explicit = m.get("name").and_then(|n| literal(n, &join(&path, "name"), "a secret name", &mut ctx.d));
    if !external && explicit.is_none() {
        ctx.d.warn("CX5064", &path, format!("has no file, external or x-secrets: ComposeX reads the Secrets Manager secret named {name:?} in the stack's account and region"));
        return Some(Source::secrets_manager(sm_arn_of_name(name)));
    }
    let id = explicit.unwrap_or_else(|| name.to_string());
    let mut src = if id.starts_with("arn:") && id.contains(":secretsmanager:") {
        Source::secrets_manager(Value::String(id))
    } else if id.starts_with("arn:") && id.contains(":ssm:") {
        Source::ssm(Value::String(id))
    } else if id.starts_with("arn:") {
        ctx.d.error(
            "CX5065",
            join(&path, "name"),
            format!("{id:?} is neither a Secrets Manager secret nor an SSM parameter ARN"),
        );
        return None;
    } else {
        Source::ssm(ssm_arn(&id))
    };
    if let Some(keys) = m.get("x-aws-keys") {
        let kp = join(&path, "x-aws-keys");
        if src.grant.0 != "secretsmanager:GetSecretValue" {
            ctx.d.error("CX5066", &kp, "JSON keys exist only in Secrets Manager secrets; name one by its ARN");
        }
        match keys.as_array() {
            Some(list) => {
                for (i, k) in list.iter().enumerate() {
                    let Some(k) = literal(k, &index(&kp, i), "a JSON key", &mut ctx.d) else { continue };
                    if k == "*" {
                        continue;
                    }
                    src.keys.push((k.clone(), var_name(&k)));
                }
            }
            None => ctx.d.error("CX5067", &kp, "x-aws-keys must be a list of the secret's JSON keys"),
        }
    }
    Some(src)
}

fn x_secrets(ctx: &mut Ctx, name: &str, x: &Value, path: &str) -> Option<Source> {
    let m = map_or(x, path, "x-secrets must be a mapping with Name", &mut ctx.d)?;
    let mut src_name = None;
    let mut var = None;
    let mut keys = Vec::new();
    let mut kms_key = None;
    for (k, v) in m {
        let p = join(path, k);
        match k.as_str() {
            "Name" => src_name = literal(v, &p, "a secret name", &mut ctx.d),
            "VarName" => var = literal(v, &p, "a variable name", &mut ctx.d),
            "KmsKeyId" | "KmsKeyArn" => kms_key = Some(v.clone()),
            "JsonKeys" => match v.as_array() {
                Some(list) => {
                    for (i, item) in list.iter().enumerate() {
                        let ip = index(&p, i);
                        let key = item
                            .get("SecretKey")
                            .or_else(|| item.get("Key"))
                            .and_then(|x| literal(x, &join(&ip, "SecretKey"), "a JSON key", &mut ctx.d));
                        let Some(key) = key else {
                            ctx.d.error("CX5068", &ip, "a JSON key needs SecretKey, the key in the secret's JSON");
                            continue;
                        };
                        let v = item
                            .get("VarName")
                            .and_then(|x| literal(x, &join(&ip, "VarName"), "a variable name", &mut ctx.d))
                            .unwrap_or_else(|| var_name(&key));
                        keys.push((key, v));
                    }
                }
                None => ctx.d.error("CX5069", &p, "JsonKeys must be a list of {SecretKey, VarName}"),
            },
            "Lookup" => ctx.d.error(
                "CX5070",
                &p,
                "Lookup needs AWS API calls while the template is transformed; give the secret's Name or ARN",
            ),
            "LinksTo" | "Transform" => {
                ctx.d.warn("CX5071", &p, "ignored: ComposeX gives the secret to the services that list it")
            }
            _ => ctx.d.error(
                "CX5072",
                &p,
                format!("{k:?} is not an x-secrets key; use Name, VarName, JsonKeys or KmsKeyId"),
            ),
        }
    }
    let _ = name;
    let Some(n) = src_name else {
        ctx.d.error("CX5073", join(path, "Name"), "x-secrets needs Name, the Secrets Manager secret's name or ARN");
        return None;
    };
    let value_from = if n.starts_with("arn:") { Value::String(n) } else { sm_arn_of_name(&n) };
    Some(Source { var, keys, kms_key, ..Source::secrets_manager(value_from) })
}

/// `environment:` secrets: the value is in a variable of the machine that deploys. The secret is
/// created with its value from a `NoEcho` template parameter the deployer fills from that
/// variable (`--parameter-overrides XSecretValue="$VAR"`), so the template never holds it and
/// the first deploy starts the tasks that read it.
fn environment_secret(ctx: &mut Ctx, name: &str, e: &Value, path: &str) -> Option<Source> {
    let var = literal(e, path, "the name of an environment variable", &mut ctx.d)?;
    if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        ctx.d.error("CX5063", path, format!("{var:?} is not the name of an environment variable"));
        return None;
    }
    let id = format!("{}Secret", pascal(name));
    let pid = format!("{id}Value");
    let declaration = json!({
        "Type": "String",
        "NoEcho": true,
        "Description": format!("Value of compose secret {name}: the variable {var} of the machine that deploys")
    });
    let pass = format!("{pid}=\"${var}\"");
    let value =
        ctx.parameter(&pid, declaration, ("the value is in the environment that deploys", "the value"), &pass, path)?;
    ctx.add(
        &join("secrets", name),
        id.clone(),
        json!({"Type": "AWS::SecretsManager::Secret", "Properties": {
            "Description": format!("compose secret {name} (from the variable {var})"),
            "SecretString": value
        }}),
    );
    ctx.t.output(format!("{id}Arn"), json!({"Ref": id}), &format!("Secret for compose secret {name}"));
    Some(Source::secrets_manager(json!({"Ref": id})))
}

/// `file:` secrets: the macro cannot read files. The CLI creates the secret with its value from
/// a `NoEcho` template parameter the deployer passes (never the value itself), so that the
/// first deploy starts the tasks that read it; an empty secret would keep them from starting.
fn file_secret(ctx: &mut Ctx, name: &str, f: &Value, path: &str) -> Option<Source> {
    if !ctx.plan.cli {
        ctx.d.error("CX5074", 
            path,
            "a file secret needs the file, which the macro cannot read; store the value in Secrets Manager and declare the secret with external: true and its ARN as name (or render with the composex CLI, which makes its value a template parameter)",
        );
        return None;
    }
    let file = f.as_str().unwrap_or_default();
    let id = format!("{}Secret", pascal(name));
    let description = format!("Value of compose secret {name}: the content of {file}");
    let value = ctx.file_parameter(&format!("{id}Value"), &description, true, file, path)?;
    ctx.add(
        &join("secrets", name),
        id.clone(),
        json!({"Type": "AWS::SecretsManager::Secret", "Properties": {
            "Description": format!("compose secret {name} (from {file})"),
            "SecretString": value
        }}),
    );
    ctx.t.output(format!("{id}Arn"), json!({"Ref": id}), &format!("Secret for compose secret {name}"));
    // sm_iam leaves a Ref as it is: the created secret's full ARN.
    Some(Source::secrets_manager(json!({"Ref": id})))
}
