//! One WebSocket connection to an inspector, with request-id correlation and routing to
//! sub-targets (Node worker threads through `NodeWorker`, Chrome targets through flat sessions).

use std::net::TcpStream;
use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Message, Utf8Bytes, WebSocket};

use crate::error::{Error, Result};
use crate::protocol::{self, Incoming};
use crate::target::{Target, connect_tcp};

/// The exception a `Runtime.evaluate` reply reports, as the target describes it (`None`: the
/// expression did not throw).
pub(crate) fn exception_text(reply: &Value) -> Option<&str> {
    let ex = reply.get("exceptionDetails")?;
    Some(
        ex.pointer("/exception/description")
            .and_then(Value::as_str)
            .or_else(|| ex.get("text").and_then(Value::as_str))
            .unwrap_or("exception"),
    )
}

/// How long a command may wait without hearing anything from the target, by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// How often a blocked read wakes up to check for Ctrl-C and deadlines.
const POLL: Duration = Duration::from_millis(200);

/// Snapshot chunks are ~100 KiB text frames, but other messages can be larger (a worker's
/// chunk arrives JSON-encoded twice); stay far above anything V8 sends.
const MAX_MESSAGE: usize = 64 << 20;

/// A connection to one inspector target (a Node.js process, a Chrome page, a browser).
///
/// Commands are blocking: each waits for its reply (or an error, or the timeout, which counts
/// time without *any* message from the target, so a long snapshot with steady progress never
/// times out). Events that arrive while waiting are passed to whoever asked or ignored.
///
/// ```no_run
/// use heapsnap_capture::{Session, Target};
/// let mut session = Session::connect(&Target::from_ws_url("ws://127.0.0.1:9229/3f0c..."))?;
/// let usage = session.heap_usage()?;
/// println!("{} of {} bytes used", usage.used_size, usage.total_size);
/// # Ok::<(), heapsnap_capture::Error>(())
/// ```
#[derive(Debug)]
pub struct Session {
    ws: WebSocket<TcpStream>,
    url: String,
    next_id: u64,
    timeout: Duration,
    max_time: Option<Duration>,
    read_timeout: Option<Duration>,
    pub(crate) route: Route,
    pub(crate) heap_profiler_enabled: Vec<Route>,
    workers: Vec<WorkerInfo>,
    node_worker_enabled: bool,
    /// Whether Ctrl-C (after `catch_interrupts`) stops blocking calls; off for clean-up.
    pub(crate) interruptible: bool,
}

/// Where commands go: the connected target itself, a flat session, or a Node worker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    Main,
    Flat(String),
    Worker(String),
}

/// A Node.js worker thread reached through the `NodeWorker` domain.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerInfo {
    /// The inspector's id for the worker (`"1"`, `"2"`, ... in the order the inspector saw
    /// them; not the same as the thread id).
    pub worker_id: String,
    /// The worker's `threadId` (what `worker.threadId` says in JavaScript), read from its title.
    pub thread_id: Option<u64>,
    /// The worker's title: `[worker 1] my-worker` (thread id, then its `name` option).
    pub title: String,
    /// The worker script's URL.
    pub url: String,
    /// `"worker"`.
    pub kind: String,
    /// The inspector session id used to talk to it.
    pub session_id: String,
}

/// `Runtime.getHeapUsage`: the JS heap of the isolate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct HeapUsage {
    /// Bytes used by live and not yet collected objects.
    #[serde(rename = "usedSize")]
    pub used_size: u64,
    /// Bytes the heap has reserved.
    #[serde(rename = "totalSize")]
    pub total_size: u64,
    /// Bytes used by the C++ (cppgc) heap, on newer V8.
    #[serde(default, rename = "embedderHeapUsedSize")]
    pub embedder_heap_used_size: Option<u64>,
    /// ArrayBuffer backing stores and external strings, on newer V8.
    #[serde(default, rename = "backingStorageSize")]
    pub backing_storage_size: Option<u64>,
}

/// A request in flight: its id, and for worker messages the id of the wrapping request.
struct Pending<'m> {
    id: u64,
    outer_id: Option<u64>,
    method: &'m str,
}

/// Handles events while a command waits: `(method, params JSON)`. Returns whether the event
/// showed progress (a snapshot chunk, more heap objects walked): only such events, and not a
/// flood of anything else, keep a command from timing out.
pub(crate) type EventFn<'f> = dyn FnMut(&str, &str) -> Result<bool> + 'f;

