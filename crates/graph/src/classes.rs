//! Class names and class keys as DevTools computes them (reference §2.9): type-based names,
//! `<div>`-style DOM names, plain-object interface names (`{a, b}`), and class keys that
//! include the script location for `object` nodes.
//!
//! DevTools identifies a class internally by a string-table index, and the strings it adds
//! while naming (`(system)`, `Detached …`, interface names) get new indices even when the same
//! text is already in the table. Two internal classes can therefore share one public key; we
//! keep the same identities so that aggregates collide exactly as they do in DevTools.

use std::cmp::Ordering;
use std::collections::HashMap;

use heapsnap_format::{EdgeKind, NodeIdx, NodeKind, StringIdx};

use crate::graph::{HeapGraph, STR_DOM_LIKE};

/// A class: DevTools' internal class key and what it shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Class {
    /// The class name shown in the Summary view.
    pub name: String,
    /// The public class key: `,<name>`, or `<scriptId>,<line>,<col>,<name>` for `object`
    /// nodes with a location (so equal names from different places stay apart).
    pub key: String,
    /// DevTools' internal identity: whether the class name is a string DevTools added while
    /// naming (`(system)`, `Function`, interface names...) rather than one from the file. Two
    /// classes with the same key but different identities collide in DevTools' aggregates.
    pub added: bool,
}

/// Class of every node.
#[derive(Clone, Debug, Default)]
pub struct Classes {
    /// Internal classes, in order of first appearance (by node position).
    pub classes: Vec<Class>,
    /// Internal class index of each node.
    pub of_node: Vec<u32>,
    /// The interface definitions applied to plain objects, most popular first.
    pub interfaces: Vec<InterfaceDef>,
}

impl Classes {
    /// The class of node `i`.
    ///
    /// # Panics
    /// If `i` is not a node of the analysed snapshot.
    pub fn of(&self, i: NodeIdx) -> &Class {
        &self.classes[self.of_node[i.index()] as usize]
    }
}

/// Compares strings the way JavaScript does (UTF-16 code units).
pub(crate) fn js_cmp(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a.cmp(b);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

fn js_len(s: &str) -> usize {
    if s.is_ascii() { s.len() } else { s.encode_utf16().count() }
}

/// `JSHeapSnapshotNode.formatPropertyName`: names with `, ' " { }` are JSON-quoted.
fn format_property_name(name: &str) -> String {
    if !name.contains([',', '\'', '"', '{', '}']) {
        return name.to_string();
    }
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A string-table index as DevTools would have it: the snapshot's own strings first, then
/// the strings DevTools appends while naming classes.
struct VirtualStrings<'a> {
    base: &'a heapsnap_format::Strings,
    added: Vec<String>,
}

impl VirtualStrings<'_> {
    fn text(&self, i: u32) -> &str {
        let s = self.base.len() as u32;
        if i < s {
            self.base.get(StringIdx(i)).unwrap_or("")
        } else {
            &self.added[(i - s) as usize]
        }
    }
    fn add(&mut self, s: String) -> u32 {
        self.added.push(s);
        (self.base.len() + self.added.len() - 1) as u32
    }
}

/// A string interner with its own map, like each of DevTools' `getIndexForString` caches.
#[derive(Default)]
struct Interner(HashMap<String, u32>);

impl Interner {
    fn get(&mut self, vs: &mut VirtualStrings<'_>, s: &str) -> u32 {
        if let Some(&i) = self.0.get(s) {
            return i;
        }
        let i = vs.add(s.to_string());
        self.0.insert(s.to_string(), i);
        i
    }
}

