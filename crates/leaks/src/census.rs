//! [`Census`]: what the leak report needs from an earlier snapshot, without its graph.
//!
//! An earlier snapshot is parsed, reduced to a census (which object ids exist, class counts,
//! collection sizes; a bit per JS object id, 8 bytes per collection, plus a sample of ids for
//! the id check) and dropped before the next one is read, so a three-snapshot run holds one
//! full graph at a time. Building a census is a single pass over nodes and edges: no sort, no
//! dominators, no retainer index.

use std::collections::{BTreeMap, HashMap};

use heapsnap_format::{HeapSnapshot, NodeIdx, NodeKind};
use heapsnap_graph::{HeapGraph, IdCheck};

use crate::matching::Structure;
use crate::shapes::{FxBuild, Names, Oddballs, collection, simple_class};

/// One in this many JS object ids (by `id / 2`) is sampled for the id check.
const SAMPLE: u32 = 16;

/// An earlier snapshot, reduced to what growth needs.
#[derive(Clone, Debug)]
pub struct Census {
    /// Bit `id / 2` is set for every odd (JS object) id of the snapshot.
    odd_ids: Vec<u64>,
    /// Every even id (embedder nodes), sorted.
    even_ids: Vec<u32>,
    /// Sampled odd ids with a hash of the node's type and name, sorted: whether an id still
    /// names the same object in a later snapshot.
    sample: Vec<(u32, u32)>,
    /// Objects per class ([`simple_class`] names), sorted by name.
    classes: Vec<(String, u64)>,
    /// Entry count of each collection object with at least one entry: (id, entries), by id.
    collections: Vec<(u32, u32)>,
    nodes: usize,
    /// A hash of the nodes' ids, types, names and sizes and of the edge targets: equal for
    /// the same snapshot content.
    fingerprint: u64,
    /// The largest JS object (odd) id.
    max_odd_id: u32,
    /// The largest `last_assigned_id` of the `samples` section (written while V8 tracks
    /// objects), if any.
    last_assigned_id: Option<u32>,
    /// Objects by structural key, when taken with [`Census::with_structure`].
    structure: Option<Structure>,
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
        Census::with_collections(g).0
    }

    /// [`Census::new`], plus the objects' [structural keys](heapsnap_graph::StructuralKeys)
    /// (counted by key) and collection sizes by key: what [`LeakReport`](crate::LeakReport)
    /// needs to match objects between snapshots whose ids do not follow objects (separate
    /// inspector sessions, other processes). It costs a retaining-path search and a sort of
    /// the nodes on top of the plain census, and about 12 bytes per distinct key.
    pub fn with_structure(snap: &HeapSnapshot) -> Census {
        let g = HeapGraph::new(snap);
        let (mut census, collections) = Census::with_collections(&g);
        census.structure = Some(Structure::new(&g, &collections));
        census
    }

    /// Only what the id check needs (ids, the sample): a single pass over the node ids.
    fn ids_only(snap: &HeapSnapshot) -> Census {
        let ids = snap.node_ids();
        let types = snap.node_types();
        let type_names = snap.meta().node_type_names();
        let max_odd = ids.iter().filter(|&&id| id % 2 == 1).max().copied().unwrap_or(0);
        let mut odd_ids = vec![0u64; (max_odd as usize / 2) / 64 + 1];
        let mut sample = Vec::new();
        for (i, &id) in ids.iter().enumerate() {
            if id % 2 == 1 {
                let k = (id / 2) as usize;
                odd_ids[k / 64] |= 1 << (k % 64);
                if (id / 2).is_multiple_of(SAMPLE) {
                    let t = types[i];
                    let tn = type_names.get(usize::from(t)).map(String::as_str).unwrap_or("");
                    let name = snap.node(NodeIdx(i as u32)).identity_name();
                    sample.push((id, fnv1a(tn.as_bytes(), fnv1a(name.as_bytes(), 0))));
                }
            }
        }
        sample.sort_unstable();
        Census {
            odd_ids,
            even_ids: Vec::new(),
            sample,
            classes: Vec::new(),
            collections: Vec::new(),
            nodes: snap.node_count(),
            fingerprint: 0,
            max_odd_id: max_odd,
            last_assigned_id: None,
            structure: None,
        }
    }

    /// Whether objects of `last` can only be followed into the snapshots of `priors` (oldest
    /// first, all before `last`) by structure: some consecutive pair's ids are not comparable
    /// (separate inspector sessions, other processes). Then [`LeakReport::new`] wants censuses
    /// taken [with structure](Census::with_structure); without them it compares class counts.
    /// Cheap: one pass over `last`'s ids.
    ///
    /// [`LeakReport::new`]: crate::LeakReport::new
    pub fn ids_comparable(priors: &[Census], last: &HeapSnapshot) -> bool {
        if priors.is_empty() {
            return true;
        }
        let last = Census::ids_only(last);
        let all: Vec<&Census> = priors.iter().chain(std::iter::once(&last)).collect();
        all.windows(2)
            .all(|w| id_check(w[0], w[1]).verdict == heapsnap_graph::IdVerdict::Comparable)
    }

    /// Whether the census has structural keys ([`Census::with_structure`]).
    pub fn has_structure(&self) -> bool {
        self.structure.is_some()
    }

    pub(crate) fn structure(&self) -> Option<&Structure> {
        self.structure.as_ref()
    }

    /// A hash of the snapshot's content (node ids, types, names, sizes, edge targets): equal
    /// for two files with the same snapshot.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// The largest JS object id (odd ids; 0 when there is none).
    pub fn max_object_id(&self) -> u32 {
        self.max_odd_id
    }

    /// The largest `last_assigned_id` in the snapshot's `samples` (present when V8 tracked
    /// objects while it was taken).
    pub fn last_assigned_id(&self) -> Option<u32> {
        self.last_assigned_id
    }

    /// [`Census::of_graph`], plus every collection of the snapshot with at least one entry as
    /// (node position, entries), in node order (the last snapshot's collections detector
    /// starts from it instead of looking at every object again).
    pub(crate) fn with_collections(g: &HeapGraph<'_>) -> (Census, Vec<(u32, u32)>) {
        let snap = g.snapshot();
        let n = snap.node_count();
        let names = Names::new(snap, false);
        let odd = Oddballs::new(g, &names);
        let types = snap.node_types();
        let node_names = snap.node_names();
        let type_names = snap.meta().node_type_names();

        // Class counts: by (type, name) where the name is the class (objects, natives,
        // closures), by type alone otherwise (strings, code, ...: millions of distinct names
        // that all count as one class).
        let mut by_name: HashMap<u64, u64, FxBuild> = HashMap::default();
        let mut by_type = [0u64; 256];
        let ids = snap.node_ids();
        let max_odd = ids.iter().filter(|&&id| id % 2 == 1).max().copied().unwrap_or(0);
        let mut odd_ids = vec![0u64; (max_odd as usize / 2) / 64 + 1];
        let mut even_ids = Vec::new();
        let mut sample = Vec::new();
        let mut collections = Vec::new();
        let mut by_node = Vec::new();
        for i in 0..n {
            let (t, name, id) = (types[i], node_names[i], ids[i]);
            let v = NodeIdx(i as u32);
            let kind = g.node_kind(v);
            if matches!(kind, NodeKind::Object | NodeKind::Native | NodeKind::Closure) {
                *by_name.entry((u64::from(name) << 8) | u64::from(t)).or_default() += 1;
            } else {
                by_type[usize::from(t)] += 1;
            }
            if id % 2 == 1 {
                let k = (id / 2) as usize;
                odd_ids[k / 64] |= 1 << (k % 64);
                if (id / 2).is_multiple_of(SAMPLE) {
                    let tn = type_names.get(usize::from(t)).map(String::as_str).unwrap_or("");
                    let h = fnv1a(tn.as_bytes(), fnv1a(snap.node(v).identity_name().as_bytes(), 0));
                    sample.push((id, h));
                }
            } else {
                even_ids.push(id);
            }
            if kind == NodeKind::Object
                && let Some(c) = collection(g, &names, &odd, v)
                && c.size > 0
            {
                collections.push((id, c.size));
                by_node.push((i as u32, c.size));
            }
        }
        let fingerprint = fingerprint(snap);
        let last_assigned_id = last_assigned_id(snap);
        even_ids.sort_unstable();
        sample.sort_unstable();
        collections.sort_unstable();
        collections.dedup_by_key(|c| c.0);
        let mut classes: BTreeMap<String, u64> = BTreeMap::new();
        let class_of = |t: u8, text: &str| {
            let kind = snap.meta().node_kind(t);
            let kind_name = type_names.get(usize::from(t)).map(String::as_str).unwrap_or("");
            simple_class(kind, kind_name, text).into_owned()
        };
        for (key, count) in by_name {
            let (t, name) = ((key & 0xff) as u8, (key >> 8) as u32);
            let text = snap.strings().get(heapsnap_format::StringIdx(name)).unwrap_or("");
            *classes.entry(class_of(t, text)).or_default() += count;
        }
        for (t, &count) in by_type.iter().enumerate() {
            if count > 0 {
                *classes.entry(class_of(t as u8, "")).or_default() += count;
            }
        }
        let census = Census {
            odd_ids,
            even_ids,
            sample,
            classes: classes.into_iter().collect(),
            collections,
            nodes: n,
            fingerprint,
            max_odd_id: max_odd,
            last_assigned_id,
            structure: None,
        };
        (census, by_node)
    }

    /// Number of nodes in the snapshot.
    pub fn node_count(&self) -> usize {
        self.nodes
    }

    /// Whether the snapshot has a node with this id.
    #[inline]
    pub fn contains(&self, id: u32) -> bool {
        if id % 2 == 1 {
            let k = (id / 2) as usize;
            self.odd_ids.get(k / 64).is_some_and(|w| w & (1 << (k % 64)) != 0)
        } else {
            self.even_ids.binary_search(&id).is_ok()
        }
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

/// A hash of the node columns and edge targets (see [`Census::fingerprint`]).
fn fingerprint(snap: &HeapSnapshot) -> u64 {
    // FNV-style mixing, one independent lane per node column and four over the edge targets:
    // a single chain of 100 M multiplications is bound by their latency, independent lanes
    // run side by side; the lanes are mixed at the end.
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mix = |h: u64, x: u64| (h ^ x).wrapping_mul(PRIME);
    let seed: u64 = 0xcbf2_9ce4_8422_2325 ^ snap.node_count() as u64;
    let (ids, types, names) = (snap.node_ids(), snap.node_types(), snap.node_names());
    let (sizes, first) = (snap.node_self_sizes(), snap.first_edges());
    let mut lanes = [seed, seed ^ 1, seed ^ 2, seed ^ 3, seed ^ 4];
    for i in 0..snap.node_count() {
        lanes[0] = mix(lanes[0], u64::from(ids[i]));
        lanes[1] = mix(lanes[1], u64::from(types[i]));
        lanes[2] = mix(lanes[2], u64::from(names[i]));
        lanes[3] = mix(lanes[3], u64::from(sizes[i]));
        lanes[4] = mix(lanes[4], u64::from(first[i]));
    }
    let targets = snap.edge_targets();
    let mut edges = [seed ^ 5, seed ^ 6, seed ^ 7, seed ^ 8];
    let mut chunks = targets.chunks_exact(4);
    for c in &mut chunks {
        for k in 0..4 {
            edges[k] = mix(edges[k], u64::from(c[k]));
        }
    }
    for &t in chunks.remainder() {
        edges[0] = mix(edges[0], u64::from(t));
    }
    lanes.iter().chain(&edges).fold(seed ^ targets.len() as u64, |h, &l| mix(h, l))
}

/// The largest `last_assigned_id` of the `samples` section (`meta.sample_fields`, V8:
/// `timestamp_us`, `last_assigned_id`).
fn last_assigned_id(snap: &HeapSnapshot) -> Option<u32> {
    let samples = snap.samples().filter(|s| !s.is_empty())?;
    let fields = snap.meta().field_list("sample_fields");
    let width = fields.as_ref().map_or(2, |f| f.len()).max(1);
    let at = match &fields {
        Some(f) => f.iter().position(|x| x == "last_assigned_id")?,
        None => 1,
    };
    samples.chunks_exact(width).filter_map(|r| r.get(at).copied()).max()
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
/// `heapsnap diff`): JS object ids (odd) shared, and shared ids naming the same type and
/// name. Shared ids are counted exactly; mismatches are counted on the sampled ids and
/// scaled up (an estimate).
pub(crate) fn id_check(prev: &Census, next: &Census) -> IdCheck {
    let (a, b) = (&prev.sample, &next.sample);
    let (mut i, mut j) = (0, 0);
    let (mut sampled_shared, mut sampled_mismatched) = (0u64, 0u64);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sampled_shared += 1;
                if a[i].1 != b[j].1 {
                    sampled_mismatched += 1;
                }
                i += 1;
                j += 1;
            }
        }
    }
    let ones = |w: &[u64]| w.iter().map(|x| u64::from(x.count_ones())).sum::<u64>();
    let (base_ids, after_ids) = (ones(&prev.odd_ids), ones(&next.odd_ids));
    let shared: u64 =
        prev.odd_ids.iter().zip(&next.odd_ids).map(|(x, y)| u64::from((x & y).count_ones())).sum();
    IdCheck::judge(base_ids, after_ids, shared, sampled_shared, sampled_mismatched)
}

