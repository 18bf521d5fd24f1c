//! Conformance of `heapsnap-diff` with DevTools' Comparison view: DevTools' own code
//! (`scripts/devtools/diff.mjs`: the target's interface definitions applied to the base, as the
//! UI does) must give exactly our rows on every fixture pair.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use heapsnap_format::{HeapSnapshot, NoProgress};
use heapsnap_graph::{Analysis, AnalysisOptions, HeapGraph};

use crate::util::{require_devtools, root};

fn devtools_diff(base: &Path, target: &Path) -> BTreeMap<String, serde_json::Value> {
    let out = Command::new("node")
        .arg(root().join("scripts/devtools/diff.mjs"))
        .arg(base)
        .arg(target)
        .output()
        .unwrap();
    assert!(out.status.success(), "diff.mjs failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["key"].as_str().unwrap().to_string(), v)
        })
        .collect()
}

fn ours(base: &Path, target: &Path) -> BTreeMap<String, serde_json::Value> {
    let before = HeapSnapshot::from_path(base).unwrap();
    let index = heapsnap_diff::BaseIndex::new(&before);
    // The base without retained sizes and paths (what `report` embeds): the same rows.
    let light_opts = heapsnap_diff::BaseOptions::default().retained(false).holders(false);
    let light = heapsnap_diff::BaseIndex::with_options(&before, &light_opts);
    drop(before);
    let after = HeapSnapshot::from_path(target).unwrap();
    let g = HeapGraph::new(&after);
    let a = Analysis::new(&g, &AnalysisOptions::default(), &mut NoProgress);
    let rows = heapsnap_diff::compare(&index, &g, &a);
    let mut light_rows = heapsnap_diff::compare(&light, &g, &a);
    assert!(light_rows.iter().all(|r| r.retained_before.is_none()), "{}", base.display());
    for (l, r) in light_rows.iter_mut().zip(&rows) {
        l.retained_before = r.retained_before;
    }
    assert!(
        light_rows == rows,
        "{} -> {}: the light base differs",
        base.display(),
        target.display()
    );
    assert_eq!(light.total_size(), index.total_size(), "{}", base.display());
    rows.into_iter()
        .map(|r| {
            let v = serde_json::json!({
                "key": r.key, "name": r.name, "new_count": r.new_count, "deleted_count": r.deleted_count,
                "count_delta": r.count_delta(), "alloc_size": r.alloc_size, "freed_size": r.freed_size,
                "size_delta": r.size_delta(),
            });
            (r.key, v)
        })
        .collect()
}

pub(crate) fn diff_pairs() -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = vec![
        (
            "snapshots/synthetic/diff-base.heapsnapshot".into(),
            "snapshots/synthetic/diff-target.heapsnapshot".into(),
        ),
        ("snapshots/hello.heapsnapshot.gz".into(), "snapshots/shapes.heapsnapshot.gz".into()),
        ("snapshots/shapes.heapsnapshot.gz".into(), "snapshots/internals.heapsnapshot.gz".into()),
        ("snapshots/hello.heapsnapshot.gz".into(), "snapshots/numeric.heapsnapshot.gz".into()),
    ];
    // Same-process leak scenarios: baseline -> target and target -> final.
    {
        let dir = std::fs::read_dir(root().join("snapshots/leaks"))
            .expect("fixture folder snapshots/leaks is missing");
        let mut names: Vec<String> = dir
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with("-baseline.heapsnapshot.gz"))
            .map(|n| n.trim_end_matches("-baseline.heapsnapshot.gz").to_string())
            .collect();
        names.sort();
        for n in names {
            let f = |phase: &str| format!("snapshots/leaks/{n}-{phase}.heapsnapshot.gz");
            pairs.push((f("baseline"), f("target")));
            if root().join(f("final")).exists() {
                pairs.push((f("target"), f("final")));
            }
        }
    }
    // The services' pairs.
    for name in ["app", "store", "agents"] {
        let f = |phase: &str| format!("snapshots/{name}/{name}-{phase}.heapsnapshot.gz");
        pairs.push((f("baseline"), f("target")));
    }
    // Every Node version's leak pair, and one pair across versions (nothing matches by id).
    for v in crate::versions::VERSIONS {
        let f = |phase: &str| format!("snapshots/versions/node{v}-leak-{phase}.heapsnapshot.gz");
        pairs.push((f("baseline"), f("target")));
    }
    pairs.push((
        "snapshots/versions/node24-hello.heapsnapshot.gz".into(),
        "snapshots/versions/node26-hello.heapsnapshot.gz".into(),
    ));
    for (b, t) in &pairs {
        assert!(root().join(b).exists() && root().join(t).exists(), "{b} -> {t}: missing");
    }
    pairs
}

#[test]
fn comparison_matches_devtools_on_every_pair() {
    if !require_devtools("comparison_matches_devtools_on_every_pair") {
        return;
    }
    let mut problems = Vec::new();
    for (b, t) in diff_pairs() {
        let (b, t) = (root().join(b), root().join(t));
        let mut theirs = devtools_diff(&b, &t);
        if [&b, &t].iter().any(|f| f.to_string_lossy().contains("/node8-")) {
            // V8 6.x's unlisted `symbol` type: DevTools' class `(undefined)` is our `(symbol)`
            // (see `conformance::unlisted_type_class`).
            theirs = theirs
                .into_iter()
                .map(|(k, mut v)| {
                    let k = k.replace("(undefined)", "(symbol)");
                    v["key"] = k.clone().into();
                    v["name"] =
                        v["name"].as_str().unwrap().replace("(undefined)", "(symbol)").into();
                    (k, v)
                })
                .collect();
        }
        let ours = ours(&b, &t);
        assert!(
            !theirs.is_empty(),
            "{} -> {}: DevTools sees no change at all",
            b.display(),
            t.display()
        );
        for key in theirs.keys().chain(ours.keys()) {
            if theirs.get(key) != ours.get(key) && problems.len() < 30 {
                problems.push(format!(
                    "{} -> {}: {key:?}\n  ours     {:?}\n  DevTools {:?}",
                    b.file_name().unwrap().to_string_lossy(),
                    t.file_name().unwrap().to_string_lossy(),
                    ours.get(key),
                    theirs.get(key)
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{} differences:\n{}", problems.len(), problems.join("\n"));
}
