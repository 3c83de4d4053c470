//! Every top-level `x-` key ComposeX knows, in one registry: [`REGISTRY`].
//!
//! Two sorts of kind live here. Infrastructure and exposure (`x-vpc`, `x-cluster`,
//! `x-cloudmap`, `x-elbv2`, `x-wafv2_webacl`) are a stage each: a function that reads its key,
//! absent or not (the VPC, cluster and namespace ComposeX creates by default are theirs too).
//! Resources that services consume (`x-sqs`, `x-rds`…) are a [`Kind`] each: a table of the
//! CloudFormation type, the value consumers get by default, return values, access levels with
//! their IAM actions and, for databases and caches, a hook for the resources beyond the main one.
//! The generic expansion in [`generic`] does the rest (the resource, grants, environment,
//! references). Keys that
//! another kind's stage reads (`x-acm`, `x-route53` and `x-cognito_userpool` by the load
//! balancers) are listed with that reader.
//!
//! Adding a kind is one new file here and one line in [`REGISTRY`].

pub mod consumers;
pub mod datastore;
pub mod delivery;
pub mod generic;

pub mod acm;
pub mod alarms;
pub mod aps;
pub mod cloudmap;
pub mod cluster;
pub mod cognito_userpool;
pub mod dashboards;
pub mod docdb;
pub mod dynamodb;
pub mod elasticache;
pub mod elbv2;
pub mod events;
pub mod firehose;
pub mod kinesis;
pub mod kms;
pub mod neptune;
pub mod opensearch;
pub mod rds;
pub mod route53;
pub mod s3;
pub mod sns;
pub mod sqs;
pub mod ssm_parameter;
pub mod tags;
pub mod vpc;
pub mod wafv2_webacl;

use crate::plan::Ctx;
use serde_json::{json, Value};

/// How a registered key becomes resources.
#[derive(Debug, Clone, Copy)]
pub enum How {
    /// A stage that reads the key itself, and runs whether the key is there or not.
    Stage(fn(&mut Ctx)),
    /// Resources consumers reach, expanded by [`generic`] from the kind's table.
    Resources(&'static Kind),
    /// Read by the stage or concern named (with the reason it lives there).
    ReadBy(&'static str),
}

/// One registered top-level key.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub key: &'static str,
    pub how: How,
}

/// Every top-level `x-` key ComposeX acts on, in the order the stages run: the VPC, cluster and
/// namespace first (the resources need their IDs), then the resources, then the load balancers.
pub const REGISTRY: &[Entry] = &[
    Entry { key: "x-vpc", how: How::Stage(vpc::expand) },
    Entry { key: "x-aws-vpc", how: How::ReadBy("x-vpc, which refuses it: it needs AWS calls at transform time") },
    Entry { key: "x-cluster", how: How::Stage(cluster::expand) },
    Entry { key: "x-aws-cluster", how: How::ReadBy("x-cluster: Docker's name for an existing cluster") },
    Entry { key: "x-cloudmap", how: How::Stage(cloudmap::expand) },
    Entry { key: "x-sqs", how: How::Resources(&sqs::KIND) },
    Entry { key: "x-sns", how: How::Resources(&sns::KIND) },
    Entry { key: "x-dynamodb", how: How::Resources(&dynamodb::KIND) },
    Entry { key: "x-s3", how: How::Resources(&s3::KIND) },
    Entry { key: "x-kinesis", how: How::Resources(&kinesis::KIND) },
    Entry { key: "x-kms", how: How::Resources(&kms::KIND) },
    Entry { key: "x-ssm_parameter", how: How::Resources(&ssm_parameter::KIND) },
    Entry { key: "x-aps", how: How::Resources(&aps::KIND) },
    Entry { key: "x-rds", how: How::Resources(&rds::CLUSTER) },
    Entry { key: "x-elasticache", how: How::Resources(&elasticache::REPLICATION_GROUP) },
    Entry { key: "x-docdb", how: How::Resources(&docdb::KIND) },
    Entry { key: "x-neptune", how: How::Resources(&neptune::KIND) },
    Entry { key: "x-opensearch", how: How::Resources(&opensearch::KIND) },
    Entry { key: "x-kinesis_firehose", how: How::Resources(&firehose::KIND) },
    Entry { key: "x-elbv2", how: How::Stage(elbv2::expand) },
    Entry { key: "x-wafv2_webacl", how: How::Stage(wafv2_webacl::expand) },
    Entry { key: "x-alarms", how: How::Stage(alarms::expand) },
    Entry { key: "x-dashboards", how: How::Stage(dashboards::expand) },
    Entry { key: "x-events", how: How::ReadBy("events::expand, after the task families: its rules start their tasks") },
    Entry { key: "x-acm", how: How::ReadBy("x-elbv2: certificates serve the listeners") },
    Entry { key: "x-cognito_userpool", how: How::ReadBy("x-elbv2: user pools sign users in at the listeners") },
    Entry {
        key: "x-route53",
        how: How::ReadBy("x-elbv2: hosted zones validate the certificates and hold the load balancers' aliases"),
    },
    Entry {
        key: "x-aws-loadbalancer",
        how: How::ReadBy("x-elbv2: Docker's existing load balancer for published ports"),
    },
    Entry {
        key: "x-aws-logs_retention",
        how: How::ReadBy("the logging concern: the default retention of every log group"),
    },
    Entry {
        key: "x-efs",
        how: How::ReadBy("the volumes concern: x-efs.<name> configures the file system of the named volume <name>"),
    },
    Entry { key: "x-tags", how: How::ReadBy("tags::expand, after every resource is generated: it tags each") },
    Entry { key: "x-aws-cloudformation", how: How::ReadBy("the overlay, applied after every other stage") },
];

/// The service-level `x-` keys ComposeX reads, each where it acts.
pub const SERVICE_EXTENSIONS: &[&str] = &[
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
    "x-xray",
    "x-codeguru-profiler",
    "x-codeguru_profiler",
    "x-ecr",
    "x-alarms",
    "x-monitoring",
    "x-prometheus",
    "x-environment",
    "x-docker_opts",
];

/// The resources every resource kind declares, read once when the file is loaded.
pub fn read(project: &crate::compose::Project, d: &mut crate::diagnostics::Diagnostics) -> Vec<generic::Decl> {
    generic::read(project, d)
}

/// Runs every kind of the registry: names every resource first, so that references may point
/// forward and across kinds, then expands each kind in order, then the deliveries between them
/// (bucket notifications, topic subscriptions).
pub fn expand(ctx: &mut Ctx, decls: &[generic::Decl]) {
    generic::declare(ctx, decls);
    for entry in REGISTRY {
        match entry.how {
            How::Stage(stage) => stage(ctx),
            How::Resources(kind) => generic::expand(ctx, kind, decls),
            How::ReadBy(_) => {}
        }
    }
    delivery::expand(ctx);
}

/// Whether `key` is a top-level key of the registry.
pub fn is_registered(key: &str) -> bool {
    REGISTRY.iter().any(|e| e.key == key)
}

/// The resource kinds, in registry order.
pub fn resource_kinds() -> impl Iterator<Item = &'static Kind> {
    REGISTRY.iter().filter_map(|e| match e.how {
        How::Resources(kind) => Some(kind),
        _ => None,
    })
}

