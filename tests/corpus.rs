//! The corpus: real compose files from other projects (COMPOSEX_CORPUS, set by .ci/run). Each
//! must render to a template (written to target/corpus-rendered/ for cfn-lint, which the test
//! command runs next) or be refused with messages that each name a path — never a crash — and
//! two renders must be byte-identical.

mod common;

use std::path::Path;

/// Files that must render (SPEC acceptance) and files that must be refused, with a line the
/// refusal must contain.
const MUST_RENDER: &[&str] =
    &["compose-cli/simple-single-service.yaml", "compose-cli/multi_port_secrets.yaml", "ecs-composex/yelb.yaml"];
const MUST_REFUSE: &[(&str, &str)] = &[
    (
        "compose-cli/invalid_network_mode.yaml",
        "services.simple.network_mode: network_mode \"bridge\" is not possible on Fargate",
    ),
    ("ecs-composex/sqs/negative-testing/wrong_dlq.yml (on blog.features.yml)", ""),
    ("ecs-composex/rds/negative-testing/wrong_engine.yml (on blog.features.yml)", ""),
];

/// An error line names its path: `services.web.ports[1]: …`, `x-vpc.Use: …`, or a file.
fn names_a_path(line: &str) -> bool {
    let Some((path, msg)) = line.split_once(": ") else { return false };
    !msg.is_empty() && !path.is_empty() && !path.contains(' ') || path.ends_with(".yml") || path.ends_with(".yaml")
}

