//! DevTools' Comparison view (reference §2.12), exactly: per class key, objects matched by V8
//! id; new, deleted, their counts and sizes. Plus retained sizes per class in both snapshots
//! (in the base only when it kept them).

use std::collections::HashMap;

use heapsnap_format::NodeIdx;
use heapsnap_graph::{Analysis, DominatorTree, HeapGraph, InterfaceMatcher, class_retained};

use crate::base::BaseIndex;

/// One row of the Comparison view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassDiff {
    /// DevTools' class key (`,Name` or `scriptId,line,col,Name`).
    pub key: String,
    /// Class name, as DevTools shows it in the row.
    pub name: String,
    /// Objects in the newer snapshot whose id the base does not have in this class (`# New`).
    pub new_count: u64,
    /// Objects of the base whose id is gone from this class (`# Deleted`).
    pub deleted_count: u64,
    /// Shallow size of the new objects (`Alloc. size`).
    pub alloc_size: u64,
    /// Shallow size of the deleted objects (`Freed size`).
    pub freed_size: u64,
    /// Class retained size in the base (without double counting; 0 if the class is absent);
    /// `None` when the base was indexed without retained sizes
    /// ([`BaseOptions::retained`](crate::BaseOptions::retained)).
    pub retained_before: Option<u64>,
    /// Class retained size in the newer snapshot.
    pub retained_after: u64,
    /// The new objects, as positions in the newer snapshot, in id order.
    pub new_nodes: Vec<NodeIdx>,
    /// The deleted objects, as positions in the base snapshot, in id order.
    pub deleted_nodes: Vec<NodeIdx>,
}

impl ClassDiff {
    /// `# Delta`.
    pub fn count_delta(&self) -> i64 {
        self.new_count as i64 - self.deleted_count as i64
    }
    /// `Size delta`.
    pub fn size_delta(&self) -> i64 {
        self.alloc_size as i64 - self.freed_size as i64
    }
    /// Change of the class's retained size (`None` without the base's retained sizes).
    pub fn retained_delta(&self) -> Option<i64> {
        Some(self.retained_after as i64 - self.retained_before? as i64)
    }
}

/// A class identity as DevTools has it internally: the key, and whether the name is a string
/// DevTools added (two identities with one key collide; the later one wins).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Ident {
    key: String,
    added: bool,
}

/// A class member: (id, shallow size, node position).
type Member = (u32, u32, u32);

/// Per snapshot: public key -> (members sorted by id, class name).
struct Aggregates {
    by_key: HashMap<String, (Vec<Member>, String)>,
}

/// Builds DevTools' per-key aggregates from per-node identities (`buildAggregates` followed by
/// the conversion to public keys, where a later identity replaces an earlier one).
fn aggregates(
    ids: &[u32],
    shallow: &[u32],
    ident_of: impl Fn(usize) -> u32,
    idents: &[(Ident, String)],
) -> Aggregates {
    let mut members: Vec<Vec<Member>> = vec![Vec::new(); idents.len()];
    let mut first_seen: Vec<usize> = vec![usize::MAX; idents.len()];
    let mut order = 0usize;
    for i in 0..ids.len() {
        let s = shallow[i];
        if s == 0 {
            continue;
        }
        let c = ident_of(i) as usize;
        if first_seen[c] == usize::MAX {
            first_seen[c] = order;
            order += 1;
        }
        members[c].push((ids[i], s, i as u32));
    }
    let mut winner: HashMap<&str, usize> = HashMap::new();
    let mut seen: Vec<(usize, usize)> = first_seen
        .iter()
        .enumerate()
        .filter(|(_, f)| **f != usize::MAX)
        .map(|(c, &f)| (f, c))
        .collect();
    seen.sort_unstable();
    for &(_, c) in &seen {
        winner.insert(idents[c].0.key.as_str(), c);
    }
    let mut by_key = HashMap::new();
    for (key, c) in winner {
        let mut m = std::mem::take(&mut members[c]);
        m.sort_by_key(|x| x.0);
        by_key.insert(key.to_string(), (m, idents[c].1.clone()));
    }
    Aggregates { by_key }
}

/// Interns identities.
#[derive(Default)]
struct Idents {
    list: Vec<(Ident, String)>,
    index: HashMap<Ident, u32>,
}

