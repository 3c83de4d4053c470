//! ComposeX: a docker-compose file in, a CloudFormation template out.
//!
//! The stages are kept apart as kompose does, and imports flow one way, from the top of this
//! list to its bottom:
//!
//! - the two binaries (`bootstrap`, `composex`): thin shells around `macro_io` and `cli`;
//! - `macro_io` (the CloudFormation macro contract) and `cli` (the command line);
//! - `render`: the assembler that runs the stages below in order;
//! - `kinds`: every top-level `x-` key in one registry, one file per kind;
//! - `emit`: the concerns of a deployment (task, service, network, IAM…), one file each;
//! - `plan`: what the stages share (families, grants, environment, targets) and references;
//! - `ext`: the `x-` settings of services and the project, read once at load time;
//! - `compose`: the compose model, which knows nothing of AWS;
//! - `cfn`, `diagnostics`, `diff` and `graph`: template primitives, findings, and what reads
//!   rendered templates only: the comparison of two, and the access graph of one.

pub mod cfn;
pub mod cli;
pub mod compose;
pub mod diagnostics;
pub mod diff;
pub mod emit;
pub mod ext;
pub mod graph;
pub mod kinds;
pub mod macro_io;
pub mod plan;
pub mod render;

pub use macro_io::{transform, transform_json, MacroRequest, MacroResponse, Rendered};
