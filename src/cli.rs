//! The command line, as a library module so that tests can drive it without a process:
//! argument parsing, compose-file discovery, loading (YAML, merge, interpolation, env files),
//! and the three commands.

use crate::compose::{env_file, interpolate, merge, yaml};
use crate::diagnostics::Diagnostics;
use crate::macro_io::{render, Options};
use serde::Serialize;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const USAGE: &str = "\
usage: composex render [-f FILE]... [-p NAME] [--format json|yaml] [-o FILE]
                       [--param KEY=VALUE]... [--region R] [--account-id ID]
       composex event  [-f FILE]... [same options]   prints a macro request event
       composex check  [-f FILE]... [-p NAME]        errors and warnings only

Without -f, composex reads compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml
(and its .override file) from the current directory or the nearest parent, like docker compose.
--format defaults to json when -o names a .json file, yaml otherwise.
Exit codes: 0 ok, 1 errors in the input, 2 usage.";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Render,
    Event,
    Check,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
}

#[derive(Debug, Clone)]
pub struct Args {
    pub command: Command,
    pub files: Vec<PathBuf>,
    pub project: Option<String>,
    pub format: Option<Format>,
    pub output: Option<PathBuf>,
    pub params: Vec<(String, String)>,
    pub region: String,
    pub account_id: String,
}

/// Parses the arguments after the program name; `Err` carries the usage message.
pub fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut it = args.iter();
    let command = match it.next().map(String::as_str) {
        Some("render") => Command::Render,
        Some("event") => Command::Event,
        Some("check") => Command::Check,
        Some("-h" | "--help" | "help") => return Err(String::new()),
        Some(other) => return Err(format!("unknown command {other:?}")),
        None => return Err("a command is needed".into()),
    };
    let mut a = Args {
        command,
        files: vec![],
        project: None,
        format: None,
        output: None,
        params: vec![],
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
    };
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            match inline.clone().or_else(|| it.next().cloned()) {
                Some(v) => Ok(v),
                None => Err(format!("{name} needs a value")),
            }
        };
        match flag.as_str() {
            "-f" | "--file" => a.files.push(PathBuf::from(value("-f")?)),
            "-p" | "--project-name" => a.project = Some(value("-p")?),
            "-o" | "--output" => a.output = Some(PathBuf::from(value("-o")?)),
            "--format" => {
                a.format = Some(match value("--format")?.as_str() {
                    "json" => Format::Json,
                    "yaml" | "yml" => Format::Yaml,
                    other => return Err(format!("--format takes json or yaml, not {other:?}")),
                })
            }
            "--param" => {
                let kv = value("--param")?;
                match kv.split_once('=') {
                    Some((k, v)) => a.params.push((k.to_string(), v.to_string())),
                    None => return Err(format!("--param takes KEY=VALUE, not {kv:?}")),
                }
            }
            "--region" => a.region = value("--region")?,
            "--account-id" => a.account_id = value("--account-id")?,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok(a)
}

/// The compose files docker compose would pick in `dir` or its nearest parent that has one.
pub fn discover(dir: &Path) -> Option<Vec<PathBuf>> {
    const NAMES: [&str; 4] = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];
    let mut d = Some(dir);
    while let Some(cur) = d {
        for name in NAMES {
            let p = cur.join(name);
            if p.is_file() {
                let mut files = vec![p.clone()];
                let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
                for ext in ["yaml", "yml"] {
                    let o = cur.join(format!("{stem}.override.{ext}"));
                    if o.is_file() {
                        files.push(o);
                        break;
                    }
                }
                return Some(files);
            }
        }
        d = cur.parent();
    }
    None
}

