//! `snapshot.meta`: field layouts and type names, resolved by *name*, never by position.

use serde_json::{Map, Value};

/// The type of a node, resolved by name from `meta.node_types[0]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum NodeKind {
    /// `hidden`: internal V8 object (DevTools class "(system)").
    Hidden,
    /// `array`: internal FixedArray-like.
    Array,
    /// `string`.
    String,
    /// `object`: JS object (also `system / Context`).
    Object,
    /// `code`: code, SharedFunctionInfo, ScopeInfo, ...
    Code,
    /// `closure`: JSFunction.
    Closure,
    /// `regexp`.
    RegExp,
    /// `number`: heap number or captured smi.
    Number,
    /// `native`: embedder (C++) object.
    Native,
    /// `synthetic`: grouping and root nodes.
    Synthetic,
    /// `concatenated string`.
    ConsString,
    /// `sliced string`.
    SlicedString,
    /// `symbol`.
    Symbol,
    /// `bigint`.
    BigInt,
    /// `object shape`: maps and descriptor arrays (newer V8).
    ObjectShape,
    /// `wasm object`.
    WasmObject,
    /// A type name this crate does not know; the value is its index in `meta.node_types[0]`.
    Other(u8),
}

impl NodeKind {
    /// Whether nodes of this kind are named by their value (strings, numbers, bigints, RegExp
    /// patterns) rather than by a class or function name. Such names are data:
    /// [`HeapSnapshot::redact`](crate::HeapSnapshot::redact) replaces them.
    pub fn named_by_value(self) -> bool {
        matches!(
            self,
            NodeKind::String
                | NodeKind::ConsString
                | NodeKind::SlicedString
                | NodeKind::Number
                | NodeKind::BigInt
                | NodeKind::RegExp
        )
    }

    fn from_name(name: &str, raw: u8) -> NodeKind {
        match name {
            "hidden" => NodeKind::Hidden,
            "array" => NodeKind::Array,
            "string" => NodeKind::String,
            "object" => NodeKind::Object,
            "code" => NodeKind::Code,
            "closure" => NodeKind::Closure,
            "regexp" => NodeKind::RegExp,
            "number" => NodeKind::Number,
            "native" => NodeKind::Native,
            "synthetic" => NodeKind::Synthetic,
            "concatenated string" => NodeKind::ConsString,
            "sliced string" => NodeKind::SlicedString,
            "symbol" => NodeKind::Symbol,
            "bigint" => NodeKind::BigInt,
            "object shape" => NodeKind::ObjectShape,
            "wasm object" => NodeKind::WasmObject,
            _ => NodeKind::Other(raw),
        }
    }

    /// True for the three string types.
    pub fn is_string(self) -> bool {
        matches!(self, NodeKind::String | NodeKind::ConsString | NodeKind::SlicedString)
    }
}

/// The type of an edge, resolved by name from `meta.edge_types[0]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EdgeKind {
    /// `context`: a variable in a function context.
    Context,
    /// `element`: an indexed element (numeric name).
    Element,
    /// `property`: a named property.
    Property,
    /// `internal`: not reachable from JS.
    Internal,
    /// `hidden`: internal and numbered (numeric name).
    Hidden,
    /// `shortcut`: skips intermediate nodes.
    Shortcut,
    /// `weak`: does not retain.
    Weak,
    /// An edge type name this crate does not know; the value is its index in `meta.edge_types[0]`.
    Other(u8),
}

impl EdgeKind {
    fn from_name(name: &str, raw: u8) -> EdgeKind {
        match name {
            "context" => EdgeKind::Context,
            "element" => EdgeKind::Element,
            "property" => EdgeKind::Property,
            "internal" => EdgeKind::Internal,
            "hidden" => EdgeKind::Hidden,
            "shortcut" => EdgeKind::Shortcut,
            "weak" => EdgeKind::Weak,
            _ => EdgeKind::Other(raw),
        }
    }

    /// Whether `name_or_index` is an index into `strings` (every kind but `element` and
    /// `hidden`, as DevTools reads it).
    pub fn has_string_name(self) -> bool {
        !matches!(self, EdgeKind::Element | EdgeKind::Hidden)
    }
}

/// Which column a field of the `nodes` array goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NodeField {
    Type,
    Name,
    Id,
    SelfSize,
    EdgeCount,
    TraceNodeId,
    Detachedness,
    /// A field this crate does not interpret: kept in an extra column for round-tripping.
    Extra(usize),
}

