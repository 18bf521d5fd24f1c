//! `heapsnap mcp`, driven over stdio by a scripted MCP client (JSON-RPC lines, written here,
//! independent of the SDK the server uses): the handshake, the tool list, each tool on real
//! fixtures against the CLI's `--json` output for the same inputs, the cache (a second call
//! is answered from it; a changed file is read again), paging and the output bound, errors as
//! tool errors with the CLI's text, `--redact`, and a stdout that carries only protocol
//! messages.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::util::{heapsnap, heapsnap_ok, root};

const SHAPES: &str = "snapshots/shapes.heapsnapshot.gz";
const APP_BASE: &str = "snapshots/app/app-baseline.heapsnapshot.gz";
const APP_TARGET: &str = "snapshots/app/app-target.heapsnapshot.gz";

/// The three snapshots of a leak scenario in `snapshots/leaks/`.
fn series(name: &str) -> [String; 3] {
    ["baseline", "target", "final"].map(|s| format!("snapshots/leaks/{name}-{s}.heapsnapshot.gz"))
}

/// A running `heapsnap mcp` and the client end of its stdio.
struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: tempfile::NamedTempFile,
    next_id: u64,
}

impl Server {
    /// Starts `heapsnap GLOBAL... mcp ARGS...` in the repository root and initializes it.
    fn start(global: &[&str], args: &[&str]) -> Server {
        let mut s = Server::spawn(global, args);
        let init = s.initialize("2025-06-18");
        assert_eq!(init["protocolVersion"], "2025-06-18", "{init}");
        s
    }

    /// Starts the server without the handshake.
    fn spawn(global: &[&str], args: &[&str]) -> Server {
        let stderr = tempfile::NamedTempFile::new().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_heapsnap"))
            .args(global)
            .arg("mcp")
            .args(args)
            .current_dir(root())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr.reopen().unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Server { child, stdin, lines, stderr, next_id: 1 }
    }

