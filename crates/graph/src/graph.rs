//! [`HeapGraph`]: the snapshot's forward edges (CSR, borrowed) plus a reverse (retainer) index
//! built on first use.

use std::sync::{Arc, OnceLock};

use heapsnap_format::{EdgeIdx, EdgeKind, HeapSnapshot, NodeIdx, NodeKind};

/// The reverse index: for each node its retaining edges and their sources, in DevTools'
/// order (by source node, then edge).
///
/// Invariant: `first.len() == node_count + 1`; node `i`'s retainers are
/// `edge[first[i]..first[i + 1]]` (and the same slice of `node`).
#[derive(Debug)]
pub(crate) struct Reverse {
    pub(crate) first: Vec<u32>,
    pub(crate) edge: Vec<u32>,
    pub(crate) node: Vec<u32>,
}

/// The retainer graph of a snapshot.
///
/// Forward edges are the snapshot's own columns (node `i`'s edges are
/// `first_edge[i]..first_edge[i + 1]`). Node and edge kinds are read through 256-entry tables
/// from the raw type columns, so the graph adds no per-node or per-edge data of its own
/// until something asks for retainers: the reverse index (8 bytes per edge) is built on first
/// use.
#[derive(Debug)]
pub struct HeapGraph<'s> {
    pub(crate) snap: &'s HeapSnapshot,
    pub(crate) node_table: [NodeKind; 256],
    pub(crate) edge_table: [EdgeKind; 256],
    caches: Arc<Caches>,
}

/// What a [`HeapGraph`] derives from its snapshot on first use. Shared (an `Arc`) so that
/// [`Heap`](crate::Heap) can hand out graphs of the snapshot it owns without building them
/// again.
#[derive(Debug, Default)]
pub(crate) struct Caches {
    reverse: OnceLock<Reverse>,
    string_flags: OnceLock<Vec<u8>>,
    locations: OnceLock<crate::NodeLocations>,
    edge_blocks: OnceLock<Vec<u32>>,
}

/// Edges per entry of the edge-source index ([`HeapGraph::edge_source`]).
const EDGE_BLOCK: usize = 64;

/// [`HeapGraph::string_flags`]: the string is exactly `Object`.
pub(crate) const STR_OBJECT: u8 = 1;
/// [`HeapGraph::string_flags`]: the string starts with `<` or `Detached <` (DOM-style names
/// whose class name is cut).
pub(crate) const STR_DOM_LIKE: u8 = 2;

