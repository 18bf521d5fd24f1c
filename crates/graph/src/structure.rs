//! Structural keys: what tells objects apart across snapshots whose object ids do not follow
//! objects.
//!
//! V8's object ids mean the same objects only within one inspector session of one isolate:
//! when a session ends V8 clears its id map, and the next session numbers every object
//! afresh; another process numbers its own objects. Snapshots taken through separate
//! sessions (separate `heapsnap capture` runs, DevTools reopened) or from different processes
//! then need another way to tell which objects of the newer one were already there. A
//! *structural key* is that way: a 64-bit hash of
//!
//! - the object's retaining path: one of its best paths as [`PathTree`] ranks them in
//!   [`PathMode::User`] (computed [without DevTools' analysis](PathTree::without_analysis)),
//!   as where it starts (a module scope by its script's name, a root child by its name) and,
//!   link by link, the edge (as in a path signature: element indices, slot numbers and numeric
//!   property names are all `*`, so the elements of an array share a key) and the class of the
//!   node it leads to (node type and name; strings and numbers by type only). Of several best
//!   paths (equal cost), the one whose key is smallest counts, not the one the search met
//!   first: that order follows node order, which differs between processes (the timer list
//!   is as near from `global.setInterval` as from `global.clearImmediate`);
//! - and, for objects (node type `object`) with 1 to [`MAX_OWN_PROPERTIES`] named properties
//!   (`__proto__` aside) that are not in dictionary mode, the set of their property names (so
//!   two shapes held at one place are told apart; a dictionary's entries change, and with
//!   them its names; an empty `{}` keeps the key it will have as a dictionary).
//!
//! Objects with equal keys are interchangeable: matching is by count. If a snapshot has `m`
//! objects with a key and an earlier one `c`, the first `min(m, c)` (in id order) are taken to
//! be the ones that were already there and the rest to be new. Growth is then counted per
//! object and per holder, not per class: 150 `UserSession`s more under `server.js: sessions`
//! while the class as a whole moved by thousands elsewhere.
//!
//! Unlike ids, keys are a judgement: an object whose chosen path changes (the shorter of two
//! holders went away) gets a new key, and the entries of a linked list are keyed by their
//! depth. Objects nothing retains get a key from their class and properties alone.
//!
//! ```
//! use heapsnap_format::{HeapSnapshot, NodeIdx};
//! use heapsnap_graph::{HeapGraph, StructuralKeys};
//! // global.items = [Item, Item]; global.other = Item
//! let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
//!   "node_types":[["synthetic","object","array"]],"edge_fields":["type","name_or_index","to_node"],
//!   "edge_types":[["element","property","shortcut"]]},"node_count":6,"edge_count":5},
//!   "nodes":[0,0,1,0,1, 1,1,3,16,2, 1,2,5,24,2, 1,3,7,16,0, 1,3,9,16,0, 1,3,11,16,0],
//!   "edges":[2,0,5, 1,4,10, 1,5,25, 0,0,15, 0,1,20],
//!   "strings":["","global","Array","Item","items","other"]}"#;
//! let snap = HeapSnapshot::from_slice(json)?;
//! let keys = StructuralKeys::new(&HeapGraph::new(&snap));
//! // Both elements of global.items share a key; global.other is held elsewhere.
//! assert_eq!(keys.key(NodeIdx(3)), keys.key(NodeIdx(4)));
//! assert_ne!(keys.key(NodeIdx(3)), keys.key(NodeIdx(5)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use heapsnap_format::{EdgeKind, NodeIdx, NodeKind, StringIdx};

use crate::graph::HeapGraph;
use crate::path::{PathMode, PathTree};
use crate::weakmap;

/// Objects with more named properties than this are keyed by their path alone.
pub const MAX_OWN_PROPERTIES: usize = 32;

/// Not computed yet.
const UNSET: u64 = 0;

/// The structural key of every node of a snapshot (see the [module docs](self)).
#[derive(Debug)]
pub struct StructuralKeys {
    keys: Vec<u64>,
}

