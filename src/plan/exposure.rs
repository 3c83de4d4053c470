//! Which published ports stay private. On a laptop, `postgres: ports: ["5432:5432"]` lets tools
//! on the host reach the database; on AWS a published port goes behind an internet-facing load
//! balancer. A data store (known by its image or its port) is never put on the internet that
//! way: the services that declare the relation reach it, and `x-elbv2` exposes it on purpose.

use crate::compose::{Port, Service};

/// Well-known images, by the last part of their repository (`bitnami/postgresql:16` →
/// `postgresql`): whether each is a data store, and the port it listens on when one is known
/// (for a relation to a service that declares none). SQL Server's is known by its path.
const IMAGES: &[(&str, bool, Option<u16>)] = &[
    ("postgres", true, Some(5432)),
    ("postgresql", true, Some(5432)),
    ("postgis", true, Some(5432)),
    ("mysql", true, Some(3306)),
    ("mariadb", true, Some(3306)),
    ("redis", true, Some(6379)),
    ("redis-stack", true, None),
    ("redis-stack-server", true, Some(6379)),
    ("valkey", true, Some(6379)),
    ("mongo", true, Some(27017)),
    ("mongodb", true, Some(27017)),
    ("mongodb-community-server", true, None),
    ("memcached", true, Some(11211)),
    ("rabbitmq", true, Some(5672)),
    ("kafka", true, Some(9092)),
    ("cp-kafka", true, Some(9092)),
    ("elasticsearch", true, Some(9200)),
    ("opensearch", true, Some(9200)),
    ("cassandra", true, Some(9042)),
    ("scylla", true, None),
    ("couchdb", true, None),
    ("neo4j", true, Some(7687)),
    ("influxdb", true, Some(8086)),
    ("zookeeper", true, Some(2181)),
    ("cp-zookeeper", true, None),
    ("etcd", true, Some(2379)),
    ("cockroach", true, None),
    ("clickhouse-server", true, None),
    ("nginx", false, Some(80)),
    ("httpd", false, Some(80)),
];

/// Data stores' ports, whatever the image: PostgreSQL, MySQL, Redis, MongoDB, Memcached, AMQP, Kafka, Elasticsearch (HTTP,
/// transport), SQL Server, Cassandra, ZooKeeper, etcd, Neo4j (Bolt), InfluxDB, CockroachDB.
const PORTS: &[u16] =
    &[5432, 3306, 6379, 27017, 11211, 5672, 9092, 9200, 9300, 1433, 9042, 2181, 2379, 7687, 8086, 26257];

/// Why `port` of service `s` is a data store's (`image postgres:16`, `port 5432`), if it is.
pub fn data_store(s: &Service, port: &Port) -> Option<String> {
    if let Some(image) = s.image.as_str() {
        let store = IMAGES.iter().any(|(n, store, _)| *store && *n == repository_name(image));
        if store || image.contains("mssql/server") {
            return Some(format!("its image {image}"));
        }
    }
    PORTS.contains(&port.target).then(|| format!("port {}", port.target))
}

/// The last part of an image's repository: `bitnami/postgresql:16` → `postgresql`.
fn repository_name(image: &str) -> &str {
    let repo = image.split('@').next().unwrap_or(image);
    let repo = match repo.rsplit_once(':') {
        Some((r, tag)) if !tag.contains('/') => r,
        _ => repo,
    };
    repo.rsplit('/').next().unwrap_or(repo)
}

