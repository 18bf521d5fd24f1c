//! petgraph's visit traits on [`HeapGraph`], with no copying: the forward edges are the
//! snapshot's own CSR columns and the incoming edges are the graph's retainer index.
//!
//! With these impls, petgraph's traversals and algorithms run directly on a snapshot: `Dfs`,
//! `Bfs`, `DfsPostOrder`, `Reversed` (walking retainers), `EdgeFiltered` (for example dropping
//! weak edges), `NodeFiltered`, `tarjan_scc`, `has_path_connecting`, `dijkstra`,
//! `dominators::simple_fast` and `Dot`.
//!
//! | trait | on | choice |
//! | --- | --- | --- |
//! | `GraphBase` | `HeapGraph` (and `&HeapGraph`) | `NodeId = NodeIdx`, `EdgeId = EdgeIdx` |
//! | `GraphProp` | `HeapGraph` | `EdgeType = Directed` |
//! | `Data` | `HeapGraph` | `NodeWeight = NodeKind`, `EdgeWeight = EdgeKind` |
//! | `NodeCount`, `EdgeCount` | `HeapGraph` | the snapshot's counts |
//! | `NodeIndexable`, `NodeCompactIndexable` | `HeapGraph` | node ids are exactly `0..node_count` |
//! | `EdgeIndexable` | `HeapGraph` | edge ids are exactly `0..edge_count` |
//! | `Visitable` | `HeapGraph` | `Map = NodeSet`, a bitset over node positions |
//! | `IntoNeighbors` | `&HeapGraph` | [`Neighbors`]: a slice of the forward CSR |
//! | `IntoNeighborsDirected` | `&HeapGraph` | [`Neighbors`]: `Outgoing` = forward CSR, `Incoming` = retainer index |
//! | `IntoEdges` | `&HeapGraph` | [`Edges`] of [`HeapEdgeRef`] |
//! | `IntoEdgesDirected` | `&HeapGraph` | [`Edges`]; `Incoming` edges keep their **original orientation** (`target() == n`) |
//! | `IntoEdgeReferences` | `&HeapGraph` | [`EdgeReferences`]: every edge, walking the rows in node order |
//! | `IntoNodeIdentifiers` | `&HeapGraph` | [`NodeIdentifiers`]: `0..node_count` |
//! | `IntoNodeReferences` | `&HeapGraph` | [`NodeReferences`] of `(NodeIdx, &NodeKind)` |
//!
//! Every iterator is a named type and an `ExactSizeIterator`. Node and edge weights are
//! references into the graph's 256-entry kind tables, so `weight()` never copies.
//!
//! Inherent methods of [`HeapGraph`] with the same names (`edges`, `node_count`, `edge_count`)
//! take precedence in method-call syntax; call the trait versions through petgraph's generic
//! algorithms or with `IntoEdges::edges(&graph, n)`.
//!
//! # Examples
//!
//! Who keeps node 3 alive, ignoring weak edges? A BFS over the reversed, filtered graph:
//!
//! ```
//! use heapsnap_format::{EdgeKind, HeapSnapshot, NodeIdx};
//! use heapsnap_graph::{HeapEdgeRef, HeapGraph};
//! use petgraph::visit::{Bfs, EdgeFiltered, EdgeRef, Reversed};
//! // root -> 1 -> 2 -> 3, 2 -> 1 (a cycle), root -> 4 -weak-> 3
//! let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
//!   "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],
//!   "edge_types":[["element","property","weak"]]},"node_count":5,"edge_count":6},
//!   "nodes":[0,0,1,0,2, 1,1,3,8,1, 1,1,5,8,2, 1,1,7,8,0, 1,1,9,8,1],
//!   "edges":[0,1,5, 0,2,20, 1,2,10, 1,2,15, 1,3,5, 2,2,15],
//!   "strings":["","A","next","back"]}"#;
//! let snap = HeapSnapshot::from_slice(json)?;
//! let graph = HeapGraph::new(&snap);
//!
//! let strong = EdgeFiltered::from_fn(&graph, |e: HeapEdgeRef<'_>| *e.weight() != EdgeKind::Weak);
//! let mut bfs = Bfs::new(Reversed(&strong), NodeIdx(3));
//! let mut retainers = Vec::new();
//! while let Some(n) = bfs.next(Reversed(&strong)) {
//!     retainers.push(n.0);
//! }
//! assert_eq!(retainers, [3, 2, 1, 0]); // node 4 only holds it weakly
//!
//! // Strongly connected components: {1, 2} is a cycle.
//! let mut sccs: Vec<Vec<u32>> = petgraph::algo::tarjan_scc(&graph)
//!     .into_iter()
//!     .map(|c| { let mut c: Vec<u32> = c.into_iter().map(|n| n.0).collect(); c.sort(); c })
//!     .collect();
//! sccs.sort();
//! assert_eq!(sccs, [vec![0], vec![1, 2], vec![3], vec![4]]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt::Write as _;
use std::iter::FusedIterator;
use std::ops::Range;
use std::slice;

