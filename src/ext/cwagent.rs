//! A service's `x-monitoring` and `x-prometheus` (ECS ComposeX syntax), read once when the file
//! is loaded. Both ask for the CloudWatch agent beside the service's containers (one agent per
//! task family: `emit::cwagent` merges what the family's services ask):
//!
//! - `x-monitoring.CWAgentCollectEmf` (`true`, or a mapping with `UseLatest`, `OverrideImage`,
//!   `InterpolateWithDigest`), or the same mapping under `x-monitoring.CollectEmf.CloudwatchAgent`:
//!   the agent receives embedded-metric-format (EMF) events from the service's containers;
//! - `x-prometheus.ContainersInsights`: the agent scrapes Prometheus exporters of the task (Java
//!   JMX, NGINX, NGINX Plus, custom rules) and sends what the EMF processor rules select.
//!
//! What ComposeX cannot do is refused at its path with the way out: a scraping configuration
//! read from a local file, App Mesh, EMF through FluentBit or the ADOT collector (which ECS
//! ComposeX does not implement either).

use crate::cfn::is_intrinsic;
use crate::compose::read::{boolean, kind, show, string_or_intrinsic};
use crate::compose::Service;
use crate::diagnostics::{index, join, Diagnostics};
use serde_json::{json, Map, Value};

pub const MONITORING: &str = "x-monitoring";
pub const PROMETHEUS: &str = "x-prometheus";

/// The agent's image unless the file chooses another: a release tag of AWS's public image,
/// pinned so that a deployment runs the agent it was reviewed with.
pub const DEFAULT_IMAGE: &str = "public.ecr.aws/cloudwatch-agent/cloudwatch-agent:1.300072.0b1766";
/// `UseLatest: true`.
pub const LATEST_IMAGE: &str = "public.ecr.aws/cloudwatch-agent/cloudwatch-agent:latest";

/// What a service's `x-monitoring` asks: EMF collection, with the agent's image when it
/// chooses one (`None`: the pinned default).
#[derive(Debug, Clone, PartialEq)]
pub struct Emf {
    pub image: Option<Value>,
    /// The path of the setting that asked, for messages.
    pub path: String,
}

/// What a service's `x-prometheus.ContainersInsights` asks.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Prometheus {
    pub path: String,
    /// `CollectEmf`: the agent also receives EMF events from the containers.
    pub emf: bool,
    /// `EnableCWAgentDebug`.
    pub debug: bool,
    /// `ScrapingConfiguration`: (interval, timeout, path), as Prometheus durations.
    pub scraping: Option<Scraping>,
    /// `CollectForJavaJmx`.
    pub jmx: Option<Exporter>,
    /// `CollectForNginx` or `CollectForNginxPlus`.
    pub nginx: Option<Exporter>,
    /// `CollectForNginxPlus`: the NGINX watched is NGINX Plus.
    pub nginx_plus: bool,
    /// `AutoAddNginxPrometheusExporter`: the family runs the NGINX exporter as a sidecar.
    pub nginx_exporter: bool,
    /// `CustomRules`.
    pub custom: Vec<CustomRule>,
}

impl Prometheus {
    /// Whether it asks the agent to scrape anything.
    pub fn scrapes(&self) -> bool {
        self.jmx.is_some() || self.nginx.is_some() || !self.custom.is_empty()
    }
}

/// The scrape interval and timeout, written by the file or defaulted as Prometheus does.
#[derive(Debug, Clone, PartialEq)]
pub struct Scraping {
    pub interval: String,
    pub timeout: String,
    pub path: String,
}

/// Prometheus's defaults: a scrape a minute, 10 seconds at most (never more than the interval).
pub const DEFAULT_INTERVAL: &str = "1m";
pub const DEFAULT_TIMEOUT: &str = "10s";

/// An exporter the agent scrapes, and which of its metrics become CloudWatch metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct Exporter {
    pub port: u16,
    pub metrics_path: String,
    /// The labels the EMF processor rules match, and the regular expression they match.
    pub source_labels: Vec<String>,
    pub label_matcher: String,
    pub path: String,
}

