//! "Loads in Chrome DevTools", checked by running DevTools' own loader
//! (`scripts/devtools/load.mjs`, heap-snapshot-toolkit pinned) on what `heapsnap convert`
//! writes: it must see the same nodes, edges and total size as in the original V8 file.

use std::path::Path;
use std::process::Command;

use crate::util::{fixtures, heapsnap_ok, node_available, rel, root};

fn devtools_load(file: &Path) -> serde_json::Value {
    let out = Command::new("node")
        .arg(root().join("scripts/devtools/load.mjs"))
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "DevTools failed to load {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn devtools_loads_converted_output() {
    if !node_available() {
        eprintln!("SKIPPED devtools_loads_converted_output: `node` not found");
        return;
    }
    assert!(
        root().join("scripts/devtools/node_modules/heap-snapshot-toolkit").exists(),
        "DevTools harness not installed: run `npm ci --prefix scripts/devtools` (.ci/run does)"
    );
    let dir = tempfile::tempdir().unwrap();
    for fixture in fixtures() {
        let name = fixture.file_name().unwrap().to_string_lossy().replace(".heapsnapshot.gz", "");
        let original = devtools_load(&fixture);
        let info: serde_json::Value =
            serde_json::from_str(&heapsnap_ok(&["info", "--json", &rel(&fixture)])).unwrap();
        assert_eq!(original["node_count"], info["node_count"], "{name}");
        assert_eq!(original["edge_count"], info["edge_count"], "{name}");
        for (suffix, flag) in [(".heapsnapshot", "--no-gzip"), (".heapsnapshot.gz", "--gzip")] {
            let out = dir.path().join(format!("{name}{suffix}"));
            heapsnap_ok(&["convert", flag, &rel(&fixture), out.to_str().unwrap()]);
            let converted = devtools_load(&out);
            assert_eq!(
                converted, original,
                "{name}{suffix}: DevTools sees something else after convert"
            );
        }
    }
}
