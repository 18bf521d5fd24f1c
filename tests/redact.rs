//! Redaction: secrets held by a real Node heap (a string value, a Map key, a dictionary
//! property name, a concatenated string, a dictionary key with a number value) survive in no
//! output of any command run with `--redact`, nor in the file `heapsnap redact` writes; the
//! graph DevTools computes from the redacted file is the original's, node for node; redacting
//! twice changes nothing.

use std::path::Path;
use std::process::Command;

use crate::util::{heapsnap, heapsnap_ok, require_devtools, root};

const BASE: &str = "snapshots/secrets/secrets-baseline.heapsnapshot.gz";
const TARGET: &str = "snapshots/secrets/secrets-target.heapsnapshot.gz";
const MARKERS: [&str; 6] =
    ["SECRETVAL", "SECRETKEY", "SECRETDICT", "SECRETCONS", "SECRETPROP", "SECRETPEM"];

fn leaked(text: &str) -> Vec<&'static str> {
    MARKERS.iter().copied().filter(|m| text.contains(m)).collect()
}

fn gunzip(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut s)
            .unwrap();
        s
    } else {
        String::from_utf8(bytes).unwrap()
    }
}

/// The fixture holds every kind of secret (else the test below proves nothing).
#[test]
fn fixture_holds_every_secret() {
    for f in [BASE, TARGET] {
        let text = gunzip(&root().join(f));
        assert_eq!(leaked(&text), MARKERS.to_vec(), "{f}");
    }
    // And unredacted outputs do show them.
    assert!(!leaked(&heapsnap_ok(&["dump", TARGET])).is_empty());
    assert!(!leaked(&heapsnap_ok(&["diff", BASE, TARGET, "--json"])).is_empty());
}

#[test]
fn no_secret_in_any_output_with_redact() {
    let dir = tempfile::tempdir().unwrap();
    let emit = dir.path().join("growth.heapsnapshot");
    let conv = dir.path().join("conv.heapsnapshot.gz");
    // A Session object, for `retainers`.
    let session = heapsnap_ok(&["dump", TARGET])
        .lines()
        .find(|l| l.contains("\"class\":\"Session\""))
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            format!("@{}", v["id"])
        })
        .unwrap();
    let runs: Vec<Vec<&str>> = vec![
        vec!["info", TARGET],
        vec!["info", "--json", TARGET],
        vec!["summary", TARGET],
        vec!["summary", "--json", TARGET],
        vec!["top", TARGET],
        vec!["dump", TARGET],
        vec!["retainers", TARGET, &session],
        vec!["retainers", "--json", TARGET, &session],
        vec!["leaks", TARGET],
        vec!["leaks", "--json", TARGET],
        vec!["leaks", BASE, TARGET],
        vec!["leaks", "--json", BASE, TARGET],
        vec!["diff", BASE, TARGET],
        vec!["diff", "--json", BASE, TARGET],
        vec!["diff", BASE, TARGET, "--emit", emit.to_str().unwrap()],
        vec!["convert", TARGET, conv.to_str().unwrap()],
    ];
    for args in runs {
        let mut full = vec!["--redact"];
        full.extend(&args);
        let out = heapsnap(&full);
        assert!(out.status.success(), "{full:?}: {}", String::from_utf8_lossy(&out.stderr));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(leaked(&text).is_empty(), "{full:?} printed {:?}", leaked(&text));
    }
    for file in [&emit, &conv] {
        let text = gunzip(file);
        assert!(text.starts_with("{\"snapshot\""), "{}", file.display());
        assert!(leaked(&text).is_empty(), "{} holds {:?}", file.display(), leaked(&text));
    }
}

#[test]
fn redacted_file_is_the_same_graph_for_devtools_and_stable() {
    if !require_devtools("redacted_file_is_the_same_graph_for_devtools_and_stable") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (name, f) in [("baseline", BASE), ("target", TARGET)] {
        let once = dir.path().join(format!("{name}-1.heapsnapshot"));
        let twice = dir.path().join(format!("{name}-2.heapsnapshot"));
        let strict = dir.path().join(format!("{name}-strict.heapsnapshot.gz"));
        heapsnap_ok(&["redact", f, once.to_str().unwrap()]);
        heapsnap_ok(&["redact", once.to_str().unwrap(), twice.to_str().unwrap()]);
        heapsnap_ok(&["redact", "--strict", f, strict.to_str().unwrap()]);
        let text = gunzip(&once);
        assert!(leaked(&text).is_empty(), "{name}: {:?}", leaked(&text));
        assert_eq!(text, gunzip(&twice), "{name}: redacting twice changed the file");
        let strict_text = gunzip(&strict);
        assert!(leaked(&strict_text).is_empty());
        assert!(
            !strict_text.contains("/tmp/heapsnap-fixture/secrets.js"),
            "{name}: --strict kept the script URL"
        );
        assert!(
            text.contains("/tmp/heapsnap-fixture/secrets.js"),
            "{name}: the script URL is kept"
        );

        // DevTools' own analysis of the redacted file: every node's id, sizes, distance and
        // dominator equal the original's; class keys too, except the `{a, b}` names DevTools
        // infers from property names that were data.
        let original = devtools_dump(&root().join(f));
        for red in [&once, &strict] {
            let redacted = devtools_dump(red);
            assert_eq!(original.len(), redacted.len(), "{name}: node count");
            let mut classes_differ = 0;
            for (a, b) in original.iter().zip(&redacted) {
                for k in ["type", "i", "id", "self_size", "retained_size", "distance", "dominator"]
                {
                    assert_eq!(a.get(k), b.get(k), "{name}: node {} field {k}", a["i"]);
                }
                if a["type"] == "meta" {
                    assert_eq!(a, b, "{name}: meta");
                } else if a["class_key"] != b["class_key"] {
                    // Only plain objects, whose `{a, b}` class comes from property names.
                    let plain = |v: &serde_json::Value| {
                        let c = v["class_name"].as_str().unwrap_or("");
                        c == "Object" || c.starts_with('{')
                    };
                    assert!(plain(a) && plain(b), "{name}: class changed: {a} -> {b}");
                    classes_differ += 1;
                }
            }
            // Only plain objects whose property names were data: a small share of the heap.
            assert!(classes_differ < original.len() / 100, "{name}: {classes_differ}");
        }
    }
}

fn devtools_dump(file: &Path) -> Vec<serde_json::Value> {
    let out = Command::new("node")
        .arg(root().join("scripts/devtools/dump.mjs"))
        .arg(file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["type"] != "class")
        .collect()
}
