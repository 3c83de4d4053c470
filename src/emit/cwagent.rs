//! The CloudWatch agent (`x-monitoring`, `x-prometheus`, ECS ComposeX syntax): a task family one
//! of whose services asks for it runs the agent as one more container, `cloudwatch-agent`, one
//! per family whichever of its services ask.
//!
//! - **EMF** (`x-monitoring.CWAgentCollectEmf`, `CollectEmf.CloudwatchAgent`,
//!   `x-prometheus.ContainersInsights.CollectEmf`): the agent listens for embedded-metric-format
//!   events on its default socket, 25888; every service container of the family gets
//!   `AWS_EMF_AGENT_ENDPOINT` (that socket on the task's own network interface, which the
//!   containers of an awsvpc task share) and `AWS_EMF_LOG_GROUP_NAME` (the family's metrics log
//!   group), which the embedded-metric libraries read. The containers start after the agent.
//! - **Prometheus** (`x-prometheus.ContainersInsights`): the agent scrapes the exporters of its
//!   own task on 127.0.0.1 (static targets: no ECS discovery, so no `ecs:` permission), and its
//!   EMF processor turns the metrics its rules select into CloudWatch metrics. Each target is
//!   labelled with the container that exports (`container_name`) and the task definition's
//!   family (`TaskDefinitionFamily`); the agent adds `ClusterName`.
//!
//! Both configurations are environment variables of the agent's container, `CW_CONFIG_CONTENT`
//! and `PROMETHEUS_CONFIG_CONTENT`, which the agent's image reads: no SSM parameter, nothing for
//! the execution role to read, and a change of configuration is a new task definition revision,
//! which restarts the agent with it.
//!
//! The agent writes to one log group of the family's own, `<Family>MetricsLogGroup` (the
//! family's retention): the EMF events of the containers and the scraped metrics. The task role
//! may create streams in it, describe them and put events there, and nothing else: CloudWatch
//! Logs extracts the metrics from the events, so the agent calls no `cloudwatch:PutMetricData`.
//! The agent's own logs go to the family's log group, like every container's.
//!
//! `AutoAddNginxPrometheusExporter` adds NGINX's Prometheus exporter as another container,
//! `nginx-prometheus-exporter`, reading NGINX's stub status (NGINX Plus: its API) on
//! 127.0.0.1:8080.

use super::logging::{retention, sidecar_log_configuration};
use super::task::family_name;
use crate::cfn::r#ref;
use crate::diagnostics::join;
use crate::ext::cwagent::{Exporter, Scraping, DEFAULT_IMAGE, DEFAULT_INTERVAL, DEFAULT_TIMEOUT};
use crate::plan::families::Family;
use crate::plan::{Ctx, Sidecar};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The agent's container name, as ECS ComposeX names it.
pub const CONTAINER: &str = "cloudwatch-agent";
/// The agent's CPU units and memory (MiB): ECS ComposeX's 0.1 vCPU and 256 MiB.
pub const CPU: u64 = 103;
pub const MEMORY: u64 = 256;
/// Where the agent listens for EMF events (TCP and UDP), its default.
pub const EMF_PORT: u16 = 25888;
pub const ENDPOINT_VARIABLE: &str = "AWS_EMF_AGENT_ENDPOINT";
pub const ENDPOINT: &str = "tcp://127.0.0.1:25888";
/// Where the embedded-metric libraries send their events: the log group the agent may write.
pub const LOG_GROUP_VARIABLE: &str = "AWS_EMF_LOG_GROUP_NAME";
/// What the agent does with its log group: create a stream, find it again, put events there.
pub const ACTIONS: [&str; 3] = ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"];

/// NGINX's Prometheus exporter (`AutoAddNginxPrometheusExporter`): its container name, as ECS
/// ComposeX labels it, its image (a release tag in Amazon ECR Public), and its size (ECS
/// ComposeX's 0.1 vCPU and 64 MiB).
pub const EXPORTER: &str = "nginx-prometheus-exporter";
pub const EXPORTER_IMAGE: &str = "public.ecr.aws/nginx/nginx-prometheus-exporter:1.5.3";
pub const EXPORTER_CPU: u64 = 103;
pub const EXPORTER_MEMORY: u64 = 64;
/// Where the exporter reads NGINX: the stub status page, or NGINX Plus's API.
pub const NGINX_STATUS: &str = "http://127.0.0.1:8080/stub_status";
pub const NGINX_PLUS_API: &str = "http://127.0.0.1:8080/api";

