//! Every real fixture parses, and parse -> write -> parse is exact (plain and gzip).

use heapsnap_format::{HeapSnapshot, NodeKind, WriteOptions};

use crate::util::{fixtures, rel};

#[test]
fn every_fixture_round_trips_exactly() {
    for path in fixtures() {
        let snap = HeapSnapshot::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", rel(&path)));
        assert!(snap.node_count() > 20_000, "{}", rel(&path));
        assert!(snap.warnings().is_empty(), "{}: {:?}", rel(&path), snap.warnings());
        for gzip in [false, true] {
            let mut out = Vec::new();
            snap.write_with(&mut out, &WriteOptions::gzip(gzip)).unwrap();
            let back = HeapSnapshot::from_slice(&out).unwrap();
            assert!(back == snap, "{} (gzip {gzip}) did not round-trip", rel(&path));
            if !gzip {
                // A second write is byte-identical to the first.
                let mut again = Vec::new();
                back.write_to(&mut again).unwrap();
                assert!(again == out, "{}: second write differs", rel(&path));
            }
        }
    }
}

#[test]
fn fixtures_have_what_their_scripts_made() {
    let load = |name: &str| {
        HeapSnapshot::from_path(crate::util::root().join("snapshots").join(name)).unwrap()
    };
    // Allocation tracking: functions, a trace tree, samples, and nodes pointing into the tree.
    let t = load("tracking.heapsnapshot.gz");
    assert!(t.trace_function_infos().unwrap().len() >= 6 * 10);
    assert!(t.trace_tree().unwrap().len() > 10);
    assert!(!t.samples().unwrap().is_empty());
    assert!(t.node_trace_node_ids().iter().any(|&x| x != 0));
    // Strings with escapes: non-ASCII text decodes, V8's astral/lone-surrogate output is kept.
    let s = load("shapes.heapsnapshot.gz");
    let strings: Vec<&str> = s.strings().iter().collect();
    assert!(strings.iter().any(|x| x.contains("caf\u{e9}")), "é decoded");
    assert!(strings.iter().any(|x| x.contains('\u{4E2D}')), "CJK decoded");
    let lone = (0..s.strings().len() as u32)
        .filter(|&i| s.strings().has_lone_surrogates(heapsnap_format::StringIdx(i)))
        .count();
    assert!(lone >= 1, "the astral-high/low strings carry lone surrogate escapes");
    assert!(s.nodes().any(|n| n.kind() == NodeKind::Closure && n.name() == "getCount"));
    // exposeInternals: no shortcut edge from the root to the global.
    let i = load("internals.heapsnapshot.gz");
    assert!(i.node(i.root()).edges().all(|e| e.kind() != heapsnap_format::EdgeKind::Shortcut));
    let h = load("hello.heapsnapshot.gz");
    assert!(h.node(h.root()).edges().any(|e| e.kind() == heapsnap_format::EdgeKind::Shortcut));
}
