//! `${VAR}` interpolation like docker compose, outside intrinsic functions.
//! (stub: being written in the loader branch)

use crate::diagnostics::Diagnostics;
use serde_json::Value;

/// Replaces `${VAR}`, `$VAR`, `${VAR:-default}`… in the compose sections of `doc`.
pub fn interpolate(_doc: &mut Value, _lookup: &dyn Fn(&str) -> Option<String>, _diags: &mut Diagnostics) {}
