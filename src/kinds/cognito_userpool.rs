//! `x-cognito_userpool`: Cognito user pools that sign users in at the load balancers
//! (`x-elbv2` listener targets with `CreateCognitoClient`).
//!
//! ```yaml
//! x-cognito_userpool:
//!   users:
//!     Properties: {UserPoolName: shop-users}      # AWS::Cognito::UserPool, as written
//!     MacroParameters: {Domain: shop-users}       # the hosted sign-in pages' domain prefix
//!   staff:
//!     Use: eu-west-1_AbCdEf123                    # an existing pool: its ID, ARN, or !Ref
//!     MacroParameters: {Domain: staff-login}      # the domain its hosted pages have
//! x-elbv2:
//!   front:
//!     Listeners:
//!       - Port: 443
//!         Targets:
//!           - name: app:app
//!             access: shop.example.com/
//!             CreateCognitoClient: {UserPoolId: users, AllowedOAuthScopes: [openid, email]}
//! ```
//!
//! A created pool keeps its users: `DeletionPolicy` and `UpdateReplacePolicy` `Retain`, and
//! Cognito's deletion protection on. Passwords need 12 characters of four kinds unless
//! `Properties.Policies` says otherwise. A pool of `Use` is the existing one: nothing is created
//! for it, and its `MacroParameters.Domain` names the domain its hosted pages have already (a
//! prefix, or a custom domain), which the load balancer sends users to.

