#!/usr/bin/env python3
"""Which keys of ECS ComposeX's extension schemas ComposeX reads, and how.

Walks every JSON schema of ECS ComposeX's extensions (properties, nested properties, the
alternatives of oneOf/anyOf, definitions reached through $ref, x-resources.common.spec.json
included) and lists each key path (`x-dynamodb.<name>.Scaling`,
`services.x-network.AdditionalSecurityGroups`, `x-sqs.<name>.Services.<service>.ReturnValues`).
For each path it renders a small compose file that uses the key, with the CLI, and classifies
what ComposeX does with it:

  built     the template differs from the same file without the key
  refused   an error that gives a reason (not an "is not a ... key" nor a type error)
  ignored   a warning at the key's path, the template unchanged
  MISREAD   refused as an unknown key or with a type error the schema allows, or dropped
            without a word (no error, no warning, no change)
  untested  the script found no value that tells: the schema gives the key no shape (an empty
            mapping changes nothing), or no place for it in a compose file

A refusal can come from the script's sample value rather than from the key (a sample that lacks
what the key needs); SAMPLES and SAMPLE_OVERRIDE_FULL give the values the generic rules cannot
guess. The table is written to docs/ecs-composex-keys.md; `--check` fails when the file is not
what the schemas and the CLI give today.

The schemas and use-cases are read from $COMPOSEX_CORPUS (else ../shared/corpus):

  .tools/venv/bin/python scripts/spec-coverage.py [--specs DIR] [--cli PATH] [--check]
      [--corpus DIR] [--only SUBSTRING] [--verbose]

The CLI is the one `cargo build --bin composex` builds under $CARGO_TARGET_DIR (or target/).
"""

import argparse
import copy
import difflib
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TABLE = os.path.join(ROOT, "docs", "ecs-composex-keys.md")
# The corpus (ECS ComposeX's schemas and use-cases) is not part of the repository: its path comes
# from COMPOSEX_CORPUS, as for the corpus tests, else ../shared/corpus beside the repository.
CORPUS_ROOT = os.environ.get("COMPOSEX_CORPUS") or os.path.join(ROOT, "..", "shared", "corpus")
DEFAULT_SPECS = os.path.join(CORPUS_ROOT, "ecs-composex-specs")
DEFAULT_CORPUS = os.path.join(CORPUS_ROOT, "ecs-composex")

# The services every case declares: `app` uses the resources, `web` publishes a port.
SERVICES = {
    "app": {"image": "public.ecr.aws/docker/library/nginx:1.27", "expose": ["8080"]},
    "web": {"image": "public.ecr.aws/docker/library/nginx:1.27", "ports": ["8080:8080"]},
}

