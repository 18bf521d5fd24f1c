//! Every independent holder of an object, when no single one keeps it alive.

use std::collections::BTreeMap;

use heapsnap_format::{EdgeIdx, EdgeKind, NodeIdx, NodeKind};

use super::edge::{EdgeStyle, edge_text};
use super::policy::INTERNAL;
use super::resolve::{Holder, PathFinder};
use super::search::PathOptions;
use crate::graph::HeapGraph;

impl PathFinder<'_, '_> {
    /// The paths that keep `x` alive. One (its chosen path) when a single holder dominates
    /// `x`; otherwise one per independent holder, up to `max`, best first.
    ///
    /// Only the first holder carries a [`Holder::note`]; when it passes through no runtime
    /// internal, holders that do are left out.
    ///
    /// Holders are `x`'s direct retainers over retaining edges that `x` does not itself keep
    /// alive (retainers in `x`'s dominator subtree are back references). Retainers of `x`'s
    /// own class are one holder (a linked list or chain of `x`'s kind), and an object's
    /// element and property stores count as the object that owns them.
    pub fn holders(&self, x: NodeIdx, max: usize) -> Vec<Holder> {
        let g = self.graph();
        let a = self.analysis();
        let Some(first) = self.holder_of(x) else { return Vec::new() };
        if max <= 1 {
            return vec![first];
        }
        let d = NodeIdx(a.dominator[x.index()]);
        let root = g.root();
        let class = |v: NodeIdx| a.classes.of(v).name.as_str();
        let mut groups: BTreeMap<String, (u64, NodeIdx, EdgeIdx)> = BTreeMap::new();
        for (e, r) in g.retainers(x) {
            if r == d {
                // A direct retainer dominates x: every path goes through it.
                return vec![first];
            }
            if r == root
                || matches!(g.edge_kind(e), EdgeKind::Weak | EdgeKind::Shortcut)
                || !self.is_retained(r)
                || g.node_kind(r) == NodeKind::Hidden
                || is_backing_store(g, r)
                || dominated_by(&a.dominator, r, x)
            {
                continue;
            }
            let key = if class(r) == class(x) {
                "(chain)".to_string()
            } else {
                format!("{}{}", class(r), edge_text(g, e, EdgeStyle::Generic))
            };
            let cost = self.tree().key(r);
            let slot = groups.entry(key).or_insert((cost, r, e));
            if cost < slot.0 {
                *slot = (cost, r, e);
            }
        }
        if groups.len() <= 1 {
            return vec![first];
        }
        let mut picks: Vec<(u64, NodeIdx, EdgeIdx)> = groups.into_values().collect();
        picks.sort_by_key(|&(cost, r, e)| (cost, r.0, e.0));
        let mut out: Vec<Holder> = Vec::new();
        let mut first_penalty = 0;
        for (_, r, e) in picks {
            let p = match self.path_to(r) {
                Some(p) if !p.nodes.contains(&x) => Some(p),
                // The chosen path to this holder goes through x itself: find one that does not.
                _ => {
                    let mut opts = PathOptions::default().with_max_paths(1).avoiding(x);
                    opts.max_expansions = 500_000;
                    self.paths(r, &opts).pop()
                }
            };
            let Some(mut p) = p else { continue };
            p.nodes.push(x);
            p.edges.push(e);
            let penalty = self.penalty(&p);
            if out.is_empty() {
                first_penalty = penalty;
            } else if penalty >= INTERNAL && first_penalty < INTERNAL {
                // Runtime internals that also reach an object the program holds (a timer
                // list through the object's own timeout) add nothing.
                continue;
            }
            let mut h = self.holder(p);
            if !out.is_empty() {
                // "held only by ..." is about the object, said once, on its best path.
                h.note = None;
            }
            if out.iter().all(|o| o.signature != h.signature) {
                out.push(h);
            }
            if out.len() >= max {
                break;
            }
        }
        if out.is_empty() {
            out.push(first);
        }
        out
    }
}

/// Whether `r` is an object's elements or dictionary properties store: V8 writes each entry
/// twice, as an edge of the object and as an internal edge of its store, so the store is not
/// a holder of its own.
pub fn is_backing_store(g: &HeapGraph<'_>, r: NodeIdx) -> bool {
    g.node_kind(r) == NodeKind::Array
        && matches!(g.snapshot().node(r).name(), "(object elements)" | "(object properties)")
}

/// Whether `v` is in the dominator subtree of `x` (walks up from `v`).
pub(crate) fn dominated_by(dom: &[u32], v: NodeIdx, x: NodeIdx) -> bool {
    let mut u = v.0;
    for _ in 0..dom.len().min(4_000_000) + 1 {
        if u == x.0 {
            return true;
        }
        let d = dom[u as usize];
        if d == u {
            return false;
        }
        u = d;
    }
    false
}
