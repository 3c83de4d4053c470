//! Where tasks run: Fargate, or EC2 capacity this stack builds. A family runs on EC2 when one
//! of its services asks for what Fargate cannot give: GPUs (`gpus`,
//! `deploy.resources.reservations.devices`), placement on hosts (`deploy.placement`
//! constraints, `max_replicas_per_node: 1`), or EC2 by name (ECS ComposeX's
//! `deploy.labels."ecs.compute.platform": EC2`).
//!
//! Each EC2 family gets the smallest instance type of [`GPU`], [`X86`] or [`ARM`] that holds its
//! task, and one ECS capacity provider per distinct need (instance type and instance
//! attributes): a launch template (the ECS-optimised AMI from an SSM-typed template parameter,
//! IMDSv2 only, an encrypted root volume, user data that joins the cluster), an Auto Scaling
//! group over the app subnets, and the capacity provider with managed scaling and managed
//! termination protection. The instances share one role (the two AWS managed policies an ECS
//! instance needs, nothing else), its instance profile and a security group without ingress
//! (tasks have their own network interfaces and groups, awsvpc). The cluster's capacity
//! providers move to an `AWS::ECS::ClusterCapacityProviderAssociations` that keeps
//! FARGATE and FARGATE_SPOT beside the new ones.
//!
//! It also checks every `x-ecs.CapacityProviderStrategy` against the providers of the cluster
//! the stack creates.

