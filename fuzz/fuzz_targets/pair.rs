//! Fuzz target for the analyses that take two snapshots: `heapsnap_diff` (DevTools'
//! Comparison view) and `heapsnap_leaks` (growth between snapshots), on fuzzed pairs.
//!
//! The input is two `.heapsnapshot` files (plain or gzipped) joined by [`SEP`]; without a
//! separator, the input is compared with itself. Inputs that do not parse are skipped (the
//! `parse` target covers the parser). For every pair that parses:
//!
//! 1. Building the graph and DevTools' analysis of each, the comparison of the two
//!    (`BaseIndex` of the first, `compare` with the second) and the leak report over both
//!    (`LeakReport::from_snapshots`) must not panic, hang or allocate without bound.
//! 2. A snapshot compared with itself has no change: every row of `compare` has as many new as
//!    deleted objects (ids are matched one to one), and the same sizes allocated and freed.

#![no_main]

use heapsnap_format::{HeapSnapshot, NoProgress};
use heapsnap_graph::{Analysis, AnalysisOptions, HeapGraph};
use libfuzzer_sys::fuzz_target;

/// Joins the two snapshots of an input.
const SEP: &[u8] = b"\n--heapsnap-pair--\n";

fn split(data: &[u8]) -> (&[u8], &[u8]) {
    match data.windows(SEP.len()).position(|w| w == SEP) {
        Some(at) => (&data[..at], &data[at + SEP.len()..]),
        None => (data, data),
    }
}

fn diff(base: &HeapSnapshot, after: &HeapSnapshot) -> Vec<heapsnap_diff::ClassDiff> {
    let index = heapsnap_diff::BaseIndex::new(base);
    let g = HeapGraph::new(after);
    let a = Analysis::new(&g, &AnalysisOptions::default(), &mut NoProgress);
    heapsnap_diff::compare(&index, &g, &a)
}

fuzz_target!(|data: &[u8]| {
    let (a, b) = split(data);
    let (Ok(a), Ok(b)) = (HeapSnapshot::from_slice(a), HeapSnapshot::from_slice(b)) else {
        return;
    };
    // Every node's id distinct, or "compared with itself" is not well defined.
    let mut ids = a.node_ids().to_vec();
    ids.sort_unstable();
    let unique_ids = ids.windows(2).all(|w| w[0] != w[1]);

    let _ = diff(&a, &b);
    let _ = diff(&b, &a);
    for row in diff(&a, &a) {
        if unique_ids {
            assert_eq!(
                (row.new_count, row.alloc_size),
                (row.deleted_count, row.freed_size),
                "a snapshot compared with itself changed: {row:?}"
            );
        }
    }
    let opts = heapsnap_leaks::LeakOptions::default();
    let pair = [a, b];
    let _ = heapsnap_leaks::LeakReport::from_snapshots(&pair, &opts);
    let _ = heapsnap_leaks::LeakReport::from_snapshots(&pair[..1], &opts);
});