/// One of `CustomRules`: an exporter port and the EMF processor rules for its metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomRule {
    pub port: u16,
    pub metrics_path: String,
    /// `metric_declaration` entries of the agent's EMF processor.
    pub declarations: Vec<Value>,
    pub path: String,
}

/// The default port of the JMX exporter (Prometheus's `jmx_exporter`) and of NGINX's.
pub const JMX_PORT: u16 = 9404;
pub const NGINX_PORT: u16 = 9113;
pub const METRICS_PATH: &str = "/metrics";

const MONITORING_KEYS: &str = "CWAgentCollectEmf or CollectEmf";
const SIDECAR_KEYS: &str = "UseLatest, OverrideImage or InterpolateWithDigest";
const INSIGHTS_KEYS: &str = "CollectEmf, EnableCWAgentDebug, ScrapingConfiguration, CollectForJavaJmx, CollectForNginx, CollectForNginxPlus, AutoAddNginxPrometheusExporter or CustomRules";

/// `x-monitoring`.
pub fn read_monitoring(s: &Service, d: &mut Diagnostics) -> Option<Emf> {
    let v = s.extensions.get(MONITORING)?;
    let path = join(&join("services", &s.name), MONITORING);
    let m = mapping(v, &path, &format!("x-monitoring must be a mapping with {MONITORING_KEYS}"), d)?;
    // (the agent it asks for, or None when it asks for none), per key.
    let mut direct: Option<Option<Emf>> = None;
    let mut nested: Option<Option<Emf>> = None;
    for (k, v) in m {
        let p = join(&path, k);
        match k.as_str() {
            "CWAgentCollectEmf" => {
                direct = Some(match v {
                    Value::Bool(_) | Value::String(_) => {
                        boolean(v, &p, d).filter(|b| *b).map(|_| Emf { image: None, path: p })
                    }
                    Value::Object(_) if !is_intrinsic(v) => sidecar(v, &p, d).map(|image| Emf { image, path: p }),
                    other => {
                        d.error(
                            "CX2109",
                            &p,
                            format!(
                                "CWAgentCollectEmf is true, false, or a mapping with {SIDECAR_KEYS}, not {}",
                                kind(other)
                            ),
                        );
                        None
                    }
                })
            }
            "CollectEmf" => {
                let Some(m) = mapping(v, &p, "CollectEmf must be a mapping with CloudwatchAgent", d) else { continue };
                for (k, v) in m {
                    let q = join(&p, k);
                    match k.as_str() {
                        "CloudwatchAgent" => {
                            let what = format!("CloudwatchAgent must be a mapping with {SIDECAR_KEYS}");
                            if mapping(v, &q, &what, d).is_some() {
                                nested = Some(sidecar(v, &q, d).map(|image| Emf { image, path: q }));
                            }
                        }
                        "FluentBit" | "OTEL" => {
                            let how = if k == "OTEL" { "the ADOT collector" } else { "Fluent Bit" };
                            d.error(
                                "CX2110",
                                &q,
                                format!("EMF collection through {how} is not implemented by ECS ComposeX either, so there is nothing to build; use CloudwatchAgent, the CloudWatch agent beside the containers"),
                            )
                        }
                        _ => d.error("CX2111", &q, format!("{k:?} is not a CollectEmf key; use CloudwatchAgent")),
                    }
                }
            }
            _ => d.error("CX2112", &p, format!("{k:?} is not an x-monitoring key; use {MONITORING_KEYS}")),
        }
    }
    match (direct, nested) {
        (Some(_), Some(Some(e))) => {
            d.error("CX2113", e.path, "CWAgentCollectEmf is set too and asks for the same agent; keep one of them");
            None
        }
        (Some(x), _) | (None, Some(x)) => x,
        (None, None) => None,
    }
}

