//! The `composex` binary as users run it gives exactly the golden output on every case of
//! `macro-tests/`: the template byte for byte, or the same error lines and exit code.
//!
//! `COMPOSEX_BIN` names another build to check instead (`scripts/test.sh` checks the statically
//! linked one `scripts/build-cli.sh` makes this way).

use std::process::Command;

mod common;

use common::{case_inputs, errors_of, golden_cases};

#[test]
fn the_binary_prints_every_golden_output() {
    let bin = std::env::var("COMPOSEX_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_composex").to_string());
    let mut failures = Vec::new();
    let cases = golden_cases();
    assert!(!cases.is_empty(), "no cases under macro-tests/");
    for case in &cases {
        let mut cmd = Command::new(&bin);
        cmd.env_clear().env("COMPOSEX_TEST_VAR", "from-the-environment").current_dir(case);
        cmd.args(["render", "--format", "json"]);
        for f in case_inputs(case) {
            cmd.arg("-f").arg(f);
        }
        if let Ok(extra) = std::fs::read_to_string(case.join("args")) {
            cmd.args(extra.split_whitespace());
        }
        let out = cmd.output().expect("the composex binary runs");
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        let name = case.file_name().unwrap().to_string_lossy();
        let ok = if let Ok(expected) = std::fs::read_to_string(case.join("expected.json")) {
            out.status.code() == Some(0) && stdout == expected
        } else {
            let expected = std::fs::read_to_string(case.join("errors.txt")).unwrap_or_default();
            out.status.code() == Some(1) && errors_of(&stderr, case) == expected && stdout.is_empty()
        };
        if !ok {
            failures.push(format!("{name}: exit {:?}\n{stderr}", out.status.code()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from the golden output:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
