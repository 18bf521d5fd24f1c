//! [`PathTree`]: one chosen retaining path for every retained object, in one search.

use heapsnap_format::{EdgeIdx, EdgeKind, NodeIdx};

use super::policy::{
    HANDLE, INTERNAL, MAX_TIER, NODE_INTERNAL, NODE_SCOPE, PathMode, Policy, RootKind, SYSTEM_ROOT,
    root_kind,
};
use super::scopes::Scopes;
use super::{PathCost, RetainerPath};
use crate::analysis::{Analysis, NO_DISTANCE};
use crate::graph::HeapGraph;

const NONE: u32 = u32::MAX;
const UNREACHED: u64 = u64::MAX;

#[inline]
pub(crate) fn pack(tier: u32, hops: u32) -> u64 {
    (u64::from(tier) << 32) | u64::from(hops)
}

/// The key of a path start: tier 0, one link from the root.
pub(crate) const START: u64 = 1;

/// The chosen retaining path of every retained object, as a tree of parent edges (see the
/// [module docs](crate::path) for the choice).
///
/// Every object that a path from the root retains (over edges that are not weak) gets exactly
/// one path: [`PathTree::path_to`]. In [`PathMode::User`] paths may start at a module's
/// top-level scope; the set of retained objects is the same in both modes.
///
/// # Complexity
/// A breadth-first search per penalty level over a bucketed queue: `O(nodes + edges)` time
/// for the usual heap (each node is settled once per penalty level it is reached at, and
/// almost all are reached at one), 12 bytes per node, plus the queue.
#[derive(Debug)]
pub struct PathTree {
    pub(crate) mode: PathMode,
    /// `pack(penalty, links)` per node; `UNREACHED` when nothing retains it.
    key: Vec<u64>,
    /// The edge through which each node is held on its chosen path; `NONE` for path starts
    /// and unretained nodes.
    parent: Vec<u32>,
    pub(crate) scopes: Option<Scopes>,
    pub(crate) policy: Policy,
    /// Edges of the searched graph (with `key.len()`, which graph it was).
    edge_count: usize,
}

impl PathTree {
    /// Chooses a path for every retained object of `g` (`a` is its analysis: its distances
    /// tell which module scopes are retained before the search starts).
    ///
    /// # Panics
    /// If `a` is not the analysis of `g`'s snapshot ([`Analysis::check`]; [`PathFinder::try_new`](crate::PathFinder::try_new)
    /// returns the error instead).
    pub fn new(g: &HeapGraph<'_>, a: &Analysis, mode: PathMode) -> PathTree {
        if let Err(e) = a.check(g) {
            panic!("PathTree::new: {e}");
        }
        PathTree::build(g, Some(&a.distance), mode)
    }

    /// [`PathTree::new`] with only the analysis's distances ([`Analysis::distance`] of `g`'s
    /// snapshot), for a search that runs while the dominators are still being computed
    /// ([`Analysis::with_side_work`]). The same tree as [`PathTree::new`]'s.
    ///
    /// # Panics
    /// If `distance` does not have one entry per node of `g`.
    pub fn from_distances(g: &HeapGraph<'_>, distance: &[i32], mode: PathMode) -> PathTree {
        assert_eq!(distance.len(), g.node_count(), "PathTree::from_distances: not g's distances");
        PathTree::build(g, Some(distance), mode)
    }

    /// Checks that this tree was searched on `g`'s snapshot (same node and edge counts).
    pub(crate) fn check(&self, g: &HeapGraph<'_>) -> Result<(), crate::Mismatch> {
        let tree = (self.key.len(), self.edge_count);
        let graph = (g.node_count(), g.edge_count());
        if tree == graph { Ok(()) } else { Err(crate::Mismatch { analysis: tree, graph }) }
    }

    /// [`PathTree::new`] without DevTools' analysis: module scopes start paths once the
    /// search reaches them (the same costs; among paths of equal cost the choice may differ
    /// from [`PathTree::new`]'s). For what needs paths of several snapshots, not their
    /// dominators (matching objects across snapshots by structure).
    pub fn without_analysis(g: &HeapGraph<'_>, mode: PathMode) -> PathTree {
        PathTree::build(g, None, mode)
    }

