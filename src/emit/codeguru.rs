//! CodeGuru profiling (`x-codeguru-profiler` / `x-codeguru_profiler`, ECS ComposeX syntax): a
//! service that asks for it gets a profiling group of its own
//! (`AWS::CodeGuruProfiler::ProfilingGroup`, logical ID `<Service>ProfilingGroup`, named
//! `<stack>-<service>` unless the file names it), its name in `AWS_CODEGURU_PROFILER_GROUP_NAME`,
//! where the profiling agents read it, and its task role the two actions an agent needs,
//! `codeguru-profiler:ConfigureAgent` and `codeguru-profiler:PostAgentProfile`, on exactly that
//! group.

use crate::cfn::naming::pascal;
use crate::plan::Ctx;
use serde_json::{json, Value};

pub const VARIABLE: &str = "AWS_CODEGURU_PROFILER_GROUP_NAME";
pub const ACTIONS: [&str; 2] = ["codeguru-profiler:ConfigureAgent", "codeguru-profiler:PostAgentProfile"];

pub fn profiling_group_id(service: &str) -> String {
    format!("{}ProfilingGroup", pascal(service))
}

pub fn plan(ctx: &mut Ctx) {
    let project = ctx.project;
    for name in project.services.keys() {
        let Some(p) = ctx.ext.service(name).profiler.clone() else { continue };
        let id = profiling_group_id(name);
        let mut props = Value::Object(p.properties.clone());
        if props.get("ProfilingGroupName").is_none() {
            props["ProfilingGroupName"] = json!({"Fn::Sub": format!("${{AWS::StackName}}-{name}")});
        }
        let owner = ctx.plan.families.of_service.get(name).and_then(|f| f.first()).cloned().unwrap_or_default();
        ctx.add(&owner, id.clone(), json!({"Type": "AWS::CodeGuruProfiler::ProfilingGroup", "Properties": props}));
        let statement = json!({
            "Sid": format!("Profile{}", pascal(name)),
            "Effect": "Allow",
            "Action": ACTIONS,
            "Resource": {"Fn::GetAtt": [id, "Arn"]}
        });
        for fam in ctx.plan.families.of_service.get(name).cloned().unwrap_or_default() {
            ctx.plan.grants.entry(fam).or_default().push(statement.clone());
        }
        ctx.plan.env.entry(name.clone()).or_default().insert(VARIABLE.into(), (json!({"Ref": id}), p.path.clone()));
    }
}
