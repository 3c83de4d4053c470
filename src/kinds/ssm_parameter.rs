//! `x-ssm_parameter`: SSM parameters. The parameter's ARN is not an attribute CloudFormation
//! returns: it is built from its name, which has a leading `/` when it is a path
//! (`/app/db-host`, ARN `…:parameter/app/db-host`) and none otherwise (`db-host`, ARN
//! `…:parameter/db-host`). Neither `Fn::Sub` nor a condition can test a prefix, so the ARN is
//! written with a `/` always, and the `//` a path gives is folded back by splitting on
//! `parameter//` and joining with `parameter/` (no parameter name contains `//`).

use super::generic::Decl;
use super::generic::{looked_up, macro_parameters, properties};
use super::{Attr, Kind, Level, Scope};
use crate::compose::read::literal;
use crate::diagnostics::join;
use crate::plan::Ctx;
use serde_json::{json, Value};

/// Reading this parameter and its history. `ssm:GetParametersByPath` is left out: authorised on
/// a path, it would read every parameter below this one's name, which are not this resource.
const RO: &[&str] = &["ssm:GetParameter", "ssm:GetParameterHistory", "ssm:GetParameters"];
const RW: &[&str] = &["ssm:GetParameter", "ssm:GetParameterHistory", "ssm:GetParameters", "ssm:PutParameter"];

fn arn(id: &str) -> Value {
    json!({"Fn::Join": ["parameter/", {"Fn::Split": ["parameter//", {
        "Fn::Sub": format!("arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter/${{{id}}}")
    }]}]})
}

pub const KIND: Kind = Kind {
    key: "x-ssm_parameter",
    cfn_type: "AWS::SSM::Parameter",
    suffix: "Parameter",
    return_values: &[("Name", Attr::Ref), ("Value", Attr::GetAtt("Value"))],
    arn: Attr::Build(arn),
    levels: &[
        Level { name: "RO", actions: RO, scope: Scope::Resource },
        Level { name: "RW", actions: RW, scope: Scope::Resource },
    ],
    // ECS ComposeX's strict levels are what RO and RW are here; SAM's read policy means RO.
    sam_policies: &[("ROStrict", "RO"), ("RWStrict", "RW"), ("SSMParameterReadPolicy", "RO")],
    hook: Some(hook),
    ..Kind::BASE
};

/// ECS ComposeX's `MacroParameters` that load the value from a local file.
const FILE_PARAMETERS: &[&str] =
    &["FromFile", "EncodeToBase64", "MinimizeJson", "RenderToJson", "ValidateJson", "ValidateYaml"];

/// What each of the other file options asks of the content, for the deployer to do.
const FILE_OPTIONS: &[(&str, &str)] = &[
    ("EncodeToBase64", "encode it in base64 (base64 -w0 FILE)"),
    ("MinimizeJson", "minify the JSON (jq -c . FILE)"),
    ("RenderToJson", "convert the YAML to JSON"),
    ("ValidateJson", "check that it is valid JSON (jq . FILE)"),
    ("ValidateYaml", "check that it is valid YAML"),
];

