//! A service's `x-ecr` (ECS ComposeX syntax) is refused: every one of its keys needs AWS API
//! calls while the template is transformed, which a macro cannot make. `VulnerabilitiesScan`
//! reads the image's scan findings from ECR and fails the transform above `Thresholds`;
//! `InterpolateWithDigest` asks ECR for the digest of the image's tag; `RoleArn` is the role
//! those calls assume. The message says what does the same at build or deploy time.

use crate::compose::Service;
use crate::diagnostics::{join, Diagnostics};

pub const KEY: &str = "x-ecr";

pub fn read(s: &Service, d: &mut Diagnostics) {
    if !s.extensions.contains_key(KEY) {
        return;
    }
    d.error("CX2076", 
        join(&join("services", &s.name), KEY),
        "x-ecr reads the image's scan findings and digest from ECR with AWS API calls while the template is transformed, which a macro cannot make; scan the image where it is built (ECR scan on push, Amazon Inspector) and fail the pipeline there, and pin the image by digest (image: REPOSITORY@sha256:…)",
    );
}
