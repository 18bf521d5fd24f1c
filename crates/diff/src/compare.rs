//! DevTools' Comparison view (reference §2.12), exactly: per class key, objects matched by V8
//! id; new, deleted, their counts and sizes. Plus retained sizes per class in both snapshots
//! (in the base only when it kept them).

use std::collections::HashMap;

use heapsnap_format::NodeIdx;
use heapsnap_graph::hash::FxBuild;
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
    let mut idents = Idents::default();
    let own: Vec<u32> =
        base.classes.iter().map(|c| idents.get(c.key.clone(), c.added, &c.name)).collect();
    let name_of = |m: Option<usize>| match m {
        Some(d) => (defs[d].name.as_str(), true),
        None => ("Object", false),
    };
    // Identities of plain objects without a location, per shape; with one, per (definition,
    // location): each key text made once, not once per object.
    let mut by_shape = vec![u32::MAX; base.shapes.shapes.len()];
    type Located = (Option<usize>, (u32, u32, u32));
    let mut by_location: HashMap<Located, u32, FxBuild> = HashMap::default();
    let mut loc_at = 0usize;
    let mut of_node = vec![0u32; base.ids.len()];
    for (i, slot) in of_node.iter_mut().enumerate() {
        let shape = base.shapes.of_node[i];
        *slot = if shape == u32::MAX {
            own[base.own_class[i] as usize]
        } else {
            let m = shape_match[shape as usize];
            // `plain_locations` is sorted by node.
            while loc_at < base.plain_locations.len()
                && (base.plain_locations[loc_at].0 as usize) < i
            {
                loc_at += 1;
            }
            match base.plain_locations.get(loc_at).filter(|r| r.0 as usize == i) {
                Some(&(_, loc)) => *by_location.entry((m, loc)).or_insert_with(|| {
                    let (name, _) = name_of(m);
                    let (s, l, c) = loc;
                    idents.get(format!("{s},{l},{c},{name}"), false, name)
                }),
                None => {
                    let k = &mut by_shape[shape as usize];
                    if *k == u32::MAX {
                        let (name, added) = name_of(m);
                        *k = idents.get(format!(",{name}"), added, name);
                    }
                    *k
                }
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
    compare_sides(base, g, after, after_tree, None)
}

/// [`compare_with_tree`] with the newer snapshot's retained size per internal class already
/// computed ([`class_retained`] of `after`'s classes over `after_tree`, as the Summary does:
/// [`class_summaries_with_retained`](heapsnap_graph::class_summaries_with_retained)), so that
/// a caller showing both views walks the dominator tree once.
///
/// ```
/// # let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
/// #   "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],
/// #   "edge_types":[["element","property","shortcut"]]},"node_count":2,"edge_count":1},
/// #   "nodes":[0,0,1,0,1, 1,1,3,8,0],"edges":[2,0,5],"strings":["","global"]}"#;
/// use heapsnap_graph::{Analysis, AnalysisOptions, DominatorTree, HeapGraph, class_retained};
/// let snap = heapsnap_format::HeapSnapshot::from_slice(json)?;
/// let base = heapsnap_diff::BaseIndex::new(&snap);
/// let g = HeapGraph::new(&snap);
/// let a = Analysis::new(&g, &AnalysisOptions::default(), &mut heapsnap_format::NoProgress);
/// let tree = DominatorTree::new(&a);
/// let per_class =
///     class_retained(&tree, g.root(), &a.classes.of_node, &a.shallow, &a.retained, a.classes.classes.len());
/// let rows = heapsnap_diff::compare_with_retained(&base, &g, &a, &tree, &per_class);
/// assert_eq!(rows, heapsnap_diff::compare(&base, &g, &a));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Panics
/// If `after` is not the analysis of `g`'s snapshot ([`Analysis::check`]), or `per_class` has
/// fewer entries than `after` has classes.
pub fn compare_with_retained(
    base: &BaseIndex,
    g: &HeapGraph<'_>,
    after: &Analysis,
    after_tree: &DominatorTree,
    per_class: &[u64],
) -> Vec<ClassDiff> {
    if let Err(e) = after.check(g) {
        panic!("heapsnap_diff::compare_with_retained: {e}");
    }
    compare_sides(base, g, after, after_tree, Some(per_class))
}

fn compare_sides(
    base: &BaseIndex,
    g: &HeapGraph<'_>,
    after: &Analysis,
    after_tree: &DominatorTree,
    per_class: Option<&[u64]>,
) -> Vec<ClassDiff> {
    let t = std::time::Instant::now();
    let (after_side, base_side) =
        rayon::join(|| after_side(g, after, after_tree, per_class), || base_side(base, after));
    log::debug!("compare: both sides' classes took {:.2?}", t.elapsed());
    let t = std::time::Instant::now();
    let after_ids = g.snapshot().node_ids();
    if let Some(rows) = rows_by_id(base, after_ids, &after.shallow, &after_side, &base_side) {
        log::debug!("compare: matching by id took {:.2?}", t.elapsed());
        return rows;
    }
    // Ids repeated within the base, or too sparse for a table: DevTools' own way, members
    // sorted by id per class and merged.
    let rows = rows_by_merge(base, after_ids, &after.shallow, &after_side, &base_side);
    log::debug!("compare: aggregates and merge took {:.2?}", t.elapsed());
    rows
}

/// The Comparison rows as DevTools computes them: per public key, both sides' members sorted
/// by id and merged.
fn rows_by_merge(
    base: &BaseIndex,
    after_ids: &[u32],
    after_shallow: &[u32],
    after_side: &Side<'_>,
    base_side: &Side<'_>,
) -> Vec<ClassDiff> {
    let (after_aggs, base_aggs) = rayon::join(
        || aggregates(after_ids, after_shallow, |i| after_side.ident[i], &after_side.idents.list),
        || aggregates(&base.ids, &base.shallow, |i| base_side.ident[i], &base_side.idents.list),
    );
    let after_retained = after_side.retained.as_deref().unwrap_or(&[]);
    let after_key_retained: HashMap<String, u64> = after_aggs
        .by_key
        .iter()
        .filter_map(|(key, (members, _))| {
            let &(_, _, node) = members.first()?;
            let r = after_retained.get(after_side.ident[node as usize] as usize)?;
            Some((key.clone(), *r))
        })
        .collect();
    let base_retained = base_side.retained.as_deref();
    rows(base, &base_side.ident, &base_aggs, base_retained, &after_aggs, &after_key_retained)
}

/// One snapshot's classes as the Comparison sees them.
struct Side<'a> {
    /// Identity of each node.
    ident: std::borrow::Cow<'a, [u32]>,
    idents: Idents,
    /// Per identity, the class's retained size (without double counting); `None` for a base
    /// without retained sizes.
    retained: Option<Vec<u64>>,
}

/// The newer snapshot: its own classes. `per_class`: the retained size of each internal
/// class, if known.
fn after_side<'a>(
    g: &HeapGraph<'_>,
    after: &'a Analysis,
    tree: &DominatorTree,
    per_class: Option<&[u64]>,
) -> Side<'a> {
    let mut idents = Idents::default();
    let ident_of_class: Vec<u32> =
        after.classes.classes.iter().map(|c| idents.get(c.key.clone(), c.added, &c.name)).collect();
    // Identities are numbered in class order: when each class is an identity of its own (the
    // usual case), a node's identity is its class.
    let own = ident_of_class.iter().enumerate().all(|(c, &i)| i as usize == c);
    let ident: std::borrow::Cow<'a, [u32]> = if own {
        after.classes.of_node.as_slice().into()
    } else {
        after.classes.of_node.iter().map(|&c| ident_of_class[c as usize]).collect::<Vec<_>>().into()
    };
    let t = std::time::Instant::now();
    let retained = match per_class {
        // The same partition of the nodes, so the same sizes.
        Some(pc) if own => pc[..idents.list.len()].to_vec(),
        _ => class_retained(
            tree,
            g.root(),
            &ident,
            &after.shallow,
            &after.retained,
            idents.list.len(),
        ),
    };
    log::debug!("compare: the newer snapshot's class retained sizes took {:.2?}", t.elapsed());
    Side { ident, idents, retained: Some(retained) }
}

