//! A service's `x-ecr` (ECS ComposeX syntax). Each of its keys needs AWS API calls while the
//! template is transformed, which a macro cannot make:
//!
//! - `VulnerabilitiesScan` reads the image's scan findings from ECR and fails the transform above
//!   `Thresholds`. Deploying without that gate would let through an image the file means to
//!   stop, so it is refused, with where the same gate goes (the pipeline that builds the image);
//! - `InterpolateWithDigest` asks ECR for the digest of the image's tag: the image is deployed
//!   by its tag as written, with a warning that says how to pin it (`x-docker_opts` has the
//!   same key, with the same warning);
//! - `RoleArn` is the role those calls assume: nothing to do without them.

use crate::compose::read::boolean;
use crate::compose::Service;
use crate::diagnostics::{join, Diagnostics};
use serde_json::Value;

pub const KEY: &str = "x-ecr";

/// `InterpolateWithDigest` (here, or in `x-docker_opts`): a boolean; `true` is ignored, with
/// how to pin the image instead.
pub fn interpolate_with_digest(v: &Value, path: String, d: &mut Diagnostics) {
    if boolean(v, &path, d) != Some(true) {
        return;
    }
    d.warn(
        "CX2088",
        path,
        "ignored: the digest of the tag is read from the image's registry, a call a macro cannot make, so the image is deployed by its tag as written; pin it with image: REPOSITORY@sha256:…",
    );
}

pub fn read(s: &Service, d: &mut Diagnostics) {
    let Some(x) = s.extensions.get(KEY) else { return };
    let path = join(&join("services", &s.name), KEY);
    let Some(m) = x.as_object() else {
        d.error("CX2076", &path, "x-ecr must be a mapping with VulnerabilitiesScan, InterpolateWithDigest or RoleArn");
        return;
    };
    for (k, v) in m {
        let p = join(&path, k);
        match k.as_str() {
            "VulnerabilitiesScan" => d.error(
                "CX2087",
                p,
                "reads the image's scan findings from ECR with AWS API calls while the template is transformed, which a macro cannot make; scan the image where it is built (ECR scan on push, Amazon Inspector) and fail the pipeline there",
            ),
            "InterpolateWithDigest" => interpolate_with_digest(v, p, d),
            "RoleArn" => d.warn("CX2089", p, "ignored: no ECR call is made while the template is transformed"),
            other => d.error("CX2090", p, format!("{other:?} is not an x-ecr key; use VulnerabilitiesScan, InterpolateWithDigest or RoleArn")),
        }
    }
}
