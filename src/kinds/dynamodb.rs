//! `x-dynamodb`: DynamoDB tables. Every level covers the table and its indexes
//! (`table/NAME/index/*`), as queries on an index are authorised on the index's ARN.
//!
//! `Scaling` (ECS ComposeX syntax) scales a PROVISIONED table's read and write capacity, and
//! its global secondary indexes' (`Indexes`, or `CopyToIndexes`), with Application Auto
//! Scaling: a scalable target and a target-tracking policy per capacity. The targets name no
//! role: Application Auto Scaling uses its service-linked role for DynamoDB, which holds only
//! what scaling a table needs.

use super::generic::{looked_up, macro_parameters, properties, Decl};
use super::{Attr, Kind, Level, Scope};
use crate::compose::read::{kind as kind_of, map_or};
use crate::diagnostics::join;
use crate::plan::Ctx;
use serde_json::{json, Map, Value};

const INDEXES: Scope = Scope::WithChildren("/index/*");

/// Reads of items and of the table's description: AWS SAM's `DynamoDBReadPolicy`.
const RO: &[&str] =
    &["dynamodb:BatchGetItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"];

/// Reads and writes of items: AWS SAM's `DynamoDBCrudPolicy`.
const RW: &[&str] = &[
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
];

/// Items, PartiQL, and the table's settings, tags and backups; never creating or deleting the
/// table or a backup (ECS ComposeX's `NotAction` of the same meaning, as a list).
const POWER_USER: &[&str] = &[
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:CreateBackup",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeContinuousBackups",
    "dynamodb:DescribeTable",
    "dynamodb:DescribeTimeToLive",
    "dynamodb:GetItem",
    "dynamodb:ListTagsOfResource",
    "dynamodb:PartiQLDelete",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLSelect",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:TagResource",
    "dynamodb:UntagResource",
    "dynamodb:UpdateContinuousBackups",
    "dynamodb:UpdateItem",
    "dynamodb:UpdateTable",
    "dynamodb:UpdateTimeToLive",
];

pub const KIND: Kind = Kind {
    key: "x-dynamodb",
    cfn_type: "AWS::DynamoDB::Table",
    suffix: "Table",
    return_values: &[("TableName", Attr::Ref), ("Arn", Attr::GetAtt("Arn")), ("StreamArn", Attr::GetAtt("StreamArn"))],
    arn: Attr::GetAtt("Arn"),
    levels: &[
        Level { name: "RO", actions: RO, scope: INDEXES },
        Level { name: "RW", actions: RW, scope: INDEXES },
        Level { name: "PowerUser", actions: POWER_USER, scope: INDEXES },
    ],
    sam_policies: &[("DynamoDBReadPolicy", "RO"), ("DynamoDBCrudPolicy", "RW")],
    keeps_data: Some("Retain"),
    hook: Some(hook),
    ..Kind::BASE
};

/// What CloudFormation would otherwise refuse at deploy time: a table without its key, a
/// provisioned table without throughput, a stream ARN of a table without a stream.
fn hook(ctx: &mut Ctx, decl: &Decl, _: &[Decl], resource: &mut Value) {
    let consumers = &decl.consumers;
    if looked_up(decl) {
        return;
    }
    macro_parameters(ctx, decl, &[]);
    let path = join(&decl.path, "Properties");
    let Some(props) = properties(resource) else { return };
    if !props.contains_key("KeySchema") {
        ctx.d.error("CX4040", 
            &path,
            "a table needs KeySchema, its primary key (for example [{AttributeName: id, KeyType: HASH}]), and AttributeDefinitions for its attributes",
        );
    }
    if !props.contains_key("BillingMode") && !props.contains_key("ProvisionedThroughput") {
        props.insert("BillingMode".into(), Value::String("PAY_PER_REQUEST".into()));
        ctx.d.warn(
            "CX4041",
            join(&path, "BillingMode"),
            "PAY_PER_REQUEST applied: a table needs BillingMode, or ProvisionedThroughput for the PROVISIONED mode",
        );
    }
    let scaled = decl.def.get("Scaling").map(|v| (v.clone(), props.clone()));
    if let Some((v, props)) = scaled {
        scaling(ctx, decl, &v, &props);
    }
    let Some(props) = properties(resource) else { return };
    if !props.contains_key("StreamSpecification") {
        for c in consumers {
            if c.return_values.iter().any(|(attr, _)| attr == "StreamArn") {
                ctx.d.error("CX4042", 
                    join(&join(&c.path, "ReturnValues"), "StreamArn"),
                    format!(
                        "{} has no stream, so no StreamArn; add Properties.StreamSpecification, like {{StreamViewType: NEW_AND_OLD_IMAGES}}",
                        decl.path
                    ),
                );
            }
        }
    }
}

