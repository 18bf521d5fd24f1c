//! What V8 and Node objects look like in a snapshot (reference §1.9, §3): interned edge
//! names, oddballs (`true`, `null`, the hole), class names that need no analysis, and the
//! entry counts of collections.

use std::borrow::Cow;
use std::collections::HashMap;

use heapsnap_format::{EdgeIdx, EdgeKind, HeapSnapshot, NodeIdx, NodeKind};
use heapsnap_graph::HeapGraph;

/// Strings the detectors look up by index (the string table holds each text once).
const WANTED: &[&str] = &[
    "_events",
    "_maxListeners",
    "warned",
    "listener",
    "callback",
    "next",
    "<symbol kEvents>",
    "<symbol events.maxEventTargetListenersWarned>",
    "_onTimeout",
    "_onImmediate",
    "_repeat",
    "_idleNext",
    "_idlePrev",
    "_destroyed",
    "_idleTimeout",
    "msecs",
    "context",
    "shared",
    "script_or_debug_info",
    "native_to_javascript",
    "javascript_to_native",
    "<symbol owner_symbol>",
    "<symbol kHandle>",
    "table",
    "properties",
    "elements",
    "__proto__",
    "value",
    "bound_function",
    "bound_this",
    "_readableState",
    "_writableState",
    "system / Oddball",
    "system / Hole",
    "system / Context",
    "(object properties)",
    "Timeout",
    "Immediate",
    "TimersList",
    "ImmediateList",
    "Map",
    "Set",
    "WeakMap",
    "WeakSet",
    "Array",
    "Object",
];

pub(crate) use heapsnap_graph::hash::FxBuild;

/// Indices of [`WANTED`] strings in one snapshot's string table.
#[derive(Debug)]
pub(crate) struct Names {
    map: HashMap<&'static str, u32, FxBuild>,
    /// The names [`collection`] needs, resolved once.
    pub(crate) coll: CollNames,
    /// Strings that are WeakMap ephemeron edge names, sorted.
    ephemerons: Vec<u32>,
}

/// String indices used on every object by [`collection`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct CollNames {
    table: Option<u32>,
    properties: Option<u32>,
    proto: Option<u32>,
    object_properties: Option<u32>,
    context: Option<u32>,
    map: Option<u32>,
    set: Option<u32>,
    weak_map: Option<u32>,
    weak_set: Option<u32>,
}

impl Names {
    /// Resolves the names; `ephemerons` also lists the WeakMap ephemeron edge names (a scan of
    /// every string's text, only the cycle detector needs it).
    pub(crate) fn new(snap: &HeapSnapshot, ephemerons: bool) -> Names {
        let mut map: HashMap<&'static str, u32, FxBuild> = HashMap::default();
        let wanted: HashMap<&str, &'static str, FxBuild> = WANTED.iter().map(|&w| (w, w)).collect();
        let mut ephemeron_names = Vec::new();
        for (i, s) in snap.strings().iter().enumerate() {
            if let Some(&w) = wanted.get(s) {
                map.entry(w).or_insert(i as u32);
            }
            if ephemerons && heapsnap_graph::is_ephemeron_name(s) {
                ephemeron_names.push(i as u32);
            }
        }
        let get = |s: &str| map.get(s).copied();
        let coll = CollNames {
            table: get("table"),
            properties: get("properties"),
            proto: get("__proto__"),
            object_properties: get("(object properties)"),
            context: get("system / Context"),
            map: get("Map"),
            set: get("Set"),
            weak_map: get("WeakMap"),
            weak_set: get("WeakSet"),
        };
        Names { map, coll, ephemerons: ephemeron_names }
    }

    /// Whether the string is a WeakMap ephemeron edge name (`"3 / part of key (...) -> value
    /// (...) pair in WeakMap (table @12)"`): such an edge from the table does not retain.
    #[inline]
    pub(crate) fn is_ephemeron(&self, s: u32) -> bool {
        self.ephemerons.binary_search(&s).is_ok()
    }

    /// The string index of `s` (one of [`WANTED`]), if the snapshot has the string.
    #[inline]
    pub(crate) fn get(&self, s: &str) -> Option<u32> {
        debug_assert!(WANTED.contains(&s), "{s} is not interned");
        self.map.get(s).copied()
    }
}

