//! `composex graph`: who may reach what, read from a rendered template alone (not from the
//! compose file, so it shows what the template really allows). Nodes are the internet and other
//! network sources, the load balancers, the task families, the `x-` resources and what IAM grants
//! reach outside the stack; edges are the security-group rules (ports, and the reason each rule's
//! description gives) and the task and execution roles' grants (actions).
//!
//! `derive` builds the graph; `mermaid`, `dot` and `html` write it out.

mod dot;
mod html;
mod mermaid;

pub use dot::to_dot;
pub use html::to_html;
pub use mermaid::to_mermaid;

use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeKind {
    /// `0.0.0.0/0` or `::/0`.
    Internet,
    /// Another CIDR, security group or prefix list that a rule admits.
    Source,
    LoadBalancer,
    Family,
    /// A resource of the template: an `x-` resource, a secret, a security group of its own.
    Resource,
    /// What an IAM grant names outside the stack: an ARN, a parameter, `*`.
    Outside,
}

impl NodeKind {
    /// Every kind, in the order the outputs list them (legend, classes).
    pub const ALL: [NodeKind; 6] = [
        NodeKind::Internet,
        NodeKind::Source,
        NodeKind::LoadBalancer,
        NodeKind::Family,
        NodeKind::Resource,
        NodeKind::Outside,
    ];
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The logical ID, or `ext_…` for what the template has no resource for.
    pub id: String,
    pub kind: NodeKind,
    pub label: String,
    /// A second line: a family's containers, a resource's type, a load balancer's type.
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EdgeKind {
    Network,
    Iam,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub kind: EdgeKind,
    /// The rules' reason (`web depends_on api`), or the role (`task role`).
    pub why: String,
    /// Ports (`8080/tcp`, `4000-4010/udp`, `all traffic`) or IAM actions, sorted.
    pub what: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Graph {
    /// Sorted by kind, then label.
    pub nodes: Vec<Node>,
    /// Sorted by source, destination, kind and reason.
    pub edges: Vec<Edge>,
}

impl Graph {
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }
}

impl Edge {
    /// The text an edge is drawn with: its ports or a summary of its actions, and why.
    pub fn label(&self) -> String {
        let what = match self.kind {
            EdgeKind::Network => self.what.join(", "),
            EdgeKind::Iam => actions_summary(&self.what),
        };
        format!("{what} · {}", self.why)
    }
}

/// `sqs: read, write (6)`: per service prefix, the kinds of access and how many actions.
fn actions_summary(actions: &[String]) -> String {
    const READ: [&str; 9] = ["Get", "Describe", "List", "Query", "Scan", "BatchGet", "Receive", "Head", "Read"];
    let mut by_service: BTreeMap<&str, (BTreeSet<&str>, usize)> = BTreeMap::new();
    for a in actions {
        let (service, verb) = a.split_once(':').unwrap_or(("", a));
        // OpenSearch names its HTTP methods `es:ESHttpGet`, `es:ESHttpPut`…
        let verb = verb.strip_prefix("ESHttp").unwrap_or(verb);
        let e = by_service.entry(service).or_default();
        e.0.insert(if READ.iter().any(|r| verb.starts_with(r)) { "read" } else { "write" });
        e.1 += 1;
    }
    let parts: Vec<String> = by_service
        .iter()
        .map(|(s, (levels, n))| match (actions.len(), s.is_empty()) {
            (1, _) | (_, true) => actions.join(", "),
            _ => format!("{s}: {} ({n})", levels.iter().copied().collect::<Vec<_>>().join(", ")),
        })
        .collect();
    parts.join("; ")
}

/// An array's items, or the value itself, or nothing for `null`.
fn list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        Value::Null => vec![],
        v => vec![v],
    }
}

/// The logical ID a `Ref` or `Fn::GetAtt` names.
fn target(v: &Value) -> Option<&str> {
    v["Ref"].as_str().or_else(|| v["Fn::GetAtt"][0].as_str())
}

/// Every name a value refers to: `Ref`, `Fn::GetAtt`, and `${Name}` / `${Name.Attr}` in `Fn::Sub`.
fn names_in(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            out.extend(target(v).map(String::from));
            let sub = m.get("Fn::Sub").map(|s| if s.is_array() { &s[0] } else { s });
            for part in sub.and_then(Value::as_str).unwrap_or_default().split("${").skip(1) {
                let name = part.split(['}', '.']).next().unwrap_or_default();
                if !name.starts_with("AWS::") && !name.starts_with('!') {
                    out.insert(name.to_string());
                }
            }
            m.values().for_each(|x| names_in(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| names_in(x, out)),
        _ => {}
    }
}

