//! The concerns of a deployment, one file each: what every task family gets (log group, IAM
//! roles, task definition, security group, discovery, ECS service, scaling), the relations
//! between families, and what the compose file's top-level sections make (secrets, volumes).
//! Each is a function from the model and the plan ([`crate::plan::Ctx`]) to the resources it
//! adds. Concerns know nothing of the `x-` kinds: what a kind gives a family (grants,
//! environment, load-balancer targets) reaches them through the plan.

pub mod alarms;
pub mod capacity;
pub mod codeguru;
pub mod connect;
pub mod cwagent;
pub mod discovery;
pub mod docker;
pub mod elb;
pub mod environment;
pub mod exec;
pub mod iam;
pub mod logging;
pub mod models;
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
pub mod xray;