impl<'s> HeapGraph<'s> {
    /// Wraps a snapshot (`O(1)`; the retainer index is built lazily).
    ///
    /// ```
    /// # let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
    /// #   "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],
    /// #   "edge_types":[["element","property"]]},"node_count":3,"edge_count":2},
    /// #   "nodes":[0,0,1,0,1, 1,1,3,8,1, 1,1,5,8,0],"edges":[1,2,5, 1,2,10],"strings":["","A","next"]}"#;
    /// use heapsnap_format::{HeapSnapshot, NodeIdx};
    /// let snap = HeapSnapshot::from_slice(json)?;
    /// let graph = heapsnap_graph::HeapGraph::new(&snap);
    /// let retainers: Vec<NodeIdx> = graph.retainers(NodeIdx(2)).map(|(_, from)| from).collect();
    /// assert_eq!(retainers, vec![NodeIdx(1)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(snap: &'s HeapSnapshot) -> Self {
        Self::with_caches(snap, Arc::default())
    }

    /// A graph of `snap` using `caches`, which must be empty or come from a graph of `snap`.
    pub(crate) fn with_caches(snap: &'s HeapSnapshot, caches: Arc<Caches>) -> Self {
        let meta = snap.meta();
        let node_table = std::array::from_fn(|t| meta.node_kind(t as u8));
        let edge_table = std::array::from_fn(|t| meta.edge_kind(t as u8));
        HeapGraph { snap, node_table, edge_table, caches }
    }

    pub(crate) fn reverse(&self) -> &Reverse {
        self.caches.reverse.get_or_init(|| build_reverse(self.snap))
    }

    /// The snapshot's `locations` ([`node_locations`](crate::node_locations)), read on first
    /// use and kept: every user of this graph (or of graphs sharing its caches) reads them once.
    pub fn locations(&self) -> &crate::NodeLocations {
        self.caches.locations.get_or_init(|| crate::node_locations(self))
    }

    /// Per string of the table: [`STR_OBJECT`], [`STR_DOM_LIKE`], so that per-node name tests
    /// need no string access.
    pub(crate) fn string_flags(&self) -> &[u8] {
        self.caches.string_flags.get_or_init(|| {
            self.snap
                .strings()
                .iter()
                .map(|t| {
                    let mut f = 0;
                    if t == "Object" {
                        f |= STR_OBJECT;
                    }
                    if t.starts_with('<') || t.starts_with("Detached <") {
                        f |= STR_DOM_LIKE;
                    }
                    f
                })
                .collect()
        })
    }

    /// Whether node `i` is a plain JS object: type `object` named exactly `Object`.
    #[inline]
    pub(crate) fn is_plain_object(&self, i: usize) -> bool {
        self.kind_at(i) == NodeKind::Object
            && self.string_flags()[self.snap.node_names()[i] as usize] & STR_OBJECT != 0
    }

    /// Builds the retainer index now (otherwise the first retainer query does).
    pub fn build_retainers(&self) {
        self.reverse();
    }

    /// The snapshot this graph is built on.
    pub fn snapshot(&self) -> &'s HeapSnapshot {
        self.snap
    }

    /// Number of nodes.
    #[inline]
    pub fn node_count(&self) -> usize {
        self.snap.node_count()
    }

    /// Number of edges.
    #[inline]
    pub fn edge_count(&self) -> usize {
        self.snap.edge_count()
    }

    /// The kind of node `i`.
    ///
    /// # Panics
    /// If `i` is not a node of the snapshot.
    #[inline]
    pub fn node_kind(&self, i: NodeIdx) -> NodeKind {
        self.node_table[usize::from(self.snap.node_types()[i.index()])]
    }

    /// The kind of node at position `i` (for loops over positions).
    #[inline]
    pub(crate) fn kind_at(&self, i: usize) -> NodeKind {
        self.node_table[usize::from(self.snap.node_types()[i])]
    }

    /// The kind of edge `e`.
    ///
    /// # Panics
    /// If `e` is not an edge of the snapshot.
    #[inline]
    pub fn edge_kind(&self, e: EdgeIdx) -> EdgeKind {
        self.edge_table[usize::from(self.snap.edge_types()[e.index()])]
    }

    /// The target of edge `e`.
    ///
    /// # Panics
    /// If `e` is not an edge of the snapshot.
    #[inline]
    pub fn edge_target(&self, e: EdgeIdx) -> NodeIdx {
        NodeIdx(self.snap.edge_targets()[e.index()])
    }

    /// Outgoing edges of `i` as (edge, target), in file order.
    ///
    /// # Panics
    /// If `i` is not a node of the snapshot.
    #[inline]
    pub fn edges(&self, i: NodeIdx) -> impl ExactSizeIterator<Item = (EdgeIdx, NodeIdx)> + '_ {
        let to = self.snap.edge_targets();
        self.snap.edge_range(i).map(move |e| (EdgeIdx(e), NodeIdx(to[e as usize])))
    }

    /// Incoming edges of `i` as (edge, source), by source node then edge (DevTools' order).
    ///
    /// # Panics
    /// If `i` is not a node of the snapshot.
    #[inline]
    pub fn retainers(&self, i: NodeIdx) -> impl ExactSizeIterator<Item = (EdgeIdx, NodeIdx)> + '_ {
        let rev = self.reverse();
        let r = rev.first[i.index()] as usize..rev.first[i.index() + 1] as usize;
        r.map(move |k| (EdgeIdx(rev.edge[k]), NodeIdx(rev.node[k])))
    }

    /// Number of incoming edges of `i`.
    ///
    /// # Panics
    /// If `i` is not a node of the snapshot.
    #[inline]
    pub fn retainer_count(&self, i: NodeIdx) -> usize {
        let rev = self.reverse();
        (rev.first[i.index() + 1] - rev.first[i.index()]) as usize
    }

    /// The source node of edge `e` (binary search over the CSR row starts).
    ///
    /// # Panics
    /// If `e` is not an edge of the snapshot.
    pub fn edge_source(&self, e: EdgeIdx) -> NodeIdx {
        assert!(e.index() < self.edge_count(), "edge index out of range");
        let fe = self.snap.first_edges();
        // The source of every 64th edge (built on first use: 4 bytes per 64 edges) bounds the
        // search to the rows between two of them, instead of a search over every row (one
        // cache miss per step on a heap of millions: path signatures ask for every node).
        let blocks = self.caches.edge_blocks.get_or_init(|| {
            let mut out = Vec::with_capacity(self.edge_count().div_ceil(EDGE_BLOCK));
            let mut i = 0usize;
            for b in 0..self.edge_count().div_ceil(EDGE_BLOCK) {
                let first = (b * EDGE_BLOCK) as u32;
                while fe[i + 1] <= first {
                    i += 1;
                }
                out.push(i as u32);
            }
            out
        });
        let b = e.index() / EDGE_BLOCK;
        let lo = blocks[b] as usize;
        let hi = blocks.get(b + 1).map_or(self.node_count() - 1, |&x| x as usize);
        // The last row start <= e, skipping empty rows: within [lo, hi], since the rows after
        // the next block's source start after e.
        let i = lo + fe[lo..=hi].partition_point(|&x| x <= e.0) - 1;
        NodeIdx(i as u32)
    }

    /// The root node.
    pub fn root(&self) -> NodeIdx {
        self.snap.root()
    }

    /// The derived indexes, to share with another graph of the same snapshot.
    pub(crate) fn caches(&self) -> Arc<Caches> {
        Arc::clone(&self.caches)
    }
}

fn build_reverse(snap: &HeapSnapshot) -> Reverse {
    let n = snap.node_count();
    let to = snap.edge_targets();
    let mut first = vec![0u32; n + 1];
    for &t in to {
        first[t as usize + 1] += 1;
    }
    for i in 0..n {
        first[i + 1] += first[i];
    }
    let mut fill: Vec<u32> = first[..n].to_vec();
    let mut edge = vec![0u32; to.len()];
    let mut node = vec![0u32; to.len()];
    let first_edge = snap.first_edges();
    for src in 0..n {
        for e in first_edge[src]..first_edge[src + 1] {
            let t = to[e as usize] as usize;
            let slot = fill[t] as usize;
            fill[t] += 1;
            edge[slot] = e;
            node[slot] = src as u32;
        }
    }
    Reverse { first, edge, node }
}

#[cfg(test)]
mod tests {
    use heapsnap_format::EdgeIdx;

    use super::HeapGraph;

    /// The block-bounded search finds every edge's source as a search over all rows does, on
    /// real heaps (rows with no edges, many of them in a row, included).
    #[test]
    fn edge_sources_are_the_row_search() {
        for (file, snap) in crate::real_heaps() {
            let g = HeapGraph::new(&snap);
            let fe = snap.first_edges();
            for e in 0..g.edge_count() as u32 {
                let want = fe.partition_point(|&x| x <= e) - 1;
                assert_eq!(g.edge_source(EdgeIdx(e)).index(), want, "{file}: edge {e}");
            }
        }
    }
}
