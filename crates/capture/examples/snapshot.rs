//! Take a heap snapshot of a Node.js process started with `--inspect`, and write it to a file
//! (gzipped when its name ends in `.gz`).
//!
//! ```sh
//! node --inspect=127.0.0.1:9229 app.js &
//! cargo run -p heapsnap-capture --example snapshot -- 9229 app.heapsnapshot.gz
//! ```
//!
//! Only the loopback address is contacted. Its test starts a real `node --inspect` on a free
//! port.

use std::error::Error;
use std::io::Write;
use std::path::Path;

use heapsnap_capture::{NoProgress, OutputFile, Session, SnapshotOptions, list_targets};

/// Snapshots the first target of the inspector on `127.0.0.1:port` into `to`; writes a line
/// with its size.
fn run(port: u16, to: &Path, out: &mut impl Write) -> Result<(), Box<dyn Error>> {
    let target = list_targets(&format!("127.0.0.1:{port}"))?
        .into_iter()
        .next()
        .ok_or("the inspector lists no target")?;
    let mut session = Session::connect(&target)?;
    let mut file = OutputFile::create(to, OutputFile::gzip_by_name(to))?;
    let stats =
        session.take_heap_snapshot(&mut file, &SnapshotOptions::default(), &mut NoProgress)?;
    let on_disk = file.finish()?;
    writeln!(out, "{} bytes of JSON, {on_disk} bytes on disk", stats.bytes)?;
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [port, to] = &args[..] else {
        return Err("usage: snapshot PORT OUT".into());
    };
    run(port.parse()?, Path::new(to), &mut std::io::stdout().lock())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::process::{Child, Command, Stdio};

    /// Kills the node process (by its own pid) when the test ends, however it ends.
    struct Killed(Child);

    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    #[test]
    fn snapshot_of_a_real_node_process() {
        if std::env::var("HEAPSNAP_SKIP_NODE_TESTS").is_ok_and(|v| v == "1") {
            eprintln!(
                "*** HEAPSNAP_SKIP_NODE_TESTS=1: snapshot_of_a_real_node_process PASSES WITHOUT RUNNING ***"
            );
            return;
        }
        let script = "globalThis.marker = new (class CaptureExampleMarker {})(); \
                      setInterval(() => {}, 1000);";
        let mut node = Killed(
            Command::new("node")
                .args(["--inspect=127.0.0.1:0", "-e", script])
                .env_remove("NODE_OPTIONS")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("this test needs `node` on PATH (or HEAPSNAP_SKIP_NODE_TESTS=1)"),
        );
        // `Debugger listening on ws://127.0.0.1:PORT/UUID` on its stderr.
        let stderr = BufReader::new(node.0.stderr.take().unwrap());
        let port: u16 = stderr
            .lines()
            .map_while(Result::ok)
            .find_map(|l| {
                let rest = l.strip_prefix("Debugger listening on ws://127.0.0.1:")?;
                rest.split('/').next()?.parse().ok()
            })
            .expect("node printed its inspector address");

        let dir = tempfile::tempdir().unwrap();
        let to = dir.path().join("live.heapsnapshot.gz");
        let mut out = Vec::new();
        run(port, &to, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with(" bytes on disk\n"), "{text}");

        let bytes = std::fs::read(&to).unwrap();
        assert_eq!(&bytes[..2], &[0x1f, 0x8b], "gzipped by its name");
        let snap = heapsnap_format::HeapSnapshot::from_slice(&bytes).unwrap();
        assert!(snap.node_count() > 10_000, "a whole Node heap: {}", snap.node_count());
        assert!(
            snap.nodes().any(|n| n.name() == "CaptureExampleMarker"),
            "the object the script made is in the snapshot"
        );
        let json: u64 = text.split(' ').next().unwrap().parse().unwrap();
        assert!(json > bytes.len() as u64, "gzip shrank {json} bytes to {}", bytes.len());
    }
}
