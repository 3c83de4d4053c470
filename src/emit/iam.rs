//! IAM: per family an execution role (what ECS itself needs to start the task: write to the
//! family's log group, pull from the ECR repositories its images live in, read its secrets) and,
//! only when the family is granted something, a task role (what the application may do).
//!
//! Guarantees kept here: no wildcard action, no `NotAction`; `Resource: "*"` only for actions
//! AWS accepts on nothing narrower (`ecr:GetAuthorizationToken`, the X-Ray daemon's, see
//! [`super::xray`]), or where the user wrote it.

use super::logging::log_group_id;
use super::policy;
use crate::cfn::get_att;
use crate::diagnostics::join;
use crate::plan::families::Family;
use crate::plan::Emit;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The inline policy that holds what a family's resources grant it.
pub const GRANTS_POLICY: &str = "ComposeXResources";

pub fn execution_role_id(fam: &Family) -> String {
    format!("{}ExecutionRole", fam.id)
}

pub fn task_role_id(fam: &Family) -> String {
    format!("{}TaskRole", fam.id)
}

/// The trust policy of the roles: ECS tasks of this account only (confused-deputy guard). The
/// task role also pins the source to ECS in this region, as AWS documents for task roles; the
/// execution role keeps to the account condition, the one AWS documents for it.
fn assume_role(task_role: bool) -> Value {
    let mut condition = json!({"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}});
    if task_role {
        condition["ArnLike"] =
            json!({"aws:SourceArn": {"Fn::Sub": "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:*"}});
    }
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": condition
        }]
    })
}

/// What a parameter image must be (`build`): an image in Amazon ECR, whose repository the
/// execution role may then pull from (see [`pushed_repository`]).
pub const ECR_IMAGE: &str =
    r"^[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com/[a-z0-9._/-]+(:[A-Za-z0-9_.-]+)?(@sha256:[a-f0-9]{64})?$";

/// The repository ARN of `image`, the `Ref` of a parameter held to [`ECR_IMAGE`], read from its
/// value when the stack deploys.
fn pushed_repository(image: &Value) -> Value {
    let part = |of: Value, sep: &str, i: u8| json!({"Fn::Select": [i, {"Fn::Split": [sep, of]}]});
    let repository = part(part(part(image.clone(), "@", 0), ".amazonaws.com/", 1), ":", 0);
    json!({"Fn::Sub": ["arn:${AWS::Partition}:ecr:${Region}:${Account}:repository/${Repository}", {
        "Account": part(image.clone(), ".", 0), "Region": part(image.clone(), ".", 3), "Repository": repository
    }]})
}

/// An image in Amazon ECR: `ACCOUNT.dkr.ecr.REGION.amazonaws.com[.cn]/REPO[:TAG|@DIGEST]`,
/// parsed to (account, region, repository).
pub fn ecr_repository(image: &str) -> Option<(String, String, String)> {
    let (host, rest) = image.split_once('/')?;
    let mut parts = host.split('.');
    let account = parts.next()?;
    let variable = account.starts_with("${") && account.ends_with('}');
    if !variable && (account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit())) {
        return None;
    }
    if parts.next()? != "dkr" || parts.next()? != "ecr" {
        return None;
    }
    let region = parts.next()?;
    if parts.next()? != "amazonaws" {
        return None;
    }
    let repo = rest.split('@').next()?;
    let repo = match repo.rfind(':') {
        Some(i) if !repo[i..].contains('/') => &repo[..i],
        _ => repo,
    };
    Some((account.to_string(), region.to_string(), repo.to_string()))
}

pub fn expand(ctx: &mut Emit, fam: &Family) {
    execution_role(ctx, fam);
    task_role(ctx, fam);
}

fn execution_role(ctx: &mut Emit, fam: &Family) {
    let mut statements = vec![json!({
        "Sid": "WriteLogs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": get_att(&log_group_id(fam), "Arn")
    })];
    // Repository ARNs as Fn::Sub, keyed by their JSON text so each appears once, sorted.
    let mut repos = std::collections::BTreeMap::new();
    let mut pull_secrets = std::collections::BTreeMap::new();
    for name in &fam.services {
        let s = &ctx.project.services[name];
        let arn = |text: &str| {
            ecr_repository(text).map(|(account, region, repo)| {
                format!("arn:${{AWS::Partition}}:ecr:{region}:{account}:repository/{repo}")
            })
        };
        // A literal image, or an Fn::Sub whose text names the repository (`${AWS::AccountId}.dkr.ecr…`).
        let found = match &s.image {
            Value::String(text) => arn(text).map(|a| json!({ "Fn::Sub": a })),
            image if s.build.is_some() => Some(pushed_repository(image)),
            v => match v.get("Fn::Sub") {
                Some(Value::String(text)) => arn(text).map(|a| json!({ "Fn::Sub": a })),
                Some(Value::Array(parts)) => parts
                    .first()
                    .and_then(Value::as_str)
                    .and_then(arn)
                    .map(|a| json!({ "Fn::Sub": [a, parts.get(1).cloned().unwrap_or_default()] })),
                _ => {
                    ctx.d.warn("CX5034", 
                        join(&join("services", name), "image"),
                        "is an intrinsic function ComposeX cannot read: if it names a private Amazon ECR repository, the execution role cannot pull it; write it as !Sub \"ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG\" (variables allowed)",
                    );
                    None
                }
            },
        };
        if let Some(a) = found {
            repos.insert(a.to_string(), a);
        }
        if let Some(v) = &ctx.ext.service(name).iam.pull_credentials {
            pull_secrets.insert(v.to_string(), v.clone());
        }
    }
    if !pull_secrets.is_empty() {
        statements.push(json!({
            "Sid": "ReadRegistryCredentials",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": pull_secrets.into_values().collect::<Vec<_>>()
        }));
    }
    if !repos.is_empty() {
        statements.push(json!({
            "Sid": "PullFromEcr",
            "Effect": "Allow",
            "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "Resource": repos.into_values().collect::<Vec<_>>()
        }));
        statements.push(json!({
            "Sid": "EcrLogin",
            "Effect": "Allow",
            "Action": "ecr:GetAuthorizationToken",
            "Resource": "*"
        }));
    }
    // Secrets ECS reads for the family's containers at start (compose secrets, database
    // credentials): exactly those ARNs.
    statements.extend(policy::merge(ctx.plan.exec_grants.get(&fam.name).map(Vec::as_slice).unwrap_or_default()));
    ctx.add(
        &fam.name,
        execution_role_id(fam),
        json!({"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": assume_role(false),
            "Policies": [{"PolicyName": "ExecutionPolicy", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}]
        }}),
    );
}

