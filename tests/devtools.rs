//! "Loads in Chrome DevTools", checked by running DevTools' own code (`scripts/devtools`,
//! heap-snapshot-toolkit pinned) on what `heapsnap convert` writes: DevTools must load it and
//! see every node (id, name, sizes, distance, dominator, class) and every class exactly as in
//! the original V8 file (`conformance.rs` checks those against our analysis).

use std::path::Path;
use std::process::Command;

use heapsnap_format::HeapSnapshot;

use crate::conformance::on_two_threads;
use crate::util::{all_fixtures, heapsnap_ok, rel, require_devtools, root};

/// DevTools' dump of every node and class (`scripts/devtools/dump.mjs`), as text lines.
fn dump_lines(file: &Path) -> Vec<String> {
    let out = Command::new("node")
        .arg(root().join("scripts/devtools/dump.mjs"))
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "DevTools failed to load {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
}

#[test]
fn devtools_sees_converted_output_node_by_node() {
    if !require_devtools("devtools_sees_converted_output_node_by_node") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Gzipped output for every fixture, plain output too for the top-level ones.
    let mut jobs = Vec::new();
    for (k, fixture) in all_fixtures().into_iter().enumerate() {
        let top = fixture.parent() == Some(&root().join("snapshots"));
        jobs.push((k, fixture.clone(), true));
        if top {
            jobs.push((k, fixture, false));
        }
    }
    let problems: Vec<String> = on_two_threads(&jobs, |(k, fixture, gzip)| {
        let name = rel(fixture);
        let (suffix, flag) =
            if *gzip { (".heapsnapshot.gz", "--gzip") } else { (".heapsnapshot", "--no-gzip") };
        let out = dir.path().join(format!("{k}{suffix}"));
        heapsnap_ok(&["convert", flag, &name, out.to_str().unwrap()]);
        let original = HeapSnapshot::from_path(fixture).unwrap();
        let converted = HeapSnapshot::from_path(&out).unwrap();
        assert!(converted == original, "{name}: convert changed the snapshot");
        let (theirs, ours) = (dump_lines(fixture), dump_lines(&out));
        std::fs::remove_file(&out).unwrap();
        assert!(theirs.len() > 1, "{name}: DevTools dumped nothing");
        let mut problems = Vec::new();
        if theirs.len() != ours.len() {
            problems.push(format!(
                "{name} ({flag}): DevTools dumps {} rows of the original, {} of the converted file",
                theirs.len(),
                ours.len()
            ));
        }
        for (a, b) in theirs.iter().zip(&ours).filter(|(a, b)| a != b).take(5) {
            problems.push(format!("{name} ({flag}):\n  original  {a}\n  converted {b}"));
        }
        problems
    })
    .concat();
    assert!(problems.is_empty(), "{} differences:\n{}", problems.len(), problems.join("\n"));
}

/// Where our allocation stacks differ from DevTools' (`scripts/devtools/alloc.mjs`, its
/// `allocationStack` of every node with a trace node id), and how many nodes were compared.
/// DevTools' stacks end with the tree's `(root)`, which ours leave out.
pub(crate) fn allocation_stack_differences(file: &Path) -> (usize, Vec<String>) {
    let out = Command::new("node")
        .arg(root().join("scripts/devtools/alloc.mjs"))
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "alloc.mjs {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let snap = HeapSnapshot::from_path(file).unwrap();
    let traces = heapsnap_graph::AllocationTraces::new(&snap);
    let mut problems = Vec::new();
    let mut compared = 0;
    let mut theirs_nodes = std::collections::BTreeSet::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let i = v["i"].as_u64().unwrap() as u32;
        theirs_nodes.insert(i);
        let mut want: Vec<serde_json::Value> = v["frames"].as_array().unwrap().clone();
        if want.last().is_some_and(|f| f[0] == "(root)") {
            want.pop();
        }
        let Some(t) = &traces else {
            problems.push(format!("node {i}: DevTools has a stack, we have no traces"));
            continue;
        };
        let ours: Vec<serde_json::Value> = t
            .stack(heapsnap_format::NodeIdx(i))
            .into_iter()
            .map(|f| {
                serde_json::json!([
                    f.function,
                    f.script,
                    f.script_id,
                    f.line.unwrap_or(0),
                    f.column.unwrap_or(0)
                ])
            })
            .collect();
        compared += 1;
        if ours != want && problems.len() < 10 {
            problems.push(format!("node {i}:\n  DevTools {want:?}\n  ours     {ours:?}"));
        }
    }
    // Nodes DevTools gives no stack to must have none from us either.
    if let Some(t) = &traces {
        for i in 0..snap.node_count() as u32 {
            if !theirs_nodes.contains(&i) && !t.stack(heapsnap_format::NodeIdx(i)).is_empty() {
                problems.push(format!("node {i}: a stack from us, none from DevTools"));
                break;
            }
        }
    }
    (compared, problems)
}

#[test]
fn allocation_stacks_are_devtools() {
    if !require_devtools("allocation_stacks_are_devtools") {
        return;
    }
    let file = root().join("snapshots/tracking.heapsnapshot.gz");
    let (compared, problems) = allocation_stack_differences(&file);
    assert!(compared > 1000, "only {compared} nodes with a trace node id");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
