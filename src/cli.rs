//! The command line, as a library module so that tests can drive it without a process:
//! argument parsing, compose-file discovery, loading (YAML, merge, interpolation, env files),
//! and the four commands.

use crate::compose::{env_file, extends, include, interpolate, lines, merge, yaml};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::diff;
use crate::macro_io::{render, Options};
use clap::{Parser, Subcommand, ValueEnum};
use serde::Serialize;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Render a docker compose file to the CloudFormation template the ComposeX macro makes of it.
#[derive(Debug, Parser)]
#[command(
    name = "composex",
    version,
    after_help = "\
Without -f, composex reads compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml
(and its .override file) from the current directory or the nearest parent, like docker compose.
Exit codes: 0 ok, 1 errors in the input, 2 usage, 3 (diff) a stateful resource replaced or
removed with its data."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Sub,
}

#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum Sub {
    /// Print the template the macro would produce, with its warnings on stderr
    #[command(after_help = "Example:\n  composex render -f compose.yaml -f compose.prod.yaml -o template.yaml")]
    Render(Args),
    /// Print the macro request event CloudFormation would send (for sam local invoke or cargo
    /// lambda invoke)
    #[command(after_help = "Example:\n  composex event -f compose.yaml --param Env=prod -o event.json")]
    Event(Args),
    /// Print the errors and warnings only; exit 1 on an error
    #[command(after_help = "Example:\n  composex check -f compose.yaml")]
    Check(Args),
    /// What deploying NEW over OLD changes: stateful replacements first, then the other
    /// replacements, changes in place, additions, removals and who may reach whom
    #[command(after_help = "\
Each side is a compose file (rendered first, like render) or a rendered template (JSON or YAML
with Resources). A change to a create-only property of the type's CloudFormation schema
replaces the resource, to a conditionally create-only one may replace it; any other updates it
in place. Exit codes: 0 no stateful resource replaced nor removed with its data, 3 one is (a
pipeline stops for approval), 1 errors in the input, 2 usage.

Example:\n  composex diff deployed.json compose.yaml")]
    Diff(DiffArgs),
    /// Print the completion script of a shell
    #[command(after_help = "Example:\n  composex completions bash > /etc/bash_completion.d/composex")]
    Completions { shell: clap_complete::Shell },
    /// Draw who may reach what (network paths and IAM grants), read from the rendered template:
    /// Mermaid, Graphviz DOT or an HTML page
    #[command(
        after_help = "Examples:\n  composex graph -f compose.yaml --format html -o graph.html\n  composex graph --template template.json --format dot | dot -Tsvg > graph.svg"
    )]
    Graph(GraphArgs),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Render,
    Event,
    Check,
    /// The format, and the rendered template to read instead of compose files.
    Graph(Option<GraphFormat>, Option<PathBuf>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Mermaid, which GitHub draws in Markdown
    Mermaid,
    /// Graphviz DOT
    #[value(alias = "gv")]
    Dot,
    /// A self-contained HTML page with the picture, a legend and every edge
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Json,
    /// JSON on one line: the smallest body to deploy inline
    JsonCompact,
    #[value(alias = "yml")]
    Yaml,
}

#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct Args {
    /// A compose file; several are merged in order
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The compose project name (the file's `name` wins)
    #[arg(short = 'p', long = "project-name", value_name = "NAME")]
    pub project: Option<String>,
    /// The output format [default: json when -o names a .json file, else yaml]
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write to FILE instead of stdout
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// A template parameter value of the event (templateParameterValues)
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = key_value)]
    pub params: Vec<(String, String)>,
    /// The region of the event
    #[arg(long, value_name = "R", default_value = "us-east-1")]
    pub region: String,
    /// The account of the event
    #[arg(long = "account-id", value_name = "ID", default_value = "123456789012")]
    pub account_id: String,
    /// Fail (exit 1, no output) on any warning, for CI
    #[arg(long)]
    pub strict: bool,
    /// Accept the warnings of this code (CX…, listed in the README): not shown, not counted
    #[arg(long, value_name = "CODE", value_delimiter = ',', value_parser = diagnostic_code)]
    pub allow: Vec<String>,
}

