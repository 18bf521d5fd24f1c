//! A real headless Chromium driven through heapsnap's own CDP client (`heapsnap_capture`):
//! start it on a free port with a throw-away profile, open a page with the Network, Log and
//! Runtime domains enabled, and record every request, console message and exception.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use heapsnap_capture::Session;
use serde_json::{Value, json};

/// The Chromium binary: `$HEAPSNAP_CHROMIUM` or `chromium` on PATH.
fn chromium() -> String {
    std::env::var("HEAPSNAP_CHROMIUM").unwrap_or_else(|_| "chromium".to_string())
}

fn chromium_available() -> bool {
    Command::new(chromium())
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// For tests that need a browser: true when Chromium runs. Without it the test FAILS, saying
/// how to install it, unless `HEAPSNAP_SKIP_BROWSER_TESTS=1`: then it returns false (the test
/// returns early) and says so loudly, once, on the real stderr.
pub(crate) fn require_browser(test: &str) -> bool {
    if chromium_available() {
        return true;
    }
    if std::env::var_os("HEAPSNAP_SKIP_BROWSER_TESTS").is_some_and(|v| v == "1") {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr().lock(),
                "\n*** HEAPSNAP_SKIP_BROWSER_TESTS=1: every test of `heapsnap report` in a real \
                 browser passes WITHOUT RUNNING; unset it and install Chromium to run them ***\n"
            );
        });
        return false;
    }
    panic!(
        "{test} opens the report in headless Chromium, and `{}` was not found. Install it \
         (Debian/Ubuntu: `apt-get update && apt-get install -y chromium`; or point \
         HEAPSNAP_CHROMIUM at a Chrome or Chromium binary), or set HEAPSNAP_SKIP_BROWSER_TESTS=1 \
         to skip the browser tests",
        chromium()
    );
}

