//! Retainer-graph analysis of V8 heap snapshots, with Chrome DevTools' numbers.
//!
//! [`HeapGraph`] adds a reverse (retainer) index to a parsed
//! [`HeapSnapshot`](heapsnap_format::HeapSnapshot). [`Analysis`] then runs DevTools'
//! pipeline: detachedness and `Detached` names, the shallow-size ownership transfer, essential
//! edges, Lengauer–Tarjan dominators (with DevTools' convention for unreachable nodes), retained
//! sizes, distances, class names with `{a, b}` interface names and location-keyed class keys.
//! [`class_summaries`] gives the Summary view.
//!
//! [`path`] answers "why is this alive": it chooses the retaining path a person can act on
//! (through the program's own variables, `server.js: userCache`, avoiding runtime internals;
//! or DevTools' shortest), and writes it ([`PathFinder`], [`Holder`]; the notation is in its
//! docs). [`IdCheck`] tells whether two snapshots' object ids follow the same objects.
//! [`AllocationTraces`] reads the allocation trace tree of snapshots taken while V8 tracked
//! allocations: where each object was allocated, grouped into allocation sites.
//! [`StructuralKeys`] tell objects apart across snapshots whose ids do not follow objects
//! (separate inspector sessions, other processes): by retaining path, class and properties.
//!
//! ```
//! use heapsnap_format::HeapSnapshot;
//! use heapsnap_graph::{Analysis, AnalysisOptions, HeapGraph, class_summaries};
//! let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
//!   "node_types":[["synthetic","object","array"]],"edge_fields":["type","name_or_index","to_node"],
//!   "edge_types":[["element","property","shortcut","internal"]]},"node_count":4,"edge_count":3},
//!   "nodes":[0,0,1,0,1, 1,1,3,16,1, 1,2,5,24,1, 2,3,7,40,0],
//!   "edges":[2,0,5, 1,4,10, 3,5,15],
//!   "strings":["","global","Foo","(object elements)","foo","elements"]}"#;
//! let snap = HeapSnapshot::from_slice(json)?;
//! let graph = HeapGraph::new(&snap);
//! let analysis = Analysis::new(&graph, &AnalysisOptions::default(), &mut heapsnap_format::NoProgress);
//! // The array's 40 bytes are owned by Foo (DevTools' shallow-size transfer).
//! assert_eq!((analysis.shallow[2], analysis.shallow[3]), (64, 0));
//! let foo = class_summaries(&analysis, graph.root()).into_iter().find(|c| c.name == "Foo").unwrap();
//! assert_eq!((foo.count, foo.self_size, foo.retained_size, foo.distance), (1, 64, 64, 2));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`Heap`] keeps a snapshot, its graph and its analysis in one value. [`Analysis::dominator`],
//! [`Analysis::distance`] and [`PathTree::parent`] return `Option`s where DevTools' columns hold
//! sentinels. The crate's `examples/` are tasks an analyzer does, run as tests on real
//! snapshots: the largest classes (`top_classes`), a class's instances with their retaining
//! paths (`instances`), cycles with petgraph (`cycles`).
//!
//! # petgraph
//!
//! [`HeapGraph`] implements petgraph's visit traits with no copying ([`visit`] has the table of
//! traits and what each one yields), so petgraph's traversals and algorithms run on a
//! snapshot directly: `Dfs`, `Bfs`, `Reversed` (walking retainers), `EdgeFiltered`,
//! `tarjan_scc`, `has_path_connecting`, `dijkstra`, `Dot`. This crate re-exports the
//! [`petgraph`] it implements them for, so no second version can creep in. Filtered to the
//! [`EssentialEdges`], `dominators::simple_fast` gives the dominators DevTools (and
//! [`Analysis`]) computes.
//!
//! ```
//! use heapsnap_graph::{Heap, petgraph};
//! let heap = Heap::from_path("../../snapshots/hello.heapsnapshot.gz")?;
//! let graph = heap.graph();
//! let cycles = petgraph::algo::tarjan_scc(&graph).into_iter().filter(|c| c.len() > 1).count();
//! assert!(cycles > 0); // a real heap has cycles: every prototype and its constructor
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Panics
//!
//! Functions that take a node or an edge index panic when it is out of range for the snapshot
//! (their `# Panics` sections say so); indices that come from the snapshot, its graph or its
//! analysis always are in range. Functions that take a graph and an [`Analysis`] expect the
//! analysis of that graph's snapshot: check it with [`Analysis::check`], use the `try_`
//! constructors ([`PathFinder::try_new`]), or keep them together in a [`Heap`].
//!
//! # Threads
//!
//! [`Analysis::new`] runs its two independent halves with `rayon::join`, on rayon's global
//! thread pool (so with `RAYON_NUM_THREADS` threads, or as configured with
//! `rayon::ThreadPoolBuilder::build_global`; call it inside `pool.install` to use your own
//! pool). Nothing else in this crate starts threads, prints, or keeps global state.

