//! Target group health checks: from the container's own healthcheck when it is an HTTP check
//! (`curl -f http://localhost:8080/health` → HTTP GET /health on 8080), from ECS ComposeX's
//! `healthcheck` string or mapping, or the default of the load balancer type.

use super::LbType;
use crate::compose::{HealthTest, Service};
use crate::diagnostics::{join, Diagnostics};
use serde_json::{json, Map, Value};

/// Health check properties, and the port they use when it is not the traffic port.
#[derive(Debug, Clone, Default)]
pub struct Health {
    pub props: Map<String, Value>,
    pub port: Option<u16>,
}

/// Protocols a target group health check may use.
const PROTOCOLS: &[&str] = &["HTTP", "HTTPS", "TCP"];

/// The default check: HTTP GET / answering 2xx or 3xx for application load balancers (HTTPS
/// when the targets speak HTTPS), a TCP connection to the traffic port for network ones.
pub fn default(ty: LbType, tg_protocol: &str) -> Health {
    let mut props = Map::new();
    match ty {
        LbType::Application => {
            props.insert("HealthCheckProtocol".into(), json!(if tg_protocol == "HTTPS" { "HTTPS" } else { "HTTP" }));
            props.insert("HealthCheckPath".into(), json!("/"));
            props.insert("Matcher".into(), json!({"HttpCode": "200-399"}));
        }
        LbType::Network => {
            props.insert("HealthCheckProtocol".into(), json!("TCP"));
        }
    }
    Health { props, port: None }
}

/// An HTTP check in a container healthcheck: the URL curl or wget asks for on the container
/// itself. (https, port, path)
pub fn http_check(s: &Service) -> Option<(bool, u16, String)> {
    let h = s.healthcheck.as_ref()?;
    let words: Vec<String> = match &h.test {
        HealthTest::Cmd(words) => words.iter().filter_map(|w| w.as_str().map(String::from)).collect(),
        HealthTest::Shell(Value::String(cmd)) => crate::compose::read::shell_words(cmd)
            .unwrap_or_else(|_| cmd.split_whitespace().map(String::from).collect()),
        _ => return None,
    };
    let is_client = |w: &str| {
        let prog = w.rsplit('/').next().unwrap_or(w);
        prog == "curl" || prog == "wget"
    };
    if !words.iter().any(|w| is_client(w)) {
        return None;
    }
    for w in &words {
        let (https, rest) = if let Some(r) = w.strip_prefix("http://") {
            (false, r)
        } else if let Some(r) = w.strip_prefix("https://") {
            (true, r)
        } else if w.starts_with("localhost") || w.starts_with("127.0.0.1") {
            (false, w.as_str())
        } else {
            continue;
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(':') => (h, p.parse::<u16>().ok()?),
            _ => (authority, if https { 443 } else { 80 }),
        };
        if !matches!(host, "localhost" | "127.0.0.1" | "0.0.0.0" | "[::1]") {
            continue;
        }
        return Some((https, port, path.to_string()));
    }
    None
}

/// The health check of a target from its container: the container's HTTP check when it has
/// one on a port the load balancer can reach (the target port, or another port the family
/// declares), else the default.
pub fn from_container(
    d: &mut Diagnostics,
    s: &Service,
    target_port: u16,
    family_ports: &[u16],
    ty: LbType,
    tg_protocol: &str,
) -> Health {
    let Some((https, port, path)) = http_check(s) else {
        return default(ty, tg_protocol);
    };
    let mut h = Health::default();
    if port != target_port {
        if !family_ports.contains(&port) {
            if let Some(hc) = &s.healthcheck {
                d.warn("CX5027", 
                    join(&hc.path, "test"),
                    format!("checks port {port}, which the service does not declare in ports or expose, so the load balancer cannot reach it; its target group checks port {target_port} instead"),
                );
            }
            return default(ty, tg_protocol);
        }
        h.props.insert("HealthCheckPort".into(), json!(port.to_string()));
        h.port = Some(port);
    }
    h.props.insert("HealthCheckProtocol".into(), json!(if https { "HTTPS" } else { "HTTP" }));
    h.props.insert("HealthCheckPath".into(), json!(path));
    h.props.insert("Matcher".into(), json!({"HttpCode": "200-399"}));
    h
}

/// HTTP status codes: `200`, `200,201`, `200-299`.
fn codes(text: &str) -> bool {
    !text.is_empty()
        && text.split(',').all(|part| {
            let mut ends = part.splitn(2, '-');
            let ok = |c: Option<&str>| {
                c.is_some_and(|c| {
                    c.len() == 3 && c.bytes().all(|b| b.is_ascii_digit()) && (b'1'..=b'5').contains(&c.as_bytes()[0])
                })
            };
            let a = ends.next();
            let b = ends.next();
            ok(a) && (b.is_none() || ok(b))
        })
}

