//! Read and write V8 `.heapsnapshot` files (Chrome DevTools' heap snapshot format).
//!
//! [`HeapSnapshot`] holds a parsed snapshot as struct-of-arrays columns: one `u32` (or `u8`)
//! per field and node or edge, all strings in one buffer, no per-node heap objects. Field
//! layouts and type names are read by *name* from `snapshot.meta`, so every V8 layout parses
//! (6 or 7 node fields, with or without `trace_node_id` and `detachedness`, any type list), and
//! unknown fields and sections are kept so a write reproduces them.
//!
//! ```
//! use heapsnap_format::{HeapSnapshot, NodeKind};
//! let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
//!   "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],
//!   "edge_types":[["element","property"]]},"node_count":2,"edge_count":1},
//!   "nodes":[0,0,1,0,1, 1,1,3,32,0],"edges":[1,2,5],"trace_function_infos":[],"trace_tree":[],
//!   "samples":[],"locations":[],"strings":["","Point","x"]}"#;
//! let snap = HeapSnapshot::from_slice(json)?;
//! let point = snap.nodes().find(|n| n.kind() == NodeKind::Object).unwrap();
//! assert_eq!((point.name(), point.self_size()), ("Point", 32));
//! assert_eq!(snap.total_self_size(), 32);
//!
//! // Round trip: what we write parses back to the same columns.
//! let mut out = Vec::new();
//! snap.write_to(&mut out)?;
//! assert_eq!(HeapSnapshot::from_slice(&out)?, snap);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Gzipped input is detected by its magic bytes; [`HeapSnapshot::write_path`] writes through a
//! temporary file and renames it, so a failed write never leaves half a file behind.
//!
//! # Threads and panics
//!
//! Parsing a big file or slice reads (and decompresses) on the calling thread and parses on a
//! second, scoped thread (`heapsnap-parse`) that has ended when the call returns; nothing else
//! starts threads, prints or keeps global state. Malformed input is an [`Error`], never a
//! panic. What panics is a caller's index out of range ([`HeapSnapshot::node`],
//! [`HeapSnapshot::edge`], the `# Panics` sections say which): indices from the snapshot
//! itself (its edges' targets, [`HeapSnapshot::find`], [`HeapSnapshot::root`]) always are in
//! range.

#![deny(missing_docs)]

mod error;
mod ids;
mod meta;
mod output;
mod parse;
mod progress;
pub mod redact;
mod snapshot;
mod strings;
mod subset;
mod write;

pub use error::{Error, Result, Section, Warning};
pub use ids::{EdgeIdx, NodeIdx, ObjectId, ParseObjectIdError, StringIdx};
pub use meta::{EdgeKind, Meta, NodeKind};
pub use output::{OutputFile, OutputPolicy, same_file};
pub use parse::ParseOptions;
pub use progress::{NoProgress, Progress};
pub use redact::{RedactOptions, RedactStats};
pub use snapshot::{EdgeRef, HeapSnapshot, NodeColumns, NodeRef, TraceTree};
pub use strings::Strings;
pub use write::WriteOptions;

#[cfg(test)]
mod tests;
