//! The corpus in `tests/malformed/`: each file and the exact error `heapsnap info` must print
//! (listed in `tests/malformed/EXPECTED`, tab-separated), with exit code 2 and no panic.

use crate::util::{heapsnap, root};

#[test]
fn malformed_corpus_gives_the_expected_errors() {
    let dir = root().join("tests/malformed");
    let expected = std::fs::read_to_string(dir.join("EXPECTED")).unwrap();
    let mut listed = Vec::new();
    for line in expected.lines() {
        let (file, message) = line.split_once('\t').expect("FILE<TAB>MESSAGE");
        listed.push(file.to_string());
        let path = format!("tests/malformed/{file}");
        let out = heapsnap(&["info", &path]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file}: {stderr}");
        assert_eq!(stderr, format!("heapsnap: reading {path}: {message}\n"), "{file}");
        assert!(out.stdout.is_empty(), "{file}");
    }
    let mut present: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f != "EXPECTED")
        .collect();
    present.sort();
    listed.sort();
    assert_eq!(present, listed, "every corpus file has an expected error");
}

#[test]
fn convert_of_bad_input_leaves_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("out.heapsnapshot");
    let out = heapsnap(&[
        "convert",
        "tests/malformed/truncated-strings.heapsnapshot",
        out_path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no partial or temporary file left"
    );
}