use super::route53::valid_domain;
use crate::cfn::{get_att, is_intrinsic, naming::pascal, r#ref};
use crate::compose::read::{kind, literal, map_or, show};
use crate::diagnostics::join;
use crate::plan::Ctx;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub const KEY: &str = "x-cognito_userpool";

/// A user pool the load balancers may sign users in with: created, or an existing one (`Use`).
#[derive(Debug, Clone)]
pub struct Pool {
    pub id: Value,
    pub arn: Value,
    /// The domain of its hosted sign-in pages (a prefix, or an existing pool's custom domain),
    /// which `authenticate-cognito` needs.
    pub domain: Option<Value>,
}

pub fn pool_id(name: &str) -> String {
    format!("{}UserPool", pascal(name))
}

/// The user pools by name; the created ones are added to the template.
pub fn expand(ctx: &mut Ctx) -> BTreeMap<String, Pool> {
    let mut out = BTreeMap::new();
    let Some(x) = ctx.project.extensions.get(KEY).cloned() else { return out };
    let head = "x-cognito_userpool must be a mapping of user pool names to user pools";
    let Some(m) = map_or(&x, KEY, head, &mut ctx.d) else { return out };
    for (name, def) in m {
        let path = join(KEY, name);
        let head = "a user pool must be a mapping with Properties and MacroParameters, or Use and MacroParameters";
        let Some(def) = map_or(def, &path, head, &mut ctx.d) else { continue };
        let mut ok = true;
        for k in def.keys() {
            let p = join(&path, k);
            match k.as_str() {
                "Properties" | "MacroParameters" | "Use" => {}
                "Lookup" => {
                    ok = false;
                    ctx.d.error("CX4279", 
                        &p,
                        "Lookup needs AWS API calls while the template is transformed, which a macro cannot make; give an existing user pool's ID or ARN with `Use` (and the domain of its hosted pages with MacroParameters.Domain), or describe the user pool here to create it",
                    );
                }
                _ => {
                    ok = false;
                    ctx.d.error(
                        "CX4106",
                        &p,
                        format!("{k:?} is not an x-cognito_userpool key; use Properties and MacroParameters, or Use and MacroParameters"),
                    );
                }
            }
        }
        let existing = match def.get("Use") {
            None => None,
            Some(_) if def.contains_key("Properties") => {
                ctx.d.error(
                    "CX4378",
                    join(&path, "Properties"),
                    "Use names an existing user pool, and Properties describe one to create; keep one of them",
                );
                continue;
            }
            Some(v) => match existing_pool(v) {
                Some(pool) => Some(pool),
                None => {
                    ctx.d.error(
                        "CX4379",
                        join(&path, "Use"),
                        format!("{} is not a user pool's ID (REGION_ID, as eu-west-1_AbCdEf123), its ARN (arn:aws:cognito-idp:REGION:ACCOUNT:userpool/ID) nor an intrinsic function that gives its ID", show(v)),
                    );
                    continue;
                }
            },
        };
        let pp = join(&path, "Properties");
        let mut props = match def.get("Properties") {
            None => Map::new(),
            Some(Value::Object(p)) => p.clone(),
            Some(other) => {
                ctx.d.error("CX4311", &pp, format!("Properties must be a mapping, not {}", kind(other)));
                continue;
            }
        };
        let mut domain = None;
        let mp = join(&path, "MacroParameters");
        for (k, v) in def
            .get("MacroParameters")
            .and_then(|v| map_or(v, &mp, "MacroParameters must be a mapping with Domain", &mut ctx.d))
            .into_iter()
            .flatten()
        {
            let kp = join(&mp, k);
            if k != "Domain" {
                ctx.d.error("CX4312", &kp, format!("{k:?} is not an x-cognito_userpool macro parameter; use Domain"));
                ok = false;
                continue;
            }
            // An existing pool's domain may be an intrinsic (a template parameter); a domain to
            // create is written out, to be checked.
            if existing.is_some() && is_intrinsic(v) {
                domain = Some(v.clone());
                continue;
            }
            match literal(v, &kp, "a domain prefix", &mut ctx.d) {
                Some(d) if valid_prefix(&d) => domain = Some(json!(d)),
                Some(d) if existing.is_some() && valid_domain(&d) => domain = Some(json!(d)),
                Some(d) if existing.is_some() => {
                    ctx.d.error("CX4380", &kp, format!("{d:?} is neither a Cognito domain prefix (1 to 63 lower-case letters, digits and hyphens, not starting or ending with a hyphen) nor a custom domain's name (sign-in.example.com)"));
                    ok = false;
                }
                Some(d) => {
                    ctx.d.error("CX4313", &kp, format!("{d:?} is not a Cognito domain prefix: 1 to 63 lower-case letters, digits and hyphens, not starting or ending with a hyphen, without \"aws\", \"amazon\" or \"cognito\""));
                    ok = false;
                }
                None => ok = false,
            }
        }
        if !ok {
            continue;
        }
        if let Some((id, arn)) = existing {
            out.insert(name.clone(), Pool { id, arn, domain });
            continue;
        }
        let policies = props.entry("Policies").or_insert_with(|| json!({}));
        if let Some(p) = policies.as_object_mut() {
            p.entry("PasswordPolicy").or_insert_with(|| {
                json!({"MinimumLength": 12, "RequireLowercase": true, "RequireUppercase": true,
                       "RequireNumbers": true, "RequireSymbols": true, "TemporaryPasswordValidityDays": 7})
            });
        }
        props.entry("DeletionProtection").or_insert_with(|| json!("ACTIVE"));
        let id = pool_id(name);
        ctx.add(
            &path,
            id.clone(),
            json!({"Type": "AWS::Cognito::UserPool", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain", "Properties": props}),
        );
        ctx.t.output(format!("{id}Arn"), get_att(&id, "Arn"), &format!("ARN of {path}"));
        let domain = domain.inspect(|d| {
            ctx.add(
                &path,
                format!("{id}Domain"),
                json!({"Type": "AWS::Cognito::UserPoolDomain", "Properties": {"Domain": d, "UserPoolId": r#ref(&id)}}),
            );
        });
        out.insert(name.clone(), Pool { id: r#ref(&id), arn: get_att(&id, "Arn"), domain });
    }
    out
}

/// The ID and ARN of the existing pool `Use` names: its ID (`eu-west-1_AbCdEf123`), whose ARN
/// is in its region and the stack's account; its ARN, whose last part is its ID; or an intrinsic
/// function, which gives its ID (`!Ref` of a parameter, `!ImportValue` of another stack's pool).
fn existing_pool(v: &Value) -> Option<(Value, Value)> {
    match v {
        Value::String(s) if s.starts_with("arn:") => {
            let parts: Vec<&str> = s.splitn(6, ':').collect();
            let id = match parts.as_slice() {
                ["arn", partition, "cognito-idp", region, account, resource]
                    if !partition.is_empty()
                        && !region.is_empty()
                        && account.len() == 12
                        && account.chars().all(|c| c.is_ascii_digit()) =>
                {
                    resource.strip_prefix("userpool/").filter(|id| valid_pool_id(id))?
                }
                _ => return None,
            };
            Some((json!(id), v.clone()))
        }
        Value::String(s) if valid_pool_id(s) => {
            let region = s.split_once('_').map_or("", |(r, _)| r);
            let arn = format!("arn:${{AWS::Partition}}:cognito-idp:{region}:${{AWS::AccountId}}:userpool/{s}");
            Some((v.clone(), json!({ "Fn::Sub": arn })))
        }
        v if is_intrinsic(v) => {
            let region = json!({"Fn::Select": [0, {"Fn::Split": ["_", v]}]});
            let arn = "arn:${AWS::Partition}:cognito-idp:${Region}:${AWS::AccountId}:userpool/${Id}";
            Some((v.clone(), json!({"Fn::Sub": [arn, {"Region": region, "Id": v}]})))
        }
        _ => None,
    }
}

/// A user pool ID: its region, `_`, letters and digits (`eu-west-1_AbCdEf123`), at most 55.
fn valid_pool_id(id: &str) -> bool {
    id.len() <= 55
        && id.split_once('_').is_some_and(|(region, rest)| {
            !region.is_empty()
                && region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !rest.is_empty()
                && rest.chars().all(|c| c.is_ascii_alphanumeric())
        })
}

fn valid_prefix(d: &str) -> bool {
    !d.is_empty()
        && d.len() <= 63
        && !d.starts_with('-')
        && !d.ends_with('-')
        && d.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !["aws", "amazon", "cognito"].iter().any(|w| d.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existing_pool_by_id_arn_or_intrinsic() {
        let (id, arn) = existing_pool(&json!("eu-west-1_AbC123")).unwrap();
        assert_eq!(id, json!("eu-west-1_AbC123"));
        assert_eq!(
            arn,
            json!({"Fn::Sub": "arn:${AWS::Partition}:cognito-idp:eu-west-1:${AWS::AccountId}:userpool/eu-west-1_AbC123"})
        );
        let given = json!("arn:aws-cn:cognito-idp:cn-north-1:123456789012:userpool/cn-north-1_X9");
        assert_eq!(existing_pool(&given), Some((json!("cn-north-1_X9"), given.clone())));
        let (id, arn) = existing_pool(&json!({"Ref": "PoolId"})).unwrap();
        assert_eq!(id, json!({"Ref": "PoolId"}));
        assert_eq!(arn["Fn::Sub"][1]["Region"], json!({"Fn::Select": [0, {"Fn::Split": ["_", {"Ref": "PoolId"}]}]}));
        for wrong in [
            json!("users"),
            json!("eu-west-1_"),
            json!("arn:aws:cognito-idp:eu-west-1:1234:userpool/eu-west-1_X"),
            json!(["eu-west-1_X"]),
        ] {
            assert_eq!(existing_pool(&wrong), None, "{wrong}");
        }
    }
}
