//! Logs: one CloudWatch log group per family, its retention from `x-logging.RetentionInDays`
//! (default 30), and the awslogs configuration of each container.
//!
//! The group is always the family's own: the execution role may write only there, so a
//! user-chosen `awslogs-group` is replaced (with a warning) rather than widening the role.
//!
//! FireLens: a service whose `logging.driver` is `awsfirelens`, or whose
//! `x-logging.FireLens.Shorthands.ReplaceAwsLogs` is true, logs through a Fluent Bit log router
//! (`log_router`, one per family that has such a service). Its CloudWatch output (`Name:
//! cloudwatch` or `cloudwatch_logs`, and the shorthand) writes to the family's group, which the
//! task role may then write to — Fluent Bit runs with the task role — and nothing else. An
//! output to a stream or bucket of this file (`delivery_stream: x-kinesis_firehose::logs`,
//! `stream: x-kinesis::…`, `bucket: x-s3::…`) gets its name and the one action that delivers
//! there. Other outputs keep their options and are the file's to grant (`x-iam`), with a warning.

use crate::cfn::r#ref;
use crate::compose::Service;
use crate::diagnostics::join;
use crate::plan::families::Family;
use crate::plan::{Ctx, Emit};
use serde_json::{json, Map, Value};

pub const DEFAULT_RETENTION: u64 = 30;
pub fn log_group_id(fam: &Family) -> String {
    format!("{}LogGroup", fam.id)
}

/// The family's log group: the longest retention its services ask for (`x-logging`), else
/// the project's (`x-aws-logs_retention`), else 30 days.
pub fn expand(ctx: &mut Emit, fam: &Family) {
    let days = retention(ctx.ext, fam);
    ctx.add(
        &fam.name,
        log_group_id(fam),
        json!({"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": days}}),
    );
}

/// The retention of the family's log groups, in days: the longest its services ask for
/// (`x-logging`), else the project's (`x-aws-logs_retention`), else 30.
/// The log configuration of a container ComposeX adds to a family (a sidecar, the Service Connect
/// proxy): the family's log group, its streams under `prefix`.
pub fn sidecar_log_configuration(fam: &Family, prefix: &str) -> Value {
    json!({"LogDriver": "awslogs", "Options": {
        "awslogs-group": r#ref(&log_group_id(fam)),
        "awslogs-region": r#ref("AWS::Region"),
        "awslogs-stream-prefix": prefix
    }})
}

pub fn retention(ext: &crate::ext::Extensions, fam: &Family) -> u64 {
    let retention = fam.services.iter().filter_map(|name| ext.service(name).retention).max();
    retention.or(ext.logs_retention).unwrap_or(DEFAULT_RETENTION)
}

/// The name of the log router container FireLens needs in a family.
pub const ROUTER: &str = "log_router";
/// The log router's image when `DockerImageOverride` does not name one: AWS's Fluent Bit.
const ROUTER_IMAGE: &str = "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable";

/// Whether the service logs through FireLens.
pub fn uses_firelens(ctx: &Emit, s: &Service) -> bool {
    s.logging.as_ref().and_then(|l| l.driver.as_deref()) == Some(FIRELENS)
        || ctx.ext.service(&s.name).firelens.as_ref().is_some_and(|f| f.replace_awslogs)
}
const FIRELENS: &str = "awsfirelens";

/// Whether the service's FireLens output is CloudWatch Logs (its group is the family's).
fn to_cloudwatch(s: &Service, replace_awslogs: bool) -> bool {
    let name = s.logging.as_ref().and_then(|l| l.options.get("Name")).and_then(Value::as_str);
    match name {
        Some(n) => matches!(n, "cloudwatch" | "cloudwatch_logs"),
        None => replace_awslogs || s.logging.as_ref().and_then(|l| l.driver.as_deref()) != Some(FIRELENS),
    }
}