/// What looks wrong with the inputs, from their censuses (oldest first, the last one's
/// included) and the id checks of consecutive pairs: two with the same content; a pair whose
/// ids are comparable but run backwards (V8 numbers new objects upwards within a session, and
/// its `samples` record the last id it assigned).
pub(crate) fn input_warnings(
    priors: &[Census],
    last: &Census,
    ids: &[IdCheck],
) -> Vec<crate::InputWarning> {
    let all: Vec<&Census> = priors.iter().chain(std::iter::once(last)).collect();
    let same = |a: &Census, b: &Census| a.fingerprint == b.fingerprint && a.nodes == b.nodes;
    let mut out = Vec::new();
    for i in 0..all.len() {
        for j in i + 1..all.len() {
            if same(all[i], all[j]) {
                out.push(crate::InputWarning {
                    kind: "same-content",
                    snapshots: [i + 1, j + 1],
                    message: format!(
                        "snapshots {} and {} have the same content (the same snapshot given \
                         twice?): nothing can grow between them",
                        i + 1,
                        j + 1
                    ),
                });
            }
        }
    }
    for (k, check) in ids.iter().enumerate() {
        let (Some(a), Some(b)) = (all.get(k), all.get(k + 1)) else { break };
        if check.verdict != heapsnap_graph::IdVerdict::Comparable || same(a, b) {
            continue;
        }
        let (first, second) = (k + 1, k + 2);
        let evidence = match (a.last_assigned_id, b.last_assigned_id) {
            (Some(x), Some(y)) if y < x => Some(format!(
                "the last object id V8 had assigned when snapshot {second} was taken ({y}, from \
                 its samples) is below snapshot {first}'s ({x})"
            )),
            _ if b.max_odd_id < a.max_odd_id => Some(format!(
                "snapshot {second}'s largest object id (@{}) is below snapshot {first}'s (@{})",
                b.max_odd_id, a.max_odd_id
            )),
            _ => None,
        };
        if let Some(e) = evidence {
            out.push(crate::InputWarning {
                kind: "out-of-order",
                snapshots: [first, second],
                message: format!(
                    "snapshots {first} and {second} look out of order: {e}, while V8 numbers \
                     new objects upwards within a session; give the snapshots oldest first"
                ),
            });
        }
    }
    out
}