/// An `EmfSidecarConfiguration`: the agent's image it chooses (`None`: the pinned default), or
/// `None` on error.
fn sidecar(v: &Value, path: &str, d: &mut Diagnostics) -> Option<Option<Value>> {
    let m = v.as_object()?;
    let mut latest = None;
    let mut image = None;
    let mut ok = true;
    for (k, v) in m {
        let p = join(path, k);
        match k.as_str() {
            "UseLatest" => match boolean(v, &p, d) {
                Some(true) => latest = Some(p),
                Some(false) => {}
                None => ok = false,
            },
            "OverrideImage" => match string_or_intrinsic(v, &p, "OverrideImage", d) {
                Some(i) => image = Some((i, p)),
                None => ok = false,
            },
            "InterpolateWithDigest" => match boolean(v, &p, d) {
                Some(true) => d.warn(
                    "CX2114",
                    &p,
                    "ignored: the digest of the tag is an ECR call a macro cannot make, so the agent runs from its tag; pin it with OverrideImage: public.ecr.aws/cloudwatch-agent/cloudwatch-agent@sha256:…",
                ),
                Some(false) => {}
                None => ok = false,
            },
            _ => {
                d.error("CX2115", &p, format!("{k:?} is not a key of the CloudWatch agent sidecar; use {SIDECAR_KEYS}"));
                ok = false;
            }
        }
    }
    match (latest, image) {
        (Some(l), Some((_, p))) => {
            d.error("CX2116", p, format!("{l} asks for the latest image too; keep UseLatest or OverrideImage"));
            None
        }
        _ if !ok => None,
        (Some(l), None) => {
            d.warn(
                "CX2117",
                l,
                format!("the agent runs from {LATEST_IMAGE}, which is not pinned: each new task may run another release; leave UseLatest out to run {DEFAULT_IMAGE}"),
            );
            Some(Some(json!(LATEST_IMAGE)))
        }
        (None, Some((i, _))) => Some(Some(i)),
        (None, None) => Some(None),
    }
}

/// `x-prometheus`.
pub fn read_prometheus(s: &Service, d: &mut Diagnostics) -> Option<Prometheus> {
    let v = s.extensions.get(PROMETHEUS)?;
    let path = join(&join("services", &s.name), PROMETHEUS);
    let m = mapping(v, &path, "x-prometheus must be a mapping with ContainersInsights", d)?;
    let before = d.error_count();
    let mut out = None;
    for (k, v) in m {
        let p = join(&path, k);
        match k.as_str() {
            "ContainersInsights" => out = insights(v, &p, d),
            _ => d.error("CX2118", &p, format!("{k:?} is not an x-prometheus key; use ContainersInsights")),
        }
    }
    let out = out.filter(|_| d.error_count() == before)?;
    if !out.scrapes() && !out.emf {
        d.warn(
            "CX2119",
            &out.path,
            "asks the CloudWatch agent to collect nothing, so none is added; add CollectForJavaJmx, CollectForNginx, CollectForNginxPlus, CustomRules or CollectEmf",
        );
        return None;
    }
    Some(out)
}