/// What one incoming message amounted to for the command waiting.
pub(crate) enum Step {
    /// The awaited reply's `result` (JSON text).
    Reply(String),
    /// An event that showed progress.
    Progress,
    /// Anything else.
    Idle,
}

impl Session {
    /// Connects to a target's `webSocketDebuggerUrl` (from [`list_targets`](crate::list_targets)
    /// or [`Target::from_ws_url`]).
    pub fn connect(target: &Target) -> Result<Session> {
        let url = target.web_socket_debugger_url.as_deref().ok_or_else(|| Error::NoTarget {
            wanted: format!("a WebSocket URL for {}", target.describe()),
            available: vec![
                "(the target has no webSocketDebuggerUrl: is another debugger attached?)".into(),
            ],
        })?;
        Session::connect_url(url)
    }

    /// Connects to a `ws://host:port/path` URL. Only plain `ws://` is supported (inspectors
    /// listen on loopback; use an SSH tunnel for remote hosts).
    pub fn connect_url(url: &str) -> Result<Session> {
        let rest = url.strip_prefix("ws://").ok_or_else(|| Error::WebSocket {
            url: url.to_string(),
            source: "only ws:// URLs are supported (no TLS); tunnel remote inspectors to loopback"
                .into(),
        })?;
        let authority = rest.split('/').next().unwrap_or("");
        let addr =
            if authority.contains(':') { authority.to_string() } else { format!("{authority}:80") };
        let stream = connect_tcp(&addr, Duration::from_secs(5))?;
        let handshake_timeout = Some(Duration::from_secs(10));
        let ws_err =
            |e: std::io::Error| Error::WebSocket { url: url.to_string(), source: Box::new(e) };
        stream.set_read_timeout(handshake_timeout).map_err(ws_err)?;
        stream.set_write_timeout(handshake_timeout).map_err(ws_err)?;
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_MESSAGE))
            .max_frame_size(Some(MAX_MESSAGE))
            .read_buffer_size(256 * 1024);
        // The Host header comes from the URL (an IP literal or localhost, as Node requires);
        // no Origin header is sent (Chrome refuses unknown origins).
        let (ws, _response) = tungstenite::client::client_with_config(url, stream, Some(config))
            .map_err(|e| Error::WebSocket {
                url: url.to_string(),
                source: match e {
                    tungstenite::HandshakeError::Failure(e) => Box::new(e),
                    tungstenite::HandshakeError::Interrupted(_) => {
                        "the WebSocket handshake timed out".into()
                    }
                },
            })?;
        log::debug!("connected to {url}");
        let mut session = Session {
            ws,
            url: url.to_string(),
            next_id: 1,
            timeout: DEFAULT_TIMEOUT,
            max_time: None,
            read_timeout: handshake_timeout,
            route: Route::Main,
            heap_profiler_enabled: Vec::new(),
            workers: Vec::new(),
            node_worker_enabled: false,
            interruptible: true,
        };
        session.ws.get_mut().set_write_timeout(Some(DEFAULT_TIMEOUT)).map_err(ws_err)?;
        session.set_read_timeout(POLL)?;
        Ok(session)
    }

    /// The WebSocket URL this session is connected to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// How long any one command may take in total, however busy the target keeps the
    /// connection (default: no limit). A snapshot of a big heap takes minutes; this bounds a
    /// target that streams events forever without ever answering.
    pub fn set_max_time(&mut self, max_time: Option<Duration>) {
        self.max_time = max_time.map(|m| m.max(Duration::from_millis(1)));
    }

    /// The current limit per command (see [`Session::set_max_time`]).
    pub fn max_time(&self) -> Option<Duration> {
        self.max_time
    }

    /// How long a command may go without progress from the target (default 60 s): no reply,
    /// no snapshot chunk, no more heap objects walked. Other events (a flood of them, say) do
    /// not count as progress.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout.max(Duration::from_millis(1));
        let _ = self.ws.get_mut().set_write_timeout(Some(self.timeout));
    }

    /// The current timeout (see [`Session::set_timeout`]).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends any CDP command to the current target and returns its `result`.
    ///
    /// Events that arrive meanwhile are ignored (logged at `trace`).
    pub fn call(&mut self, method: &str, params: Value) -> Result<Value> {
        let route = self.route.clone();
        let text = self.call_on(&route, method, &params, &mut |m, _| {
            log::trace!("ignoring event {m}");
            Ok(false)
        })?;
        serde_json::from_str(&text).map_err(|e| Error::json(format!("bad reply to {method}"), e))
    }

    /// [`Session::call`], handing every event of the current target that arrives before the
    /// reply to `on_event` (method, params) instead of ignoring it: a client that enabled
    /// `Network` or `Log` sees every request and message, in order.
    pub fn call_with_events(
        &mut self,
        method: &str,
        params: Value,
        on_event: &mut dyn FnMut(&str, &Value),
    ) -> Result<Value> {
        let route = self.route.clone();
        let text = self.call_on(&route, method, &params, &mut |m, p| {
            on_event(m, &serde_json::from_str(p).unwrap_or(Value::Null));
            Ok(false)
        })?;
        serde_json::from_str(&text).map_err(|e| Error::json(format!("bad reply to {method}"), e))
    }

    /// Reads the current target's events for up to `d` (no command waiting), handing each to
    /// `on_event` (method, params), which returns `true` to stop. Returns whether it stopped
    /// (`false`: `d` passed first).
    ///
    /// ```no_run
    /// # use heapsnap_capture::Session;
    /// # fn wait(session: &mut Session) -> heapsnap_capture::Result<()> {
    /// let loaded = session.wait_event(std::time::Duration::from_secs(10), &mut |method, _| {
    ///     method == "Page.loadEventFired"
    /// })?;
    /// # Ok(()) }
    /// ```
    pub fn wait_event(
        &mut self,
        d: Duration,
        on_event: &mut dyn FnMut(&str, &Value) -> bool,
    ) -> Result<bool> {
        let until = Instant::now() + d;
        let route = self.route.clone();
        let mut stop = false;
        while !stop {
            let Some(text) = self.next_text(until, "events")? else { return Ok(false) };
            self.dispatch(&text, &route, None, &mut |m, p| {
                stop |= on_event(m, &serde_json::from_str(p).unwrap_or(Value::Null));
                Ok(false)
            })?;
        }
        Ok(true)
    }

    /// `Runtime.evaluate` in the current target; returns the value (`returnByValue`).
    pub fn evaluate(&mut self, expression: &str) -> Result<Value> {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "silent": true}),
        )?;
        if let Some(text) = exception_text(&r) {
            return Err(Error::Remote {
                method: "Runtime.evaluate".into(),
                code: 0,
                message: format!("{expression:?} threw: {text}"),
            });
        }
        Ok(r.pointer("/result/value").cloned().unwrap_or(Value::Null))
    }

    /// `process.pid` of a Node.js target (`None` if the target is not Node).
    pub fn process_pid(&mut self) -> Result<Option<u32>> {
        let v = self.evaluate("typeof process === 'object' && process ? process.pid : null")?;
        Ok(v.as_u64().and_then(|p| u32::try_from(p).ok()))
    }

    /// `Runtime.getHeapUsage`.
    pub fn heap_usage(&mut self) -> Result<HeapUsage> {
        let v = self.call("Runtime.getHeapUsage", Value::Null)?;
        serde_json::from_value(v).map_err(|e| Error::json("bad Runtime.getHeapUsage reply", e))
    }

    /// `HeapProfiler.collectGarbage`, waiting for its reply (V8 answers only once the GC task
    /// has run, and that can come after later commands if not awaited).
    pub fn collect_garbage(&mut self) -> Result<()> {
        self.call("HeapProfiler.collectGarbage", Value::Null).map(drop)
    }

    /// The Node.js worker threads of the target (enables the `NodeWorker` domain once; later
    /// calls return the workers known from its events). Empty for a process without workers.
    pub fn workers(&mut self) -> Result<Vec<WorkerInfo>> {
        if !self.node_worker_enabled {
            self.call_on(
                &Route::Main,
                "NodeWorker.enable",
                &json!({"waitForDebuggerOnStart": false}),
                &mut |_, _| Ok(false),
            )?;
            self.node_worker_enabled = true;
            // `attachedToWorker` for existing workers comes around the reply; collect stragglers.
            self.drain(Duration::from_millis(300))?;
        }
        let mut workers = self.workers.clone();
        workers.sort_by_key(|w| (w.thread_id, w.worker_id.parse::<u64>().ok()));
        Ok(workers)
    }

    /// Routes commands to a worker thread (see [`Session::workers`]) until the returned guard
    /// is dropped.
    ///
    /// Messages to and from the worker travel JSON-encoded inside `NodeWorker` messages.
    pub fn worker(&mut self, worker: &WorkerInfo) -> Scoped<'_> {
        let previous = std::mem::replace(&mut self.route, Route::Worker(worker.session_id.clone()));
        Scoped { session: self, previous, detach: None }
    }

    /// Attaches to another target of a browser-level connection (`Target.attachToTarget` with
    /// `flatten: true`) and routes commands to it until the guard is dropped.
    pub fn attach_target(&mut self, target_id: &str) -> Result<Scoped<'_>> {
        let r = self.call_on(
            &Route::Main,
            "Target.attachToTarget",
            &json!({"targetId": target_id, "flatten": true}),
            &mut |_, _| Ok(false),
        )?;
        #[derive(Deserialize)]
        struct Attached {
            #[serde(rename = "sessionId")]
            session_id: String,
        }
        let a: Attached = protocol::parse_params("Target.attachToTarget reply", &r)?;
        log::debug!("attached to target {target_id} as session {}", a.session_id);
        let previous = std::mem::replace(&mut self.route, Route::Flat(a.session_id.clone()));
        Ok(Scoped { session: self, previous, detach: Some(a.session_id) })
    }

    /// Closes the connection politely (a WebSocket close frame), waiting briefly for the
    /// other side. Dropping a session closes the TCP connection without the courtesy.
    pub fn close(mut self) {
        let _ = self.ws.close(None);
        let until = Instant::now() + Duration::from_millis(500);
        while Instant::now() < until {
            match self.ws.read() {
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock
                            | std::io::ErrorKind::TimedOut
                            | std::io::ErrorKind::Interrupted
                    ) => {}
                Err(_) => break,
            }
        }
    }

    // ---------------------------------------------------------------------------------------

    fn set_read_timeout(&mut self, t: Duration) -> Result<()> {
        let t = t.max(Duration::from_millis(1));
        if self.read_timeout != Some(t) {
            self.ws
                .get_mut()
                .set_read_timeout(Some(t))
                .map_err(|e| Error::WebSocket { url: self.url.clone(), source: Box::new(e) })?;
            self.read_timeout = Some(t);
        }
        Ok(())
    }

    /// Sends `method` on `route`; returns the ids to wait for.
    fn send<'m>(&mut self, route: &Route, method: &'m str, params: &Value) -> Result<Pending<'m>> {
        let id = self.next_id;
        self.next_id += 1;
        let (text, outer_id) = match route {
            Route::Main => (protocol::request(id, method, params, None), None),
            Route::Flat(sid) => (protocol::request(id, method, params, Some(sid)), None),
            Route::Worker(sid) => {
                let inner = protocol::request(id, method, params, None);
                let outer = self.next_id;
                self.next_id += 1;
                let wrapped = protocol::request(
                    outer,
                    "NodeWorker.sendMessageToWorker",
                    &json!({"sessionId": sid, "message": inner}),
                    None,
                );
                (wrapped, Some(outer))
            }
        };
        log::trace!("-> {}", truncate(&text, 300));
        let mut sent = self.ws.send(Message::text(text));
        // A signal (Ctrl-C) can interrupt the write; the frame is kept, so finish flushing it.
        while let Err(tungstenite::Error::Io(e)) = &sent
            && e.kind() == std::io::ErrorKind::Interrupted
        {
            sent = self.ws.flush();
        }
        sent.map_err(|e| self.transport_error(e, method))?;
        Ok(Pending { id, outer_id, method })
    }

    /// Sends a command and waits for its reply, handing events of `route` to `on_event`.
    /// Returns the reply's `result` as JSON text.
    pub(crate) fn call_on(
        &mut self,
        route: &Route,
        method: &str,
        params: &Value,
        on_event: &mut EventFn<'_>,
    ) -> Result<String> {
        let pending = self.send(route, method, params)?;
        let start = Instant::now();
        let hard = self.max_time.map(|m| start + m);
        let mut last = start;
        loop {
            let quiet_end = last + self.timeout;
            let until = hard.map_or(quiet_end, |h| h.min(quiet_end));
            let Some(text) = self.next_text(until, pending.method)? else {
                if let (Some(h), Some(m)) = (hard, self.max_time)
                    && Instant::now() >= h
                {
                    return Err(Error::Timeout {
                        what: format!("{} to finish (the limit for one command)", pending.method),
                        after: m,
                    });
                }
                return Err(Error::Timeout {
                    what: format!("the reply to {} (or any progress)", pending.method),
                    after: self.timeout,
                });
            };
            match self.dispatch(&text, route, Some(&pending), on_event)? {
                Step::Reply(result) => return Ok(result),
                Step::Progress => last = Instant::now(),
                Step::Idle => {}
            }
        }
    }

    /// Reads and discards the events that arrive during `d` (no command waiting), keeping the
    /// worker list current. Call it now and then while a session idles between commands:
    /// events then do not pile up (allocation tracking sends heap statistics every 50 ms), and
    /// the target going away is noticed ([`Error::Closed`]).
    pub fn drain(&mut self, d: Duration) -> Result<()> {
        let until = Instant::now() + d;
        let route = self.route.clone();
        while let Some(text) = self.next_text(until, "events")? {
            self.dispatch(&text, &route, None, &mut |_, _| Ok(false))?;
        }
        Ok(())
    }

    /// The next text message, or `None` once `until` has passed.
    fn next_text(&mut self, until: Instant, during: &str) -> Result<Option<Utf8Bytes>> {
        loop {
            if self.interruptible && crate::process::interrupted() {
                return Err(Error::Interrupted);
            }
            let now = Instant::now();
            if now >= until {
                return Ok(None);
            }
            self.set_read_timeout((until - now).min(POLL))?;
            match self.ws.read() {
                Ok(Message::Text(t)) => return Ok(Some(t)),
                Ok(Message::Binary(b)) => {
                    return Err(Error::protocol(format!(
                        "unexpected binary frame ({} bytes) from the target",
                        b.len()
                    )));
                }
                Ok(Message::Close(frame)) => {
                    return Err(Error::Closed {
                        during: during.to_string(),
                        source: frame
                            .map(|f| format!("close frame {}: {}", f.code, f.reason).into()),
                    });
                }
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock
                            | std::io::ErrorKind::TimedOut
                            | std::io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(self.transport_error(e, during)),
            }
        }
    }

    fn transport_error(&self, e: tungstenite::Error, during: &str) -> Error {
        use tungstenite::error::ProtocolError;
        match e {
            tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
                Error::Closed { during: during.to_string(), source: None }
            }
            tungstenite::Error::Io(e) => {
                if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)
                {
                    Error::Timeout { what: format!("sending {during}"), after: self.timeout }
                } else {
                    Error::Closed { during: during.to_string(), source: Some(Box::new(e)) }
                }
            }
            tungstenite::Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
                Error::Closed {
                    during: during.to_string(),
                    source: Some("the connection was reset without a WebSocket close".into()),
                }
            }
            e => Error::WebSocket { url: self.url.clone(), source: Box::new(e) },
        }
    }

    /// Handles one incoming message. Returns the `result` text if it is the awaited reply.
    fn dispatch(
        &mut self,
        text: &str,
        route: &Route,
        pending: Option<&Pending<'_>>,
        on_event: &mut EventFn<'_>,
    ) -> Result<Step> {
        let msg = Incoming::parse(text)?;
        if msg.method.is_some() && msg.session_id.is_none() {
            self.bookkeeping(&msg, route)?;
        }
        match route {
            Route::Main => {
                if msg.session_id.is_none() {
                    return handle(msg, pending.map(|p| (p.id, p.method)), on_event);
                }
            }
            Route::Flat(sid) => {
                if msg.session_id.as_deref() == Some(sid.as_str()) {
                    return handle(msg, pending.map(|p| (p.id, p.method)), on_event);
                }
                if msg.method.as_deref() == Some("Target.detachedFromTarget")
                    && protocol::parse_params::<Value>(
                        "Target.detachedFromTarget",
                        msg.params_str(),
                    )?
                    .get("sessionId")
                    .and_then(Value::as_str)
                        == Some(sid.as_str())
                {
                    return Err(Error::Closed {
                        during: pending.map_or("events", |p| p.method).to_string(),
                        source: Some("the target detached (page closed or crashed?)".into()),
                    });
                }
            }
            Route::Worker(sid) => {
                if let (Some(p), Some(id)) = (pending, msg.id)
                    && p.outer_id == Some(id)
                {
                    if let Some(err) = msg.error {
                        return Err(Error::Remote {
                            method: format!("NodeWorker.sendMessageToWorker({})", p.method),
                            code: err.code,
                            message: err.message,
                        });
                    }
                    return Ok(Step::Idle);
                }
                if msg.method.as_deref() == Some("NodeWorker.receivedMessageFromWorker") {
                    let wm: protocol::WorkerMessageParams<'_> = protocol::parse_params(
                        "NodeWorker.receivedMessageFromWorker",
                        msg.params_str(),
                    )?;
                    if wm.session_id == sid.as_str() {
                        let inner = Incoming::parse(&wm.message)?;
                        return handle(inner, pending.map(|p| (p.id, p.method)), on_event);
                    }
                }
            }
        }
        Ok(Step::Idle)
    }

    /// Keeps the worker list current and notices the target going away.
    fn bookkeeping(&mut self, msg: &Incoming<'_>, route: &Route) -> Result<()> {
        match msg.method.as_deref() {
            Some("NodeWorker.attachedToWorker") => {
                let a: protocol::AttachedToWorker =
                    protocol::parse_params("NodeWorker.attachedToWorker", msg.params_str())?;
                log::debug!(
                    "worker {} attached: {:?}",
                    a.worker_info.worker_id,
                    a.worker_info.title
                );
                self.workers.retain(|w| w.session_id != a.session_id);
                let thread_id = a
                    .worker_info
                    .title
                    .strip_prefix("[worker ")
                    .and_then(|r| r.split(']').next())
                    .and_then(|n| n.parse().ok());
                self.workers.push(WorkerInfo {
                    worker_id: a.worker_info.worker_id,
                    thread_id,
                    title: a.worker_info.title,
                    url: a.worker_info.url,
                    kind: a.worker_info.kind,
                    session_id: a.session_id,
                });
            }
            Some("NodeWorker.detachedFromWorker") => {
                let d: protocol::DetachedFromWorker<'_> =
                    protocol::parse_params("NodeWorker.detachedFromWorker", msg.params_str())?;
                self.workers.retain(|w| w.session_id != d.session_id);
                if *route == Route::Worker(d.session_id.to_string()) {
                    return Err(Error::Closed {
                        during: "a command to the worker".into(),
                        source: Some("the worker thread exited".into()),
                    });
                }
            }
            Some("Inspector.detached") => {
                let reason =
                    protocol::parse_params::<Value>("Inspector.detached", msg.params_str())?
                        .get("reason")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                return Err(Error::Closed {
                    during: "the session".into(),
                    source: Some(format!("the inspector detached us ({reason})").into()),
                });
            }
            _ => {}
        }
        Ok(())
    }
}