    fn send(&mut self, msg: &Value) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{msg}").unwrap();
        stdin.flush().unwrap();
    }

    /// Sends a request and returns its response (the whole JSON-RPC message). Every line on
    /// stdout must be a JSON-RPC 2.0 message.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.lines.recv_timeout(left).unwrap_or_else(|e| {
                panic!("no answer to {method} ({e}); stderr:\n{}", self.stderr())
            });
            let msg: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("stdout carried a line that is not JSON ({e}): {line}"));
            assert_eq!(msg["jsonrpc"], "2.0", "not a JSON-RPC message on stdout: {line}");
            if msg["id"] == json!(id) {
                return msg;
            }
            assert!(msg.get("id").is_none() || msg.get("method").is_some(), "stray answer {msg}");
        }
    }

    /// The handshake: `initialize` with `version`, then `notifications/initialized`.
    fn initialize(&mut self, version: &str) -> Value {
        let r = self.request(
            "initialize",
            json!({"protocolVersion": version, "capabilities": {},
                   "clientInfo": {"name": "heapsnap-tests", "version": "1"}}),
        );
        self.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        r["result"].clone()
    }

    /// Calls a tool: whether it failed, and the text it returned.
    fn call(&mut self, tool: &str, args: Value) -> (bool, String) {
        let r = self.request("tools/call", json!({"name": tool, "arguments": args}));
        let result = &r["result"];
        assert!(result.is_object(), "tools/call {tool} {args}: {r}");
        let content = result["content"].as_array().unwrap();
        assert_eq!(content.len(), 1, "{r}");
        assert_eq!(content[0]["type"], "text");
        (result["isError"] == json!(true), content[0]["text"].as_str().unwrap().to_string())
    }

    /// Calls a tool that must succeed and returns its document.
    fn doc(&mut self, tool: &str, args: Value) -> Value {
        let (failed, text) = self.call(tool, args.clone());
        assert!(!failed, "{tool} {args} failed: {text}\nstderr:\n{}", self.stderr());
        serde_json::from_str(&text).unwrap()
    }

    /// Calls a tool that must succeed: its document and what it found in the cache (the
    /// result's `_meta["heapsnap/cache"]`): whether each snapshot was cached, and whether the
    /// answer was (null when the tool does not keep answers).
    fn doc_cached(&mut self, tool: &str, args: Value) -> (Value, Vec<bool>, Value) {
        let r = self.request("tools/call", json!({"name": tool, "arguments": args}));
        let result = &r["result"];
        assert_ne!(result["isError"], json!(true), "{tool} {args}: {r}");
        let doc = serde_json::from_str(result["content"][0]["text"].as_str().unwrap()).unwrap();
        let cache = &result["_meta"]["heapsnap/cache"];
        let snapshots = cache["snapshots"].as_array().unwrap_or_else(|| panic!("no cache: {r}"));
        let hits = snapshots.iter().map(|s| s["cached"].as_bool().unwrap()).collect();
        (doc, hits, cache["answer"]["cached"].clone())
    }

    /// Calls a tool that must fail and returns its error text.
    fn error(&mut self, tool: &str, args: Value) -> String {
        let (failed, text) = self.call(tool, args.clone());
        assert!(failed, "{tool} {args} should have failed: {text}");
        text
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.stderr.path()).unwrap()
    }

    /// Closes stdin and waits for the server to end; its exit status.
    fn close(mut self) -> std::process::ExitStatus {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not end when stdin closed");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The CLI's JSON document for `args`.
fn cli_json(args: &[&str]) -> Value {
    let out = heapsnap(args);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "heapsnap {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The CLI's error message for `args` (its stderr without the `heapsnap: ` prefix).
fn cli_error(args: &[&str]) -> String {
    let out = heapsnap(args);
    assert_eq!(out.status.code(), Some(2), "heapsnap {args:?} should fail");
    let err = String::from_utf8(out.stderr).unwrap();
    err.trim_end().strip_prefix("heapsnap: ").unwrap().to_string()
}

/// A document without its `page` object, and the page of `list`.
fn unpaged(mut doc: Value, list: &str) -> (Value, Value) {
    let page = doc.as_object_mut().unwrap().remove("page").expect("a page object");
    (doc, page[list].clone())
}

#[test]
fn handshake_lists_six_documented_tools() {
    let mut s = Server::spawn(&[], &[]);
    let init = s.initialize("2025-06-18");
    assert_eq!(init["serverInfo"]["name"], "heapsnap");
    assert!(init["capabilities"]["tools"].is_object(), "{init}");
    assert!(init["instructions"].as_str().unwrap().contains("leaks"));
    let tools = s.request("tools/list", json!({}))["result"]["tools"].clone();
    let names: Vec<&str> =
        tools.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["summary", "top", "retainers", "diff", "leaks", "inspect"]);
    for t in tools.as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        let schema = &t["inputSchema"];
        assert_eq!(schema["type"], "object", "{name}");
        assert_eq!(schema["additionalProperties"], false, "{name}");
        assert_eq!(t["annotations"]["readOnlyHint"], true, "{name}");
        assert!(t["description"].as_str().unwrap().contains("heapsnap."), "{name}: the document");
        let props = schema["properties"].as_object().unwrap();
        for p in props.values() {
            assert!(p["description"].as_str().is_some_and(|d| !d.is_empty()), "{name}: {p}");
        }
        if name != "top" {
            // Every list comes in pages, and the schema says how.
            assert!(props["limit"]["description"].as_str().unwrap().contains("page"), "{name}");
            assert!(props["limit"]["maximum"].as_u64().is_some(), "{name}: {}", props["limit"]);
            assert!(t["description"].as_str().unwrap().contains("offset"), "{name}");
        }
    }
    assert_eq!(s.close().code(), Some(0));

    // An older client negotiates its own version.
    let mut s = Server::spawn(&[], &[]);
    assert_eq!(s.initialize("2024-11-05")["protocolVersion"], "2024-11-05");
    assert!(s.doc("summary", json!({"file": SHAPES, "limit": 1}))["classes"].is_array());
}

