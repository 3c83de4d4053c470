//! The X-Ray daemon (`x-xray`, ECS ComposeX syntax): a task family one of whose services asks
//! for it runs the daemon as one more container, `xray-daemon`. Its task role may send traces
//! and read sampling rules (the actions of the managed policy AWSXRayDaemonWriteAccess, which
//! X-Ray grants on no resource narrower than `*`), and every container of the family gets
//! `AWS_XRAY_DAEMON_ADDRESS`, where the X-Ray SDKs send segments: the daemon's UDP port on the
//! task's own network interface, which the containers of an awsvpc task share. No port is
//! opened in the family's security group: the daemon is reached from its own task only.

use super::logging::sidecar_log_configuration;
use crate::cfn::r#ref;
use crate::diagnostics::join;
use crate::plan::families::Family;
use crate::plan::{Ctx, Emit};
use serde_json::{json, Value};

/// The daemon's container name, as ECS ComposeX names it.
pub const CONTAINER: &str = "xray-daemon";
/// What the SDKs read to find the daemon.
pub const ADDRESS_VARIABLE: &str = "AWS_XRAY_DAEMON_ADDRESS";
/// The daemon listens on 127.0.0.1:2000 (UDP for segments, TCP for sampling), its default.
pub const ADDRESS: &str = "127.0.0.1:2000";
/// The daemon's CPU units and memory (MiB), as ECS ComposeX sizes it.
pub const CPU: u64 = 32;
pub const MEMORY: u64 = 256;
/// The actions of AWSXRayDaemonWriteAccess: send segments and telemetry, read sampling rules
/// and targets. X-Ray has no resource-level permissions for them.
pub const ACTIONS: [&str; 5] = [
    "xray:GetSamplingRules",
    "xray:GetSamplingStatisticSummaries",
    "xray:GetSamplingTargets",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
];

/// The `x-xray` of the family's first service that asks for the daemon.
fn asked<'a>(ext: &'a crate::ext::Extensions, fam: &Family) -> Option<&'a crate::ext::xray::XRay> {
    fam.services.iter().find_map(|s| ext.service(s).xray.as_ref())
}

/// Plans what the daemon gives each family that runs it: the task role's statement and the
/// address in every container's environment.
pub fn plan(ctx: &mut Ctx) {
    for fam in ctx.plan.families.list.values() {
        let Some(x) = asked(&ctx.ext, fam) else { continue };
        if fam.services.iter().any(|s| s == CONTAINER) {
            ctx.d.error("CX5153",

                join("services", CONTAINER),
                format!("runs in task family {:?}, whose x-xray adds the X-Ray daemon under the same container name; rename the service", fam.name),
            );
            continue;
        }
        let statement = json!({"Sid": "XRayDaemonWrite", "Effect": "Allow", "Action": ACTIONS, "Resource": "*"});
        ctx.plan.grants.entry(fam.name.clone()).or_default().push(statement);
        for s in &fam.services {
            ctx.plan
                .env
                .entry(s.clone())
                .or_default()
                .insert(ADDRESS_VARIABLE.into(), (json!(ADDRESS), x.path.clone()));
        }
    }
}

/// The daemon's container for `fam`, when one of its services asks for it.
pub fn sidecar(ctx: &mut Emit, fam: &Family) -> Option<Value> {
    let x = asked(ctx.ext, fam)?;
    if fam.services.iter().any(|s| s == CONTAINER) {
        return None;
    }
    Some(json!({
        "Name": CONTAINER,
        "Image": x.image,
        // Tracing is best effort: the application keeps running if the daemon stops.
        "Essential": false,
        "Cpu": CPU,
        "Memory": MEMORY,
        "Environment": [{"Name": "AWS_REGION", "Value": r#ref("AWS::Region")}],
        "LogConfiguration": sidecar_log_configuration(fam, CONTAINER)
    }))
}
