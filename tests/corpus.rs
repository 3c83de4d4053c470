//! The corpus: real compose files from other projects (COMPOSEX_CORPUS, set by .ci/run, else
//! ../shared/corpus). Each must render to a template (written to target/corpus-rendered/ for
//! cfn-lint, which the test command runs next) or be refused with messages that each name a path
//! — never a crash — and two renders must be byte-identical. ECS ComposeX use-cases render, or
//! are refused for a reason listed in KNOWN_REFUSALS; its negative tests are refused.

mod common;

use std::path::Path;

/// Files that must render (SPEC acceptance) and files that must be refused, with a line the
/// refusal must contain.
const MUST_RENDER: &[&str] = &[
    "compose-cli/simple-single-service.yaml",
    "compose-cli/multi_port_secrets.yaml",
    "ecs-composex/yelb.yaml",
    // `build` without `image`: each image is a template parameter the pipeline fills.
    "awesome-compose/django.yaml",
    "awesome-compose/fastapi.yaml",
    "awesome-compose/flask.yaml",
    "awesome-compose/nginx-nodejs-redis.yaml",
    "awesome-compose/spring-postgres.yaml",
];
const MUST_REFUSE: &[(&str, &str)] = &[
    (
        "compose-cli/invalid_network_mode.yaml",
        "services.simple.network_mode: network_mode \"bridge\" is not possible on Fargate",
    ),
    ("ecs-composex/sqs/negative-testing/wrong_dlq.yml (on blog.features.yml)", ""),
    ("ecs-composex/rds/negative-testing/wrong_engine.yml (on blog.features.yml)", ""),
];

/// The ECS ComposeX use-cases (negative tests aside) that are refused, as the test names them,
/// with a part of one of their error lines that gives the reason. A refused use-case missing
/// here fails the test, and so does an entry whose file renders: the table can only shrink.
const KNOWN_REFUSALS: &[(&str, &str)] = &[
    // Its profiler notifies the channel "SOME_SNS_TOPIC_ARN", a placeholder CloudFormation
    // would refuse: the message asks for the topic's ARN.
    (
        "ecs-composex/codeguru/simple.yml (on blog.features.yml)",
        "channelUri: \"SOME_SNS_TOPIC_ARN\" is not an SNS topic ARN",
    ),
    // A composite alarm that scales services: CloudWatch runs no Application Auto Scaling
    // action on a composite alarm, so the stack could not do what the file says.
    ("ecs-composex/alarms/composite_alarm.duplicate.yml (on blog.features.yml)", COMPOSITE_SCALING),
    ("ecs-composex/alarms/composite_alarm.yml (on blog.features.yml)", COMPOSITE_SCALING),
    // Lookup of existing AWS resources needs AWS API calls while the template is transformed,
    // which a macro cannot make; the message gives the existing-resource form (Use, a Parameter).
    ("ecs-composex/acm/request_pending.yaml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/alarms/create_lookup.with_topics.yml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/docdb/create_lookup.yml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/dynamodb/create_lookup_legacy.yml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/elbv2/create_acm_parameters.yml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/elbv2/create_only_with_cognito.yml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/dynamodb/create_lookup_services_mappings_cloudmap.yml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/ecs/cluster_lookup_and_capacity_providers.yml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/ecs/cluster_lookup_and_cluster_no_capacity_providers.yml (on blog.features.yml)", LOOKUP),
    // Its x-kms key exists only as a Lookup (no Properties to create it from); its stream-to-s3
    // also asks server-side encryption of a Kinesis-fed stream, which Firehose refuses.
    ("ecs-composex/firehose/create_only.yml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/firelens/advanced_firehose/test_advanced_firehose.yaml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/kinesis/create_lookup.yml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/kms/create_and_lookup.yml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/neptune/lookup.yml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/networking/cloudmap_multi_settings.yaml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/opensearch/lookup_only.yaml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/prometheus/blog.features.yml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/rds/lookup_rds_with_iam_access.yml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/rds/rds_import.yml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/rds/rds_import_with_return_values.yml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/rds/subnets_override.yml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/s3/lookup_only.yml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/s3/lookup_use_create_buckets_services_mappings.yaml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/s3/lookup_use_create_buckets_services_mappings_cloudmap.yaml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/sns/create_and_lookup.yml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/sqs/create_and_lookup_with_return_values_kms.yml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/ssm/simple_parameter_with_lookup.yml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/volumes/efs_with_lookup_vpc.yml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/vpc/lookup_vpc_via_arn.yaml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/vpc/lookup_vpc_via_tags.yaml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/warpstream.yaml", LOOKUP),
    ("ecs-composex/warpstream.yaml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/wafv2_webacl/lookup_only.yaml (on blog.features.yml)", LOOKUP),
    ("ecs-composex/wafv2_webacl/lookup_only_with_elbv2.yaml (on blog.features.yml)", LOOKUP),
    // Its OIDC client secret is written in the file: it would be readable in the template.
    ("ecs-composex/elbv2/create_only_with_oidc.yml (on blog.features.yml)", CLIENT_SECRET),
    // Would fail to deploy as written: a standard SNS topic cannot deliver to a FIFO queue.
    (
        "ecs-composex/sns/sns_with_sqs_subscription.yaml (on blog.features.yml)",
        "is a FIFO queue, which a standard SNS topic cannot deliver to",
    ),
    // Would fail to deploy as written: two domains named test2.
    (
        "ecs-composex/opensearch/create_only.yaml (on blog.features.yml)",
        "\"test2\" is also the DomainName of x-opensearch.domain-02",
    ),
    // A compose file for a docker host, not yet ported to ECS: bind mounts (refused like the
    // awesome-compose samples; its `build` alone would render).
    ("ecs-composex/community/slack.ste.orig.yaml (on blog.features.yml)", "bind mounts need files of the docker host"),
    // Not compose files: a CloudFormation template that calls the macro (`Fn::Transform`), the
    // RDS `Properties` fragments of ECS ComposeX's unit tests, the files x-ssm_parameter reads
    // (`MacroParameters.FromFile`).
    ("ecs-composex/cfn_macro/remote_files.yml (on blog.features.yml)", "Fn::Transform: "),
    ("ecs-composex/rds/resource_sorting/cluster.yml (on blog.features.yml)", "Properties: "),
    ("ecs-composex/rds/resource_sorting/from_engine_instance.yml (on blog.features.yml)", "Properties: "),
    ("ecs-composex/rds/resource_sorting/instance.yml (on blog.features.yml)", "Properties: "),
    ("ecs-composex/ssm/test_yaml.yaml (on blog.features.yml)", "key: \"key\" is not a compose key"),
    ("ecs-composex/ssm/test_yaml_jinja2.yaml (on blog.features.yml)", "key: \"key\" is not a compose key"),
];
const COMPOSITE_SCALING: &str = "Services: a composite alarm cannot trigger Application Auto Scaling";
const LOOKUP: &str = ".Lookup: Lookup needs AWS API calls while the template is transformed";
const CLIENT_SECRET: &str = "a client secret written in the file, or in a Parameter without NoEcho, is readable";

