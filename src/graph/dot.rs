//! Graphviz DOT (`dot -Tsvg`), laid out left to right.

use super::{edge_style, style, EdgeKind, Graph, NodeKind};
use std::fmt::Write;

/// A quoted DOT string.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n"))
}

pub fn to_dot(g: &Graph) -> String {
    let mut out = String::from("digraph access {\n  rankdir=LR;\n  node [style=filled, fontname=\"sans-serif\", fontsize=11];\n  edge [fontname=\"sans-serif\", fontsize=9];\n");
    for n in &g.nodes {
        let (_, fill, stroke, _) = style(n.kind);
        let shape = match n.kind {
            NodeKind::Internet => "ellipse",
            NodeKind::Source => "cds",
            NodeKind::LoadBalancer => "hexagon",
            NodeKind::Family => "box",
            NodeKind::Resource => "cylinder",
            NodeKind::Outside => "parallelogram",
        };
        let label = if n.detail.is_empty() { n.label.clone() } else { format!("{}\n{}", n.label, n.detail) };
        let _ = writeln!(
            out,
            "  {} [label={}, shape={shape}, fillcolor=\"{fill}\", color=\"{stroke}\"];",
            quoted(&n.id),
            quoted(&label)
        );
    }
    for e in &g.edges {
        let style = if e.kind == EdgeKind::Iam { "dashed" } else { "solid" };
        let _ = writeln!(
            out,
            "  {} -> {} [label={}, tooltip={}, style={style}, color=\"{}\"];",
            quoted(&e.from),
            quoted(&e.to),
            quoted(&e.label()),
            quoted(&e.what.join("\n")),
            edge_style(e.kind).0
        );
    }
    out.push_str("}\n");
    out
}
