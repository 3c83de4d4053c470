//! `x-kinesis`: Kinesis data streams. Levels that read also cover the stream's enhanced fan-out
//! consumers (`stream/NAME/consumer/*`), which the Kinesis Client Library registers and reads
//! through by default.

use super::generic::Decl;
use super::generic::{looked_up, macro_parameters, properties};
use super::{Attr, Kind, Level, Scope};
use crate::diagnostics::join;
use crate::plan::Ctx;
use serde_json::{json, Value};

const WITH_CONSUMERS: Scope = Scope::WithChildren("/consumer/*");

/// Reading records, by shard iterator or by enhanced fan-out (ECS ComposeX's `kinesis:Get*` as
/// the actions it meant).
const CONSUMER: &[&str] = &[
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamConsumer",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
    "kinesis:RegisterStreamConsumer",
    "kinesis:SubscribeToShard",
];

const PRODUCER: &[&str] = &[
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:ListShards",
    "kinesis:PutRecord",
    "kinesis:PutRecords",
];

/// Reading, writing, and running the stream (shards, retention, monitoring, tags, fan-out
/// consumers); never creating or deleting it nor changing its encryption.
const POWER_USER: &[&str] = &[
    "kinesis:AddTagsToStream",
    "kinesis:DecreaseStreamRetentionPeriod",
    "kinesis:DeregisterStreamConsumer",
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamConsumer",
    "kinesis:DescribeStreamSummary",
    "kinesis:DisableEnhancedMonitoring",
    "kinesis:EnableEnhancedMonitoring",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:IncreaseStreamRetentionPeriod",
    "kinesis:ListShards",
    "kinesis:ListStreamConsumers",
    "kinesis:ListTagsForStream",
    "kinesis:MergeShards",
    "kinesis:PutRecord",
    "kinesis:PutRecords",
    "kinesis:RegisterStreamConsumer",
    "kinesis:RemoveTagsFromStream",
    "kinesis:SplitShard",
    "kinesis:SubscribeToShard",
    "kinesis:UpdateShardCount",
    "kinesis:UpdateStreamMode",
];

pub const KIND: Kind = Kind {
    key: "x-kinesis",
    cfn_type: "AWS::Kinesis::Stream",
    suffix: "Stream",
    return_values: &[("StreamName", Attr::Ref), ("Arn", Attr::GetAtt("Arn"))],
    arn: Attr::GetAtt("Arn"),
    levels: &[
        Level { name: "Consumer", actions: CONSUMER, scope: WITH_CONSUMERS },
        Level { name: "Producer", actions: PRODUCER, scope: Scope::Resource },
        Level { name: "PowerUser", actions: POWER_USER, scope: WITH_CONSUMERS },
    ],
    sam_policies: &[("KinesisStreamReadPolicy", "Consumer")],
    keeps_data: Some("Retain"),
    hook: Some(hook),
    ..Kind::BASE
};

/// A provisioned stream (CloudFormation's default mode) needs a shard count: one, as ECS
/// ComposeX does, with a warning.
fn hook(ctx: &mut Ctx, decl: &Decl, _: &[Decl], resource: &mut Value) {
    if looked_up(decl) {
        return;
    }
    macro_parameters(ctx, decl, &[]);
    let Some(props) = properties(resource) else { return };
    // Encrypted at rest, with the AWS managed key unless the file names one.
    props.entry("StreamEncryption").or_insert(json!({"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"}));
    let provisioned = match props.get("StreamModeDetails") {
        None => true,
        Some(m) => m.get("StreamMode").and_then(Value::as_str) == Some("PROVISIONED"),
    };
    if provisioned && !props.contains_key("ShardCount") {
        props.insert("ShardCount".into(), json!(1));
        ctx.d.warn(
            "CX4137",
            join(&join(&decl.path, "Properties"), "ShardCount"),
            "1 applied: a PROVISIONED stream needs ShardCount (or set StreamModeDetails: {StreamMode: ON_DEMAND})",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn power_user_reads_and_writes() {
        assert!(CONSUMER.iter().chain(PRODUCER).all(|a| POWER_USER.contains(a)));
        assert!(!POWER_USER.iter().any(|a| a.contains("CreateStream") || a.contains("DeleteStream")));
    }
}
