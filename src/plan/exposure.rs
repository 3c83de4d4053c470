//! Which published ports stay private. On a laptop, `postgres: ports: ["5432:5432"]` lets tools
//! on the host reach the database; on AWS a published port goes behind an internet-facing load
//! balancer. A data store (known by its image or its port) is never put on the internet that
//! way: the services that declare the relation reach it, and `x-elbv2` exposes it on purpose.

use crate::compose::{Port, Service};

/// Images of data stores, by the last part of their repository (`bitnami/postgresql:16` →
/// `postgresql`), and SQL Server's by its path.
const IMAGES: &[&str] = &[
    "postgres",
    "postgresql",
    "postgis",
    "mysql",
    "mariadb",
    "redis",
    "redis-stack",
    "redis-stack-server",
    "valkey",
    "mongo",
    "mongodb",
    "mongodb-community-server",
    "memcached",
    "rabbitmq",
    "kafka",
    "cp-kafka",
    "elasticsearch",
    "opensearch",
    "cassandra",
    "scylla",
    "couchdb",
    "neo4j",
    "influxdb",
    "zookeeper",
    "cp-zookeeper",
    "etcd",
    "cockroach",
    "clickhouse-server",
];

/// Their ports: PostgreSQL, MySQL, Redis, MongoDB, Memcached, AMQP, Kafka, Elasticsearch (HTTP,
/// transport), SQL Server, Cassandra, ZooKeeper, etcd, Neo4j (Bolt), InfluxDB, CockroachDB.
const PORTS: &[u16] =
    &[5432, 3306, 6379, 27017, 11211, 5672, 9092, 9200, 9300, 1433, 9042, 2181, 2379, 7687, 8086, 26257];

/// Why `port` of service `s` is a data store's (`image postgres:16`, `port 5432`), if it is.
pub fn data_store(s: &Service, port: &Port) -> Option<String> {
    if let Some(image) = s.image.as_str() {
        let repo = image.split(['@']).next().unwrap_or(image);
        let repo = match repo.rsplit_once(':') {
            Some((r, tag)) if !tag.contains('/') => r,
            _ => repo,
        };
        let name = repo.rsplit('/').next().unwrap_or(repo);
        if IMAGES.contains(&name) || repo.contains("mssql/server") {
            return Some(format!("its image {image}"));
        }
    }
    PORTS.contains(&port.target).then(|| format!("port {}", port.target))
}