use heapsnap_format::{EdgeIdx, EdgeKind, NodeIdx, NodeKind};
use petgraph::visit::{
    Data, EdgeCount, EdgeIndexable, EdgeRef, FilterNode, GraphBase, GraphProp, IntoEdgeReferences,
    IntoEdges, IntoEdgesDirected, IntoNeighbors, IntoNeighborsDirected, IntoNodeIdentifiers,
    IntoNodeReferences, NodeCompactIndexable, NodeCount, NodeFiltered, NodeIndexable, VisitMap,
    Visitable,
};
use petgraph::{Directed, Direction};

use crate::graph::HeapGraph;

// ---------------------------------------------------------------------------------------------
// NodeSet
// ---------------------------------------------------------------------------------------------

/// A fixed-size set of nodes, one bit per node position: the visit map of [`HeapGraph`].
///
/// Our own type (rather than petgraph's `FixedBitSet` map) so that [`NodeIdx`] needs no
/// `unsafe impl IndexType`. Inserting a node at or beyond [`capacity`](NodeSet::capacity) grows
/// the set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeSet {
    words: Vec<u64>,
    capacity: usize,
}

impl NodeSet {
    /// An empty set for nodes `0..capacity`.
    pub fn with_capacity(capacity: usize) -> NodeSet {
        NodeSet { words: vec![0; capacity.div_ceil(64)], capacity }
    }

    /// The number of node positions the set holds without growing.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Whether `n` is in the set.
    #[inline]
    pub fn contains(&self, n: NodeIdx) -> bool {
        let i = n.index();
        self.words.get(i >> 6).is_some_and(|w| w & (1 << (i & 63)) != 0)
    }

    /// Adds `n`; returns `true` if it was not in the set before.
    #[inline]
    pub fn insert(&mut self, n: NodeIdx) -> bool {
        let i = n.index();
        if i >= self.capacity {
            self.grow(i + 1);
        }
        let w = &mut self.words[i >> 6];
        let bit = 1 << (i & 63);
        let new = *w & bit == 0;
        *w |= bit;
        new
    }

    /// Removes `n`; returns `true` if it was in the set.
    #[inline]
    pub fn remove(&mut self, n: NodeIdx) -> bool {
        let i = n.index();
        match self.words.get_mut(i >> 6) {
            Some(w) => {
                let bit = 1 << (i & 63);
                let was = *w & bit != 0;
                *w &= !bit;
                was
            }
            None => false,
        }
    }

    /// Removes every node, keeping the capacity.
    pub fn clear(&mut self) {
        self.words.fill(0);
    }

    /// Grows the set to hold at least `capacity` node positions.
    pub fn grow(&mut self, capacity: usize) {
        if capacity > self.capacity {
            self.capacity = capacity;
            self.words.resize(capacity.div_ceil(64), 0);
        }
    }

    /// The number of nodes in the set.
    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    /// The nodes in the set, in increasing position.
    pub fn iter(&self) -> NodeSetIter<'_> {
        let mut words = self.words.iter();
        let current = words.next().copied().unwrap_or(0);
        NodeSetIter { words, base: 0, current }
    }
}

