//! One service of the compose file: every key is parsed, refused with the reason, or ignored
//! with a warning. What a key means on ECS is decided later (expand); here only what compose
//! itself says about the value is checked, plus what Fargate can never do.

use super::model::*;
use super::read::{boolean, kind, list, literal, object, shell_words, show, string_or_intrinsic, uint};
use super::units;
use crate::cfn::is_intrinsic;
use crate::diagnostics::{index, join, Diagnostics};
use serde_json::Value;
use std::collections::BTreeMap;

/// Keys accepted by compose that have no meaning on ECS Fargate: a warning, nothing else.
const IGNORED: &[(&str, &str)] = &[
    ("build", "`image` names the image deployed; build and push it there first"),
    ("container_name", "ECS names containers after the service"),
    ("restart", "ECS restarts tasks itself"),
    ("stdin_open", "Fargate tasks have no terminal"),
    ("tty", "Fargate tasks have no terminal"),
    ("profiles", "every service of the file is deployed"),
    ("hostname", "Fargate tasks in awsvpc mode cannot set a hostname"),
    ("domainname", "Fargate tasks cannot set a domain name"),
    ("stop_signal", "ECS stops containers with SIGTERM then SIGKILL"),
    ("pull_policy", "Fargate pulls the image at every task start"),
    ("pull_refresh_after", "Fargate pulls the image at every task start"),
    ("extra_hosts", "Fargate tasks cannot add /etc/hosts entries"),
    ("dns", "Fargate tasks use the VPC resolver"),
    ("dns_opt", "Fargate tasks use the VPC resolver"),
    ("dns_search", "Fargate tasks use the VPC resolver"),
    ("mac_address", "Fargate assigns network interfaces"),
    ("shm_size", "Fargate does not support shared memory size"),
    ("security_opt", "Fargate does not support security options"),
    ("oom_score_adj", "Fargate does not support it"),
    ("oom_kill_disable", "Fargate does not support it"),
    ("mem_swappiness", "Fargate does not support swap"),
    ("memswap_limit", "Fargate does not support swap"),
    ("cpu_shares", "use deploy.resources"),
    ("cpu_quota", "use deploy.resources"),
    ("cpu_period", "use deploy.resources"),
    ("cpu_rt_period", "use deploy.resources"),
    ("cpu_rt_runtime", "use deploy.resources"),
    ("cpu_count", "use deploy.resources"),
    ("cpu_percent", "use deploy.resources"),
    ("cpuset", "Fargate does not pin CPUs"),
    ("blkio_config", "Fargate does not support it"),
    ("pids_limit", "Fargate does not support it"),
    ("cgroup", "Fargate does not support it"),
    ("cgroup_parent", "Fargate does not support it"),
    ("device_cgroup_rules", "Fargate does not support it"),
    ("isolation", "Fargate does not support it"),
    ("runtime", "Fargate does not support it"),
    ("storage_opt", "Fargate does not support it"),
    ("userns_mode", "Fargate does not support it"),
    ("uts", "Fargate does not support it"),
    ("ipc", "Fargate does not support it"),
    ("group_add", "Fargate does not support it"),
    ("external_links", "use links to services of this file"),
    ("annotations", "Fargate does not support it"),
    ("attach", "logs go to CloudWatch Logs"),
    ("develop", "only for local development"),
    ("credential_spec", "Fargate Linux tasks do not support it"),
    ("use_api_socket", "Fargate has no Docker API socket"),
];

/// Keys that describe something Fargate cannot do at all: an error with the way out.
const REFUSED: &[(&str, &str)] = &[
    ("privileged", "Fargate does not run privileged containers; remove `privileged`"),
    ("devices", "Fargate tasks cannot access host devices; remove `devices`"),
    (
        "volumes_from",
        "Fargate tasks cannot share volumes between services; declare a named volume and mount it in both",
    ),
    ("provider", "provider services run on the docker host; remove `provider`"),
    (
        "post_start",
        "ECS has no post-start hook; run the command in the image's entrypoint before the main process, or in a service this one depends_on with condition: service_completed_successfully",
    ),
    (
        "pre_stop",
        "ECS has no pre-stop hook: it sends SIGTERM, waits stop_grace_period, then SIGKILL; do the work when the process receives SIGTERM (a trap in the entrypoint)",
    ),
    (
        "configs",
        "ECS cannot place a file in a container: volumes mount directories, not single files; bake the file into the image (COPY in its Dockerfile), or pass the value in environment",
    ),
];