/// CloudFormation requires `Type` (String when missing, with a warning) and `Value`, cannot
/// create a `SecureString`, nor two parameters of one name. A value from a local file cannot be
/// read where the macro runs: it becomes a template parameter the deployer fills.
fn hook(ctx: &mut Ctx, decl: &Decl, siblings: &[Decl], resource: &mut Value) {
    if looked_up(decl) && !decl.def.contains_key("Properties") {
        return;
    }
    let params = macro_parameters(ctx, decl, FILE_PARAMETERS);
    let ppath = join(&decl.path, "MacroParameters");
    let from_file = params.get("FromFile").map(|f| (f.clone(), join(&ppath, "FromFile")));
    let value = match &from_file {
        Some((file, fpath)) => {
            let file = literal(file, fpath, "FromFile", &mut ctx.d);
            let value = file.and_then(|file| {
                let description = format!("Value of {}: the content of {file} (MacroParameters.FromFile)", decl.path);
                ctx.file_parameter(&format!("{}Value", decl.id), &description, false, &file, fpath)
            });
            for (k, what) in FILE_OPTIONS {
                if params.contains_key(*k) {
                    ctx.d.warn(
                        "CX4190",
                        join(&ppath, k),
                        format!("not applied: ComposeX never sees the file; {what} before you pass its content"),
                    );
                }
            }
            value
        }
        None => {
            for k in params.keys() {
                ctx.d.warn("CX4191", join(&ppath, k), "ignored: it applies to FromFile only");
            }
            None
        }
    };
    let path = join(&decl.path, "Properties");
    let Some(props) = properties(resource) else { return };
    match props.get("Type") {
        None => {
            props.insert("Type".into(), Value::String("String".into()));
            ctx.d.warn("CX4192", join(&path, "Type"), "String applied: CloudFormation requires the type of a parameter");
        }
        Some(Value::String(t)) if t == "SecureString" => ctx.d.error("CX4193", 
            join(&path, "Type"),
            "CloudFormation cannot create a SecureString parameter; use String, or a secret (top-level secrets) for a value to keep out of the template",
        ),
        Some(_) => {}
    }
    if let Some(value) = value {
        if props.contains_key("Value") {
            ctx.d.warn("CX4194", join(&path, "Value"), "replaced: MacroParameters.FromFile gives the value");
        }
        props.insert("Value".into(), value);
    } else if !props.contains_key("Value") && from_file.is_none() {
        ctx.d.error("CX4195", &path, "a parameter needs Value (CloudFormation requires it)");
    }
    if let Some(keeper) = same_name(decl, siblings) {
        if let Some(name) = props.remove("Name") {
            ctx.d.warn("CX4196", 
                join(&path, "Name"),
                format!(
                    "left to CloudFormation: {} is also the Name of {}, which keeps it (one name, one parameter); consumers get the generated name in their environment",
                    crate::compose::read::show(&name),
                    join(KIND.key, &keeper)
                ),
            );
        }
    }
}

/// The first resource, in name order, that declares the same literal `Properties.Name` as this
/// one and comes before it; that one keeps the name.
fn same_name(decl: &Decl, siblings: &[Decl]) -> Option<String> {
    let name = decl.def.get("Properties")?.get("Name")?.as_str()?;
    siblings
        .iter()
        .take_while(|d| d.name != decl.name)
        .find(|d| d.def.get("Properties").and_then(|p| p.get("Name")).and_then(Value::as_str) == Some(name))
        .map(|d| d.name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_arn_folds_the_slash_of_a_path() {
        let a = KIND.arn.value("DbHostParameter");
        assert_eq!(a["Fn::Join"][0], "parameter/");
        assert_eq!(a["Fn::Join"][1]["Fn::Split"][0], "parameter//");
        assert_eq!(
            a["Fn::Join"][1]["Fn::Split"][1]["Fn::Sub"],
            "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${DbHostParameter}"
        );
        // What CloudFormation computes, for both shapes of name.
        let fold = |name: &str| {
            let full = format!("arn:aws:ssm:eu-west-1:111122223333:parameter/{name}");
            full.split("parameter//").collect::<Vec<_>>().join("parameter/")
        };
        assert_eq!(fold("/app/db-host"), "arn:aws:ssm:eu-west-1:111122223333:parameter/app/db-host");
        assert_eq!(fold("db-host"), "arn:aws:ssm:eu-west-1:111122223333:parameter/db-host");
    }

    /// The kinds of DynamoDB, S3, Kinesis, KMS and SSM: exact actions of their own service,
    /// never a wildcard, each once; SAM names and defaults that resolve.
    #[test]
    fn levels_list_exact_actions_of_their_service() {
        use crate::kinds::{dynamodb, kinesis, kms, s3};
        for (kind, service) in [
            (&dynamodb::KIND, "dynamodb:"),
            (&s3::KIND, "s3:"),
            (&kinesis::KIND, "kinesis:"),
            (&kms::KIND, "kms:"),
            (&KIND, "ssm:"),
        ] {
            for l in kind.levels {
                let mut sorted = l.actions.to_vec();
                sorted.sort_unstable();
                sorted.dedup();
                assert_eq!(sorted, l.actions, "{} {}: sorted, each once", kind.key, l.name);
                for a in l.actions {
                    assert!(a.starts_with(service) && !a.contains('*'), "{} {}: {a}", kind.key, l.name);
                }
            }
            for (sam, level) in kind.sam_policies {
                assert!(kind.level(sam).is_some_and(|l| l.name == *level), "{} {sam}", kind.key);
            }
            assert!(!kind.levels[0].actions.is_empty(), "{}: the default level grants something", kind.key);
        }
    }
}
