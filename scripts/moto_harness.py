#!/usr/bin/env python3
"""The deploy test: CloudFormation templates deployed on moto's CloudFormation server.

    moto_harness.py serve PORT_FILE            moto's server on 127.0.0.1, on a free port that is
                                               written to PORT_FILE once it listens
    moto_harness.py deploy ENDPOINT[,ENDPOINT...] PATH...
                                               each template (a file, or every *.json under a
                                               folder): create_stack, wait for CREATE_COMPLETE,
                                               delete_stack, check DELETE_COMPLETE; one line each;
                                               one worker per server

CloudFormation itself cannot be reached from CI, but moto's CloudFormation really creates the
VPCs, subnets, security groups, roles, ECS services, load balancers, file systems, queues, topics,
buckets, tables, keys and parameters of a template in its own backends, resolves Ref, GetAtt and
Sub, orders resources by DependsOn and refuses what those backends refuse (an unknown subnet, a
listener protocol its load balancer does not take...). Where moto 5.2.5 falls short of
CloudFormation, `serve` extends it before the server starts, in this module only:

- Strictness. moto takes any parameter value, logs and skips a resource type it has no model
  for, leaves a GetAtt it cannot answer or a ${Var} of Fn::Sub it cannot resolve in the
  template, drops a property that Refs a resource whose Condition is false, and resolves
  Outputs only when they are read; CloudFormation refuses all of these (a value outside
  AllowedValues or AllowedPattern at CreateStack, the others at creation), and so does the
  harness. The test also checks that every resource of the template is listed in the stack.
- Failures as CloudFormation reports them. moto raises a failed resource out of CreateStack (an
  HTTP 500 with no event); here the stack ends CREATE_FAILED (DELETE_FAILED) with an event
  naming the resource, its type and the reason, as describe_stack_events shows on AWS.
- Deletion as CloudFormation deletes: in the reverse order of creation (references and
  DependsOn), each resource really deleted. moto deletes in any order and silently skips the
  types it cannot delete (route tables, routes, NAT gateways, EIPs, internet gateways and
  attachments, VPC endpoints, ingress rules, ECS clusters, services and task definitions,
  listeners, rules, target groups): those are deleted here through moto's backends, so that
  DELETE_COMPLETE means the VPC and everything in it went.
- Intrinsics moto lacks: Fn::Cidr (computed with ipaddress, as CloudFormation does), Fn::GetAZs
  (moto returns four made-up zones and does not resolve a Ref as its argument: here the region's
  zones from moto's EC2), Fn::Length (AWS::LanguageExtensions), and dynamic references
  {{resolve:secretsmanager:...}} and {{resolve:ssm:...}} (read from moto's backends, so a
  missing secret or JSON key fails as it does on AWS).
- Transforms, which CloudFormation applies before it creates anything: AWS::Serverless-2016-10-31
  through aws-sam-translator (the pinned SAM CLI's, with moto's AWS managed policies), and
  AWS::LanguageExtensions (Fn::Length; Fn::ForEach is refused). Any other transform fails.
- moto's own models, completed (_complete_moto_models): a load balancer's Type (moto made every
  one an ALB, whose listeners refuse TCP/UDP/TLS), FIFO queue and SSM parameter names generated
  as CloudFormation generates them, the default key policy of a KMS key without KeyPolicy, DB
  instance identifiers within RDS's 63 characters and Aurora instances (checked against their
  cluster), GetAtt attributes moto does not answer (DBInstanceArn, EFS Arn, SSM Value),
  SourcePrefixListId in ingress rules, IAM's validation of a role's inline policies and
  trust policy (moto stored them as given, so a Ref where an ARN is needed went through), and
  what EC2 capacity references, checked when it is created rather than when an instance
  launches (moto never launches one from an Auto Scaling group of MinSize 0): a launch
  template's AMI ID, instance profile and security groups, and an ECS service's capacity
  providers, which must be associated with its cluster. SSM-typed AMI parameters
  (AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>) resolve from the public
  /aws/service/ecs/optimized-ami/... parameters moto ships for every region: nothing to seed.
- Models for the resource types our templates use that moto lacks: MODELS below, one class per
  type, each saying what it checks. They store their properties, answer Ref and the GetAtt
  attributes of the type's CloudFormation schema (the pinned cfn-lint's, read at start), and
  check the references AWS would check: what they name must exist in moto, and be of the right
  kind (an ARN where an ARN is asked, a queue URL where a URL is asked, a namespace Id...).
- Each template is deployed in a fresh account (moto reset through /harness/prepare, so that
  what an earlier stack retained cannot collide), holding the existing resources the template
  names by literal ID (see prepare). Two speed-ups, with no effect on results: templates are
  read as JSON before moto's pure-Python YAML loader, and EC2 does not load its AMI catalogue.
"""

import ipaddress
import json
import os
import re
import sys
import time
import uuid

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's default account


# --------------------------------------------------------------------------------------------
# serve: moto with the extensions
# --------------------------------------------------------------------------------------------


class Refused(Exception):
    """What CloudFormation would refuse, with its reason."""


def install_extensions():
    """Patches moto's CloudFormation (see the module docstring) and registers MODELS."""
    from moto.cloudformation import models as cfn_models
    from moto.cloudformation import parsing
    from moto.cloudformation.exceptions import ValidationError

    _register_models(parsing)
    _complete_moto_models(parsing.get_model_map())

    # Strictness: a type without a model fails instead of being skipped.
    def resource_class_from_type(resource_type):
        model = parsing.get_model_map().get(resource_type)
        if model is None:
            raise Refused(f"{resource_type}: moto has no model for this type and the harness registers none")
        return model

    parsing.resource_class_from_type = resource_class_from_type

    # Failures name the resource they happened on (moto creates resources lazily, so a failure
    # may surface while another resource is being created: the innermost one is the cause).
    original_create = parsing.parse_and_create_resource

    def parse_and_create_resource(logical_id, resource_json, resources_map, account_id, region_name):
        try:
            return original_create(logical_id, resource_json, resources_map, account_id, region_name)
        except ResourceFailed:
            raise
        except Exception as e:  # noqa: BLE001 - any refusal of any backend
            raise ResourceFailed(logical_id, resource_json.get("Type", "?"), _reason(e)) from e

    parsing.parse_and_create_resource = parse_and_create_resource

    original_clean = parsing.clean_json

    def clean_json(node, resources_map):
        return _clean_json(node, resources_map, original_clean)

    parsing.clean_json = clean_json

    # Parameter values are checked as CloudFormation checks them (moto takes any value).
    original_load_parameters = parsing.ResourceMap.load_parameters

    def load_parameters(self):
        original_load_parameters(self)
        for name, spec in self._template.get("Parameters", {}).items():
            values = self.resolved_parameters[name]
            for value in values if isinstance(values, list) else [values]:
                allowed, pattern = spec.get("AllowedValues"), spec.get("AllowedPattern")
                if allowed is not None and str(value) not in [str(a) for a in allowed]:
                    raise ValidationError(message=f"Parameter '{name}' must be one of AllowedValues")
                if pattern is not None and not re.fullmatch(pattern, str(value)):
                    raise ValidationError(message=f"Parameter '{name}' must match pattern {pattern}")

    parsing.ResourceMap.load_parameters = load_parameters

    # Creation in CloudFormation's order: each resource after everything it references and
    # everything in its DependsOn. moto orders by DependsOn alone and creates a referenced
    # resource the moment it is referenced, before what that resource itself DependsOn (an ECS
    # service referenced by its scalable target came before the listeners it waits for).
    parsing.ResourceMap._ResourceMap__get_resources_in_dependency_order = lambda self: _creation_order(
        self._resource_json_map
    )

    # Deletion in the reverse order of creation, as CloudFormation deletes (moto deletes in any
    # order and retries what failed, so a table goes before its routes and the routes then fail).
    def delete_resources(self):
        for name in reversed(_creation_order(self._resource_json_map)):
            resource_json = self._resource_json_map[name]
            resource = self._parsed_resources.get(name)
            if resource_json.get("DeletionPolicy") == "Retain" or resource is None:
                continue
            try:
                self._delete_resource(resource, resource_json)
            except Exception as e:  # noqa: BLE001
                raise ResourceFailed(name, resource_json["Type"], _reason(e)) from e
            self._parsed_resources.pop(name)

    parsing.ResourceMap.delete = delete_resources

    # Transforms run on the parsed template, before the resource map is built.
    original_parse = cfn_models.Stack._parse_template

    def _parse_template(self):
        try:  # moto parses every template with PyYAML's pure-Python loader: 0.4 s for ours
            self.template_dict = json.loads(self.template)
        except (TypeError, ValueError):
            original_parse(self)
        try:
            self.template_dict = _apply_transforms(self.template_dict, self.account_id)
        except Exception as e:  # noqa: BLE001 - CloudFormation refuses the template, as moto would
            raise ValidationError(message=f"Transform failed: {_reason(e)}") from e

    cfn_models.Stack._parse_template = _parse_template

    # A failed create or delete becomes the stack's status and events instead of an HTTP error.
    original_create_resources = cfn_models.Stack.create_resources

    def create_resources(self):
        try:
            original_create_resources(self)
            self.outputs  # moto resolves Outputs when they are first read; CloudFormation, at creation
        except Exception as e:  # noqa: BLE001
            _fail(self, cfn_models, "CREATE_FAILED", e)

    cfn_models.Stack.create_resources = create_resources

    original_delete = cfn_models.Stack.delete

    def delete(self):
        try:
            original_delete(self)
        except Exception as e:  # noqa: BLE001
            _fail(self, cfn_models, "DELETE_FAILED", e)

    cfn_models.Stack.delete = delete


class ResourceFailed(Exception):
    def __init__(self, logical_id, resource_type, reason):
        super().__init__(f"{logical_id} ({resource_type}): {reason}")
        self.logical_id, self.resource_type, self.reason = logical_id, resource_type, reason


def _creation_order(resources):
    """Logical ids, each after those it references (Ref, GetAtt, Sub) or DependsOn."""

    def references(node):
        if isinstance(node, dict):
            for fn, arg in node.items():
                if fn == "Ref" and isinstance(arg, str):
                    yield arg
                elif fn == "Fn::GetAtt":
                    yield arg[0] if isinstance(arg, list) else arg.split(".")[0]
                elif fn == "Fn::Sub":
                    text = arg if isinstance(arg, str) else arg[0]
                    yield from (v.split(".")[0] for v in re.findall(r"\$\{([^!}][^}]*)\}", text))
                yield from references(arg)
        elif isinstance(node, list):
            for item in node:
                yield from references(item)

    order, seen = [], set()

    def visit(name):
        if name in seen:
            return
        seen.add(name)
        body = resources[name]
        depends = body.get("DependsOn", [])
        for other in [*references(body.get("Properties", {})), *([depends] if isinstance(depends, str) else depends)]:
            if other in resources:
                visit(other)
        order.append(name)

    for name in resources:
        visit(name)
    return order


def _reason(e):
    """An exception's message as AWS would word it (moto's errors carry code and message)."""
    code = getattr(e, "error_type", None) or getattr(e, "code", None)
    message = getattr(e, "message", None) or getattr(e, "description", None) or str(e) or repr(e)
    if isinstance(code, str) and code not in message:
        return f"{code}: {message}"
    return message if isinstance(e, Refused) else f"{type(e).__name__}: {message}"


def _fail(stack, cfn_models, status, e):
    stack.status = status
    stack.output_map._output_json_map = {}  # a failed stack has no outputs (moto would evaluate them again)
    if isinstance(e, ResourceFailed):
        stack.events.append(
            cfn_models.Event(stack.stack_id, stack.name, e.logical_id, "", e.resource_type, status, e.reason, None)
        )
        reason = f"The following resource(s) failed: [{e.logical_id}]"
    else:
        reason = _reason(e)
    stack._add_stack_event(status, resource_status_reason=reason)


