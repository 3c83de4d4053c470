//! Named volumes → Amazon EFS: an encrypted file system kept when the stack is deleted, with
//! the properties the file sets (`driver_opts`, `x-efs`: read by `ext::efs`), an access point
//! (owner and permissions from `driver_opts`: `uid`, `gid`, `permissions`), mount targets in the
//! app subnets (or the storage subnets), and for the families that mount it — only them — an IAM
//! grant to mount it through the access point and NFS ingress from their security group.
//! `external: true` with `name: fs-…` uses an existing file system.

use super::network::security_group_id;
use crate::cfn::{get_att, is_intrinsic, naming::pascal, r#ref};
use crate::compose::MountKind;
use crate::diagnostics::join;
use crate::ext::efs::{Subnets, Volume};
use crate::plan::refs::resolve;
use crate::plan::Ctx;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

const NFS: u16 = 2049;

/// The name of the volume in task definitions (letters, digits, `-`, `_`).
pub fn task_volume_name(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect()
}

pub fn expand(ctx: &mut Ctx) {
    // Volume → family → whether some mount of it in that family writes.
    let mut users: BTreeMap<String, BTreeMap<String, bool>> = BTreeMap::new();
    for (svc, s) in &ctx.project.services {
        for m in s.volumes.iter().filter(|m| m.kind == MountKind::Volume) {
            let Some(src) = &m.source else { continue };
            if !ctx.project.volumes.contains_key(src) {
                ctx.d.error(
                    "CX5111",
                    &m.path,
                    format!("volume {src:?} is not declared; add it under the top-level volumes"),
                );
                continue;
            }
            for f in ctx.plan.families.of_service.get(svc).cloned().unwrap_or_default() {
                *users.entry(src.clone()).or_default().entry(f).or_default() |= !m.read_only;
            }
        }
    }
    let defs = ctx.project.volumes.clone();
    for (name, def) in &defs {
        let path = join("volumes", name);
        let settings = ctx.ext.volumes.get(name).cloned().unwrap_or_default();
        services_agree(ctx, name, &settings);
        let Some(fams) = users.get(name) else {
            ctx.d.warn("CX5112", &path, "no service mounts it, so no file system is created");
            continue;
        };
        let m = def.as_object().cloned().unwrap_or_default();
        for k in m.keys() {
            if !matches!(k.as_str(), "external" | "name" | "driver" | "driver_opts" | "labels") && !k.starts_with("x-")
            {
                ctx.d.error(
                    "CX5113",
                    join(&path, k),
                    format!("{k:?} is not a volume key; use driver_opts, or external and name"),
                );
            }
        }
        if let Some(d) = m.get("driver").and_then(Value::as_str) {
            if !matches!(d, "local" | "efs" | "amazon-efs") {
                ctx.d.warn("CX5114", join(&path, "driver"), format!("the {d} driver is replaced by Amazon EFS"));
            }
        }
        if host_storage(ctx, &m, &path) {
            continue;
        }
        let external = m.get("external").is_some_and(|v| v.as_bool() == Some(true) || v.as_str() == Some("true"));
        let (config, arn, condition) = if external {
            for p in &settings.configured {
                ctx.d.error(
                    "CX5170",
                    p,
                    format!("volume {name:?} is an existing file system (external: true), which ComposeX does not configure; set this on the file system itself, or drop external to have ComposeX create it"),
                );
            }
            match existing(ctx, name, &m, &path) {
                Some(x) => x,
                None => continue,
            }
        } else {
            create(ctx, name, &settings, &path, fams)
        };
        for (fam, writes) in fams {
            let mut actions = vec!["elasticfilesystem:ClientMount"];
            if *writes {
                actions.push("elasticfilesystem:ClientWrite");
            }
            let mut st = json!({"Effect": "Allow", "Action": actions, "Resource": arn.clone()});
            if let Some(c) = &condition {
                st["Condition"] = c.clone();
            }
            ctx.plan.grants.entry(fam.clone()).or_default().push(st);
        }
        ctx.plan
            .volumes
            .insert(name.clone(), json!({"Name": task_volume_name(name), "EFSVolumeConfiguration": config}));
    }
}

/// An existing file system: its ID from `name`.
fn existing(ctx: &mut Ctx, name: &str, m: &Map<String, Value>, path: &str) -> Option<(Value, Value, Option<Value>)> {
    let Some(id) = m.get("name").cloned() else {
        ctx.d.error(
            "CX5115",
            join(path, "name"),
            "an external volume needs name, the ID of the EFS file system (fs-…)",
        );
        return None;
    };
    let arn = match &id {
        Value::String(s) if s.starts_with("fs-") => {
            json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:elasticfilesystem:${{AWS::Region}}:${{AWS::AccountId}}:file-system/{s}")})
        }
        v if is_intrinsic(v) => {
            json!({"Fn::Sub": ["arn:${AWS::Partition}:elasticfilesystem:${AWS::Region}:${AWS::AccountId}:file-system/${Id}", {"Id": v}]})
        }
        other => {
            ctx.d.error(
                "CX5116",
                join(path, "name"),
                format!("{} is not an EFS file system ID (fs-…)", crate::compose::read::show(other)),
            );
            return None;
        }
    };
    ctx.d.warn("CX5117", 
        path,
        format!("uses an existing file system: ComposeX cannot open its mount targets to the services that mount {name:?}; allow NFS (2049/tcp) from their security groups on the file system's"),
    );
    Some((
        json!({"FilesystemId": id, "TransitEncryption": "ENABLED", "AuthorizationConfig": {"IAM": "ENABLED"}}),
        arn,
        None,
    ))
}

/// Without a file-system policy, any NFS client that reaches a mount target mounts the file
/// system as root. This one refuses connections without TLS and leaves access to IAM: the task
/// roles' grants (ClientMount, ClientWrite) through a mount target, as the tasks mount it.
fn file_system_policy() -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {
            "Sid": "DenyWithoutTls",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "*",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        },
        {
            "Sid": "AccountGrantsThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
            "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
            "Resource": "*",
            "Condition": {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}}
        }
    ]})
}