/// Negative tests that render: what makes them negative is a part ComposeX does not build yet
/// and ignores with a warning, which must be printed. Once that part is built they are refused,
/// and the entry must go.
const NEGATIVE_BUT_RENDERS: &[(&str, &str)] = &[];

/// ECS ComposeX's negative tests, under `negative-testing/` or `negative_testing/`.
fn negative(name: &str) -> bool {
    name.contains("/negative-testing/") || name.contains("/negative_testing/")
}

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
    let inputs = common::corpus_inputs(&root);
    let listed = MUST_RENDER
        .iter()
        .chain(MUST_REFUSE.iter().map(|(n, _)| n))
        .chain(KNOWN_REFUSALS.iter().map(|(n, _)| n))
        .chain(NEGATIVE_BUT_RENDERS.iter().map(|(n, _)| n));
    for n in listed {
        if !inputs.iter().any(|(name, _)| name == n) {
            failures.push(format!("{n}: listed, but not in the corpus"));
        }
    }
    for (n, _) in KNOWN_REFUSALS {
        if negative(n) || !n.starts_with("ecs-composex/") {
            failures.push(format!("{n}: KNOWN_REFUSALS lists ECS ComposeX use-cases only, not negative tests"));
        }
    }
    for (name, files) in inputs {
        let first = common::render_files(&files);
        let second = common::render_files(&files);
        if first != second {
            failures.push(format!("{name}: two renders differ"));
        }
        let (code, out, err) = first;
        let errors: Vec<&str> = err.lines().filter(|l| !l.starts_with("warning: ")).collect();
        let known = KNOWN_REFUSALS.iter().find(|(n, _)| *n == name);
        let exception = NEGATIVE_BUT_RENDERS.iter().find(|(n, _)| *n == name);
        match code {
            0 => {
                rendered += 1;
                let file = name.replace(" (on blog.features.yml)", "+base").replace(['/', ' '], "_");
                std::fs::write(out_dir.join(format!("{file}.json")), &out).unwrap();
                if MUST_REFUSE.iter().any(|(n, _)| *n == name) {
                    failures.push(format!("{name}: rendered, but must be refused"));
                }
                if known.is_some() {
                    failures.push(format!("{name}: renders now: remove it from KNOWN_REFUSALS"));
                }
                match exception {
                    Some((_, warning)) if !err.lines().any(|l| common::unplaced(l).contains(warning)) => {
                        failures.push(format!("{name}: renders without the warning {warning:?}: {err}"));
                    }
                    Some(_) => {}
                    None if negative(&name) => failures.push(format!("{name}: rendered, but must be refused")),
                    None => {}
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
                if exception.is_some() {
                    failures.push(format!("{name}: refused now: remove it from NEGATIVE_BUT_RENDERS"));
                }
                let ecs_use_case = name.starts_with("ecs-composex/") && !negative(&name);
                if MUST_RENDER.contains(&name.as_str()) || ecs_use_case && known.is_none() {
                    failures.push(format!(
                        "{name}: must render (or be listed in KNOWN_REFUSALS), but: {}",
                        errors.join(" | ")
                    ));
                }
                let want = known.or(MUST_REFUSE.iter().find(|(n, _)| *n == name));
                if let Some((_, want)) = want {
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
/// with PostgreSQL and Redis kept off the internet, with short names for every family with ports, its aliases and discovery names as written
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
    // PostgreSQL and Redis publish their ports, as on a laptop: neither is put on the internet.
    // No listener takes their ports, and their groups admit no load balancer nor CIDR.
    let res = t["Resources"].as_object().unwrap();
    for (id, r) in res {
        if r["Type"] == "AWS::ElasticLoadBalancingV2::Listener" {
            let port = r["Properties"]["Port"].as_u64();
            assert!(!matches!(port, Some(5432 | 6379)), "{id} listens on {port:?}");
        }
        if r["Type"] == "AWS::EC2::SecurityGroupIngress" {
            let group = r["Properties"]["GroupId"]["Fn::GetAtt"][0].as_str().unwrap_or_default();
            if group == "RedisServerSecurityGroup" || group == "YelbDbSecurityGroup" {
                let from = r["Properties"]["SourceSecurityGroupId"]["Fn::GetAtt"][0].as_str().unwrap_or_default();
                assert!(from == "YelbAppserverSecurityGroup", "{id}: {group} is reached from {}", r["Properties"]);
            }
        }
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