# --- moto's own models, completed -------------------------------------------------------------


def _complete_moto_models(model_map):
    """Where moto 5.2.5's models of types our templates use fall short of CloudFormation."""

    def before_create(resource_type, change):
        """Runs change(name, properties) -> name on the resource's properties first."""
        cls = model_map[resource_type]
        original = cls.create_from_cloudformation_json.__func__

        def create(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs):
            properties = cloudformation_json.setdefault("Properties", {})
            resource_name = change(resource_name, properties)
            return original(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs)

        cls.create_from_cloudformation_json = classmethod(create)

    # The load balancer's Type (network, gateway) is ignored: every one becomes an application
    # load balancer, whose listeners then refuse TCP, UDP and TLS.
    def load_balancer(resource_type):
        cls = model_map[resource_type]

        def create(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs):
            p = cloudformation_json.get("Properties", {})
            return _backend("elbv2").create_load_balancer(
                resource_name, p.get("SecurityGroups", []), p.get("Subnets", []),
                subnet_mappings=p.get("SubnetMappings"), scheme=p.get("Scheme", "internet-facing"),
                loadbalancer_type=p.get("Type", "application"), ip_address_type=p.get("IpAddressType", "ipv4"),
            )

        cls.create_from_cloudformation_json = classmethod(create)

    load_balancer("AWS::ElasticLoadBalancingV2::LoadBalancer")

    # A FIFO queue without QueueName: CloudFormation generates a name ending in .fifo.
    def fifo_name(name, p):
        fifo = str(p.get("FifoQueue", "false")).lower() == "true"
        return p.get("QueueName") or (f"{name[:75]}.fifo" if fifo else name)

    before_create("AWS::SQS::Queue", fifo_name)

    # A parameter without Name: CloudFormation generates one (moto passes None to put_parameter).
    # Its Tags are a map of key to value in CloudFormation; moto passes them on to put_parameter,
    # which takes a list of {Key, Value}.
    def ssm_parameter(name, p):
        p.setdefault("Name", name)
        if isinstance(p.get("Tags"), dict):
            p["Tags"] = [{"Key": k, "Value": v} for k, v in p["Tags"].items()]
        return name

    before_create("AWS::SSM::Parameter", ssm_parameter)

    # KeyPolicy is optional: without it AWS applies the default key policy (the account may use
    # and manage the key through IAM). moto requires it. CloudFormation's Tags are {Key, Value};
    # moto passes them to create_key, which takes KMS's API form {TagKey, TagValue}.
    def default_key_policy(name, p):
        p["Tags"] = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in p.get("Tags", [])]
        p.setdefault("KeyPolicy", {
            "Version": "2012-10-17",
            "Statement": [{"Sid": "Enable IAM User Permissions", "Effect": "Allow",
                           "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}],
        })
        return name

    before_create("AWS::KMS::Key", default_key_policy)

    # CloudWatch refuses a dashboard whose body is not a JSON object with widgets; moto stores any.
    def dashboard_body(name, p):
        try:
            body = json.loads(p.get("DashboardBody", ""))
        except (TypeError, ValueError) as e:
            raise Refused(f"DashboardBody is not JSON: {e}")
        if not isinstance(body, dict) or not isinstance(body.get("widgets"), list):
            raise Refused("DashboardBody has no list of widgets")
        return name

    before_create("AWS::CloudWatch::Dashboard", dashboard_body)

    # IAM validates a role's inline policies (PutRolePolicy); moto's model stores them as given,
    # so a Ref where an ARN is needed went through. Here they go through moto's own validator.
    def role_policies(name, p):
        from moto.iam.policy_validation import IAMPolicyDocumentValidator, IAMTrustPolicyDocumentValidator

        IAMTrustPolicyDocumentValidator(json.dumps(p.get("AssumeRolePolicyDocument"))).validate()
        for policy in p.get("Policies", []):
            IAMPolicyDocumentValidator(json.dumps(policy["PolicyDocument"])).validate()
        for arn in p.get("ManagedPolicyArns", []):
            _arn(arn, "iam", "ManagedPolicyArns")
        if "PermissionsBoundary" in p:
            _arn(p["PermissionsBoundary"], "iam", "PermissionsBoundary")
        return name

    before_create("AWS::IAM::Role", role_policies)

    # A DB instance without DBInstanceIdentifier: moto's generated name (stack-logical-suffix)
    # exceeds the 63 characters RDS allows, where CloudFormation's fits. moto also ignores
    # DBClusterIdentifier, then wants an EngineVersion of its own for Aurora engines; AWS
    # requires that cluster to exist, with the same engine.
    def db_instance(name, p):
        if "DBClusterIdentifier" in p:  # an Aurora instance: the cluster holds engine and version
            cluster = Minimal.minimal("AWS::RDS::DBCluster", p["DBClusterIdentifier"])
            if cluster is None:
                raise Refused(f"DBClusterIdentifier {p['DBClusterIdentifier']!r} is not an existing DB cluster")
            if p.get("Engine") != cluster.prop("Engine"):
                raise Refused(f"Engine {p.get('Engine')!r} is not the engine of cluster {cluster.physical_id}")
            p.setdefault("EngineVersion", cluster.prop("EngineVersion", "(the cluster's default)"))
        return p.get("DBInstanceIdentifier") or f"{name[:50].rstrip('-')}-{uuid.uuid4().hex[:8]}".lower()

    before_create("AWS::RDS::DBInstance", db_instance)

    # A launch template's references are checked when an instance launches, which moto never
    # does with MinSize 0: here when it is created. ImageId must be an AMI ID (an SSM-typed
    # parameter resolved from moto's public ECS-optimised AMI parameters), the instance profile
    # and security groups must exist.
    def launch_template(name, p):
        data = p.get("LaunchTemplateData", {})
        image = data.get("ImageId")
        if image is not None and not re.fullmatch(r"ami-[0-9a-f]{8,17}", str(image)):
            raise Refused(f"LaunchTemplateData.ImageId {image!r} is not an AMI ID")
        profile = data.get("IamInstanceProfile", {})
        if "Arn" in profile:
            _backend("iam").get_instance_profile_by_arn(_arn(profile["Arn"], "iam", "IamInstanceProfile.Arn"))
        _check_security_groups("LaunchTemplateData.SecurityGroupIds", data.get("SecurityGroupIds", []))
        return name

    before_create("AWS::EC2::LaunchTemplate", launch_template)

    # An ECS service's capacity provider strategy may name only providers associated with its
    # cluster (ECS refuses the service otherwise); moto does not check it. FARGATE and
    # FARGATE_SPOT are left to moto, which does not record a cluster's own providers.
    def service_strategy(name, p):
        ecs = _backend("ecs")
        for item in p.get("CapacityProviderStrategy", []):
            provider = item.get("CapacityProvider")
            if provider in ("FARGATE", "FARGATE_SPOT"):
                continue
            cluster = ecs._get_cluster(str(p.get("Cluster", "default")))
            if provider not in (cluster.capacity_providers or []):
                raise Refused(f"CapacityProviderStrategy: {provider!r} is not associated with cluster {cluster.name}")
        return name

    before_create("AWS::ECS::Service", service_strategy)

    # An ECS service's LoadBalancers, checked as ECS checks them at CreateService (moto checks
    # none of it): at most five entries; each target group exists and already belongs to a load
    # balancer (a listener or listener rule forwards to it, so the service must be created after
    # them); its container is in the task definition with a port mapping of ContainerPort.
    # Several services may register in one target group, and one service in several, as ECS
    # allows.
    def service_load_balancers(name, p):
        entries = p.get("LoadBalancers") or []
        if len(entries) > 5:
            raise Refused(f"LoadBalancers: {len(entries)} target groups, but an ECS service takes at most 5")
        if not entries:
            return name
        elbv2 = _backend("elbv2")
        ports = {}
        if p.get("TaskDefinition") is not None:
            task = _backend("ecs").describe_task_definition(str(p["TaskDefinition"]))
            for c in task.container_definitions:
                ports[c.get("name")] = {int(m["containerPort"]) for m in c.get("portMappings", []) if "containerPort" in m}
        for i, entry in enumerate(entries):
            arn = entry.get("TargetGroupArn")
            if arn is None:
                continue
            group = elbv2.target_groups.get(arn)
            if group is None:
                raise Refused(f"LoadBalancers[{i}].TargetGroupArn: target group {arn!r} does not exist")
            if not group.load_balancer_arns:
                raise Refused(
                    f"LoadBalancers[{i}]: the target group with targetGroupArn {arn} does not have an associated load balancer"
                )
            container, port = entry.get("ContainerName"), entry.get("ContainerPort")
            if container not in ports:
                raise Refused(f"LoadBalancers[{i}].ContainerName: {container!r} is not a container of the task definition")
            if port is None or int(port) not in ports[container]:
                raise Refused(f"LoadBalancers[{i}]: the container {container} did not have a container port {port} defined")
        return name

    before_create("AWS::ECS::Service", service_load_balancers)

    # GetAtt attributes of the type's schema that moto's model does not answer.
    def attributes(resource_type, extra):
        cls = model_map[resource_type]
        original_get = getattr(cls, "get_cfn_attribute", None)
        original_has = cls.has_cfn_attr.__func__

        def get_cfn_attribute(self, attr):
            if attr in extra:
                return extra[attr](self)
            if original_get is None:
                raise Refused(f"{resource_type}: no attribute {attr}")
            return original_get(self, attr)

        cls.get_cfn_attribute = get_cfn_attribute
        cls.has_cfn_attr = classmethod(lambda klass, attr: attr in extra or original_has(klass, attr))

    attributes("AWS::RDS::DBInstance", {"DBInstanceArn": lambda r: r.db_instance_arn})
    attributes("AWS::EFS::AccessPoint", {"Arn": lambda r: r.access_point_arn, "AccessPointId": lambda r: r.access_point_id})
    attributes("AWS::EFS::FileSystem", {"Arn": lambda r: r.file_system_arn, "FileSystemId": lambda r: r.file_system_id})
    # The Route 53 zone of Elastic Load Balancing in eu-west-1 (the harness's region), by type.
    lb_zones = {"application": "Z32O12XQLNTSW2", "network": "Z2IFOLAFXWLO4F"}
    attributes(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        {"CanonicalHostedZoneID": lambda r: lb_zones.get(r.type, lb_zones["application"])},
    )
    attributes("AWS::SSM::Parameter", {"Value": lambda r: r.value, "Type": lambda r: r.type})
    attributes("AWS::Route53::HostedZone", {"Id": lambda r: r.resource_id, "NameServers": lambda r: r.delegation_set.name_servers})
    # The names CloudWatch dimensions use: the ARN's part after `loadbalancer/` (`app/name/id`),
    # and a target group's after the last `:` (`targetgroup/name/id`).
    attributes("AWS::ElasticLoadBalancingV2::LoadBalancer", {"LoadBalancerFullName": lambda r: r.arn.split(":loadbalancer/", 1)[1]})
    attributes("AWS::ElasticLoadBalancingV2::TargetGroup", {"TargetGroupFullName": lambda r: r.arn.rsplit(":", 1)[1]})

    # SourcePrefixListId (a prefix list as the source) fails an assertion of moto's model.
    ingress = model_map["AWS::EC2::SecurityGroupIngress"]
    original_ingress = ingress.create_from_cloudformation_json.__func__

    def create_ingress(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = cloudformation_json["Properties"]
        if "SourcePrefixListId" not in p:
            return original_ingress(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        group = _backend("ec2").describe_security_groups(group_ids=[p["GroupId"]])[0]
        _backend("ec2").authorize_security_group_ingress(
            group.id, p["IpProtocol"], p.get("FromPort"), p.get("ToPort"), [],
            prefix_list_ids=[{"PrefixListId": p["SourcePrefixListId"], "Description": p.get("Description")}],
        )
        return klass(group, p)

    ingress.create_from_cloudformation_json = classmethod(create_ingress)

    # Deletion. moto deletes a resource through its `delete` method, else through
    # delete_from_cloudformation_json, else not at all, silently: these types stayed behind, and
    # the VPC then refused to go. Each is deleted here as CloudFormation deletes it.
    ec2, ecs, elbv2 = (lambda: _backend("ec2")), (lambda: _backend("ecs")), (lambda: _backend("elbv2"))

    def delete_nat_gateway(r):
        ec2().delete_nat_gateway(r.id)
        for address in list(ec2().addresses):
            if address.eni is r._eni:
                ec2().disassociate_address(address=address.public_ip)
        ec2().delete_network_interface(r._eni.id)

    def revoke_ingress(r):
        p = r.properties
        sources = {"SourceSecurityGroupId": "GroupId", "SourceSecurityGroupName": "GroupName"}
        ec2().revoke_security_group_ingress(
            r.security_group.id, p["IpProtocol"], p.get("FromPort"), p.get("ToPort"),
            [{"CidrIp": p["CidrIp"], "Description": p.get("Description")}] if "CidrIp" in p else [],
            source_groups=[{v: p[k] for k, v in sources.items() if k in p}] if set(sources) & set(p) else [],
            prefix_list_ids=[{"PrefixListId": p["SourcePrefixListId"]}] if "SourcePrefixListId" in p else None,
        )

    deletes = {
        "AWS::EC2::EIP": lambda r: ec2().release_address(allocation_id=r.allocation_id),
        "AWS::EC2::InternetGateway": lambda r: ec2().delete_internet_gateway(r.id),
        "AWS::EC2::NatGateway": delete_nat_gateway,
        "AWS::EC2::Route": lambda r: ec2().delete_route(
            r.route_table.id, r.destination_cidr_block, r.destination_ipv6_cidr_block,
            r.destination_prefix_list.id if r.destination_prefix_list else None),
        "AWS::EC2::RouteTable": lambda r: ec2().delete_route_table(r.id),
        "AWS::EC2::SecurityGroupIngress": revoke_ingress,
        "AWS::EC2::SubnetRouteTableAssociation": lambda r: ec2().subnet_associations.pop(f"{r.route_table_id}:{r.subnet_id}"),
        "AWS::EC2::VPCEndpoint": lambda r: ec2().delete_vpc_endpoints([r.id]),
        "AWS::EC2::VPCGatewayAttachment": lambda r: ec2().detach_internet_gateway(r.gateway_id, r.vpc_id),
        "AWS::ECS::Cluster": lambda r: ecs().delete_cluster(r.name),
        "AWS::ECS::Service": lambda r: ecs().delete_service(r.cluster_name, r.name, True),
        "AWS::ECS::TaskDefinition": lambda r: ecs().deregister_task_definition(r.arn),
        "AWS::ElasticLoadBalancingV2::Listener": lambda r: elbv2().delete_listener(r.arn),
        "AWS::ElasticLoadBalancingV2::ListenerRule": lambda r: elbv2().delete_rule(r.arn),
        "AWS::ElasticLoadBalancingV2::TargetGroup": lambda r: elbv2().delete_target_group(r.arn),
    }
    for resource_type, delete in deletes.items():
        def method(self, account_id, region_name, delete=delete):
            try:
                delete(self)
            except (AttributeError, TypeError) as e:  # moto would take these for "no delete method"
                raise Refused(f"delete failed: {_reason(e)}") from e
        model_map[resource_type].delete = method


# --- intrinsic functions ------------------------------------------------------------------------

DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:(secretsmanager|ssm|ssm-secure):([^}]*)\}\}")


def _clean_json(node, resources_map, original):
    """moto's clean_json, made strict and completed (see the module docstring)."""
    if isinstance(node, str):
        return DYNAMIC_REFERENCE.sub(lambda m: _resolve_dynamic(m.group(1), m.group(2)), node)
    if not (isinstance(node, dict) and len(node) == 1) or not hasattr(resources_map, "_resource_json_map"):
        return original(node, resources_map)  # (conditions are evaluated against a plain dict)
    (fn, arg), = node.items()
    clean = lambda x: _clean_json(x, resources_map, original)  # noqa: E731
    declared = resources_map._resource_json_map
    if fn == "Ref" and isinstance(arg, str):
        if arg in declared and resources_map[arg] is None:
            raise Refused(f"Ref {arg}: that resource is not created (its Condition is false)")
        if arg not in declared and arg not in resources_map._parsed_resources:
            raise Refused(f"Ref {arg}: no such resource or parameter")
        return original(node, resources_map)
    if fn == "Fn::GetAtt":
        name, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
        attribute = clean(attribute)
        if name not in declared:
            raise Refused(f"Fn::GetAtt {name}.{attribute}: no such resource")
        resource = resources_map[name]
        if resource is None:
            raise Refused(f"Fn::GetAtt {name}.{attribute}: that resource is not created (its Condition is false)")
        try:
            value = resource.get_cfn_attribute(attribute)
        except Refused:
            raise
        except Exception as e:  # noqa: BLE001 - NotImplementedError, UnformattedGetAttTemplateException...
            raise Refused(f"Fn::GetAtt {name}.{attribute}: {declared[name]['Type']} has no attribute {attribute} (in moto)") from e
        if value is None:
            raise Refused(f"Fn::GetAtt {name}.{attribute}: no value")
        return value
    if fn == "Fn::Sub":
        text, variables = (arg, {}) if isinstance(arg, str) else arg
        for var in re.findall(r"\$\{([^!}][^}]*)\}", text):
            base = var.split(".", 1)[0]
            if var not in variables and base not in declared and base not in resources_map._parsed_resources:
                raise Refused(f"Fn::Sub: ${{{var}}} names no parameter, resource or variable")
        return _clean_json(original(node, resources_map), resources_map, original)
    if fn == "Fn::Cidr":
        block, count, bits = (clean(x) for x in arg)
        network = ipaddress.ip_network(block, strict=False)
        prefix = network.max_prefixlen - int(bits)
        if prefix < network.prefixlen:
            raise Refused(f"Fn::Cidr: {block} cannot hold /{prefix} subnets")
        subnets = []
        for subnet in network.subnets(new_prefix=prefix):
            if len(subnets) == int(count):
                break
            subnets.append(str(subnet))
        if len(subnets) < int(count):
            raise Refused(f"Fn::Cidr: {block} holds {len(subnets)} /{prefix} subnets, not {count}")
        return subnets
    if fn == "Fn::GetAZs":
        from moto.ec2.models import ec2_backends

        region = clean(arg) or resources_map["AWS::Region"]
        zones = ec2_backends[ACCOUNT][region].describe_availability_zones()
        return [z.name for z in zones]
    if fn == "Fn::Length":
        value = clean(arg)
        if not isinstance(value, list):
            raise Refused(f"Fn::Length: {value!r} is not a list")
        return len(value)
    if fn == "Fn::ForEach" or fn.startswith("Fn::ForEach::"):
        raise Refused(f"{fn}: not supported by the harness")
    return original(node, resources_map)


def _resolve_dynamic(service, reference):
    if service == "ssm":
        from moto.ssm import ssm_backends

        name, _, version = reference.partition(":")
        parameter = ssm_backends[ACCOUNT][REGION].get_parameter(f"{name}:{version}" if version else name)
        if parameter is None:
            raise Refused(f"{{{{resolve:ssm:{reference}}}}}: no such parameter")
        return parameter.value
    if service == "secretsmanager":
        from moto.secretsmanager import secretsmanager_backends

        # secret-id:SecretString:json-key:version-stage:version-id, the secret id may be an ARN
        m = re.fullmatch(r"(arn:[^:]+:secretsmanager:[^:]+:\d+:secret:[^:]+|[^:]+)(?::([^:]*)(?::([^:]*)(?::([^:]*)(?::(.*))?)?)?)?", reference)
        secret_id, kind, key, stage, version = m.groups()
        if kind not in (None, "", "SecretString"):
            raise Refused(f"{{{{resolve:secretsmanager:{reference}}}}}: only SecretString can be resolved")
        value = secretsmanager_backends[ACCOUNT][REGION].get_secret_value(secret_id, version or None, stage or None)
        text = value.get("SecretString") if isinstance(value, dict) else value[0]["SecretString"]
        if key:
            document = json.loads(text)
            if key not in document:
                raise Refused(f"{{{{resolve:secretsmanager:{reference}}}}}: the secret has no key {key}")
            return str(document[key])
        return text
    raise Refused(f"{{{{resolve:{service}:{reference}}}}}: ssm-secure values are not allowed in this property")


# --- transforms ------------------------------------------------------------------------------------


def _apply_transforms(template, account_id):
    transforms = template.get("Transform")
    if transforms is None:
        return template
    if isinstance(transforms, str):
        transforms = [transforms]
    for i, name in enumerate(transforms):
        rest = transforms[i + 1:]
        if name == "AWS::LanguageExtensions":
            template = dict(template)  # Fn::Length is resolved with the other intrinsics
            text = json.dumps(template)
            if '"Fn::ForEach' in text:
                raise Refused("AWS::LanguageExtensions: Fn::ForEach is not supported by the harness")
        elif name == "AWS::Serverless-2016-10-31":
            from moto.iam.models import iam_backends
            from samtranslator.translator.transform import transform

            class Policies:  # the AWS managed policies, by name, as SAM looks them up in IAM
                @staticmethod
                def load():
                    backend = iam_backends[account_id]["aws"]
                    return {p.name: p.arn for p in backend.managed_policies.values()}

            template = dict(template, Transform=name)
            parameters = {k: v.get("Default") for k, v in template.get("Parameters", {}).items() if "Default" in v}
            template = transform(template, parameters, Policies())
        else:
            raise Refused(f"Transform {name}: not supported by the harness")
        if rest:
            template["Transform"] = rest
        else:
            template.pop("Transform", None)
    return template


# --- models ----------------------------------------------------------------------------------------


def _attributes_of(resource_type):
    """GetAtt attribute names of a type, from the pinned cfn-lint's CloudFormation schemas."""
    import importlib.util

    # Found without importing cfnlint (5 s of imports for a path).
    folder = os.path.join(os.path.dirname(importlib.util.find_spec("cfnlint").origin), "data", "schemas")
    with open(os.path.join(folder, "providers", f"{REGION}.json")) as f:
        schema_id = json.load(f)[resource_type]
    with open(os.path.join(folder, "resources", f"{schema_id}.json")) as f:
        schema = json.load(f)
    return {p.removeprefix("/properties/").replace("/", ".") for p in schema.get("readOnlyProperties", [])}


def _register_models(parsing):
    from moto.core.common_models import CloudFormationModel

    for model in MODELS:
        type(model.__name__, (model, CloudFormationModel), {"SCHEMA_ATTRIBUTES": _attributes_of(model.TYPE)})
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()


def _backend(service):
    """moto's backend of a service in this account and region."""
    import importlib

    module = importlib.import_module(f"moto.{service}.models")
    backends = getattr(module, f"{service}_backends")
    if service in ("iam",):
        return backends[ACCOUNT]["global"]
    if service in ("s3", "route53"):
        return backends[ACCOUNT]["aws"]
    return backends[ACCOUNT][REGION]


def _arn(value, service, what):
    if not (isinstance(value, str) and re.fullmatch(rf"arn:aws:{service}:[a-z0-9-]*:(\d*|aws):.+", value)):
        raise Refused(f"{what}: {value!r} is not an ARN of {service}")
    return value


class Minimal:
    """A resource moto does not model: its properties, a physical id, and its GetAtt attributes.

    Subclasses set TYPE, check the references of their properties in `create` (raising Refused
    as AWS would refuse), set self.physical_id and self.attributes, and undo in `remove`.
    """

    TYPE = ""
    NAME_PROPERTY = ""
    SCHEMA_ATTRIBUTES: set = set()
    created: dict = {}  # physical id -> resource, over all the minimal types

    def __init__(self, name, properties, logical_id):
        self.name, self.properties, self.logical_id = name, properties, logical_id
        self.physical_id = name
        self.attributes = {}

    # moto's interface
    @classmethod
    def cloudformation_type(cls):
        return cls.TYPE

    @classmethod
    def cloudformation_name_type(cls):
        return cls.NAME_PROPERTY

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr in cls.SCHEMA_ATTRIBUTES

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        resource = cls(resource_name, cloudformation_json.get("Properties", {}), kwargs.get("LogicalId"))
        resource.create()
        Minimal.created[resource.physical_id] = resource
        return resource

    @property
    def physical_resource_id(self):
        return self.physical_id

    def get_cfn_attribute(self, attr):
        if attr not in self.SCHEMA_ATTRIBUTES:
            raise Refused(f"{self.TYPE} has no attribute {attr} (its schema has {sorted(self.SCHEMA_ATTRIBUTES)})")
        if attr not in self.attributes:
            raise Refused(f"{self.TYPE}.{attr}: not available for this resource, or not modelled by the harness")
        return self.attributes[attr]

    def is_created(self):
        return True

    def delete(self, account_id, region_name):
        self.remove()
        Minimal.created.pop(self.physical_id, None)

    # what subclasses fill in
    def create(self):
        pass

    def remove(self):
        pass

    def prop(self, key, default=None, required=False):
        if required and key not in self.properties:
            raise Refused(f"{self.TYPE}: property {key} is required")
        return self.properties.get(key, default)

    def arn(self, service, resource):
        return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"

    @staticmethod
    def minimal(resource_type, physical_id):
        resource = Minimal.created.get(physical_id)
        return resource if resource is not None and resource.TYPE == resource_type else None


def _ids(value):
    return value if isinstance(value, list) else [value]


def _check_security_groups(what, ids):
    ec2 = _backend("ec2")
    for group in ids:
        if ec2.get_security_group_from_id(group) is None:
            raise Refused(f"{what}: security group {group!r} does not exist")


def _check_subnets(what, ids):
    ec2 = _backend("ec2")
    for subnet in ids:
        ec2.get_subnet(subnet)  # raises InvalidSubnetID.NotFound


class PrivateDnsNamespace(Minimal):
    """CloudMap private namespace: Vpc must be an existing VPC id. Ref and Id: ns-…; Arn;
    HostedZoneId."""

    TYPE = "AWS::ServiceDiscovery::PrivateDnsNamespace"

    def create(self):
        _backend("ec2").get_vpc(self.prop("Vpc", required=True))
        self.prop("Name", required=True)
        self.physical_id = f"ns-{uuid.uuid4().hex[:16]}"
        self.attributes = {
            "Id": self.physical_id,
            "Arn": self.arn("servicediscovery", f"namespace/{self.physical_id}"),
            "HostedZoneId": "Z" + uuid.uuid4().hex[:20].upper(),
        }


class DiscoveryService(Minimal):
    """CloudMap service: NamespaceId (or DnsConfig.NamespaceId) must be the Id of an existing
    namespace — not its ARN. Ref and Id: srv-…; Arn; Name."""

    TYPE = "AWS::ServiceDiscovery::Service"

    def create(self):
        namespace = self.prop("NamespaceId") or self.prop("DnsConfig", {}).get("NamespaceId")
        if self.minimal(PrivateDnsNamespace.TYPE, namespace) is None:
            raise Refused(f"NamespaceId {namespace!r} is not the Id of an existing namespace")
        self.physical_id = f"srv-{uuid.uuid4().hex[:16]}"
        self.attributes = {
            "Id": self.physical_id,
            "Arn": self.arn("servicediscovery", f"service/{self.physical_id}"),
            "Name": self.prop("Name", self.name),
        }


class ScalableTarget(Minimal):
    """Application Auto Scaling target, registered in moto's applicationautoscaling backend,
    which checks that ResourceId names an existing ECS service (service/CLUSTER/SERVICE).
    Ref and Id: ResourceId|ScalableDimension|ServiceNamespace, as CloudFormation writes it."""

    TYPE = "AWS::ApplicationAutoScaling::ScalableTarget"

    def create(self):
        p = {k: self.prop(k, required=True) for k in ("ResourceId", "ScalableDimension", "ServiceNamespace")}
        if "RoleARN" in self.properties:
            _backend("iam").get_role_by_arn(_arn(self.prop("RoleARN"), "iam", "RoleARN"))
        low, high = int(self.prop("MinCapacity", required=True)), int(self.prop("MaxCapacity", required=True))
        if low > high:
            raise Refused(f"MinCapacity {low} is above MaxCapacity {high}")
        _backend("applicationautoscaling").register_scalable_target(
            p["ServiceNamespace"], p["ResourceId"], p["ScalableDimension"], low, high, self.prop("RoleARN"), None
        )
        self.target = p
        self.physical_id = "|".join((p["ResourceId"], p["ScalableDimension"], p["ServiceNamespace"]))
        self.attributes = {"Id": self.physical_id}

    def remove(self):
        p = self.target
        _backend("applicationautoscaling").deregister_scalable_target(
            p["ServiceNamespace"], p["ResourceId"], p["ScalableDimension"]
        )


class ScalingPolicy(Minimal):
    """Application Auto Scaling policy: ScalingTargetId must be the Ref of a ScalableTarget (or
    ResourceId, ScalableDimension and ServiceNamespace name one). Ref and Arn: the policy ARN,
    which is what CloudWatch alarm actions take."""

    TYPE = "AWS::ApplicationAutoScaling::ScalingPolicy"

    def create(self):
        target_id = self.prop("ScalingTargetId")
        if target_id is None:
            target_id = "|".join(self.prop(k, required=True) for k in ("ResourceId", "ScalableDimension", "ServiceNamespace"))
        target = self.minimal(ScalableTarget.TYPE, target_id)
        if target is None:
            raise Refused(f"ScalingTargetId {target_id!r} is not an existing scalable target")
        kind = self.prop("PolicyType", required=True)
        config = {"StepScaling": "StepScalingPolicyConfiguration", "TargetTrackingScaling": "TargetTrackingScalingPolicyConfiguration"}
        if kind not in config or config[kind] not in self.properties:
            raise Refused(f"PolicyType {kind!r} needs {config.get(kind, 'a known policy type')}")
        name = self.prop("PolicyName", required=True)
        resource = target.target["ResourceId"]
        self.physical_id = self.arn(
            "autoscaling", f"scalingPolicy:{uuid.uuid4()}:resource/{target.target['ServiceNamespace']}/{resource}:policyName/{name}"
        )
        self.attributes = {"Arn": self.physical_id}


class Alarm(Minimal):
    """CloudWatch alarm: every action must be an ARN (an Application Auto Scaling policy's must
    exist). Ref: the alarm name; Arn."""

    TYPE = "AWS::CloudWatch::Alarm"
    NAME_PROPERTY = "AlarmName"

    def create(self):
        for key in ("AlarmActions", "OKActions", "InsufficientDataActions"):
            for action in self.prop(key, []):
                _arn(action, "[a-z-]+", key)
                if action.startswith(f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:scalingPolicy:") and self.minimal(ScalingPolicy.TYPE, action) is None:
                    raise Refused(f"{key}: {action} is not an existing scaling policy")
        for key in ("ComparisonOperator", "EvaluationPeriods"):
            self.prop(key, required=True)
        self.attributes = {"Arn": self.arn("cloudwatch", f"alarm:{self.name}")}


class CompositeAlarm(Minimal):
    """CloudWatch composite alarm: every alarm its AlarmRule names by ARN must exist, and every
    action must be an ARN. Ref: the alarm name; Arn."""

    TYPE = "AWS::CloudWatch::CompositeAlarm"
    NAME_PROPERTY = "AlarmName"

    def create(self):
        rule = self.prop("AlarmRule", required=True)
        if not isinstance(rule, str):
            raise Refused(f"AlarmRule: {rule!r} is not a rule")
        alarms = {r.attributes.get("Arn") for r in Minimal.created.values() if isinstance(r, (Alarm, CompositeAlarm))}
        for arn in re.findall(r"arn:aws:cloudwatch:[^\"\s)]+", rule):
            if arn not in alarms:
                raise Refused(f"AlarmRule: {arn} is not an existing alarm")
        for key in ("AlarmActions", "OKActions", "InsufficientDataActions"):
            for action in self.prop(key, []):
                _arn(action, "[a-z-]+", key)
        self.attributes = {"Arn": self.arn("cloudwatch", f"alarm:{self.name}")}


class ProfilingGroup(Minimal):
    """CodeGuru Profiler profiling group: its name as CodeGuru takes it, a known compute
    platform, SNS topic ARNs as notification channels. Ref: the name; Arn."""

    TYPE = "AWS::CodeGuruProfiler::ProfilingGroup"
    NAME_PROPERTY = "ProfilingGroupName"

    def create(self):
        name = self.prop("ProfilingGroupName", required=True)
        if not re.fullmatch(r"[\w-]{1,255}", name):
            raise Refused(f"ProfilingGroupName: {name!r} is not a profiling group name")
        if self.prop("ComputePlatform", "Default") not in ("Default", "AWSLambda"):
            raise Refused(f"ComputePlatform: {self.prop('ComputePlatform')!r} is not Default or AWSLambda")
        for channel in self.prop("AnomalyDetectionNotificationConfiguration", []):
            _arn(channel.get("channelUri"), "sns", "channelUri")
        self.physical_id = name
        self.attributes = {"Arn": self.arn("codeguru-profiler", f"profilingGroup/{name}")}


class Workspace(Minimal):
    """Amazon Managed Service for Prometheus workspace: its log group, when it logs, must be a
    log group ARN. Ref and Arn: its ARN; WorkspaceId; PrometheusEndpoint."""

    TYPE = "AWS::APS::Workspace"

    def create(self):
        logging = self.prop("LoggingConfiguration", {})
        if logging:
            _arn(logging.get("LogGroupArn"), "logs", "LoggingConfiguration.LogGroupArn")
        workspace = f"ws-{uuid.uuid4()}"
        self.physical_id = self.arn("aps", f"workspace/{workspace}")
        self.attributes = {
            "Arn": self.physical_id,
            "WorkspaceId": workspace,
            "PrometheusEndpoint": f"https://aps-workspaces.{REGION}.amazonaws.com/workspaces/{workspace}/",
        }


class Certificate(Minimal):
    """ACM certificate, requested in moto's acm backend (so that listeners find it). Ref and
    CertificateArn: its ARN."""

    TYPE = "AWS::CertificateManager::Certificate"

    def create(self):
        acm = _backend("acm")
        self.physical_id = acm.request_certificate(
            self.prop("DomainName", required=True), None, self.prop("SubjectAlternativeNames", []), []
        )
        self.attributes = {"CertificateArn": self.physical_id}

    def remove(self):
        _backend("acm").delete_certificate(self.physical_id)


class ListenerCertificate(Minimal):
    """Extra certificates of a listener, added in moto's elbv2 backend: ListenerArn must be an
    existing listener's ARN, each CertificateArn an ARN. Ref and Id: generated."""

    TYPE = "AWS::ElasticLoadBalancingV2::ListenerCertificate"

    def create(self):
        listener = _arn(self.prop("ListenerArn", required=True), "elasticloadbalancing", "ListenerArn")
        certificates = self.prop("Certificates", required=True)
        for c in certificates:
            _arn(c.get("CertificateArn"), "(acm|iam)", "Certificates[].CertificateArn")
        _backend("elbv2").add_listener_certificates(listener, certificates)
        self.listener, self.certificates = listener, certificates
        self.physical_id = f"{listener}|{uuid.uuid4().hex[:8]}"
        self.attributes = {"Id": self.physical_id}

    def remove(self):
        _backend("elbv2").remove_listener_certificates(self.listener, self.certificates)


class BucketPolicy(Minimal):
    """S3 bucket policy, put in moto's s3 backend: Bucket must be an existing bucket's name (not
    its ARN) and, as S3 checks, every Resource of the policy must be that bucket or its objects."""

    TYPE = "AWS::S3::BucketPolicy"

    def create(self):
        bucket = self.prop("Bucket", required=True)
        document = self.prop("PolicyDocument", required=True)
        for statement in _ids(document.get("Statement", [])):
            for resource in _ids(statement.get("Resource", [])):
                if not re.fullmatch(rf"arn:aws:s3:::{re.escape(bucket)}(/.*)?", str(resource)):
                    raise Refused(f"Policy has invalid resource {resource!r} (bucket {bucket})")
        _backend("s3").put_bucket_policy(bucket, json.dumps(document).encode())
        self.bucket = bucket
        self.physical_id = bucket

    def remove(self):
        _backend("s3").delete_bucket_policy(self.bucket)


class TopicPolicy(Minimal):
    """SNS topic policy: each of Topics must be an existing topic's ARN; the policy is set on it
    in moto's sns backend. Ref and Id: generated."""

    TYPE = "AWS::SNS::TopicPolicy"

    def create(self):
        document = json.dumps(self.prop("PolicyDocument", required=True))
        for topic in self.prop("Topics", required=True):
            _backend("sns").set_topic_attribute(_arn(topic, "sns", "Topics"), "policy", document)
        self.physical_id = self.attributes["Id"] = f"{self.name}-{uuid.uuid4().hex[:8]}"


class QueuePolicy(Minimal):
    """SQS queue policy: each of Queues must be an existing queue's URL (what Ref of a queue
    gives; an ARN is refused, as on AWS); the policy is set in moto's sqs backend. Ref and Id:
    generated."""

    TYPE = "AWS::SQS::QueuePolicy"

    def create(self):
        sqs = _backend("sqs")
        document = json.dumps(self.prop("PolicyDocument", required=True))
        for url in self.prop("Queues", required=True):
            m = re.fullmatch(rf"https://sqs\.{REGION}\.amazonaws\.com/{ACCOUNT}/([^/]+)", str(url))
            if not m:
                raise Refused(f"Queues: {url!r} is not a queue URL")
            sqs.set_queue_attributes(m.group(1), {"Policy": document})  # raises for a missing queue
        self.physical_id = self.attributes["Id"] = f"{self.name}-{uuid.uuid4().hex[:8]}"


class Secret(Minimal):
    """Secrets Manager secret, created in moto's secretsmanager backend (so that dynamic
    references and attachments find it), with GenerateSecretString generated as AWS does: a
    password under GenerateStringKey of SecretStringTemplate. KmsKeyId must be an existing key.
    Ref and Id: its ARN."""

    TYPE = "AWS::SecretsManager::Secret"
    NAME_PROPERTY = "Name"

    def create(self):
        backend = _backend("secretsmanager")
        if "KmsKeyId" in self.properties:
            _backend("kms").describe_key(self.prop("KmsKeyId"))
        generate = self.prop("GenerateSecretString")
        value = self.prop("SecretString")
        if (generate is None) == (value is None):
            raise Refused("exactly one of SecretString and GenerateSecretString is required")
        if generate is not None:
            password = backend.get_random_password(
                int(generate.get("PasswordLength", 32)), generate.get("ExcludeCharacters", ""),
                generate.get("ExcludeNumbers", False), generate.get("ExcludePunctuation", False),
                generate.get("ExcludeUppercase", False), generate.get("ExcludeLowercase", False),
                generate.get("IncludeSpace", False), generate.get("RequireEachIncludedType", True),
            )
            password = json.loads(password)["RandomPassword"]
            if "SecretStringTemplate" in generate:
                document = json.loads(generate["SecretStringTemplate"])
                document[generate["GenerateStringKey"]] = password
                value = json.dumps(document)
            else:
                value = password
        created = json.loads(backend.create_secret(self.name, value, None, self.prop("Description"), None, self.prop("KmsKeyId"), None, [], False))
        self.physical_id = created["ARN"]
        self.attributes = {"Id": self.physical_id}

    def remove(self):
        _backend("secretsmanager").delete_secret(self.physical_id, None, True)


class SecretTargetAttachment(Minimal):
    """Links a secret to its database: SecretId must be an existing secret, TargetId an existing
    DB instance (moto's rds backend), DB cluster (the DBCluster model below) or DocumentDB
    cluster (DocDBCluster) of TargetType.
    Ref and Id: the secret's ARN."""

    TYPE = "AWS::SecretsManager::SecretTargetAttachment"

    def create(self):
        secret = _backend("secretsmanager").describe_secret(self.prop("SecretId", required=True))
        target, kind = self.prop("TargetId", required=True), self.prop("TargetType", required=True)
        if kind == "AWS::RDS::DBInstance":
            _backend("rds").describe_db_instances(target)  # raises DBInstanceNotFound
        elif kind == "AWS::RDS::DBCluster":
            if self.minimal(DBCluster.TYPE, target) is None:
                raise Refused(f"TargetId {target!r} is not an existing DB cluster")
        elif kind == "AWS::DocDB::DBCluster":
            if self.minimal(DocDBCluster.TYPE, target) is None:
                raise Refused(f"TargetId {target!r} is not an existing DocumentDB cluster")
        else:
            raise Refused(f"TargetType {kind!r} is not a target the harness models")
        self.physical_id = secret.arn
        self.attributes = {"Id": self.physical_id}


class DBCluster(Minimal):
    """Aurora cluster: DBSubnetGroupName must be an existing subnet group in moto's rds backend,
    VpcSecurityGroupIds existing security groups, KmsKeyId an existing key, and both master
    credentials set (dynamic references resolved). Ref: its identifier; DBClusterArn,
    DBClusterResourceId, Endpoint.Address/Port, ReadEndpoint.Address."""

    TYPE = "AWS::RDS::DBCluster"
    NAME_PROPERTY = "DBClusterIdentifier"

    def create(self):
        engine = self.prop("Engine", required=True)
        if not engine.startswith("aurora-"):
            raise Refused(f"Engine {engine!r} is not an Aurora engine the harness models")
        if "DBSubnetGroupName" in self.properties:  # Ref of moto's DBSubnetGroup gives the object
            _backend("rds").describe_db_subnet_groups(getattr(self.prop("DBSubnetGroupName"), "name", self.prop("DBSubnetGroupName")))
        _check_security_groups("VpcSecurityGroupIds", self.prop("VpcSecurityGroupIds", []))
        if "KmsKeyId" in self.properties:
            _backend("kms").describe_key(self.prop("KmsKeyId"))
        if "SnapshotIdentifier" not in self.properties and not self.prop("ManageMasterUserPassword"):
            self.prop("MasterUsername", required=True)
            self.prop("MasterUserPassword", required=True)
        self.physical_id = self.name.lower()
        port = int(self.prop("Port", 5432 if "postgres" in engine else 3306))
        host = f"{self.physical_id}.cluster-{uuid.uuid4().hex[:12]}.{REGION}.rds.amazonaws.com"
        self.attributes = {
            "DBClusterArn": self.arn("rds", f"cluster:{self.physical_id}"),
            "DBClusterResourceId": f"cluster-{uuid.uuid4().hex[:26].upper()}",
            "Endpoint.Address": host,
            "Endpoint.Port": str(port),
            "ReadEndpoint.Address": host.replace(".cluster-", ".cluster-ro-"),
        }


class CacheSubnetGroup(Minimal):
    """ElastiCache subnet group: SubnetIds must be existing subnets. Ref: its name (lower case,
    as ElastiCache stores it)."""

    TYPE = "AWS::ElastiCache::SubnetGroup"
    NAME_PROPERTY = "CacheSubnetGroupName"

    def create(self):
        _check_subnets("SubnetIds", self.prop("SubnetIds", required=True))
        self.prop("Description", required=True)
        self.physical_id = self.name.lower()


def _check_cache_network(resource, groups_key):
    group = resource.prop("CacheSubnetGroupName")
    if group is not None and resource.minimal(CacheSubnetGroup.TYPE, group) is None:
        raise Refused(f"CacheSubnetGroupName {group!r} is not an existing cache subnet group")
    _check_security_groups(groups_key, resource.prop(groups_key, []))


class CacheCluster(Minimal):
    """ElastiCache cluster: CacheSubnetGroupName must be an existing subnet group,
    VpcSecurityGroupIds existing security groups. Ref: its name. ConfigurationEndpoint.* exist
    for memcached only and RedisEndpoint.* for redis only, as on AWS."""

    TYPE = "AWS::ElastiCache::CacheCluster"
    NAME_PROPERTY = "ClusterName"

    def create(self):
        _check_cache_network(self, "VpcSecurityGroupIds")
        engine = self.prop("Engine", required=True)
        self.physical_id = self.name.lower()[:40]
        host = f"{self.physical_id}.{uuid.uuid4().hex[:6]}.cfg.euw1.cache.amazonaws.com"
        if engine == "memcached":
            self.attributes = {"ConfigurationEndpoint.Address": host, "ConfigurationEndpoint.Port": str(self.prop("Port", 11211))}
        elif engine == "redis":
            self.attributes = {"RedisEndpoint.Address": host, "RedisEndpoint.Port": str(self.prop("Port", 6379))}
        else:
            raise Refused(f"Engine {engine!r}: a cache cluster is memcached or redis")


class ReplicationGroup(Minimal):
    """ElastiCache replication group (redis, valkey): CacheSubnetGroupName must be an existing
    subnet group, SecurityGroupIds existing security groups. Ref: its id. PrimaryEndPoint.* and
    ReaderEndPoint.* without cluster mode, ConfigurationEndPoint.* with it, as on AWS."""

    TYPE = "AWS::ElastiCache::ReplicationGroup"
    NAME_PROPERTY = "ReplicationGroupId"

    def create(self):
        _check_cache_network(self, "SecurityGroupIds")
        self.prop("ReplicationGroupDescription", required=True)
        if self.prop("Engine", "redis") not in ("redis", "valkey"):
            raise Refused(f"Engine {self.prop('Engine')!r}: a replication group is redis or valkey")
        self.physical_id = self.name.lower()[:40]
        port = str(self.prop("Port", 6379))
        host = f"{self.physical_id}.{uuid.uuid4().hex[:6]}.euw1.cache.amazonaws.com"
        if int(self.prop("NumNodeGroups", 1)) > 1 or self.prop("ClusterMode") == "enabled":
            self.attributes = {"ConfigurationEndPoint.Address": f"clustercfg.{host}", "ConfigurationEndPoint.Port": port}
        else:
            self.attributes = {
                "PrimaryEndPoint.Address": f"master.{host}", "PrimaryEndPoint.Port": port,
                "ReaderEndPoint.Address": f"replica.{host}", "ReaderEndPoint.Port": port,
            }


class CapacityProvider(Minimal):
    """ECS capacity provider, registered in moto's ECS backend: AutoScalingGroupProvider.
    AutoScalingGroupArn must name an existing Auto Scaling group (by name or ARN), and managed
    termination protection needs that group to protect new instances from scale-in, as ECS
    requires. Ref: its name (generated, as CloudFormation generates one)."""

    TYPE = "AWS::ECS::CapacityProvider"
    NAME_PROPERTY = "Name"

    def create(self):
        provider = self.prop("AutoScalingGroupProvider", required=True)
        ref = provider.get("AutoScalingGroupArn")
        groups = _backend("autoscaling").autoscaling_groups
        group = next((g for n, g in groups.items() if ref in (n, getattr(g, "arn", None))), None)
        if group is None:
            raise Refused(f"AutoScalingGroupArn {ref!r} is not an existing Auto Scaling group")
        if provider.get("ManagedTerminationProtection") == "ENABLED" and not group.new_instances_protected_from_scale_in:
            raise Refused("ManagedTerminationProtection ENABLED needs NewInstancesProtectedFromScaleIn on the Auto Scaling group")
        if provider.get("ManagedTerminationProtection") == "ENABLED" and provider.get("ManagedScaling", {}).get("Status") != "ENABLED":
            raise Refused("ManagedTerminationProtection ENABLED needs ManagedScaling ENABLED")
        self.physical_id = self.prop("Name") or f"{self.name[:200]}"
        if re.match(r"(?i)(aws|ecs|fargate)", self.physical_id):
            raise Refused(f"capacity provider name {self.physical_id!r} may not start with aws, ecs or fargate")
        details = {"autoScalingGroupArn": ref, "managedTerminationProtection": provider.get("ManagedTerminationProtection")}
        _backend("ecs").create_capacity_provider(self.physical_id, details, None)

    def remove(self):
        _backend("ecs").delete_capacity_provider(self.physical_id)


class CapacityProviderAssociations(Minimal):
    """A cluster's capacity providers, set in moto's ECS backend: Cluster must exist, each of
    CapacityProviders be FARGATE, FARGATE_SPOT or an existing capacity provider, and each
    provider of DefaultCapacityProviderStrategy one of CapacityProviders. Ref: the cluster."""

    TYPE = "AWS::ECS::ClusterCapacityProviderAssociations"

    def create(self):
        ecs = _backend("ecs")
        cluster = ecs._get_cluster(self.prop("Cluster", required=True))
        providers = self.prop("CapacityProviders", required=True)
        for name in providers:
            if name not in ("FARGATE", "FARGATE_SPOT") and ecs._get_provider(name) is None:
                raise Refused(f"CapacityProviders: {name!r} is not an existing capacity provider")
        for item in self.prop("DefaultCapacityProviderStrategy", required=True):
            if item.get("CapacityProvider") not in providers:
                raise Refused(f"DefaultCapacityProviderStrategy: {item.get('CapacityProvider')!r} is not one of CapacityProviders")
        self.cluster = cluster.name
        self.physical_id = cluster.name
        ecs.put_cluster_capacity_providers(cluster.name, list(providers), self.prop("DefaultCapacityProviderStrategy"))

    def remove(self):
        _backend("ecs").put_cluster_capacity_providers(self.cluster, [], [])


class DocDBSubnetGroup(Minimal):
    """DocumentDB subnet group: SubnetIds must be existing subnets, in two zones at least, as
    DocumentDB requires. Ref: its name (lower case, as DocumentDB stores it)."""

    TYPE = "AWS::DocDB::DBSubnetGroup"
    NAME_PROPERTY = "DBSubnetGroupName"

    def create(self):
        subnets = self.prop("SubnetIds", required=True)
        _check_subnets("SubnetIds", subnets)
        self.prop("DBSubnetGroupDescription", required=True)
        zones = {_backend("ec2").get_subnet(s).availability_zone for s in subnets}
        if len(zones) < 2:
            raise Refused(f"SubnetIds: the subnets must cover two availability zones, not {sorted(zones)}")
        self.physical_id = self.name.lower()


class DocDBClusterParameterGroup(Minimal):
    """DocumentDB cluster parameter group: Family, Description and Parameters (a mapping) are
    required. Ref: its name."""

    TYPE = "AWS::DocDB::DBClusterParameterGroup"
    NAME_PROPERTY = "Name"
    FAMILY = "docdb"

    def create(self):
        if not str(self.prop("Family", required=True)).startswith(self.FAMILY):
            raise Refused(f"Family {self.prop('Family')!r} is not a family of {self.FAMILY} ({self.FAMILY}...)")
        self.prop("Description", required=True)
        if not isinstance(self.prop("Parameters", required=True), dict):
            raise Refused("Parameters must be a mapping")
        self.physical_id = self.name.lower()


class DocDBCluster(Minimal):
    """DocumentDB cluster: DBSubnetGroupName must be an existing DocumentDB subnet group,
    DBClusterParameterGroupName an existing parameter group, VpcSecurityGroupIds existing
    security groups, KmsKeyId an existing key, and both master credentials set (dynamic
    references resolved). Ref: its identifier; ClusterResourceId, Endpoint, Port, ReadEndpoint."""

    TYPE = "AWS::DocDB::DBCluster"
    NAME_PROPERTY = "DBClusterIdentifier"
    SUBNET_GROUP = "AWS::DocDB::DBSubnetGroup"
    PARAMETER_GROUP = "AWS::DocDB::DBClusterParameterGroup"

    def create(self):
        group = self.prop("DBSubnetGroupName")
        if group is not None and self.minimal(self.SUBNET_GROUP, group) is None:
            raise Refused(f"DBSubnetGroupName {group!r} is not an existing {self.SUBNET_GROUP}")
        params = self.prop("DBClusterParameterGroupName")
        if params is not None and self.minimal(self.PARAMETER_GROUP, params) is None:
            raise Refused(f"DBClusterParameterGroupName {params!r} is not an existing {self.PARAMETER_GROUP}")
        _check_security_groups("VpcSecurityGroupIds", self.prop("VpcSecurityGroupIds", []))
        if "KmsKeyId" in self.properties:
            _backend("kms").describe_key(self.prop("KmsKeyId"))
        self.credentials()
        self.physical_id = self.name.lower()
        host = f"{self.physical_id}.cluster-{uuid.uuid4().hex[:12]}.{REGION}.docdb.amazonaws.com"
        self.attributes = {
            "ClusterResourceId": f"cluster-{uuid.uuid4().hex[:26].upper()}",
            "Endpoint": host,
            "Port": str(self.prop("Port", self.PORT)),
            "ReadEndpoint": host.replace(".cluster-", ".cluster-ro-"),
        }

    PORT = 27017

    def credentials(self):
        if "SnapshotIdentifier" not in self.properties:
            self.prop("MasterUsername", required=True)
            self.prop("MasterUserPassword", required=True)


class DocDBInstance(Minimal):
    """DocumentDB instance: DBClusterIdentifier must be an existing DocumentDB cluster,
    DBInstanceClass is required. Ref: its identifier; Endpoint, Port."""

    TYPE = "AWS::DocDB::DBInstance"
    NAME_PROPERTY = "DBInstanceIdentifier"
    CLUSTER = "AWS::DocDB::DBCluster"

    def create(self):
        cluster = self.prop("DBClusterIdentifier", required=True)
        if self.minimal(self.CLUSTER, cluster) is None:
            raise Refused(f"DBClusterIdentifier {cluster!r} is not an existing {self.CLUSTER}")
        if not str(self.prop("DBInstanceClass", required=True)).startswith("db."):
            raise Refused(f"DBInstanceClass {self.prop('DBInstanceClass')!r} is not an instance class (db.*)")
        self.physical_id = self.name.lower()[:63]
        self.attributes = {"Endpoint": f"{self.physical_id}.{self.DOMAIN}", "Port": str(self.PORT)}

    DOMAIN, PORT = "docdb.amazonaws.com", 27017


class NeptuneSubnetGroup(DocDBSubnetGroup):
    """Neptune subnet group: as DocDBSubnetGroup (existing subnets, in two zones)."""

    TYPE = "AWS::Neptune::DBSubnetGroup"


class NeptuneClusterParameterGroup(DocDBClusterParameterGroup):
    """Neptune cluster parameter group: as DocDBClusterParameterGroup, with a neptune family."""

    TYPE = "AWS::Neptune::DBClusterParameterGroup"
    FAMILY = "neptune"


class NeptuneCluster(DocDBCluster):
    """Neptune cluster: as DocDBCluster (existing subnet group, parameter group, security groups
    and key), without master credentials, which Neptune does not have. Ref: its identifier;
    ClusterResourceId, Endpoint, Port, ReadEndpoint."""

    TYPE = "AWS::Neptune::DBCluster"
    SUBNET_GROUP = "AWS::Neptune::DBSubnetGroup"
    PARAMETER_GROUP = "AWS::Neptune::DBClusterParameterGroup"
    PORT = 8182

    def credentials(self):
        for key in ("MasterUsername", "MasterUserPassword"):
            if key in self.properties:
                raise Refused(f"{key}: not a property of a Neptune cluster")


class NeptuneInstance(DocDBInstance):
    """Neptune instance: DBClusterIdentifier must be an existing Neptune cluster, DBInstanceClass
    is required. Ref: its identifier; Endpoint, Port."""

    TYPE = "AWS::Neptune::DBInstance"
    CLUSTER = "AWS::Neptune::DBCluster"
    DOMAIN, PORT = "neptune.amazonaws.com", 8182


class OpenSearchDomain(Minimal):
    """OpenSearch Service domain: in a VPC, VPCOptions.SubnetIds must be existing subnets, one
    without zone awareness and one per zone (in distinct zones) with it, as the service
    requires, and SecurityGroupIds existing security groups; AccessPolicies a policy document;
    EncryptionAtRestOptions.KmsKeyId an existing key. Ref: its name; Arn, DomainArn,
    DomainEndpoint, Id."""

    TYPE = "AWS::OpenSearchService::Domain"
    NAME_PROPERTY = "DomainName"

    def create(self):
        vpc = self.prop("VPCOptions")
        cluster = self.prop("ClusterConfig", {})
        if vpc is not None:
            subnets = vpc.get("SubnetIds", [])
            _check_subnets("VPCOptions.SubnetIds", subnets)
            _check_security_groups("VPCOptions.SecurityGroupIds", vpc.get("SecurityGroupIds", []))
            aware = str(cluster.get("ZoneAwarenessEnabled", "false")).lower() == "true"
            want = int(cluster.get("ZoneAwarenessConfig", {}).get("AvailabilityZoneCount", 2)) if aware else 1
            zones = {_backend("ec2").get_subnet(s).availability_zone for s in subnets}
            if len(subnets) != want or len(zones) != want:
                raise Refused(f"VPCOptions.SubnetIds: {want} subnet(s) in {want} zone(s) expected, got {subnets}")
        policy = self.prop("AccessPolicies")
        if policy is not None and not (isinstance(policy, dict) and "Statement" in policy):
            raise Refused("AccessPolicies must be a policy document")
        kms = self.prop("EncryptionAtRestOptions", {}).get("KmsKeyId")
        if kms is not None:
            _backend("kms").describe_key(kms)
        self.physical_id = self.prop("DomainName") or f"{self.name.lower()[:15]}-{uuid.uuid4().hex[:12]}"
        arn = self.arn("es", f"domain/{self.physical_id}")
        self.attributes = {
            "Arn": arn, "DomainArn": arn, "Id": self.physical_id,
            "DomainEndpoint": f"vpc-{self.physical_id}-{uuid.uuid4().hex[:26]}.{REGION}.es.amazonaws.com",
        }


class DeliveryStream(Minimal):
    """Kinesis Data Firehose delivery stream: each RoleARN must be an existing IAM role, an S3
    destination's BucketARN an existing bucket, KinesisStreamARN an existing stream (and a
    KinesisStreamAsSource stream must have one, without server-side encryption), KeyARN an
    existing key. Ref: its name; Arn."""

    TYPE = "AWS::KinesisFirehose::DeliveryStream"
    NAME_PROPERTY = "DeliveryStreamName"

    def create(self):
        def role(value, what):
            _arn(value, "iam", what)
            _backend("iam").get_role_by_arn(value)  # raises for a missing role

        destinations = [k for k in self.properties if k.endswith("DestinationConfiguration")]
        if not destinations:
            raise Refused("a delivery stream needs a destination configuration")
        for key in destinations:
            dest = self.prop(key)
            role(dest.get("RoleARN"), f"{key}.RoleARN")
            if "S3" in key:
                bucket = _arn(dest.get("BucketARN"), "s3", f"{key}.BucketARN")
                _backend("s3").get_bucket(bucket.split(":::", 1)[1])  # raises for a missing bucket
        source = self.prop("KinesisStreamSourceConfiguration")
        if self.prop("DeliveryStreamType") == "KinesisStreamAsSource":
            if source is None:
                raise Refused("KinesisStreamAsSource needs KinesisStreamSourceConfiguration")
            if "DeliveryStreamEncryptionConfigurationInput" in self.properties:
                raise Refused("server-side encryption is not allowed on a KinesisStreamAsSource stream")
        if source is not None:
            role(source.get("RoleARN"), "KinesisStreamSourceConfiguration.RoleARN")
            stream = _arn(source.get("KinesisStreamARN"), "kinesis", "KinesisStreamARN")
            _backend("kinesis").describe_stream(stream_arn=stream, stream_name=None)
        key = (self.prop("DeliveryStreamEncryptionConfigurationInput") or {}).get("KeyARN")
        if key is not None:
            _backend("kms").describe_key(key)
        self.physical_id = self.prop("DeliveryStreamName") or f"{self.name[:40]}-{uuid.uuid4().hex[:12]}"
        self.attributes = {"Arn": self.arn("firehose", f"deliverystream/{self.physical_id}")}


# Web ACLs the template names by literal ARN (x-wafv2_webacl Use), as prepare() found them.
EXISTING_WEB_ACLS: set = set()


class WebACL(Minimal):
    """AWS WAF web ACL: Scope (REGIONAL or CLOUDFRONT), DefaultAction (Allow or Block) and
    VisibilityConfig are required; each rule needs Name (unique), Priority (unique), Statement,
    VisibilityConfig, and Action or OverrideAction (the latter for rule group statements). Ref:
    NAME|ID|SCOPE; Arn, Id, LabelNamespace, Capacity."""

    TYPE = "AWS::WAFv2::WebACL"

    def create(self):
        scope = self.prop("Scope", required=True)
        if scope not in ("REGIONAL", "CLOUDFRONT"):
            raise Refused(f"Scope {scope!r} is not REGIONAL nor CLOUDFRONT")
        default = self.prop("DefaultAction", required=True)
        if not isinstance(default, dict) or len(default) != 1 or next(iter(default)) not in ("Allow", "Block"):
            raise Refused(f"DefaultAction {default!r} must be {{Allow: {{}}}} or {{Block: {{}}}}")
        for key in ("CloudWatchMetricsEnabled", "SampledRequestsEnabled", "MetricName"):
            if key not in self.prop("VisibilityConfig", required=True):
                raise Refused(f"VisibilityConfig: {key} is required")
        names, priorities = set(), set()
        for rule in self.prop("Rules", []):
            for key in ("Name", "Priority", "Statement", "VisibilityConfig"):
                if key not in rule:
                    raise Refused(f"Rules: a rule needs {key}")
            if rule["Name"] in names or rule["Priority"] in priorities:
                raise Refused(f"Rules: {rule['Name']!r} repeats the name or priority of another rule")
            names.add(rule["Name"])
            priorities.add(rule["Priority"])
            group = "ManagedRuleGroupStatement" in rule["Statement"] or "RuleGroupReferenceStatement" in rule["Statement"]
            if group != ("OverrideAction" in rule) or group == ("Action" in rule):
                raise Refused(f"Rules: {rule['Name']!r} needs OverrideAction for a rule group, Action otherwise")
        name = self.prop("Name", f"{self.logical_id}-{uuid.uuid4().hex[:8]}")
        acl_id = str(uuid.uuid4())
        self.physical_id = f"{name}|{acl_id}|{scope}"
        self.attributes = {
            "Arn": self.arn("wafv2", f"{scope.lower()}/webacl/{name}/{acl_id}"),
            "Id": acl_id,
            "LabelNamespace": f"awswaf:{ACCOUNT}:webacl:{name}:",
            "Capacity": 0,
        }


class WebACLAssociation(Minimal):
    """Associates a web ACL with a resource: ResourceArn must be an existing application load
    balancer of moto's elbv2 backend, WebACLArn the Arn of a web ACL the stack made or a wafv2
    ARN. Ref: generated."""

    TYPE = "AWS::WAFv2::WebACLAssociation"

    def create(self):
        resource = _arn(self.prop("ResourceArn", required=True), "elasticloadbalancing", "ResourceArn")
        balancers = _backend("elbv2").describe_load_balancers([resource], None)
        if not balancers or balancers[0].type != "application":
            raise Refused(f"ResourceArn {resource!r} is not an application load balancer")
        acl = _arn(self.prop("WebACLArn", required=True), "wafv2", "WebACLArn")
        made = {r.attributes["Arn"] for r in Minimal.created.values() if r.TYPE == WebACL.TYPE}
        if acl not in made | EXISTING_WEB_ACLS:
            raise Refused(f"WebACLArn {acl!r} is not the Arn of a web ACL (made by the stack or named by the template)")
        self.physical_id = f"{resource}|{acl}"


EXISTING_USER_POOLS: set = set()


class UserPool(Minimal):
    """Cognito user pool. Ref and UserPoolId: REGION_ID; Arn, ProviderName, ProviderURL."""

    TYPE = "AWS::Cognito::UserPool"

    def create(self):
        policy = self.prop("Policies", {}).get("PasswordPolicy", {})
        if not 6 <= int(policy.get("MinimumLength", 8)) <= 99:
            raise Refused("Policies.PasswordPolicy.MinimumLength must be 6 to 99")
        self.physical_id = f"{REGION}_{uuid.uuid4().hex[:9]}"
        self.attributes = {
            "UserPoolId": self.physical_id,
            "Arn": self.arn("cognito-idp", f"userpool/{self.physical_id}"),
            "ProviderName": f"cognito-idp.{REGION}.amazonaws.com/{self.physical_id}",
            "ProviderURL": f"https://cognito-idp.{REGION}.amazonaws.com/{self.physical_id}",
        }


def _user_pool(value):
    if Minimal.minimal(UserPool.TYPE, value) is None and value not in EXISTING_USER_POOLS:
        raise Refused(f"UserPoolId {value!r} is not the Id of a user pool (of the stack, or named by the template)")
    return value


class UserPoolClient(Minimal):
    """App client of a user pool: UserPoolId must be a user pool's Id (not its ARN); OAuth flows
    need AllowedOAuthFlowsUserPoolClient, scopes and https callback URLs (as Cognito asks).
    Ref and ClientId: generated; ClientSecret when GenerateSecret."""

    TYPE = "AWS::Cognito::UserPoolClient"

    def create(self):
        _user_pool(self.prop("UserPoolId", required=True))
        if self.prop("AllowedOAuthFlows"):
            if not self.prop("AllowedOAuthFlowsUserPoolClient") or not self.prop("AllowedOAuthScopes"):
                raise Refused("AllowedOAuthFlows needs AllowedOAuthFlowsUserPoolClient: true and AllowedOAuthScopes")
            for url in self.prop("CallbackURLs", required=True):
                if not (isinstance(url, str) and url.startswith("https://")):
                    raise Refused(f"CallbackURLs: {url!r} is not an https URL")
        self.physical_id = uuid.uuid4().hex[:26]
        self.attributes = {"ClientId": self.physical_id, "Name": self.prop("ClientName", self.physical_id)}
        if self.prop("GenerateSecret"):
            self.attributes["ClientSecret"] = uuid.uuid4().hex


class UserPoolDomain(Minimal):
    """Hosted sign-in pages of a user pool: UserPoolId must be a user pool's Id, Domain a prefix
    (lower-case letters, digits, hyphens). Ref: the domain; CloudFrontDistribution."""

    TYPE = "AWS::Cognito::UserPoolDomain"

    def create(self):
        _user_pool(self.prop("UserPoolId", required=True))
        domain = self.prop("Domain", required=True)
        if not re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", domain):
            raise Refused(f"Domain {domain!r} is not a domain prefix")
        self.physical_id = domain
        self.attributes = {"CloudFrontDistribution": f"{uuid.uuid4().hex[:14]}.cloudfront.net"}


MODELS = [
    PrivateDnsNamespace, DiscoveryService, ScalableTarget, ScalingPolicy, Alarm, CompositeAlarm, ProfilingGroup, Workspace, Certificate,
    ListenerCertificate, BucketPolicy, TopicPolicy, QueuePolicy, Secret, SecretTargetAttachment,
    DBCluster, CacheSubnetGroup, CacheCluster, ReplicationGroup, CapacityProvider,
    CapacityProviderAssociations, DocDBSubnetGroup, DocDBClusterParameterGroup, DocDBCluster,
    DocDBInstance, NeptuneSubnetGroup, NeptuneClusterParameterGroup, NeptuneCluster,
    NeptuneInstance, OpenSearchDomain, DeliveryStream,
    WebACL, WebACLAssociation, UserPool, UserPoolClient, UserPoolDomain,
]


def prepare(template):
    """A fresh account for each template (moto reset: what an earlier stack retained cannot
    collide), holding the existing resources the template names by literal ID: the VPC,
    subnets and security groups of x-vpc Use or AwsSources, certificates by ARN, clusters by
    name, hosted zones by ID, web ACLs by ARN, user pools by ID, secrets read by dynamic reference. The inputs invent these IDs;
    here they exist, so that the template can use them."""
    from unittest import mock

    from moto.moto_api._internal.models import moto_api_backend
    import moto.ec2.models.security_groups as ec2_groups
    import moto.ec2.models.subnets as ec2_subnets
    import moto.ec2.models.vpcs as ec2_vpcs

    moto_api_backend.reset()
    Minimal.created.clear()
    literals, clusters, zones, pools = set(), set(), set(), set()

    def walk(node, key=None):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str):
            literals.add(node)
            if key == "Cluster":
                clusters.add(node.rsplit("/", 1)[-1])
            if key == "HostedZoneId" and re.fullmatch(r"Z[A-Z0-9]+", node):
                zones.add(node)
            if key == "UserPoolId" and re.fullmatch(r"[\w-]+_[0-9a-zA-Z]+", node):
                pools.add(node)

    walk(template.get("Resources", {}))
    named = lambda pattern: sorted(x for x in literals if re.fullmatch(pattern, x))  # noqa: E731
    ec2 = _backend("ec2")
    vpcs = []
    for i, vpc_id in enumerate(named(r"vpc-[0-9a-f]{8,17}")):
        with mock.patch.object(ec2_vpcs, "random_vpc_id", lambda vpc_id=vpc_id: vpc_id):
            vpcs.append(ec2.create_vpc(f"10.{100 + i}.0.0/16"))
    subnets, groups = named(r"subnet-[0-9a-f]{8,17}"), named(r"sg-[0-9a-f]{8,17}")
    if (subnets or groups) and not vpcs:
        vpcs.append(ec2.create_vpc("10.99.0.0/16"))
    for i, subnet_id in enumerate(subnets):
        with mock.patch.object(ec2_subnets, "random_subnet_id", lambda subnet_id=subnet_id: subnet_id):
            ec2.create_subnet(vpcs[0].id, vpcs[0].cidr_block.replace(".0.0/16", f".{i}.0/24"), f"{REGION}{'ab'[i % 2]}")
    for group_id in groups:
        with mock.patch.object(ec2_groups, "random_security_group_id", lambda group_id=group_id: group_id):
            ec2.create_security_group(f"existing-{group_id}", "an existing group", vpcs[0].id)
    acm = _backend("acm")
    for arn in named(r"arn:aws:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+"):
        cert = acm._certificates.pop(acm.request_certificate("existing.example.com", None, [], []))
        cert.arn = arn
        acm._certificates[arn] = cert
    for name in sorted(clusters):
        _backend("ecs").create_cluster(name)
    EXISTING_WEB_ACLS.clear()
    EXISTING_WEB_ACLS.update(named(r"arn:aws:wafv2:[a-z0-9-]+:\d{12}:regional/webacl/[^/]+/[0-9a-f-]+"))
    # User pools the template names by literal ID (x-cognito_userpool Use: app clients of them).
    EXISTING_USER_POOLS.clear()
    EXISTING_USER_POOLS.update(pools)
    # Hosted zones the template names by literal ID (x-route53 Use, certificate validation).
    route53 = _backend("route53")
    for zone_id in sorted(zones):
        zone = route53.create_hosted_zone(f"existing-{zone_id.lower()}.example.com", private_zone=False)
        route53.zones[zone_id] = route53.zones.pop(zone.resource_id)
        zone.resource_id = zone_id
    # Secrets the template reads by dynamic reference ({{resolve:secretsmanager:NAME:SecretString:KEY}}),
    # with the JSON keys it reads.
    secrets = {}
    for text in literals:
        for service, reference in DYNAMIC_REFERENCE.findall(text):
            if service == "secretsmanager" and not reference.startswith("arn:"):
                name, _, rest = reference.partition(":")
                key = rest.split(":")[1] if rest.startswith("SecretString:") and rest.count(":") >= 1 else ""
                secrets.setdefault(name, {})
                if key:
                    secrets[name][key] = f"value of {key}"
    for name, keys in sorted(secrets.items()):
        _backend("secretsmanager").create_secret(
            name=name, secret_string=json.dumps(keys), secret_binary=None, description="an existing secret",
            tags=None, kms_key_id=None, client_request_token=None, replica_regions=[], force_overwrite=False,
        )


def serve(port_file):
    from werkzeug.serving import make_server
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

    os.environ["AWS_DEFAULT_REGION"] = REGION  # SAM's translator asks for it
    os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"  # 0.6 s per account, and no template uses one
    install_extensions()
    moto_app = DomainDispatcherApplication(create_backend_app)

    def app(environ, start_response):
        if environ.get("PATH_INFO") != "/harness/prepare":
            return moto_app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        try:
            prepare(json.loads(body))
            status, answer = "200 OK", b"{}"
        except Exception as e:  # noqa: BLE001
            status, answer = "500 Internal Server Error", _reason(e).encode()
        start_response(status, [("Content-Type", "text/plain")])
        return [answer]

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(port_file + ".tmp", port_file)
    server.serve_forever()


# --------------------------------------------------------------------------------------------
# deploy: the client
# --------------------------------------------------------------------------------------------


class Fixtures:
    """What a template's parameters name in an account that already runs things: created in moto
    once, when a template first needs it."""

    def __init__(self, client):
        self.client, self.made = client, {}

    def get(self, what):
        if what not in self.made:
            self.made[what] = getattr(self, "make_" + what)()
        return self.made[what]

    def make_vpc(self):
        ec2 = self.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.250.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.250.{i}.0/24", AvailabilityZone=f"{REGION}{zone}")["Subnet"]["SubnetId"]
            for i, zone in enumerate("ab")
        ]
        group = ec2.create_security_group(GroupName="existing", Description="an existing group", VpcId=vpc)["GroupId"]
        return {"vpc": vpc, "subnets": subnets, "group": group}

    def make_cluster(self):
        return self.client("ecs").create_cluster(clusterName="existing-cluster")["cluster"]["clusterName"]

    def make_certificate(self):
        return self.client("acm").request_certificate(DomainName="existing.example.com")["CertificateArn"]

    def make_hosted_zone(self):
        zone = self.client("route53").create_hosted_zone(Name="existing.example.org", CallerReference="existing")
        return zone["HostedZone"]["Id"].rsplit("/", 1)[-1]

    def make_template_bucket(self):
        bucket = "deploy-test-templates"
        self.client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        return bucket

    def make_load_balancer(self):
        network = self.get("vpc")
        return self.client("elbv2").create_load_balancer(
            Name="existing-alb", Subnets=network["subnets"], SecurityGroups=[network["group"]]
        )["LoadBalancers"][0]["LoadBalancerArn"]


