//! Shared by the integration tests: running the CLI in-process, finding the corpus, and the
//! security checks that judge a rendered template from the template alone.

#![allow(dead_code)]

pub mod security;

use std::path::{Path, PathBuf};

/// A fresh directory under the system's temporary one, removed when it is dropped (also when
/// the test fails).
pub struct TempDir(PathBuf);

impl TempDir {
    /// `composex-{name}-{pid}`, emptied if a previous run left it.
    pub fn new(name: &str) -> TempDir {
        let d = std::env::temp_dir().join(format!("composex-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        TempDir(d)
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A line of the CLI's stderr without the `file:line: ` it puts before the path (`warning: `
/// kept): the finding as the macro writes it.
pub fn unplaced(line: &str) -> String {
    let (warning, l) = line.strip_prefix("warning: ").map_or(("", line), |rest| ("warning: ", rest));
    let placed = l.split_once(": ").filter(|(place, _)| {
        place.rsplit_once(':').is_some_and(|(f, n)| {
            (f.ends_with(".yaml") || f.ends_with(".yml")) && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
        })
    });
    format!("{warning}{}", placed.map_or(l, |(_, rest)| rest))
}

/// The error lines of the CLI's stderr as the macro writes them (see [`unplaced`]), the case's
/// folder written `<case>`.
pub fn errors_of(stderr: &str, case: &Path) -> String {
    let dir = case.display().to_string();
    stderr
        .lines()
        .filter(|l| !l.starts_with("warning: "))
        .map(|l| format!("{}\n", unplaced(l).replace(&dir, "<case>")))
        .collect()
}

/// Runs `composex` with `args` in `cwd`, with an empty environment; (exit code, stdout, stderr).
pub fn run_cli(args: &[String], cwd: &Path) -> (i32, String, String) {
    let env = |_: &str| None;
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = composex::cli::run(args, cwd, &env, &mut out, &mut err);
    (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
}

/// `render --format json -f a -f b…`.
pub fn render_files(files: &[PathBuf]) -> (i32, String, String) {
    let mut args = vec!["render".to_string(), "--format".into(), "json".into()];
    for f in files {
        args.push("-f".into());
        args.push(f.to_string_lossy().into_owned());
    }
    let cwd = files.first().and_then(|f| f.parent()).unwrap_or(Path::new(".")).to_path_buf();
    run_cli(&args, &cwd)
}

/// The golden cases: every folder of `macro-tests/` with an `input.yaml`, sorted.
pub fn golden_cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("macro-tests");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("macro-tests/ exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("input.yaml").is_file())
        .collect();
    v.sort();
    v
}

/// A case's input files: `input.yaml`, then the overlays `input.2.yaml`, `input.3.yaml`… in order.
pub fn case_inputs(case: &Path) -> Vec<PathBuf> {
    let mut files = vec![case.join("input.yaml")];
    for i in 2.. {
        let f = case.join(format!("input.{i}.yaml"));
        if !f.is_file() {
            break;
        }
        files.push(f);
    }
    files
}

/// The corpus folder: `COMPOSEX_CORPUS` (set by .ci/run), which must then be a folder, else
/// `../shared/corpus` beside the project; `None`, with a notice that the test is skipped, when
/// neither is there.
pub fn corpus() -> Option<PathBuf> {
    match std::env::var_os("COMPOSEX_CORPUS").map(PathBuf::from) {
        Some(p) if p.is_dir() => Some(p),
        Some(p) => panic!("COMPOSEX_CORPUS={} is not a folder", p.display()),
        None => {
            let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
            if p.is_dir() {
                return Some(p);
            }
            eprintln!("COMPOSEX_CORPUS is not set and ../shared/corpus is missing: the corpus tests are skipped");
            None
        }
    }
}

/// The inputs of the corpus as the engine should see them: each plain compose file alone, and
/// each ECS ComposeX module file merged on `blog.features.yml`, as ECS ComposeX's tests do.
pub fn corpus_inputs(root: &Path) -> Vec<(String, Vec<PathBuf>)> {
    let mut out = Vec::new();
    let yaml = |p: &Path| p.extension().is_some_and(|e| e == "yaml" || e == "yml");
    for dir in ["awesome-compose", "compose-cli"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| yaml(p))
            .collect();
        files.sort();
        for f in files {
            out.push((format!("{dir}/{}", f.file_name().unwrap().to_string_lossy()), vec![f]));
        }
    }
    let ecx = root.join("ecs-composex");
    let base = ecx.join("blog.features.yml");
    let mut walk = vec![ecx.clone()];
    let mut found = Vec::new();
    while let Some(d) = walk.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk.push(p);
            } else if yaml(&p) {
                found.push(p);
            }
        }
    }
    found.sort();
    for f in found {
        let rel = f.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        if f.parent() == Some(ecx.as_path()) {
            // Top-level files alone, and (all but the base itself) merged on the base too.
            if f != base {
                out.push((format!("{rel} (on blog.features.yml)"), vec![base.clone(), f.clone()]));
            }
            out.push((rel, vec![f]));
        } else {
            out.push((format!("{rel} (on blog.features.yml)"), vec![base.clone(), f]));
        }
    }
    out
}
