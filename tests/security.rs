//! The security suite: for every golden case and every corpus file that renders, the template
//! alone must keep SPEC §7's guarantees, and the network paths between tasks must be exactly the
//! relations the compose file declares: no more (isolation), no fewer (declared access works).
//! The declared relations are computed here from the compose input with rules of its own.

mod common;

use common::security::{reachability, resource_reach, violations};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Images whose port the README says ComposeX infers for a relation to a service without ports.
const WELL_KNOWN: &[&str] = &[
    "postgres",
    "postgresql",
    "postgis",
    "mysql",
    "mariadb",
    "redis",
    "redis-stack-server",
    "valkey",
    "mongo",
    "mongodb",
    "memcached",
    "rabbitmq",
    "kafka",
    "cp-kafka",
    "elasticsearch",
    "opensearch",
    "cassandra",
    "zookeeper",
    "etcd",
    "neo4j",
    "influxdb",
    "nginx",
    "httpd",
];

fn list_or_keys(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().filter_map(|x| x.as_str().map(String::from)).collect(),
        Value::Object(m) => m.keys().cloned().collect(),
        _ => vec![],
    }
}

/// (source containers, destination containers) the compose file declares.
fn declared(doc: &Value) -> BTreeSet<(Vec<String>, Vec<String>)> {
    let services = doc["services"].as_object().cloned().unwrap_or_default();
    let mut fam_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut members: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, s) in &services {
        let fams: Vec<String> = match s["deploy"]["labels"]["ecs.task.family"].as_str() {
            Some(t) => t.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect(),
            None => vec![name.clone()],
        };
        for f in &fams {
            members.entry(f.clone()).or_default().insert(name.clone());
        }
        fam_of.insert(name.clone(), fams);
    }
    let fams_named = |n: &str| -> Vec<String> {
        fam_of.get(n).cloned().unwrap_or_else(|| if members.contains_key(n) { vec![n.to_string()] } else { vec![] })
    };
    let services_named = |n: &str| -> Vec<String> {
        if services.contains_key(n) {
            vec![n.to_string()]
        } else {
            members.get(n).map(|m| m.iter().cloned().collect()).unwrap_or_default()
        }
    };
    let nets = |n: &str| -> BTreeSet<String> {
        services_named(n)
            .iter()
            .flat_map(|s| {
                let l = list_or_keys(&services[s]["networks"]);
                if l.is_empty() {
                    vec!["default".to_string()]
                } else {
                    l
                }
            })
            .collect()
    };
    // The README's contract for a service without ports: a port is known from its well-known
    // image, or from a `NAME:PORT` in another service's environment.
    let env_text: String = services.values().map(|s| s["environment"].to_string()).collect();
    let inferable = |s: &str| {
        let image = services[s]["image"].as_str().unwrap_or_default();
        let repo = image.split(':').next().unwrap_or_default().rsplit('/').next().unwrap_or_default();
        WELL_KNOWN.contains(&repo)
            || env_text.match_indices(&format!("{s}:")).any(|(i, m)| {
                let before = env_text[..i].chars().last();
                before.is_none_or(|c| !c.is_ascii_alphanumeric() && c != '-' && c != '_')
                    && env_text[i + m.len()..].starts_with(|c: char| c.is_ascii_digit())
            })
    };
    let has_ports = |f: &str| {
        members[f].iter().any(|s| {
            !list_or_keys(&services[s]["ports"]).is_empty()
                || services[s]["ports"].as_array().is_some_and(|a| !a.is_empty())
                || services[s]["expose"].as_array().is_some_and(|a| !a.is_empty())
        })
    };
    // A relation reaches a target without ports when its port can be inferred.
    let reachable = |f: &str| has_ports(f) || members[f].iter().any(|s| inferable(s));
    // A family one of whose services sets `x-xray` also runs the X-Ray daemon's container; one
    // whose services ask for the CloudWatch agent, the agent's (and NGINX's exporter).
    let set = |f: &str| -> Vec<String> {
        let mut names: BTreeSet<String> = members[f].iter().cloned().collect();
        names.extend(sidecars(members[f].iter().map(|s| &services[s])));
        names.into_iter().collect()
    };
    let mut out = BTreeSet::new();
    for (name, s) in &services {
        let mut targets: Vec<String> =
            list_or_keys(&s["links"]).iter().map(|l| l.split(':').next().unwrap().to_string()).collect();
        targets.extend(list_or_keys(&s["depends_on"]));
        for t in targets {
            if nets(name).is_disjoint(&nets(&t)) {
                continue;
            }
            for df in fams_named(&t) {
                for sf in &fam_of[name] {
                    if *sf != df && reachable(&df) {
                        out.insert((set(sf), set(&df)));
                    }
                }
            }
        }
        let ingress = &s["x-network"]["Ingress"];
        for src in ingress["Services"].as_array().cloned().unwrap_or_default() {
            let n = src["Name"].as_str().or(src.as_str()).unwrap_or_default().to_string();
            for sf in fams_named(&n) {
                for df in &fam_of[name] {
                    if sf != *df && has_ports(df) {
                        out.insert((set(&sf), set(df)));
                    }
                }
            }
        }
        if ingress["Myself"] == Value::Bool(true) {
            for f in &fam_of[name] {
                if has_ports(f) {
                    out.insert((set(f), set(f)));
                }
            }
        }
    }
    out
}

