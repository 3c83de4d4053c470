//! The `x-` extensions that tune services and the project, read once when the file is loaded
//! into typed settings, with their findings. The compose model keeps them as written (it knows
//! nothing of AWS); the stages after loading read these settings, never the raw values again.

pub mod alarms;
pub mod cloudmap;
pub mod codeguru;
pub mod connect;
pub mod cwagent;
pub mod deployment;
pub mod docker_opts;
pub mod ecr;
pub mod efs;
pub mod environment;
pub mod iam;
pub mod logging;
pub mod network;
pub mod scaling;
pub mod xray;

use crate::compose::Project;
use crate::diagnostics::Diagnostics;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Every extension setting of the file.
#[derive(Debug, Clone, Default)]
pub struct Extensions {
    /// `x-aws-logs_retention`: the retention of every log group no service sets.
    pub logs_retention: Option<u64>,
    /// `x-cloudmap`.
    pub cloudmap: cloudmap::Cloudmap,
    /// Per network name: whether its `x-vpc` puts its services in the public subnets.
    pub public_networks: BTreeSet<String>,
    /// Per service name.
    pub services: BTreeMap<String, ServiceExtensions>,
    /// Per named volume: its EFS file system's settings (`driver_opts`, `x-efs`).
    pub volumes: BTreeMap<String, efs::Volume>,
}

/// What a service's extensions say.
#[derive(Debug, Clone, Default)]
pub struct ServiceExtensions {
    /// `x-logging.RetentionInDays`, accepted by CloudWatch Logs.
    pub retention: Option<u64>,
    /// `x-logging.FireLens`.
    pub firelens: Option<logging::FireLens>,
    /// `x-scaling` or `deploy.x-aws-autoscaling`.
    pub scaling: Option<scaling::Scaling>,
    /// `x-network.x-ecs_connect`.
    pub connect: Option<connect::XConnect>,
    /// `x-iam`, `x-aws-policies`, `x-aws-role`, `x-aws-pull_credentials`.
    pub iam: iam::Iam,
    /// `x-network`.
    pub network: Option<network::Network>,
    /// `x-aws-min_percent`, `x-aws-max_percent`, `x-ecs`.
    pub deployment: deployment::Deployment,
    /// `x-xray`: the X-Ray daemon the service asks for beside it.
    pub xray: Option<xray::XRay>,
    /// `x-codeguru-profiler` / `x-codeguru_profiler`: the profiling group the service asks for.
    pub profiler: Option<codeguru::Profiler>,
    /// `x-alarms.Predefined`: the alarms on the service's family.
    pub alarms: Vec<alarms::Alarm>,
    /// `x-monitoring`: the CloudWatch agent the service asks for, to receive its EMF events.
    pub emf: Option<cwagent::Emf>,
    /// `x-prometheus.ContainersInsights`: the exporters the CloudWatch agent scrapes.
    pub prometheus: Option<cwagent::Prometheus>,
    /// `x-environment.SetAsParameter`: the variables that are template parameters.
    pub env_parameters: Vec<environment::EnvParameter>,
}

impl Extensions {
    /// The settings of service `name` (none for a name that is no service).
    pub fn service(&self, name: &str) -> &ServiceExtensions {
        static NONE: ServiceExtensions = ServiceExtensions {
            retention: None,
            firelens: None,
            scaling: None,
            connect: None,
            iam: iam::Iam { policies: Vec::new(), managed: Vec::new(), boundary: None, pull_credentials: None },
            network: None,
            deployment: deployment::Deployment {
                min_percent: None,
                max_percent: None,
                capacity: None,
                exec: false,
                cpu_architecture: None,
            },
            xray: None,
            profiler: None,
            alarms: Vec::new(),
            emf: None,
            prometheus: None,
            env_parameters: Vec::new(),
        };
        self.services.get(name).unwrap_or(&NONE)
    }
}

/// Reads every extension of `project` once.
pub fn load(project: &Project, d: &mut Diagnostics) -> Extensions {
    let cloudmap = cloudmap::read(project, d);
    let services = project
        .services
        .iter()
        .map(|(name, s)| {
            ecr::read(s, d);
            docker_opts::read(s, d);
            let logging = logging::read(s, d);
            let ext = ServiceExtensions {
                retention: logging.retention,
                firelens: logging.firelens,
                scaling: scaling::read(s, d),
                connect: connect::read(&cloudmap, s, d),
                iam: iam::read(s, d),
                network: network::read(s, d),
                deployment: deployment::read(s, d),
                xray: xray::read(s, d),
                profiler: codeguru::read(s, d),
                alarms: alarms::read(s, d),
                emf: cwagent::read_monitoring(s, d),
                prometheus: cwagent::read_prometheus(s, d),
                env_parameters: environment::read(s, d),
            };
            (name.clone(), ext)
        })
        .collect();
    // ECS ComposeX's `networks: {name: {x-vpc: PublicSubnets}}`.
    let public_networks = project
        .networks
        .iter()
        .filter(|(_, n)| n.get("x-vpc").and_then(Value::as_str) == Some("PublicSubnets"))
        .map(|(name, _)| name.clone())
        .collect();
    let volumes = efs::read(project, d);
    Extensions { logs_retention: logging::logs_retention(project, d), cloudmap, public_networks, services, volumes }
}
