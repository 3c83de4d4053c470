//! Property tests: no input makes the engine panic or the handler fail to answer. Arbitrary
//! JSON, JSON shaped like compose (keys drawn from the compose and ECS ComposeX vocabulary), and
//! random mutations of the golden inputs and the corpus go through `render` (which must not
//! panic: a panic fails the test) and `transform` (which must answer success or failure).

mod common;

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::path::Path;

const KEYS: &[&str] = &[
    "services",
    "image",
    "ports",
    "expose",
    "environment",
    "command",
    "entrypoint",
    "healthcheck",
    "test",
    "interval",
    "deploy",
    "resources",
    "limits",
    "reservations",
    "cpus",
    "memory",
    "replicas",
    "update_config",
    "parallelism",
    "labels",
    "ecs.task.family",
    "depends_on",
    "condition",
    "links",
    "networks",
    "volumes",
    "secrets",
    "x-network",
    "Ingress",
    "Services",
    "Name",
    "Myself",
    "ExtSources",
    "IPv4",
    "x-iam",
    "Policies",
    "PolicyDocument",
    "Statement",
    "Action",
    "x-scaling",
    "Range",
    "TargetScaling",
    "CpuTarget",
    "x-vpc",
    "Use",
    "Properties",
    "VpcCidr",
    "x-cluster",
    "x-cloudmap",
    "Resources",
    "Parameters",
    "Outputs",
    "Transform",
    "logging",
    "options",
    "ulimits",
    "platform",
    "target",
    "published",
    "protocol",
    "Ref",
    "Fn::Sub",
    "Fn::GetAtt",
    "x-logging",
    "RetentionInDays",
    "name",
    "web",
    "db",
];
const STRINGS: &[&str] = &[
    "nginx",
    "80",
    "80:80",
    "80:abc",
    "53:53/udp",
    "3000-3005",
    "1m30s",
    "512m",
    "1GB",
    "0.25",
    "web",
    "db",
    "x-",
    "linux/arm64",
    "*",
    "s3:*",
    "0.0.0.0/0",
    "1-4",
    "service_healthy",
    "CMD",
    "NONE",
    "",
    "${VAR}",
    "a.b",
    "é",
    "-1",
];

/// `PROPTEST_CASES` overrides the default count (CI keeps the defaults; a long local run raises it).
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (0u32..70000).prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        prop::sample::select(STRINGS).prop_map(|s| json!(s)),
        ".{0,12}".prop_map(Value::String),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(6, 96, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(prop::sample::select(KEYS).prop_map(String::from), inner.clone(), 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
            prop::collection::btree_map(".{0,8}", inner, 0..3).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn survives(doc: &Value) {
    let _ = composex::macro_io::render(doc, &Default::default());
    let request = json!({"requestId": "p", "fragment": doc});
    let text = request.to_string();
    let response = composex::transform(request);
    assert!(response.status == "success" || response.status == "failure");
    if response.status == "failure" {
        assert!(response.error_message.as_deref().is_some_and(|m| !m.is_empty()));
    }
    // The Lambda's path (the request as text) answers exactly as the same text decoded whole
    // (not as `doc`: a float's text does not always decode to the same float).
    let decoded = composex::transform(serde_json::from_str(&text).unwrap());
    assert_eq!(
        serde_json::to_string(&composex::transform_json(&text)).unwrap(),
        serde_json::to_string(&decoded).unwrap()
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(400), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_json_never_panics(doc in value()) {
        survives(&doc);
        let text = doc.to_string();
        let _ = composex::transform(doc);
        let decoded = composex::transform(serde_json::from_str(&text).unwrap());
        assert_eq!(serde_json::to_string(&composex::transform_json(&text)).unwrap(), serde_json::to_string(&decoded).unwrap());
    }

    #[test]
    fn compose_shaped_json_never_panics(services in prop::collection::btree_map(prop::sample::select(&["web", "db", "api", "front-tier"][..]).prop_map(String::from), value(), 1..4)) {
        survives(&json!({"services": services}));
    }
}

/// The golden inputs and the corpus, each parsed once.
fn seeds() -> Vec<Value> {
    let mut files = Vec::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("macro-tests");
    for e in std::fs::read_dir(root).unwrap().flatten() {
        files.push(vec![e.path().join("input.yaml")]);
    }
    if let Some(c) = common::corpus() {
        files.extend(common::corpus_inputs(&c).into_iter().map(|(_, f)| f));
    }
    let mut d = composex::diagnostics::Diagnostics::new();
    files.iter().filter_map(|f| composex::cli::load(f, &|_| None, &mut d).ok()).collect()
}

/// Replaces the node at a pseudo-random position with `with`.
fn mutate(doc: &mut Value, mut pick: u64, with: Value) {
    let mut cur = doc;
    loop {
        let children = match cur {
            Value::Object(m) if !m.is_empty() => m.len(),
            Value::Array(a) if !a.is_empty() => a.len(),
            _ => 0,
        };
        if children == 0 || pick % 4 == 0 {
            *cur = with;
            return;
        }
        let i = (pick as usize / 4) % children;
        pick = pick.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407) >> 8;
        cur = match cur {
            Value::Object(m) => m.values_mut().nth(i).unwrap(),
            Value::Array(a) => &mut a[i],
            _ => unreachable!(),
        };
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(300), ..ProptestConfig::default() })]

    #[test]
    fn mutated_real_inputs_never_panic(which in any::<usize>(), picks in prop::collection::vec((any::<u64>(), leaf()), 1..4)) {
        thread_local!(static SEEDS: Vec<Value> = seeds());
        let mut doc = SEEDS.with(|s| s[which % s.len()].clone());
        for (pick, with) in picks {
            mutate(&mut doc, pick, with);
        }
        survives(&doc);
    }
}