const SYNTAX: &str = "use \"PORT:PROTOCOL\", then optionally \":HEALTHY:UNHEALTHY:INTERVAL:TIMEOUT\", then optionally \":/path\", \":/path:CODES\" or \":CODES\" (e.g. \"8080:HTTP:3:3:15:5:/health:200,204\")";

/// ECS ComposeX's health check string:
/// `PORT:PROTOCOL[:HEALTHY:UNHEALTHY:INTERVAL:TIMEOUT][:/path | :/path:CODES | :CODES]`.
pub fn parse_string(
    d: &mut Diagnostics,
    text: &str,
    path: &str,
    target_port: u16,
    family_ports: &[u16],
) -> Option<Health> {
    let parts: Vec<&str> = text.split(':').collect();
    let bad = |d: &mut Diagnostics, why: &str| {
        d.error("CX5028", path, format!("{text:?} is not a health check: {why}; {SYNTAX}"));
        None
    };
    if parts.len() < 2 {
        return bad(d, "it needs at least a port and a protocol");
    }
    let Some(port) = parts[0].parse::<u16>().ok().filter(|p| *p > 0) else {
        return bad(d, &format!("{:?} is not a port", parts[0]));
    };
    let protocol = parts[1].to_ascii_uppercase();
    if !PROTOCOLS.contains(&protocol.as_str()) {
        return bad(d, &format!("load balancers check health over HTTP, HTTPS or TCP, not {:?}", parts[1]));
    }
    let mut h = Health::default();
    h.props.insert("HealthCheckProtocol".into(), json!(protocol));
    let mut rest = &parts[2..];
    let numeric = |s: &&str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if rest.len() >= 4 && rest[..4].iter().all(numeric) {
        let bounds = [
            ("HealthyThresholdCount", "healthy threshold", 2, 10),
            ("UnhealthyThresholdCount", "unhealthy threshold", 2, 10),
            ("HealthCheckIntervalSeconds", "interval", 5, 300),
            ("HealthCheckTimeoutSeconds", "timeout", 2, 120),
        ];
        let mut values = [0u64; 4];
        for (i, (key, what, lo, hi)) in bounds.iter().enumerate() {
            let v: u64 = rest[i].parse().unwrap_or(0);
            if v < *lo || v > *hi {
                return bad(d, &format!("the {what} is {v}, but load balancers accept {lo} to {hi}"));
            }
            values[i] = v;
            h.props.insert((*key).into(), json!(v));
        }
        if values[3] >= values[2] {
            return bad(
                d,
                &format!("the timeout ({} s) must be shorter than the interval ({} s)", values[3], values[2]),
            );
        }
        rest = &rest[4..];
    }
    let http = protocol != "TCP";
    match rest {
        [] => {}
        [p] if p.starts_with('/') => {
            h.props.insert("HealthCheckPath".into(), json!(p));
        }
        [c] if codes(c) => {
            h.props.insert("Matcher".into(), json!({"HttpCode": c}));
        }
        [p, c] if p.starts_with('/') && codes(c) => {
            h.props.insert("HealthCheckPath".into(), json!(p));
            h.props.insert("Matcher".into(), json!({"HttpCode": c}));
        }
        _ => return bad(d, &format!("{:?} is neither a path nor HTTP codes", rest.join(":"))),
    }
    if !http && (h.props.contains_key("HealthCheckPath") || h.props.contains_key("Matcher")) {
        return bad(d, "a path and return codes are only for HTTP and HTTPS health checks");
    }
    if http && !h.props.contains_key("HealthCheckPath") {
        h.props.insert("HealthCheckPath".into(), json!("/"));
    }
    if port != target_port {
        if !family_ports.contains(&port) {
            return bad(
                d,
                &format!("port {port} is not a port of the target's task family, so every check would fail"),
            );
        }
        h.props.insert("HealthCheckPort".into(), json!(port.to_string()));
        h.port = Some(port);
    }
    Some(h)
}

const KEYS: &[&str] = &[
    "HealthCheckEnabled",
    "HealthCheckIntervalSeconds",
    "HealthCheckPath",
    "HealthCheckPort",
    "HealthCheckProtocol",
    "HealthCheckTimeoutSeconds",
    "HealthyThresholdCount",
    "UnhealthyThresholdCount",
    "Matcher",
];

