//! The CLI as a user meets it: commands, options, exit codes, file discovery, interpolation,
//! and the promise that the CLI and the Lambda render the same file identically.

use std::path::Path;

mod common;

fn run(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> (i32, String, String) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let lookup = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = composex::cli::run(&args, cwd, &lookup, &mut out, &mut err);
    (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
}

fn temp_dir(name: &str) -> common::TempDir {
    common::TempDir::new(&format!("cli-{name}"))
}

#[test]
fn usage_errors_exit_2() {
    let d = temp_dir("usage");
    for args in [
        &[][..],
        &["frobnicate"][..],
        &["render", "--format", "xml"][..],
        &["render", "--bogus"][..],
        &["render", "-f"][..],
    ] {
        let (code, _, err) = run(args, &d, &[]);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.contains("Usage: composex") || err.contains("try '--help'"), "{err}");
    }
    let (code, _, err) = run(&["render", "--param", "NoEquals"], &d, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("\"NoEquals\" is not KEY=VALUE"), "{err}");
    let (code, _, err) = run(&["render"], &d, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("no compose.yaml"), "{err}");
}

#[test]
fn help_and_version_go_to_stdout_with_exit_0() {
    let d = temp_dir("help");
    let (code, out, err) = run(&["render", "--help"], &d, &[]);
    assert_eq!((code, err.as_str()), (0, ""));
    for option in
        ["--file", "--project-name", "--format", "--output", "--param", "--region", "--account-id", "Example:"]
    {
        assert!(out.contains(option), "{option} is missing from render --help:\n{out}");
    }
    let (code, out, _) = run(&["--version"], &d, &[]);
    assert_eq!((code, out), (0, format!("composex {}\n", env!("CARGO_PKG_VERSION"))));
}

#[test]
fn render_sums_up_strict_fails_on_warnings_and_params_must_be_declared() {
    let d = temp_dir("summary");
    std::fs::write(
        d.join("compose.yaml"),
        "Parameters:\n  Tag: {Type: String}\nservices:\n  web:\n    image: nginx\n    tty: true\n",
    )
    .unwrap();
    let (code, out, err) = run(&["render", "--format", "json-compact"], &d, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 1, "json-compact is one line");
    let summary = err.lines().last().unwrap();
    assert!(summary.starts_with("composex: ") && summary.contains(" resources, 1 warning(s), "), "{summary}");
    assert!(
        summary.ends_with(&format!("{} bytes: fits the 51200 bytes aws cloudformation deploy sends inline", out.len()))
    );
    let (code, out, err) = run(&["render", "--strict"], &d, &[]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.ends_with("composex: 1 warning(s), and --strict makes each one fail the run\n"), "{err}");
    let (code, _, err) = run(&["render", "--strict", "--allow", "CX1036"], &d, &[]);
    assert_eq!(code, 0, "an allowed warning is not counted: {err}");
    assert!(!err.contains("tty"), "an allowed warning is not shown: {err}");
    let (code, _, err) = run(&["event", "--param", "Tag=1.27", "--param", "Tga=1"], &d, &[]);
    assert_eq!(code, 2);
    assert_eq!(err, "composex: --param Tga: not a parameter of the template (its Parameters: Tag)\n");
}

#[test]
fn colours_on_a_terminal_only_and_completions_for_shells() {
    let d = temp_dir("colour");
    std::fs::write(
        d.join("compose.yaml"),
        "services:\n  web:\n    image: nginx\n    tty: true\n    ports: [\"80:abc\"]\n",
    )
    .unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = composex::cli::run_on(&["check".to_string()], &d, &|_| None, &mut out, &mut err, true);
    let err = String::from_utf8(err).unwrap();
    assert_eq!(code, 1);
    assert!(err.starts_with("\x1b[1;33mwarning:\x1b[0m compose.yaml:4: services.web.tty: "), "{err:?}");
    assert!(err.contains("no terminal [CX1036]\n"), "{err:?}");
    assert!(err.contains("\x1b[1;31mcompose.yaml:5: services.web.ports[0]:\x1b[0m \"80:abc\""), "{err:?}");
    let (_, _, plain) = run(&["check"], &d, &[]);
    assert!(!plain.contains('\x1b'), "{plain:?}");
    for shell in ["bash", "zsh", "fish"] {
        let (code, out, _) = run(&["completions", shell], &d, &[]);
        assert_eq!(code, 0);
        assert!(out.contains("render") && out.contains("project-name"), "{shell}: {out}");
    }
}

