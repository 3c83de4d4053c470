//! What the stages share. The stages that plan (the kinds, and the concerns that see the whole
//! file: secrets, volumes, Service Connect, relations, scaling) fill a [`Plan`] through a
//! [`Ctx`]: task families, where the shared infrastructure lives, what each family is granted
//! (IAM statements, environment variables, secrets, volumes), load-balancer targets, Service
//! Connect entries and scaling. The family concerns then only read it, through an [`Emit`], and
//! add resources. Nothing here knows a kind or a concern: the types they share live here.

pub mod exposure;
pub mod families;
pub mod refs;

use crate::cfn::template::USER_RESOURCES;
use crate::cfn::Template;
use crate::compose::{Project, Protocol};
use crate::diagnostics::{join, Diagnostics};
use crate::ext::scaling::Scaling;
use crate::ext::Extensions;
use families::Families;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

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
    /// With `x-vpc: Use`, the paths the public and storage subnets come from (for messages).
    pub public_from: String,
    pub storage_from: String,
}

/// What the stages before the families compute and the family concerns read: families,
/// infrastructure, references, grants, environment, secrets, volumes, load-balancer targets,
/// Service Connect entries, queue scaling and each family's scaling.
#[derive(Debug, Default)]
pub struct Plan {
    pub families: Families,
    pub infra: Infra,
    /// `x-` resources by (kind, name): their logical IDs, for references.
    pub declared: refs::Declared,
    /// Task-role statements per family, from the resources it consumes.
    pub grants: BTreeMap<String, Vec<Value>>,
    /// Execution-role statements per family (secrets ECS reads for it).
    pub exec_grants: BTreeMap<String, Vec<Value>>,
    /// Environment variables resources give each service: name → (value, path of the grant).
    pub env: BTreeMap<String, BTreeMap<String, (Value, String)>>,
    /// Environment variables every service container of a family gets, whichever services ask:
    /// family → name → (value, path of the grant).
    pub family_env: BTreeMap<String, BTreeMap<String, (Value, String)>>,
    /// Containers a family runs beside its services' own (agents, exporters).
    pub sidecars: BTreeMap<String, Vec<Sidecar>>,
    /// ECS `Secrets` of each service: variable → `ValueFrom`.
    pub secrets: BTreeMap<String, BTreeMap<String, Value>>,
    /// Named volumes: name → the task definition's volume entry (EFS).
    pub volumes: BTreeMap<String, Value>,
    /// Resources a family's ECS service must wait for (EFS mount targets).
    pub family_depends_on: BTreeMap<String, Vec<String>>,
    /// Service Connect entries of each family (computed once, by `connect::check`).
    pub connect: BTreeMap<String, Vec<ConnectEntry>>,
    /// Name → services with ports that list it in `x-network.Ingress.Services`.
    pub connect_sources: BTreeMap<String, BTreeSet<String>>,
    /// Rendering for the CLI (see `Options::cli`).
    pub cli: bool,
    /// Per family: the `LoadBalancers` entries and grace period of its ECS service.
    pub load_balancers: BTreeMap<String, ServiceTargets>,
    /// Container ports a load balancer sends to, (service, port, protocol): only these may be
    /// published on another port.
    pub balanced_ports: BTreeSet<(String, u16, Protocol)>,
    /// Per `x-sqs` queue: the AWS services it lets send and receive (`AwsPrincipalsAccess`).
    pub queue_principals: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)>,
    /// Per family that scales: its scaling, merged from its services, and its task-count bounds.
    pub scaling: BTreeMap<String, FamilyScaling>,
    /// The `x-sqs` consumers that scale their family on the queue, in file order.
    pub queue_scaling: Vec<QueueScaling>,
    /// Per family that runs on EC2 capacity the stack builds: where and with what. Families
    /// not here run on Fargate.
    pub compute: BTreeMap<String, Ec2Family>,
}

/// A container a family runs beside its services' own: its definition, the CPU units and MiB
/// it counts for in the task's size, and whether the services' containers start after it.
#[derive(Debug, Clone)]
pub struct Sidecar {
    pub container: Value,
    pub cpu: u64,
    pub memory: u64,
    pub started_first: bool,
}