#[test]
fn tools_return_the_cli_documents() {
    let mut s = Server::start(&[], &[]);

    // summary: every class, and the first 5 by count.
    let (doc, page) = unpaged(s.doc("summary", json!({"file": SHAPES, "limit": 1000})), "classes");
    assert_eq!(doc, cli_json(&["summary", SHAPES, "--json"]));
    assert_eq!(page["next_offset"], Value::Null);
    assert_eq!(page["total"], doc["class_count"]);
    let (doc, page) =
        unpaged(s.doc("summary", json!({"file": SHAPES, "sort": "count", "limit": 5})), "classes");
    assert_eq!(doc, cli_json(&["summary", SHAPES, "--json", "--sort", "count", "--top", "5"]));
    assert_eq!(page["next_offset"], 5);

    // top.
    let doc = s.doc("top", json!({"file": SHAPES, "depth": 2, "limit": 3}));
    assert_eq!(doc, cli_json(&["top", SHAPES, "--json", "--depth", "2", "--limit", "3"]));
    assert_eq!(s.doc("top", json!({"file": SHAPES})), cli_json(&["top", SHAPES, "--json"]));

    // leaks: three snapshots, one, and options.
    let [b, t, f] = series("more-leaks");
    let (doc, page) =
        unpaged(s.doc("leaks", json!({"files": [&b, &t, &f], "limit": 200})), "findings");
    let cli = cli_json(&["leaks", &b, &t, &f, "--json"]);
    assert!(cli["findings"].as_array().unwrap().len() >= 3, "{cli}");
    assert_eq!(doc, cli);
    assert_eq!(page["total"], cli["findings"].as_array().unwrap().len());
    let doc = s.doc(
        "leaks",
        json!({"files": [&f], "categories": ["timers", "listeners"], "min_count": 50,
               "path": "shortest", "paths": 2, "fail_on_leak": true}),
    );
    let cli = cli_json(&[
        "leaks",
        &f,
        "--json",
        "--category",
        "timers",
        "--category",
        "listeners",
        "--min-count",
        "50",
        "--path",
        "shortest",
        "--paths",
        "2",
        "--fail-on-leak",
    ]);
    assert_eq!(cli["gate"]["failed"], true, "{cli}");
    assert_eq!(unpaged(doc, "findings").0, cli);
    let doc = s.doc("leaks", json!({"files": [&b, &f], "min_retained": "100KB", "limit": 2}));
    let cli = cli_json(&["leaks", &b, &f, "--json", "--min-retained", "100KB", "--top", "2"]);
    assert_eq!(unpaged(doc, "findings").0, cli);

    // diff, with a gate.
    let (doc, page) = unpaged(
        s.doc("diff", json!({"before": APP_BASE, "after": APP_TARGET, "limit": 500})),
        "classes",
    );
    assert_eq!(doc, cli_json(&["diff", APP_BASE, APP_TARGET, "--json"]));
    assert_eq!(page["next_offset"], Value::Null);
    let doc = s.doc(
        "diff",
        json!({"before": APP_BASE, "after": APP_TARGET, "all": true, "paths": 1,
               "fail_over": "1KB", "fail_class": ["Object>1"], "limit": 7}),
    );
    let cli = cli_json(&[
        "diff",
        APP_BASE,
        APP_TARGET,
        "--json",
        "--all",
        "--paths",
        "1",
        "--fail-over",
        "1KB",
        "--fail-class",
        "Object>1",
        "--top",
        "7",
    ]);
    assert_eq!(cli["gate"]["failed"], true, "{cli}");
    assert_eq!(unpaged(doc, "classes").0, cli);

    // retainers of a leaked listener, both path modes.
    let leak = cli_json(&["leaks", &b, &t, &f, "--json", "--category", "listeners"]);
    let id = format!("@{}", leak["findings"][0]["ids"][0]);
    let (doc, _) = unpaged(s.doc("retainers", json!({"file": &f, "id": &id})), "paths");
    assert_eq!(doc, cli_json(&["retainers", &f, &id, "--json"]));
    assert!(!doc["paths"].as_array().unwrap().is_empty());
    let (doc, _) = unpaged(
        s.doc("retainers", json!({"file": &f, "id": &id, "path": "shortest", "limit": 5})),
        "paths",
    );
    assert_eq!(
        doc,
        cli_json(&["retainers", &f, &id, "--json", "--path", "shortest", "--paths", "5"])
    );
}

