//! Task families: the services that run together in one ECS task.
//!
//! A service joins the families named in `deploy.labels."ecs.task.family"` (comma-separated, as
//! ECS ComposeX reads it); without the label it is a family of its own, named after itself.
//! Everything per-task in the output (task definition, ECS service, security group, roles, log
//! group) belongs to a family.

use crate::cfn::naming::pascal;
use crate::compose::Project;
use crate::diagnostics::{join, Diagnostics};
use serde_json::Value;
use std::collections::BTreeMap;

pub const FAMILY_LABEL: &str = "ecs.task.family";

#[derive(Debug, Clone)]
pub struct Family {
    pub name: String,
    /// PascalCase of the name: the prefix of every logical ID of the family.
    pub id: String,
    /// Member services, sorted by name.
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Families {
    pub list: BTreeMap<String, Family>,
    /// Service → the families it runs in.
    pub of_service: BTreeMap<String, Vec<String>>,
    /// Family → the families whose ECS services must exist first (from `depends_on`), without
    /// cycles.
    pub depends_on: BTreeMap<String, std::collections::BTreeSet<String>>,
}

/// Whether `to` can be reached from `from` in `graph`.
fn reaches(graph: &BTreeMap<String, std::collections::BTreeSet<String>>, from: &str, to: &str) -> bool {
    let mut stack = vec![from];
    let mut seen = std::collections::BTreeSet::new();
    while let Some(n) = stack.pop() {
        if n == to {
            return true;
        }
        if seen.insert(n) {
            stack.extend(graph.get(n).into_iter().flatten().map(String::as_str));
        }
    }
    false
}

/// The strongly connected component of every node (Tarjan's algorithm, iterative).
fn components(edges: &std::collections::BTreeSet<(String, String, String)>) -> BTreeMap<String, usize> {
    let mut adj: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b, _) in edges {
        adj.entry(a.as_str()).or_default().push(b.as_str());
        adj.entry(b.as_str()).or_default();
    }
    let nodes: Vec<&str> = adj.keys().copied().collect();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut low: BTreeMap<&str, usize> = BTreeMap::new();
    let mut on_stack = std::collections::BTreeSet::new();
    let mut stack: Vec<&str> = Vec::new();
    let mut comp: BTreeMap<String, usize> = BTreeMap::new();
    let mut next = 0;
    for &root in &nodes {
        if index.contains_key(root) {
            continue;
        }
        // (node, position in its adjacency list)
        let mut work: Vec<(&str, usize)> = vec![(root, 0)];
        while let Some(&(v, i)) = work.last() {
            if i == 0 {
                index.insert(v, next);
                low.insert(v, next);
                next += 1;
                stack.push(v);
                on_stack.insert(v);
            }
            if let Some(&w) = adj[v].get(i) {
                work.last_mut().expect("non-empty").1 += 1;
                if !index.contains_key(w) {
                    work.push((w, 0));
                } else if on_stack.contains(w) {
                    let lw = index[w];
                    let lv = low[v];
                    low.insert(v, lv.min(lw));
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                let (lp, lv) = (low[parent], low[v]);
                low.insert(parent, lp.min(lv));
            }
            if low[v] == index[v] {
                let id = comp.len();
                while let Some(w) = stack.pop() {
                    on_stack.remove(w);
                    comp.insert(w.to_string(), id);
                    if w == v {
                        break;
                    }
                }
            }
        }
    }
    comp
}

impl Families {
    pub fn group(project: &Project, d: &mut Diagnostics) -> Families {
        let mut f = Families::default();
        for (name, s) in &project.services {
            // Only an error needs the path.
            let path = || join(&join(&join(&join("services", name), "deploy"), "labels"), FAMILY_LABEL);
            let names: Vec<String> = match s.deploy.labels.get(FAMILY_LABEL) {
                Some(Value::String(text)) => {
                    let mut v: Vec<String> =
                        text.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect();
                    v.sort();
                    v.dedup();
                    for fam in &v {
                        if !fam.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
                            || !fam.chars().any(|c| c.is_ascii_alphanumeric())
                        {
                            d.error(
                                path(),
                                format!("{fam:?} is not a valid task family name; use letters, digits, '-' and '_'"),
                            );
                        }
                    }
                    if v.is_empty() {
                        d.error(path(), "the task family label is empty; name the family or remove the label");
                    }
                    v
                }
                Some(_) => {
                    d.error(path(), "the task family must be known when the template is transformed; write its name");
                    vec![]
                }
                None => vec![name.clone()],
            };
            for fam in &names {
                match f.list.get_mut(fam) {
                    Some(family) => family.services.push(name.clone()),
                    None => {
                        let family = Family { name: fam.clone(), id: pascal(fam), services: vec![name.clone()] };
                        f.list.insert(fam.clone(), family);
                    }
                }
            }
            f.of_service.insert(name.clone(), names);
        }
        // Two families whose names give the same logical-ID prefix would overwrite each other.
        // The second one is reported once and left out, so that its resources do not add an error
        // for every logical ID they share with the first.
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        let mut dropped = Vec::new();
        for fam in f.list.values() {
            if let Some(other) = seen.get(&fam.id) {
                d.error(
                    join("services", &fam.services[0]),
                    format!(
                        "task families {other:?} and {:?} both become {:?} in logical IDs; rename one of them",
                        fam.name, fam.id
                    ),
                );
                dropped.push(fam.name.clone());
            } else {
                seen.insert(fam.id.clone(), fam.name.clone());
            }
        }
        for name in dropped {
            f.list.remove(&name);
            for fams in f.of_service.values_mut() {
                fams.retain(|x| *x != name);
            }
        }
        // A service name that is also the name of another family would make references ambiguous.
        for (svc, fams) in &f.of_service {
            if f.list.contains_key(svc) && !fams.contains(svc) {
                d.error(
                    join("services", svc),
                    format!("{svc:?} is both a service and the task family of other services; rename one of them"),
                );
            }
        }
        f
    }