/// Reads, parses and merges the files, then interpolates `${VAR}` from `env` (then from the
/// `.env` file beside the first file, as docker compose does) and inlines `env_file`s, relative
/// to the first file's folder. File errors are `Err` lines; compose errors go to `d`.
pub fn load(
    files: &[PathBuf],
    env: &dyn Fn(&str) -> Option<String>,
    d: &mut Diagnostics,
) -> Result<Value, Vec<String>> {
    let dir = files.first().and_then(|f| f.parent()).map(Path::to_path_buf).unwrap_or_default();
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    for f in files {
        match std::fs::read_to_string(f) {
            Ok(text) => match yaml::parse_yaml(&text) {
                Ok(Value::Null) => errors.push(format!("{}: the file is empty", f.display())),
                Ok(v) => docs.push(v),
                Err(e) => errors.push(format!("{}: {e}", f.display())),
            },
            Err(e) => errors.push(format!("{}: cannot be read: {e}", f.display())),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut doc = merge::merge_files(docs);
    let dotenv: Vec<(String, String)> = std::fs::read_to_string(dir.join(".env"))
        .ok()
        .and_then(|text| env_file::parse_env_file(&text).ok())
        .unwrap_or_default();
    let lookup = |k: &str| env(k).or_else(|| dotenv.iter().rev().find(|(n, _)| n == k).map(|(_, v)| v.clone()));
    interpolate::interpolate(&mut doc, &lookup, d);
    env_file::inline_env_files(&mut doc, &dir, d);
    Ok(doc)
}

/// Runs the CLI; returns the exit code. Output goes to `out` (or the -o file), messages to `err`.
pub fn run(
    args: &[String],
    cwd: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let mut a = match parse_args(args) {
        Ok(a) => a,
        Err(msg) => {
            if !msg.is_empty() {
                let _ = writeln!(err, "composex: {msg}");
            }
            let _ = writeln!(err, "{USAGE}");
            return if msg.is_empty() { 0 } else { 2 };
        }
    };
    if let Some(o) = a.output.take() {
        a.output = Some(if o.is_absolute() { o } else { cwd.join(o) });
    }
    let files: Vec<PathBuf> = if a.files.is_empty() {
        match discover(cwd) {
            Some(f) => f,
            None => {
                let _ = writeln!(err, "composex: no compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml here nor in a parent directory; name one with -f");
                return 2;
            }
        }
    } else {
        a.files.iter().map(|f| if f.is_absolute() { f.clone() } else { cwd.join(f) }).collect()
    };
    let mut d = Diagnostics::new();
    let doc = match load(&files, env, &mut d) {
        Ok(doc) => doc,
        Err(lines) => {
            for l in lines {
                let _ = writeln!(err, "{l}");
            }
            return 1;
        }
    };
    if a.command == Command::Event {
        let mut doc = doc;
        if let Some(m) = doc.as_object_mut() {
            m.remove("Transform");
        }
        let params: serde_json::Map<String, Value> = a.params.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        let event = json!({
            "region": a.region,
            "accountId": a.account_id,
            "fragment": doc,
            "transformId": format!("{}::ComposeX", a.account_id),
            "params": {},
            "requestId": "composex-cli-event",
            "templateParameterValues": params,
        });
        return emit(&a, &event, Format::Json, false, out, err);
    }
    let rendered = render(&doc, &Options { project_name: a.project.clone(), cli: true });
    let mut all = d;
    all.extend(rendered.diagnostics);
    for w in all.warnings() {
        let _ = writeln!(err, "warning: {w}");
    }
    for e in all.errors() {
        let _ = writeln!(err, "{e}");
    }
    let Some(template) = rendered.template.filter(|_| !all.has_errors()) else {
        return 1;
    };
    if a.command == Command::Check {
        return 0;
    }
    let default = match a.output.as_ref().and_then(|o| o.extension()).and_then(|e| e.to_str()) {
        Some("json") => Format::Json,
        _ => Format::Yaml,
    };
    emit(&a, &template, default, true, out, err)
}

/// The largest template body CloudFormation takes inline (`--template-file` without
/// `--s3-bucket`); a larger one must be uploaded to S3 first.
const INLINE_TEMPLATE: usize = 51_200;

/// Writes `doc` (an event or a template) to the -o file or to `out`.
fn emit(
    a: &Args,
    doc: &impl Serialize,
    default: Format,
    template: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let text = match a.format.clone().unwrap_or(default) {
        Format::Json => serde_json::to_vec_pretty(doc).map(|mut text| {
            text.push(b'\n');
            text
        }),
        Format::Yaml => serde_json::to_value(doc).map(|v| crate::cfn::yaml::to_string(&v).into_bytes()),
    };
    let text = match text {
        Ok(text) => text,
        Err(e) => {
            let _ = writeln!(err, "composex: cannot write the template: {e}");
            return 2;
        }
    };
    if template && text.len() > INLINE_TEMPLATE {
        let _ = writeln!(
            err,
            "warning: the template is {} bytes, and aws cloudformation deploy --template-file sends at most {INLINE_TEMPLATE} bytes inline: deploy it with --s3-bucket BUCKET (the AWS CLI uploads it there first)",
            text.len()
        );
    }
    match &a.output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &text) {
                let _ = writeln!(err, "composex: cannot write {}: {e}", path.display());
                return 2;
            }
        }
        None => {
            if out.write_all(&text).is_err() {
                return 2;
            }
        }
    }
    0
}
