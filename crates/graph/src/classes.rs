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

use crate::graph::HeapGraph;

/// A class: DevTools' internal class key and what it shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Class {
    /// The class name shown in the Summary view.
    pub name: String,
    /// The public class key: `,<name>`, or `<scriptId>,<line>,<col>,<name>` for `object`
    /// nodes with a location (so equal names from different places stay apart).
    pub key: String,
}

/// Class of every node.
#[derive(Clone, Debug, Default)]
pub struct Classes {
    /// Internal classes, in order of first appearance (by node position).
    pub classes: Vec<Class>,
    /// Internal class index of each node.
    pub of_node: Vec<u32>,
    /// The interface definitions inferred for plain objects, most popular first.
    pub interfaces: Vec<String>,
}

impl Classes {
    /// The class of node `i`.
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

pub(crate) fn compute(g: &HeapGraph<'_>, renamed_detached: &[bool]) -> Classes {
    let snap = g.snap;
    let n = g.node_count();
    let strings = snap.strings();
    let mut vs = VirtualStrings { base: strings, added: Vec::new() };
    let names = snap.node_names();

    // propagateDOMState's renames come first: one new string per distinct old name.
    let mut name_of: Vec<u32> = names.to_vec();
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
            name_of[i] = new;
        }
    }

    // calculateObjectNames.
    let mut object_names = Interner::default();
    let hidden = object_names.get(&mut vs, "(system)");
    let code = object_names.get(&mut vs, "(compiled code)");
    let function = object_names.get(&mut vs, "Function");
    let regexp = object_names.get(&mut vs, "RegExp");
    let type_names = snap.meta().node_type_names();
    let mut class_idx = vec![0u32; n];
    for i in 0..n {
        class_idx[i] = match g.node_kind[i] {
            NodeKind::Hidden => hidden,
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
                let t = type_names
                    .get(usize::from(snap.node_types()[i]))
                    .map(String::as_str)
                    .unwrap_or("");
                object_names.get(&mut vs, &format!("({t})"))
            }
        };
    }

    // inferInterfaceDefinitions + applyInterfaceDefinitions.
    let interfaces = infer_interfaces(g);
    apply_interfaces(g, &interfaces, &mut vs, &mut class_idx);

    // Class keys: location-keyed for `object` nodes with a location.
    let nf_loc = location_of_nodes(g);
    let mut table: HashMap<ClassKeyInternal, u32> = HashMap::new();
    let mut classes = Vec::new();
    let mut of_node = vec![0u32; n];
    // Location keys are text in DevTools, so equal class *texts* share them.
    let mut canon_text: HashMap<String, u32> = HashMap::new();
    for i in 0..n {
        let ci = class_idx[i];
        let key = match (g.node_kind[i], nf_loc.get(i).copied().flatten()) {
            (NodeKind::Object, Some((s, l, c))) => {
                let next = canon_text.len() as u32;
                let t = *canon_text.entry(vs.text(ci).to_string()).or_insert(next);
                ClassKeyInternal::Location(s, l, c, t)
            }
            _ => ClassKeyInternal::Name(ci),
        };
        let id = match table.get(&key) {
            Some(&id) => id,
            None => {
                let name = vs.text(ci).to_string();
                let key_text = match key {
                    ClassKeyInternal::Location(s, l, c, _) => format!("{s},{l},{c},{name}"),
                    ClassKeyInternal::Name(_) => format!(",{name}"),
                };
                let id = classes.len() as u32;
                classes.push(Class { name, key: key_text });
                table.insert(key, id);
                id
            }
        };
        of_node[i] = id;
    }
    Classes { classes, of_node, interfaces: interfaces.into_iter().map(|d| d.name).collect() }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum ClassKeyInternal {
    Name(u32),
    /// script id, line, column, and the class name's text (interned).
    Location(u32, u32, u32, u32),
}