/// Before the families are emitted: the task-role statement of each family whose FireLens
/// output is CloudWatch Logs (write to its own group), and the execution-role statements for a
/// router configuration file in S3.
pub fn plan(ctx: &mut Ctx) {
    for fam in ctx.plan.families.list.values() {
        let mut cloudwatch = false;
        let mut exec = Vec::new();
        for name in &fam.services {
            let s = &ctx.project.services[name];
            let firelens = ctx.ext.service(name).firelens.as_ref();
            let replace = firelens.is_some_and(|f| f.replace_awslogs);
            let driver = s.logging.as_ref().and_then(|l| l.driver.as_deref()) == Some(FIRELENS);
            if (driver || replace) && to_cloudwatch(s, replace) {
                cloudwatch = true;
            }
            let Some(f) = firelens else { continue };
            if let (Some("s3"), Some(Value::String(arn))) =
                (f.options.get("config-file-type").and_then(Value::as_str), f.options.get("config-file-value"))
            {
                let bucket = arn.split('/').next().unwrap_or(arn).to_string();
                exec.push(json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": arn}));
                exec.push(json!({"Effect": "Allow", "Action": "s3:GetBucketLocation", "Resource": bucket}));
            }
        }
        for name in &fam.services {
            let s = &ctx.project.services[name];
            if s.logging.as_ref().and_then(|l| l.driver.as_deref()) != Some(FIRELENS) {
                continue;
            }
            if let Some((statement, _)) = destination(&ctx.plan.declared, s) {
                let grants = ctx.plan.grants.entry(fam.name.clone()).or_default();
                if !grants.contains(&statement) {
                    grants.push(statement);
                }
            }
        }
        if cloudwatch {
            ctx.plan.grants.entry(fam.name.clone()).or_default().push(json!({
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                "Resource": crate::cfn::get_att(&log_group_id(fam), "Arn")
            }));
        }
        ctx.plan.exec_grants.entry(fam.name.clone()).or_default().extend(exec);
    }
}

/// The Fluent Bit outputs whose destination may be a resource of the file, by its option:
/// (output `Name`, option, kind, actions, whether the grant is on the objects under the ARN).
const DESTINATIONS: &[(&str, &str, &str, &[&str], bool)] = &[
    ("kinesis_firehose", "delivery_stream", "x-kinesis_firehose", &["firehose:PutRecordBatch"], false),
    ("kinesis_streams", "stream", "x-kinesis", &["kinesis:PutRecords"], false),
    ("s3", "bucket", "x-s3", &["s3:PutObject"], true),
];

/// The task-role statement that lets the router deliver to the resource of this file its
/// output names (`delivery_stream: x-kinesis_firehose::logs`), and the option it is named by.
fn destination(declared: &crate::plan::refs::Declared, s: &Service) -> Option<(Value, &'static str)> {
    let options = &s.logging.as_ref()?.options;
    let output = options.get("Name")?.as_str()?;
    let (_, option, kind, actions, objects) = DESTINATIONS.iter().find(|(n, ..)| *n == output)?;
    let (k, name, None) = crate::plan::refs::parse(options.get(*option)?.as_str()?)? else { return None };
    if k != *kind {
        return None;
    }
    let id = declared.id(kind, name)?;
    let arn = crate::cfn::get_att(id, "Arn");
    let resource = if *objects { json!({"Fn::Join": ["", [arn, "/*"]]}) } else { arn };
    Some((json!({"Effect": "Allow", "Action": actions, "Resource": resource}), option))
}

/// The family's log router when one of its services logs through FireLens: Fluent Bit (or the
/// image `DockerImageOverride` names), essential, its own logs to the family's group. The
/// settings are those of the first service of the family that has `x-logging.FireLens`.
pub fn router(ctx: &mut Emit, fam: &Family) -> Option<Value> {
    let services: Vec<&Service> = fam.services.iter().map(|n| &ctx.project.services[n]).collect();
    if !services.iter().any(|s| uses_firelens(ctx, s)) {
        // FireLens settings of a family without a log router configure nothing.
        for s in &services {
            if ctx.ext.service(&s.name).firelens.as_ref().is_some_and(|f| *f != Default::default()) {
                ctx.d.warn(
                    "CX5182",
                    join(&join(&join("services", &s.name), "x-logging"), "FireLens"),
                    "ignored: the service's logs do not go through FireLens, so there is no log router to configure; set FireLens.Shorthands.ReplaceAwsLogs: true or logging.driver: awsfirelens",
                );
            }
        }
        return None;
    }
    if let Some(clash) = services.iter().find(|s| s.name == ROUTER) {
        ctx.d.error(
            "CX5126",
            join("services", &clash.name),
            format!("the log router of task family {:?} is the container {ROUTER}; rename this service", fam.name),
        );
    }
    let settings = fam.services.iter().find_map(|n| ctx.ext.service(n).firelens.clone()).unwrap_or_default();
    let mut options = Map::new();
    options.insert("enable-ecs-log-metadata".into(), Value::String("true".into()));
    options.extend(settings.options.clone());
    let mut c = json!({
        "Name": ROUTER,
        "Image": settings.image.clone().unwrap_or_else(|| Value::String(ROUTER_IMAGE.into())),
        "Essential": true,
        "FirelensConfiguration": {"Type": settings.router_type.as_deref().unwrap_or("fluentbit"), "Options": options},
        "MemoryReservation": ROUTER_MEMORY,
        "LogConfiguration": sidecar_log_configuration(fam, "firelens")
    });
    if let Some(g) = settings.grace_period {
        c["StopTimeout"] = json!(g);
    }
    if !settings.environment.is_empty() {
        let env: Vec<Value> = settings
            .environment
            .iter()
            .map(|(k, v)| json!({"Name": k, "Value": v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())}))
            .collect();
        c["Environment"] = Value::Array(env);
    }
    Some(c)
}