/// A value as a reader of the YAML would write it: `!Ref Name`, `!Sub text`, a string as is.
fn show(v: &Value) -> String {
    match (v.as_str(), v["Ref"].as_str(), &v["Fn::Sub"], &v["Fn::GetAtt"]) {
        (Some(s), ..) => s.to_string(),
        (_, Some(r), ..) => format!("!Ref {r}"),
        (_, _, Value::Null, Value::Array(a)) => {
            format!("!GetAtt {}", a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("."))
        }
        (_, _, Value::Null, _) => v.to_string(),
        (_, _, s, _) => format!("!Sub {}", if s.is_array() { &s[0] } else { s }.as_str().unwrap_or_default()),
    }
}

/// The node ID of something outside the template: `ext_` and its text's alphanumerics (logical
/// IDs have no `_`, so it never takes one of theirs).
fn ext_id(text: &str) -> String {
    format!("ext_{}", text.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect::<String>())
}

/// Why a rule exists, from its description: its last parenthesis (`web to api on 8080/tcp (web
/// depends_on api)`), and `listener` for a load balancer's listener port; else all of it.
fn why(description: &str) -> String {
    let mut reason = None;
    if let Some(end) = description.rfind(')') {
        let mut depth = 0;
        for (i, c) in description[..end].char_indices().rev() {
            match c {
                ')' => depth += 1,
                '(' if depth == 0 => {
                    reason = Some(&description[i + 1..end]);
                    break;
                }
                '(' => depth -= 1,
                _ => {}
            }
        }
    }
    match (description.contains(" listener "), reason) {
        (true, Some(r)) => format!("listener, {r}"),
        (true, None) => "listener".into(),
        (false, Some(r)) => r.into(),
        (false, None) => description.into(),
    }
}

/// `8080/tcp`, `4000-4010/udp`, `all traffic`.
fn ports(rule: &Value) -> String {
    let proto = show(&rule["IpProtocol"]);
    let (from, to) = (show(&rule["FromPort"]), show(&rule["ToPort"]));
    match proto.as_str() {
        "-1" | "all" => "all traffic".into(),
        _ if from == to || to == "null" => format!("{from}/{proto}"),
        _ => format!("{from}-{to}/{proto}"),
    }
}

fn is_group(res: &Map<String, Value>, id: &str) -> bool {
    res.get(id).is_some_and(|r| r["Type"] == "AWS::EC2::SecurityGroup")
}

/// Adds a node unless its ID is taken; its ID.
fn add(nodes: &mut BTreeMap<String, Node>, id: &str, kind: NodeKind, label: &str, detail: &str) -> String {
    let n = Node { id: id.into(), kind, label: label.into(), detail: detail.into() };
    nodes.entry(id.to_string()).or_insert(n).id.clone()
}

