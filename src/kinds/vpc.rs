//! `x-vpc`: the network the tasks run in.
//!
//! Absent: a VPC is created over two availability zones, with public subnets (load balancers,
//! NAT), private application subnets (the tasks, without public IPs) and storage subnets
//! (databases, caches), one NAT gateway by default and an S3 gateway endpoint.
//! `Use` takes an existing VPC; `Lookup` would need AWS calls at transform time and is refused.

use crate::cfn::{get_att, r#ref};
use crate::compose::read::{kind, literal};
use crate::diagnostics::join;
use crate::plan::Ctx;
use serde_json::{json, Map, Value};

const AZS: [&str; 2] = ["A", "B"];
const DEFAULT_CIDR: &str = "10.0.0.0/16";
const OWNER: &str = "x-vpc";

pub fn expand(ctx: &mut Ctx) {
    match ctx.project.extensions.get("x-vpc").cloned() {
        None => create(ctx, &Map::new()),
        Some(Value::Object(m)) => {
            for k in m.keys() {
                if !matches!(k.as_str(), "Properties" | "Use" | "Lookup" | "MacroParameters") {
                    ctx.d.error("CX4197", join(OWNER, k), format!("{k:?} is not an x-vpc key; use Properties (to tune the created VPC) or Use (an existing VPC)"));
                }
            }
            if m.contains_key("Lookup") {
                ctx.d.error("CX4198", 
                    join(OWNER, "Lookup"),
                    "Lookup needs AWS API calls while the template is transformed, which a macro cannot make; use `Use: {VpcId, AppSubnets, PublicSubnets, StorageSubnets}` with IDs or !Ref of template Parameters",
                );
            }
            if let Some(u) = m.get("Use") {
                use_existing(ctx, u);
            } else {
                let props = match m.get("Properties") {
                    Some(Value::Object(p)) => p.clone(),
                    Some(other) => {
                        ctx.d.error(
                            "CX4199",
                            join(OWNER, "Properties"),
                            format!("Properties must be a mapping, not {}", kind(other)),
                        );
                        Map::new()
                    }
                    None => Map::new(),
                };
                create(ctx, &props);
            }
        }
        Some(other) => ctx.d.error(
            "CX4200",
            OWNER,
            format!("x-vpc must be a mapping with Use or Properties, not {}", kind(&other)),
        ),
    }
    if ctx.project.extensions.contains_key("x-aws-vpc") {
        ctx.d.error("CX4201", 
            "x-aws-vpc",
            "a VPC ID alone is not enough: the macro cannot look up its subnets; use `x-vpc: {Use: {VpcId, AppSubnets, PublicSubnets}}` with subnet IDs or !Ref of template Parameters",
        );
    }
}

fn use_existing(ctx: &mut Ctx, u: &Value) {
    let path = join(OWNER, "Use");
    let Some(m) = u.as_object() else {
        ctx.d.error(
            "CX4202",
            &path,
            format!("Use must be a mapping with VpcId, AppSubnets, PublicSubnets and StorageSubnets, not {}", kind(u)),
        );
        return;
    };
    for k in m.keys() {
        if !matches!(k.as_str(), "VpcId" | "AppSubnets" | "PublicSubnets" | "StorageSubnets") {
            ctx.d.error(
                "CX4203",
                join(&path, k),
                format!("{k:?} is not a Use key; use VpcId, AppSubnets, PublicSubnets or StorageSubnets"),
            );
        }
    }
    match m.get("VpcId") {
        Some(v) => ctx.plan.infra.vpc_id = v.clone(),
        None => ctx.d.error("CX4204", join(&path, "VpcId"), "Use needs VpcId"),
    }
    let subnets = |name: &str, ctx: &mut Ctx| -> Option<Value> {
        let v = m.get(name)?;
        match v {
            Value::Array(_) => Some(v.clone()),
            Value::String(s) => Some(Value::Array(s.split(',').map(|x| Value::String(x.trim().to_string())).collect())),
            v if crate::cfn::is_intrinsic(v) => Some(v.clone()),
            other => {
                ctx.d.error(
                    "CX4205",
                    join(&path, name),
                    format!("{name} must be a list of subnet IDs or an intrinsic function, not {}", kind(other)),
                );
                None
            }
        }
    };
    let app = subnets("AppSubnets", ctx);
    if app.is_none() && !m.contains_key("AppSubnets") {
        ctx.d.error("CX4206", join(&path, "AppSubnets"), "Use needs AppSubnets, the subnets the tasks run in");
    }
    let public = subnets("PublicSubnets", ctx);
    let storage = subnets("StorageSubnets", ctx);
    let from = |key: &str, or: &str| join(&path, if m.contains_key(key) { key } else { or });
    ctx.plan.infra.public_from = from("PublicSubnets", "AppSubnets");
    ctx.plan.infra.storage_from = from("StorageSubnets", "AppSubnets");
    ctx.plan.infra.app_subnets = app.clone().unwrap_or(Value::Null);
    ctx.plan.infra.public_subnets = public.unwrap_or_else(|| app.clone().unwrap_or(Value::Null));
    ctx.plan.infra.storage_subnets = storage.unwrap_or_else(|| app.unwrap_or(Value::Null));
}

/// Created VPC: tunables from `x-vpc.Properties`.
fn create(ctx: &mut Ctx, props: &Map<String, Value>) {
    let path = join(OWNER, "Properties");
    let mut cidr = DEFAULT_CIDR.to_string();
    let mut single_nat = true;
    let mut disable_nat = false;
    let mut endpoints: Vec<String> = Vec::new();
    for (k, v) in props {
        let p = join(&path, k);
        match k.as_str() {
            "VpcCidr" => {
                if let Some(c) = literal(v, &p, "the VPC CIDR", &mut ctx.d) {
                    cidr = c;
                }
            }
            "SingleNat" => single_nat = crate::compose::read::boolean(v, &p, &mut ctx.d).unwrap_or(true),
            "DisableNat" => disable_nat = crate::compose::read::boolean(v, &p, &mut ctx.d).unwrap_or(false),
            "Endpoints" => endpoints = interface_endpoints(ctx, v, &p),
            _ => ctx.d.error(
                "CX4207",
                &p,
                format!("{k:?} is not a created-VPC property; use VpcCidr, SingleNat, DisableNat or Endpoints"),
            ),
        }
    }
    let Some(prefix) = cidr_prefix(&cidr) else {
        ctx.d.error(
            "CX4208",
            join(&path, "VpcCidr"),
            format!("{cidr:?} is not an IPv4 CIDR between /16 and /24, like \"10.0.0.0/16\""),
        );
        return;
    };
    // Six subnets (public, app, storage in each of two zones) in eight equal slices.
    let subnet_bits = 32 - prefix - 3;
    let add = |ctx: &mut Ctx, id: &str, r: Value| ctx.add(OWNER, id.to_string(), r);
    add(
        ctx,
        "Vpc",
        json!({"Type": "AWS::EC2::VPC", "Properties": {
        "CidrBlock": cidr, "EnableDnsHostnames": true, "EnableDnsSupport": true,
        "Tags": [{"Key": "Name", "Value": {"Fn::Sub": "${AWS::StackName}"}}]}}),
    );
    add(ctx, "VpcInternetGateway", json!({"Type": "AWS::EC2::InternetGateway"}));
    add(
        ctx,
        "VpcGatewayAttachment",
        json!({"Type": "AWS::EC2::VPCGatewayAttachment", "Properties": {
        "VpcId": r#ref("Vpc"), "InternetGatewayId": r#ref("VpcInternetGateway")}}),
    );
    add(ctx, "VpcPublicRouteTable", json!({"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": r#ref("Vpc")}}));
    add(
        ctx,
        "VpcPublicDefaultRoute",
        json!({"Type": "AWS::EC2::Route", "DependsOn": "VpcGatewayAttachment", "Properties": {
        "RouteTableId": r#ref("VpcPublicRouteTable"), "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": r#ref("VpcInternetGateway")}}),
    );
    add(ctx, "VpcStorageRouteTable", json!({"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": r#ref("Vpc")}}));
    let tiers = [("Public", 0usize), ("App", 2), ("Storage", 4)];
    for (tier, base) in tiers {
        for (i, az) in AZS.iter().enumerate() {
            let id = format!("Vpc{tier}Subnet{az}");
            let mut props = json!({
                "VpcId": r#ref("Vpc"),
                "AvailabilityZone": {"Fn::Select": [i, {"Fn::GetAZs": ""}]},
                "CidrBlock": {"Fn::Select": [base + i, {"Fn::Cidr": [get_att("Vpc", "CidrBlock"), 6, subnet_bits]}]},
                "Tags": [{"Key": "Name", "Value": {"Fn::Sub": format!("${{AWS::StackName}}-{}-{}", tier.to_lowercase(), az.to_lowercase())}}]
            });
            if tier == "Public" {
                props["MapPublicIpOnLaunch"] = json!(true);
            }
            add(ctx, &id, crate::cfn::resource("AWS::EC2::Subnet", props));
            let table = match tier {
                "Public" => "VpcPublicRouteTable".to_string(),
                "Storage" => "VpcStorageRouteTable".to_string(),
                _ if single_nat || disable_nat => "VpcAppRouteTableA".to_string(),
                _ => format!("VpcAppRouteTable{az}"),
            };
            add(
                ctx,
                &format!("{id}RouteTableAssociation"),
                json!({"Type": "AWS::EC2::SubnetRouteTableAssociation", "Properties": {
                "SubnetId": r#ref(&id), "RouteTableId": r#ref(&table)}}),
            );
        }
    }
    let app_tables: Vec<&str> = if single_nat || disable_nat { vec!["A"] } else { AZS.to_vec() };
    for az in &app_tables {
        let table = format!("VpcAppRouteTable{az}");
        add(ctx, &table, json!({"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": r#ref("Vpc")}}));
        if !disable_nat {
            add(
                ctx,
                &format!("VpcNatEip{az}"),
                json!({"Type": "AWS::EC2::EIP", "DependsOn": "VpcGatewayAttachment", "Properties": {"Domain": "vpc"}}),
            );
            add(
                ctx,
                &format!("VpcNatGateway{az}"),
                json!({"Type": "AWS::EC2::NatGateway", "Properties": {
                "AllocationId": get_att(&format!("VpcNatEip{az}"), "AllocationId"), "SubnetId": r#ref(&format!("VpcPublicSubnet{az}"))}}),
            );
            let route = format!("VpcAppDefaultRoute{az}");
            add(
                ctx,
                &route,
                json!({"Type": "AWS::EC2::Route", "Properties": {
                "RouteTableId": r#ref(&table), "DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": r#ref(&format!("VpcNatGateway{az}"))}}),
            );
            ctx.plan.infra.service_depends_on.push(route);
        }
    }
    if disable_nat {
        no_nat(ctx, &endpoints, &join(&path, "DisableNat"));
    }
    let mut tables: Vec<Value> = app_tables.iter().map(|az| r#ref(&format!("VpcAppRouteTable{az}"))).collect();
    tables.push(r#ref("VpcStorageRouteTable"));
    add(
        ctx,
        "VpcS3Endpoint",
        json!({"Type": "AWS::EC2::VPCEndpoint", "Properties": {
        "VpcId": r#ref("Vpc"), "VpcEndpointType": "Gateway",
        "ServiceName": {"Fn::Sub": "com.amazonaws.${AWS::Region}.s3"}, "RouteTableIds": tables}}),
    );
    if !endpoints.is_empty() {
        // Interface endpoints answer HTTPS from inside the VPC only.
        add(
            ctx,
            "VpcEndpointsSecurityGroup",
            json!({"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "ComposeX VPC interface endpoints: HTTPS from the VPC", "VpcId": r#ref("Vpc")}}),
        );
        add(
            ctx,
            "VpcEndpointsFromVpcTcp443Ingress",
            json!({"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
            "GroupId": get_att("VpcEndpointsSecurityGroup", "GroupId"), "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
            "CidrIp": get_att("Vpc", "CidrBlock"), "Description": "the VPC to AWS service endpoints on 443/tcp (x-vpc Endpoints)"}}),
        );
        for svc in &endpoints {
            add(
                ctx,
                &format!("VpcEndpoint{}", crate::cfn::naming::pascal(svc)),
                json!({"Type": "AWS::EC2::VPCEndpoint", "Properties": {
                "VpcId": r#ref("Vpc"), "VpcEndpointType": "Interface", "PrivateDnsEnabled": true,
                "ServiceName": {"Fn::Sub": format!("com.amazonaws.${{AWS::Region}}.{svc}")},
                "SubnetIds": [r#ref("VpcAppSubnetA"), r#ref("VpcAppSubnetB")],
                "SecurityGroupIds": [get_att("VpcEndpointsSecurityGroup", "GroupId")]}}),
            );
        }
    }
    ctx.plan.infra.vpc_id = r#ref("Vpc");
    let pair = |tier: &str| json!([r#ref(&format!("Vpc{tier}SubnetA")), r#ref(&format!("Vpc{tier}SubnetB"))]);
    ctx.plan.infra.public_subnets = pair("Public");
    ctx.plan.infra.app_subnets = pair("App");
    ctx.plan.infra.storage_subnets = pair("Storage");
}

/// Without NAT, tasks in the app subnets reach only the AWS services the VPC has endpoints for
/// (S3 always): ECS cannot start them without ECR's and CloudWatch Logs' endpoints, nor pull an
/// image from a registry outside Amazon ECR.
fn no_nat(ctx: &mut Ctx, endpoints: &[String], path: &str) {
    let missing: Vec<&str> = NO_NAT_ENDPOINTS.iter().copied().filter(|e| !endpoints.iter().any(|x| x == e)).collect();
    if !missing.is_empty() {
        ctx.d.error("CX4209", 
            path,
            format!(
                "without NAT, tasks cannot pull their images nor write their logs: add the VPC endpoints {} to Endpoints.AwsServices, or remove DisableNat",
                missing.join(", ")
            ),
        );
    }
    for (name, s) in &ctx.project.services {
        let from_ecr = s.image.as_str().is_none_or(|i| crate::emit::iam::ecr_repository(i).is_some());
        if !from_ecr {
            ctx.d.error("CX4210", 
                join(&join("services", name), "image"),
                format!("{} is not in Amazon ECR, and without NAT (x-vpc.Properties.DisableNat) tasks cannot pull it from the internet; push it to ECR, or remove DisableNat", crate::compose::read::show(&s.image)),
            );
        }
    }
}

/// The interface endpoints tasks need to start without NAT.
const NO_NAT_ENDPOINTS: &[&str] = &["ecr.api", "ecr.dkr", "logs"];

/// ECS ComposeX's `Endpoints: {AwsServices: [{service: ecr.api}, …]}`: interface endpoints for
/// those services (S3 always has its gateway endpoint).
fn interface_endpoints(ctx: &mut Ctx, v: &Value, path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let list = v.get("AwsServices").and_then(Value::as_array).cloned().unwrap_or_default();
    if list.is_empty() {
        ctx.d.error(
            "CX4211",
            path,
            "Endpoints must be {AwsServices: [{service: NAME}, …]}, like {AwsServices: [{service: ecr.api}]}",
        );
    }
    for (i, item) in list.iter().enumerate() {
        let ip = crate::diagnostics::index(&join(path, "AwsServices"), i);
        let Some(name) =
            item.get("service").and_then(|s| literal(s, &join(&ip, "service"), "a service name", &mut ctx.d))
        else {
            continue;
        };
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') || name.is_empty() {
            ctx.d.error(
                "CX4212",
                join(&ip, "service"),
                format!("{name:?} is not an AWS service endpoint name, like ecr.api"),
            );
        } else if name != "s3" && !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// The prefix length of an IPv4 CIDR between /16 and /24.
fn cidr_prefix(cidr: &str) -> Option<u32> {
    let (addr, prefix) = cidr.split_once('/')?;
    let octets: Vec<&str> = addr.split('.').collect();
    if octets.len() != 4 || octets.iter().any(|o| o.parse::<u8>().is_err()) {
        return None;
    }
    prefix.parse::<u32>().ok().filter(|p| (16..=24).contains(p))
}