impl VisitMap<NodeIdx> for NodeSet {
    #[inline]
    fn visit(&mut self, a: NodeIdx) -> bool {
        self.insert(a)
    }

    #[inline]
    fn is_visited(&self, a: &NodeIdx) -> bool {
        self.contains(*a)
    }

    #[inline]
    fn unvisit(&mut self, a: NodeIdx) -> bool {
        self.remove(a)
    }
}

impl FilterNode<NodeIdx> for NodeSet {
    #[inline]
    fn include_node(&self, n: NodeIdx) -> bool {
        self.contains(n)
    }
}

impl FilterNode<NodeIdx> for &NodeSet {
    #[inline]
    fn include_node(&self, n: NodeIdx) -> bool {
        self.contains(n)
    }
}

impl Extend<NodeIdx> for NodeSet {
    fn extend<I: IntoIterator<Item = NodeIdx>>(&mut self, iter: I) {
        for n in iter {
            self.insert(n);
        }
    }
}

impl FromIterator<NodeIdx> for NodeSet {
    fn from_iter<I: IntoIterator<Item = NodeIdx>>(iter: I) -> NodeSet {
        let mut set = NodeSet::default();
        set.extend(iter);
        set
    }
}

impl<'a> IntoIterator for &'a NodeSet {
    type Item = NodeIdx;
    type IntoIter = NodeSetIter<'a>;
    fn into_iter(self) -> NodeSetIter<'a> {
        self.iter()
    }
}

/// The nodes of a [`NodeSet`] in increasing position ([`NodeSet::iter`]).
#[derive(Clone, Debug)]
pub struct NodeSetIter<'a> {
    words: slice::Iter<'a, u64>,
    /// Position of bit 0 of `current`.
    base: usize,
    /// The not yet returned bits of the current word.
    current: u64,
}

impl Iterator for NodeSetIter<'_> {
    type Item = NodeIdx;

    fn next(&mut self) -> Option<NodeIdx> {
        while self.current == 0 {
            self.current = *self.words.next()?;
            self.base += 64;
        }
        let bit = self.current.trailing_zeros() as usize;
        self.current &= self.current - 1;
        Some(NodeIdx((self.base + bit) as u32))
    }
}

impl FusedIterator for NodeSetIter<'_> {}

// ---------------------------------------------------------------------------------------------
// Edge references
// ---------------------------------------------------------------------------------------------

/// One edge as petgraph sees it: endpoints, position and a reference to its kind.
///
/// Edges from [`IntoEdgesDirected::edges_directed`] with `Incoming` keep their original
/// orientation: `source()` is the retainer and `target()` the node asked about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HeapEdgeRef<'a> {
    source: NodeIdx,
    target: NodeIdx,
    id: EdgeIdx,
    kind: &'a EdgeKind,
}

impl HeapEdgeRef<'_> {
    /// The edge's kind (the same as `*self.weight()`).
    #[inline]
    pub fn kind(&self) -> EdgeKind {
        *self.kind
    }
}

impl<'a> EdgeRef for HeapEdgeRef<'a> {
    type NodeId = NodeIdx;
    type EdgeId = EdgeIdx;
    type Weight = EdgeKind;

    #[inline]
    fn source(&self) -> NodeIdx {
        self.source
    }

    #[inline]
    fn target(&self) -> NodeIdx {
        self.target
    }

    #[inline]
    fn weight(&self) -> &'a EdgeKind {
        self.kind
    }

    #[inline]
    fn id(&self) -> EdgeIdx {
        self.id
    }
}

// ---------------------------------------------------------------------------------------------
// Iterators
// ---------------------------------------------------------------------------------------------

/// Neighbor nodes: the targets of a node's edges, or with `Incoming` the sources of its
/// retaining edges (one item per edge, so repeated neighbors repeat).
#[derive(Clone, Debug)]
pub struct Neighbors<'a>(slice::Iter<'a, u32>);