/// `inspect` agrees with `dump` (every node it shows), with `retainers` (the object and its
/// best path), and with itself (each retainer's edges lead back to the object).
#[test]
fn inspect_agrees_with_dump_and_retainers() {
    let f = &series("listeners")[2];
    let dump: std::collections::BTreeMap<u64, Value> = heapsnap_ok(&["dump", f])
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["id"].as_u64().unwrap(), v)
        })
        .collect();
    let leak = cli_json(&["leaks", f, "--json"]);
    let id = leak["findings"][0]["ids"][0].as_u64().unwrap();
    let mut s = Server::start(&[], &[]);
    let (doc, page) =
        unpaged(s.doc("inspect", json!({"file": f, "id": id, "limit": 1000})), "edges");
    assert_eq!(doc["schema"], "heapsnap.inspect/1");
    assert_eq!(page["next_offset"], Value::Null);
    let ret = cli_json(&["retainers", f, &format!("@{id}"), "--json"]);
    assert_eq!(doc["target"], ret["target"]);
    assert_eq!(doc["path"], ret["paths"][0]["text"]);
    let same = |node: &Value| {
        let d = &dump[&node["id"].as_u64().unwrap()];
        for k in ["type", "class", "self_size", "retained_size", "distance"] {
            assert_eq!(node[k], d[k], "{k} of {node} against dump {d}");
        }
    };
    same(&doc["target"]);
    same(&doc["dominator"]);
    assert_eq!(doc["dominator"]["id"], dump[&id]["dominator"]);
    let edges = doc["edges"].as_array().unwrap();
    assert_eq!(edges.len() as u64, dump[&id]["edge_count"].as_u64().unwrap());
    assert_eq!(doc["edge_count"], dump[&id]["edge_count"]);
    assert!(!edges.is_empty());
    for e in edges {
        same(&e["node"]);
        assert!(e["edge"]["type"].is_string() && e["edge"]["text"].is_string(), "{e}");
    }
    let held = doc["retainers"].as_array().unwrap();
    assert!(!held.is_empty());
    assert_eq!(doc["retainer_count"], held.len());
    for r in held {
        same(&r["node"]);
        let from = s.doc("inspect", json!({"file": f, "id": r["node"]["id"], "limit": 1000}));
        let back = from["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["node"]["id"] == json!(id) && e["edge"] == r["edge"]);
        assert!(back, "retainer {r} has no edge {} to @{id}", r["edge"]);
    }
}

/// Pages put together are the whole list, in order; a page ends where its `next_offset`
/// says.
fn walk(s: &mut Server, tool: &str, args: Value, list: &str, limit: usize) -> Vec<Value> {
    let mut all = Vec::new();
    let mut offset = 0;
    loop {
        let mut a = args.clone();
        a["limit"] = json!(limit);
        a["offset"] = json!(offset);
        let (doc, page) = unpaged(s.doc(tool, a), list);
        let items = doc[list].as_array().unwrap().clone();
        assert_eq!(page["offset"], offset);
        assert_eq!(page["returned"], items.len());
        assert!(items.len() <= limit);
        all.extend(items);
        match page["next_offset"].as_u64() {
            Some(next) => {
                assert_eq!(next as usize, all.len());
                offset = next as usize;
            }
            None => {
                assert_eq!(page["total"], all.len());
                return all;
            }
        }
    }
}

