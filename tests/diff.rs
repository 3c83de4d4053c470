//! `composex diff`: every folder of `tests/diff-cases/` holds `old.yaml` and `new.yaml` (compose
//! files or rendered templates) and `expected.txt`, the exact report followed by `exit N`.
//! `UPDATE=1 cargo test --test diff` rewrites the expected files; review the diff before
//! committing it. Beside the cases: the generated schema table and the library's rules.

use composex::diff::{create_only, diff, reach, Update};
use serde_json::{json, Value};
use std::path::Path;

fn run(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = composex::cli::run(&args, cwd, &|_| None, &mut out, &mut err);
    (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
}

#[test]
fn diff_cases() {
    let update = std::env::var("UPDATE").is_ok_and(|v| v == "1");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diff-cases");
    let mut cases: Vec<_> = std::fs::read_dir(&root).unwrap().flatten().map(|e| e.path()).collect();
    cases.sort();
    assert!(cases.len() >= 6, "{cases:?}");
    let mut failures = Vec::new();
    for case in &cases {
        let (code, out, err) = run(&["diff", "old.yaml", "new.yaml"], case);
        assert!(err.is_empty(), "{}: {err}", case.display());
        let actual = format!("{out}exit {code}\n");
        let path = case.join("expected.txt");
        if update {
            std::fs::write(&path, &actual).unwrap();
        } else if std::fs::read_to_string(&path).unwrap_or_default() != actual {
            failures.push(format!("{}:\n{actual}", case.display()));
        }
    }
    assert!(failures.is_empty(), "differs from expected.txt (UPDATE=1 rewrites):\n{}", failures.join("\n"));
}

/// The acceptance of the issue, read from the JSON report.
#[test]
fn what_each_case_must_show() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diff-cases");
    let report = |case: &str| {
        let (code, out, _) = run(&["diff", "old.yaml", "new.yaml", "--format", "json"], &root.join(case));
        (code, serde_json::from_str::<Value>(&out).unwrap())
    };
    let (code, d) = report("add-service");
    assert_eq!(code, 0);
    assert!(d["changed"].as_array().unwrap().is_empty() && d["removed"].as_array().unwrap().is_empty(), "{d}");
    assert!(!d["added"].as_array().unwrap().is_empty());
    for (case, id, path) in [
        ("dynamodb-key-schema", "OrdersTable", "Properties.KeySchema[0].AttributeName"),
        ("rds-engine", "AppDbDatabase", "Properties.Engine"),
        ("efs-encrypted", "DataFileSystem", "Properties.Encrypted"),
        ("s3-bucket-name", "MediaBucket", "Properties.BucketName"),
    ] {
        let (code, d) = report(case);
        assert_eq!(code, 3, "{case}");
        let c = d["changed"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap();
        assert_eq!(c["stateful"], true, "{case}");
        let change = c["changes"].as_array().unwrap().iter().find(|x| x["path"] == path).unwrap();
        assert!(change["update"] == "replace" || change["update"] == "may-replace", "{case}: {change}");
    }
    let (code, d) = report("environment-value");
    assert_eq!(code, 0);
    let c = &d["changed"][0];
    assert_eq!((c["type"].as_str(), c["stateful"].as_bool()), (Some("AWS::ECS::TaskDefinition"), Some(false)));
    assert_eq!(d["changed"].as_array().unwrap().len(), 1, "{d}");
}

#[test]
fn the_table_holds_the_schemas_create_only_properties() {
    let (replace, may) = create_only("AWS::DynamoDB::Table").unwrap();
    assert!(replace.contains(&"TableName".to_string()) && may.contains(&"KeySchema".to_string()));
    assert!(create_only("AWS::S3::Bucket").unwrap().0.contains(&"BucketName".to_string()));
    assert!(create_only("AWS::EFS::FileSystem").unwrap().0.contains(&"Encrypted".to_string()));
    assert!(create_only("AWS::RDS::DBInstance").unwrap().1.contains(&"Engine".to_string()));
    assert!(create_only("AWS::EFS::AccessPoint").unwrap().0.contains(&"PosixUser/Uid".to_string()));
    assert!(create_only("AWS::ECS::TaskDefinition").unwrap().0.contains(&"ContainerDefinitions".to_string()));
    // In the table with no create-only property: every change is in place.
    assert_eq!(create_only("AWS::KMS::Key").map(|(r, m)| r.len() + m.len()), Some(0));
    assert!(create_only("Custom::Thing").is_none());
}

#[test]
fn inputs_that_are_neither_and_compose_errors_exit_1_usage_2() {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diff-cases/environment-value");
    let (code, out, err) = run(&["diff", "old.yaml", "old.yaml"], &d);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (0, "No change.\nNo stateful resource replaced, or removed with its data.\n", "")
    );
    let (code, _, err) = run(&["diff", "old.yaml", "../../../Cargo.lock"], &d);
    assert_eq!(code, 1);
    assert!(
        err.starts_with("../../../Cargo.lock: neither a compose file (services) nor a template (Resources)"),
        "{err}"
    );
    let bad = Path::new(env!("CARGO_MANIFEST_DIR")).join("macro-tests/error-privileged/input.yaml");
    let (code, _, err) = run(&["diff", "old.yaml", bad.to_str().unwrap()], &d);
    assert_eq!(code, 1);
    assert!(err.contains("error-privileged/input.yaml:"), "{err}");
    assert!(err.contains(": services.app.privileged: Fargate does not run privileged"), "{err}");
    for args in [&["diff", "old.yaml"][..], &["diff", "old.yaml", "new.yaml", "--format", "yaml"][..]] {
        assert_eq!(run(args, &d).0, 2, "{args:?}");
    }
}