    fn build(g: &HeapGraph<'_>, distance: Option<&[i32]>, mode: PathMode) -> PathTree {
        let t = std::time::Instant::now();
        let scopes = (mode == PathMode::User).then(|| Scopes::new(g));
        let policy = Policy::new(g, mode, scopes.as_ref());
        log::debug!("paths: module scopes and the rank's tables took {:.2?}", t.elapsed());
        let t = std::time::Instant::now();
        let n = g.node_count();
        let root = g.root();
        let mut key = vec![UNREACHED; n];
        let mut parent = vec![NONE; n];
        let mut pending: Vec<Vec<u64>> = Vec::new();
        let push = |pending: &mut Vec<Vec<u64>>, tier: u32, hops: u32, v: NodeIdx| {
            let t = tier as usize;
            if pending.len() <= t {
                pending.resize_with(t + 1, Vec::new);
            }
            pending[t].push((u64::from(hops) << 32) | u64::from(v.0));
        };
        for (_, t) in g.edges(root) {
            if t == root {
                continue;
            }
            let tier = root_tier(g, mode, t);
            let k = pack(tier, 1);
            if k < key[t.index()] {
                key[t.index()] = k;
                push(&mut pending, tier, 1, t);
            }
        }
        // Module scopes that DevTools' distances already show retained start paths now; any
        // other one found retained during the search starts them from then on.
        let user = mode == PathMode::User;
        if let (true, Some(distance)) = (user, distance) {
            for i in 0..n {
                let v = NodeIdx(i as u32);
                if policy.node_class(v) == NODE_SCOPE
                    && distance[i] != NO_DISTANCE
                    && key[i] > START
                {
                    key[i] = START;
                    push(&mut pending, 0, 1, v);
                }
            }
        }
        let names = g.snapshot().node_names();
        let mut queue: Vec<u64> = Vec::new();
        let mut lowest = 0usize;
        while let Some(t) = (lowest..pending.len()).find(|&t| !pending[t].is_empty()) {
            lowest = t + 1;
            let tier = t as u32;
            let mut list = std::mem::take(&mut pending[t]);
            sort_by_links(&mut list);
            queue.clear();
            let (mut li, mut qi) = (0usize, 0usize);
            loop {
                let next = match (list.get(li), queue.get(qi)) {
                    (Some(&l), Some(&q)) if (q >> 32) < (l >> 32) => {
                        qi += 1;
                        q
                    }
                    (Some(&l), _) => {
                        li += 1;
                        l
                    }
                    (None, Some(&q)) => {
                        qi += 1;
                        q
                    }
                    (None, None) => break,
                };
                let (hops, v) = ((next >> 32) as u32, NodeIdx(next as u32));
                if key[v.index()] != pack(tier, hops) {
                    continue;
                }
                let from_name = names[v.index()];
                for (e, w) in g.edges(v) {
                    if w == root || g.edge_kind(e) == EdgeKind::Weak {
                        continue;
                    }
                    let Some(pen) = step_penalty(&policy, g, from_name, e, w) else {
                        // A module scope: paths start there.
                        if key[w.index()] != START {
                            key[w.index()] = START;
                            parent[w.index()] = NONE;
                            push(&mut pending, 0, 1, w);
                            lowest = 0;
                        }
                        continue;
                    };
                    let nt = (tier + pen).min(MAX_TIER);
                    let nk = pack(nt, hops + 1);
                    if nk < key[w.index()] {
                        key[w.index()] = nk;
                        parent[w.index()] = e.0;
                        let entry = (u64::from(hops + 1) << 32) | u64::from(w.0);
                        if nt == tier {
                            queue.push(entry);
                        } else {
                            push(&mut pending, nt, hops + 1, w);
                        }
                    }
                }
            }
            list.clear();
            if pending[t].is_empty() {
                pending[t] = list;
            }
        }
        log::debug!("paths: the {mode:?} path tree took {:.2?}", t.elapsed());
        PathTree { mode, key, parent, scopes, policy, edge_count: g.edge_count() }
    }

    /// Which paths this tree holds.
    pub fn mode(&self) -> PathMode {
        self.mode
    }

    /// Whether a path retains `v` (it is neither unreachable nor held only by weak edges).
    #[inline]
    pub fn is_retained(&self, v: NodeIdx) -> bool {
        self.key[v.index()] != UNREACHED
    }

    /// The cost of `v`'s chosen path: penalties first, then links (`None` when not retained).
    #[inline]
    pub fn cost(&self, v: NodeIdx) -> Option<PathCost> {
        let k = self.key[v.index()];
        (k != UNREACHED).then_some(PathCost { penalty: (k >> 32) as u32, links: k as u32 })
    }

    /// The cost as one number that orders like [`PathCost`] (`u64::MAX` when not retained).
    #[inline]
    pub(crate) fn key(&self, v: NodeIdx) -> u64 {
        self.key[v.index()]
    }

    /// Whether edge `e` from `u` to `w` lies on one of `w`'s best paths: following it from
    /// `u`'s chosen path gives exactly `w`'s cost (the chosen parent edge is one such edge;
    /// ties may give others). Never for path starts other than through their parent, weak
    /// edges, or edges into the root or a module scope.
    pub(crate) fn is_best_edge(
        &self,
        g: &HeapGraph<'_>,
        u: NodeIdx,
        e: EdgeIdx,
        w: NodeIdx,
    ) -> bool {
        let (ku, kw) = (self.key[u.index()], self.key[w.index()]);
        // (The root is never retained: edges into it end here too.)
        if ku == UNREACHED || kw == UNREACHED || g.edge_kind(e) == EdgeKind::Weak {
            return false;
        }
        let from_name = g.snapshot().node_names()[u.index()];
        let Some(pen) = step_penalty(&self.policy, g, from_name, e, w) else { return false };
        let (tier, hops) = ((ku >> 32) as u32, ku as u32);
        pack((tier + pen).min(MAX_TIER), hops + 1) == kw
    }