/// The x- kinds of SPEC §4.4: their CloudFormation types, and whether access is by the network
/// (databases, caches) rather than by IAM.
const KINDS: &[(&str, &[&str], bool)] = &[
    ("x-sqs", &["AWS::SQS::Queue"], false),
    ("x-sns", &["AWS::SNS::Topic"], false),
    ("x-dynamodb", &["AWS::DynamoDB::Table"], false),
    ("x-s3", &["AWS::S3::Bucket"], false),
    ("x-kinesis", &["AWS::Kinesis::Stream"], false),
    ("x-kms", &["AWS::KMS::Key"], false),
    ("x-ssm_parameter", &["AWS::SSM::Parameter"], false),
    ("x-aps", &["AWS::APS::Workspace"], false),
    ("x-rds", &["AWS::RDS::DBCluster", "AWS::RDS::DBInstance"], true),
    ("x-elasticache", &["AWS::ElastiCache::ReplicationGroup", "AWS::ElastiCache::CacheCluster"], true),
    ("x-docdb", &["AWS::DocDB::DBCluster"], true),
    ("x-neptune", &["AWS::Neptune::DBCluster"], true),
    ("x-opensearch", &["AWS::OpenSearchService::Domain"], true),
    ("x-kinesis_firehose", &["AWS::KinesisFirehose::DeliveryStream"], false),
];

/// Kinds reached by the network whose consumers are granted IAM actions on them too (Neptune's
/// IAM database authentication, OpenSearch's signed requests): only their consumers may hold
/// those grants.
const NETWORK_AND_IAM: &[&str] = &["x-neptune", "x-opensearch"];

/// SPEC §5: logical IDs start with the PascalCase of the compose name.
fn pascal(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

/// The containers that run in the same tasks as a consumer (a service or a task family): IAM
/// and security groups are per task, so every container of the task shares the access.
fn task_mates(doc: &Value, consumer: &str) -> BTreeSet<String> {
    let services = doc["services"].as_object().cloned().unwrap_or_default();
    let fams_of = |s: &str| -> Vec<String> {
        match services[s]["deploy"]["labels"]["ecs.task.family"].as_str() {
            Some(t) => t.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect(),
            None => vec![s.to_string()],
        }
    };
    let fams: Vec<String> =
        if services.contains_key(consumer) { fams_of(consumer) } else { vec![consumer.to_string()] };
    let mut mates: BTreeSet<String> =
        services.keys().filter(|s| fams_of(s).iter().any(|f| fams.contains(f))).cloned().collect();
    // A task that logs through FireLens has a log router beside its services, under its task role.
    let firelens = |s: &Value| {
        s["logging"]["driver"] == "awsfirelens" || s["x-logging"]["FireLens"]["Shorthands"]["ReplaceAwsLogs"] == true
    };
    if mates.iter().any(|m| firelens(&services[m])) {
        mates.insert("log_router".to_string());
    }
    let extra = sidecars(mates.iter().filter_map(|s| services.get(s)));
    mates.extend(extra);
    mates
}

/// The containers a task runs beside the services `members` of its family, from their `x-`
/// keys: the X-Ray daemon (`x-xray`), the CloudWatch agent (`x-monitoring`'s EMF collection,
/// or `x-prometheus` collecting anything) and NGINX's exporter (`AutoAddNginxPrometheusExporter`).
fn sidecars<'a>(members: impl Iterator<Item = &'a Value>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for s in members {
        if traces(s) {
            out.insert("xray-daemon".to_string());
        }
        let on = |v: &Value| {
            v.is_object() || v == &Value::Bool(true) || v.as_str().is_some_and(|t| t.eq_ignore_ascii_case("true"))
        };
        let emf = on(&s["x-monitoring"]["CWAgentCollectEmf"])
            || s["x-monitoring"]["CollectEmf"]["CloudwatchAgent"].is_object();
        let ci = &s["x-prometheus"]["ContainersInsights"];
        let scrapes =
            ["CollectEmf", "CollectForJavaJmx", "CollectForNginx", "CollectForNginxPlus"].iter().any(|k| on(&ci[*k]))
                || ci["CustomRules"].as_array().is_some_and(|r| !r.is_empty());
        if emf || scrapes {
            out.insert("cloudwatch-agent".to_string());
        }
        if ci["AutoAddNginxPrometheusExporter"] == true {
            out.insert("nginx-prometheus-exporter".to_string());
        }
    }
    out
}

/// Whether a service's `x-xray` asks for the X-Ray daemon.
fn traces(s: &Value) -> bool {
    let x = &s["x-xray"];
    x.is_object() || x == &Value::Bool(true) || x.as_str().is_some_and(|t| t.eq_ignore_ascii_case("true"))
}

/// (consumer name, whether it was given an IAM access level)
fn consumers_of(def: &Value) -> Vec<(String, bool)> {
    let grants = |access: &Value| match access {
        Value::Null => false,
        Value::Object(m) => m.keys().any(|k| k != "enforceSecureConnection"),
        _ => true,
    };
    match &def["Services"] {
        Value::Object(m) => {
            m.iter().map(|(n, spec)| (n.clone(), grants(spec.get("Access").unwrap_or(&Value::Null)))).collect()
        }
        Value::Array(items) => items
            .iter()
            .filter_map(|i| {
                Some((
                    i.get("name").or(i.get("Name"))?.as_str()?.to_string(),
                    grants(i.get("access").or(i.get("Access")).unwrap_or(&Value::Null)),
                ))
            })
            .collect(),
        _ => vec![],
    }
}

