//! `x-sns`: SNS topics.

use super::{Attr, Kind, Level, Scope};

pub const KIND: Kind = Kind {
    key: "x-sns",
    cfn_type: "AWS::SNS::Topic",
    suffix: "Topic",
    return_values: &[("TopicArn", Attr::Ref), ("TopicName", Attr::GetAtt("TopicName"))],
    levels: &[
        Level { name: "Publish", actions: &["sns:Publish"], scope: Scope::Resource },
        Level {
            name: "RO",
            actions: &["sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic"],
            scope: Scope::Resource,
        },
    ],
    sam_policies: &[("SNSPublishMessagePolicy", "Publish")],
    extra_attributes: &[("Arn", Attr::Ref)],
    ..Kind::BASE
};
