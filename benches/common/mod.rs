//! Inputs shared by the benches: the synthetic compose documents and the macro request around
//! them.

use serde_json::{json, Map, Value};

/// `n` services in blocks of 10. In block `b`, services `10b..10b+8` share the task family `famB`
/// (`10b` and `10b+4` publish a port and have a health check, the other seven are sidecars), and
/// `10b+9` is a standalone service with a port (ports are `expose`d to the other services; only
/// svc0 publishes one, `80:8000`, behind the load balancer — an application with one entry
/// point; publishing every port would put each behind an internet-facing listener), a link to the previous block's standalone service
/// and an `x-network` Ingress (from a member of its block's family and from 10.0.0.0/8). Every
/// service but the first `depends_on` the one before it (a chain across and within families), and
/// has five environment variables and resource limits.
pub fn synthetic(n: usize) -> Value {
    let mut services = Map::new();
    for i in 0..n {
        let (blk, pos) = (i / 10, i % 10);
        let port = 8000 + i;
        let head = matches!(pos, 0 | 4 | 9);
        let mut s = Map::new();
        s.insert("image".into(), json!(format!("registry.example.com/team/app{}:1.{}", i % 20, i % 7)));
        // Internal services expose their port to the others; only the first is published (a load
        // balancer's listener), as in an application with one entry point.
        if i == 0 {
            s.insert("ports".into(), json!([format!("80:{port}")]));
        } else if head {
            s.insert("expose".into(), json!([port.to_string()]));
        }
        s.insert(
            "environment".into(),
            json!({
                "SERVICE_NAME": format!("svc{i}"),
                "LISTEN_PORT": port.to_string(),
                "LOG_LEVEL": "info",
                "UPSTREAM": format!("http://svc{}:{}", blk * 10, 8000 + blk * 10),
                "FEATURE_FLAGS": format!("a,b,{}", i % 7),
            }),
        );
        if head {
            s.insert(
                "healthcheck".into(),
                json!({
                    "test": ["CMD-SHELL", format!("curl -f http://localhost:{port}/ || exit 1")],
                    "interval": "30s", "timeout": "5s", "retries": 3, "start_period": "10s",
                }),
            );
        }
        let (cpus, memory) = if head { ("0.5", "512M") } else { ("0.125", "128M") };
        let mut deploy = json!({"resources": {"limits": {"cpus": cpus, "memory": memory}}});
        if pos < 9 {
            deploy["labels"] = json!({"ecs.task.family": format!("fam{blk}")});
        }
        s.insert("deploy".into(), deploy);
        if i > 0 {
            s.insert("depends_on".into(), json!([format!("svc{}", i - 1)]));
        }
        if pos == 9 {
            if blk > 0 {
                s.insert("links".into(), json!([format!("svc{}", i - 10)]));
            }
            s.insert(
                "x-network".into(),
                json!({"Ingress": {
                    "Services": [{"Name": format!("svc{}", i - 5)}],
                    "ExtSources": [{"IPv4": "10.0.0.0/8", "Name": "corp"}],
                }}),
            );
        }
        services.insert(format!("svc{i}"), Value::Object(s));
    }
    json!({ "services": services })
}

/// A CloudFormation macro request whose fragment is `doc`.
pub fn request(doc: &Value) -> Value {
    json!({
        "region": "us-east-1",
        "accountId": "123456789012",
        "fragment": doc,
        "transformId": "123456789012::ComposeX",
        "params": {},
        "requestId": "bench",
        "templateParameterValues": {},
    })
}
