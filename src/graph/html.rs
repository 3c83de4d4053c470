//! A self-contained HTML page: the graph as an inline SVG, a legend, and every edge in a table;
//! no script, stylesheet or font from elsewhere. The layout is in columns, left to right: the
//! internet and other sources, the load balancers, the task families (one column further for each
//! family that reaches them), then the resources. Within a column, nodes sit near the average
//! height of what reaches them from the left.

use super::{edge_style, style, Edge, EdgeKind, Graph, NodeKind};
use std::collections::BTreeMap;
use std::fmt::Write;

const WIDTH: f64 = 190.0;
const ROW: f64 = 96.0;
const HEIGHT: f64 = 46.0;
const MARGIN: f64 = 40.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// At most `n` characters, with `…` when cut.
fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

/// At most `n` characters, the last ones (an ARN's end says the most).
fn cut_start(s: &str, n: usize) -> String {
    let count = s.chars().count();
    if count <= n {
        s.to_string()
    } else {
        format!("…{}", s.chars().skip(count + 1 - n).collect::<String>())
    }
}

/// Each node's column, numbered without gaps.
fn columns(g: &Graph) -> BTreeMap<&str, usize> {
    let family = |id: &str| g.node(id).is_some_and(|n| n.kind == NodeKind::Family);
    // How many families, one behind the other, reach a family (cycles stop growing after n rounds).
    let mut depth: BTreeMap<&str, usize> = BTreeMap::new();
    for _ in 0..g.nodes.len() {
        for e in g.edges.iter().filter(|e| e.kind == EdgeKind::Network && e.from != e.to) {
            if family(&e.from) && family(&e.to) {
                let d = depth.get(e.from.as_str()).map_or(1, |d| d + 1);
                if depth.get(e.to.as_str()).is_none_or(|old| *old < d) {
                    depth.insert(&e.to, d);
                }
            }
        }
    }
    let deepest = depth.values().copied().max().unwrap_or(0);
    let raw: Vec<(&str, usize)> = g
        .nodes
        .iter()
        .map(|n| {
            let col = match n.kind {
                NodeKind::Internet | NodeKind::Source => 0,
                NodeKind::LoadBalancer => 1,
                NodeKind::Family => 2 + depth.get(n.id.as_str()).copied().unwrap_or(0),
                NodeKind::Resource | NodeKind::Outside => 3 + deepest,
            };
            (n.id.as_str(), col)
        })
        .collect();
    let mut used: Vec<usize> = raw.iter().map(|(_, c)| *c).collect();
    used.sort();
    used.dedup();
    raw.into_iter().map(|(id, c)| (id, used.iter().position(|u| *u == c).unwrap_or(0))).collect()
}

/// An edge's label in two lines, ports or actions then why, and its width.
fn label_lines(e: &Edge) -> (String, String, f64) {
    let label = e.label();
    let (what, why) = label.split_once(" · ").unwrap_or((&label, ""));
    let (what, why) = (cut(what, 36), cut(why, 36));
    let width = what.chars().count().max(why.chars().count()) as f64 * 5.6 + 8.0;
    (what, why, width)
}

/// The top-left corner of each node; columns leave room for the widest edge label.
fn layout(g: &Graph) -> BTreeMap<&str, (f64, f64)> {
    let widest = g.edges.iter().map(|e| label_lines(e).2).fold(0.0, f64::max);
    let pitch = WIDTH + (widest + 50.0).clamp(110.0, 240.0);
    let cols = columns(g);
    let count = cols.values().max().map_or(0, |m| m + 1);
    let tallest = (0..count).map(|c| cols.values().filter(|v| **v == c).count()).max().unwrap_or(0);
    let mut at: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    for c in 0..count {
        // Nodes come sorted by kind and label; each column then by where its left neighbours sit.
        let mut column: Vec<(&str, f64)> = g
            .nodes
            .iter()
            .filter(|n| cols[n.id.as_str()] == c)
            .map(|n| {
                let ys: Vec<f64> = g
                    .edges
                    .iter()
                    .filter_map(|e| if e.to == n.id { at.get(e.from.as_str()) } else { None })
                    .map(|p| p.1)
                    .collect();
                (n.id.as_str(), if ys.is_empty() { f64::MAX } else { ys.iter().sum::<f64>() / ys.len() as f64 })
            })
            .collect();
        column.sort_by(|a, b| a.1.total_cmp(&b.1));
        let top = MARGIN + (tallest - column.len()) as f64 * ROW / 2.0;
        for (row, (id, _)) in column.into_iter().enumerate() {
            at.insert(id, (MARGIN + c as f64 * pitch, top + row as f64 * ROW));
        }
    }
    at
}

