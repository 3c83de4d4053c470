//! Criterion benches of the in-process transform (`cargo bench --bench transform`; the whole
//! measurement procedure, with peak memory, binary sizes and the comparison with ECS ComposeX, is
//! `scripts/bench.sh`, and the numbers are in BENCHMARKS.md).
//!
//! Groups:
//! - `render`: `macro_io::render` of a whole template given as JSON (what the CLI does after
//!   loading the YAML, and what the Lambda does after decoding the event).
//! - `transform`: `composex::transform`, the macro handler's pure core (request decoding, render,
//!   response). The request is cloned outside the timed section (`iter_batched`).
//! - `lambda`: `composex::transform_json`, what the Lambda runs: the same from the request's JSON
//!   text.
//!
//! Inputs:
//! - `synthetic/N`: N services in blocks of 10 (see [`synthetic`]); 10, 100 and 1000 services.
//!   1000 services exceed CloudFormation's 500-resource quota (and the 1 MB and 200-output ones),
//!   so that render ends in a quota error: every family is still expanded and the template is
//!   still built and measured before the quotas are checked, so the timing covers the whole
//!   transform. 10 and 100 services render.
//! - `flat/N` (render only): the worst case per service, every service its own task family with
//!   a port (so its own task definition, service, security group, role, log group, CloudMap
//!   service and ingress rules); 100 and 1000 services, both over the quota from 100 on.
//! - `yelb`: the ECS ComposeX corpus file `yelb.yaml`, when `COMPOSEX_CORPUS` names the corpus
//!   directory (the one that holds `ecs-composex/`), parsed once with `parse_yaml`.
//!
//! The generator is deterministic and mirrors the Python one in `scripts/bench.sh`, which writes
//! the same documents as YAML for the whole-process measurements.
//!
//! Kept short (3 s of measurement, 20 samples) so that the run takes a few minutes; on a shared
//! 2-core machine the numbers are noisy, which the summary says.

use composex::macro_io::{render, transform, transform_json, Options};

