//! The security suite: for every golden case and every corpus file that renders, the template
//! alone must keep SPEC §7's guarantees, and the network paths between tasks must be exactly the
//! relations the compose file declares: no more (isolation), no fewer (declared access works).
//! The declared relations are computed here from the compose input with rules of its own.

mod common;

use common::security::{reachability, violations};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

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
    let has_ports = |f: &str| {
        members[f].iter().any(|s| {
            !list_or_keys(&services[s]["ports"]).is_empty()
                || services[s]["ports"].as_array().is_some_and(|a| !a.is_empty())
                || services[s]["expose"].as_array().is_some_and(|a| !a.is_empty())
        })
    };
    let set = |f: &str| -> Vec<String> { members[f].iter().cloned().collect() };
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
                    if *sf != df && has_ports(&df) {
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

fn check(name: &str, files: &[PathBuf], failures: &mut Vec<String>) -> bool {
    let (code, out, _) = common::render_files(files);
    if code != 0 {
        return false;
    }
    let t: Value = serde_json::from_str(&out).unwrap();
    for v in violations(&t) {
        failures.push(format!("{name}: {v}"));
    }
    let mut d = composex::diagnostics::Diagnostics::new();
    let doc = composex::cli::load(files, &|_| None, &mut d).unwrap();
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
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("macro-tests");
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("input.yaml").is_file())
        .collect();
    cases.sort();
    for case in cases {
        let mut files = vec![case.join("input.yaml")];
        for i in 2.. {
            let f = case.join(format!("input.{i}.yaml"));
            if !f.is_file() {
                break;
            }
            files.push(f);
        }
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
