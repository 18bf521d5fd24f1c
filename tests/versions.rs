//! Real snapshots of every Node line from 8 to 26 (`snapshots/versions/`, made by
//! `scripts/gen-version-fixtures.sh`): each parses with its own V8 layout, and the leak in each
//! version's baseline/target pair is found. (DevTools conformance covers these files with every
//! other fixture in `conformance.rs`, the diff conformance in `diff_conformance.rs`.)

use heapsnap_format::{HeapSnapshot, NodeKind};

use crate::util::{heapsnap, root};

/// The Node majors in `snapshots/versions/`.
pub(crate) const VERSIONS: [u32; 8] = [8, 10, 12, 16, 18, 22, 24, 26];

fn path(v: u32, name: &str) -> String {
    format!("snapshots/versions/node{v}-{name}.heapsnapshot.gz")
}

#[test]
fn every_version_parses_with_its_layout() {
    for v in VERSIONS {
        for name in ["hello", "leak-baseline", "leak-target"] {
            let file = path(v, name);
            let snap = HeapSnapshot::from_path(root().join(&file))
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            let meta = snap.meta();
            // trace_node_id from V8 6.x (Node 8) to Node 22; detachedness from Node 16 on.
            let mut fields = vec!["type", "name", "id", "self_size", "edge_count"];
            if v <= 22 {
                fields.push("trace_node_id");
            }
            if v >= 16 {
                fields.push("detachedness");
            }
            assert_eq!(meta.node_fields(), fields, "{file}");
            assert_eq!(meta.edge_fields(), ["type", "name_or_index", "to_node"], "{file}");
            let listed = match v {
                8 => 12,
                10..=18 => 14,
                _ => 15,
            };
            assert_eq!(meta.listed_node_type_count(), listed, "{file}");
            if v == 8 {
                // V8 6.2 writes symbols as type 12 without listing it: read as `symbol`.
                assert_eq!(meta.node_type_names().len(), 13, "{file}");
                assert!(snap.nodes().any(|n| n.kind() == NodeKind::Symbol), "{file}");
                assert_eq!(snap.warnings().len(), 1, "{file}: {:?}", snap.warnings());
                assert!(snap.warnings()[0].message.contains("read 12 as `symbol`"), "{file}");
            } else {
                assert_eq!(meta.node_type_names().len(), listed, "{file}");
                assert!(snap.warnings().is_empty(), "{file}: {:?}", snap.warnings());
            }
            // Generated from the neutral folder /app, never from a checkout.
            let scripts: Vec<&str> =
                snap.strings().iter().filter(|s| s.starts_with("/app/")).collect();
            assert!(scripts.iter().any(|s| s.starts_with("/app/take.js")), "{file}");
            assert!(!snap.strings().iter().any(|s| s.contains("/work/")), "{file}");
        }
    }
}

#[test]
fn the_leak_is_found_in_every_version() {
    for v in VERSIONS {
        let (b, t) = (path(v, "leak-baseline"), path(v, "leak-target"));
        let out = heapsnap(&["leaks", "--json", &b, &t]);
        assert!(out.status.success(), "node{v}: {}", String::from_utf8_lossy(&out.stderr));
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["growth_basis"], "ids", "node{v}: one process, ids match");
        let findings = r["findings"].as_array().unwrap();
        assert!(!findings.is_empty(), "node{v}: no finding");
        let top = &findings[0];
        // 200 sessions stored, 20 deleted again: their slots hold the hole (an oddball up to
        // V8 11, `system / Hole` nodes from V8 12 on), which is no entry. The keys are
        // concatenated strings up to Node 24, flat ones in Node 26: strings either way.
        assert_eq!(top["class"], "UserSession", "node{v}: {top}");
        assert_eq!(top["count"], 180, "node{v}: {top}");
        assert_eq!(top["growth"], serde_json::json!([0, 180]), "node{v}: {top}");
        assert_eq!(top["survivors"], 180, "node{v}: one per entry, keys not counted: {top}");
        assert_eq!(top["facts"]["collection"], "Map", "node{v}: {top}");
        assert_eq!(top["facts"]["entries"], 180, "node{v}: {top}");
        assert_eq!(top["facts"]["key"], "string", "node{v}: {top}");
        assert_eq!(top["facts"]["value"], "UserSession", "node{v}: {top}");
        assert_eq!(
            top["title"],
            "Map `userSessions` (leak.js) grows 0 -> 180 entries: string -> UserSession",
            "node{v}"
        );
        // The module's variable, named by its script (DevTools' shortest path starts at a
        // GC root or runs through Node's internals in every one of these versions).
        assert_eq!(top["path"]["text"], "leak.js: userSessions", "node{v}");
        assert_eq!(top["path"]["origin"], "module-scope", "node{v}");
        assert!(top["path"]["script"].as_str().unwrap().ends_with("/leak.js"), "node{v}");
    }
}
