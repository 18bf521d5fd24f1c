//! [`Signatures`]: the signature of every retained object's chosen path, kept without the
//! graph, so that two snapshots' objects can be grouped by how they are held after the older
//! snapshot's graph is gone (`heapsnap diff` nets new objects against deleted ones per
//! signature).

use std::collections::{HashMap, HashSet};

use heapsnap_format::{EdgeIdx, EdgeKind, NodeIdx};

use super::edge::{EdgeStyle, push_edge};
use super::resolve::PathFinder;
use super::text::{Runs, collapse_runs};

const NONE: u32 = u32::MAX;
/// A link written nowhere in the text: taken into the path's head, or a variable cell's value.
const SKIP: u32 = u32::MAX - 1;

/// The signature of every retained object's chosen path ([`PathFinder::signature_of`]),
/// from 8 bytes per node and the distinct texts: each node's parent on its path and the text
/// of the link to it, and the text each path starts with.
///
/// [`signature`](Signatures::signature) gives exactly what `PathFinder::signature_of` gives
/// on the graph it was built from.
///
/// ```
/// use heapsnap_format::{HeapSnapshot, NoProgress, NodeKind};
/// use heapsnap_graph::{Analysis, AnalysisOptions, HeapGraph, PathFinder, PathMode, Signatures};
///
/// let snap = HeapSnapshot::from_path("../../snapshots/leaks/map-cache-target.heapsnapshot.gz")?;
/// let g = HeapGraph::new(&snap);
/// let a = Analysis::new(&g, &AnalysisOptions::default(), &mut NoProgress);
/// let paths = PathFinder::new(&g, &a, PathMode::User);
/// let sigs = Signatures::new(&paths);
/// let entry = |n: &heapsnap_format::NodeRef<'_>| n.kind() == NodeKind::Object && n.name() == "CacheEntry";
/// let v = snap.nodes().find(entry).map(|n| n.idx()).unwrap();
/// assert_eq!(sigs.signature(v).as_deref(), Some("global.sessionCache.entries{table}{*}"));
/// assert_eq!(sigs.signature(v), paths.signature_of(v));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Signatures {
    /// Each node's parent on its chosen path (`NONE` for path starts and unretained nodes).
    parent: Vec<u32>,
    /// The text of the link to each node (an index into `texts`), `SKIP`, or `NONE` for
    /// unretained nodes.
    link: Vec<u32>,
    /// Distinct link texts.
    texts: Vec<String>,
    /// Nodes where a path's head text is complete, with that text: path starts, and the
    /// first links that the head takes in (a module scope's variable, `global_object`).
    heads: HashMap<u32, String>,
}

impl Signatures {
    /// Records the signatures of `paths`' chosen paths.
    pub fn new(paths: &PathFinder<'_, '_>) -> Signatures {
        let g = paths.graph();
        let tree = paths.tree();
        let n = g.node_count();
        let mut parent = vec![NONE; n];
        let mut link = vec![NONE; n];
        let mut texts: Vec<String> = Vec::new();
        // Link texts by (edge kind, name or index): the same key always gives the same text.
        let mut interned: HashMap<(u8, u32), u32> = HashMap::new();
        let mut by_text: HashMap<String, u32> = HashMap::new();
        let noi = g.snapshot().edge_names_or_indices();
        let types = g.snapshot().edge_types();
        let mut heads = HashMap::new();
        for i in 0..n {
            let v = NodeIdx(i as u32);
            if !tree.is_retained(v) {
                continue;
            }
            let Some((e, from)) = tree.parent(g, v) else {
                heads.insert(v.0, paths.head_text(v, &[]).0);
                continue;
            };
            parent[i] = from.0;
            if paths.is_cell_value(from, e) {
                link[i] = SKIP;
                continue;
            }
            let kind = g.edge_kind(e);
            let name = match kind {
                EdgeKind::Element | EdgeKind::Hidden => 0,
                _ => noi[e.index()],
            };
            let key = (types[e.index()], name);
            link[i] = *interned.entry(key).or_insert_with(|| {
                let mut s = String::new();
                push_edge(&mut s, g, e, EdgeStyle::Generic);
                // One id per text: `{17}` and `{18}` are both `{*}`.
                *by_text.entry(s).or_insert_with_key(|s| {
                    texts.push(s.clone());
                    (texts.len() - 1) as u32
                })
            });
        }
        // Heads that take in the first one or two links of a path.
        let starts: Vec<u32> = heads.keys().copied().collect();
        let snap = g.snapshot();
        let starts: Vec<u32> = starts
            .into_iter()
            .filter(|&s| {
                snap.node(NodeIdx(s)).name().starts_with("system / NativeContext")
                    || matches!(
                        paths.origin(NodeIdx(s)),
                        super::Origin::ModuleScope | super::Origin::ScriptScope
                    )
            })
            .collect();
        let start_set: HashSet<u32> = starts.iter().copied().collect();
        let mut children: HashMap<u32, Vec<(EdgeIdx, NodeIdx)>> = HashMap::new();
        for i in 0..n {
            let p = parent[i];
            if p != NONE && start_set.contains(&p) {
                let v = NodeIdx(i as u32);
                if let Some((e, _)) = tree.parent(g, v) {
                    children.entry(p).or_default().push((e, v));
                }
            }
        }
        // The children of the starts' children, for heads that take in two links.
        let level1: HashSet<u32> = children.values().flatten().map(|&(_, v)| v.0).collect();
        let mut grandchildren: HashMap<u32, Vec<(EdgeIdx, NodeIdx)>> = HashMap::new();
        for i in 0..n {
            let p = parent[i];
            if p != NONE && level1.contains(&p) {
                let w = NodeIdx(i as u32);
                if let Some((e2, _)) = tree.parent(g, w) {
                    grandchildren.entry(p).or_default().push((e2, w));
                }
            }
        }
        for s in starts {
            for &(e, v) in children.get(&s).map(Vec::as_slice).unwrap_or(&[]) {
                let (text, taken) = paths.head_text(NodeIdx(s), &[e]);
                if taken == 0 {
                    continue;
                }
                heads.insert(v.0, text);
                link[v.index()] = SKIP;
                // Two links: the NativeContext hop to the global object, then a scope's
                // variable (not a shape V8 writes, but the text's rule all the same), or a
                // script scope's `this`, then the global object.
                for &(e2, w) in grandchildren.get(&v.0).map(Vec::as_slice).unwrap_or(&[]) {
                    let (text, taken) = paths.head_text(NodeIdx(s), &[e, e2]);
                    if taken == 2 {
                        heads.insert(w.0, text);
                        link[w.index()] = SKIP;
                    }
                }
            }
        }
        Signatures { parent, link, texts, heads }
    }

