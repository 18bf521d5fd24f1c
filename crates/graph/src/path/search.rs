//! Several retaining paths of one object, best first: A* over partial paths, with the
//! [`PathTree`]'s costs as the (exact) heuristic.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use heapsnap_format::{EdgeIdx, EdgeKind, NodeIdx};

use super::RetainerPath;
use super::policy::MAX_TIER;
use super::tree::{PathTree, START, pack};
use crate::graph::HeapGraph;

/// Options for [`retainer_paths`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PathOptions {
    /// How many paths to return at most.
    pub max_paths: usize,
    /// Upper bound on partial paths explored, so that a pathological graph cannot hang us.
    pub max_expansions: usize,
    /// Return only paths that do not pass through this object.
    pub avoid: Option<NodeIdx>,
}

impl Default for PathOptions {
    fn default() -> Self {
        PathOptions { max_paths: 3, max_expansions: 2_000_000, avoid: None }
    }
}

impl PathOptions {
    /// At most `max_paths` paths.
    pub fn with_max_paths(mut self, max_paths: usize) -> Self {
        self.max_paths = max_paths;
        self
    }

    /// Only paths that do not pass through `avoid`.
    pub fn avoiding(mut self, avoid: NodeIdx) -> Self {
        self.avoid = Some(avoid);
        self
    }
}

/// The best retaining paths of `target` under `tree`'s ranking, best first, each simple (no
/// object twice) and each from a path start ([`PathTree::is_start`]).
///
/// The first path costs what `tree.path_to(target)` costs (it may take other links of equal
/// cost). In [`PathMode::User`](super::PathMode::User) a module scope ends a path, unless it
/// is `target` itself: then its paths show what holds the module.
///
/// # Complexity
/// Linear in the size of the explored region for the first path; bounded by
/// [`PathOptions::max_expansions`] overall.
pub fn retainer_paths(
    g: &HeapGraph<'_>,
    tree: &PathTree,
    target: NodeIdx,
    opts: &PathOptions,
) -> Vec<RetainerPath> {
    let root = g.root();
    let mut out = Vec::new();
    if !tree.is_retained(target) || target == root || opts.max_paths == 0 {
        return out;
    }
    let scopes = tree.scopes.as_ref();
    // Partial paths as a parent-pointer forest: (node, edge to the next node towards the
    // target, parent entry, cost of the part from `node` to the target). A `done` entry is a
    // complete path ending at its node.
    struct Partial {
        node: u32,
        edge: u32,
        parent: u32,
        cost: u64,
        done: bool,
    }
    const NONE: u32 = u32::MAX;
    let mut arena: Vec<Partial> =
        vec![Partial { node: target.0, edge: NONE, parent: NONE, cost: 0, done: false }];
    let mut heap: BinaryHeap<Reverse<(u64, u32)>> = BinaryHeap::new();
    // A module scope asked about does not end its own paths: they show what holds it.
    let target_is_scope = scopes.is_some_and(|s| s.is_scope_start(target));
    heap.push(Reverse((if target_is_scope { 0 } else { tree.key(target) }, 0)));
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
        let Partial { node, cost, done, .. } = arena[k as usize];
        let v = NodeIdx(node);
        if done {
            let mut nodes = Vec::new();
            let mut edges = Vec::new();
            let mut j = arena[k as usize].parent;
            while j != NONE {
                let p = &arena[j as usize];
                nodes.push(NodeIdx(p.node));
                if p.edge != NONE {
                    edges.push(EdgeIdx(p.edge));
                }
                j = p.parent;
            }
            let start = tree.start_key(g, v).unwrap_or(u64::MAX);
            out.push(RetainerPath { from_user_root: start == START, nodes, edges });
            if out.len() >= opts.max_paths {
                break;
            }
            continue;
        }
        let own_scope = v == target && target_is_scope;
        // A path may end here (at a child of the root, or a module scope) ...
        if !own_scope && let Some(start) = tree.start_key(g, v) {
            let id = arena.len() as u32;
            arena.push(Partial { node, edge: NONE, parent: k, cost, done: true });
            heap.push(Reverse((start.saturating_add(cost), id)));
        }
        // ... but a module scope always ends it.
        if !own_scope && scopes.is_some_and(|s| s.is_scope_start(v)) {
            continue;
        }
        for (e, from) in g.retainers(v) {
            if from == root || g.edge_kind(e) == EdgeKind::Weak || !tree.is_retained(from) {
                continue;
            }
            if opts.avoid == Some(from) || on_path(&arena, k, from.0) {
                continue;
            }
            expansions += 1;
            if expansions > opts.max_expansions {
                return out;
            }
            let pen = tree.policy.penalty(g, from, e, v);
            let cost = cost + pack(pen.min(MAX_TIER), 1);
            let id = arena.len() as u32;
            arena.push(Partial { node: from.0, edge: e.0, parent: k, cost, done: false });
            heap.push(Reverse((tree.key(from).saturating_add(cost), id)));
        }
    }
    out
}
