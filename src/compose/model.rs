//! The validated compose model. Values that may be CloudFormation intrinsics (`image: !Ref
//! Image`) stay `serde_json::Value`; everything the expansion must compute with (ports, sizes,
//! durations, names) is parsed into plain Rust types, so an intrinsic there was already refused
//! with its path.

use serde_json::Value;
use std::collections::BTreeMap;

/// A whole compose project.
#[derive(Debug, Clone, Default)]
pub struct Project {
    /// `name:` of the compose file (or `-p`).
    pub name: Option<String>,
    /// The services by name: every stage walks them in name order, so that the template does not
    /// depend on the order of the input.
    pub services: BTreeMap<String, Service>,
    /// Top-level `networks` definitions, raw (only their names and `x-` keys matter on AWS).
    pub networks: BTreeMap<String, Value>,
    pub volumes: BTreeMap<String, Value>,
    pub secrets: BTreeMap<String, Value>,
    pub configs: BTreeMap<String, Value>,
    /// Top-level `models`: AI models the services use, by name.
    pub models: BTreeMap<String, Model>,
    /// Top-level `x-…` keys, raw: each extension parses its own.
    pub extensions: BTreeMap<String, Value>,
}

/// A service.
#[derive(Debug, Clone, Default)]
pub struct Service {
    pub name: String,
    /// String or intrinsic; for `build` without `image`, `Ref` of the template parameter
    /// `<Service>Image` that the deployer fills with the image built.
    pub image: Value,
    /// `build` without `image`: what the image is built from (context, dockerfile, target).
    pub build: Option<String>,
    pub command: Option<Vec<Value>>,
    pub entrypoint: Option<Vec<Value>>,
    /// Name → value (string or intrinsic), sorted by name.
    pub environment: BTreeMap<String, Value>,
    pub ports: Vec<Port>,
    /// `expose`: container ports reachable by other services, not published.
    pub expose: Vec<Port>,
    pub healthcheck: Option<Healthcheck>,
    pub deploy: Deploy,
    pub depends_on: Vec<Dependency>,
    /// `links`: the service part of `service[:alias]`.
    pub links: Vec<String>,
    pub user: Option<Value>,
    pub working_dir: Option<Value>,
    pub init: Option<bool>,
    pub read_only: Option<bool>,
    /// Seconds.
    pub stop_grace_period: Option<f64>,
    pub ulimits: Vec<Ulimit>,
    pub labels: BTreeMap<String, Value>,
    pub platform: Option<String>,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub logging: Option<Logging>,
    pub secrets: Vec<ServiceSecret>,
    pub volumes: Vec<Mount>,
    /// `networks` the service joins; `None` when it declares none (compose's `default`).
    pub networks: Option<Vec<String>>,
    pub sysctls: BTreeMap<String, Value>,
    /// `models` the service uses (short or long syntax), in file order.
    pub models: Vec<ServiceModel>,
    /// `gpus`: `all` is one request of every GPU; a list, one request per item.
    pub gpus: Vec<DeviceRequest>,
    /// Service-level `x-…` keys, raw.
    pub extensions: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    Tcp,
    Udp,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    pub target: u16,
    pub published: Option<u16>,
    pub protocol: Protocol,
    pub name: Option<String>,
    pub app_protocol: Option<String>,
    /// Docker ECS `x-aws-protocol` (http, https, tcp…).
    pub aws_protocol: Option<String>,
    /// Path of this port in the input, for messages.
    pub path: String,
    /// Where the port is known from when the file does not declare it (`its image redis:7`,
    /// `REDIS_URL of api`), for a relation to a service without ports.
    pub inferred: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Healthcheck {
    pub test: HealthTest,
    pub interval: Option<f64>,
    pub timeout: Option<f64>,
    pub start_period: Option<f64>,
    pub retries: Option<u64>,
    pub path: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub enum HealthTest {
    /// No `test`: the image's own HEALTHCHECK (ECS cannot inherit it; nothing is set).
    #[default]
    Inherit,
    /// `NONE` or `disable: true`.
    Disabled,
    /// `["CMD", …]`: exec form.
    Cmd(Vec<Value>),
    /// `"curl …"` or `["CMD-SHELL", "curl …"]`.
    Shell(Value),
}

#[derive(Debug, Clone, Default)]
pub struct Deploy {
    /// Number or intrinsic.
    pub replicas: Option<Value>,
    pub limits: Limits,
    pub reservations: Limits,
    pub update_config: Option<UpdateConfig>,
    pub labels: BTreeMap<String, Value>,
    /// `deploy.resources.reservations.devices`, in file order.
    pub devices: Vec<DeviceRequest>,
    pub placement: Placement,
    /// `deploy.x-…` keys (Docker's `x-aws-autoscaling`).
    pub extensions: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Limits {
    pub cpus: Option<f64>,
    /// Bytes.
    pub memory: Option<u64>,
}

#[derive(Debug, Clone, Default)]
pub struct UpdateConfig {
    pub parallelism: Option<u64>,
    pub failure_action: Option<String>,
    pub order: Option<String>,
    pub extensions: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    Started,
    Healthy,
    CompletedSuccessfully,
}

#[derive(Debug, Clone)]
pub struct Dependency {
    pub service: String,
    pub condition: Condition,
    pub path: String,
}

#[derive(Debug, Clone)]
pub struct Ulimit {
    pub name: String,
    pub soft: i64,
    pub hard: i64,
}

#[derive(Debug, Clone, Default)]
pub struct Logging {
    pub driver: Option<String>,
    pub options: BTreeMap<String, Value>,
}

impl Service {
    /// The container ports the service listens on: those of `ports` (published or not), then
    /// those of `expose`.
    pub fn container_ports(&self) -> impl Iterator<Item = &Port> {
        self.ports.iter().chain(&self.expose)
    }

    /// Whether the service listens on any port.
    pub fn has_ports(&self) -> bool {
        !self.ports.is_empty() || !self.expose.is_empty()
    }
}

#[derive(Debug, Clone)]
pub struct ServiceSecret {
    pub source: String,
    pub target: Option<String>,
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountKind {
    /// A named volume declared at the top level.
    Volume,
    /// A volume with no source: scratch space that lives with the task.
    Anonymous,
    Bind,
    Tmpfs,
}

#[derive(Debug, Clone)]
pub struct Mount {
    pub kind: MountKind,
    pub source: Option<String>,
    pub target: String,
    pub read_only: bool,
    pub path: String,
}

/// A top-level model (compose `models.<name>`).
#[derive(Debug, Clone, Default)]
pub struct Model {
    /// `model`: the identifier of the model, as written.
    pub model: String,
    /// `context_size` in tokens, with its path.
    pub context_size: Option<(u64, String)>,
    /// `runtime_flags`, with the path of the list.
    pub runtime_flags: Option<(Vec<String>, String)>,
    /// `x-…` keys of the model, by path.
    pub extensions: Vec<String>,
    /// Path of the definition (`models.<name>`).
    pub path: String,
}

/// A model a service uses: its name and the variables that tell the service where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceModel {
    pub name: String,
    /// `endpoint_var`; compose's default is `<NAME>_URL`.
    pub endpoint_var: Option<String>,
    /// `model_var`; compose's default is `<NAME>_MODEL`.
    pub model_var: Option<String>,
    pub path: String,
}

impl ServiceModel {
    /// The model's name as compose turns it into a variable prefix: upper case, `-` and other
    /// characters a variable cannot hold as `_` (`embedding-model` → `EMBEDDING_MODEL`).
    fn prefix(&self) -> String {
        self.name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect()
    }

    /// The variable that holds the model's endpoint.
    pub fn endpoint_var(&self) -> String {
        self.endpoint_var.clone().unwrap_or_else(|| format!("{}_URL", self.prefix()))
    }

    /// The variable that holds the model's identifier.
    pub fn model_var(&self) -> String {
        self.model_var.clone().unwrap_or_else(|| format!("{}_MODEL", self.prefix()))
    }
}

/// A device a service reserves on its host (`gpus`, or `deploy.resources.reservations.devices`).
#[derive(Debug, Clone, Default)]
pub struct DeviceRequest {
    /// `gpu`, `tpu`…; `gpus` implies `gpu`.
    pub capabilities: Vec<String>,
    pub count: DeviceCount,
    pub device_ids: Vec<String>,
    pub driver: Option<String>,
    /// Whether driver-specific `options` are set.
    pub options: bool,
    pub path: String,
}

/// How many devices a request asks for. Compose's default, without `count` nor `device_ids`,
/// is every device of the host.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DeviceCount {
    #[default]
    All,
    Count(u64),
}

/// `deploy.placement`: where the tasks may run and how they are spread.
#[derive(Debug, Clone, Default)]
pub struct Placement {
    pub constraints: Vec<Constraint>,
    pub preferences: Vec<Preference>,
    /// `max_replicas_per_node`, with its path.
    pub max_replicas_per_node: Option<(u64, String)>,
}

/// One constraint, `node.labels.disk == ssd`: the attribute, whether it must equal (`==`) or
/// differ (`!=`), the value.
#[derive(Debug, Clone)]
pub struct Constraint {
    pub attribute: String,
    pub equal: bool,
    pub value: String,
    pub path: String,
}

/// One preference, `spread: node.labels.zone`: the attribute tasks spread over.
#[derive(Debug, Clone)]
pub struct Preference {
    pub spread: String,
    pub path: String,
}