#[test]
fn every_corpus_file_renders_or_is_refused_with_paths() {
    let Some(root) = common::corpus() else { return };
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let out_dir = target.join("corpus-rendered");
    let _ = std::fs::remove_dir_all(&out_dir);
    std::fs::create_dir_all(&out_dir).unwrap();
    let mut failures = Vec::new();
    let (mut rendered, mut refused) = (0, 0);
    for (name, files) in common::corpus_inputs(&root) {
        let first = common::render_files(&files);
        let second = common::render_files(&files);
        if first != second {
            failures.push(format!("{name}: two renders differ"));
        }
        let (code, out, err) = first;
        let errors: Vec<&str> = err.lines().filter(|l| !l.starts_with("warning: ")).collect();
        match code {
            0 => {
                rendered += 1;
                let file = name.replace(" (on blog.features.yml)", "+base").replace(['/', ' '], "_");
                std::fs::write(out_dir.join(format!("{file}.json")), &out).unwrap();
                if MUST_REFUSE.iter().any(|(n, _)| *n == name) || name.contains("negative-testing") {
                    failures.push(format!("{name}: rendered, but must be refused"));
                }
            }
            1 => {
                refused += 1;
                if errors.is_empty() {
                    failures.push(format!("{name}: refused without an error line"));
                }
                for l in &errors {
                    if !names_a_path(l) {
                        failures.push(format!("{name}: error without a path: {l}"));
                    }
                }
                // Every ECS ComposeX use case but the negative tests renders (SPEC §4.4 issue).
                let must = MUST_RENDER.contains(&name.as_str())
                    || (name.starts_with("ecs-composex/") && !name.contains("negative-testing"));
                if must {
                    failures.push(format!("{name}: must render, but: {}", errors.join(" | ")));
                }
                if let Some((_, want)) = MUST_REFUSE.iter().find(|(n, _)| *n == name) {
                    if !errors.iter().any(|l| l.contains(want)) {
                        failures.push(format!("{name}: the refusal does not say {want:?}: {}", errors.join(" | ")));
                    }
                }
            }
            other => failures.push(format!("{name}: exit code {other}: {err}")),
        }
    }
    eprintln!("corpus: {rendered} rendered, {refused} refused");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// ECS ComposeX's yelb sample declares Service Connect with `x-network.x-ecs_connect`: it renders
/// with short names for every family with ports, its aliases and discovery names as written
/// (or ComposeX's own where one would collide with a family's CloudMap service), and no warning
/// about x-ecs_connect.
#[test]
fn yelb_renders_with_service_connect() {
    let Some(root) = common::corpus() else { return };
    let (code, out, err) = common::render_files(&[root.join("ecs-composex/yelb.yaml")]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("x-ecs_connect"), "a warning names x-ecs_connect: {err}");
    let t: serde_json::Value = serde_json::from_str(&out).unwrap();
    let sc = |svc: &str| t["Resources"][svc]["Properties"]["ServiceConnectConfiguration"].clone();
    let alias = |svc: &str| sc(svc)["Services"][0]["ClientAliases"][0].clone();
    assert_eq!(alias("YelbAppserverService"), serde_json::json!({"DnsName": "yelb-appserver", "Port": 4567}));
    assert_eq!(sc("YelbAppserverService")["Services"][0]["DiscoveryName"], "yelb-appservera");
    assert_eq!(alias("RedisServerService"), serde_json::json!({"DnsName": "redis-server", "Port": 6379}));
    // "redis-server" is the family's own CloudMap (A-record) service: not reused.
    assert_eq!(sc("RedisServerService")["Services"][0]["DiscoveryName"], "redis-server-tcp_6379");
    assert_eq!(alias("YelbDbService"), serde_json::json!({"DnsName": "yelb-db", "Port": 5432}));
    assert_eq!(alias("YelbUiService"), serde_json::json!({"DnsName": "yelb-ui", "Port": 80}));
    for svc in ["YelbAppserverService", "RedisServerService", "YelbDbService", "YelbUiService"] {
        assert_eq!(sc(svc)["Enabled"], true, "{svc}");
        assert!(t["Resources"][svc]["Properties"]["ServiceRegistries"].is_array(), "{svc} lost its A records");
    }
}

/// ECS ComposeX's own x-elbv2 example (elbv2/create_only.yml on blog.features.yml): every target
/// group of its Services is attached to the ECS service of its family and sent to by a listener
/// (ECS ComposeX bug #810 dropped the second target group of a family).
#[test]
fn x_elbv2_create_only_attaches_every_target_group() {
    use serde_json::Value;
    let Some(root) = common::corpus() else { return };
    let ecx = root.join("ecs-composex");
    let (code, out, err) = common::render_files(&[ecx.join("blog.features.yml"), ecx.join("elbv2/create_only.yml")]);
    assert_eq!(code, 0, "{err}");
    let t: Value = serde_json::from_str(&out).unwrap();
    let res = t["Resources"].as_object().unwrap();
    let of_type = |ty: &'static str| res.iter().filter(move |(_, r)| r["Type"] == ty);
    let target_groups: Vec<&String> = of_type("AWS::ElasticLoadBalancingV2::TargetGroup").map(|(id, _)| id).collect();
    assert_eq!(target_groups.len(), 4, "{target_groups:?}");
    let text = |v: &Value| v.to_string();
    let sent_to: String = of_type("AWS::ElasticLoadBalancingV2::Listener")
        .chain(of_type("AWS::ElasticLoadBalancingV2::ListenerRule"))
        .map(|(_, r)| text(r))
        .collect();
    for (service, container, port) in [
        ("BignicefamilyService", "rproxy", 80),
        ("BignicefamilyService", "app01", 5000),
        ("YoutooService", "rproxy", 80),
        ("App03Service", "app03", 5000),
    ] {
        let entries = res[service]["Properties"]["LoadBalancers"].as_array().cloned().unwrap_or_default();
        let entry = entries
            .iter()
            .find(|e| e["ContainerName"] == container && e["ContainerPort"] == port)
            .unwrap_or_else(|| panic!("{service} has no target group for {container}:{port}: {entries:?}"));
        let tg = entry["TargetGroupArn"]["Ref"].as_str().unwrap();
        assert!(sent_to.contains(&format!("\"{tg}\"")), "no listener sends to {tg}");
    }
}