#[test]
fn pages_add_up_to_the_cli_lists() {
    let mut s = Server::start(&[], &[]);
    let [b, t, f] = series("more-leaks");
    let cli = cli_json(&["leaks", &b, &t, &f, "--json"]);
    let findings = walk(&mut s, "leaks", json!({"files": [&b, &t, &f]}), "findings", 1);
    assert_eq!(Value::Array(findings), cli["findings"], "ranks run on across pages");

    let cli = cli_json(&["summary", SHAPES, "--json"]);
    let classes = walk(&mut s, "summary", json!({"file": SHAPES}), "classes", 40);
    assert_eq!(Value::Array(classes), cli["classes"]);

    let cli = cli_json(&["diff", APP_BASE, APP_TARGET, "--json", "--all"]);
    let args = json!({"before": APP_BASE, "after": APP_TARGET, "all": true});
    assert_eq!(Value::Array(walk(&mut s, "diff", args, "classes", 9)), cli["classes"]);

    // Paths of one listener (held by an array of 400: hundreds of paths), four at a time,
    // are the CLI's first ten; pages end at the 100th.
    let leak = cli_json(&["leaks", &b, &t, &f, "--json", "--category", "listeners"]);
    let id = format!("@{}", leak["findings"][0]["ids"][0]);
    let cli = cli_json(&["retainers", &f, &id, "--json", "--paths", "10"]);
    let expected = cli["paths"].as_array().unwrap();
    assert_eq!(expected.len(), 10, "{cli}");
    let mut paths = Vec::new();
    for offset in [0, 4, 8] {
        let doc = s.doc("retainers", json!({"file": &f, "id": &id, "limit": 4, "offset": offset}));
        assert_eq!(doc["page"]["paths"]["next_offset"], offset + 4);
        paths.extend(doc["paths"].as_array().unwrap().clone());
    }
    paths.truncate(10);
    for (p, e) in paths.iter().zip(expected) {
        // The note on what holds the object is said on the first path only.
        assert_eq!((&p["text"], &p["steps"]), (&e["text"], &e["steps"]));
    }
    let last = s.doc("retainers", json!({"file": &f, "id": &id, "limit": 10, "offset": 90}));
    assert_eq!(last["page"]["paths"]["returned"], 10);
    assert_eq!(last["page"]["paths"]["next_offset"], Value::Null);
    let err = s.error("retainers", json!({"file": &f, "id": &id, "offset": 100}));
    assert!(err.contains("the first 100 paths"), "{err}");

    // The edges and retainers of the object with the most edges, 7 at a time.
    let top = cli_json(&["top", SHAPES, "--json", "--depth", "1", "--limit", "1"]);
    let big = &top["root"]["children"][0]["id"];
    let whole = s.doc("inspect", json!({"file": SHAPES, "id": big, "limit": 1000}));
    assert!(whole["edge_count"].as_u64().unwrap() > 7, "{}", whole["edge_count"]);
    for (list, off) in [("edges", "edges_offset"), ("retainers", "retainers_offset")] {
        let mut got = Vec::new();
        let mut offset = Some(0u64);
        while let Some(o) = offset {
            let doc = s.doc("inspect", json!({"file": SHAPES, "id": big, "limit": 7, off: o}));
            got.extend(doc[list].as_array().unwrap().clone());
            offset = doc["page"][list]["next_offset"].as_u64();
        }
        assert_eq!(Value::Array(got), whole[list], "{list}");
    }
}