/// Ports for the services that others, in other task families, rely on through `depends_on` or
/// `links` but that declare none, as docker compose users expect them to be reachable: the ports written as
/// `NAME:PORT` in the environment of a service that relies on them (`redis://cache:6379`),
/// else the port of their well-known image. They become the service's `expose` ports, each
/// saying where it was inferred from.
pub fn infer_ports(project: &mut crate::compose::Project, families: &super::families::Families) {
    let mut found: std::collections::BTreeMap<String, Vec<(u16, String)>> = Default::default();
    for (name, s) in &project.services {
        let targets = s.links.iter().chain(s.depends_on.iter().map(|d| &d.service));
        for target in targets {
            let Some(t) = project.services.get(target) else { continue };
            // In its own task family, a service reaches another on localhost: nothing to open.
            let theirs = families.of_service.get(target);
            let same = families
                .of_service
                .get(name)
                .is_some_and(|mine| theirs.is_some_and(|t| t.iter().all(|f| mine.contains(f))));
            if t.has_ports() || same {
                continue;
            }
            let mut ports: Vec<(u16, String)> = Vec::new();
            for (var, v) in &s.environment {
                for port in named_ports(v, target) {
                    if !ports.iter().any(|(p, _)| *p == port) {
                        ports.push((port, format!("{var} of {name}")));
                    }
                }
            }
            if ports.is_empty() {
                let image = t.image.as_str().unwrap_or_default();
                let known = IMAGES.iter().find(|(n, _, _)| *n == repository_name(image)).and_then(|(_, _, p)| *p);
                if let Some(port) = known {
                    ports.push((port, format!("its image {image}")));
                }
            }
            let entry = found.entry(target.clone()).or_default();
            for (port, why) in ports {
                if !entry.iter().any(|(p, _)| *p == port) {
                    entry.push((port, why));
                }
            }
        }
    }
    for (target, ports) in found {
        let Some(t) = project.services.get_mut(&target) else { continue };
        for (port, why) in ports {
            t.expose.push(Port {
                target: port,
                published: None,
                protocol: crate::compose::Protocol::Tcp,
                name: None,
                app_protocol: None,
                aws_protocol: None,
                path: format!("services.{target}"),
                inferred: Some(why),
            });
        }
    }
}

/// Every `host:PORT` an environment value names (`redis://cache:6379/0` → `cache`, 6379), read
/// in one pass over the text: the host is a whole name (letters, digits, `-`, `_`, `.`), so
/// `api` is not found in `my-api:80` nor in `api.local:80`.
pub fn named_hosts(v: &serde_json::Value) -> Vec<(&str, u16)> {
    let Some(text) = v.as_str() else { return vec![] };
    let is_name = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if is_name(c) {
            start.get_or_insert(i);
            continue;
        }
        if let (Some(s), ':') = (start.take(), c) {
            let rest = &text[i + 1..];
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let end_ok = rest[digits..].chars().next().is_none_or(|c| !c.is_ascii_alphanumeric());
            if let (Ok(p @ 1..), true) = (rest[..digits].parse::<u16>(), end_ok) {
                out.push((&text[s..i], p));
            }
        }
    }
    out
}

/// The ports `host:PORT` names in an environment value, for host `host` (`redis://cache:6379/0`,
/// `cache:6379`, `http://api:8000/v1`).
fn named_ports(v: &serde_json::Value, host: &str) -> Vec<u16> {
    named_hosts(v).into_iter().filter(|(h, _)| *h == host).map(|(_, p)| p).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ports_named_in_environment_values() {
        assert_eq!(named_ports(&json!("redis://cache:6379/0"), "cache"), vec![6379]);
        assert_eq!(named_ports(&json!("cache:6379,other-cache:7000"), "cache"), vec![6379]);
        assert_eq!(named_ports(&json!("http://api:8000/v1"), "api"), vec![8000]);
        assert_eq!(named_ports(&json!("http://myapi:8000"), "api"), Vec::<u16>::new());
        assert_eq!(named_ports(&json!("api:80abc"), "api"), Vec::<u16>::new());
        assert_eq!(named_ports(&json!("api.local:80,x.api:81,api:0,api:99999"), "api"), Vec::<u16>::new());
        assert_eq!(
            named_hosts(&json!("postgres://u:pw@db:5432/app?x=cache:6379")),
            vec![("db", 5432), ("cache", 6379)]
        );
        assert_eq!(repository_name("bitnami/postgresql:16"), "postgresql");
        assert_eq!(repository_name("localhost:5000/redis"), "redis");
    }
}