def _uses(template, parameter):
    """The property names under which a parameter is Ref'd."""
    found = []

    def walk(node, key):
        if isinstance(node, dict):
            if node == {"Ref": parameter}:
                found.append(key)
            for k, v in node.items():
                walk(v, key if k.startswith("Fn::") else k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)

    walk(template.get("Resources", {}), None)
    return found


def parameter_values(template, fixtures):
    """A plausible value for each parameter without Default, from its type and its use."""
    values = []
    for name, spec in template.get("Parameters", {}).items():
        if "Default" in spec:
            continue
        kind, uses = spec.get("Type", "String"), _uses(template, name)
        if kind == "AWS::EC2::VPC::Id":
            value = fixtures.get("vpc")["vpc"]
        elif kind in ("AWS::EC2::Subnet::Id", "List<AWS::EC2::Subnet::Id>"):
            value = ",".join(fixtures.get("vpc")["subnets"][: 1 if kind.startswith("AWS") else 2])
        elif kind in ("AWS::EC2::SecurityGroup::Id", "List<AWS::EC2::SecurityGroup::Id>"):
            value = fixtures.get("vpc")["group"]
        elif kind == "Number":
            value = str(spec.get("MinValue", 1))
        elif spec.get("AllowedValues"):
            value = str(spec["AllowedValues"][0])
        elif "Cluster" in uses:
            value = fixtures.get("cluster")
        elif "LoadBalancerArn" in uses:
            value = fixtures.get("load_balancer")
        elif "CertificateArn" in uses:
            value = fixtures.get("certificate")
        elif kind == "AWS::Route53::HostedZone::Id" or "HostedZoneId" in uses:
            value = fixtures.get("hosted_zone")
        elif kind == "String" and spec.get("AllowedPattern"):
            # A value of the form the pattern asks (an image the pipeline pushed to ECR).
            candidates = [f"value of {name}", f"123456789012.dkr.ecr.{REGION}.amazonaws.com/{name.lower()}:1"]
            matching = [c for c in candidates if re.fullmatch(spec["AllowedPattern"], c)]
            if not matching:
                raise ValueError(f"parameter {name}: the harness has no value matching {spec['AllowedPattern']}")
            value = matching[0]
        elif kind == "String":
            value = f"secret-value-of-{name}" if spec.get("NoEcho") else f"value of {name}"
        else:
            raise ValueError(f"parameter {name}: the harness has no value for type {kind}")
        values.append({"ParameterKey": name, "ParameterValue": value})
    return values


