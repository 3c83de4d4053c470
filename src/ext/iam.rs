//! A service's IAM extensions, read once when the file is loaded: ECS ComposeX's `x-iam`
//! (`Policies`, `ManagedPolicyArns`, `PermissionsBoundary`), Docker's `x-aws-policies` (managed
//! policy ARNs), `x-aws-role` (a policy document) and `x-aws-pull_credentials` (the secret
//! holding a private registry's credentials). User policies are checked here: no statement may
//! allow every action of AWS or of a service, nor use `NotAction`. The IAM concern
//! (`emit::iam`) merges a family's into its roles.

use crate::cfn::is_intrinsic;
use crate::compose::read::{map_or, seq_or};
use crate::compose::Service;
use crate::diagnostics::{index, join, Diagnostics};
use serde_json::{json, Value};

/// What a service's IAM extensions say, checked.
#[derive(Debug, Clone, Default)]
pub struct Iam {
    /// Inline policies, in order: those of `x-iam` with their path (their names must be unique in
    /// the family), then `x-aws-role`'s without.
    pub policies: Vec<(Option<String>, Value)>,
    /// Managed policy ARNs: `x-iam`'s, then `x-aws-policies`'.
    pub managed: Vec<Value>,
    /// `x-iam.PermissionsBoundary`, with its path.
    pub boundary: Option<(String, Value)>,
    /// `x-aws-pull_credentials`: a secret's ARN, as text or an intrinsic.
    pub pull_credentials: Option<Value>,
}

/// The IAM extensions of service `s`.
pub fn read(s: &Service, d: &mut Diagnostics) -> Iam {
    let name = &s.name;
    let base = join("services", name);
    let mut out = Iam::default();
    if let Some(v) = s.extensions.get("x-aws-pull_credentials") {
        if v.as_str().is_some_and(|a| !a.starts_with("arn:")) {
            d.error("CX2015", 
                join(&base, "x-aws-pull_credentials"),
                format!("{} is not an ARN: ECS and IAM take the ARN of the Secrets Manager secret holding the registry's username and password (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX), or a !Ref of a template Parameter holding it", crate::compose::read::show(v)),
            );
        } else if v.is_string() || is_intrinsic(v) {
            out.pull_credentials = Some(v.clone());
        } else {
            d.error(
                "CX2016",
                join(&base, "x-aws-pull_credentials"),
                "must be the ARN of a Secrets Manager secret holding the registry's username and password",
            );
        }
    }
    if let Some(x) = s.extensions.get("x-iam") {
        let path = join(&base, "x-iam");
        let Some(m) = map_or(x, &path, "x-iam must be a mapping", d) else { return out };
        for (k, v) in m {
            let p = join(&path, k);
            match k.as_str() {
                "Policies" => {
                    for (i, pol) in seq_or(v, &p, "Policies must be a list", d).into_iter().flatten().enumerate() {
                        let pp = index(&p, i);
                        if let Some(pol) = check_policy(d, pol, &pp) {
                            out.policies.push((Some(pp), pol));
                        }
                    }
                }
                "ManagedPolicyArns" => {
                    if let Some(list) = seq_or(v, &p, "ManagedPolicyArns must be a list", d) {
                        out.managed.extend(managed_policies(list, &p, d));
                    }
                }
                "PermissionsBoundary" => out.boundary = Some((p.clone(), v.clone())),
                _ => d.error(
                    "CX2017",
                    &p,
                    format!("{k:?} is not an x-iam key; use Policies, ManagedPolicyArns or PermissionsBoundary"),
                ),
            }
        }
    }
    if let Some(v) = s.extensions.get("x-aws-policies") {
        match v.as_array() {
            Some(list) => out.managed.extend(managed_policies(list, &join(&base, "x-aws-policies"), d)),
            None => {
                d.error("CX2018", join(&base, "x-aws-policies"), "x-aws-policies must be a list of managed policy ARNs")
            }
        }
    }
    if let Some(v) = s.extensions.get("x-aws-role") {
        let p = join(&base, "x-aws-role");
        let pol = json!({"PolicyName": format!("{name}-x-aws-role"), "PolicyDocument": v});
        if let Some(pol) = check_policy(d, &pol, &p) {
            out.policies.push((None, pol));
        }
    }
    out
}

/// AWS managed policies that give a task (nearly) everything. A policy ARN is the user's explicit
/// choice (ECS ComposeX's own examples attach AdministratorAccess), so it is kept, with a warning
/// that says what it grants; statements ComposeX reads are held to no `*` action instead.
const TOO_BROAD: &[&str] = &["AdministratorAccess", "PowerUserAccess", "IAMFullAccess"];

/// Managed policy ARNs, with a warning for those that give a task the whole account.
fn managed_policies(list: &[Value], path: &str, d: &mut Diagnostics) -> Vec<Value> {
    let mut out = Vec::new();
    for (i, arn) in list.iter().enumerate() {
        let name = arn.as_str().and_then(|a| a.strip_prefix("arn:aws:iam::aws:policy/")).or_else(|| {
            arn.get("Fn::Sub")
                .and_then(Value::as_str)
                .and_then(|a| a.strip_prefix("arn:${AWS::Partition}:iam::aws:policy/"))
        });
        match name {
            Some(n) if TOO_BROAD.contains(&n) => d.warn("CX2019", 
                index(path, i),
                format!("the AWS managed policy {n} lets the task do (nearly) anything in the account; attach a policy with the actions it needs, or write them in x-iam.Policies"),
            ),
            _ => {}
        }
        out.push(arn.clone());
    }
    out
}

