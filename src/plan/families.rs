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

/// Whether `to` can be reached from `from` in `graph` (adjacency by family position).
fn reaches(graph: &[Vec<usize>], from: usize, to: usize) -> bool {
    let mut stack = vec![from];
    let mut seen = vec![false; graph.len()];
    while let Some(n) = stack.pop() {
        if n == to {
            return true;
        }
        if !std::mem::replace(&mut seen[n], true) {
            stack.extend(&graph[n]);
        }
    }
    false
}

/// The strongly connected component of each of the `n` nodes, given the edges between their
/// positions (Tarjan's algorithm, iterative). Positions, not names: indexing vectors keeps the
/// step linear in the number of services and edges.
fn components(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in edges {
        adj[a].push(b);
    }
    const UNSEEN: usize = usize::MAX;
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut comp = vec![0; n];
    let (mut next, mut comps) = (0, 0);
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        // (node, position in its adjacency list)
        let mut work: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some(&(v, i)) = work.last() {
            if i == 0 {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = adj[v].get(i) {
                work.last_mut().expect("non-empty").1 += 1;
                if index[w] == UNSEEN {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp[w] = comps;
                    if w == v {
                        break;
                    }
                }
                comps += 1;
            }
        }
    }
    comp
}

impl Families {
    /// Groups the services into families, then orders the families (see `order`).
    /// One pass over the services reads both the family label and `depends_on`: for 1000
    /// services the model no longer fits in a core's cache, and every pass over it reads each
    /// service from memory again.
    pub fn group(project: &Project, d: &mut Diagnostics) -> Families {
        let mut f = Families::default();
        // Families are gathered in a vector with an index by name, and sorted once at the end.
        let mut gathered: Vec<Family> = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        let mut depends: Vec<(&str, &[crate::compose::Dependency])> = Vec::new();
        for (name, s) in &project.services {
            if !s.depends_on.is_empty() {
                depends.push((name, &s.depends_on));
            }
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
                                "CX3001",
                                path(),
                                format!("{fam:?} is not a valid task family name; use letters, digits, '-' and '_'"),
                            );
                        }
                    }
                    if v.is_empty() {
                        d.error(
                            "CX3002",
                            path(),
                            "the task family label is empty; name the family or remove the label",
                        );
                    }
                    v
                }
                Some(_) => {
                    d.error(
                        "CX3003",
                        path(),
                        "the task family must be known when the template is transformed; write its name",
                    );
                    vec![]
                }
                None => vec![name.clone()],
            };
            for fam in &names {
                match index.get(fam.as_str()) {
                    Some(&i) => gathered[i].services.push(name.clone()),
                    None => {
                        index.insert(fam.clone(), gathered.len());
                        gathered.push(Family { name: fam.clone(), id: pascal(fam), services: vec![name.clone()] });
                    }
                }
            }
            f.of_service.insert(name.clone(), names);
        }
        gathered.sort_by(|a, b| a.name.cmp(&b.name));
        // Two families whose names give the same logical-ID prefix would overwrite each other.
        // The second one is reported once and left out, so that its resources do not add an error
        // for every logical ID they share with the first.
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        let mut dropped: Vec<String> = Vec::new();
        for fam in &gathered {
            if let Some(other) = seen.get(fam.id.as_str()) {
                d.error(
                    "CX3004",
                    join("services", &fam.services[0]),
                    format!(
                        "task families {other:?} and {:?} both become {:?} in logical IDs; rename one of them",
                        fam.name, fam.id
                    ),
                );
                dropped.push(fam.name.clone());
            } else {
                seen.insert(&fam.id, &fam.name);
            }
        }
        if !dropped.is_empty() {
            gathered.retain(|fam| !dropped.contains(&fam.name));
            for fams in f.of_service.values_mut() {
                fams.retain(|x| !dropped.contains(x));
            }
        }
        f.list = gathered.into_iter().map(|fam| (fam.name.clone(), fam)).collect();
        // A service name that is also the name of another family would make references ambiguous.
        for (svc, fams) in &f.of_service {
            if f.list.contains_key(svc) && !fams.contains(svc) {
                d.error(
                    "CX3005",
                    join("services", svc),
                    format!("{svc:?} is both a service and the task family of other services; rename one of them"),
                );
            }
        }
        f.order(&depends, d);
        f
    }

    /// The order between families that `depends_on` asks for. A service in two families, or two
    /// families waiting for each other, can ask for a cycle, which CloudFormation refuses: the
    /// edge that would close one is left out with a warning (edges are taken in sorted order, so
    /// the choice is stable).
    fn order(&mut self, depends: &[(&str, &[crate::compose::Dependency])], d: &mut Diagnostics) {
        // Families by position in name order, so that sorting edges by position sorts them by
        // name.
        let names: Vec<&String> = self.list.keys().collect();
        let index: BTreeMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
        let position = |name: &str| index.get(name).copied();
        let mut edges: std::collections::BTreeSet<(usize, usize, &str)> = Default::default();
        for &(name, deps) in depends {
            let fams = &self.of_service[name];
            for dep in deps {
                let Some(targets) = self.resolve(&dep.service) else { continue };
                for t in targets {
                    for f in fams {
                        if let (true, Some(from), Some(to)) = (*f != t.name, position(f), position(&t.name)) {
                            edges.insert((from, to, dep.path.as_str()));
                        }
                    }
                }
            }
        }
        // Only edges inside a strongly connected component can close a cycle: the others are
        // kept at once (linear), and the few inside one are checked one by one.
        let pairs: Vec<(usize, usize)> = edges.iter().map(|&(a, b, _)| (a, b)).collect();
        let scc = components(names.len(), &pairs);
        let mut graph: Vec<Vec<usize>> = vec![Vec::new(); names.len()];
        for (from, to, path) in edges {
            if graph[from].contains(&to) {
                continue;
            }
            if scc[from] == scc[to] && reaches(&graph, to, from) {
                let (from, to) = (names[from], names[to]);
                d.warn("CX3006", 
                    path,
                    format!("task family {to:?} already waits for {from:?}; CloudFormation cannot make each wait for the other, so {from:?} does not wait for {to:?}"),
                );
                continue;
            }
            graph[from].push(to);
        }
        let order = graph
            .iter()
            .enumerate()
            .filter(|(_, to)| !to.is_empty())
            .map(|(from, to)| (names[from].clone(), to.iter().map(|&t| names[t].clone()).collect()))
            .collect();
        self.depends_on = order;
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

/// Whether a member of the family listens on a port (in `ports` or `expose`), which makes the
/// family discoverable.
pub fn has_ports(project: &Project, fam: &Family) -> bool {
    fam.services.iter().any(|s| project.services[s].has_ports())
}

/// The logical ID of the family's ECS service (its scaling target names it too).
pub fn service_id(fam: &Family) -> String {
    format!("{}Service", fam.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_find_cycles_only() {
        // a=0 → b=1 → c=2 → a, c → d=3 → e=4
        let c = components(5, &[(0, 1), (1, 2), (2, 0), (2, 3), (3, 4)]);
        assert_eq!(c[0], c[1]);
        assert_eq!(c[1], c[2]);
        assert_ne!(c[2], c[3]);
        assert_ne!(c[3], c[4]);
        // A long chain has no cycle and no deep recursion.
        let chain: Vec<(usize, usize)> = (0..5000).map(|i| (i, i + 1)).collect();
        let c = components(5001, &chain);
        let ids: std::collections::BTreeSet<usize> = c.iter().copied().collect();
        assert_eq!(ids.len(), 5001);
    }
}
