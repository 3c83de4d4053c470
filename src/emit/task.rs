//! The task definition of a family: one container per service, the Fargate size that holds
//! them, the platform, the task's scratch volumes.

use super::iam::{execution_role_id, task_role_id};
use super::{logging, sizing};
use crate::cfn::{get_att, naming::pascal, r#ref};
use crate::compose::units::mib;
use crate::compose::{Condition, HealthTest, MountKind, Service};
use crate::diagnostics::{join, Diagnostics};
use crate::plan::families::Family;
use crate::plan::{Ctx, Emit};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub const EPHEMERAL_LABEL: &str = "ecs.ephemeral.storage";
/// Fargate's stop timeout ceiling, in seconds.
const MAX_STOP_TIMEOUT: f64 = 120.0;
/// The Linux capabilities ECS takes in `KernelCapabilities` (`ALL` for every one).
const CAPABILITIES: &[&str] = &[
    "ALL",
    "AUDIT_CONTROL",
    "AUDIT_WRITE",
    "BLOCK_SUSPEND",
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "IPC_LOCK",
    "IPC_OWNER",
    "KILL",
    "LEASE",
    "LINUX_IMMUTABLE",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "MKNOD",
    "NET_ADMIN",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_RAW",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_CHROOT",
    "SYS_MODULE",
    "SYS_NICE",
    "SYS_PACCT",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "SYSLOG",
    "WAKE_ALARM",
];

/// Whether ECS may set a kernel parameter in a container: only those of the container's own
/// network and IPC namespaces (`net.*`; `kernel.shm*`, `kernel.msg*`, `kernel.sem`, `fs.mqueue.*`).
fn namespaced_sysctl(name: &str) -> bool {
    ["net.", "kernel.shm", "kernel.msg", "fs.mqueue."].iter().any(|p| name.starts_with(p)) || name == "kernel.sem"
}

const ULIMITS: &[&str] = &[
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
];

/// `build` without `image`: the image is the template parameter the model refers to, an image in
/// Amazon ECR that the deployer passes (a pipeline: the image its build stage pushed).
pub fn images(ctx: &mut Ctx) {
    let project = ctx.project;
    for (name, s) in &project.services {
        let (Some(from), Some(pid)) = (&s.build, s.image["Ref"].as_str()) else { continue };
        let declaration = json!({
            "Type": "String",
            "Description": format!("Image of service {name}, built from {from}"),
            "AllowedPattern": super::iam::ECR_IMAGE,
            "ConstraintDescription": "an image in Amazon ECR: ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY:TAG (or @sha256:DIGEST)",
            "MaxLength": MAX_IMAGE
        });
        let what = format!("the image built from {from}");
        let pass = format!("{pid}=ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY:TAG");
        let path = join(&join("services", name), "build");
        ctx.parameter(pid, declaration, ("ECS cannot build images", &what), &pass, &path);
    }
}

pub fn task_definition_id(fam: &Family) -> String {
    format!("{}TaskDefinition", fam.id)
}

/// The task definition's family name, as an `Fn::Sub` text: `<stack>-<family>`.
pub fn family_name(fam: &Family) -> String {
    format!("${{AWS::StackName}}-{}", fam.name)
}

/// What the family's containers add up to.
#[derive(Default)]
struct Totals {
    cpu: u64,
    memory: u64,
}

pub fn expand(ctx: &mut Emit, fam: &Family) {
    let mut totals = Totals::default();
    let mut volumes: Vec<Value> = Vec::new();
    let mut containers = Vec::new();
    let mut ports_seen: BTreeMap<(u16, &'static str), String> = BTreeMap::new();
    // Containers that another container of the family waits to see complete are not essential:
    // an init container that exits must not stop the task.
    let mut non_essential = std::collections::BTreeSet::new();
    for name in &fam.services {
        for dep in &ctx.project.services[name].depends_on {
            if dep.condition == Condition::CompletedSuccessfully && fam.services.contains(&dep.service) {
                non_essential.insert(dep.service.clone());
            }
        }
    }
    if non_essential.len() == fam.services.len() {
        ctx.d.error(
            "CX5089",
            join("services", &fam.services[0]),
            format!(
                "every container of task family {:?} waits for another to complete; at least one must keep running",
                fam.name
            ),
        );
    }
    for name in &fam.services {
        let s = &ctx.project.services[name];
        for p in s.container_ports() {
            if let Some(other) = ports_seen.insert((p.target, p.protocol.as_str()), name.clone()) {
                if &other != name {
                    ctx.d.error("CX5090", &p.path, format!("{other:?} and {name:?} run in task family {:?} and share its network; both cannot listen on {}/{}", fam.name, p.target, p.protocol.as_str()));
                }
            }
        }
        let c = container(ctx, fam, s, !non_essential.contains(name), &mut volumes, &mut totals);
        containers.push(c);
    }
    if let Some(router) = logging::router(ctx, fam) {
        totals.memory += logging::ROUTER_MEMORY;
        containers.push(router);
    }
    if let Some(daemon) = super::xray::sidecar(ctx, fam) {
        totals.cpu += super::xray::CPU;
        totals.memory += super::xray::MEMORY;
        containers.push(daemon);
    }
    for sidecar in ctx.plan.sidecars.get(&fam.name).into_iter().flatten() {
        totals.cpu += sidecar.cpu;
        totals.memory += sidecar.memory;
        containers.push(sidecar.container.clone());
    }
    let ec2 = ctx.plan.compute.get(&fam.name);
    let (cpu, memory) = match (ec2, sizing::fargate_size(totals.cpu, totals.memory)) {
        (Some(e), _) => (e.cpu.max(totals.cpu), e.memory.max(totals.memory)),
        (None, Some(size)) => size,
        (None, None) => {
            ctx.d.error("CX5091", 
                join("services", &fam.services[0]),
                format!(
                    "task family {:?} needs {} CPU units and {} MiB of memory, more than the largest Fargate task (16384 units, 122880 MiB); lower deploy.resources",
                    fam.name,
                    totals.cpu,
                    totals.memory.max(512)
                ),
            );
            sizing::DEFAULT
        }
    };
    let mut props = json!({
        "Family": {"Fn::Sub": family_name(fam)},
        "Cpu": cpu.to_string(),
        "Memory": memory.to_string(),
        "NetworkMode": "awsvpc",
        "RequiresCompatibilities": [if ec2.is_some() { "EC2" } else { "FARGATE" }],
        "ExecutionRoleArn": get_att(&execution_role_id(fam), "Arn"),
    });
    props["ContainerDefinitions"] = Value::Array(containers);
    if ctx.t.has(&task_role_id(fam)) {
        props["TaskRoleArn"] = get_att(&task_role_id(fam), "Arn");
    }
    if !volumes.is_empty() {
        props["Volumes"] = Value::Array(volumes);
    }
    if let Some(arch) = platform(ctx, fam) {
        props["RuntimePlatform"] = json!({"CpuArchitecture": arch, "OperatingSystemFamily": "LINUX"});
    }
    if let Some(gib) = ephemeral_storage(ctx, fam) {
        props["EphemeralStorage"] = json!({"SizeInGiB": gib});
    }
    ctx.add(&fam.name, task_definition_id(fam), crate::cfn::resource("AWS::ECS::TaskDefinition", props));
}

/// `platform: linux/arm64` → ARM64, `linux/amd64` → X86_64; all containers of a task agree.
fn platform(ctx: &mut Emit, fam: &Family) -> Option<&'static str> {
    let mut arch: Option<(&'static str, String)> = None;
    for name in &fam.services {
        let Some(p) = &ctx.project.services[name].platform else { continue };
        let path = join(&join("services", name), "platform");
        let a = match p.as_str() {
            "linux/arm64" | "linux/arm64/v8" | "linux/aarch64" => "ARM64",
            "linux/amd64" | "linux/x86_64" | "linux/x86-64" => "X86_64",
            other => {
                ctx.d.error(
                    "CX5092",
                    &path,
                    format!("{other:?} is not a Fargate platform; use linux/amd64 or linux/arm64"),
                );
                continue;
            }
        };
        if let Some((prev, prev_name)) = &arch {
            if *prev != a {
                ctx.d.error("CX5093", &path, format!("{prev_name:?} runs on another platform in the same task family {:?}; one task runs on one CPU architecture", fam.name));
            }
        }
        arch = Some((a, name.clone()));
    }
    // ECS ComposeX's x-ecs.CpuArchitecture says the same in ECS's words.
    for name in &fam.services {
        let Some((a, path)) = &ctx.ext.service(name).deployment.cpu_architecture else { continue };
        let a: &'static str = if a == "ARM64" { "ARM64" } else { "X86_64" };
        if let Some((prev, prev_name)) = &arch {
            if *prev != a {
                let who = if prev_name == name { "its platform".to_string() } else { format!("{prev_name:?}") };
                ctx.d.error(
                    "CX5147",
                    path,
                    format!(
                        "{who} runs on {prev} in the same task family {:?}; one task runs on one CPU architecture",
                        fam.name
                    ),
                );
            }
        }
        arch = Some((a, name.clone()));
    }
    arch.map(|(a, _)| a)
}

/// ECS ComposeX's `deploy.labels."ecs.ephemeral.storage"`: GiB of task storage, 21 to 200.
fn ephemeral_storage(ctx: &mut Emit, fam: &Family) -> Option<u64> {
    let mut size = None;
    for name in &fam.services {
        let Some(v) = ctx.project.services[name].deploy.labels.get(EPHEMERAL_LABEL) else { continue };
        let path = join(&join(&join(&join("services", name), "deploy"), "labels"), EPHEMERAL_LABEL);
        let text = v.as_str().unwrap_or_default().trim().trim_end_matches(['G', 'B', 'g', 'b', 'i']).to_string();
        let Ok(gib) = text.parse::<u64>() else {
            ctx.d.error(
                "CX5094",
                &path,
                format!("{} is not a size in GiB; use a number from 21 to 200", crate::compose::read::show(v)),
            );
            continue;
        };
        let gib = if gib <= 20 {
            ctx.d.warn("CX5095", &path, format!("Fargate gives every task 20 GiB; {gib} GiB needs nothing more"));
            continue;
        } else if gib > 200 {
            ctx.d.warn(
                "CX5096",
                &path,
                format!("Fargate tasks have at most 200 GiB of storage; using 200 instead of {gib}"),
            );
            200
        } else {
            gib
        };
        size = Some(size.map_or(gib, |s: u64| s.max(gib)));
    }
    size
}

fn seconds(v: f64) -> u64 {
    v.ceil() as u64
}

/// A plain environment value naming only pseudo parameters (`${AWS::Region}`, as in a
/// CloudFormation `!Sub`) becomes that `Fn::Sub`: the container gets the region, not the text.
fn with_pseudo_parameters(v: Value) -> Value {
    match &v {
        Value::String(s) if crate::compose::interpolate::names_pseudo_parameters(s) => json!({ "Fn::Sub": s }),
        _ => v,
    }
}

/// The longest image reference ECS takes.
const MAX_IMAGE: usize = 255;

fn container(
    ctx: &mut Emit,
    fam: &Family,
    s: &Service,
    essential: bool,
    volumes: &mut Vec<Value>,
    totals: &mut Totals,
) -> Value {
    let base = join("services", &s.name);
    let mut c = Map::new();
    c.insert("Name".into(), json!(s.name));
    if let Some(image) = s.image.as_str().filter(|i| i.len() > MAX_IMAGE) {
        ctx.d.error("CX5097", 
            join(&join("services", &s.name), "image"),
            format!("the image is {} characters, and ECS takes at most {MAX_IMAGE}: use a shorter reference (a digest, sha256:…, is 71)", image.len()),
        );
    }
    c.insert("Image".into(), s.image.clone());
    c.insert("Essential".into(), json!(essential));
    if let Some(cmd) = &s.command {
        c.insert("Command".into(), json!(cmd));
    }
    if let Some(ep) = &s.entrypoint {
        c.insert("EntryPoint".into(), json!(ep));
    }
    // The compose environment (with `x-kind::name` references resolved, and the variables of
    // `x-environment.SetAsParameter` as their parameters), then what the resources the service
    // consumes give it; the compose file wins a name both set.
    let mut env: BTreeMap<String, Value> = BTreeMap::new();
    let env_path = join(&base, "environment");
    let parameters = &ctx.ext.service(&s.name).env_parameters;
    for (k, v) in &s.environment {
        if let Some(p) = parameters.iter().find(|p| &p.var == k) {
            env.insert(k.clone(), r#ref(&p.id));
            continue;
        }
        let p = join(&env_path, k);
        let v = crate::plan::refs::resolve(&ctx.plan.declared, v, &p, ctx.d);
        env.insert(k.clone(), with_pseudo_parameters(v));
    }
    let family_env = ctx.plan.family_env.get(&fam.name).into_iter().flatten();
    for (k, (v, from)) in ctx
        .plan
        .env
        .get(&s.name)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .chain(family_env.map(|(k, v)| (k.clone(), v.clone())))
    {
        match env.entry(k) {
            std::collections::btree_map::Entry::Occupied(e) => ctx.d.warn(
                "CX5098",
                join(&env_path, e.key()),
                format!("set here and by {from}; the value set here wins"),
            ),
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(v);
            }
        }
    }
    if !env.is_empty() {
        let list: Vec<Value> =
            env.into_iter().map(|(k, v)| crate::cfn::object([("Name", Value::String(k)), ("Value", v)])).collect();
        c.insert("Environment".into(), Value::Array(list));
    }
    if let Some(secrets) = ctx.plan.secrets.get(&s.name).filter(|m| !m.is_empty()) {
        let list: Vec<Value> = secrets.iter().map(|(k, v)| json!({"Name": k, "ValueFrom": v})).collect();
        c.insert("Secrets".into(), Value::Array(list));
    }
    // Ports: published and exposed container ports, once each.
    let mut mappings: BTreeMap<(u16, &str), Value> = BTreeMap::new();
    for p in &s.ports {
        if let Some(published) = p.published {
            let private = crate::plan::exposure::data_store(s, p).is_some();
            if published != p.target
                && !private
                && !ctx.plan.balanced_ports.contains(&(s.name.clone(), p.target, p.protocol))
            {
                ctx.d.error("CX5099", 
                    &p.path,
                    format!("publishes port {published} for container port {}, but no load balancer sends to it and a Fargate task is reached on the container port itself; publish the same port (\"{}:{}\"), or make it a target of x-elbv2", p.target, p.target, p.target),
                );
            }
        }
    }
    for p in s.container_ports() {
        let entry = mappings
            .entry((p.target, p.protocol.as_str()))
            .or_insert_with(|| json!({"ContainerPort": p.target, "Protocol": p.protocol.as_str()}));
        super::connect::name_mapping(entry, p);
    }
    if !mappings.is_empty() {
        c.insert("PortMappings".into(), Value::Array(mappings.into_values().collect()));
    }
    if let Some(h) = health_check(ctx.d, s) {
        c.insert("HealthCheck".into(), h);
    }
    resources(ctx, s, &mut c, totals);
    if let Some(n) = ctx.plan.compute.get(&fam.name).and_then(|e| e.gpus.get(&s.name)) {
        c.insert("ResourceRequirements".into(), json!([{"Type": "GPU", "Value": n.to_string()}]));
    }
    // Containers of the same family this one waits for.
    let mut deps: Vec<Value> = Vec::new();
    for dep in &s.depends_on {
        if !fam.services.contains(&dep.service) || dep.service == s.name {
            continue;
        }
        let cond = match dep.condition {
            Condition::Started => "START",
            Condition::Healthy => {
                let target = &ctx.project.services[&dep.service];
                if !target
                    .healthcheck
                    .as_ref()
                    .is_some_and(|h| matches!(h.test, HealthTest::Cmd(_) | HealthTest::Shell(_)))
                {
                    ctx.d.error(
                        "CX5100",
                        &dep.path,
                        format!(
                            "waits for {:?} to be healthy, but it has no healthcheck test; add one to it",
                            dep.service
                        ),
                    );
                }
                "HEALTHY"
            }
            Condition::CompletedSuccessfully => "SUCCESS",
        };
        deps.push(json!({"ContainerName": dep.service, "Condition": cond}));
    }
    // Sidecars that receive what the containers send (the CloudWatch agent's EMF listener)
    // start first, so that nothing sent at start-up is lost.
    for sidecar in ctx.plan.sidecars.get(&fam.name).into_iter().flatten().filter(|c| c.started_first) {
        deps.push(json!({"ContainerName": sidecar.container["Name"], "Condition": "START"}));
    }
    if !deps.is_empty() {
        c.insert("DependsOn".into(), Value::Array(deps));
    }
    if let Some(u) = &s.user {
        c.insert("User".into(), u.clone());
    }
    if let Some(w) = &s.working_dir {
        c.insert("WorkingDirectory".into(), w.clone());
    }
    if let Some(ro) = s.read_only {
        c.insert("ReadonlyRootFilesystem".into(), json!(ro));
    }
    if let Some(t) = s.stop_grace_period {
        let p = join(&base, "stop_grace_period");
        let t = if t > MAX_STOP_TIMEOUT {
            ctx.d.warn(
                "CX5101",
                &p,
                format!("Fargate waits at most {MAX_STOP_TIMEOUT} seconds before it kills a container; using 120"),
            );
            MAX_STOP_TIMEOUT
        } else {
            t
        };
        c.insert("StopTimeout".into(), json!(seconds(t)));
    }
    if !s.ulimits.is_empty() {
        let mut list = Vec::new();
        for u in &s.ulimits {
            if !ULIMITS.contains(&u.name.as_str()) {
                ctx.d.error(
                    "CX5102",
                    join(&join(&base, "ulimits"), &u.name),
                    format!("{:?} is not a ulimit ECS knows; use one of {}", u.name, ULIMITS.join(", ")),
                );
            } else if u.soft > u.hard {
                ctx.d.error("CX5103", join(&join(&base, "ulimits"), &u.name), "the soft limit is above the hard limit");
            }
            list.push(json!({"Name": u.name, "SoftLimit": u.soft, "HardLimit": u.hard}));
        }
        c.insert("Ulimits".into(), Value::Array(list));
    }
    if !s.labels.is_empty() {
        c.insert("DockerLabels".into(), json!(s.labels));
    }
    for k in s.sysctls.keys().filter(|k| !namespaced_sysctl(k)) {
        ctx.d.error(
            "CX5174",
            join(&join(&base, "sysctls"), k),
            format!("{k} is a kernel parameter of the host, not of the container: ECS sets only namespaced ones (net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*), and a task that asks for another does not start; remove it, and have the application do without it (for Elasticsearch and vm.max_map_count: node.store.allow_mmap=false in environment, or Amazon OpenSearch Service with x-opensearch)"),
        );
    }
    if !s.sysctls.is_empty() {
        let list: Vec<Value> = s.sysctls.iter().map(|(k, v)| json!({"Namespace": k, "Value": v})).collect();
        c.insert("SystemControls".into(), Value::Array(list));
    }
    let mut linux = Map::new();
    if let Some(init) = s.init {
        linux.insert("InitProcessEnabled".into(), json!(init));
    }
    let mut add = Vec::new();
    // On EC2 capacity a container may add any capability (the file asks for it by name);
    // Fargate allows SYS_PTRACE only.
    let ec2 = ctx.plan.compute.contains_key(&fam.name);
    for (key, caps) in [("cap_add", &s.cap_add), ("cap_drop", &s.cap_drop)] {
        for (i, cap) in caps.iter().enumerate().filter(|(_, c)| !CAPABILITIES.contains(&c.as_str())) {
            ctx.d.error(
                "CX5175",
                format!("{base}.{key}[{i}]"),
                format!(
                    "{cap} is not a Linux capability ECS knows; use one of {} (in any case, with or without CAP_)",
                    CAPABILITIES.join(", ")
                ),
            );
        }
    }
    let known = |caps: &[String]| -> Vec<Value> {
        let mut out: Vec<Value> = Vec::new();
        for c in caps.iter().filter(|c| CAPABILITIES.contains(&c.as_str())) {
            if !out.contains(&json!(c)) {
                out.push(json!(c));
            }
        }
        out
    };
    let drop = known(&s.cap_drop);
    for (i, cap) in s.cap_add.iter().enumerate() {
        if !CAPABILITIES.contains(&cap.as_str()) || add.contains(&json!(cap)) {
            continue;
        }
        if cap == "SYS_PTRACE" || ec2 {
            add.push(json!(cap));
        } else {
            ctx.d.warn(
                "CX5104",
                format!("{base}.cap_add[{i}]"),
                format!("Fargate can only add SYS_PTRACE; {cap} is left out"),
            );
        }
    }
    let mut caps = Map::new();
    if !add.is_empty() {
        caps.insert("Add".into(), Value::Array(add));
    }
    if !drop.is_empty() {
        caps.insert("Drop".into(), Value::Array(drop));
    }
    if !caps.is_empty() {
        linux.insert("Capabilities".into(), Value::Object(caps));
    }
    if !linux.is_empty() {
        c.insert("LinuxParameters".into(), Value::Object(linux));
    }
    let mut mounts = Vec::new();
    for m in &s.volumes {
        match m.kind {
            MountKind::Anonymous | MountKind::Tmpfs => {
                if m.kind == MountKind::Tmpfs {
                    ctx.d.warn("CX5105", &m.path, format!("Fargate has no tmpfs; {} is scratch space on the task's own storage instead", m.target));
                }
                let name = format!("{}-scratch-{}", pascal(&s.name), volumes.len() + 1);
                volumes.push(json!({"Name": name}));
                mounts.push(json!({"SourceVolume": name, "ContainerPath": m.target, "ReadOnly": m.read_only}));
            }
            MountKind::Bind => ctx.d.error("CX5106", 
                &m.path,
                format!("bind mounts need files of the docker host, which Fargate does not have; copy {} into the image, or use a named volume", m.source.as_deref().unwrap_or("the files")),
            ),
            MountKind::Volume => {
                let Some(vol) = m.source.as_ref().and_then(|src| ctx.plan.volumes.get(src)).cloned() else { continue };
                if !volumes.contains(&vol) {
                    volumes.push(vol.clone());
                }
                mounts.push(json!({"SourceVolume": vol["Name"], "ContainerPath": m.target, "ReadOnly": m.read_only}));
            }
        }
    }
    if !mounts.is_empty() {
        c.insert("MountPoints".into(), Value::Array(mounts));
    }
    if let Some(v) = &ctx.ext.service(&s.name).iam.pull_credentials {
        c.insert("RepositoryCredentials".into(), json!({"CredentialsParameter": v}));
    }
    c.insert("LogConfiguration".into(), logging::container_config(ctx, fam, s));
    Value::Object(c)
}

/// `healthcheck` → ECS `HealthCheck`, with docker's defaults (30 s interval, 30 s timeout,
/// 3 retries) made explicit and ECS's bounds checked.
fn health_check(d: &mut Diagnostics, s: &Service) -> Option<Value> {
    let h = s.healthcheck.as_ref()?;
    let command = match &h.test {
        HealthTest::Disabled => return None,
        HealthTest::Inherit => {
            d.warn(
                "CX5107",
                &h.path,
                "has no test: ECS cannot use the image's own HEALTHCHECK, so no health check is set; add test",
            );
            return None;
        }
        HealthTest::Cmd(words) => {
            let mut v = vec![json!("CMD")];
            v.extend(words.iter().cloned());
            v
        }
        HealthTest::Shell(cmd) => vec![json!("CMD-SHELL"), cmd.clone()],
    };
    let mut check = |field: &str, key: &str, v: Option<f64>, default: u64, lo: u64, hi: u64| -> (String, u64) {
        let value = v.map(seconds).unwrap_or(default);
        // Docker takes any value; ECS refuses a task definition outside its bounds. The nearest
        // bound keeps the intent and the deploy working; the warning says what changed.
        if value < lo || value > hi {
            let unit = if field == "retries" { "" } else { " seconds" };
            let used = value.clamp(lo, hi);
            d.warn(
                "CX5108",
                join(&h.path, field),
                format!("ECS accepts a health check {field} of {lo} to {hi}{unit}; using {used} instead of {value}"),
            );
            return (key.to_string(), used);
        }
        (key.to_string(), value)
    };
    let mut out = Map::new();
    out.insert("Command".into(), Value::Array(command));
    for (k, v) in [
        check("interval", "Interval", h.interval, 30, 5, 300),
        check("timeout", "Timeout", h.timeout, 30, 2, 60),
        check("retries", "Retries", h.retries.map(|r| r as f64), 3, 1, 10),
    ] {
        out.insert(k, json!(v));
    }
    if h.start_period.is_some() {
        let (k, v) = check("start_period", "StartPeriod", h.start_period, 0, 0, 300);
        out.insert(k, json!(v));
    }
    Some(Value::Object(out))
}

/// Container CPU and memory from `deploy.resources`, added to the family's totals.
fn resources(ctx: &mut Emit, s: &Service, c: &mut Map<String, Value>, totals: &mut Totals) {
    let path = join(&join(&join("services", &s.name), "deploy"), "resources");
    let (lim, res) = (s.deploy.limits, s.deploy.reservations);
    if let Some(cpus) = lim.cpus.or(res.cpus) {
        let units = (cpus * 1024.0).ceil() as u64;
        c.insert("Cpu".into(), json!(units));
        totals.cpu += units;
    }
    let hard = lim.memory.map(mib);
    let soft = res.memory.map(mib);
    if let (Some(h), Some(so)) = (hard, soft) {
        if so > h {
            ctx.d.error(
                "CX5109",
                format!("{path}.reservations.memory"),
                format!("reserves {so} MiB, more than the {h} MiB limit; lower the reservation or raise the limit"),
            );
        }
    }
    if let Some(h) = hard {
        if h < 6 {
            ctx.d.error("CX5110", format!("{path}.limits.memory"), "ECS needs at least 6 MiB for a container");
        }
        c.insert("Memory".into(), json!(h));
    }
    if let Some(so) = soft {
        if hard != Some(so) {
            c.insert("MemoryReservation".into(), json!(so.max(6)));
        }
    }
    totals.memory += hard.or(soft).unwrap_or(0);
}