fn diagnostic_code(code: &str) -> Result<String, String> {
    let ok = code.len() == 6 && code.starts_with("CX") && code[2..].bytes().all(|b| b.is_ascii_digit());
    ok.then(|| code.to_string()).ok_or_else(|| format!("{code:?} is not a diagnostic code (CX and four digits)"))
}

#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct DiffArgs {
    /// What is deployed: a compose file or a rendered template
    pub old: PathBuf,
    /// What would be deployed: a compose file or a rendered template
    pub new: PathBuf,
    /// The report as text, or as JSON (composex::diff::Diff)
    #[arg(long, value_enum, default_value = "text")]
    pub format: DiffFormat,
    /// The compose project name for compose files (the file's `name` wins)
    #[arg(short = 'p', long = "project-name", value_name = "NAME")]
    pub project: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct GraphArgs {
    /// A compose file; several are merged in order
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The compose project name (the file's `name` wins)
    #[arg(short = 'p', long = "project-name", value_name = "NAME")]
    pub project: Option<String>,
    /// A template `composex render` wrote (JSON or YAML), to draw instead of compose files
    #[arg(long, value_name = "FILE", conflicts_with_all = ["files", "project", "strict"])]
    pub template: Option<PathBuf>,
    /// The output format [default: html when -o names a .html file, dot for .dot or .gv, else
    /// mermaid]
    #[arg(long, value_enum)]
    pub format: Option<GraphFormat>,
    /// Write to FILE instead of stdout
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Fail (exit 1, no output) on any warning of the render, for CI
    #[arg(long)]
    pub strict: bool,
}

fn key_value(kv: &str) -> Result<(String, String), String> {
    kv.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())).ok_or_else(|| format!("{kv:?} is not KEY=VALUE"))
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
    load_located(files, env, d).map(|(doc, _)| doc)
}

/// The line of each value in each file, for messages: (file, (path, line)…), in merge order.
pub type Located = Vec<(PathBuf, Vec<(String, usize)>)>;

