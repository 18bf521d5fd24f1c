//! `heapsnap diff`: output, CI gate exit codes, `--emit` loading in DevTools, id checks.

use std::process::Command;

use crate::util::{heapsnap, heapsnap_ok, require_devtools, root};

const BASE: &str = "snapshots/synthetic/diff-base.heapsnapshot";
const TARGET: &str = "snapshots/synthetic/diff-target.heapsnapshot";

fn diff_json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["diff", "--json"];
    all.extend_from_slice(args);
    let out = heapsnap(&all);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn json_rows_and_noise() {
    let v = diff_json(&[BASE, TARGET]);
    assert_eq!(v["schema"], "heapsnap.diff/1");
    assert_eq!(v["ids"]["verdict"], "comparable");
    let classes = v["classes"].as_array().unwrap();
    let item = classes.iter().find(|c| c["name"] == "Item").unwrap();
    for (field, want) in [
        ("new_count", 2),
        ("deleted_count", 1),
        ("count_delta", 1),
        ("alloc_size", 48),
        ("freed_size", 24),
        ("size_delta", 24),
    ] {
        assert_eq!(item[field], want, "{field}");
    }
    assert!(item["retained_delta"].is_i64() && item["new_retained"].is_u64());
    // The native class with pointer-derived ids is hidden by default and said so...
    assert!(classes.iter().all(|c| c["name"] != "Node / Handle"));
    assert_eq!(v["hidden"]["native objects with unstable ids"], 1);
    // ...and shown with --all, labelled.
    let all = diff_json(&["--all", BASE, TARGET]);
    let native =
        all["classes"].as_array().unwrap().iter().find(|c| c["name"] == "Node / Handle").unwrap();
    assert_eq!(native["noise"], "native objects with unstable ids");
    // Sorted by size delta, largest growth first.
    let deltas: Vec<i64> = classes.iter().map(|c| c["size_delta"].as_i64().unwrap()).collect();
    assert!(deltas.windows(2).all(|w| w[0] >= w[1]), "{deltas:?}");
    // Holders of the growth, with a concrete path.
    let fresh = classes.iter().find(|c| c["name"] == "Fresh").unwrap();
    assert_eq!(fresh["holders"][0]["signature"], "global.f1");
    assert_eq!(fresh["holders"][0]["count"], 1);
    assert_eq!(fresh["holders"][0]["path"][1]["edge"], ".f1");
}

/// `--no-retained` leaves out the retained-size change (fields and column), `--paths 0` the
/// holders; the Comparison itself is the same.
#[test]
fn comparison_without_retained_sizes_or_paths() {
    let full = diff_json(&[BASE, TARGET]);
    let light = diff_json(&["--no-retained", "--paths", "0", BASE, TARGET]);
    let (full, light) = (full["classes"].as_array().unwrap(), light["classes"].as_array().unwrap());
    assert_eq!(full.len(), light.len());
    for (f, l) in full.iter().zip(light) {
        for k in ["retained_before", "retained_delta", "new_retained"] {
            assert!(l.get(k).is_none(), "{k}: {l}");
        }
        assert!(f["new_retained"].is_u64(), "{f}");
        assert_eq!(l["holders"], serde_json::json!([]), "{l}");
        for k in [
            "name",
            "key",
            "new_count",
            "deleted_count",
            "alloc_size",
            "freed_size",
            "retained_after",
        ] {
            assert_eq!(f[k], l[k], "{k}: {f} vs {l}");
        }
    }
    assert!(full.iter().any(|c| c["holders"].as_array().is_some_and(|h| !h.is_empty())));
    let text = heapsnap_ok(&["diff", "--no-retained", BASE, TARGET]);
    let header = text.lines().find(|l| l.starts_with("Class")).unwrap();
    assert!(header.ends_with("Size delta"), "{header}");
    let full_text = heapsnap_ok(&["diff", BASE, TARGET]);
    assert!(full_text.lines().any(|l| l.starts_with("Class") && l.ends_with("Retained delta")));
}

#[test]
fn ci_gate_exit_codes() {
    // Total growth is 63 bytes (DevTools' totals 376 -> 439).
    let pass = heapsnap(&["diff", BASE, TARGET, "--fail-over", "100"]);
    assert_eq!(pass.status.code(), Some(0), "{}", String::from_utf8_lossy(&pass.stderr));
    let fail = heapsnap(&["diff", BASE, TARGET, "--fail-over", "50B"]);
    assert_eq!(fail.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&fail.stderr),
        "heapsnap: FAIL: total heap grew by 63 B (63 bytes), over the --fail-over limit of 50 B\n"
    );
    let fail = heapsnap(&["diff", BASE, TARGET, "--fail-class", "Item>0"]);
    assert_eq!(fail.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&fail.stderr),
        "heapsnap: FAIL: class Item grew by 1 objects, over the limit of 0\n"
    );
    let ok =
        heapsnap(&["diff", BASE, TARGET, "--fail-class", "Item>1", "--fail-class", "Fresh>12B"]);
    assert_eq!(ok.status.code(), Some(0));
    let bad = heapsnap(&["diff", BASE, TARGET, "--fail-over", "lots"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn emit_writes_the_growth_as_a_snapshot_devtools_loads() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("growth.heapsnapshot");
    heapsnap_ok(&["diff", BASE, TARGET, "--emit", out.to_str().unwrap()]);
    let dump = heapsnap_ok(&["dump", out.to_str().unwrap()]);
    let names: Vec<String> = dump
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["name"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(names.iter().any(|n| n == "Fresh"), "{names:?}");
    assert!(names.iter().filter(|n| *n == "Item").count() >= 2, "{names:?}");
    assert!(
        names.iter().any(|n| n == "global"),
        "the retainer path to the root is kept: {names:?}"
    );
    assert!(!names.iter().any(|n| n == "Gone"), "deleted objects are not in AFTER");
    if require_devtools("emit (DevTools loads the emitted subset)") {
        let o = Command::new("node")
            .arg(root().join("scripts/devtools/load.mjs"))
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "DevTools rejects the emitted snapshot: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["node_count"].as_u64().unwrap() as usize, names.len());
        // And DevTools' analysis of it, node by node, is ours.
        let problems = crate::conformance::check(&out);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}

#[test]
fn different_processes_are_detected_and_compared_by_name() {
    let v = diff_json(&["snapshots/hello.heapsnapshot.gz", "snapshots/shapes.heapsnapshot.gz"]);
    assert_ne!(v["ids"]["verdict"], "comparable", "{}", v["ids"]);
    let by_name = v["by_name"].as_array().unwrap();
    let p3 = by_name.iter().find(|r| r["name"] == "Point3D").unwrap();
    assert_eq!((p3["count_before"].as_u64(), p3["count_after"].as_u64()), (Some(0), Some(25)));
    assert_eq!(p3["holders"][0]["signature"], "global.fixture.points[*]");
}