/// Passes an event on, or returns the result of the awaited reply.
fn handle(
    msg: Incoming<'_>,
    pending: Option<(u64, &str)>,
    on_event: &mut EventFn<'_>,
) -> Result<Step> {
    if let Some(id) = msg.id {
        return match pending {
            Some((want, method)) if want == id => match msg.error {
                Some(err) => Err(Error::Remote {
                    method: method.to_string(),
                    code: err.code,
                    message: match err.data {
                        Some(d) => format!("{} ({d})", err.message),
                        None => err.message,
                    },
                }),
                None => Ok(Step::Reply(msg.result.map_or("{}", |r| r.get()).to_string())),
            },
            _ => {
                log::trace!("ignoring reply {id}");
                Ok(Step::Idle)
            }
        };
    }
    if let Some(method) = msg.method.as_deref()
        && on_event(method, msg.params_str())?
    {
        return Ok(Step::Progress);
    }
    Ok(Step::Idle)
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Routes a [`Session`]'s commands to a worker or an attached target while it lives; dropping
/// it routes them back. Use it like the session itself (it dereferences to [`Session`]).
#[derive(Debug)]
pub struct Scoped<'s> {
    session: &'s mut Session,
    previous: Route,
    detach: Option<String>,
}

impl Deref for Scoped<'_> {
    type Target = Session;
    fn deref(&self) -> &Session {
        self.session
    }
}

impl DerefMut for Scoped<'_> {
    fn deref_mut(&mut self) -> &mut Session {
        self.session
    }
}

impl Drop for Scoped<'_> {
    fn drop(&mut self) {
        let current = std::mem::replace(&mut self.session.route, self.previous.clone());
        self.session.heap_profiler_enabled.retain(|r| *r != current);
        if let Some(sid) = self.detach.take() {
            // Fire and forget: the reply is ignored whenever it arrives.
            let _ = self.session.send(
                &Route::Main,
                "Target.detachFromTarget",
                &json!({"sessionId": sid}),
            );
        }
    }
}
