//! Conformance with Chrome DevTools: for every fixture of every fixture folder, DevTools' own
//! HeapSnapshot code (`scripts/devtools/dump.mjs`, heap-snapshot-toolkit pinned) dumps every
//! node's id, name, shallow size after the ownership transfer, retained size, distance,
//! dominator and class, and every Summary class; our analysis must give the same for all.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use heapsnap_format::{HeapSnapshot, NodeIdx};
use heapsnap_graph::{Analysis, AnalysisOptions, HeapGraph, class_summaries};

use crate::util::{all_fixtures, rel, require_devtools, root};

pub(crate) fn devtools_dump(file: &Path) -> Vec<serde_json::Value> {
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

/// DevTools' names for the type values a file uses past `meta.node_types` (V8 6.x's `symbol`):
/// the type has no name there, so DevTools' class is `(undefined)`; ours is named after V8's type
/// order (`(symbol)`). This is the one deliberate difference; it maps DevTools' text to ours.
fn unlisted_type_class(snap: &HeapSnapshot) -> Option<String> {
    let names = snap.meta().node_type_names();
    let listed = snap.meta().listed_node_type_count();
    let used: std::collections::BTreeSet<u8> =
        snap.node_types().iter().copied().filter(|&t| usize::from(t) >= listed).collect();
    assert!(used.len() <= 1, "DevTools merges several unlisted types into one class");
    used.first().map(|&t| format!("({})", names[usize::from(t)]))
}

/// Our analysis of `path` against DevTools' own (every node: id, name, shallow and retained
/// size, distance, dominator, class key and name; every class; the totals). Returns the
/// differences.
pub(crate) fn check(path: &Path) -> Vec<String> {
    let name = rel(path);
    let snap = HeapSnapshot::from_path(path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let graph = HeapGraph::new(&snap);
    let a = Analysis::new(&graph, &AnalysisOptions::default(), &mut heapsnap_format::NoProgress);
    let dump = devtools_dump(path);
    let unlisted = unlisted_type_class(&snap);
    let devtools_text = |t: &str| -> String {
        match &unlisted {
            Some(ours) => t.replace("(undefined)", ours),
            None => t.to_string(),
        }
    };
    let mut problems = Vec::new();
    let mut node_rows = 0;
    let mut meta_rows = 0;
    let mut ours_classes: BTreeMap<String, heapsnap_graph::ClassSummary> =
        class_summaries(&a, graph.root()).into_iter().map(|c| (c.key.clone(), c)).collect();
    let mut class_rows = 0;
    for row in &dump {
        match row["type"].as_str() {
            Some("meta") => {
                meta_rows += 1;
                let ours = (snap.node_count() as u64, snap.edge_count() as u64, a.total_size);
                let theirs = (
                    row["node_count"].as_u64().unwrap(),
                    row["edge_count"].as_u64().unwrap(),
                    row["total_size"].as_u64().unwrap(),
                );
                if ours != theirs {
                    problems.push(format!(
                        "{name}: (nodes, edges, total size) ours {ours:?} DevTools {theirs:?}"
                    ));
                }
            }
            Some("node") => {
                node_rows += 1;
                let i = row["i"].as_u64().unwrap() as usize;
                let idx = NodeIdx(i as u32);
                let ours = (
                    u64::from(snap.node(idx).id().0),
                    a.node_name(&snap, idx).into_owned(),
                    u64::from(a.shallow[i]),
                    a.retained[i],
                    i64::from(a.distances()[i]),
                    u64::from(a.dominators()[i]),
                    a.classes.of(idx).key.clone(),
                    a.classes.of(idx).name.clone(),
                );
                let theirs = (
                    row["id"].as_u64().unwrap(),
                    row["raw_name"].as_str().unwrap().to_string(),
                    row["self_size"].as_u64().unwrap(),
                    row["retained_size"].as_f64().unwrap() as u64,
                    row["distance"].as_i64().unwrap(),
                    row["dominator"].as_u64().unwrap(),
                    devtools_text(row["class_key"].as_str().unwrap()),
                    devtools_text(row["class_name"].as_str().unwrap()),
                );
                if ours != theirs && problems.len() < 20 {
                    problems.push(format!("{name}: node #{i}: ours {ours:?} DevTools {theirs:?}"));
                }
            }
            Some("class") => {
                class_rows += 1;
                let key = devtools_text(row["key"].as_str().unwrap());
                match ours_classes.remove(&key) {
                    None => problems.push(format!("{name}: class {key:?} missing in ours")),
                    Some(c) => {
                        let ours = (
                            c.name.clone(),
                            c.count,
                            c.self_size,
                            c.retained_size,
                            i64::from(c.distance),
                        );
                        let theirs = (
                            devtools_text(row["name"].as_str().unwrap()),
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
            other => problems.push(format!("{name}: unexpected dump row type {other:?}")),
        }
    }
    for key in ours_classes.keys().take(10) {
        problems.push(format!("{name}: class {key:?} only in ours"));
    }
    assert_eq!(meta_rows, 1, "{name}: the dump has one meta row");
    assert_eq!(node_rows, snap.node_count(), "{name}: dump covers every node");
    assert!(class_rows > 0, "{name}: dump has classes");
    problems
}

/// Runs `f` on every item on two threads (the machine has two cores; each item runs node),
/// and returns all results in item order.
pub(crate) fn on_two_threads<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut out: Vec<(usize, R)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(k) else { break };
                        mine.push((k, f(item)));
                    }
                    mine
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    out.sort_by_key(|(k, _)| *k);
    out.into_iter().map(|(_, r)| r).collect()
}

#[test]
fn every_node_and_class_matches_devtools() {
    if !require_devtools("every_node_and_class_matches_devtools") {
        return;
    }
    let inputs = all_fixtures();
    // Every folder's fixtures, the Chromium page and the worker heap included.
    for must in [
        "snapshots/chrome-page.heapsnapshot.gz",
        "snapshots/worker.heapsnapshot.gz",
        "snapshots/leaks/worker-target.heapsnapshot.gz",
        "snapshots/versions/node8-hello.heapsnapshot.gz",
        "snapshots/versions/node26-leak-target.heapsnapshot.gz",
        "snapshots/synthetic/detached.heapsnapshot",
    ] {
        assert!(inputs.contains(&root().join(must)), "{must} is checked");
    }
    let problems: Vec<String> = on_two_threads(&inputs, |p| check(p)).concat();
    assert!(
        problems.is_empty(),
        "{} differences from DevTools:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
