//! `x-sqs`: SQS queues.

use super::{Attr, Kind, Level, Scope};

pub const KIND: Kind = Kind {
    key: "x-sqs",
    cfn_type: "AWS::SQS::Queue",
    suffix: "Queue",
    default: Attr::Ref,
    return_values: &[("Url", Attr::Ref), ("Arn", Attr::GetAtt("Arn")), ("QueueName", Attr::GetAtt("QueueName"))],
    arn: Attr::GetAtt("Arn"),
    levels: &[
        Level {
            name: "RWMessages",
            actions: &[
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:ReceiveMessage",
                "sqs:SendMessage",
            ],
            scope: Scope::Resource,
        },
        Level {
            name: "RO",
            actions: &[
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:ListDeadLetterSourceQueues",
                "sqs:ListQueueTags",
            ],
            scope: Scope::Resource,
        },
        Level { name: "Publish", actions: &["sqs:SendMessage"], scope: Scope::Resource },
        Level {
            name: "Consume",
            actions: &[
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:ReceiveMessage",
            ],
            scope: Scope::Resource,
        },
    ],
    sam_policies: &[("SQSPollerPolicy", "Consume"), ("SQSSendMessagePolicy", "Publish")],
    consumer_keys: &[],
    hook: None,
    extra_attributes: &[],
};
