//! ECS Exec (`x-ecs.EnableExecuteCommand`, ECS ComposeX): the family's ECS service enables it,
//! and its task role may open the Session Manager channels the ECS agent uses for it. These
//! four actions have no resource-level permissions, so their statement is on `*`.

use crate::plan::Ctx;
use serde_json::json;

pub const ACTIONS: &[&str] = &[
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
];

/// Grants the families whose services enable ECS Exec the channels it needs.
pub fn plan(ctx: &mut Ctx) {
    let statement = json!({"Sid": "ExecuteCommand", "Effect": "Allow", "Action": ACTIONS, "Resource": "*"});
    let families: Vec<String> = ctx
        .plan
        .families
        .list
        .values()
        .filter(|f| f.services.iter().any(|n| ctx.ext.service(n).deployment.exec))
        .map(|f| f.name.clone())
        .collect();
    for f in families {
        let grants = ctx.plan.grants.entry(f).or_default();
        if !grants.contains(&statement) {
            grants.push(statement.clone());
        }
    }
}