/// The file system's properties: ComposeX's own (encryption, the policy, the `Name` tag), then
/// what the file sets (its tags after ComposeX's `Name`).
fn file_system_properties(name: &str, v: &Volume) -> Value {
    let mut tags = vec![json!({"Key": "Name", "Value": {"Fn::Sub": format!("${{AWS::StackName}}-{name}")}})];
    let mut props = Map::new();
    props.insert("Encrypted".into(), json!(true));
    props.insert("FileSystemPolicy".into(), file_system_policy());
    for (k, (_, x)) in &v.properties {
        match (k.as_str(), x) {
            ("FileSystemTags", Value::Array(list)) => {
                tags.extend(list.iter().filter(|t| t.get("Key").and_then(Value::as_str) != Some("Name")).cloned());
            }
            _ => {
                props.insert(k.clone(), x.clone());
            }
        }
    }
    props.insert("FileSystemTags".into(), Value::Array(tags));
    Value::Object(props)
}

/// `Services` of the volume's `x-efs`, when written, names the services that mount it: ComposeX
/// grants access from the mounts, so a named service that mounts nothing, a mount by a service
/// not named, and `Access: RO` beside a writing mount are errors; `Access: RW` beside read-only
/// mounts only (they get no write) is a warning.
fn services_agree(ctx: &mut Ctx, name: &str, v: &Volume) {
    let Some((services_path, consumers)) = &v.services else { return };
    // Service → whether one of its mounts of the volume writes.
    let mut mounts: BTreeMap<String, (bool, String)> = BTreeMap::new();
    for (svc, s) in &ctx.project.services {
        for m in s.volumes.iter().filter(|m| m.kind == MountKind::Volume && m.source.as_deref() == Some(name)) {
            let e = mounts.entry(svc.clone()).or_insert((false, m.path.clone()));
            if !m.read_only {
                *e = (true, m.path.clone());
            }
        }
    }
    let families = ctx.plan.families.list.clone();
    let services_of = |n: &str| -> Option<Vec<String>> {
        if ctx.project.services.contains_key(n) {
            Some(vec![n.to_string()])
        } else {
            families.get(n).map(|f| f.services.clone())
        }
    };
    let mut named = Vec::new();
    for c in consumers {
        let Some(list) = services_of(&c.name) else {
            ctx.d.error("CX5171", &c.path, format!("{:?} is neither a service nor a task family", c.name));
            continue;
        };
        let mounting: Vec<&String> = list.iter().filter(|s| mounts.contains_key(*s)).collect();
        if mounting.is_empty() {
            ctx.d.error(
                "CX5172",
                &c.path,
                format!("{} does not mount volume {name:?}; ComposeX gives access to the services that mount it: add `{name}:/path` to its volumes, or remove it from Services", c.name),
            );
        }
        for s in mounting {
            let (writes, at) = &mounts[s];
            match c.read_only {
                Some(true) if *writes => ctx.d.error(
                    "CX5173",
                    join(&c.path, "Access"),
                    format!("{at} mounts the volume read-write; add :ro to the mount, or write Access: RW"),
                ),
                Some(false) if !*writes => ctx.d.warn(
                    "CX5167",
                    join(&c.path, "Access"),
                    format!("{at} mounts the volume read-only, so {s} gets no write access"),
                ),
                _ => {}
            }
        }
        named.extend(list);
    }
    for (s, (_, at)) in &mounts {
        if !named.contains(s) {
            ctx.d.error(
                "CX5176",
                at,
                format!("{s} mounts volume {name:?}, which {services_path} does not name; add {s} to it, or leave Services out (ComposeX gives access to the services that mount the volume)"),
            );
        }
    }
}