/// The first edge of `node` with the string name `name` (any string-named kind).
#[inline]
pub(crate) fn edge_named(
    g: &HeapGraph<'_>,
    node: NodeIdx,
    name: Option<u32>,
) -> Option<(EdgeIdx, NodeIdx)> {
    let name = name?;
    let noi = g.snapshot().edge_names_or_indices();
    g.edges(node).find(|&(e, _)| noi[e.index()] == name && g.edge_kind(e).has_string_name())
}

/// The name of a string-named edge, or `""`.
#[inline]
pub(crate) fn edge_name<'s>(g: &HeapGraph<'s>, e: EdgeIdx) -> &'s str {
    g.snapshot().edge(e).name_str().unwrap_or("")
}

/// V8's oddballs: `system / Oddball` nodes, told apart by their `to_string` value; and the
/// holes (V8 12 and later write them as `system / Hole` nodes, several of them, instead of an
/// oddball).
#[derive(Clone, Debug, Default)]
pub(crate) struct Oddballs {
    pub(crate) true_: Option<NodeIdx>,
    pub(crate) false_: Option<NodeIdx>,
    pub(crate) null: Option<NodeIdx>,
    pub(crate) undefined: Option<NodeIdx>,
    /// The hole oddball of older V8.
    pub(crate) hole: Option<NodeIdx>,
    /// `system / Hole` nodes, in node order.
    holes: Vec<NodeIdx>,
}

impl Oddballs {
    pub(crate) fn new(g: &HeapGraph<'_>, names: &Names) -> Oddballs {
        let mut odd = Oddballs::default();
        let (oddball, hole) = (names.get("system / Oddball"), names.get("system / Hole"));
        if oddball.is_none() && hole.is_none() {
            return odd;
        }
        let snap = g.snapshot();
        for (i, &name) in snap.node_names().iter().enumerate() {
            let v = NodeIdx(i as u32);
            if Some(name) == hole && g.node_kind(v) == NodeKind::Hidden {
                odd.holes.push(v);
                continue;
            }
            if Some(name) != oddball {
                continue;
            }
            // The first string an oddball points at is its `to_string` value.
            let Some((_, s)) = g.edges(v).find(|&(_, t)| g.node_kind(t) == NodeKind::String) else {
                continue;
            };
            let slot = match snap.node(s).name() {
                "true" => &mut odd.true_,
                "false" => &mut odd.false_,
                "null" => &mut odd.null,
                "undefined" => &mut odd.undefined,
                "hole" => &mut odd.hole,
                _ => continue,
            };
            slot.get_or_insert(v);
        }
        odd
    }

    /// Whether `v` is `null` or `undefined`.
    pub(crate) fn is_nullish(&self, v: NodeIdx) -> bool {
        Some(v) == self.null || Some(v) == self.undefined
    }

    /// Whether `v` is a hole: the slot of a deleted entry, or a missing element.
    #[inline]
    pub(crate) fn is_hole(&self, v: NodeIdx) -> bool {
        Some(v) == self.hole || (!self.holes.is_empty() && self.holes.binary_search(&v).is_ok())
    }

    /// Whether `v` is any oddball we know, or a hole.
    pub(crate) fn is_oddball(&self, v: NodeIdx) -> bool {
        [self.true_, self.false_, self.null, self.undefined, self.hole].contains(&Some(v))
            || self.is_hole(v)
    }

    /// What a JS programmer calls the oddball `v`: `boolean`, `null`, `undefined` (`None`
    /// for other nodes).
    pub(crate) fn type_name(&self, v: NodeIdx) -> Option<&'static str> {
        let v = Some(v);
        if v == self.true_ || v == self.false_ {
            Some("boolean")
        } else if v == self.null {
            Some("null")
        } else if v == self.undefined {
            Some("undefined")
        } else {
            None
        }
    }
}

