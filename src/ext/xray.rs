//! A service's `x-xray` (ECS ComposeX syntax), read once when the file is loaded: `true`, or a
//! mapping with `OverrideImage`, asks for the X-Ray daemon beside the service's containers;
//! `false` or absent, for none.

use crate::compose::read::{boolean, show, string_or_intrinsic};
use crate::compose::Service;
use crate::diagnostics::{join, Diagnostics};
use serde_json::Value;

/// The image ECS ComposeX runs the daemon from unless `OverrideImage` names another.
pub const DEFAULT_IMAGE: &str = "public.ecr.aws/xray/aws-xray-daemon:latest";

/// What `x-xray` asks for when it asks for the daemon.
#[derive(Debug, Clone, PartialEq)]
pub struct XRay {
    /// The daemon's image: a string or an intrinsic.
    pub image: Value,
    /// The path of `x-xray`, for messages.
    pub path: String,
}

pub fn read(s: &Service, d: &mut Diagnostics) -> Option<XRay> {
    let v = s.extensions.get("x-xray")?;
    let path = join(&join("services", &s.name), "x-xray");
    let image = match v {
        Value::Object(m) => {
            let mut image = Value::String(DEFAULT_IMAGE.into());
            for (k, v) in m {
                let p = join(&path, k);
                match k.as_str() {
                    "OverrideImage" => image = string_or_intrinsic(v, &p, "OverrideImage", d)?,
                    _ => d.error(
                        "CX2085",
                        &p,
                        format!("{k:?} is not an x-xray key; use OverrideImage, or write x-xray: true"),
                    ),
                }
            }
            image
        }
        Value::Bool(_) | Value::String(_) => {
            if !boolean(v, &path, d)? {
                return None;
            }
            Value::String(DEFAULT_IMAGE.into())
        }
        other => {
            d.error(
                "CX2086",
                &path,
                format!("{} is not an x-xray value; write true, false, or a mapping with OverrideImage", show(other)),
            );
            return None;
        }
    };
    Some(XRay { image, path })
}