fn insights(v: &Value, path: &str, d: &mut Diagnostics) -> Option<Prometheus> {
    let m = mapping(v, path, &format!("ContainersInsights must be a mapping with {INSIGHTS_KEYS}"), d)?;
    let mut out = Prometheus { path: path.to_string(), ..Prometheus::default() };
    let mut ok = true;
    let mut nginx_config = None;
    for (k, v) in m {
        let p = join(path, k);
        let flag = |d: &mut Diagnostics| boolean(v, &p, d);
        match k.as_str() {
            "CollectEmf" => out.emf = flag(d).unwrap_or(false),
            "EnableCWAgentDebug" => out.debug = flag(d).unwrap_or(false),
            "CollectForNginxPlus" => out.nginx_plus = flag(d).unwrap_or(false),
            "AutoAddNginxPrometheusExporter" => out.nginx_exporter = flag(d).unwrap_or(false),
            "ScrapingConfiguration" => out.scraping = scraping(v, &p, d),
            "CollectForJavaJmx" => out.jmx = exporter(v, &p, JMX_PORT, "^.*jmx.*$", d),
            "CollectForNginx" => nginx_config = Some(exporter(v, &p, NGINX_PORT, "^.*nginx.*$", d)),
            "CustomRules" => out.custom = custom_rules(v, &p, d),
            "CollectForAppMesh" => {
                if flag(d) == Some(true) {
                    d.error(
                        "CX2120",
                        &p,
                        "ComposeX builds no App Mesh (nor does ECS ComposeX collect its metrics); to scrape an Envoy proxy, add a CustomRules entry with its ExporterPort (9901), ExporterPath (/stats/prometheus) and EmfProcessors",
                    );
                    ok = false;
                }
            }
            _ => {
                d.error("CX2121", &p, format!("{k:?} is not a ContainersInsights key; use {INSIGHTS_KEYS}"));
                ok = false;
            }
        }
    }
    // NGINX Plus is watched through the same exporter, in its Plus mode.
    out.nginx = match nginx_config {
        Some(Some(e)) => Some(e),
        _ if out.nginx_plus => {
            exporter(&Value::Bool(true), &join(path, "CollectForNginxPlus"), NGINX_PORT, "^.*nginx.*$", d)
        }
        _ => None,
    };
    if out.nginx_exporter && out.nginx.is_none() {
        d.error(
            "CX2122",
            join(path, "AutoAddNginxPrometheusExporter"),
            "adds the NGINX exporter for CollectForNginx or CollectForNginxPlus, and neither is set; set one, or remove this key",
        );
        ok = false;
    }
    ok.then_some(out)
}

/// `ScrapingConfiguration`.
fn scraping(v: &Value, path: &str, d: &mut Diagnostics) -> Option<Scraping> {
    let m = mapping(v, path, "ScrapingConfiguration must be a mapping with Interval and Timeout", d)?;
    let (mut interval, mut timeout) = (None, None);
    let mut ok = true;
    for (k, v) in m {
        let p = join(path, k);
        match k.as_str() {
            "Interval" | "Timeout" => match v.as_str().and_then(|s| duration_ms(s).map(|ms| (s, ms))) {
                Some((s, ms)) if ms > 0 => {
                    let slot = if k == "Interval" { &mut interval } else { &mut timeout };
                    *slot = Some((s.to_string(), ms, p));
                }
                _ => {
                    d.error(
                        "CX2123",
                        &p,
                        format!("{} is not a Prometheus duration; write one like 30s, 1m or 1m30s", show(v)),
                    );
                    ok = false;
                }
            },
            "ScrapingConfigurationFile" => {
                d.error(
                    "CX2124",
                    &p,
                    "a scraping configuration read from a local file when the template is transformed, which the macro has not got; set Interval and Timeout, and scrape exporters with CollectForJavaJmx, CollectForNginx or CustomRules",
                );
                ok = false;
            }
            _ => {
                d.error("CX2125", &p, format!("{k:?} is not a ScrapingConfiguration key; use Interval or Timeout"));
                ok = false;
            }
        }
    }
    if !ok {
        return None;
    }
    let (interval, interval_ms) = match interval {
        Some((s, ms, _)) => (s, ms),
        None => (DEFAULT_INTERVAL.to_string(), 60_000),
    };
    let timeout = match timeout {
        Some((s, ms, p)) if ms > interval_ms => {
            d.error(
                "CX2126",
                p,
                format!("{s} is longer than the scrape interval, {interval}, which Prometheus refuses; shorten it"),
            );
            return None;
        }
        Some((s, _, _)) => s,
        // Prometheus's own default: 10 seconds, or the interval when it is shorter.
        None if interval_ms < 10_000 => interval.clone(),
        None => DEFAULT_TIMEOUT.to_string(),
    };
    Some(Scraping { interval, timeout, path: path.to_string() })
}