/// A user policy `{PolicyName, PolicyDocument}`: shape checked, and refused when a statement
/// allows every action of AWS or of a service, or uses NotAction.
fn check_policy(d: &mut Diagnostics, pol: &Value, path: &str) -> Option<Value> {
    let m = map_or(pol, path, "a policy must be a mapping with PolicyName and PolicyDocument", d)?;
    let name_ok = m.get("PolicyName").is_some_and(Value::is_string);
    if !name_ok {
        d.error("CX2020", join(path, "PolicyName"), "a policy needs a PolicyName string");
    }
    let Some(doc) = m.get("PolicyDocument") else {
        d.error("CX2021", join(path, "PolicyDocument"), "a policy needs a PolicyDocument");
        return None;
    };
    let dpath = join(path, "PolicyDocument");
    let mut ok = name_ok;
    match doc.get("Statement") {
        Some(Value::Array(sts)) => {
            for (i, st) in sts.iter().enumerate() {
                ok &= check_statement(d, st, &index(&join(&dpath, "Statement"), i));
            }
        }
        Some(st @ Value::Object(_)) if !is_intrinsic(st) => ok &= check_statement(d, st, &join(&dpath, "Statement")),
        _ => {
            d.error("CX2022", join(&dpath, "Statement"), "a policy document needs a Statement list");
            ok = false;
        }
    }
    ok.then(|| pol.clone())
}

/// The keys of a statement of an identity-based policy.
const STATEMENT_KEYS: &[&str] = &["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"];

/// Actions that let a role give itself, or a role it passes, any permission: refused on `*`.
const ESCALATING: &[&str] = &["iam:PassRole", "iam:*"];

fn check_statement(d: &mut Diagnostics, st: &Value, path: &str) -> bool {
    let mut ok = true;
    let head = "a statement must be a mapping with Effect, Action and Resource";
    let Some(m) = map_or(st, path, head, d) else { return false };
    for k in m.keys().filter(|k| !STATEMENT_KEYS.contains(&k.as_str())) {
        let text = match k.as_str() {
            "Principal" | "NotPrincipal" => {
                format!("a role's policy names no principal, the role is the principal; remove {k}")
            }
            "Conditions" => {
                "IAM names this key Condition (ECS ComposeX's schema spells it Conditions); rename it Condition"
                    .to_string()
            }
            _ => format!("{k:?} is not a key of an IAM policy statement; use {}", STATEMENT_KEYS.join(", ")),
        };
        d.error("CX2023", join(path, k), text);
        ok = false;
    }
    match m.get("Effect").and_then(Value::as_str) {
        Some("Allow" | "Deny") => {}
        _ => {
            d.error("CX2024", join(path, "Effect"), "a statement needs Effect: Allow or Deny");
            ok = false;
        }
    }
    if !m.contains_key("Action") && !m.contains_key("NotAction") {
        d.error("CX2025", join(path, "Action"), "a statement needs Action, the actions it allows or denies");
        ok = false;
    }
    if m.contains_key("NotResource") && m.get("Effect").and_then(Value::as_str) != Some("Deny") {
        d.error(
            "CX2026",
            join(path, "NotResource"),
            "NotResource allows the actions on every resource but those listed; list the resources in Resource instead",
        );
        ok = false;
    } else if !m.contains_key("Resource") && !m.contains_key("NotResource") {
        d.error(
            "CX2027",
            join(path, "Resource"),
            "a statement needs Resource, the ARNs it applies to: IAM refuses the policy without it",
        );
        ok = false;
    }
    if m.get("NotAction").is_some() {
        d.error(
            "CX2028",
            join(path, "NotAction"),
            "NotAction grants every action but those listed; list the actions to allow in Action instead",
        );
        ok = false;
    }
    let allow = st.get("Effect").and_then(Value::as_str) != Some("Deny");
    let actions: Vec<&Value> = match st.get("Action") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v) => vec![v],
        None => vec![],
    };
    let on_everything = match m.get("Resource") {
        Some(Value::String(r)) => r == "*",
        Some(Value::Array(rs)) => rs.iter().any(|r| r == "*"),
        _ => false,
    };
    for a in &actions {
        if let Some(text) = a.as_str() {
            if allow && on_everything && ESCALATING.iter().any(|e| e.eq_ignore_ascii_case(text)) {
                d.error("CX2029", 
                    join(path, "Resource"),
                    format!("{text} on \"*\" lets the task hand any role of the account to a service, and so take its permissions; name the ARNs of the roles it passes"),
                );
                ok = false;
            }
        }
    }
    for a in actions {
        if let Some(text) = a.as_str() {
            let (service, action) = text.split_once(':').unwrap_or((text, ""));
            if allow && (text == "*" || action == "*" || service.contains('*')) {
                d.error(
                    "CX2030",
                    join(path, "Action"),
                    format!(
                        "{text:?} allows every action{}; list the actions the service needs",
                        if text == "*" {
                            " of every AWS service"
                        } else if action == "*" {
                            " of the service"
                        } else {
                            " of that name in every AWS service"
                        }
                    ),
                );
                ok = false;
            }
        }
    }
    ok
}
