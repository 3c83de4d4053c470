//! Security properties judged from the rendered template alone, knowing nothing of how the
//! engine builds it (SPEC §7):
//! 1. no IAM statement allows `*` or `service:*` actions or uses `NotAction`; `Resource: "*"`
//!    only for actions AWS grants on nothing narrower (`ecr:GetAuthorizationToken`, the X-Ray
//!    daemon's, the four `ssmmessages` channel actions of ECS Exec), or in a policy the user
//!    wrote (`x-iam`);
//! 2. every task role grants something;
//! 3. no ingress from `0.0.0.0/0` or `::/0` but on a load balancer's listener ports or an
//!    explicit `ExtSources` rule; a load balancer's group (the one its
//!    `AWS::ElasticLoadBalancingV2::LoadBalancer` names) is open on its listener ports only, and
//!    reaches its targets on their target (and health check) ports only, every one of them;
//! 4. who can reach whom: the security-group paths between tasks, as pairs of container sets;
//! 5. EC2 capacity: a launch template requires IMDSv2 and encrypts every volume, its instances'
//!    group (and any group of a launch template) opens no port, and the role of an instance
//!    profile holds only the managed policies an ECS container instance needs.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Actions AWS grants on no resource narrower than `*`: ECR's token, the X-Ray daemon's, and
/// the channels of ECS Exec.
const NO_RESOURCE_LEVEL: &[&str] = &[
    "ecr:GetAuthorizationToken",
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
    "xray:GetSamplingRules",
    "xray:GetSamplingStatisticSummaries",
    "xray:GetSamplingTargets",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
];

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
    let lbs = load_balancers(t);
    bad.extend(load_balancer_violations(t, &lbs));
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
            let on_listener = ingress_group(p)
                .and_then(|g| lbs.by_group.get(&g))
                .is_some_and(|lb| lbs.listener_ports.get(lb).is_some_and(|ports| ports.contains(&port_of(p))));
            if open && !on_listener && !p["Description"].as_str().unwrap_or_default().contains("ExtSources") {
                bad.push(format!("{id}: ingress from the whole internet, not on a load balancer's listener port nor declared by ExtSources"));
            }
        }
        if ty == "AWS::EC2::SecurityGroup" && p.get("SecurityGroupIngress").is_some() {
            bad.push(format!("{id}: inline ingress rules"));
        }
        if ty == "AWS::EC2::LaunchTemplate" {
            bad.extend(launch_template(id, &p["LaunchTemplateData"], &resources));
        }
        if ty == "AWS::IAM::InstanceProfile" {
            for role in as_list(p.get("Roles")).iter().filter_map(id_of) {
                let rp = &resources.get(&role).cloned().unwrap_or_default()["Properties"];
                let managed: BTreeSet<String> = as_list(rp.get("ManagedPolicyArns"))
                    .iter()
                    .filter_map(|a| {
                        a["Fn::Sub"].as_str().or(a.as_str()).map(|a| a.rsplit('/').next().unwrap_or(a).to_string())
                    })
                    .collect();
                if !managed.iter().all(|m| INSTANCE_POLICIES.contains(&m.as_str())) || rp.get("Policies").is_some() {
                    bad.push(format!("{role}: an instance role with more than {INSTANCE_POLICIES:?}: {managed:?}"));
                }
            }
        }
    }
    bad
}

/// The AWS managed policies an ECS container instance's role may hold.
const INSTANCE_POLICIES: &[&str] = &["AmazonEC2ContainerServiceforEC2Role", "AmazonSSMManagedInstanceCore"];

/// Property 5 for one launch template: IMDSv2 only, encrypted volumes, groups without ingress.
fn launch_template(id: &str, data: &Value, resources: &serde_json::Map<String, Value>) -> Vec<String> {
    let mut bad = Vec::new();
    if data["MetadataOptions"]["HttpTokens"] != "required" {
        bad.push(format!("{id}: instances may use IMDSv1 (MetadataOptions.HttpTokens is not required)"));
    }
    for m in as_list(data.get("BlockDeviceMappings")) {
        if m["Ebs"]["Encrypted"] != true {
            bad.push(format!("{id}: volume {} is not encrypted", m["DeviceName"]));
        }
    }
    for g in as_list(data.get("SecurityGroupIds")).iter().filter_map(id_of) {
        let opened = resources.iter().any(|(_, r)| {
            r["Type"] == "AWS::EC2::SecurityGroupIngress" && ingress_group(&r["Properties"]).as_deref() == Some(&g)
        });
        if opened {
            bad.push(format!("{id}: its instances' group {g} opens ports (tasks have their own interfaces)"));
        }
    }
    bad
}