/// The class of every node, and the plain objects grouped by property lists (the interface
/// definitions are inferred and applied per list).
pub(crate) fn compute(
    g: &HeapGraph<'_>,
    renamed_detached: &[bool],
    defs: Option<&[InterfaceDef]>,
) -> (Classes, PlainLists) {
    let snap = g.snap;
    let n = g.node_count();
    let strings = snap.strings();
    let mut vs = VirtualStrings { base: strings, added: Vec::new() };
    let names = snap.node_names();

    // propagateDOMState's renames come first: one new string per distinct old name.
    // (A copy of the names only when some are renamed.)
    let mut name_of: std::borrow::Cow<'_, [u32]> = std::borrow::Cow::Borrowed(names);
    let mut detached_cache: HashMap<u32, u32> = HashMap::new();
    for i in 0..n {
        if renamed_detached[i] {
            let old = names[i];
            let new = match detached_cache.get(&old) {
                Some(&x) => x,
                None => {
                    let x = vs.add(format!("Detached {}", vs.text(old)));
                    detached_cache.insert(old, x);
                    x
                }
            };
            name_of.to_mut()[i] = new;
        }
    }

    // calculateObjectNames.
    let mut object_names = Interner::default();
    let hidden = object_names.get(&mut vs, "(system)");
    let code = object_names.get(&mut vs, "(compiled code)");
    let function = object_names.get(&mut vs, "Function");
    let regexp = object_names.get(&mut vs, "RegExp");
    let type_names = snap.meta().node_type_names();
    let t0 = std::time::Instant::now();
    // `(string)`, `(number)`...: one interned class per raw type (DevTools' cache gives the
    // same index for the same text).
    let mut by_type: [Option<u32>; 256] = [None; 256];
    let mut class_idx = vec![0u32; n];
    let flags = g.string_flags();
    for i in 0..n {
        class_idx[i] = match g.kind_at(i) {
            NodeKind::Hidden => hidden,
            NodeKind::Object | NodeKind::Native
                if (name_of[i] as usize) < flags.len()
                    && flags[name_of[i] as usize] & STR_DOM_LIKE == 0 =>
            {
                name_of[i]
            }
            NodeKind::Object | NodeKind::Native => {
                let name = vs.text(name_of[i]);
                if name.starts_with('<') {
                    let cut = match name.find(' ') {
                        Some(sp) => format!("{}>", &name[..sp]),
                        None => name.to_string(),
                    };
                    object_names.get(&mut vs, &cut)
                } else if let Some(rest) = name.strip_prefix("Detached <") {
                    let cut = match rest.find(' ') {
                        Some(sp) => format!("{}>", &name[..10 + sp]),
                        None => name.to_string(),
                    };
                    object_names.get(&mut vs, &cut)
                } else {
                    name_of[i]
                }
            }
            NodeKind::Code => code,
            NodeKind::Closure => function,
            NodeKind::RegExp => regexp,
            _ => {
                let raw = usize::from(snap.node_types()[i]);
                match by_type[raw] {
                    Some(c) => c,
                    None => {
                        let t = type_names.get(raw).map(String::as_str).unwrap_or("");
                        let c = object_names.get(&mut vs, &format!("({t})"));
                        by_type[raw] = Some(c);
                        c
                    }
                }
            }
        };
    }

    // inferInterfaceDefinitions + applyInterfaceDefinitions.
    log::debug!("classes: names {:.2?}", t0.elapsed());
    let t0 = std::time::Instant::now();
    let lists = PlainLists::new(g);
    let interfaces = match defs {
        Some(d) => d.to_vec(),
        None => infer_interfaces(g, &lists),
    };
    log::debug!("classes: infer {:.2?}", t0.elapsed());
    let t0 = std::time::Instant::now();
    apply_interfaces(g, &lists, &interfaces, &mut vs, &mut class_idx);
    log::debug!("classes: apply {:.2?}", t0.elapsed());
    let t0 = std::time::Instant::now();

    // Class keys: location-keyed for `object` nodes with a location.
    let loc_rows = &g.locations().rows;
    let mut loc_at = 0usize;
    let mut table: HashMap<ClassKeyInternal, u32> = HashMap::new();
    // Name keys, the common case, by direct index instead of hashing.
    let mut by_name: Vec<u32> = vec![u32::MAX; strings.len() + vs.added.len()];
    let mut classes = Vec::new();
    // Each node's class key replaces its class name in place (no second node-sized array).
    let mut of_node = class_idx;
    // Location keys are text in DevTools, so equal class *texts* share them.
    let mut canon_text: HashMap<String, u32> = HashMap::new();
    let mut canon_of: HashMap<u32, u32> = HashMap::new();
    for i in 0..n {
        let ci = of_node[i];
        while loc_at < loc_rows.len() && (loc_rows[loc_at].0 as usize) < i {
            loc_at += 1;
        }
        let here = loc_rows.get(loc_at).filter(|r| r.0 as usize == i).map(|r| r.1);
        let located = if g.kind_at(i) == NodeKind::Object { here } else { None };
        if located.is_none() && by_name[ci as usize] != u32::MAX {
            of_node[i] = by_name[ci as usize];
            continue;
        }
        let key = match (g.kind_at(i), located) {
            (NodeKind::Object, Some((s, l, c))) => {
                let t = match canon_of.get(&ci) {
                    Some(&t) => t,
                    None => {
                        let next = canon_text.len() as u32;
                        let t = *canon_text.entry(vs.text(ci).to_string()).or_insert(next);
                        canon_of.insert(ci, t);
                        t
                    }
                };
                ClassKeyInternal::Location(s, l, c, t)
            }
            _ => ClassKeyInternal::Name(ci),
        };
        let known = match key {
            ClassKeyInternal::Name(ci) => Some(by_name[ci as usize]).filter(|&x| x != u32::MAX),
            ClassKeyInternal::Location(..) => table.get(&key).copied(),
        };
        let id = match known {
            Some(id) => id,
            None => {
                let name = vs.text(ci).to_string();
                let key_text = match key {
                    ClassKeyInternal::Location(s, l, c, _) => format!("{s},{l},{c},{name}"),
                    ClassKeyInternal::Name(_) => format!(",{name}"),
                };
                let id = classes.len() as u32;
                let added = match key {
                    ClassKeyInternal::Name(ci) => ci as usize >= strings.len(),
                    ClassKeyInternal::Location(..) => false,
                };
                classes.push(Class { name, key: key_text, added });
                match key {
                    ClassKeyInternal::Name(ci) => by_name[ci as usize] = id,
                    ClassKeyInternal::Location(..) => {
                        table.insert(key, id);
                    }
                }
                id
            }
        };
        of_node[i] = id;
    }
    log::debug!("classes: keys {:.2?}", t0.elapsed());
    (Classes { classes, of_node, interfaces }, lists)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum ClassKeyInternal {
    Name(u32),
    /// script id, line, column, and the class name's text (interned).
    Location(u32, u32, u32, u32),
}

/// Source locations of nodes (script id, 0-based line and column), from `locations`: sparse,
/// sorted by node, the last entry for a node winning as in DevTools' map.
#[derive(Clone, Debug, Default)]
pub struct NodeLocations {
    rows: Vec<(u32, (u32, u32, u32))>,
}

impl NodeLocations {
    /// The location of node `i`, if it has one.
    #[inline]
    pub fn get(&self, i: NodeIdx) -> Option<(u32, u32, u32)> {
        let at = self.rows.partition_point(|r| r.0 < i.0);
        self.rows.get(at).filter(|r| r.0 == i.0).map(|r| r.1)
    }

    /// Every (node, location), by node.
    pub fn iter(&self) -> impl Iterator<Item = (NodeIdx, (u32, u32, u32))> + '_ {
        self.rows.iter().map(|&(n, l)| (NodeIdx(n), l))
    }
}