pub fn parse(name: &str, v: &Value, path: &str, d: &mut Diagnostics) -> Option<Service> {
    let map = object(v, path, "a service", d)?;
    let mut s = Service { name: name.to_string(), ..Default::default() };
    let has_image = map.get("image").is_some_and(|i| !i.is_null());
    for (key, value) in map {
        let p = join(path, key);
        match key.as_str() {
            "image" => s.image = string_or_intrinsic(value, &p, "image", d).unwrap_or(Value::Null),
            "build" if !has_image => s.build = build(value, &p, d),
            "command" => s.command = command(value, &p, d),
            "entrypoint" => s.entrypoint = command(value, &p, d),
            "environment" => s.environment = environment(value, &p, d),
            // Resolved by the project before the service is read; only an empty one remains.
            "extends" => {}
            "label_file" => d.error("CX1115", &p, "label_file needs local files, which the macro cannot read; render with the composex CLI, which inlines them, or move the labels to `labels`"),
            "env_file" => d.error("CX1031", &p, "env_file needs local files, which the macro cannot read; render with the composex CLI, which inlines them, or move the variables to `environment`"),
            "ports" => s.ports = flat(list(value, &p, "ports", false, d, ports)),
            "expose" => s.expose = flat(list(value, &p, "expose", false, d, expose)),
            "healthcheck" => s.healthcheck = healthcheck(value, &p, d),
            "deploy" => s.deploy = deploy(value, &p, d),
            "depends_on" => s.depends_on = depends_on(value, &p, d),
            "links" => s.links = list(value, &p, "links", false, d, |v, p, d| {
                let link = literal(v, p, "a link", d)?;
                let (target, alias) = link.split_once(':').unwrap_or((&link, &link));
                if alias != target {
                    d.warn("CX1145", p, second_name(target, alias));
                }
                Some(target.to_string())
            }),
            "user" => s.user = string_or_intrinsic(value, &p, "user", d),
            "working_dir" => s.working_dir = string_or_intrinsic(value, &p, "working_dir", d),
            "init" => s.init = boolean(value, &p, d),
            "read_only" => s.read_only = boolean(value, &p, d),
            "stop_grace_period" => s.stop_grace_period = duration(value, &p, d),
            "ulimits" => s.ulimits = ulimits(value, &p, d),
            "labels" => s.labels = string_map(value, &p, "labels", d),
            "platform" => s.platform = literal(value, &p, "platform", d),
            "cap_add" => s.cap_add = list(value, &p, "cap_add", true, d, capability),
            "cap_drop" => s.cap_drop = list(value, &p, "cap_drop", true, d, capability),
            "logging" => s.logging = logging(value, &p, d),
            "secrets" => s.secrets = list(value, &p, "secrets", false, d, secret),
            "volumes" => s.volumes.extend(list(value, &p, "volumes", false, d, mount)),
            "tmpfs" => {
                let targets = list(value, &p, "tmpfs", true, d, |v, p, d| literal(v, p, "a tmpfs path", d));
                s.volumes.extend(targets.into_iter().map(|t| Mount {
                    kind: MountKind::Tmpfs,
                    source: None,
                    target: t.split(':').next().unwrap_or_default().to_string(),
                    read_only: false,
                    path: p.clone(),
                }));
            }
            "networks" => s.networks = Some(networks(name, value, &p, d)),
            "sysctls" => s.sysctls = string_map(value, &p, "sysctls", d),
            "models" => s.models = models(value, &p, d),
            "gpus" => s.gpus = super::host::gpus(value, &p, d),
            "network_mode" => match literal(value, &p, "network_mode", d).as_deref() {
                Some("awsvpc") | None => {}
                Some(other) => d.error("CX1032", 
                    &p,
                    format!("network_mode {other:?} is not possible on Fargate, where every task has its own network interface (awsvpc); remove network_mode"),
                ),
            },
            "pid" => match literal(value, &p, "pid", d).as_deref() {
                Some("host") => d.error("CX1033", &p, "pid: host is not possible on Fargate; remove it"),
                Some(_) => d.warn("CX1034", &p, "ignored: Fargate tasks have their own process namespace"),
                None => {}
            },
            "scale" => s.deploy.replicas = s.deploy.replicas.take().or_else(|| uint(value, &p, "scale", d).map(Value::from)),
            // The service-level forms of deploy.resources; applied after the loop, when deploy is read.
            "cpus" | "mem_limit" | "mem_reservation" => {}
            k if k.starts_with("x-") => {
                s.extensions.insert(k.to_string(), value.clone());
            }
            k => {
                if let Some((_, why)) = REFUSED.iter().find(|(r, _)| *r == k) {
                    d.error("CX1035", &p, *why);
                } else if let Some((_, why)) = IGNORED.iter().find(|(r, _)| *r == k) {
                    d.warn("CX1036", &p, format!("ignored: {why}"));
                } else {
                    d.error("CX1037", &p, format!("{k:?} is not a compose service key; check its spelling, or prefix extensions with x-"));
                }
            }
        }
    }
    for (key, slot) in [("cpus", 0), ("mem_limit", 1), ("mem_reservation", 2)] {
        let Some(v) = map.get(key) else { continue };
        let p = join(path, key);
        let taken = match slot {
            0 => s.deploy.limits.cpus.is_some(),
            1 => s.deploy.limits.memory.is_some(),
            _ => s.deploy.reservations.memory.is_some(),
        };
        if taken {
            d.warn("CX1038", &p, "ignored: deploy.resources sets it too, and wins");
            continue;
        }
        match slot {
            0 => s.deploy.limits.cpus = cpus(v, &p, d),
            1 => s.deploy.limits.memory = memory(v, &p, d),
            _ => s.deploy.reservations.memory = memory(v, &p, d),
        }
    }
    if let (Some(scale), Some(replicas)) = (map.get("scale"), map.get("deploy").and_then(|d| d.get("replicas"))) {
        let number = |v: &Value| v.as_u64().or_else(|| v.as_str()?.parse().ok());
        if let (Some(a), Some(b)) = (number(scale), number(replicas)) {
            if a != b {
                d.error(
                    "CX1150",
                    join(path, "scale"),
                    format!("scale {a} and deploy.replicas {b} disagree, which docker compose refuses too; keep one of them"),
                );
            }
        }
    }
    for dep in s.depends_on.iter().filter(|dep| dep.service == name) {
        d.error("CX1151", &dep.path, format!("{name:?} depends on itself; remove it from its own depends_on"));
    }
    if s.build.is_some() {
        s.image = serde_json::json!({ "Ref": crate::cfn::naming::logical_id(name, "Image") });
    } else if !has_image && !map.contains_key("build") {
        d.error("CX1039", join(path, "image"), "a service needs an image; set `image`");
    }
    Some(s)
}

/// `build` (a context, or a mapping): what the image is built from, for the description of the
/// parameter that takes it. Its other keys are the build stage's.
fn build(v: &Value, path: &str, d: &mut Diagnostics) -> Option<String> {
    let field = |k: &str| v.get(k).and_then(Value::as_str);
    let mut from = match v {
        Value::String(context) => context.clone(),
        Value::Object(_) if !is_intrinsic(v) => field("context").unwrap_or(".").to_string(),
        other => {
            d.error("CX1040", path, format!("build must be a context path or a mapping, not {}", kind(other)));
            return None;
        }
    };
    let details: Vec<String> =
        ["dockerfile", "target"].iter().filter_map(|k| Some(format!("{k} {}", field(k)?))).collect();
    if !details.is_empty() {
        from.push_str(&format!(" ({})", details.join(", ")));
    }
    Some(from)
}