/// The allocator of the Lambda (`bootstrap`), so that the bench measures what it runs.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;
use criterion::{black_box, criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use serde_json::{json, Map, Value};
use std::time::Duration;

mod common;
use common::{request, synthetic};

/// `n` services, each its own task family with a port, a health check, a `depends_on` chain and
/// a link every third service: the most resources per service.
fn flat(n: usize) -> Value {
    let mut services = Map::new();
    for i in 0..n {
        let port = 8000 + i;
        let mut s = json!({
            "image": format!("registry.example.com/team/app{}:1.{}", i % 20, i % 7),
            "ports": [format!("{port}:{port}")],
            "environment": {"SERVICE_NAME": format!("svc{i}"), "LISTEN_PORT": port.to_string(), "LOG_LEVEL": "info"},
            "healthcheck": {"test": ["CMD", "curl", "-f", format!("http://localhost:{port}/")], "interval": "30s"},
            "deploy": {"resources": {"limits": {"cpus": "0.5", "memory": "512M"}}},
        });
        if i > 0 {
            s["depends_on"] = json!([format!("svc{}", i - 1)]);
        }
        if i % 3 == 0 && i >= 3 {
            s["links"] = json!([format!("svc{}", i - 3)]);
        }
        services.insert(format!("svc{i}"), s);
    }
    json!({ "services": services })
}

/// `resources/N`: N services and N `x-` resources, a tenth of each of seven kinds of the IAM
/// table plus databases and caches, each consumed by two services with an access level and a
/// return value (the "300 services with 300 resources").
fn with_resources(n: usize) -> Value {
    let mut doc = synthetic(n);
    let kinds: [(&str, Value, &str, &str); 9] = [
        ("x-sqs", json!({}), "RWMessages", "Arn"),
        ("x-sns", json!({}), "Publish", "TopicName"),
        (
            "x-dynamodb",
            json!({"KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}], "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"}),
            "RW",
            "Arn",
        ),
        ("x-s3", json!({}), "objects:RW", "Arn"),
        ("x-kinesis", json!({"ShardCount": 1}), "Producer", "Arn"),
        ("x-kms", json!({}), "EncryptDecrypt", "Arn"),
        ("x-ssm_parameter", json!({"Type": "String", "Value": "x"}), "RO", "Name"),
        ("x-rds", json!({"Engine": "postgres", "EngineVersion": "16.4"}), "RW", "Endpoint.Address"),
        ("x-elasticache", json!({"Engine": "redis"}), "RW", "Endpoint.Address"),
    ];
    for i in 0..n {
        let (key, props, access, attr) = &kinds[i % kinds.len()];
        let mut consumers = serde_json::Map::new();
        for s in [i, (i * 7 + 3) % n] {
            consumers.insert(
                format!("svc{s}"),
                json!({"Access": access, "ReturnValues": {*attr: format!("R{i}_{}", attr.replace('.', "_"))}}),
            );
        }
        let entry = doc.as_object_mut().unwrap().entry(key.to_string()).or_insert_with(|| json!({}));
        entry[format!("res{i}")] = json!({"Properties": props, "Services": consumers});
    }
    doc
}

fn yelb() -> Option<Value> {
    let dir = std::env::var_os("COMPOSEX_CORPUS")?;
    let path = std::path::Path::new(&dir).join("ecs-composex/yelb.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Some(composex::compose::yaml::parse_yaml(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// Inputs and whether each is expected to render (the others end in a quota error).
fn inputs(with_flat: bool) -> Vec<(String, usize, Value)> {
    let mut v: Vec<(String, usize, Value)> =
        [10, 100, 1000].iter().map(|&n| (format!("synthetic/{n}"), n, synthetic(n))).collect();
    if with_flat {
        v.extend([100, 1000].iter().map(|&n| (format!("flat/{n}"), n, flat(n))));
    }
    v.push(("resources/300".into(), 300, with_resources(300)));
    if let Some(doc) = yelb() {
        v.push(("yelb".into(), 4, doc));
    }
    v
}

fn bench_render(c: &mut Criterion) {
    let opts = Options::default();
    let mut g = c.benchmark_group("render");
    for (name, n, doc) in inputs(true) {
        // Say once, outside the timing, what the input does (the quota error is expected at 1000).
        let r = render(&doc, &opts);
        eprintln!(
            "render/{name}: {}",
            match &r.template {
                Some(t) => format!("renders, {} resources", t.resource_count()),
                None => format!("no template: {}", first_error(&r.diagnostics.error_message(1))),
            }
        );
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(&name), &doc, |b, doc| b.iter(|| render(black_box(doc), &opts)));
    }
    g.finish();
}

fn bench_transform(c: &mut Criterion) {
    let mut g = c.benchmark_group("transform");
    for (name, n, doc) in inputs(false) {
        let req = request(&doc);
        let resp = transform(req.clone());
        eprintln!("transform/{name}: {}", resp.status);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(&name), &req, |b, req| {
            b.iter_batched(|| req.clone(), |r| transform(black_box(r)), BatchSize::LargeInput)
        });
    }
    g.finish();
}

fn bench_lambda(c: &mut Criterion) {
    let mut g = c.benchmark_group("lambda");
    for (name, n, doc) in inputs(false) {
        let text = request(&doc).to_string();
        eprintln!("lambda/{name}: {}", transform_json(&text).status);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(&name), &text, |b, text| {
            b.iter(|| transform_json(black_box(text)))
        });
    }
    g.finish();
}

fn first_error(msg: &str) -> String {
    let line = msg.lines().next().unwrap_or("").to_string();
    if line.len() > 100 {
        format!("{}…", &line[..line.char_indices().nth(100).map_or(line.len(), |(i, _)| i)])
    } else {
        line
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench_render, bench_transform, bench_lambda
}
criterion_main!(benches);