/// The graph of a rendered template (its JSON form: `Fn::` and `Ref` mappings).
pub fn derive(template: &Value) -> Graph {
    let empty = Map::new();
    let res = template["Resources"].as_object().unwrap_or(&empty);
    let is_group = |id: &str| is_group(res, id);
    let mut nodes: BTreeMap<String, Node> = BTreeMap::new();
    // Security group → the node it protects.
    let mut groups: BTreeMap<String, String> = BTreeMap::new();
    // (family, role, why) of every role a family's tasks run with.
    let mut roles: Vec<(String, String, &str)> = Vec::new();
    for (id, r) in res {
        let p = &r["Properties"];
        match r["Type"].as_str().unwrap_or_default() {
            "AWS::ECS::Service" => {
                let td =
                    target(&p["TaskDefinition"]).and_then(|t| res.get(t)).map_or(&Value::Null, |t| &t["Properties"]);
                let containers: Vec<&str> =
                    list(&td["ContainerDefinitions"]).iter().filter_map(|c| c["Name"].as_str()).collect();
                // The family is named `${AWS::StackName}-NAME`.
                let family = td["Family"]["Fn::Sub"].as_str().and_then(|f| f.strip_prefix("${AWS::StackName}-"));
                let name = family.or(td["Family"].as_str()).unwrap_or(id);
                let detail = if containers == [name] { String::new() } else { containers.join(", ") };
                add(&mut nodes, id, NodeKind::Family, name, &detail);
                for g in list(&p["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"]) {
                    groups.extend(target(g).map(|g| (g.to_string(), id.clone())));
                }
                for (field, why) in [("TaskRoleArn", "task role"), ("ExecutionRoleArn", "execution role")] {
                    roles.extend(target(&td[field]).map(|role| (id.clone(), role.to_string(), why)));
                }
            }
            "AWS::ElasticLoadBalancingV2::LoadBalancer" => {
                let ty = p["Type"].as_str().unwrap_or("application");
                let detail = format!("{ty}, {}", p["Scheme"].as_str().unwrap_or("internet-facing"));
                add(&mut nodes, id, NodeKind::LoadBalancer, id, &detail);
                for g in list(&p["SecurityGroups"]) {
                    groups.extend(target(g).map(|g| (g.to_string(), id.clone())));
                }
            }
            _ => {}
        }
    }
    // The x- resources, by the outputs that give their ARNs (`ARN of x-sqs.jobs`).
    for o in template["Outputs"].as_object().unwrap_or(&empty).values() {
        let Some(label) = o["Description"].as_str().and_then(|d| d.strip_prefix("ARN of ")) else { continue };
        let mut ids = BTreeSet::new();
        names_in(&o["Value"], &mut ids);
        if let Some((id, r)) = ids.iter().find_map(|i| res.get(i).map(|r| (i, r))) {
            add(&mut nodes, id, NodeKind::Resource, label, &show(&r["Type"]));
            // The security group it uses (a database's, a cache's) protects it.
            let mut used = BTreeSet::new();
            names_in(&r["Properties"], &mut used);
            for g in used.into_iter().filter(|g| is_group(g)) {
                groups.entry(g).or_insert_with(|| id.clone());
            }
        }
    }
    let mut edges = Edges::new();
    grants(res, roles, &mut nodes, &mut edges);
    rules(res, groups, &mut nodes, &mut edges);
    let mut nodes: Vec<Node> = nodes.into_values().collect();
    nodes.sort_by(|a, b| (a.kind, &a.label, &a.id).cmp(&(b.kind, &b.label, &b.id)));
    let edges = edges
        .into_iter()
        .map(|((from, to, kind, why), what)| Edge { from, to, kind, why, what: what.into_iter().collect() })
        .collect();
    Graph { nodes, edges }
}

/// (from, to, kind, why) → ports or actions.
type Edges = BTreeMap<(String, String, EdgeKind, String), BTreeSet<String>>;

/// IAM: each Allow statement of a family's roles, to each resource it names. The execution
/// role's logs and image pulls are what every task needs, and are left out.
fn grants(
    res: &Map<String, Value>,
    roles: Vec<(String, String, &str)>,
    nodes: &mut BTreeMap<String, Node>,
    edges: &mut Edges,
) {
    for (family, role, why) in roles {
        let Some(r) = res.get(&role) else { continue };
        let mut statements: Vec<&Value> =
            list(&r["Properties"]["Policies"]).iter().flat_map(|p| list(&p["PolicyDocument"]["Statement"])).collect();
        for m in list(&r["Properties"]["ManagedPolicyArns"]) {
            match target(m).and_then(|id| res.get(id)) {
                Some(mp) => statements.extend(list(&mp["Properties"]["PolicyDocument"]["Statement"])),
                None => {
                    let to = add(nodes, &ext_id(&show(m)), NodeKind::Outside, &show(m), "");
                    edges
                        .entry((family.clone(), to, EdgeKind::Iam, why.into()))
                        .or_default()
                        .insert("managed policy".into());
                }
            }
        }
        for st in statements.into_iter().filter(|s| s["Effect"] == "Allow") {
            let actions: Vec<String> = list(&st["Action"]).into_iter().map(show).collect();
            if why == "execution role" && actions.iter().all(|a| a.starts_with("logs:") || a.starts_with("ecr:")) {
                continue;
            }
            for resource in list(&st["Resource"]) {
                let mut ids = BTreeSet::new();
                names_in(resource, &mut ids);
                ids.retain(|i| res.contains_key(i));
                let targets: Vec<String> = if ids.is_empty() {
                    vec![add(nodes, &ext_id(&show(resource)), NodeKind::Outside, &show(resource), "")]
                } else {
                    ids.iter().map(|id| add(nodes, id, NodeKind::Resource, id, &show(&res[id]["Type"]))).collect()
                };
                for to in targets {
                    edges
                        .entry((family.clone(), to, EdgeKind::Iam, why.into()))
                        .or_default()
                        .extend(actions.iter().cloned());
                }
            }
        }
    }
}