/// The IAM consumers of every declared resource whose Properties name key `x-kms::NAME`.
fn encrypted_by(doc: &Value, key_name: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let named = format!("\"x-kms::{key_name}");
    for (key, _, _) in KINDS.iter().filter(|(k, _, _)| *k != "x-kms") {
        let Some(m) = doc.get(*key).and_then(Value::as_object) else { continue };
        for def in m.values() {
            let props = def.get("Properties").map(|p| p.to_string()).unwrap_or_default();
            let exact = [format!("{named}\""), format!("{named}::")];
            if exact.iter().any(|n| props.contains(n.as_str())) {
                out.extend(consumers_of(def).into_iter().filter(|(_, g)| *g).map(|(c, _)| c));
            }
        }
    }
    out
}

/// Every declared resource is reached by exactly its consumers' tasks, and no other.
fn check_resources(name: &str, doc: &Value, t: &Value, failures: &mut Vec<String>) {
    let reach = resource_reach(t);
    let res = t["Resources"].as_object().cloned().unwrap_or_default();
    let find = |prefix: &str, types: &[&str]| -> Option<String> {
        types.iter().find_map(|ty| {
            // The shortest: `JobsQueue` is x-sqs.jobs, `JobsDlqQueue` is x-sqs.jobs-dlq.
            res.iter()
                .filter(|(id, r)| id.starts_with(prefix) && r["Type"] == *ty)
                .map(|(id, _)| id.clone())
                .min_by_key(|id| id.len())
        })
    };
    let empty = BTreeSet::new();
    for (key, types, network) in KINDS {
        let Some(m) = doc.get(*key).and_then(Value::as_object) else { continue };
        for (rname, def) in m.iter().filter(|(_, d)| d.is_object()) {
            let Some(id) = find(&pascal(rname), types) else {
                failures.push(format!("{name}: {key}.{rname} has no {types:?} in the template"));
                continue;
            };
            let consumers = consumers_of(def);
            let all: BTreeSet<String> = consumers.iter().flat_map(|(c, _)| task_mates(doc, c)).collect();
            let mut with_iam: BTreeSet<String> =
                consumers.iter().filter(|(_, g)| *g).flat_map(|(c, _)| task_mates(doc, c)).collect();
            // A FireLens output that names the resource (`delivery_stream: x-kinesis_firehose::logs`)
            // makes the service's task (its log router) a writer of it.
            let logs_to = |s: &Value| {
                s["logging"]["driver"] == "awsfirelens"
                    && s["logging"]["options"]
                        .as_object()
                        .is_some_and(|o| o.values().any(|v| v.as_str() == Some(format!("{key}::{rname}").as_str())))
            };
            for (svc, _) in doc["services"].as_object().into_iter().flatten().filter(|(_, s)| logs_to(s)) {
                with_iam.extend(task_mates(doc, svc));
            }
            // A key of x-kms is reached too by whoever reads or writes a resource it encrypts.
            if *key == "x-kms" {
                with_iam.extend(encrypted_by(doc, rname).iter().flat_map(|c| task_mates(doc, c)));
            }
            let (got, want, how) = if *network {
                (reach.net.get(&id).unwrap_or(&empty), &all, "network")
            } else {
                (reach.iam.get(&id).unwrap_or(&empty), &with_iam, "IAM")
            };
            if got != want {
                failures.push(format!(
                    "{name}: {key}.{rname} ({id}) is reached by {got:?} through {how}, but its consumers are {want:?}"
                ));
            }
            if NETWORK_AND_IAM.contains(key) {
                let by_iam = reach.iam.get(&id).unwrap_or(&empty);
                if !by_iam.is_subset(&all) {
                    failures.push(format!(
                        "{name}: {key}.{rname} ({id}) is granted by IAM to {by_iam:?}, but its consumers are {all:?}"
                    ));
                }
            }
            if *network {
                // A database's credentials: read by the execution roles of its consumers only.
                let readers: BTreeSet<String> = reach
                    .exec
                    .iter()
                    .filter(|(rid, _)| {
                        rid.starts_with(&id)
                            && res[*rid]["Type"].as_str().is_some_and(|ty| ty.starts_with("AWS::SecretsManager::"))
                    })
                    .flat_map(|(_, c)| c.iter().cloned())
                    .collect();
                if !readers.is_empty() && &readers != want {
                    failures.push(format!("{name}: the credentials of {key}.{rname} are read by {readers:?}, but its consumers are {want:?}"));
                }
            }
        }
    }
    // Named volumes: mounted through IAM and NFS by the tasks that mount them, and no others.
    let services = doc["services"].as_object().cloned().unwrap_or_default();
    for (vname, vdef) in doc["volumes"].as_object().cloned().unwrap_or_default() {
        if vdef.get("external").is_some_and(|e| e == true || e == "true") {
            continue;
        }
        let Some(fs) = find(&pascal(&vname), &["AWS::EFS::FileSystem"]) else { continue };
        let mounts = |m: &Value| match m {
            Value::String(s) => s.split(':').next() == Some(vname.as_str()) && s.contains(':'),
            Value::Object(o) => o.get("source").and_then(Value::as_str) == Some(vname.as_str()),
            _ => false,
        };
        let want: BTreeSet<String> = services
            .iter()
            .filter(|(_, s)| s["volumes"].as_array().is_some_and(|v| v.iter().any(mounts)))
            .flat_map(|(n, _)| task_mates(doc, n))
            .collect();
        let by_iam = reach.iam.get(&fs).cloned().unwrap_or_default();
        let by_net: BTreeSet<String> = reach
            .net
            .iter()
            .filter(|(rid, _)| {
                res[*rid]["Type"] == "AWS::EFS::MountTarget"
                    && res[*rid]["Properties"]["FileSystemId"]["Ref"] == fs.as_str()
            })
            .flat_map(|(_, c)| c.iter().cloned())
            .collect();
        if by_iam != want || by_net != want {
            failures.push(format!(
                "{name}: volume {vname} is mounted by {by_iam:?} (IAM) and {by_net:?} (NFS), but used by {want:?}"
            ));
        }
    }
    // No literal password: only dynamic references or intrinsics.
    for (id, r) in &res {
        if let Some(p) = r["Properties"].as_object() {
            for (k, v) in p {
                if k.contains("Password") && v.as_str().is_some_and(|s| !s.starts_with("{{resolve:")) {
                    failures.push(format!("{name}: {id}.{k} holds a literal password"));
                }
            }
        }
    }
}