    /// Number of nodes of the snapshot.
    pub fn node_count(&self) -> usize {
        self.parent.len()
    }

    /// Whether a path retains `v`.
    #[inline]
    pub fn is_retained(&self, v: NodeIdx) -> bool {
        self.parent[v.index()] != NONE || self.heads.contains_key(&v.0)
    }

    /// `v`'s parent on its chosen path and the text of its link, as a number (equal numbers,
    /// equal texts: objects with the same parent and link have the same signature; group by
    /// it before asking for signatures).
    /// `None` for path starts and unretained objects.
    #[inline]
    pub fn link(&self, v: NodeIdx) -> Option<(NodeIdx, u32)> {
        let p = self.parent[v.index()];
        (p != NONE).then(|| (NodeIdx(p), self.link[v.index()]))
    }

    /// The signature of `v`'s chosen path (`None` when nothing retains it).
    pub fn signature(&self, v: NodeIdx) -> Option<String> {
        if !self.is_retained(v) {
            return None;
        }
        // Links from v up to the path's head (the deepest node with a head text).
        let mut links: Vec<u32> = Vec::new();
        let mut head: Option<&String> = None;
        let mut u = v.0;
        for _ in 0..=self.parent.len() {
            if head.is_none()
                && let Some(h) = self.heads.get(&u)
            {
                head = Some(h);
            }
            if head.is_none() {
                links.push(self.link[u as usize]);
            }
            let p = self.parent[u as usize];
            if p == NONE {
                break;
            }
            u = p;
        }
        let segs: Vec<String> = links
            .iter()
            .rev()
            .filter(|&&l| l != SKIP && l != NONE)
            .map(|&l| self.texts[l as usize].clone())
            .collect();
        let mut out = head.cloned().unwrap_or_default();
        out.push_str(&collapse_runs(&segs, Runs::Any));
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use heapsnap_format::{HeapSnapshot, NoProgress, NodeIdx};

    use super::Signatures;
    use crate::{Analysis, AnalysisOptions, HeapGraph, PathFinder, PathMode};

    /// Every node's signature is the one the graph gives, in both path modes, on real heaps:
    /// module scopes (Node 20), a page's script scopes and native context (Chromium; a script
    /// scope's `this` in Chromium 156), variable
    /// cells (Node 26), the oldest layout (Node 8).
    #[test]
    fn same_as_the_graph_on_real_heaps() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../snapshots");
        for file in [
            "app/app-target.heapsnapshot.gz",
            "chrome-widgets.heapsnapshot.gz",
            "leaks/detached-dom-final.heapsnapshot.gz",
            "versions/node26-leak-target.heapsnapshot.gz",
            "versions/node8-leak-target.heapsnapshot.gz",
        ] {
            let snap = HeapSnapshot::from_path(root.join(file)).unwrap();
            let g = HeapGraph::new(&snap);
            let a = Analysis::new(&g, &AnalysisOptions::default(), &mut NoProgress);
            for mode in [PathMode::User, PathMode::Shortest] {
                let paths = PathFinder::new(&g, &a, mode);
                let sigs = Signatures::new(&paths);
                let mut checked = 0;
                for i in 0..g.node_count() {
                    let v = NodeIdx(i as u32);
                    let want = paths.signature_of(v);
                    assert_eq!(sigs.signature(v), want, "{file} {mode:?} node {i}");
                    checked += usize::from(want.is_some());
                }
                assert!(checked * 10 > g.node_count() * 9, "{file}: {checked} retained");
            }
        }
    }
}
