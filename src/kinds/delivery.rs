//! Delivery into queues, once every resource is in the template. An SNS subscription or an S3
//! notification to a queue delivers nothing unless the queue's policy lets the service send to
//! it, so each queue of `x-sqs` that a topic of `x-sns` (`Subscription` with `Protocol: sqs`) or
//! a bucket of `x-s3` (`NotificationConfiguration.QueueConfigurations`) sends to gets one
//! `AWS::SQS::QueuePolicy` (`<QueueId>Policy`) that allows `sqs:SendMessage`:
//!
//! - to `sns.amazonaws.com` from those topics (`aws:SourceArn`);
//! - to `s3.amazonaws.com` from this account (`aws:SourceAccount`), and from those buckets
//!   (`aws:SourceArn`) when their ARNs are known without the bucket itself (a literal name, or
//!   one built from the account and region): `Fn::GetAtt` of the bucket would be a cycle, as S3
//!   checks the queue's policy when the bucket is created, so the bucket depends on the policy;
//! - to the AWS services the queue's `MacroParameters.AwsPrincipalsAccess` names (ECS ComposeX),
//!   from this account.
//!
//! Likewise each topic of `x-sns` that a bucket notifies (`NotificationConfiguration.
//! TopicConfigurations`) gets one `AWS::SNS::TopicPolicy` (`<TopicId>Policy`) that allows
//! `sns:Publish` to `s3.amazonaws.com` on the same conditions; without it S3 refuses to create the
//! bucket ("Unable to validate the following destination configurations").
//!
//! Each policy is built from its queue's or topic's senders only, in logical-ID order: adding an
//! unrelated resource changes no other resource.

use super::sqs::CONSUME_ACTIONS;
use crate::diagnostics::{index, join};
use crate::plan::Ctx;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Default)]
struct Senders {
    /// Topic logical IDs.
    topics: BTreeSet<String>,
    /// Bucket logical ID → its ARN when it can be written without the bucket.
    buckets: BTreeMap<String, Option<Value>>,
    /// AWS service principals that may send, and that may consume (`AwsPrincipalsAccess`).
    publish: BTreeSet<String>,
    consume: BTreeSet<String>,
}

pub fn expand(ctx: &mut Ctx) {
    let mut key_users = KeyUsers::new();
    to_queues(ctx, &mut key_users);
    to_topics(ctx, &mut key_users);
    for (key, services) in key_users {
        let path = ctx.t.owner(&key).unwrap_or_default().to_string();
        key_policy(ctx, &key, &services, &path);
    }
}

/// Key logical ID → the AWS services that deliver into something it encrypts.
type KeyUsers = BTreeMap<String, BTreeSet<String>>;

/// Lets `services` use key `id` for what they deliver: a statement in its key policy. A key
/// without `KeyPolicy` gets the policy AWS KMS gives such keys (the account administers it, so
/// that IAM policies take effect) with that statement; one whose policy the file writes gets the
/// statement added to it.
fn key_policy(ctx: &mut Ctx, id: &str, services: &BTreeSet<String>, path: &str) {
    let Some(mut key) = ctx.t.resource(id).cloned() else { return };
    let principals: Vec<String> = services.iter().map(|s| format!("{s}.amazonaws.com")).collect();
    let statement = json!({
        "Sid": "AllowServicesToDeliver",
        "Effect": "Allow",
        "Principal": {"Service": principals},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    });
    let policy = key.pointer_mut("/Properties/KeyPolicy");
    match policy {
        None | Some(Value::Null) => {
            key["Properties"]["KeyPolicy"] = json!({"Version": "2012-10-17", "Statement": [
                {
                    "Sid": "AccountAdministersTheKey",
                    "Effect": "Allow",
                    "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
                    "Action": "kms:*",
                    "Resource": "*"
                },
                statement
            ]});
        }
        Some(p) => match p.get_mut("Statement").and_then(Value::as_array_mut) {
            Some(list) => list.push(statement),
            None => {
                ctx.d.warn("CX4033", 
                    join(&join(path, "Properties"), "KeyPolicy"),
                    format!("{} deliver into what this key encrypts, and the key policy must let them use it (kms:Decrypt, kms:GenerateDataKey), which ComposeX cannot add to a policy it cannot read", principals.join(", ")),
                );
                return;
            }
        },
    }
    ctx.t.replace(id, key);
}