/// A Linux capability as docker reads it: any case, with or without `CAP_` (`net_raw`,
/// `CAP_NET_RAW`), written as `NET_RAW`.
fn capability(v: &Value, path: &str, d: &mut Diagnostics) -> Option<String> {
    let name = literal(v, path, "a capability", d)?.to_ascii_uppercase();
    Some(name.strip_prefix("CAP_").unwrap_or(&name).to_string())
}

fn command(v: &Value, path: &str, d: &mut Diagnostics) -> Option<Vec<Value>> {
    match v {
        Value::Null => None,
        Value::String(s) => match shell_words(s) {
            Ok(words) => Some(words.into_iter().map(Value::String).collect()),
            Err(e) => {
                d.error("CX1041", path, format!("{} cannot be split into words: {e}", show(v)));
                None
            }
        },
        Value::Array(_) => {
            Some(list(v, path, "a command", false, d, |x, p, d| string_or_intrinsic(x, p, "a command word", d)))
        }
        v if is_intrinsic(v) => Some(vec![v.clone()]),
        other => {
            d.error("CX1042", path, format!("a command must be a string or a list, not {}", kind(other)));
            None
        }
    }
}

/// `environment` as a map or a `KEY=VALUE` list; values without one are dropped with a warning
/// (docker would take them from the shell, which the macro does not have).
fn environment(v: &Value, path: &str, d: &mut Diagnostics) -> BTreeMap<String, Value> {
    let mut env = BTreeMap::new();
    match v {
        Value::Object(m) if !is_intrinsic(v) => {
            for (k, val) in m {
                let p = join(path, k);
                if val.is_null() {
                    d.warn("CX1043", &p, "has no value and is left out; give it a value");
                } else if let Some(x) = string_or_intrinsic(val, &p, "an environment value", d) {
                    env.insert(k.clone(), x);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let p = index(path, i);
                let Some(text) = literal(item, &p, "an environment entry", d) else { continue };
                match text.split_once('=') {
                    Some((k, val)) => {
                        env.insert(k.to_string(), Value::String(val.to_string()));
                    }
                    None => d.warn("CX1044", &p, format!("{text:?} has no value and is left out; write {text}=VALUE")),
                }
            }
        }
        Value::Null => {}
        other => d.error("CX1045", path, format!("environment must be a mapping or a list, not {}", kind(other))),
    }
    for k in env.keys() {
        if k.is_empty() || k.contains(char::is_whitespace) {
            d.error("CX1046", join(path, k), format!("{k:?} is not a valid variable name"));
        }
    }
    env
}

/// A `KEY: value` map (or `KEY=value` list) whose values are strings or intrinsics.
fn string_map(v: &Value, path: &str, what: &str, d: &mut Diagnostics) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    match v {
        Value::Object(m) if !is_intrinsic(v) => {
            for (k, val) in m {
                let val = if val.is_null() { Value::String(String::new()) } else { val.clone() };
                if let Some(x) = string_or_intrinsic(&val, &join(path, k), what, d) {
                    out.insert(k.clone(), x);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if let Some(text) = literal(item, &index(path, i), what, d) {
                    let (k, val) = text.split_once('=').unwrap_or((&text, ""));
                    out.insert(k.to_string(), Value::String(val.to_string()));
                }
            }
        }
        Value::Null => {}
        other => d.error("CX1047", path, format!("{what} must be a mapping or a list, not {}", kind(other))),
    }
    out
}

/// The ports of each entry (a range is several), in one list of their number.
fn flat(entries: Vec<Vec<Port>>) -> Vec<Port> {
    let mut out = Vec::with_capacity(entries.iter().map(Vec::len).sum());
    out.extend(entries.into_iter().flatten());
    out
}

fn port_number(text: &str) -> Option<u16> {
    text.parse::<u16>().ok().filter(|p| *p > 0)
}

/// `a-b` → a..=b, `a` → a..=a.
fn port_range(text: &str) -> Option<(u16, u16)> {
    match text.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (port_number(a)?, port_number(b)?);
            (a <= b).then_some((a, b))
        }
        None => port_number(text).map(|p| (p, p)),
    }
}

/// The most ports one range may open: ranges expand into one mapping and one rule per port.
const MAX_RANGE: u32 = 100;

fn protocol(text: &str, path: &str, d: &mut Diagnostics) -> Option<Protocol> {
    match text.to_ascii_lowercase().as_str() {
        "tcp" | "" => Some(Protocol::Tcp),
        "udp" => Some(Protocol::Udp),
        other => {
            d.error("CX1048", path, format!("protocol {other:?} is not possible on ECS; use tcp or udp"));
            None
        }
    }
}