def is_failure_response(document):
    return isinstance(document, dict) and ("errorMessage" in document or document.get("status") == "failure")


def deploy_one(client, endpoint, path, index):
    """Creates, checks and deletes one stack; returns the list of its failures."""
    import urllib.request

    with open(path) as f:
        body = f.read()
    template = json.loads(body)
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/harness/prepare", data=body.encode(), method="POST")).read()
    fixtures = Fixtures(client)
    stack_name = "t%03d-%s" % (index, re.sub(r"[^A-Za-z0-9-]+", "-", os.path.basename(os.path.dirname(path)) if path.endswith("expected.json") else os.path.basename(path).removesuffix(".json"))[:30].strip("-"))
    cfn = client("cloudformation")
    source = {"TemplateBody": body}
    if len(body.encode()) > 51200:  # the TemplateBody quota: larger templates go through S3, as on AWS
        s3 = client("s3")
        s3.put_object(Bucket=fixtures.get("template_bucket"), Key=f"{stack_name}.json", Body=body.encode())
        source = {"TemplateURL": f"https://{fixtures.get('template_bucket')}.s3.amazonaws.com/{stack_name}.json"}
    failures = []
    try:
        stack_id = cfn.create_stack(
            StackName=stack_name, Parameters=parameter_values(template, fixtures),
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"], **source,
        )["StackId"]
    except Exception as e:  # noqa: BLE001 - a refused CreateStack (template or transform error)
        return [f"CreateStack refused: {e}"]

    def status():
        for _ in range(600):  # moto works synchronously: this is for form's sake
            s = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]
            if not s.endswith("_IN_PROGRESS"):
                return s
            time.sleep(0.1)
        return s

    def reasons(status):
        """The reasons of the events with this status: the resources', else the stack's."""
        events = [e for e in cfn.describe_stack_events(StackName=stack_id)["StackEvents"] if e["ResourceStatus"] == status]
        resources = [e for e in events if e["ResourceType"] != "AWS::CloudFormation::Stack"] or events
        return [f"{e['LogicalResourceId']} {status}: {e.get('ResourceStatusReason', '')}" for e in resources] or [status]

    failures = []
    created = status()
    if created != "CREATE_COMPLETE":
        failures += reasons("CREATE_FAILED")
    else:
        # Every resource of the template whose Condition holds must be there (moto skips silently).
        listed = {r.get("LogicalResourceId") for r in cfn.describe_stack_resources(StackName=stack_id)["StackResources"]}
        expected = {k for k, r in template.get("Resources", {}).items() if "Condition" not in r}
        if expected - listed:
            failures.append(f"resources not created: {sorted(expected - listed)}")
    cfn.delete_stack(StackName=stack_id)
    if status() != "DELETE_COMPLETE":
        failures += reasons("DELETE_FAILED")
    return failures