/// Reads the snapshot's `locations` into a [`NodeLocations`].
pub fn node_locations(g: &HeapGraph<'_>) -> NodeLocations {
    let snap = g.snap;
    let mut rows = Vec::new();
    let Some(loc) = snap.locations() else { return NodeLocations { rows } };
    let fields = snap.meta().field_list("location_fields").unwrap_or_else(|| {
        ["object_index", "script_id", "line", "column"].iter().map(|s| s.to_string()).collect()
    });
    let pos = |name: &str| fields.iter().position(|f| f == name);
    let (Some(oi), Some(si), Some(li), Some(ci)) =
        (pos("object_index"), pos("script_id"), pos("line"), pos("column"))
    else {
        return NodeLocations { rows };
    };
    let lf = fields.len().max(1);
    // One array, filled once (on a heap with millions of functions it is tens of MB, and
    // every fresh page costs a fault).
    rows.reserve_exact(loc.len() / lf);
    rows.extend(loc.chunks_exact(lf).map(|row| (row[oi], (row[si], row[li], row[ci]))));
    // Stable: for a node listed twice the later entry ends up last; keep only that one. (V8
    // lists them in its own order, not by node; a sorted list is left as it is.)
    if !rows.is_sorted_by_key(|r| r.0) {
        rows = sort_by_node(rows);
    }
    // In place: the last entry of each run of equal nodes.
    let mut kept = 0usize;
    for i in 0..rows.len() {
        if kept > 0 && rows[kept - 1].0 == rows[i].0 {
            rows[kept - 1] = rows[i];
        } else {
            rows[kept] = rows[i];
            kept += 1;
        }
    }
    rows.truncate(kept);
    NodeLocations { rows }
}