impl Iterator for Neighbors<'_> {
    type Item = NodeIdx;

    #[inline]
    fn next(&mut self) -> Option<NodeIdx> {
        self.0.next().map(|&n| NodeIdx(n))
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for Neighbors<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<NodeIdx> {
        self.0.next_back().map(|&n| NodeIdx(n))
    }
}

impl ExactSizeIterator for Neighbors<'_> {}
impl FusedIterator for Neighbors<'_> {}

#[derive(Clone, Debug)]
enum EdgesInner<'a> {
    /// A row of the forward CSR: edge positions `ids`, all from `source`.
    Out { source: NodeIdx, ids: Range<u32>, to: &'a [u32] },
    /// A row of the retainer index: parallel slices of edge positions and their sources.
    In { target: NodeIdx, edges: slice::Iter<'a, u32>, nodes: slice::Iter<'a, u32> },
}

/// Edge kinds looked up from the raw type column through the graph's 256-entry table.
#[derive(Clone, Copy, Debug)]
struct EdgeKinds<'a> {
    raw: &'a [u8],
    table: &'a [EdgeKind; 256],
}

impl<'a> EdgeKinds<'a> {
    #[inline]
    fn get(&self, e: u32) -> &'a EdgeKind {
        &self.table[usize::from(self.raw[e as usize])]
    }
}

/// The edges of one node, outgoing (file order) or incoming (by source node, then edge).
#[derive(Clone, Debug)]
pub struct Edges<'a> {
    inner: EdgesInner<'a>,
    kinds: EdgeKinds<'a>,
}

impl<'a> Iterator for Edges<'a> {
    type Item = HeapEdgeRef<'a>;

    #[inline]
    fn next(&mut self) -> Option<HeapEdgeRef<'a>> {
        let (source, target, e) = match &mut self.inner {
            EdgesInner::Out { source, ids, to } => {
                let e = ids.next()?;
                (*source, NodeIdx(to[e as usize]), e)
            }
            EdgesInner::In { target, edges, nodes } => {
                let e = *edges.next()?;
                let s = *nodes.next()?;
                (NodeIdx(s), *target, e)
            }
        };
        Some(HeapEdgeRef { source, target, id: EdgeIdx(e), kind: self.kinds.get(e) })
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match &self.inner {
            EdgesInner::Out { ids, .. } => ids.len(),
            EdgesInner::In { edges, .. } => edges.len(),
        };
        (n, Some(n))
    }
}

impl ExactSizeIterator for Edges<'_> {}
impl FusedIterator for Edges<'_> {}

/// Every edge of the graph, in position order (which is grouped by source node).
#[derive(Clone, Debug)]
pub struct EdgeReferences<'a> {
    first_edge: &'a [u32],
    to: &'a [u32],
    kinds: EdgeKinds<'a>,
    /// The source of the next edge (advanced past empty rows lazily).
    node: usize,
    ids: Range<u32>,
}

impl<'a> Iterator for EdgeReferences<'a> {
    type Item = HeapEdgeRef<'a>;

    #[inline]
    fn next(&mut self) -> Option<HeapEdgeRef<'a>> {
        let e = self.ids.next()?;
        while self.first_edge[self.node + 1] <= e {
            self.node += 1;
        }
        Some(HeapEdgeRef {
            source: NodeIdx(self.node as u32),
            target: NodeIdx(self.to[e as usize]),
            id: EdgeIdx(e),
            kind: self.kinds.get(e),
        })
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.ids.size_hint()
    }
}

impl ExactSizeIterator for EdgeReferences<'_> {}
impl FusedIterator for EdgeReferences<'_> {}

/// Every node position, `0..node_count`.
#[derive(Clone, Debug)]
pub struct NodeIdentifiers(Range<u32>);

impl Iterator for NodeIdentifiers {
    type Item = NodeIdx;

