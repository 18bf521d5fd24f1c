//! The capture client against a hostile inspector: a WebSocket server on 127.0.0.1 that sends
//! what the fuzzer gives it, and `heapsnap_capture::Session` taking a heap snapshot, reading
//! the heap usage and listing workers through it.
//!
//! The input is a script of text frames, one per line. A line starting with `?` is sent after
//! the server has read the client's next request; `$ID` in a line is replaced by that request's
//! id and `$SID` by its `sessionId` (so replies can match requests). Every other line is sent
//! at once. After the script the server keeps reading until the client hangs up.
//!
//! Checks: the client never panics, never hangs (every call returns within its limits: a
//! 40 ms silence timeout and a 1 s total deadline per call, the whole input well under
//! libFuzzer's -timeout), and when a snapshot call succeeds, its statistics agree with the
//! bytes written.

#![no_main]

use std::net::TcpListener;
use std::thread;
use std::time::{Duration, Instant};

use heapsnap_capture::{NoProgress, Session, SnapshotOptions};
use libfuzzer_sys::fuzz_target;
use tungstenite::Message;

fn serve(listener: TcpListener, script: Vec<String>) {
    let Ok((stream, _)) = listener.accept() else { return };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
    let Ok(mut ws) = tungstenite::accept(stream) else { return };
    let (mut id, mut sid) = (String::from("0"), String::new());
    for line in script {
        let (wait, body) = match line.strip_prefix('?') {
            Some(rest) => (true, rest),
            None => (false, line.as_str()),
        };
        if wait {
            match read_request(&mut ws) {
                Some((i, s)) => (id, sid) = (i, s),
                None => return,
            }
        }
        let text = body.replace("$ID", &id).replace("$SID", &sid);
        if ws.send(Message::text(text)).is_err() {
            return;
        }
    }
    while read_request(&mut ws).is_some() {}
}

/// The next request's id and sessionId; `None` when the client hung up or went silent.
fn read_request(ws: &mut tungstenite::WebSocket<std::net::TcpStream>) -> Option<(String, String)> {
    loop {
        match ws.read() {
            Ok(Message::Text(t)) => {
                let v: serde_json::Value = serde_json::from_str(&t).unwrap_or_default();
                let id = v["id"].as_u64().map_or_else(|| "0".to_string(), |n| n.to_string());
                return Some((id, v["sessionId"].as_str().unwrap_or("").to_string()));
            }
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let script: Vec<String> = text.lines().take(200).map(str::to_string).collect();
    let Ok(listener) = TcpListener::bind("127.0.0.1:0") else { return };
    let Ok(addr) = listener.local_addr() else { return };
    let server = thread::spawn(move || serve(listener, script));

    let start = Instant::now();
    if let Ok(mut session) = Session::connect_url(&format!("ws://{addr}/devtools/page/FUZZ")) {
        session.set_timeout(Duration::from_millis(40));
        session.set_max_time(Some(Duration::from_secs(1)));
        let mut out = Vec::new();
        let opts = SnapshotOptions::default();
        if let Ok(stats) = session.take_heap_snapshot(&mut out, &opts, &mut NoProgress) {
            assert_eq!(stats.bytes, out.len() as u64, "stats disagree with the bytes written");
        }
        let _ = session.heap_usage();
        let _ = session.workers();
        session.close();
    }
    let _ = server.join();
    assert!(start.elapsed() < Duration::from_secs(10), "the client took {:?}", start.elapsed());
});
