//! From the compose model to CloudFormation resources, one concern per file.
//!
//! `render` runs the stages in order: load the compose model, group services into task
//! families, lay the shared infrastructure (VPC, cluster, CloudMap namespace), expand each
//! family (logs, IAM, task definition, security group, discovery, ECS service, scaling), then
//! the network relations between families. Every stage reports into one `Diagnostics`; the
//! template is returned only when no stage found an error.

pub mod acm;
pub mod cluster;
pub mod connect;
pub mod discovery;
pub mod docker;
pub mod elb;
pub mod family;
pub mod iam;
pub mod logging;
pub mod network;
pub mod overlay;
pub mod passthrough;
pub mod policy;
pub mod scaling;
pub mod secrets;
pub mod service;
pub mod sizing;
pub mod steps;
pub mod task;
pub mod volumes;
pub mod vpc;

use crate::cfn::{quotas, Template};
use crate::compose::{self, Project};
use crate::diagnostics::Diagnostics;
use crate::macro_io::{Options, Rendered};
use family::Families;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Where the shared infrastructure lives: created here or `Use`d, as values to put in properties.
#[derive(Debug, Clone, Default)]
pub struct Infra {
    pub vpc_id: Value,
    pub app_subnets: Value,
    pub public_subnets: Value,
    pub storage_subnets: Value,
    pub cluster: Value,
    /// The cluster's name when known at transform time (scaling needs it in a resource ID).
    pub cluster_name: Value,
    /// `Fn::GetAtt Namespace.Id` of the CloudMap namespace, when one is created.
    pub namespace_id: Option<Value>,
    /// Resources every ECS service must wait for (the NAT routes of a created VPC, so that tasks
    /// can pull their images on first start).
    pub service_depends_on: Vec<String>,
}

/// Everything a stage needs: the model, the families, the template being built, the findings.
pub struct Ctx<'a> {
    pub project: &'a Project,
    pub families: Families,
    pub t: Template,
    pub d: Diagnostics,
    pub infra: Infra,
    /// `x-` resources by (kind, name): their logical IDs, for references.
    pub declared: crate::resources::refs::Declared,
    /// Task-role statements per family, from the resources it consumes.
    pub grants: BTreeMap<String, Vec<Value>>,
    /// Execution-role statements per family (secrets ECS reads for it).
    pub exec_grants: BTreeMap<String, Vec<Value>>,
    /// Environment variables resources give each service: name → (value, path of the grant).
    pub env: BTreeMap<String, BTreeMap<String, (Value, String)>>,
    /// ECS `Secrets` of each service: variable → `ValueFrom`.
    pub secrets: BTreeMap<String, BTreeMap<String, Value>>,
    /// Named volumes: name → the task definition's volume entry (EFS).
    pub volumes: BTreeMap<String, Value>,
    /// Resources a family's ECS service must wait for (EFS mount targets).
    pub family_depends_on: BTreeMap<String, Vec<String>>,
    /// Service Connect entries of each family (computed once, by `connect::check`).
    pub connect: BTreeMap<String, Vec<connect::Entry>>,
    /// Name → services with ports that list it in `x-network.Ingress.Services`.
    pub connect_sources: BTreeMap<String, std::collections::BTreeSet<String>>,
    /// Rendering for the CLI (see `Options::cli`).
    pub cli: bool,
    /// Per family: the `LoadBalancers` entries and grace period of its ECS service.
    pub load_balancers: BTreeMap<String, elb::ServiceTargets>,
    /// Container ports a load balancer sends to, (service, port, protocol): only these may be
    /// published on another port.
    pub balanced_ports: std::collections::BTreeSet<(String, u16, crate::compose::Protocol)>,
    /// The `x-sqs` consumers that scale their family on the queue (`steps::declarations`).
    pub queue_scaling: Vec<steps::Declaration>,
}

