//! Mermaid (`flowchart LR`), which GitHub draws in a pull request or a README as it is.

use super::{edge_style, style, EdgeKind, Graph, NodeKind};
use std::fmt::Write;

/// Text inside a quoted Mermaid label, with its quotes and angle brackets as entity codes.
fn text(s: &str) -> String {
    s.replace('"', "#34;").replace('<', "#60;").replace('>', "#62;")
}

pub fn to_mermaid(g: &Graph) -> String {
    let mut out = String::from("flowchart LR\n");
    for n in &g.nodes {
        let label = if n.detail.is_empty() {
            text(&n.label)
        } else {
            format!("{}<br/><small>{}</small>", text(&n.label), text(&n.detail))
        };
        let (open, close) = match n.kind {
            NodeKind::Internet => ("((", "))"),
            NodeKind::Source => (">", "]"),
            NodeKind::LoadBalancer => ("{{", "}}"),
            NodeKind::Family => ("[", "]"),
            NodeKind::Resource => ("[(", ")]"),
            NodeKind::Outside => ("[/", "/]"),
        };
        let _ = writeln!(out, "  {}{open}\"{label}\"{close}", n.id);
    }
    for e in &g.edges {
        let (start, end) = if e.kind == EdgeKind::Network { ("--", "-->") } else { ("-.", ".->") };
        let _ = writeln!(out, "  {} {start} \"{}\" {end} {}", e.from, text(&e.label()), e.to);
    }
    for kind in NodeKind::ALL {
        let ids: Vec<&str> = g.nodes.iter().filter(|n| n.kind == kind).map(|n| n.id.as_str()).collect();
        if !ids.is_empty() {
            let (class, fill, stroke, _) = style(kind);
            let _ = writeln!(out, "  classDef {class} fill:{fill},stroke:{stroke},color:#111827");
            let _ = writeln!(out, "  class {} {class}", ids.join(","));
        }
    }
    for kind in [EdgeKind::Network, EdgeKind::Iam] {
        let at: Vec<String> =
            g.edges.iter().enumerate().filter(|(_, e)| e.kind == kind).map(|(i, _)| i.to_string()).collect();
        if !at.is_empty() {
            let _ = writeln!(out, "  linkStyle {} stroke:{}", at.join(","), edge_style(kind).0);
        }
    }
    out
}
