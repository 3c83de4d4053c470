//! `x-s3`: S3 buckets. `Access` is a mapping, as in ECS ComposeX: `objects` levels are scoped
//! to the bucket's objects (`arn/*`), `bucket` levels to the bucket itself, and
//! `enforceSecureConnection: true` gives the bucket a policy that denies every request not made
//! over TLS. The string form is accepted for the AWS SAM policy templates only
//! (`S3ReadPolicy`, `S3WritePolicy`, `S3CrudPolicy`), which cover both the bucket and its objects.
//! The user's own statements (`MacroParameters.BucketPolicy.Policies`) join that deny in the
//! bucket's one policy; what they allow is the user's, within SPEC §7.1 (no `*`, `s3:*` nor
//! NotAction).

use super::generic::Decl;
use super::generic::{looked_up, macro_parameters, properties};
use super::{Attr, Kind, Level, Scope};
use crate::cfn::is_intrinsic;
use crate::compose::read::{boolean, kind as kind_of, literal, map_or};
use crate::diagnostics::{index, join};
use crate::plan::Ctx;
use serde_json::{json, Map, Value};

const OBJECTS: Scope = Scope::Children("/*");
const BOTH: Scope = Scope::WithChildren("/*");

/// Object levels leave out what ECS ComposeX's wildcards (`s3:GetObject*`, `s3:PutObject*`,
/// `s3:DeleteObject*`) also matched but an application has no business doing: object ACLs (they
/// can make an object public), Object Lock retention and legal holds, replication reads, and
/// `DeleteObjectVersion` (a permanent deletion that versioning exists to prevent).
const READ: &[&str] = &[
    "s3:GetObject",
    "s3:GetObjectAttributes",
    "s3:GetObjectTagging",
    "s3:GetObjectVersion",
    "s3:GetObjectVersionAttributes",
    "s3:GetObjectVersionTagging",
];
const WRITE: &[&str] =
    &["s3:AbortMultipartUpload", "s3:PutObject", "s3:PutObjectTagging", "s3:PutObjectVersionTagging"];
const RW: &[&str] = &[
    "s3:AbortMultipartUpload",
    "s3:GetObject",
    "s3:GetObjectAttributes",
    "s3:GetObjectTagging",
    "s3:GetObjectVersion",
    "s3:GetObjectVersionAttributes",
    "s3:GetObjectVersionTagging",
    "s3:PutObject",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionTagging",
];
const RW_DELETE: &[&str] = &[
    "s3:AbortMultipartUpload",
    "s3:DeleteObject",
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersionTagging",
    "s3:GetObject",
    "s3:GetObjectAttributes",
    "s3:GetObjectTagging",
    "s3:GetObjectVersion",
    "s3:GetObjectVersionAttributes",
    "s3:GetObjectVersionTagging",
    "s3:PutObject",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionTagging",
];
/// ECS ComposeX's CRUD without `s3:PutObjectAcl` and without `s3:CreateMultipartUpload`, which is
/// not an IAM action (`s3:PutObject` authorises multipart uploads).
const CRUD: &[&str] = &[
    "s3:AbortMultipartUpload",
    "s3:DeleteObject",
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersionTagging",
    "s3:GetObject",
    "s3:GetObjectTagging",
    "s3:GetObjectVersionTagging",
    "s3:PutObject",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionTagging",
];
const LIST_ONLY: &[&str] = &["s3:GetBucketLocation", "s3:GetBucketPublicAccessBlock", "s3:ListBucket"];
/// The bucket's configuration read, and the parts an application may tune written (CORS,
/// notifications, lifecycle, tags); never its policy, ACL, public access block, ownership,
/// encryption or versioning, nor creating or deleting it.
const POWER_USER: &[&str] = &[
    "s3:GetAccelerateConfiguration",
    "s3:GetBucketCORS",
    "s3:GetBucketLocation",
    "s3:GetBucketLogging",
    "s3:GetBucketNotification",
    "s3:GetBucketOwnershipControls",
    "s3:GetBucketPolicy",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketTagging",
    "s3:GetBucketVersioning",
    "s3:GetBucketWebsite",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:ListBucket",
    "s3:ListBucketMultipartUploads",
    "s3:ListBucketVersions",
    "s3:PutBucketCORS",
    "s3:PutBucketNotification",
    "s3:PutBucketTagging",
    "s3:PutLifecycleConfiguration",
];