use crate::cfn::naming::pascal;
use crate::cfn::{get_att, r#ref};
use crate::compose::units::mib;
use crate::compose::{DeviceCount, Project, Service};
use crate::diagnostics::{index, join};
use crate::plan::families::Family;
use crate::plan::{Ctx, Ec2Family};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// ECS ComposeX's label that names where a service's tasks run.
pub const PLATFORM_LABEL: &str = "ecs.compute.platform";
pub const ASSOCIATIONS: &str = "ClusterCapacityProviderAssociations";
const ROLE: &str = "CapacityInstanceRole";
const PROFILE: &str = "CapacityInstanceProfile";
const GROUP: &str = "CapacitySecurityGroup";

/// An instance type: name, vCPUs, GiB of memory, GPUs.
pub type Instance = (&'static str, u64, u64, u64);

/// NVIDIA T4 GPU instances (x86_64), smallest first.
pub const GPU: &[Instance] = &[
    ("g4dn.xlarge", 4, 16, 1),
    ("g4dn.2xlarge", 8, 32, 1),
    ("g4dn.4xlarge", 16, 64, 1),
    ("g4dn.8xlarge", 32, 128, 1),
    ("g4dn.12xlarge", 48, 192, 4),
];
/// x86_64 instances, cheapest first: compute-optimised (2 GiB per vCPU) before general purpose
/// (4 GiB per vCPU) of the same size.
pub const X86: &[Instance] = &[
    ("c6i.large", 2, 4, 0),
    ("m6i.large", 2, 8, 0),
    ("c6i.xlarge", 4, 8, 0),
    ("m6i.xlarge", 4, 16, 0),
    ("c6i.2xlarge", 8, 16, 0),
    ("m6i.2xlarge", 8, 32, 0),
    ("c6i.4xlarge", 16, 32, 0),
    ("m6i.4xlarge", 16, 64, 0),
    ("c6i.8xlarge", 32, 64, 0),
    ("m6i.8xlarge", 32, 128, 0),
    ("m6i.12xlarge", 48, 192, 0),
    ("m6i.16xlarge", 64, 256, 0),
];
/// arm64 (Graviton) instances, in the same order.
pub const ARM: &[Instance] = &[
    ("c7g.large", 2, 4, 0),
    ("m7g.large", 2, 8, 0),
    ("c7g.xlarge", 4, 8, 0),
    ("m7g.xlarge", 4, 16, 0),
    ("c7g.2xlarge", 8, 16, 0),
    ("m7g.2xlarge", 8, 32, 0),
    ("c7g.4xlarge", 16, 32, 0),
    ("m7g.4xlarge", 16, 64, 0),
    ("c7g.8xlarge", 32, 64, 0),
    ("m7g.8xlarge", 32, 128, 0),
    ("m7g.12xlarge", 48, 192, 0),
    ("m7g.16xlarge", 64, 256, 0),
];

/// The ECS-optimised AMIs, as template parameters resolved by CloudFormation from the public
/// SSM parameters: (parameter, default SSM path, what it is).
const AMIS: &[(&str, &str, &str)] = &[
    (
        "CapacityImageGpu",
        "/aws/service/ecs/optimized-ami/amazon-linux-2/gpu/recommended/image_id",
        "ECS-optimised Amazon Linux 2 GPU AMI of the GPU instances",
    ),
    (
        "CapacityImageX86",
        "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id",
        "ECS-optimised Amazon Linux 2023 (x86_64) AMI of the x86_64 instances",
    ),
    (
        "CapacityImageArm64",
        "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id",
        "ECS-optimised Amazon Linux 2023 (arm64) AMI of the arm64 instances",
    ),
];

/// The share of an instance's memory its tasks may reserve: the rest is the operating system's
/// and the ECS agent's (ECS registers less memory than the instance type has).
const USABLE_PERCENT: u64 = 90;
/// The task size of a family that sets no `deploy.resources` (Fargate's smallest too).
const DEFAULT_TASK: (u64, u64) = (256, 512);
/// GiB of the encrypted root volume: the AMI's own size (30 GiB), and more for GPU images,
/// which carry CUDA libraries.
const ROOT_GIB: u64 = 30;
const GPU_ROOT_GIB: u64 = 100;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Arch {
    X86,
    Arm,
}

/// Instance attributes, sorted by name.
type Attributes = Vec<(String, String)>;

/// What one family asks of EC2.
struct Need {
    /// Why it runs on EC2: the path of the first value that asks for it.
    why: String,
    gpus: BTreeMap<String, u64>,
    arch: Arch,
    cpu: u64,
    memory: u64,
    /// Instance attributes its constraints require (`node.labels.disk == ssd`).
    attributes: BTreeMap<String, String>,
    constraints: Vec<Value>,
    strategies: Vec<Value>,
    max_tasks: u64,
}

/// Plans the capacity of every family, adds the EC2 capacity the EC2 families need, and checks
/// the capacity provider strategies.
pub fn plan(ctx: &mut Ctx) {
    let project = ctx.project;
    let created = ctx.plan.infra.cluster == r#ref("Cluster") && ctx.t.has("Cluster");
    let cluster_providers = if created { cluster_providers(ctx) } else { None };
    let mut needs: BTreeMap<String, Need> = BTreeMap::new();
    let families: Vec<Family> = ctx.plan.families.list.values().cloned().collect();
    for fam in &families {
        if let Some(need) = need(ctx, project, fam) {
            needs.insert(fam.name.clone(), need);
        }
    }
    // Strategies name providers of the cluster: checked against the cluster the stack creates
    // (an existing cluster's are unknown at transform time).
    for fam in &families {
        for name in &fam.services {
            let Some(strategy) = ctx.ext.service(name).deployment.capacity.clone() else { continue };
            let path = join(&join(&join("services", name), "x-ecs"), "CapacityProviderStrategy");
            if let Some(need) = needs.get(&fam.name) {
                ctx.d.error("CX5149", &path,
                    format!("task family {:?} runs on the EC2 capacity ComposeX builds for it ({} asks for EC2), and its ECS service uses that capacity provider; remove CapacityProviderStrategy", fam.name, need.why),
                );
                continue;
            }
            if let Some(known) = &cluster_providers {
                check_strategy(ctx, &strategy, &path, known);
            }
        }
    }
    if needs.is_empty() {
        return;
    }
    if !created {
        for need in needs.values() {
            ctx.d.error("CX5150", &need.why,
                "asks for EC2 capacity, which ComposeX builds only on the cluster it creates: associating capacity providers with an existing cluster would replace that cluster's own; remove x-cluster.Use (or x-aws-cluster), or run this service on Fargate",
            );
        }
        return;
    }
    // One capacity provider per distinct need: instance type and instance attributes.
    let mut providers: BTreeMap<(String, Attributes), Vec<String>> = BTreeMap::new();
    let mut chosen: BTreeMap<String, (Instance, Arch, bool)> = BTreeMap::new();
    for (fname, need) in &needs {
        let gpus: u64 = need.gpus.values().sum();
        let Some(instance) = instance_for(need.cpu, need.memory, gpus, need.arch) else {
            let table = if gpus > 0 {
                GPU
            } else if need.arch == Arch::Arm {
                ARM
            } else {
                X86
            };
            let (name, vcpus, gib, most) = table[table.len() - 1];
            ctx.d.error("CX5151", &need.why,
                format!(
                    "task family {fname:?} needs {} CPU units, {} MiB and {gpus} GPUs, more than the largest instance ComposeX chooses ({name}: {vcpus} vCPUs, {gib} GiB, {most} GPUs); lower deploy.resources or the GPU count",
                    need.cpu, need.memory
                ),
            );
            continue;
        };
        if gpus > 0 && need.arch == Arch::Arm {
            ctx.d.error("CX5152", &need.why, format!("task family {fname:?} asks for GPUs on arm64; the GPU instances ComposeX chooses are x86_64: use platform linux/amd64"));
            continue;
        }
        let attributes: Vec<(String, String)> = need.attributes.clone().into_iter().collect();
        providers.entry((instance.0.to_string(), attributes)).or_default().push(fname.clone());
        chosen.insert(instance.0.to_string(), (instance, need.arch, gpus > 0));
    }
    if ctx.d.has_errors() {
        return;
    }
    shared(ctx);
    let mut provider_ids = Vec::new();
    let mut images = BTreeSet::new();
    for ((itype, attributes), fams) in &providers {
        let (_, arch, gpu) = chosen[itype];
        let mut id = format!("Capacity{}", pascal(itype));
        for (k, v) in attributes {
            id.push_str(&pascal(&format!("{k}-{v}")));
        }
        let image = if gpu {
            AMIS[0]
        } else if arch == Arch::Arm {
            AMIS[2]
        } else {
            AMIS[1]
        };
        images.insert(image.0);
        let max: u64 = fams.iter().map(|f| needs[f].max_tasks).sum::<u64>().max(1);
        provider(ctx, &id, itype, image.0, gpu, attributes, max);
        let provider_id = format!("{id}Provider");
        for f in fams {
            let need = &needs[f];
            ctx.plan.compute.insert(
                f.clone(),
                Ec2Family {
                    provider: provider_id.clone(),
                    instance_type: itype.clone(),
                    cpu: need.cpu,
                    memory: need.memory,
                    gpus: need.gpus.clone(),
                    constraints: need.constraints.clone(),
                    strategies: need.strategies.clone(),
                },
            );
        }
        provider_ids.push(provider_id);
    }
    for (pid, path, what) in AMIS.iter().filter(|(pid, _, _)| images.contains(pid)) {
        let declaration = json!({
            "Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
            "Default": path,
            "Description": format!("The SSM parameter of the {what}")
        });
        if ctx.t.add_parameter("capacity", pid, declaration).is_err() {
            ctx.d.error(
                "CX5130",
                join("Parameters", pid),
                format!("{pid} is the template parameter of the {what}; rename yours"),
            );
        }
    }
    associations(ctx, &provider_ids);
}

/// What family `fam` asks of EC2, or `None` when it runs on Fargate. Placement a Fargate family
/// cannot use is reported here.
fn need(ctx: &mut Ctx, project: &Project, fam: &Family) -> Option<Need> {
    let mut why: Option<String> = None;
    let mut gpus = BTreeMap::new();
    let mut arch = Arch::X86;
    let mut attributes: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut constraints = Vec::new();
    let mut strategies = Vec::new();
    let mut preferences = Vec::new();
    let (mut cpu, mut memory) = (0u64, 0u64);
    for name in &fam.services {
        let s = &project.services[name];
        let base = join("services", name);
        if let Some(p) = &s.platform {
            if p.contains("arm64") || p.contains("aarch64") {
                arch = Arch::Arm;
            }
        }
        if ctx.ext.service(name).deployment.cpu_architecture.as_ref().is_some_and(|(a, _)| a == "ARM64") {
            arch = Arch::Arm;
        }
        let n = gpu_count(ctx, s);
        if n > 0 {
            gpus.insert(name.clone(), n);
            why.get_or_insert_with(|| {
                s.gpus.first().or(s.deploy.devices.first()).map(|r| r.path.clone()).unwrap_or_else(|| base.clone())
            });
        }
        if let Some(v) = s.deploy.labels.get(PLATFORM_LABEL) {
            let path = join(&join(&join(&base, "deploy"), "labels"), PLATFORM_LABEL);
            match v.as_str().map(str::to_ascii_uppercase).as_deref() {
                Some("EC2") => {
                    why.get_or_insert(path);
                }
                Some("FARGATE") => {}
                _ => ctx.d.error(
                    "CX5131",
                    &path,
                    format!(
                        "{} is not a compute platform ComposeX builds; use EC2 or FARGATE",
                        crate::compose::read::show(v)
                    ),
                ),
            }
        }
        let placement = &s.deploy.placement;
        for c in &placement.constraints {
            why.get_or_insert_with(|| c.path.clone());
            let op = if c.equal { "==" } else { "!=" };
            if let Some(label) = c.attribute.strip_prefix("node.labels.") {
                if !attribute_text(label) || !attribute_text(&c.value) {
                    ctx.d.error("CX5132", 
                        &c.path,
                        "an instance attribute's name and value are letters, digits and - _ . @ / : (at most 128); rename the label or its value",
                    );
                    continue;
                }
                if c.equal {
                    if let Some((other, at)) = attributes.get(label) {
                        if other != &c.value {
                            ctx.d.error("CX5133", &c.path, format!("{at} asks for {label} == {other} in the same task family; no instance can have both"));
                            continue;
                        }
                    }
                    attributes.insert(label.to_string(), (c.value.clone(), c.path.clone()));
                }
                constraints
                    .push(json!({"Type": "memberOf", "Expression": format!("attribute:{label} {op} {}", c.value)}));
            } else if c.attribute == "node.platform.arch" {
                let a = match c.value.as_str() {
                    "x86_64" | "amd64" => Arch::X86,
                    "aarch64" | "arm64" => Arch::Arm,
                    other => {
                        ctx.d.error(
                            "CX5134",
                            &c.path,
                            format!("{other:?} is not an architecture ComposeX builds; use x86_64 or aarch64"),
                        );
                        continue;
                    }
                };
                if c.equal {
                    arch = a;
                } else {
                    arch = if a == Arch::X86 { Arch::Arm } else { Arch::X86 };
                }
            } else if c.attribute == "node.platform.os" {
                if (c.value == "linux") != c.equal {
                    ctx.d.error("CX5135", &c.path, "ComposeX builds Linux instances only; remove the constraint");
                }
            } else {
                ctx.d.error("CX5136", 
                    &c.path,
                    format!("{} has no equivalent on ECS, which has no swarm roles, node IDs, hostnames nor engine labels; constrain node.labels.<label> (an instance attribute), node.platform.arch or node.platform.os", c.attribute),
                );
            }
        }
        if let Some((n, path)) = &placement.max_replicas_per_node {
            match n {
                0 => {}
                1 => {
                    why.get_or_insert_with(|| path.clone());
                    constraints.push(json!({"Type": "distinctInstance"}));
                }
                _ => ctx.d.error("CX5137", path, "ECS can place at most one task per instance (distinctInstance), or any number; use 1, or remove max_replicas_per_node"),
            }
        }
        for p in &placement.preferences {
            let field = if let Some(label) = p.spread.strip_prefix("node.labels.") {
                format!("attribute:{label}")
            } else if matches!(p.spread.as_str(), "node.id" | "node.hostname") {
                "instanceId".to_string()
            } else {
                ctx.d.error("CX5138", 
                    &p.path,
                    format!("{} has no equivalent on ECS; spread over node.labels.<label> (an instance attribute), node.id or node.hostname (instances)", p.spread),
                );
                continue;
            };
            preferences.push((field, p.path.clone()));
        }
        let units = s.deploy.limits.cpus.or(s.deploy.reservations.cpus).map(|c| (c * 1024.0).ceil() as u64);
        cpu += units.unwrap_or(0);
        memory += s.deploy.limits.memory.or(s.deploy.reservations.memory).map(mib).unwrap_or(0);
    }
    // The FireLens log router the family gets reserves memory too.
    let firelens = fam.services.iter().any(|n| {
        let s = &project.services[n];
        s.logging.as_ref().and_then(|l| l.driver.as_deref()) == Some("awsfirelens")
            || ctx.ext.service(n).firelens.as_ref().is_some_and(|f| f.replace_awslogs)
    });
    let router = if firelens { super::logging::ROUTER_MEMORY } else { 0 };
    let Some(why) = why else {
        for (_, path) in preferences {
            ctx.d.warn("CX5139", &path, "ignored: the family runs on Fargate, which spreads tasks over availability zones itself; ask for EC2 (deploy.labels.\"ecs.compute.platform\": EC2) to spread over instances");
        }
        return None;
    };
    for (field, _) in preferences {
        let s = json!({"Type": "spread", "Field": field});
        if !strategies.contains(&s) {
            strategies.push(s);
        }
    }
    let max_tasks = match ctx.plan.scaling.get(&fam.name) {
        Some(s) => s.max,
        None => fam
            .services
            .iter()
            .map(|n| project.services[n].deploy.replicas.as_ref().map_or(Some(1), Value::as_u64))
            .try_fold(1u64, |m, r| r.map(|r| m.max(r)))
            .unwrap_or(MAX_UNKNOWN),
    };
    Some(Need {
        why,
        gpus,
        arch,
        cpu: if cpu == 0 { DEFAULT_TASK.0 } else { cpu },
        memory: if memory == 0 { DEFAULT_TASK.1 } else { memory } + router,
        attributes: attributes.into_iter().map(|(k, (v, _))| (k, v)).collect(),
        constraints,
        strategies,
        max_tasks,
    })
}

/// The most instances of a provider whose task count is an intrinsic (unknown when the template
/// is transformed).
const MAX_UNKNOWN: u64 = 10;

/// The GPUs a service reserves, with the device requests ECS cannot honour reported. `all`
/// (compose's default count) reserves one GPU: ECS reserves whole GPUs by count, and "every GPU
/// of the host" depends on the instance, which is chosen from the count.
fn gpu_count(ctx: &mut Ctx, s: &Service) -> u64 {
    let mut total = 0;
    for r in s.gpus.iter().chain(&s.deploy.devices) {
        if !r.capabilities.iter().any(|c| c == "gpu") {
            ctx.d.error(
                "CX5140",
                join(&r.path, "capabilities"),
                format!("ECS reserves GPUs only, not {}; use capabilities: [gpu]", r.capabilities.join(", ")),
            );
            continue;
        }
        if let Some(driver) = r.driver.as_deref().filter(|d| *d != "nvidia") {
            ctx.d.error(
                "CX5141",
                join(&r.path, "driver"),
                format!("ECS GPU instances run NVIDIA GPUs, not {driver:?}; use driver: nvidia or remove driver"),
            );
        }
        if !r.device_ids.is_empty() {
            ctx.d.error(
                "CX5142",
                join(&r.path, "device_ids"),
                "ECS assigns a task's GPUs itself and cannot pin device IDs; use count",
            );
            continue;
        }
        if r.options {
            ctx.d.warn("CX5143", join(&r.path, "options"), "ignored: ECS passes no driver options to the GPU runtime");
        }
        match r.count {
            DeviceCount::All => total += 1,
            DeviceCount::Count(0) => ctx.d.error(
                "CX5144",
                join(&r.path, "count"),
                "a GPU reservation of 0 reserves nothing; use at least 1, or remove it",
            ),
            DeviceCount::Count(n) => total += n,
        }
    }
    total
}

/// An instance attribute's name or value ECS accepts, and that needs no quoting in an
/// expression nor escaping in user data.
fn attribute_text(s: &str) -> bool {
    !s.is_empty() && s.len() <= 128 && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.@/:".contains(c))
}

/// The smallest instance that holds a task of `cpu` units, `memory` MiB and `gpus` GPUs.
fn instance_for(cpu: u64, memory: u64, gpus: u64, arch: Arch) -> Option<Instance> {
    let table = if gpus > 0 {
        GPU
    } else if arch == Arch::Arm {
        ARM
    } else {
        X86
    };
    table
        .iter()
        .copied()
        .find(|&(_, vcpus, gib, g)| cpu <= vcpus * 1024 && memory <= gib * 1024 * USABLE_PERCENT / 100 && gpus <= g)
}

/// The capacity providers of the created cluster, when its properties list them literally.
fn cluster_providers(ctx: &Ctx) -> Option<Vec<String>> {
    let list = ctx.t.resource("Cluster")?["Properties"]["CapacityProviders"].as_array()?;
    list.iter().map(|v| v.as_str().map(String::from)).collect()
}

/// Each `CapacityProvider` of a strategy must be one of the cluster's.
fn check_strategy(ctx: &mut Ctx, strategy: &Value, path: &str, known: &[String]) {
    let Some(items) = strategy.as_array() else { return };
    for (i, item) in items.iter().enumerate() {
        let p = index(path, i);
        match item.get("CapacityProvider") {
            Some(Value::String(name)) if !known.contains(name) => ctx.d.error("CX5145", 
                join(&p, "CapacityProvider"),
                format!("{name:?} is not a capacity provider of the cluster; use one of {} (or add it to x-cluster.Properties.CapacityProviders)", known.join(", ")),
            ),
            Some(_) => {}
            None => ctx.d.error("CX5146", &p, "each strategy item needs a CapacityProvider"),
        }
    }
}

/// The instance role, profile and security group all EC2 capacity shares.
fn shared(ctx: &mut Ctx) {
    let policy = |name: &str| json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:iam::aws:policy/{name}")});
    ctx.add(
        "capacity",
        ROLE.into(),
        crate::cfn::resource(
            "AWS::IAM::Role",
            json!({
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]
                },
                "ManagedPolicyArns": [
                    policy("service-role/AmazonEC2ContainerServiceforEC2Role"),
                    policy("AmazonSSMManagedInstanceCore")
                ]
            }),
        ),
    );
    ctx.add(
        "capacity",
        PROFILE.into(),
        crate::cfn::resource("AWS::IAM::InstanceProfile", json!({"Roles": [r#ref(ROLE)]})),
    );
    let vpc = ctx.plan.infra.vpc_id.clone();
    ctx.add(
        "capacity",
        GROUP.into(),
        crate::cfn::resource(
            "AWS::EC2::SecurityGroup",
            json!({
                "GroupDescription": "ComposeX EC2 capacity: the container instances, reached by no one (tasks have their own interfaces)",
                "VpcId": vpc,
                "Tags": [{"Key": "Name", "Value": {"Fn::Sub": "${AWS::StackName}-capacity"}}]
            }),
        ),
    );
}

/// The launch template, Auto Scaling group and capacity provider of one instance type.
fn provider(ctx: &mut Ctx, id: &str, itype: &str, image: &str, gpu: bool, attributes: &[(String, String)], max: u64) {
    let mut config = vec!["ECS_CLUSTER=${Cluster}".to_string(), "ECS_AWSVPC_BLOCK_IMDS=true".to_string()];
    if gpu {
        config.push("ECS_ENABLE_GPU_SUPPORT=true".into());
    }
    if !attributes.is_empty() {
        let map: serde_json::Map<String, Value> =
            attributes.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        config.push(format!("ECS_INSTANCE_ATTRIBUTES={}", Value::Object(map)));
    }
    let user_data = format!("#!/bin/bash\ncat >> /etc/ecs/ecs.config <<'EOF'\n{}\nEOF\n", config.join("\n"));
    let template = format!("{id}LaunchTemplate");
    ctx.add(
        "capacity",
        template.clone(),
        crate::cfn::resource(
            "AWS::EC2::LaunchTemplate",
            json!({"LaunchTemplateData": {
                "ImageId": r#ref(image),
                "InstanceType": itype,
                "IamInstanceProfile": {"Arn": get_att(PROFILE, "Arn")},
                "SecurityGroupIds": [get_att(GROUP, "GroupId")],
                "MetadataOptions": {"HttpEndpoint": "enabled", "HttpTokens": "required", "HttpPutResponseHopLimit": 1},
                "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {
                    "Encrypted": true, "VolumeType": "gp3",
                    "VolumeSize": if gpu { GPU_ROOT_GIB } else { ROOT_GIB },
                    "DeleteOnTermination": true
                }}],
                "Monitoring": {"Enabled": true},
                "UserData": {"Fn::Base64": {"Fn::Sub": user_data}},
                "TagSpecifications": [{"ResourceType": "instance", "Tags": [
                    {"Key": "Name", "Value": {"Fn::Sub": format!("${{AWS::StackName}}-{itype}")}}
                ]}]
            }}),
        ),
    );
    let group = format!("{id}AutoScalingGroup");
    let mut asg = crate::cfn::resource(
        "AWS::AutoScaling::AutoScalingGroup",
        json!({
            "MinSize": "0",
            "MaxSize": max.to_string(),
            "VPCZoneIdentifier": ctx.plan.infra.app_subnets.clone(),
            "LaunchTemplate": {"LaunchTemplateId": r#ref(&template), "Version": get_att(&template, "LatestVersionNumber")},
            "NewInstancesProtectedFromScaleIn": true,
            "Tags": [{"Key": "Name", "Value": {"Fn::Sub": format!("${{AWS::StackName}}-{itype}")}, "PropagateAtLaunch": true}]
        }),
    );
    // Instances join the cluster through the NAT of a created VPC: they start once it routes.
    if !ctx.plan.infra.service_depends_on.is_empty() {
        asg["DependsOn"] = json!(ctx.plan.infra.service_depends_on);
    }
    ctx.add("capacity", group.clone(), asg);
    ctx.add(
        "capacity",
        format!("{id}Provider"),
        crate::cfn::resource(
            "AWS::ECS::CapacityProvider",
            json!({"AutoScalingGroupProvider": {
                "AutoScalingGroupArn": r#ref(&group),
                "ManagedScaling": {"Status": "ENABLED", "TargetCapacity": 100},
                "ManagedTerminationProtection": "ENABLED",
                "ManagedDraining": "ENABLED"
            }}),
        ),
    );
}

/// The cluster's capacity providers, moved from the cluster to one associations resource that
/// adds the EC2 providers (a cluster's providers are managed in one place only).
fn associations(ctx: &mut Ctx, providers: &[String]) {
    let Some(mut cluster) = ctx.t.resource("Cluster").cloned() else { return };
    let Some(props) = cluster["Properties"].as_object_mut() else { return };
    let own = props.remove("CapacityProviders").unwrap_or_else(|| json!(["FARGATE", "FARGATE_SPOT"]));
    let Some(own) = own.as_array().cloned() else {
        ctx.d.error("CX5148", 
            "x-cluster.Properties.CapacityProviders",
            "must be a list when the stack builds EC2 capacity: its providers join this list in the cluster's capacity provider associations; write the list out",
        );
        return;
    };
    let default = props
        .remove("DefaultCapacityProviderStrategy")
        .unwrap_or_else(|| json!([{"CapacityProvider": "FARGATE", "Weight": 1}]));
    ctx.t.replace("Cluster", cluster);
    let mut list: Vec<Value> = own;
    list.extend(providers.iter().map(|p| r#ref(p)));
    ctx.add(
        "capacity",
        ASSOCIATIONS.into(),
        crate::cfn::resource(
            "AWS::ECS::ClusterCapacityProviderAssociations",
            json!({"Cluster": r#ref("Cluster"), "CapacityProviders": list, "DefaultCapacityProviderStrategy": default}),
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smallest_instance_that_holds_the_task_is_chosen() {
        assert_eq!(instance_for(256, 512, 1, Arch::X86).unwrap().0, "g4dn.xlarge");
        assert_eq!(instance_for(256, 512, 2, Arch::X86).unwrap().0, "g4dn.12xlarge");
        assert_eq!(instance_for(4096, 20000, 1, Arch::X86).unwrap().0, "g4dn.2xlarge");
        assert_eq!(instance_for(256, 512, 0, Arch::X86).unwrap().0, "c6i.large");
        assert_eq!(instance_for(1024, 4096, 0, Arch::X86).unwrap().0, "m6i.large");
        assert_eq!(instance_for(2048, 3072, 0, Arch::Arm).unwrap().0, "c7g.large");
        assert!(instance_for(256, 512, 5, Arch::X86).is_none());
    }
}
