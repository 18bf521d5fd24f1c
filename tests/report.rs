//! `heapsnap report`: the HTML file, its embedded data (the same documents `leaks`, `summary`
//! and `diff` print, golden files for two fixtures), exit codes, refusals and redaction; and
//! the page itself in a real headless Chromium (through heapsnap's own CDP client) for the
//! shipped leak fixtures with 1, 2 and 3 snapshots and the Chromium detached-DOM fixture: no
//! console error, no network request, the leak's class and holder in the DOM, findings that
//! open with a click, treemap cells that add up, zoom, sorting, filtering, keyboard, dark
//! mode, and a screenshot that is not blank.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::browser::{Browser, Page, png_pixels, require_browser};
use crate::util::{heapsnap, heapsnap_ok, require_node, root};

fn files(scenario: &str, phases: &[&str]) -> Vec<String> {
    phases.iter().map(|p| format!("snapshots/leaks/{scenario}-{p}.heapsnapshot.gz")).collect()
}

/// Runs `heapsnap ARGS` like `util::heapsnap`, but kills it and fails after two minutes (a
/// hang must fail the test, not stall CI).
fn heapsnap_timed(args: &[&str]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_heapsnap"))
        .args(args)
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut v).unwrap();
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut v).unwrap();
        v
    });
    let until = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > until {
            let _ = child.kill();
            let _ = child.wait();
            panic!("heapsnap {args:?} did not finish in 2 minutes");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    std::process::Output {
        status,
        stdout: reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

/// Runs `heapsnap report FILES ARGS -o DIR/NAME.html`, asserting exit code `code`.
fn report(dir: &Path, name: &str, files: &[String], args: &[&str], code: i32) -> PathBuf {
    let out = dir.join(format!("{name}.html"));
    let mut all: Vec<&str> = vec!["report"];
    all.extend(files.iter().map(String::as_str));
    all.extend(args);
    let o = out.to_str().unwrap().to_string();
    all.extend(["-o", &o]);
    let r = heapsnap_timed(&all);
    assert_eq!(
        r.status.code(),
        Some(code),
        "heapsnap {all:?}: {}",
        String::from_utf8_lossy(&r.stderr)
    );
    out
}

/// The report's embedded data block.
fn embedded(html: &str) -> Value {
    let open = "<script type=\"application/json\" id=\"heapsnap-data\">";
    let start = html.find(open).expect("no data block") + open.len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

/// The embedded documents are the ones the CLI prints with `--json`: one source of truth.
#[test]
fn embedded_documents_are_the_clis() {
    let dir = tempfile::tempdir().unwrap();
    let f = files("listeners", &["baseline", "target", "final"]);
    let html = read(&report(dir.path(), "l", &f, &["--top", "12"], 0));
    let data = embedded(&html);
    assert_eq!(data["schema"], "heapsnap.report/1");
    let cli = |args: &[&str]| -> Value { serde_json::from_str(&heapsnap_ok(args)).unwrap() };
    assert_eq!(
        data["leaks"],
        cli(&["leaks", "--json", "--top", "12", &f[0], &f[1], &f[2]]),
        "leaks document"
    );
    assert_eq!(data["summary"], cli(&["summary", "--json", "--top", "12", &f[2]]), "summary");
    // DevTools' Comparison: no retained sizes, no holders (the findings show theirs).
    assert_eq!(
        data["diff"],
        cli(&["diff", "--json", "--top", "12", "--paths", "0", "--no-retained", &f[0], &f[2]]),
        "diff"
    );
    assert_eq!(data["info"], cli(&["info", "--json", &f[2]]), "info");
    // And the page shows their texts: the finding's title and path, the Summary's classes.
    let finding = &data["leaks"]["findings"][0];
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    assert!(html.contains(&esc(finding["title"].as_str().unwrap())));
    assert!(html.contains(&esc(finding["path"]["text"].as_str().unwrap())));
    for row in data["summary"]["classes"].as_array().unwrap() {
        assert!(html.contains(&format!(">{}</th>", esc(row["name"].as_str().unwrap()))), "{row}");
    }
    // The treemap: every cell with children adds up, the root is DevTools' total.
    let cells = data["treemap"]["cells"].as_array().unwrap();
    assert_eq!(cells[0]["size"], data["overview"]["total_size"]);
    assert_eq!(cells[0]["size"], data["summary"]["total_size"]);
    for c in cells {
        if let Some(kids) = c["children"].as_array() {
            let sum: u64 = kids
                .iter()
                .map(|k| cells[k.as_u64().unwrap() as usize]["size"].as_u64().unwrap())
                .sum();
            assert_eq!(sum, c["size"].as_u64().unwrap(), "{c}");
        }
    }
    assert!(cells.len() > 100 && cells.len() <= 2000, "{} cells", cells.len());
}

/// Separate captures (ids not comparable): the warning says what growth is measured by, as
/// `heapsnap leaks` does (objects matched by structure), and the leak is still first.
#[test]
fn separate_captures_say_how_growth_is_measured() {
    let dir = tempfile::tempdir().unwrap();
    let f: Vec<String> =
        (1..=3).map(|k| format!("snapshots/separate/sessions-{k}.heapsnapshot.gz")).collect();
    let html = read(&report(dir.path(), "sep", &f, &[], 0));
    let data = embedded(&html);
    assert_eq!(data["leaks"]["growth_basis"], "structure");
    assert!(html.contains("object ids are not comparable"), "no warning");
    assert!(html.contains("growth below matches objects by structure"), "wrong basis");
    assert!(!html.contains("by class counts"));
}

fn golden_check(name: &str, got: &Value) {
    let path = root().join("tests/golden").join(name);
    let text = serde_json::to_string_pretty(got).unwrap() + "\n";
    if std::env::var_os("HEAPSNAP_UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::write(&path, &text).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        text == want,
        "{name} differs from the golden file (HEAPSNAP_UPDATE_GOLDEN=1 rewrites it after a \
         deliberate change); got:\n{text}"
    );
}

/// The embedded data is deterministic (the same bytes twice, sorted, no absolute paths of
/// ours, no times) and matches golden files.
#[test]
fn embedded_data_golden() {
    let dir = tempfile::tempdir().unwrap();
    let f3 = files("listeners", &["baseline", "target", "final"]);
    let args = ["--top", "8", "--cells", "40"];
    let a = read(&report(dir.path(), "a", &f3, &args, 0));
    let b = read(&report(dir.path(), "b", &f3, &args, 0));
    assert_eq!(a, b, "two runs differ");
    assert!(!a.contains(dir.path().to_str().unwrap()), "the output path is in the page");
    assert!(!a.contains(root().to_str().unwrap()), "the checkout's path is in the page");
    let data = embedded(&a);
    assert_eq!(data["treemap"]["cells"].as_array().unwrap().len(), 40);
    golden_check("report-listeners.json", &data);
    let f1 = files("intervals", &["final"]);
    let one = embedded(&read(&report(dir.path(), "c", &f1, &args, 0)));
    assert!(one["diff"].is_null());
    golden_check("report-intervals-final.json", &one);
}

#[test]
fn exit_codes_refusals_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let f = files("cycles", &["baseline", "target"]);
    // --fail-on-leak: exit 1, the report written anyway, FAIL on stderr.
    let out = dir.path().join("gate.html");
    let r = heapsnap(&["report", &f[0], &f[1], "--fail-on-leak", "-o", out.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(1));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("heapsnap: FAIL: 1 leak finding (the first: cycles CycleNode"), "{err}");
    let data = embedded(&read(&out));
    assert_eq!(data["leaks"]["gate"]["failed"], true);
    assert!(read(&out).contains("class=\"fail\" role=\"alert\">FAIL: 1 leak finding"));
    // No finding: exit 0 with the gate.
    let c = files("control", &["baseline", "target", "final"]);
    report(dir.path(), "control", &c, &["--fail-on-leak"], 0);
    // Never over an input (by inode, through another name too).
    let link = dir.path().join("alias.gz");
    std::os::unix::fs::symlink(root().join(&f[1]), &link).unwrap();
    let r = heapsnap(&["report", &f[0], &f[1], "-o", link.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("refusing to write"), "{r:?}");
    // The same snapshot twice.
    let r = heapsnap(&["report", &f[1], &f[1], "-o", dir.path().join("x.html").to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("are the same file"));
    // A bad watch series: the error names the file and line; no report, no temporary file.
    let bad = dir.path().join("series.jsonl");
    std::fs::write(&bad, "{\"sample\":0,\"t_ms\":0,\"used_size\":1,\"total_size\":2}\nnot json\n")
        .unwrap();
    let target = dir.path().join("w.html");
    let r = heapsnap(&[
        "report",
        &f[1],
        "--watch",
        bad.to_str().unwrap(),
        "-o",
        target.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(2));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("series.jsonl") && err.contains("line 2"), "{err}");
    // A bad snapshot: the error names it; nothing is left behind.
    let broken = dir.path().join("broken.heapsnapshot");
    std::fs::write(&broken, "{\"snapshot\":{\"meta\":").unwrap();
    let r = heapsnap(&["report", broken.to_str().unwrap(), "-o", target.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("broken.heapsnapshot"));
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".w.html") || n == "w.html")
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // `-o -`: the page on stdout, nothing else.
    let page = heapsnap_ok(&["report", &f[1], "-o", "-", "--cells", "10"]);
    assert!(page.starts_with("<!DOCTYPE html>") && page.trim_end().ends_with("</html>"));
    assert_eq!(embedded(&page)["title"], "heapsnap report: cycles-target.heapsnapshot.gz");
}

/// With `--redact` no secret of the heap survives in the report.
#[test]
fn redacted_report_holds_no_secret() {
    const MARKERS: [&str; 6] =
        ["SECRETVAL", "SECRETKEY", "SECRETDICT", "SECRETCONS", "SECRETPROP", "SECRETPEM"];
    let dir = tempfile::tempdir().unwrap();
    let f = vec![
        "snapshots/secrets/secrets-baseline.heapsnapshot.gz".to_string(),
        "snapshots/secrets/secrets-target.heapsnapshot.gz".to_string(),
    ];
    // Without --redact the report does show one (else this test proves nothing): the private
    // key, a string among the largest objects, which the treemap names by its value.
    let plain = read(&report(dir.path(), "plain", &f, &["--cells", "4000", "--top", "5000"], 0));
    let shown: Vec<&str> = MARKERS.iter().copied().filter(|m| plain.contains(m)).collect();
    assert!(shown.contains(&"SECRETPEM"), "the unredacted report shows only {shown:?}");
    for mode in ["--redact", "--redact=strict"] {
        let html =
            read(&report(dir.path(), "red", &f, &[mode, "--cells", "4000", "--top", "5000"], 0));
        let left: Vec<&str> = MARKERS.iter().copied().filter(|m| html.contains(m)).collect();
        assert!(left.is_empty(), "{mode}: {left:?} survived");
    }
}

/// What a fixture's report must show.
struct Expect {
    name: &'static str,
    files: Vec<String>,
    category: &'static str,
    class: &'static str,
    /// Part of the first holder's path text.
    holder: &'static str,
}

fn fixtures() -> Vec<Expect> {
    vec![
        Expect {
            name: "intervals-1",
            files: files("intervals", &["final"]),
            category: "timers",
            class: "Timeout",
            holder: "->timerListMap[60000](._idleNext)×",
        },
        Expect {
            name: "cycles-2",
            files: files("cycles", &["baseline", "target"]),
            category: "cycles",
            class: "CycleNode",
            holder: "global.cycleRegistry[",
        },
        Expect {
            name: "listeners-3",
            files: files("listeners", &["baseline", "target", "final"]),
            category: "listeners",
            class: "onConfigChanged()",
            holder: "global.configBus._events.config-changed[",
        },
        Expect {
            name: "detached-dom-3",
            files: files("detached-dom", &["baseline", "target", "final"]),
            category: "detached-dom",
            class: "Detached <section>",
            holder: "Window(file://).widgetCache[",
        },
    ]
}

/// Loads `path` and checks that nothing went wrong: no console error or warning, no
/// exception, no request but the file itself.
fn open_clean(page: &mut Page, path: &Path) {
    let seen = page.events.len();
    let url = page.open(path);
    page.settle(Duration::from_millis(300));
    let problems = page.problems(seen);
    assert!(problems.is_empty(), "{}: {problems:#?}", path.display());
    assert_eq!(page.requests(seen), vec![url], "{}: the page made requests", path.display());
}

#[track_caller]
fn check_screenshot(png: &[u8], what: &str) {
    let (w, h, px) = png_pixels(png);
    assert!(w >= 800 && h >= 600, "{what}: {w}x{h}");
    let bg = px[0];
    let differ = px.iter().filter(|p| **p != bg).count();
    let mut colors: Vec<[u8; 4]> = px.iter().step_by(7).copied().collect();
    colors.sort_unstable();
    colors.dedup();
    assert!(
        differ * 20 > px.len(),
        "{what}: only {differ} of {} pixels differ from the background",
        px.len()
    );
    assert!(colors.len() > 50, "{what}: {} colors", colors.len());
}

fn js_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// Whether the first element matching `sel` is rendered (not hidden by `hidden`, a closed
/// `<details>` or `display: none`).
fn visible(page: &mut Page, sel: &str) -> bool {
    let v = page.eval(&format!(
        "(() => {{ const e = document.querySelector({}); return e ? e.checkVisibility() : null; }})()",
        js_str(sel)
    ));
    v.as_bool().unwrap_or_else(|| panic!("nothing matches {sel}"))
}

/// The treemap frame on show: its cell, size, the sizes and areas of its cells.
fn treemap_frame(page: &mut Page) -> Value {
    page.eval(
        "(() => { const f = document.querySelector('.tm-frame:not([hidden])'); \
         const cells = [...f.querySelectorAll(':scope > svg > g.tm-cell')]; \
         const vb = f.querySelector('svg').viewBox.baseVal; \
         const total = Number(f.dataset.size); \
         const out = cells.map(c => { const b = c.querySelector('rect').getBBox(); \
           return {size: Number(c.dataset.size), area: b.width * b.height, \
             want: Number(c.dataset.size) / total * vb.width * vb.height}; }); \
         const subs = [...f.querySelectorAll('g.tm-cell')].map(g => { \
           const r = [...g.querySelectorAll('rect.tm-sub')]; \
           return r.length ? {size: Number(g.dataset.size), sum: r.reduce((a, x) => a + Number(x.dataset.size), 0)} : null; \
         }).filter(x => x); \
         return {cell: f.dataset.cell, total, full: vb.width * vb.height, cells: out, subs, \
           labels: [...f.querySelectorAll('text')].map(t => t.textContent), \
           crumbs: document.querySelector('#treemap .tm-crumbs').textContent, \
           visible: f.checkVisibility()}; })()",
    )
}

#[track_caller]
fn check_frame(frame: &Value, what: &str) {
    let total = frame["total"].as_u64().unwrap();
    let cells = frame["cells"].as_array().unwrap();
    assert!(!cells.is_empty() && frame["visible"] == true, "{what}: {frame}");
    let sum: u64 = cells.iter().map(|c| c["size"].as_u64().unwrap()).sum();
    assert_eq!(sum, total, "{what}: cell sizes add up to the frame's");
    let full = frame["full"].as_f64().unwrap();
    let area: f64 = cells.iter().map(|c| c["area"].as_f64().unwrap()).sum();
    assert!((area - full).abs() <= full * 0.002, "{what}: cells cover {area} of {full}");
    for c in cells {
        let (got, want) = (c["area"].as_f64().unwrap(), c["want"].as_f64().unwrap());
        // Coordinates are written to 0.1: a cell is off by at most that much on each side.
        assert!((got - want).abs() <= 0.5 + want * 0.01, "{what}: area {got}, size says {want}");
    }
    for s in frame["subs"].as_array().unwrap() {
        assert_eq!(s["sum"], s["size"], "{what}: nested cells add up: {s}");
    }
}

#[test]
fn report_in_chromium() {
    if !require_browser("report_in_chromium") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let browser = Browser::start();
    let mut page = browser.page();
    for e in fixtures() {
        let what = e.name;
        let path = report(dir.path(), e.name, &e.files, &[], 0);
        let data = embedded(&read(&path));
        // The JSON's first finding is the expected leak (the DOM is checked against it).
        let f = &data["leaks"]["findings"][0];
        assert_eq!(
            (f["category"].as_str(), f["class"].as_str()),
            (Some(e.category), Some(e.class))
        );
        let text = f["path"]["text"].as_str().unwrap();
        assert!(text.contains(e.holder), "{what}: {text}");
        open_clean(&mut page, &path);

        // The finding: its category, class, title and holder text in the DOM.
        let dom = page.eval(
            "(() => { const d = document.querySelector('#finding-1'); return {cat: d.dataset.category, \
             cls: d.querySelector('.f-class').textContent, title: d.querySelector('.f-title').textContent, \
             open: d.open, path: d.querySelector('code.path-text').textContent}; })()",
        );
        assert_eq!(dom["cat"], e.category, "{what}");
        assert_eq!(dom["cls"], e.class, "{what}");
        assert_eq!(dom["title"], f["title"], "{what}");
        assert_eq!(dom["path"], text, "{what}");
        assert_eq!(dom["open"], false, "{what}");
        // Clicking it opens it: the path, holder by holder.
        assert!(!visible(&mut page, "#finding-1 ol.path-tree"), "{what}: path shown closed");
        page.click("#finding-1 > summary");
        assert_eq!(page.eval("document.querySelector('#finding-1').open"), true, "{what}");
        assert!(visible(&mut page, "#finding-1 ol.path-tree"), "{what}: path not shown");
        let steps = page.eval(
            "[...document.querySelectorAll('#finding-1 details.holder ol.path-tree li.step')].map(li => li.textContent)",
        );
        let json_steps = f["path"]["steps"].as_array().unwrap();
        let shown = steps.as_array().unwrap();
        assert_eq!(shown.len(), json_steps.len(), "{what}: every step is in the tree");
        for (li, st) in shown.iter().zip(json_steps) {
            let li = li.as_str().unwrap();
            assert!(li.contains(st["node"]["class"].as_str().unwrap()), "{what}: {li} / {st}");
            if let Some(edge) = st["edge"].as_str() {
                assert!(li.starts_with(edge), "{what}: {li} / {edge}");
            }
        }
        // A repeated run is folded and opens with a click (intervals: the timer list).
        if text.contains('×') {
            let run = "#finding-1 li.run > details > summary";
            assert!(visible(&mut page, run), "{what}: no folded run");
            assert!(!visible(&mut page, "#finding-1 li.run ol li.step"), "{what}");
            page.click(run);
            assert!(visible(&mut page, "#finding-1 li.run ol li.step"), "{what}: run did not open");
        }
        // The legend explains the notation.
        assert!(visible(&mut page, "aside.legend"), "{what}");

        // The treemap: the root frame's cells add up to DevTools' total.
        let frame = treemap_frame(&mut page);
        assert_eq!(frame["cell"], "0", "{what}");
        assert_eq!(frame["total"], data["treemap"]["total"], "{what}");
        assert_eq!(frame["total"], data["overview"]["total_size"], "{what}");
        check_frame(&frame, what);
        // Zoom into the largest cell that has children: a mouse click.
        let zoom = page
            .eval("document.querySelector('.tm-frame:not([hidden]) a[data-zoom]').dataset.zoom")
            .as_str()
            .unwrap()
            .to_string();
        page.click(&format!(".tm-frame:not([hidden]) a[data-zoom=\"{zoom}\"] > rect"));
        let inner = treemap_frame(&mut page);
        assert_eq!(inner["cell"], zoom.as_str(), "{what}");
        check_frame(&inner, what);
        let crumbs = inner["crumbs"].as_str().unwrap();
        assert!(crumbs.starts_with("(root)"), "{what}: crumbs {crumbs}");
        // Cells say how they are held: some label shows an edge (`.x`, `[3]`, `->x`, `{x}`).
        let labels = inner["labels"].as_array().unwrap();
        assert!(
            labels.iter().filter_map(Value::as_str).any(|l| l.contains(" .")
                || l.contains('[')
                || l.contains("->")
                || l.contains('{')),
            "{what}: no edge in {labels:?}"
        );
        // Escape goes back up (the focus is on the new frame's first cell).
        page.key("Escape");
        assert_eq!(treemap_frame(&mut page)["cell"], "0", "{what}: Escape did not zoom out");
        // Keyboard: Enter on a focused cell zooms in.
        page.eval("document.querySelector('.tm-frame:not([hidden]) a[data-zoom]').focus()");
        page.key("Enter");
        assert_eq!(treemap_frame(&mut page)["cell"], zoom.as_str(), "{what}: Enter did not zoom");
        page.click("#treemap .tm-crumbs button[data-zoom=\"0\"]");
        assert_eq!(treemap_frame(&mut page)["cell"], "0", "{what}: the crumb did not zoom out");

        // A screenshot of the top of the page is not blank.
        page.eval("window.scrollTo(0, 0)");
        check_screenshot(&page.screenshot(), what);
        let problems = page.problems(0);
        assert!(problems.is_empty(), "{what}: {problems:#?}");
    }
}

/// Tables sort and filter, Enter opens a finding, the page is readable in dark mode, and the
/// page's byte formatting is the CLI's.
#[test]
fn report_tables_keyboard_dark_mode() {
    if !require_browser("report_tables_keyboard_dark_mode") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let f = files("listeners", &["baseline", "target", "final"]);
    let path = report(dir.path(), "t", &f, &[], 0);
    let browser = Browser::start();
    let mut page = browser.page();
    open_clean(&mut page, &path);

    // Summary: DevTools' column names, sorted by retained size; a click sorts ascending.
    let heads = page
        .eval("[...document.querySelectorAll('#summary-table thead th')].map(t => t.textContent)");
    assert_eq!(
        heads,
        serde_json::json!(["Constructor", "Distance", "Objects", "Shallow Size", "Retained Size"])
    );
    let col = |page: &mut Page, table: &str, k: usize| -> Vec<f64> {
        page.eval(&format!(
            "[...document.querySelectorAll('#{table} tbody tr:not([hidden])')].map(r => Number(r.cells[{k}].dataset.v))"
        ))
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
    };
    let retained = col(&mut page, "summary-table", 4);
    assert!(retained.len() > 100 && retained.windows(2).all(|w| w[0] >= w[1]));
    page.click("#summary-table thead th:nth-child(5) button");
    let up = col(&mut page, "summary-table", 4);
    assert!(up.windows(2).all(|w| w[0] <= w[1]), "not ascending");
    page.click("#summary-table thead th:nth-child(3) button");
    let counts = col(&mut page, "summary-table", 2);
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "not by count");
    // Filter: typing keeps the matching rows.
    page.eval("document.querySelector('input[data-filter=\"summary-table\"]').focus()");
    page.type_text("config");
    let names = page.eval(
        "[...document.querySelectorAll('#summary-table tbody tr:not([hidden]) th')].map(t => t.textContent)",
    );
    let names: Vec<&str> = names.as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(
        !names.is_empty() && names.iter().all(|n| n.to_lowercase().contains("config")),
        "{names:?}"
    );
    assert!(names.contains(&"ConfigSubscriber"), "{names:?}");
    let count = page.eval("document.querySelector('[data-count=\"summary-table\"]').textContent");
    assert!(count.as_str().unwrap().starts_with(&format!("{} of ", names.len())), "{count}");
    // Comparison: DevTools' columns, a growing class on top.
    let heads = page.eval(
        "[...document.querySelectorAll('#comparison-table thead th')].map(t => t.textContent)",
    );
    assert_eq!(
        heads,
        serde_json::json!([
            "Constructor",
            "# New",
            "# Deleted",
            "# Delta",
            "Alloc. Size",
            "Freed Size",
            "Size Delta"
        ])
    );
    let deltas = col(&mut page, "comparison-table", 6);
    assert!(deltas[0] > 0.0 && deltas.windows(2).all(|w| w[0] >= w[1]));

    // Keyboard: a finding's summary takes the focus and Enter opens it.
    page.eval("document.querySelector('#finding-1 > summary').focus()");
    page.key("Enter");
    assert_eq!(page.eval("document.querySelector('#finding-1').open"), true);
    assert_eq!(page.eval("document.activeElement.matches('#finding-1 > summary')"), true);
    // Tab from the title reaches the section links first (a click sets where Tab starts).
    page.click("h1");
    page.key("Tab");
    assert_eq!(page.eval("document.activeElement.getAttribute('href')"), "#overview");

    // Bytes in the page (JavaScript) as the CLI writes them, ties included.
    let values: Vec<u64> = vec![
        0,
        1,
        1023,
        1024,
        1280,
        1331,
        1536,
        10_240,
        1_048_576,
        1_310_720,
        5_452_595,
        123_456_789,
        1 << 40,
        3 << 41,
    ];
    let js = page.eval(&format!("{values:?}.map(window.heapsnapBytes)"));
    let rust: Vec<String> = values.iter().map(|&v| heapsnap_report::human_bytes(v)).collect();
    assert_eq!(js, serde_json::json!(rust));

    // Dark mode: a dark background, light text, and still a picture.
    let light = page.eval("getComputedStyle(document.body).color");
    page.call(
        "Emulation.setEmulatedMedia",
        serde_json::json!({"features": [{"name": "prefers-color-scheme", "value": "dark"}]}),
    );
    let rgb = |v: &Value| -> Vec<u32> {
        v.as_str()
            .unwrap()
            .trim_start_matches("rgb(")
            .trim_end_matches(')')
            .split(", ")
            .map(|x| x.parse().unwrap())
            .collect()
    };
    let bg = rgb(&page.eval("getComputedStyle(document.documentElement).backgroundColor"));
    let fg = rgb(&page.eval("getComputedStyle(document.body).color"));
    assert!(bg.iter().sum::<u32>() < 150 && fg.iter().sum::<u32>() > 500, "dark: {bg:?} on {fg:?}");
    assert_ne!(page.eval("getComputedStyle(document.body).color"), light);
    check_screenshot(&page.screenshot(), "dark mode");
    let problems = page.problems(0);
    assert!(problems.is_empty(), "{problems:#?}");
}

/// A `heapsnap watch --json` series of a real leaking node process, in the report: the chart
/// with every sample and the leak warning marked.
#[test]
fn report_with_a_live_watch_series() {
    if !require_node("report_with_a_live_watch_series")
        || !require_browser("report_with_a_live_watch_series")
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut node = Command::new("node")
        .args(["--inspect=127.0.0.1:0", "leaky.js"])
        .env_remove("NODE_OPTIONS")
        .current_dir(root().join("tests/fixtures/capture"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let stderr = node.stderr.take().unwrap();
    let mut node = Kill(node);
    let mut port = None;
    let until = Instant::now() + Duration::from_secs(10);
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("Debugger listening on ws://127.0.0.1:") {
            port = Some(rest.split('/').next().unwrap().to_string());
            break;
        }
        assert!(Instant::now() < until, "node printed no inspector address");
    }
    let port = port.expect("node printed no inspector address");
    let series = dir.path().join("series.jsonl");
    let watch = heapsnap(&[
        "watch",
        "--port",
        &port,
        "--interval",
        "300ms",
        "--duration",
        "4s",
        "--consecutive",
        "3",
        "--min-growth",
        "1KiB",
        "--json",
    ]);
    assert_eq!(
        watch.status.code(),
        Some(1),
        "a leak warning: {}",
        String::from_utf8_lossy(&watch.stderr)
    );
    std::fs::write(&series, &watch.stdout).unwrap();
    drop(node.0.stdin.take());
    let lines = watch.stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count();
    let warnings = String::from_utf8_lossy(&watch.stdout).matches("\"warning\":true").count();
    assert!(lines >= 8 && warnings >= 1, "{lines} samples, {warnings} warnings");

    let f = files("intervals", &["final"]);
    let path = report(dir.path(), "w", &f, &["--watch", series.to_str().unwrap()], 0);
    let data = embedded(&read(&path));
    assert_eq!(data["watch"]["series"]["samples"].as_array().unwrap().len(), lines);
    let browser = Browser::start();
    let mut page = browser.page();
    open_clean(&mut page, &path);
    let chart = page.eval(
        "(() => { const s = document.querySelector('#watch svg.watch'); return {samples: \
         s.querySelectorAll('circle.gc').length, warned: s.querySelectorAll('circle.gc.warn').length, \
         marks: [...s.querySelectorAll('.warning text')].map(t => t.textContent), \
         points: s.querySelector('polyline.used').points.length, visible: s.checkVisibility(), \
         link: !!document.querySelector('nav a[href=\"#watch\"]')}; })()",
    );
    assert_eq!(chart["samples"], lines, "{chart}");
    assert_eq!(chart["points"], lines, "{chart}");
    assert_eq!(chart["warned"], warnings, "{chart}");
    assert_eq!(chart["marks"].as_array().unwrap().len(), warnings, "{chart}");
    assert_eq!(chart["marks"][0], "leak warning");
    assert_eq!((chart["visible"].as_bool(), chart["link"].as_bool()), (Some(true), Some(true)));
    page.eval("document.getElementById('watch').scrollIntoView()");
    check_screenshot(&page.screenshot(), "watch chart");
    assert!(page.problems(0).is_empty(), "{:#?}", page.problems(0));
}