/// A Prometheus duration (`1m30s`, `500ms`, `0`) in milliseconds: whole numbers, each followed
/// by one of the units y, w, d, h, m, s, ms, largest first, each at most once.
pub fn duration_ms(text: &str) -> Option<u64> {
    if text == "0" {
        return Some(0);
    }
    const UNITS: [(&str, u64); 7] = [
        ("y", 365 * 86_400_000),
        ("w", 7 * 86_400_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ];
    let mut rest = text;
    let mut next = 0;
    let mut total: u64 = 0;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let unit_len = rest[digits..].bytes().take_while(u8::is_ascii_alphabetic).count();
        if digits == 0 || unit_len == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        let unit = &rest[digits..digits + unit_len];
        let at = UNITS.iter().position(|(u, _)| *u == unit)?;
        if at < next {
            return None;
        }
        next = at + 1;
        total = total.checked_add(n.checked_mul(UNITS[at].1)?)?;
        rest = &rest[digits + unit_len..];
    }
    Some(total)
}

/// `CollectForJavaJmx` / `CollectForNginx`: `true`, or an `ExporterConfig` mapping.
fn exporter(v: &Value, path: &str, port: u16, matcher: &str, d: &mut Diagnostics) -> Option<Exporter> {
    let mut out = Exporter {
        port,
        metrics_path: METRICS_PATH.to_string(),
        source_labels: vec!["job".to_string()],
        label_matcher: matcher.to_string(),
        path: path.to_string(),
    };
    match v {
        Value::Bool(_) | Value::String(_) => boolean(v, path, d)?.then_some(out),
        Value::Object(m) if !is_intrinsic(v) => {
            let mut ok = true;
            for (k, v) in m {
                let p = join(path, k);
                match k.as_str() {
                    "ExporterPort" => match exporter_port(v, &p, d) {
                        Some(n) => out.port = n,
                        None => ok = false,
                    },
                    "ExporterPath" => match metrics_path(v, &p, d) {
                        Some(s) => out.metrics_path = s,
                        None => ok = false,
                    },
                    "source_labels" => match strings(v, &p, "source_labels", d) {
                        Some(l) if !l.is_empty() => out.source_labels = l,
                        Some(_) => {
                            d.error("CX2127", &p, "source_labels names at least one label");
                            ok = false;
                        }
                        None => ok = false,
                    },
                    "label_matcher" => match v.as_str() {
                        Some(s) => out.label_matcher = s.to_string(),
                        None => {
                            d.error(
                                "CX2128",
                                &p,
                                format!("label_matcher is a regular expression, a string, not {}", kind(v)),
                            );
                            ok = false;
                        }
                    },
                    _ => {
                        d.error(
                            "CX2129",
                            &p,
                            format!("{k:?} is not an exporter key; use ExporterPort, ExporterPath, source_labels or label_matcher"),
                        );
                        ok = false;
                    }
                }
            }
            ok.then_some(out)
        }
        other => {
            d.error(
                "CX2130",
                path,
                format!(
                    "{} is true, false, or a mapping with ExporterPort, ExporterPath, source_labels and label_matcher",
                    show(other)
                ),
            );
            None
        }
    }
}

fn exporter_port(v: &Value, path: &str, d: &mut Diagnostics) -> Option<u16> {
    match v.as_u64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())) {
        Some(n @ 1..=65535) => Some(n as u16),
        _ => {
            d.error("CX2131", path, format!("{} is not a port; use a whole number from 1 to 65535", show(v)));
            None
        }
    }
}

fn metrics_path(v: &Value, path: &str, d: &mut Diagnostics) -> Option<String> {
    match v.as_str() {
        Some(s) if s.len() > 1 && s.starts_with('/') && s.chars().all(|c| c.is_ascii_graphic()) => Some(s.to_string()),
        _ => {
            d.error("CX2132", path, format!("{} is not a metrics path; write one like /metrics", show(v)));
            None
        }
    }
}

fn strings(v: &Value, path: &str, what: &str, d: &mut Diagnostics) -> Option<Vec<String>> {
    let list = v.as_array().and_then(|a| a.iter().map(|x| x.as_str().map(String::from)).collect::<Option<Vec<_>>>());
    if list.is_none() {
        d.error("CX2133", path, format!("{what} is a list of strings, not {}", show(v)));
    }
    list
}

