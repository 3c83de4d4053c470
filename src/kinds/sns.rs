//! `x-sns`: SNS topics.

use super::{Attr, Kind, Level, Scope};

pub const KIND: Kind = Kind {
    key: "x-sns",
    cfn_type: "AWS::SNS::Topic",
    suffix: "Topic",
    default: Attr::Ref,
    return_values: &[("TopicArn", Attr::Ref), ("TopicName", Attr::GetAtt("TopicName"))],
    arn: Attr::Ref,
    levels: &[
        Level { name: "Publish", actions: &["sns:Publish"], scope: Scope::Resource },
        Level {
            name: "RO",
            actions: &["sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic"],
            scope: Scope::Resource,
        },
    ],
    sam_policies: &[("SNSPublishMessagePolicy", "Publish")],
    consumer_keys: &[],
    default_access: None,
    keeps_data: None,
    settings_keys: &[],
    hook: None,
    extra_attributes: &[("Arn", Attr::Ref)],
};
