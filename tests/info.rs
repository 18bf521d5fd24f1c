//! `heapsnap info`: golden output on a fixture, JSON fields, stdin, exit codes.

use crate::util::{heapsnap, heapsnap_ok, root};

#[test]
fn info_text_golden() {
    let out = heapsnap_ok(&["info", "snapshots/hello.heapsnapshot.gz"]);
    let golden = std::fs::read_to_string(root().join("tests/golden/info-hello.txt")).unwrap();
    assert_eq!(out, golden);
}

#[test]
fn info_json_golden_and_fields() {
    let out = heapsnap_ok(&["info", "--json", "snapshots/tracking.heapsnapshot.gz"]);
    let golden = std::fs::read_to_string(root().join("tests/golden/info-tracking.json")).unwrap();
    assert_eq!(out, golden);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["schema"], "heapsnap.info/1");
    // Cross-checked against DevTools' loader (scripts/devtools/load.mjs) on this file.
    assert_eq!(v["node_count"], 41391);
    assert_eq!(v["edge_count"], 185649);
    assert_eq!(v["total_self_size"], 3069263);
    assert_eq!(v["node_fields"].as_array().unwrap().len(), 7);
    assert_eq!(v["trace_function_count"], 44);
    assert_eq!(v["sample_count"], 9);
    assert!(v["string_count"].as_u64().unwrap() > 20_000);
}

#[test]
fn info_reads_stdin() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let bytes = std::fs::read(root().join("snapshots/hello.heapsnapshot.gz")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_heapsnap"))
        .args(["info", "--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::thread::spawn(move || stdin.write_all(&bytes).unwrap());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["file"].as_str(), v["node_count"].as_u64()), (Some("<stdin>"), Some(39499)));
}

#[test]
fn missing_file_is_exit_2_with_one_message() {
    let out = heapsnap(&["info", "no/such.heapsnapshot"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("heapsnap: reading no/such.heapsnapshot: "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(out.stdout.is_empty());
}