/// The scrape jobs, whose names the default EMF processor rules match (`job` against
/// `^.*jmx.*$` and `^.*nginx.*$`), so they name no service.
const JMX_JOB: &str = "javajmx-prometheus-exporter";
const NGINX_JOB: &str = "nginx-prometheus-exporter";
const CUSTOM_JOB: &str = "custom-rule";
/// As ECS ComposeX: at most this many samples a scrape.
const SAMPLE_LIMIT: u64 = 10_000;

pub fn metrics_log_group_id(fam: &Family) -> String {
    format!("{}MetricsLogGroup", fam.id)
}

/// What one family's agent does, merged from its services.
#[derive(Default)]
struct Agent {
    /// The image and the path that chose it (none: the default).
    image: Option<(Value, String)>,
    /// The path of the first setting that asks for EMF.
    emf: Option<String>,
    debug: bool,
    scraping: Option<Scraping>,
    jobs: Vec<Job>,
    declarations: Vec<Value>,
    /// The NGINX exporter sidecar: (Plus, port, metrics path, path of the setting).
    exporter: Option<(bool, u16, String, String)>,
    /// Port → (the container that serves it, the path of the setting).
    ports: BTreeMap<u16, (String, String)>,
}

/// One Prometheus scrape job: its name, metrics path, and targets (port, container).
struct Job {
    name: String,
    metrics_path: String,
    targets: Vec<(u16, String)>,
}

impl Agent {
    /// The job `base` scraping `metrics_path`: one per path, the first named `base`.
    fn job(&mut self, base: &str, metrics_path: &str) -> &mut Job {
        let same =
            |j: &Job| j.metrics_path == metrics_path && (j.name == base || j.name.starts_with(&format!("{base}-")));
        if let Some(i) = self.jobs.iter().position(same) {
            return &mut self.jobs[i];
        }
        let n = self.jobs.iter().filter(|j| j.name == base || j.name.starts_with(&format!("{base}-"))).count();
        let name = if n == 0 { base.to_string() } else { format!("{base}-{}", n + 1) };
        self.jobs.push(Job { name, metrics_path: metrics_path.to_string(), targets: Vec::new() });
        self.jobs.last_mut().expect("just pushed")
    }

    fn declare(&mut self, declarations: impl IntoIterator<Item = Value>) {
        for x in declarations {
            if !self.declarations.contains(&x) {
                self.declarations.push(x);
            }
        }
    }
}

