//! [`EssentialEdges`]: the edges DevTools computes dominators on, public so that petgraph's
//! dominator algorithms can run on exactly the graph ours do.

use heapsnap_format::EdgeIdx;

use crate::analysis::{Analysis, Bits, EphemeronNames, essential_edges};
use crate::graph::HeapGraph;

/// The essential edges of a snapshot (reference §2.5): the edges Chrome DevTools computes the
/// dominator tree on, and so retained sizes.
///
/// An edge is essential unless it is weak, a self-loop, a WeakMap entry edge from its own
/// table (the key → value ephemeron), a shortcut from a node other than the root, or an edge
/// from a node that is not a page object into one that is (DevTools'
/// [`FLAG_PAGE_OBJECT`](crate::FLAG_PAGE_OBJECT), which [`Analysis::flags`] holds).
///
/// Filter the graph with it ([`petgraph::visit::EdgeFiltered`]) and petgraph's
/// [`simple_fast`](petgraph::algo::dominators::simple_fast) gives the immediate dominators
/// that [`Analysis::dominator`] holds, for every node the essential edges reach from the
/// root. The rest are DevTools' convention, not dominators: [`Analysis`] hangs nodes the
/// essential edges do not reach off the root (also a node held both by the reachable graph and
/// by such a node, which `simple_fast` may place lower).
///
/// # Examples
///
/// petgraph's dominators on a real Node.js snapshot, checked against ours:
///
/// ```
/// use heapsnap_format::{HeapSnapshot, NoProgress, NodeIdx};
/// use heapsnap_graph::petgraph::algo::dominators::simple_fast;
/// use heapsnap_graph::petgraph::visit::{EdgeFiltered, EdgeRef};
/// use heapsnap_graph::{Analysis, AnalysisOptions, EssentialEdges, HeapEdgeRef, HeapGraph};
///
/// let snap = HeapSnapshot::from_path("../../snapshots/hello.heapsnapshot.gz")?;
/// let graph = HeapGraph::new(&snap);
/// let analysis = Analysis::new(&graph, &AnalysisOptions::default(), &mut NoProgress);
///
/// let essential = EssentialEdges::new(&graph, &analysis)?;
/// let view = EdgeFiltered::from_fn(&graph, |e: HeapEdgeRef<'_>| essential.contains(e.id()));
/// let doms = simple_fast(&view, graph.root());
///
/// let mut compared = 0;
/// for i in 0..graph.node_count() as u32 {
///     let v = NodeIdx(i);
///     if v == graph.root() || doms.dominators(v).is_none() {
///         continue; // not reached over essential edges: DevTools' convention applies
///     }
///     assert_eq!(doms.immediate_dominator(v), analysis.dominator(v), "node {i}");
///     compared += 1;
/// }
/// assert!(compared > graph.node_count() * 9 / 10);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Complexity
/// `O(nodes + edges)` time; one bit per edge.
#[derive(Debug)]
pub struct EssentialEdges {
    bits: Bits,
    len: usize,
}

impl EssentialEdges {
    /// The essential edges of `g`; `a` is its analysis (for the page-object flags).
    ///
    /// # Errors
    /// [`Mismatch`](crate::Mismatch) when `a` is not the analysis of `g`'s snapshot.
    pub fn new(g: &HeapGraph<'_>, a: &Analysis) -> Result<EssentialEdges, crate::Mismatch> {
        a.check(g)?;
        let eph = EphemeronNames::new(g.snapshot(), g);
        Ok(EssentialEdges { bits: essential_edges(g, &a.flags, &eph), len: g.edge_count() })
    }

    /// Whether edge `e` is essential (`false` for an edge beyond the snapshot's).
    #[inline]
    pub fn contains(&self, e: EdgeIdx) -> bool {
        e.index() < self.len && self.bits.get(e.index())
    }

    /// The number of essential edges.
    pub fn count(&self) -> usize {
        (0..self.len).filter(|&e| self.bits.get(e)).count()
    }
}
