//! A service's `x-docker_opts` (ECS ComposeX syntax). Its one key, `InterpolateWithDigest`, asks
//! for the digest of the image's tag, which ECS ComposeX reads from the registry while the
//! template is transformed: a call a macro cannot make. It only pins the image, so it is ignored
//! with the warning of `x-ecr`'s `InterpolateWithDigest`, which says how to pin it.

use super::ecr::interpolate_with_digest;
use crate::compose::read::map_or;
use crate::compose::Service;
use crate::diagnostics::{join, Diagnostics};

pub const KEY: &str = "x-docker_opts";

pub fn read(s: &Service, d: &mut Diagnostics) {
    let Some(x) = s.extensions.get(KEY).filter(|x| !x.is_null()) else { return };
    let path = join(&join("services", &s.name), KEY);
    let Some(m) = map_or(x, &path, "x-docker_opts must be a mapping with InterpolateWithDigest", d) else { return };
    for (k, v) in m {
        let p = join(&path, k);
        match k.as_str() {
            "InterpolateWithDigest" => interpolate_with_digest(v, p, d),
            _ => d.error("CX2145", p, format!("{k:?} is not an x-docker_opts key; use InterpolateWithDigest")),
        }
    }
}
