//! The compose model: loading (YAML with CloudFormation tags, merge, interpolation) and the
//! validated model of services. Nothing in here knows about AWS.

pub mod env_file;
pub mod interpolate;
pub mod merge;
pub mod model;
pub mod project;
pub mod read;
pub mod service;
pub mod units;
pub mod yaml;

pub use model::*;
pub use project::load;