/// A family on EC2 capacity: its capacity provider, task size, GPUs and placement.
#[derive(Debug, Clone, Default)]
pub struct Ec2Family {
    /// Logical ID of the ECS capacity provider its ECS service uses.
    pub provider: String,
    pub instance_type: String,
    /// Task CPU units and MiB.
    pub cpu: u64,
    pub memory: u64,
    /// GPUs each container reserves, by service.
    pub gpus: BTreeMap<String, u64>,
    /// The ECS service's `PlacementConstraints` and `PlacementStrategies`.
    pub constraints: Vec<Value>,
    pub strategies: Vec<Value>,
}

/// The context of the stages that plan: the model, its extension settings, the plan they fill,
/// and the template with its findings.
pub struct Ctx<'a> {
    pub project: &'a Project,
    /// The extension settings of the project and its services, read at load time.
    pub ext: Extensions,
    pub plan: Plan,
    pub t: Template,
    pub d: Diagnostics,
}

/// The context of the family concerns: the same, with the plan only to read.
pub struct Emit<'a> {
    pub project: &'a Project,
    pub ext: &'a Extensions,
    pub plan: &'a Plan,
    pub t: &'a mut Template,
    pub d: &'a mut Diagnostics,
}

/// A family's scaling: its services' merged, the queues it scales on, and its bounds.
#[derive(Debug, Clone, Default)]
pub struct FamilyScaling {
    pub scaling: Scaling,
    pub queues: Vec<Queue>,
    pub min: u64,
    pub max: u64,
}

/// What one family's ECS service gets from the load balancers.
#[derive(Debug, Clone, Default)]
pub struct ServiceTargets {
    /// `LoadBalancers` entries: {ContainerName, ContainerPort, TargetGroupArn}.
    pub entries: Vec<Value>,
    /// `HealthCheckGracePeriodSeconds`, when a target container declares a start period.
    pub grace: Option<u64>,
    /// Why each entry is there, in words (for messages).
    pub why: Vec<String>,
}

/// An `x-sqs` consumer that scales its family on the queue's depth.
#[derive(Debug, Clone)]
pub struct QueueScaling {
    /// A service or task-family name.
    pub consumer: String,
    pub queue: Queue,
}

/// One queue a family scales on (`emit::steps`).
#[derive(Debug, Clone)]
pub struct Queue {
    /// The queue's name in `x-sqs`, and its logical ID.
    pub name: String,
    pub id: String,
    /// Path of the consumer's `Scaling`.
    pub path: String,
    /// Sorted, contiguous; the last one without upper bound.
    pub steps: Vec<Step>,
    pub scale_in_cooldown: u64,
    pub scale_out_cooldown: u64,
    /// Driven by an `x-alarms` alarm (`name`, `id` are the alarm's), which holds the policies
    /// as its actions and whose threshold the bounds are relative to; else by the depth of the
    /// queue, on an alarm of its own.
    pub on_alarm: bool,
}

/// Visible messages (or, for an alarm, the metric above its threshold) from `lower` to `upper`
/// run `count` tasks.
#[derive(Debug, Clone)]
pub struct Step {
    pub lower: u64,
    pub upper: Option<u64>,
    pub count: u64,
}

/// One Service Connect entry of a family.
#[derive(Debug, Clone)]
pub struct ConnectEntry {
    pub port_name: String,
    pub port: u16,
    pub dns_name: String,
    pub discovery_name: String,
    /// Where the alias or discovery name was chosen, for messages.
    pub path: String,
}

impl Ctx<'_> {
    /// Adds a generated resource; see [`add`].
    pub fn add(&mut self, owner: &str, id: String, resource: Value) {
        add(&mut self.t, &mut self.d, &self.plan.families, owner, id, resource);
    }
}