/// Which column a field of the `edges` array goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EdgeField {
    Type,
    NameOrIndex,
    ToNode,
    Extra(usize),
}

/// V8's node types in the order of its `HeapGraphNode::Type` enum, which the values in the
/// `nodes` array are. Every `meta.node_types[0]` written so far is a prefix of this list.
const V8_NODE_TYPES: [&str; 16] = [
    "hidden",
    "array",
    "string",
    "object",
    "code",
    "closure",
    "regexp",
    "number",
    "native",
    "synthetic",
    "concatenated string",
    "sliced string",
    "symbol",
    "bigint",
    "object shape",
    "wasm object",
];

/// The resolved `snapshot.meta`. The original JSON is kept verbatim for writing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Meta {
    pub(crate) raw: Map<String, Value>,
    pub(crate) node_fields: Vec<String>,
    pub(crate) node_field_map: Vec<NodeField>,
    /// The listed type names, then names for type values the nodes use beyond the list.
    pub(crate) node_type_names: Vec<String>,
    /// How many of `node_type_names` the file lists.
    pub(crate) listed_node_types: usize,
    pub(crate) node_kinds: Vec<NodeKind>,
    pub(crate) edge_fields: Vec<String>,
    pub(crate) edge_field_map: Vec<EdgeField>,
    pub(crate) edge_type_names: Vec<String>,
    pub(crate) edge_kinds: Vec<EdgeKind>,
    pub(crate) node_extra_fields: usize,
    pub(crate) edge_extra_fields: usize,
}

fn string_list(v: &Value, what: &str) -> Result<Vec<String>, String> {
    let arr = v.as_array().ok_or_else(|| format!("`{what}` is not an array"))?;
    arr.iter()
        .map(|s| {
            s.as_str().map(str::to_string).ok_or_else(|| format!("`{what}` has a non-string entry"))
        })
        .collect()
}

fn type_names(meta: &Map<String, Value>, key: &str) -> Result<Vec<String>, String> {
    let v = meta.get(key).ok_or_else(|| format!("meta has no `{key}`"))?;
    let first = v.as_array().and_then(|a| a.first()).ok_or_else(|| {
        format!("`meta.{key}` must be an array whose first element lists the type names")
    })?;
    let names = string_list(first, &format!("meta.{key}[0]"))?;
    if names.len() > 256 {
        return Err(format!(
            "`meta.{key}[0]` lists {} types; at most 256 are supported",
            names.len()
        ));
    }
    Ok(names)
}

impl Meta {
    /// Resolves a `meta` object. Errors are plain messages; the caller adds section and offset.
    pub(crate) fn from_json(raw: Map<String, Value>) -> Result<Meta, String> {
        let node_fields = string_list(
            raw.get("node_fields").ok_or("meta has no `node_fields`")?,
            "meta.node_fields",
        )?;
        let edge_fields = string_list(
            raw.get("edge_fields").ok_or("meta has no `edge_fields`")?,
            "meta.edge_fields",
        )?;
        let node_type_names = type_names(&raw, "node_types")?;
        let edge_type_names = type_names(&raw, "edge_types")?;

        let mut node_extra_fields = 0;
        let mut node_field_map = Vec::with_capacity(node_fields.len());
        for f in &node_fields {
            let field = match f.as_str() {
                "type" => NodeField::Type,
                "name" => NodeField::Name,
                "id" => NodeField::Id,
                "self_size" => NodeField::SelfSize,
                "edge_count" => NodeField::EdgeCount,
                "trace_node_id" => NodeField::TraceNodeId,
                "detachedness" => NodeField::Detachedness,
                _ => {
                    node_extra_fields += 1;
                    NodeField::Extra(node_extra_fields - 1)
                }
            };
            if !matches!(field, NodeField::Extra(_)) && node_field_map.contains(&field) {
                return Err(format!("`meta.node_fields` lists `{f}` twice"));
            }
            node_field_map.push(field);
        }
        for (req, name) in [
            (NodeField::Type, "type"),
            (NodeField::Name, "name"),
            (NodeField::Id, "id"),
            (NodeField::SelfSize, "self_size"),
            (NodeField::EdgeCount, "edge_count"),
        ] {
            if !node_field_map.contains(&req) {
                return Err(format!("`meta.node_fields` lacks `{name}`"));
            }
        }

        let mut edge_extra_fields = 0;
        let mut edge_field_map = Vec::with_capacity(edge_fields.len());
        for f in &edge_fields {
            let field = match f.as_str() {
                "type" => EdgeField::Type,
                "name_or_index" => EdgeField::NameOrIndex,
                "to_node" => EdgeField::ToNode,
                _ => {
                    edge_extra_fields += 1;
                    EdgeField::Extra(edge_extra_fields - 1)
                }
            };
            if !matches!(field, EdgeField::Extra(_)) && edge_field_map.contains(&field) {
                return Err(format!("`meta.edge_fields` lists `{f}` twice"));
            }
            edge_field_map.push(field);
        }
        for (req, name) in [
            (EdgeField::Type, "type"),
            (EdgeField::NameOrIndex, "name_or_index"),
            (EdgeField::ToNode, "to_node"),
        ] {
            if !edge_field_map.contains(&req) {
                return Err(format!("`meta.edge_fields` lacks `{name}`"));
            }
        }

        let node_kinds = node_type_names
            .iter()
            .enumerate()
            .map(|(i, n)| NodeKind::from_name(n, i as u8))
            .collect();
        let edge_kinds = edge_type_names
            .iter()
            .enumerate()
            .map(|(i, n)| EdgeKind::from_name(n, i as u8))
            .collect();
        Ok(Meta {
            raw,
            node_fields,
            node_field_map,
            listed_node_types: node_type_names.len(),
            node_type_names,
            node_kinds,
            edge_fields,
            edge_field_map,
            edge_type_names,
            edge_kinds,
            node_extra_fields,
            edge_extra_fields,
        })
    }