fn template(resources: Value) -> Value {
    json!({"Resources": resources})
}

#[test]
fn nested_paths_types_and_attributes_are_classed() {
    let ap = |uid: u32, tag: &str| json!({"Type": "AWS::EFS::AccessPoint", "Properties": {"PosixUser": {"Uid": uid, "Gid": 1}, "AccessPointTags": [{"Key": "k", "Value": tag}]}});
    let d = diff(&template(json!({"Ap": ap(1, "a")})), &template(json!({"Ap": ap(2, "b")})));
    let updates: Vec<(&str, Update)> = d.changed[0].changes.iter().map(|c| (c.path.as_str(), c.update)).collect();
    assert_eq!(
        updates,
        [("Properties.AccessPointTags[0].Value", Update::InPlace), ("Properties.PosixUser.Uid", Update::Replace)]
    );
    let q = |ty: &str, policy: &str| json!({"Type": ty, "DeletionPolicy": policy});
    let d = diff(
        &template(json!({"Q": q("AWS::SQS::Queue", "Delete"), "T": q("Custom::Table", "Retain")})),
        &template(json!({"Q": q("AWS::SQS::Queue", "Retain"), "T": q("AWS::DynamoDB::Table", "Retain")})),
    );
    assert_eq!((d.changed[0].id.as_str(), d.changed[0].update), ("Q", Update::InPlace));
    assert_eq!((d.changed[1].id.as_str(), d.changed[1].update), ("T", Update::Replace));
    assert_eq!(d.at_risk(), ["T"], "a type change replaces the resource");
    let d = diff(
        &template(json!({"X": {"Type": "Custom::X", "Properties": {"A": 1}}})),
        &template(json!({"X": {"Type": "Custom::X", "Properties": {"A": 2}}})),
    );
    assert_eq!(d.changed[0].update, Update::Unknown);
}

#[test]
fn reach_reads_ingress_resources_and_inline_rules() {
    let t = template(json!({
        "ApiFromWebTcp8080Ingress": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
            "GroupId": {"Fn::GetAtt": ["ApiSecurityGroup", "GroupId"]}, "IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8090,
            "SourceSecurityGroupId": {"Fn::GetAtt": ["WebSecurityGroup", "GroupId"]}}},
        "Lb": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"SecurityGroupIngress": [
            {"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}]}},
    }));
    let edges: Vec<String> = reach(&t).into_iter().map(|e| format!("{} -> {}: {}", e.from, e.to, e.ports)).collect();
    assert_eq!(edges, ["0.0.0.0/0 -> Lb: all traffic", "WebSecurityGroup -> ApiSecurityGroup: 8080-8090/tcp"]);
}
