//! `heapsnap report` in a real headless Firefox, driven over WebDriver BiDi (the W3C protocol
//! Firefox speaks; its JSON messages fit heapsnap's own inspector client): the page loads with
//! no console error and no request but its own file, the leak's class and holder text are in
//! the DOM, a mouse click opens a finding, the treemap's cells add up, Enter and Escape zoom
//! the treemap from the keyboard, and a screenshot is not blank.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use heapsnap_capture::Session;
use serde_json::{Value, json};

use crate::browser::{decode_base64, png_pixels};
use crate::util::heapsnap_ok;

/// The Firefox binary: `$HEAPSNAP_FIREFOX`, else `firefox-esr` or `firefox` on PATH.
fn firefox() -> Option<String> {
    let runs = |b: &str| {
        Command::new(b)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    match std::env::var("HEAPSNAP_FIREFOX") {
        Ok(b) => runs(&b).then_some(b),
        Err(_) => ["firefox-esr", "firefox"].into_iter().find(|b| runs(b)).map(String::from),
    }
}

/// Like `browser::require_browser`, for Firefox: a missing Firefox FAILS the test unless
/// `HEAPSNAP_SKIP_BROWSER_TESTS=1`.
fn require_firefox(test: &str) -> Option<String> {
    if let Some(b) = firefox() {
        return Some(b);
    }
    if std::env::var_os("HEAPSNAP_SKIP_BROWSER_TESTS").is_some_and(|v| v == "1") {
        eprintln!("*** HEAPSNAP_SKIP_BROWSER_TESTS=1: {test} passes WITHOUT RUNNING ***");
        return None;
    }
    panic!(
        "{test} opens the report in headless Firefox, and neither firefox-esr nor firefox was \
         found. Install it (Debian: `apt-get install -y firefox-esr`; or point HEAPSNAP_FIREFOX \
         at a Firefox binary), or set HEAPSNAP_SKIP_BROWSER_TESTS=1 to skip the browser tests"
    );
}

/// A headless Firefox with a throw-away profile, stopped when dropped.
struct Firefox {
    child: Child,
    profile: tempfile::TempDir,
    session: Session,
    context: String,
    /// (method, params) of every event so far.
    events: Vec<(String, Value)>,
}

impl Firefox {
    fn start(bin: &str) -> Firefox {
        let profile = tempfile::tempdir().unwrap();
        // Nothing of Firefox's own traffic (updates, telemetry, remote settings) is needed.
        std::fs::write(
            profile.path().join("user.js"),
            [
                "app.update.disabledForTesting",
                "browser.shell.checkDefaultBrowser",
                "datareporting.policy.dataSubmissionEnabled",
                "toolkit.telemetry.enabled",
                "browser.safebrowsing.malware.enabled",
                "browser.safebrowsing.phishing.enabled",
            ]
            .iter()
            .map(|p| {
                let v = *p == "app.update.disabledForTesting";
                format!("user_pref(\"{p}\", {v});\n")
            })
            .collect::<String>(),
        )
        .unwrap();
        let log = std::fs::File::create(profile.path().join("stderr.log")).unwrap();
        let child = Command::new(bin)
            .args([
                "--headless",
                "--no-remote",
                "--remote-debugging-port=0",
                "--window-size=1280,900",
            ])
            .arg("--profile")
            .arg(profile.path())
            .arg("about:blank")
            .env("MOZ_CRASHREPORTER_DISABLE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        // Firefox writes the port it chose to WebDriverBiDiServer.json in the profile.
        let file = profile.path().join("WebDriverBiDiServer.json");
        let until = Instant::now() + Duration::from_secs(90);
        let mut child = child;
        let port = loop {
            if let Ok(text) = std::fs::read_to_string(&file)
                && let Ok(v) = serde_json::from_str::<Value>(&text)
                && let Some(p) = v["ws_port"].as_u64()
            {
                break p;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("firefox exited ({status})");
            }
            assert!(Instant::now() < until, "firefox wrote no WebDriverBiDiServer.json");
            std::thread::sleep(Duration::from_millis(100));
        };
        let mut session = Session::connect_url(&format!("ws://127.0.0.1:{port}/session"))
            .unwrap_or_else(|e| panic!("WebDriver BiDi on port {port}: {e}"));
        session.set_timeout(Duration::from_secs(60));
        let mut f = Firefox { child, profile, session, context: String::new(), events: Vec::new() };
        f.call("session.new", json!({"capabilities": {}}));
        f.call(
            "session.subscribe",
            json!({"events": ["log.entryAdded", "network.beforeRequestSent",
                "browsingContext.load"]}),
        );
        let tree = f.call("browsingContext.getTree", json!({}));
        f.context = tree["contexts"][0]["context"].as_str().unwrap().to_string();
        f
    }

    fn stderr(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(self.profile.path().join("stderr.log")) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    fn call(&mut self, method: &str, params: Value) -> Value {
        let events = &mut self.events;
        match self
            .session
            .call_with_events(method, params, &mut |m, p| events.push((m.to_string(), p.clone())))
        {
            Ok(v) => v,
            Err(e) => panic!("{method}: {e}\nfirefox stderr:\n{}", self.stderr()),
        }
    }

    /// Navigates to `path` and waits for its load event.
    fn open(&mut self, path: &Path) -> String {
        let url = format!("file://{}", path.canonicalize().unwrap().display());
        let context = self.context.clone();
        self.call(
            "browsingContext.navigate",
            json!({"context": context, "url": url, "wait": "complete"}),
        );
        url
    }

    /// Lets events under way arrive.
    fn settle(&mut self, d: Duration) {
        let events = &mut self.events;
        self.session
            .wait_event(d, &mut |m, p| {
                events.push((m.to_string(), p.clone()));
                false
            })
            .unwrap();
    }

    /// Evaluates `expr` (its value must be JSON-serializable) in the page; an exception fails
    /// the test.
    fn eval(&mut self, expr: &str) -> Value {
        let context = self.context.clone();
        let r = self.call(
            "script.evaluate",
            json!({"expression": format!("JSON.stringify(({expr}))"),
                "target": {"context": context}, "awaitPromise": true}),
        );
        if r["type"] != "success" {
            panic!("{expr} threw: {r}");
        }
        match r["result"]["value"].as_str() {
            Some(s) => serde_json::from_str(s).unwrap(),
            None => Value::Null,
        }
    }

    /// A real mouse click at the centre of the first element matching `selector`.
    fn click(&mut self, selector: &str) {
        let at = self.eval(&format!(
            "(() => {{ const e = document.querySelector({sel}); if (!e) return null; \
             e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect(); \
             return [Math.round(r.left + Math.min(r.width / 2, 20)), Math.round(r.top + r.height / 2)]; }})()",
            sel = serde_json::to_string(selector).unwrap()
        ));
        let Some(xy) = at.as_array() else { panic!("nothing matches {selector}") };
        let context = self.context.clone();
        self.call(
            "input.performActions",
            json!({"context": context, "actions": [{"type": "pointer", "id": "mouse",
                "parameters": {"pointerType": "mouse"}, "actions": [
                    {"type": "pointerMove", "x": xy[0], "y": xy[1]},
                    {"type": "pointerDown", "button": 0},
                    {"type": "pointerUp", "button": 0}]}]}),
        );
    }

    /// A key press (WebDriver key codes: Enter, Escape) to whatever has the focus.
    fn key(&mut self, key: &str) {
        let value = match key {
            "Enter" => "\u{E007}",
            "Escape" => "\u{E00C}",
            other => panic!("no key code for {other}"),
        };
        let context = self.context.clone();
        self.call(
            "input.performActions",
            json!({"context": context, "actions": [{"type": "key", "id": "keyboard", "actions": [
                {"type": "keyDown", "value": value}, {"type": "keyUp", "value": value}]}]}),
        );
    }

    /// Console errors and warnings and uncaught exceptions of our page since event `from`.
    fn problems(&self, from: usize) -> Vec<String> {
        self.events[from..]
            .iter()
            .filter(|(m, p)| {
                m == "log.entryAdded"
                    && p["source"]["context"].as_str() == Some(&self.context)
                    && matches!(p["level"].as_str(), Some("error" | "warn"))
            })
            .map(|(_, p)| format!("{}: {} {}", p["level"], p["text"], p["stackTrace"]))
            .collect()
    }

    /// Every URL our page asked for since event `from`.
    fn requests(&self, from: usize) -> Vec<String> {
        self.events[from..]
            .iter()
            .filter(|(m, p)| {
                m == "network.beforeRequestSent" && p["context"].as_str() == Some(&self.context)
            })
            .map(|(_, p)| p["request"]["url"].as_str().unwrap_or("").to_string())
            .collect()
    }

    fn screenshot(&mut self) -> Vec<u8> {
        let context = self.context.clone();
        let r = self.call("browsingContext.captureScreenshot", json!({"context": context}));
        decode_base64(r["data"].as_str().unwrap())
    }
}

impl Drop for Firefox {
    fn drop(&mut self) {
        let _ = self.session.call("browser.close", json!({}));
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

/// The visible treemap frame: its cell, total, and its cells' sizes.
fn frame(ff: &mut Firefox) -> Value {
    ff.eval(
        "(() => { const f = document.querySelector('.tm-frame:not([hidden])'); \
         return {cell: f.dataset.cell, total: Number(f.dataset.size), visible: f.checkVisibility(), \
           sizes: [...f.querySelectorAll(':scope > svg > g.tm-cell')].map(c => Number(c.dataset.size))}; })()",
    )
}

#[test]
fn report_in_firefox() {
    let Some(bin) = require_firefox("report_in_firefox") else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut ff = Firefox::start(&bin);
    for (scenario, class, holder) in [
        ("listeners", "onConfigChanged()", "global.configBus._events.config-changed["),
        ("detached-dom", "Detached <section>", "Window(file://).widgetCache["),
    ] {
        let files: Vec<String> = ["baseline", "target", "final"]
            .iter()
            .map(|p| format!("snapshots/leaks/{scenario}-{p}.heapsnapshot.gz"))
            .collect();
        let out = dir.path().join(format!("{scenario}.html"));
        let mut args = vec!["report"];
        args.extend(files.iter().map(String::as_str));
        args.extend(["-o", out.to_str().unwrap()]);
        heapsnap_ok(&args);
        let html = std::fs::read_to_string(&out).unwrap();
        assert!(html.contains(holder), "{scenario}: the holder text is not in the page");

        let seen = ff.events.len();
        let url = ff.open(&out);
        ff.settle(Duration::from_millis(500));
        let problems = ff.problems(seen);
        assert!(problems.is_empty(), "{scenario}: {problems:#?}");
        let requests = ff.requests(seen);
        // `data:` URLs are inline (the report's empty favicon, Firefox's own fonts): no network.
        let network: Vec<&String> =
            requests.iter().filter(|r| **r != url && !r.starts_with("data:")).collect();
        assert!(network.is_empty(), "{scenario}: the page made requests: {network:?}");

        // The first finding: class and holder text; a mouse click opens it.
        let dom = ff.eval(
            "(() => { const d = document.querySelector('#finding-1'); return {cls: \
             d.querySelector('.f-class').textContent, open: d.open, path: \
             d.querySelector('code.path-text').textContent, tree: \
             d.querySelector('ol.path-tree').checkVisibility()}; })()",
        );
        assert_eq!(dom["cls"], class, "{scenario}");
        assert!(dom["path"].as_str().unwrap().contains(holder), "{scenario}: {dom}");
        assert_eq!((&dom["open"], &dom["tree"]), (&json!(false), &json!(false)), "{scenario}");
        ff.click("#finding-1 > summary");
        let opened = ff.eval(
            "[document.querySelector('#finding-1').open, \
             document.querySelector('#finding-1 ol.path-tree').checkVisibility(), \
             document.querySelectorAll('#finding-1 ol.path-tree li.step').length]",
        );
        assert_eq!(opened[0], true, "{scenario}: the click did not open the finding");
        assert_eq!(opened[1], true, "{scenario}: the path is not shown");
        assert!(opened[2].as_u64().unwrap() >= 2, "{scenario}: {opened}");

        // The treemap: cells add up to the total; Enter zooms in, Escape zooms out.
        let top = frame(&mut ff);
        assert_eq!(top["cell"], "0", "{scenario}");
        assert_eq!(top["visible"], true, "{scenario}");
        let sizes = top["sizes"].as_array().unwrap();
        assert!(!sizes.is_empty(), "{scenario}: no cells");
        let sum: u64 = sizes.iter().map(|s| s.as_u64().unwrap()).sum();
        assert_eq!(sum, top["total"].as_u64().unwrap(), "{scenario}: cells add up");
        let zoom = ff.eval(
            "(() => { const a = document.querySelector('.tm-frame:not([hidden]) a[data-zoom]'); \
             a.focus(); return a.dataset.zoom; })()",
        );
        ff.key("Enter");
        assert_eq!(frame(&mut ff)["cell"], zoom, "{scenario}: Enter did not zoom in");
        ff.key("Escape");
        assert_eq!(frame(&mut ff)["cell"], "0", "{scenario}: Escape did not zoom out");

        // The top of the page, on screen, is not blank.
        ff.eval("window.scrollTo(0, 0)");
        let (w, h, px) = png_pixels(&ff.screenshot());
        assert!(w >= 800 && h >= 600, "{scenario}: {w}x{h}");
        let differ = px.iter().filter(|p| **p != px[0]).count();
        let mut colors: Vec<[u8; 4]> = px.iter().step_by(7).copied().collect();
        colors.sort_unstable();
        colors.dedup();
        assert!(differ * 20 > px.len(), "{scenario}: {differ} of {} pixels drawn", px.len());
        assert!(colors.len() > 50, "{scenario}: {} colors", colors.len());
        let problems = ff.problems(seen);
        assert!(problems.is_empty(), "{scenario}: {problems:#?}");
    }
}