/// The CloudWatch agent's grants, from the template alone: a task that runs the agent
/// (`cloudwatch-agent`) has a task role whose agent statement allows exactly the log actions the
/// agent makes, on exactly the log groups its configuration and its containers' EMF variable
/// name; each of those is a log group of the template with a retention, of the task's family.
/// No statement the engine writes into such a role allows an `ecs:` action (the agent scrapes
/// its own task, it discovers nothing), a `cloudwatch:` action (CloudWatch Logs extracts the
/// metrics), or a `logs:` action on any other resource than a log group of the template.
fn agent_violations(t: &Value) -> Vec<String> {
    const ACTIONS: [&str; 3] = ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"];
    let res = t["Resources"].as_object().cloned().unwrap_or_default();
    let list = |v: &Value| match v {
        Value::Array(a) => a.clone(),
        Value::Null => vec![],
        other => vec![other.clone()],
    };
    let mut bad = Vec::new();
    for (td, r) in &res {
        let containers = list(&r["Properties"]["ContainerDefinitions"]);
        let Some(agent) = containers.iter().find(|c| c["Name"] == "cloudwatch-agent") else { continue };
        if r["Type"] != "AWS::ECS::TaskDefinition" {
            continue;
        }
        let family = td.trim_end_matches("TaskDefinition");
        let env = |c: &Value, name: &str| {
            list(&c["Environment"]).into_iter().find(|e| e["Name"] == name).map(|e| e["Value"].clone())
        };
        // The log groups the agent writes: its Prometheus group, the containers' EMF group.
        let mut groups = BTreeSet::new();
        if let Some(g) = env(agent, "CW_CONFIG_CONTENT")
            .and_then(|v| v["Fn::Sub"][1]["MetricsLogGroup"]["Ref"].as_str().map(String::from))
        {
            groups.insert(g);
        }
        for c in &containers {
            if let Some(v) = env(c, "AWS_EMF_LOG_GROUP_NAME") {
                match v["Ref"].as_str() {
                    Some(g) => {
                        groups.insert(g.to_string());
                    }
                    None => bad.push(format!(
                        "{td}: container {} sends EMF events to {v}, not a log group of the template",
                        c["Name"]
                    )),
                }
            }
        }
        let config = env(agent, "CW_CONFIG_CONTENT")
            .map(|v| v["Fn::Sub"][0].as_str().or(v.as_str()).unwrap_or_default().to_string())
            .unwrap_or_default();
        if config.contains("ecs_service_discovery") {
            bad.push(format!("{td}: the CloudWatch agent discovers ECS tasks; it scrapes its own task only"));
        }
        if let Some(p) = env(agent, "PROMETHEUS_CONFIG_CONTENT") {
            let text = p["Fn::Sub"].as_str().unwrap_or_default();
            let prom: Value = serde_json::from_str(text).unwrap_or_default();
            for job in list(&prom["scrape_configs"]) {
                for sc in list(&job["static_configs"]) {
                    for target in list(&sc["targets"]) {
                        if !target.as_str().is_some_and(|t| t.starts_with("127.0.0.1:")) {
                            bad.push(format!("{td}: the CloudWatch agent scrapes {target}, outside its own task"));
                        }
                    }
                }
            }
        }
        for g in &groups {
            let ok = res
                .get(g)
                .is_some_and(|x| x["Type"] == "AWS::Logs::LogGroup" && x["Properties"]["RetentionInDays"].is_u64());
            if !ok || !g.starts_with(family) {
                bad.push(format!(
                    "{td}: the CloudWatch agent writes to {g}, not a log group of its family with a retention"
                ));
            }
        }
        let Some(role) = r["Properties"]["TaskRoleArn"]["Fn::GetAtt"][0].as_str() else {
            bad.push(format!("{td}: runs the CloudWatch agent without a task role"));
            continue;
        };
        let generated: Vec<Value> = list(&res.get(role).cloned().unwrap_or_default()["Properties"]["Policies"])
            .into_iter()
            .filter(|p| p["PolicyName"] == "ComposeXResources")
            .flat_map(|p| list(&p["PolicyDocument"]["Statement"]))
            .collect();
        let arn_of = |r: &Value| r["Fn::GetAtt"][0].as_str().filter(|_| r["Fn::GetAtt"][1] == "Arn").map(String::from);
        let mut granted = BTreeSet::new();
        for st in &generated {
            let actions: Vec<String> =
                list(&st["Action"]).iter().filter_map(|a| a.as_str().map(String::from)).collect();
            let resources = list(&st["Resource"]);
            for a in &actions {
                if a.starts_with("ecs:") || a.starts_with("cloudwatch:") {
                    bad.push(format!("{role}: {a} in the task role of a task that runs the CloudWatch agent"));
                }
            }
            if actions.iter().any(|a| a.starts_with("logs:")) {
                for r in &resources {
                    match arn_of(r) {
                        Some(g) if res.get(&g).is_some_and(|x| x["Type"] == "AWS::Logs::LogGroup") => {
                            if st["Sid"] == "CloudWatchAgentLogs" {
                                granted.insert(g);
                            }
                        }
                        _ => bad.push(format!("{role}: {actions:?} on {r}, not a log group of the template")),
                    }
                }
            }
            if st["Sid"] == "CloudWatchAgentLogs" && actions != ACTIONS {
                bad.push(format!("{role}: the CloudWatch agent may {actions:?}, not exactly {ACTIONS:?}"));
            }
        }
        if granted != groups {
            bad.push(format!("{role}: the CloudWatch agent may write to {granted:?}, but writes to {groups:?}"));
        }
    }
    bad
}

