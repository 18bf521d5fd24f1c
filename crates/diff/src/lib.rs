//! Compare two V8 heap snapshots of one process: Chrome DevTools' Comparison view, exactly,
//! plus what DevTools does not show (retained-size growth per class, who holds the new
//! objects).
//!
//! The older snapshot is reduced to a [`BaseIndex`] (ids, sizes, classes: no graph) before the
//! newer one is loaded, so a comparison holds one full graph at a time.
//!
//! ```
//! use heapsnap_format::{HeapSnapshot, NoProgress};
//! use heapsnap_graph::{Analysis, AnalysisOptions, HeapGraph};
//! let before = HeapSnapshot::from_slice(br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
//!   "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],
//!   "edge_types":[["element","property","shortcut"]]},"node_count":2,"edge_count":1},
//!   "nodes":[0,0,1,0,1, 1,1,3,8,0],"edges":[2,0,5],"strings":["","global","Leak","x"]}"#)?;
//! let base = heapsnap_diff::BaseIndex::new(&before);
//! drop(before);
//! let after = HeapSnapshot::from_slice(br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
//!   "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],
//!   "edge_types":[["element","property","shortcut"]]},"node_count":3,"edge_count":2},
//!   "nodes":[0,0,1,0,1, 1,1,3,8,1, 1,2,5,32,0],"edges":[2,0,5, 1,3,10],"strings":["","global","Leak","x"]}"#)?;
//! let g = HeapGraph::new(&after);
//! let a = Analysis::new(&g, &AnalysisOptions::default(), &mut NoProgress);
//! let rows = heapsnap_diff::compare(&base, &g, &a);
//! let leak = rows.iter().find(|r| r.name == "Leak").unwrap();
//! assert_eq!((leak.new_count, leak.deleted_count, leak.alloc_size), (1, 0, 32));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Threads and panics
//!
//! [`compare`] and [`DiffReport::new`] run their two halves with `rayon::join` (and parallel
//! iterators) on rayon's global thread pool: as many threads as `RAYON_NUM_THREADS` or the
//! cores, unless the program configured the global pool or calls them inside its own
//! `pool.install`. Nothing here prints or keeps global state. The graph and the analysis
//! must be of the same (newer) snapshot (`heapsnap_graph::Analysis::check`; a
//! [`heapsnap_graph::Heap`] keeps them together): otherwise building the report panics.

#![deny(missing_docs)]

mod base;
mod compare;
mod emit;
mod gate;
mod options;
mod report;

pub use base::{BaseIndex, BaseOptions};
pub use compare::{ClassDiff, compare, compare_with_retained, compare_with_tree};
pub use emit::new_objects_snapshot;
pub use gate::{ClassRule, Gate, GateFailure, Limit};
pub use report::{
    Breakdown, ClassReport, DiffOptions, DiffReport, HolderGroup, NameDiff, Noise, check_ids,
};
