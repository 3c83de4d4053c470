//! The Docker Compose ECS dialect (`x-aws-*`, from Docker's retired ECS integration) where no
//! other stage reads it: network `x-aws-securitygroup`, and the extension keys of `deploy` and
//! `update_config` ComposeX does not know.
//!
//! The others are read where they act: `x-aws-cluster` (cluster), `x-aws-vpc` (vpc, refused),
//! `x-aws-pull_credentials` (task, iam), `x-aws-role` and `x-aws-policies` (iam), `x-aws-keys`
//! (secrets), `x-aws-min_percent` / `x-aws-max_percent` (service), `deploy.x-aws-autoscaling`
//! (read at load time by `ext::scaling`), `x-aws-logs_retention` (`ext::logging`),
//! `x-aws-cloudformation` (overlay), and the load balancer's keys with load balancers.

use crate::compose::read::kind;
use crate::diagnostics::{join, Diagnostics};
use crate::plan::Ctx;
use serde_json::Value;

const SECURITY_GROUP: &str = "x-aws-securitygroup";

/// Reports what the dialect's keys that no stage reads get wrong; called once.
pub fn check(ctx: &mut Ctx) {
    let mut d = Diagnostics::new();
    for (name, net) in &ctx.project.networks {
        let path = join("networks", name);
        let external_sg = net.get("external").and_then(Value::as_bool) == Some(true)
            && net.get("name").and_then(Value::as_str).is_some_and(|n| n.starts_with("sg-"));
        let (key_path, group) = match net.get(SECURITY_GROUP) {
            Some(v) => {
                (join(&path, SECURITY_GROUP), v.as_str().map(str::to_string).unwrap_or_else(|| kind(v).to_string()))
            }
            None if external_sg => (join(&path, "name"), net["name"].as_str().unwrap_or_default().to_string()),
            None => continue,
        };
        d.error("CX5011", 
            key_path,
            format!(
                "ComposeX does not put tasks in an existing security group ({group}): each task family has its own, open only to the relations this file declares. To let the members of {group} reach the services of network {name:?}, give each of them x-network.Ingress.AwsSources: [{{Type: SecurityGroup, Id: {group}}}]; to let the tasks reach something that admits {group}, admit their groups there instead"
            ),
        );
    }
    for (name, s) in &ctx.project.services {
        let deploy = join(&join("services", name), "deploy");
        for k in s.deploy.extensions.keys().filter(|k| *k != "x-aws-autoscaling") {
            d.warn("CX5012", join(&deploy, k), "ignored: ComposeX does not know this extension");
        }
        if let Some(u) = &s.deploy.update_config {
            for k in u.extensions.keys().filter(|k| !matches!(k.as_str(), "x-aws-min_percent" | "x-aws-max_percent")) {
                d.warn(
                    "CX5013",
                    join(&join(&deploy, "update_config"), k),
                    "ignored: ComposeX does not know this extension",
                );
            }
        }
    }
    ctx.d.extend(d);
}
