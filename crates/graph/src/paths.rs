//! Retainer paths: why is an object alive?
//!
//! Paths follow the edges DevTools' Retainers view shows (not `weak`, not `invisible`, not from
//! the root itself) from the object back to a node the root holds directly: a user root such as
//! the global object, or a GC root category. Paths through user roots come first (DevTools'
//! distances put system roots 100 000 000 away), then shorter paths. There is no depth limit:
//! Node's timer lists are linked lists with chains of hundreds of links.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use heapsnap_format::{EdgeIdx, EdgeKind, NodeIdx, NodeKind};

use crate::analysis::BASE_SYSTEM_DISTANCE;
use crate::graph::HeapGraph;

/// One retaining path, from the root side to the object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetainerPath {
    /// Nodes, starting at a node the root holds and ending at the object.
    pub nodes: Vec<NodeIdx>,
    /// `edges[i]` goes from `nodes[i]` to `nodes[i + 1]`.
    pub edges: Vec<EdgeIdx>,
    /// Whether the path starts at a user root (the global object) rather than a GC root.
    pub from_user_root: bool,
}

/// Options for [`retainer_paths`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PathOptions {
    /// How many paths to return at most.
    pub max_paths: usize,
    /// Upper bound on partial paths explored, so that a pathological graph cannot hang us.
    pub max_expansions: usize,
}

impl Default for PathOptions {
    fn default() -> Self {
        PathOptions { max_paths: 3, max_expansions: 2_000_000 }
    }
}

/// Whether the Retainers view shows this retaining edge of a node.
#[inline]
fn retains(g: &HeapGraph<'_>, e: EdgeIdx, from: NodeIdx, root: NodeIdx) -> bool {
    from != root && !matches!(g.edge_kind(e), EdgeKind::Weak)
}

/// Distance of every node from the root's children over retaining edges: user roots at 1,
/// other root children at `BASE_SYSTEM_DISTANCE + 1`. `u32::MAX` when not retained at all.
pub fn root_distances(g: &HeapGraph<'_>) -> Vec<u32> {
    ShortestPathTree::new(g).dist
}

/// A breadth-first tree of shortest retaining paths from the root's children (user roots
/// first): one shortest path for every retained node, in `O(nodes + edges)`.
#[derive(Debug)]
pub struct ShortestPathTree {
    /// As [`root_distances`].
    pub dist: Vec<u32>,
    /// The edge through which each node was first reached (`u32::MAX` for path starts and
    /// unretained nodes), and its source node.
    pub parent: Vec<(u32, u32)>,
}

impl ShortestPathTree {
    /// Runs the two-phase BFS.
    pub fn new(g: &HeapGraph<'_>) -> ShortestPathTree {
        let root = g.root();
        let n = g.node_count();
        let mut dist = vec![u32::MAX; n];
        let mut parent = vec![(u32::MAX, u32::MAX); n];
        let mut queue: Vec<u32> = Vec::new();
        let children: Vec<NodeIdx> = g.edges(root).map(|(_, t)| t).filter(|&t| t != root).collect();
        let is_user_root = |t: NodeIdx| {
            g.node_kind(t) != NodeKind::Synthetic || g.snap.node(t).name() == "(Document DOM trees)"
        };
        let bfs = |queue: &mut Vec<u32>, dist: &mut [u32], parent: &mut [(u32, u32)]| {
            let mut head = 0;
            while head < queue.len() {
                let v = NodeIdx(queue[head]);
                head += 1;
                let d = dist[v.index()] + 1;
                for (e, t) in g.edges(v) {
                    if t == root || dist[t.index()] != u32::MAX || !retains(g, e, v, root) {
                        continue;
                    }
                    dist[t.index()] = d;
                    parent[t.index()] = (e.0, v.0);
                    queue.push(t.0);
                }
            }
        };
        for &t in children.iter().filter(|&&t| is_user_root(t)) {
            if dist[t.index()] == u32::MAX {
                dist[t.index()] = 1;
                queue.push(t.0);
            }
        }
        bfs(&mut queue, &mut dist, &mut parent);
        queue.clear();
        for &t in &children {
            if dist[t.index()] == u32::MAX {
                dist[t.index()] = BASE_SYSTEM_DISTANCE as u32 + 1;
                queue.push(t.0);
            }
        }
        bfs(&mut queue, &mut dist, &mut parent);
        ShortestPathTree { dist, parent }
    }

    /// One shortest retaining path of `target`, or `None` if nothing retains it.
    pub fn path_to(&self, target: NodeIdx) -> Option<RetainerPath> {
        if self.dist[target.index()] == u32::MAX {
            return None;
        }
        let mut nodes = vec![target];
        let mut edges = Vec::new();
        let mut v = target.0;
        while self.parent[v as usize].0 != u32::MAX {
            let (e, from) = self.parent[v as usize];
            edges.push(EdgeIdx(e));
            nodes.push(NodeIdx(from));
            v = from;
        }
        nodes.reverse();
        edges.reverse();
        Some(RetainerPath { from_user_root: self.dist[v as usize] == 1, nodes, edges })
    }
}

