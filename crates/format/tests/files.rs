//! Files as an analyzer writes and reads them: `.gz` names are gzipped, new files follow the
//! umask, and I/O errors name the path.

#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;

use heapsnap_format::{Error, HeapSnapshot, OutputPolicy, WriteOptions};

const JSON: &[u8] =
    br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
  "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],
  "edge_types":[["element","property"]]},"node_count":2,"edge_count":1},
  "nodes":[0,0,1,0,1, 1,1,3,32,0],"edges":[1,2,5],"strings":["","Point","x"]}"#;

/// The umask, read from /proc (no call that changes it).
fn umask() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Umask:")).unwrap();
    u32::from_str_radix(line.split_whitespace().nth(1).unwrap(), 8).unwrap()
}

#[test]
fn a_gz_name_is_gzipped_and_new_files_follow_the_umask() {
    let snap = HeapSnapshot::from_slice(JSON).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("out.heapsnapshot.gz");
    snap.write_path(&gz, &WriteOptions::default()).unwrap();
    let bytes = std::fs::read(&gz).unwrap();
    assert_eq!(&bytes[..2], &[0x1f, 0x8b], "gzip magic");
    assert_eq!(HeapSnapshot::from_path(&gz).unwrap(), snap);
    let mode = std::fs::metadata(&gz).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o666 & !umask());

    let plain = dir.path().join("out.heapsnapshot");
    snap.write_path(&plain, &WriteOptions::default()).unwrap();
    assert_eq!(std::fs::read(&plain).unwrap()[0], b'{');

    // 0600 only when asked for.
    let private = dir.path().join("private.heapsnapshot");
    let policy = OutputPolicy::new().new_file_mode(0o600);
    snap.write_path_with(&private, &WriteOptions::default(), &policy, |_| {}).unwrap();
    assert_eq!(std::fs::metadata(&private).unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn io_errors_name_the_path() {
    let snap = HeapSnapshot::from_slice(JSON).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/dir/out.heapsnapshot");
    let err = snap.write_path(&missing, &WriteOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Io(_)));
    assert!(err.to_string().contains(&missing.display().to_string()), "{err}");

    let absent = dir.path().join("absent.heapsnapshot");
    let err = HeapSnapshot::from_path(&absent).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("I/O error: reading {}: No such file or directory (os error 2)", absent.display())
    );
    let err = HeapSnapshot::from_path(dir.path()).unwrap_err();
    assert!(err.to_string().starts_with(&format!("I/O error: reading {}: ", dir.path().display())));
}