fn ports(v: &Value, path: &str, d: &mut Diagnostics) -> Option<Vec<Port>> {
    let bad = |d: &mut Diagnostics| {
        d.error(
            "CX1049",
            path,
            format!(
                "{} is not a port mapping; use \"CONTAINER\", \"HOST:CONTAINER\" or the long syntax with target",
                show(v)
            ),
        );
        None
    };
    if is_intrinsic(v) {
        d.error("CX1050", path, "a port must be known when the template is transformed (it builds security group rules); an intrinsic function cannot be used here");
        return None;
    }
    match v {
        Value::Number(n) => match n.as_u64().and_then(|p| u16::try_from(p).ok()).filter(|p| *p > 0) {
            Some(p) => Some(vec![Port {
                target: p,
                published: None,
                protocol: Protocol::Tcp,
                name: None,
                app_protocol: None,
                aws_protocol: None,
                inferred: None,
                path: path.into(),
            }]),
            None => bad(d),
        },
        Value::String(s) => {
            let (spec, proto) = match s.rsplit_once('/') {
                Some((spec, proto)) => (spec, protocol(proto, path, d)?),
                None => (s.as_str(), Protocol::Tcp),
            };
            // Host IPs may be IPv6 in brackets: "[::1]:80:80".
            let host_ip = match spec.rfind(']') {
                Some(i) => Some(spec[..i].trim_start_matches('[')),
                None if spec.matches(':').count() >= 2 => spec.split(':').next(),
                None => None,
            };
            let spec = match spec.rfind(']') {
                Some(i) => spec[i + 1..].trim_start_matches(':'),
                None if host_ip.is_some() => spec.split_once(':').map_or(spec, |(_, rest)| rest),
                None => spec,
            };
            let local = host_ip.is_some_and(|ip| host_ip_warning(ip, path, d));
            let parts: Vec<&str> = spec.rsplitn(3, ':').collect();
            let (target, published) = match parts.as_slice() {
                [t] => (port_range(t), None),
                [t, p] | [t, p, _] => (port_range(t), if p.is_empty() { None } else { Some(port_range(p)) }),
                _ => (None, None),
            };
            let Some((t0, t1)) = target else { return bad(d) };
            let published = match published {
                Some(None) => return bad(d),
                Some(Some(r)) => Some(r),
                None => None,
            };
            if u32::from(t1 - t0) >= MAX_RANGE {
                d.error(
                    "CX1052",
                    path,
                    format!(
                        "{} opens {} ports; ComposeX expands ranges into one mapping per port, at most {MAX_RANGE}",
                        show(v),
                        t1 - t0 + 1
                    ),
                );
                return None;
            }
            if let Some((p0, p1)) = published {
                if t0 == t1 && p0 != p1 {
                    d.error("CX1135", path, published_range(t0, p0, p1));
                    return None;
                }
                if p1 - p0 != t1 - t0 && p0 != p1 {
                    d.error(
                        "CX1053",
                        path,
                        format!("{} maps ranges of different sizes; use ranges of the same size", show(v)),
                    );
                    return None;
                }
            }
            Some(
                (t0..=t1)
                    .enumerate()
                    .map(|(i, t)| Port {
                        target: t,
                        published: published
                            .filter(|_| !local)
                            .map(|(p0, p1)| if p0 == p1 { p0 } else { p0 + i as u16 }),
                        protocol: proto,
                        name: None,
                        app_protocol: None,
                        aws_protocol: None,
                        inferred: None,
                        path: path.into(),
                    })
                    .collect(),
            )
        }
        Value::Object(m) if !is_intrinsic(v) => {
            let mut local = false;
            let mut port = Port {
                target: 0,
                published: None,
                protocol: Protocol::Tcp,
                name: None,
                app_protocol: None,
                aws_protocol: None,
                inferred: None,
                path: path.into(),
            };
            for (k, val) in m {
                let p = join(path, k);
                match k.as_str() {
                    "target" => {
                        if let Some(text) = literal(val, &p, "a port", d) {
                            match port_number(&text) {
                                Some(t) => port.target = t,
                                None => d.error("CX1054", &p, format!("{} is not a port number (1-65535)", show(val))),
                            }
                        }
                    }
                    "published" => {
                        if let Some(text) = literal(val, &p, "a port", d) {
                            match port_range(&text) {
                                Some((a, b)) if a != b => {
                                    let target =
                                        m.get("target").and_then(|t| t.as_u64().or_else(|| t.as_str()?.parse().ok()));
                                    d.error("CX1057", &p, published_range(target.unwrap_or(u64::from(a)) as u16, a, b))
                                }
                                Some((a, _)) => port.published = Some(a),
                                None => d.error("CX1055", &p, format!("{} is not a port number (1-65535)", show(val))),
                            }
                        }
                    }
                    "protocol" => {
                        if let Some(text) = literal(val, &p, "a protocol", d) {
                            port.protocol = protocol(&text, &p, d).unwrap_or(Protocol::Tcp);
                        }
                    }
                    "name" => port.name = literal(val, &p, "a port name", d),
                    "app_protocol" => port.app_protocol = literal(val, &p, "app_protocol", d),
                    "x-aws-protocol" => {
                        port.aws_protocol = literal(val, &p, "x-aws-protocol", d).map(|s| s.to_ascii_lowercase())
                    }
                    "mode" => {
                        if let Some(mode) = literal(val, &p, "a port mode", d) {
                            if !matches!(mode.as_str(), "host" | "ingress" | "awsvpc") {
                                d.error("CX1056", &p, format!("{mode:?} is not a port mode; use host or ingress"));
                            }
                        }
                    }
                    "host_ip" => {
                        if let Some(ip) = literal(val, &p, "a host IP", d) {
                            local = host_ip_warning(&ip, &p, d);
                        }
                    }
                    k if k.starts_with("x-") => {
                        d.warn("CX1058", &p, format!("{k} is not a port extension ComposeX knows; ignored"))
                    }
                    k => d.error(
                        "CX1059",
                        &p,
                        format!("{k:?} is not a port key; use target, published, protocol, name, app_protocol or mode"),
                    ),
                }
            }
            if !m.contains_key("target") {
                d.error("CX1060", path, "a port in the long syntax needs `target`, the container port");
                return None;
            }
            if local {
                port.published = None;
            }
            (port.target != 0).then(|| vec![port])
        }
        _ => bad(d),
    }
}

/// The error for one container port published on a range of host ports, of which docker takes
/// the first one free: a listener needs one port.
fn published_range(target: u16, p0: u16, p1: u16) -> String {
    format!("publishes container port {target} on any free host port of {p0}-{p1}, which a load balancer cannot do: it listens on one port; publish one (\"{target}:{target}\"), or a range of container ports of the same size (\"{p0}-{p1}:{p0}-{p1}\")")
}

/// Whether a port's host IP is a loopback address (`127.0.0.1`, `::1`, `localhost`): the port is
/// meant for the docker host alone, so it is not published, only kept as a container port other
/// services reach. Any other host IP cannot be honoured: the port is published to every address.
/// Warns either way.
fn host_ip_warning(ip: &str, path: &str, d: &mut Diagnostics) -> bool {
    let loopback = ip == "localhost" || ip.parse::<std::net::IpAddr>().is_ok_and(|a| a.is_loopback());
    if loopback {
        d.warn(
            "CX1134",
            path,
            format!("not published: the host IP {ip} makes the port reachable from the docker host only, so ComposeX keeps it private, a container port the services that declare the relation reach; to publish it through the load balancer, remove the host IP"),
        );
    } else if !ip.is_empty() && ip != "0.0.0.0" && ip != "::" {
        d.warn(
            "CX1051",
            path,
            format!("the host IP {ip} is ignored: the port is published to the internet through the load balancer; to keep it private, declare it without a published port (in expose)"),
        );
    }
    loopback
}

