//! [`RetainersReport`]: why one object is alive, resolved for `heapsnap retainers`.

use heapsnap_format::NodeIdx;
use serde::Serialize;

use super::edge::{EdgeStyle, edge_text};
use super::resolve::{Origin, PathFinder};
use super::search::PathOptions;
use crate::analysis::NO_DISTANCE;

/// An object as a report shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeInfo {
    /// V8's object id.
    pub id: u32,
    /// The node type (`object`, `closure`, `string`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// The name as DevTools shows it.
    pub name: String,
    /// The class as DevTools names it.
    pub class: String,
    /// Shallow size after DevTools' ownership transfer.
    pub self_size: u32,
    /// Retained size.
    pub retained_size: u64,
    /// DevTools' distance (`None` when unreachable).
    pub distance: Option<i32>,
}

/// An edge of a [`RetainersStep`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EdgeInfo {
    /// The edge type (`property`, `element`, `context`, `internal`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Its name, or its index for elements and hidden edges.
    pub name: String,
    /// As written in path text.
    pub text: String,
}

/// One step of a [`RetainersPath`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RetainersStep {
    /// The edge leading to the node (`None` for the first step).
    pub edge: Option<EdgeInfo>,
    /// The node.
    pub node: NodeInfo,
}

/// One retaining path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RetainersPath {
    /// Links.
    pub length: usize,
    /// Whether the path starts at a global object, a module scope or a script scope.
    pub from_user_root: bool,
    /// The path as one line of text.
    pub text: String,
    /// Where the path starts.
    pub origin: Origin,
    /// See [`Holder::note`](super::Holder::note).
    pub note: Option<String>,
    /// Node by node, from the start.
    pub steps: Vec<RetainersStep>,
}

/// Why one object is alive: its best retaining paths, one per signature (paths that differ
/// only in element indices or slot numbers are one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RetainersReport {
    /// The object.
    pub target: NodeInfo,
    /// Up to the requested number of paths, best first; empty when nothing retains it.
    pub paths: Vec<RetainersPath>,
    /// Where the object was allocated, the allocating function first (see
    /// [`AllocationTraces::stack`](crate::AllocationTraces::stack)), when the snapshot carries
    /// allocation traces and has a stack for it; `None` otherwise.
    pub allocation: Option<Vec<crate::alloc::Frame>>,
}

impl RetainersReport {
    /// Up to `max_paths` retaining paths of `target`, best first, with distinct signatures.
    pub fn new(f: &PathFinder<'_, '_>, target: NodeIdx, max_paths: usize) -> RetainersReport {
        let g = f.graph();
        let snap = g.snapshot();
        // Paths that differ only in an index (the 3rd, 4th, 5th listener of one array) say
        // the same thing: keep the best of each signature, looking a little further for them.
        let mut seen = std::collections::BTreeSet::new();
        let wanted = max_paths.saturating_mul(16).max(64);
        let candidates = f.paths(target, &PathOptions::default().with_max_paths(wanted));
        let paths = candidates
            .into_iter()
            .filter(|p| seen.insert(f.text(p, EdgeStyle::Generic)))
            .take(max_paths)
            .enumerate()
            .map(|(k, p)| {
                let steps = p
                    .nodes
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| RetainersStep {
                        edge: (i > 0).then(|| {
                            let e = p.edges[i - 1];
                            let raw = usize::from(snap.edge_types()[e.index()]);
                            let er = snap.edge(e);
                            EdgeInfo {
                                kind: snap
                                    .meta()
                                    .edge_type_names()
                                    .get(raw)
                                    .cloned()
                                    .unwrap_or_default(),
                                name: er
                                    .name_str()
                                    .map(str::to_string)
                                    .unwrap_or_else(|| er.name_or_index().to_string()),
                                text: edge_text(g, e, EdgeStyle::Exact),
                            }
                        }),
                        node: node_info(f, v),
                    })
                    .collect();
                let h = f.holder(p);
                RetainersPath {
                    length: h.path.edges.len(),
                    from_user_root: h.path.from_user_root,
                    text: h.text,
                    origin: h.origin,
                    // Whether only internals hold the object is said once, on the best path.
                    note: if k == 0 { h.note } else { None },
                    steps,
                }
            })
            .collect();
        let allocation = crate::alloc::AllocationTraces::new(snap)
            .map(|t| t.stack(target))
            .filter(|s| !s.is_empty());
        RetainersReport { target: node_info(f, target), paths, allocation }
    }
}

/// `v` as a report shows it.
pub fn node_info(f: &PathFinder<'_, '_>, v: NodeIdx) -> NodeInfo {
    let (g, a) = (f.graph(), f.analysis());
    let snap = g.snapshot();
    let n = snap.node(v);
    let d = a.distance[v.index()];
    NodeInfo {
        id: n.id().0,
        kind: n.kind_name().to_string(),
        name: a.node_name(snap, v).into_owned(),
        class: a.classes.of(v).name.clone(),
        self_size: a.shallow[v.index()],
        retained_size: a.retained[v.index()],
        distance: (d != NO_DISTANCE && d >= 0).then_some(d),
    }
}
