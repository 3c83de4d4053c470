//! The ECS service of a family: how many tasks, where they run, how they are replaced, how
//! they are found, and which other services must exist first.

use super::discovery::service_id as discovery_id;
use super::network::task_security_groups;
use super::task::task_definition_id;
use crate::cfn::{get_att, r#ref};
use crate::diagnostics::join;
use crate::plan::families::has_ports;
use crate::plan::families::{service_id, Family};
use crate::plan::Emit;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Seconds ECS ignores a new task's failing load-balancer health checks.
const DEFAULT_GRACE: u64 = 60;

pub fn expand(ctx: &mut Emit, fam: &Family) {
    let mut props = json!({
        "Cluster": ctx.plan.infra.cluster.clone(),
        "TaskDefinition": r#ref(&task_definition_id(fam)),
        "DesiredCount": desired_count(ctx, fam),
        "EnableECSManagedTags": true,
        "PropagateTags": "SERVICE",
        "DeploymentConfiguration": deployment(ctx, fam),
    });
    let (public, assign) = placement(ctx, fam);
    let subnets = if public { ctx.plan.infra.public_subnets.clone() } else { ctx.plan.infra.app_subnets.clone() };
    let groups = task_security_groups(ctx.ext, fam);
    props["NetworkConfiguration"] = json!({"AwsvpcConfiguration": {
        "AssignPublicIp": if assign { "ENABLED" } else { "DISABLED" },
        "SecurityGroups": groups,
        "Subnets": subnets
    }});
    let ec2 = ctx.plan.compute.get(&fam.name);
    match (ec2, capacity(ctx, fam)) {
        (Some(e), _) => {
            props["CapacityProviderStrategy"] = json!([{"CapacityProvider": r#ref(&e.provider), "Weight": 1}]);
            if !e.constraints.is_empty() {
                props["PlacementConstraints"] = json!(e.constraints);
            }
            if !e.strategies.is_empty() {
                props["PlacementStrategies"] = json!(e.strategies);
            }
        }
        (None, Some(strategy)) => props["CapacityProviderStrategy"] = strategy,
        (None, None) => props["LaunchType"] = json!("FARGATE"),
    }
    // ECS Exec: the task role holds the ssmmessages actions (`exec::plan`).
    if fam.services.iter().any(|n| ctx.ext.service(n).deployment.exec) {
        props["EnableExecuteCommand"] = json!(true);
    }
    if ctx.plan.infra.namespace_id.is_some() && has_ports(ctx.project, fam) {
        props["ServiceRegistries"] = json!([{"RegistryArn": get_att(&discovery_id(fam), "Arn")}]);
    }
    if let Some(connect) = super::connect::configuration(ctx, fam) {
        props["ServiceConnectConfiguration"] = connect;
    }
    if let Some(lb) = ctx.plan.load_balancers.get(&fam.name) {
        props["LoadBalancers"] = json!(lb.entries);
        // Without a grace period, a task slower to start than the load balancer's checks allow is
        // stopped before it is ready; a healthcheck's start_period sets a longer one.
        props["HealthCheckGracePeriodSeconds"] = json!(lb.grace.unwrap_or(DEFAULT_GRACE).max(DEFAULT_GRACE));
    }
    // Services of other families this one depends on start first (compose's depends_on).
    let mut depends: BTreeSet<String> = ctx.plan.infra.service_depends_on.iter().cloned().collect();
    // A capacity provider serves services once it is associated with the cluster.
    if ctx.plan.compute.contains_key(&fam.name) {
        depends.insert(super::capacity::ASSOCIATIONS.to_string());
    }
    depends.extend(ctx.plan.family_depends_on.get(&fam.name).cloned().unwrap_or_default());
    for other in ctx.plan.families.depends_on.get(&fam.name).cloned().unwrap_or_default() {
        if let Some(f) = ctx.plan.families.list.get(&other) {
            depends.insert(service_id(f));
        }
    }
    for name in &fam.services {
        let mut warnings = Vec::new();
        for dep in &ctx.project.services[name].depends_on {
            if let Some(fams) = ctx.plan.families.resolve(&dep.service) {
                if fams.iter().any(|f| f.name != fam.name) && dep.condition != crate::compose::Condition::Started {
                    warnings.push((dep.path.clone(), dep.service.clone()));
                }
            }
        }
        for (path, other) in warnings {
            ctx.d.warn("CX5075", 
                path,
                format!("{other:?} runs in another task: ECS cannot wait for its health or completion, only for its ECS service to be created; put both in one task family to wait"),
            );
        }
    }
    let mut resource = crate::cfn::resource("AWS::ECS::Service", props);
    if !depends.is_empty() {
        resource["DependsOn"] = json!(depends);
    }
    ctx.add(&fam.name, service_id(fam), resource);
    let output = format!("{}ServiceName", fam.id);
    if ctx.t.has_output_owner(&output) {
        ctx.d.error(
            "CX5076",
            join("Outputs", &output),
            format!("the output {output:?} is generated for task family {:?}; rename yours", fam.name),
        );
    } else {
        ctx.t.output(output, get_att(&service_id(fam), "Name"), &format!("ECS service of task family {}", fam.name));
    }
}

/// `deploy.replicas` of the family's services (the largest), default 1.
fn desired_count(ctx: &mut Emit, fam: &Family) -> Value {
    let mut count: Option<Value> = None;
    let mut from = None;
    for name in &fam.services {
        if let Some(r) = &ctx.project.services[name].deploy.replicas {
            if r.as_u64() > count.as_ref().and_then(Value::as_u64) || count.is_none() {
                from = Some(name.clone());
            }
            count = Some(match (&count, r) {
                (Some(Value::Number(a)), Value::Number(b)) => {
                    json!(a.as_u64().unwrap_or(0).max(b.as_u64().unwrap_or(0)))
                }
                _ => r.clone(),
            });
        }
    }
    let count = count.unwrap_or(json!(1));
    // With scaling, the count starts inside the range (a count below the minimum would be
    // raised by the first scaling action, and lowered back by every stack update).
    match (ctx.plan.scaling.get(&fam.name).map(|s| (s.min, s.max)), count.as_u64()) {
        (Some((min, max)), Some(n)) => {
            let start = n.clamp(min, max);
            if let Some(name) = from.filter(|_| start != n) {
                ctx.d.warn(
                    "CX5169",
                    format!("services.{name}.deploy.replicas"),
                    format!("the ECS service starts with {start} tasks, not {n}: its scaling range (x-scaling.Range, deploy.x-aws-autoscaling) keeps it between {min} and {max}; widen the range to run {n}"),
                );
            }
            json!(start)
        }
        _ => count,
    }
}

/// Rolling updates from `deploy.update_config`, with Docker's ECS formula: `parallelism` (p) of
/// `replicas` (r) tasks are replaced at a time, so at least (r-p)/r of the tasks stay healthy
/// and at most (r+p)/r run. The minimum is rounded down like Docker's; the maximum is rounded up
/// (Docker rounds it down), because ECS rounds the task count of a maximum down: 1 of 3 gets
/// 134 %, room for a 4th task. An explicit `order` keeps one side at 100 %: `stop-first` never
/// runs more tasks than `replicas`, `start-first` never fewer. `parallelism: 0` (compose: all at
/// once) replaces every task. `x-aws-min_percent` / `x-aws-max_percent` win over the formula.
/// The circuit breaker is always on; it rolls back unless `failure_action` is `pause` or
/// `continue`.
fn deployment(ctx: &mut Emit, fam: &Family) -> Value {
    let mut min = 100u64;
    let mut max = 200u64;
    let mut rollback = true;
    for name in &fam.services {
        let s = &ctx.project.services[name];
        let Some(u) = &s.deploy.update_config else { continue };
        if matches!(u.failure_action.as_deref(), Some("pause") | Some("continue")) {
            rollback = false;
        }
        // Only parallelism and order describe a rolling update; without them ECS's own
        // default (100 % healthy, 200 % at most), which is also Docker's, is kept.
        if u.parallelism.is_some() || u.order.is_some() {
            let replicas = s.deploy.replicas.as_ref().and_then(Value::as_u64).unwrap_or(1).max(1);
            let parallelism = match u.parallelism.unwrap_or(1) {
                0 => replicas,
                p => p.min(replicas),
            };
            // In u128: replicas is any whole number the input gives, and (r + p) * 100 must not
            // overflow (the result is a percentage, at most 200).
            let (r, p) = (u128::from(replicas), u128::from(parallelism));
            let low = ((r - p) * 100 / r) as u64;
            let high = ((r + p) * 100).div_ceil(r).min(200) as u64;
            (min, max) = match u.order.as_deref() {
                Some("start-first") => (100, high),
                Some("stop-first") => (low, 100),
                _ => (low, high),
            };
        }
        let x = &ctx.ext.service(name).deployment;
        min = x.min_percent.unwrap_or(min);
        max = x.max_percent.unwrap_or(max);
    }
    // The services without update_config come last: theirs win.
    for name in &fam.services {
        if ctx.project.services[name].deploy.update_config.is_none() {
            let x = &ctx.ext.service(name).deployment;
            min = x.min_percent.unwrap_or(min);
            max = x.max_percent.unwrap_or(max);
        }
    }
    if max <= min && max < 100 {
        ctx.d.error("CX5077", join("services", &fam.services[0]), format!("a deployment with at most {max}% and at least {min}% of the tasks can never replace one; raise the maximum"));
    }
    json!({
        "MinimumHealthyPercent": min,
        "MaximumPercent": max,
        "DeploymentCircuitBreaker": {"Enable": true, "Rollback": rollback}
    })
}

/// Public subnets when a service asks for a public IP (`x-network.AssignPublicIp`) or joins a
/// network marked `x-vpc: PublicSubnets` (ECS ComposeX); private app subnets otherwise.
fn placement(ctx: &mut Emit, fam: &Family) -> (bool, bool) {
    let mut public = false;
    let mut assign = false;
    for name in &fam.services {
        let s = &ctx.project.services[name];
        if ctx.ext.service(name).network.as_ref().is_some_and(|x| x.assign_public_ip) {
            assign = true;
            public = true;
        }
        for net in s.networks.iter().flatten() {
            if ctx.ext.public_networks.contains(net) {
                public = true;
            }
        }
    }
    if public && !assign {
        ctx.d.warn("CX5078", 
            join("services", &fam.services[0]),
            "runs in public subnets without a public IP, so it cannot pull images from the internet; set x-network.AssignPublicIp: true",
        );
    }
    (public, assign)
}

/// `x-ecs.CapacityProviderStrategy` of the family (ECS ComposeX), passed through: the last of
/// its services' that sets one.
fn capacity(ctx: &Emit, fam: &Family) -> Option<Value> {
    fam.services.iter().filter_map(|name| ctx.ext.service(name).deployment.capacity.clone()).next_back()
}

#[cfg(test)]
mod tests {
    use crate::macro_io::{render, Options};
    use serde_json::json;

    /// The rolling-update percentages of a replica count near u64::MAX, which overflowed u64.
    #[test]
    fn a_huge_replica_count_keeps_exact_percentages() {
        let doc = json!({"services": {"web": {"image": "nginx", "deploy": {"replicas": u64::MAX, "update_config": {"parallelism": 2}}}}});
        let r = render(&doc, &Options::default());
        let t = r.template.expect("renders").to_value();
        let config = &t["Resources"]["WebService"]["Properties"]["DeploymentConfiguration"];
        assert_eq!(
            (config["MinimumHealthyPercent"].as_u64(), config["MaximumPercent"].as_u64()),
            (Some(99), Some(101))
        );
    }
}