#[test]
fn finds_the_compose_file_and_its_override_like_docker_compose() {
    let d = temp_dir("discover");
    std::fs::write(d.join("compose.yaml"), "services:\n  web:\n    image: nginx\n").unwrap();
    std::fs::write(d.join("compose.override.yaml"), "services:\n  web:\n    expose: [\"8080\"]\n").unwrap();
    let sub = d.join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    let (code, out, err) = run(&["render", "--format", "json"], &sub, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"ContainerPort\": 8080"), "the override was not merged");
}

#[test]
fn input_errors_exit_1_with_paths_and_warnings_are_marked() {
    let d = temp_dir("errors");
    std::fs::write(
        d.join("compose.yaml"),
        "services:\n  web:\n    image: nginx\n    tty: true\n    ports: [\"80:abc\"]\n",
    )
    .unwrap();
    let (code, out, err) = run(&["check"], &d, &[]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert_eq!(
        err,
        "warning: compose.yaml:4: services.web.tty: ignored: Fargate tasks have no terminal [CX1036]\n\
         compose.yaml:5: services.web.ports[0]: \"80:abc\" is not a port mapping; use \"CONTAINER\", \"HOST:CONTAINER\" or the long syntax with target [CX1049]\n"
    );
    // In a merged project, the file and line that wrote the value.
    std::fs::write(
        d.join("compose.override.yaml"),
        "services:\n  web:\n    # a comment\n    ports: !override\n      - \"80:80\"\n      - \"81:xyz\"\n",
    )
    .unwrap();
    let (code, _, err) = run(&["check"], &d, &[]);
    assert_eq!(code, 1);
    assert!(err.ends_with("compose.override.yaml:6: services.web.ports[1]: \"81:xyz\" is not a port mapping; use \"CONTAINER\", \"HOST:CONTAINER\" or the long syntax with target [CX1049]\n"), "{err}");
    std::fs::remove_file(d.join("compose.override.yaml")).unwrap();
    std::fs::write(d.join("broken.yaml"), "services: [\n").unwrap();
    let (code, _, err) = run(&["render", "-f", "broken.yaml"], &d, &[]);
    assert_eq!(code, 1);
    assert!(err.starts_with(&format!("{}: ", d.join("broken.yaml").display())), "{err}");
}

#[test]
fn interpolates_from_the_environment_then_dot_env_but_not_inside_intrinsics() {
    let d = temp_dir("interp");
    std::fs::write(d.join(".env"), "TAG=1.27\nLEVEL=debug\n").unwrap();
    std::fs::write(
        d.join("compose.yaml"),
        "services:\n  web:\n    image: nginx:${TAG}\n    environment:\n      LEVEL: ${LEVEL}\n      STACK: !Sub \"${AWS::StackName}\"\n",
    )
    .unwrap();
    let (code, out, err) = run(&["render", "--format", "json"], &d, &[("LEVEL", "info")]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"Image\": \"nginx:1.27\""));
    assert!(out.contains("\"Value\": \"info\""), "the environment must win over .env");
    assert!(out.contains("\"Fn::Sub\": \"${AWS::StackName}\""));
}

#[test]
fn output_format_follows_the_flag_then_the_file_name() {
    let d = temp_dir("format");
    std::fs::write(d.join("compose.yaml"), "services:\n  web:\n    image: nginx\n").unwrap();
    let (code, out, _) = run(&["render"], &d, &[]);
    assert_eq!(code, 0);
    assert!(out.starts_with("AWSTemplateFormatVersion:"), "YAML on stdout by default");
    let (code, out, _) = run(&["render", "-o", "t.json"], &d, &[]);
    assert_eq!((code, out.as_str()), (0, ""));
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(d.join("t.json")).unwrap()).unwrap();
    assert!(json["Resources"]["WebService"].is_object());
}

