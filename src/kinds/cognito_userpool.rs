//! `x-cognito_userpool`: Cognito user pools that sign users in at the load balancers
//! (`x-elbv2` listener targets with `CreateCognitoClient`).
//!
//! ```yaml
//! x-cognito_userpool:
//!   users:
//!     Properties: {UserPoolName: shop-users}      # AWS::Cognito::UserPool, as written
//!     MacroParameters: {Domain: shop-users}       # the hosted sign-in pages' domain prefix
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
//! `Properties.Policies` says otherwise.

use crate::cfn::{get_att, naming::pascal, r#ref};
use crate::compose::read::{kind, literal, map_or};
use crate::diagnostics::join;
use crate::plan::Ctx;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub const KEY: &str = "x-cognito_userpool";

/// A user pool the load balancers may sign users in with.
#[derive(Debug, Clone)]
pub struct Pool {
    pub id: Value,
    pub arn: Value,
    /// The domain prefix of its hosted sign-in pages, which `authenticate-cognito` needs.
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
        let head = "a user pool must be a mapping with Properties and MacroParameters";
        let Some(def) = map_or(def, &path, head, &mut ctx.d) else { continue };
        let mut ok = true;
        for k in def.keys() {
            let p = join(&path, k);
            match k.as_str() {
                "Properties" | "MacroParameters" => {}
                "Lookup" => {
                    ok = false;
                    ctx.d.error("CX4279", 
                        &p,
                        "Lookup needs AWS API calls while the template is transformed, which a macro cannot make; describe the user pool here to create it, or give an existing one's ARN, client and domain in the listener target's AuthenticateCognitoConfig",
                    );
                }
                _ => {
                    ok = false;
                    ctx.d.error(
                        "CX4106",
                        &p,
                        format!("{k:?} is not an x-cognito_userpool key; use Properties and MacroParameters"),
                    );
                }
            }
        }
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
            match literal(v, &kp, "a domain prefix", &mut ctx.d) {
                Some(d) if valid_prefix(&d) => domain = Some(d),
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
        let domain = domain.map(|d| {
            ctx.add(
                &path,
                format!("{id}Domain"),
                json!({"Type": "AWS::Cognito::UserPoolDomain", "Properties": {"Domain": d, "UserPoolId": r#ref(&id)}}),
            );
            json!(d)
        });
        out.insert(name.clone(), Pool { id: r#ref(&id), arn: get_att(&id, "Arn"), domain });
    }
    out
}

fn valid_prefix(d: &str) -> bool {
    !d.is_empty()
        && d.len() <= 63
        && !d.starts_with('-')
        && !d.ends_with('-')
        && d.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !["aws", "amazon", "cognito"].iter().any(|w| d.contains(w))
}