/// The policies of the topics buckets notify.
fn to_topics(ctx: &mut Ctx, key_users: &mut KeyUsers) {
    let topics = generated(ctx, "x-sns");
    if topics.is_empty() {
        return;
    }
    // Topic logical ID → the buckets that notify it, with their ARN when known without them.
    let mut senders: BTreeMap<String, BTreeMap<String, Option<Value>>> = BTreeMap::new();
    for (bid, name) in generated(ctx, "x-s3") {
        bucket_topics(ctx, key_users, &bid, &name, &topics, &mut senders);
    }
    for (tid, buckets) in &senders {
        let topic_path = join("x-sns", &topics[tid]);
        let policy_id = format!("{tid}Policy");
        let condition = from_buckets(buckets);
        ctx.add(
            &topic_path,
            policy_id.clone(),
            json!({"Type": "AWS::SNS::TopicPolicy", "Properties": {
                "Topics": [{"Ref": tid}],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Sid": "AllowS3Notifications",
                    "Effect": "Allow",
                    "Principal": {"Service": "s3.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": {"Ref": tid},
                    "Condition": condition
                }]}
            }}),
        );
        for b in buckets.keys() {
            depends_on(ctx, b, &policy_id);
        }
    }
}

/// The topics of `x-sns` bucket `id` notifies (`TopicConfigurations[].Topic`: `x-sns::NAME`, its
/// ARN), each with the bucket's ARN when it is known without the bucket.
fn bucket_topics(
    ctx: &mut Ctx,
    key_users: &mut KeyUsers,
    id: &str,
    name: &str,
    topics: &BTreeMap<String, String>,
    senders: &mut BTreeMap<String, BTreeMap<String, Option<Value>>>,
) {
    let path =
        join(&join(&join(&join("x-s3", name), "Properties"), "NotificationConfiguration"), "TopicConfigurations");
    let Some(resource) = ctx.t.resource(id) else { return };
    let arn = bucket_arn(resource.pointer("/Properties/BucketName"));
    let Some(configs) =
        resource.pointer("/Properties/NotificationConfiguration/TopicConfigurations").and_then(Value::as_array)
    else {
        return;
    };
    let mut found = Vec::new();
    for (i, config) in configs.iter().enumerate() {
        let topic = config.get("Topic");
        let tid = topic.and_then(|t| t.get("Ref")).and_then(Value::as_str).filter(|t| topics.contains_key(*t));
        if let Some(tid) = tid {
            found.push((tid.to_string(), join(&index(&path, i), "Topic")));
        }
    }
    for (tid, p) in found {
        if let Some(key) = ctx.t.resource(&tid).and_then(|t| t.pointer("/Properties/KmsMasterKeyId")).cloned() {
            sender_uses_key(ctx, key_users, &key, "s3", &format!("x-sns.{}", topics[&tid]), &p);
        }
        let fifo = ctx.t.resource(&tid).is_some_and(|t| is_true(t.pointer("/Properties/FifoTopic")));
        if fifo {
            ctx.d.error(
                "CX4034",
                &p,
                format!("x-sns.{} is a FIFO topic, which S3 cannot notify; notify a standard topic", topics[&tid]),
            );
        }
        senders.entry(tid).or_default().insert(id.to_string(), arn.clone());
    }
}

