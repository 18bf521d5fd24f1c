//! The capture client against a fake CDP server on 127.0.0.1: a recorded-shape transcript,
//! and protocol faults (malformed JSON, dropped connection, a snapshot without its reply,
//! CDP errors), worker and flat-session routing.

#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use heapsnap_capture::{
    Error, NoProgress, OutputFile, Progress, Session, SnapshotOptions, Target, list_targets,
};
use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

type Ws = WebSocket<TcpStream>;

/// A fake inspector on 127.0.0.1:0. `/json/...` requests get `targets` as JSON; the first
/// WebSocket connection is handed to `script`. Returns `host:port` and a channel that gets the
/// HTTP request heads and the WebSocket handshake head.
fn fake(script: impl FnOnce(&mut Ws) + Send + 'static) -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (tx, rx) = mpsc::channel();
    let ws_url = format!("ws://{addr}/devtools/page/PAGE1");
    thread::spawn(move || {
        let mut script = Some(script);
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut head = [0u8; 2048];
            let n = stream.peek(&mut head).unwrap_or(0);
            let head = String::from_utf8_lossy(&head[..n]).into_owned();
            let _ = tx.send(head.clone());
            if head.starts_with("GET /json") {
                let mut buf = [0u8; 2048];
                let _ = stream.read(&mut buf);
                let body = if head.starts_with("GET /json/version") {
                    json!({"Browser": "FakeChrome/1.0", "Protocol-Version": "1.3",
                           "webSocketDebuggerUrl": format!("ws://0.0.0.0:1/devtools/browser/B")})
                } else {
                    json!([{"id": "PAGE1", "type": "page", "title": "Fake page", "url": "https://example.invalid/",
                            "webSocketDebuggerUrl": ws_url}])
                }
                .to_string();
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                continue;
            }
            let Some(script) = script.take() else { return };
            let mut ws = tungstenite::accept(stream).unwrap();
            script(&mut ws);
            return;
        }
    });
    (addr, rx)
}

/// The next request from the client: `(id, method, whole message)`.
fn recv(ws: &mut Ws) -> (u64, String, Value) {
    loop {
        match ws.read().unwrap() {
            Message::Text(t) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                return (v["id"].as_u64().unwrap(), v["method"].as_str().unwrap().to_string(), v);
            }
            Message::Close(_) => panic!("client closed"),
            _ => {}
        }
    }
}

fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::text(v.to_string())).unwrap();
}

fn connect(addr: &str) -> Session {
    Session::connect(&Target::from_ws_url(format!("ws://{addr}/devtools/page/PAGE1"))).unwrap()
}

/// Replays a JSONL transcript: `{"recv": METHOD, "params"?: ..., "delay_ms"?: N}` waits for that
/// request (checking params), `{"send": MSG}` sends MSG with `"$id"` replaced by the last
/// request's id. With `delay_ms`, also checks that the client sends nothing meanwhile.
fn replay(ws: &mut Ws, transcript: &str) {
    let mut last_id = 0;
    for line in transcript.lines().filter(|l| !l.trim().is_empty()) {
        let step: Value = serde_json::from_str(line).unwrap();
        if let Some(method) = step["recv"].as_str() {
            let (id, got, msg) = recv(ws);
            assert_eq!(got, method);
            if let Some(p) = step.get("params") {
                assert_eq!(&msg["params"], p);
            }
            if let Some(ms) = step["delay_ms"].as_u64() {
                // The client must wait for this reply before sending anything else.
                ws.get_mut().set_read_timeout(Some(Duration::from_millis(ms))).unwrap();
                let mut b = [0u8; 1];
                let r = ws.get_mut().peek(&mut b);
                assert!(r.is_err(), "client sent something before the reply to {method}");
                ws.get_mut().set_read_timeout(None).unwrap();
            }
            last_id = id;
        } else {
            let text = step["send"].to_string().replace("\"$id\"", &last_id.to_string());
            ws.send(Message::text(text)).unwrap();
        }
    }
}

#[derive(Default)]
struct Counts {
    total: u64,
    done: u64,
    bytes: u64,
}

impl Progress for Counts {
    fn set_total(&mut self, total: u64) {
        self.total = total;
    }
    fn advance(&mut self, delta: u64) {
        self.done += delta;
    }
    fn wrote(&mut self, bytes: u64) {
        self.bytes += bytes;
    }
}