/// The older snapshot, with the newer snapshot's interface definitions applied.
fn base_side<'a>(base: &'a BaseIndex, after: &'a Analysis) -> Side<'a> {
    let t = std::time::Instant::now();
    let (ident, idents) = base_identities(base, after);
    log::debug!("compare: the base's classes took {:.2?}", t.elapsed());
    let retained = base.has_retained().then(|| {
        class_retained(
            &DominatorTree::from_dominators(&base.dominator),
            base.root(),
            &ident,
            &base.shallow,
            &base.retained,
            idents.list.len(),
        )
    });
    Side { ident: ident.into(), idents, retained }
}

/// Per identity, whether its members count: DevTools converts its aggregates to public keys
/// in the order identities first appear (among objects of non-zero size), a later identity
/// replacing an earlier one with the same key. Returns per identity its key's position in
/// `keys` (interned here; `u32::MAX`: its members do not count).
fn winning_keys<'k>(
    shallow: &[u32],
    ident: &[u32],
    idents: &'k [(Ident, String)],
    keys: &mut HashMap<&'k str, u32>,
) -> Vec<u32> {
    let mut first_seen = vec![u32::MAX; idents.len()];
    let mut order = 0u32;
    for (i, &s) in shallow.iter().enumerate() {
        let c = ident[i] as usize;
        if s != 0 && first_seen[c] == u32::MAX {
            first_seen[c] = order;
            order += 1;
        }
    }
    let mut seen: Vec<(u32, usize)> = first_seen
        .iter()
        .enumerate()
        .filter(|(_, f)| **f != u32::MAX)
        .map(|(c, &f)| (f, c))
        .collect();
    seen.sort_unstable();
    let mut winner: HashMap<&str, usize> = HashMap::new();
    for &(_, c) in &seen {
        winner.insert(idents[c].0.key.as_str(), c);
    }
    let mut key_of = vec![u32::MAX; idents.len()];
    for (key, c) in winner {
        let next = keys.len() as u32;
        key_of[c] = *keys.entry(key).or_insert(next);
    }
    key_of
}

