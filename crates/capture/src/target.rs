//! Finding targets: the inspector's HTTP endpoints `/json/list` and `/json/version`.
//!
//! A minimal HTTP/1.1 client over a plain [`TcpStream`]: one `GET`, `Connection: close`, the
//! `Host` header set to the address we connect to (Node rejects host names other than IP
//! literals and `localhost`, a DNS-rebinding defence), no `Origin`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use serde::Deserialize;

use crate::error::{Error, Result};

/// The default inspector address of Node.js (`--inspect` without a port).
pub const DEFAULT_NODE_ADDR: &str = "127.0.0.1:9229";

/// Largest HTTP answer we accept (Chrome's `/json/protocol` is a few hundred KB).
const MAX_HTTP_BODY: usize = 16 << 20;

/// How long a `/json/...` request may take (connect, then the whole answer).
pub(crate) const HTTP_TIMEOUT: Duration = Duration::from_secs(5);

/// One debuggable target, as listed by `GET /json/list`: a Node.js main thread, or a Chrome
/// page, iframe or worker.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct Target {
    /// The target id (a UUID for Node, a hex id for Chrome).
    #[serde(default)]
    pub id: String,
    /// `"node"`, `"page"`, `"iframe"`, `"worker"`, `"service_worker"`, `"browser"`, ...
    #[serde(default, rename = "type")]
    pub kind: String,
    /// The title (Node: the script name; Chrome: the page title).
    #[serde(default)]
    pub title: String,
    /// The URL (Node: `file://` of the main script).
    #[serde(default)]
    pub url: String,
    /// The description (Node: `"node.js instance"`).
    #[serde(default)]
    pub description: String,
    /// Where to connect. Chrome leaves it out for a target that already has a client attached.
    #[serde(default, rename = "webSocketDebuggerUrl")]
    pub web_socket_debugger_url: Option<String>,
}

impl Target {
    /// A target for a known WebSocket URL (`--ws`), with nothing else known about it.
    pub fn from_ws_url(url: impl Into<String>) -> Target {
        Target { web_socket_debugger_url: Some(url.into()), ..Target::default() }
    }

    /// A one-line description for listings and error messages: `node "app.js" file:///app.js`.
    pub fn describe(&self) -> String {
        let mut s =
            format!("{} {:?}", if self.kind.is_empty() { "?" } else { &self.kind }, self.title);
        if !self.url.is_empty() && self.url != self.title {
            s.push(' ');
            s.push_str(&self.url);
        }
        if !self.id.is_empty() {
            s.push_str(&format!(" (id {})", self.id));
        }
        s
    }

    /// Whether `needle` is this target's id or appears in its title or URL.
    pub fn matches(&self, needle: &str) -> bool {
        self.id == needle || self.title.contains(needle) || self.url.contains(needle)
    }
}

/// What `GET /json/version` says about the endpoint.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct Version {
    /// `"node.js/v20.20.2"` or `"Chrome/126.0..."`.
    #[serde(default, rename = "Browser")]
    pub browser: String,
    /// `"1.1"` or `"1.3"`.
    #[serde(default, rename = "Protocol-Version")]
    pub protocol_version: String,
    /// The browser-level WebSocket (Chrome; absent for Node).
    #[serde(default, rename = "webSocketDebuggerUrl")]
    pub web_socket_debugger_url: Option<String>,
}

impl Version {
    /// Whether this is a Node.js inspector (rather than Chrome or another CDP server).
    pub fn is_node(&self) -> bool {
        self.browser.starts_with("node.js")
    }
}

