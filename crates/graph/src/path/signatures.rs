//! [`Signatures`]: the signature of every retained object's chosen path, kept without the
//! graph, so that two snapshots' objects can be grouped by how they are held after the older
//! snapshot's graph is gone (`heapsnap diff` nets new objects against deleted ones per
//! signature).

use std::collections::{HashMap, HashSet};

use crate::hash::FxBuild;

/// Maps and sets over node ids and small keys, looked up once or more per node: Fx, not SipHash.
type Map<K, V> = HashMap<K, V, FxBuild>;
type Set<K> = HashSet<K, FxBuild>;

use heapsnap_format::{EdgeIdx, EdgeKind, NodeIdx};

use super::edge::{EdgeStyle, push_edge};
use super::resolve::PathFinder;
use super::text::{Runs, collapse_runs};

const NONE: u32 = u32::MAX;
/// A link written nowhere in the text: taken into the path's head, or a variable cell's value.
const SKIP: u32 = u32::MAX - 1;

/// The signature of every retained object's chosen path ([`PathFinder::signature_of`]),
/// from 4 bytes per node: each node's path prefix, in a tree of the distinct prefixes (a
/// prefix is its parent prefix and the text of one more link; the root prefixes are the
/// texts paths start with). Objects with the same prefix have the same signature, so the
/// prefix is also what to group objects by before asking for signatures.
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
    /// Each node's path prefix (an index into `prefix_parent` and `prefix_link`), `NONE` for
    /// unretained nodes.
    of_node: Vec<u32>,
    /// Each prefix's parent prefix, `NONE` for a path's head.
    prefix_parent: Vec<u32>,
    /// Each prefix's last link (an index into `texts`), or a head's text (into `heads`).
    prefix_link: Vec<u32>,
    /// Distinct link texts.
    texts: Vec<String>,
    /// Distinct head texts.
    heads: Vec<String>,
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
        let mut interned: Map<(u8, u32), u32> = Map::default();
        let mut by_text: Map<String, u32> = Map::default();
        let noi = g.snapshot().edge_names_or_indices();
        let types = g.snapshot().edge_types();
        let mut heads = Map::default();
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
        let start_set: Set<u32> = starts.iter().copied().collect();
        let mut children: Map<u32, Vec<(EdgeIdx, NodeIdx)>> = Map::default();
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
        let level1: Set<u32> = children.values().flatten().map(|&(_, v)| v.0).collect();
        let mut grandchildren: Map<u32, Vec<(EdgeIdx, NodeIdx)>> = Map::default();
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
        // Each node's prefix: its parent's, with the link to it (a skipped link adds
        // nothing); a node with a head text starts a prefix of its own.
        let mut of_node = vec![NONE; n];
        let mut prefix_parent: Vec<u32> = Vec::new();
        let mut prefix_link: Vec<u32> = Vec::new();
        let mut head_texts: Vec<String> = Vec::new();
        let mut head_ids: Map<String, u32> = Map::default();
        let mut ids: Map<(u32, u32), u32> = Map::default();
        let mut stack: Vec<u32> = Vec::new();
        for i in 0..n as u32 {
            if of_node[i as usize] != NONE
                || (parent[i as usize] == NONE && !heads.contains_key(&i))
            {
                continue;
            }
            stack.clear();
            let mut u = i;
            let mut cur = loop {
                if of_node[u as usize] != NONE {
                    break of_node[u as usize];
                }
                if let Some(h) = heads.get(&u) {
                    let id = *head_ids.entry(h.clone()).or_insert_with(|| {
                        head_texts.push(h.clone());
                        prefix_parent.push(NONE);
                        prefix_link.push((head_texts.len() - 1) as u32);
                        (prefix_parent.len() - 1) as u32
                    });
                    of_node[u as usize] = id;
                    break id;
                }
                stack.push(u);
                match parent[u as usize] {
                    NONE => break NONE,
                    p => u = p,
                }
            };
            while let Some(u) = stack.pop() {
                let l = link[u as usize];
                if cur != NONE && l != SKIP && l != NONE {
                    cur = *ids.entry((cur, l)).or_insert_with(|| {
                        prefix_parent.push(cur);
                        prefix_link.push(l);
                        (prefix_parent.len() - 1) as u32
                    });
                }
                of_node[u as usize] = cur;
            }
        }
        Signatures { of_node, prefix_parent, prefix_link, texts, heads: head_texts }
    }

    /// Number of nodes of the snapshot.
    pub fn node_count(&self) -> usize {
        self.of_node.len()
    }

    /// Whether a path retains `v`.
    #[inline]
    pub fn is_retained(&self, v: NodeIdx) -> bool {
        self.of_node[v.index()] != NONE
    }

    /// `v`'s path prefix: objects with the same prefix have the same signature (group by it
    /// before asking for signatures). `None` when nothing retains `v`.
    #[inline]
    pub fn prefix(&self, v: NodeIdx) -> Option<u32> {
        let p = self.of_node[v.index()];
        (p != NONE).then_some(p)
    }

    /// The signature of `v`'s chosen path (`None` when nothing retains it).
    pub fn signature(&self, v: NodeIdx) -> Option<String> {
        self.prefix(v).map(|p| self.prefix_signature(p))
    }

    /// The signature of the paths with the prefix `p` (from [`prefix`](Signatures::prefix)).
    pub fn prefix_signature(&self, p: u32) -> String {
        let mut links: Vec<&str> = Vec::new();
        let mut u = p;
        let head = loop {
            let l = self.prefix_link[u as usize];
            match self.prefix_parent[u as usize] {
                NONE => break self.heads[l as usize].as_str(),
                up => {
                    links.push(&self.texts[l as usize]);
                    u = up;
                }
            }
        };
        let segs: Vec<String> = links.iter().rev().map(|s| s.to_string()).collect();
        let mut out = head.to_string();
        out.push_str(&collapse_runs(&segs, Runs::Any));
        out
    }
}

#[cfg(test)]
mod tests {
    use heapsnap_format::{NoProgress, NodeIdx};

    use super::Signatures;
    use crate::{Analysis, AnalysisOptions, HeapGraph, PathFinder, PathMode};

    /// Every node's signature is the one the graph gives, in both path modes, on real heaps:
    /// module scopes (Node 20), a page's script scopes and native context (Chromium; a script
    /// scope's `this` in Chromium 156), variable
    /// cells (Node 26), the oldest layout (Node 8).
    #[test]
    fn same_as_the_graph_on_real_heaps() {
        for (file, snap) in crate::real_heaps() {
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