/// The mapping form: target group `HealthCheck…` properties and `Matcher`, as CloudFormation
/// names them.
pub fn parse_object(
    d: &mut Diagnostics,
    m: &Map<String, Value>,
    path: &str,
    target_port: u16,
    family_ports: &[u16],
) -> Option<Health> {
    let mut h = Health::default();
    let mut ok = true;
    for (k, v) in m {
        let p = join(path, k);
        if !KEYS.contains(&k.as_str()) {
            d.error(
                "CX5029",
                &p,
                format!("{k:?} is not a target group health check property; use {}", KEYS.join(", ")),
            );
            ok = false;
            continue;
        }
        match k.as_str() {
            "HealthCheckPort" => {
                let text = match v {
                    Value::Number(n) => n.to_string(),
                    Value::String(s) => s.clone(),
                    _ => {
                        d.error("CX5030", &p, "HealthCheckPort must be a port number or traffic-port");
                        ok = false;
                        continue;
                    }
                };
                if text != "traffic-port" {
                    match text.parse::<u16>() {
                        Ok(port) if port == target_port => continue,
                        Ok(port) if family_ports.contains(&port) => h.port = Some(port),
                        Ok(port) => {
                            d.error(
                                "CX5031",
                                &p,
                                format!(
                                    "port {port} is not a port of the target's task family, so every check would fail"
                                ),
                            );
                            ok = false;
                        }
                        Err(_) => {
                            d.error("CX5032", &p, format!("{text:?} is not a port number nor traffic-port"));
                            ok = false;
                        }
                    }
                }
                h.props.insert(k.clone(), json!(text));
            }
            "HealthCheckProtocol" => {
                let proto = v.as_str().unwrap_or_default().to_ascii_uppercase();
                if !PROTOCOLS.contains(&proto.as_str()) {
                    d.error(
                        "CX5033",
                        &p,
                        format!(
                            "load balancers check health over HTTP, HTTPS or TCP, not {}",
                            crate::compose::read::show(v)
                        ),
                    );
                    ok = false;
                }
                h.props.insert(k.clone(), json!(proto));
            }
            _ => {
                h.props.insert(k.clone(), v.clone());
            }
        }
    }
    ok.then_some(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::Healthcheck;

    fn svc(test: HealthTest) -> Service {
        Service { healthcheck: Some(Healthcheck { test, ..Default::default() }), ..Default::default() }
    }

    #[test]
    fn finds_http_checks() {
        let s = svc(HealthTest::Shell(json!("curl -f http://localhost:8080/health || exit 1")));
        assert_eq!(http_check(&s), Some((false, 8080, "/health".into())));
        let s = svc(HealthTest::Cmd(vec![json!("curl"), json!("localhost:5000/ping")]));
        assert_eq!(http_check(&s), Some((false, 5000, "/ping".into())));
        let s = svc(HealthTest::Shell(json!("wget -q --spider https://127.0.0.1")));
        assert_eq!(http_check(&s), Some((true, 443, "/".into())));
        let s = svc(HealthTest::Shell(json!("pg_isready -h localhost")));
        assert_eq!(http_check(&s), None);
        let s = svc(HealthTest::Shell(json!("curl -f http://example.com/")));
        assert_eq!(http_check(&s), None);
    }

    #[test]
    fn parses_every_short_form() {
        let mut d = Diagnostics::new();
        let h = parse_string(&mut d, "5000:TCP", "p", 5000, &[5000]).unwrap();
        assert_eq!(Value::Object(h.props), json!({"HealthCheckProtocol": "TCP"}));
        let h = parse_string(&mut d, "5000:TCP:7:2:15:5", "p", 5000, &[5000]).unwrap();
        assert_eq!(h.props["HealthyThresholdCount"], 7);
        let h = parse_string(&mut d, "5000:HTTP:/health", "p", 5000, &[5000]).unwrap();
        assert_eq!(h.props["HealthCheckPath"], "/health");
        let h = parse_string(&mut d, "5000:HTTP:/:200,201", "p", 80, &[80, 5000]).unwrap();
        assert_eq!(h.props["Matcher"]["HttpCode"], "200,201");
        assert_eq!(h.port, Some(5000));
        let h = parse_string(&mut d, "5000:HTTP:200-299", "p", 5000, &[5000]).unwrap();
        assert_eq!(h.props["HealthCheckPath"], "/");
        let h = parse_string(&mut d, "5000:HTTP:5:2:15:3:/ping:200", "p", 5000, &[5000]).unwrap();
        assert_eq!(h.props["HealthCheckTimeoutSeconds"], 3);
        assert!(!d.has_errors());
        for bad in
            ["5000", "x:HTTP", "5000:UDP", "5000:TCP:/x", "5000:HTTP:1:2:15:3", "5000:HTTP:3:3:10:10", "5000:HTTP:abc"]
        {
            let mut d = Diagnostics::new();
            assert!(parse_string(&mut d, bad, "p", 5000, &[5000]).is_none(), "{bad}");
            assert!(d.has_errors());
        }
    }
}