    #[inline]
    fn next(&mut self) -> Option<NodeIdx> {
        self.0.next().map(NodeIdx)
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for NodeIdentifiers {
    #[inline]
    fn next_back(&mut self) -> Option<NodeIdx> {
        self.0.next_back().map(NodeIdx)
    }
}

impl ExactSizeIterator for NodeIdentifiers {}
impl FusedIterator for NodeIdentifiers {}

/// Every node with a reference to its kind, in position order.
#[derive(Clone, Debug)]
pub struct NodeReferences<'a> {
    raw: slice::Iter<'a, u8>,
    table: &'a [NodeKind; 256],
    next: u32,
}

impl<'a> Iterator for NodeReferences<'a> {
    type Item = (NodeIdx, &'a NodeKind);

    #[inline]
    fn next(&mut self) -> Option<(NodeIdx, &'a NodeKind)> {
        let k = &self.table[usize::from(*self.raw.next()?)];
        let i = self.next;
        self.next += 1;
        Some((NodeIdx(i), k))
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.raw.size_hint()
    }
}

impl ExactSizeIterator for NodeReferences<'_> {}
impl FusedIterator for NodeReferences<'_> {}

// ---------------------------------------------------------------------------------------------
// Traits on HeapGraph (delegated by petgraph to &HeapGraph)
// ---------------------------------------------------------------------------------------------

impl GraphBase for HeapGraph<'_> {
    type NodeId = NodeIdx;
    type EdgeId = EdgeIdx;
}

impl GraphProp for HeapGraph<'_> {
    type EdgeType = Directed;
}

impl Data for HeapGraph<'_> {
    type NodeWeight = NodeKind;
    type EdgeWeight = EdgeKind;
}

impl NodeCount for HeapGraph<'_> {
    #[inline]
    fn node_count(&self) -> usize {
        HeapGraph::node_count(self)
    }
}

impl EdgeCount for HeapGraph<'_> {
    #[inline]
    fn edge_count(&self) -> usize {
        HeapGraph::edge_count(self)
    }
}

impl NodeIndexable for HeapGraph<'_> {
    #[inline]
    fn node_bound(&self) -> usize {
        HeapGraph::node_count(self)
    }

    #[inline]
    fn to_index(&self, a: NodeIdx) -> usize {
        a.index()
    }

    #[inline]
    fn from_index(&self, i: usize) -> NodeIdx {
        NodeIdx(i as u32)
    }
}

impl NodeCompactIndexable for HeapGraph<'_> {}

impl EdgeIndexable for HeapGraph<'_> {
    #[inline]
    fn edge_bound(&self) -> usize {
        HeapGraph::edge_count(self)
    }

    #[inline]
    fn to_index(&self, a: EdgeIdx) -> usize {
        a.index()
    }

    #[inline]
    fn from_index(&self, i: usize) -> EdgeIdx {
        EdgeIdx(i as u32)
    }
}

impl Visitable for HeapGraph<'_> {
    type Map = NodeSet;

    fn visit_map(&self) -> NodeSet {
        NodeSet::with_capacity(HeapGraph::node_count(self))
    }

    fn reset_map(&self, map: &mut NodeSet) {
        map.clear();
        map.grow(HeapGraph::node_count(self));
    }
}

// ---------------------------------------------------------------------------------------------
// Into* traits on &HeapGraph
// ---------------------------------------------------------------------------------------------

impl HeapGraph<'_> {
    /// The forward CSR row of `n`, as edge positions.
    #[inline]
    fn out_row(&self, n: NodeIdx) -> Range<u32> {
        self.snap.edge_range(n)
    }

    /// The retainer-index row of `n`, as positions into `retainer_edge`/`retainer_node`.
    #[inline]
    fn in_row(&self, n: NodeIdx) -> Range<usize> {
        let r = self.reverse();
        r.first[n.index()] as usize..r.first[n.index() + 1] as usize
    }

    #[inline]
    fn edge_kinds(&self) -> EdgeKinds<'_> {
        EdgeKinds { raw: self.snap.edge_types(), table: &self.edge_table }
    }
}

impl<'a> IntoNeighbors for &'a HeapGraph<'_> {
    type Neighbors = Neighbors<'a>;

    #[inline]
    fn neighbors(self, a: NodeIdx) -> Neighbors<'a> {
        let r = self.out_row(a);
        Neighbors(self.snap.edge_targets()[r.start as usize..r.end as usize].iter())
    }
}