/// A headless Chromium with a temporary profile, stopped (by its pid) when dropped.
pub(crate) struct Browser {
    child: Child,
    addr: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub(crate) fn start() -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let log = std::fs::File::create(profile.path().join("stderr.log")).unwrap();
        let child = Command::new(chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--no-default-browser-check",
                "--hide-scrollbars",
                "--window-size=1280,900",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut b = Browser { child, addr: String::new(), _profile: profile };
        // Chromium writes the port it chose to DevToolsActivePort in the profile.
        let file = b._profile.path().join("DevToolsActivePort");
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(text) = std::fs::read_to_string(&file)
                && let Some(port) = text.lines().next().and_then(|l| l.trim().parse::<u16>().ok())
            {
                b.addr = format!("127.0.0.1:{port}");
                break;
            }
            if let Ok(Some(status)) = b.child.try_wait() {
                panic!("chromium exited ({status}): {}", b.stderr());
            }
            assert!(Instant::now() < until, "chromium wrote no DevToolsActivePort: {}", b.stderr());
            std::thread::sleep(Duration::from_millis(100));
        }
        b
    }

    fn stderr(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(self._profile.path().join("stderr.log")) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    /// The first page target.
    pub(crate) fn page(&self) -> Page {
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            let targets = heapsnap_capture::list_targets(&self.addr).unwrap_or_default();
            if let Some(t) = targets.iter().find(|t| t.kind == "page") {
                let mut session = Session::connect(t).unwrap();
                session.set_timeout(Duration::from_secs(60));
                let mut page = Page { session, events: Vec::new() };
                for domain in ["Page", "Network", "Log", "Runtime"] {
                    page.call(&format!("{domain}.enable"), json!({}));
                }
                return page;
            }
            assert!(Instant::now() < until, "no page target in {targets:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // SIGTERM lets Chromium stop its helper processes; SIGKILL if it does not end.
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: kill(2) on the pid of the child we started and have not reaped.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A page with every event recorded.
pub(crate) struct Page {
    session: Session,
    /// (method, params) of every event so far.
    pub(crate) events: Vec<(String, Value)>,
}

impl Page {
    pub(crate) fn call(&mut self, method: &str, params: Value) -> Value {
        let events = &mut self.events;
        self.session
            .call_with_events(method, params, &mut |m, p| events.push((m.to_string(), p.clone())))
            .unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    /// Navigates to `path` (a file) and waits for the load event.
    pub(crate) fn open(&mut self, path: &Path) -> String {
        let url = format!("file://{}", path.canonicalize().unwrap().display());
        let seen = self.events.len();
        self.call("Page.navigate", json!({"url": url}));
        let loaded = |events: &[(String, Value)]| {
            events[seen..].iter().any(|(m, _)| m == "Page.loadEventFired")
        };
        if !loaded(&self.events) {
            let events = &mut self.events;
            let ok = self
                .session
                .wait_event(Duration::from_secs(60), &mut |m, p| {
                    events.push((m.to_string(), p.clone()));
                    m == "Page.loadEventFired"
                })
                .unwrap();
            assert!(ok, "{url} did not load in 60 s");
        }
        url
    }

    /// Lets events that are under way arrive.
    pub(crate) fn settle(&mut self, d: Duration) {
        let events = &mut self.events;
        self.session
            .wait_event(d, &mut |m, p| {
                events.push((m.to_string(), p.clone()));
                false
            })
            .unwrap();
    }

    /// Evaluates `expr` in the page (awaiting a promise) and returns its value; an exception
    /// fails the test.
    pub(crate) fn eval(&mut self, expr: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expr, "returnByValue": true, "awaitPromise": true}),
        );
        if let Some(ex) = r.get("exceptionDetails") {
            panic!("{expr} threw: {ex}");
        }
        r.pointer("/result/value").cloned().unwrap_or(Value::Null)
    }

    /// A real mouse click at the centre of the first element matching `selector` (scrolled
    /// into view first).
    pub(crate) fn click(&mut self, selector: &str) {
        let at = self.eval(&format!(
            "(() => {{ const e = document.querySelector({sel}); if (!e) return null; \
             e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect(); \
             return [r.left + Math.min(r.width / 2, 20), r.top + r.height / 2]; }})()",
            sel = serde_json::to_string(selector).unwrap()
        ));
        let (x, y) = match at.as_array() {
            Some(v) => (v[0].as_f64().unwrap(), v[1].as_f64().unwrap()),
            None => panic!("nothing matches {selector}"),
        };
        for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
            );
        }
    }

    /// A key press (`Tab`, `Enter`, `Escape`) to whatever has the focus.
    pub(crate) fn key(&mut self, key: &str) {
        let (code, text) = match key {
            "Tab" => (9, ""),
            "Enter" => (13, "\r"),
            "Escape" => (27, ""),
            other => panic!("no key code for {other}"),
        };
        let mut down = json!({"type": "keyDown", "key": key, "code": key,
            "windowsVirtualKeyCode": code, "nativeVirtualKeyCode": code});
        if !text.is_empty() {
            down["text"] = json!(text);
        }
        self.call("Input.dispatchKeyEvent", down);
        self.call(
            "Input.dispatchKeyEvent",
            json!({"type": "keyUp", "key": key, "code": key, "windowsVirtualKeyCode": code,
                "nativeVirtualKeyCode": code}),
        );
    }

    /// Types `text` into the focused element.
    pub(crate) fn type_text(&mut self, text: &str) {
        self.call("Input.insertText", json!({"text": text}));
    }

    /// A PNG screenshot of the viewport.
    pub(crate) fn screenshot(&mut self) -> Vec<u8> {
        let r = self.call("Page.captureScreenshot", json!({"format": "png"}));
        decode_base64(r["data"].as_str().unwrap())
    }

    /// Console errors and warnings, uncaught exceptions and Log errors since event `from`.
    pub(crate) fn problems(&self, from: usize) -> Vec<String> {
        let mut out = Vec::new();
        for (m, p) in &self.events[from..] {
            match m.as_str() {
                "Runtime.exceptionThrown" => out.push(format!("exception: {p}")),
                "Runtime.consoleAPICalled"
                    if matches!(p["type"].as_str(), Some("error" | "warning" | "assert")) =>
                {
                    out.push(format!("console.{}: {}", p["type"], p["args"]))
                }
                "Log.entryAdded"
                    if matches!(p["entry"]["level"].as_str(), Some("error" | "warning")) =>
                {
                    out.push(format!("log {}: {}", p["entry"]["level"], p["entry"]["text"]))
                }
                _ => {}
            }
        }
        out
    }

    /// Every URL the page asked the network stack for since event `from`.
    pub(crate) fn requests(&self, from: usize) -> Vec<String> {
        self.events[from..]
            .iter()
            .filter(|(m, _)| m == "Network.requestWillBeSent")
            .map(|(_, p)| p["request"]["url"].as_str().unwrap_or("").to_string())
            .collect()
    }
}