/// The SVG of the graph.
fn svg(g: &Graph) -> String {
    let at = layout(g);
    let width = at.values().map(|p| p.0).fold(0.0, f64::max) + WIDTH + 2.0 * MARGIN + 60.0;
    let height = at.values().map(|p| p.1).fold(0.0, f64::max) + HEIGHT + 2.0 * MARGIN;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\">\n<defs>\n"
    );
    for kind in [EdgeKind::Network, EdgeKind::Iam] {
        let _ = writeln!(
            out,
            "<marker id=\"arrow-{kind:?}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"{}\"/></marker>",
            edge_style(kind).0
        );
    }
    out.push_str("</defs>\n");
    // Edges first, so that nodes cover their ends; parallel edges are pulled apart.
    let mut seen: BTreeMap<(&str, &str), f64> = BTreeMap::new();
    for e in &g.edges {
        let (Some(&(x1, y1)), Some(&(x2, y2))) = (at.get(e.from.as_str()), at.get(e.to.as_str())) else { continue };
        let shift = seen.entry((&e.from, &e.to)).or_insert(-18.0);
        *shift += 18.0;
        let (y1, y2, s) = (y1 + HEIGHT / 2.0, y2 + HEIGHT / 2.0, *shift);
        // Forward: right side to left side. Same column (or itself): out and back on the right.
        // Backward: left side to the other's right side.
        let (p0, c1, c2, p3) = if x2 > x1 {
            let mid = (x1 + WIDTH + x2) / 2.0;
            ((x1 + WIDTH, y1), (mid, y1 + s), (mid, y2 + s), (x2, y2))
        } else if x2 == x1 {
            let bulge = if e.from == e.to { 60.0 } else { 90.0 } + s;
            let (y1, y2) = if e.from == e.to { (y1 - 10.0, y2 + 10.0) } else { (y1, y2) };
            ((x1 + WIDTH, y1), (x1 + WIDTH + bulge, y1 - 20.0), (x2 + WIDTH + bulge, y2 + 20.0), (x2 + WIDTH, y2))
        } else {
            ((x1, y1), (x1 - 90.0, y1 + s), (x2 + WIDTH + 90.0, y2 + s), (x2 + WIDTH, y2))
        };
        let (color, _) = edge_style(e.kind);
        let dash = if e.kind == EdgeKind::Iam { " stroke-dasharray=\"6 4\"" } else { "" };
        let title = esc(&format!("{} → {}: {} ({})", e.from, e.to, e.what.join(", "), e.why));
        let _ = writeln!(
            out,
            "<g class=\"edge\"><title>{title}</title><path d=\"M{:.0},{:.0} C{:.0},{:.0} {:.0},{:.0} {:.0},{:.0}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\"{dash} marker-end=\"url(#arrow-{:?})\"/>",
            p0.0, p0.1, c1.0, c1.1, c2.0, c2.1, p3.0, p3.1, e.kind
        );
        // The label at the curve's middle, on a white ground: ports or actions, then why.
        let (mx, my) = ((p0.0 + 3.0 * c1.0 + 3.0 * c2.0 + p3.0) / 8.0, (p0.1 + 3.0 * c1.1 + 3.0 * c2.1 + p3.1) / 8.0);
        let (what, why, w) = label_lines(e);
        let _ = writeln!(
            out,
            "<rect x=\"{:.0}\" y=\"{:.0}\" width=\"{w:.0}\" height=\"26\" fill=\"white\" fill-opacity=\"0.85\"/><text x=\"{mx:.0}\" y=\"{:.0}\" font-size=\"10\" text-anchor=\"middle\" fill=\"{color}\">{}<tspan x=\"{mx:.0}\" dy=\"12\">{}</tspan></text></g>",
            mx - w / 2.0,
            my - 13.0,
            my - 3.0,
            esc(&what),
            esc(&why)
        );
    }
    for n in &g.nodes {
        let Some(&(x, y)) = at.get(n.id.as_str()) else { continue };
        let (class, fill, stroke, _) = style(n.kind);
        let round = match n.kind {
            NodeKind::Internet => HEIGHT / 2.0,
            NodeKind::Resource => 14.0,
            NodeKind::LoadBalancer => 8.0,
            _ => 3.0,
        };
        let title = esc(&format!("{} ({})", n.id, if n.detail.is_empty() { class } else { &n.detail }));
        let _ = write!(
            out,
            "<g class=\"node {class}\" id=\"node-{}\"><title>{title}</title><rect x=\"{x}\" y=\"{y}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" rx=\"{round}\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1.5\"/>",
            esc(&n.id)
        );
        let (ly, cx) = (if n.detail.is_empty() { y + 27.0 } else { y + 20.0 }, x + WIDTH / 2.0);
        let _ = write!(out, "<text x=\"{cx}\" y=\"{ly}\" font-size=\"13\" font-weight=\"bold\" text-anchor=\"middle\" fill=\"#111827\">{}</text>", esc(&if n.kind == NodeKind::Outside { cut_start(&n.label, 24) } else { cut(&n.label, 24) }));
        if !n.detail.is_empty() {
            let _ = write!(
                out,
                "<text x=\"{cx}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#4b5563\">{}</text>",
                y + 36.0,
                esc(&cut(&n.detail, 34))
            );
        }
        out.push_str("</g>\n");
    }
    out.push_str("</svg>");
    out
}