/// `rows` sorted by node, stably: a radix sort on the node position, 12 bits per pass (V8
/// lists locations in its own order, and a heap has millions of them: a comparison sort took
/// 70 ms for the 2M of a 1 GB snapshot, the two passes of this 29-38 ms).
fn sort_by_node(rows: Vec<(u32, (u32, u32, u32))>) -> Vec<(u32, (u32, u32, u32))> {
    const BITS: u32 = 12;
    const MASK: u32 = (1 << BITS) - 1;
    let max = rows.iter().map(|r| r.0).max().unwrap_or(0);
    let passes = (u32::BITS - max.leading_zeros()).div_ceil(BITS);
    let mut from = rows;
    let mut to = vec![(0u32, (0u32, 0u32, 0u32)); from.len()];
    for pass in 0..passes {
        let shift = pass * BITS;
        let mut start = vec![0usize; (MASK as usize) + 2];
        for r in &from {
            start[((r.0 >> shift) & MASK) as usize + 1] += 1;
        }
        for d in 0..=(MASK as usize) {
            start[d + 1] += start[d];
        }
        for r in &from {
            let d = ((r.0 >> shift) & MASK) as usize;
            to[start[d]] = *r;
            start[d] += 1;
        }
        std::mem::swap(&mut from, &mut to);
    }
    from
}

/// A plain-object interface definition inferred by DevTools (`{a, b}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceDef {
    /// The class name, e.g. `{a, b}`.
    pub name: String,
    /// The property names, in the order the name lists them.
    pub properties: Vec<String>,
    /// How many plain objects had exactly this candidate name.
    pub count: usize,
}

fn is_plain_object(g: &HeapGraph<'_>, i: usize) -> bool {
    g.is_plain_object(i)
}

/// The plain objects (`object` nodes named `Object`) grouped by the names of their `property`
/// edges in edge order. DevTools infers and applies interface definitions object by object
/// from exactly these names, so both can be done once per distinct list: a heap of millions
/// of plain objects has a few thousand lists.
#[derive(Debug)]
pub(crate) struct PlainLists {
    /// Per node: index into `lists`, or `u32::MAX` for nodes that are not plain objects.
    pub(crate) of_node: Vec<u32>,
    /// String indices of the property edges' names, in edge order (`__proto__` included),
    /// in order of first appearance by node.
    pub(crate) lists: Vec<Box<[u32]>>,
    /// Number of plain objects with each list.
    pub(crate) counts: Vec<u32>,
}

impl PlainLists {
    pub(crate) fn new(g: &HeapGraph<'_>) -> PlainLists {
        let snap = g.snap;
        let names = snap.edge_names_or_indices();
        let mut of_node = vec![u32::MAX; g.node_count()];
        let mut lists: Vec<Box<[u32]>> = Vec::new();
        let mut counts: Vec<u32> = Vec::new();
        let mut index: HashMap<Box<[u32]>, u32, crate::hash::FxBuild> = HashMap::default();
        let mut buf: Vec<u32> = Vec::new();
        for (i, slot) in of_node.iter_mut().enumerate() {
            if !is_plain_object(g, i) {
                continue;
            }
            buf.clear();
            for e in snap.edge_range(NodeIdx(i as u32)) {
                if g.edge_kind(heapsnap_format::EdgeIdx(e)) == EdgeKind::Property {
                    buf.push(names[e as usize]);
                }
            }
            let id = match index.get(buf.as_slice()) {
                Some(&id) => id,
                None => {
                    let id = lists.len() as u32;
                    lists.push(buf.clone().into_boxed_slice());
                    counts.push(0);
                    index.insert(buf.clone().into_boxed_slice(), id);
                    id
                }
            };
            counts[id as usize] += 1;
            *slot = id;
        }
        PlainLists { of_node, lists, counts }
    }

    /// The names of list `k`'s properties, in edge order.
    fn names<'a>(
        &self,
        g: &HeapGraph<'a>,
        k: usize,
    ) -> impl Iterator<Item = &'a str> + use<'a, '_> {
        let strings = g.snap.strings();
        self.lists[k].iter().map(move |&s| strings.get(StringIdx(s)).unwrap_or(""))
    }

    /// The names of list `k`'s properties, sorted in JavaScript order (what
    /// [`InterfaceMatcher::best`] takes).
    fn sorted<'a>(&self, g: &HeapGraph<'a>, k: usize) -> Vec<&'a str> {
        let mut props: Vec<&str> = self.names(g, k).collect();
        sort_js(&mut props);
        props
    }
}