/// `-o` over an existing, longer file leaves exactly the new template.
#[test]
fn output_over_a_longer_file_leaves_only_the_new_template() {
    let d = temp_dir("overwrite");
    std::fs::write(d.join("compose.yaml"), "services:\n  web:\n    image: nginx\n").unwrap();
    let (code, stdout, _) = run(&["render", "--format", "json"], &d, &[]);
    assert_eq!(code, 0);
    std::fs::write(d.join("t.json"), "x".repeat(stdout.len() * 3)).unwrap();
    let (code, _, _) = run(&["render", "-o", "t.json"], &d, &[]);
    assert_eq!(code, 0);
    assert_eq!(std::fs::read_to_string(d.join("t.json")).unwrap(), stdout);
    // And shorter: a later, smaller template leaves no tail of the earlier one.
    std::fs::write(d.join("compose.yaml"), "services:\n  w:\n    image: a\n").unwrap();
    let (_, small, _) = run(&["render", "--format", "json"], &d, &[]);
    let (code, _, _) = run(&["render", "-o", "t.json"], &d, &[]);
    assert_eq!(code, 0);
    assert_eq!(std::fs::read_to_string(d.join("t.json")).unwrap(), small);
}

/// `-o` names any writable file, a device too: the file is created or truncated, then written.
#[test]
fn output_to_dev_null_succeeds() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/compose.yaml");
    let (code, out, err) = run(&["render", "-f", &example.to_string_lossy(), "-o", "/dev/null"], Path::new("."), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty());
}

/// `composex event` prints what CloudFormation sends; the handler's answer to it is the template
/// `composex render` prints: the CLI and the Lambda agree byte for byte.
#[test]
fn the_lambda_and_the_cli_render_the_same_template() {
    for example in ["examples/compose.yaml", "examples/pipeline/compose.yaml"] {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join(example);
        let f = example.to_string_lossy();
        let (code, event, err) = run(&["event", "-f", &f], Path::new("."), &[]);
        assert_eq!(code, 0, "{err}");
        let event: serde_json::Value = serde_json::from_str(&event).unwrap();
        assert!(event["fragment"].get("Transform").is_none(), "CloudFormation removes Transform from the fragment");
        let response = composex::transform(event);
        assert_eq!(response.status, "success", "{:?}", response.error_message);
        let (code, rendered, _) = run(&["render", "--format", "json", "-f", &f], Path::new("."), &[]);
        assert_eq!(code, 0);
        // What the Lambda runtime sends back: the response as JSON.
        let wire: serde_json::Value = serde_json::from_slice(&serde_json::to_vec(&response).unwrap()).unwrap();
        assert_eq!(serde_json::to_string_pretty(&wire["fragment"]).unwrap() + "\n", rendered, "{f}");
    }
}

/// examples/pipeline: the deploy action of pipeline.yaml passes exactly the image parameters of
/// the compose file's services with `build`, each from the build stage's variables.
#[test]
fn the_pipeline_passes_every_image_parameter() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/pipeline");
    let (code, out, err) =
        run(&["render", "--format", "json", "-f", &dir.join("compose.yaml").to_string_lossy()], Path::new("."), &[]);
    assert_eq!(code, 0, "{err}");
    let t: serde_json::Value = serde_json::from_str(&out).unwrap();
    let params = t["Parameters"].as_object().unwrap();
    let images: Vec<&String> = params.keys().filter(|k| params[*k]["AllowedPattern"].is_string()).collect();
    assert_eq!(images, ["ApiImage", "WebImage"]);
    let pipeline = std::fs::read_to_string(dir.join("pipeline.yaml")).unwrap();
    let line = pipeline.lines().find_map(|l| l.trim().strip_prefix("ParameterOverrides: '")).unwrap();
    let overrides: serde_json::Value = serde_json::from_str(line.trim_end_matches('\'')).unwrap();
    let mut passed: Vec<(&String, &str)> =
        overrides.as_object().unwrap().iter().map(|(k, v)| (k, v.as_str().unwrap())).collect();
    passed.sort();
    assert_eq!(passed.iter().map(|(k, _)| *k).collect::<Vec<_>>(), images);
    assert!(passed.iter().all(|(_, v)| v.starts_with("#{BuildVariables.")), "{passed:?}");
}

/// Past CloudFormation's quotas the render fails, naming which task families weigh most.
#[test]
fn quotas_fail_with_the_heaviest_families() {
    let d = temp_dir("quota");
    let mut text = String::from("services:\n");
    for i in 0..85 {
        text.push_str(&format!("  svc{i:02}:\n    image: nginx\n    expose: [\"80\"]\n"));
    }
    std::fs::write(d.join("compose.yaml"), text).unwrap();
    let (code, _, err) = run(&["check"], &d, &[]);
    assert_eq!(code, 1);
    let line = err.lines().find(|l| l.contains("resources, more than CloudFormation's 500")).expect(&err);
    assert!(line.starts_with("the template has 5"), "{line}");
    assert!(line.contains("x-vpc 23, svc00 6, svc01 6"), "{line}");
    assert!(line.ends_with("(+78 more); split the application into several stacks [CX6001]"), "{line}");
}

