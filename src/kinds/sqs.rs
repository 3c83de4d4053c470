//! `x-sqs`: SQS queues.

use super::generic::Decl;
use super::generic::{looked_up, macro_parameters};
use super::{Attr, Kind, Level, Scope};
use crate::compose::read::{literal, map_or};
use crate::diagnostics::{index, join, Diagnostics};
use crate::plan::{Ctx, QueueScaling};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Receiving and deleting messages: the `Consume` level, and what `AwsPrincipalsAccess.Consume`
/// gives an AWS service.
pub const CONSUME_ACTIONS: &[&str] = &[
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ReceiveMessage",
];

pub const KIND: Kind = Kind {
    key: "x-sqs",
    cfn_type: "AWS::SQS::Queue",
    suffix: "Queue",
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
        Level { name: "Consume", actions: CONSUME_ACTIONS, scope: Scope::Resource },
    ],
    sam_policies: &[("SQSPollerPolicy", "Consume"), ("SQSSendMessagePolicy", "Publish")],
    consumer_keys: &["Scaling", "scaling"],
    hook: Some(hook),
    ..Kind::BASE
};

/// A dead-letter queue named by its bare name (as ECS ComposeX files do) is read as a reference
/// to that queue, with a warning; any other text that is not an ARN is refused.
/// `MacroParameters.AwsPrincipalsAccess` is checked here and applied by the queue's policy
/// ([`super::delivery`]).
/// A consumer's `Scaling` is read here once, into the plan, for its family's scaling.
fn hook(ctx: &mut Ctx, decl: &Decl, _: &[Decl], resource: &mut Value) {
    let consumers = &decl.consumers;
    for c in consumers {
        let Some((key, scaling)) = c.extra.iter().find(|(k, _)| k.eq_ignore_ascii_case("scaling")) else { continue };
        // A consumer that is no family is reported by the grants; its scaling has nothing to scale.
        if ctx.plan.families.resolve(&c.name).is_none() {
            continue;
        }
        if let Some(queue) =
            crate::emit::steps::parse(scaling, &join(&c.path, key), &decl.name, &decl.id, false, &mut ctx.d)
        {
            ctx.plan.queue_scaling.push(QueueScaling { consumer: c.name.clone(), queue });
        }
    }
    if looked_up(decl) && !decl.def.contains_key("Properties") {
        return;
    }
    let params = macro_parameters(ctx, decl, &["AwsPrincipalsAccess"]);
    if let Some(v) = params.get("AwsPrincipalsAccess") {
        let path = join(&join(&decl.path, "MacroParameters"), "AwsPrincipalsAccess");
        let (publish, consume) = aws_principals(v, &path, &mut ctx.d);
        if !publish.is_empty() || !consume.is_empty() {
            ctx.plan.queue_principals.insert(decl.name.clone(), (publish, consume));
        }
    }
    let path = join(&join(&join(&decl.path, "Properties"), "RedrivePolicy"), "deadLetterTargetArn");
    let Some(target) = resource.pointer_mut("/Properties/RedrivePolicy/deadLetterTargetArn") else { return };
    // `x-sqs::NAME` stands for the queue's URL, its default value; SQS wants the queue's ARN.
    if let Some(id) = target.get("Ref").and_then(Value::as_str).filter(|id| is_queue(ctx, id)) {
        *target = json!({"Fn::GetAtt": [id, "Arn"]});
        return;
    }
    let Some(text) = target.as_str().map(str::to_string) else { return };
    if text.starts_with("arn:") {
        return;
    }
    match ctx.plan.declared.id("x-sqs", &text).map(str::to_string) {
        Some(id) => {
            ctx.d.warn("CX4185", &path, format!("{text:?} is read as the queue x-sqs.{text}; write x-sqs::{text}::Arn"));
            *target = json!({"Fn::GetAtt": [id, "Arn"]});
        }
        None => ctx.d.error("CX4186", 
            &path,
            format!("{text:?} is neither a queue of x-sqs nor an ARN; write x-sqs::NAME::Arn for a queue of this file, or the queue's ARN"),
        ),
    }
}

/// Whether `id` is the logical ID of a queue of this file.
fn is_queue(ctx: &Ctx, id: &str) -> bool {
    ctx.plan.declared.resources.iter().any(|((k, _), t)| k == KIND.key && t.id == id)
}

/// ECS ComposeX's `AwsPrincipalsAccess: {Publish: [sns, s3], Consume: [lambda], PublishConsume:
/// [...]}`: AWS services of this account that may send to the queue, and receive from it.
/// Service names as ECS ComposeX writes them (`sns`) or as principals (`sns.amazonaws.com`).
fn aws_principals(v: &Value, path: &str, d: &mut Diagnostics) -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut publish, mut consume) = (BTreeSet::new(), BTreeSet::new());
    let head = "AwsPrincipalsAccess must be a mapping with Publish, Consume or PublishConsume";
    let Some(m) = map_or(v, path, head, d) else { return (publish, consume) };
    for (k, list) in m {
        let p = join(path, k);
        let (send, receive) = match k.as_str() {
            "Publish" => (true, false),
            "Consume" => (false, true),
            "PublishConsume" => (true, true),
            _ => {
                d.warn(
                    "CX4187",
                    &p,
                    "ignored: ComposeX reads Publish, Consume and PublishConsume from AwsPrincipalsAccess",
                );
                continue;
            }
        };
        let Some(items) = list.as_array() else {
            d.error("CX4188", &p, format!("{k} must be a list of AWS services, like [sns, s3]"));
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            let ip = index(&p, i);
            let Some(text) = literal(item, &ip, "an AWS service", d) else { continue };
            let service = text.strip_suffix(".amazonaws.com").unwrap_or(&text);
            let valid = !service.is_empty()
                && service.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !valid {
                d.error(
                    "CX4189",
                    ip,
                    format!("{text:?} is not an AWS service; use its short name, like sns, s3 or events"),
                );
                continue;
            }
            if send {
                publish.insert(service.to_string());
            }
            if receive {
                consume.insert(service.to_string());
            }
        }
    }
    (publish, consume)
}