/// `inferInterfaceDefinitions`, one candidate name per property list, counted once per
/// object that has the list.
fn infer_interfaces(g: &HeapGraph<'_>, plain: &PlainLists) -> Vec<InterfaceDef> {
    let mut order: Vec<InterfaceDef> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let total: usize = plain.counts.iter().map(|&c| c as usize).sum();
    // Lists are numbered by their first object, so the first list with a candidate name holds
    // the first object with it: names come in DevTools' order (first appearance by node).
    for (k, &count) in plain.counts.iter().enumerate() {
        let mut name = String::from("{");
        let mut name_len = 1usize;
        let mut props = Vec::new();
        for en in plain.names(g, k) {
            if en == "__proto__" {
                continue;
            }
            let formatted = format_property_name(en);
            let flen = js_len(&formatted);
            if name_len > 1 && name_len + flen > 120 {
                break;
            }
            if name_len != 1 {
                name.push_str(", ");
                name_len += 2;
            }
            name.push_str(&formatted);
            name_len += flen;
            props.push(en.to_string());
        }
        if props.is_empty() {
            continue;
        }
        name.push('}');
        match index.get(&name) {
            Some(&k) => order[k].count += count as usize,
            None => {
                index.insert(name.clone(), order.len());
                order.push(InterfaceDef { name, properties: props, count: count as usize });
            }
        }
    }
    order.sort_by_key(|d| std::cmp::Reverse(d.count)); // stable, like Array.prototype.sort
    let min = f64::max(2.0, total as f64 / 1000.0);
    order.into_iter().take_while(|d| d.count as f64 >= min).collect()
}

struct TreeNode {
    next: HashMap<String, usize>,
    /// (property count, definition index)
    matched: Option<(usize, usize)>,
    greatest_next: Option<String>,
}

/// Finds the interface definition a plain object gets, as `applyInterfaceDefinitions` does:
/// the definition whose properties are a subset of the object's with the most properties,
/// ties going to the earlier definition.
pub struct InterfaceMatcher {
    tree: Vec<TreeNode>,
}

impl std::fmt::Debug for InterfaceMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InterfaceMatcher").field("tree_nodes", &self.tree.len()).finish()
    }
}

impl InterfaceMatcher {
    /// Builds the property tree of `defs`.
    pub fn new(defs: &[InterfaceDef]) -> InterfaceMatcher {
        let mut tree = vec![TreeNode { next: HashMap::new(), matched: None, greatest_next: None }];
        for (di, d) in defs.iter().enumerate() {
            let mut props = d.properties.clone();
            props.sort_by(|a, b| js_cmp(a, b));
            let mut cur = 0usize;
            for p in &props {
                let next = match tree[cur].next.get(p) {
                    Some(&x) => x,
                    None => {
                        let x = tree.len();
                        tree.push(TreeNode {
                            next: HashMap::new(),
                            matched: None,
                            greatest_next: None,
                        });
                        tree[cur].next.insert(p.clone(), x);
                        let greater = tree[cur]
                            .greatest_next
                            .as_deref()
                            .is_none_or(|gn| js_cmp(gn, p) == Ordering::Less);
                        if greater {
                            tree[cur].greatest_next = Some(p.clone());
                        }
                        x
                    }
                };
                cur = next;
            }
            if tree[cur].matched.is_none() {
                tree[cur].matched = Some((props.len(), di));
            }
        }
        InterfaceMatcher { tree }
    }

    /// The index of the definition matching an object whose property names are `sorted`
    /// (sorted in JavaScript order, see [`sort_js`]), or `None` (the object stays `Object`).
    pub fn best<S: AsRef<str>>(&self, sorted: &[S]) -> Option<usize> {
        let tree = &self.tree;
        let better = |a: Option<(usize, usize)>, b: Option<(usize, usize)>| match (a, b) {
            (a, None) => a,
            (None, b) => b,
            (Some(a), Some(b)) => Some(if a.0 > b.0 || (a.0 == b.0 && a.1 <= b.1) { a } else { b }),
        };
        let mut states: Vec<usize> = vec![0];
        let mut matched = tree[0].matched;
        for p in sorted {
            let p = p.as_ref();
            let current = states.clone();
            for s in current {
                let done = match &tree[s].greatest_next {
                    None => true,
                    Some(gn) => js_cmp(p, gn) != Ordering::Less,
                };
                if done {
                    states.retain(|&x| x != s);
                }
                if let Some(&nx) = tree[s].next.get(p) {
                    if !states.contains(&nx) {
                        states.push(nx);
                    }
                    matched = better(matched, tree[nx].matched);
                }
            }
        }
        matched.map(|m| m.1)
    }
}

