//! Matching objects between snapshots by structure, when their ids do not follow objects.
//!
//! Each snapshot's objects are keyed by [`StructuralKeys`] (retaining path, class, own
//! property names). An earlier snapshot keeps, per key, how many objects it had
//! ([`Structure`], in its [`Census`](crate::Census)); the last one ranks its objects within
//! each key by id. Object `v` of the last snapshot, with rank `r` among the `m` objects of its
//! key, is taken to be *present* in an earlier snapshot that had `c` objects of the key when
//! `r < c`: of interchangeable objects the oldest (lowest ids) are the ones that were already
//! there. Every question growth asks of ids ("was this object in the first snapshot?") is
//! then answered per object, the same way for every detector.
//!
//! Collections are matched the same way: the collection of rank `r` under its key in the last
//! snapshot is the one of rank `r` in an earlier one, and its entry count there is the
//! earlier size.

use heapsnap_format::NodeIdx;
use heapsnap_graph::{HeapGraph, StructuralKeys};

/// An earlier snapshot's objects by structural key.
#[derive(Clone, Debug)]
pub(crate) struct Structure {
    /// (key, objects with it), sorted by key.
    counts: Vec<(u64, u32)>,
    /// (key, rank within the key, entries) of every collection with at least one entry,
    /// sorted.
    collections: Vec<(u64, u32, u32)>,
}

/// Keys of every node, the rank of each node among the nodes of its key (by id, then
/// position), and the number of nodes per key (sorted by key).
fn keys_and_ranks(g: &HeapGraph<'_>) -> (Vec<u64>, Vec<u32>, Vec<(u64, u32)>) {
    use rayon::prelude::*;
    let keys = StructuralKeys::new(g).keys().to_vec();
    let ids = g.snapshot().node_ids();
    let mut order: Vec<u32> = (0..keys.len() as u32).collect();
    order.par_sort_unstable_by_key(|&v| (keys[v as usize], ids[v as usize], v));
    let mut rank = vec![0u32; keys.len()];
    let mut counts: Vec<(u64, u32)> = Vec::new();
    for (k, &v) in order.iter().enumerate() {
        let v = v as usize;
        if k > 0 && keys[order[k - 1] as usize] == keys[v] {
            rank[v] = rank[order[k - 1] as usize] + 1;
        }
        match counts.last_mut() {
            Some(c) if c.0 == keys[v] => c.1 += 1,
            _ => counts.push((keys[v], 1)),
        }
    }
    (keys, rank, counts)
}

impl Structure {
    /// The structure of a snapshot; `collections` are its collections with at least one
    /// entry, as (node position, entries).
    pub(crate) fn new(g: &HeapGraph<'_>, collections: &[(u32, u32)]) -> Structure {
        let (keys, rank, counts) = keys_and_ranks(g);
        let mut colls: Vec<(u64, u32, u32)> = collections
            .iter()
            .map(|&(v, size)| (keys[v as usize], rank[v as usize], size))
            .collect();
        colls.sort_unstable();
        Structure { counts, collections: colls }
    }

    /// Objects with key `k`.
    fn count(&self, k: u64) -> u32 {
        match self.counts.binary_search_by_key(&k, |c| c.0) {
            Ok(i) => self.counts[i].1,
            Err(_) => 0,
        }
    }

    /// Entries of the collection of rank `r` under key `k`: `None` when the snapshot has no
    /// such object, `Some(0)` when it has one that holds nothing.
    fn collection_size(&self, k: u64, r: u32) -> Option<u32> {
        match self.collections.binary_search_by(|c| (c.0, c.1).cmp(&(k, r))) {
            Ok(i) => Some(self.collections[i].2),
            Err(_) => (self.count(k) > r).then_some(0),
        }
    }
}

/// The last snapshot's objects matched against the earlier snapshots' structures.
#[derive(Debug)]
pub(crate) struct Matching {
    /// Per earlier snapshot, a bit per node of the last one: present there.
    present: Vec<Vec<u64>>,
    /// Per collection of the last snapshot (node position, sorted): its size in each earlier
    /// snapshot.
    collections: Vec<(u32, Vec<Option<u32>>)>,
}