/// The task role: `x-iam` (`Policies`, `ManagedPolicyArns`, `PermissionsBoundary`) and Docker's
/// `x-aws-policies` / `x-aws-role` of every service of the family. None of them: no role.
fn task_role(ctx: &mut Emit, fam: &Family) {
    let mut policies: Vec<Value> = Vec::new();
    let mut names = BTreeSet::new();
    let mut managed: Vec<Value> = Vec::new();
    let mut boundary: Option<(String, Value)> = None;
    for name in &fam.services {
        let iam = &ctx.ext.service(name).iam;
        for (path, pol) in &iam.policies {
            // Policies of x-iam must be named apart in the family; x-aws-role's is named after its service.
            if let Some(pp) = path {
                let pname = pol["PolicyName"].as_str().unwrap_or_default().to_string();
                if !names.insert(pname.clone()) {
                    ctx.d.error(
                        "CX5035",
                        join(pp, "PolicyName"),
                        format!(
                            "another service of task family {:?} has a policy named {pname:?}; rename one",
                            fam.name
                        ),
                    );
                }
            }
            policies.push(pol.clone());
        }
        managed.extend(iam.managed.iter().cloned());
        if let Some((p, v)) = &iam.boundary {
            if let Some((other, prev)) = &boundary {
                if prev != v {
                    ctx.d.error(
                        "CX5036",
                        p,
                        format!("{other} sets another permissions boundary for the same task family; keep one"),
                    );
                }
            }
            boundary = Some((p.clone(), v.clone()));
        }
    }
    let mut seen = BTreeSet::new();
    managed.retain(|m| seen.insert(m.to_string()));
    // What the resources the family consumes grant it: one inline policy, or, when the role's
    // inline policies would pass IAM's 10,240 characters, customer-managed policies.
    let granted = policy::merge(ctx.plan.grants.get(&fam.name).map(Vec::as_slice).unwrap_or_default());
    if !granted.is_empty() {
        let ours = json!({"PolicyName": GRANTS_POLICY, "PolicyDocument": policy::document(granted.clone())});
        let inline = policies.iter().map(policy::size).sum::<usize>() + policy::size(&ours);
        if inline <= policy::ROLE_INLINE_LIMIT {
            policies.push(ours);
        } else {
            for (i, part) in policy::chunks(&granted, policy::MANAGED_LIMIT).into_iter().enumerate() {
                let id = format!("{}AccessPolicy{}", fam.id, i + 1);
                ctx.add(
                    &fam.name,
                    id.clone(),
                    json!({"Type": "AWS::IAM::ManagedPolicy", "Properties": {
                        "Description": format!("ComposeX: what task family {} may do with the resources it consumes ({})", fam.name, i + 1),
                        "PolicyDocument": policy::document(part)
                    }}),
                );
                managed.push(json!({ "Ref": id }));
            }
            if managed.len() > policy::MANAGED_PER_ROLE {
                ctx.d.error("CX5037", 
                    join("services", &fam.services[0]),
                    format!("task family {:?} needs {} managed policies, more than the {} IAM attaches to a role; split the family or consume fewer resources", fam.name, managed.len(), policy::MANAGED_PER_ROLE),
                );
            }
        }
    }
    if policies.is_empty() && managed.is_empty() {
        if let Some((p, _)) = boundary {
            ctx.d.warn("CX5038", p, "no effect: the task family has no task role, as nothing grants it permissions");
        }
        return;
    }
    let mut props = json!({"AssumeRolePolicyDocument": assume_role(true)});
    if !policies.is_empty() {
        props["Policies"] = Value::Array(policies);
    }
    if !managed.is_empty() {
        props["ManagedPolicyArns"] = Value::Array(managed);
    }
    if let Some((_, b)) = boundary {
        props["PermissionsBoundary"] = b;
    }
    ctx.add(&fam.name, task_role_id(fam), crate::cfn::resource("AWS::IAM::Role", props));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_ecr_images() {
        assert_eq!(
            ecr_repository("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:1.2"),
            Some(("123456789012".into(), "eu-west-1".into(), "team/app".into()))
        );
        assert_eq!(
            ecr_repository("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:abc"),
            Some(("123456789012".into(), "eu-west-1".into(), "app".into()))
        );
        assert_eq!(ecr_repository("nginx:latest"), None);
        assert_eq!(ecr_repository("public.ecr.aws/nginx/nginx"), None);
        assert_eq!(ecr_repository("localhost:5000/app"), None);
    }
}
