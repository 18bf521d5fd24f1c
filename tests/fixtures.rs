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

/// No committed file names the folder it was made in: goldens, manifests, READMEs and docs,
/// and the fixture snapshots themselves (V8 keeps each script's full path and Node its working
/// directory). The scripts in `scripts/` run their programs from `/tmp/heapsnap-fixture/NAME`,
/// so outputs are the same on every machine, wherever the checkout is.
#[test]
fn no_checkout_path_in_committed_files() {
    use std::io::Read;
    use std::path::{Path, PathBuf};

    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with('.') || name == "node_modules" || name == "target" {
                continue;
            }
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let root = crate::util::root();
    let checkout = root.to_string_lossy().into_owned();
    let mut files = Vec::new();
    for dir in ["tests/golden", "docs", "snapshots", "scripts"] {
        walk(&root.join(dir), &mut files);
    }
    files.push(root.join("README.md"));
    let mut checked = (0, 0);
    let mut found = Vec::new();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let text = if name.ends_with(".heapsnapshot.gz") {
            checked.1 += 1;
            let mut s = Vec::new();
            flate2::read::MultiGzDecoder::new(std::fs::File::open(f).unwrap())
                .read_to_end(&mut s)
                .unwrap();
            s
        } else if f.starts_with(root.join("tests/golden"))
            || name.ends_with(".md")
            || (name.starts_with("manifest") && name.ends_with(".json"))
        {
            checked.0 += 1;
            std::fs::read(f).unwrap()
        } else {
            continue;
        };
        let text = String::from_utf8_lossy(&text);
        for bad in ["/work/", checkout.as_str()] {
            if let Some(at) = text.find(bad) {
                let end = text[at..].find(['"', '\n', ')']).map_or(text.len(), |e| at + e);
                found.push(format!("{}: {}", crate::util::rel(f), &text[at..end.min(at + 120)]));
                break;
            }
        }
    }
    assert!(checked.0 >= 20 && checked.1 >= 50, "{checked:?} files checked");
    assert!(found.is_empty(), "checkout paths in committed files:\n{}", found.join("\n"));
}