/// (script_id, line, column) per node, from `locations` (the last entry for a node wins, as in
/// DevTools' map).
fn location_of_nodes(g: &HeapGraph<'_>) -> Vec<Option<(u32, u32, u32)>> {
    let snap = g.snap;
    let mut out = vec![None; g.node_count()];
    let Some(loc) = snap.locations() else { return out };
    let fields = snap.meta().field_list("location_fields").unwrap_or_else(|| {
        ["object_index", "script_id", "line", "column"].iter().map(|s| s.to_string()).collect()
    });
    let pos = |name: &str| fields.iter().position(|f| f == name);
    let (Some(oi), Some(si), Some(li), Some(ci)) =
        (pos("object_index"), pos("script_id"), pos("line"), pos("column"))
    else {
        return out;
    };
    let lf = fields.len().max(1);
    for row in loc.chunks_exact(lf) {
        if let Some(slot) = out.get_mut(row[oi] as usize) {
            *slot = Some((row[si], row[li], row[ci]));
        }
    }
    out
}

struct Definition {
    name: String,
    properties: Vec<String>,
    count: usize,
}

fn is_plain_object(g: &HeapGraph<'_>, i: usize) -> bool {
    g.node_kind[i] == NodeKind::Object && g.snap.node(NodeIdx(i as u32)).name() == "Object"
}

fn infer_interfaces(g: &HeapGraph<'_>) -> Vec<Definition> {
    let snap = g.snap;
    let mut order: Vec<Definition> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut total = 0usize;
    for i in 0..g.node_count() {
        if !is_plain_object(g, i) {
            continue;
        }
        total += 1;
        let mut name = String::from("{");
        let mut name_len = 1usize;
        let mut props = Vec::new();
        for edge in snap.node(NodeIdx(i as u32)).edges() {
            if edge.kind() != EdgeKind::Property {
                continue;
            }
            let en = edge.name_str().unwrap_or("");
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
            Some(&k) => order[k].count += 1,
            None => {
                index.insert(name.clone(), order.len());
                order.push(Definition { name, properties: props, count: 1 });
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

fn apply_interfaces(
    g: &HeapGraph<'_>,
    defs: &[Definition],
    vs: &mut VirtualStrings<'_>,
    class_idx: &mut [u32],
) {
    if defs.is_empty() {
        return;
    }
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
    // Better of two matches: more properties, then the earlier definition.
    let better = |a: Option<(usize, usize)>, b: Option<(usize, usize)>| -> Option<(usize, usize)> {
        match (a, b) {
            (a, None) => a,
            (None, b) => b,
            (Some(a), Some(b)) => {
                if a.0 > b.0 || (a.0 == b.0 && a.1 <= b.1) {
                    Some(a)
                } else {
                    Some(b)
                }
            }
        }
    };
    let mut interface_names = Interner::default();
    let snap = g.snap;
    let mut states: Vec<usize> = Vec::new();
    for i in 0..g.node_count() {
        if !is_plain_object(g, i) {
            continue;
        }
        let mut props: Vec<&str> = snap
            .node(NodeIdx(i as u32))
            .edges()
            .filter(|e| e.kind() == EdgeKind::Property)
            .map(|e| e.name_str().unwrap_or(""))
            .collect();
        props.sort_by(|a, b| js_cmp(a, b));
        states.clear();
        states.push(0);
        // The initial match is `Object` (no definition, property count 0, index infinity).
        let mut matched = tree[0].matched;
        for p in &props {
            let current: Vec<usize> = states.clone();
            for s in current {
                let done = match &tree[s].greatest_next {
                    None => true,
                    Some(gn) => js_cmp(p, gn) != Ordering::Less,
                };
                if done {
                    states.retain(|&x| x != s);
                }
                if let Some(&nx) = tree[s].next.get(*p) {
                    if !states.contains(&nx) {
                        states.push(nx);
                    }
                    matched = better(matched, tree[nx].matched);
                }
            }
        }
        if let Some((_, di)) = matched {
            class_idx[i] = interface_names.get(vs, &defs[di].name);
        }
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

    #[test]
    fn property_names_quoted_like_json() {
        assert_eq!(format_property_name("plain"), "plain");
        assert_eq!(format_property_name("a,b"), "\"a,b\"");
        assert_eq!(format_property_name("say \"hi\""), "\"say \\\"hi\\\"\"");
    }
}