#[test]
fn answers_stay_within_max_output() {
    let max = 3000;
    let mut s = Server::start(&[], &["--max-output", "3000"]);
    let (failed, text) = s.call("summary", json!({"file": SHAPES, "limit": 1000}));
    assert!(!failed, "{text}");
    assert!(text.len() <= max, "{} bytes", text.len());
    let (doc, page) = unpaged(serde_json::from_str(&text).unwrap(), "classes");
    let n = doc["classes"].as_array().unwrap().len();
    assert!(n > 1 && n < 1000, "{n} classes in a page");
    assert_eq!(page["returned"], n);
    assert_eq!(page["next_offset"], n);
    // Pages of the bounded size still add up to every class.
    let cli = cli_json(&["summary", SHAPES, "--json"]);
    assert_eq!(
        Value::Array(walk(&mut s, "summary", json!({"file": SHAPES}), "classes", 1000)),
        cli["classes"]
    );
    // A tree over the bound is refused, with what to do.
    let err = s.error("top", json!({"file": SHAPES, "depth": 3, "limit": 10}));
    assert!(err.contains("--max-output") && err.contains("lower depth or limit"), "{err}");
    let err = s.error("top", json!({"file": SHAPES, "depth": 4, "limit": 10}));
    assert!(err.contains("11110 objects"), "{err}");
}

#[test]
fn a_second_call_comes_from_the_cache_and_a_changed_file_is_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let [b, t, f] = series("intervals");
    let files: Vec<String> = ["b", "t", "f"]
        .iter()
        .zip([&b, &t, &f])
        .map(|(n, src)| {
            let dst = dir.path().join(format!("{n}.heapsnapshot.gz"));
            std::fs::copy(root().join(src), &dst).unwrap();
            dst.to_str().unwrap().to_string()
        })
        .collect();
    let mut s = Server::start(&["-v"], &[]);
    let args = json!({"files": &files, "limit": 1});
    let t0 = Instant::now();
    let (first, hits, answer) = s.doc_cached("leaks", args.clone());
    let cold = t0.elapsed();
    assert_eq!((hits, answer), (vec![false; 3], json!(false)));
    let t0 = Instant::now();
    let (second, hits, answer) = s.doc_cached("leaks", args.clone());
    let warm = t0.elapsed();
    assert_eq!((hits, answer), (vec![true; 3], json!(true)));
    assert_eq!(first, second);
    let log = s.stderr();
    for file in &files {
        assert_eq!(log.matches(&format!("mcp: read {file} (")).count(), 1, "{log}");
        assert_eq!(log.matches(&format!("mcp: {file} from the cache")).count(), 1, "{log}");
    }
    assert_eq!(log.matches("mcp: answer from the cache").count(), 1, "{log}");
    eprintln!("leaks on three snapshots: first call {cold:?}, from the cache {warm:?}");
    // Another page of the same report, another tool on the same snapshot: no reading.
    let (_, hits, answer) =
        s.doc_cached("leaks", json!({"files": &files, "limit": 1, "offset": 1}));
    assert_eq!((hits, answer), (vec![true; 3], json!(true)));
    let (_, hits, answer) = s.doc_cached("summary", json!({"file": &files[2]}));
    assert_eq!((hits, answer), (vec![true], json!(false)));
    let id = &first["findings"][0]["ids"][0];
    let (_, hits, answer) = s.doc_cached("retainers", json!({"file": &files[2], "id": id}));
    assert_eq!((hits, answer), (vec![true], Value::Null));
    let log = s.stderr();
    assert_eq!(log.matches("mcp: read ").count(), 3, "{log}");

    // The final snapshot is replaced by a healthy one: it is read again, and the answer is
    // the CLI's on the new contents.
    let healthy = root().join(&series("steady")[2]);
    std::fs::copy(&healthy, &files[2]).unwrap();
    let (doc, hits, _) = s.doc_cached("leaks", json!({"files": [&files[2]]}));
    assert_eq!(hits, [false]);
    let path = files[2].as_str();
    assert_eq!(unpaged(doc, "findings").0, cli_json(&["leaks", path, "--json"]));
    let log = s.stderr();
    assert_eq!(log.matches(&format!("mcp: read {path} (")).count(), 2, "{log}");
}