/// How a value of the resource is obtained in the template.
#[derive(Debug, Clone, Copy)]
pub enum Attr {
    /// `{"Ref": Id}`
    Ref,
    /// `{"Fn::GetAtt": [Id, name]}`
    GetAtt(&'static str),
    /// `{"Fn::Sub": text}` where `${Id}` stands for the logical ID.
    Sub(&'static str),
    /// A value the kind builds from the logical ID, for what one `Fn::Sub` cannot say (an ARN
    /// that depends on the shape of the resource's name).
    Build(fn(&str) -> Value),
    /// An attribute of a companion resource, the one whose logical ID is the main one's plus
    /// this suffix: a database's secret is `Of("Secret", &Attr::Ref)`.
    Of(&'static str, &'static Attr),
    /// No value: the `default` of a kind whose consumers get no variable by default.
    None,
}

impl Attr {
    pub fn value(self, id: &str) -> Value {
        match self {
            Attr::Ref => json!({ "Ref": id }),
            Attr::GetAtt(a) => json!({ "Fn::GetAtt": [id, a] }),
            Attr::Sub(text) => json!({ "Fn::Sub": text.replace("${Id}", &format!("${{{id}}}")) }),
            Attr::Build(build) => build(id),
            Attr::Of(suffix, attr) => attr.value(&format!("{id}{suffix}")),
            Attr::None => Value::Null,
        }
    }
}

/// Which ARNs of the resource a level's statement covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The resource's own ARN.
    Resource,
    /// The resource's ARN and its sub-resources (`table/x` and `table/x/index/*`).
    WithChildren(&'static str),
    /// Only the sub-resources (`bucket/*`, the objects).
    Children(&'static str),
    /// An ARN of its own, as `Fn::Sub` text where `${Id}` stands for the logical ID (`${Id.Attr}`
    /// for an attribute): Neptune's data actions are on `neptune-db:…:${Id.ClusterResourceId}/*`,
    /// not on the cluster's ARN.
    Sub(&'static str),
}

/// An access level: a name users write (`RWMessages`) and exactly the IAM actions it means.
/// A level without actions grants the consumer nothing: it asks the kind's hook for something
/// on the resource itself (`x-s3`'s `enforceSecureConnection: true`, a bucket policy).
#[derive(Debug, Clone, Copy)]
pub struct Level {
    pub name: &'static str,
    pub actions: &'static [&'static str],
    pub scope: Scope,
}

/// One kind of `x-` resource, as data.
#[derive(Debug)]
pub struct Kind {
    /// The top-level key: `x-sqs`.
    pub key: &'static str,
    pub cfn_type: &'static str,
    /// Logical-ID suffix: `jobs` → `JobsQueue`.
    pub suffix: &'static str,
    /// The value a consumer's environment variable holds by default.
    pub default: Attr,
    /// `ReturnValues` a consumer may ask for, and how each is obtained.
    pub return_values: &'static [(&'static str, Attr)],
    /// The ARN statements are scoped to.
    pub arn: Attr,
    /// Access levels, the first one being the default when `Access` is omitted.
    pub levels: &'static [Level],
    /// AWS SAM policy template names accepted as `Access`, and the level each means.
    pub sam_policies: &'static [(&'static str, &'static str)],
    /// Attributes other resources may reference as `x-kind::name::Attr` beyond the return values.
    pub extra_attributes: &'static [(&'static str, Attr)],
    /// Consumer keys this kind reads beyond `Access` and `ReturnValues` (in `Consumer::extra`).
    pub consumer_keys: &'static [&'static str],
    /// For kinds that need more than the generic expansion: called with the main resource
    /// before it is added (it may change it, add resources, grants, ingress, secrets). A kind
    /// with a hook reads its own `MacroParameters`.
    pub hook: Option<Hook>,
    /// The level a consumer without `Access` gets (databases and caches: the network path and the
    /// credentials); `None` for kinds whose levels grant IAM permissions, where a consumer without
    /// `Access` only gets the resource's values in its environment.
    pub default_access: Option<&'static str>,
    /// The `DeletionPolicy` and `UpdateReplacePolicy` a resource that holds data gets unless the
    /// file sets them (`Retain`, or `Snapshot` for databases and caches): a stack delete or a
    /// replacement must not destroy the data.
    pub keeps_data: Option<&'static str>,
    /// `Settings` keys this kind reads itself (in its hook), beyond `EnvNames`.
    pub settings_keys: &'static [&'static str],
}

