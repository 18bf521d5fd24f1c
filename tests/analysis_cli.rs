//! `summary`, `top`, `retainers` and `dump` on a real fixture: golden outputs, JSON fields,
//! and cross-checks between the commands.

use crate::util::{heapsnap, heapsnap_ok, root};

const SHAPES: &str = "snapshots/shapes.heapsnapshot.gz";

fn golden(name: &str) -> String {
    std::fs::read_to_string(root().join("tests/golden").join(name)).unwrap()
}

#[test]
fn summary_golden() {
    assert_eq!(heapsnap_ok(&["summary", SHAPES, "--top", "25"]), golden("summary-shapes.txt"));
    let json = heapsnap_ok(&["summary", "--json", SHAPES, "--sort", "count", "--top", "40"]);
    assert_eq!(json, golden("summary-shapes-count.json"));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["schema"], "heapsnap.summary/1");
    let rows = v["classes"].as_array().unwrap();
    assert_eq!(rows.len(), 40);
    for w in rows.windows(2) {
        assert!(w[0]["count"].as_u64() >= w[1]["count"].as_u64(), "sorted by count");
    }
    for field in ["name", "key", "count", "self_size", "retained_size", "distance"] {
        assert!(rows[0].get(field).is_some(), "{field}");
    }
}

#[test]
fn summary_counts_add_up_to_dump() {
    // Every node with a non-zero shallow size is in exactly one class row.
    let all: serde_json::Value =
        serde_json::from_str(&heapsnap_ok(&["summary", "--json", SHAPES])).unwrap();
    let rows = all["classes"].as_array().unwrap();
    assert_eq!(rows.len() as u64, all["class_count"].as_u64().unwrap());
    let count: u64 = rows.iter().map(|r| r["count"].as_u64().unwrap()).sum();
    let self_size: u64 = rows.iter().map(|r| r["self_size"].as_u64().unwrap()).sum();
    let dump = heapsnap_ok(&["dump", SHAPES]);
    let mut nodes = 0u64;
    let mut nonzero = 0u64;
    let mut total = 0u64;
    for line in dump.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        nodes += 1;
        let s = v["self_size"].as_u64().unwrap();
        if s > 0 {
            nonzero += 1;
        }
        total += s;
    }
    assert_eq!(nodes, all["node_count"].as_u64().unwrap());
    assert_eq!((count, self_size), (nonzero, total));
    assert_eq!(total, all["total_size"].as_u64().unwrap(), "no unreachable nodes in this fixture");
}

#[test]
fn top_golden() {
    assert_eq!(
        heapsnap_ok(&["top", SHAPES, "--depth", "2", "--limit", "4"]),
        golden("top-shapes.txt")
    );
    let v: serde_json::Value = serde_json::from_str(&heapsnap_ok(&[
        "top", "--json", SHAPES, "--depth", "1", "--limit", "2",
    ]))
    .unwrap();
    let children = v["root"]["children"].as_array().unwrap();
    assert_eq!(children.len(), 2);
    assert!(children[0]["retained_size"].as_u64() >= children[1]["retained_size"].as_u64());
    assert_eq!(v["root"]["retained_size"], v["total_size"]);
}

#[test]
fn retainers_golden_and_json() {
    // The default path choice: the string is a variable name in a scope info, so only engine
    // internals hold it; the best such path starts at the module scope of shapes-data.js.
    assert_eq!(
        heapsnap_ok(&["retainers", SHAPES, "@28233", "--paths", "2"]),
        golden("retainers-shapes.txt")
    );
    // DevTools' order.
    assert_eq!(
        heapsnap_ok(&["retainers", SHAPES, "@28233", "--paths", "2", "--path", "shortest"]),
        golden("retainers-shapes-shortest.txt")
    );
    let json = heapsnap_ok(&["retainers", "--json", SHAPES, "@28233", "--paths", "1"]);
    assert_eq!(json, golden("retainers-shapes.json"));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let steps = v["paths"][0]["steps"].as_array().unwrap();
    assert_eq!(steps[0]["node"]["name"], "system / Context");
    assert_eq!(v["paths"][0]["origin"], "module-scope");
    assert!(steps[0]["edge"].is_null());
    assert_eq!(steps.last().unwrap()["node"]["id"], 28233);
    assert_eq!(v["paths"][0]["length"].as_u64().unwrap() as usize, steps.len() - 1);
    let note = v["paths"][0]["note"].as_str().unwrap();
    assert!(note.starts_with("held only through V8 internals"), "{note}");
    let json = heapsnap_ok(&[
        "retainers",
        "--json",
        SHAPES,
        "@28233",
        "--paths",
        "1",
        "--path",
        "shortest",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["paths"][0]["steps"][0]["node"]["name"], "global");
    assert_eq!(v["paths"][0]["note"], serde_json::Value::Null);
}

#[test]
fn retainers_errors() {
    let out = heapsnap(&["retainers", SHAPES, "@2"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("heapsnap: {SHAPES}: no object with id @2\n")
    );
}
