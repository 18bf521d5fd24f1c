//! [`BaseIndex`]: what the comparison needs from the older snapshot, without its graph.
//!
//! DevTools matches objects by id within a class, so of the base we keep, per node: id,
//! shallow size (after the ownership transfer), class, retained size and dominator (for
//! retained-size deltas; optional, [`BaseOptions::retained`]), plus the property sets of
//! plain objects so that the newer snapshot's interface definitions can be applied later, as
//! DevTools' Comparison does. That is about 28
//! bytes per node, against several times that for the parsed snapshot and its graph, which
//! are dropped before the newer snapshot is loaded. Plus the signature of every object's
//! retaining path ([`Signatures`]: 4 bytes per node and the distinct path prefixes, made in
//! parallel with the shapes and locations; optional, [`BaseOptions::holders`]), so that the
//! objects the newer snapshot no longer has can be counted against the new ones held the same
//! way. Without both options the base needs no graph search at all (DevTools' Comparison
//! alone: what `heapsnap report` embeds). On a 1 GB snapshot of 13.4 M
//! nodes, `diff big big` peaks about 120 MB higher (2.29 -> 2.41 GB), in about the same
//! wall time.

use heapsnap_format::{HeapSnapshot, NoProgress, NodeIdx};
use heapsnap_graph::{
    Analysis, AnalysisOptions, Class, ClassColumns, HeapGraph, PathFinder, PathMode, PathTree,
    PlainShapes, Signatures,
};

/// What [`BaseIndex::with_options`] keeps of the older snapshot beyond DevTools' Comparison
/// (ids, classes, shallow sizes), each at the price of part of a whole analysis. `Default`
/// keeps everything.
///
/// ```
/// use heapsnap_diff::BaseOptions;
/// // DevTools' Comparison only: no dominator tree and no retaining paths of the base.
/// let opts = BaseOptions::default().retained(false).holders(false);
/// assert!(!opts.retained && !opts.holders);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct BaseOptions {
    /// How the retaining paths are chosen (the newer snapshot's holders must be grouped by
    /// the same mode: see [`DiffOptions::path_mode`](crate::DiffOptions::path_mode)).
    pub path_mode: PathMode,
    /// Keep retained sizes, for the classes' retained-size change
    /// ([`ClassDiff::retained_before`](crate::ClassDiff::retained_before)). They need the
    /// base's dominator tree: about half of its analysis.
    pub retained: bool,
    /// Keep every object's retaining-path signature, so that the new objects' holders are
    /// counted against the deleted objects held the same way (net growth, churn). They need
    /// the base's distances and a path search. Without them the report has no holders
    /// ([`ClassReport::holders`](crate::ClassReport::holders) empty).
    pub holders: bool,
}

impl Default for BaseOptions {
    fn default() -> Self {
        BaseOptions { path_mode: PathMode::default(), retained: true, holders: true }
    }
}

impl BaseOptions {
    /// Sets [`path_mode`](Self::path_mode).
    pub fn path_mode(mut self, path_mode: PathMode) -> Self {
        self.path_mode = path_mode;
        self
    }

    /// Sets [`retained`](Self::retained).
    pub fn retained(mut self, retained: bool) -> Self {
        self.retained = retained;
        self
    }

    /// Sets [`holders`](Self::holders).
    pub fn holders(mut self, holders: bool) -> Self {
        self.holders = holders;
        self
    }
}

