//! How a service's ECS service deploys, read once when the file is loaded: Docker's
//! `x-aws-min_percent` / `x-aws-max_percent` (in `deploy.update_config` or on the service; the
//! first wins) and ECS ComposeX's `x-ecs`: `CapacityProviderStrategy`, `EnableExecuteCommand`,
//! `CpuArchitecture` and `OperatingSystemFamily`.

use crate::cfn::is_intrinsic;
use crate::compose::read::{boolean, literal, map_or, uint};
use crate::compose::Service;
use crate::diagnostics::{join, Diagnostics};
use serde_json::Value;

#[derive(Debug, Clone, Default)]
pub struct Deployment {
    /// `MinimumHealthyPercent` and `MaximumPercent`, when the service sets them.
    pub min_percent: Option<u64>,
    pub max_percent: Option<u64>,
    /// `x-ecs.CapacityProviderStrategy`, as written (a list or an intrinsic).
    pub capacity: Option<Value>,
    /// `x-ecs.EnableExecuteCommand`.
    pub exec: bool,
    /// `x-ecs.CpuArchitecture` (`X86_64` or `ARM64`), with its path.
    pub cpu_architecture: Option<(String, String)>,
}

pub fn read(s: &Service, d: &mut Diagnostics) -> Deployment {
    let base = join("services", &s.name);
    let mut out = Deployment::default();
    for (key, target) in [("x-aws-min_percent", &mut out.min_percent), ("x-aws-max_percent", &mut out.max_percent)] {
        let in_update = s
            .deploy
            .update_config
            .as_ref()
            .and_then(|u| u.extensions.get(key))
            .map(|v| (v, join(&join(&join(&base, "deploy"), "update_config"), key)));
        let found = in_update.or_else(|| s.extensions.get(key).map(|v| (v, join(&base, key))));
        if let Some((v, p)) = found {
            *target = uint(v, &p, "percentage", d);
        }
    }
    if let Some(x) = s.extensions.get("x-ecs") {
        let path = join(&base, "x-ecs");
        for (k, v) in map_or(x, &path, "x-ecs must be a mapping", d).into_iter().flatten() {
            match k.as_str() {
                "CapacityProviderStrategy" if v.is_array() || is_intrinsic(v) => out.capacity = Some(v.clone()),
                "CapacityProviderStrategy" => d.error(
                    "CX2013",
                    join(&path, k),
                    "CapacityProviderStrategy must be a list of {CapacityProvider, Weight, Base}",
                ),
                "EnableExecuteCommand" => out.exec = boolean(v, &join(&path, k), d).unwrap_or(false),
                "CpuArchitecture" => {
                    let p = join(&path, k);
                    match literal(v, &p, "CpuArchitecture", d).as_deref() {
                        Some(a @ ("X86_64" | "ARM64")) => out.cpu_architecture = Some((a.to_string(), p)),
                        Some(other) => d.error("CX2077", &p,
                            format!("{other:?} is not a CPU architecture of ECS; use X86_64 or ARM64"),
                        ),
                        None => {}
                    }
                }
                "OperatingSystemFamily" => {
                    let p = join(&path, k);
                    match literal(v, &p, "OperatingSystemFamily", d).as_deref() {
                        Some("LINUX") | None => {}
                        Some(other) => d.error("CX2078", &p,
                            format!("{other:?}: ComposeX builds Linux tasks only (its images, log drivers and capacity are Linux); use LINUX or remove it"),
                        ),
                    }
                }
                _ => d.error(
                    "CX2014",
                    join(&path, k),
                    format!("{k:?} is not an x-ecs key; use CapacityProviderStrategy, EnableExecuteCommand, CpuArchitecture or OperatingSystemFamily"),
                ),
            }
        }
    }
    out
}
