//! `heapsnap capture` and `heapsnap watch` against real Node.js processes on 127.0.0.1.
//!
//! Each test starts its own node program from `tests/fixtures/capture/` and kills it (and its
//! children) when done. Processes attached by pid are started with `--inspect-port=0`, so that
//! SIGUSR1 opens their inspector on a random port and parallel tests never clash (the cluster
//! test's children too: no test uses the shared port 9229). The fixtures answer `status` on stdin with
//! whether their inspector is open, which is how we check that heapsnap closed what it opened.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use heapsnap_format::{HeapSnapshot, NodeKind};

use crate::util::{heapsnap, require_node, root};

/// A node process that is killed (with its children) when dropped.
struct Node {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    stderr: Receiver<String>,
}

impl Node {
    /// Starts `node ARGS` in `tests/fixtures/capture` and waits for its `ready` line.
    fn start(args: &[&str], env: &[(&str, &str)]) -> Node {
        Node::start_with("node", args, env)
    }

    /// Starts `PROGRAM ARGS` (a shell or launcher around node) like [`Node::start`].
    fn start_with(program: &str, args: &[&str], env: &[(&str, &str)]) -> Node {
        let mut child = Command::new(program)
            .args(args)
            .envs(env.iter().copied())
            .env_remove("NODE_OPTIONS")
            .current_dir(root().join("tests/fixtures/capture"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, stderr) = channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut node = Node { child, stdin, stdout, stderr };
        let line = node.line();
        assert_eq!(line, "ready", "node {args:?} did not start: {}", node.drain_stderr());
        node
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        line.trim_end().to_string()
    }

    /// The port from `Debugger listening on ws://127.0.0.1:PORT/...` (for `--inspect=...:0`).
    fn inspector_port(&self) -> String {
        let until = Instant::now() + Duration::from_secs(10);
        while let Ok(line) =
            self.stderr.recv_timeout(until.saturating_duration_since(Instant::now()))
        {
            if let Some(rest) = line.strip_prefix("Debugger listening on ws://127.0.0.1:") {
                return rest.split('/').next().unwrap().to_string();
            }
        }
        panic!("node printed no inspector address");
    }

    fn drain_stderr(&self) -> String {
        let mut s = String::new();
        while let Ok(l) = self.stderr.recv_timeout(Duration::from_millis(100)) {
            s.push_str(&l);
            s.push('\n');
        }
        s
    }

    /// Asks the process whether its inspector is open: `inspector closed` or `inspector ws://...`.
    fn status(&mut self) -> String {
        let sent = self.stdin.write_all(b"status\n");
        let line = self.line();
        if sent.is_err() || line.is_empty() {
            let exit = self.child.try_wait();
            panic!("node is gone ({exit:?}); its stderr:\n{}", self.drain_stderr());
        }
        line
    }

    /// Cluster primaries answer with one line per worker, then `end`.
    fn cluster_status(&mut self) -> Vec<String> {
        self.stdin.write_all(b"status\n").unwrap();
        let mut lines = Vec::new();
        loop {
            let l = self.line();
            if l == "end" || l.is_empty() {
                return lines;
            }
            lines.push(l);
        }
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Ok(kids) = heapsnap_capture::node_children(self.child.id()) {
            for k in kids {
                let _ = Command::new("kill").args(["-KILL", &k.to_string()]).status();
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn need_node(test: &str) -> bool {
    require_node(test)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn ok(o: &Output, what: &str) -> String {
    assert!(o.status.success(), "{what} failed: {}\n{}{}", o.status, stdout(o), stderr(o));
    stdout(o)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn count_named(snap: &HeapSnapshot, name: &str) -> usize {
    snap.nodes().filter(|n| n.kind() == NodeKind::Object && n.name() == name).count()
}

/// The files in `dir`, sorted (temporary files included: they must not be left behind).
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn capture_by_port_gzip_on_the_fly() {
    if !need_node("capture_by_port_gzip_on_the_fly") {
        return;
    }
    let mut node = Node::start(&["--inspect=127.0.0.1:0", "idle.js"], &[]);
    let port = node.inspector_port();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("app.heapsnapshot.gz");
    let o = heapsnap(&["capture", "--port", &port, "-o", s(&out)]);
    let text = ok(&o, "capture --port");
    // One summary line: file, size, nodes, edges, time.
    assert!(text.starts_with(&format!("wrote {}: ", out.display())), "{text}");
    assert!(text.contains(" nodes, ") && text.contains(" edges, "), "{text}");
    assert_eq!(text.lines().count(), 1, "{text}");
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(&bytes[..2], &[0x1f, 0x8b], "not gzipped");
    let snap = HeapSnapshot::from_path(&out).unwrap();
    assert!(text.contains(&format!("{} nodes, {} edges", snap.node_count(), snap.edge_count())));
    assert_eq!(count_named(&snap, "CaptureMarker"), 1000);
    assert_eq!(listing(dir.path()), ["app.heapsnapshot.gz"]);
    // We did not open this inspector, so it stays open.
    assert!(node.status().starts_with("inspector ws://127.0.0.1:"));
}

/// `--via target`: the target writes its own snapshot (v8.writeHeapSnapshot) into a private
/// folder beside the output, renamed (or gzipped) into place, mode 0600, nothing else left;
/// the same objects as through the inspector. `auto` falls back to the inspector when the
/// target cannot write it; `target` then fails and writes nothing.
#[test]
fn capture_via_the_target_or_the_inspector() {
    if !need_node("capture_via_the_target_or_the_inspector") {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let node = Node::start(&["--inspect=127.0.0.1:0", "idle.js"], &[]);
    let port = node.inspector_port();
    let dir = tempfile::tempdir().unwrap();
    let capture = |name: &str, via: &str| -> serde_json::Value {
        let out = dir.path().join(name);
        let o = heapsnap(&["capture", "--port", &port, "-o", s(&out), "--via", via, "--json"]);
        let doc: serde_json::Value = serde_json::from_str(&ok(&o, via)).unwrap();
        let snap = HeapSnapshot::from_path(&out).unwrap();
        assert_eq!(count_named(&snap, "CaptureMarker"), 1000, "{name}");
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name}: mode {mode:o}");
        doc["snapshots"][0].clone()
    };
    let own = capture("own.heapsnapshot", "target");
    assert_eq!(own["via"], "target");
    let pause = own["pause_seconds"].as_f64().unwrap();
    assert!(pause > 0.0 && pause <= own["seconds"].as_f64().unwrap(), "{own}");
    assert_eq!(own["bytes"], own["file_bytes"]);
    let gz = capture("own.heapsnapshot.gz", "auto");
    assert_eq!((&gz["via"], &gz["gzip"]), (&serde_json::json!("target"), &serde_json::json!(true)));
    let streamed = capture("streamed.heapsnapshot", "inspector");
    assert_eq!(streamed["via"], "inspector");
    assert!(streamed["pause_seconds"].is_null());
    // The private folders are gone.
    assert_eq!(
        listing(dir.path()),
        ["own.heapsnapshot", "own.heapsnapshot.gz", "streamed.heapsnapshot"]
    );

    // A Node.js whose v8 module cannot write snapshots.
    let old = Node::start(&["--inspect=127.0.0.1:0", "-r", "./no-write.js", "idle.js"], &[]);
    let port = old.inspector_port();
    let out = dir.path().join("old.heapsnapshot");
    let o = heapsnap(&["capture", "--port", &port, "-o", s(&out), "--via", "target"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("writeHeapSnapshot"), "{}", stderr(&o));
    assert!(!out.exists());
    let o = heapsnap(&["capture", "--port", &port, "-o", s(&out), "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&ok(&o, "auto")).unwrap();
    assert_eq!(doc["snapshots"][0]["via"], "inspector");
    assert_eq!(count_named(&HeapSnapshot::from_path(&out).unwrap(), "CaptureMarker"), 1000);
    assert_eq!(
        listing(dir.path()),
        ["old.heapsnapshot", "own.heapsnapshot", "own.heapsnapshot.gz", "streamed.heapsnapshot"]
    );
}

#[test]
fn capture_by_pid_opens_and_closes_the_inspector() {
    if !need_node("capture_by_pid_opens_and_closes_the_inspector") {
        return;
    }
    let mut node = Node::start(&["--inspect-port=0", "idle.js"], &[]);
    assert_eq!(node.status(), "inspector closed");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p.heapsnapshot");
    let o = heapsnap(&["capture", "--pid", &node.pid(), "-o", s(&out), "--json", "--no-gc"]);
    let doc: serde_json::Value = serde_json::from_str(&ok(&o, "capture --pid")).unwrap();
    assert_eq!(doc["schema"], "heapsnap.capture/1");
    let snap0 = &doc["snapshots"][0];
    assert_eq!(snap0["pid"].as_u64().unwrap().to_string(), node.pid());
    assert_eq!(snap0["options"]["collect_garbage"], false);
    let snap = HeapSnapshot::from_path(&out).unwrap();
    assert_eq!(snap0["node_count"].as_u64().unwrap(), snap.node_count() as u64);
    assert_eq!(count_named(&snap, "CaptureMarker"), 1000);
    // Left as we found it: running, inspector closed.
    assert!(node.alive());
    assert_eq!(node.status(), "inspector closed");
    let err = node.drain_stderr();
    assert!(err.contains("Debugger listening on ws://127.0.0.1:"), "{err}");
}

#[test]
fn capture_worker_threads() {
    if !need_node("capture_worker_threads") {
        return;
    }
    let mut node = Node::start(&["--inspect-port=0", "idle.js", "2"], &[]);
    let pid = node.pid();
    let listed = ok(&heapsnap(&["capture", "--pid", &pid, "--worker", "list"]), "--worker list");
    assert!(listed.contains("pool-1") && listed.contains("pool-2"), "{listed}");
    assert_eq!(node.status(), "inspector closed");

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("w.heapsnapshot");
    let o = heapsnap(&["capture", "--pid", &pid, "--worker", "all", "-o", s(&out)]);
    let text = ok(&o, "--worker all");
    // The main thread under the name given, then each worker with its tag inserted; every
    // file named on its own line.
    let mut files = listing(dir.path());
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    assert_eq!(text.lines().count(), 3, "{text}");
    for f in &files {
        assert!(text.contains(&format!("wrote {}: ", dir.path().join(f).display())), "{text}");
    }
    assert_eq!(files[0], "w.heapsnapshot");
    let main = HeapSnapshot::from_path(&out).unwrap();
    assert_eq!(count_named(&main, "CaptureMarker"), 1000);
    assert_eq!(count_named(&main, "WorkerMarker"), 0);
    let files: Vec<String> = files[1..].to_vec();
    for f in &files {
        assert!(f.starts_with("w.worker-") && f.ends_with(".heapsnapshot"), "{f}");
        assert!(f.contains("pool-"), "{f}");
        let snap = HeapSnapshot::from_path(dir.path().join(f)).unwrap();
        // The worker's own heap, not the main thread's.
        assert_eq!(count_named(&snap, "WorkerMarker"), 500, "{f}");
        assert_eq!(count_named(&snap, "CaptureMarker"), 0, "{f}");
    }
    // One worker by id; an unknown id names the ones that exist.
    let one = dir.path().join("one.heapsnapshot");
    let id = files[0].trim_start_matches("w.worker-").split('-').next().unwrap().to_string();
    ok(
        &heapsnap(&["capture", "--pid", &pid, "--worker", &id, "-o", s(&one), "--no-check"]),
        "--worker ID",
    );
    let o = heapsnap(&["capture", "--pid", &pid, "--worker", "999"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no target matches \"worker 999\"") && stderr(&o).contains("pool-"),
        "{}",
        stderr(&o)
    );
    assert_eq!(node.status(), "inspector closed");
}

#[test]
fn capture_cluster_children_in_turn() {
    if !need_node("capture_cluster_children_in_turn") {
        return;
    }
    // Random inspector ports for the primary and each child (`--inspect-port=0`): 9229 is
    // shared machine-wide, and a check that it is free says nothing about a moment later.
    let mut node =
        Node::start(&["--inspect-port=0", "cluster.js"], &[("HEAPSNAP_TEST_RANDOM_PORTS", "1")]);
    let before = node.cluster_status();
    assert_eq!(before.len(), 2, "{before:?}");
    assert!(before.iter().all(|l| l.ends_with("inspector closed")), "{before:?}");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("c.heapsnapshot.gz");
    let o = heapsnap(&["capture", "--pid", &node.pid(), "--children", "-o", s(&out)]);
    let text = ok(&o, "--children");
    assert_eq!(text.lines().count(), 2, "{text}");
    let files = listing(dir.path());
    let kids: Vec<String> =
        before.iter().map(|l| l.split(' ').nth(1).unwrap().to_string()).collect();
    let want: Vec<String> = {
        let mut v: Vec<String> = kids.iter().map(|k| format!("c.pid{k}.heapsnapshot.gz")).collect();
        v.sort();
        v
    };
    assert_eq!(files, want);
    for f in &files {
        let snap = HeapSnapshot::from_path(dir.path().join(f)).unwrap();
        assert!(snap.node_count() > 1000);
    }
    let after = node.cluster_status();
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(after.iter().all(|l| l.ends_with("inspector closed")), "{after:?}");
}

/// The target dies while its snapshot is being taken, streamed through the inspector or
/// written by the target itself: exit 2, nothing left beside the output.
#[test]
fn process_exiting_mid_capture_leaves_no_file() {
    if !need_node("process_exiting_mid_capture_leaves_no_file") {
        return;
    }
    for (via, method) in
        [("inspector", "HeapProfiler.takeHeapSnapshot"), ("target", "Runtime.evaluate")]
    {
        let mut node = Node::start(&["--inspect=127.0.0.1:0", "big.js"], &[]);
        let port = node.inspector_port();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("big.heapsnapshot");
        let mut cap = Command::new(env!("CARGO_BIN_EXE_heapsnap"))
            .args(["capture", "--port", &port, "-o", s(&out), "--no-gc", "--via", via])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Wait until snapshot data reaches a file (the temporary file, or the one the target
        // writes in its private folder), then freeze heapsnap, kill node (the rest of the
        // snapshot dies with it), and let heapsnap go on.
        fn written(dir: &Path) -> bool {
            std::fs::read_dir(dir).unwrap().any(|e| {
                let e = e.unwrap();
                match e.metadata() {
                    Ok(m) if m.is_dir() => written(&e.path()),
                    Ok(m) => m.len() > 0,
                    Err(_) => false,
                }
            })
        }
        let until = Instant::now() + Duration::from_secs(30);
        while !written(dir.path()) {
            assert!(Instant::now() < until, "{via}: the capture never started writing");
            assert!(
                cap.try_wait().unwrap().is_none(),
                "{via}: capture ended before we could kill node"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        let hpid = cap.id().to_string();
        Command::new("kill").args(["-STOP", &hpid]).status().unwrap();
        node.child.kill().unwrap();
        node.child.wait().unwrap();
        Command::new("kill").args(["-CONT", &hpid]).status().unwrap();
        let o = cap.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{via}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains(&format!("closed during {method}")), "{via}: {err}");
        assert!(err.contains("no file was written"), "{via}: {err}");
        assert_eq!(
            listing(dir.path()),
            Vec::<String>::new(),
            "{via}: a partial snapshot was left behind"
        );
    }
}

#[test]
fn clear_errors_for_bad_pids_and_busy_ports() {
    // No node needed for these two.
    let o = heapsnap(&["capture", "--pid", "2147483646"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("process 2147483646: no such process"), "{}", stderr(&o));
    let me = std::process::id().to_string();
    let o = heapsnap(&["capture", "--pid", &me]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a Node.js process"), "{}", stderr(&o));
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port().to_string()
    };
    let o = heapsnap(&["capture", "--port", &dead]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(&format!("cannot connect to 127.0.0.1:{dead}")), "{}", stderr(&o));

    if !need_node("clear_errors_for_bad_pids_and_busy_ports (busy port)") {
        return;
    }
    let squatter = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = squatter.local_addr().unwrap().port();
    let mut node = Node::start(&[&format!("--inspect-port={port}"), "idle.js"], &[]);
    let o = heapsnap(&["capture", "--pid", &node.pid()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!("port 127.0.0.1:{port} is already in use")),
        "{}",
        stderr(&o)
    );
    assert!(node.alive());
    assert_eq!(node.status(), "inspector closed");
}

#[test]
fn watch_warns_about_a_leak() {
    if !need_node("watch_warns_about_a_leak") {
        return;
    }
    let mut node = Node::start(&["--inspect-port=0", "leaky.js"], &[]);
    let dir = tempfile::tempdir().unwrap();
    let series = dir.path().join("series.json");
    // Samples 300 ms apart see two or three of the leak's 100 ms steps each, more than the
    // GC's noise (at 150 ms, one delayed timer on a busy machine made a sample flat).
    let o = heapsnap(&[
        "watch",
        "--pid",
        &node.pid(),
        "--interval",
        "300ms",
        "--duration",
        "3000ms",
        "--out",
        s(&series),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("warning: possible leak"), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("summary: ") && text.contains("leak warnings: "), "{text}");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&series).unwrap()).unwrap();
    assert_eq!(doc["schema"], "heapsnap.watch/1");
    let samples = doc["samples"].as_array().unwrap();
    assert!(samples.len() >= 6, "{doc}");
    assert!(!doc["warnings"].as_array().unwrap().is_empty());
    // ~1 MB/s kept: the trend must be clearly positive.
    assert!(doc["trend_bytes_per_min"].as_f64().unwrap() > 10e6, "{doc}");
    assert_eq!(node.status(), "inspector closed");
}

#[test]
fn watch_stays_quiet_without_a_leak() {
    if !need_node("watch_stays_quiet_without_a_leak") {
        return;
    }
    let node = Node::start(&["--inspect=127.0.0.1:0", "steady.js"], &[]);
    let port = node.inspector_port();
    let dir = tempfile::tempdir().unwrap();
    let series = dir.path().join("series.csv");
    let o = heapsnap(&[
        "watch",
        "--port",
        &port,
        "--interval",
        "150ms",
        "--duration",
        "1500ms",
        "--out",
        s(&series),
    ]);
    let text = ok(&o, "watch (steady)");
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
    assert!(text.contains("leak warnings: none"), "{text}");
    let csv = std::fs::read_to_string(&series).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("t_ms,used_size,total_size,leak_warning"));
    assert!(lines.clone().count() >= 6, "{csv}");
    assert!(lines.all(|l| l.ends_with(",0")), "{csv}");
}

#[test]
fn watch_until_ctrl_c_closes_the_inspector() {
    if !need_node("watch_until_ctrl_c_closes_the_inspector") {
        return;
    }
    let mut node = Node::start(&["--inspect-port=0", "steady.js"], &[]);
    let w = Command::new(env!("CARGO_BIN_EXE_heapsnap"))
        .args(["watch", "--pid", &node.pid(), "--interval", "100ms"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    Command::new("kill").args(["-INT", &w.id().to_string()]).status().unwrap();
    let o = w.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("summary: "), "{}", stdout(&o));
    assert_eq!(node.status(), "inspector closed");
}

#[test]
fn watch_auto_capture_takes_three_snapshots() {
    if !need_node("watch_auto_capture_takes_three_snapshots") {
        return;
    }
    let mut node = Node::start(&["--inspect-port=0", "leaky.js"], &[]);
    let dir = tempfile::tempdir().unwrap();
    let snaps = dir.path().join("snaps");
    let o = heapsnap(&[
        "watch",
        "--pid",
        &node.pid(),
        "--interval",
        "100ms",
        "--consecutive",
        "2",
        "--duration",
        "4s",
        "--auto-capture",
        s(&snaps),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    // One run folder, as `hunt` makes them, with the three snapshots named by stage.
    let runs = listing(&snaps);
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert!(runs[0].starts_with(&format!("heapsnap-{}-20", node.pid())), "{runs:?}");
    let run = snaps.join(&runs[0]);
    assert_eq!(
        listing(&run),
        ["1-baseline.heapsnapshot.gz", "2-target.heapsnapshot.gz", "3-final.heapsnapshot.gz"]
    );
    let err = stderr(&o);
    assert!(err.contains("running heapsnap leaks"), "{err}");
    // Written by the target itself, in watch's one session: ids still follow objects.
    assert_eq!(err.matches(", written by the target: paused ").count(), 3, "{err}");
    assert!(stdout(&o).contains("object ids: comparable"), "{}", stdout(&o));
    let base = HeapSnapshot::from_path(run.join("1-baseline.heapsnapshot.gz")).unwrap();
    let fin = HeapSnapshot::from_path(run.join("3-final.heapsnapshot.gz")).unwrap();
    assert!(fin.node_count() > base.node_count(), "the leak must show in the snapshots");
    assert_eq!(node.status(), "inspector closed");
}

#[test]
fn separate_captures_point_to_hunt() {
    if !need_node("separate_captures_point_to_hunt") {
        return;
    }
    let node = Node::start(&["--inspect-port=0", "idle.js"], &[]);
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("a.heapsnapshot");
    let o = heapsnap(&["capture", "--pid", &node.pid(), "-o", s(&first), "--no-check"]);
    ok(&o, "first capture");
    // One capture alone: nothing to compare, no note.
    assert!(!stderr(&o).contains("heapsnap hunt"), "{}", stderr(&o));
    let second = dir.path().join("b.heapsnapshot");
    let o = heapsnap(&["capture", "--pid", &node.pid(), "-o", s(&second), "--no-check"]);
    ok(&o, "second capture");
    let err = stderr(&o);
    assert_eq!(err.matches("note:").count(), 1, "{err}");
    assert!(err.contains("V8 numbers objects afresh in every session"), "{err}");
    assert!(err.contains(&format!("heapsnap hunt --pid {}", node.pid())), "{err}");
    // The ids really do start over: the same 1000 markers, other ids.
    let ids = |p: &Path| {
        let snap = HeapSnapshot::from_path(p).unwrap();
        let mut v: Vec<u64> = snap
            .nodes()
            .filter(|n| n.kind() == NodeKind::Object && n.name() == "CaptureMarker")
            .map(|n| u64::from(n.id().0))
            .collect();
        v.sort_unstable();
        v
    };
    let (a, b) = (ids(&first), ids(&second));
    assert_eq!((a.len(), b.len()), (1000, 1000));
    assert_ne!(a, b, "separate sessions gave the same ids");
    // Default names: predictable, printed, and never the same file twice.
    let cwd = tempfile::tempdir().unwrap();
    let mut printed = Vec::new();
    for _ in 0..2 {
        let o = Command::new(env!("CARGO_BIN_EXE_heapsnap"))
            .args(["capture", "--pid", &node.pid(), "--no-check", "--no-gc"])
            .current_dir(cwd.path())
            .output()
            .unwrap();
        let text = ok(&o, "capture without -o");
        let name = text.strip_prefix("wrote ").unwrap().split(':').next().unwrap().to_string();
        assert!(name.starts_with(&format!("heapsnap-{}-20", node.pid())), "{name}");
        assert!(name.ends_with(".heapsnapshot"), "{name}");
        printed.push(name);
    }
    let mut want = printed.clone();
    want.sort();
    assert_ne!(printed[0], printed[1]);
    assert_eq!(listing(cwd.path()), want);
}

/// A program that is not Node.js but whose name says node, as in issue 13:
/// `cp /bin/sleep node-healthcheck`. SIGUSR1 would kill it.
#[test]
fn sigusr1_only_to_processes_that_catch_it() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("node-healthcheck");
    std::fs::copy("/bin/sleep", &fake).unwrap();
    let mut child = Command::new(&fake).arg("60").spawn().unwrap();
    // Let it start (exec done) before we look at it.
    std::thread::sleep(Duration::from_millis(200));
    let pid = child.id().to_string();
    for args in [
        vec!["capture", "--pid", &pid],
        vec!["watch", "--pid", &pid, "--duration", "1s"],
        vec!["hunt", "--pid", &pid, "--every", "1s"],
    ] {
        let o = heapsnap(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("does not catch SIGUSR1"), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("nothing was sent"), "{}", stderr(&o));
        assert!(child.try_wait().unwrap().is_none(), "{args:?} killed the process");
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The target's real socket table says who holds a port: no connection to the squatter.
#[test]
fn busy_port_is_found_without_contacting_it() {
    if !need_node("busy_port_is_found_without_contacting_it") {
        return;
    }
    let squatter = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    squatter.set_nonblocking(true).unwrap();
    let port = squatter.local_addr().unwrap().port();
    let mut node = Node::start(&[&format!("--inspect-port={port}"), "idle.js"], &[]);
    let o = heapsnap(&["capture", "--pid", &node.pid()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!("port 127.0.0.1:{port} is already in use")),
        "{}",
        stderr(&o)
    );
    match squatter.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("heapsnap connected to the squatter: {other:?}"),
    }
    assert_eq!(node.status(), "inspector closed");
}

/// A local address that is not loopback (192.0.2.2 on the test machine), found without
/// sending anything (a UDP connect only picks the route).
fn non_loopback_ip() -> std::net::IpAddr {
    let sock = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    sock.connect("192.0.2.1:9").expect("this test needs a non-loopback IPv4 address with a route");
    let ip = sock.local_addr().unwrap().ip();
    assert!(!ip.is_loopback() && !ip.is_unspecified(), "{ip}");
    ip
}

#[test]
fn only_loopback_unless_asked() {
    if !need_node("only_loopback_unless_asked") {
        return;
    }
    let ip = non_loopback_ip();
    let dir = tempfile::tempdir().unwrap();
    // Already listening on that address: found among its sockets, but not contacted.
    let mut open = Node::start(&[&format!("--inspect={ip}:0"), "idle.js"], &[]);
    let out = dir.path().join("a.heapsnapshot");
    let o = heapsnap(&["capture", "--pid", &open.pid(), "-o", s(&out)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains(&format!("listens on {ip}:")) && err.contains("not loopback"), "{err}");
    assert!(err.contains(&format!("--host {ip}")), "{err}");
    assert!(listing(dir.path()).is_empty());
    // Asked explicitly: --port with --host.
    let port = open.status().rsplit(':').next().unwrap().split('/').next().unwrap().to_string();
    let o = heapsnap(&[
        "capture",
        "--port",
        &port,
        "--host",
        &ip.to_string(),
        "-o",
        s(&out),
        "--no-check",
    ]);
    ok(&o, "capture --host");
    // Configured for that address but not open: refused before SIGUSR1, so it stays closed.
    let mut closed = Node::start(&[&format!("--inspect-port={ip}:0"), "idle.js"], &[]);
    let o = heapsnap(&["capture", "--pid", &closed.pid()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not loopback"), "{}", stderr(&o));
    assert_eq!(closed.status(), "inspector closed");
}

#[test]
fn inspector_on_every_interface_is_warned_about() {
    if !need_node("inspector_on_every_interface_is_warned_about") {
        return;
    }
    let node = Node::start(&["--inspect=0.0.0.0:0", "idle.js"], &[]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a.heapsnapshot");
    let o = heapsnap(&["capture", "--pid", &node.pid(), "-o", s(&out), "--no-check"]);
    ok(&o, "capture --pid");
    let err = stderr(&o);
    assert!(
        err.contains("listens on 0.0.0.0:") && err.contains("reachable from other machines"),
        "{err}"
    );
    let port =
        err.split("listens on 0.0.0.0:").nth(1).unwrap().split(',').next().unwrap().to_string();
    let o = heapsnap(&["capture", "--port", &port, "-o", s(&out), "--no-check"]);
    ok(&o, "capture --port");
    assert!(stderr(&o).contains("reachable from other machines"), "{}", stderr(&o));
    // Loopback only: no warning.
    let quiet = Node::start(&["--inspect=127.0.0.1:0", "idle.js"], &[]);
    let port = quiet.inspector_port();
    let o = heapsnap(&["capture", "--port", &port, "-o", s(&out), "--no-check"]);
    assert!(!stderr(&ok_output(o)).contains("reachable"));
}

fn ok_output(o: Output) -> Output {
    assert!(o.status.success(), "{}", stderr(&o));
    o
}

#[test]
fn sigterm_and_sighup_close_what_we_opened() {
    if !need_node("sigterm_and_sighup_close_what_we_opened") {
        return;
    }
    // watch: TERM and HUP end it like Ctrl-C, with the status a shell expects.
    let mut node = Node::start(&["--inspect-port=0", "steady.js"], &[]);
    for (sig, code) in [("TERM", 143), ("HUP", 129)] {
        let w = Command::new(env!("CARGO_BIN_EXE_heapsnap"))
            .args(["watch", "--pid", &node.pid(), "--interval", "100ms"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(1200));
        Command::new("kill").args([&format!("-{sig}"), &w.id().to_string()]).status().unwrap();
        let o = w.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(code), "SIG{sig}: {}{}", stdout(&o), stderr(&o));
        assert!(stdout(&o).contains("summary: "), "{}", stdout(&o));
        assert_eq!(node.status(), "inspector closed", "SIG{sig}");
    }
    // capture: TERM in the middle of a snapshot removes the temporary file.
    let mut big = Node::start(&["--inspect-port=0", "big.js"], &[]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("big.heapsnapshot");
    let cap = Command::new(env!("CARGO_BIN_EXE_heapsnap"))
        .args(["capture", "--pid", &big.pid(), "-o", s(&out), "--no-gc"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_dir(dir.path())
        .unwrap()
        .any(|e| e.unwrap().metadata().map(|m| m.len() > 0).unwrap_or(false))
    {
        assert!(Instant::now() < until, "the capture never started writing");
        std::thread::sleep(Duration::from_millis(2));
    }
    Command::new("kill").args(["-TERM", &cap.id().to_string()]).status().unwrap();
    let o = cap.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(143), "{}", stderr(&o));
    assert!(stderr(&o).contains("interrupted (SIGTERM)"), "{}", stderr(&o));
    assert_eq!(listing(dir.path()), Vec::<String>::new(), "a temporary file was left behind");
    assert!(big.alive());
    assert_eq!(big.status(), "inspector closed");
}

#[test]
fn pid_of_a_launcher_and_name_select_the_node_process() {
    if !need_node("pid_of_a_launcher_and_name_select_the_node_process") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a.heapsnapshot");
    // sh -c 'node ...' (the `; true` keeps sh from exec'ing node).
    let sh = Node::start_with("sh", &["-c", "node --inspect-port=0 idle.js; true"], &[]);
    let kids = heapsnap_capture::node_children(sh.child.id()).unwrap();
    assert_eq!(kids.len(), 1);
    let o = heapsnap(&["capture", "--pid", &sh.pid(), "-o", s(&out)]);
    ok(&o, "capture --pid SH");
    assert!(
        stderr(&o).contains(&format!(
            "process {} (sh -c node --inspect-port=0 idle.js; true) is a launcher",
            sh.pid()
        )) && stderr(&o)
            .contains(&format!("below it, {} (node --inspect-port=0 idle.js)", kids[0])),
        "{}",
        stderr(&o)
    );
    assert_eq!(count_named(&HeapSnapshot::from_path(&out).unwrap(), "CaptureMarker"), 1000);
    // npm start: npm is itself node; the application runs two levels below it.
    let app = dir.path().join("app");
    std::fs::create_dir(&app).unwrap();
    let idle = root().join("tests/fixtures/capture/idle.js");
    std::fs::write(
        app.join("package.json"),
        format!(r#"{{"name":"app","version":"1.0.0","scripts":{{"start":"node --inspect-port=0 {}"}}}}"#, idle.display()),
    )
    .unwrap();
    let npm = Node::start_with(
        "sh",
        &["-c", &format!("cd '{}' && exec npm start --silent", app.display())],
        &[],
    );
    let o = heapsnap(&["capture", "--pid", &npm.pid(), "-o", s(&out), "--no-check"]);
    ok(&o, "capture --pid NPM");
    assert!(stderr(&o).contains("is a launcher, not the application"), "{}", stderr(&o));
    // Two applications below one shell: refused, with the list.
    // A non-interactive sh gives a background job /dev/null as stdin (idle.js would exit at
    // once): hand it the shell's stdin through fd 3. Both must be ready before capturing.
    let mut two =
        Node::start_with("sh", &["-c", "exec 3<&0; node idle.js <&3 & node idle.js; wait"], &[]);
    assert_eq!(two.line(), "ready", "the second node did not start");
    let o = heapsnap(&["capture", "--pid", &two.pid(), "-o", s(&out)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let kids = heapsnap_capture::node_children(two.child.id()).unwrap();
    assert_eq!(kids.len(), 2);
    for k in &kids {
        assert!(stderr(&o).contains(&format!("\n  {k} node idle.js")), "{}", stderr(&o));
    }
    // --name: by command line.
    let tag = format!("tag-{}", std::process::id());
    let one = Node::start(&["--inspect-port=0", "idle.js", "0", &tag], &[]);
    let o = heapsnap(&["capture", "--name", &tag, "-o", s(&out), "--no-check"]);
    ok(&o, "capture --name");
    assert!(stderr(&o).contains(&format!("selects process {}", one.pid())), "{}", stderr(&o));
    let other = Node::start(&["--inspect-port=0", "idle.js", "0", &tag], &[]);
    let o = heapsnap(&["capture", "--name", &tag]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("2 Node.js processes have"), "{}", stderr(&o));
    assert!(stderr(&o).contains(&other.pid()) && stderr(&o).contains(&one.pid()));
    let o = heapsnap(&["capture", "--name", "no-such-thing-anywhere-1234"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no Node.js process has"), "{}", stderr(&o));
}

#[test]
fn watch_json_lines_and_prometheus() {
    if !need_node("watch_json_lines_and_prometheus") {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let node = Node::start(&["--inspect=127.0.0.1:0", "steady.js"], &[]);
    let port = node.inspector_port();
    let dir = tempfile::tempdir().unwrap();
    let prom = dir.path().join("heap.prom");
    let o = heapsnap(&[
        "watch",
        "--port",
        &port,
        "--interval",
        "150ms",
        "--duration",
        "1500ms",
        "--json",
        "--prometheus",
        s(&prom),
    ]);
    let text = ok(&o, "watch --json");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(lines.len() >= 6, "{text}");
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l["sample"], i);
        assert!(l["used_size"].as_u64().unwrap() > 1_000_000, "{l}");
        assert_eq!(l["warning"], false);
    }
    let last = lines.last().unwrap();
    let metrics = std::fs::read_to_string(&prom).unwrap();
    assert!(metrics.contains("# TYPE heapsnap_heap_used_bytes gauge"), "{metrics}");
    assert!(metrics.contains("# TYPE heapsnap_leak_warnings_total counter"), "{metrics}");
    let used = metrics
        .lines()
        .find(|l| l.starts_with("heapsnap_heap_used_bytes{"))
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(used, last["used_size"].to_string(), "{metrics}");
    assert!(metrics.contains("heapsnap_samples_total{target="), "{metrics}");
    assert!(metrics.contains(&format!(" {}\n", lines.len())), "{metrics}");
    assert_eq!(std::fs::metadata(&prom).unwrap().permissions().mode() & 0o777, 0o644);
    assert_eq!(listing(dir.path()), ["heap.prom"], "a temporary file was left behind");
}

#[test]
fn watch_a_worker_thread() {
    if !need_node("watch_a_worker_thread") {
        return;
    }
    let mut node = Node::start(&["--inspect-port=0", "idle.js", "2"], &[]);
    let listed = ok(&heapsnap(&["capture", "--pid", &node.pid(), "--worker", "list"]), "list");
    let id = listed.lines().next().unwrap().split('\t').next().unwrap().to_string();
    let o = heapsnap(&[
        "watch",
        "--pid",
        &node.pid(),
        "--worker",
        &id,
        "--interval",
        "100ms",
        "--duration",
        "800ms",
    ]);
    let text = ok(&o, "watch --worker");
    assert!(text.contains(&format!("worker {id} \"[worker {id}] pool-")), "{text}");
    assert!(text.contains("summary: "), "{text}");
    let o = heapsnap(&["watch", "--pid", &node.pid(), "--worker", "999", "--duration", "1s"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no target matches \"worker 999\"") && stderr(&o).contains("pool-"),
        "{}",
        stderr(&o)
    );
    assert_eq!(node.status(), "inspector closed");
}