/// 64-bit FNV-1a of `bytes`.
fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// SplitMix64's finalizer: spreads the bits of `z`.
fn spread(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Combines a hash with one more value (order matters); never [`UNSET`].
fn mix(h: u64, x: u64) -> u64 {
    spread(h.rotate_left(23) ^ x) | 1
}

/// Tags of the parts of a key, so that no two kinds of part hash alike.
const T_ROOT: u64 = 1;
const T_SCOPE: u64 = 2;
const T_UNRETAINED: u64 = 3;
const T_ELEMENT: u64 = 4;
const T_INTERNAL: u64 = 5;
const T_EPHEMERON: u64 = 6;
const T_CONTEXT: u64 = 7;
const T_PROPERTY: u64 = 8;
const T_OTHER: u64 = 9;
const T_ANY: u64 = 10;

/// [`StringHashes::flags`]: the string is a number (`"17"`).
const NUMERIC: u8 = 1;
/// [`StringHashes::flags`]: a WeakMap entry's edge name.
const EPHEMERON: u8 = 2;
/// [`StringHashes::flags`]: `__proto__`.
const PROTO: u8 = 4;

/// Hashes and flags of strings, computed on first use (names only: string values are never
/// looked at).
struct StringHashes<'s> {
    snap: &'s heapsnap_format::HeapSnapshot,
    memo: Vec<u64>,
    flags: Vec<u8>,
}

impl StringHashes<'_> {
    fn get(&mut self, s: u32) -> u64 {
        let Some(&h) = self.memo.get(s as usize) else { return 0 };
        if h == UNSET {
            self.fill(s);
        }
        self.memo[s as usize]
    }

    fn flags(&mut self, s: u32) -> u8 {
        self.get(s);
        self.flags.get(s as usize).copied().unwrap_or(0)
    }

    fn fill(&mut self, s: u32) {
        let text = self.snap.strings().get(StringIdx(s)).unwrap_or("");
        let mut f = 0;
        if crate::path::is_numeric_name(text) {
            f |= NUMERIC;
        }
        if weakmap::is_ephemeron_name(text) {
            f |= EPHEMERON;
        }
        if text == "__proto__" {
            f |= PROTO;
        }
        self.memo[s as usize] = fnv(text.as_bytes()) | 1;
        self.flags[s as usize] = f;
    }
}

impl StructuralKeys {
    /// Keys every node of `g` (one [`PathTree`] search in [`PathMode::User`], then one pass
    /// over the nodes and their own edges).
    pub fn new(g: &HeapGraph<'_>) -> StructuralKeys {
        let t = std::time::Instant::now();
        let tree = PathTree::without_analysis(g, PathMode::User);
        let snap = g.snapshot();
        let n = g.node_count();
        let count = snap.strings().len();
        let mut strings = StringHashes { snap, memo: vec![UNSET; count], flags: vec![0; count] };
        let types = snap.node_types();
        let names = snap.node_names();
        let noi = snap.edge_names_or_indices();
        let type_hash: Vec<u64> = (0..256)
            .map(|t| snap.meta().node_type_names().get(t).map_or(0, |s| fnv(s.as_bytes())))
            .collect();
        let class = |strings: &mut StringHashes<'_>, v: NodeIdx| -> u64 {
            let t = type_hash[usize::from(types[v.index()])];
            if g.node_kind(v).named_by_value() { t } else { mix(t, strings.get(names[v.index()])) }
        };
        // The path part of each node's key. Of a node's best paths (equal cost: ties are
        // broken by node order in the search, which differs between processes) the one with
        // the smallest hash counts: nodes in order of cost, each pushing its hash along its
        // best edges.
        let mut order: Vec<u32> = (0..n as u32).filter(|&v| tree.is_retained(NodeIdx(v))).collect();
        {
            use rayon::prelude::*;
            order.par_sort_unstable_by_key(|&v| (tree.key(NodeIdx(v)), v));
        }
        let mut path = vec![UNSET; n];
        for &u in &order {
            let u = NodeIdx(u);
            if tree.is_start(u) {
                path[u.index()] = match tree.scopes_ref().script(g, u) {
                    Some((full, _)) => mix(T_SCOPE, fnv(full.as_bytes())),
                    None => mix(T_ROOT, class(&mut strings, u)),
                };
            }
            let from = path[u.index()];
            if from == UNSET {
                continue; // cannot happen: every best parent comes first
            }
            for (e, w) in g.edges(u) {
                if !tree.is_best_edge(g, u, e, w) {
                    continue;
                }
                let name = noi[e.index()];
                let edge = match g.edge_kind(e) {
                    EdgeKind::Element | EdgeKind::Hidden => mix(T_ELEMENT, T_ANY),
                    kind => {
                        let flags = strings.flags(name);
                        let numeric = flags & NUMERIC != 0;
                        match kind {
                            EdgeKind::Internal if numeric => mix(T_INTERNAL, T_ANY),
                            EdgeKind::Internal if flags & EPHEMERON != 0 => mix(T_EPHEMERON, T_ANY),
                            EdgeKind::Internal => mix(T_INTERNAL, strings.get(name)),
                            EdgeKind::Context => mix(T_CONTEXT, strings.get(name)),
                            EdgeKind::Property | EdgeKind::Shortcut if numeric => {
                                mix(T_ELEMENT, T_ANY)
                            }
                            EdgeKind::Property | EdgeKind::Shortcut => {
                                mix(T_PROPERTY, strings.get(name))
                            }
                            _ => mix(T_OTHER, strings.get(name)),
                        }
                    }
                };
                let h = mix(mix(from, edge), class(&mut strings, w));
                let slot = &mut path[w.index()];
                if *slot == UNSET || h < *slot {
                    *slot = h;
                }
            }
        }
        // Own property names of objects.
        let properties = strings_named(snap, "properties");
        let dictionary = strings_named(snap, "(object properties)");
        let mut keys = path;
        for i in 0..n {
            let v = NodeIdx(i as u32);
            if keys[i] == UNSET {
                keys[i] = mix(T_UNRETAINED, class(&mut strings, v));
            }
            if g.node_kind(v) != NodeKind::Object {
                continue;
            }
            let mut own = 0u64;
            let mut count = 0usize;
            let mut dict = false;
            for (e, t) in g.edges(v) {
                match g.edge_kind(e) {
                    EdgeKind::Property => {
                        let name = noi[e.index()];
                        if strings.flags(name) & (NUMERIC | PROTO) == 0 {
                            own = own.wrapping_add(spread(strings.get(name)));
                            count += 1;
                        }
                    }
                    EdgeKind::Internal
                        if properties.contains(&noi[e.index()])
                            && dictionary.contains(&names[t.index()]) =>
                    {
                        dict = true;
                    }
                    _ => {}
                }
            }
            if (1..=MAX_OWN_PROPERTIES).contains(&count) && !dict {
                keys[i] = mix(keys[i], own);
            }
        }
        log::debug!("structural keys of {n} nodes took {:.2?}", t.elapsed());
        StructuralKeys { keys }
    }

    /// The key of node `v`.
    #[inline]
    pub fn key(&self, v: NodeIdx) -> u64 {
        self.keys[v.index()]
    }

    /// Every node's key, in node order.
    pub fn keys(&self) -> &[u64] {
        &self.keys
    }
}