fn check(name: &str, files: &[PathBuf], failures: &mut Vec<String>) -> bool {
    let (code, out, _) = common::render_files(files);
    if code != 0 {
        return false;
    }
    let t: Value = serde_json::from_str(&out).unwrap();
    for v in violations(&t).into_iter().chain(agent_violations(&t)) {
        failures.push(format!("{name}: {v}"));
    }
    let mut d = composex::diagnostics::Diagnostics::new();
    let doc = composex::cli::load(files, &|_| None, &mut d).unwrap();
    check_resources(name, &doc, &t, failures);
    let want = declared(&doc);
    let got: BTreeSet<(Vec<String>, Vec<String>)> = reachability(&t).into_iter().map(|(s, d, _)| (s, d)).collect();
    for extra in got.difference(&want) {
        failures.push(format!("{name}: {:?} can reach {:?} without declaring it", extra.0, extra.1));
    }
    for missing in want.difference(&got) {
        failures.push(format!("{name}: {:?} declares it reaches {:?} but has no path", missing.0, missing.1));
    }
    // Every port opened into a task's security group is one its containers listen on.
    let res = t["Resources"].as_object().unwrap();
    // A task joins no existing security group the file does not name in an
    // x-network.AdditionalSecurityGroups: what such a group lets in is outside the template.
    let named: Vec<&Value> = doc["services"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
        .filter_map(|s| s["x-network"]["AdditionalSecurityGroups"].as_object())
        .flat_map(|m| m.values())
        .collect();
    for (id, r) in res.iter().filter(|(_, r)| r["Type"] == "AWS::ECS::Service") {
        let groups = r["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"].as_array();
        for g in groups.into_iter().flatten() {
            let own = g["Fn::GetAtt"][0]
                .as_str()
                .is_some_and(|sg| res.get(sg).is_some_and(|x| x["Type"] == "AWS::EC2::SecurityGroup"));
            if !own && !named.contains(&g) {
                failures.push(format!(
                    "{name}: {id} joins security group {g}, which no x-network.AdditionalSecurityGroups names"
                ));
            }
        }
    }
    let task_groups: BTreeSet<String> = res
        .values()
        .filter(|r| r["Type"] == "AWS::ECS::Service")
        .flat_map(|r| {
            r["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|g| g["Fn::GetAtt"][0].as_str().map(String::from))
        .collect();
    for (id, r) in res {
        let into_task = r["Properties"]["GroupId"]["Fn::GetAtt"][0].as_str().is_some_and(|g| task_groups.contains(g));
        if r["Type"] == "AWS::EC2::SecurityGroupIngress" && into_task {
            let port = &r["Properties"]["FromPort"];
            let listens = res.values().any(|x| {
                x["Type"] == "AWS::ECS::TaskDefinition"
                    && x["Properties"]["ContainerDefinitions"].as_array().is_some_and(|cs| {
                        cs.iter().any(|c| {
                            c["PortMappings"]
                                .as_array()
                                .is_some_and(|pm| pm.iter().any(|m| &m["ContainerPort"] == port))
                        })
                    })
            });
            if !listens {
                failures.push(format!("{name}: {id} opens port {port}, on which no container listens"));
            }
        }
    }
    true
}

#[test]
fn golden_cases_keep_the_guarantees() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in common::golden_cases() {
        let files = common::case_inputs(&case);
        if check(&case.file_name().unwrap().to_string_lossy(), &files, &mut failures) {
            checked += 1;
        }
    }
    assert!(checked > 0);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn corpus_renders_keep_the_guarantees() {
    let Some(root) = common::corpus() else { return };
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, files) in common::corpus_inputs(&root) {
        if check(&name, &files, &mut failures) {
            checked += 1;
        }
    }
    assert!(checked > 0, "no corpus file rendered");
    eprintln!("security suite: {checked} corpus renders checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The checks themselves must be able to fail: a template that breaks each rule is caught.
#[test]
fn the_checks_catch_what_they_look_for() {
    let bad: Value = serde_json::json!({"Resources": {
        "R": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [{"PolicyName": "ExecutionPolicy", "PolicyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "arn:x"},
            {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:x"},
            {"Effect": "Allow", "NotAction": "iam:PassRole", "Resource": "arn:x"},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
        ]}}]}},
        "T": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"TaskRoleArn": {"Fn::GetAtt": ["E", "Arn"]}}},
        "E": {"Type": "AWS::IAM::Role", "Properties": {}},
        "I": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {"CidrIp": "0.0.0.0/0", "Description": "web"}}
    }});
    let v = violations(&bad);
    assert_eq!(v.len(), 6, "{v:#?}");
    let doc: Value = serde_json::json!({"services": {"web": {"image": "x", "links": ["db"]}, "db": {"image": "y", "expose": ["5432"]}}});
    assert_eq!(declared(&doc), BTreeSet::from([(vec!["web".to_string()], vec!["db".to_string()])]));
}