/// The capacities `Scaling` asks for, for the table and its indexes: checked, then one
/// scalable target and one target-tracking policy each.
fn scaling(ctx: &mut Ctx, decl: &Decl, v: &Value, props: &Map<String, Value>) {
    let path = join(&decl.path, "Scaling");
    let head = "Scaling must be a mapping with Table, like {Table: {ReadCapacityUnits: {MinCapacity: 5, MaxCapacity: 20, TargetValue: 70}}}";
    let Some(m) = map_or(v, &path, head, &mut ctx.d) else { return };
    let provisioned = match props.get("BillingMode").and_then(Value::as_str) {
        Some(mode) => mode == "PROVISIONED",
        None => props.contains_key("ProvisionedThroughput"),
    };
    if !provisioned {
        ctx.d.error(
            "CX4387",
            &path,
            "Scaling scales PROVISIONED capacity, and this table is PAY_PER_REQUEST, whose capacity follows the load by itself; remove Scaling, or set BillingMode: PROVISIONED with ProvisionedThroughput",
        );
        return;
    }
    let indexes: Vec<String> = props
        .get("GlobalSecondaryIndexes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|i| i.get("IndexName").and_then(Value::as_str).map(str::to_string))
        .collect();
    let mut units: Vec<(Option<String>, String, &Map<String, Value>)> = Vec::new();
    let mut copy = false;
    let mut table = None;
    for (k, val) in m {
        let p = join(&path, k);
        match k.as_str() {
            "Table" => {
                table =
                    map_or(val, &p, "Table must be a mapping with ReadCapacityUnits or WriteCapacityUnits", &mut ctx.d)
            }
            "CopyToIndexes" => copy = crate::compose::read::boolean(val, &p, &mut ctx.d) == Some(true),
            "Indexes" => {
                for (name, unit) in
                    map_or(val, &p, "Indexes must map index names to their scaling", &mut ctx.d).into_iter().flatten()
                {
                    let ip = join(&p, name);
                    if !indexes.contains(name) {
                        ctx.d.error("CX4389", &ip, format!("{name:?} is not a global secondary index of the table; use one of its IndexName values ({})", if indexes.is_empty() { "it has none".to_string() } else { indexes.join(", ") }));
                        continue;
                    }
                    if let Some(um) = map_or(
                        unit,
                        &ip,
                        "an index's scaling must be a mapping with ReadCapacityUnits or WriteCapacityUnits",
                        &mut ctx.d,
                    ) {
                        units.push((Some(name.clone()), ip, um));
                    }
                }
            }
            _ => {
                ctx.d.error("CX4390", &p, format!("{k:?} is not a key of Scaling; use Table, Indexes or CopyToIndexes"))
            }
        }
    }
    let Some(table) = table else {
        if !m.contains_key("Table") {
            ctx.d.error("CX4391", &path, "Scaling needs Table, the scaling of the table's capacity");
        }
        return;
    };
    if copy {
        for name in &indexes {
            if !units.iter().any(|(n, _, _)| n.as_deref() == Some(name)) {
                units.push((Some(name.clone()), join(&path, "Table"), table));
            }
        }
    }
    units.insert(0, (None, join(&path, "Table"), table));
    for (index, p, um) in units {
        for (k, val) in um {
            let cp = join(&p, k);
            let (dimension, metric) = match k.as_str() {
                "ReadCapacityUnits" => ("ReadCapacityUnits", "DynamoDBReadCapacityUtilization"),
                "WriteCapacityUnits" => ("WriteCapacityUnits", "DynamoDBWriteCapacityUtilization"),
                _ => {
                    ctx.d.error(
                        "CX4392",
                        &cp,
                        format!("{k:?} is not a capacity; use ReadCapacityUnits or WriteCapacityUnits"),
                    );
                    continue;
                }
            };
            if let Some(c) = capacity(ctx, val, &cp) {
                emit(ctx, decl, index.as_deref(), dimension, metric, &c);
            }
        }
    }
}

/// One capacity's bounds, target and cooldowns, checked.
struct Capacity {
    min: u64,
    max: u64,
    target: f64,
    scale_in: u64,
    scale_out: u64,
}

fn capacity(ctx: &mut Ctx, v: &Value, path: &str) -> Option<Capacity> {
    let head = "a capacity's scaling must be a mapping with MinCapacity, MaxCapacity and TargetValue";
    let m = map_or(v, path, head, &mut ctx.d)?;
    let mut ok = true;
    let mut num = |ctx: &mut Ctx, k: &str, required: bool| -> Option<f64> {
        let p = join(path, k);
        match m.get(k) {
            Some(Value::Number(n)) => n.as_f64(),
            Some(other) => {
                ctx.d.error("CX4393", &p, format!("{k} must be a number, not {}", kind_of(other)));
                ok = false;
                None
            }
            None if required => {
                ctx.d.error("CX4394", path, format!("a capacity's scaling needs {k}"));
                ok = false;
                None
            }
            None => None,
        }
    };
    let min = num(ctx, "MinCapacity", true);
    let max = num(ctx, "MaxCapacity", true);
    let target = num(ctx, "TargetValue", true);
    let scale_in = num(ctx, "ScaleInCooldown", false);
    let scale_out = num(ctx, "ScaleOutCooldown", false);
    for k in m.keys() {
        if !matches!(k.as_str(), "MinCapacity" | "MaxCapacity" | "TargetValue" | "ScaleInCooldown" | "ScaleOutCooldown")
        {
            ctx.d.error("CX4395", join(path, k), format!("{k:?} is not a key of a capacity's scaling; use MinCapacity, MaxCapacity, TargetValue, ScaleInCooldown or ScaleOutCooldown"));
            ok = false;
        }
    }
    let (min, max, target) = (min?, max?, target?);
    if min < 1.0 || min.fract() != 0.0 || max.fract() != 0.0 || min > max {
        ctx.d.error("CX4396", path, format!("MinCapacity {min} and MaxCapacity {max} must be whole numbers of at least 1, MinCapacity not above MaxCapacity"));
        ok = false;
    }
    if !(20.0..=90.0).contains(&target) {
        ctx.d.error(
            "CX4397",
            join(path, "TargetValue"),
            format!("{target} is not a utilisation DynamoDB can track; use a percentage from 20 to 90"),
        );
        ok = false;
    }
    ok.then_some(Capacity {
        min: min as u64,
        max: max as u64,
        target,
        scale_in: scale_in.map_or(60, |v| v.max(0.0) as u64),
        scale_out: scale_out.map_or(60, |v| v.max(0.0) as u64),
    })
}

fn emit(ctx: &mut Ctx, decl: &Decl, index: Option<&str>, dimension: &str, metric: &str, c: &Capacity) {
    let (scope, resource_id, base) = match index {
        None => ("table", format!("table/${{{}}}", decl.id), format!("{}{dimension}", decl.id)),
        Some(i) => (
            "index",
            format!("table/${{{}}}/index/{i}", decl.id),
            format!("{}{}{dimension}", decl.id, crate::cfn::naming::pascal(i)),
        ),
    };
    let target = format!("{base}ScalableTarget");
    ctx.add(
        &decl.name,
        target.clone(),
        json!({"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Properties": {
            "MinCapacity": c.min,
            "MaxCapacity": c.max,
            "ResourceId": {"Fn::Sub": resource_id},
            "ScalableDimension": format!("dynamodb:{scope}:{dimension}"),
            "ServiceNamespace": "dynamodb",
        }}),
    );
    ctx.add(
        &decl.name,
        format!("{base}ScalingPolicy"),
        json!({"Type": "AWS::ApplicationAutoScaling::ScalingPolicy", "Properties": {
            "PolicyName": format!("{base}Tracking"),
            "PolicyType": "TargetTrackingScaling",
            "ScalingTargetId": {"Ref": target},
            "TargetTrackingScalingPolicyConfiguration": {
                "TargetValue": c.target,
                "ScaleInCooldown": c.scale_in,
                "ScaleOutCooldown": c.scale_out,
                "PredefinedMetricSpecification": {"PredefinedMetricType": metric},
            },
        }}),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_cover_the_table_and_its_indexes() {
        for l in KIND.levels {
            assert_eq!(l.scope, INDEXES, "{}", l.name);
        }
        assert_eq!(KIND.level("DynamoDBCrudPolicy").map(|l| l.name), Some("RW"));
        assert!(RO.iter().all(|a| RW.contains(a) && POWER_USER.contains(a)));
        assert!(RW.iter().all(|a| POWER_USER.contains(a)));
    }
}