/// Network: each ingress rule, standalone or inline in its group, from its source to the node
/// its group protects (`groups`, completed here).
fn rules(
    res: &Map<String, Value>,
    mut groups: BTreeMap<String, String>,
    nodes: &mut BTreeMap<String, Node>,
    edges: &mut Edges,
) {
    let is_group = |id: &str| is_group(res, id);
    // A group no family, load balancer nor x- resource uses protects the resource of the graph
    // that a resource using it serves (a file system, through its mount targets).
    for (id, r) in res.iter().filter(|(_, r)| {
        !matches!(r["Type"].as_str(), Some("AWS::EC2::SecurityGroup" | "AWS::EC2::SecurityGroupIngress"))
    }) {
        let mut used = BTreeSet::new();
        names_in(&r["Properties"], &mut used);
        let served = if nodes.contains_key(id) {
            Some(id)
        } else {
            used.iter().find(|u| nodes.get(*u).is_some_and(|n| n.kind == NodeKind::Resource))
        };
        let Some(served) = served else { continue };
        for g in used.iter().filter(|g| is_group(g)) {
            groups.entry(g.clone()).or_insert_with(|| served.clone());
        }
    }
    // A group of the template that protects none of the nodes stands for itself.
    let group_node = |g: &str, nodes: &mut BTreeMap<String, Node>| match groups.get(g) {
        Some(n) => n.clone(),
        None => {
            let text = res[g]["Properties"]["GroupDescription"].as_str().unwrap_or(g);
            add(nodes, g, NodeKind::Resource, text.strip_prefix("ComposeX ").unwrap_or(text), "AWS::EC2::SecurityGroup")
        }
    };
    let mut rules: Vec<(&str, &Value)> = Vec::new();
    for (id, r) in res {
        let p = &r["Properties"];
        match r["Type"].as_str().unwrap_or_default() {
            "AWS::EC2::SecurityGroupIngress" => rules.extend(target(&p["GroupId"]).map(|g| (g, p))),
            "AWS::EC2::SecurityGroup" => {
                rules.extend(list(&p["SecurityGroupIngress"]).into_iter().map(|i| (id.as_str(), i)))
            }
            _ => {}
        }
    }
    for (g, rule) in rules.into_iter().filter(|(g, _)| is_group(g)) {
        let sources = ["SourceSecurityGroupId", "CidrIp", "CidrIpv6", "SourcePrefixListId"];
        let Some(source) = sources.iter().find_map(|k| rule.get(*k)) else { continue };
        let from = match target(source) {
            Some(s) if is_group(s) => group_node(s, nodes),
            _ if source == "0.0.0.0/0" || source == "::/0" => {
                add(nodes, "ext_internet", NodeKind::Internet, "Internet", "")
            }
            _ => add(nodes, &ext_id(&show(source)), NodeKind::Source, &show(source), ""),
        };
        let to = group_node(g, nodes);
        let key = (from, to, EdgeKind::Network, why(rule["Description"].as_str().unwrap_or_default()));
        edges.entry(key).or_default().insert(ports(rule));
    }
}

/// How each kind of node is drawn: (class name, fill, stroke, legend).
pub(crate) fn style(kind: NodeKind) -> (&'static str, &'static str, &'static str, &'static str) {
    match kind {
        NodeKind::Internet => ("internet", "#fee2e2", "#b91c1c", "the internet (0.0.0.0/0, ::/0)"),
        NodeKind::Source => {
            ("source", "#fef3c7", "#b45309", "another network source (CIDR, security group, prefix list)")
        }
        NodeKind::LoadBalancer => ("lb", "#ede9fe", "#6d28d9", "load balancer"),
        NodeKind::Family => ("family", "#dbeafe", "#1d4ed8", "task family (its containers when they differ)"),
        NodeKind::Resource => ("resource", "#dcfce7", "#15803d", "resource of the stack (x- resources, secrets…)"),
        NodeKind::Outside => ("outside", "#f3f4f6", "#4b5563", "outside the stack, granted by IAM"),
    }
}

/// Network edges are solid and blue, IAM grants dashed and orange: (colour, legend).
pub(crate) fn edge_style(kind: EdgeKind) -> (&'static str, &'static str) {
    match kind {
        EdgeKind::Network => ("#1d4ed8", "network path: ports · why the rule exists"),
        EdgeKind::Iam => ("#c2410c", "IAM grant: actions · role"),
    }
}