/// Base node positions by id: a table over odd (JS object) ids, a map for the others.
struct IdTable<'b> {
    odd: &'b [u32],
    other: HashMap<u32, u32>,
}

const NONE: u32 = u32::MAX;

impl IdTable<'_> {
    #[inline]
    fn get(&self, id: u32) -> u32 {
        if id % 2 == 1 {
            self.odd.get((id / 2) as usize).copied().unwrap_or(NONE)
        } else {
            self.other.get(&id).copied().unwrap_or(NONE)
        }
    }
}

/// Per public key, what matching by id found.
#[derive(Default, Clone)]
struct KeyTally {
    new: Vec<(u32, u32)>,
    deleted: Vec<(u32, u32)>,
    alloc: u64,
    freed: u64,
    /// The base member with the highest id (id, node), if the base has members.
    base_last: Option<(u32, u32)>,
    after_has: bool,
}

/// DevTools' Comparison rows without sorting every class's members: each newer object is
/// looked up by id in a table of the base's, and matches when the base object has the same
/// public key and was not matched yet (the same pairs as DevTools' merge of the two sorted
/// member lists, repeated ids in the newer snapshot included). `None` when an odd id repeats
/// in the base or an other id among its counted objects, or its ids are too sparse for a
/// table: then the merge does it.
fn rows_by_id(
    base: &BaseIndex,
    after_ids: &[u32],
    after_shallow: &[u32],
    a: &Side<'_>,
    b: &Side<'_>,
) -> Option<Vec<ClassDiff>> {
    let mut keys: HashMap<&str, u32> = HashMap::new();
    let a_key = winning_keys(after_shallow, &a.ident, &a.idents.list, &mut keys);
    let b_key = winning_keys(&base.shallow, &b.ident, &b.idents.list, &mut keys);
    let key_of_base =
        |j: usize| -> u32 { if base.shallow[j] == 0 { NONE } else { b_key[b.ident[j] as usize] } };
    let n = base.ids.len();
    // The base's table of nodes by odd id (the id check reads it too); the counted objects
    // with other ids in a map.
    let odd = base.odd_ids().unique_table()?;
    let mut other: HashMap<u32, u32> = HashMap::new();
    for j in 0..n {
        let id = base.ids[j];
        if id % 2 == 1 || key_of_base(j) == NONE {
            continue;
        }
        if other.insert(id, j as u32).is_some() {
            return None;
        }
    }
    let table = IdTable { odd, other };
    let mut tally = vec![KeyTally::default(); keys.len()];
    let mut matched = vec![false; n];
    for (i, (&id, &s)) in after_ids.iter().zip(after_shallow).enumerate() {
        if s == 0 {
            continue;
        }
        let k = a_key[a.ident[i] as usize];
        if k == NONE {
            continue;
        }
        let t = &mut tally[k as usize];
        t.after_has = true;
        let j = table.get(id);
        if j != NONE && !matched[j as usize] && key_of_base(j as usize) == k {
            matched[j as usize] = true;
        } else {
            t.new.push((id, i as u32));
            t.alloc += u64::from(s);
        }
    }
    drop(table);
    for j in 0..n {
        let k = key_of_base(j);
        if k == NONE {
            continue;
        }
        let t = &mut tally[k as usize];
        let id = base.ids[j];
        if t.base_last.is_none_or(|(last, _)| id > last) {
            t.base_last = Some((id, j as u32));
        }
        if !matched[j] {
            t.deleted.push((id, j as u32));
            t.freed += u64::from(base.shallow[j]);
        }
    }
    // Each key's winning identity on either side, for names and retained sizes.
    let mut a_ident_of_key = vec![NONE; keys.len()];
    for (c, &k) in a_key.iter().enumerate() {
        if k != NONE {
            a_ident_of_key[k as usize] = c as u32;
        }
    }
    let mut b_ident_of_key = vec![NONE; keys.len()];
    for (c, &k) in b_key.iter().enumerate() {
        if k != NONE {
            b_ident_of_key[k as usize] = c as u32;
        }
    }
    let mut sorted: Vec<(&str, u32)> = keys.into_iter().collect();
    sorted.sort_unstable();
    let mut rows = Vec::new();
    for (key, k) in sorted {
        let t = &mut tally[k as usize];
        if t.new.is_empty() && t.deleted.is_empty() {
            continue;
        }
        t.new.sort_unstable();
        t.deleted.sort_unstable();
        let name = if t.after_has {
            a.idents.list[a_ident_of_key[k as usize] as usize].1.clone()
        } else {
            // DevTools names a base-only row after its highest-id member, under the base's own
            // interface definitions.
            let last = t.base_last.map_or(0, |(_, j)| j as usize);
            base.classes[base.own_class[last] as usize].name.clone()
        };
        let retained_before = b.retained.as_ref().map(|r| match t.base_last {
            Some(_) => r[b_ident_of_key[k as usize] as usize],
            None => 0,
        });
        let retained_after = match (&a.retained, t.after_has) {
            (Some(r), true) => r[a_ident_of_key[k as usize] as usize],
            _ => 0,
        };
        rows.push(ClassDiff {
            key: key.to_string(),
            name,
            new_count: t.new.len() as u64,
            deleted_count: t.deleted.len() as u64,
            alloc_size: t.alloc,
            freed_size: t.freed,
            retained_before,
            retained_after,
            new_nodes: t.new.iter().map(|&(_, v)| NodeIdx(v)).collect(),
            deleted_nodes: t.deleted.iter().map(|&(_, v)| NodeIdx(v)).collect(),
        });
    }
    Some(rows)
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

#[cfg(test)]
mod tests {
    use heapsnap_format::{HeapSnapshot, NoProgress};
    use heapsnap_graph::{Analysis, AnalysisOptions, DominatorTree, HeapGraph};

    use super::{after_side, base_side, rows_by_id, rows_by_merge};
    use crate::{BaseIndex, BaseOptions};

    /// Matching by id gives DevTools' merge, row for row, on real pairs: leaks growing
    /// (listeners, detached DOM in Chromium), another process (few shared ids), Node 8, with
    /// and without the base's retained sizes.
    #[test]
    fn matching_by_id_is_the_merge() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../snapshots");
        for (before, after) in [
            ("leaks/listeners-baseline", "leaks/listeners-target"),
            ("leaks/detached-dom-baseline", "leaks/detached-dom-final"),
            ("hello", "shapes"),
            ("versions/node8-leak-baseline", "versions/node8-leak-target"),
        ] {
            let read = |f: &str| HeapSnapshot::from_path(root.join(format!("{f}.heapsnapshot.gz")));
            let b = read(before).unwrap();
            for opts in [BaseOptions::default(), BaseOptions::default().retained(false)] {
                let base = BaseIndex::with_options(&b, &opts);
                let snap = read(after).unwrap();
                let g = HeapGraph::new(&snap);
                let a = Analysis::new(&g, &AnalysisOptions::default(), &mut NoProgress);
                let tree = DominatorTree::new(&a);
                let (sa, sb) = (after_side(&g, &a, &tree, None), base_side(&base, &a));
                // The classes' own retained sizes (the Summary's) are the identities'.
                let per_class = heapsnap_graph::class_retained(
                    &tree,
                    g.root(),
                    &a.classes.of_node,
                    &a.shallow,
                    &a.retained,
                    a.classes.classes.len(),
                );
                let given = after_side(&g, &a, &tree, Some(&per_class));
                assert!(given.retained == sa.retained && given.ident == sa.ident, "{after}");
                let ids = snap.node_ids();
                let fast = rows_by_id(&base, ids, &a.shallow, &sa, &sb).unwrap();
                let merged = rows_by_merge(&base, ids, &a.shallow, &sa, &sb);
                assert!(!merged.is_empty(), "{before}");
                assert!(fast == merged, "{before} -> {after}: matching by id differs");
            }
        }
    }

    /// An id repeated among the base's objects is left to the merge, which pairs repeats one
    /// by one as DevTools does: two base objects with id 5, one newer: one deleted.
    #[test]
    fn repeated_base_ids_are_merged() {
        let snap = |nodes: &str, n: usize| {
            let json = format!(
                r#"{{"snapshot":{{"meta":{{"node_fields":["type","name","id","self_size","edge_count"],
                "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],
                "edge_types":[["element","property","shortcut"]]}},"node_count":{n},"edge_count":{}}},
                "nodes":[{nodes}],"edges":[{}],"strings":["","Leak"]}}"#,
                n - 1,
                (1..n).map(|k| format!("2,0,{}", 5 * k)).collect::<Vec<_>>().join(",")
            );
            HeapSnapshot::from_slice(json.as_bytes()).unwrap()
        };
        let before = snap("0,0,1,0,2, 1,1,5,8,0, 1,1,5,8,0", 3);
        let base = BaseIndex::new(&before);
        let after = snap("0,0,1,0,1, 1,1,5,8,0", 2);
        let g = HeapGraph::new(&after);
        let a = Analysis::new(&g, &AnalysisOptions::default(), &mut NoProgress);
        let tree = DominatorTree::new(&a);
        let (sa, sb) = (after_side(&g, &a, &tree, None), base_side(&base, &a));
        assert!(rows_by_id(&base, after.node_ids(), &a.shallow, &sa, &sb).is_none());
        let rows = crate::compare(&base, &g, &a);
        let leak = rows.iter().find(|r| r.name == "Leak").unwrap();
        assert_eq!((leak.new_count, leak.deleted_count), (0, 1));
    }
}