    /// `meta.node_fields`, in file order.
    pub fn node_fields(&self) -> &[String] {
        &self.node_fields
    }

    /// `meta.edge_fields`, in file order.
    pub fn edge_fields(&self) -> &[String] {
        &self.edge_fields
    }

    /// The node type names, indexed by the raw type value: `meta.node_types[0]`, followed by
    /// a name for each type value the nodes use beyond that list (see
    /// [`Meta::listed_node_type_count`]).
    pub fn node_type_names(&self) -> &[String] {
        &self.node_type_names
    }

    /// How many node types `meta.node_types[0]` lists. [`Meta::node_type_names`] is longer when
    /// nodes use type values past the list, as V8 6.x (Node 8) does: it writes `symbol` nodes
    /// (type 12) but lists only the first 12 types. DevTools loads such files (the type has no
    /// name there, so its class is `(undefined)`); this crate names each such value after V8's
    /// own type order when the listed names follow that order (12 is `symbol`, 13 `bigint`),
    /// else `unlisted type N`, and the parser adds a [`crate::Warning`].
    pub fn listed_node_type_count(&self) -> usize {
        self.listed_node_types
    }

    /// Names the node type values from the end of the list up to `raw` (see
    /// [`Meta::listed_node_type_count`]).
    pub(crate) fn name_unlisted_node_types(&mut self, raw: u8) {
        let listed = &self.node_type_names[..self.listed_node_types];
        let v8_order = listed.iter().zip(V8_NODE_TYPES).all(|(a, b)| a == b);
        while self.node_type_names.len() <= usize::from(raw) {
            let i = self.node_type_names.len();
            let name = match V8_NODE_TYPES.get(i) {
                Some(n) if v8_order => (*n).to_string(),
                _ => format!("unlisted type {i}"),
            };
            self.node_kinds.push(NodeKind::from_name(&name, i as u8));
            self.node_type_names.push(name);
        }
    }

    /// The edge type names (`meta.edge_types[0]`).
    pub fn edge_type_names(&self) -> &[String] {
        &self.edge_type_names
    }

    /// Whether the node layout has a field of this name.
    pub fn has_node_field(&self, name: &str) -> bool {
        self.node_fields.iter().any(|f| f == name)
    }

    /// The raw `meta` JSON object, as read.
    pub fn raw(&self) -> &Map<String, Value> {
        &self.raw
    }

    /// The `meta.<key>` list of field names (for example `location_fields`), if present.
    pub fn field_list(&self, key: &str) -> Option<Vec<String>> {
        self.raw.get(key).and_then(|v| string_list(v, key).ok())
    }

    /// The node kind for a raw type value.
    #[inline]
    pub fn node_kind(&self, raw: u8) -> NodeKind {
        self.node_kinds.get(usize::from(raw)).copied().unwrap_or(NodeKind::Other(raw))
    }

    /// The edge kind for a raw type value.
    #[inline]
    pub fn edge_kind(&self, raw: u8) -> EdgeKind {
        self.edge_kinds.get(usize::from(raw)).copied().unwrap_or(EdgeKind::Other(raw))
    }
}