/// [`load`], with where each value is written.
pub fn load_located(
    files: &[PathBuf],
    env: &dyn Fn(&str) -> Option<String>,
    d: &mut Diagnostics,
) -> Result<(Value, Located), Vec<String>> {
    let dir = files.first().and_then(|f| f.parent()).map(Path::to_path_buf).unwrap_or_default();
    let mut docs = Vec::new();
    let mut located = Vec::new();
    let mut errors = Vec::new();
    for f in files {
        match std::fs::read_to_string(f) {
            Ok(text) => match yaml::parse_yaml(&text) {
                Ok(Value::Null) => errors.push(format!("{}: the file is empty", f.display())),
                Ok(v) => {
                    docs.push(v);
                    located.push((f.clone(), lines::locate(&text)));
                }
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
    let read_other = |f: &Path| -> Result<Value, String> {
        let text = std::fs::read_to_string(f).map_err(|e| format!("cannot be read: {e}"))?;
        let mut other = yaml::parse_yaml(&text)?;
        interpolate::interpolate(&mut other, &lookup, &mut Diagnostics::new());
        Ok(other)
    };
    let inline_local = |doc: &mut Value, dir: &Path, d: &mut Diagnostics| {
        extends::inline_files(doc, dir, &read_other, d);
        env_file::inline_env_files(doc, dir, d);
        env_file::inline_label_files(doc, dir, d);
    };
    let read_included = |f: &Path, folder: &Path, d: &mut Diagnostics| -> Result<Value, String> {
        let mut other = read_other(f)?;
        inline_local(&mut other, folder, d);
        Ok(other)
    };
    include::inline(
        &mut doc,
        &dir,
        &read_included,
        &mut files.iter().map(|f| dir.join(f.file_name().unwrap_or_default())).collect(),
        d,
    );
    inline_local(&mut doc, &dir, d);
    Ok((doc, located))
}

/// `file:line: ` of the value a finding is about: the last file of the merge that writes it,
/// else the nearest enclosing value written; the file as relative to `cwd` as it can be.
fn place(located: &Located, path: &str, cwd: &Path) -> String {
    let exact = located.iter().rev().find_map(|(f, ls)| ls.iter().find(|(p, _)| p == path).map(|(_, l)| (f, *l)));
    let found = exact.or_else(|| located.iter().rev().find_map(|(f, ls)| Some((f, lines::line_of(ls, path)?))));
    match found {
        Some((f, line)) if !path.is_empty() => format!("{}:{line}: ", f.strip_prefix(cwd).unwrap_or(f).display()),
        _ => String::new(),
    }
}

/// Runs the CLI; returns the exit code. Output goes to `out` (or the -o file), messages to `err`.
pub fn run(
    args: &[String],
    cwd: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    run_on(args, cwd, env, out, err, false)
}

/// [`run`], with `colour` saying whether `err` is a terminal that takes colours (the binary
/// decides: a terminal, and `NO_COLOR` unset or empty).
pub fn run_on(
    args: &[String],
    cwd: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    out: &mut dyn Write,
    err: &mut dyn Write,
    colour: bool,
) -> i32 {
    let cli = match Cli::try_parse_from(std::iter::once("composex").chain(args.iter().map(String::as_str))) {
        Ok(cli) => cli,
        // Help and version go to stdout with exit 0; usage errors to stderr with exit 2.
        Err(e) if !e.use_stderr() => return i32::from(write!(out, "{}", e.render()).is_err()),
        Err(e) => {
            let _ = write!(err, "{}", e.render());
            return 2;
        }
    };
    let (command, mut a) = match cli.command {
        Sub::Render(a) => (Command::Render, a),
        Sub::Event(a) => (Command::Event, a),
        Sub::Check(a) => (Command::Check, a),
        Sub::Diff(d) => return run_diff(&d, cwd, env, out, err),
        Sub::Graph(g) => {
            let a = Args {
                files: g.files,
                project: g.project,
                format: None,
                output: g.output,
                params: vec![],
                region: String::new(),
                account_id: String::new(),
                strict: g.strict,
                allow: vec![],
            };
            (Command::Graph(g.format, g.template), a)
        }
        Sub::Completions { shell } => {
            clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "composex", out);
            return 0;
        }
    };
    if let Some(o) = a.output.take() {
        a.output = Some(if o.is_absolute() { o } else { cwd.join(o) });
    }
    if let Command::Graph(format, Some(t)) = &command {
        let path = cwd.join(t);
        let template = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot be read: {e}"))
            .and_then(|text| yaml::parse_yaml(&text).map_err(|e| e.to_string()))
            .and_then(
                |t| if t["Resources"].is_object() { Ok(t) } else { Err("has no Resources: not a template".into()) },
            );
        return match template {
            Ok(t) => draw(&a, *format, &t, out, err),
            Err(e) => {
                let _ = writeln!(err, "{}: {e}", path.display());
                1
            }
        };
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
    let (doc, located) = match load_located(&files, env, &mut d) {
        Ok(loaded) => loaded,
        Err(lines) => {
            for l in lines {
                let _ = writeln!(err, "{l}");
            }
            return 1;
        }
    };
    let declared = doc.get("Parameters").and_then(Value::as_object);
    let unknown: Vec<&str> =
        a.params.iter().map(|(k, _)| k.as_str()).filter(|k| !declared.is_some_and(|p| p.contains_key(*k))).collect();
    if !unknown.is_empty() {
        let known = declared.map(|p| p.keys().cloned().collect::<Vec<_>>().join(", ")).unwrap_or_default();
        let known = if known.is_empty() { "none".to_string() } else { known };
        let _ = writeln!(
            err,
            "composex: --param {}: not a parameter of the template (its Parameters: {known})",
            unknown.join(", ")
        );
        return 2;
    }
    if command == Command::Event {
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
        return emit(&a, &event, Format::Json, false, out, err).err().unwrap_or(0);
    }
    let rendered = render(&doc, &Options { project_name: a.project.clone(), cli: true });
    let mut all = d;
    all.extend(rendered.diagnostics);
    all.allow(&a.allow);
    // Yellow "warning:", and the place of an error in bold red, on a terminal only.
    let paint =
        |code: &str, text: String| if colour && !text.is_empty() { format!("\x1b[{code}m{text}\x1b[0m") } else { text };
    for w in all.warnings() {
        let _ = writeln!(err, "{} {}{w}", paint("1;33", "warning:".into()), place(&located, &w.path, cwd));
    }
    for e in all.errors() {
        let (at, rest) = match e.path.is_empty() {
            true => (String::new(), e.to_string()),
            false => (format!("{}{}:", place(&located, &e.path, cwd), e.path), format!(" {} [{}]", e.message, e.code)),
        };
        let _ = writeln!(err, "{}{rest}", paint("1;31", at));
    }
    let Some(template) = rendered.template.filter(|_| !all.has_errors()) else {
        return 1;
    };
    let warnings = all.warnings().len();
    if a.strict && warnings > 0 {
        let _ = writeln!(err, "composex: {warnings} warning(s), and --strict makes each one fail the run");
        return 1;
    }
    if command == Command::Check {
        return 0;
    }
    if let Command::Graph(format, _) = command {
        return match serde_json::to_value(&template) {
            Ok(t) => draw(&a, format, &t, out, err),
            Err(e) => {
                let _ = writeln!(err, "composex: cannot read the template back: {e}");
                2
            }
        };
    }
    let default = match a.output.as_ref().and_then(|o| o.extension()).and_then(|e| e.to_str()) {
        Some("json") => Format::Json,
        _ => Format::Yaml,
    };
    match emit(&a, &template, default, true, out, err) {
        Ok(size) => {
            let resources = template.resource_count();
            let fits = if size <= INLINE_TEMPLATE { "fits" } else { "is over" };
            let _ = writeln!(err, "composex: {resources} resources, {warnings} warning(s), {size} bytes: {fits} the {INLINE_TEMPLATE} bytes aws cloudformation deploy sends inline");
            0
        }
        Err(code) => code,
    }
}

/// `composex diff`: both sides as templates, then their differences; exit 3 when a stateful
/// resource is replaced (or may be) or removed with its data.
fn run_diff(
    d: &DiffArgs,
    cwd: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let (old, new) = match (template_of(&d.old, cwd, d, env), template_of(&d.new, cwd, d, env)) {
        (Ok(old), Ok(new)) => (old, new),
        (old, new) => {
            for l in old.err().into_iter().chain(new.err()).flatten() {
                let _ = writeln!(err, "{l}");
            }
            return 1;
        }
    };
    let diff = diff::diff(&old, &new);
    let text = match d.format {
        DiffFormat::Text => diff.text(),
        DiffFormat::Json => serde_json::to_string_pretty(&diff).map(|t| t + "\n").unwrap_or_default(),
    };
    if out.write_all(text.as_bytes()).is_err() {
        return 2;
    }
    if diff.at_risk().is_empty() {
        0
    } else {
        3
    }
}

/// One side of a diff: a rendered template as it is (`Resources` and no `services`), a compose
/// file rendered as `render` would; or its error lines, each naming the file.
fn template_of(
    given: &Path,
    cwd: &Path,
    d: &DiffArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Value, Vec<String>> {
    let (path, shown) = (cwd.join(given), given.display());
    let text = std::fs::read_to_string(&path).map_err(|e| vec![format!("{shown}: cannot be read: {e}")])?;
    let doc = yaml::parse_yaml(&text).map_err(|e| vec![format!("{shown}: {e}")])?;
    if doc.get("services").is_none() {
        return match doc.get("Resources") {
            Some(Value::Object(_)) => Ok(doc),
            _ => Err(vec![format!("{shown}: neither a compose file (services) nor a template (Resources)")]),
        };
    }
    let mut diags = Diagnostics::new();
    let (doc, located) = load_located(&[path], env, &mut diags)?;
    let rendered = render(&doc, &Options { project_name: d.project.clone(), cli: true });
    diags.extend(rendered.diagnostics);
    let at = |e: &Diagnostic| match place(&located, &e.path, cwd) {
        at if at.is_empty() => format!("{shown}: {e}"),
        at => format!("{at}{e}"),
    };
    match rendered.template.filter(|_| !diags.has_errors()) {
        Some(t) => Ok(t.to_value()),
        None => Err(diags.errors().iter().map(at).collect()),
    }
}

/// The largest template body CloudFormation takes inline (`--template-file` without
/// `--s3-bucket`); a larger one must be uploaded to S3 first.
const INLINE_TEMPLATE: usize = 51_200;

/// Writes `doc` (an event or a template) to the -o file or to `out`: its size, or the exit code.
fn emit(
    a: &Args,
    doc: &impl Serialize,
    default: Format,
    template: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<usize, i32> {
    let text = match a.format.unwrap_or(default) {
        Format::Json => serde_json::to_vec_pretty(doc).map(|mut text| {
            text.push(b'\n');
            text
        }),
        Format::JsonCompact => serde_json::to_vec(doc).map(|mut text| {
            text.push(b'\n');
            text
        }),
        Format::Yaml => serde_json::to_value(doc).map(|v| crate::cfn::yaml::to_string(&v).into_bytes()),
    };
    let text = match text {
        Ok(text) => text,
        Err(e) => {
            let _ = writeln!(err, "composex: cannot write the template: {e}");
            return Err(2);
        }
    };
    if template && text.len() > INLINE_TEMPLATE {
        let _ = writeln!(
            err,
            "warning: the template is {} bytes, and aws cloudformation deploy --template-file sends at most {INLINE_TEMPLATE} bytes inline: deploy it with --s3-bucket BUCKET (the AWS CLI uploads it there first)",
            text.len()
        );
    }
    write_out(a, &text, out, err)?;
    Ok(text.len())
}

/// Writes `text` to the -o file or to `out`; the exit code when it cannot.
fn write_out(a: &Args, text: &[u8], out: &mut dyn Write, err: &mut dyn Write) -> Result<(), i32> {
    match &a.output {
        Some(path) => std::fs::write(path, text).map_err(|e| {
            let _ = writeln!(err, "composex: cannot write {}: {e}", path.display());
            2
        }),
        None => out.write_all(text).map_err(|_| 2),
    }
}

/// Writes the graph of a rendered template in `format`, else as the -o file's extension says.
fn draw(a: &Args, format: Option<GraphFormat>, template: &Value, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let extension = a.output.as_ref().and_then(|o| o.extension()).and_then(|e| e.to_str());
    let format = format.unwrap_or(match extension {
        Some("html" | "htm") => GraphFormat::Html,
        Some("dot" | "gv") => GraphFormat::Dot,
        _ => GraphFormat::Mermaid,
    });
    let g = crate::graph::derive(template);
    let text = match format {
        GraphFormat::Mermaid => crate::graph::to_mermaid(&g),
        GraphFormat::Dot => crate::graph::to_dot(&g),
        GraphFormat::Html => crate::graph::to_html(&g),
    };
    write_out(a, text.as_bytes(), out, err).err().unwrap_or(0)
}
