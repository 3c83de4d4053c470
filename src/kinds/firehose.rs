//! `x-kinesis_firehose`: Kinesis Data Firehose delivery streams to S3.
//!
//! Each becomes an `AWS::KinesisFirehose::DeliveryStream` with its own delivery role, trusted
//! by Firehose for this account only, allowed exactly what delivery needs: writing objects to its
//! destination bucket (`x-s3::name` or a bucket ARN) and, for a stream fed by Kinesis, reading
//! that stream. The role ARNs the file writes are replaced (with a warning): the stream delivers
//! with the role ComposeX scopes to it. A direct-put stream is encrypted at rest (an AWS owned
//! key unless the file names one). Consumers are granted `firehose:PutRecord` and
//! `firehose:PutRecordBatch` on exactly this stream (`Producer`), and get its name in a variable
//! named after it.

use super::generic::{looked_up, macro_parameters, Decl};
use super::{Attr, Kind, Level, Scope};
use crate::cfn::get_att;
use crate::diagnostics::join;
use crate::plan::Ctx;
use serde_json::{json, Map, Value};

pub const KIND: Kind = Kind {
    key: "x-kinesis_firehose",
    cfn_type: "AWS::KinesisFirehose::DeliveryStream",
    suffix: "Firehose",
    default: Attr::Ref,
    return_values: &[("DeliveryStreamName", Attr::Ref), ("Arn", Attr::GetAtt("Arn"))],
    arn: Attr::GetAtt("Arn"),
    levels: &[Level {
        name: "Producer",
        actions: &["firehose:PutRecord", "firehose:PutRecordBatch"],
        scope: Scope::Resource,
    }],
    hook: Some(hook),
    ..Kind::BASE
};