/// See [`Kind::hook`].
pub type Hook = fn(&mut Ctx, &generic::Decl, &[generic::Decl], &mut Value);

/// The resource kind of key `key`.
pub fn kind(key: &str) -> Option<&'static Kind> {
    resource_kinds().find(|k| k.key == key)
}

/// Kinds whose CloudFormation type depends on the declaration (an Aurora cluster or a DB
/// instance, Redis or Memcached), with the function that picks the variant a definition is: a
/// `Kind` of the same key whose type, ARN and attributes are that variant's.
const VARIANTS: &[(&str, Pick)] = &[("x-rds", rds::variant), ("x-elasticache", elasticache::variant)];

/// Picks the variant a definition is; see [`variant`].
pub type Pick = fn(&Value) -> &'static Kind;

/// The kind declaration `def` of `kind` is: `kind` itself, or the variant its definition picks.
pub fn variant(kind: &'static Kind, def: &Value) -> &'static Kind {
    VARIANTS.iter().find(|(key, _)| *key == kind.key).map_or(kind, |(_, pick)| pick(def))
}

impl Kind {
    /// What a kind has when it says nothing: no values, levels, hook nor data to keep. Each kind
    /// names its key, type and suffix and what differs, then `..Kind::BASE`.
    pub const BASE: Kind = Kind {
        key: "",
        cfn_type: "",
        suffix: "",
        default: Attr::Ref,
        return_values: &[],
        arn: Attr::Ref,
        levels: &[],
        sam_policies: &[],
        extra_attributes: &[],
        consumer_keys: &[],
        hook: None,
        default_access: None,
        keeps_data: None,
        settings_keys: &[],
    };

    pub fn level(&self, name: &str) -> Option<&'static Level> {
        let name = self.sam_policies.iter().find(|(sam, _)| *sam == name).map_or(name, |(_, level)| level);
        self.levels.iter().find(|l| l.name == name)
    }

    /// The value of `attr` of resource `id` when it is a return value or a referenceable
    /// attribute of this kind.
    pub fn attribute(&self, id: &str, attr: &str) -> Option<Value> {
        self.return_values.iter().chain(self.extra_attributes).find(|(n, _)| *n == attr).map(|(_, a)| a.value(id))
    }

    pub fn level_names(&self) -> String {
        self.levels.iter().map(|l| l.name).collect::<Vec<_>>().join(", ")
    }

    pub fn attribute_names(&self) -> String {
        self.return_values.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
    }
}
