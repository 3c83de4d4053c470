//! Golden cases: every folder of `macro-tests/` holds an `input.yaml` (plus optional overlay
//! files `input.2.yaml`, `input.3.yaml`… merged in order, and an optional `args` file with extra
//! CLI arguments on one line) and either `expected.json`, the exact template `composex render`
//! prints, or `errors.txt`, the exact error lines it prints. `UPDATE=1 cargo test --test golden`
//! rewrites the expected files; review the diff before committing it.
//!
//! The same cases also check, from the template alone, that output is deterministic and that an
//! unrelated extra service leaves every other resource byte-identical.

use serde_json::Value;
use std::path::{Path, PathBuf};

mod common;

use common::{case_inputs as inputs, errors_of, golden_cases as cases};

/// Runs `composex render` in-process on `files`; (exit code, stdout, stderr).
fn render(case: &Path, files: &[PathBuf]) -> (i32, String, String) {
    cli(case, &["render", "--format", "json"], files)
}

/// Runs the CLI in-process with `command` on `files` and the case's `args`.
fn cli(case: &Path, command: &[&str], files: &[PathBuf]) -> (i32, String, String) {
    let mut args: Vec<String> = command.iter().map(|a| a.to_string()).collect();
    for f in files {
        args.push("-f".into());
        args.push(f.to_string_lossy().into_owned());
    }
    if let Ok(extra) = std::fs::read_to_string(case.join("args")) {
        args.extend(extra.split_whitespace().map(String::from));
    }
    let env = |k: &str| match k {
        "COMPOSEX_TEST_VAR" => Some("from-the-environment".to_string()),
        _ => None,
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = composex::cli::run(&args, case, &env, &mut out, &mut err);
    (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
}

#[test]
fn golden_cases() {
    let update = std::env::var("UPDATE").is_ok_and(|v| v == "1");
    let mut failures = Vec::new();
    let all = cases();
    assert!(!all.is_empty(), "no cases under macro-tests/");
    for case in &all {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let (code, out, err) = render(case, &inputs(case));
        let (expected_file, actual) =
            if code == 0 { ("expected.json", out.clone()) } else { ("errors.txt", errors_of(&err, case)) };
        let path = case.join(expected_file);
        if update {
            let _ = std::fs::remove_file(case.join(if code == 0 { "errors.txt" } else { "expected.json" }));
            std::fs::write(&path, &actual).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => failures.push(format!(
                "{name}: {expected_file} differs (exit {code})\n--- expected\n{expected}\n--- actual\n{actual}\n{err}"
            )),
            Err(_) => failures.push(format!("{name}: exit {code}, but there is no {expected_file}; stderr:\n{err}")),
        }
    }
    assert!(failures.is_empty(), "{} of {} golden cases failed:\n{}", failures.len(), all.len(), failures.join("\n"));
}

#[test]
fn output_is_deterministic() {
    for case in cases() {
        let a = render(&case, &inputs(&case));
        let b = render(&case, &inputs(&case));
        assert_eq!(a, b, "{}: two renders differ", case.display());
    }
}

/// The Lambda handles the event's text (`transform_json`), a decoded request goes to
/// `transform`, the CLI calls `render`: on every case's macro event, all three give the same
/// template or the same errors.
#[test]
fn the_lambda_and_the_borrowed_render_agree() {
    use composex::macro_io::{render, transform, transform_json, Options, MAX_ERROR_LINES};
    let mut checked = 0;
    for case in cases() {
        let (code, event, _) = cli(&case, &["event"], &inputs(&case));
        if code != 0 {
            continue;
        }
        let from_text = serde_json::to_string(&transform_json(&event)).unwrap();
        let event: Value = serde_json::from_str(&event).unwrap();
        let borrowed = render(&event["fragment"], &Options::default());
        let response = transform(event);
        assert_eq!(from_text, serde_json::to_string(&response).unwrap(), "{}: transform_json differs", case.display());
        match borrowed.template {
            Some(t) => {
                assert_eq!(response.status, "success", "{}: {:?}", case.display(), response.error_message);
                assert_eq!(response.fragment.map(|f| f.to_value()), Some(t.to_value()), "{}", case.display());
            }
            None => assert_eq!(
                response.error_message,
                Some(borrowed.diagnostics.error_message(MAX_ERROR_LINES)),
                "{}",
                case.display()
            ),
        }
        checked += 1;
    }
    assert!(checked > 100, "only {checked} golden cases made a macro event");
}

/// Adding one service and one queue that nothing refers to must leave every resource of the
/// original template byte-identical: no unrelated replacement on stack update.
#[test]
fn an_unrelated_service_changes_nothing_else() {
    let extra = std::env::temp_dir().join(format!("composex-extra-{}.yaml", std::process::id()));
    std::fs::write(
        &extra,
        "services:\n  zz-unrelated-extra:\n    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/zz-unrelated:1\n    expose: [\"9999\"]\n\
         x-sqs:\n  zz-unrelated-queue:\n    Services:\n      zz-unrelated-extra: {Access: Publish}\n",
    )
    .unwrap();
    let mut checked = 0;
    for case in cases() {
        let files = inputs(&case);
        let (code, out, _) = render(&case, &files);
        if code != 0 {
            continue;
        }
        let mut more = files.clone();
        more.push(extra.clone());
        let (code2, out2, err2) = render(&case, &more);
        assert_eq!(code2, 0, "{}: the extra service made the render fail: {err2}", case.display());
        let before: Value = serde_json::from_str(&out).unwrap();
        let after: Value = serde_json::from_str(&out2).unwrap();
        for (id, res) in before["Resources"].as_object().unwrap() {
            assert_eq!(
                Some(res),
                after["Resources"].get(id),
                "{}: resource {id} changed when an unrelated service was added",
                case.display()
            );
        }
        checked += 1;
    }
    let _ = std::fs::remove_file(&extra);
    assert!(checked > 0, "no golden case rendered");
}