pub(crate) fn decode_base64(s: &str) -> Vec<u8> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("bad base64 byte {c}"),
        }
    };
    let bytes: Vec<u8> = s.bytes().filter(|&c| c != b'=' && !c.is_ascii_whitespace()).collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (k, &c) in chunk.iter().enumerate() {
            n |= val(c) << (18 - 6 * k);
        }
        let take = chunk.len() - 1;
        for k in 0..take {
            out.push((n >> (16 - 8 * k)) as u8);
        }
    }
    out
}

/// Decodes an 8-bit RGB or RGBA PNG (what Chromium's screenshots are) to RGBA pixels.
pub(crate) fn png_pixels(png: &[u8]) -> (usize, usize, Vec<[u8; 4]>) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let (mut w, mut h, mut channels) = (0usize, 0usize, 0usize);
    let mut idat = Vec::new();
    let mut at = 8;
    while at + 8 <= png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        let kind = &png[at + 4..at + 8];
        let data = &png[at + 8..at + 8 + len];
        match kind {
            b"IHDR" => {
                w = u32::from_be_bytes(data[0..4].try_into().unwrap()) as usize;
                h = u32::from_be_bytes(data[4..8].try_into().unwrap()) as usize;
                assert_eq!(data[8], 8, "bit depth");
                assert_eq!(data[12], 0, "interlaced PNG");
                channels = match data[9] {
                    2 => 3,
                    6 => 4,
                    t => panic!("PNG color type {t}"),
                };
            }
            b"IDAT" => idat.extend_from_slice(data),
            b"IEND" => break,
            _ => {}
        }
        at += 12 + len;
    }
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&idat[..]).read_to_end(&mut raw).unwrap();
    let stride = w * channels;
    assert_eq!(raw.len(), h * (stride + 1), "PNG data size");
    let mut img = vec![0u8; h * stride];
    for y in 0..h {
        let filter = raw[y * (stride + 1)];
        let line = &raw[y * (stride + 1) + 1..(y + 1) * (stride + 1)];
        for x in 0..stride {
            let a = if x >= channels { img[y * stride + x - channels] } else { 0 };
            let b = if y > 0 { img[(y - 1) * stride + x] } else { 0 };
            let c = if x >= channels && y > 0 { img[(y - 1) * stride + x - channels] } else { 0 };
            let v = match filter {
                0 => line[x],
                1 => line[x].wrapping_add(a),
                2 => line[x].wrapping_add(b),
                3 => line[x].wrapping_add(((u16::from(a) + u16::from(b)) / 2) as u8),
                4 => {
                    let p = i16::from(a) + i16::from(b) - i16::from(c);
                    let (pa, pb, pc) = (
                        (p - i16::from(a)).abs(),
                        (p - i16::from(b)).abs(),
                        (p - i16::from(c)).abs(),
                    );
                    let pred = if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    };
                    line[x].wrapping_add(pred)
                }
                f => panic!("PNG filter {f}"),
            };
            img[y * stride + x] = v;
        }
    }
    let px = img
        .chunks(channels)
        .map(|p| if channels == 4 { [p[0], p[1], p[2], p[3]] } else { [p[0], p[1], p[2], 255] })
        .collect();
    (w, h, px)
}