impl Matching {
    /// Matches the nodes of `g` against `priors` (oldest first); `collections` are the last
    /// snapshot's collections with at least one entry, as (node position, entries).
    pub(crate) fn new(
        priors: &[&Structure],
        g: &HeapGraph<'_>,
        collections: &[(u32, u32)],
    ) -> Matching {
        let t = std::time::Instant::now();
        let (keys, rank, _) = keys_and_ranks(g);
        let n = keys.len();
        let present = priors
            .iter()
            .map(|p| {
                let mut bits = vec![0u64; n.div_ceil(64)];
                for v in 0..n {
                    if rank[v] < p.count(keys[v]) {
                        bits[v / 64] |= 1 << (v % 64);
                    }
                }
                bits
            })
            .collect();
        let mut colls: Vec<(u32, Vec<Option<u32>>)> = collections
            .iter()
            .map(|&(v, _)| {
                let (k, r) = (keys[v as usize], rank[v as usize]);
                (v, priors.iter().map(|p| p.collection_size(k, r)).collect())
            })
            .collect();
        colls.sort_unstable_by_key(|c| c.0);
        log::debug!("leaks: matching {n} objects by structure took {:.2?}", t.elapsed());
        Matching { present, collections: colls }
    }

    /// Whether object `v` of the last snapshot was in earlier snapshot `p`.
    #[inline]
    pub(crate) fn present(&self, p: usize, v: NodeIdx) -> bool {
        let i = v.index();
        self.present.get(p).is_some_and(|b| b[i / 64] & (1 << (i % 64)) != 0)
    }

    /// The sizes in each earlier snapshot of collection `v` of the last one (`None` for a
    /// node that is not one of its collections).
    pub(crate) fn collection_sizes(&self, v: NodeIdx) -> Option<&[Option<u32>]> {
        self.collections
            .binary_search_by_key(&v.0, |c| c.0)
            .ok()
            .map(|i| self.collections[i].1.as_slice())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use heapsnap_format::{HeapSnapshot, NoProgress};
    use heapsnap_graph::{Analysis, AnalysisOptions, HeapGraph};

    use crate::testutil::{snapshots, summary};
    use crate::{Category, Census, GrowthBasis, LeakOptions, LeakReport};

    /// Reports on `files` (relative to `snapshots/`), the earlier ones reduced by `census`.
    fn report(files: &[&str], census: fn(&HeapSnapshot) -> Census) -> LeakReport {
        let (last, earlier) = files.split_last().unwrap();
        let read = |f: &str| HeapSnapshot::from_path(snapshots().join(f)).unwrap();
        let priors: Vec<Census> = earlier.iter().map(|f| census(&read(f))).collect();
        let snap = read(last);
        assert!(!Census::ids_comparable(&priors, &snap));
        let g = HeapGraph::new(&snap);
        let a = Analysis::new(&g, &AnalysisOptions::default(), &mut NoProgress);
        LeakReport::new(&priors, &g, &a, &LeakOptions::default())
    }

    const SESSIONS: [&str; 3] = [
        "separate/sessions-1.heapsnapshot.gz",
        "separate/sessions-2.heapsnapshot.gz",
        "separate/sessions-3.heapsnapshot.gz",
    ];

    #[test]
    fn separate_captures_are_matched_by_structure() {
        // Three `heapsnap capture` runs of one service, 60 leaking requests between each.
        let r = report(&SESSIONS, Census::with_structure);
        assert_eq!(r.growth_basis, GrowthBasis::Structure);
        type Row<'a> = (Category, &'a str, Option<&'a [u64]>, Option<u64>);
        let got: Vec<Row<'_>> = r
            .findings
            .iter()
            .map(|f| (f.category, f.class.as_str(), f.growth.as_deref(), f.survivors))
            .collect();
        let steps = Some(&[0, 60, 120][..]);
        assert_eq!(
            got,
            [
                (Category::Timers, "Timeout", steps, Some(60)),
                (Category::Listeners, "onConfigChange()", steps, Some(60)),
                // The Map's entries, one per entry (keys are not counted): 60 from between 1
                // and 2.
                (Category::Collections, "UserSession", steps, Some(60)),
            ],
            "{}",
            summary(&r)
        );
    }

    #[test]
    fn without_structure_class_counts() {
        // Plain censuses keep no structural keys: class counts, no survivors.
        let r = report(&SESSIONS, Census::new);
        assert_eq!(r.growth_basis, GrowthBasis::ClassCounts);
        assert!(r.findings.iter().all(|f| f.survivors.is_none()), "{}", summary(&r));
        let timers = r.findings.iter().find(|f| f.category == Category::Timers).unwrap();
        // Node's own timers (the server's connection check, ...) count in the class.
        assert!(timers.growth.as_deref().unwrap()[0] > 0, "{}", summary(&r));
    }

    #[test]
    fn another_process_of_the_same_service() {
        // sessions-other: another process of the service after 30 requests.
        let r = report(
            &["separate/sessions-other.heapsnapshot.gz", SESSIONS[2]],
            Census::with_structure,
        );
        assert_eq!(r.growth_basis, GrowthBasis::Structure);
        assert_eq!(r.findings.len(), 3, "{}", summary(&r));
        for f in &r.findings {
            assert_eq!(f.growth.as_deref(), Some(&[30, 120][..]), "{}", summary(&r));
        }
    }
}