/// Plans each family that runs the agent: its metrics log group, the task role's statement,
/// the environment of its containers, and the sidecars.
pub fn plan(ctx: &mut Ctx) {
    let families: Vec<Family> = ctx.plan.families.list.values().cloned().collect();
    for fam in &families {
        let Some(agent) = merge(ctx, fam) else { continue };
        let group = metrics_log_group_id(fam);
        let days = retention(&ctx.ext, fam);
        ctx.add(
            &fam.name,
            group.clone(),
            json!({"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": days}}),
        );
        let statement = json!({
            "Sid": "CloudWatchAgentLogs",
            "Effect": "Allow",
            "Action": ACTIONS,
            "Resource": {"Fn::GetAtt": [group, "Arn"]}
        });
        ctx.plan.grants.entry(fam.name.clone()).or_default().push(statement);
        if let Some(path) = &agent.emf {
            let env = ctx.plan.family_env.entry(fam.name.clone()).or_default();
            env.insert(ENDPOINT_VARIABLE.into(), (json!(ENDPOINT), path.clone()));
            env.insert(LOG_GROUP_VARIABLE.into(), (r#ref(&group), path.clone()));
        }
        let mut sidecars = vec![Sidecar {
            container: container(ctx, fam, &agent, &group),
            cpu: CPU,
            memory: MEMORY,
            started_first: agent.emf.is_some(),
        }];
        if let Some((plus, port, metrics_path, _)) = &agent.exporter {
            sidecars.push(Sidecar {
                container: exporter(fam, *plus, *port, metrics_path),
                cpu: EXPORTER_CPU,
                memory: EXPORTER_MEMORY,
                started_first: false,
            });
        }
        ctx.plan.sidecars.entry(fam.name.clone()).or_default().extend(sidecars);
    }
}

/// What the family's services ask of the agent, merged, with the conflicts between them
/// reported; `None` when none asks (or a conflict leaves nothing to build).
fn merge(ctx: &mut Ctx, fam: &Family) -> Option<Agent> {
    let mut agent = Agent::default();
    let mut asked = false;
    let mut ok = true;
    for name in &fam.services {
        let x = ctx.ext.service(name);
        let (emf, prometheus) = (x.emf.clone(), x.prometheus.clone());
        if let Some(e) = &emf {
            asked = true;
            agent.emf.get_or_insert_with(|| e.path.clone());
            if let Some(image) = &e.image {
                match &agent.image {
                    Some((other, at)) if other != image => {
                        ctx.d.error(
                            "CX5157",
                            &e.path,
                            format!("chooses another image for the CloudWatch agent than {at}, and task family {:?} runs one agent; choose the same image, or choose it on one service only", fam.name),
                        );
                        ok = false;
                    }
                    Some(_) => {}
                    None => agent.image = Some((image.clone(), e.path.clone())),
                }
            }
        }
        let Some(p) = &prometheus else { continue };
        asked = true;
        if p.emf {
            agent.emf.get_or_insert_with(|| join(&p.path, "CollectEmf"));
        }
        agent.debug |= p.debug;
        if let Some(s) = &p.scraping {
            match &agent.scraping {
                Some(other) if (&other.interval, &other.timeout) != (&s.interval, &s.timeout) => {
                    ctx.d.error(
                        "CX5158",
                        &s.path,
                        format!("scrapes every {} (timeout {}), and {} every {} (timeout {}), in task family {:?}, which runs one agent; give both the same ScrapingConfiguration, or set it on one service only", s.interval, s.timeout, other.path, other.interval, other.timeout, fam.name),
                    );
                    ok = false;
                }
                Some(_) => {}
                None => agent.scraping = Some(s.clone()),
            }
        }
        if let Some(e) = &p.jmx {
            ok &= claim(ctx, fam, &mut agent, e.port, name, &e.path);
            agent.job(JMX_JOB, &e.metrics_path).targets.push((e.port, name.clone()));
            agent.declare(jmx(e));
        }
        if let Some(e) = &p.nginx {
            let at = if p.nginx_exporter {
                let here = (p.nginx_plus, e.port, e.metrics_path.clone(), p.path.clone());
                match &agent.exporter {
                    Some(other) if (other.0, other.1, &other.2) != (here.0, here.1, &here.2) => {
                        ctx.d.error(
                            "CX5159",
                            join(&p.path, "AutoAddNginxPrometheusExporter"),
                            format!("{} adds the NGINX exporter to task family {:?} too, set otherwise; one exporter runs per family: give both the same CollectForNginx settings", other.3, fam.name),
                        );
                        ok = false;
                    }
                    Some(_) => {}
                    None => agent.exporter = Some(here),
                }
                EXPORTER.to_string()
            } else {
                name.clone()
            };
            ok &= claim(ctx, fam, &mut agent, e.port, &at, &e.path);
            agent.job(NGINX_JOB, &e.metrics_path).targets.push((e.port, at));
            agent.declare(nginx(e, p.nginx_plus));
        }
        for rule in &p.custom {
            ok &= claim(ctx, fam, &mut agent, rule.port, name, &rule.path);
            let n = agent.jobs.iter().filter(|j| j.name.starts_with(CUSTOM_JOB)).count() + 1;
            agent.jobs.push(Job {
                name: format!("{CUSTOM_JOB}-{n}"),
                metrics_path: rule.metrics_path.clone(),
                targets: vec![(rule.port, name.clone())],
            });
            agent.declare(rule.declarations.iter().cloned());
        }
    }
    if !asked {
        return None;
    }
    // Names and ports of the family's own containers.
    for (sidecar, why) in [(CONTAINER, true), (EXPORTER, agent.exporter.is_some())] {
        if why && fam.services.iter().any(|s| s == sidecar) {
            ctx.d.error(
                "CX5160",
                join("services", sidecar),
                format!(
                    "runs in task family {:?}, whose monitoring adds a container of the same name; rename the service",
                    fam.name
                ),
            );
            ok = false;
        }
    }
    let mut listening: Vec<(u16, String)> = Vec::new();
    if let Some(path) = &agent.emf {
        listening.push((EMF_PORT, format!("the CloudWatch agent, for EMF events ({path})")));
    }
    if let Some((_, port, _, path)) = &agent.exporter {
        listening.push((*port, format!("the NGINX exporter ({path})")));
    }
    for name in &fam.services {
        for p in ctx.project.services[name].container_ports() {
            if let Some((_, who)) = listening.iter().find(|(port, _)| *port == p.target) {
                ctx.d.error(
                    "CX5161",
                    &p.path,
                    format!("{name:?} listens on {}, where {who} listens in task family {:?}; the containers of a task share one network: use another port", p.target, fam.name),
                );
                ok = false;
            }
        }
    }
    ok.then_some(agent)
}

/// Records that `container` serves `port` in the family: two containers of one task cannot.
fn claim(ctx: &mut Ctx, fam: &Family, agent: &mut Agent, port: u16, container: &str, path: &str) -> bool {
    match agent.ports.get(&port) {
        Some((other, at)) if other != container => {
            ctx.d.error(
                "CX5162",
                path,
                format!("scrapes port {port} of {container:?}, and {at} port {port} of {other:?}, in task family {:?}; the containers of a task share one network, so one only listens there: use another ExporterPort", fam.name),
            );
            false
        }
        Some(_) => true,
        None => {
            agent.ports.insert(port, (container.to_string(), path.to_string()));
            true
        }
    }
}

/// The EMF processor rules for the Java/JMX exporter: the JVM and Tomcat metrics of the
/// CloudWatch agent's Container Insights defaults, as ECS ComposeX writes them.
fn jmx(e: &Exporter) -> Vec<Value> {
    let rule = |dimensions: Value, selectors: Value| json!({"source_labels": e.source_labels, "label_matcher": e.label_matcher, "dimensions": dimensions, "metric_selectors": selectors});
    vec![
        rule(
            json!([["ClusterName", "TaskDefinitionFamily"]]),
            json!([
                "^jvm_threads_(current|daemon)$",
                "^jvm_classes_loaded$",
                "^java_lang_operatingsystem_(freephysicalmemorysize|totalphysicalmemorysize|freeswapspacesize|totalswapspacesize|systemcpuload|processcpuload|availableprocessors|openfiledescriptorcount)$",
                "^catalina_manager_(rejectedsessions|activesessions)$",
                "^jvm_gc_collection_seconds_(count|sum)$",
                "^catalina_globalrequestprocessor_(bytesreceived|bytessent|requestcount|errorcount|processingtime)$"
            ]),
        ),
        rule(json!([["ClusterName", "TaskDefinitionFamily", "area"]]), json!(["^jvm_memory_bytes_used$"])),
        rule(json!([["ClusterName", "TaskDefinitionFamily", "pool"]]), json!(["^jvm_memory_pool_bytes_used$"])),
    ]
}

/// The EMF processor rule for NGINX's exporter: every `nginx_` metric (NGINX Plus:
/// `nginxplus_`), by cluster and task family.
fn nginx(e: &Exporter, plus: bool) -> Vec<Value> {
    let selector = if plus { "^nginxplus_.*$" } else { "^nginx_.*$" };
    vec![json!({
        "source_labels": e.source_labels,
        "label_matcher": e.label_matcher,
        "dimensions": [["ClusterName", "TaskDefinitionFamily"]],
        "metric_selectors": [selector]
    })]
}

/// A string of the file made safe in an `Fn::Sub` text: `${` is written `${!`.
fn literal(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(s.replace("${", "${!")),
        Value::Array(a) => Value::Array(a.iter().map(literal).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.replace("${", "${!"), literal(v))).collect()),
        other => other.clone(),
    }
}