impl Ctx<'_> {
    /// The value of a file the macro cannot read, as the template parameter `pid` (a String,
    /// `NoEcho` for a secret) that the deployer passes; its `Ref` (see [`Ctx::parameter`]).
    pub fn file_parameter(
        &mut self,
        pid: &str,
        description: &str,
        no_echo: bool,
        file: &str,
        fpath: &str,
    ) -> Option<Value> {
        let mut parameter = serde_json::json!({"Type": "String", "Description": description});
        if no_echo {
            parameter["NoEcho"] = Value::Bool(true);
        }
        let pass = format!("{pid}=\"$(cat {file})\"");
        self.parameter(pid, parameter, ("the macro never sees your files", "the value"), &pass, fpath)
    }

    /// `what` (the value of `fpath`), which the macro cannot know, as the template parameter
    /// `pid` of `declaration` (a String) that the deployer passes (`pass`: `pid=…`); its `Ref`.
    /// `why` says why. A user parameter of the same name is that one when it is a String,
    /// completed with the keys of `declaration` it lacks (a template deployed with `Transform`
    /// must declare it for `aws cloudformation deploy` to pass it).
    pub fn parameter(
        &mut self,
        pid: &str,
        declaration: Value,
        (why, what): (&str, &str),
        pass: &str,
        fpath: &str,
    ) -> Option<Value> {
        let pass = format!("--parameter-overrides {pass}");
        let parameters = self.t.sections.entry("Parameters").or_insert_with(|| serde_json::json!({}));
        // Parameters that are not a mapping are an error of their own.
        let parameters = parameters.as_object_mut()?;
        match parameters.get_mut(pid) {
            Some(Value::Object(user)) if user.get("Type").and_then(Value::as_str) == Some("String") => {
                for (k, v) in declaration.as_object().into_iter().flatten() {
                    user.entry(k.clone()).or_insert_with(|| v.clone());
                }
                self.d.warn(
                    "CX3007",
                    fpath,
                    format!("{what} is the template parameter {pid} declared under Parameters: deploy with {pass}"),
                );
            }
            Some(_) => {
                self.d.error("CX3008", 
                    fpath,
                    format!("{what} is the template parameter {pid}, which Parameters.{pid} declares too, and not as a String; rename that one, or make it Type: String"),
                );
                return None;
            }
            None => {
                let _ = self.t.add_parameter(fpath, pid, declaration);
                let how = if self.plan.cli {
                    format!("deploy the rendered template with {pass}")
                } else {
                    format!("declare {pid} (Type: String) under the file's Parameters too, as aws cloudformation deploy passes only the parameters of the template it is given, and deploy with {pass}")
                };
                self.d.warn("CX3009", fpath, format!("{why}: {what} is the template parameter {pid}; {how}"));
            }
        }
        Some(serde_json::json!({ "Ref": pid }))
    }
}

/// What needs subnets in two Availability Zones (an application load balancer, a database's
/// subnet group) refuses a list of one: `subnets` as the template has them, and the path they
/// come from. Intrinsics (a `!Ref` of a subnet list Parameter) are the deployer's to check.
pub fn two_zones(ctx: &mut Ctx, subnets: &Value, from: &str, what: &str) {
    if let Value::Array(list) = subnets {
        if list.len() < 2 && !from.is_empty() {
            ctx.d.error(
                "CX3010",
                from,
                format!(
                    "{what} needs subnets in two Availability Zones, and this gives {}; list a subnet of a second zone",
                    list.len()
                ),
            );
        }
    }
}

impl Emit<'_> {
    /// Adds a generated resource; see [`add`].
    pub fn add(&mut self, owner: &str, id: String, resource: Value) {
        add(self.t, self.d, &self.plan.families, owner, id, resource);
    }
}

/// Adds a generated resource; a logical ID that is already taken is an error naming both
/// owners (a user resource of the same name, or two compose names that normalise alike).
fn add(t: &mut Template, d: &mut Diagnostics, families: &Families, owner: &str, id: String, resource: Value) {
    let Err(id) = t.try_add(owner, id, resource) else { return };
    let other = t.owner(&id).unwrap_or_default().to_string();
    let path = if other == USER_RESOURCES {
        join("Resources", &id)
    } else if let Some(f) = families.list.get(owner) {
        join("services", &f.services[0])
    } else {
        owner.to_string()
    };
    d.error(
        "CX3011",
        path,
        format!("the logical ID {id:?} is generated for {owner} and also used by {other}; rename one of them"),
    );
}
