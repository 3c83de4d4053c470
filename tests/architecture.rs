//! The shape of the code, as the README's "Architecture" section draws it: imports flow one way,
//! from the entry points down to the template primitives; no module imports a module that
//! imports it; no `unsafe`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Layers, top first: a module may import its own layer's modules (without a cycle) and the
/// layers below it, never one above.
const LAYERS: &[&[&str]] = &[
    &["main", "bin"],
    &["macro_io", "cli"],
    &["render"],
    &["kinds"],
    &["emit"],
    &["plan"],
    &["ext"],
    &["compose"],
    &["cfn", "diagnostics", "diff", "graph"],
];

/// Every source file as its module path (`emit::elb::auto`), with its text before its tests.
fn modules() -> BTreeMap<String, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(&src).unwrap().with_extension("");
            let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            if parts == ["lib"] {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            let code: Vec<&str> = code.lines().filter(|l| !l.trim_start().starts_with("//")).collect();
            out.insert(parts.join("::"), code.join("\n"));
        }
    }
    out
}

/// The deepest module `path` (`crate::emit::elb::Lb`, `super::health`) names, seen from `from`.
fn resolve(modules: &BTreeMap<String, String>, from: &str, path: &[&str]) -> Option<String> {
    let mut base: Vec<&str> = from.split("::").collect();
    let mut segs = path;
    match segs.first() {
        Some(&"crate") => {
            base.clear();
            segs = &segs[1..];
        }
        Some(&"super") => {
            while segs.first() == Some(&"super") {
                base.pop();
                segs = &segs[1..];
            }
        }
        Some(&"self") => segs = &segs[1..],
        _ => {
            // A child module named without a prefix (`steps::parse` in emit).
            let child = format!("{from}::{}", segs.first()?);
            if !modules.contains_key(&child) {
                return None;
            }
        }
    }
    let mut best = None;
    for i in 0..=segs.len() {
        let m: Vec<&str> = base.iter().chain(&segs[..i]).copied().collect();
        let m = m.join("::");
        if modules.contains_key(&m) {
            best = Some(m);
        }
    }
    best
}

/// The paths a piece of code names: `crate::a::b`, `super::c`, and each item of a group
/// `crate::a::{b, c::d}` (groups may nest and span lines).
fn paths(code: &str) -> Vec<Vec<String>> {
    let bytes = code.as_bytes();
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        // A path starts at an identifier not preceded by `::` or another identifier character.
        let starts = is_ident(bytes[i]) && (i == 0 || (!is_ident(bytes[i - 1]) && !code[..i].ends_with("::")));
        if !starts {
            i += 1;
            continue;
        }
        let (end, found) = path_at(code, i, Vec::new());
        out.extend(found.into_iter().filter(|p| p.len() > 1));
        i = end.max(i + 1);
    }
    out
}

/// The path(s) beginning at byte `i`, prefixed by `prefix`; and where they end.
fn path_at(code: &str, mut i: usize, prefix: Vec<String>) -> (usize, Vec<Vec<String>>) {
    let bytes = code.as_bytes();
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut segs = prefix;
    loop {
        let start = i;
        while i < bytes.len() && is_ident(bytes[i]) {
            i += 1;
        }
        if i > start {
            segs.push(code[start..i].to_string());
        }
        if !code[i..].starts_with("::") {
            return (i, vec![segs]);
        }
        i += 2;
        if code[i..].starts_with('{') {
            // A group: each comma-separated item continues the path.
            let mut all = vec![segs.clone()];
            i += 1;
            loop {
                while i < bytes.len() && (bytes[i] as char).is_whitespace() {
                    i += 1;
                }
                if i >= bytes.len() || bytes[i] == b'}' {
                    return (i + 1, all);
                }
                let (end, found) = path_at(code, i, segs.clone());
                all.extend(found);
                i = end;
                // Skip `as name`, then the comma.
                while i < bytes.len() && bytes[i] != b',' && bytes[i] != b'}' {
                    i += 1;
                }
                if i < bytes.len() && bytes[i] == b',' {
                    i += 1;
                }
            }
        }
    }
}

/// Module → the modules it imports (not its own descendants nor ancestors).
fn imports(modules: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut edges = BTreeMap::new();
    for (m, code) in modules {
        let mut to = BTreeSet::new();
        for p in paths(code) {
            let p: Vec<&str> = p.iter().map(String::as_str).collect();
            if let Some(t) = resolve(modules, m, &p) {
                let related = t == *m || m.starts_with(&format!("{t}::")) || t.starts_with(&format!("{m}::"));
                if !related {
                    to.insert(t);
                }
            }
        }
        edges.insert(m.clone(), to);
    }
    edges
}

fn layer(module: &str) -> usize {
    let top = module.split("::").next().unwrap_or_default();
    LAYERS.iter().position(|l| l.contains(&top)).unwrap_or_else(|| panic!("{module}: in no layer of LAYERS"))
}

#[test]
fn imports_flow_down_the_layers() {
    let modules = modules();
    let edges = imports(&modules);
    // The scan finds what it should: a known import in each direction it checks.
    assert!(edges["render"].contains("kinds"), "{:?}", edges["render"]);
    assert!(edges["kinds::sqs"].contains("plan"), "{:?}", edges["kinds::sqs"]);
    let mut wrong = Vec::new();
    for (from, tos) in &edges {
        for to in tos {
            if layer(to) < layer(from) {
                wrong.push(format!("{from} imports {to}, a layer above it"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Every cycle through the import graph, each as the path that closes it.
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut cycles = Vec::new();
    for start in edges.keys() {
        // Depth-first from each module: a path back to it is a cycle.
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((m, path)) = stack.pop() {
            for next in edges.get(&m).into_iter().flatten() {
                if next == start {
                    cycles.push(format!("{} -> {start}", path.join(" -> ")));
                } else if seen.insert(next.clone()) {
                    let mut p = path.clone();
                    p.push(next.clone());
                    stack.push((next.clone(), p));
                }
            }
        }
    }
    cycles
}

#[test]
fn no_module_imports_a_module_that_imports_it() {
    let cycles = cycles(&imports(&modules()));
    assert!(cycles.is_empty(), "{}", cycles.join("\n"));
}

#[test]
fn the_scan_sees_imports_and_cycles() {
    let code = "use crate::emit::{network::{cidr_id, description}, Ctx};\nlet x = super::steps::parse(v);\n";
    let found: Vec<String> = paths(code).into_iter().map(|p| p.join("::")).collect();
    for want in [
        "crate::emit",
        "crate::emit::network::cidr_id",
        "crate::emit::network::description",
        "crate::emit::Ctx",
        "super::steps::parse",
    ] {
        assert!(found.contains(&want.to_string()), "{want} not in {found:?}");
    }
    let edge = |a: &str, b: &str| (a.to_string(), BTreeSet::from([b.to_string()]));
    let graph = BTreeMap::from([edge("a", "b"), edge("b", "c"), edge("c", "a")]);
    assert_eq!(cycles(&graph).len(), 3);
}

#[test]
fn no_unsafe_code() {
    let mut found = Vec::new();
    for (m, code) in modules() {
        for l in code.lines().filter(|l| l.contains("unsafe ") || l.contains("unsafe{")) {
            found.push(format!("{m}: {}", l.trim()));
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}
