//! [`HeapSnapshot`]: the parsed snapshot as struct-of-arrays columns, and borrowed views into it.

use std::ops::Range;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::error::Warning;
use crate::ids::{EdgeIdx, NodeIdx, ObjectId, StringIdx};
use crate::meta::{EdgeKind, Meta, NodeKind};
use crate::strings::Strings;

/// `trace_tree` (allocation tracking), stored flat in pre-order.
///
/// Invariant: each tree node is `value_fields` numbers (every field of
/// `meta.trace_node_fields` but the last, `children`) followed by its child count; its children
/// follow it, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceTree {
    pub(crate) value_fields: usize,
    pub(crate) flat: Vec<u32>,
}

impl TraceTree {
    /// Number of tree nodes.
    pub fn len(&self) -> usize {
        self.flat.len().checked_div(self.value_fields + 1).unwrap_or(0)
    }

    /// True when the tree is empty (`[]`, allocation tracking off).
    pub fn is_empty(&self) -> bool {
        self.flat.is_empty()
    }

    /// Numbers per tree node before its child count: every field of
    /// `meta.trace_node_fields` but the last (`children`), in that order.
    pub fn value_fields(&self) -> usize {
        self.value_fields
    }

    /// The tree, flat in pre-order: per node its [`value_fields`](TraceTree::value_fields)
    /// numbers, then its child count; its children follow it, in order.
    ///
    /// ```
    /// # let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","trace_node_id"],
    /// #   "node_types":[["synthetic"]],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["element"]],
    /// #   "trace_function_info_fields":["function_id","name","script_name","script_id","line","column"],
    /// #   "trace_node_fields":["id","function_info_index","count","size","children"]},
    /// #   "node_count":1,"edge_count":0,"trace_function_count":2},
    /// #   "nodes":[0,0,1,0,0,2],"edges":[],"trace_function_infos":[1,0,0,0,0,0, 2,1,0,0,3,4],
    /// #   "trace_tree":[1,0,0,0,[2,1,1,16,[]]],"strings":["(root)","f"]}"#;
    /// let snap = heapsnap_format::HeapSnapshot::from_slice(json)?;
    /// let tree = snap.trace_tree().unwrap();
    /// assert_eq!(tree.value_fields(), 4);
    /// // The root (id 1, function 0) with one child (id 2, function 1, 1 object of 16 bytes).
    /// assert_eq!(tree.flat(), &[1, 0, 0, 0, 1, 2, 1, 1, 16, 0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn flat(&self) -> &[u32] {
        &self.flat
    }
}

/// A parsed V8 heap snapshot.
///
/// Nodes and edges are kept as columns (one `Vec` per field, `u32` or `u8` per value) exactly as
/// V8 laid them out: node `i`'s edges are `first_edge[i]..first_edge[i + 1]`. Edge targets are
/// stored as node positions (V8's `to_node` divided by the node field count).
///
/// ```
/// use heapsnap_format::HeapSnapshot;
/// let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
///   "node_types":[["hidden","object"]],"edge_fields":["type","name_or_index","to_node"],
///   "edge_types":[["property"]]},"node_count":2,"edge_count":1},
///   "nodes":[0,1,1,0,1, 1,2,3,40,0],"edges":[0,3,5],"strings":["","root","Foo","next"]}"#;
/// let snap = HeapSnapshot::from_slice(json)?;
/// assert_eq!(snap.node_count(), 2);
/// let foo = snap.node(heapsnap_format::NodeIdx(1));
/// assert_eq!((foo.name(), foo.self_size(), foo.id().to_string()), ("Foo", 40, "@3".to_string()));
/// let edge = snap.node(heapsnap_format::NodeIdx(0)).edges().next().unwrap();
/// assert_eq!((edge.name_str(), edge.to()), (Some("next"), heapsnap_format::NodeIdx(1)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct HeapSnapshot {
    /// The `snapshot` object as read (with `meta`), in file key order.
    pub(crate) header: Map<String, Value>,
    pub(crate) meta: Meta,
    pub(crate) node_type: Vec<u8>,
    pub(crate) node_name: Vec<u32>,
    pub(crate) node_id: Vec<u32>,
    pub(crate) node_self_size: Vec<u32>,
    /// Prefix sums of `edge_count`: `node_count + 1` entries.
    pub(crate) first_edge: Vec<u32>,
    /// Empty when the layout has no `trace_node_id` or every value is 0 (the usual case:
    /// V8 writes 0 unless allocation tracking was on).
    pub(crate) node_trace_node_id: Vec<u32>,
    /// Empty when the layout has no `detachedness`.
    pub(crate) node_detachedness: Vec<u8>,
    pub(crate) node_extra: Vec<Vec<u32>>,
    pub(crate) edge_type: Vec<u8>,
    pub(crate) edge_name_or_index: Vec<u32>,
    pub(crate) edge_to: Vec<u32>,
    pub(crate) edge_extra: Vec<Vec<u32>>,
    pub(crate) trace_function_infos: Option<Vec<u32>>,
    pub(crate) trace_tree: Option<TraceTree>,
    pub(crate) samples: Option<Vec<u32>>,
    pub(crate) locations: Option<Vec<u32>>,
    /// Top-level keys this crate does not interpret, as raw JSON text, in file order.
    pub(crate) extra_sections: Vec<(String, Box<[u8]>)>,
    pub(crate) strings: Strings,
    pub(crate) warnings: Vec<Warning>,
    pub(crate) id_index: OnceLock<Vec<(u32, u32)>>,
}