/// `CustomRules`.
fn custom_rules(v: &Value, path: &str, d: &mut Diagnostics) -> Vec<CustomRule> {
    let Some(items) = v.as_array() else {
        d.error("CX2134", path, "CustomRules is a list of {ExporterPort, ExporterPath, EmfProcessors}");
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = index(path, i);
        let Some(m) =
            mapping(item, &p, "a custom rule is a mapping with ExporterPort, ExporterPath and EmfProcessors", d)
        else {
            continue;
        };
        let mut rule =
            CustomRule { port: 0, metrics_path: METRICS_PATH.to_string(), declarations: Vec::new(), path: p.clone() };
        let mut ok = true;
        for (k, v) in m {
            let q = join(&p, k);
            match k.as_str() {
                "ExporterPort" => match exporter_port(v, &q, d) {
                    Some(n) => rule.port = n,
                    None => ok = false,
                },
                "ExporterPath" => match metrics_path(v, &q, d) {
                    Some(s) => rule.metrics_path = s,
                    None => ok = false,
                },
                "EmfProcessors" => match v.as_array() {
                    Some(list) if !list.is_empty() => {
                        for (j, x) in list.iter().enumerate() {
                            match declaration(x, &index(&q, j), d) {
                                Some(x) => rule.declarations.push(x),
                                None => ok = false,
                            }
                        }
                    }
                    _ => {
                        d.error("CX2135", &q, "EmfProcessors is a non-empty list of {source_labels, label_matcher, dimensions, metric_selectors}");
                        ok = false;
                    }
                },
                _ => {
                    d.error(
                        "CX2136",
                        &q,
                        format!("{k:?} is not a custom rule key; use ExporterPort, ExporterPath or EmfProcessors"),
                    );
                    ok = false;
                }
            }
        }
        for required in ["ExporterPort", "EmfProcessors"] {
            if !m.contains_key(required) {
                d.error("CX2137", &p, format!("a custom rule needs {required}"));
                ok = false;
            }
        }
        if ok {
            out.push(rule);
        }
    }
    out
}

/// One EMF processor rule (the agent's `metric_declaration`), checked key by key.
fn declaration(v: &Value, path: &str, d: &mut Diagnostics) -> Option<Value> {
    let m = mapping(
        v,
        path,
        "an EMF processor rule is a mapping with source_labels, label_matcher, dimensions and metric_selectors",
        d,
    )?;
    let mut out = Map::new();
    let mut ok = true;
    for (k, v) in m {
        let p = join(path, k);
        let value = match k.as_str() {
            "source_labels" | "metric_selectors" => {
                strings(v, &p, k, d).filter(|l| !l.is_empty()).map(|l| json!(l)).or_else(|| {
                    if v.as_array().is_some_and(Vec::is_empty) {
                        d.error("CX2138", &p, format!("{k} names at least one"));
                    }
                    None
                })
            }
            "label_matcher" | "label_separator" => v.as_str().map(|s| json!(s)).or_else(|| {
                d.error("CX2139", &p, format!("{k} is a string, not {}", kind(v)));
                None
            }),
            "dimensions" => {
                let sets = v.as_array().and_then(|a| {
                    a.iter()
                        .map(|set| {
                            set.as_array().and_then(|s| {
                                s.iter().map(|x| x.as_str().map(String::from)).collect::<Option<Vec<_>>>()
                            })
                        })
                        .collect::<Option<Vec<_>>>()
                });
                match sets {
                    Some(sets) if sets.iter().all(|s| s.len() <= 30) => Some(json!(sets)),
                    Some(_) => {
                        d.error("CX2140", &p, "a CloudWatch metric has at most 30 dimensions");
                        None
                    }
                    None => {
                        d.error(
                            "CX2141",
                            &p,
                            "dimensions is a list of lists of label names, like [[ClusterName, TaskDefinitionFamily]]",
                        );
                        None
                    }
                }
            }
            _ => {
                d.error(
                    "CX2142",
                    &p,
                    format!("{k:?} is not a key of an EMF processor rule; use source_labels, label_matcher, label_separator, dimensions or metric_selectors"),
                );
                None
            }
        };
        match value {
            Some(x) => {
                out.insert(k.clone(), x);
            }
            None => ok = false,
        }
    }
    for required in ["source_labels", "label_matcher", "dimensions", "metric_selectors"] {
        if !m.contains_key(required) {
            d.error("CX2143", path, format!("an EMF processor rule needs {required}"));
            ok = false;
        }
    }
    ok.then_some(Value::Object(out))
}

