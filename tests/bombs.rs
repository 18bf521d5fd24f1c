//! Bounded memory on any input: small gzip files that expand to gigabytes (one huge unknown
//! section, one huge string, a node count of 600 million with the zeros to match) must end in a
//! clean result or a clear error under `ulimit -v`, never in an allocation abort. The bombs are
//! made here, in a temporary folder (a few MB each: 1 MiB of text compresses to about 1 KB,
//! and gzip members one after another decompress as one stream).

use std::io::Write;
use std::path::Path;
use std::process::Command;

/// Virtual memory for `heapsnap` (KiB): far less than what the bombs expand to.
const ULIMIT_KIB: u64 = 512 * 1024;

/// The header and a small valid body of a 3-node snapshot, from the malformed corpus's
/// template (node types fixed).
fn template() -> (String, String) {
    let text = std::fs::read_to_string(
        crate::util::root().join("tests/malformed/node-type-out-of-range.heapsnapshot"),
    )
    .unwrap()
    .replace(",256,3,5,16,0,0,0],", ",2,3,5,16,0,0,0],");
    let at = text.find("\"nodes\"").unwrap();
    let head = text[..at].to_string();
    let body = "\"nodes\":[9,0,1,0,1,0,0\n,3,1,3,24,1,0,1\n,2,3,5,16,0,0,0],\n\
                \"edges\":[5,4,7\n,2,2,14],\n\"strings\":[\"\",\"global\",\"x\",\"hello\",\"g\"]"
        .to_string();
    (head, body)
}

fn member(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

/// `prefix`, then `mib` MiB of `unit` repeated, then `suffix`, gzipped.
fn bomb(path: &Path, prefix: &str, unit: &[u8], mib: usize, suffix: &str) {
    let block = member(&unit.repeat((1 << 20) / unit.len()));
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    f.write_all(&member(prefix.as_bytes())).unwrap();
    for _ in 0..mib {
        f.write_all(&block).unwrap();
    }
    f.write_all(&member(suffix.as_bytes())).unwrap();
    f.flush().unwrap();
}

/// `heapsnap info FILE` under `ulimit -v`: (exit code, stdout, stderr); a signal is a failure.
fn info_limited(file: &Path) -> (i32, String, String) {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {ULIMIT_KIB} && exec \"$0\" info \"$1\""))
        .arg(env!("CARGO_BIN_EXE_heapsnap"))
        .arg(file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let Some(code) = out.status.code() else {
        panic!("{}: killed by a signal ({}): {stderr}", file.display(), out.status);
    };
    assert!(!stderr.contains("memory allocation of"), "{}: {stderr}", file.display());
    (code, String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

#[test]
fn gzip_bombs_end_cleanly_under_ulimit() {
    let dir = tempfile::tempdir().unwrap();
    let (head, body) = template();

    // 512 MiB in an unknown top-level section: read through, dropped with a warning, and the
    // snapshot is otherwise whole.
    let section = dir.path().join("section.heapsnapshot.gz");
    bomb(&section, &format!("{head}{body},\"bomb\":["), b"0,", 512, "0]}");
    let (code, stdout, stderr) = info_limited(&section);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("nodes:            3"), "{stdout}");
    assert!(
        stdout.contains("section `bomb` (536870915 bytes) is not kept") && stderr.contains("bomb"),
        "{stdout}\n{stderr}"
    );

    // One string of 1 GiB: more than the process may have, an error at the string.
    let string = dir.path().join("string.heapsnapshot.gz");
    let strings_at = body.find("\"strings\"").unwrap();
    let prefix =
        format!("{head}{}\"strings\":[\"\",\"global\",\"x\",\"hello\",\"", &body[..strings_at]);
    bomb(&string, &prefix, b"x", 1024, "g\"]}");
    let (code, _, stderr) = info_limited(&string);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("section `strings`"), "{stderr}");
    assert!(stderr.contains("out of memory: the string text could not grow"), "{stderr}");

    // node_count 600 million, and 1 GiB of zeros to back it.
    let nodes = dir.path().join("nodes.heapsnapshot.gz");
    let head600 = head
        .replace("\"node_count\":3", "\"node_count\":600000000")
        .replace("\"edge_count\":2", "\"edge_count\":0");
    bomb(
        &nodes,
        &format!("{head600}\"nodes\":["),
        b"0,",
        1024,
        "0],\"edges\":[],\"strings\":[\"\"]}",
    );
    let (code, _, stderr) = info_limited(&nodes);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("section `nodes`"), "{stderr}");
    assert!(stderr.contains("out of memory: a column could not grow"), "{stderr}");
}
