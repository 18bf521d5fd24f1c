//! Outputs never destroy anything: not an input, not a symlink's target, not a FIFO, not the
//! mode of a replaced file, and no temporary file survives a signal.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::util::{heapsnap, heapsnap_ok, root};

const BASE: &str = "snapshots/leaks/listeners-baseline.heapsnapshot.gz";
const TARGET: &str = "snapshots/leaks/listeners-target.heapsnapshot.gz";

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn tmp_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    v.sort();
    v
}

#[test]
fn emit_and_convert_refuse_to_overwrite_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target.heapsnapshot.gz");
    fs::copy(root().join(TARGET), &target).unwrap();
    let before = fs::read(&target).unwrap();
    let link = dir.path().join("link.heapsnapshot.gz");
    std::os::unix::fs::symlink(&target, &link).unwrap();

    // The same file by its own name and through a symlink.
    for out in [&target, &link] {
        let o =
            heapsnap(&["diff", BASE, target.to_str().unwrap(), "--emit", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("it is the input"), "{}", stderr(&o));
        let o = heapsnap(&["convert", target.to_str().unwrap(), out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("it is the input"), "{}", stderr(&o));
    }
    assert_eq!(fs::read(&target).unwrap(), before, "the input was changed");
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert!(tmp_files(dir.path()).is_empty());
}

#[test]
fn symlink_fifo_and_mode_are_respected() {
    let dir = tempfile::tempdir().unwrap();
    // A symlink at the output is refused, its target untouched.
    let precious = dir.path().join("precious.txt");
    fs::write(&precious, b"keep me").unwrap();
    let link = dir.path().join("out.heapsnapshot");
    std::os::unix::fs::symlink(&precious, &link).unwrap();
    let o = heapsnap(&["convert", TARGET, link.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("symbolic link"), "{}", stderr(&o));
    assert_eq!(fs::read(&precious).unwrap(), b"keep me");
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());

    // A replaced regular file keeps its mode.
    let file = dir.path().join("file.heapsnapshot");
    fs::write(&file, b"old").unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
    heapsnap_ok(&["convert", TARGET, file.to_str().unwrap()]);
    assert_eq!(fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o644);
    assert!(fs::read(&file).unwrap().starts_with(b"{\"snapshot\""));

    // A FIFO is written through, not replaced by a regular file.
    let fifo = dir.path().join("pipe.heapsnapshot");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read(fifo).unwrap())
    };
    heapsnap_ok(&["convert", TARGET, fifo.to_str().unwrap()]);
    let bytes = reader.join().unwrap();
    assert!(bytes.starts_with(b"{\"snapshot\""), "{} bytes through the FIFO", bytes.len());
    use std::os::unix::fs::FileTypeExt;
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());

    // `-` is stdout.
    let out = heapsnap_ok(&["convert", TARGET, "-"]);
    assert!(out.starts_with("{\"snapshot\""));
    assert!(tmp_files(dir.path()).is_empty());
}

/// A plain snapshot of `n` objects in a chain: big enough that writing it gzipped takes a
/// while, built here so no big file is committed.
fn chain_snapshot(path: &Path, n: usize) {
    let mut f = std::io::BufWriter::new(fs::File::create(path).unwrap());
    write!(
        f,
        r#"{{"snapshot":{{"meta":{{"node_fields":["type","name","id","self_size","edge_count"],"node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["element","property"]]}},"node_count":{},"edge_count":{}}},"nodes":["#,
        n + 1,
        n
    )
    .unwrap();
    write!(f, "0,0,1,0,1").unwrap();
    for i in 0..n {
        let edges = usize::from(i + 1 < n);
        write!(f, ",1,1,{},{},{}", 2 * i + 3, 16 + (i % 64), edges).unwrap();
    }
    write!(f, "],\"edges\":[1,2,5").unwrap();
    for i in 1..n {
        write!(f, ",1,2,{}", (i + 1) * 5).unwrap();
    }
    write!(f, r#"],"strings":["","Node","next"]}}"#).unwrap();
    f.flush().unwrap();
}

#[test]
fn signals_remove_the_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("chain.heapsnapshot");
    chain_snapshot(&input, 3_000_000);
    for (signal, code) in [("TERM", 15), ("INT", 2), ("HUP", 1)] {
        let out = dir.path().join(format!("out-{signal}.heapsnapshot.gz"));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_heapsnap"));
        cmd.args(["-q", "convert", input.to_str().unwrap(), out.to_str().unwrap()]);
        // The signal's default action in the child, whatever this test inherited: heapsnap
        // keeps a signal ignored by whoever started it (nohup), and a test run launched in the
        // background of a non-interactive shell has SIGINT ignored.
        // SAFETY: signal(2) is async-signal-safe, as pre_exec requires.
        unsafe {
            use std::os::unix::process::CommandExt;
            cmd.pre_exec(|| {
                for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                    libc::signal(sig, libc::SIG_DFL);
                }
                Ok(())
            });
        }
        let mut child = cmd.spawn().unwrap();
        // Wait for the temporary file named after the output, then signal.
        let start = Instant::now();
        let prefix = format!(".out-{signal}.heapsnapshot.gz.");
        let tmp: PathBuf = loop {
            if let Some(name) = tmp_files(dir.path()).into_iter().find(|n| n.starts_with(&prefix)) {
                break dir.path().join(name);
            }
            assert!(
                child.try_wait().unwrap().is_none(),
                "convert ended before its temporary file was seen"
            );
            assert!(start.elapsed() < Duration::from_secs(60), "no temporary file appeared");
            std::thread::sleep(Duration::from_millis(1));
        };
        let killed = Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = child.wait().unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(code), "{signal}: {status:?}");
        assert!(!tmp.exists(), "{signal}: {} was left behind", tmp.display());
        assert!(!out.exists(), "{signal}: a partial output was left");
    }
    assert!(tmp_files(dir.path()).is_empty());
}

#[test]
fn leaks_refuses_one_file_given_several_times() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("again.heapsnapshot.gz");
    std::os::unix::fs::symlink(root().join(TARGET), &link).unwrap();
    for args in
        [vec!["leaks", TARGET, TARGET, TARGET], vec!["leaks", BASE, TARGET, link.to_str().unwrap()]]
    {
        let o = heapsnap(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("are the same file"), "{}", stderr(&o));
    }
}