/// Lists the targets of the inspector at `addr` (`host:port`, e.g. `127.0.0.1:9229`).
///
/// The WebSocket URLs in the answer are rewritten to use `addr`'s host and port, so that a
/// target listening on `0.0.0.0` or behind a port forward is reached where it was found.
///
/// ```no_run
/// for t in heapsnap_capture::list_targets("127.0.0.1:9229")? {
///     println!("{}", t.describe());
/// }
/// # Ok::<(), heapsnap_capture::Error>(())
/// ```
pub fn list_targets(addr: &str) -> Result<Vec<Target>> {
    let body = http_get(addr, "/json/list", HTTP_TIMEOUT)?;
    let mut targets: Vec<Target> = serde_json::from_slice(&body).map_err(|e| Error::Http {
        url: format!("http://{addr}/json/list"),
        message: "the answer is not a JSON list of targets".into(),
        source: Some(Box::new(e)),
    })?;
    for t in &mut targets {
        if let Some(url) = &t.web_socket_debugger_url {
            t.web_socket_debugger_url = Some(rewrite_ws_authority(url, addr));
        }
    }
    Ok(targets)
}

/// Asks the inspector at `addr` what it is (`GET /json/version`).
pub fn version(addr: &str) -> Result<Version> {
    let body = http_get(addr, "/json/version", HTTP_TIMEOUT)?;
    let mut v: Version = serde_json::from_slice(&body).map_err(|e| Error::Http {
        url: format!("http://{addr}/json/version"),
        message: "the answer is not a JSON object".into(),
        source: Some(Box::new(e)),
    })?;
    if let Some(url) = &v.web_socket_debugger_url {
        v.web_socket_debugger_url = Some(rewrite_ws_authority(url, addr));
    }
    Ok(v)
}

/// `ws://0.0.0.0:9229/abc` seen through `127.0.0.1:9229` becomes `ws://127.0.0.1:9229/abc`.
fn rewrite_ws_authority(url: &str, addr: &str) -> String {
    match url.strip_prefix("ws://") {
        Some(rest) => {
            let path = rest.find('/').map_or("", |i| &rest[i..]);
            format!("ws://{addr}{path}")
        }
        None => url.to_string(),
    }
}

/// Resolves `host:port` and connects with a timeout, trying each address in turn.
pub(crate) fn connect_tcp(addr: &str, timeout: Duration) -> Result<TcpStream> {
    let addrs: Vec<SocketAddr> = addr
        .to_socket_addrs()
        .map_err(|source| Error::Connect { addr: addr.to_string(), source })?
        .collect();
    let mut last = None;
    for a in addrs {
        match TcpStream::connect_timeout(&a, timeout) {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(Error::Connect {
        addr: addr.to_string(),
        source: last.unwrap_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::NotFound, "the name resolves to no address")
        }),
    })
}

/// One `GET` with `Connection: close`; returns the body of a 200 answer.
pub(crate) fn http_get(addr: &str, path: &str, timeout: Duration) -> Result<Vec<u8>> {
    let url = format!("http://{addr}{path}");
    let mut stream = connect_tcp(addr, timeout)?;
    let io_err = |e: std::io::Error| Error::Http {
        url: url.clone(),
        message: if matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ) {
            format!("no answer within {:.1}s", timeout.as_secs_f64())
        } else {
            "the connection failed".to_string()
        },
        source: Some(Box::new(e)),
    };
    stream.set_read_timeout(Some(timeout)).map_err(io_err)?;
    stream.set_write_timeout(Some(timeout)).map_err(io_err)?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).map_err(io_err)?;
    let mut raw = Vec::new();
    let deadline = std::time::Instant::now() + timeout;
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match stream.read(&mut buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            r => r.map_err(io_err)?,
        };
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
        if raw.len() > MAX_HTTP_BODY {
            return Err(Error::Http {
                url,
                message: format!("the answer is larger than {MAX_HTTP_BODY} bytes"),
                source: None,
            });
        }
        // Stop early once a Content-Length body is complete (some servers keep the connection).
        if let Some(body) = complete_body(&raw) {
            return Ok(body);
        }
        if std::time::Instant::now() > deadline {
            return Err(Error::Http {
                url,
                message: format!("no complete answer within {:.1}s", timeout.as_secs_f64()),
                source: None,
            });
        }
    }
    parse_response(&raw).map_err(|message| Error::Http { url, message, source: None })
}