/// A class name that needs no analysis: DevTools' names for object and native nodes (DOM tag
/// names cut to `<div>`), `name()` for closures, `(kind)` for everything else. The same in
/// every snapshot of a process, so class counts can be compared across snapshots.
pub(crate) fn simple_class(kind: NodeKind, kind_name: &str, name: &str) -> Cow<'static, str> {
    match kind {
        NodeKind::Object | NodeKind::Native => {
            let (prefix, rest) = match name.strip_prefix("Detached ") {
                Some(rest) => ("Detached ", rest),
                None => ("", name),
            };
            if rest.starts_with('<') {
                let end = rest.find([' ', '>']).unwrap_or(rest.len());
                Cow::Owned(format!("{prefix}{}>", &rest[..end]))
            } else {
                Cow::Owned(name.to_string())
            }
        }
        NodeKind::Closure => {
            Cow::Owned(format!("{}()", if name.is_empty() { "(anonymous)" } else { name }))
        }
        NodeKind::Hidden => Cow::Borrowed("(system)"),
        NodeKind::Code => Cow::Borrowed("(compiled code)"),
        NodeKind::RegExp => Cow::Borrowed("RegExp"),
        _ => Cow::Owned(format!("({kind_name})")),
    }
}

/// How a collection stores its entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CollKind {
    /// Indexed elements (arrays, and objects used with integer keys).
    Elements,
    /// A `Map` (or subclass): an OrderedHashMap `table`, 3 slots per entry.
    Map,
    /// A `Set` (or subclass): an OrderedHashSet `table`, 2 slots per entry.
    Set,
    /// A dictionary-mode object (many named properties).
    Dict,
}

impl CollKind {
    /// A short label.
    pub(crate) fn label(self) -> &'static str {
        match self {
            CollKind::Elements => "array",
            CollKind::Map => "Map",
            CollKind::Set => "Set",
            CollKind::Dict => "dictionary",
        }
    }
}

/// A collection: the object, how it stores entries, and how many it has.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Coll {
    pub(crate) kind: CollKind,
    pub(crate) size: u32,
    /// The node holding the entries' edges (the object itself, or its hash table).
    pub(crate) store: NodeIdx,
}

/// Whether `x` is a JS collection, and its entry count. Without numeric values in the
/// snapshot, entries whose key and value are both small integers have no edges and are not
/// counted (the same in every snapshot, so growth still shows). Deleted entries (their slots
/// hold the hole) are not entries.
pub(crate) fn collection(
    g: &HeapGraph<'_>,
    names: &Names,
    odd: &Oddballs,
    x: NodeIdx,
) -> Option<Coll> {
    if g.node_kind(x) != NodeKind::Object {
        return None;
    }
    let snap = g.snapshot();
    let noi = snap.edge_names_or_indices();
    let node_names = snap.node_names();
    let c = &names.coll;
    let mut elements = 0u32;
    let mut properties = 0u32;
    let mut dict = false;
    let mut table_node = None;
    for (e, t) in g.edges(x) {
        match g.edge_kind(e) {
            EdgeKind::Element if !odd.is_hole(t) => elements += 1,
            EdgeKind::Property if Some(noi[e.index()]) != c.proto => properties += 1,
            EdgeKind::Internal => {
                let name = Some(noi[e.index()]);
                if name == c.table && g.node_kind(t) == NodeKind::Array {
                    table_node = Some(t);
                } else if name == c.properties && Some(node_names[t.index()]) == c.object_properties
                {
                    dict = true;
                }
            }
            _ => {}
        }
    }
    if let Some(t) = table_node {
        let kind = map_or_set(g, c, x)?;
        let size = table_entries(g, odd, t, kind).len() as u32;
        return Some(Coll { kind, size, store: t });
    }
    if Some(node_names[x.index()]) == c.context {
        return None;
    }
    if elements > 0 {
        return Some(Coll { kind: CollKind::Elements, size: elements, store: x });
    }
    if dict && properties > 0 {
        return Some(Coll { kind: CollKind::Dict, size: properties, store: x });
    }
    None
}

/// `Map` or `Set` from the prototype chain (`None` for `WeakMap`/`WeakSet`, whose entries do
/// not retain their keys).
fn map_or_set(g: &HeapGraph<'_>, c: &CollNames, x: NodeIdx) -> Option<CollKind> {
    let node_names = g.snapshot().node_names();
    let mut v = x;
    for _ in 0..8 {
        let name = Some(node_names[v.index()]);
        if name == c.map {
            return Some(CollKind::Map);
        }
        if name == c.set {
            return Some(CollKind::Set);
        }
        if name == c.weak_map || name == c.weak_set {
            return None;
        }
        match edge_named(g, v, c.proto) {
            Some((_, p)) => v = p,
            None => break,
        }
    }
    Some(CollKind::Map)
}