impl PartialEq for HeapSnapshot {
    /// Content equality: every column, string, section and the header; warnings and caches are
    /// ignored.
    fn eq(&self, o: &Self) -> bool {
        self.header == o.header
            && self.meta == o.meta
            && self.node_type == o.node_type
            && self.node_name == o.node_name
            && self.node_id == o.node_id
            && self.node_self_size == o.node_self_size
            && self.first_edge == o.first_edge
            && self.node_trace_node_id == o.node_trace_node_id
            && self.node_detachedness == o.node_detachedness
            && self.node_extra == o.node_extra
            && self.edge_type == o.edge_type
            && self.edge_name_or_index == o.edge_name_or_index
            && self.edge_to == o.edge_to
            && self.edge_extra == o.edge_extra
            && self.trace_function_infos == o.trace_function_infos
            && self.trace_tree == o.trace_tree
            && self.samples == o.samples
            && self.locations == o.locations
            && self.extra_sections == o.extra_sections
            && self.strings == o.strings
    }
}

impl HeapSnapshot {
    /// The resolved `snapshot.meta`.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// The `snapshot` header object as read (including `meta`).
    pub fn header(&self) -> &Map<String, Value> {
        &self.header
    }

    /// Number of nodes.
    #[inline]
    pub fn node_count(&self) -> usize {
        self.node_id.len()
    }

    /// Number of edges.
    #[inline]
    pub fn edge_count(&self) -> usize {
        self.edge_to.len()
    }

    /// The string table.
    pub fn strings(&self) -> &Strings {
        &self.strings
    }

    /// The string at `i` (empty when out of range, which the parser rules out for names).
    #[inline]
    pub fn string(&self, i: StringIdx) -> &str {
        self.strings.get(i).unwrap_or("")
    }

    /// Sum of all nodes' `self_size`, as u64 (no wrap-around).
    pub fn total_self_size(&self) -> u64 {
        self.node_self_size.iter().map(|&s| u64::from(s)).sum()
    }

    /// `snapshot.extra_native_bytes` (recent V8), if present.
    pub fn extra_native_bytes(&self) -> Option<u64> {
        self.header.get("extra_native_bytes").and_then(Value::as_u64)
    }

    /// The root node: position 0 unless the header sets `root_index`, which DevTools reads as
    /// a node *array* index (position × node field count). V8 always puts the root first.
    pub fn root(&self) -> NodeIdx {
        let r = self.header.get("root_index").and_then(Value::as_u64).unwrap_or(0);
        let nf = self.meta.node_fields().len().max(1) as u64;
        NodeIdx(u32::try_from(r / nf).unwrap_or(0))
    }