/// The policies of the queues topics and buckets deliver to.
fn to_queues(ctx: &mut Ctx, key_users: &mut KeyUsers) {
    let queues = generated(ctx, "x-sqs");
    if queues.is_empty() {
        return;
    }
    let mut senders: BTreeMap<String, Senders> = BTreeMap::new();
    for (id, name) in generated(ctx, "x-sns") {
        topic(ctx, key_users, &id, &name, &queues, &mut senders);
    }
    for (id, name) in generated(ctx, "x-s3") {
        bucket(ctx, key_users, &id, &name, &queues, &mut senders);
    }
    for (id, name) in &queues {
        if let Some((publish, consume)) = ctx.plan.queue_principals.get(name).cloned() {
            let s = senders.entry(id.clone()).or_default();
            s.publish.extend(publish);
            s.consume.extend(consume);
        }
    }
    for (qid, s) in &senders {
        let queue_path = join("x-sqs", &queues[qid]);
        let policy_id = format!("{qid}Policy");
        user_policies(ctx, qid, &queue_path);
        let arn = json!({"Fn::GetAtt": [qid, "Arn"]});
        let account = json!({"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}});
        // The queue's statements: who may send to it or consume from it, on what condition.
        let allow = |sid: &str, service: Value, action: Value, condition: Value| {
            let principal = json!({"Service": service});
            json!({"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": action, "Resource": arn, "Condition": condition})
        };
        let services = |names: &BTreeSet<String>| -> Vec<Value> {
            names.iter().map(|n| Value::String(format!("{n}.amazonaws.com"))).collect()
        };
        let send = json!("sqs:SendMessage");
        let mut statements = Vec::new();
        if !s.topics.is_empty() {
            let topics: Vec<Value> = s.topics.iter().map(|t| json!({"Ref": t})).collect();
            let condition = json!({"ArnEquals": {"aws:SourceArn": topics}});
            statements.push(allow("AllowSnsSubscriptions", json!("sns.amazonaws.com"), send.clone(), condition));
        }
        if !s.buckets.is_empty() {
            let condition = from_buckets(&s.buckets);
            statements.push(allow("AllowS3Notifications", json!("s3.amazonaws.com"), send.clone(), condition));
        }
        if !s.publish.is_empty() {
            statements.push(allow("AllowServicesPublish", json!(services(&s.publish)), send, account.clone()));
        }
        if !s.consume.is_empty() {
            let consume = json!(CONSUME_ACTIONS);
            statements.push(allow("AllowServicesConsume", json!(services(&s.consume)), consume, account));
        }
        ctx.add(
            &queue_path,
            policy_id.clone(),
            json!({"Type": "AWS::SQS::QueuePolicy", "Properties": {
                "Queues": [{"Ref": qid}],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}
            }}),
        );
        for b in s.buckets.keys() {
            depends_on(ctx, b, &policy_id);
        }
    }
}

/// The resources of kind `key` that are in the template: logical ID → resource name.
fn generated(ctx: &Ctx, key: &str) -> BTreeMap<String, String> {
    ctx.plan
        .declared
        .resources
        .iter()
        .filter(|((k, _), _)| k == key)
        .filter(|((k, name), t)| ctx.t.owner(&t.id) == Some(join(k, name).as_str()))
        .map(|((_, name), t)| (t.id.clone(), name.clone()))
        .collect()
}

/// The queue a delivery target is, when it is a queue of `x-sqs`: its ARN, or its URL (the
/// default value of `x-sqs::NAME`), which is read as its ARN with a warning.
fn target(ctx: &mut Ctx, v: &mut Value, queues: &BTreeMap<String, String>, path: &str) -> Option<String> {
    if let Some([id, attr]) = v.get("Fn::GetAtt").and_then(Value::as_array).map(Vec::as_slice) {
        return (attr == "Arn")
            .then(|| id.as_str())
            .flatten()
            .filter(|id| queues.contains_key(*id))
            .map(str::to_string);
    }
    let id = v.get("Ref").and_then(Value::as_str).filter(|id| queues.contains_key(*id))?.to_string();
    let name = &queues[&id];
    ctx.d.warn(
        "CX4035",
        path,
        format!("x-sqs::{name} is the queue's URL; read as its ARN, x-sqs::{name}::Arn, which delivery needs"),
    );
    *v = json!({"Fn::GetAtt": [id, "Arn"]});
    Some(id)
}

fn is_true(v: Option<&Value>) -> bool {
    v.is_some_and(|v| v == &Value::Bool(true) || v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true")))
}

/// What a queue's own properties let a sender do: a FIFO queue receives from FIFO topics only
/// and never from S3; a queue encrypted with a KMS key needs the key policy to let the sender
/// use it.
fn check_queue(
    ctx: &mut Ctx,
    key_users: &mut KeyUsers,
    qid: &str,
    queues: &BTreeMap<String, String>,
    sender: &str,
    fifo_sender: bool,
    path: &str,
) {
    let props = ctx.t.resource(qid).and_then(|q| q.get("Properties")).cloned().unwrap_or_default();
    let name = &queues[qid];
    if is_true(props.get("FifoQueue")) && !fifo_sender {
        let fix = if sender == "sns" {
            "make the topic FIFO (FifoTopic: true, a TopicName ending in .fifo) or the queue standard"
        } else {
            "send the notification to a standard queue"
        };
        ctx.d.error("CX4036", 
            path,
            format!("x-sqs.{name} is a FIFO queue, which {} cannot deliver to, so CloudFormation would fail to create this; {fix}", if sender == "sns" { "a standard SNS topic" } else { "S3" }),
        );
    }
    if let Some(key) = props.get("KmsMasterKeyId") {
        let what = format!("x-sqs.{name}");
        let key = key.clone();
        sender_uses_key(ctx, key_users, &key, sender, &what, path);
    }
}

/// A service delivering into a queue or topic encrypted with a KMS key must be able to use the
/// key: a key of `x-kms` gets a key policy statement for it (in `key_users`, applied once
/// every delivery is known); an AWS managed key (`alias/aws/sqs`, `alias/aws/sns`) lets no other
/// service use it, which is refused; another key is the user's to open, with a warning.
fn sender_uses_key(ctx: &mut Ctx, key_users: &mut KeyUsers, key: &Value, sender: &str, what: &str, path: &str) {
    let stack_key = match (key.get("Ref"), key.get("Fn::GetAtt")) {
        (Some(Value::String(id)), _) => Some(id.clone()),
        (_, Some(Value::Array(a))) => a.first().and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
    .filter(|id| ctx.t.resource(id).is_some_and(|r| r["Type"] == "AWS::KMS::Key"));
    match (stack_key, key.as_str()) {
        (Some(id), _) => {
            key_users.entry(id).or_default().insert(sender.to_string());
        }
        (None, Some(alias)) if alias.starts_with("alias/aws/") => ctx.d.error("CX4037", 
            path,
            format!("{what} is encrypted with the AWS managed key {alias}, which {sender}.amazonaws.com cannot use, so it can deliver nothing; encrypt it with a key of x-kms (ComposeX lets {sender} use it), or with the service's own managed encryption"),
        ),
        _ => ctx.d.warn("CX4038", 
            path,
            format!("{what} is encrypted with a KMS key this file does not create: {sender}.amazonaws.com delivers to it only if that key's policy lets it use the key (kms:GenerateDataKey, kms:Decrypt)"),
        ),
    }
}

fn topic(
    ctx: &mut Ctx,
    key_users: &mut KeyUsers,
    id: &str,
    name: &str,
    queues: &BTreeMap<String, String>,
    senders: &mut BTreeMap<String, Senders>,
) {
    let path = join(&join(&join("x-sns", name), "Properties"), "Subscription");
    let Some(mut resource) = ctx.t.resource(id).cloned() else { return };
    let fifo = is_true(resource.pointer("/Properties/FifoTopic"));
    let Some(subs) = resource.pointer_mut("/Properties/Subscription").and_then(Value::as_array_mut) else { return };
    let mut changed = false;
    for (i, sub) in subs.iter_mut().enumerate() {
        if sub.get("Protocol").and_then(Value::as_str) != Some("sqs") {
            continue;
        }
        let p = join(&index(&path, i), "Endpoint");
        let Some(endpoint) = sub.get_mut("Endpoint") else { continue };
        let before = endpoint.clone();
        let Some(qid) = target(ctx, endpoint, queues, &p) else { continue };
        changed |= *endpoint != before;
        check_queue(ctx, key_users, &qid, queues, "sns", fifo, &p);
        senders.entry(qid).or_default().topics.insert(id.to_string());
    }
    if changed {
        ctx.t.replace(id, resource);
    }
}

fn bucket(
    ctx: &mut Ctx,
    key_users: &mut KeyUsers,
    id: &str,
    name: &str,
    queues: &BTreeMap<String, String>,
    senders: &mut BTreeMap<String, Senders>,
) {
    let path =
        join(&join(&join(&join("x-s3", name), "Properties"), "NotificationConfiguration"), "QueueConfigurations");
    let Some(mut resource) = ctx.t.resource(id).cloned() else { return };
    let arn = bucket_arn(resource.pointer("/Properties/BucketName"));
    let Some(configs) =
        resource.pointer_mut("/Properties/NotificationConfiguration/QueueConfigurations").and_then(Value::as_array_mut)
    else {
        return;
    };
    let mut changed = false;
    for (i, config) in configs.iter_mut().enumerate() {
        let p = join(&index(&path, i), "Queue");
        let Some(queue) = config.get_mut("Queue") else { continue };
        let before = queue.clone();
        let Some(qid) = target(ctx, queue, queues, &p) else { continue };
        changed |= *queue != before;
        check_queue(ctx, key_users, &qid, queues, "s3", false, &p);
        senders.entry(qid).or_default().buckets.insert(id.to_string(), arn.clone());
    }
    if changed {
        ctx.t.replace(id, resource);
    }
}

/// The condition on S3 delivering for `buckets`: from this account, and from those buckets'
/// ARNs when all of them are known without the buckets.
fn from_buckets(buckets: &BTreeMap<String, Option<Value>>) -> Value {
    let mut condition = json!({"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}});
    let known: Option<Vec<Value>> = buckets.values().cloned().collect();
    if let Some(arns) = known {
        condition["ArnLike"] = json!({"aws:SourceArn": arns});
    }
    condition
}

/// The bucket's ARN written without the bucket: from a literal name, or from a name `Fn::Sub`
/// builds from pseudo parameters only (`ExpandAccountIdToBucket`, `ExpandRegionToBucket`).
fn bucket_arn(name: Option<&Value>) -> Option<Value> {
    let text = match name? {
        Value::String(s) if !s.contains('$') => s.as_str(),
        Value::Object(m) if m.len() == 1 => {
            let text = m.get("Fn::Sub")?.as_str()?;
            text.split("${").skip(1).all(|v| v.starts_with("AWS::")).then_some(text)?
        }
        _ => return None,
    };
    Some(json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:s3:::{text}")}))
}

/// Makes `id` wait for `on` (a bucket for its queue's policy, which S3 checks when it creates the
/// bucket's notifications).
fn depends_on(ctx: &mut Ctx, id: &str, on: &str) {
    let Some(mut resource) = ctx.t.resource(id).cloned() else { return };
    let Some(m) = resource.as_object_mut() else { return };
    let mut deps: BTreeSet<String> = match m.get("DependsOn") {
        Some(Value::String(s)) => [s.clone()].into(),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => BTreeSet::new(),
    };
    deps.insert(on.to_string());
    m.insert("DependsOn".into(), json!(deps));
    ctx.t.replace(id, resource);
}

/// A queue has one policy: a policy of the user's Resources on the same queue and this one
/// would replace each other.
fn user_policies(ctx: &mut Ctx, qid: &str, queue_path: &str) {
    let user = crate::cfn::template::USER_RESOURCES;
    let mut clashes: Vec<String> = Vec::new();
    for rid in ctx.t.ids() {
        if ctx.t.owner(rid) != Some(user) {
            continue;
        }
        let Some(r) = ctx.t.resource(rid) else { continue };
        if r.get("Type").and_then(Value::as_str) != Some("AWS::SQS::QueuePolicy") {
            continue;
        }
        let queues = r.pointer("/Properties/Queues").and_then(Value::as_array).cloned().unwrap_or_default();
        if queues.iter().any(|q| q.get("Ref").and_then(Value::as_str) == Some(qid)) {
            clashes.push(rid.to_string());
        }
    }
    for rid in clashes {
        ctx.d.warn("CX4039", 
            join("Resources", &rid),
            format!("a policy of {queue_path}, which ComposeX gives {qid}Policy for its senders; a queue has one policy, so the last one written replaces the other: put your statements in one of them"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buckets_arn_is_known_from_a_name_of_pseudo_parameters_only() {
        assert_eq!(bucket_arn(Some(&json!("uploads"))), Some(json!({"Fn::Sub": "arn:${AWS::Partition}:s3:::uploads"})));
        assert_eq!(
            bucket_arn(Some(&json!({"Fn::Sub": "uploads-${AWS::AccountId}-${AWS::Region}"}))),
            Some(json!({"Fn::Sub": "arn:${AWS::Partition}:s3:::uploads-${AWS::AccountId}-${AWS::Region}"}))
        );
        assert_eq!(bucket_arn(Some(&json!({"Fn::Sub": "uploads-${Suffix}"}))), None);
        assert_eq!(bucket_arn(Some(&json!({"Ref": "Name"}))), None);
        assert_eq!(bucket_arn(None), None);
    }
}