# Each resource kind's smallest declaration that renders, used by `app`.
RESOURCE_BASE = {
    "x-sqs": {"Properties": {}, "Services": {"app": {"Access": "RWMessages"}}},
    "x-sns": {"Properties": {}, "Services": {"app": {"Access": "Publish"}}},
    "x-dynamodb": {
        "Properties": {
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
        "Services": {"app": {"Access": "RW"}},
    },
    "x-s3": {"Properties": {}, "Services": {"app": {"Access": {"objects": "RW"}}}},
    "x-kinesis": {"Properties": {}, "Services": {"app": {"Access": "Producer"}}},
    "x-kms": {"Properties": {}, "Services": {"app": {"Access": "EncryptDecrypt"}}},
    "x-ssm_parameter": {"Properties": {"Type": "String", "Value": "v"}, "Services": {"app": {"Access": "RO"}}},
    "x-aps": {"Properties": {}, "Services": {"app": {"Access": "Write"}}},
    "x-rds": {
        "MacroParameters": {"Engine": "postgres", "EngineVersion": "17.5"},
        "Services": {"app": {"Access": {"DBInstance": "RO"}}},
    },
    "x-docdb": {"Properties": {}, "Services": {"app": {"Access": {"DBCluster": "RO"}}}},
    "x-neptune": {"Properties": {}, "Services": {"app": {"Access": {"DBCluster": "RO"}}}},
    "x-opensearch": {"Properties": {"EngineVersion": "OpenSearch_2.13"}, "Services": {"app": {"Access": {"Http": "RO"}}}},
    "x-kinesis_firehose": {
        "Properties": {
            "ExtendedS3DestinationConfiguration": {
                "BucketARN": "arn:aws:s3:::example-bucket",
                "RoleARN": "arn:aws:iam::123456789012:role/firehose",
            }
        },
        "Services": {"app": {"Access": "Producer"}},
    },
    "x-elbv2": {
        "Properties": {"Type": "application"},
        "Listeners": [{"Port": 80, "Protocol": "HTTP", "Targets": [{"name": "app:app", "access": "/"}]}],
        "Services": {"app:app": {"port": 8080, "protocol": "HTTP", "healthcheck": "8080:HTTP:/"}},
    },
    "x-events": {
        "Properties": {"ScheduleExpression": "rate(1 hour)"},
        "Services": {"app": {"TaskCount": 1}},
    },
    "x-alarms": {
        "Properties": {
            "Namespace": "custom",
            "MetricName": "m",
            "Statistic": "Sum",
            "Period": 60,
            "EvaluationPeriods": 1,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        }
    },
    "x-dashboards": {"Services": {"app": {"UsePredefinedMetrics": True}}},
    "x-acm": {
        "Properties": {
            "DomainName": "example.com",
            "DomainValidationOptions": [{"DomainName": "example.com", "HostedZoneId": "Z0123456789ABCDEFGHIJ"}],
        }
    },
    "x-route53": {"ZoneName": "example.com"},
    "x-cloudmap": {"ZoneName": "example.internal"},
    "x-cognito_userpool": {"Properties": {}},
    "x-wafv2_webacl": {"Properties": {}},
    "x-efs": {"Properties": {}},
}

# A return value of each kind, for ReturnValues.<name>.
RETURN_VALUE = {
    "x-sqs": "Arn",
    "x-sns": "TopicName",
    "x-dynamodb": "Arn",
    "x-s3": "Arn",
    "x-kinesis": "Arn",
    "x-kms": "Arn",
    "x-ssm_parameter": "Name",
    "x-aps": "WorkspaceId",
    "x-rds": "Endpoint.Address",
    "x-docdb": "Endpoint",
    "x-neptune": "Port",
    "x-opensearch": "DomainEndpoint",
    "x-kinesis_firehose": "Arn",
}

# The kind being tried, for the names that depend on it.
CURRENT = {"kind": None}

# Kinds whose schema describes the whole top-level value rather than one resource of it.
WHOLE = {"x-vpc", "x-cluster", "x-tags"}

# Schemas only reached through $ref.
REFERENCED_ONLY = {"x-resources.common.spec.json", "x-rds-common.spec.json"}

# Where each service-level schema sits, and its name in paths.
SERVICE_SCHEMAS = {
    "services-xray.spec.json": "x-xray",
    "services.x-codeguru_profiler.spec.json": "x-codeguru_profiler",
}

# Sample values that the generic rules (enum, default, minimum, type) cannot guess; keyed by a
# regular expression matched against the whole path.
SAMPLES = [
    (r".*\.Lookup\.Arn$", "arn:aws:sqs:eu-west-1:123456789012:existing"),
    (r".*\.Lookup\.RoleArn$", "arn:aws:iam::123456789012:role/lookup"),
    (r".*\.Lookup\.Region$", "eu-west-1"),
    (r".*\.Lookup\.Tags$", {"Name": "existing"}),
    (r".*\.Settings\.Subnets$", "AppSubnets"),
    (r".*\.ReturnValues\.<name>$", "SAMPLE_VALUE"),
    (r".*\.ReturnValues\.<name>\.EnvVarName$", "SAMPLE_VALUE"),
    (r"^x-dynamodb\.<name>\.Scaling.*\.(Min|Max)Capacity$", 5),
    (r"^x-dynamodb\.<name>\.Scaling.*\.TargetValue$", 70),
    (r".*PermissionsBoundary$", "arn:aws:iam::aws:policy/PowerUserAccess"),
    (r".*ManagedPolicyArns(\[\])?$", ["arn:aws:iam::aws:policy/ReadOnlyAccess"]),
    (r".*\.RetentionInDays$", 60),
    (r".*\.IPv4$", "10.10.0.0/16"),
    (r"^x-s3\.<name>\.MacroParameters\.BucketPolicy\.Statement$", [{"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "${!ARN}/*"}]),
    (r"^services\.x-network\.Ingress\.Services\[\]\.Name$", "web"),
    (r"^services\.x-network\.Ingress\..*\.Ports$", [8080]),
    (r".*\.IPv6$", "2001:db8::/32"),
    (r"^x-wafv2_webacl\.<name>\.LoadBalancers$", ["front"]),
    (r"^x-vpc\.Properties\.SingleNat$", False),
    (r"^x-vpc\.Properties\.Endpoints$", {"AwsServices": [{"service": "ecr.api"}]}),
    (r"^x-vpc\.Properties\.Endpoints\.AwsServices$", [{"service": "ecr.api"}]),
    (r"^x-events\.<name>\.Services\.<name>\.TaskCount$", 2),
    (r"^x-elbv2\.<name>\.Listeners\[\]\.Protocol$", "HTTPS"),
    (r".*\.Range$", "1-4"),
    (r"^services\.x-ecs\.CpuArchitecture$", "ARM64"),
    (r"^services\.x-ecs\.OperatingSystemFamily$", "WINDOWS_SERVER_2019_CORE"),
    (r"^services\.x-ecr\.RoleArn$", "arn:aws:iam::123456789012:role/ecr"),
    (r".*\.Steps$", [{"LowerBound": 0, "Count": 2}]),
    (r".*\.Steps\[\]$", {"LowerBound": 0, "Count": 2}),
    (r".*Cooldown$", 120),
    (r".*Image$", "public.ecr.aws/xray/aws-xray-daemon:3.3.13"),
]

# Values whose key path ends so are given in full (their children are tried one by one).
SAMPLE_OVERRIDE_FULL = {
    "services.x-network.AdditionalSecurityGroups": {"sample": "sg-0123456789abcdef0"},
    "services.x-network.AdditionalSecurityGroups.<name>": "sg-0123456789abcdef0",
    "x-dynamodb.<name>.Scaling": {"Table": {"ReadCapacityUnits": {"MinCapacity": 5, "MaxCapacity": 20, "TargetValue": 70}}},
}


class Specs:
    def __init__(self, folder):
        self.folder = folder
        self.files = {}
        for f in sorted(glob.glob(os.path.join(folder, "*.json"))):
            with open(f) as fh:
                self.files[os.path.basename(f)] = json.load(fh)

    def resolve(self, schema, current):
        """Follows $ref until a schema without one; returns (schema, file it is in)."""
        seen = 0
        while isinstance(schema, dict) and "$ref" in schema and seen < 20:
            ref = schema["$ref"]
            target, _, pointer = ref.partition("#")
            target = target or current
            doc = self.files.get(target)
            if doc is None:
                return {}, current
            node = doc
            for part in [p for p in pointer.split("/") if p]:
                node = node.get(part, {})
            schema, current = node, target
            seen += 1
        return schema, current


def alternatives(schema):
    return [a for k in ("oneOf", "anyOf", "allOf") for a in schema.get(k, []) if isinstance(a, dict)]


def walk(specs, schema, current, path, out, depth=0, stack=()):
    """Adds (path, schema, file) for every key under `schema`."""
    schema, current = specs.resolve(schema, current)
    if not isinstance(schema, dict) or depth > 8:
        return
    key = id(schema)
    if key in stack:
        return
    stack = stack + (key,)
    for alt in alternatives(schema):
        alt, cur = specs.resolve(alt, current)
        if isinstance(alt, dict):
            walk_children(specs, alt, cur, path, out, depth, stack)
    walk_children(specs, schema, current, path, out, depth, stack)


def walk_children(specs, schema, current, path, out, depth, stack):
    for name, sub in schema.get("properties", {}).items():
        p = f"{path}.{name}"
        if p not in out:
            out[p] = (sub, current)
        walk(specs, sub, current, p, out, depth + 1, stack)
    for _pattern, sub in schema.get("patternProperties", {}).items():
        if _pattern == "x-":
            continue
        p = f"{path}.<name>"
        if p not in out:
            out[p] = (sub, current)
        walk(specs, sub, current, p, out, depth + 1, stack)
    items = schema.get("items")
    if isinstance(items, dict):
        walk(specs, items, current, f"{path}[]", out, depth + 1, stack)


def sample(specs, schema, current, path, depth=0):
    """A value that the schema allows and that differs from its default."""
    if path in SAMPLE_OVERRIDE_FULL:
        return copy.deepcopy(SAMPLE_OVERRIDE_FULL[path])
    base = RESOURCE_BASE.get(CURRENT["kind"] or "", {})
    if path.endswith(".Services.<name>.Access") and "app" in base.get("Services", {}):
        return copy.deepcopy(base["Services"]["app"].get("Access", "sample"))
    for pattern, value in SAMPLES:
        if value is not None and re.match(pattern, path):
            return copy.deepcopy(value)
    schema, current = specs.resolve(schema, current)
    if not isinstance(schema, dict) or depth > 6:
        return "sample"
    if "enum" in schema:
        choices = [e for e in schema["enum"] if e != schema.get("default")]
        return (choices or schema["enum"])[0]
    types = schema.get("type")
    if isinstance(types, list):
        types = types[0]
    if types is None:
        for alt in alternatives(schema):
            alt, cur = specs.resolve(alt, current)
            if isinstance(alt, dict) and ("type" in alt or "properties" in alt):
                return sample(specs, alt, cur, path, depth + 1)
        types = "object" if "properties" in schema else "string"
    if types == "boolean":
        return not schema.get("default", False)
    if types in ("integer", "number"):
        if isinstance(schema.get("default"), (int, float)) and not isinstance(schema.get("default"), bool):
            v = schema["default"] + 1
        else:
            v = schema.get("minimum", 1)
        if "maximum" in schema:
            v = min(v, schema["maximum"])
        return int(v) if types == "integer" or float(v).is_integer() else v
    if types == "string":
        return "sample"
    if types == "array":
        items = schema.get("items", {})
        return [sample(specs, items, current, f"{path}[]", depth + 1)] if isinstance(items, dict) else ["sample"]
    if types == "object":
        props = schema.get("properties", {})
        required = list(schema.get("required", []))
        if not required and props:
            required = [next(iter(props))]
        value = {}
        for r in required:
            if r in props:
                value[r] = sample(specs, props[r], current, f"{path}.{r}", depth + 1)
        if not value and schema.get("patternProperties"):
            sub = next(iter(schema["patternProperties"].values()))
            key = "app" if path.endswith(".Services") else "sample"
            if path.endswith(".ReturnValues") and CURRENT["kind"] in RETURN_VALUE:
                key = RETURN_VALUE[CURRENT["kind"]]
            value[key] = sample(specs, sub, current, f"{path}.<name>", depth + 1)
        return value
    return "sample"


def segments(path):
    """`a.b[].c` → [a, b, [], c]."""
    out = []
    for part in path.split("."):
        n = 0
        while part.endswith("[]"):
            part, n = part[:-2], n + 1
        out.append(part)
        out.extend(["[]"] * n)
    return [s for s in out if s != ""]


def place(container, segs, value, name_for, parent=None):
    """Sets `value` at segs inside container (dicts and one-item lists), creating the way."""
    seg = segs[0]
    last = len(segs) == 1
    if seg == "[]":
        if not isinstance(container, list) or not container:
            raise TypeError
        if last:
            container[0] = value
        else:
            if not isinstance(container[0], (dict, list)):
                container[0] = {} if segs[1] != "[]" else []
            place(container[0], segs[1:], value, name_for, parent)
        return
    key = name_for(seg, parent)
    if last:
        if isinstance(container.get(key), dict) and isinstance(value, dict):
            container[key].update(value)
        else:
            container[key] = value
        return
    nxt = container.get(key)
    if segs[1] == "[]":
        if not isinstance(nxt, list) or not nxt:
            container[key] = nxt = [{}]
    elif not isinstance(nxt, dict):
        container[key] = nxt = {}
    place(nxt, segs[1:], value, name_for, seg)


class Case:
    """Where a schema's keys go in a compose file."""

    def __init__(self, spec_file, schema):
        self.spec_file = spec_file
        base = spec_file[: -len(".spec.json")]
        self.services_key = None
        if spec_file in SERVICE_SCHEMAS:
            self.prefix, self.where = "services." + SERVICE_SCHEMAS[spec_file], ("services", "app", SERVICE_SCHEMAS[spec_file])
        elif base.startswith("services."):
            ext = base[len("services.") :]
            self.prefix, self.where = f"services.{ext}", ("services", "app", ext)
        elif base == "secrets.x-secrets":
            self.prefix, self.where = "secrets.x-secrets", ("secrets", "s1", "x-secrets")
        elif base == "ingress":
            self.prefix, self.where = "services.x-network.Ingress", ("services", "app", "x-network", "Ingress")
        elif base in WHOLE:
            self.prefix, self.where = base, (base,)
        else:
            self.prefix, self.where = f"{base}.<name>", (base, "r1")
        self.kind = base

    def base_doc(self):
        doc = {"services": copy.deepcopy(SERVICES)}
        if self.where[0] == "secrets":
            doc["services"]["app"]["secrets"] = ["s1"]
            doc["secrets"] = {"s1": {"x-secrets": {"Name": "prod/s1"}}}
        elif self.where[0] in RESOURCE_BASE:
            doc[self.where[0]] = {"r1": copy.deepcopy(RESOURCE_BASE[self.where[0]])}
        if self.kind == "x-wafv2_webacl" or self.kind == "x-cognito_userpool":
            doc["x-elbv2"] = {"front": copy.deepcopy(RESOURCE_BASE["x-elbv2"])}
        if self.kind == "x-wafv2_webacl":
            doc[self.where[0]]["r1"]["LoadBalancers"] = ["front"]
        return doc


def name_for(seg, parent=None):
    """The key a `<name>` placeholder stands for: a service under Services, else `sample`."""
    if seg == "<name>":
        if parent == "Listeners":
            return "80"
        if parent == "ReturnValues" and CURRENT["kind"] in RETURN_VALUE:
            return RETURN_VALUE[CURRENT["kind"]]
        return "app" if parent in ("Services", "services") else "sample"
    return seg


def cli_path():
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, "debug", "composex")


def render(cli, doc, tmp):
    f = os.path.join(tmp, "compose.yaml")
    with open(f, "w") as fh:
        yaml.safe_dump(doc, fh, sort_keys=False)
    out = os.path.join(tmp, "out.json")
    if os.path.exists(out):
        os.remove(out)
    r = subprocess.run([cli, "render", "-f", f, "--format", "json", "-o", out], capture_output=True, text=True)
    template = None
    if r.returncode == 0 and os.path.exists(out):
        with open(out) as fh:
            template = json.load(fh)
        # The warnings the template carries are no change of what it builds.
        meta = template.get("Metadata", {})
        meta.get("ComposeX", {}).pop("Warnings", None)
        if meta.get("ComposeX") == {}:
            meta.pop("ComposeX")
        if meta == {}:
            template.pop("Metadata", None)
    diags = []
    for line in r.stderr.splitlines():
        m = re.match(r"^(warning: )?[^:]+:\d+: ([^:]+): (.*?)(?: \[(CX\d+)\])?$", line)
        if m:
            diags.append(("warning" if m.group(1) else "error", m.group(2), m.group(3), m.group(4) or ""))
    return template, diags


MISREAD_TEXT = re.compile(
    r"is not an? [^ ]+ key|is not a key of|is not an? .*(key|setting|parameter)s?\b|must be an? [^,]+, not an?|unknown key|is not an? x-",
)


def concrete(path, case):
    """The path as the CLI prints it for this case."""
    segs = path[len(case.prefix) :]
    head = ".".join(case.where)
    segs = re.sub(r"Services\.<name>", "Services.app", segs)
    if case.kind in RETURN_VALUE:
        segs = segs.replace("ReturnValues.<name>", "ReturnValues." + RETURN_VALUE[case.kind])
    out = head + re.sub(r"<name>", "sample", segs)
    return out.replace("[]", "[0]")


def strip_reasons(text):
    return re.sub(r"\s+", " ", text).strip()


def classify(path, case, template, diags, baseline):
    where = concrete(path, case)
    errors = [d for d in diags if d[0] == "error"]
    here = lambda d: d[1] == where or d[1].startswith(where + ".") or d[1].startswith(where + "[")  # noqa: E731
    if errors:
        at = [e for e in errors if here(e)] or errors
        e = at[0]
        if MISREAD_TEXT.search(e[2]):
            return "MISREAD", f"{e[3]}: {e[2]}"
        return "refused", f"{e[3]}: {e[2]}"
    # A warning at the key, under it, or at an enclosing key that it leaves ignored as a whole.
    warns = [d for d in diags if d[0] == "warning" and (here(d) or where.startswith((d[1] + ".", d[1] + "[")))]
    if template is not None and baseline is not None and template != baseline:
        return "built", ""
    if template is not None and baseline is None:
        return "built", ""
    if warns:
        return "ignored", f"{warns[0][3]}: {warns[0][2]}"
    return "MISREAD", "dropped without a word: no error, no warning, no change"


def corpus_paths(folder):
    """Every key path the corpus's compose files use, with the placeholders of the table."""
    found = {}
    for f in glob.glob(os.path.join(folder, "**", "*.y*ml"), recursive=True):
        try:
            with open(f) as fh:
                docs = list(yaml.safe_load_all(fh))
        except Exception:
            continue
        for doc in docs:
            if isinstance(doc, dict):
                collect(doc, f, found)
    return found


def collect(doc, f, found):
    def add(path):
        found.setdefault(path, set()).add(f)

    def rec(value, path):
        if isinstance(value, dict):
            for k, v in value.items():
                p = f"{path}.{k}"
                add(p)
                rec(v, p)
        elif isinstance(value, list):
            for v in value:
                rec(v, f"{path}[]")

    for k, v in doc.items():
        if not isinstance(k, str):
            continue
        if k == "services" and isinstance(v, dict):
            for svc in v.values():
                if isinstance(svc, dict):
                    for ek, ev in svc.items():
                        if isinstance(ek, str) and ek.startswith("x-"):
                            add(f"services.{ek}")
                            rec(ev, f"services.{ek}")
        elif k == "secrets" and isinstance(v, dict):
            for s in v.values():
                if isinstance(s, dict) and "x-secrets" in s:
                    add("secrets.x-secrets")
                    rec(s["x-secrets"], "secrets.x-secrets")
        elif k in WHOLE:
            add(k)
            rec(v, k)
        elif k.startswith("x-") and isinstance(v, dict):
            for r in v.values():
                add(f"{k}.<name>")
                rec(r, f"{k}.<name>")


def uses(path, corpus):
    """Corpus files whose keys match the table path (placeholders match any key)."""
    rx = re.compile("^" + re.escape(path).replace(re.escape("<name>"), "[^.]+") + "$")
    files = set()
    for p, fs in corpus.items():
        if rx.match(p):
            files |= fs
    return len(files)


def run(args):
    specs = Specs(args.specs)
    cli = args.cli or cli_path()
    if not os.path.exists(cli):
        sys.exit(f"{cli}: not built; run cargo build --bin composex")
    corpus = corpus_paths(args.corpus) if os.path.isdir(args.corpus) else {}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for spec_file, schema in specs.files.items():
            if spec_file in REFERENCED_ONLY:
                continue
            case = Case(spec_file, schema)
            CURRENT["kind"] = case.kind
            paths = {}
            walk(specs, schema, spec_file, case.prefix, paths)
            base = case.base_doc()
            base_template, base_diags = render(cli, base, tmp)
            if base_template is None:
                if args.verbose:
                    print(f"{spec_file}: the base file does not render: {base_diags}", file=sys.stderr)
            for path, (sub, current) in sorted(paths.items()):
                if args.only and args.only not in path:
                    continue
                value = sample(specs, sub, current, path)
                rel = segments(path[len(case.prefix) :].lstrip("."))
                doc = copy.deepcopy(base)
                without = copy.deepcopy(base)
                holder = doc
                for w in case.where:
                    holder = holder.setdefault(w, {})
                try:
                    if rel:
                        # Lookup and Use stand for the declaration: they replace Properties.
                        if rel[0] in ("Lookup", "Use") and isinstance(holder, dict):
                            holder.pop("Properties", None)
                            holder.pop("MacroParameters", None)
                        # An Ingress service item names its service; the key tried sits beside.
                        for i in range(len(rel) - 2):
                            inside = rel[i - 1] == "Ingress" if i else case.kind == "ingress"
                            if rel[i : i + 2] == ["Services", "[]"] and inside and "x-elbv2" not in case.kind:
                                node = holder
                                for seg in rel[:i]:
                                    node = node.setdefault(seg, {})
                                node["Services"] = [{"Name": "web"}]
                        place(holder, rel, value, name_for)
                    else:
                        parent = doc
                        for w in case.where[:-1]:
                            parent = parent.setdefault(w, {})
                        parent[case.where[-1]] = value
                except (TypeError, AttributeError):
                    rows.append((path, "untested", "the script could not place a sample value here", uses(path, corpus)))
                    continue
                # The same file without the key: the baseline to compare with.
                wh = without
                try:
                    for w in case.where:
                        wh = wh[w]
                    if rel and "[]" not in rel:
                        node = wh
                        prev = None
                        for s in rel[:-1]:
                            node, prev = node[name_for(s, prev)], s
                        node.pop(name_for(rel[-1], prev), None)
                        baseline, _ = render(cli, without, tmp)
                    else:
                        baseline = base_template
                except (KeyError, TypeError):
                    baseline = base_template
                template, diags = render(cli, doc, tmp)
                verdict, reason = classify(path, case, template, diags, baseline)
                if verdict == "MISREAD" and reason.startswith("dropped") and value == {}:
                    verdict, reason = "untested", "the schema gives it no shape: an empty mapping changes nothing"
                if verdict == "MISREAD" and doc == base and without != base:
                    # The key is in the base file itself, and changes the template there.
                    base_without, _ = render(cli, without, tmp)
                    verdict, reason = ("built", "") if base_without != base_template else (verdict, reason)
                if args.verbose:
                    print(path, verdict, reason, json.dumps(value), file=sys.stderr)
                rows.append((path, verdict, reason, uses(path, corpus)))
    return rows


def table(rows):
    # A schema included by another (ingress.spec.json in services.x-network) gives its paths
    # twice: the first verdict stands.
    seen = set()
    rows = [r for r in rows if not (r[0] in seen or seen.add(r[0]))]
    counts = {}
    for _, v, _, _ in rows:
        counts[v] = counts.get(v, 0) + 1
    lines = [
        "# ECS ComposeX's extension keys in ComposeX",
        "",
        "Written by `scripts/spec-coverage.py` (checked with `--check`): every key path of ECS",
        "ComposeX's extension schemas, and what ComposeX does when a compose file uses it. `built`:",
        "the template changes; `refused`: an error that says why and what to do instead; `ignored`:",
        "a warning that says why; `MISREAD`: refused as if it were a typo, or dropped without a",
        "word; `untested`: the script found no sample value that tells. A refusal may come from",
        "the script's sample value rather than from the key. `<name>` stands for any name; `[]`",
        "for any item of a list. `corpus` counts the use-cases of ECS ComposeX's corpus that use",
        "the key.",
        "",
        "Totals: " + ", ".join(f"{k} {counts[k]}" for k in ("built", "refused", "ignored", "MISREAD", "untested") if k in counts) + ".",
        "",
        "| key path | ComposeX | reason | corpus |",
        "|---|---|---|---|",
    ]
    for path, verdict, reason, n in rows:
        reason = strip_reasons(reason).replace("|", "\\|")
        lines.append(f"| `{path}` | {verdict} | {reason} | {n or ''} |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--specs", default=DEFAULT_SPECS)
    ap.add_argument("--corpus", default=DEFAULT_CORPUS)
    ap.add_argument("--cli")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--only")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    rows = run(args)
    text = table(rows)
    if args.only:
        sys.stdout.write(text)
        return
    if args.check:
        old = open(TABLE).read() if os.path.exists(TABLE) else ""
        if old != text:
            sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), text.splitlines(True), TABLE, "now"))
            sys.exit(f"{TABLE} is not what the schemas and the CLI give; run scripts/spec-coverage.py")
        return
    with open(TABLE, "w") as fh:
        fh.write(text)
    print(next(line for line in text.splitlines() if line.startswith("Totals")))


if __name__ == "__main__":
    main()