impl<'a> IntoNeighborsDirected for &'a HeapGraph<'_> {
    type NeighborsDirected = Neighbors<'a>;

    #[inline]
    fn neighbors_directed(self, n: NodeIdx, d: Direction) -> Neighbors<'a> {
        match d {
            Direction::Outgoing => self.neighbors(n),
            Direction::Incoming => Neighbors(self.reverse().node[self.in_row(n)].iter()),
        }
    }
}

impl<'a> IntoEdgeReferences for &'a HeapGraph<'_> {
    type EdgeRef = HeapEdgeRef<'a>;
    type EdgeReferences = EdgeReferences<'a>;

    #[inline]
    fn edge_references(self) -> EdgeReferences<'a> {
        EdgeReferences {
            first_edge: self.snap.first_edges(),
            to: self.snap.edge_targets(),
            kinds: self.edge_kinds(),
            node: 0,
            ids: 0..self.snap.edge_count() as u32,
        }
    }
}

impl<'a> IntoEdges for &'a HeapGraph<'_> {
    type Edges = Edges<'a>;

    #[inline]
    fn edges(self, a: NodeIdx) -> Edges<'a> {
        Edges {
            inner: EdgesInner::Out {
                source: a,
                ids: self.out_row(a),
                to: self.snap.edge_targets(),
            },
            kinds: self.edge_kinds(),
        }
    }
}

impl<'a> IntoEdgesDirected for &'a HeapGraph<'_> {
    type EdgesDirected = Edges<'a>;

    #[inline]
    fn edges_directed(self, a: NodeIdx, dir: Direction) -> Edges<'a> {
        match dir {
            Direction::Outgoing => IntoEdges::edges(self, a),
            Direction::Incoming => {
                let r = self.in_row(a);
                Edges {
                    inner: EdgesInner::In {
                        target: a,
                        edges: self.reverse().edge[r.clone()].iter(),
                        nodes: self.reverse().node[r].iter(),
                    },
                    kinds: self.edge_kinds(),
                }
            }
        }
    }
}

impl IntoNodeIdentifiers for &HeapGraph<'_> {
    type NodeIdentifiers = NodeIdentifiers;

    #[inline]
    fn node_identifiers(self) -> NodeIdentifiers {
        NodeIdentifiers(0..self.snap.node_count() as u32)
    }
}

impl<'a> IntoNodeReferences for &'a HeapGraph<'_> {
    type NodeRef = (NodeIdx, &'a NodeKind);
    type NodeReferences = NodeReferences<'a>;

    #[inline]
    fn node_references(self) -> NodeReferences<'a> {
        NodeReferences { raw: self.snap.node_types().iter(), table: &self.node_table, next: 0 }
    }
}

// ---------------------------------------------------------------------------------------------
// DOT export
// ---------------------------------------------------------------------------------------------

/// Longest node or edge label [`HeapGraph::dot_subgraph`] writes, in characters.
const DOT_LABEL_MAX: usize = 60;