/// Sorts strings in JavaScript's default order (UTF-16 code units).
pub fn sort_js<S: AsRef<str>>(v: &mut [S]) {
    v.sort_by(|a, b| js_cmp(a.as_ref(), b.as_ref()));
}

fn apply_interfaces(
    g: &HeapGraph<'_>,
    plain: &PlainLists,
    defs: &[InterfaceDef],
    vs: &mut VirtualStrings<'_>,
    class_idx: &mut [u32],
) {
    if defs.is_empty() {
        return;
    }
    let matcher = InterfaceMatcher::new(defs);
    let best: Vec<Option<usize>> =
        (0..plain.lists.len()).map(|k| matcher.best(&plain.sorted(g, k))).collect();
    // Each definition's name is interned when its first object is met, as DevTools does.
    let mut interface_names = Interner::default();
    let mut class_of_def: Vec<u32> = vec![u32::MAX; defs.len()];
    for (i, &k) in plain.of_node.iter().enumerate() {
        if k == u32::MAX {
            continue;
        }
        if let Some(di) = best[k as usize] {
            if class_of_def[di] == u32::MAX {
                class_of_def[di] = interface_names.get(vs, &defs[di].name);
            }
            class_idx[i] = class_of_def[di];
        }
    }
}

/// The plain objects of a snapshot grouped by property set, so that interface definitions
/// from another snapshot can be applied later without keeping the graph.
#[derive(Clone, Debug, Default)]
pub struct PlainShapes {
    /// Per node: index into `shapes`, or `u32::MAX` for nodes that are not plain objects.
    pub of_node: Vec<u32>,
    /// Distinct property-name lists, each sorted in JavaScript order.
    pub shapes: Vec<Vec<String>>,
}

impl PlainShapes {
    /// Collects the property sets of all plain objects (`object` nodes named `Object`).
    pub fn new(g: &HeapGraph<'_>) -> PlainShapes {
        PlainShapes::from_lists(g, PlainLists::new(g))
    }

    /// The property sets of the lists (two lists with the same names in another order give
    /// two equal shapes).
    pub(crate) fn from_lists(g: &HeapGraph<'_>, plain: PlainLists) -> PlainShapes {
        let shapes = (0..plain.lists.len())
            .map(|k| plain.sorted(g, k).into_iter().map(str::to_string).collect())
            .collect();
        PlainShapes { of_node: plain.of_node, shapes }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn js_order_is_utf16() {
        // U+FF21 (BMP, above the surrogates) sorts after U+1F600 in UTF-16, before it in UTF-8.
        assert_eq!(js_cmp("\u{FF21}", "\u{1F600}"), Ordering::Greater);
        assert_eq!(js_cmp("a", "b"), Ordering::Less);
        assert_eq!(js_len("😀"), 2);
    }

    /// The radix sort gives what a stable comparison sort gives: equal nodes keep their order
    /// (the later location of a node listed twice wins), for keys of every width.
    #[test]
    fn locations_sort_by_node_stably() {
        let mut x = 0x9e37_79b9u32;
        for (len, max) in
            [(0, 1), (1, 0), (5000, 7), (5000, 3000), (20000, 1 << 22), (3000, u32::MAX)]
        {
            let rows: Vec<(u32, (u32, u32, u32))> = (0..len)
                .map(|i| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    let node = if max == u32::MAX { x } else { x % (max + 1) };
                    (node, (i, x, 0))
                })
                .collect();
            let mut want = rows.clone();
            want.sort_by_key(|r| r.0);
            assert_eq!(sort_by_node(rows), want, "{len} rows up to {max}");
        }
    }

    #[test]
    fn property_names_quoted_like_json() {
        assert_eq!(format_property_name("plain"), "plain");
        assert_eq!(format_property_name("a,b"), "\"a,b\"");
        assert_eq!(format_property_name("say \"hi\""), "\"say \\\"hi\\\"\"");
    }
}
