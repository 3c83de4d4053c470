//! Security properties judged from the rendered template alone, knowing nothing of how the
//! engine builds it (SPEC §7):
//! 1. no IAM statement allows `*` or `service:*` actions or uses `NotAction`; `Resource: "*"`
//!    only for `ecr:GetAuthorizationToken`, or in a policy the user wrote (`x-iam`);
//! 2. every task role grants something;
//! 3. no ingress from `0.0.0.0/0` or `::/0` but an explicit `ExtSources` rule;
//! 4. who can reach whom: the security-group paths between tasks, as pairs of container sets.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Policy names the engine generates; any other inline policy was written by the user.
const GENERATED_POLICIES: &[&str] = &["ExecutionPolicy"];

fn as_list(v: Option<&Value>) -> Vec<Value> {
    match v {
        Some(Value::Array(a)) => a.clone(),
        Some(v) => vec![v.clone()],
        None => vec![],
    }
}

/// Every violation of properties 1–3, as readable lines (empty when the template is sound).
pub fn violations(t: &Value) -> Vec<String> {
    let mut bad = Vec::new();
    let resources = t["Resources"].as_object().cloned().unwrap_or_default();
    let mut task_roles = BTreeSet::new();
    for r in resources.values() {
        if r["Type"] == "AWS::ECS::TaskDefinition" {
            if let Some(id) = r["Properties"]["TaskRoleArn"]["Fn::GetAtt"][0].as_str() {
                task_roles.insert(id.to_string());
            }
        }
    }
    for (id, r) in &resources {
        let ty = r["Type"].as_str().unwrap_or_default();
        let p = &r["Properties"];
        if ty == "AWS::IAM::Role" {
            for pol in as_list(p.get("Policies")) {
                let user = !GENERATED_POLICIES.contains(&pol["PolicyName"].as_str().unwrap_or_default());
                for st in as_list(pol["PolicyDocument"].get("Statement")) {
                    statement(id, &st, user, &mut bad);
                }
            }
            if task_roles.contains(id)
                && as_list(p.get("Policies")).is_empty()
                && as_list(p.get("ManagedPolicyArns")).is_empty()
            {
                bad.push(format!("{id}: a task role that grants nothing"));
            }
        }
        if matches!(ty, "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy") {
            for st in as_list(p["PolicyDocument"].get("Statement")) {
                statement(id, &st, false, &mut bad);
            }
        }
        if ty == "AWS::EC2::SecurityGroupIngress" {
            let open = p["CidrIp"] == "0.0.0.0/0" || p["CidrIpv6"] == "::/0";
            if open && !p["Description"].as_str().unwrap_or_default().contains("ExtSources") {
                bad.push(format!("{id}: ingress from the whole internet that no ExtSources declared"));
            }
        }
        if ty == "AWS::EC2::SecurityGroup" && p.get("SecurityGroupIngress").is_some() {
            bad.push(format!("{id}: inline ingress rules"));
        }
    }
    bad
}

fn statement(id: &str, st: &Value, user: bool, bad: &mut Vec<String>) {
    if st.get("NotAction").is_some() {
        bad.push(format!("{id}: NotAction"));
    }
    let actions = as_list(st.get("Action"));
    let allow = st.get("Effect").and_then(Value::as_str) != Some("Deny");
    for a in &actions {
        let a = a.as_str().unwrap_or_default();
        if allow && (a == "*" || a.ends_with(":*") || a.starts_with('*')) {
            bad.push(format!("{id}: wildcard action {a}"));
        }
    }
    if as_list(st.get("Resource")).iter().any(|r| r == "*")
        && !user
        && actions != [Value::from("ecr:GetAuthorizationToken")]
    {
        bad.push(format!("{id}: Resource \"*\" for {actions:?}"));
    }
}

/// The containers each task security group protects: security group logical ID → container
/// names of the task definitions of the ECS services that use the group.
fn groups(t: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let res = t["Resources"].as_object().cloned().unwrap_or_default();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in res.values() {
        if r["Type"] != "AWS::ECS::Service" {
            continue;
        }
        let td = r["Properties"]["TaskDefinition"]["Ref"].as_str().unwrap_or_default();
        let names: BTreeSet<String> = as_list(res.get(td).map(|x| &x["Properties"]["ContainerDefinitions"]))
            .iter()
            .filter_map(|c| c["Name"].as_str().map(String::from))
            .collect();
        for sg in as_list(r["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"].get("SecurityGroups")) {
            if let Some(g) = sg["Fn::GetAtt"][0].as_str() {
                out.entry(g.to_string()).or_default().extend(names.iter().cloned());
            }
        }
    }
    out
}

