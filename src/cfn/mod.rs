//! CloudFormation: the template being built, intrinsic-function helpers, logical-ID naming and
//! the service quotas a processed template must respect.

pub mod intrinsics;
pub mod naming;
pub mod quotas;
pub mod template;
pub mod yaml;

pub use intrinsics::{get_att, is_intrinsic, is_intrinsic_map, r#ref, sub};
pub use naming::logical_id;
pub use template::{object, resource, Template};