#[test]
fn transcript_streams_a_parseable_snapshot() {
    let transcript = include_str!("fixtures/node20-transcript.jsonl");
    let (addr, heads) = fake(move |ws| {
        replay(ws, transcript);
        // Then the session is closed politely.
        let _ = ws.read();
    });
    let targets = list_targets(&addr).unwrap();
    assert_eq!(targets.len(), 1);
    assert_eq!(targets[0].kind, "page");
    let http_head = heads.recv().unwrap();
    assert!(http_head.contains(&format!("Host: {addr}\r\n")), "{http_head}");
    let mut session = Session::connect(&targets[0]).unwrap();
    let ws_head = heads.recv().unwrap();
    assert!(ws_head.contains(&format!("Host: {addr}\r\n")), "{ws_head}");
    assert!(!ws_head.to_ascii_lowercase().contains("origin:"), "{ws_head}");

    let mut sink = Vec::new();
    let mut progress = Counts::default();
    let stats =
        session.take_heap_snapshot(&mut sink, &SnapshotOptions::default(), &mut progress).unwrap();
    session.close();
    assert_eq!(stats.chunks, 2);
    assert_eq!(stats.bytes, sink.len() as u64);
    assert_eq!((progress.total, progress.done, progress.bytes), (3, 3, sink.len() as u64));
    let snap = heapsnap_format::HeapSnapshot::from_slice(&sink).unwrap();
    assert_eq!((snap.node_count(), snap.edge_count()), (2, 1));
    assert!(snap.nodes().any(|n| n.name() == "Point é\"q\""));
}

#[test]
fn options_reach_the_target_and_gc_can_be_skipped() {
    let (addr, _) = fake(|ws| {
        let (id, m, _) = recv(ws);
        assert_eq!(m, "HeapProfiler.enable");
        send(ws, json!({"id": id, "result": {}}));
        let (id, m, msg) = recv(ws);
        assert_eq!(m, "HeapProfiler.takeHeapSnapshot");
        assert_eq!(msg["params"]["exposeInternals"], true);
        assert_eq!(msg["params"]["captureNumericValue"], true);
        send(ws, json!({"method": "HeapProfiler.addHeapSnapshotChunk", "params": {"chunk": "{}"}}));
        send(ws, json!({"id": id, "result": {}}));
        // A second snapshot on the same session does not enable (or disable) again.
        let (id, m, _) = recv(ws);
        assert_eq!(m, "HeapProfiler.takeHeapSnapshot");
        send(ws, json!({"method": "HeapProfiler.addHeapSnapshotChunk", "params": {"chunk": "[]"}}));
        send(ws, json!({"id": id, "result": {}}));
    });
    let mut s = connect(&addr);
    let opts = SnapshotOptions::new()
        .collect_garbage(false)
        .expose_internals(true)
        .capture_numeric_value(true);
    let mut a = Vec::new();
    s.take_heap_snapshot(&mut a, &opts, &mut NoProgress).unwrap();
    let mut b = Vec::new();
    s.take_heap_snapshot(&mut b, &opts, &mut NoProgress).unwrap();
    assert_eq!((a.as_slice(), b.as_slice()), (&b"{}"[..], &b"[]"[..]));
}

#[test]
fn malformed_json_is_a_protocol_error() {
    let (addr, _) = fake(|ws| {
        let _ = recv(ws);
        ws.send(Message::text("{\"id\": 1, \"result\": {")).unwrap();
        thread::sleep(Duration::from_millis(200));
    });
    let mut s = connect(&addr);
    let err = s.heap_usage().unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err:?}");
    assert!(err.to_string().contains("malformed message"), "{err}");
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn a_malformed_chunk_event_is_a_protocol_error() {
    let (addr, _) = fake(|ws| {
        let (id, _, _) = recv(ws);
        send(ws, json!({"id": id, "result": {}}));
        let _ = recv(ws);
        send(ws, json!({"method": "HeapProfiler.addHeapSnapshotChunk", "params": {"chunk": 5}}));
        thread::sleep(Duration::from_millis(200));
    });
    let mut s = connect(&addr);
    let err = s
        .take_heap_snapshot(
            Vec::new(),
            &SnapshotOptions::new().collect_garbage(false),
            &mut NoProgress,
        )
        .unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err:?}");
}