fn expose(v: &Value, path: &str, d: &mut Diagnostics) -> Option<Vec<Port>> {
    let text = literal(v, path, "an exposed port", d)?;
    let (spec, proto) = match text.rsplit_once('/') {
        Some((s, p)) => (s.to_string(), protocol(p, path, d)?),
        None => (text.clone(), Protocol::Tcp),
    };
    match port_range(&spec) {
        Some((a, b)) if u32::from(b - a) < MAX_RANGE => Some(
            (a..=b)
                .map(|t| Port {
                    target: t,
                    published: None,
                    protocol: proto,
                    name: None,
                    app_protocol: None,
                    aws_protocol: None,
                    inferred: None,
                    path: path.into(),
                })
                .collect(),
        ),
        Some(_) => {
            d.error("CX1061", path, format!("{text:?} opens more than {MAX_RANGE} ports"));
            None
        }
        None => {
            d.error("CX1062", path, format!("{text:?} is not a port; use a number like \"8080\" or \"8080/udp\""));
            None
        }
    }
}

fn duration(v: &Value, path: &str, d: &mut Diagnostics) -> Option<f64> {
    let text = literal(v, path, "a duration", d)?;
    let secs = units::duration_secs(&text);
    if secs.is_none() {
        d.error(
            "CX1063",
            path,
            format!("{text:?} is not a duration; use a number and a unit, like \"30s\" or \"1m30s\""),
        );
    }
    secs
}

fn healthcheck(v: &Value, path: &str, d: &mut Diagnostics) -> Option<Healthcheck> {
    let m = object(v, path, "healthcheck", d)?;
    let mut h = Healthcheck { path: path.into(), ..Default::default() };
    for (k, val) in m {
        let p = join(path, k);
        match k.as_str() {
            "test" => {
                h.test = match val {
                    Value::String(s) if s == "NONE" => HealthTest::Disabled,
                    Value::String(_) => HealthTest::Shell(val.clone()),
                    v if is_intrinsic(v) => HealthTest::Shell(v.clone()),
                    Value::Array(items) => {
                        let first = items.first().and_then(Value::as_str);
                        match first {
                            Some("NONE") => HealthTest::Disabled,
                            Some("CMD") if items.len() > 1 => HealthTest::Cmd(
                                items[1..]
                                    .iter()
                                    .enumerate()
                                    .filter_map(|(i, x)| string_or_intrinsic(x, &index(&p, i + 1), "a command word", d))
                                    .collect(),
                            ),
                            Some("CMD-SHELL") if items.len() == 2 => {
                                match string_or_intrinsic(&items[1], &index(&p, 1), "a shell command", d) {
                                    Some(x) => HealthTest::Shell(x),
                                    None => HealthTest::Disabled,
                                }
                            }
                            _ => {
                                d.error("CX1064", &p, format!("{} is not a health check test; use [\"CMD\", \"prog\", \"arg\"…], [\"CMD-SHELL\", \"command line\"] or \"NONE\"", show(val)));
                                HealthTest::Disabled
                            }
                        }
                    }
                    other => {
                        d.error("CX1065", &p, format!("test must be a string or a list, not {}", kind(other)));
                        HealthTest::Disabled
                    }
                }
            }
            "interval" => h.interval = duration(val, &p, d),
            "timeout" => h.timeout = duration(val, &p, d),
            "start_period" => h.start_period = duration(val, &p, d),
            "start_interval" => d.warn("CX1066", &p, "ignored: ECS has no start interval"),
            "retries" => h.retries = uint(val, &p, "number of retries", d),
            "disable" => {
                if boolean(val, &p, d) == Some(true) {
                    h.test = HealthTest::Disabled
                }
            }
            k if k.starts_with("x-") => {}
            k => d.error(
                "CX1067",
                &p,
                format!(
                    "{k:?} is not a healthcheck key; use test, interval, timeout, retries, start_period or disable"
                ),
            ),
        }
    }
    if m.get("disable").and_then(Value::as_bool) == Some(true) {
        h.test = HealthTest::Disabled;
    }
    Some(h)
}

fn cpus(v: &Value, path: &str, d: &mut Diagnostics) -> Option<f64> {
    let text = literal(v, path, "cpus", d)?;
    match text.trim().parse::<f64>() {
        Ok(c) if c > 0.0 && c.is_finite() => Some(c),
        _ => {
            d.error("CX1068", path, format!("{text:?} is not a number of CPUs; use a number like \"0.5\""));
            None
        }
    }
}

fn memory(v: &Value, path: &str, d: &mut Diagnostics) -> Option<u64> {
    let text = literal(v, path, "memory", d)?;
    match units::bytes(&text) {
        Some(b) if b > 0 => Some(b),
        _ => {
            d.error(
                "CX1069",
                path,
                format!("{text:?} is not a memory size; use a number and a unit, like \"512m\" or \"1GB\""),
            );
            None
        }
    }
}

/// `limits` or `reservations`; the devices a reservation asks for go to `devices`.
fn limits(v: &Value, path: &str, devices: Option<&mut Vec<DeviceRequest>>, d: &mut Diagnostics) -> Limits {
    let mut l = Limits::default();
    let Some(m) = object(v, path, "resources", d) else { return l };
    let mut devices = devices;
    for (k, val) in m {
        let p = join(path, k);
        match k.as_str() {
            "cpus" => l.cpus = cpus(val, &p, d),
            "memory" => l.memory = memory(val, &p, d),
            "devices" if devices.is_some() => {
                if let Some(out) = devices.as_deref_mut() {
                    *out = super::host::devices(val, &p, d);
                }
            }
            "devices" => d.error(
                "CX1133",
                &p,
                "devices are reserved, not limited; move them to deploy.resources.reservations.devices",
            ),
            "pids" | "generic_resources" => d.warn("CX1070", &p, "ignored: ECS does not support it"),
            k if k.starts_with("x-") => {}
            k => d.error("CX1071", &p, format!("{k:?} is not a resources key; use cpus or memory")),
        }
    }
    l
}

