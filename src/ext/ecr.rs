//! A service's `x-ecr` (ECS ComposeX syntax). Each of its keys needs AWS API calls while the
//! template is transformed, which a macro cannot make:
//!
//! - `VulnerabilitiesScan` reads the image's scan findings from ECR and fails the transform above
//!   `Thresholds`. Deploying without that gate would let through an image the file means to
//!   stop, so it is refused, with where the same gate goes (the pipeline that builds the image);
//! - `InterpolateWithDigest` asks ECR for the digest of the image's tag: the image is deployed
//!   by its tag as written, with a warning that says how to pin it;
//! - `RoleArn` is the role those calls assume: nothing to do without them.

use crate::compose::Service;
use crate::diagnostics::{join, Diagnostics};

pub const KEY: &str = "x-ecr";

pub fn read(s: &Service, d: &mut Diagnostics) {
    let Some(x) = s.extensions.get(KEY) else { return };
    let path = join(&join("services", &s.name), KEY);
    let Some(m) = x.as_object() else {
        d.error("CX2076", &path, "x-ecr must be a mapping with VulnerabilitiesScan, InterpolateWithDigest or RoleArn");
        return;
    };
    for k in m.keys() {
        let p = join(&path, k);
        match k.as_str() {
            "VulnerabilitiesScan" => d.error(
                "CX2087",
                p,
                "reads the image's scan findings from ECR with AWS API calls while the template is transformed, which a macro cannot make; scan the image where it is built (ECR scan on push, Amazon Inspector) and fail the pipeline there",
            ),
            "InterpolateWithDigest" => d.warn(
                "CX2088",
                p,
                "ignored: the digest of the tag is an ECR call a macro cannot make, so the image is deployed by its tag as written; pin it with image: REPOSITORY@sha256:…",
            ),
            "RoleArn" => d.warn("CX2089", p, "ignored: no ECR call is made while the template is transformed"),
            other => d.error("CX2090", p, format!("{other:?} is not an x-ecr key; use VulnerabilitiesScan, InterpolateWithDigest or RoleArn")),
        }
    }
}
