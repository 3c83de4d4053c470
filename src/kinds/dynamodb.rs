//! `x-dynamodb`: DynamoDB tables. Every level covers the table and its indexes
//! (`table/NAME/index/*`), as queries on an index are authorised on the index's ARN.

use super::generic::{looked_up, macro_parameters, properties, Decl};
use super::{Attr, Kind, Level, Scope};
use crate::diagnostics::join;
use crate::plan::Ctx;
use serde_json::Value;

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