    /// Warnings about inconsistencies V8 itself is known to write, tolerated while parsing.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// A view of node `i`.
    ///
    /// # Panics
    /// If `i` is not a node of this snapshot (`i.index() >= node_count()`).
    #[inline]
    pub fn node(&self, i: NodeIdx) -> NodeRef<'_> {
        assert!(i.index() < self.node_count(), "node index out of range");
        NodeRef { snap: self, idx: i }
    }

    /// All nodes in order.
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = NodeRef<'_>> + '_ {
        (0..self.node_count() as u32).map(move |i| NodeRef { snap: self, idx: NodeIdx(i) })
    }

    /// A view of edge `e`.
    ///
    /// # Panics
    /// If `e` is not an edge of this snapshot (`e.index() >= edge_count()`).
    #[inline]
    pub fn edge(&self, e: EdgeIdx) -> EdgeRef<'_> {
        assert!(e.index() < self.edge_count(), "edge index out of range");
        EdgeRef { snap: self, idx: e }
    }

    /// The range of edge positions belonging to node `i`.
    ///
    /// # Panics
    /// If `i` is not a node of this snapshot.
    #[inline]
    pub fn edge_range(&self, i: NodeIdx) -> Range<u32> {
        self.first_edge[i.index()]..self.first_edge[i.index() + 1]
    }

    /// The node with V8 object id `id`, if any. The first call builds an index (`O(n log n)`).
    pub fn find(&self, id: ObjectId) -> Option<NodeIdx> {
        let index = self.id_index.get_or_init(|| {
            let mut v: Vec<(u32, u32)> =
                self.node_id.iter().enumerate().map(|(i, &id)| (id, i as u32)).collect();
            v.sort_unstable();
            v
        });
        let at = index.partition_point(|&(x, _)| x < id.0);
        index.get(at).filter(|&&(x, _)| x == id.0).map(|&(_, i)| NodeIdx(i))
    }

    /// Column: raw node type values (index into `meta.node_types[0]`).
    pub fn node_types(&self) -> &[u8] {
        &self.node_type
    }
    /// Column: node name string indices.
    pub fn node_names(&self) -> &[u32] {
        &self.node_name
    }
    /// Column: node ids.
    pub fn node_ids(&self) -> &[u32] {
        &self.node_id
    }
    /// Column: node self sizes.
    pub fn node_self_sizes(&self) -> &[u32] {
        &self.node_self_size
    }

    /// The node columns, taken out of the snapshot (which is dropped): for an index that
    /// outlives the snapshot and keeps some of them, without copying tens of MB.
    ///
    /// ```
    /// # let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
    /// #   "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],
    /// #   "edge_types":[["element","property","shortcut"]]},"node_count":2,"edge_count":1},
    /// #   "nodes":[0,0,1,0,1, 1,1,3,8,0],"edges":[2,0,5],"strings":["","global"]}"#;
    /// let snap = heapsnap_format::HeapSnapshot::from_slice(json)?;
    /// let cols = snap.into_node_columns();
    /// assert_eq!(cols.ids, [1, 3]);
    /// assert_eq!(cols.types, [0, 1]);
    /// assert_eq!(cols.names, [0, 1]);
    /// assert_eq!(cols.self_sizes, [0, 8]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_node_columns(self) -> NodeColumns {
        NodeColumns {
            types: self.node_type,
            names: self.node_name,
            ids: self.node_id,
            self_sizes: self.node_self_size,
        }
    }
    /// Column: `node_count + 1` prefix sums of the nodes' edge counts.
    pub fn first_edges(&self) -> &[u32] {
        &self.first_edge
    }
    /// Column: node detachedness (0 unknown, 1 attached, 2 detached); empty if the layout lacks it.
    pub fn node_detachedness(&self) -> &[u8] {
        &self.node_detachedness
    }
    /// Column: node `trace_node_id`; empty if the layout lacks it or every value is 0.
    pub fn node_trace_node_ids(&self) -> &[u32] {
        &self.node_trace_node_id
    }
    /// Column: raw edge type values (index into `meta.edge_types[0]`).
    pub fn edge_types(&self) -> &[u8] {
        &self.edge_type
    }
    /// Column: edge `name_or_index`.
    pub fn edge_names_or_indices(&self) -> &[u32] {
        &self.edge_name_or_index
    }
    /// Column: edge targets as node positions.
    pub fn edge_targets(&self) -> &[u32] {
        &self.edge_to
    }
    /// `trace_function_infos`, flat, if the section was present.
    pub fn trace_function_infos(&self) -> Option<&[u32]> {
        self.trace_function_infos.as_deref()
    }
    /// `trace_tree`, if the section was present.
    pub fn trace_tree(&self) -> Option<&TraceTree> {
        self.trace_tree.as_ref()
    }
    /// `samples`, flat, if the section was present.
    pub fn samples(&self) -> Option<&[u32]> {
        self.samples.as_deref()
    }
    /// `locations`, flat, if the section was present. Unlike the file, the `object_index`
    /// field holds the node *position* (the file's node array index divided by the node field
    /// count), so the values stay right whatever layout the snapshot is written in.
    pub fn locations(&self) -> Option<&[u32]> {
        self.locations.as_deref()
    }
    /// Names of the top-level sections this crate keeps verbatim without interpreting them.
    pub fn extra_section_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.extra_sections.iter().map(|(k, _)| k.as_str())
    }
    /// The raw JSON text of an uninterpreted top-level section.
    pub fn extra_section(&self, key: &str) -> Option<&[u8]> {
        self.extra_sections.iter().find(|(k, _)| k == key).map(|(_, v)| &**v)
    }
}