fn deploy(v: &Value, path: &str, d: &mut Diagnostics) -> Deploy {
    let mut dep = Deploy::default();
    let Some(m) = object(v, path, "deploy", d) else { return dep };
    for (k, val) in m {
        let p = join(path, k);
        match k.as_str() {
            "replicas" => {
                dep.replicas = if is_intrinsic(val) {
                    Some(val.clone())
                } else {
                    uint(val, &p, "number of replicas", d).map(Value::from)
                }
            }
            "resources" => {
                let Some(r) = object(val, &p, "resources", d) else { continue };
                for (rk, rv) in r {
                    let rp = join(&p, rk);
                    match rk.as_str() {
                        "limits" => dep.limits = limits(rv, &rp, None, d),
                        "reservations" => dep.reservations = limits(rv, &rp, Some(&mut dep.devices), d),
                        rk if rk.starts_with("x-") => {}
                        rk => {
                            d.error("CX1072", &rp, format!("{rk:?} is not a resources key; use limits or reservations"))
                        }
                    }
                }
            }
            "update_config" => dep.update_config = update_config(val, &p, d),
            "labels" => dep.labels = string_map(val, &p, "labels", d),
            "mode" => match literal(val, &p, "deploy mode", d).as_deref() {
                Some("replicated") | None => {}
                Some(other) => d.error(
                    "CX1073",
                    &p,
                    format!("deploy mode {other:?} is not possible on Fargate; use replicated (or remove mode)"),
                ),
            },
            "placement" => dep.placement = super::host::placement(val, &p, d),
            "restart_policy" | "rollback_config" | "endpoint_mode" => {
                d.warn("CX1074", &p, "ignored: ECS services manage restarts, rollbacks and endpoints themselves")
            }
            k if k.starts_with("x-") => {
                dep.extensions.insert(k.to_string(), val.clone());
            }
            k => d.error("CX1075", &p, format!("{k:?} is not a deploy key")),
        }
    }
    dep
}

fn update_config(v: &Value, path: &str, d: &mut Diagnostics) -> Option<UpdateConfig> {
    let m = object(v, path, "update_config", d)?;
    let mut u = UpdateConfig::default();
    for (k, val) in m {
        let p = join(path, k);
        match k.as_str() {
            "parallelism" => u.parallelism = uint(val, &p, "parallelism", d),
            "failure_action" => {
                u.failure_action = literal(val, &p, "failure_action", d);
                if let Some(a) = &u.failure_action {
                    if !matches!(a.as_str(), "rollback" | "pause" | "continue") {
                        d.error(
                            "CX1076",
                            &p,
                            format!("{a:?} is not a failure action; use rollback, pause or continue"),
                        );
                    }
                }
            }
            "order" => {
                u.order = literal(val, &p, "order", d);
                if let Some(o) = &u.order {
                    if !matches!(o.as_str(), "start-first" | "stop-first") {
                        d.error("CX1077", &p, format!("{o:?} is not an update order; use start-first or stop-first"));
                    }
                }
            }
            "delay" | "monitor" | "max_failure_ratio" => {
                d.warn("CX1078", &p, "ignored: ECS deployments have no such setting")
            }
            k if k.starts_with("x-") => {
                u.extensions.insert(k.to_string(), val.clone());
            }
            k => d.error("CX1079", &p, format!("{k:?} is not an update_config key")),
        }
    }
    Some(u)
}

fn depends_on(v: &Value, path: &str, d: &mut Diagnostics) -> Vec<Dependency> {
    match v {
        Value::Array(_) => list(v, path, "depends_on", false, d, |x, p, d| {
            literal(x, p, "a service name", d).map(|s| Dependency { service: s, condition: Condition::Started, path: p.into() })
        }),
        Value::Object(m) if !is_intrinsic(v) => m
            .iter()
            .map(|(name, spec)| {
                let p = join(path, name);
                let mut cond = Condition::Started;
                if let Some(sm) = spec.as_object() {
                    for (k, val) in sm {
                        let kp = join(&p, k);
                        match k.as_str() {
                            "condition" => match literal(val, &kp, "a condition", d).as_deref() {
                                Some("service_started") => cond = Condition::Started,
                                Some("service_healthy") => cond = Condition::Healthy,
                                Some("service_completed_successfully") => cond = Condition::CompletedSuccessfully,
                                Some(other) => d.error("CX1080", &kp, format!("{other:?} is not a condition; use service_started, service_healthy or service_completed_successfully")),
                                None => {}
                            },
                            "restart" | "required" => {}
                            k if k.starts_with("x-") => {}
                            k => d.error("CX1081", &kp, format!("{k:?} is not a depends_on key; use condition")),
                        }
                    }
                } else if !spec.is_null() {
                    d.error("CX1082", &p, format!("must be a mapping with condition, not {}", kind(spec)));
                }
                Dependency { service: name.clone(), condition: cond, path: p }
            })
            .collect(),
        Value::Null => Vec::new(),
        other => {
            d.error("CX1083", path, format!("depends_on must be a list or a mapping, not {}", kind(other)));
            Vec::new()
        }
    }
}