impl Idents {
    fn get(&mut self, key: String, added: bool, name: &str) -> u32 {
        let ident = Ident { key, added };
        if let Some(&i) = self.index.get(&ident) {
            return i;
        }
        let i = self.list.len() as u32;
        self.index.insert(ident.clone(), i);
        self.list.push((ident, name.to_string()));
        i
    }
}

/// The base's class per node with the newer snapshot's interface definitions applied.
fn base_identities(base: &BaseIndex, after: &Analysis) -> (Vec<u32>, Idents) {
    let defs = &after.classes.interfaces;
    let matcher = InterfaceMatcher::new(defs);
    let shape_match: Vec<Option<usize>> =
        base.shapes.shapes.iter().map(|p| matcher.best(p)).collect();
    let plain_loc: HashMap<u32, (u32, u32, u32)> = base.plain_locations.iter().copied().collect();
    let mut idents = Idents::default();
    let own: Vec<u32> =
        base.classes.iter().map(|c| idents.get(c.key.clone(), c.added, &c.name)).collect();
    let mut of_node = vec![0u32; base.ids.len()];
    for i in 0..base.ids.len() {
        let shape = base.shapes.of_node[i];
        of_node[i] = if shape == u32::MAX {
            own[base.own_class[i] as usize]
        } else {
            let (name, added) = match shape_match[shape as usize] {
                Some(d) => (defs[d].name.as_str(), true),
                None => ("Object", false),
            };
            match plain_loc.get(&(i as u32)) {
                Some((s, l, c)) => idents.get(format!("{s},{l},{c},{name}"), false, name),
                None => idents.get(format!(",{name}"), added, name),
            }
        };
    }
    (of_node, idents)
}

/// Compares the base with the newer snapshot. Rows come sorted by key; classes with neither
/// new nor deleted objects are left out, as in DevTools.
///
/// # Panics
/// If `after` is not the analysis of `g`'s snapshot ([`Analysis::check`]).
pub fn compare(base: &BaseIndex, g: &HeapGraph<'_>, after: &Analysis) -> Vec<ClassDiff> {
    if let Err(e) = after.check(g) {
        panic!("heapsnap_diff::compare: {e}");
    }
    compare_with_tree(base, g, after, &DominatorTree::new(after))
}

/// [`compare`] with the newer snapshot's dominator tree already built
/// ([`DominatorTree::new`] of `after`). The two snapshots' sides (aggregates and per-class
/// retained sizes) are computed on two threads.
///
/// # Panics
/// If `after` is not the analysis of `g`'s snapshot ([`Analysis::check`]).
pub fn compare_with_tree(
    base: &BaseIndex,
    g: &HeapGraph<'_>,
    after: &Analysis,
    after_tree: &DominatorTree,
) -> Vec<ClassDiff> {
    if let Err(e) = after.check(g) {
        panic!("heapsnap_diff::compare_with_tree: {e}");
    }
    let t = std::time::Instant::now();
    let (after_side, base_side) =
        rayon::join(|| after_side(g, after, after_tree), || base_side(base, after));
    log::debug!("compare: both sides took {:.2?}", t.elapsed());
    let AfterSide { aggs: after_aggs, key_retained: after_key_retained } = &after_side;
    let BaseSide { ident: base_ident, aggs: base_aggs, retained: base_retained } = base_side;
    rows(base, &base_ident, &base_aggs, base_retained.as_deref(), after_aggs, after_key_retained)
}

struct AfterSide {
    aggs: Aggregates,
    /// Per public key, the retained size of its class (without double counting).
    key_retained: HashMap<String, u64>,
}

fn after_side(g: &HeapGraph<'_>, after: &Analysis, tree: &DominatorTree) -> AfterSide {
    let snap = g.snapshot();
    // Newer snapshot: its own classes.
    let mut after_idents = Idents::default();
    let after_ident_of_class: Vec<u32> = after
        .classes
        .classes
        .iter()
        .map(|c| after_idents.get(c.key.clone(), c.added, &c.name))
        .collect();
    let t = std::time::Instant::now();
    let after_aggs = aggregates(
        snap.node_ids(),
        &after.shallow,
        |i| after_ident_of_class[after.classes.of_node[i] as usize],
        &after_idents.list,
    );
    log::debug!("compare: the newer snapshot's aggregates took {:.2?}", t.elapsed());
    let t = std::time::Instant::now();
    let after_node_ident: Vec<u32> =
        after.classes.of_node.iter().map(|&c| after_ident_of_class[c as usize]).collect();
    let after_retained = class_retained(
        tree,
        g.root(),
        &after_node_ident,
        &after.shallow,
        &after.retained,
        after_idents.list.len(),
    );
    log::debug!("compare: the newer snapshot's class retained sizes took {:.2?}", t.elapsed());
    let key_retained: HashMap<String, u64> = after_aggs
        .by_key
        .iter()
        .filter_map(|(key, (members, _))| {
            let &(_, _, node) = members.first()?;
            Some((key.clone(), after_retained[after_node_ident[node as usize] as usize]))
        })
        .collect();
    AfterSide { aggs: after_aggs, key_retained }
}