/// The resource checks must fail when a template gives access nobody declared, or withholds it.
#[test]
fn the_resource_checks_catch_undeclared_and_missing_access() {
    let dir = common::TempDir::new("sec");
    let file = dir.join("compose.yaml");
    std::fs::write(
        &file,
        "services:\n  web: {image: nginx}\n  worker: {image: busybox}\n  db: {image: postgres}\n\
         x-sqs:\n  jobs:\n    Services:\n      worker: {Access: RWMessages}\n\
         x-rds:\n  main:\n    MacroParameters: {Engine: postgres, EngineVersion: \"16.15\"}\n    Services:\n      db: {}\n",
    )
    .unwrap();
    let (code, out, err) = common::render_files(std::slice::from_ref(&file));
    assert_eq!(code, 0, "{err}");
    let mut d = composex::diagnostics::Diagnostics::new();
    let doc = composex::cli::load(std::slice::from_ref(&file), &|_| None, &mut d).unwrap();
    let good: Value = serde_json::from_str(&out).unwrap();
    let mut failures = Vec::new();
    check_resources("sound", &doc, &good, &mut failures);
    assert!(failures.is_empty(), "{failures:?}");
    // web's role also allowed on the queue: caught.
    let mut bad = good.clone();
    let stmt = serde_json::json!({"PolicyName": "x", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": {"Fn::GetAtt": ["JobsQueue", "Arn"]}}]}});
    bad["Resources"]["WebTaskRole"] = serde_json::json!({"Type": "AWS::IAM::Role", "Properties": {"Policies": [stmt]}});
    bad["Resources"]["WebTaskDefinition"]["Properties"]["TaskRoleArn"] =
        serde_json::json!({"Fn::GetAtt": ["WebTaskRole", "Arn"]});
    let mut failures = Vec::new();
    check_resources("bad", &doc, &bad, &mut failures);
    assert_eq!(failures.len(), 1, "{failures:?}");
    // The database's ingress removed: its consumer cannot reach it any more: caught.
    let mut bad = good.clone();
    let ingress: Vec<String> = bad["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::EC2::SecurityGroupIngress")
        .map(|(k, _)| k.clone())
        .collect();
    assert!(!ingress.is_empty());
    for k in ingress {
        bad["Resources"].as_object_mut().unwrap().remove(&k);
    }
    let mut failures = Vec::new();
    check_resources("bad", &doc, &bad, &mut failures);
    assert_eq!(failures.len(), 1, "{failures:?}");
}

/// The load balancer checks must fail when the internet reaches a port no listener takes, when
/// the load balancer reaches a target on a port no target group needs, or cannot reach one.
#[test]
fn the_load_balancer_checks_catch_open_and_missing_paths() {
    let dir = common::TempDir::new("sec-lb");
    let file = dir.join("compose.yaml");
    std::fs::write(&file, "services:\n  web: {image: nginx, ports: [\"80:8080\"], expose: [\"9000\"]}\n").unwrap();
    let (code, out, err) = common::render_files(std::slice::from_ref(&file));
    assert_eq!(code, 0, "{err}");
    let good: Value = serde_json::from_str(&out).unwrap();
    assert!(violations(&good).is_empty(), "{:?}", violations(&good));
    let ingress = |group: &str, src: Value, port: u64| {
        let mut p = serde_json::json!({"GroupId": {"Fn::GetAtt": [group, "GroupId"]}, "IpProtocol": "tcp", "FromPort": port, "ToPort": port, "Description": "x"});
        for (k, v) in src.as_object().unwrap() {
            p[k] = v.clone();
        }
        serde_json::json!({"Type": "AWS::EC2::SecurityGroupIngress", "Properties": p})
    };
    let lb_src = serde_json::json!({"SourceSecurityGroupId": {"Fn::GetAtt": ["LoadBalancerSecurityGroup", "GroupId"]}});
    // The internet on a port of the load balancer that no listener takes.
    let mut bad = good.clone();
    bad["Resources"]["X"] = ingress("LoadBalancerSecurityGroup", serde_json::json!({"CidrIp": "0.0.0.0/0"}), 22);
    assert_eq!(violations(&bad).len(), 2, "{:?}", violations(&bad));
    // The internet straight into the task.
    let mut bad = good.clone();
    bad["Resources"]["X"] = ingress("WebSecurityGroup", serde_json::json!({"CidrIp": "0.0.0.0/0"}), 8080);
    assert_eq!(violations(&bad).len(), 1, "{:?}", violations(&bad));
    // The load balancer into the task on a port no target group uses.
    let mut bad = good.clone();
    bad["Resources"]["X"] = ingress("WebSecurityGroup", lb_src.clone(), 9000);
    assert_eq!(violations(&bad).len(), 1, "{:?}", violations(&bad));
    // The load balancer cannot reach its target.
    let mut bad = good.clone();
    bad["Resources"].as_object_mut().unwrap().remove("WebFromLoadBalancerTcp8080Ingress").unwrap();
    assert_eq!(violations(&bad).len(), 1, "{:?}", violations(&bad));
}

/// The ports a load balancer's security group opens into each task's security group:
/// (load balancer group, task group) → [(port, IP protocol)].
fn load_balancer_ingress(t: &Value) -> BTreeMap<(String, String), BTreeSet<(u64, String)>> {
    let lbs = common::security::load_balancers(t);
    let mut out: BTreeMap<(String, String), BTreeSet<(u64, String)>> = BTreeMap::new();
    for r in t["Resources"].as_object().unwrap().values() {
        let p = &r["Properties"];
        if r["Type"] != "AWS::EC2::SecurityGroupIngress" {
            continue;
        }
        let (Some(src), Some(dst)) =
            (p["SourceSecurityGroupId"]["Fn::GetAtt"][0].as_str(), p["GroupId"]["Fn::GetAtt"][0].as_str())
        else {
            continue;
        };
        if lbs.by_group.contains_key(src) {
            assert_eq!(p["FromPort"], p["ToPort"], "{p}");
            let port = (p["FromPort"].as_u64().unwrap(), p["IpProtocol"].as_str().unwrap().to_string());
            out.entry((src.to_string(), dst.to_string())).or_default().insert(port);
        }
    }
    out
}

/// A target group of several task families (x-elbv2 TargetGroups): every family it sends to is
/// reachable from the load balancer on the group's port (and its health check port), and on
/// nothing else, though the families declare other ports; each ECS service registers its own
/// tasks in the shared target group. An extra port from the load balancer, or a family left
/// without its ingress, is caught.
#[test]
fn a_shared_target_group_reaches_each_family_on_its_port_only() {
    let cases = [
        (
            "x-elbv2-target-groups-shared",
            "FrontLoadBalancerSecurityGroup",
            vec![("WebSecurityGroup", vec![8080]), ("ApiSecurityGroup", vec![8080])],
        ),
        (
            "x-elbv2-target-groups-shared-nlb",
            "EdgeLoadBalancerSecurityGroup",
            vec![("ShopSecurityGroup", vec![80, 5000]), ("BlogSecurityGroup", vec![80, 5000])],
        ),
    ];
    for (case, lb_group, families) in cases {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("macro-tests").join(case);
        let (code, out, err) = common::render_files(&common::case_inputs(&dir));
        assert_eq!(code, 0, "{case}: {err}");
        let good: Value = serde_json::from_str(&out).unwrap();
        assert!(violations(&good).is_empty(), "{case}: {:?}", violations(&good));
        let opened = load_balancer_ingress(&good);
        let want: BTreeMap<(String, String), BTreeSet<(u64, String)>> = families
            .iter()
            .map(|(g, ports)| {
                ((lb_group.to_string(), g.to_string()), ports.iter().map(|p| (*p, "tcp".to_string())).collect())
            })
            .collect();
        assert_eq!(opened, want, "{case}");
        // Every family's ECS service registers its tasks in the one shared target group.
        let res = good["Resources"].as_object().unwrap();
        let mut services_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (sid, r) in res.iter().filter(|(_, r)| r["Type"] == "AWS::ECS::Service") {
            for e in r["Properties"]["LoadBalancers"].as_array().cloned().unwrap_or_default() {
                let tg = e["TargetGroupArn"]["Ref"].as_str().unwrap().to_string();
                services_of.entry(tg).or_default().insert(sid.clone());
            }
        }
        let shared: Vec<&String> =
            services_of.iter().filter(|(_, s)| s.len() == families.len()).map(|(tg, _)| tg).collect();
        assert_eq!(shared.len(), 1, "{case}: one target group shared by every family: {services_of:?}");
        // The load balancer on a port of a family that no target group sends to: caught.
        let (first, _) = families[0];
        let extra_port = res
            .values()
            .filter(|r| r["Type"] == "AWS::ECS::TaskDefinition")
            .flat_map(|r| r["Properties"]["ContainerDefinitions"].as_array().cloned().unwrap_or_default())
            .flat_map(|c| c["PortMappings"].as_array().cloned().unwrap_or_default())
            .filter_map(|m| m["ContainerPort"].as_u64())
            .find(|p| !families[0].1.contains(p))
            .expect("the families declare other ports");
        let mut bad = good.clone();
        bad["Resources"]["X"] = serde_json::json!({"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
            "GroupId": {"Fn::GetAtt": [first, "GroupId"]}, "IpProtocol": "tcp", "FromPort": extra_port, "ToPort": extra_port,
            "SourceSecurityGroupId": {"Fn::GetAtt": [lb_group, "GroupId"]}, "Description": "x"}});
        assert_eq!(violations(&bad).len(), 1, "{case}: {:?}", violations(&bad));
        // A family of the group left without its ingress: caught.
        let mut bad = good.clone();
        let (last, _) = families[families.len() - 1];
        let theirs: Vec<String> = res
            .iter()
            .filter(|(_, r)| {
                r["Type"] == "AWS::EC2::SecurityGroupIngress"
                    && r["Properties"]["GroupId"]["Fn::GetAtt"][0] == last
                    && r["Properties"]["SourceSecurityGroupId"]["Fn::GetAtt"][0] == lb_group
            })
            .map(|(k, _)| k.clone())
            .collect();
        assert!(!theirs.is_empty(), "{case}");
        for k in &theirs {
            bad["Resources"].as_object_mut().unwrap().remove(k);
        }
        assert_eq!(violations(&bad).len(), theirs.len(), "{case}: {:?}", violations(&bad));
    }
}

#[test]
fn the_capacity_checks_catch_imdsv1_plain_volumes_open_instances_and_broad_roles() {
    let t = serde_json::json!({"Resources": {
        "Lt": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": {
            "MetadataOptions": {"HttpTokens": "optional"},
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 30}}],
            "SecurityGroupIds": [{"Fn::GetAtt": ["Sg", "GroupId"]}]
        }}},
        "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "x"}},
        "In": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {"GroupId": {"Fn::GetAtt": ["Sg", "GroupId"]}, "SourceSecurityGroupId": "sg-1", "FromPort": 22, "ToPort": 22, "IpProtocol": "tcp"}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"ManagedPolicyArns": [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess"}]}},
        "Profile": {"Type": "AWS::IAM::InstanceProfile", "Properties": {"Roles": [{"Ref": "Role"}]}}
    }});
    let found = violations(&t).join("\n");
    for want in ["IMDSv1", "is not encrypted", "opens ports", "an instance role with more than"] {
        assert!(found.contains(want), "{want} not caught:\n{found}");
    }
}