/// A snapshot's node columns, in node order ([`HeapSnapshot::into_node_columns`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeColumns {
    /// Raw node type values ([`HeapSnapshot::node_types`]).
    pub types: Vec<u8>,
    /// Name string indices ([`HeapSnapshot::node_names`]).
    pub names: Vec<u32>,
    /// Node ids ([`HeapSnapshot::node_ids`]).
    pub ids: Vec<u32>,
    /// Self sizes ([`HeapSnapshot::node_self_sizes`]).
    pub self_sizes: Vec<u32>,
}

/// A borrowed view of one node.
#[derive(Clone, Copy, Debug)]
pub struct NodeRef<'a> {
    snap: &'a HeapSnapshot,
    idx: NodeIdx,
}

impl<'a> NodeRef<'a> {
    /// Position of the node.
    #[inline]
    pub fn idx(self) -> NodeIdx {
        self.idx
    }
    /// The node's type.
    #[inline]
    pub fn kind(self) -> NodeKind {
        self.snap.meta().node_kind(self.snap.node_type[self.idx.index()])
    }
    /// The node's type name as the file spells it.
    pub fn kind_name(self) -> &'a str {
        let raw = usize::from(self.snap.node_type[self.idx.index()]);
        self.snap.meta().node_type_names.get(raw).map(String::as_str).unwrap_or("")
    }
    /// The name that identifies the object across snapshots of one process: its name, or `""`
    /// for nodes [named by their value](NodeKind::named_by_value) (redaction replaces those
    /// names differently in each file; V8 strings never change anyway).
    pub fn identity_name(self) -> &'a str {
        if self.kind().named_by_value() { "" } else { self.name() }
    }
    /// The node's name.
    #[inline]
    pub fn name(self) -> &'a str {
        self.snap.string(StringIdx(self.snap.node_name[self.idx.index()]))
    }
    /// The node's V8 object id.
    #[inline]
    pub fn id(self) -> ObjectId {
        ObjectId(self.snap.node_id[self.idx.index()])
    }
    /// The node's self size in bytes, as V8 wrote it.
    #[inline]
    pub fn self_size(self) -> u64 {
        u64::from(self.snap.node_self_size[self.idx.index()])
    }
    /// Number of outgoing edges.
    #[inline]
    pub fn edge_count(self) -> usize {
        self.snap.edge_range(self.idx).len()
    }
    /// `detachedness` (0 unknown, 1 attached, 2 detached), if the layout has it.
    pub fn detachedness(self) -> Option<u8> {
        self.snap.node_detachedness.get(self.idx.index()).copied()
    }
    /// `trace_node_id`, if the layout has it.
    pub fn trace_node_id(self) -> Option<u32> {
        if self.snap.node_trace_node_id.is_empty() {
            return self.snap.meta.has_node_field("trace_node_id").then_some(0);
        }
        self.snap.node_trace_node_id.get(self.idx.index()).copied()
    }
    /// Outgoing edges in file order.
    pub fn edges(self) -> impl ExactSizeIterator<Item = EdgeRef<'a>> + 'a {
        let snap = self.snap;
        snap.edge_range(self.idx).map(move |e| EdgeRef { snap, idx: EdgeIdx(e) })
    }
}

/// A borrowed view of one edge.
#[derive(Clone, Copy, Debug)]
pub struct EdgeRef<'a> {
    snap: &'a HeapSnapshot,
    idx: EdgeIdx,
}

impl<'a> EdgeRef<'a> {
    /// Position of the edge.
    #[inline]
    pub fn idx(self) -> EdgeIdx {
        self.idx
    }
    /// The edge's type.
    #[inline]
    pub fn kind(self) -> EdgeKind {
        self.snap.meta().edge_kind(self.snap.edge_type[self.idx.index()])
    }
    /// The raw `name_or_index` value.
    #[inline]
    pub fn name_or_index(self) -> u32 {
        self.snap.edge_name_or_index[self.idx.index()]
    }
    /// The edge name for string-named kinds, `None` for `element` and `hidden` edges.
    pub fn name_str(self) -> Option<&'a str> {
        if self.kind().has_string_name() {
            self.snap.strings.get(StringIdx(self.name_or_index()))
        } else {
            None
        }
    }
    /// The target node.
    #[inline]
    pub fn to(self) -> NodeIdx {
        NodeIdx(self.snap.edge_to[self.idx.index()])
    }
}
