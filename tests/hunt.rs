//! `heapsnap hunt` against a real leaky Node.js service on 127.0.0.1.
//!
//! The service (`tests/fixtures/hunt/server.js`) leaks, per request to `/login`, one
//! `UserSession` in a module-level `Map` and one `onConfigChange` listener on a module-level
//! `EventEmitter`; with `--worker`, per request to `/work`, one `WorkItem` in a worker thread's
//! module-level array. `load.js` sends N requests. Each test starts its own service with
//! `--inspect-port=0` (SIGUSR1 then opens the inspector on a random port: no test assumes 9229
//! is free) on a random HTTP port read from its stdout, and kills it when done. The service
//! answers `status` on stdin with whether its inspector is open, which is how the tests check
//! that hunt closed what it opened.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{heapsnap, require_node, root};

/// A running `server.js`, killed when dropped.
struct Service {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    port: u16,
}

impl Service {
    fn start(extra: &[&str]) -> Service {
        let mut child = Command::new("node")
            .arg("--inspect-port=0")
            .args(["server.js", "0"])
            .args(extra)
            .env_remove("NODE_OPTIONS")
            .current_dir(fixtures())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let port = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("server.js did not start: {line:?}"));
        Service { child, stdin, stdout, port }
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// `inspector closed sessions N` (or `inspector ws://...`).
    fn status(&mut self) -> String {
        let sent = self.stdin.write_all(b"status\n");
        let mut line = String::new();
        let _ = self.stdout.read_line(&mut line);
        assert!(sent.is_ok() && !line.is_empty(), "server.js is gone: {:?}", self.child.try_wait());
        line.trim().to_string()
    }