/// Kinds reached by the network and by IAM (Neptune, OpenSearch): a grant to a task that is no
/// consumer is caught, and so is an ingress rule from one.
#[test]
fn the_resource_checks_catch_grants_and_ingress_to_non_consumers() {
    let dir = common::TempDir::new("sec-graph");
    let file = dir.join("compose.yaml");
    std::fs::write(
        &file,
        "services:\n  web: {image: nginx}\n  worker: {image: busybox}\n\
         x-neptune:\n  graph:\n    Properties: {}\n    Services:\n      worker: {Access: {NeptuneDB: RW}}\n\
         x-opensearch:\n  search:\n    Properties: {}\n    Services:\n      worker: {Access: {Http: RO}}\n",
    )
    .unwrap();
    let (code, out, err) = common::render_files(std::slice::from_ref(&file));
    assert_eq!(code, 0, "{err}");
    let mut d = composex::diagnostics::Diagnostics::new();
    let doc = composex::cli::load(std::slice::from_ref(&file), &|_| None, &mut d).unwrap();
    let good: Value = serde_json::from_str(&out).unwrap();
    let mut failures = Vec::new();
    check_resources("sound", &doc, &good, &mut failures);
    assert!(failures.is_empty(), "{failures:?}");
    // web's role also allowed to connect to the graph: caught.
    let mut bad = good.clone();
    let data = "arn:${AWS::Partition}:neptune-db:${AWS::Region}:${AWS::AccountId}:${GraphNeptune.ClusterResourceId}/*";
    let stmt = serde_json::json!({"PolicyName": "x", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "neptune-db:connect", "Resource": {"Fn::Sub": data}}]}});
    bad["Resources"]["WebTaskRole"] = serde_json::json!({"Type": "AWS::IAM::Role", "Properties": {"Policies": [stmt]}});
    bad["Resources"]["WebTaskDefinition"]["Properties"]["TaskRoleArn"] =
        serde_json::json!({"Fn::GetAtt": ["WebTaskRole", "Arn"]});
    let mut failures = Vec::new();
    check_resources("bad", &doc, &bad, &mut failures);
    assert_eq!(failures.len(), 1, "{failures:?}");
    // web's security group let into the search domain's: caught.
    let mut bad = good.clone();
    bad["Resources"]["SearchSearchFromWebTcp443Ingress"] = serde_json::json!({"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
        "GroupId": {"Fn::GetAtt": ["SearchSearchSecurityGroup", "GroupId"]}, "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
        "SourceSecurityGroupId": {"Fn::GetAtt": ["WebSecurityGroup", "GroupId"]}}});
    let mut failures = Vec::new();
    check_resources("bad", &doc, &bad, &mut failures);
    assert_eq!(failures.len(), 1, "{failures:?}");
}