/// The AWS SAM policy templates, action for action.
const SAM_READ: &[&str] =
    &["s3:GetBucketLocation", "s3:GetLifecycleConfiguration", "s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"];
const SAM_WRITE: &[&str] = &["s3:PutLifecycleConfiguration", "s3:PutObject", "s3:PutObjectAcl"];
const SAM_CRUD: &[&str] = &[
    "s3:DeleteObject",
    "s3:GetBucketLocation",
    "s3:GetLifecycleConfiguration",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:ListBucket",
    "s3:PutLifecycleConfiguration",
    "s3:PutObject",
    "s3:PutObjectAcl",
];

/// The level `enforceSecureConnection: true` asks for; it grants nothing, the hook acts on it.
const SECURE: &str = "enforceSecureConnection:true";

pub const KIND: Kind = Kind {
    key: "x-s3",
    cfn_type: "AWS::S3::Bucket",
    suffix: "Bucket",
    return_values: &[
        ("BucketName", Attr::Ref),
        ("Arn", Attr::GetAtt("Arn")),
        ("DomainName", Attr::GetAtt("DomainName")),
        ("RegionalDomainName", Attr::GetAtt("RegionalDomainName")),
    ],
    arn: Attr::GetAtt("Arn"),
    levels: &[
        Level { name: "objects:ReadOnly", actions: READ, scope: OBJECTS },
        Level { name: "objects:StrictReadOnly", actions: &["s3:GetObject"], scope: OBJECTS },
        Level { name: "objects:WriteOnly", actions: WRITE, scope: OBJECTS },
        Level { name: "objects:StrictWriteOnly", actions: &["s3:PutObject"], scope: OBJECTS },
        Level { name: "objects:RW", actions: RW, scope: OBJECTS },
        Level { name: "objects:StrictRW", actions: &["s3:GetObject", "s3:PutObject"], scope: OBJECTS },
        Level { name: "objects:RWDelete", actions: RW_DELETE, scope: OBJECTS },
        Level {
            name: "objects:StrictRWDelete",
            actions: &["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
            scope: OBJECTS,
        },
        Level { name: "objects:CRUD", actions: CRUD, scope: OBJECTS },
        Level { name: "bucket:ListOnly", actions: LIST_ONLY, scope: Scope::Resource },
        Level { name: "bucket:PowerUser", actions: POWER_USER, scope: Scope::Resource },
        Level { name: SECURE, actions: &[], scope: Scope::Resource },
        Level { name: "enforceSecureConnection:false", actions: &[], scope: Scope::Resource },
        Level { name: "S3ReadPolicy", actions: SAM_READ, scope: BOTH },
        Level { name: "S3WritePolicy", actions: SAM_WRITE, scope: BOTH },
        Level { name: "S3CrudPolicy", actions: SAM_CRUD, scope: BOTH },
    ],
    keeps_data: Some("Retain"),
    settings_keys: &[
        "EnableAcceleration",
        "EnableEncryption",
        "ExpandAccountIdToBucket",
        "ExpandRegionToBucket",
        "NameSeparator",
    ],
    hook: Some(hook),
    ..Kind::BASE
};

const PARAMETERS: &[&str] = &["BucketPolicy", "ExpandAccountIdToBucket", "ExpandRegionToBucket", "NameSeparator"];

/// The bucket-name options, which older ECS ComposeX files write in `Settings`.
const NAME_OPTIONS: &[&str] = &["ExpandAccountIdToBucket", "ExpandRegionToBucket", "NameSeparator"];

/// ECS ComposeX's `MacroParameters` (the bucket name made unique with the account and region,
/// the predefined TLS-only bucket policy, user statements in the bucket policy),
/// `enforceSecureConnection: true`, and the `Settings` of older ECS ComposeX files (the name
/// options, `EnableAcceleration`, `EnableEncryption`).
fn hook(ctx: &mut Ctx, decl: &Decl, _: &[Decl], resource: &mut Value) {
    let consumers = &decl.consumers;
    if looked_up(decl) && !decl.def.contains_key("Properties") {
        return;
    }
    let params = macro_parameters(ctx, decl, PARAMETERS);
    let ppath = join(&decl.path, "MacroParameters");
    let spath = join(&decl.path, "Settings");
    let settings = decl.def.get("Settings").and_then(Value::as_object).cloned().unwrap_or_default();
    let mut secure = consumers.iter().any(|c| c.levels.iter().any(|l| l.name == SECURE));
    let mut statements = Vec::new();
    if let Some(policy) = params.get("BucketPolicy") {
        let (s, user) = bucket_policy(ctx, decl, policy, &join(&ppath, "BucketPolicy"));
        secure |= s;
        statements = user;
    }
    let mut options = Map::new();
    for key in NAME_OPTIONS {
        let from_params = params.get(*key).map(|v| (v.clone(), join(&ppath, key)));
        let from_settings = settings.get(*key).map(|v| (v.clone(), join(&spath, key)));
        if let (Some((a, _)), Some((b, p))) = (&from_params, &from_settings) {
            if a != b {
                ctx.d.warn("CX4154", p, format!("ignored: MacroParameters.{key} gives it"));
            }
        }
        if let Some(found) = from_params.or(from_settings) {
            options.insert(key.to_string(), json!(found));
        }
    }
    if let Some(props) = properties(resource) {
        expand_name(ctx, &options, &decl.path, props);
        encryption(ctx, &settings, &decl.path, props);
        acceleration(ctx, &settings, &spath, props);
        owner_acl(ctx, &decl.path, props);
        // S3's default for new buckets, written out so that it holds whatever the account says.
        let all = json!({"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true});
        props.entry("PublicAccessBlockConfiguration").or_insert(all);
    }
    if secure {
        let arn = json!({"Fn::GetAtt": [decl.id, "Arn"]});
        let statement = json!({
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, {"Fn::Join": ["", [arn, "/*"]]}],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        });
        statements.insert(0, statement);
    }
    if !statements.is_empty() {
        ctx.add(
            &decl.path,
            format!("{}Policy", decl.id),
            json!({"Type": "AWS::S3::BucketPolicy", "Properties": {
                "Bucket": {"Ref": decl.id},
                "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}
            }}),
        );
    }
}

/// `BucketPolicy: {PredefinedBucketPolicies: [enforceSecureConnection], Policies: [...]}`:
/// whether it asks for the TLS-only policy, and the user's statements as the bucket policy
/// says them.
fn bucket_policy(ctx: &mut Ctx, decl: &Decl, v: &Value, path: &str) -> (bool, Vec<Value>) {
    let head = "BucketPolicy must be a mapping with PredefinedBucketPolicies and Policies";
    let Some(m) = map_or(v, path, head, &mut ctx.d) else { return (false, Vec::new()) };
    let mut secure = false;
    let mut statements = Vec::new();
    for (k, v) in m {
        let p = join(path, k);
        match k.as_str() {
            "PredefinedBucketPolicies" => match v.as_array() {
                Some(list) => {
                    for (i, item) in list.iter().enumerate() {
                        let ip = index(&p, i);
                        match literal(item, &ip, "a predefined bucket policy", &mut ctx.d).as_deref() {
                            Some("enforceSecureConnection") => secure = true,
                            Some(other) => ctx.d.error(
                                "CX4155",
                                ip,
                                format!("{other:?} is not a predefined bucket policy; use enforceSecureConnection"),
                            ),
                            None => {}
                        }
                    }
                }
                None => {
                    ctx.d.error("CX4156", &p, "PredefinedBucketPolicies must be a list, like [enforceSecureConnection]")
                }
            },
            // ECS ComposeX's schema names the list Statement, its code Policies: both are read.
            "Policies" | "Statement" => match v.as_array() {
                Some(list) => {
                    for (i, st) in list.iter().enumerate() {
                        if let Some(st) = user_statement(ctx, decl, st, &index(&p, i)) {
                            statements.push(st);
                        }
                    }
                }
                None => ctx.d.error("CX4157", &p, format!("{k} must be a list of policy statements")),
            },
            _ => ctx.d.warn(
                "CX4158",
                &p,
                "ignored: ComposeX reads PredefinedBucketPolicies and Policies (or Statement) from BucketPolicy",
            ),
        }
    }
    (secure, statements)
}

/// One statement of `BucketPolicy.Policies`, as ECS ComposeX reads it: `${!ARN}` in a resource
/// is the bucket's ARN, and a statement without Principal is for the stack's own account
/// (the IAM policies of its roles and users then decide). Refused: NotAction, actions of
/// every service or of all S3 (SPEC §7.1), actions of another service (S3 refuses the policy).
fn user_statement(ctx: &mut Ctx, decl: &Decl, st: &Value, path: &str) -> Option<Value> {
    let head = "a policy statement must be a mapping with Effect, Action and Resource";
    let m = map_or(st, path, head, &mut ctx.d)?;
    let mut out = Map::new();
    let mut ok = true;
    let allow = match m.get("Effect").and_then(Value::as_str) {
        Some("Allow") => true,
        Some("Deny") => false,
        _ => {
            ctx.d.error("CX4159", join(path, "Effect"), "a statement needs Effect: Allow or Deny");
            return None;
        }
    };
    for (k, v) in m {
        let p = join(path, k);
        match k.as_str() {
            "Sid" | "Effect" | "Principal" => {
                out.insert(k.clone(), v.clone());
            }
            "NotPrincipal" | "NotResource" if !allow => {
                out.insert(k.clone(), v.clone());
            }
            "NotPrincipal" | "NotResource" => {
                ctx.d.error("CX4160", &p, format!("{k} in an Allow statement allows everyone or everything but those listed; list what to allow in {}", &k[3..]));
                ok = false;
            }
            "NotAction" => {
                ctx.d.error(
                    "CX4161",
                    &p,
                    "NotAction grants every action but those listed; list the actions to allow in Action instead",
                );
                ok = false;
            }
            "Action" => {
                ok &= actions(ctx, v, &p, allow);
                out.insert(k.clone(), v.clone());
            }
            "Resource" => {
                let items = match v {
                    Value::Array(items) => items.clone(),
                    other => vec![other.clone()],
                };
                out.insert(k.clone(), Value::Array(items.iter().map(|r| bucket_arn(&decl.id, r)).collect()));
            }
            "Condition" => match condition(ctx, v, &p, allow) {
                Some(c) => {
                    out.insert(k.clone(), c);
                }
                None => ok = false,
            },
            _ => {
                ctx.d.error("CX4162", &p, format!("{k:?} is not an element of a policy statement; use Sid, Effect, Principal, Action, Resource or Condition"));
                ok = false;
            }
        }
    }
    if !m.contains_key("Action") && !m.contains_key("NotAction") {
        ctx.d.error("CX4163", path, "a statement needs Action, the S3 actions it allows or denies");
        ok = false;
    }
    if !m.contains_key("Resource") && !m.contains_key("NotResource") {
        ctx.d.error("CX4164", path, "a statement needs Resource: ${!ARN} for the bucket, ${!ARN}/* for its objects");
        ok = false;
    }
    if !m.contains_key("Principal") && !m.contains_key("NotPrincipal") {
        out.insert(
            "Principal".into(),
            json!({"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}),
        );
        ctx.d.warn("CX4165", 
            path,
            "no Principal: the stack's own account applied (its root, arn:PARTITION:iam::ACCOUNT-ID:root): its roles and users may do this when their IAM policies allow it too; write Principal to name others",
        );
    } else if allow && m.get("Principal").is_some_and(|p| p == "*" || p.get("AWS").is_some_and(|a| a == "*")) {
        ctx.d.warn("CX4166", 
            join(path, "Principal"),
            "\"*\" in an Allow statement gives everyone, without credentials, what it allows; S3 refuses such a policy while the bucket's public access block has BlockPublicPolicy (the default)",
        );
    }
    ok.then_some(Value::Object(out))
}

/// The actions of a statement: S3 actions only, never `*` nor `s3:*` in an Allow statement.
fn actions(ctx: &mut Ctx, v: &Value, path: &str, allow: bool) -> bool {
    let items = match v {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut ok = true;
    for a in items {
        let Some(text) = a.as_str() else {
            ctx.d.error("CX4167", path, format!("an action must be a string, like s3:GetObject, not {}", kind_of(a)));
            ok = false;
            continue;
        };
        let (service, action) = text.split_once(':').unwrap_or((text, ""));
        if allow && (text == "*" || service.contains('*')) {
            ctx.d.error(
                "CX4168",
                path,
                format!(
                    "{text:?} allows every action{}; list the actions the service needs",
                    if text == "*" { " of every AWS service" } else { " of that name in every AWS service" }
                ),
            );
            ok = false;
        } else if !service.eq_ignore_ascii_case("s3") && text != "*" {
            ctx.d.error(
                "CX4169",
                path,
                format!("{text:?} is not an S3 action; a bucket policy allows or denies S3 actions only"),
            );
            ok = false;
        } else if allow && action == "*" {
            ctx.d.error(
                "CX4170",
                path,
                format!("{text:?} allows every action of the service; list the actions the service needs"),
            );
            ok = false;
        }
    }
    ok
}

/// A resource of a user statement with `${!ARN}` standing for the bucket's ARN.
fn bucket_arn(id: &str, r: &Value) -> Value {
    let Some(text) = r.as_str().filter(|t| t.contains(ARN)) else { return r.clone() };
    let arn = json!({"Fn::GetAtt": [id, "Arn"]});
    if text == ARN {
        return arn;
    }
    let rest = text.replace(ARN, "");
    if rest.contains("${") {
        // Other variables: one Fn::Sub, with the ARN as a variable of its own.
        return json!({"Fn::Sub": [text.replace(ARN, "${BucketArn}"), {"BucketArn": arn}]});
    }
    let mut parts = Vec::new();
    for (i, piece) in text.split(ARN).enumerate() {
        if i > 0 {
            parts.push(arn.clone());
        }
        if !piece.is_empty() {
            parts.push(Value::String(piece.to_string()));
        }
    }
    json!({"Fn::Join": ["", parts]})
}

/// ECS ComposeX's placeholder for the bucket's ARN in `BucketPolicy.Policies`.
const ARN: &str = "${!ARN}";

/// Condition operators as IAM spells them (each may take a `ForAnyValue:` or `ForAllValues:`
/// prefix and, but `Null`, an `IfExists` suffix).
const OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
];

/// `operator` as IAM spells it, when it is one whatever its case.
fn operator(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let (prefix, rest) = ["ForAnyValue:", "ForAllValues:"]
        .iter()
        .find(|p| lower.starts_with(&p.to_ascii_lowercase()))
        .map_or(("", lower.as_str()), |p| (*p, &lower[p.len()..]));
    let (base, suffix) = match rest.strip_suffix("ifexists") {
        Some(b) if b != "null" => (b, "IfExists"),
        _ => (rest, ""),
    };
    let base = OPERATORS.iter().find(|o| o.to_ascii_lowercase() == base)?;
    Some(format!("{prefix}{base}{suffix}"))
}

/// The statement's Condition with its operators spelt as IAM and cfn-lint expect (`bool` is
/// `Bool`: a warning says so); an unknown operator is an error. A Bool condition on a value
/// that is not true or false never matches: a warning says what the statement then does.
fn condition(ctx: &mut Ctx, v: &Value, path: &str, allow: bool) -> Option<Value> {
    let m = map_or(v, path, "Condition must be a mapping of operators", &mut ctx.d)?;
    let mut out = Map::new();
    let mut ok = true;
    for (op, keys) in m {
        let p = join(path, op);
        let Some(name) = operator(op) else {
            ctx.d.error(
                "CX4171",
                &p,
                format!("{op:?} is not an IAM condition operator (like StringEquals, ArnLike, IpAddress or Bool)"),
            );
            ok = false;
            continue;
        };
        if &name != op {
            ctx.d.warn("CX4172", &p, format!("read as {name}, as IAM spells the operator"));
        }
        if name.ends_with("Bool") || name.ends_with("BoolIfExists") {
            for (key, value) in keys.as_object().into_iter().flatten() {
                let values = match value {
                    Value::Array(a) => a.clone(),
                    other => vec![other.clone()],
                };
                let boolean = |x: &Value| {
                    x.is_boolean()
                        || x.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false"))
                };
                if values.iter().any(|x| !boolean(x) && !is_intrinsic(x)) {
                    ctx.d.warn(
                        "CX4173",
                        join(&p, key),
                        format!(
                            "{} is not true nor false, so this condition never matches and the statement {} nothing",
                            crate::compose::read::show(value),
                            if allow { "allows" } else { "denies" }
                        ),
                    );
                }
            }
        }
        if out.contains_key(&name) {
            ctx.d.error("CX4174", &p, format!("{name} is given twice in this Condition; merge its keys"));
            ok = false;
            continue;
        }
        out.insert(name, keys.clone());
    }
    ok.then_some(Value::Object(out))
}

/// `Settings.EnableEncryption` (older ECS ComposeX files): `true` or `AES256` is SSE-S3, `aws:kms`
/// the AWS managed key of S3. Properties.BucketEncryption, when given, is the user's choice.
/// ECS ComposeX's `KMSMasterKeyID: aws/s3` (its name for S3's AWS managed key, which is not a
/// key ID) is what `aws:kms` without KMSMasterKeyID means.
fn encryption(ctx: &mut Ctx, settings: &Map<String, Value>, path: &str, props: &mut Map<String, Value>) {
    if let Some(Value::Array(rules)) =
        props.get_mut("BucketEncryption").and_then(|e| e.get_mut("ServerSideEncryptionConfiguration"))
    {
        for (i, rule) in rules.iter_mut().enumerate() {
            let Some(default) = rule.get_mut("ServerSideEncryptionByDefault").and_then(Value::as_object_mut) else {
                continue;
            };
            if default.get("KMSMasterKeyID").and_then(Value::as_str) == Some("aws/s3") {
                default.remove("KMSMasterKeyID");
                ctx.d.warn("CX4175", 
                    format!("{path}.Properties.BucketEncryption.ServerSideEncryptionConfiguration[{i}].ServerSideEncryptionByDefault.KMSMasterKeyID"),
                    "removed: \"aws/s3\" is not a key ID; aws:kms without KMSMasterKeyID is S3's AWS managed key (alias/aws/s3)",
                );
            }
        }
    }
    let Some(v) = settings.get("EnableEncryption") else { return };
    let p = join(&join(path, "Settings"), "EnableEncryption");
    if props.contains_key("BucketEncryption") {
        ctx.d.warn("CX4176", p, "ignored: Properties.BucketEncryption gives the bucket's encryption");
        return;
    }
    let algorithm = match v {
        Value::Bool(true) => "AES256",
        Value::Bool(false) => {
            ctx.d.warn("CX4177", p, "S3 encrypts every object with SSE-S3 (AES256) whatever this says");
            return;
        }
        Value::String(s) if s == "AES256" => "AES256",
        Value::String(s) if s == "aws:kms" => "aws:kms",
        other => {
            ctx.d.error(
                "CX4178",
                p,
                format!(
                    "{} is not an encryption; use true or AES256 (SSE-S3), or aws:kms (S3's AWS managed key)",
                    crate::compose::read::show(other)
                ),
            );
            return;
        }
    };
    props.insert(
        "BucketEncryption".into(),
        json!({"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": algorithm}}]}),
    );
}

/// `Settings.EnableAcceleration: true` (older ECS ComposeX files): transfer acceleration, which a
/// bucket whose name has a `.` cannot have.
fn acceleration(ctx: &mut Ctx, settings: &Map<String, Value>, spath: &str, props: &mut Map<String, Value>) {
    let Some(v) = settings.get("EnableAcceleration") else { return };
    let p = join(spath, "EnableAcceleration");
    let Some(on) = boolean(v, &p, &mut ctx.d) else { return };
    if props.contains_key("AccelerateConfiguration") {
        ctx.d.warn("CX4179", p, "ignored: Properties.AccelerateConfiguration gives the bucket's acceleration");
        return;
    }
    if !on {
        return;
    }
    let name = props.get("BucketName").map(|n| n.get("Fn::Sub").unwrap_or(n));
    if name.and_then(Value::as_str).is_some_and(|n| n.contains('.')) {
        ctx.d.warn("CX4180", p, "ignored: a bucket whose name has a \".\" cannot have transfer acceleration");
        return;
    }
    props.insert("AccelerateConfiguration".into(), json!({"AccelerationStatus": "Enabled"}));
}

/// `AccessControl: BucketOwnerFullControl` (ECS ComposeX's default) or `Private`: canned ACLs
/// that give the bucket's owner, and no one else, full control, which it has anyway (S3 ignores
/// `bucket-owner-full-control` on a bucket). They are left out, as the legacy ACL property would
/// otherwise stay in the template (cfn-lint W3045) for nothing.
fn owner_acl(ctx: &mut Ctx, path: &str, props: &mut Map<String, Value>) {
    let Some(acl) = props.get("AccessControl").and_then(Value::as_str).map(str::to_string) else { return };
    if matches!(acl.as_str(), "BucketOwnerFullControl" | "Private") {
        props.remove("AccessControl");
        ctx.d.warn("CX4181", 
            join(&join(path, "Properties"), "AccessControl"),
            format!("removed: {acl} gives the bucket's owner full control and no one else, which a bucket without an ACL does too"),
        );
    }
}

/// `ExpandAccountIdToBucket` / `ExpandRegionToBucket`: a literal `BucketName` gets the account
/// ID and/or the region appended, joined by `NameSeparator` (`-` by default). Each option is
/// `[value, path]`, from MacroParameters or Settings.
fn expand_name(ctx: &mut Ctx, options: &Map<String, Value>, path: &str, props: &mut Map<String, Value>) {
    let get = |key: &str| options.get(key).map(|o| (o[0].clone(), o[1].as_str().unwrap_or_default().to_string()));
    let flag = |ctx: &mut Ctx, key: &str| match get(key) {
        Some((v, p)) => boolean(&v, &p, &mut ctx.d).unwrap_or(false).then_some(p),
        None => None,
    };
    let account = flag(ctx, "ExpandAccountIdToBucket");
    let region = flag(ctx, "ExpandRegionToBucket");
    let separator = match get("NameSeparator") {
        Some((v, p)) => match literal(&v, &p, "NameSeparator", &mut ctx.d) {
            Some(s) if ["-", "."].contains(&s.as_str()) => s,
            Some(s) => {
                ctx.d.error("CX4182", p, format!("{s:?} cannot separate parts of a bucket name; use - or ."));
                return;
            }
            None => return,
        },
        None => "-".to_string(),
    };
    let Some(flag_path) = account.clone().or(region.clone()) else { return };
    let Some(name) = props.get("BucketName") else {
        ctx.d.warn(
            "CX4183",
            flag_path,
            format!("no effect without {path}.Properties.BucketName (CloudFormation names the bucket)"),
        );
        return;
    };
    let Some(name) = name.as_str() else {
        ctx.d.error("CX4184", flag_path, "needs Properties.BucketName to be a string, not an intrinsic function");
        return;
    };
    let mut text = name.to_string();
    if account.is_some() {
        text.push_str(&separator);
        text.push_str("${AWS::AccountId}");
    }
    if region.is_some() {
        text.push_str(&separator);
        text.push_str("${AWS::Region}");
    }
    props.insert("BucketName".into(), json!({ "Fn::Sub": text }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn condition_operators_are_spelt_as_iam_does() {
        assert_eq!(operator("bool").as_deref(), Some("Bool"));
        assert_eq!(operator("stringlikeifexists").as_deref(), Some("StringLikeIfExists"));
        assert_eq!(operator("forallvalues:stringequals").as_deref(), Some("ForAllValues:StringEquals"));
        assert_eq!(operator("Null").as_deref(), Some("Null"));
        assert_eq!(operator("NullIfExists"), None);
        assert_eq!(operator("IpAddressMatches"), None);
    }

    #[test]
    fn the_arn_placeholder_is_the_buckets_arn() {
        let arn = json!({"Fn::GetAtt": ["B", "Arn"]});
        assert_eq!(bucket_arn("B", &json!("${!ARN}")), arn);
        assert_eq!(bucket_arn("B", &json!("${!ARN}/*")), json!({"Fn::Join": ["", [arn, "/*"]]}));
        assert_eq!(
            bucket_arn("B", &json!("${!ARN}/${AWS::Region}/*")),
            json!({"Fn::Sub": ["${BucketArn}/${AWS::Region}/*", {"BucketArn": arn}]})
        );
        assert_eq!(bucket_arn("B", &json!("arn:aws:s3:::other/*")), json!("arn:aws:s3:::other/*"));
    }

    #[test]
    fn object_levels_are_on_objects_and_bucket_levels_on_the_bucket() {
        for l in KIND.levels {
            if l.name.starts_with("objects:") {
                assert_eq!(l.scope, OBJECTS, "{}", l.name);
                assert!(l.actions.iter().all(|a| a.contains("Object") || a.contains("MultipartUpload")), "{}", l.name);
            } else if l.name.starts_with("bucket:") {
                assert_eq!(l.scope, Scope::Resource, "{}", l.name);
                assert!(l.actions.iter().all(|a| !a.contains("Object")), "{}", l.name);
            }
        }
        let read = KIND.level("objects:ReadOnly").unwrap().actions;
        let write = KIND.level("objects:WriteOnly").unwrap().actions;
        let mut rw: Vec<&str> = read.iter().chain(write).copied().collect();
        rw.sort_unstable();
        assert_eq!(rw, RW);
        assert!(RW.iter().all(|a| RW_DELETE.contains(a)));
    }
}