/// Renders the template `doc`: its compose part into the model, then the model and its
/// CloudFormation sections into a template.
pub fn render(doc: &Value, options: &Options) -> Rendered {
    let mut d = Diagnostics::new();
    let mut project = compose::load(doc, &mut d);
    if project.name.is_none() {
        project.name = options.project_name.clone();
    }
    let families = Families::group(&project, &mut d);
    let mut ctx = Ctx {
        project: &project,
        families,
        t: Template::default(),
        d,
        infra: Infra::default(),
        declared: Default::default(),
        grants: BTreeMap::new(),
        exec_grants: BTreeMap::new(),
        env: BTreeMap::new(),
        secrets: BTreeMap::new(),
        volumes: BTreeMap::new(),
        family_depends_on: BTreeMap::new(),
        cli: options.cli,
        connect: BTreeMap::new(),
        connect_sources: BTreeMap::new(),
        load_balancers: BTreeMap::new(),
        balanced_ports: Default::default(),
        queue_scaling: Vec::new(),
    };

    passthrough::sections(doc, &mut ctx);
    vpc::expand(&mut ctx);
    cluster::expand(&mut ctx);
    discovery::namespace(&mut ctx);
    crate::resources::expand::declare(&mut ctx);
    crate::resources::expand::expand(&mut ctx);
    ctx.queue_scaling = steps::declarations(&ctx);
    secrets::expand(&mut ctx);
    volumes::expand(&mut ctx);
    connect::check(&mut ctx);
    docker::check(&mut ctx);
    elb::expand(&mut ctx);
    network::relations(&mut ctx);
    warn_unknown_extensions(&mut ctx);
    // A copy of the families: each stage below takes the context mutably.
    let families: Vec<family::Family> = ctx.families.list.values().cloned().collect();
    for fam in &families {
        logging::expand(&mut ctx, fam);
        iam::expand(&mut ctx, fam);
        task::expand(&mut ctx, fam);
        network::security_group(&mut ctx, fam);
        discovery::service(&mut ctx, fam);
        service::expand(&mut ctx, fam);
        scaling::expand(&mut ctx, fam);
    }

    let Ctx { mut t, mut d, .. } = ctx;
    let warnings: Vec<String> = d.warnings().iter().map(|w| w.to_string()).collect();
    if !warnings.is_empty() {
        let meta = t.sections.entry("Metadata").or_insert_with(|| json!({}));
        if let Some(meta) = meta.as_object_mut() {
            meta.insert("ComposeX".into(), json!({ "Warnings": warnings }));
        }
    }
    // Docker's x-aws-cloudformation, merged last so that it may tune anything generated.
    if let Some(x) = project.extensions.get(overlay::KEY) {
        overlay::apply(&mut t, x, &mut d);
    }
    quotas::check(&t, &mut d);
    Rendered { template: (!d.has_errors()).then_some(t), diagnostics: d }
}

/// Top-level `x-` keys ComposeX does not act on (yet): a warning each, never an error, as the
/// compose specification asks of extensions.
fn warn_unknown_extensions(ctx: &mut Ctx) {
    const KNOWN: &[&str] = &[
        "x-vpc",
        "x-cluster",
        "x-cloudmap",
        "x-aws-vpc",
        "x-aws-cluster",
        overlay::KEY,
        docker::LOGS_RETENTION,
        "x-elbv2",
        "x-acm",
        "x-aws-loadbalancer",
    ];
    let is_kind = |k: &str| crate::resources::kind(k).is_some();
    const KNOWN_SERVICE: &[&str] = &[
        "x-iam",
        "x-logging",
        "x-network",
        "x-scaling",
        "x-ecs",
        "x-aws-policies",
        "x-aws-role",
        "x-aws-pull_credentials",
        "x-aws-min_percent",
        "x-aws-max_percent",
    ];
    for key in ctx.project.extensions.keys() {
        if !KNOWN.contains(&key.as_str()) && !is_kind(key) {
            ctx.d.warn(key.as_str(), "ignored: ComposeX does not know this extension");
        }
    }
    for (name, s) in &ctx.project.services {
        for key in s.extensions.keys() {
            if !KNOWN_SERVICE.contains(&key.as_str()) {
                ctx.d.warn(format!("services.{name}.{key}"), "ignored: ComposeX does not know this extension");
            }
        }
    }
}