    /// The scopes (empty in shortest mode).
    pub(crate) fn scopes_ref(&self) -> &Scopes {
        scopes_or_empty(&self.scopes)
    }

    /// The cost of a path that starts at `v` and ends there, if paths can start at `v`: a
    /// child of the root, or (user mode) a module scope.
    pub(crate) fn start_key(&self, g: &HeapGraph<'_>, v: NodeIdx) -> Option<u64> {
        if self.scopes.as_ref().is_some_and(|s| s.is_scope_start(v)) {
            return Some(START);
        }
        let root = g.root();
        g.retainers(v).any(|(_, from)| from == root).then(|| pack(root_tier(g, self.mode, v), 1))
    }

    /// For a module or script scope: the nodes its name comes from (its native context, a
    /// closure of the scope, its shared function info, the script); empty for any other node. A smaller snapshot
    /// that keeps these still names the scope.
    pub fn scope_evidence(&self, g: &HeapGraph<'_>, v: NodeIdx) -> Vec<NodeIdx> {
        match &self.scopes {
            Some(s) if s.is_scope_start(v) => s.evidence(g, v),
            _ => Vec::new(),
        }
    }

    /// Whether `v` starts a path: a child of the root, or (user mode) a module scope.
    #[inline]
    pub fn is_start(&self, v: NodeIdx) -> bool {
        self.key[v.index()] != UNREACHED && self.parent[v.index()] == NONE
    }

    /// The edge that holds `v` on its chosen path, and its source (`None` for path starts and
    /// unretained objects).
    pub fn parent(&self, g: &HeapGraph<'_>, v: NodeIdx) -> Option<(EdgeIdx, NodeIdx)> {
        let e = self.parent[v.index()];
        (e != NONE).then(|| (EdgeIdx(e), g.edge_source(EdgeIdx(e))))
    }

    /// The chosen retaining path of `target`, from its start to `target` (`None` when
    /// nothing retains it).
    pub fn path_to(&self, g: &HeapGraph<'_>, target: NodeIdx) -> Option<RetainerPath> {
        if !self.is_retained(target) {
            return None;
        }
        let mut nodes = vec![target];
        let mut edges = Vec::new();
        let mut v = target;
        while let Some((e, from)) = self.parent(g, v) {
            edges.push(e);
            nodes.push(from);
            v = from;
            if edges.len() > self.key.len() {
                break; // cannot happen: parents form a tree
            }
        }
        nodes.reverse();
        edges.reverse();
        Some(RetainerPath { from_user_root: self.key[v.index()] == START, nodes, edges })
    }
}

/// What following edge `e` out of a node named `from_name` into `w` adds to a path's
/// penalty; `None` when `w` is a module scope (in [`PathMode::User`], paths start there
/// instead of passing through).
#[inline]
fn step_penalty(
    policy: &Policy,
    g: &HeapGraph<'_>,
    from_name: u32,
    e: EdgeIdx,
    w: NodeIdx,
) -> Option<u32> {
    if policy.mode != PathMode::User {
        return Some(0);
    }
    match policy.node_class(w) {
        NODE_SCOPE => None,
        NODE_INTERNAL => Some(INTERNAL + policy.edge_penalty(g, from_name, e)),
        _ => Some(policy.edge_penalty(g, from_name, e)),
    }
}

/// Sorts queue entries (`links << 32 | node`) by links, keeping the order of equal ones (the
/// order they were found in: DevTools' breadth-first order). A counting sort when the range of
/// lengths is small, as it is in a heap.
fn sort_by_links(list: &mut Vec<u64>) {
    if list.len() < 64 {
        list.sort_by_key(|&x| x >> 32);
        return;
    }
    let (lo, hi) =
        list.iter().fold((u64::MAX, 0), |(lo, hi), &x| (lo.min(x >> 32), hi.max(x >> 32)));
    let range = (hi - lo) as usize + 1;
    if range > list.len() * 4 + 1024 {
        list.sort_by_key(|&x| x >> 32);
        return;
    }
    let mut start = vec![0usize; range + 1];
    for &x in list.iter() {
        start[((x >> 32) - lo) as usize + 1] += 1;
    }
    for i in 0..range {
        start[i + 1] += start[i];
    }
    let mut out = vec![0u64; list.len()];
    for &x in list.iter() {
        let slot = &mut start[((x >> 32) - lo) as usize];
        out[*slot] = x;
        *slot += 1;
    }
    *list = out;
}

fn scopes_or_empty(s: &Option<Scopes>) -> &Scopes {
    s.as_ref().unwrap_or(&super::scopes::EMPTY)
}

/// The tier a child of the root starts its paths at.
fn root_tier(g: &HeapGraph<'_>, mode: PathMode, t: NodeIdx) -> u32 {
    match (mode, root_kind(g, t)) {
        (_, RootKind::User) => 0,
        (PathMode::Shortest, _) => 1,
        (_, RootKind::Handle) => HANDLE,
        (_, RootKind::System) => SYSTEM_ROOT,
    }
}