/// Who may open a connection to whom: (source containers, destination containers, port/proto).
pub fn reachability(t: &Value) -> BTreeSet<(Vec<String>, Vec<String>, String)> {
    let g = groups(t);
    let mut out = BTreeSet::new();
    for r in t["Resources"].as_object().cloned().unwrap_or_default().values() {
        if r["Type"] != "AWS::EC2::SecurityGroupIngress" {
            continue;
        }
        let p = &r["Properties"];
        let (Some(dst), Some(src)) =
            (p["GroupId"]["Fn::GetAtt"][0].as_str(), p["SourceSecurityGroupId"]["Fn::GetAtt"][0].as_str())
        else {
            continue;
        };
        let (Some(d), Some(s)) = (g.get(dst), g.get(src)) else { continue };
        out.insert((
            s.iter().cloned().collect(),
            d.iter().cloned().collect(),
            format!("{}/{}", p["FromPort"], p["IpProtocol"].as_str().unwrap_or_default()),
        ));
    }
    out
}

/// Logical IDs a value refers to: `Ref`, `Fn::GetAtt`, and `${Id}` / `${Id.Attr}` in `Fn::Sub`.
pub fn referenced_ids(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(id)) = m.get("Ref") {
                out.insert(id.clone());
            }
            if let Some(id) = m.get("Fn::GetAtt").and_then(|a| a.get(0)).and_then(Value::as_str) {
                out.insert(id.to_string());
            }
            let sub_text = match m.get("Fn::Sub") {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Array(a)) => a.first().and_then(Value::as_str).map(String::from),
                _ => None,
            };
            if let Some(text) = sub_text {
                for part in text.split("${").skip(1) {
                    if let Some(end) = part.find('}') {
                        let name = part[..end].split('.').next().unwrap_or_default();
                        if !name.starts_with("AWS::") && !name.starts_with('!') {
                            out.insert(name.to_string());
                        }
                    }
                }
            }
            for x in m.values() {
                referenced_ids(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| referenced_ids(x, out)),
        _ => {}
    }
}

/// Allow statements of a role: its inline policies and the managed policies of the template
/// attached to it.
fn role_statements(res: &serde_json::Map<String, Value>, role: &str) -> Vec<Value> {
    let Some(r) = res.get(role) else { return vec![] };
    let mut out: Vec<Value> = as_list(r["Properties"].get("Policies"))
        .iter()
        .flat_map(|p| as_list(p["PolicyDocument"].get("Statement")))
        .collect();
    for m in as_list(r["Properties"].get("ManagedPolicyArns")) {
        if let Some(id) = m["Ref"].as_str() {
            if let Some(mp) = res.get(id) {
                out.extend(as_list(mp["Properties"]["PolicyDocument"].get("Statement")));
            }
        }
    }
    out.retain(|s| s.get("Effect").and_then(Value::as_str) != Some("Deny"));
    out
}

/// Who reaches which resource, from the template alone: resource logical ID → container names,
/// by the task role (`iam`), the execution role (`exec`), and the network (`net`: an ingress from
/// a task's security group into a group that the resource uses).
#[derive(Debug, Default)]
pub struct Reach {
    pub iam: BTreeMap<String, BTreeSet<String>>,
    pub exec: BTreeMap<String, BTreeSet<String>>,
    pub net: BTreeMap<String, BTreeSet<String>>,
}

pub fn resource_reach(t: &Value) -> Reach {
    let res = t["Resources"].as_object().cloned().unwrap_or_default();
    let mut reach = Reach::default();
    let containers = |td: &Value| -> BTreeSet<String> {
        as_list(td["Properties"].get("ContainerDefinitions"))
            .iter()
            .filter_map(|c| c["Name"].as_str().map(String::from))
            .collect()
    };
    for td in res.values().filter(|r| r["Type"] == "AWS::ECS::TaskDefinition") {
        let names = containers(td);
        for (field, map) in [("TaskRoleArn", &mut reach.iam), ("ExecutionRoleArn", &mut reach.exec)] {
            let Some(role) = td["Properties"][field]["Fn::GetAtt"][0].as_str() else { continue };
            let mut ids = BTreeSet::new();
            for st in role_statements(&res, role) {
                referenced_ids(&st["Resource"], &mut ids);
            }
            for id in ids {
                map.entry(id).or_default().extend(names.iter().cloned());
            }
        }
    }
    // Task security groups → their containers.
    let groups = groups(t);
    // Security group → the resources that use it.
    let mut users: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (id, r) in &res {
        if matches!(
            r["Type"].as_str(),
            Some("AWS::EC2::SecurityGroupIngress" | "AWS::ECS::Service" | "AWS::EC2::SecurityGroup")
        ) {
            continue;
        }
        let mut ids = BTreeSet::new();
        referenced_ids(&r["Properties"], &mut ids);
        for g in ids.into_iter().filter(|g| res.get(g).is_some_and(|x| x["Type"] == "AWS::EC2::SecurityGroup")) {
            users.entry(g).or_default().insert(id.clone());
        }
    }
    for r in res.values().filter(|r| r["Type"] == "AWS::EC2::SecurityGroupIngress") {
        let p = &r["Properties"];
        let (Some(dst), Some(src)) =
            (p["GroupId"]["Fn::GetAtt"][0].as_str(), p["SourceSecurityGroupId"]["Fn::GetAtt"][0].as_str())
        else {
            continue;
        };
        let Some(names) = groups.get(src) else { continue };
        for user in users.get(dst).into_iter().flatten() {
            reach.net.entry(user.clone()).or_default().extend(names.iter().cloned());
        }
    }
    reach
}