/// The agent's container: its image, both configurations, its logs in the family's group.
fn container(ctx: &Ctx, fam: &Family, agent: &Agent, group: &str) -> Value {
    let scrapes = !agent.jobs.is_empty();
    let mut collected = serde_json::Map::new();
    if agent.emf.is_some() {
        collected.insert("emf".into(), json!({}));
    }
    if scrapes {
        collected.insert(
            "prometheus".into(),
            json!({
                "cluster_name": "${ClusterName}",
                "log_group_name": "${MetricsLogGroup}",
                "prometheus_config_path": "env:PROMETHEUS_CONFIG_CONTENT",
                "emf_processor": {"metric_declaration_dedup": true, "metric_declaration": literal(&json!(agent.declarations))}
            }),
        );
    }
    let mut config = json!({"logs": {"force_flush_interval": 15, "metrics_collected": collected}});
    if agent.debug {
        config["agent"] = json!({"debug": true});
    }
    let config = config.to_string();
    let mut env = vec![
        json!({"Name": "AWS_REGION", "Value": r#ref("AWS::Region")}),
        json!({"Name": "CW_CONFIG_CONTENT", "Value": if scrapes {
            json!({"Fn::Sub": [config, {"ClusterName": ctx.plan.infra.cluster_name, "MetricsLogGroup": r#ref(group)}]})
        } else {
            json!(config)
        }}),
    ];
    if scrapes {
        env.push(json!({"Name": "PROMETHEUS_CONFIG_CONTENT", "Value": {"Fn::Sub": prometheus(fam, agent)}}));
    }
    json!({
        "Name": CONTAINER,
        "Image": agent.image.as_ref().map_or_else(|| json!(DEFAULT_IMAGE), |(i, _)| i.clone()),
        // Monitoring is best effort: the application keeps running if the agent stops.
        "Essential": false,
        "Cpu": CPU,
        "Memory": MEMORY,
        "Environment": env,
        "LogConfiguration": sidecar_log_configuration(fam, CONTAINER)
    })
}

/// The Prometheus scrape configuration (JSON, which the agent reads as YAML), as an `Fn::Sub`
/// text: one static target a port, on the task's own interface, labelled with its container and
/// the task definition's family.
fn prometheus(fam: &Family, agent: &Agent) -> String {
    let (interval, timeout) = agent
        .scraping
        .as_ref()
        .map_or((DEFAULT_INTERVAL, DEFAULT_TIMEOUT), |s| (s.interval.as_str(), s.timeout.as_str()));
    let jobs: Vec<Value> = agent
        .jobs
        .iter()
        .map(|j| {
            let targets: Vec<Value> = j
                .targets
                .iter()
                .map(|(port, container)| {
                    json!({
                        "targets": [format!("127.0.0.1:{port}")],
                        "labels": {"container_name": literal(&json!(container)), "TaskDefinitionFamily": family_name(fam)}
                    })
                })
                .collect();
            json!({
                "job_name": j.name,
                "metrics_path": literal(&json!(j.metrics_path)),
                "sample_limit": SAMPLE_LIMIT,
                "static_configs": targets
            })
        })
        .collect();
    json!({"global": {"scrape_interval": interval, "scrape_timeout": timeout}, "scrape_configs": jobs}).to_string()
}

/// NGINX's exporter: it reads NGINX's status (Plus: its API) on the task's own interface and
/// serves its metrics where the scrape job looks.
fn exporter(fam: &Family, plus: bool, port: u16, metrics_path: &str) -> Value {
    let mut command = Vec::new();
    if plus {
        command.push("--nginx.plus".to_string());
    }
    command.push(format!("--nginx.scrape-uri={}", if plus { NGINX_PLUS_API } else { NGINX_STATUS }));
    command.push(format!("--web.listen-address=:{port}"));
    command.push(format!("--web.telemetry-path={metrics_path}"));
    json!({
        "Name": EXPORTER,
        "Image": EXPORTER_IMAGE,
        "Essential": false,
        "Cpu": EXPORTER_CPU,
        "Memory": EXPORTER_MEMORY,
        "Command": command,
        "LogConfiguration": sidecar_log_configuration(fam, EXPORTER)
    })
}
