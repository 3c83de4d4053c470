#!/usr/bin/env python3
"""Writes src/diff/create_only.json from the CloudFormation resource provider schemas that the
pinned cfn-lint ships (us-east-1): for each resource type ComposeX emits (every `AWS::X::Y` named
in src/) and the common ones users add beside them, its createOnlyProperties ("replace": a
change replaces the resource) and conditionalCreateOnlyProperties ("may_replace": a change may
replace it), as paths under Properties (`KeySchema`, `PosixUser/Uid`, `List/*/Name`).
`composex diff` reads the table; users of the CLI need no cfn-lint.

    python3 scripts/cfn-schemas.py           # rewrite the file
    python3 scripts/cfn-schemas.py --check   # exit 1 when the file differs from the package

Run with the project's tools (source .tools/venv/bin/activate): scripts/test.sh checks it.
"""
import json
import pathlib
import re
import sys

import cfnlint.data.schemas as schemas

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "diff" / "create_only.json"

# Resources users commonly declare beside the generated ones (Resources, x-aws-cloudformation).
COMMON = """
AWS::ApiGateway::RestApi AWS::ApiGatewayV2::Api AWS::Backup::BackupVault AWS::CloudFront::Distribution
AWS::Cognito::UserPool AWS::DocDB::DBCluster AWS::DynamoDB::GlobalTable AWS::EC2::SecurityGroupEgress
AWS::ECR::Repository AWS::ElastiCache::ServerlessCache AWS::Events::EventBus AWS::Events::Rule
AWS::IAM::InstanceProfile AWS::IAM::Policy AWS::Kinesis::StreamConsumer AWS::KinesisFirehose::DeliveryStream
AWS::Lambda::EventSourceMapping AWS::Lambda::Function AWS::Lambda::Permission AWS::Logs::MetricFilter
AWS::Logs::SubscriptionFilter AWS::MSK::Cluster AWS::Neptune::DBCluster AWS::OpenSearchService::Domain
AWS::RDS::DBClusterParameterGroup AWS::RDS::DBParameterGroup AWS::Route53::HostedZone AWS::Route53::RecordSet
AWS::SNS::Subscription AWS::StepFunctions::StateMachine AWS::WAFv2::WebACL AWS::WAFv2::WebACLAssociation
""".split()


def paths(pointers):
    """`/properties/A/B` -> `A/B`, sorted."""
    return sorted(p.removeprefix("/properties/") for p in pointers or [] if p.startswith("/properties/"))


def main():
    data = pathlib.Path(schemas.__file__).parent
    providers = json.loads((data / "providers" / "us-east-1.json").read_text())
    named = set()
    for f in (ROOT / "src").rglob("*.rs"):
        named.update(re.findall(r"AWS::[A-Za-z0-9]+::[A-Za-z0-9]+", f.read_text()))
    table = {}
    for t in sorted(named | set(COMMON)):
        if t not in providers:
            continue  # a parameter type (AWS::EC2::VPC::Id is cut to AWS::EC2::VPC) or a SAM type
        schema = json.loads((data / "resources" / f"{providers[t]}.json").read_text())
        table[t] = {
            "replace": paths(schema.get("createOnlyProperties")),
            "may_replace": paths(schema.get("conditionalCreateOnlyProperties")),
        }
    text = json.dumps(table, indent=1, sort_keys=True) + "\n"
    if "--check" in sys.argv[1:]:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT} differs from the pinned cfn-lint's schemas: run python3 scripts/cfn-schemas.py", file=sys.stderr)
            sys.exit(1)
        print(f"cfn-schemas: {OUT.name} matches the pinned cfn-lint")
        return
    OUT.write_text(text)


if __name__ == "__main__":
    main()