#[test]
fn a_small_cache_drops_the_least_recently_used() {
    // Room for nothing but what the last call used: each call evicts the one before.
    let mut s = Server::start(&["-v"], &["--cache-size", "1"]);
    let [b, _, f] = series("listeners");
    let hits: Vec<Vec<bool>> = [&b, &f, &b]
        .iter()
        .map(|file| s.doc_cached("summary", json!({"file": file, "limit": 1})).1)
        .collect();
    assert_eq!(hits, [[false], [false], [false]]);
    // With the default size, the first snapshot is still there.
    let mut roomy = Server::start(&[], &[]);
    let hits: Vec<Vec<bool>> = [&b, &f, &b]
        .iter()
        .map(|file| roomy.doc_cached("summary", json!({"file": file, "limit": 1})).1)
        .collect();
    assert_eq!(hits, [[false], [false], [true]]);
    let log = s.stderr();
    assert_eq!(log.matches(&format!("mcp: read {b} (")).count(), 2, "{log}");
    assert!(log.contains(&format!("dropped {}", root().join(&b).display())), "{log}");
}

#[test]
fn errors_are_tool_errors_with_the_cli_text() {
    let mut s = Server::start(&[], &[]);
    let f = &series("listeners")[2];
    // A missing file, a file that is not a snapshot, a directory.
    for bad in ["snapshots/no-such.heapsnapshot", "README.md", "snapshots"] {
        let err = s.error("summary", json!({"file": bad}));
        assert_eq!(err, cli_error(&["summary", bad]), "{bad}");
        let err = s.error("leaks", json!({"files": [f, bad]}));
        assert_eq!(err, cli_error(&["leaks", f, bad]), "{bad}");
    }
    // A snapshot cut short: the file, the section and the byte offset.
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.heapsnapshot");
    let whole = heapsnap_ok(&["convert", SHAPES, "-", "--no-gzip"]);
    std::fs::write(&cut, &whole.as_bytes()[..whole.len() / 2]).unwrap();
    let cut = cut.to_str().unwrap();
    let err = s.error("summary", json!({"file": cut}));
    assert_eq!(err, cli_error(&["summary", cut]));
    assert!(err.contains(cut) && err.contains("byte offset"), "{err}");
    // An unknown id, the same file twice.
    let err = s.error("retainers", json!({"file": f, "id": "@999999999"}));
    assert_eq!(err, cli_error(&["retainers", f, "@999999999"]));
    let err = s.error("inspect", json!({"file": f, "id": 999999999}));
    assert_eq!(err, cli_error(&["retainers", f, "@999999999"]));
    let err = s.error("leaks", json!({"files": [f, f]}));
    assert_eq!(err, cli_error(&["leaks", f, f]));
    // Bad arguments.
    let err = s.error("summary", json!({"file": f, "sort": "size"}));
    assert!(err.starts_with("invalid arguments for summary"), "{err}");
    let err = s.error("summary", json!({"file": f, "top": 3}));
    assert!(err.contains("unknown field `top`"), "{err}");
    let err = s.error("summary", json!({"limit": 3}));
    assert!(err.contains("missing field `file`"), "{err}");
    let err = s.error("summary", json!({"file": f, "limit": "ten"}));
    assert!(err.starts_with("invalid arguments for summary"), "{err}");
    let err = s.error("leaks", json!({"files": []}));
    assert!(err.contains("one to three snapshots"), "{err}");
    let err = s.error("summary", json!({"file": f, "limit": 0}));
    assert_eq!(err, "limit must be at least 1");
    let err = s.error("retainers", json!({"file": f, "id": "@abc"}));
    assert!(err.contains("`@abc` is not an object id"), "{err}");
    let err = s.error("leaks", json!({"files": [f], "categories": ["leaky"]}));
    assert!(err.starts_with("categories: "), "{err}");
    let err = s.error("diff", json!({"before": f, "after": f, "fail_over": "lots"}));
    assert!(err.starts_with("fail_over: "), "{err}");
    let err = s.error("summary", json!({"file": "-"}));
    assert!(err.contains("stdin"), "{err}");
    // An unknown tool is a protocol error.
    let r = s.request("tools/call", json!({"name": "nope", "arguments": {}}));
    assert_eq!(r["error"]["code"], -32602, "{r}");
    // The server is still there.
    assert_eq!(s.doc("summary", json!({"file": f, "limit": 1}))["schema"], "heapsnap.summary/1");
    assert_eq!(s.close().code(), Some(0));
}

