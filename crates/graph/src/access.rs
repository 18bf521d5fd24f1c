//! Typed accessors of [`Analysis`] (the columns' sentinels turned into `Option`s), and the
//! check that an analysis belongs to a graph.

use heapsnap_format::NodeIdx;

use crate::analysis::{Analysis, NO_DISTANCE};
use crate::graph::HeapGraph;

/// An [`Analysis`] used with the graph of another snapshot: the node or edge counts differ.
///
/// Returned instead of wrong rows or an index panic; [`Heap`](crate::Heap) keeps a snapshot
/// with its own analysis, so it cannot happen there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Mismatch {
    /// (nodes, edges) of the snapshot the analysis (or path tree) was computed on.
    pub analysis: (usize, usize),
    /// (nodes, edges) of the graph it was used with.
    pub graph: (usize, usize),
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the analysis belongs to another snapshot: it has {} nodes and {} edges, the graph {} \
             nodes and {} edges",
            self.analysis.0, self.analysis.1, self.graph.0, self.graph.1
        )
    }
}

impl std::error::Error for Mismatch {}

impl Analysis {
    /// Checks that this is an analysis of `g`'s snapshot (same node and edge counts).
    ///
    /// Every function that takes a graph and an analysis assumes it: with another snapshot's
    /// analysis it would read the wrong rows, or index out of bounds.
    ///
    /// # Errors
    /// [`Mismatch`] when the counts differ.
    pub fn check(&self, g: &HeapGraph<'_>) -> Result<(), Mismatch> {
        let analysis = (self.node_count(), self.edge_count);
        let graph = (g.node_count(), g.edge_count());
        if analysis == graph { Ok(()) } else { Err(Mismatch { analysis, graph }) }
    }

    /// The number of nodes of the analysed snapshot.
    pub fn node_count(&self) -> usize {
        self.shallow.len()
    }

    /// The immediate dominator of `v` in DevTools' dominator tree; `None` for the root.
    ///
    /// Nodes that nothing reaches from the root over essential edges are dominated by the
    /// root (DevTools' convention).
    ///
    /// # Panics
    /// If `v` is not a node of the analysed snapshot (`v.index() >= node_count()`).
    #[inline]
    pub fn dominator(&self, v: NodeIdx) -> Option<NodeIdx> {
        let d = self.dominator[v.index()];
        (d != v.0).then_some(NodeIdx(d))
    }

    /// DevTools' distance of `v` (links from the user roots, at 1, or from the root); `None`
    /// when DevTools shows "—" (unreachable). Objects reachable only from `(GC roots)` have
    /// distances of [`BASE_SYSTEM_DISTANCE`](crate::BASE_SYSTEM_DISTANCE) and more when the
    /// snapshot has user roots.
    ///
    /// # Panics
    /// If `v` is not a node of the analysed snapshot.
    #[inline]
    pub fn distance(&self, v: NodeIdx) -> Option<u32> {
        let d = self.distance[v.index()];
        if d == NO_DISTANCE { None } else { u32::try_from(d).ok() }
    }

    /// The dominator column, raw, for loops over every node (walking dominator chains):
    /// `dominators()[v]` is `v`'s immediate dominator's position, and **the root holds its own
    /// position** (it has none). Elsewhere use [`dominator`](Self::dominator).
    #[inline]
    pub fn dominators(&self) -> &[u32] {
        &self.dominator
    }

    /// The distance column, raw, for loops over every node: DevTools' distances, with the
    /// sentinel [`NO_DISTANCE`] (`-5`) for unreachable nodes. Elsewhere use
    /// [`distance`](Self::distance).
    #[inline]
    pub fn distances(&self) -> &[i32] {
        &self.distance
    }

    /// `v`'s shallow size after DevTools' ownership transfer ("Shallow Size").
    ///
    /// # Panics
    /// If `v` is not a node of the analysed snapshot.
    #[inline]
    pub fn shallow_size(&self, v: NodeIdx) -> u32 {
        self.shallow[v.index()]
    }

    /// `v`'s retained size ("Retained Size").
    ///
    /// # Panics
    /// If `v` is not a node of the analysed snapshot.
    #[inline]
    pub fn retained_size(&self, v: NodeIdx) -> u64 {
        self.retained[v.index()]
    }
}

/// The rows of [`class_summaries`](crate::class_summaries) whose class name is `name`, largest
/// retained size first (ties by key).
///
/// A class row is keyed by its name and, for `object` nodes, the script location of its
/// constructor (`12,4,10,Session`), so one name can have several rows: instances of two
/// classes `Session` from different files. This finds them without knowing the locations.
///
/// ```
/// # let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
/// #   "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],
/// #   "edge_types":[["element","property","shortcut"]]},"node_count":3,"edge_count":2},
/// #   "nodes":[0,0,1,0,1, 1,1,3,8,1, 1,2,5,16,0],"edges":[2,0,5, 1,3,10],"strings":["","global","Foo","foo"]}"#;
/// use heapsnap_format::HeapSnapshot;
/// use heapsnap_graph::{Heap, class_summaries, classes_named};
/// let heap = Heap::new(HeapSnapshot::from_slice(json)?);
/// let rows = class_summaries(heap.analysis(), heap.graph().root());
/// let foo = classes_named(&rows, "Foo");
/// assert_eq!((foo.len(), foo[0].count, foo[0].self_size), (1, 1, 16));
/// assert!(classes_named(&rows, "Bar").is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn classes_named<'r>(
    rows: &'r [crate::ClassSummary],
    name: &str,
) -> Vec<&'r crate::ClassSummary> {
    let mut found: Vec<&crate::ClassSummary> = rows.iter().filter(|r| r.name == name).collect();
    found.sort_by(|a, b| b.retained_size.cmp(&a.retained_size).then_with(|| a.key.cmp(&b.key)));
    found
}