/// Past the parameter quota the render fails too, naming what makes them: ECS ComposeX stops
/// making `x-environment` parameters there, silently; here nothing is dropped.
#[test]
fn the_parameter_quota_names_what_makes_the_parameters() {
    let d = temp_dir("parameter-quota");
    let mut text = String::from("Parameters:\n");
    for i in 0..20 {
        text.push_str(&format!("  Mine{i:02}: {{Type: String}}\n"));
    }
    text.push_str("services:\n");
    for (svc, n) in [("web", 150), ("api", 40)] {
        text.push_str(&format!("  {svc}:\n    image: nginx\n    environment:\n"));
        for i in 0..n {
            text.push_str(&format!("      V{i:03}: value\n"));
        }
        text.push_str("    x-environment:\n      SetAsParameter:\n");
        for i in 0..n {
            text.push_str(&format!("        - V{i:03}\n"));
        }
    }
    std::fs::write(d.join("compose.yaml"), text).unwrap();
    let (code, _, err) = run(&["check"], &d, &[]);
    assert_eq!(code, 1);
    let line = err.lines().find(|l| l.contains("[CX6002]")).expect(&err);
    assert_eq!(
        line,
        "compose.yaml:1: Parameters: the template has 210 parameters, more than CloudFormation's 200: services.web.x-environment 150, services.api.x-environment 40, (your Parameters) 20; make fewer values template parameters, or split the application into several stacks [CX6002]"
    );
}

/// A template over the 51,200 bytes `aws cloudformation deploy --template-file` sends inline gets
/// a warning that says to deploy it through S3; a small one none.
#[test]
fn a_template_too_large_to_deploy_inline_says_so() {
    let d = temp_dir("inline-size");
    let mut compose = String::from("services:\n");
    for i in 0..8 {
        compose.push_str(&format!(
            "  svc{i}:\n    image: nginx:1.27\n    ports: [\"80{i}0\"]\n    depends_on: [svc{}]\n",
            (i + 1) % 8
        ));
    }
    std::fs::write(d.join("compose.yaml"), compose).unwrap();
    let (code, out, err) = run(&["render", "--format", "json"], &d, &[]);
    assert_eq!(code, 0, "{err}");
    let warning = format!(
        "warning: the template is {} bytes, and aws cloudformation deploy --template-file sends at most 51200 bytes inline: deploy it with --s3-bucket BUCKET (the AWS CLI uploads it there first)",
        out.len()
    );
    assert!(out.len() > 51_200 && err.contains(&warning), "{} bytes; {err}", out.len());

    std::fs::write(d.join("compose.yaml"), "services:\n  web:\n    image: nginx:1.27\n").unwrap();
    let (code, _, err) = run(&["render", "--format", "json"], &d, &[]);
    assert_eq!(code, 0);
    assert!(!err.contains("bytes inline"), "{err}");
}

/// What needs files of the machine that renders (`extends.file`, `label_file`) the CLI reads
/// (see the golden cases compose-extends-file and compose-label-file); the macro has none and
/// refuses each at its path with the way out, while `extends` within the file works in both.
#[test]
fn the_macro_refuses_what_needs_local_files() {
    use composex::macro_io::{render, Options};
    let doc = serde_json::json!({"services": {
        "base": {"image": "nginx", "environment": {"A": "1"}},
        "web": {"extends": "base", "label_file": "web.labels"},
        "api": {"image": "httpd", "extends": {"file": "common.yml", "service": "app"}}
    }});
    let rendered = render(&doc, &Options::default());
    let errors: Vec<String> =
        rendered.diagnostics.errors().iter().map(|e| format!("{}: {}", e.path, e.message)).collect();
    assert_eq!(
        errors,
        [
            "services.api.extends.file: extends from another file needs that file, which the macro cannot read; copy the service into this file and extend it by name, or render with the composex CLI, which reads it",
            "services.web.label_file: label_file needs local files, which the macro cannot read; render with the composex CLI, which inlines them, or move the labels to `labels`",
        ]
    );
}
