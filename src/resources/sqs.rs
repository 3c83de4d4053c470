//! `x-sqs`: SQS queues.

use super::consumers::Consumer;
use super::expand::Decl;
use super::{Attr, Kind, Level, Scope};
use crate::diagnostics::join;
use crate::expand::Ctx;
use serde_json::{json, Value};

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
    consumer_keys: &["Scaling", "scaling"],
    default_access: None,
    settings_keys: &[],
    hook: Some(hook),
    extra_attributes: &[],
};

/// A dead-letter queue named by its bare name (as ECS ComposeX files do) is read as a reference
/// to that queue, with a warning; any other text that is not an ARN is refused.
fn hook(ctx: &mut Ctx, decl: &Decl, _: &[Consumer], resource: &mut Value) {
    let path = join(&join(&join(&decl.path, "Properties"), "RedrivePolicy"), "deadLetterTargetArn");
    let Some(target) = resource.pointer_mut("/Properties/RedrivePolicy/deadLetterTargetArn") else { return };
    let Some(text) = target.as_str().map(str::to_string) else { return };
    if text.starts_with("arn:") {
        return;
    }
    match ctx.declared.get(&("x-sqs".to_string(), text.clone())) {
        Some((id, _)) => {
            ctx.d.warn(&path, format!("{text:?} is read as the queue x-sqs.{text}; write x-sqs::{text}::Arn"));
            *target = json!({"Fn::GetAtt": [id, "Arn"]});
        }
        None => ctx.d.error(
            &path,
            format!("{text:?} is neither a queue of x-sqs nor an ARN; write x-sqs::NAME::Arn for a queue of this file, or the queue's ARN"),
        ),
    }
}