/// The logical ID a `Ref` or `Fn::GetAtt` names.
fn id_of(v: &Value) -> Option<String> {
    v["Ref"].as_str().or_else(|| v["Fn::GetAtt"][0].as_str()).map(String::from)
}

/// The security group an ingress rule opens.
fn ingress_group(p: &Value) -> Option<String> {
    id_of(&p["GroupId"])
}

/// (port, IP protocol) of an ingress rule; a rule over a range of ports counts as port 0.
fn port_of(p: &Value) -> (u64, String) {
    let from = p["FromPort"].as_u64().unwrap_or(0);
    let to = p["ToPort"].as_u64().unwrap_or(0);
    (if from == to { from } else { 0 }, p["IpProtocol"].as_str().unwrap_or_default().to_string())
}

/// The load balancers of a template, from their resources alone.
#[derive(Debug, Default)]
pub struct LoadBalancers {
    /// Security group → the load balancer that uses it.
    pub by_group: BTreeMap<String, String>,
    /// Load balancer → the (port, IP protocol) pairs of its listeners.
    pub listener_ports: BTreeMap<String, BTreeSet<(u64, String)>>,
    /// Load balancer → the target groups its listeners and rules send to.
    pub target_groups: BTreeMap<String, BTreeSet<String>>,
}

fn ip_protocols(protocol: &str) -> Vec<String> {
    match protocol {
        "UDP" => vec!["udp".into()],
        "TCP_UDP" => vec!["tcp".into(), "udp".into()],
        _ => vec!["tcp".into()],
    }
}

pub fn load_balancers(t: &Value) -> LoadBalancers {
    let res = t["Resources"].as_object().cloned().unwrap_or_default();
    let mut out = LoadBalancers::default();
    for (id, r) in &res {
        if r["Type"] == "AWS::ElasticLoadBalancingV2::LoadBalancer" {
            for g in as_list(r["Properties"].get("SecurityGroups")) {
                if let Some(g) = id_of(&g) {
                    out.by_group.insert(g, id.clone());
                }
            }
        }
    }
    let forward_targets = |actions: &Value, into: &mut BTreeSet<String>| {
        for a in as_list(Some(actions)) {
            if let Some(tg) = id_of(&a["TargetGroupArn"]) {
                into.insert(tg);
            }
            for tg in as_list(a["ForwardConfig"].get("TargetGroups")) {
                if let Some(tg) = id_of(&tg["TargetGroupArn"]) {
                    into.insert(tg);
                }
            }
        }
    };
    let mut listener_lb: BTreeMap<String, String> = BTreeMap::new();
    for (id, r) in &res {
        if r["Type"] != "AWS::ElasticLoadBalancingV2::Listener" {
            continue;
        }
        let p = &r["Properties"];
        let Some(lb) = id_of(&p["LoadBalancerArn"]) else { continue };
        listener_lb.insert(id.clone(), lb.clone());
        let port = p["Port"].as_u64().unwrap_or(0);
        for proto in ip_protocols(p["Protocol"].as_str().unwrap_or_default()) {
            out.listener_ports.entry(lb.clone()).or_default().insert((port, proto));
        }
        forward_targets(&p["DefaultActions"], out.target_groups.entry(lb).or_default());
    }
    for r in res.values() {
        if r["Type"] != "AWS::ElasticLoadBalancingV2::ListenerRule" {
            continue;
        }
        let Some(lb) = id_of(&r["Properties"]["ListenerArn"]).and_then(|l| listener_lb.get(&l).cloned()) else {
            continue;
        };
        forward_targets(&r["Properties"]["Actions"], out.target_groups.entry(lb).or_default());
    }
    out
}