    /// `node load.js N PATH` against this service, as a shell command for --drive.
    fn load_cmd(&self, n: usize, path: &str) -> String {
        format!(
            "HUNT_URL=http://127.0.0.1:{} node '{}' {n} {path}",
            self.port,
            fixtures().join("load.js").display()
        )
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn fixtures() -> PathBuf {
    root().join("tests/fixtures/hunt")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn text(o: &Output) -> String {
    format!("status {}\nstdout:\n{}\nstderr:\n{}", o.status, out(o), err(o))
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The entries of `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The single run folder in `dir`.
fn only_run(dir: &Path) -> PathBuf {
    let runs = listing(dir);
    assert_eq!(runs.len(), 1, "{runs:?}");
    dir.join(&runs[0])
}

/// `heapsnap info --json FILE`.
fn info(file: &Path) -> Value {
    let o = heapsnap(&["info", "--json", s(file)]);
    assert!(o.status.success(), "{}", text(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// `heapsnap hunt --pid PID ARGS... -o DIR --json`, which must succeed: its document.
fn hunt_json(pid: &str, args: &[&str], dir: &Path) -> Value {
    let o = heapsnap(&[&["hunt", "--pid", pid], args, &["-o", s(dir), "--json"]].concat());
    assert!(o.status.success(), "{}", text(&o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)))
}

/// The finding whose class is `class`, with its rank.
fn finding<'a>(doc: &'a Value, class: &str) -> Option<&'a Value> {
    doc["findings"].as_array().unwrap().iter().find(|f| f["class"] == class)
}

#[test]
fn hunt_with_drive_finds_both_leaks() {
    if !require_node("hunt_with_drive_finds_both_leaks") {
        return;
    }
    let mut svc = Service::start(&[]);
    // Warm up: the first requests load lazily compiled parts of node's http stack.
    let warm = Command::new("sh").arg("-c").arg(svc.load_cmd(20, "/health")).status().unwrap();
    assert!(warm.success());
    let dir = tempfile::tempdir().unwrap();
    let doc = hunt_json(&svc.pid(), &["--drive", &svc.load_cmd(150, "/login")], dir.path());
    assert_eq!(doc["schema"], "heapsnap.hunt/1");
    // One session: ids follow objects across all three snapshots.
    assert_eq!(doc["growth_basis"], "ids", "{doc:#}");
    let ids = doc["ids"].as_array().unwrap();
    assert_eq!(ids.len(), 2);
    assert!(ids.iter().all(|c| c["verdict"] == "comparable"), "{ids:?}");
    // Both leaks in the top 3, with exact counts: 150 requests per step, 300 in all.
    let top3: Vec<&Value> = doc["findings"].as_array().unwrap().iter().take(3).collect();
    let listeners = finding(&doc, "onConfigChange()").expect("the listener leak");
    assert!(top3.contains(&listeners), "{top3:#?}");
    assert_eq!(listeners["category"], "listeners");
    assert_eq!(listeners["count"], 300);
    assert_eq!(listeners["growth"], serde_json::json!([0, 150, 300]));
    assert_eq!(listeners["survivors"], 150);
    let sessions = finding(&doc, "UserSession").expect("the Map leak");
    assert!(top3.contains(&sessions), "{top3:#?}");
    assert_eq!(sessions["category"], "collections");
    assert_eq!(sessions["count"], 300);
    assert_eq!(sessions["growth"], serde_json::json!([0, 150, 300]));
    // One per entry: the Map's keys are not counted with its values.
    assert_eq!(sessions["survivors"], 150);
    assert_eq!(
        sessions["title"],
        "Map `sessions` (server.js) grows 0 -> 150 -> 300 entries: string -> UserSession"
    );
    assert!(sessions["path"]["text"].as_str().unwrap().ends_with("sessions"), "{sessions:#}");
    // The run folder: three snapshots, named by stage, nothing else.
    let run = only_run(dir.path());
    let name = run.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with(&format!("heapsnap-{}-20", svc.pid())), "{name}");
    assert_eq!(doc["run_dir"], s(&run));
    assert_eq!(
        listing(&run),
        ["1-baseline.heapsnapshot.gz", "2-target.heapsnapshot.gz", "3-final.heapsnapshot.gz"]
    );
    let snaps: Vec<&str> =
        doc["snapshots"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(snaps.len(), 3);
    assert!(snaps[0].ends_with("1-baseline.heapsnapshot.gz"), "{snaps:?}");
    let caps = doc["captures"].as_array().unwrap();
    assert_eq!(caps.len(), 3);
    for (c, stage) in caps.iter().zip(["baseline", "target", "final"]) {
        assert_eq!(c["stage"], stage);
        assert!(c["bytes"].as_u64().unwrap() > 100_000, "{c}");
        assert_eq!(c["allocation_tracking"], false);
        assert_eq!(c["trace_function_count"], 0);
        // Written by the target itself, in the hunt's one session: ids still follow objects
        // (the exact growth below says so).
        assert_eq!(c["via"], "target", "{c}");
        assert!(c["pause_seconds"].as_f64().unwrap() > 0.0, "{c}");
    }
    let acts = doc["actions"].as_array().unwrap();
    assert_eq!(acts.len(), 2);
    assert!(acts.iter().all(|a| a["kind"] == "drive" && a["exit_code"] == 0), "{acts:?}");
    // Left as found: alive, inspector closed, every request served.
    assert!(svc.alive());
    assert_eq!(svc.status(), "inspector closed sessions 300");
}

/// Objects a collection holds and listeners' closures hold too: the collection's finding
/// names both holders (emptying the Map alone would free nothing), and the listeners are a
/// finding of their own.
#[test]
fn hunt_names_every_holder_of_a_leak() {
    if !require_node("hunt_names_every_holder_of_a_leak") {
        return;
    }
    let svc = Service::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let doc = hunt_json(&svc.pid(), &["--drive", &svc.load_cmd(100, "/quote")], dir.path());
    let quotes = finding(&doc, "Quote").expect("the Map leak");
    assert_eq!(
        quotes["title"],
        "Map `quotes` (server.js) grows 0 -> 100 -> 200 entries: string -> Quote"
    );
    let holders: Vec<&str> =
        quotes["holders"].as_array().unwrap().iter().map(|h| h["text"].as_str().unwrap()).collect();
    assert_eq!(holders.len(), 2, "{holders:?}");
    assert_eq!(holders[0], "server.js: quotes");
    assert!(
        holders[1].starts_with("server.js: priceFeed._events.price-tick[")
            && holders[1].ends_with("]{context}->quote"),
        "{holders:?}"
    );
    let listeners = finding(&doc, "onPriceTick()").expect("the listener leak");
    assert_eq!(listeners["category"], "listeners");
    assert_eq!(listeners["count"], 200);
    // The text says it the same way.
    let run = only_run(dir.path());
    let files: Vec<String> = ["1-baseline", "2-target", "3-final"]
        .iter()
        .map(|f| s(&run.join(format!("{f}.heapsnapshot.gz"))).to_string())
        .collect();
    let o = heapsnap(&["leaks", &files[0], &files[1], &files[2]]);
    let t = out(&o);
    assert!(
        t.contains(
            "   held by server.js: quotes\n   and by  server.js: priceFeed._events.price-tick["
        ),
        "{t}"
    );
}

#[test]
fn hunt_text_report_names_the_run_folder() {
    if !require_node("hunt_text_report_names_the_run_folder") {
        return;
    }
    let mut svc = Service::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let o = heapsnap(&[
        "hunt",
        "--pid",
        &svc.pid(),
        "--snapshots",
        "2",
        "--drive",
        &svc.load_cmd(60, "/login"),
        "-o",
        s(dir.path()),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let run = only_run(dir.path());
    assert_eq!(listing(&run), ["1-baseline.heapsnapshot.gz", "2-final.heapsnapshot.gz"]);
    let t = out(&o);
    assert!(t.starts_with("hunt: 2 snapshots of process "), "{t}");
    assert!(t.contains("object ids: comparable"), "{t}");
    assert!(t.contains("onConfigChange"), "{t}");
    assert!(t.trim_end().ends_with(&format!("snapshots: {}", run.display())), "{t}");
    assert_eq!(svc.status(), "inspector closed sessions 60");
}

#[test]
fn hunt_refuses_without_an_action_off_a_terminal() {
    if !require_node("hunt_refuses_without_an_action_off_a_terminal") {
        return;
    }
    let mut svc = Service::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_heapsnap"))
        .args(["hunt", "--pid", &svc.pid(), "-o", s(dir.path())])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(err(&o).contains("--drive CMD") && err(&o).contains("terminal"), "{}", err(&o));
    // Refused before touching the target: no folder, inspector never opened.
    assert!(listing(dir.path()).is_empty());
    assert_eq!(svc.status(), "inspector closed sessions 0");
}

#[test]
fn hunt_interactive_through_a_pty() {
    if !require_node("hunt_interactive_through_a_pty") {
        return;
    }
    let have_script =
        Command::new("script").arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(have_script, "this test needs `script` (util-linux) to give hunt a terminal");
    let mut svc = Service::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let cmd = format!(
        "'{}' hunt --pid {} --snapshots 2 --no-progress -o '{}'",
        env!("CARGO_BIN_EXE_heapsnap"),
        svc.pid(),
        dir.path().display()
    );
    // `script` runs the command on a new pseudo-terminal and copies our pipe to it.
    let mut term = Command::new("script")
        .args(["-q", "-e", "-f", "-c", &cmd, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = term.stdin.take().unwrap();
    let mut output = term.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = output.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                return;
            }
        }
    });
    let mut seen = Vec::new();
    let until = Instant::now() + Duration::from_secs(60);
    while !String::from_utf8_lossy(&seen).contains("press Enter") {
        let left = until.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(b) => seen.extend(b),
            Err(_) => panic!("no prompt: {}", String::from_utf8_lossy(&seen)),
        }
    }
    // Exercise the app by hand, as the prompt asks, then press Enter.
    let load = Command::new("sh").arg("-c").arg(svc.load_cmd(80, "/login")).status().unwrap();
    assert!(load.success());
    input.write_all(b"\n").unwrap();
    input.flush().unwrap();
    let status = term.wait().unwrap();
    while let Ok(b) = rx.recv_timeout(Duration::from_secs(5)) {
        seen.extend(b);
    }
    let shown = String::from_utf8_lossy(&seen).into_owned();
    assert!(status.success(), "{status}: {shown}");
    assert!(shown.contains("object ids: comparable"), "{shown}");
    assert!(shown.contains("onConfigChange"), "{shown}");
    let run = only_run(dir.path());
    assert_eq!(listing(&run), ["1-baseline.heapsnapshot.gz", "2-final.heapsnapshot.gz"]);
    assert_eq!(svc.status(), "inspector closed sessions 80");
}

#[test]
fn hunt_track_allocations_records_traces() {
    if !require_node("hunt_track_allocations_records_traces") {
        return;
    }
    let mut svc = Service::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let drive = svc.load_cmd(50, "/login");
    let doc = hunt_json(&svc.pid(), &["--drive", &drive, "--track-allocations"], dir.path());
    let caps = doc["captures"].as_array().unwrap();
    let tracked: Vec<bool> = caps.iter().map(|c| c["allocation_tracking"] == true).collect();
    assert_eq!(tracked, [false, true, true]);
    // With --track-allocations the snapshots stream through the inspector (the last ends the
    // tracking).
    let via: Vec<&str> = caps.iter().map(|c| c["via"].as_str().unwrap()).collect();
    assert_eq!(via, ["inspector", "inspector", "inspector"]);
    // The files themselves: the baseline has no traces, target and final do.
    for (c, want) in caps.iter().zip([false, true, true]) {
        let i = info(Path::new(c["file"].as_str().unwrap()));
        let functions = i["trace_function_count"].as_u64().unwrap();
        let tree = i["trace_tree_nodes"].as_u64().unwrap();
        assert_eq!(functions > 0 && tree > 0, want, "{}: {i}", c["stage"]);
        assert_eq!(c["trace_function_count"].as_u64().unwrap(), functions);
    }
    assert_eq!(doc["growth_basis"], "ids");
    // With allocation tracking V8 keeps the Map's template-string keys unflattened
    // (`(concatenated string)`): still one entry each, and the entries are the sessions.
    let sessions = finding(&doc, "UserSession").unwrap();
    assert_eq!(sessions["count"], 100);
    assert_eq!(sessions["survivors"], 50);
    assert_eq!(sessions["facts"]["key"], "string");
    // Where each leak was allocated: every UserSession by openSession (server.js line 69,
    // where the function starts), called by handleLogin (line 58); every listener closure by
    // handleLogin. All after the baseline, when tracking started.
    let server = fixtures().join("server.js");
    let site = |f: &Value| -> (u64, u64, Vec<(String, u64, u64)>) {
        let a = &f["allocations"];
        assert_eq!(a["sites"].as_array().unwrap().len(), 1, "{a:#}");
        let first = &a["sites"][0];
        let frames = first["frames"]
            .as_array()
            .unwrap()
            .iter()
            .map(|fr| {
                assert_eq!(fr["script"], s(&server), "{fr}");
                (
                    fr["function"].as_str().unwrap().to_string(),
                    fr["line"].as_u64().unwrap(),
                    fr["column"].as_u64().unwrap(),
                )
            })
            .take(2)
            .collect();
        (a["traced"].as_u64().unwrap(), first["count"].as_u64().unwrap(), frames)
    };
    let (traced, count, frames) = site(sessions);
    assert_eq!((traced, count), (100, 100));
    assert_eq!(frames, [("openSession".to_string(), 69, 21), ("handleLogin".to_string(), 58, 21)]);
    let listeners = finding(&doc, "onConfigChange()").unwrap();
    let (traced, count, frames) = site(listeners);
    assert_eq!((traced, count), (100, 100));
    assert_eq!(frames[0], ("handleLogin".to_string(), 58, 21));
    // The text report says the same.
    let files: Vec<&str> =
        doc["snapshots"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let report = heapsnap(&["leaks", files[0], files[1], files[2]]);
    let t = out(&report);
    assert!(
        t.contains(&format!(
            "     100  openSession ({}:69:21) <- handleLogin ({}:58:21)",
            s(&server),
            s(&server)
        )),
        "{t}"
    );
    // Given newest first, the series looks out of order by V8's own samples (tracking on).
    let v: Value =
        serde_json::from_str(&out(&heapsnap(&["leaks", "--json", files[2], files[1]]))).unwrap();
    assert_eq!(v["warnings"][0]["kind"], "out-of-order", "{v:#}");
    assert!(v["warnings"][0]["message"].as_str().unwrap().contains("from its samples"), "{v:#}");
    // And the stacks are DevTools' own (when its code is installed).
    if crate::util::require_devtools("hunt_track_allocations_records_traces (DevTools check)") {
        let (compared, problems) =
            crate::devtools::allocation_stack_differences(Path::new(files[2]));
        assert!(compared >= 200, "{compared}");
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
    // Tracking ended with the hunt: a later snapshot carries no traces.
    let later = dir.path().join("later.heapsnapshot");
    let o = heapsnap(&["capture", "--pid", &svc.pid(), "-o", s(&later), "--no-check", "-q"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(info(&later)["trace_function_count"], 0);
    assert_eq!(svc.status(), "inspector closed sessions 100");
}

#[test]
fn hunt_in_a_worker_thread() {
    if !require_node("hunt_in_a_worker_thread") {
        return;
    }
    let mut svc = Service::start(&["--worker"]);
    let listed = heapsnap(&["capture", "--pid", &svc.pid(), "--worker", "list"]);
    assert!(listed.status.success(), "{}", text(&listed));
    let line = out(&listed);
    let id = line.split('\t').next().unwrap().trim().to_string();
    assert!(line.contains("jobs"), "{line}");
    let dir = tempfile::tempdir().unwrap();
    let drive = svc.load_cmd(120, "/work");
    let doc = hunt_json(&svc.pid(), &["--worker", &id, "--drive", &drive], dir.path());
    assert_eq!(doc["target"]["worker"]["id"], id.as_str());
    assert_eq!(doc["growth_basis"], "ids", "{doc:#}");
    assert!(doc["ids"].as_array().unwrap().iter().all(|c| c["verdict"] == "comparable"));
    let items = finding(&doc, "WorkItem").unwrap_or_else(|| panic!("{doc:#}"));
    assert_eq!(items["count"], 240);
    assert_eq!(items["growth"], serde_json::json!([0, 120, 240]));
    // The worker's heap, not the main thread's: the main thread's leak is not in it.
    assert!(finding(&doc, "UserSession").is_none());
    assert!(svc.alive());
    assert_eq!(svc.status(), "inspector closed sessions 0");
}

/// What `hunt` exists to avoid, done anyway: three `heapsnap capture` runs, each its own
/// inspector session, so V8 numbers the objects afresh each time. `leaks` says so once, points
/// to `hunt`, matches objects by structure, and still ranks the two leaks first with exact
/// growth and nothing else in its top 3 (Node's lazily created machinery included).
#[test]
fn separate_captures_of_the_service_rank_the_leaks_first() {
    if !require_node("separate_captures_of_the_service_rank_the_leaks_first") {
        return;
    }
    let mut svc = Service::start(&[]);
    let run = |cmd: String| {
        let st = Command::new("sh").arg("-c").arg(&cmd).status().unwrap();
        assert!(st.success(), "{cmd}");
    };
    run(svc.load_cmd(20, "/health"));
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (k, name) in ["a", "b", "c"].iter().enumerate() {
        if k > 0 {
            run(svc.load_cmd(60, "/login"));
        }
        let file = dir.path().join(format!("{name}.heapsnapshot"));
        let o = heapsnap(&["capture", "--pid", &svc.pid(), "-o", s(&file), "-q"]);
        assert!(o.status.success(), "{}", text(&o));
        files.push(s(&file).to_string());
    }
    let mut args = vec!["leaks", "--json"];
    args.extend(files.iter().map(String::as_str));
    let o = heapsnap(&args);
    assert!(o.status.success(), "{}", text(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["growth_basis"], "structure", "{doc:#}");
    assert!(doc["ids"].as_array().unwrap().iter().all(|c| c["verdict"] != "comparable"));
    let findings = doc["findings"].as_array().unwrap();
    let top3: Vec<(&str, &str)> = findings
        .iter()
        .take(3)
        .map(|f| (f["category"].as_str().unwrap(), f["class"].as_str().unwrap()))
        .collect();
    let mut sorted = top3.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [("collections", "UserSession"), ("listeners", "onConfigChange()")],
        "the two leaks and nothing else in the top 3: {top3:?}"
    );
    for f in &findings[..2] {
        assert_eq!(f["count"], 120, "{f:#}");
        assert_eq!(f["growth"], serde_json::json!([0, 60, 120]), "{f:#}");
    }
    // The text report says why once, and what to do instead.
    let mut args = vec!["leaks"];
    args.extend(files.iter().map(String::as_str));
    let t = out(&heapsnap(&args));
    assert_eq!(t.matches("WARNING").count(), 1, "{t}");
    assert!(
        t.contains("snapshots 1 and 2, 2 and 3 were taken through separate inspector sessions"),
        "{t}"
    );
    assert!(t.contains("heapsnap hunt --pid PID"), "{t}");
    assert!(svc.alive());
}

#[test]
fn hunt_run_folders_never_collide() {
    if !require_node("hunt_run_folders_never_collide") {
        return;
    }
    let mut svc = Service::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    // Every folder name this run could want in the next minute is taken already.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let mut taken = Vec::new();
    for t in now..now + 60 {
        let stamp = Command::new("date")
            .args(["-u", "-d", &format!("@{t}"), "+%Y%m%d-%H%M%S"])
            .output()
            .unwrap();
        let name =
            format!("heapsnap-{}-{}", svc.pid(), String::from_utf8_lossy(&stamp.stdout).trim());
        std::fs::create_dir(dir.path().join(&name)).unwrap();
        std::fs::write(dir.path().join(&name).join("keep"), "mine").unwrap();
        taken.push(name);
    }
    let doc = hunt_json(&svc.pid(), &["--snapshots", "2", "--every", "100ms"], dir.path());
    let run = PathBuf::from(doc["run_dir"].as_str().unwrap());
    let name = run.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.ends_with("-2") && taken.contains(&name[..name.len() - 2].to_string()), "{name}");
    assert_eq!(listing(&run), ["1-baseline.heapsnapshot.gz", "2-final.heapsnapshot.gz"]);
    for t in &taken {
        assert_eq!(listing(&dir.path().join(t)), ["keep"], "{t} was touched");
    }
    assert_eq!(svc.status(), "inspector closed sessions 0");
    // Two hunts at the same moment on one process (through an inspector opened beforehand,
    // each with its own session) each get a folder of their own.
    Command::new("kill").args(["-USR1", &svc.pid()]).status().unwrap();
    let until = Instant::now() + Duration::from_secs(10);
    let port = loop {
        let st = svc.status();
        if let Some(rest) = st.strip_prefix("inspector ws://127.0.0.1:") {
            break rest.split('/').next().unwrap().to_string();
        }
        assert!(Instant::now() < until, "{st}");
        std::thread::sleep(Duration::from_millis(50));
    };
    let hunt = || {
        Command::new(env!("CARGO_BIN_EXE_heapsnap"))
            .args(["hunt", "--port", &port, "--snapshots", "2", "--every", "300ms", "-q"])
            .args(["-o", s(dir.path())])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (hunt(), hunt());
    for h in [a, b] {
        let o = h.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", text(&o));
    }
    let runs: Vec<String> =
        listing(dir.path()).into_iter().filter(|n| !taken.contains(n)).collect();
    assert_eq!(runs.len(), 3, "{runs:?}");
    for r in &runs {
        assert_eq!(
            listing(&dir.path().join(r)),
            ["1-baseline.heapsnapshot.gz", "2-final.heapsnapshot.gz"],
            "{r}"
        );
    }
}

#[test]
fn hunt_drive_failure_keeps_what_was_written() {
    if !require_node("hunt_drive_failure_keeps_what_was_written") {
        return;
    }
    let mut svc = Service::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let o = heapsnap(&[
        "hunt",
        "--pid",
        &svc.pid(),
        "--drive",
        "echo driving; exit 3",
        "-o",
        s(dir.path()),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let e = err(&o);
    assert!(e.contains("the --drive command \"echo driving; exit 3\" failed (exit status: 3) before the target snapshot"), "{e}");
    let run = only_run(dir.path());
    let name = run.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.ends_with("-incomplete"), "{name}");
    assert!(e.contains(&format!("the run is incomplete: {}", run.display())), "{e}");
    assert_eq!(listing(&run), ["1-baseline.heapsnapshot.gz"]);
    // The drive command's output went to stderr, not into the report.
    assert!(e.contains("driving") && !out(&o).contains("driving"), "{}", text(&o));
    assert!(svc.alive());
    assert_eq!(svc.status(), "inspector closed sessions 0");
}

#[test]
fn hunt_stopped_by_sigterm_closes_the_inspector() {
    if !require_node("hunt_stopped_by_sigterm_closes_the_inspector") {
        return;
    }
    let mut svc = Service::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    // (The three runs often start within one second: each must keep a folder of its own.)
    let mut kept_all = Vec::new();
    for (sig, code) in [("TERM", 143), ("HUP", 129), ("INT", 130)] {
        let h = Command::new(env!("CARGO_BIN_EXE_heapsnap"))
            .args(["hunt", "--pid", &svc.pid(), "--every", "60s", "-o", s(dir.path())])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Wait until the baseline is written, then signal.
        let until = Instant::now() + Duration::from_secs(60);
        let baseline = loop {
            let found = std::fs::read_dir(dir.path()).unwrap().flatten().find_map(|e| {
                let p = e.path().join("1-baseline.heapsnapshot.gz");
                (!e.file_name().to_string_lossy().ends_with("-incomplete") && p.exists())
                    .then_some(p)
            });
            if let Some(p) = found {
                break p;
            }
            assert!(Instant::now() < until, "no baseline");
            std::thread::sleep(Duration::from_millis(50));
        };
        Command::new("kill").args([&format!("-{sig}"), &h.id().to_string()]).status().unwrap();
        let o = h.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(code), "SIG{sig}: {}", text(&o));
        let run = baseline.parent().unwrap();
        let kept = PathBuf::from(format!("{}-incomplete", run.display()));
        assert_eq!(listing(&kept), ["1-baseline.heapsnapshot.gz"], "SIG{sig}");
        assert!(!run.exists(), "SIG{sig}: {} left under its plain name", run.display());
        assert!(text(&o).contains(&kept.display().to_string()), "SIG{sig}: {}", text(&o));
        assert!(svc.alive());
        assert_eq!(svc.status(), "inspector closed sessions 0", "SIG{sig}");
        kept_all.push(kept);
    }
    kept_all.dedup();
    assert_eq!(kept_all.len(), 3, "{kept_all:?}");
}