#[test]
fn dropped_connection_mid_snapshot_leaves_no_file() {
    let (addr, _) = fake(|ws| {
        let (id, _, _) = recv(ws);
        send(ws, json!({"id": id, "result": {}}));
        let (id, _, _) = recv(ws);
        send(ws, json!({"id": id, "result": {}}));
        let _ = recv(ws);
        for _ in 0..3 {
            send(
                ws,
                json!({"method": "HeapProfiler.addHeapSnapshotChunk", "params": {"chunk": "x".repeat(100_000)}}),
            );
        }
        // Drop the TCP connection without a WebSocket close, like a killed process.
        let _ = ws.get_mut().shutdown(std::net::Shutdown::Both);
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.heapsnapshot");
    let mut s = connect(&addr);
    let mut out = OutputFile::create(&path, false).unwrap();
    let err =
        s.take_heap_snapshot(&mut out, &SnapshotOptions::default(), &mut NoProgress).unwrap_err();
    assert!(err.is_closed(), "{err:?}");
    assert!(err.to_string().contains("HeapProfiler.takeHeapSnapshot"), "{err}");
    assert_eq!(out.written(), 300_000);
    drop(out);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "a partial file was left");
}

#[test]
fn chunks_without_a_reply_time_out() {
    let (addr, _) = fake(|ws| {
        let (id, _, _) = recv(ws);
        send(ws, json!({"id": id, "result": {}}));
        let _ = recv(ws);
        send(
            ws,
            json!({"method": "HeapProfiler.reportHeapSnapshotProgress", "params": {"done": 1, "total": 1, "finished": true}}),
        );
        send(
            ws,
            json!({"method": "HeapProfiler.addHeapSnapshotChunk", "params": {"chunk": "{\"snapshot\":"}}),
        );
        // ... and then nothing: no more chunks, no reply.
        thread::sleep(Duration::from_secs(3));
    });
    let mut s = connect(&addr);
    s.set_timeout(Duration::from_millis(700));
    let t = std::time::Instant::now();
    let err = s
        .take_heap_snapshot(
            Vec::new(),
            &SnapshotOptions::new().collect_garbage(false),
            &mut NoProgress,
        )
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("takeHeapSnapshot"), "{err}");
    assert!(t.elapsed() < Duration::from_secs(2));
}

#[test]
fn a_reply_without_chunks_is_an_error() {
    let (addr, _) = fake(|ws| {
        let (id, _, _) = recv(ws);
        send(ws, json!({"id": id, "result": {}}));
        let (id, _, _) = recv(ws);
        send(ws, json!({"id": id, "result": {}}));
    });
    let mut s = connect(&addr);
    let err = s
        .take_heap_snapshot(
            Vec::new(),
            &SnapshotOptions::new().collect_garbage(false),
            &mut NoProgress,
        )
        .unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err:?}");
}