/// Appends `s` to `out` as the inside of a DOT quoted string, cut to [`DOT_LABEL_MAX`] chars.
fn push_dot_escaped(out: &mut String, s: &str) {
    for (i, c) in s.chars().enumerate() {
        if i == DOT_LABEL_MAX {
            out.push('…');
            break;
        }
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
}

impl HeapGraph<'_> {
    /// Graphviz DOT text for the subgraph induced by `nodes`: those nodes and every edge between
    /// two of them.
    ///
    /// Nodes are written under their position, labelled `name @id`. Edges are labelled with
    /// their name (`[i]` for element and hidden edges), and weak edges are dashed. Long labels
    /// are cut to 60 characters. Positions out of range are ignored.
    ///
    /// # Complexity
    /// `O(n + m)` time over the whole graph (petgraph's `NodeFiltered` walks every edge), `O(n)`
    /// bits of extra space, plus the output.
    ///
    /// # Examples
    /// ```
    /// # let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
    /// #   "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],
    /// #   "edge_types":[["element","property"]]},"node_count":3,"edge_count":2},
    /// #   "nodes":[0,0,1,0,1, 1,1,3,8,1, 1,1,5,8,0],"edges":[1,2,5, 1,2,10],"strings":["","A","next"]}"#;
    /// use heapsnap_format::{HeapSnapshot, NodeIdx};
    /// let snap = HeapSnapshot::from_slice(json)?;
    /// let graph = heapsnap_graph::HeapGraph::new(&snap);
    /// let dot = graph.dot_subgraph(&[NodeIdx(1), NodeIdx(2)]);
    /// assert!(dot.contains(r#"1 [ label = "A @3" ]"#));
    /// assert!(dot.contains(r#"1 -> 2 [ label = "next" ]"#));
    /// assert!(!dot.contains("0 ->")); // the root is not in the subgraph
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn dot_subgraph(&self, nodes: &[NodeIdx]) -> String {
        use petgraph::dot::{Config, Dot};

        let n = HeapGraph::node_count(self);
        let mut keep = NodeSet::with_capacity(n);
        keep.extend(nodes.iter().copied().filter(|i| i.index() < n));
        let view = NodeFiltered(self, &keep);
        let snap = self.snap;
        let node_attr = |_, (i, _): (NodeIdx, &NodeKind)| {
            let node = snap.node(i);
            let mut s = String::from("label = \"");
            push_dot_escaped(&mut s, node.name());
            let _ = write!(s, " {}\" ", node.id());
            s
        };
        let edge_attr = |_, e: HeapEdgeRef<'_>| {
            let edge = snap.edge(e.id());
            let mut s = String::from("label = \"");
            match edge.name_str() {
                Some(name) => push_dot_escaped(&mut s, name),
                None => {
                    let _ = write!(s, "[{}]", edge.name_or_index());
                }
            }
            s.push_str("\" ");
            if e.kind() == EdgeKind::Weak {
                s.push_str("style = \"dashed\" ");
            }
            s
        };
        let dot = Dot::with_attr_getters(
            &view,
            &[Config::NodeNoLabel, Config::EdgeNoLabel],
            &edge_attr,
            &node_attr,
        );
        format!("{dot:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_set_basics() {
        let mut s = NodeSet::with_capacity(130);
        assert!(s.is_empty());
        assert!(s.insert(NodeIdx(0)));
        assert!(s.insert(NodeIdx(64)));
        assert!(s.insert(NodeIdx(129)));
        assert!(!s.insert(NodeIdx(64)));
        assert!(s.insert(NodeIdx(300))); // grows
        assert_eq!(s.capacity(), 301);
        assert_eq!(s.len(), 4);
        assert_eq!(s.iter().map(|n| n.0).collect::<Vec<_>>(), [0, 64, 129, 300]);
        assert!(s.remove(NodeIdx(64)));
        assert!(!s.remove(NodeIdx(64)));
        assert!(!s.remove(NodeIdx(10_000)));
        assert!(!s.contains(NodeIdx(10_000)));
        assert_eq!(s.iter().map(|n| n.0).collect::<Vec<_>>(), [0, 129, 300]);
        assert!(VisitMap::unvisit(&mut s, NodeIdx(0)));
        assert!(VisitMap::visit(&mut s, NodeIdx(1)));
        assert!(VisitMap::is_visited(&s, &NodeIdx(1)));
        s.clear();
        assert!(s.is_empty());
        assert_eq!(s.iter().next(), None);
        let t: NodeSet = [NodeIdx(5), NodeIdx(3)].into_iter().collect();
        assert_eq!((&t).into_iter().map(|n| n.0).collect::<Vec<_>>(), [3, 5]);
    }

    #[test]
    fn dot_escapes_and_truncates() {
        let mut s = String::new();
        push_dot_escaped(&mut s, "a\"b\\c\nd");
        assert_eq!(s, r#"a\"b\\c\nd"#);
        let mut s = String::new();
        push_dot_escaped(&mut s, &"x".repeat(100));
        assert_eq!(s.chars().count(), DOT_LABEL_MAX + 1);
        assert!(s.ends_with('…'));
    }
}