    /// The order between families that `depends_on` asks for. A service in two families, or two
    /// families waiting for each other, can ask for a cycle, which CloudFormation refuses: the
    /// edge that would close one is left out with a warning (edges are taken in sorted order, so
    /// the choice is stable).
    pub fn order(&mut self, project: &Project, d: &mut Diagnostics) {
        let mut edges: std::collections::BTreeSet<(String, String, String)> = Default::default();
        for (name, fams) in &self.of_service {
            for dep in &project.services[name].depends_on {
                let Some(targets) = self.resolve(&dep.service) else { continue };
                for t in targets {
                    for f in fams {
                        if *f != t.name {
                            edges.insert((f.clone(), t.name.clone(), dep.path.clone()));
                        }
                    }
                }
            }
        }
        // Only edges inside a strongly connected component can close a cycle: the others are
        // kept at once (linear), and the few inside one are checked one by one.
        let scc = components(&edges);
        let mut graph: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
        for (from, to, path) in edges {
            if graph.get(&from).is_some_and(|s| s.contains(&to)) {
                continue;
            }
            if scc.get(&from) == scc.get(&to) && reaches(&graph, &to, &from) {
                d.warn(
                    path,
                    format!("task family {to:?} already waits for {from:?}; CloudFormation cannot make each wait for the other, so {from:?} does not wait for {to:?}"),
                );
                continue;
            }
            graph.entry(from).or_default().insert(to);
        }
        self.depends_on = graph;
    }

    /// The families a name stands for: a service's families, or the family of that name.
    pub fn resolve(&self, name: &str) -> Option<Vec<&Family>> {
        if let Some(fams) = self.of_service.get(name) {
            return Some(fams.iter().filter_map(|n| self.list.get(n)).collect());
        }
        self.list.get(name).map(|f| vec![f])
    }

    /// The services a name stands for (a service, or every member of a family).
    pub fn services_of(&self, name: &str) -> &[String] {
        match self.of_service.get_key_value(name) {
            Some((service, _)) => std::slice::from_ref(service),
            None => self.list.get(name).map(|f| &f.services[..]).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edges(list: &[(&str, &str)]) -> std::collections::BTreeSet<(String, String, String)> {
        list.iter().map(|(a, b)| (a.to_string(), b.to_string(), String::new())).collect()
    }

    #[test]
    fn components_find_cycles_only() {
        let c = components(&edges(&[("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "e")]));
        assert_eq!(c["a"], c["b"]);
        assert_eq!(c["b"], c["c"]);
        assert_ne!(c["c"], c["d"]);
        assert_ne!(c["d"], c["e"]);
        // A long chain has no cycle and no deep recursion.
        let chain: Vec<(String, String)> = (0..5000).map(|i| (format!("f{i}"), format!("f{}", i + 1))).collect();
        let chain: Vec<(&str, &str)> = chain.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let c = components(&edges(&chain));
        let ids: std::collections::BTreeSet<usize> = c.values().copied().collect();
        assert_eq!(ids.len(), 5001);
    }
}
