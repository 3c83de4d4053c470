//! `composex graph` against the security audit (tests/common/security.rs), which reads the same
//! templates its own way: on every golden template the graph's network paths between task
//! families, from load balancers to families, from the internet to load balancers, and into the
//! `x-` resources, and its IAM grants, are exactly what the audit finds. Then golden pictures
//! (`macro-tests/<case>/graph.mmd`, and `docs/graph.*` for the example, which the README shows),
//! and the command line. `UPDATE=1 cargo test --test graph` rewrites the golden pictures.

mod common;

use common::security::{groups, load_balancer_needs, load_balancers, reachability, resource_reach};
use composex::graph::{derive, to_dot, to_html, to_mermaid, EdgeKind, Graph, NodeKind};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every golden case that renders, with its template.
fn templates() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for case in common::golden_cases() {
        let Ok(text) = std::fs::read_to_string(case.join("expected.json")) else { continue };
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        out.push((name, serde_json::from_str(&text).unwrap()));
    }
    assert!(out.len() > 150, "only {} golden templates", out.len());
    out
}

/// The containers of an ECS service, as the audit groups them (by security group).
fn containers(t: &Value, service: &str) -> Vec<String> {
    let by_group = groups(t);
    let sgs = &t["Resources"][service]["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"];
    let mut out = BTreeSet::new();
    for g in sgs.as_array().into_iter().flatten() {
        out.extend(by_group.get(g["Fn::GetAtt"][0].as_str().unwrap_or_default()).into_iter().flatten().cloned());
    }
    out.into_iter().collect()
}

/// `8080/tcp` → (8080, tcp); a range counts as port 0 and all traffic as -1, as the audit has them.
fn port(text: &str) -> (i64, String) {
    if text == "all traffic" {
        return (-1, "-1".into());
    }
    let (ports, proto) = text.split_once('/').unwrap();
    (if ports.contains('-') { 0 } else { ports.parse().unwrap() }, proto.to_string())
}

fn kind(g: &Graph, id: &str) -> NodeKind {
    g.node(id).unwrap_or_else(|| panic!("edge to {id}, which is no node")).kind
}

/// The network edges from nodes of kind `from` to nodes of kind `to`, one per port.
fn network(g: &Graph, from: NodeKind, to: NodeKind) -> Vec<(&str, &str, (i64, String))> {
    g.edges
        .iter()
        .filter(|e| e.kind == EdgeKind::Network && kind(g, &e.from) == from && kind(g, &e.to) == to)
        .flat_map(|e| e.what.iter().map(|p| (e.from.as_str(), e.to.as_str(), port(p))))
        .collect()
}

/// The `x-` resources the outputs name (`ARN of x-sqs.jobs`).
fn x_resources(t: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for o in t["Outputs"].as_object().into_iter().flat_map(|o| o.values()) {
        if o["Description"].as_str().is_some_and(|d| d.starts_with("ARN of x-")) {
            let v = &o["Value"];
            let id = v["Fn::GetAtt"][0].as_str().or(v["Ref"].as_str()).map(String::from);
            let sub =
                v["Fn::Sub"].as_str().and_then(|s| s.rsplit("${").next()).map(|s| s.trim_end_matches('}').to_string());
            out.extend(id.or(sub));
        }
    }
    out
}