/// If `raw` holds a whole 200 response with a Content-Length, its body.
fn complete_body(raw: &[u8]) -> Option<Vec<u8>> {
    let end = find(raw, b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let len = header(head, "content-length")?.parse::<usize>().ok()?;
    if raw.len() >= end + 4 + len && status(head) == Some(200) {
        Some(raw[end + 4..end + 4 + len].to_vec())
    } else {
        None
    }
}

/// Parses a complete HTTP response (read until EOF): status 200, body by Content-Length,
/// chunked encoding, or up to EOF.
fn parse_response(raw: &[u8]) -> std::result::Result<Vec<u8>, String> {
    let end = find(raw, b"\r\n\r\n").ok_or_else(|| {
        if raw.is_empty() {
            "the server closed the connection without answering".to_string()
        } else {
            "the answer is not HTTP (no end of headers)".to_string()
        }
    })?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| "the HTTP headers are not UTF-8")?;
    let code = status(head).ok_or_else(|| {
        format!("the answer is not HTTP: {:?}", head.lines().next().unwrap_or(""))
    })?;
    if code != 200 {
        return Err(format!("HTTP status {code} ({})", head.lines().next().unwrap_or("").trim()));
    }
    let body = &raw[end + 4..];
    if let Some(len) = header(head, "content-length") {
        let len: usize = len.parse().map_err(|_| format!("bad Content-Length {len:?}"))?;
        if body.len() < len {
            return Err(format!("the answer was cut short ({} of {len} bytes)", body.len()));
        }
        return Ok(body[..len].to_vec());
    }
    if header(head, "transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        return dechunk(body);
    }
    Ok(body.to_vec())
}

fn status(head: &str) -> Option<u16> {
    let line = head.lines().next()?;
    let mut parts = line.split_whitespace();
    if !parts.next()?.starts_with("HTTP/") {
        return None;
    }
    parts.next()?.parse().ok()
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn dechunk(mut body: &[u8]) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let eol = find(body, b"\r\n").ok_or("bad chunked encoding")?;
        let size_text = std::str::from_utf8(&body[..eol]).map_err(|_| "bad chunk size")?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| "bad chunk size")?;
        body = &body[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        if body.len() < size + 2 {
            return Err("the chunked answer was cut short".into());
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_content_length_and_chunked() {
        let r =
            b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]xx";
        assert_eq!(parse_response(r).unwrap(), b"[]");
        let r =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n[\r\n1\r\n]\r\n0\r\n\r\n";
        assert_eq!(parse_response(r).unwrap(), b"[]");
        let r = b"HTTP/1.1 200 OK\r\n\r\n[1]";
        assert_eq!(parse_response(r).unwrap(), b"[1]");
        assert!(parse_response(b"HTTP/1.1 404 Not Found\r\n\r\n").unwrap_err().contains("404"));
        assert!(parse_response(b"").unwrap_err().contains("without answering"));
        assert!(parse_response(b"SSH-2.0\r\n\r\n").unwrap_err().contains("not HTTP"));
        assert!(complete_body(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n[1").is_none());
        assert_eq!(
            complete_body(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n[1]").unwrap(),
            b"[1]"
        );
    }

    #[test]
    fn rewrites_ws_urls() {
        assert_eq!(
            rewrite_ws_authority("ws://0.0.0.0:9229/abc", "127.0.0.1:9230"),
            "ws://127.0.0.1:9230/abc"
        );
        assert_eq!(rewrite_ws_authority("wss://x/y", "a:1"), "wss://x/y");
    }

    #[test]
    fn target_json() {
        let t: Vec<Target> = serde_json::from_str(
            r#"[{"description":"node.js instance","id":"u","title":"app.js","type":"node",
                "url":"file:///app.js","webSocketDebuggerUrl":"ws://127.0.0.1:9229/u","x":1}]"#,
        )
        .unwrap();
        assert_eq!(t[0].kind, "node");
        assert!(t[0].matches("app"));
        assert!(t[0].describe().contains("app.js"));
    }
}