#![deny(missing_docs)]

mod access;
mod alloc;
mod analysis;
mod classes;
mod dominators;
mod essential;
mod graph;
pub mod hash;
mod heap;
mod ids;
mod options;
pub mod path;
pub mod structure;
mod summary;
pub mod visit;
mod weakmap;

pub use access::{Mismatch, classes_named};
pub use alloc::{AllocationSite, AllocationTraces, Allocations, Frame, SiteOptions};
pub use analysis::{
    Analysis, AnalysisOptions, BASE_SYSTEM_DISTANCE, ClassColumns, FLAG_CAN_BE_QUERIED,
    FLAG_DETACHED_DOM, FLAG_PAGE_OBJECT, NO_DISTANCE,
};
pub use classes::{
    Class, Classes, InterfaceDef, InterfaceMatcher, NodeLocations, PlainShapes, node_locations,
    sort_js,
};
pub use essential::EssentialEdges;
pub use graph::HeapGraph;
pub use heap::Heap;
pub use ids::{IdCheck, IdVerdict};
pub use path::{
    EdgeStyle, Holder, NOTATION, NOTATION_NOTE, Origin, PathCost, PathFinder, PathMode,
    PathOptions, PathTree, RetainerPath, Runs, Signatures, Step, StepNode, closure_label,
    collapse_runs, edge_text, retainer_paths, start_label,
};
pub use structure::{MAX_OWN_PROPERTIES, StructuralKeys};
pub use summary::{
    ClassSummary, DominatorTree, class_retained, class_summaries, class_summaries_with_retained,
    class_summaries_with_tree,
};
pub use visit::{
    EdgeReferences, Edges, HeapEdgeRef, Neighbors, NodeIdentifiers, NodeReferences, NodeSet,
    NodeSetIter,
};
pub use weakmap::is_ephemeron_name;

/// The petgraph version [`HeapGraph`] implements the visit traits of.
pub use petgraph;

/// Real heaps for the crate's tests, each with its name: a Node app (module scopes, user
/// roots, unreachable objects), a Chromium page (script scopes, native context, page
/// objects), Chromium detached DOM (renamed nodes), the newest (Node 26: variable cells) and the
/// oldest (Node 8) layouts.
#[cfg(test)]
pub(crate) fn real_heaps() -> impl Iterator<Item = (&'static str, heapsnap_format::HeapSnapshot)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../snapshots");
    [
        "app/app-target.heapsnapshot.gz",
        "chrome-widgets.heapsnapshot.gz",
        "leaks/detached-dom-final.heapsnapshot.gz",
        "versions/node26-leak-target.heapsnapshot.gz",
        "versions/node8-leak-target.heapsnapshot.gz",
    ]
    .into_iter()
    .map(move |f| (f, heapsnap_format::HeapSnapshot::from_path(root.join(f)).unwrap()))
}