fn ulimits(v: &Value, path: &str, d: &mut Diagnostics) -> Vec<Ulimit> {
    let Some(m) = object(v, path, "ulimits", d) else { return Vec::new() };
    let mut out = Vec::new();
    for (name, val) in m {
        let p = join(path, name);
        let num = |x: &Value, p: &str, d: &mut Diagnostics| -> Option<i64> {
            let n = x.as_i64().or_else(|| x.as_str().and_then(|s| s.parse().ok()));
            if n.is_none() {
                d.error("CX1084", p, format!("{} is not a whole number", show(x)));
            }
            n
        };
        match val {
            Value::Object(lim) => {
                let soft = lim.get("soft").and_then(|x| num(x, &join(&p, "soft"), d));
                let hard = lim.get("hard").and_then(|x| num(x, &join(&p, "hard"), d));
                match (soft, hard) {
                    (Some(s), Some(h)) => out.push(Ulimit { name: name.clone(), soft: s, hard: h }),
                    _ if lim.contains_key("soft") && lim.contains_key("hard") => {}
                    _ => d.error("CX1085", &p, "a ulimit needs both soft and hard, or a single number"),
                }
            }
            x => {
                if let Some(n) = num(x, &p, d) {
                    out.push(Ulimit { name: name.clone(), soft: n, hard: n })
                }
            }
        }
    }
    out
}

fn logging(v: &Value, path: &str, d: &mut Diagnostics) -> Option<Logging> {
    let m = object(v, path, "logging", d)?;
    let mut l = Logging::default();
    for (k, val) in m {
        let p = join(path, k);
        match k.as_str() {
            "driver" => l.driver = literal(val, &p, "a logging driver", d),
            "options" => l.options = string_map(val, &p, "a logging option", d),
            k if k.starts_with("x-") => {}
            k => d.error("CX1086", &p, format!("{k:?} is not a logging key; use driver or options")),
        }
    }
    Some(l)
}

fn secret(v: &Value, path: &str, d: &mut Diagnostics) -> Option<ServiceSecret> {
    match v {
        Value::Object(m) if !is_intrinsic(v) => {
            let source = m.get("source").and_then(|s| literal(s, &join(path, "source"), "a secret name", d));
            let target = m.get("target").and_then(|s| literal(s, &join(path, "target"), "a secret target", d));
            for k in m.keys() {
                if matches!(k.as_str(), "uid" | "gid" | "mode") {
                    d.warn(
                        "CX1152",
                        join(path, k),
                        "ignored: ECS passes a secret as an environment variable, not as a file, so there is no file to own or protect",
                    );
                } else if !matches!(k.as_str(), "source" | "target") && !k.starts_with("x-") {
                    d.error("CX1087", join(path, k), format!("{k:?} is not a secret key; use source and target"));
                }
            }
            match source {
                Some(s) => Some(ServiceSecret { source: s, target, path: path.into() }),
                None => {
                    d.error("CX1088", path, "a secret needs `source`, the name of a top-level secret");
                    None
                }
            }
        }
        _ => literal(v, path, "a secret name", d).map(|s| ServiceSecret { source: s, target: None, path: path.into() }),
    }
}

fn mount(v: &Value, path: &str, d: &mut Diagnostics) -> Option<Mount> {
    match v {
        Value::String(s) => {
            let parts: Vec<&str> = s.split(':').collect();
            let (source, target, mode) = match parts.as_slice() {
                [t] => (None, *t, ""),
                [s, t] => (Some(*s), *t, ""),
                [s, t, m] => (Some(*s), *t, *m),
                _ => {
                    d.error("CX1089", path, format!("{s:?} is not a volume; use \"VOLUME:/path[:ro]\""));
                    return None;
                }
            };
            let read_only = mode.split(',').any(|m| m == "ro");
            let kind = match source {
                None => MountKind::Anonymous,
                Some(src) if src.starts_with(['.', '/', '~']) || src.contains('/') => MountKind::Bind,
                Some(_) => MountKind::Volume,
            };
            Some(Mount {
                kind,
                source: source.map(String::from),
                target: target.to_string(),
                read_only,
                path: path.into(),
            })
        }
        Value::Object(m) if !is_intrinsic(v) => {
            let get = |k: &str, d: &mut Diagnostics| m.get(k).and_then(|x| literal(x, &join(path, k), k, d));
            let kind = match get("type", d).as_deref() {
                Some("volume") | None => {
                    if m.contains_key("source") {
                        MountKind::Volume
                    } else {
                        MountKind::Anonymous
                    }
                }
                Some("bind") => MountKind::Bind,
                Some("tmpfs") => MountKind::Tmpfs,
                Some(other) => {
                    d.error(
                        "CX1090",
                        join(path, "type"),
                        format!("{other:?} is not possible on Fargate; use a named volume"),
                    );
                    return None;
                }
            };
            let Some(target) = get("target", d) else {
                d.error("CX1091", path, "a volume needs `target`, the path in the container");
                return None;
            };
            let read_only = m.get("read_only").and_then(|x| boolean(x, &join(path, "read_only"), d)).unwrap_or(false);
            mount_options(m, path, d);
            Some(Mount { kind, source: get("source", d), target, read_only, path: path.into() })
        }
        other => {
            d.error("CX1092", path, format!("a volume must be a string or a mapping, not {}", kind(other)));
            None
        }
    }
}