struct BaseSide {
    ident: Vec<u32>,
    aggs: Aggregates,
    /// Per identity, the class's retained size; `None` without the base's retained sizes.
    retained: Option<Vec<u64>>,
}

/// The older snapshot, with the newer snapshot's interface definitions applied.
fn base_side(base: &BaseIndex, after: &Analysis) -> BaseSide {
    let t = std::time::Instant::now();
    let (base_ident, base_idents) = base_identities(base, after);
    log::debug!("compare: the base's classes took {:.2?}", t.elapsed());
    let t = std::time::Instant::now();
    let aggs = aggregates(&base.ids, &base.shallow, |i| base_ident[i], &base_idents.list);
    log::debug!("compare: the base's aggregates took {:.2?}", t.elapsed());
    let retained = base.has_retained().then(|| {
        class_retained(
            &DominatorTree::from_dominators(&base.dominator),
            base.root(),
            &base_ident,
            &base.shallow,
            &base.retained,
            base_idents.list.len(),
        )
    });
    BaseSide { ident: base_ident, aggs, retained }
}

/// The Comparison rows: per public key, the two sides' members merged by id.
fn rows(
    base: &BaseIndex,
    base_ident: &[u32],
    base_aggs: &Aggregates,
    base_retained: Option<&[u64]>,
    after_aggs: &Aggregates,
    after_key_retained: &HashMap<String, u64>,
) -> Vec<ClassDiff> {
    let mut keys: Vec<&String> = base_aggs.by_key.keys().chain(after_aggs.by_key.keys()).collect();
    keys.sort();
    keys.dedup();
    let empty: (Vec<Member>, String) = (Vec::new(), String::new());
    let mut rows = Vec::new();
    for key in keys {
        let (b, _) = base_aggs.by_key.get(key).unwrap_or(&empty);
        let (t, t_name) = after_aggs.by_key.get(key).unwrap_or(&empty);
        let mut row = ClassDiff {
            key: key.clone(),
            name: String::new(),
            new_count: 0,
            deleted_count: 0,
            alloc_size: 0,
            freed_size: 0,
            retained_before: base_retained.map(|_| 0),
            retained_after: 0,
            new_nodes: Vec::new(),
            deleted_nodes: Vec::new(),
        };
        let (mut i, mut j) = (0, 0);
        while i < b.len() || j < t.len() {
            if j == t.len() || (i < b.len() && b[i].0 < t[j].0) {
                row.deleted_count += 1;
                row.freed_size += u64::from(b[i].1);
                row.deleted_nodes.push(NodeIdx(b[i].2));
                i += 1;
            } else if i == b.len() || b[i].0 > t[j].0 {
                row.new_count += 1;
                row.alloc_size += u64::from(t[j].1);
                row.new_nodes.push(NodeIdx(t[j].2));
                j += 1;
            } else {
                i += 1;
                j += 1;
            }
        }
        if row.new_count == 0 && row.deleted_count == 0 {
            continue;
        }
        row.name = if !t.is_empty() {
            t_name.clone()
        } else {
            // DevTools names a base-only row after its highest-id member, under the base's own
            // interface definitions.
            let last = b.last().map_or(0, |m| m.2 as usize);
            base.classes[base.own_class[last] as usize].name.clone()
        };
        if let (Some(&(_, _, node)), Some(r)) = (b.first(), base_retained) {
            row.retained_before = Some(r[base_ident[node as usize] as usize]);
        }
        row.retained_after = after_key_retained.get(key.as_str()).copied().unwrap_or(0);
        rows.push(row);
    }
    rows
}