#[test]
fn cdp_errors_name_the_method() {
    let (addr, _) = fake(|ws| {
        let (id, _, _) = recv(ws);
        send(
            ws,
            json!({"id": id, "error": {"code": -32601, "message": "'HeapProfiler.enable' wasn't found"}}),
        );
        thread::sleep(Duration::from_millis(100));
    });
    let mut s = connect(&addr);
    let err = s.take_heap_snapshot_to(Vec::new()).unwrap_err();
    match &err {
        Error::Remote { method, code, .. } => {
            assert_eq!((method.as_str(), *code), ("HeapProfiler.enable", -32601));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn nothing_listening_is_a_connect_error() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let err = list_targets(&format!("127.0.0.1:{port}")).unwrap_err();
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
    let err = Session::connect_url("wss://127.0.0.1:1/x").unwrap_err();
    assert!(matches!(err, Error::WebSocket { .. }), "{err:?}");
}

#[test]
fn heap_usage_and_evaluate() {
    let (addr, _) = fake(|ws| {
        let (id, m, _) = recv(ws);
        assert_eq!(m, "Runtime.getHeapUsage");
        send(
            ws,
            json!({"id": id, "result": {"usedSize": 100, "totalSize": 200, "embedderHeapUsedSize": 7}}),
        );
        let (id, m, msg) = recv(ws);
        assert_eq!(m, "Runtime.evaluate");
        assert_eq!(msg["params"]["returnByValue"], true);
        send(ws, json!({"id": id, "result": {"result": {"type": "number", "value": 4242}}}));
        let (id, _, _) = recv(ws);
        send(
            ws,
            json!({"id": id, "result": {"result": {"type": "object"},
            "exceptionDetails": {"text": "Uncaught", "exception": {"description": "ReferenceError: process is not defined"}}}}),
        );
    });
    let mut s = connect(&addr);
    let u = s.heap_usage().unwrap();
    assert_eq!((u.used_size, u.total_size, u.embedder_heap_used_size), (100, 200, Some(7)));
    assert_eq!(s.process_pid().unwrap(), Some(4242));
    let err = s.evaluate("process.pid").unwrap_err();
    assert!(err.to_string().contains("ReferenceError"), "{err}");
}

#[test]
fn worker_messages_are_json_inside_json() {
    let (addr, _) = fake(|ws| {
        let (id, m, _) = recv(ws);
        assert_eq!(m, "NodeWorker.enable");
        send(
            ws,
            json!({"method": "NodeWorker.attachedToWorker", "params": {"sessionId": "7",
            "workerInfo": {"workerId": "3", "type": "worker", "title": "[worker 3] pool", "url": "file:///w.js"},
            "waitingForDebugger": false}}),
        );
        send(ws, json!({"id": id, "result": {}}));
        // Three wrapped commands: enable, collectGarbage, takeHeapSnapshot.
        for expect in
            ["HeapProfiler.enable", "HeapProfiler.collectGarbage", "HeapProfiler.takeHeapSnapshot"]
        {
            let (outer, m, msg) = recv(ws);
            assert_eq!(m, "NodeWorker.sendMessageToWorker");
            assert_eq!(msg["params"]["sessionId"], "7");
            let inner: Value =
                serde_json::from_str(msg["params"]["message"].as_str().unwrap()).unwrap();
            assert_eq!(inner["method"], expect);
            send(ws, json!({"id": outer, "result": {}}));
            let wrap = |v: Value| {
                json!({"method": "NodeWorker.receivedMessageFromWorker",
                "params": {"sessionId": "7", "message": v.to_string()}})
            };
            if expect == "HeapProfiler.takeHeapSnapshot" {
                // Main-thread chunks (another session) must not end up in the worker's file.
                send(
                    ws,
                    json!({"method": "HeapProfiler.addHeapSnapshotChunk", "params": {"chunk": "MAIN"}}),
                );
                for part in ["{\"a\":\"\\\"", "quoted\\\"\"}"] {
                    send(
                        ws,
                        wrap(
                            json!({"method": "HeapProfiler.addHeapSnapshotChunk", "params": {"chunk": part}}),
                        ),
                    );
                }
            }
            send(ws, wrap(json!({"id": inner["id"], "result": {}})));
        }
    });
    let mut s = connect(&addr);
    let workers = s.workers().unwrap();
    assert_eq!(workers.len(), 1);
    assert_eq!(
        (workers[0].worker_id.as_str(), workers[0].title.as_str()),
        ("3", "[worker 3] pool")
    );
    let mut sink = Vec::new();
    s.worker(&workers[0])
        .take_heap_snapshot(&mut sink, &SnapshotOptions::default(), &mut NoProgress)
        .unwrap();
    assert_eq!(String::from_utf8(sink).unwrap(), "{\"a\":\"\\\"quoted\\\"\"}");
}

#[test]
fn a_worker_that_exits_mid_snapshot_is_closed() {
    let (addr, _) = fake(|ws| {
        let (id, _, _) = recv(ws);
        send(
            ws,
            json!({"method": "NodeWorker.attachedToWorker", "params": {"sessionId": "1",
            "workerInfo": {"workerId": "1", "type": "worker", "title": "w", "url": ""}, "waitingForDebugger": false}}),
        );
        send(ws, json!({"id": id, "result": {}}));
        let (outer, _, _) = recv(ws);
        send(ws, json!({"id": outer, "result": {}}));
        send(ws, json!({"method": "NodeWorker.detachedFromWorker", "params": {"sessionId": "1"}}));
        thread::sleep(Duration::from_millis(200));
    });
    let mut s = connect(&addr);
    let w = s.workers().unwrap().remove(0);
    let err = s.worker(&w).take_heap_snapshot_to(Vec::new()).unwrap_err();
    assert!(err.is_closed(), "{err:?}");
}

#[test]
fn flat_sessions_carry_a_session_id() {
    let (addr, _) = fake(|ws| {
        let (id, m, msg) = recv(ws);
        assert_eq!(m, "Target.attachToTarget");
        assert_eq!(msg["params"], json!({"targetId": "PAGE1", "flatten": true}));
        send(ws, json!({"id": id, "result": {"sessionId": "S1"}}));
        let (id, m, msg) = recv(ws);
        assert_eq!((m.as_str(), &msg["sessionId"]), ("HeapProfiler.enable", &json!("S1")));
        send(ws, json!({"id": id, "sessionId": "S1", "result": {}}));
        let (id, m, _) = recv(ws);
        assert_eq!(m, "HeapProfiler.takeHeapSnapshot");
        send(
            ws,
            json!({"method": "HeapProfiler.addHeapSnapshotChunk", "sessionId": "OTHER", "params": {"chunk": "no"}}),
        );
        send(
            ws,
            json!({"method": "HeapProfiler.addHeapSnapshotChunk", "sessionId": "S1", "params": {"chunk": "{}"}}),
        );
        // A reply with the same id but for another session is not ours.
        send(ws, json!({"id": id, "sessionId": "OTHER", "result": {}}));
        send(ws, json!({"id": id, "sessionId": "S1", "result": {}}));
        let (_, m, msg) = recv(ws);
        assert_eq!(
            (m.as_str(), &msg["params"]["sessionId"]),
            ("Target.detachFromTarget", &json!("S1"))
        );
    });
    let mut s = connect(&addr);
    let mut sink = Vec::new();
    s.attach_target("PAGE1")
        .unwrap()
        .take_heap_snapshot(
            &mut sink,
            &SnapshotOptions::new().collect_garbage(false),
            &mut NoProgress,
        )
        .unwrap();
    assert_eq!(sink, b"{}");
    // Dropping the guard detached; give the server a moment to check it.
    thread::sleep(Duration::from_millis(100));
}

/// A target that keeps the connection busy forever without answering (issue 13: a flood of
/// progress events ran 105 s under `--timeout 5s`). The fake floods until the client goes.
fn flood(progress: impl Fn(u64) -> Value + Send + 'static) -> String {
    let (addr, _) = fake(move |ws| {
        let (id, _, _) = recv(ws);
        send(ws, json!({"id": id, "result": {}})); // HeapProfiler.enable
        let _ = recv(ws); // takeHeapSnapshot: never answered
        for k in 0.. {
            let msg = Message::text(progress(k).to_string());
            if ws.send(msg).is_err() {
                return;
            }
            thread::sleep(Duration::from_millis(5));
        }
    });
    addr
}

/// Runs a snapshot against `addr` with the limits given, on a thread, so that a client that
/// never gives up fails this test instead of hanging it.
fn snapshot_with_limits(
    addr: String,
    timeout: Duration,
    max_time: Option<Duration>,
) -> (Error, Duration) {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut s = connect(&addr);
        s.set_timeout(timeout);
        s.set_max_time(max_time);
        let t = std::time::Instant::now();
        let r = s.take_heap_snapshot(
            Vec::new(),
            &SnapshotOptions::new().collect_garbage(false),
            &mut NoProgress,
        );
        let _ = tx.send((r.map(|_| ()), t.elapsed()));
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok((Err(e), took)) => (e, took),
        Ok((Ok(()), _)) => panic!("the snapshot succeeded"),
        Err(_) => panic!("the client was still waiting after 20 s"),
    }
}

#[test]
fn a_flood_of_events_without_progress_times_out() {
    // The same progress over and over, and events nobody asked for: no progress.
    let addr = flood(|k| {
        if k % 2 == 0 {
            json!({"method": "HeapProfiler.reportHeapSnapshotProgress", "params": {"done": 5, "total": 10}})
        } else {
            json!({"method": "HeapProfiler.heapStatsUpdate", "params": {"statsUpdate": [0, 1, 2]}})
        }
    });
    let (err, took) = snapshot_with_limits(addr, Duration::from_millis(800), None);
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("or any progress"), "{err}");
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[test]
fn max_time_bounds_a_target_that_keeps_making_progress() {
    // Real-looking progress that never ends: only the total limit stops it.
    let addr = flood(
        |k| json!({"method": "HeapProfiler.reportHeapSnapshotProgress", "params": {"done": k, "total": u64::MAX}}),
    );
    let (err, took) =
        snapshot_with_limits(addr, Duration::from_millis(500), Some(Duration::from_millis(1500)));
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("the limit for one command"), "{err}");
    assert!(took >= Duration::from_millis(1400) && took < Duration::from_secs(4), "{took:?}");
}
