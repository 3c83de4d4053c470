//! `x-s3`: S3 buckets. `Access` is a mapping, as in ECS ComposeX: `objects` levels are scoped
//! to the bucket's objects (`arn/*`), `bucket` levels to the bucket itself, and
//! `enforceSecureConnection: true` gives the bucket a policy that denies every request not made
//! over TLS. The string form is accepted for the AWS SAM policy templates only
//! (`S3ReadPolicy`, `S3WritePolicy`, `S3CrudPolicy`), which cover both the bucket and its objects.

use super::consumers::Consumer;
use super::dynamodb::{looked_up, macro_parameters, properties};
use super::expand::Decl;
use super::{Attr, Kind, Level, Scope};
use crate::compose::read::{boolean, kind as kind_of, literal};
use crate::diagnostics::{index, join};
use crate::expand::Ctx;
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
    default: Attr::Ref,
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
    sam_policies: &[],
    consumer_keys: &[],
    default_access: None,
    settings_keys: &[],
    hook: Some(hook),
    extra_attributes: &[],
};

const PARAMETERS: &[&str] = &["BucketPolicy", "ExpandAccountIdToBucket", "ExpandRegionToBucket", "NameSeparator"];

/// ECS ComposeX's `MacroParameters` (the bucket name made unique with the account and region,
/// the predefined TLS-only bucket policy) and `enforceSecureConnection: true`.
fn hook(ctx: &mut Ctx, decl: &Decl, consumers: &[Consumer], resource: &mut Value) {
    if looked_up(decl) {
        return;
    }
    let params = macro_parameters(ctx, decl, PARAMETERS);
    let ppath = join(&decl.path, "MacroParameters");
    let mut secure = consumers.iter().any(|c| c.levels.iter().any(|l| l.name == SECURE));
    if let Some(policy) = params.get("BucketPolicy") {
        secure |= bucket_policy(ctx, decl, policy, &join(&ppath, "BucketPolicy"));
    }
    if let Some(props) = properties(resource) {
        expand_name(ctx, &params, &ppath, props);
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
        ctx.add(
            &decl.path,
            format!("{}Policy", decl.id),
            json!({"Type": "AWS::S3::BucketPolicy", "Properties": {
                "Bucket": {"Ref": decl.id},
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [statement]}
            }}),
        );
    }
}

/// `BucketPolicy: {PredefinedBucketPolicies: [enforceSecureConnection]}`; whether it asks for
/// the TLS-only policy.
fn bucket_policy(ctx: &mut Ctx, decl: &Decl, v: &Value, path: &str) -> bool {
    let Some(m) = v.as_object() else {
        ctx.d.error(path, format!("BucketPolicy must be a mapping with PredefinedBucketPolicies, not {}", kind_of(v)));
        return false;
    };
    let mut secure = false;
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
                                ip,
                                format!("{other:?} is not a predefined bucket policy; use enforceSecureConnection"),
                            ),
                            None => {}
                        }
                    }
                }
                None => ctx.d.error(&p, "PredefinedBucketPolicies must be a list, like [enforceSecureConnection]"),
            },
            "Policies" => ctx.d.error(
                &p,
                format!(
                    "ComposeX writes no user statements into a bucket policy; declare an AWS::S3::BucketPolicy under Resources with Bucket: !Ref {} (a bucket has one policy: leave out enforceSecureConnection then, and deny insecure transport in yours)",
                    decl.id
                ),
            ),
            _ => ctx.d.warn(&p, "ignored: ComposeX reads PredefinedBucketPolicies and Policies from BucketPolicy"),
        }
    }
    secure
}

/// `ExpandAccountIdToBucket` / `ExpandRegionToBucket`: a literal `BucketName` gets the account
/// ID and/or the region appended, joined by `NameSeparator` (`-` by default).
fn expand_name(ctx: &mut Ctx, params: &Map<String, Value>, ppath: &str, props: &mut Map<String, Value>) {
    let flag = |ctx: &mut Ctx, key: &str| {
        params.get(key).and_then(|v| boolean(v, &join(ppath, key), &mut ctx.d)).unwrap_or(false)
    };
    let account = flag(ctx, "ExpandAccountIdToBucket");
    let region = flag(ctx, "ExpandRegionToBucket");
    let separator = match params.get("NameSeparator") {
        Some(v) => match literal(v, &join(ppath, "NameSeparator"), "NameSeparator", &mut ctx.d) {
            Some(s) => s,
            None => return,
        },
        None => "-".to_string(),
    };
    if !["-", "."].contains(&separator.as_str()) {
        ctx.d.error(
            join(ppath, "NameSeparator"),
            format!("{separator:?} cannot separate parts of a bucket name; use - or ."),
        );
        return;
    }
    if !account && !region {
        return;
    }
    let Some(name) = props.get("BucketName") else {
        ctx.d.warn(
            ppath,
            "ExpandAccountIdToBucket and ExpandRegionToBucket have no effect without Properties.BucketName (CloudFormation names the bucket)",
        );
        return;
    };
    let Some(name) = name.as_str() else {
        ctx.d.error(
            join(ppath, if account { "ExpandAccountIdToBucket" } else { "ExpandRegionToBucket" }),
            "needs Properties.BucketName to be a string, not an intrinsic function",
        );
        return;
    };
    let mut text = name.to_string();
    if account {
        text.push_str(&separator);
        text.push_str("${AWS::AccountId}");
    }
    if region {
        text.push_str(&separator);
        text.push_str("${AWS::Region}");
    }
    props.insert("BucketName".into(), json!({ "Fn::Sub": text }));
}

#[cfg(test)]
mod tests {
    use super::*;

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
