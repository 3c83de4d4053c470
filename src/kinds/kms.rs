//! `x-kms`: KMS keys, each with an alias. A key declared without `KeyPolicy` gets the policy
//! AWS KMS gives every key created without one (the account may administer the key, so that
//! IAM policies, like the task roles' grants, take effect); when SNS or S3 deliver into what it
//! encrypts, `delivery` writes that policy with a statement that lets them use the key.

use super::generic::Decl;
use super::generic::{looked_up, macro_parameters, properties};
use super::{Attr, Kind, Level, Scope};
use crate::cfn::is_intrinsic;
use crate::compose::read::kind as kind_of;
use crate::diagnostics::join;
use crate::plan::Ctx;
use serde_json::{json, Value};

/// Symmetric encryption and decryption, envelope encryption included. `kms:ReEncrypt*` of ECS
/// ComposeX as its two actions; `kms:CreateGrant` left out (it lets the holder delegate the key
/// to anyone).
const ENCRYPT_DECRYPT: &[&str] = &[
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
];

/// Encrypting, directly or with data keys, and re-encrypting *to* this key; never
/// `kms:ReEncryptFrom`, which would let the holder move ciphertext to a key it can decrypt with.
const ENCRYPT_ONLY: &[&str] =
    &["kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptTo"];

/// What a producer and a consumer of an SQS queue encrypted with this key need.
const SQS: &[&str] = &["kms:Decrypt", "kms:GenerateDataKey"];

pub const KIND: Kind = Kind {
    key: "x-kms",
    cfn_type: "AWS::KMS::Key",
    suffix: "Key",
    return_values: &[("KeyId", Attr::Ref), ("Arn", Attr::GetAtt("Arn"))],
    arn: Attr::GetAtt("Arn"),
    levels: &[
        Level { name: "EncryptDecrypt", actions: ENCRYPT_DECRYPT, scope: Scope::Resource },
        Level { name: "EncryptOnly", actions: ENCRYPT_ONLY, scope: Scope::Resource },
        Level { name: "DecryptOnly", actions: &["kms:Decrypt"], scope: Scope::Resource },
        Level { name: "SQS", actions: SQS, scope: Scope::Resource },
    ],
    sam_policies: &[("KMSDecryptPolicy", "DecryptOnly"), ("KMSEncryptPolicy", "EncryptOnly")],
    keeps_data: Some("Retain"),
    hook: Some(hook),
    ..Kind::BASE
};

/// Key rotation where KMS offers it. The key's alias: `MacroParameters.Alias` as ECS ComposeX reads it (`alias/…` as written, a
/// bare name under `alias/${AWS::StackName}/`), else `alias/${AWS::StackName}/<resource name>`,
/// so that the same template deploys twice in one account and region.
fn hook(ctx: &mut Ctx, decl: &Decl, _: &[Decl], resource: &mut Value) {
    if looked_up(decl) {
        return;
    }
    // Yearly rotation of the key material, which KMS offers for symmetric keys only; a file that
    // sets EnableKeyRotation keeps its choice.
    if let Some(props) = properties(resource) {
        let symmetric = props.get("KeySpec").is_none_or(|k| k == "SYMMETRIC_DEFAULT");
        if symmetric {
            props.entry("EnableKeyRotation").or_insert(json!(true));
        }
    }
    let params = macro_parameters(ctx, decl, &["Alias"]);
    let path = join(&join(&decl.path, "MacroParameters"), "Alias");
    let name = match params.get("Alias") {
        None => Some(under_stack(&decl.name)),
        Some(v) if is_intrinsic(v) => Some(v.clone()),
        Some(Value::String(a)) => alias(ctx, a.as_str(), &path),
        Some(other) => {
            ctx.d.error(
                "CX4138",
                &path,
                format!("Alias must be a string, like alias/orders or orders, not {}", kind_of(other)),
            );
            None
        }
    };
    if let Some(name) = name {
        ctx.add(
            &decl.path,
            format!("{}Alias", decl.id),
            json!({"Type": "AWS::KMS::Alias", "Properties": {"AliasName": name, "TargetKeyId": {"Ref": decl.id}}}),
        );
    }
}

fn alias(ctx: &mut Ctx, a: &str, path: &str) -> Option<Value> {
    let bare = a.strip_prefix("alias/").unwrap_or(a);
    if bare.is_empty() || !bare.chars().all(|c| c.is_ascii_alphanumeric() || "/_-".contains(c)) {
        ctx.d.error("CX4139", path, format!("{a:?} is not a KMS alias name: letters, digits, /, _ and - only"));
        return None;
    }
    if a.starts_with("alias/aws/") {
        ctx.d.error("CX4140", path, format!("{a:?}: alias/aws/ is reserved for the keys AWS manages"));
        return None;
    }
    Some(if a.starts_with("alias/") { Value::String(a.to_string()) } else { under_stack(a) })
}

fn under_stack(name: &str) -> Value {
    let name: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || "/_-".contains(c) { c } else { '-' }).collect();
    json!({ "Fn::Sub": format!("alias/${{AWS::StackName}}/{name}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypt_only_cannot_decrypt() {
        let enc = KIND.level("KMSEncryptPolicy").unwrap();
        assert_eq!(enc.name, "EncryptOnly");
        assert!(!enc.actions.iter().any(|a| a.contains("Decrypt") || a.contains("From")));
        assert_eq!(under_stack("key.a"), json!({"Fn::Sub": "alias/${AWS::StackName}/key-a"}));
    }
}