/// Where the graph and the audit disagree on one template.
fn disagreements(t: &Value, g: &Graph) -> Vec<String> {
    let mut bad = Vec::new();
    let mut compare = |what: &str, graph: BTreeSet<String>, audit: BTreeSet<String>| {
        for x in graph.difference(&audit) {
            bad.push(format!("{what}: the graph has {x}, the audit does not"));
        }
        for x in audit.difference(&graph) {
            bad.push(format!("{what}: the audit has {x}, the graph does not"));
        }
    };
    // Task family to task family: the audit's reachability, as (containers, containers, port).
    let graph = network(g, NodeKind::Family, NodeKind::Family)
        .into_iter()
        .map(|(a, b, (p, proto))| format!("{:?} -> {:?} {p}/{proto}", containers(t, a), containers(t, b)))
        .collect();
    let audit = reachability(t).into_iter().map(|(a, b, p)| format!("{a:?} -> {b:?} {p}")).collect();
    compare("family to family", graph, audit);
    // Load balancer to task family: the ports its target groups need.
    let lbs = load_balancers(t);
    let graph = network(g, NodeKind::LoadBalancer, NodeKind::Family)
        .into_iter()
        .map(|(lb, f, (p, proto))| format!("{lb} -> {:?} {p}/{proto}", containers(t, f)))
        .collect();
    let by_group = groups(t);
    let mut audit = BTreeSet::new();
    for ((lb_group, task_group), ports) in load_balancer_needs(t, &lbs, &mut Vec::new()) {
        for (p, proto) in ports {
            let c: Vec<&String> = by_group[&task_group].iter().collect();
            audit.insert(format!("{} -> {c:?} {p}/{proto}", lbs.by_group[&lb_group]));
        }
    }
    compare("load balancer to family", graph, audit);
    // The internet to a load balancer of the template: the listener ports of the internet-facing
    // ones (an existing load balancer, `x-aws-loadbalancer`, has its own rules).
    let graph = network(g, NodeKind::Internet, NodeKind::LoadBalancer)
        .into_iter()
        .map(|(_, lb, (p, proto))| format!("{lb} {p}/{proto}"))
        .collect();
    // A listener port is open to the internet when the load balancer's group admits 0.0.0.0/0 or
    // ::/0 on it (MacroParameters.Ingress may name narrower sources instead).
    let internet_rule = |lb: &str, port: u64, proto: &str| {
        t["Resources"].as_object().unwrap().values().any(|r| {
            let p = &r["Properties"];
            r["Type"] == "AWS::EC2::SecurityGroupIngress"
                && p["GroupId"]["Fn::GetAtt"][0].as_str().and_then(|g| lbs.by_group.get(g)).is_some_and(|l| l == lb)
                && (p["CidrIp"] == "0.0.0.0/0" || p["CidrIpv6"] == "::/0")
                && p["FromPort"].as_u64() == Some(port)
                && p["IpProtocol"] == proto
        })
    };
    let mut audit = BTreeSet::new();
    for (lb, ports) in &lbs.listener_ports {
        let r = &t["Resources"][lb];
        if !r.is_null() && r["Properties"]["Scheme"] != "internal" {
            audit.extend(
                ports
                    .iter()
                    .filter(|(p, proto)| internet_rule(lb, *p, proto))
                    .map(|(p, proto)| format!("{lb} {p}/{proto}")),
            );
        }
    }
    compare("internet to load balancer", graph, audit);
    // Task families to x- resources, by the network and by IAM (task and execution roles).
    let xs = x_resources(t);
    let shown = xs.iter().filter(|x| g.node(x).is_some_and(|n| n.kind == NodeKind::Resource)).cloned().collect();
    compare("x- resources shown", shown, xs.clone());
    let reach = resource_reach(t);
    let res = t["Resources"].as_object().unwrap();
    let edges = |kind: EdgeKind, why: Option<&str>, keep: &dyn Fn(&str) -> bool| -> BTreeSet<String> {
        g.edges
            .iter()
            .filter(|e| e.kind == kind && why.is_none_or(|w| e.why == w) && keep(&e.to))
            .filter(|e| g.node(&e.from).is_some_and(|n| n.kind == NodeKind::Family))
            .flat_map(|e| containers(t, &e.from).into_iter().map(move |c| format!("{c} -> {}", e.to)))
            .collect()
    };
    let audit = |map: &BTreeMap<String, BTreeSet<String>>, keep: &dyn Fn(&str) -> bool| -> BTreeSet<String> {
        map.iter()
            .filter(|(id, _)| keep(id))
            .flat_map(|(id, cs)| cs.iter().map(move |c| format!("{c} -> {id}")))
            .collect()
    };
    let is_x = |id: &str| xs.contains(id);
    compare("network to x- resources", edges(EdgeKind::Network, None, &is_x), audit(&reach.net, &is_x));
    let in_template = |id: &str| res.contains_key(id);
    compare("task role", edges(EdgeKind::Iam, Some("task role"), &in_template), audit(&reach.iam, &in_template));
    // The execution role's own log group is left out of the graph.
    let not_logs = |id: &str| res.get(id).is_some_and(|r| r["Type"] != "AWS::Logs::LogGroup");
    compare("execution role", edges(EdgeKind::Iam, Some("execution role"), &not_logs), audit(&reach.exec, &not_logs));
    bad
}