/// Indices of the strings equal to `s` (a snapshot may hold a string more than once).
fn strings_named(snap: &heapsnap_format::HeapSnapshot, s: &str) -> Vec<u32> {
    snap.strings().iter().enumerate().filter(|(_, t)| *t == s).map(|(i, _)| i as u32).collect()
}

#[cfg(test)]
mod tests {
    use heapsnap_format::HeapSnapshot;

    use super::*;

    fn keys_of(file: &str) -> (HeapSnapshot, Vec<u64>) {
        let path = format!("{}/../../snapshots/{file}", env!("CARGO_MANIFEST_DIR"));
        let snap = HeapSnapshot::from_path(path).unwrap();
        let keys = StructuralKeys::new(&HeapGraph::new(&snap)).keys.clone();
        (snap, keys)
    }

    /// Keys of the nodes named `name`, sorted, with their counts.
    fn counts(snap: &HeapSnapshot, keys: &[u64], name: &str) -> Vec<usize> {
        let mut by: std::collections::BTreeMap<u64, usize> = Default::default();
        for n in snap.nodes().filter(|n| n.name() == name && n.kind_name() == "object") {
            *by.entry(keys[n.idx().index()]).or_default() += 1;
        }
        let mut v: Vec<usize> = by.into_values().collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn one_key_per_holder_and_shape() {
        // tracking.js: 4 trees of a root and 20 TrackedItems: the roots in
        // global.trackedTrees[*], the items in global.trackedTrees[*].children[*].
        let (snap, keys) = keys_of("tracking.heapsnapshot.gz");
        assert_eq!(counts(&snap, &keys, "TrackedItem"), [4, 80]);
    }

    #[test]
    fn separate_captures_of_one_program_key_alike() {
        // Two processes: hello.js, and shapes.js (the same runtime plus some data). Most of
        // the keys of the smaller heap are in the other one.
        let (_, a) = keys_of("shapes.heapsnapshot.gz");
        let (_, b) = keys_of("hello.heapsnapshot.gz");
        let sa: std::collections::HashSet<u64> = a.iter().copied().collect();
        let shared = b.iter().filter(|k| sa.contains(k)).count();
        assert!(shared * 10 > b.len() * 8, "{shared} of {}", b.len());
    }
}
