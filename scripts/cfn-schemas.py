#!/usr/bin/env python3
"""Writes src/diff/create_only.json from the CloudFormation resource provider schemas that the
pinned cfn-lint ships (us-east-1): for each resource type ComposeX emits (every `AWS::X::Y` named
in src/) and the common ones users add beside them, its createOnlyProperties ("replace": a
change replaces the resource) and conditionalCreateOnlyProperties ("may_replace": a change may
replace it), as paths under Properties (`KeySchema`, `PosixUser/Uid`, `List/*/Name`).
`composex diff` reads the table; users of the CLI need no cfn-lint.

It writes src/kinds/taggable.json from the same schemas: for each of those types whose tags
CloudFormation updates in place (`tagging.taggable` and `tagUpdatable`), the property that
holds them (`Tags`, `FileSystemTags`…) and its form, "list" of {Key, Value} or "map" of
key → value. `x-tags` reads it; a type whose tags would replace the resource is not in it.

It writes src/ext/efs_file_system.json from AWS::EFS::FileSystem's schema: the properties a
template may set, the values each enumerated property accepts (`PerformanceMode`,
`LifecyclePolicies/*/TransitionToIA`, `BackupPolicy/Status`…) and the numeric minimums.
`src/ext/efs.rs` checks the volumes' `driver_opts` and `x-efs` Properties against it.

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
TAGS_OUT = ROOT / "src" / "kinds" / "taggable.json"
EFS_OUT = ROOT / "src" / "ext" / "efs_file_system.json"

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
    taggable = {}
    for t in sorted(named | set(COMMON)):
        if t not in providers:
            continue  # a parameter type (AWS::EC2::VPC::Id is cut to AWS::EC2::VPC) or a SAM type
        schema = json.loads((data / "resources" / f"{providers[t]}.json").read_text())
        table[t] = {
            "replace": paths(schema.get("createOnlyProperties")),
            "may_replace": paths(schema.get("conditionalCreateOnlyProperties")),
        }
        tags = tag_property(schema)
        if tags:
            taggable[t] = tags
    efs = json.loads((data / "resources" / f"{providers['AWS::EFS::FileSystem']}.json").read_text())
    outputs = [(OUT, table), (TAGS_OUT, taggable), (EFS_OUT, values(efs))]
    if "--check" in sys.argv[1:]:
        for out, value in outputs:
            text = json.dumps(value, indent=1, sort_keys=True) + "\n"
            if not out.exists() or out.read_text() != text:
                print(f"{out} differs from the pinned cfn-lint's schemas: run python3 scripts/cfn-schemas.py", file=sys.stderr)
                sys.exit(1)
            print(f"cfn-schemas: {out.name} matches the pinned cfn-lint")
        return
    for out, value in outputs:
        out.write_text(json.dumps(value, indent=1, sort_keys=True) + "\n")



def tag_property(schema):
    """{"property", "form"} of a type whose tags update in place, else None."""
    tagging = schema.get("tagging") or {}
    if not tagging.get("taggable") or not tagging.get("tagUpdatable", True):
        return None
    prop = (tagging.get("tagProperty") or "/properties/Tags").removeprefix("/properties/")
    if "/" in prop or f"/properties/{prop}" in (schema.get("createOnlyProperties") or []):
        return None
    node = follow(schema, schema.get("properties", {}).get(prop))
    if node is None:
        return None
    if node.get("type") == "array":
        item = follow(schema, node.get("items") or {})
        keys = set((item or {}).get("properties", {}))
        if keys >= {"Key", "Value"} and set(item.get("required") or []) <= {"Key", "Value"}:
            return {"property": prop, "form": "list"}
        return None
    if node.get("type") == "object":
        return {"property": prop, "form": "map"}
    return None


def values(schema):
    """{"properties", "enums", "minimums"} of a resource schema: the properties a template may
    set (read-only ones left out), and by path under Properties (`A/*/B` through a list) the
    values of each enumerated property and the minimum of each bounded number."""
    read_only = set(paths(schema.get("readOnlyProperties")))
    props = sorted(p for p in schema.get("properties", {}) if p not in read_only)
    enums, minimums = {}, {}

    def walk(node, path, depth=0):
        node = follow(schema, node) or {}
        if depth > 5:
            return
        if "enum" in node:
            enums[path] = sorted(node["enum"])
        if "minimum" in node and node.get("type") in ("number", "integer"):
            minimums[path] = node["minimum"]
        if node.get("type") == "array":
            walk(node.get("items") or {}, f"{path}/*", depth + 1)
        for name, child in (node.get("properties") or {}).items():
            walk(child, f"{path}/{name}", depth + 1)

    for name in props:
        walk(schema["properties"][name], name)
    return {"properties": props, "enums": enums, "minimums": minimums}


def follow(schema, node):
    """`node` with its `$ref`s (`#/definitions/Tag`) followed inside `schema`."""
    while isinstance(node, dict) and "$ref" in node:
        target = schema
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target.get(part, {})
        node = target
    return node


if __name__ == "__main__":
    main()
