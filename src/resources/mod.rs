//! AWS resources declared as `x-<kind>` (ECS ComposeX syntax), each reachable only by the
//! services that list themselves as its consumers.
//!
//! Every kind is a [`Kind`]: a table of its CloudFormation type, the value its consumers get by
//! default, its return values, its access levels with their IAM actions, and, for databases and
//! caches, its network port. The generic expansion in [`expand`] does the rest (the resource, the
//! grants, the environment, the references); kinds that need more resources than one (a database
//! with its subnet group and secret) add a hook. Adding a kind is adding one file here and one
//! line to [`KINDS`].

pub mod consumers;
pub mod delivery;
pub mod expand;
pub mod refs;

pub mod dynamodb;
pub mod elasticache;
pub mod kinesis;
pub mod kms;
pub mod network;
pub mod rds;
pub mod s3;
pub mod sns;
pub mod sqs;
pub mod ssm_parameter;

use serde_json::{json, Value};

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
    /// `Settings` keys this kind reads itself (in its hook), beyond `EnvNames`.
    pub settings_keys: &'static [&'static str],
}

/// See [`Kind::hook`].
pub type Hook = fn(&mut crate::expand::Ctx, &expand::Decl, &[consumers::Consumer], &mut Value);

/// Every kind, in the order their resources are expanded.
pub const KINDS: &[&Kind] = &[
    &sqs::KIND,
    &sns::KIND,
    &dynamodb::KIND,
    &s3::KIND,
    &kinesis::KIND,
    &kms::KIND,
    &ssm_parameter::KIND,
    &rds::CLUSTER,
    &elasticache::REPLICATION_GROUP,
];

pub fn kind(key: &str) -> Option<&'static Kind> {
    KINDS.iter().copied().find(|k| k.key == key)
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
