//! [`Census`]: what the leak report needs from an earlier snapshot, without its graph.
//!
//! An earlier snapshot is parsed, reduced to a census (sorted object ids, class counts,
//! collection sizes; about 8 bytes per node plus 8 per collection) and dropped before the
//! next one is read, so a three-snapshot run holds one full graph at a time. Building a
//! census is a single pass over nodes and edges: no dominators, no retainer index.

use std::collections::{BTreeMap, HashMap};

use heapsnap_diff::{IdCheck, IdVerdict};
use heapsnap_format::{HeapSnapshot, NodeIdx};
use heapsnap_graph::HeapGraph;

use crate::shapes::{Names, Oddballs, collection, simple_class};

/// An earlier snapshot, reduced to what growth needs.
#[derive(Clone, Debug)]
pub struct Census {
    /// Every node id, sorted.
    ids: Vec<u32>,
    /// For each entry of `ids`: a hash of the node's type and name, to tell whether an id
    /// still names the same object in a later snapshot.
    checks: Vec<u32>,
    /// Objects per class ([`simple_class`] names), sorted by name.
    classes: Vec<(String, u64)>,
    /// Entry count of each collection object with at least one entry: (id, entries), by id.
    collections: Vec<(u32, u32)>,
    nodes: usize,
}

impl Census {
    /// Takes the census of a snapshot.
    ///
    /// ```
    /// # let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
    /// #   "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],
    /// #   "edge_types":[["element","property","shortcut"]]},"node_count":2,"edge_count":1},
    /// #   "nodes":[0,0,1,0,1, 1,1,3,8,0],"edges":[2,0,5],"strings":["","global"]}"#;
    /// let snap = heapsnap_format::HeapSnapshot::from_slice(json)?;
    /// let census = heapsnap_leaks::Census::new(&snap);
    /// assert_eq!(census.node_count(), 2);
    /// assert!(census.contains(3));
    /// assert_eq!(census.class_count("global"), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(snap: &HeapSnapshot) -> Census {
        Census::of_graph(&HeapGraph::new(snap))
    }

    /// Takes the census of a snapshot through its graph (the retainer index is not needed).
    pub fn of_graph(g: &HeapGraph<'_>) -> Census {
        let snap = g.snapshot();
        let n = snap.node_count();
        let names = Names::new(snap);
        let odd = Oddballs::new(g, &names);
        let types = snap.node_types();
        let node_names = snap.node_names();
        let type_names = snap.meta().node_type_names();

        let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(n);
        let mut by_type_name: HashMap<(u8, u32), u64> = HashMap::new();
        let mut collections = Vec::new();
        // Hash each distinct (type, name) once.
        let mut name_hash: HashMap<(u8, u32), u32> = HashMap::new();
        for i in 0..n {
            let key = (types[i], node_names[i]);
            *by_type_name.entry(key).or_default() += 1;
            let h = *name_hash.entry(key).or_insert_with(|| {
                let tn = type_names.get(usize::from(key.0)).map(String::as_str).unwrap_or("");
                fnv1a(tn.as_bytes(), fnv1a(snap.node(NodeIdx(i as u32)).name().as_bytes(), 0))
            });
            let id = snap.node_ids()[i];
            pairs.push((id, h));
            if let Some(c) = collection(g, &names, &odd, NodeIdx(i as u32))
                && c.size > 0
            {
                collections.push((id, c.size));
            }
        }
        pairs.sort_unstable();
        collections.sort_unstable();
        collections.dedup_by_key(|c| c.0);
        let mut classes: BTreeMap<String, u64> = BTreeMap::new();
        for ((t, name), count) in by_type_name {
            let kind = snap.meta().node_kind(t);
            let kind_name = type_names.get(usize::from(t)).map(String::as_str).unwrap_or("");
            let text = snap.strings().get(heapsnap_format::StringIdx(name)).unwrap_or("");
            *classes.entry(simple_class(kind, kind_name, text).into_owned()).or_default() += count;
        }
        Census {
            ids: pairs.iter().map(|p| p.0).collect(),
            checks: pairs.iter().map(|p| p.1).collect(),
            classes: classes.into_iter().collect(),
            collections,
            nodes: n,
        }
    }

    /// Number of nodes in the snapshot.
    pub fn node_count(&self) -> usize {
        self.nodes
    }

    /// Whether the snapshot has a node with this id.
    #[inline]
    pub fn contains(&self, id: u32) -> bool {
        self.ids.binary_search(&id).is_ok()
    }

    /// Objects of a class (class names as [`Finding::class`](crate::Finding::class) writes
    /// them: DevTools' names for objects, `name()` for closures, `(kind)` otherwise).
    pub fn class_count(&self, class: &str) -> u64 {
        self.classes
            .binary_search_by(|c| c.0.as_str().cmp(class))
            .map(|i| self.classes[i].1)
            .unwrap_or(0)
    }

    /// Entries of the collection with this id: `None` if the snapshot has no such collection
    /// object, `Some(0)` if it exists but is empty (or is not a collection).
    pub fn collection_size(&self, id: u32) -> Option<u32> {
        match self.collections.binary_search_by_key(&id, |c| c.0) {
            Ok(i) => Some(self.collections[i].1),
            Err(_) => self.contains(id).then_some(0),
        }
    }

    /// Every class with its object count, sorted by name.
    pub fn classes(&self) -> impl ExactSizeIterator<Item = (&str, u64)> + '_ {
        self.classes.iter().map(|(n, c)| (n.as_str(), *c))
    }
}

/// 32-bit FNV-1a, continuing from `seed` (0 starts a new hash).
fn fnv1a(bytes: &[u8], seed: u32) -> u32 {
    let mut h: u32 = if seed == 0 { 0x811c_9dc5 } else { seed };
    for &b in bytes {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// Whether the ids of `next` follow the same objects as those of `prev` (the rule of
/// `heapsnap diff`): JS object ids (odd) shared, and shared ids naming the same type and name.
pub(crate) fn id_check(prev: &Census, next: &Census) -> IdCheck {
    let (mut i, mut j) = (0, 0);
    let (mut base_ids, mut after_ids, mut shared, mut mismatched) = (0u64, 0u64, 0u64, 0u64);
    let (a, b) = (&prev.ids, &next.ids);
    while i < a.len() || j < b.len() {
        let ai = a.get(i).copied();
        let bj = b.get(j).copied();
        match (ai, bj) {
            (Some(x), _) if x % 2 == 0 => i += 1,
            (_, Some(y)) if y % 2 == 0 => j += 1,
            (Some(x), Some(y)) if x == y => {
                base_ids += 1;
                after_ids += 1;
                shared += 1;
                if prev.checks[i] != next.checks[j] {
                    mismatched += 1;
                }
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x < y => {
                base_ids += 1;
                i += 1;
            }
            (Some(_), None) => {
                base_ids += 1;
                i += 1;
            }
            (_, Some(_)) => {
                after_ids += 1;
                j += 1;
            }
            (None, None) => break,
        }
    }
    let smaller = base_ids.min(after_ids).max(1);
    let verdict = if shared * 20 < smaller {
        IdVerdict::DifferentProcesses
    } else if mismatched * 50 > shared {
        IdVerdict::Reused
    } else {
        IdVerdict::Comparable
    };
    IdCheck { base_ids, after_ids, shared, mismatched, verdict }
}
