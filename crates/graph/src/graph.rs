//! [`HeapGraph`]: the snapshot's forward edges (CSR, borrowed) plus a reverse (retainer) index.

use heapsnap_format::{EdgeIdx, EdgeKind, HeapSnapshot, NodeIdx, NodeKind};

/// The retainer graph of a snapshot.
///
/// Forward edges are the snapshot's own columns (node `i`'s edges are
/// `first_edge[i]..first_edge[i + 1]`). The reverse index lists, for each node, its retaining
/// edges and their source nodes in DevTools' order: by source node, then by edge.
///
/// Invariant: `first_retainer.len() == node_count + 1`; node `i`'s retainers are
/// `retainer_edge[first_retainer[i]..first_retainer[i + 1]]` (and the same slice of
/// `retainer_node`).
#[derive(Debug)]
pub struct HeapGraph<'s> {
    pub(crate) snap: &'s HeapSnapshot,
    pub(crate) node_kind: Vec<NodeKind>,
    pub(crate) edge_kind: Vec<EdgeKind>,
    pub(crate) first_retainer: Vec<u32>,
    pub(crate) retainer_edge: Vec<u32>,
    pub(crate) retainer_node: Vec<u32>,
}

impl<'s> HeapGraph<'s> {
    /// Builds the reverse index (`O(nodes + edges)` time, 8 bytes per edge).
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
        let n = snap.node_count();
        let meta = snap.meta();
        let node_kind: Vec<NodeKind> =
            snap.node_types().iter().map(|&t| meta.node_kind(t)).collect();
        let edge_kind: Vec<EdgeKind> =
            snap.edge_types().iter().map(|&t| meta.edge_kind(t)).collect();
        let to = snap.edge_targets();
        let mut first_retainer = vec![0u32; n + 1];
        for &t in to {
            first_retainer[t as usize + 1] += 1;
        }
        for i in 0..n {
            first_retainer[i + 1] += first_retainer[i];
        }
        let mut fill: Vec<u32> = first_retainer[..n].to_vec();
        let mut retainer_edge = vec![0u32; to.len()];
        let mut retainer_node = vec![0u32; to.len()];
        let first_edge = snap.first_edges();
        for src in 0..n {
            for e in first_edge[src]..first_edge[src + 1] {
                let t = to[e as usize] as usize;
                let slot = fill[t] as usize;
                fill[t] += 1;
                retainer_edge[slot] = e;
                retainer_node[slot] = src as u32;
            }
        }
        HeapGraph { snap, node_kind, edge_kind, first_retainer, retainer_edge, retainer_node }
    }

    /// The snapshot this graph is built on.
    pub fn snapshot(&self) -> &'s HeapSnapshot {
        self.snap
    }

    /// Number of nodes.
    #[inline]
    pub fn node_count(&self) -> usize {
        self.node_kind.len()
    }

    /// Number of edges.
    #[inline]
    pub fn edge_count(&self) -> usize {
        self.edge_kind.len()
    }

    /// The kind of node `i`.
    #[inline]
    pub fn node_kind(&self, i: NodeIdx) -> NodeKind {
        self.node_kind[i.index()]
    }

    /// The kind of edge `e`.
    #[inline]
    pub fn edge_kind(&self, e: EdgeIdx) -> EdgeKind {
        self.edge_kind[e.index()]
    }

    /// The target of edge `e`.
    #[inline]
    pub fn edge_target(&self, e: EdgeIdx) -> NodeIdx {
        NodeIdx(self.snap.edge_targets()[e.index()])
    }

    /// Outgoing edges of `i` as (edge, target), in file order.
    #[inline]
    pub fn edges(&self, i: NodeIdx) -> impl ExactSizeIterator<Item = (EdgeIdx, NodeIdx)> + '_ {
        let to = self.snap.edge_targets();
        self.snap.edge_range(i).map(move |e| (EdgeIdx(e), NodeIdx(to[e as usize])))
    }

    /// Incoming edges of `i` as (edge, source), by source node then edge (DevTools' order).
    #[inline]
    pub fn retainers(&self, i: NodeIdx) -> impl ExactSizeIterator<Item = (EdgeIdx, NodeIdx)> + '_ {
        let r =
            self.first_retainer[i.index()] as usize..self.first_retainer[i.index() + 1] as usize;
        r.map(move |k| (EdgeIdx(self.retainer_edge[k]), NodeIdx(self.retainer_node[k])))
    }

    /// Number of incoming edges of `i`.
    #[inline]
    pub fn retainer_count(&self, i: NodeIdx) -> usize {
        (self.first_retainer[i.index() + 1] - self.first_retainer[i.index()]) as usize
    }

    /// The source node of edge `e` (binary search over the CSR row starts).
    pub fn edge_source(&self, e: EdgeIdx) -> NodeIdx {
        let fe = self.snap.first_edges();
        // The last row start <= e, skipping empty rows.
        let i = fe.partition_point(|&x| x <= e.0) - 1;
        NodeIdx(i as u32)
    }

    /// The root node.
    pub fn root(&self) -> NodeIdx {
        self.snap.root()
    }
}
