//! `x-cloudmap`: the one CloudMap private DNS namespace of the stack, in the VPC, created when a
//! family has ports. Its name is the one `x-cloudmap` gives (read by `ext::cloudmap`), else
//! `{name}.local` after the project, else `${AWS::StackName}.local`. Discovery services and Service Connect live in it.

use crate::cfn::{get_att, sub};
use crate::emit::discovery::NAMESPACE_ID;
use crate::plan::families::has_ports;
use crate::plan::families::Family;
use crate::plan::Ctx;
use serde_json::{json, Value};

const OWNER: &str = "x-cloudmap";

pub fn expand(ctx: &mut Ctx) {
    let families: Vec<Family> = ctx.plan.families.list.values().cloned().collect();
    if !families.iter().any(|f| has_ports(ctx.project, f)) {
        return;
    }
    let mut name = match &ctx.project.name {
        Some(n) => Value::String(format!("{n}.local")),
        None => sub("${AWS::StackName}.local"),
    };
    if let Some(n) = &ctx.ext.cloudmap.name {
        name = Value::String(n.clone());
    }
    let vpc = ctx.plan.infra.vpc_id.clone();
    ctx.add(
        OWNER,
        NAMESPACE_ID.into(),
        json!({"Type": "AWS::ServiceDiscovery::PrivateDnsNamespace", "Properties": {"Name": name, "Vpc": vpc, "Description": {"Fn::Sub": "ComposeX services of ${AWS::StackName}"}}}),
    );
    ctx.plan.infra.namespace_id = Some(get_att(NAMESPACE_ID, "Id"));
}
