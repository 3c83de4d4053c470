//! `x-cloudmap`: the one CloudMap private DNS namespace of the stack, in the VPC, created when a
//! family has ports. Its name is the `Name` of `x-cloudmap` (ECS ComposeX form:
//! `x-cloudmap: {PrivateNamespace: {Name: …}}`), else `{name}.local` after the project, else
//! `${AWS::StackName}.local`. Discovery services and Service Connect live in it.

use crate::cfn::{get_att, sub};
use crate::compose::read::{kind, literal};
use crate::diagnostics::join;
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
    if let Some(x) = ctx.project.extensions.get("x-cloudmap").cloned() {
        match x.as_object() {
            Some(m) if m.contains_key("Name") => {
                if let Some(n) = literal(&m["Name"], &join(OWNER, "Name"), "the namespace name", &mut ctx.d) {
                    name = Value::String(n);
                }
            }
            Some(m) => {
                if m.len() > 1 {
                    ctx.d.error(OWNER, "ComposeX creates one CloudMap namespace; declare one");
                }
                for (key, def) in m {
                    let path = join(OWNER, key);
                    let Some(dm) = def.as_object() else {
                        ctx.d.error(&path, format!("a namespace must be a mapping with Name, not {}", kind(def)));
                        continue;
                    };
                    for (k, v) in dm {
                        let p = join(&path, k);
                        match k.as_str() {
                            "Name" | "ZoneName" => {
                                if let Some(n) = literal(v, &p, "the namespace name", &mut ctx.d) {
                                    name = Value::String(n);
                                }
                            }
                            "Lookup" | "Use" => ctx.d.error(&p, "ComposeX creates the namespace of the stack; an existing namespace cannot be used yet: remove it to get one named after the project"),
                            _ => ctx.d.error(&p, format!("{k:?} is not a namespace key; use Name")),
                        }
                    }
                }
            }
            None => ctx.d.error(OWNER, format!("x-cloudmap must be a mapping, not {}", kind(&x))),
        }
    }
    let vpc = ctx.plan.infra.vpc_id.clone();
    ctx.add(
        OWNER,
        NAMESPACE_ID.into(),
        json!({"Type": "AWS::ServiceDiscovery::PrivateDnsNamespace", "Properties": {"Name": name, "Vpc": vpc, "Description": {"Fn::Sub": "ComposeX services of ${AWS::StackName}"}}}),
    );
    ctx.plan.infra.namespace_id = Some(get_att(NAMESPACE_ID, "Id"));
}