/// The page: a title, the legend, the picture, then every edge with all its ports or actions.
pub fn to_html(g: &Graph) -> String {
    let count = |k: NodeKind| g.nodes.iter().filter(|n| n.kind == k).count();
    let edges = |k: EdgeKind| g.edges.iter().filter(|e| e.kind == k).count();
    let mut legend = String::new();
    for kind in NodeKind::ALL {
        let (_, fill, stroke, text) = style(kind);
        let _ = write!(legend, "<li><svg width=\"26\" height=\"14\"><rect x=\"1\" y=\"1\" width=\"24\" height=\"12\" rx=\"3\" fill=\"{fill}\" stroke=\"{stroke}\"/></svg> {}</li>", esc(text));
    }
    for kind in [EdgeKind::Network, EdgeKind::Iam] {
        let (color, text) = edge_style(kind);
        let dash = if kind == EdgeKind::Iam { " stroke-dasharray=\"6 4\"" } else { "" };
        let _ = write!(legend, "<li><svg width=\"26\" height=\"14\"><line x1=\"0\" y1=\"7\" x2=\"26\" y2=\"7\" stroke=\"{color}\" stroke-width=\"2\"{dash}/></svg> {}</li>", esc(text));
    }
    let name = |id: &str| g.node(id).map_or(id.to_string(), |n| n.label.clone());
    let mut rows = String::new();
    for e in &g.edges {
        let kind = if e.kind == EdgeKind::Network { "network" } else { "IAM" };
        let _ = writeln!(
            rows,
            "<tr><td>{}</td><td>{}</td><td>{kind}</td><td>{}</td><td>{}</td></tr>",
            esc(&name(&e.from)),
            esc(&name(&e.to)),
            esc(&e.what.join(", ")),
            esc(&e.why)
        );
    }
    format!(
        "<!DOCTYPE html>
<html lang=\"en\">
<head>
<meta charset=\"utf-8\">
<title>ComposeX: who may reach what</title>
<style>
body {{ font-family: sans-serif; margin: 24px; color: #111827; }}
ul.legend {{ list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 6px 22px; font-size: 13px; }}
ul.legend svg {{ vertical-align: middle; }}
table {{ border-collapse: collapse; font-size: 13px; margin-top: 8px; }}
th, td {{ border: 1px solid #d1d5db; padding: 3px 8px; text-align: left; vertical-align: top; }}
</style>
</head>
<body>
<h1>Who may reach what</h1>
<p>Read from the rendered template. Task families: {}, load balancers: {}, resources: {}; network paths: {}, IAM grants: {}.</p>
<ul class=\"legend\">{legend}</ul>
{}
<h2>Every edge</h2>
<table>
<tr><th>from</th><th>to</th><th>kind</th><th>ports or actions</th><th>why</th></tr>
{rows}</table>
</body>
</html>
",
        count(NodeKind::Family),
        count(NodeKind::LoadBalancer),
        count(NodeKind::Resource),
        edges(EdgeKind::Network),
        edges(EdgeKind::Iam),
        svg(g)
    )
}