/// (load balancer group, task group) → the ports the load balancer's target groups attached to
/// the ECS services of that group need (target and health check ports); what does not add up
/// goes to `bad`.
pub fn load_balancer_needs(
    t: &Value,
    lbs: &LoadBalancers,
    bad: &mut Vec<String>,
) -> BTreeMap<(String, String), BTreeSet<(u64, String)>> {
    let res = t["Resources"].as_object().cloned().unwrap_or_default();
    let mut needed: BTreeMap<(String, String), BTreeSet<(u64, String)>> = BTreeMap::new();
    for (sid, r) in &res {
        if r["Type"] != "AWS::ECS::Service" {
            continue;
        }
        let groups: Vec<String> =
            as_list(r["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"].get("SecurityGroups"))
                .iter()
                .filter_map(id_of)
                .collect();
        for entry in as_list(r["Properties"].get("LoadBalancers")) {
            let Some(tg) = id_of(&entry["TargetGroupArn"]) else { continue };
            let Some(tgr) = res.get(&tg) else { continue };
            let tp = &tgr["Properties"];
            if tp["Port"] != entry["ContainerPort"] {
                bad.push(format!(
                    "{sid}: target group {tg} sends to port {}, not to the container port {}",
                    tp["Port"], entry["ContainerPort"]
                ));
            }
            let senders: Vec<&String> =
                lbs.target_groups.iter().filter(|(_, tgs)| tgs.contains(&tg)).map(|(lb, _)| lb).collect();
            if senders.is_empty() {
                bad.push(format!("{sid}: target group {tg} is attached, but no listener sends to it"));
            }
            for lb in senders {
                let Some(lb_group) = lbs.by_group.iter().find(|(_, l)| *l == lb).map(|(g, _)| g.clone()) else {
                    continue;
                };
                for g in &groups {
                    let ports = needed.entry((lb_group.clone(), g.clone())).or_default();
                    let port = tp["Port"].as_u64().unwrap_or(0);
                    for proto in ip_protocols(tp["Protocol"].as_str().unwrap_or_default()) {
                        ports.insert((port, proto));
                    }
                    if let Some(hp) = tp["HealthCheckPort"].as_str().and_then(|p| p.parse::<u64>().ok()) {
                        ports.insert((hp, "tcp".into()));
                    }
                }
            }
        }
    }
    needed
}

/// A load balancer's group opens only its listener ports; it reaches into a task's group only
/// on the target and health check ports of the target groups it sends to that are attached to
/// an ECS service of that group; and every such target port is open to it.
fn load_balancer_violations(t: &Value, lbs: &LoadBalancers) -> Vec<String> {
    let res = t["Resources"].as_object().cloned().unwrap_or_default();
    let mut bad = Vec::new();
    let needed = load_balancer_needs(t, lbs, &mut bad);
    let mut opened: BTreeMap<(String, String), BTreeSet<(u64, String)>> = BTreeMap::new();
    for (id, r) in &res {
        if r["Type"] != "AWS::EC2::SecurityGroupIngress" {
            continue;
        }
        let p = &r["Properties"];
        let Some(dst) = ingress_group(p) else { continue };
        if let Some(lb) = lbs.by_group.get(&dst) {
            if !lbs.listener_ports.get(lb).is_some_and(|ports| ports.contains(&port_of(p))) {
                bad.push(format!(
                    "{id}: opens {:?} of load balancer {lb}, which is not one of its listener ports",
                    port_of(p)
                ));
            }
        }
        let Some(src) = id_of(&p["SourceSecurityGroupId"]) else { continue };
        if !lbs.by_group.contains_key(&src) {
            continue;
        }
        let key = (src.clone(), dst.clone());
        if !needed.get(&key).is_some_and(|ports| ports.contains(&port_of(p))) {
            bad.push(format!(
                "{id}: load balancer group {src} reaches {dst} on {:?}, which no target group of it needs",
                port_of(p)
            ));
        }
        opened.entry(key).or_default().insert(port_of(p));
    }
    for (key, ports) in &needed {
        for port in ports {
            if !opened.get(key).is_some_and(|o| o.contains(port)) {
                bad.push(format!("load balancer group {} cannot reach its targets in {} on {port:?}", key.0, key.1));
            }
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
    let unscoped =
        !actions.is_empty() && actions.iter().all(|a| a.as_str().is_some_and(|a| NO_RESOURCE_LEVEL.contains(&a)));
    if as_list(st.get("Resource")).iter().any(|r| r == "*") && !user && !unscoped {
        bad.push(format!("{id}: Resource \"*\" for {actions:?}"));
    }
}

/// The containers each task security group protects: security group logical ID → container
/// names of the task definitions of the ECS services that use the group.
pub fn groups(t: &Value) -> BTreeMap<String, BTreeSet<String>> {
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