/// The agent audit must fail when the agent may write anywhere else, or elsewhere than where it
/// writes, or is granted ECS discovery.
#[test]
fn the_agent_checks_catch_broad_and_missing_grants() {
    let dir = common::TempDir::new("sec-agent");
    let file = dir.join("compose.yaml");
    std::fs::write(
        &file,
        "services:\n  web:\n    image: nginx\n    x-monitoring: {CWAgentCollectEmf: true}\n    \
         x-prometheus: {ContainersInsights: {CollectForNginx: true}}\n",
    )
    .unwrap();
    let (code, out, err) = common::render_files(std::slice::from_ref(&file));
    assert_eq!(code, 0, "{err}");
    let good: Value = serde_json::from_str(&out).unwrap();
    assert!(agent_violations(&good).is_empty(), "{:?}", agent_violations(&good));
    let statements = |t: &mut Value| -> Vec<Value> {
        t["Resources"]["WebTaskRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
            .as_array()
            .unwrap()
            .clone()
    };
    let set = |t: &mut Value, st: Vec<Value>| {
        t["Resources"]["WebTaskRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"] = Value::Array(st);
    };
    // The agent's statement on every log group: caught.
    let mut bad = good.clone();
    let mut st = statements(&mut bad);
    st[0]["Resource"] = serde_json::json!("*");
    set(&mut bad, st);
    assert_eq!(agent_violations(&bad).len(), 2, "{:?}", agent_violations(&bad));
    // ECS discovery and PutMetricData granted beside it: caught.
    let mut bad = good.clone();
    let mut st = statements(&mut bad);
    st.push(serde_json::json!({"Effect": "Allow", "Action": ["ecs:ListTasks", "cloudwatch:PutMetricData"], "Resource": "*"}));
    set(&mut bad, st);
    assert_eq!(agent_violations(&bad).len(), 2, "{:?}", agent_violations(&bad));
    // The containers' EMF events sent to a log group the agent may not write: caught.
    let mut bad = good.clone();
    bad["Resources"]["OtherLogGroup"] = serde_json::json!({"Type": "AWS::Logs::LogGroup", "Properties": {}});
    let env = bad["Resources"]["WebTaskDefinition"]["Properties"]["ContainerDefinitions"][0]["Environment"]
        .as_array_mut()
        .unwrap();
    for e in env.iter_mut().filter(|e| e["Name"] == "AWS_EMF_LOG_GROUP_NAME") {
        e["Value"] = serde_json::json!({"Ref": "OtherLogGroup"});
    }
    assert_eq!(agent_violations(&bad).len(), 2, "{:?}", agent_violations(&bad));
}