fn create(
    ctx: &mut Ctx,
    name: &str,
    v: &Volume,
    path: &str,
    fams: &BTreeMap<String, bool>,
) -> (Value, Value, Option<Value>) {
    let base = pascal(name);
    let fs = format!("{base}FileSystem");
    let sg = format!("{base}FileSystemSecurityGroup");
    let ap = format!("{base}AccessPoint");
    // `x-kms::key::Arn` and the like in the properties become the key's intrinsic.
    let mut v = v.clone();
    for (p, x) in v.properties.values_mut() {
        *x = resolve(&ctx.plan.declared, x, p, &mut ctx.d);
    }
    let v = &v;
    ctx.add(
        path,
        fs.clone(),
        json!({"Type": "AWS::EFS::FileSystem", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": file_system_properties(name, v)}),
    );
    let vpc = ctx.plan.infra.vpc_id.clone();
    ctx.add(
        path,
        sg.clone(),
        json!({"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": format!("ComposeX volume {name}: NFS from the task families that mount it"),
            "VpcId": vpc
        }}),
    );
    // Mount targets: one per app subnet (or storage subnet).
    let (subnets, which) = match v.subnets {
        Subnets::App => (&ctx.plan.infra.app_subnets, "app"),
        Subnets::Storage => (&ctx.plan.infra.storage_subnets, "storage"),
    };
    let subnets: Vec<Value> = match subnets.clone() {
        Value::Array(list) => list,
        other => {
            ctx.d.warn(
                "CX5118",
                path,
                format!(
                    "the {which} subnets are an intrinsic function: mount targets are made in the first two of them"
                ),
            );
            (0..2).map(|i| json!({"Fn::Select": [i, other]})).collect()
        }
    };
    let mut targets = Vec::new();
    for (i, subnet) in subnets.iter().enumerate() {
        let id = format!("{base}MountTarget{}", i + 1);
        ctx.add(
            path,
            id.clone(),
            json!({"Type": "AWS::EFS::MountTarget", "Properties": {
                "FileSystemId": r#ref(&fs), "SubnetId": subnet, "SecurityGroups": [get_att(&sg, "GroupId")]
            }}),
        );
        targets.push(id);
    }
    let mut ap_props = json!({"FileSystemId": r#ref(&fs)});
    let text = |x: &Option<(String, String)>| x.as_ref().map(|(_, t)| t.clone());
    let (uid, gid, perms) = (text(&v.uid), text(&v.gid), text(&v.permissions).or_else(|| text(&v.root_mode)));
    if let (Some(u), Some(g)) = (&uid, &gid) {
        ap_props["PosixUser"] = json!({"Uid": u, "Gid": g});
        ap_props["RootDirectory"] = json!({"Path": format!("/{}", task_volume_name(name)), "CreationInfo": {
            "OwnerUid": u, "OwnerGid": g, "Permissions": perms.clone().unwrap_or_else(|| "755".into())
        }});
    } else if uid.is_some() || gid.is_some() || v.permissions.is_some() {
        ctx.d.error(
            "CX5119",
            join(path, "driver_opts"),
            "the access point needs both uid and gid (and optionally permissions) to own the volume's root",
        );
    } else if let Some((p, _)) = &v.root_mode {
        ctx.d.error(
            "CX5177",
            p,
            format!(
                "the access point creates its root directory only with an owner: add uid and gid to {path}.driver_opts"
            ),
        );
    }
    ctx.add(path, ap.clone(), json!({"Type": "AWS::EFS::AccessPoint", "Properties": ap_props}));
    for fam_name in fams.keys() {
        let Some(fam) = ctx.plan.families.list.get(fam_name).cloned() else { continue };
        ctx.add(
            path,
            format!("{sg}From{}Tcp{NFS}Ingress", fam.id),
            json!({"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
                "GroupId": get_att(&sg, "GroupId"),
                "SourceSecurityGroupId": get_att(&security_group_id(&fam), "GroupId"),
                "IpProtocol": "tcp", "FromPort": NFS, "ToPort": NFS,
                "Description": format!("{} to volume {name} on {NFS}/tcp (mounts it)", fam.name)
            }}),
        );
        ctx.plan.family_depends_on.entry(fam_name.clone()).or_default().extend(targets.iter().cloned());
    }
    (
        json!({"FilesystemId": r#ref(&fs), "TransitEncryption": "ENABLED", "AuthorizationConfig": {"AccessPointId": r#ref(&ap), "IAM": "ENABLED"}}),
        get_att(&fs, "Arn"),
        Some(json!({"StringEquals": {"elasticfilesystem:AccessPointArn": get_att(&ap, "Arn")}})),
    )
}

/// `driver_opts` `type`, `o` and `device` of the local driver mount storage of the docker host
/// (a host folder with `o: bind`, an NFS server with `type: nfs`, a disk), which a new EFS file
/// system would silently replace with an empty one: an error with the way out. Whether it
/// refused the volume.
fn host_storage(ctx: &mut Ctx, m: &Map<String, Value>, path: &str) -> bool {
    let Some(opts) = m.get("driver_opts").and_then(Value::as_object) else { return false };
    let at = join(path, "driver_opts");
    let text = |k: &str| opts.get(k).map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string));
    let (kind, o, device) = (text("type"), text("o").unwrap_or_default(), text("device"));
    if kind.is_none() && o.is_empty() && device.is_none() {
        return false;
    }
    let options: Vec<&str> = o.split(',').map(str::trim).collect();
    let key = if kind.is_some() {
        "type"
    } else if !o.is_empty() {
        "o"
    } else {
        "device"
    };
    let device = device.map(|d| format!(" {d}")).unwrap_or_default();
    if options.contains(&"bind") || kind.as_deref() == Some("none") {
        ctx.d.error(
            "CX5178",
            join(&at, key),
            format!("binds the folder{device} of the docker host, which Fargate does not have, as with a bind mount; copy the files into the image, or remove type, o and device to get a new EFS file system"),
        );
    } else if kind.as_deref().is_some_and(|k| k.starts_with("nfs")) || options.iter().any(|o| o.starts_with("addr=")) {
        let server =
            options.iter().find_map(|o| o.strip_prefix("addr=")).map(|a| format!(" of {a}")).unwrap_or_default();
        ctx.d.error(
            "CX5179",
            join(&at, key),
            format!("mounts the NFS share{device}{server}, and ECS mounts only Amazon EFS; for an existing EFS file system write external: true and name: fs-…, or remove type, o and device to get a new one"),
        );
    } else {
        ctx.d.error(
            "CX5180",
            join(&at, key),
            "type, o and device mount storage of the docker host, which Fargate does not have; remove them to get a new EFS file system, or use an existing one with external: true and name: fs-…",
        );
    }
    true
}