#[test]
fn the_graph_agrees_with_the_security_audit_on_every_golden_template() {
    let mut failures = Vec::new();
    let mut seen = BTreeSet::new();
    for (name, t) in templates() {
        let g = derive(&t);
        for e in &g.edges {
            seen.insert((kind(&g, &e.from), kind(&g, &e.to), e.kind));
        }
        failures.extend(disagreements(&t, &g).into_iter().map(|d| format!("{name}: {d}")));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The comparison saw every kind of path it compares.
    for want in [
        (NodeKind::Family, NodeKind::Family, EdgeKind::Network),
        (NodeKind::LoadBalancer, NodeKind::Family, EdgeKind::Network),
        (NodeKind::Internet, NodeKind::LoadBalancer, EdgeKind::Network),
        (NodeKind::Family, NodeKind::Resource, EdgeKind::Network),
        (NodeKind::Family, NodeKind::Resource, EdgeKind::Iam),
        (NodeKind::Source, NodeKind::Family, EdgeKind::Network),
        (NodeKind::Family, NodeKind::Outside, EdgeKind::Iam),
    ] {
        assert!(seen.contains(&want), "no golden template has a {want:?} edge");
    }
}

#[test]
fn the_comparison_sees_a_missing_or_an_extra_edge() {
    for (name, t) in
        templates().into_iter().filter(|(n, _)| ["elb-mixed", "stateful-resources-kept"].contains(&n.as_str()))
    {
        let g = derive(&t);
        assert!(disagreements(&t, &g).is_empty(), "{name}");
        for i in 0..g.edges.len() {
            let mut fewer = g.clone();
            let e = fewer.edges.remove(i);
            let compared = kind(&g, &e.from) != NodeKind::Source;
            assert_eq!(!disagreements(&t, &fewer).is_empty(), compared, "{name}: without {e:?}");
            let mut more = g.clone();
            more.edges[i].what.push(if e.kind == EdgeKind::Network { "1/udp".into() } else { "s3:GetObject".into() });
            // Ports are compared but into a resource; IAM grants by what they reach, not by action.
            let ports = e.kind == EdgeKind::Network && kind(&g, &e.to) != NodeKind::Resource;
            assert_eq!(disagreements(&t, &more).is_empty(), !ports || !compared, "{name}: with more on {e:?}");
        }
    }
}

const GOLDEN: &[&str] = &[
    "network-depends-on-inferred-ports",
    "stateful-resources-kept",
    "volumes-efs",
    "x-elbv2-ingress",
    "iam-x-aws-policies",
];

fn check(path: &Path, actual: &str, failures: &mut Vec<String>) {
    if std::env::var("UPDATE").is_ok_and(|v| v == "1") {
        std::fs::write(path, actual).unwrap();
        return;
    }
    match std::fs::read_to_string(path) {
        Ok(expected) if expected == actual => {}
        Ok(expected) => {
            failures.push(format!("{} differs\n--- expected\n{expected}\n--- actual\n{actual}", path.display()))
        }
        Err(_) => failures.push(format!("{} is missing (UPDATE=1 writes it)", path.display())),
    }
}

#[test]
fn golden_pictures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut failures = Vec::new();
    for case in GOLDEN {
        let dir = root.join("macro-tests").join(case);
        let t: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
        check(&dir.join("graph.mmd"), &to_mermaid(&derive(&t)), &mut failures);
    }
    // The example, through the command line, in the three formats.
    let example = root.join("examples/compose.yaml").to_string_lossy().into_owned();
    for format in ["mermaid", "dot", "html"] {
        let args: Vec<String> = ["graph", "-f", &example, "--format", format].iter().map(|s| s.to_string()).collect();
        let (code, out, err) = common::run_cli(&args, root);
        assert_eq!(code, 0, "{err}");
        let ext = if format == "mermaid" { "mmd" } else { format };
        check(&root.join("docs").join(format!("graph.{ext}")), &out, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_readme_shows_the_example_graph() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // The block sits in a numbered list item, indented by three spaces.
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap().replace("\n   ", "\n");
    let mermaid = std::fs::read_to_string(root.join("docs/graph.mmd")).unwrap();
    assert!(
        readme.contains(&format!("```mermaid\n{mermaid}```")),
        "README.md does not show docs/graph.mmd as a mermaid block"
    );
    assert!(readme.contains("docs/graph.png"), "README.md does not show docs/graph.png");
}

#[test]
fn the_html_page_is_self_contained_and_names_every_node() {
    for (name, t) in templates().into_iter().filter(|(n, _)| GOLDEN.contains(&n.as_str())) {
        let g = derive(&t);
        let html = to_html(&g);
        assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"), "{name}");
        assert!(!html.contains("<script") && !html.contains("<link") && !html.contains("@import"), "{name}");
        let external = html.replace("http://www.w3.org/2000/svg", "");
        assert!(!external.contains("http://") && !external.contains("https://"), "{name}: refers to another page");
        for n in &g.nodes {
            assert!(html.contains(&format!("id=\"node-{}\"", n.id)), "{name}: no node {}", n.id);
        }
        let dot = to_dot(&g);
        assert_eq!(dot.matches(" -> ").count(), g.edges.len(), "{name}");
    }
}

#[test]
fn the_command_reads_a_rendered_template_or_compose_files() {
    let dir = common::TempDir::new("graph-cli");
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("macro-tests/stateful-resources-kept");
    let input = case.join("input.yaml").to_string_lossy().into_owned();
    let run = |args: &[&str]| common::run_cli(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>(), &dir);
    let expected = to_mermaid(&derive(
        &serde_json::from_str(&std::fs::read_to_string(case.join("expected.json")).unwrap()).unwrap(),
    ));
    // From the compose file, and from the template written as JSON or YAML.
    assert_eq!(run(&["graph", "-f", &input]).1, expected);
    for file in ["t.json", "t.yaml"] {
        assert_eq!(run(&["render", "-f", &input, "-o", file]).0, 0);
        let (code, out, err) = run(&["graph", "--template", file]);
        assert_eq!((code, out.as_str()), (0, expected.as_str()), "{file}: {err}");
    }
    // The format follows -o's extension.
    assert_eq!(run(&["graph", "--template", "t.json", "-o", "g.html"]).0, 0);
    assert!(std::fs::read_to_string(dir.join("g.html")).unwrap().starts_with("<!DOCTYPE html>"));
    assert_eq!(run(&["graph", "--template", "t.json", "-o", "g.dot"]).0, 0);
    assert!(std::fs::read_to_string(dir.join("g.dot")).unwrap().starts_with("digraph access {"));
    // Not a template, no file, and --template with -f.
    std::fs::write(dir.join("c.yaml"), "services: {a: {image: x}}\n").unwrap();
    let (code, _, err) = run(&["graph", "--template", "c.yaml"]);
    assert_eq!(code, 1);
    assert!(err.contains("has no Resources: not a template"), "{err}");
    assert_eq!(run(&["graph", "--template", "missing.json"]).0, 1);
    assert_eq!(run(&["graph", "--template", "t.json", "-f", &input]).0, 2);
}
