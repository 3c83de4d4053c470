//! Exposure through load balancers (SPEC §4.6).
//!
//! Two ways in, one way out. Either the file has `x-elbv2` (ECS ComposeX syntax: load
//! balancers, listeners, rules and target groups described in full, [`xelbv2`]), or its
//! published ports make the file's load balancers ([`auto`]): an ALB for the HTTP ports and an
//! NLB beside it for the others, one listener per published port. Both produce the same
//! model, [`Lb`], which [`emit`] writes out: the load balancer in the public subnets with its own
//! security group (the only group open to the internet, and only on listener ports), listeners,
//! rules, target groups with IP targets, one ingress per target port from the load balancer's
//! group into the group of each family a target group sends to, and for each ECS service its
//! `LoadBalancers` entries and the listeners it must wait for.

pub mod auto;
pub mod emit;
pub mod health;

use crate::compose::Protocol;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LbType {
    Application,
    Network,
}

impl LbType {
    pub fn as_str(self) -> &'static str {
        match self {
            LbType::Application => "application",
            LbType::Network => "network",
        }
    }
}

/// Who may open connections to a load balancer's listeners.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A CIDR (`0.0.0.0/0` by default), with the name used in logical IDs and descriptions.
    Cidr {
        v6: bool,
        cidr: String,
        name: String,
        why: String,
    },
    /// An existing security group or prefix list: (label, ID or intrinsic).
    SecurityGroup(String, Value),
    PrefixList(String, Value),
}

/// What a listener does with a request no rule takes.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Forward to the target group of this key.
    Forward(String),
    /// A CloudFormation action, as written (the HTTP_TO_HTTPS redirect is one).
    Raw(Value),
    /// 404 Not Found (an ALB listener whose targets all have conditions).
    NotFound,
}

/// A listener rule: forward to a target when the conditions hold, after the user is signed in
/// when `auth` is an authenticate action. Priority is the position.
#[derive(Debug, Clone)]
pub struct Rule {
    pub target: String,
    pub conditions: Vec<Value>,
    pub auth: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct Listener {
    pub port: u16,
    /// HTTP, HTTPS, TCP, TLS, UDP, TCP_UDP.
    pub protocol: String,
    /// Certificate ARNs (values): the first is the listener's, the others are added by SNI.
    pub certificates: Vec<(String, Value)>,
    pub ssl_policy: Option<Value>,
    pub default: Action,
    /// An authenticate action (`authenticate-oidc`, `authenticate-cognito`) the default forward
    /// runs after.
    pub default_auth: Option<Value>,
    pub rules: Vec<Rule>,
    /// The compose path that declared it (for messages).
    pub path: String,
}

/// A container a target group sends to: ECS registers the tasks of its family's service.
#[derive(Debug, Clone)]
pub struct Member {
    pub family: String,
    pub container: String,
    /// The protocol the container declares the target group's port with (TCP when it
    /// declares both).
    pub container_protocol: Protocol,
    /// Seconds ECS waits before it counts failed load balancer health checks.
    pub grace: Option<u64>,
}

/// A target group: one container port, of one container or (an `x-elbv2` target group of
/// `TargetGroups` that lists several) of containers of several task families. Every member's
/// ECS service registers its tasks in it on `port`.
#[derive(Debug, Clone)]
pub struct Target {
    pub members: Vec<Member>,
    pub port: u16,
    /// HTTP, HTTPS, TCP, TLS, UDP, TCP_UDP.
    pub protocol: String,
    /// Logical ID of the target group.
    pub id: String,
    /// Who the target group resource belongs to: the family of a one-container target, the
    /// compose path of a target group of several.
    pub owner: String,
    /// Health check properties (`HealthCheck…`, `Matcher`).
    pub health: Map<String, Value>,
    /// The health check port when it is not the traffic port: the load balancer needs it too.
    pub health_port: Option<u16>,
    /// `TargetGroupAttributes`, [{Key, Value}].
    pub attributes: Vec<Value>,
    /// Other target group properties given as written (`ProtocolVersion`).
    pub extra: Map<String, Value>,
    /// Why this target exists, in words (for security group descriptions).
    pub why: String,
}

#[derive(Debug, Clone)]
pub struct Lb {
    /// The compose name (the x-elbv2 key), for the security group's Name tag.
    pub name: String,
    /// Words naming it in descriptions and messages: `x-elbv2 lbA`, `the load balancer of the
    /// published ports`.
    pub label: String,
    /// Logical ID of the load balancer, and the prefix of every resource that belongs to it.
    pub id: String,
    pub path: String,
    pub ty: LbType,
    /// An existing load balancer's ARN (Docker's `x-aws-loadbalancer`): nothing is created but
    /// listeners and target groups.
    pub existing: Option<Value>,
    /// Load balancer properties beyond the generated ones (user `Properties`, attributes).
    pub properties: Map<String, Value>,
    pub subnets: Value,
    pub internet_facing: bool,
    pub ingress: Vec<Source>,
    pub listeners: Vec<Listener>,
    /// Target groups by key (`family:container`, `family:container:port/proto`, or the name of
    /// an `x-elbv2` target group of several containers).
    pub targets: BTreeMap<String, Target>,
}

/// Listeners one load balancer takes (Elastic Load Balancing quota).
pub const MAX_LISTENERS: usize = 50;

/// `Http`, `TcpUdp`…: a protocol in logical IDs.
pub fn protocol_id(protocol: &str) -> String {
    crate::cfn::naming::pascal(&protocol.to_ascii_lowercase())
}

/// The IP protocols a load balancer protocol travels on.
pub fn ip_protocols(protocol: &str) -> &'static [&'static str] {
    match protocol {
        "UDP" => &["udp"],
        "TCP_UDP" => &["tcp", "udp"],
        _ => &["tcp"],
    }
}