#[test]
fn redact_applies_to_every_answer() {
    const BASE: &str = "snapshots/secrets/secrets-baseline.heapsnapshot.gz";
    const TARGET: &str = "snapshots/secrets/secrets-target.heapsnapshot.gz";
    const MARKERS: [&str; 6] =
        ["SECRETVAL", "SECRETKEY", "SECRETDICT", "SECRETCONS", "SECRETPROP", "SECRETPEM"];
    let session = heapsnap_ok(&["dump", TARGET])
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["class"] == "Session")
        .unwrap()["id"]
        .clone();
    // Unredacted, the answers do hold the secrets (else this proves nothing).
    let mut plain = Server::start(&[], &[]);
    let (_, text) = plain.call("diff", json!({"before": BASE, "after": TARGET, "limit": 500}));
    assert!(MARKERS.iter().any(|m| text.contains(m)), "{text}");

    let mut s = Server::start(&["--redact"], &[]);
    let calls = [
        ("summary", json!({"file": TARGET, "limit": 1000})),
        ("top", json!({"file": TARGET, "depth": 3, "limit": 5})),
        ("diff", json!({"before": BASE, "after": TARGET, "all": true, "limit": 500})),
        ("leaks", json!({"files": [BASE, TARGET], "limit": 200})),
        ("retainers", json!({"file": TARGET, "id": &session, "limit": 10})),
        ("inspect", json!({"file": TARGET, "id": &session, "limit": 1000})),
    ];
    for (tool, args) in calls {
        let (failed, text) = s.call(tool, args);
        assert!(!failed, "{tool}: {text}");
        let found: Vec<&str> = MARKERS.iter().copied().filter(|m| text.contains(m)).collect();
        assert!(found.is_empty(), "{tool} showed {found:?}");
    }
    let (doc, _) =
        unpaged(s.doc("diff", json!({"before": BASE, "after": TARGET, "limit": 500})), "classes");
    assert_eq!(doc, cli_json(&["--redact", "diff", BASE, TARGET, "--json"]));
    // Each inspected edge of the session shows redacted names for what it holds.
    let doc = s.doc("inspect", json!({"file": TARGET, "id": &session}));
    assert!(doc.to_string().contains("<redacted #"), "{doc}");
}

#[test]
fn logs_go_to_stderr_and_stdout_only_carries_protocol() {
    // `request` checks every stdout line; here the log is on and the server is driven through
    // loading, a cache hit and an error: stdout stays protocol, stderr has the log.
    let mut s = Server::start(&["-vv"], &[]);
    s.doc("summary", json!({"file": SHAPES, "limit": 1}));
    s.doc("summary", json!({"file": SHAPES, "limit": 1}));
    s.error("summary", json!({"file": "snapshots/no-such.heapsnapshot"}));
    let log = s.stderr();
    assert!(log.contains("mcp: serving on stdin/stdout"), "{log}");
    assert!(log.contains(&format!("mcp: {SHAPES} from the cache")), "{log}");
    assert!(log.contains("analysis took"), "{log}");
    assert_eq!(s.close().code(), Some(0));
    assert!(Path::new(env!("CARGO_BIN_EXE_heapsnap")).exists());
}