/// The destinations ComposeX writes the delivery role for.
const S3_DESTINATIONS: &[&str] = &["ExtendedS3DestinationConfiguration", "S3DestinationConfiguration"];
const OTHER_DESTINATIONS: &[&str] = &[
    "RedshiftDestinationConfiguration",
    "ElasticsearchDestinationConfiguration",
    "AmazonopensearchserviceDestinationConfiguration",
    "AmazonOpenSearchServerlessDestinationConfiguration",
    "HttpEndpointDestinationConfiguration",
    "SplunkDestinationConfiguration",
    "SnowflakeDestinationConfiguration",
    "IcebergDestinationConfiguration",
];
const WRITE_OBJECTS: &[&str] = &[
    "s3:AbortMultipartUpload",
    "s3:GetBucketLocation",
    "s3:GetObject",
    "s3:ListBucket",
    "s3:ListBucketMultipartUploads",
    "s3:PutObject",
];
const READ_STREAM: &[&str] =
    &["kinesis:DescribeStream", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards"];

fn hook(ctx: &mut Ctx, decl: &Decl, _: &[Decl], resource: &mut Value) {
    if looked_up(decl) {
        return;
    }
    let props_path = join(&decl.path, "Properties");
    let mut props = resource.get("Properties").and_then(Value::as_object).cloned().unwrap_or_default();
    let raw = decl.def.get("Properties").and_then(Value::as_object).cloned().unwrap_or_default();
    if decl.def.get("MacroParameters").is_some() {
        let _ = macro_parameters(ctx, decl, &[]);
    }
    let role = format!("{}Role", decl.id);
    let role_arn = get_att(&role, "Arn");
    let why = "ComposeX delivers with the stream's own role, allowed exactly its source and destination";
    let mut statements: Vec<Value> = Vec::new();

    for key in OTHER_DESTINATIONS.iter().filter(|k| props.contains_key(**k)) {
        ctx.d.error("CX4336", 
            join(&props_path, key),
            format!("ComposeX builds delivery streams to S3 (ExtendedS3DestinationConfiguration); for {key}, declare the stream in the template's Resources (x-aws-cloudformation) with its own role"),
        );
    }
    let destinations: Vec<&str> = S3_DESTINATIONS.iter().copied().filter(|k| props.contains_key(*k)).collect();
    if destinations.is_empty() && !OTHER_DESTINATIONS.iter().any(|k| props.contains_key(*k)) {
        ctx.d.error("CX4337", 
            &props_path,
            "a delivery stream needs a destination: ExtendedS3DestinationConfiguration with BucketARN (x-s3::bucket or an ARN)",
        );
    }
    for key in destinations {
        let path = join(&props_path, key);
        let raw_bucket = raw.get(key).and_then(|d| d.get("BucketARN"));
        let Some(Value::Object(dest)) = props.get_mut(key) else {
            ctx.d.error("CX4338", &path, format!("{key} must be a mapping with BucketARN"));
            continue;
        };
        let Some(bucket) = dest.get("BucketARN").cloned() else {
            ctx.d.error(
                "CX4339",
                join(&path, "BucketARN"),
                "the destination needs BucketARN: x-s3::bucket or a bucket ARN",
            );
            continue;
        };
        let bucket = arn_of(ctx, raw_bucket, bucket);
        dest.insert("BucketARN".into(), bucket.clone());
        replace_role(ctx, dest, &path, &role_arn, why);
        statements.push(json!({"Effect": "Allow", "Action": WRITE_OBJECTS, "Resource": [
            bucket.clone(), {"Fn::Join": ["", [bucket, "/*"]]}
        ]}));
    }
    let kinesis_source = props.get("DeliveryStreamType").and_then(Value::as_str) == Some("KinesisStreamAsSource");
    if let Some(Value::Object(source)) = props.get_mut("KinesisStreamSourceConfiguration") {
        let path = join(&props_path, "KinesisStreamSourceConfiguration");
        let raw_stream = raw.get("KinesisStreamSourceConfiguration").and_then(|s| s.get("KinesisStreamARN"));
        match source.get("KinesisStreamARN").cloned() {
            Some(stream) => {
                let stream = arn_of(ctx, raw_stream, stream);
                source.insert("KinesisStreamARN".into(), stream.clone());
                statements.push(json!({"Effect": "Allow", "Action": READ_STREAM, "Resource": [stream]}));
            }
            None => ctx.d.error(
                "CX4340",
                join(&path, "KinesisStreamARN"),
                "the source needs KinesisStreamARN: x-kinesis::stream or a stream ARN",
            ),
        }
        replace_role(ctx, source, &path, &role_arn, why);
    } else if kinesis_source {
        ctx.d.error(
            "CX4341",
            join(&props_path, "DeliveryStreamType"),
            "KinesisStreamAsSource needs KinesisStreamSourceConfiguration with KinesisStreamARN",
        );
    }
    if let Some(Value::Object(enc)) = props.get_mut("DeliveryStreamEncryptionConfigurationInput") {
        let raw_key = raw.get("DeliveryStreamEncryptionConfigurationInput").and_then(|e| e.get("KeyARN"));
        if let Some(key) = enc.get("KeyARN").cloned() {
            enc.insert("KeyARN".into(), arn_of(ctx, raw_key, key));
            enc.entry("KeyType").or_insert(json!("CUSTOMER_MANAGED_CMK"));
        }
    }
    if kinesis_source {
        if props.contains_key("DeliveryStreamEncryptionConfigurationInput") {
            ctx.d.error("CX4342", 
                join(&props_path, "DeliveryStreamEncryptionConfigurationInput"),
                "a stream fed by Kinesis is encrypted by its source stream; Firehose refuses server-side encryption on it, so leave this out",
            );
        }
    } else {
        props.entry("DeliveryStreamEncryptionConfigurationInput").or_insert(json!({"KeyType": "AWS_OWNED_CMK"}));
    }
    resource["Properties"] = Value::Object(props);

    let trust = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Service": "firehose.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": {"Ref": "AWS::AccountId"}}}
    }]});
    let mut role_props = Map::new();
    role_props.insert("AssumeRolePolicyDocument".into(), trust);
    if !statements.is_empty() {
        role_props.insert(
            "Policies".into(),
            json!([{"PolicyName": "Delivery", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}]),
        );
    }
    ctx.add(&decl.path, role, crate::cfn::resource("AWS::IAM::Role", Value::Object(role_props)));
}

/// The ARN a property names: `x-kind::name` without an attribute is the resource's `Arn` (the
/// generic resolution gave its default value, a name), anything else as written.
fn arn_of(ctx: &Ctx, raw: Option<&Value>, resolved: Value) -> Value {
    let Some(text) = raw.and_then(Value::as_str) else { return resolved };
    let mut parts = text.split("::");
    let (Some(kind), Some(name), None) = (parts.next(), parts.next(), parts.next()) else { return resolved };
    ctx.plan
        .declared
        .resources
        .get(&(kind.to_string(), name.to_string()))
        .and_then(|t| t.attributes.iter().find(|(a, _)| *a == "Arn"))
        .map_or(resolved, |(_, v)| v.clone())
}

/// Sets `RoleARN` of a source or destination to the stream's own role, warning about one the
/// file wrote.
fn replace_role(ctx: &mut Ctx, m: &mut Map<String, Value>, path: &str, role: &Value, why: &str) {
    if let Some(old) = m.insert("RoleARN".into(), role.clone()) {
        if !old.is_object() || old != *role {
            ctx.d.warn("CX4343", join(path, "RoleARN"), format!("replaced: {why}"));
        }
    }
}
