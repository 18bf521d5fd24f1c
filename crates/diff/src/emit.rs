//! `--emit`: the new objects and what holds them, as a snapshot DevTools can open.

use heapsnap_format::HeapSnapshot;
use heapsnap_graph::{Analysis, HeapGraph, PathMode, PathTree};

use crate::report::{DiffReport, Noise};

/// The new objects of the report's regular rows (not noise), each with its retaining path
/// as the report chose it, as a smaller snapshot; `None` when there are no new objects. A
/// path that starts at a module scope also keeps DevTools' shortest path to that scope (so
/// that every object is reachable from the root in the result) and what names the scope (a
/// closure of it, with its function's script).
pub fn new_objects_snapshot(
    g: &HeapGraph<'_>,
    a: &Analysis,
    report: &DiffReport,
    mode: PathMode,
) -> Option<(HeapSnapshot, usize)> {
    let snap = g.snapshot();
    let chosen = PathTree::new(g, a, mode);
    let mut shortest: Option<PathTree> = None;
    let mut keep = vec![false; snap.node_count()];
    let mut news = 0usize;
    let mark = |tree: &PathTree, v: heapsnap_format::NodeIdx, keep: &mut [bool]| {
        keep[v.index()] = true;
        let mut x = v;
        while let Some((_, from)) = tree.parent(g, x) {
            x = from;
            if keep[x.index()] {
                return None;
            }
            keep[x.index()] = true;
        }
        Some(x)
    };
    for c in report.classes.iter().filter(|c| c.noise == Noise::None) {
        for &v in &c.row.new_nodes {
            news += 1;
            if let Some(start) = mark(&chosen, v, &mut keep)
                && !g.retainers(start).any(|(_, from)| from == g.root())
                && chosen.is_retained(start)
            {
                let tree = shortest.get_or_insert_with(|| PathTree::new(g, a, PathMode::Shortest));
                mark(tree, start, &mut keep);
                for v in chosen.scope_evidence(g, start) {
                    mark(tree, v, &mut keep);
                }
            }
        }
    }
    (news > 0).then(|| (snap.subset(&keep), news))
}