/// The memory the log router reserves, MiB: what AWS suggests for Fluent Bit.
pub const ROUTER_MEMORY: u64 = 50;

/// FireLens's `LogConfiguration` of a service that uses it.
fn firelens_config(ctx: &mut Emit, fam: &Family, s: &Service, path: &str) -> Value {
    let firelens = ctx.ext.service(&s.name).firelens.clone();
    let replace = firelens.as_ref().is_some_and(|f| f.replace_awslogs);
    let mut options = Map::new();
    let driver = s.logging.as_ref().and_then(|l| l.driver.as_deref()) == Some(FIRELENS);
    for (k, v) in s.logging.iter().flat_map(|l| &l.options) {
        if driver {
            options.insert(k.clone(), v.clone());
        } else {
            ctx.d.warn("CX5129", join(&join(path, "options"), k), "ignored: the logs go through FireLens to the family's log group (x-logging.FireLens.Shorthands.ReplaceAwsLogs)");
        }
    }
    if to_cloudwatch(s, replace) {
        for k in ["log_group_name", "region", "auto_create_group"] {
            if options.contains_key(k) {
                ctx.d.warn("CX5127", join(&join(path, "options"), k), "replaced: the output writes to the family's own log group, the only one its task role may write to");
            }
        }
        options.insert("Name".into(), Value::String("cloudwatch_logs".into()));
        options.insert("region".into(), r#ref("AWS::Region"));
        options.insert("log_group_name".into(), r#ref(&log_group_id(fam)));
        options.insert("auto_create_group".into(), Value::String("false".into()));
        options.entry("log_stream_prefix").or_insert_with(|| Value::String(format!("{}/", s.name)));
    } else if let Some((_, option)) = destination(&ctx.plan.declared, s) {
        let at = join(&join(path, "options"), option);
        let v = crate::plan::refs::resolve(&ctx.plan.declared, &options[option], &at, ctx.d);
        options.insert(option.to_string(), v);
        options.entry("region").or_insert_with(|| r#ref("AWS::Region"));
    } else {
        let name = options.get("Name").map(crate::compose::read::show).unwrap_or_else(|| "none".into());
        ctx.d.warn("CX5128", join(&join(path, "options"), "Name"), format!("the FireLens output {name} is sent as written; ComposeX grants the task role nothing for it: grant what it needs with x-iam"));
    }
    if let Some(limit) = firelens.and_then(|f| f.buffer_limit) {
        options.insert("log-driver-buffer-limit".into(), Value::String(limit.to_string()));
    }
    crate::cfn::object([("LogDriver", Value::String(FIRELENS.into())), ("Options", Value::Object(options))])
}

/// The container's `LogConfiguration`: awslogs to the family's group, with the options of the
/// compose `logging` section that awslogs understands; or FireLens (above).
pub fn container_config(ctx: &mut Emit, fam: &Family, s: &Service) -> Value {
    let path = join(&join("services", &s.name), "logging");
    if uses_firelens(ctx, s) {
        return firelens_config(ctx, fam, s, &path);
    }
    let mut options = Map::new();
    if let Some(l) = &s.logging {
        if let Some(driver) = &l.driver {
            if driver != "awslogs" {
                ctx.d.warn(
                    "CX5039",
                    join(&path, "driver"),
                    format!("the {driver} driver is replaced by awslogs to CloudWatch Logs"),
                );
            }
        }
        for (k, v) in &l.options {
            let p = join(&join(&path, "options"), k);
            match k.as_str() {
                "awslogs-stream-prefix"
                | "awslogs-datetime-format"
                | "awslogs-multiline-pattern"
                | "mode"
                | "max-buffer-size" => {
                    options.insert(k.clone(), v.clone());
                }
                "awslogs-group" => ctx.d.warn(
                    "CX5040",
                    &p,
                    "replaced by the family's own log group, the only one its execution role may write to",
                ),
                "awslogs-create-group" => ctx.d.warn("CX5041", &p, "ignored: the log group is created by the template"),
                "awslogs-region" => ctx.d.warn("CX5042", &p, "ignored: logs go to the stack's region"),
                _ => ctx.d.warn("CX5043", &p, "ignored: not an awslogs option"),
            }
        }
    }
    options.insert("awslogs-group".into(), r#ref(&log_group_id(fam)));
    options.insert("awslogs-region".into(), r#ref("AWS::Region"));
    options.entry("awslogs-stream-prefix").or_insert_with(|| Value::String(s.name.clone()));
    crate::cfn::object([("LogDriver", Value::String("awslogs".into())), ("Options", Value::Object(options))])
}
