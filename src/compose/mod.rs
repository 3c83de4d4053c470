//! The compose model: loading (YAML with CloudFormation tags, merge, interpolation) and the
//! validated model of services. Nothing in here knows about AWS.

pub mod env_file;
pub mod interpolate;
pub mod merge;
pub mod units;
pub mod yaml;