/// The shortest retaining paths of `target`, best first (see the module docs for the order).
///
/// `dist` is [`root_distances`] (compute it once for many queries). The search is A* over
/// partial paths from the target back towards the root, with the exact distance as heuristic,
/// so paths come out in order of total cost and every path is simple (no node twice).
///
/// # Complexity
/// Linear in the size of the explored region for the first path; bounded by
/// `max_expansions` overall.
pub fn retainer_paths(
    g: &HeapGraph<'_>,
    dist: &[u32],
    target: NodeIdx,
    opts: &PathOptions,
) -> Vec<RetainerPath> {
    let root = g.root();
    let mut out = Vec::new();
    if dist[target.index()] == u32::MAX || target == root {
        return out;
    }
    // Partial paths as a parent-pointer forest: (node, edge to the next node towards the
    // target, parent entry).
    struct Partial {
        node: u32,
        edge: u32,
        parent: u32,
        len: u32,
    }
    const NONE: u32 = u32::MAX;
    let mut arena: Vec<Partial> =
        vec![Partial { node: target.0, edge: NONE, parent: NONE, len: 0 }];
    let mut heap: BinaryHeap<Reverse<(u64, u32)>> = BinaryHeap::new();
    heap.push(Reverse((u64::from(dist[target.index()]), 0)));
    let mut expansions = 0usize;
    let on_path = |arena: &[Partial], mut k: u32, node: u32| -> bool {
        while k != NONE {
            if arena[k as usize].node == node {
                return true;
            }
            k = arena[k as usize].parent;
        }
        false
    };
    while let Some(Reverse((_, k))) = heap.pop() {
        let (node, len) = (arena[k as usize].node, arena[k as usize].len);
        let v = NodeIdx(node);
        // A node the root holds directly ends a path.
        let held_by_root = g.retainers(v).any(|(_, from)| from == root);
        if held_by_root {
            let mut nodes = Vec::new();
            let mut edges = Vec::new();
            let mut j = k;
            while j != NONE {
                let p = &arena[j as usize];
                nodes.push(NodeIdx(p.node));
                if p.edge != NONE {
                    edges.push(EdgeIdx(p.edge));
                }
                j = p.parent;
            }
            out.push(RetainerPath { from_user_root: dist[node as usize] == 1, nodes, edges });
            if out.len() >= opts.max_paths {
                break;
            }
            continue;
        }
        for (e, from) in g.retainers(v) {
            if !retains(g, e, from, root) || dist[from.index()] == u32::MAX {
                continue;
            }
            if on_path(&arena, k, from.0) {
                continue;
            }
            expansions += 1;
            if expansions > opts.max_expansions {
                return out;
            }
            let id = arena.len() as u32;
            arena.push(Partial { node: from.0, edge: e.0, parent: k, len: len + 1 });
            let cost = u64::from(dist[from.index()]) + u64::from(len) + 1;
            heap.push(Reverse((cost, id)));
        }
    }
    out
}

/// How DevTools writes an edge in a path: `.name`, `["with space"]`, `[3]`, `->ctx`, `{internal}`.
pub fn format_edge(g: &HeapGraph<'_>, e: EdgeIdx) -> String {
    let edge = g.snap.edge(e);
    let kind = edge.kind();
    let name = match edge.name_str() {
        Some(s) => s.to_string(),
        None => edge.name_or_index().to_string(),
    };
    match kind {
        EdgeKind::Context => format!("->{name}"),
        EdgeKind::Element => format!("[{name}]"),
        EdgeKind::Weak => format!("[[{name}]]"),
        EdgeKind::Property | EdgeKind::Shortcut => {
            if name.contains(' ') {
                format!("[\"{name}\"]")
            } else {
                format!(".{name}")
            }
        }
        EdgeKind::Internal | EdgeKind::Hidden => format!("{{{name}}}"),
        _ => format!("?{name}?"),
    }
}

/// Joins path segments, writing a run of a repeated block of up to four segments once as
/// `(block)×N` (with `count` = "*" for signatures, so chains of any length group together).
/// Linked lists (Node's timer lists: `._idleNext` hundreds of times) and closure chains
/// (`.someMethod{context}->originalThing` repeated) stay readable.
pub fn collapse_runs(segments: &[String], count: &str) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < segments.len() {
        let mut best: Option<(usize, usize)> = None; // (period, repeats)
        for p in 1..=4usize {
            if i + 2 * p > segments.len() {
                break;
            }
            let mut reps = 1;
            while i + (reps + 1) * p <= segments.len()
                && segments[i + reps * p..i + (reps + 1) * p] == segments[i..i + p]
            {
                reps += 1;
            }
            if reps >= 2 && best.is_none_or(|(bp, br)| reps * p > bp * br) {
                best = Some((p, reps));
            }
        }
        match best {
            Some((p, reps)) => {
                let block: String = segments[i..i + p].concat();
                let n = if count == "*" { "*".to_string() } else { reps.to_string() };
                out.push_str(&format!("({block})\u{d7}{n}"));
                i += p * reps;
            }
            None => {
                out.push_str(&segments[i]);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::collapse_runs;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn runs_collapse() {
        assert_eq!(collapse_runs(&v(&[".a", ".n", ".n", ".n", ".b"]), "*"), ".a(.n)\u{d7}*.b");
        assert_eq!(collapse_runs(&v(&[".n", ".n"]), "count"), "(.n)\u{d7}2");
        assert_eq!(
            collapse_runs(
                &v(&[".t", ".m", "{context}", "->o", ".m", "{context}", "->o", ".x"]),
                "*"
            ),
            ".t(.m{context}->o)\u{d7}*.x"
        );
        assert_eq!(collapse_runs(&v(&[".a", ".b"]), "*"), ".a.b");
    }
}