/// The older snapshot, reduced to what a comparison needs.
#[derive(Debug)]
pub struct BaseIndex {
    pub(crate) ids: Vec<u32>,
    pub(crate) shallow: Vec<u32>,
    /// Retained sizes and dominators, empty without [`BaseOptions::retained`].
    pub(crate) retained: Vec<u64>,
    pub(crate) dominator: Vec<u32>,
    /// Class under the base's own interface definitions.
    pub(crate) own_class: Vec<u32>,
    pub(crate) classes: Vec<Class>,
    pub(crate) shapes: PlainShapes,
    /// Locations of plain objects (they key classes by location too), sparse, by node.
    pub(crate) plain_locations: Vec<(u32, (u32, u32, u32))>,
    pub(crate) root: u32,
    /// Node type per node, as an index into `type_names`.
    pub(crate) kind: Vec<u8>,
    pub(crate) type_names: Vec<String>,
    /// FNV-1a hash of each node's name, to tell whether an id still names the same object.
    pub(crate) name_hash: Vec<u32>,
    /// Number of objects DevTools could not reach from the root (counted by the dominator
    /// search: `None` without [`BaseOptions::retained`]).
    pub(crate) unreachable: Option<usize>,
    pub(crate) total_size: u64,
    /// The signature of each object's retaining path (without [`BaseOptions::holders`]: none).
    pub(crate) signatures: Option<Signatures>,
    /// The nodes by odd id, built on first use (the Comparison's matching and the id check
    /// share it; it lives as long as the index).
    odd: std::sync::OnceLock<OddIds>,
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
        BaseIndex::with_options(snap, &BaseOptions::default())
    }

    /// [`BaseIndex::new`], with the retaining paths chosen the way `mode` says (the newer
    /// snapshot's holders must be grouped by the same mode: see
    /// [`DiffOptions::path_mode`](crate::DiffOptions::path_mode)).
    pub fn with_path_mode(snap: &HeapSnapshot, mode: PathMode) -> BaseIndex {
        BaseIndex::with_options(snap, &BaseOptions::default().path_mode(mode))
    }

    /// [`BaseIndex::new`], keeping what `opts` asks for. Without retained sizes and holders
    /// the base costs its shallow sizes and class names only (no graph search); the
    /// Comparison's rows are the same.
    ///
    /// ```
    /// # let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
    /// #   "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],
    /// #   "edge_types":[["element","property","shortcut"]]},"node_count":2,"edge_count":1},
    /// #   "nodes":[0,0,1,0,1, 1,1,3,8,0],"edges":[2,0,5],"strings":["","global"]}"#;
    /// use heapsnap_diff::{BaseIndex, BaseOptions};
    /// let snap = heapsnap_format::HeapSnapshot::from_slice(json)?;
    /// let light = BaseIndex::with_options(&snap, &BaseOptions::default().retained(false).holders(false));
    /// let full = BaseIndex::new(&snap);
    /// assert_eq!(light.total_size(), full.total_size());
    /// assert!(!light.has_retained() && light.signatures().is_none() && light.unreachable().is_none());
    /// assert_eq!(full.unreachable(), Some(0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_options(snap: &HeapSnapshot, opts: &BaseOptions) -> BaseIndex {
        BaseIndex {
            ids: snap.node_ids().to_vec(),
            kind: snap.node_types().to_vec(),
            ..BaseIndex::index(snap, opts)
        }
    }

    /// [`BaseIndex::with_options`] of a snapshot that is not needed afterwards: its node ids
    /// and types are kept as they are instead of copied (for a 1 GB snapshot, 65 MB less to
    /// write and no second copy alive while the snapshot is dropped).
    ///
    /// ```
    /// # let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
    /// #   "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],
    /// #   "edge_types":[["element","property","shortcut"]]},"node_count":2,"edge_count":1},
    /// #   "nodes":[0,0,1,0,1, 1,1,3,8,0],"edges":[2,0,5],"strings":["","global"]}"#;
    /// use heapsnap_diff::{BaseIndex, BaseOptions};
    /// use heapsnap_format::HeapSnapshot;
    /// let opts = BaseOptions::default();
    /// let copied = BaseIndex::with_options(&HeapSnapshot::from_slice(json)?, &opts);
    /// let moved = BaseIndex::from_snapshot(HeapSnapshot::from_slice(json)?, &opts);
    /// assert_eq!(moved.node_count(), copied.node_count());
    /// assert_eq!(moved.total_size(), copied.total_size());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_snapshot(snap: HeapSnapshot, opts: &BaseOptions) -> BaseIndex {
        let base = BaseIndex::index(&snap, opts);
        let cols = snap.into_node_columns();
        BaseIndex { ids: cols.ids, kind: cols.types, ..base }
    }

    /// Everything but the node ids and types.
    fn index(snap: &HeapSnapshot, opts: &BaseOptions) -> BaseIndex {
        let g = HeapGraph::new(snap);
        let aopts = AnalysisOptions::default();
        let mode = opts.path_mode;
        // A whole analysis when retained sizes or paths are wanted (paths need DevTools'
        // distances); the search-free columns otherwise.
        let (cols, rest) = if opts.retained || opts.holders {
            // The paths (for the holders) are chosen while the dominators are computed.
            let (mut a, tree) = Analysis::with_side_work(&g, &aopts, &mut NoProgress, |d| {
                opts.holders.then(|| PathTree::from_distances(&g, d, mode))
            });
            let (signatures, shapes) = rayon::join(
                || {
                    tree.map(|tree| match PathFinder::with_tree(&g, &a, tree) {
                        Ok(finder) => Signatures::new(&finder),
                        Err(e) => unreachable!("the tree was searched on this graph: {e}"),
                    })
                },
                || PlainShapes::new(&g),
            );
            let retained = if opts.retained {
                // A copy of the dominators (4 bytes per node, while the analysis's own columns
                // are still alive: below the peak of the dominator computation that made them).
                let dominator = a.dominators().to_vec();
                (std::mem::take(&mut a.retained), dominator, Some(a.unreachable))
            } else {
                (Vec::new(), Vec::new(), None)
            };
            let cols = Columns { shallow: a.shallow, classes: a.classes, total_size: a.total_size };
            (cols, (signatures, shapes, retained))
        } else {
            // The class naming groups the plain objects by property list: their shapes too.
            let c = ClassColumns::new(&g, &aopts);
            let cols = Columns { shallow: c.shallow, classes: c.classes, total_size: c.total_size };
            (cols, (None, c.shapes, (Vec::new(), Vec::new(), None)))
        };
        let (signatures, shapes, (retained, dominator, unreachable)) = rest;
        // The graph's locations (read once: the class keys used them).
        let plain_locations = g
            .locations()
            .iter()
            .filter(|(n, _)| shapes.of_node[n.index()] != u32::MAX)
            .map(|(n, l)| (n.0, l))
            .collect();
        BaseIndex {
            // Filled by the caller ([`BaseIndex::with_options`], [`BaseIndex::from_snapshot`]).
            ids: Vec::new(),
            shallow: cols.shallow,
            retained,
            dominator,
            own_class: cols.classes.of_node,
            classes: cols.classes.classes,
            shapes,
            plain_locations,
            root: g.root().0,
            kind: Vec::new(),
            type_names: snap.meta().node_type_names().to_vec(),
            name_hash: identity_name_hashes(snap),
            unreachable,
            total_size: cols.total_size,
            signatures,
            odd: std::sync::OnceLock::new(),
        }
    }

    /// The nodes by odd (JS object) id ([`OddIds`]), built on first use.
    pub(crate) fn odd_ids(&self) -> &OddIds {
        self.odd.get_or_init(|| OddIds::new(&self.ids))
    }

    /// Number of nodes in the base snapshot.
    pub fn node_count(&self) -> usize {
        self.ids.len()
    }

    /// DevTools' total size of the base snapshot.
    pub fn total_size(&self) -> u64 {
        self.total_size
    }

    /// Number of base objects DevTools could not reach from the root; `None` when the base
    /// was indexed without retained sizes (the count comes from the dominator search).
    pub fn unreachable(&self) -> Option<usize> {
        self.unreachable
    }

    /// Whether the base kept its retained sizes ([`BaseOptions::retained`]).
    pub fn has_retained(&self) -> bool {
        !self.retained.is_empty() || self.ids.is_empty()
    }

    /// The signature of each base object's retaining path; `None` when the base was indexed
    /// without holders ([`BaseOptions::holders`]).
    pub fn signatures(&self) -> Option<&Signatures> {
        self.signatures.as_ref()
    }

    /// The base's root node.
    pub fn root(&self) -> NodeIdx {
        NodeIdx(self.root)
    }
}