/// A mapping (not an intrinsic), or the error `what` at `path`.
fn mapping<'a>(v: &'a Value, path: &str, what: &str, d: &mut Diagnostics) -> Option<&'a Map<String, Value>> {
    match v {
        Value::Object(m) if !is_intrinsic(v) => Some(m),
        other => {
            d.error("CX2144", path, format!("{what}, not {}", kind(other)));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settings of service `web` of a file whose `web` has the `x-` keys `x`.
    fn read(x: Value) -> (Option<Emf>, Option<Prometheus>, Diagnostics) {
        let mut d = Diagnostics::new();
        let mut web = json!({"image": "nginx"});
        web.as_object_mut().unwrap().extend(x.as_object().unwrap().clone());
        let project = crate::compose::load(&json!({"services": {"web": web}}), &mut d);
        let s = &project.services["web"];
        (read_monitoring(s, &mut d), read_prometheus(s, &mut d), d)
    }

    #[test]
    fn each_spelling_of_emf_collection_asks_for_the_agent() {
        let (e, _, d) = read(json!({"x-monitoring": {"CWAgentCollectEmf": true}}));
        assert_eq!(e.map(|e| e.image), Some(None));
        assert!(!d.has_errors());
        let (e, _, d) = read(json!({"x-monitoring": {"CollectEmf": {"CloudwatchAgent": {"UseLatest": true}}}}));
        assert_eq!(e.and_then(|e| e.image), Some(json!(LATEST_IMAGE)));
        assert_eq!(d.warnings().len(), 1);
        let (e, _, _) = read(json!({"x-monitoring": {"CWAgentCollectEmf": {"OverrideImage": {"Ref": "Image"}}}}));
        assert_eq!(e.and_then(|e| e.image), Some(json!({"Ref": "Image"})));
        let (e, _, _) = read(json!({"x-monitoring": {"CWAgentCollectEmf": "false"}}));
        assert!(e.is_none());
    }

    #[test]
    fn nginx_plus_alone_is_scraped_on_nginx_defaults() {
        let ci =
            json!({"x-prometheus": {"ContainersInsights": {"CollectForNginx": false, "CollectForNginxPlus": true}}});
        let (_, p, d) = read(ci);
        assert!(!d.has_errors(), "{:?}", d.errors());
        let p = p.unwrap();
        assert!(p.nginx_plus);
        assert_eq!(p.nginx.map(|e| (e.port, e.metrics_path)), Some((NGINX_PORT, METRICS_PATH.to_string())));
    }

    #[test]
    fn a_timeout_defaults_to_prometheus_default_or_the_interval() {
        let at = |interval: &str| {
            let ci = json!({"x-prometheus": {"ContainersInsights": {"CollectForJavaJmx": true, "ScrapingConfiguration": {"Interval": interval}}}});
            let (_, p, _) = read(ci);
            p.and_then(|p| p.scraping).map(|s| s.timeout)
        };
        assert_eq!(at("30s").as_deref(), Some(DEFAULT_TIMEOUT));
        assert_eq!(at("5s").as_deref(), Some("5s"));
    }

    #[test]
    fn durations_are_read_as_prometheus_reads_them() {
        assert_eq!(duration_ms("15s"), Some(15_000));
        assert_eq!(duration_ms("1m30s"), Some(90_000));
        assert_eq!(duration_ms("500ms"), Some(500));
        assert_eq!(duration_ms("1h5m"), Some(3_900_000));
        assert_eq!(duration_ms("0"), Some(0));
        assert_eq!(duration_ms("30s1m"), None);
        assert_eq!(duration_ms("15"), None);
        assert_eq!(duration_ms("1.5m"), None);
        assert_eq!(duration_ms(""), None);
        assert_eq!(duration_ms("5x"), None);
    }
}