/// One live entry of a Map or Set table: its key and value nodes (`None` where the slot holds
/// a small integer, which has no node; a Set's entries have keys only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TableEntry {
    pub(crate) key: Option<NodeIdx>,
    pub(crate) value: Option<NodeIdx>,
}

/// The live entries of an OrderedHashMap/Set table, in slot order. The table's internal edges
/// are named by slot number: a header and the buckets (small integers: no edges), then one
/// entry per `3` slots for a Map (key, value, chain) or `2` for a Set (key, chain); the chain
/// is a small integer too. So a Map's key and value slots are the two residues mod 3 that
/// have edges, the key's first. A deleted entry's slots hold the hole (an oddball in older
/// V8, a `system / Hole` node from V8 12 on): it is not an entry.
pub(crate) fn table_entries(
    g: &HeapGraph<'_>,
    odd: &Oddballs,
    table: NodeIdx,
    kind: CollKind,
) -> Vec<TableEntry> {
    let slots: Vec<(u32, NodeIdx)> = g
        .edges(table)
        .filter(|&(e, _)| g.edge_kind(e) == EdgeKind::Internal)
        .filter_map(|(e, t)| Some((edge_name(g, e).parse::<u32>().ok()?, t)))
        .collect();
    if kind != CollKind::Map {
        return slots
            .iter()
            .filter(|(_, t)| !odd.is_hole(*t))
            .map(|&(_, t)| TableEntry { key: Some(t), value: None })
            .collect();
    }
    let mut residues = [false; 3];
    for &(s, _) in &slots {
        residues[(s % 3) as usize] = true;
    }
    let present: Vec<u32> = (0..3).filter(|&r| residues[r as usize]).collect();
    // (residue of the key slots, whether the value slots have edges)
    let (key_residue, pairs) = match present[..] {
        [] => return Vec::new(),
        [a, b] => (if (a + 1) % 3 == b { a } else { b }, true),
        // One slot per entry has a node, the other holds small integers: strings are keys
        // (`Map<string, number>`), anything else values (`Map<number, Session>`).
        [r] => {
            let all_strings = slots.iter().filter(|(_, t)| !odd.is_hole(*t)).all(|&(_, t)| {
                matches!(
                    g.node_kind(t),
                    NodeKind::String | NodeKind::ConsString | NodeKind::SlicedString
                )
            });
            if all_strings { (r, false) } else { ((r + 2) % 3, true) }
        }
        // Not the layout above (every residue has edges): the smallest slot starts an entry.
        _ => (slots.iter().map(|s| s.0).min().unwrap_or(0) % 3, true),
    };
    let mut by_entry: std::collections::BTreeMap<u32, TableEntry> = Default::default();
    for &(s, t) in &slots {
        let off = (s + 3 - key_residue) % 3;
        let e =
            by_entry.entry(s.saturating_sub(off)).or_insert(TableEntry { key: None, value: None });
        match off {
            0 => e.key = Some(t),
            1 if pairs => e.value = Some(t),
            _ => {}
        }
    }
    by_entry
        .into_values()
        .filter(|e| match (e.key, e.value) {
            (Some(k), _) => !odd.is_hole(k),
            (None, Some(v)) => !odd.is_hole(v),
            (None, None) => false,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_class_names() {
        let c = |k, kn, n| simple_class(k, kn, n).into_owned();
        assert_eq!(c(NodeKind::Object, "object", "Timeout"), "Timeout");
        assert_eq!(c(NodeKind::Native, "native", "<div id=\"a\" class=\"b\">"), "<div>");
        assert_eq!(c(NodeKind::Native, "native", "Detached <li>"), "Detached <li>");
        assert_eq!(c(NodeKind::Closure, "closure", "onData"), "onData()");
        assert_eq!(c(NodeKind::Closure, "closure", ""), "(anonymous)()");
        assert_eq!(c(NodeKind::String, "string", "abc"), "(string)");
        assert_eq!(c(NodeKind::Hidden, "hidden", "system / Oddball"), "(system)");
    }
}