/// The per-node columns both ways of indexing give.
struct Columns {
    shallow: Vec<u32>,
    classes: heapsnap_graph::Classes,
    total_size: u64,
}

/// The FNV-1a hash of every node's [identity name](heapsnap_format::NodeRef::identity_name),
/// each distinct name hashed once (node names are mostly a few class names; nodes named by
/// their value all have the empty identity name).
pub(crate) fn identity_name_hashes(snap: &HeapSnapshot) -> Vec<u32> {
    const UNSET: u32 = 0;
    let empty = fnv1a("");
    // Per string: its hash + 1 (0: not hashed yet). A collision of h + 1 with 0 only costs a
    // second hashing.
    let mut memo = vec![UNSET; snap.strings().len()];
    let types = snap.node_types();
    let names = snap.node_names();
    let meta = snap.meta();
    let by_value: Vec<bool> = (0..=u8::MAX).map(|t| meta.node_kind(t).named_by_value()).collect();
    let mut out = Vec::with_capacity(names.len());
    for (i, &name) in names.iter().enumerate() {
        if by_value[usize::from(types[i])] {
            out.push(empty);
            continue;
        }
        let slot = memo.get_mut(name as usize);
        let h = match slot {
            Some(m) if *m != UNSET => m.wrapping_sub(1),
            Some(m) => {
                let h = fnv1a(snap.strings().get(heapsnap_format::StringIdx(name)).unwrap_or(""));
                *m = h.wrapping_add(1);
                h
            }
            None => fnv1a(""),
        };
        out.push(h);
    }
    out
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

/// A snapshot's odd (JS object) ids, to find a node by id: a table indexed by `id / 2` when
/// the ids are dense enough (the usual case: one pass, one memory access per lookup), else
/// sorted (id, position) pairs searched by bisection. A repeated id finds its first node.
#[derive(Debug)]
pub(crate) struct OddIds {
    table: Vec<u32>,
    sorted: Vec<(u32, u32)>,
    /// Odd ids, repeats included.
    pub(crate) count: u64,
    /// Whether an odd id repeats (known in the table form only; `false` when sorted).
    repeats: bool,
}

impl OddIds {
    const NONE: u32 = u32::MAX;

    pub(crate) fn new(ids: &[u32]) -> OddIds {
        let max = ids.iter().filter(|&&id| id % 2 == 1).max().copied().unwrap_or(0);
        let count = ids.iter().filter(|&&id| id % 2 == 1).count() as u64;
        if (max / 2) as usize <= 4 * ids.len() + (1 << 20) {
            let mut table = vec![OddIds::NONE; (max / 2) as usize + 1];
            let mut repeats = false;
            for (i, &id) in ids.iter().enumerate() {
                if id % 2 == 1 {
                    let slot = &mut table[(id / 2) as usize];
                    if *slot == OddIds::NONE {
                        *slot = i as u32;
                    } else {
                        repeats = true;
                    }
                }
            }
            return OddIds { table, sorted: Vec::new(), count, repeats };
        }
        let mut sorted: Vec<(u32, u32)> = ids
            .iter()
            .enumerate()
            .filter(|(_, id)| *id % 2 == 1)
            .map(|(i, &id)| (id, i as u32))
            .collect();
        // Sequential: this runs inside the index's `OnceLock`, where a parallel sort could
        // steal a job that asks for the same table and wait for itself.
        sorted.sort_unstable();
        OddIds { table: Vec::new(), sorted, count, repeats: false }
    }

    /// The table of every odd id's single node: `None` when the ids are too sparse for a
    /// table or one repeats.
    pub(crate) fn unique_table(&self) -> Option<&[u32]> {
        (self.sorted.is_empty() && !self.repeats).then_some(&self.table)
    }

    /// The (first) node with the odd id `id`.
    #[inline]
    pub(crate) fn get(&self, id: u32) -> Option<usize> {
        if self.sorted.is_empty() {
            let i = *self.table.get((id / 2) as usize)?;
            return (i != OddIds::NONE).then_some(i as usize);
        }
        let at = self.sorted.partition_point(|x| x.0 < id);
        self.sorted.get(at).filter(|x| x.0 == id).map(|x| x.1 as usize)
    }
}

#[cfg(test)]
mod tests {
    use heapsnap_format::HeapSnapshot;

    use super::{BaseIndex, BaseOptions, OddIds, fnv1a, identity_name_hashes};

    /// An index of a snapshot given away keeps the same ids and types as one of a borrowed
    /// snapshot, and the same everything else.
    #[test]
    fn from_snapshot_keeps_the_columns_with_options_copies() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../snapshots");
        let read = || HeapSnapshot::from_path(root.join("store/store-baseline.heapsnapshot.gz"));
        let snap = read().unwrap();
        let opts = BaseOptions::default();
        let copied = BaseIndex::with_options(&snap, &opts);
        assert_eq!(copied.ids, snap.node_ids());
        assert_eq!(copied.kind, snap.node_types());
        let moved = BaseIndex::from_snapshot(read().unwrap(), &opts);
        assert_eq!(format!("{moved:?}"), format!("{copied:?}"));
    }

    /// The odd-id table finds every node; a repeated odd id or ids too sparse for a table
    /// give no unique table (then the Comparison merges sorted lists instead).
    #[test]
    fn odd_ids_table_and_its_refusals() {
        let t = OddIds::new(&[1, 2, 5, 3, 8]);
        assert_eq!((t.get(1), t.get(5), t.get(3), t.get(7)), (Some(0), Some(2), Some(3), None));
        assert_eq!(t.count, 3);
        assert_eq!(t.unique_table().map(<[u32]>::len), Some(3));
        let repeated = OddIds::new(&[1, 3, 1]);
        assert_eq!(repeated.get(1), Some(0), "the first node");
        assert!(repeated.unique_table().is_none());
        let sparse = OddIds::new(&[1, u32::MAX]);
        assert_eq!((sparse.get(u32::MAX), sparse.get(3)), (Some(1), None));
        assert!(sparse.unique_table().is_none());
    }

    /// Hashing each distinct name once gives every node's own hash, on real heaps (Node,
    /// Chromium with DOM, Node 8).
    #[test]
    fn identity_hashes_are_per_node_hashes() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../snapshots");
        for f in ["app/app-target", "chrome-widgets", "versions/node8-leak-target"] {
            let snap = HeapSnapshot::from_path(root.join(format!("{f}.heapsnapshot.gz"))).unwrap();
            let want: Vec<u32> = snap.nodes().map(|n| fnv1a(n.identity_name())).collect();
            assert!(identity_name_hashes(&snap) == want, "{f}");
        }
    }
}