/// The keys of a long-syntax volume besides type, source, target and read_only: each is honoured
/// (ECS never copies the image's files into a volume, which is `volume.nocopy`), ignored with a
/// warning that says what happens instead, or refused; the options of a bind mount go with it,
/// since Fargate refuses bind mounts.
fn mount_options(m: &serde_json::Map<String, Value>, path: &str, d: &mut Diagnostics) {
    const KEYS: &str = "type, source, target, read_only, volume (nocopy), tmpfs (size, mode), bind or consistency";
    for (k, val) in m {
        let p = join(path, k);
        let sub = |allowed: &[&str], d: &mut Diagnostics| -> Vec<String> {
            let Some(o) = object(val, &p, k, d) else { return Vec::new() };
            for key in o.keys().filter(|key| !allowed.contains(&key.as_str()) && !key.starts_with("x-")) {
                d.error(
                    "CX1136",
                    join(&p, key),
                    format!("{key:?} is not a key of a volume's {k}; use {}", allowed.join(" or ")),
                );
            }
            o.keys().cloned().collect()
        };
        match k.as_str() {
            "type" | "source" | "target" | "read_only" => {}
            "volume" => {
                if sub(&["nocopy", "subpath"], d).iter().any(|key| key == "subpath") {
                    d.error(
                        "CX1137",
                        join(&p, "subpath"),
                        "ECS mounts a volume from its root and has no subpath; mount the volume at a parent folder and point the application at the subfolder, or declare a named volume of its own for this data",
                    );
                }
                if val.get("nocopy").and_then(Value::as_bool) == Some(false) {
                    d.warn(
                        "CX1155",
                        join(&p, "nocopy"),
                        "ignored: ECS never copies the image's files into a volume, which starts empty; copy them in the entrypoint if the application needs them there",
                    );
                }
            }
            "tmpfs" => {
                for key in sub(&["size", "mode"], d) {
                    let why = match key.as_str() {
                        "size" => "the scratch space lives on the task's own storage, which bounds it; to give the task more, set deploy.labels.\"ecs.ephemeral.storage\" (21-200 GiB)",
                        "mode" => "ECS creates the scratch folder writable by root; set its permissions in the image or the entrypoint",
                        _ => continue,
                    };
                    d.warn("CX1138", join(&p, &key), format!("ignored: {why}"));
                }
            }
            "bind" => {
                sub(&["propagation", "create_host_path", "selinux"], d);
            }
            "consistency" => d.warn("CX1139", &p, "ignored: only Docker Desktop's file sharing uses it"),
            k if k.starts_with("x-") => {}
            k => {
                let hint = if k.replace(['-', '_'], "") == "readonly" { " (did you mean read_only?)" } else { "" };
                d.error("CX1140", &p, format!("{k:?} is not a volume key{hint}; use {KEYS}"));
            }
        }
    }
}

/// Why another name for a service (a `links` alias, a network's `aliases`) does not resolve:
/// ECS gives a service one name in the namespace, its short name per port with Service Connect
/// (one alias per port) and one CloudMap discovery name. The relation itself still holds, so the
/// file is not refused for it (ECS ComposeX files write such aliases everywhere).
fn second_name(service: &str, alias: &str) -> String {
    format!("{alias:?} does not resolve: it would be a second name for {service:?}, and ECS gives a service one (its Service Connect short name per port, and one CloudMap name); have the application reach it as {service}, or give its port the short name {alias} with x-network.x-ecs_connect.MacroParameters.service_ports.<port name>.DnsName on {service}")
}

/// A service's networks: their names; the settings of each (long syntax) checked.
fn networks(service: &str, v: &Value, path: &str, d: &mut Diagnostics) -> Vec<String> {
    match v {
        Value::Array(_) => list(v, path, "networks", false, d, |x, p, d| literal(x, p, "a network name", d)),
        Value::Object(m) if !is_intrinsic(v) => {
            for (net, settings) in m {
                let np = join(path, net);
                if settings.is_null() {
                    continue;
                }
                let Some(settings) = object(settings, &np, "a service's network settings", d) else { continue };
                for (k, val) in settings {
                    let p = join(&np, k);
                    match k.as_str() {
                        "aliases" => {
                            for alias in list(val, &p, "aliases", false, d, |x, p, d| literal(x, p, "an alias", d)) {
                                if alias != service {
                                    d.warn("CX1146", &p, second_name(service, &alias));
                                }
                            }
                        }
                        "ipv4_address" | "ipv6_address" | "link_local_ips" | "mac_address" => d.warn(
                            "CX1147",
                            &p,
                            "ignored: each task gets its own network interface, with an address of its subnet that ECS chooses",
                        ),
                        "priority" | "gw_priority" | "driver_opts" | "interface_name" => d.warn(
                            "CX1148",
                            &p,
                            "ignored: each task has one network interface, whatever the networks it joins",
                        ),
                        k if k.starts_with("x-") => {}
                        k => d.error(
                            "CX1149",
                            &p,
                            format!("{k:?} is not a key of a service's network; use aliases, ipv4_address, ipv6_address, link_local_ips, mac_address, priority, gw_priority, driver_opts or interface_name"),
                        ),
                    }
                }
            }
            m.keys().cloned().collect()
        }
        other => {
            d.error("CX1093", path, format!("networks must be a list or a mapping, not {}", kind(other)));
            Vec::new()
        }
    }
}

/// `models` of a service: a list of model names (short syntax), or a mapping of names to
/// `{endpoint_var, model_var}` (long syntax, each optional).
fn models(v: &Value, path: &str, d: &mut Diagnostics) -> Vec<ServiceModel> {
    let one = |name: String, p: String| ServiceModel { name, endpoint_var: None, model_var: None, path: p };
    match v {
        Value::Null => vec![],
        Value::Array(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| literal(item, &index(path, i), "a model name", d).map(|n| one(n, index(path, i))))
            .collect(),
        Value::Object(m) => {
            let mut out = Vec::new();
            for (name, spec) in m {
                let p = join(path, name);
                let mut sm = one(name.clone(), p.clone());
                if !spec.is_null() {
                    let Some(spec) = object(spec, &p, "a model binding", d) else { continue };
                    for (k, val) in spec {
                        let kp = join(&p, k);
                        match k.as_str() {
                            "endpoint_var" => sm.endpoint_var = variable(val, &kp, d),
                            "model_var" => sm.model_var = variable(val, &kp, d),
                            k if k.starts_with("x-") => {}
                            k => d.error(
                                "CX1097",
                                &kp,
                                format!("{k:?} is not a key of a service's model; use endpoint_var and model_var"),
                            ),
                        }
                    }
                }
                out.push(sm);
            }
            out
        }
        other => {
            d.error("CX1098", path, format!("models must be a list of model names or a mapping, not {}", kind(other)));
            vec![]
        }
    }
}

/// An environment variable name.
fn variable(v: &Value, path: &str, d: &mut Diagnostics) -> Option<String> {
    let name = literal(v, path, "a variable name", d)?;
    let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        d.error("CX1099", path, format!("{name:?} is not an environment variable name; use letters, digits and _"));
        return None;
    }
    Some(name)
}