def deploy(endpoints, paths):
    """Deploys the templates of paths, spread over the servers of endpoints (one worker each)."""
    import queue
    import threading

    import boto3
    from botocore.config import Config

    files = []
    for path in paths:
        if os.path.isdir(path):
            files += sorted(os.path.join(d, f) for d, _, names in os.walk(path) for f in names if f.endswith(".json"))
        else:
            files.append(path)
    if not files:
        print(f"deploy: no template in {' '.join(paths)}", file=sys.stderr)
        return 2
    todo = queue.Queue()
    for index, path in enumerate(files):
        with open(path) as f:
            if not is_failure_response(json.load(f)):  # the macro's failure response, not a template
                todo.put((index, path))
    failed, passed, lock, start = {}, [], threading.Lock(), time.monotonic()

    def worker(endpoint):
        session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
        config = Config(retries={"total_max_attempts": 1}, read_timeout=600)
        clients = {}

        def client(service):
            return clients.setdefault(service, session.client(service, endpoint_url=endpoint, config=config))

        while True:
            try:
                index, path = todo.get_nowait()
            except queue.Empty:
                return
            t0 = time.monotonic()
            try:
                failures = deploy_one(client, endpoint, path, index)
            except Exception as e:  # noqa: BLE001 - the harness itself failed: say so, go on
                failures = [f"harness error: {type(e).__name__}: {e}"]
            took = time.monotonic() - t0
            with lock:
                if failures:
                    failed[path] = failures
                    print(f"FAIL {path} ({took:.1f}s)")
                    for line in failures:
                        print(f"     {line}")
                else:
                    passed.append(path)
                    print(f"ok   {path} ({took:.1f}s)")
                sys.stdout.flush()

    threads = [threading.Thread(target=worker, args=(e,)) for e in endpoints]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"deploy: {len(passed)} deployed and deleted, {len(failed)} refused, in {time.monotonic() - start:.0f}s")
    for path in sorted(failed):
        print(f"refused: {path}: {' / '.join(failed[path])}")
    return 1 if failed else 0


def main(argv):
    if len(argv) == 2 and argv[0] == "serve":
        serve(argv[1])
        return 0
    if len(argv) >= 3 and argv[0] == "deploy":
        return deploy(argv[1].split(","), argv[2:])
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
