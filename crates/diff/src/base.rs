//! [`BaseIndex`]: what the comparison needs from the older snapshot, without its graph.
//!
//! DevTools matches objects by id within a class, so of the base we keep, per node: id,
//! shallow size (after the ownership transfer), class, retained size and dominator (for
//! retained-size deltas), plus the property sets of plain objects so that the newer snapshot's
//! interface definitions can be applied later, as DevTools' Comparison does. That is about 28
//! bytes per node, against several times that for the parsed snapshot and its graph, which
//! are dropped before the newer snapshot is loaded. Plus the signature of every object's
//! retaining path ([`Signatures`]: 4 bytes per node and the distinct path prefixes, made in
//! parallel with the shapes and locations), so that the objects the newer snapshot no longer
//! has can be counted against the new ones held the same way. On a 1 GB snapshot of 13.4 M
//! nodes, `diff big big` peaks about 120 MB higher (2.29 -> 2.41 GB), in about the same
//! wall time.

use heapsnap_format::{HeapSnapshot, NoProgress, NodeIdx};
use heapsnap_graph::{
    Analysis, AnalysisOptions, Class, HeapGraph, PathFinder, PathMode, PlainShapes, Signatures,
    node_locations,
};

/// The older snapshot, reduced to what a comparison needs.
#[derive(Debug)]
pub struct BaseIndex {
    pub(crate) ids: Vec<u32>,
    pub(crate) shallow: Vec<u32>,
    pub(crate) retained: Vec<u64>,
    pub(crate) dominator: Vec<u32>,
    /// Class under the base's own interface definitions.
    pub(crate) own_class: Vec<u32>,
    pub(crate) classes: Vec<Class>,
    pub(crate) shapes: PlainShapes,
    /// Locations of plain objects (they key classes by location too), sparse.
    pub(crate) plain_locations: Vec<(u32, (u32, u32, u32))>,
    pub(crate) root: u32,
    /// Node type per node, as an index into `type_names`.
    pub(crate) kind: Vec<u8>,
    pub(crate) type_names: Vec<String>,
    /// FNV-1a hash of each node's name, to tell whether an id still names the same object.
    pub(crate) name_hash: Vec<u32>,
    /// Number of objects DevTools could not reach from the root.
    pub(crate) unreachable: usize,
    pub(crate) total_size: u64,
    /// The signature of each object's retaining path.
    pub(crate) signatures: Signatures,
}

impl BaseIndex {
    /// Analyzes `snap` and keeps only what a comparison needs.
    ///
    /// ```
    /// # let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
    /// #   "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],
    /// #   "edge_types":[["element","property","shortcut"]]},"node_count":2,"edge_count":1},
    /// #   "nodes":[0,0,1,0,1, 1,1,3,8,0],"edges":[2,0,5],"strings":["","global"]}"#;
    /// let snap = heapsnap_format::HeapSnapshot::from_slice(json)?;
    /// let base = heapsnap_diff::BaseIndex::new(&snap);
    /// assert_eq!(base.node_count(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(snap: &HeapSnapshot) -> BaseIndex {
        BaseIndex::with_path_mode(snap, PathMode::default())
    }

    /// [`BaseIndex::new`], with the retaining paths chosen the way `mode` says (the newer
    /// snapshot's holders must be grouped by the same mode: see
    /// [`DiffOptions::path_mode`](crate::DiffOptions::path_mode)).
    pub fn with_path_mode(snap: &HeapSnapshot, mode: PathMode) -> BaseIndex {
        let g = HeapGraph::new(snap);
        let a = Analysis::new(&g, &AnalysisOptions::default(), &mut NoProgress);
        let (signatures, (shapes, locations)) = rayon::join(
            || Signatures::new(&PathFinder::new(&g, &a, mode)),
            || (PlainShapes::new(&g), node_locations(&g)),
        );
        let plain_locations = locations
            .iter()
            .filter(|(n, _)| shapes.of_node[n.index()] != u32::MAX)
            .map(|(n, l)| (n.0, l))
            .collect();
        // A copy (4 bytes per node, while the analysis's own columns are still alive: below
        // the peak of the dominator computation that made them).
        let dominator = a.dominators().to_vec();
        BaseIndex {
            ids: snap.node_ids().to_vec(),
            shallow: a.shallow,
            retained: a.retained,
            dominator,
            own_class: a.classes.of_node,
            classes: a.classes.classes,
            shapes,
            plain_locations,
            root: g.root().0,
            kind: snap.node_types().to_vec(),
            type_names: snap.meta().node_type_names().to_vec(),
            name_hash: snap.nodes().map(|n| fnv1a(n.identity_name())).collect(),
            unreachable: a.unreachable,
            total_size: a.total_size,
            signatures,
        }
    }

    /// Number of nodes in the base snapshot.
    pub fn node_count(&self) -> usize {
        self.ids.len()
    }

    /// DevTools' total size of the base snapshot.
    pub fn total_size(&self) -> u64 {
        self.total_size
    }

    /// Number of base objects DevTools could not reach from the root.
    pub fn unreachable(&self) -> usize {
        self.unreachable
    }

    /// The signature of each base object's retaining path.
    pub fn signatures(&self) -> &Signatures {
        &self.signatures
    }

    /// The base's root node.
    pub fn root(&self) -> NodeIdx {
        NodeIdx(self.root)
    }
}

/// 32-bit FNV-1a.
pub(crate) fn fnv1a(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}
