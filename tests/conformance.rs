//! Conformance with Chrome DevTools: for every fixture, DevTools' own HeapSnapshot code
//! (`scripts/devtools/dump.mjs`, heap-snapshot-toolkit pinned) dumps every node's shallow size
//! after the ownership transfer, retained size, distance and dominator, and every Summary
//! class; our analysis must give the same numbers for all of them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use heapsnap_format::{HeapSnapshot, NodeIdx};
use heapsnap_graph::{Analysis, AnalysisOptions, HeapGraph, class_summaries};

use crate::util::{fixtures, node_available, rel, root};

fn devtools_dump(file: &Path) -> Vec<serde_json::Value> {
    let out = Command::new("node")
        .arg(root().join("scripts/devtools/dump.mjs"))
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dump.mjs failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(&fix_lone_surrogates(l)).unwrap())
        .collect()
}

/// `JSON.stringify` writes lone surrogates as `\udXXX`, which serde_json rejects; our strings
/// hold U+FFFD in their place, so compare with that.
fn fix_lone_surrogates(line: &str) -> String {
    let b = line.as_bytes();
    let hex = |i: usize| -> Option<u16> {
        line.get(i..i + 4).and_then(|h| u16::from_str_radix(h, 16).ok())
    };
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    let mut last = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        if b.get(i + 1) != Some(&b'u') {
            i += 2;
            continue;
        }
        let Some(u) = hex(i + 2) else {
            i += 2;
            continue;
        };
        if (0xD800..0xDC00).contains(&u)
            && b.get(i + 6) == Some(&b'\\')
            && b.get(i + 7) == Some(&b'u')
            && hex(i + 8).is_some_and(|l| (0xDC00..0xE000).contains(&l))
        {
            i += 12;
            continue;
        }
        if (0xD800..0xE000).contains(&u) {
            out.push_str(&line[last..i]);
            out.push_str("\\ufffd");
            last = i + 6;
        }
        i += 6;
    }
    out.push_str(&line[last..]);
    out
}

/// All fixtures: the real ones and the hand-made graphs.
fn conformance_inputs() -> Vec<PathBuf> {
    let mut v = fixtures();
    if let Ok(dir) = std::fs::read_dir(root().join("snapshots/synthetic")) {
        let mut syn: Vec<PathBuf> = dir
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".heapsnapshot"))
            .collect();
        syn.sort();
        v.extend(syn);
    }
    v
}

fn check(path: &Path) -> Vec<String> {
    let name = rel(path);
    let snap = HeapSnapshot::from_path(path).unwrap();
    let graph = HeapGraph::new(&snap);
    let a = Analysis::new(&graph, &AnalysisOptions::default(), &mut heapsnap_format::NoProgress);
    let dump = devtools_dump(path);
    let mut problems = Vec::new();
    let mut node_rows = 0;
    let mut ours_classes: BTreeMap<String, heapsnap_graph::ClassSummary> =
        class_summaries(&a, graph.root()).into_iter().map(|c| (c.key.clone(), c)).collect();
    let mut class_rows = 0;
    for row in &dump {
        match row["type"].as_str() {
            Some("meta") => {
                if row["node_count"].as_u64() != Some(snap.node_count() as u64) {
                    problems.push(format!("{name}: node_count differs"));
                }
                if row["total_size"].as_u64() != Some(a.total_size) {
                    problems.push(format!(
                        "{name}: total size {} vs DevTools {}",
                        a.total_size, row["total_size"]
                    ));
                }
            }
            Some("node") => {
                node_rows += 1;
                let i = row["i"].as_u64().unwrap() as usize;
                let ours = (
                    u64::from(a.shallow[i]),
                    a.retained[i],
                    i64::from(a.distance[i]),
                    u64::from(a.dominator[i]),
                    a.classes.of(NodeIdx(i as u32)).key.as_str(),
                    a.classes.of(NodeIdx(i as u32)).name.as_str(),
                );
                let theirs = (
                    row["self_size"].as_u64().unwrap(),
                    row["retained_size"].as_f64().unwrap() as u64,
                    row["distance"].as_i64().unwrap(),
                    row["dominator"].as_u64().unwrap(),
                    row["class_key"].as_str().unwrap(),
                    row["class_name"].as_str().unwrap(),
                );
                if ours != theirs && problems.len() < 20 {
                    problems.push(format!(
                        "{name}: node #{i} @{}: ours {ours:?} DevTools {theirs:?}",
                        row["id"]
                    ));
                }
            }
            Some("class") => {
                class_rows += 1;
                let key = row["key"].as_str().unwrap();
                match ours_classes.remove(key) {
                    None => problems.push(format!("{name}: class {key:?} missing in ours")),
                    Some(c) => {
                        let ours = (
                            c.name.as_str(),
                            c.count,
                            c.self_size,
                            c.retained_size,
                            i64::from(c.distance),
                        );
                        let theirs = (
                            row["name"].as_str().unwrap(),
                            row["count"].as_u64().unwrap(),
                            row["self_size"].as_u64().unwrap(),
                            row["retained_size"].as_f64().unwrap() as u64,
                            row["distance"].as_i64().unwrap(),
                        );
                        if ours != theirs && problems.len() < 40 {
                            problems.push(format!(
                                "{name}: class {key:?}: ours {ours:?} DevTools {theirs:?}"
                            ));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    for key in ours_classes.keys().take(10) {
        problems.push(format!("{name}: class {key:?} only in ours"));
    }
    assert_eq!(node_rows, snap.node_count(), "{name}: dump covers every node");
    assert!(class_rows > 0, "{name}: dump has classes");
    problems
}

#[test]
fn every_node_and_class_matches_devtools() {
    if !node_available() {
        eprintln!("SKIPPED every_node_and_class_matches_devtools: `node` not found");
        return;
    }
    let mut problems = Vec::new();
    for path in conformance_inputs() {
        problems.extend(check(&path));
    }
    assert!(
        problems.is_empty(),
        "{} differences from DevTools:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
