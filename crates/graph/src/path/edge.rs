//! How one edge is written in a path: the only writer of edge text in the workspace.

use heapsnap_format::{EdgeIdx, EdgeKind};

use crate::graph::HeapGraph;
use crate::weakmap;

/// Whether an edge is written as it is or as it appears in a signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeStyle {
    /// As it is: `[3]`, `{17}`.
    Exact,
    /// Element indices and numeric slot names become `*` (`[*]`, `{*}`), so that every object
    /// held the same way has the same signature.
    Generic,
}

/// Whether a string is a decimal number (the names of internal slot edges).
#[inline]
pub(crate) fn is_numeric(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Appends the text of edge `e` (see the notation in the [module docs](crate::path)):
/// `.name`, `["a b"]`, `[3]`, `->variable`, `{internal}`, `{ephemeron}`, `[[weak]]`.
pub fn push_edge(out: &mut String, g: &HeapGraph<'_>, e: EdgeIdx, style: EdgeStyle) {
    use std::fmt::Write;
    let edge = g.snapshot().edge(e);
    let name = edge.name_str().unwrap_or("");
    let generic = style == EdgeStyle::Generic;
    let numeric = is_numeric(name);
    let _ = match g.edge_kind(e) {
        EdgeKind::Element | EdgeKind::Hidden if generic => write!(out, "[*]"),
        EdgeKind::Element | EdgeKind::Hidden => write!(out, "[{}]", edge.name_or_index()),
        EdgeKind::Internal if numeric && generic => write!(out, "{{*}}"),
        EdgeKind::Internal if weakmap::is_ephemeron_name(name) => write!(out, "{{ephemeron}}"),
        EdgeKind::Internal => write!(out, "{{{name}}}"),
        EdgeKind::Context => write!(out, "->{name}"),
        EdgeKind::Weak => write!(out, "[[{name}]]"),
        _ if numeric && generic => write!(out, "[*]"),
        _ if numeric => write!(out, "[{name}]"),
        _ if needs_quotes(name) => write!(out, "[{name:?}]"),
        _ => write!(out, ".{name}"),
    };
}

/// The text of edge `e` (see [`push_edge`]).
///
/// ```
/// # let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
/// #   "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],
/// #   "edge_types":[["element","property","context"]]},"node_count":3,"edge_count":3},
/// #   "nodes":[0,0,1,0,1, 1,1,3,8,2, 1,1,5,8,0],"edges":[1,2,5, 1,3,10, 0,7,10],
/// #   "strings":["","A","next","a b"]}"#;
/// use heapsnap_format::{EdgeIdx, HeapSnapshot};
/// use heapsnap_graph::{EdgeStyle, HeapGraph, edge_text};
/// let snap = HeapSnapshot::from_slice(json)?;
/// let g = HeapGraph::new(&snap);
/// assert_eq!(edge_text(&g, EdgeIdx(0), EdgeStyle::Exact), ".next");
/// assert_eq!(edge_text(&g, EdgeIdx(1), EdgeStyle::Exact), "[\"a b\"]");
/// assert_eq!(edge_text(&g, EdgeIdx(2), EdgeStyle::Exact), "[7]");
/// assert_eq!(edge_text(&g, EdgeIdx(2), EdgeStyle::Generic), "[*]");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn edge_text(g: &HeapGraph<'_>, e: EdgeIdx, style: EdgeStyle) -> String {
    let mut s = String::new();
    push_edge(&mut s, g, e, style);
    s
}

/// Property names that would be ambiguous after a dot: empty, or with a space or a dot.
fn needs_quotes(name: &str) -> bool {
    name.is_empty() || name.contains([' ', '.'])
}
