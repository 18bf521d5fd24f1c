//! `heapsnap leaks` on the real leak scenarios of `snapshots/leaks/`: every leak comes out at
//! the top with the right category and class, its count exactly what `manifest.json` says
//! was counted in the files (`verify.js` counts them exactly), and a path through the
//! property that really holds it; the control scenario and healthy heaps report nothing;
//! `--fail-on-leak` gates CI.

use crate::util::{heapsnap, heapsnap_ok, root};

fn manifest() -> serde_json::Value {
    let text = std::fs::read_to_string(root().join("snapshots/leaks/manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn files(scenario: &str, phases: &[&str]) -> Vec<String> {
    phases.iter().map(|p| format!("snapshots/leaks/{scenario}-{p}.heapsnapshot.gz")).collect()
}

fn leaks_json(files: &[String], extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["leaks", "--json"];
    args.extend(files.iter().map(String::as_str));
    args.extend(extra);
    let v: serde_json::Value = serde_json::from_str(&heapsnap_ok(&args)).unwrap();
    assert_eq!(v["schema"], "heapsnap.leaks/1");
    v
}

/// The manifest's count of `class` in the scenario's last phase.
fn expected_count(m: &serde_json::Value, scenario: &str, class: &str, phase: &str) -> u64 {
    let s = &m["scenarios"][scenario];
    let e = s["expected"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["class"] == class)
        .unwrap_or_else(|| panic!("{scenario}: no {class} in the manifest"));
    e[format!("count_{phase}")].as_u64().unwrap()
}

/// The manifest's counts are exact (`verify.js` counts the objects in the files), and so
/// must ours be.
#[track_caller]
fn as_in_manifest(got: u64, want: u64, what: &str) {
    assert_eq!(got, want, "{what}: {got}, manifest says {want}");
}

/// (scenario, category, class as reported, manifest class, a property on the path)
const LEAKS: &[(&str, &str, &str, &str, &str)] = &[
    ("listeners", "listeners", "onConfigChanged()", "onConfigChanged", "._events.config-changed["),
    ("closure-context", "closures", "someMethod()", "someMethod", "->originalThing"),
    ("cycles", "cycles", "CycleNode", "CycleNode", "global.cycleRegistry["),
    ("intervals", "timers", "Timeout", "Timeout", "->timerListMap[60000](._idle"),
    ("map-cache", "collections", "CacheEntry", "CacheEntry", "global.sessionCache.entries"),
    ("worker", "collections", "WorkerJobResult", "WorkerJobResult", "global.jobResults"),
];

#[test]
fn every_leak_is_found_at_the_top() {
    let m = manifest();
    for &(scenario, category, class, manifest_class, property) in LEAKS {
        let phases: Vec<&str> = m["scenarios"][scenario]["phases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        let last = *phases.last().unwrap();
        let v = leaks_json(&files(scenario, &phases), &[]);
        assert_eq!(v["growth_basis"], "ids", "{scenario}");
        let f = &v["findings"][0];
        assert_eq!(f["category"], category, "{scenario}: {}", v["findings"]);
        assert_eq!(f["class"], class, "{scenario}");
        let want = expected_count(&m, scenario, manifest_class, last);
        as_in_manifest(f["count"].as_u64().unwrap(), want, scenario);
        assert!(f["retained_size"].as_u64().unwrap() >= f["self_size"].as_u64().unwrap());
        assert!(f["growing"].as_bool().unwrap(), "{scenario}");
        let growth: Vec<u64> =
            f["growth"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap()).collect();
        assert_eq!(growth.len(), phases.len(), "{scenario}");
        for (i, p) in phases.iter().enumerate() {
            as_in_manifest(growth[i], expected_count(&m, scenario, manifest_class, p), p);
        }
        let path = f["path"]["text"].as_str().unwrap();
        assert!(path.contains(property), "{scenario}: {path}");
        assert_eq!(f["path"]["steps"][0]["edge"], serde_json::Value::Null);
    }
}

#[test]
fn the_thing_keeps_every_leaky_thing() {
    let m = manifest();
    let v = leaks_json(&files("closure-context", &["baseline", "target", "final"]), &[]);
    let f = &v["findings"][0];
    let leaky =
        f["retains"].as_array().unwrap().iter().find(|r| r["class"] == "LeakyThing").unwrap();
    // Every LeakyThing but the newest: `global.theThing` holds it, and it holds the chain's
    // first closure, so the closures keep all the older ones alive and not that one.
    let want = expected_count(&m, "closure-context", "LeakyThing", "final");
    as_in_manifest(leaky["count"].as_u64().unwrap(), want - 1, "LeakyThing");
    // The chain collapses to one repeated run.
    assert_eq!(
        f["signature"],
        "global.theThing(.someMethod{context}->originalThing)\u{d7}*.someMethod"
    );
}

#[test]
fn unclosed_sockets_with_every_holder() {
    let m = manifest();
    let v = leaks_json(&files("sockets", &["baseline", "target", "final"]), &[]);
    let top: Vec<&serde_json::Value> = v["findings"].as_array().unwrap().iter().take(2).collect();
    for (class, manifest_class) in
        [("LeakyClientSocket", "LeakyClientSocket"), ("Socket", "Socket (server side)")]
    {
        let f = top.iter().find(|f| f["class"] == class).unwrap_or_else(|| panic!("{class}"));
        assert_eq!(f["category"], "resources");
        as_in_manifest(
            f["count"].as_u64().unwrap(),
            expected_count(&m, "sockets", manifest_class, "final"),
            class,
        );
        assert_eq!(f["survivors"], 40, "{class}: allocated before target, alive in final");
    }
    // The server side is held both by the user's Set and by its open handle: neither dominates.
    let server = top.iter().find(|f| f["class"] == "Socket").unwrap();
    let holders: Vec<&str> = server["holders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["signature"].as_str().unwrap())
        .collect();
    assert_eq!(
        holders,
        [
            "global.connectionTracker.open{table}{*}",
            "Node / TCPSocketWrap{native_to_javascript}[\"<symbol owner_symbol>\"]"
        ]
    );
}

#[test]
fn three_snapshot_survivors_match_the_manifest() {
    let m = manifest();
    for (scenario, class, manifest_class) in
        [("intervals", "Timeout", "Timeout"), ("closure-context", "someMethod()", "someMethod")]
    {
        let v = leaks_json(&files(scenario, &["baseline", "target", "final"]), &[]);
        let f = v["findings"].as_array().unwrap().iter().find(|f| f["class"] == class).unwrap();
        let e = m["scenarios"][scenario]["expected"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["class"] == manifest_class)
            .unwrap();
        assert_eq!(f["survivors"], e["by_id"]["three_snapshot_survivors"], "{scenario}");
    }
}

#[test]
fn controls_report_nothing() {
    let phase_sets: &[&[&str]] = &[
        &["baseline"],
        &["target"],
        &["final"],
        &["baseline", "target"],
        &["target", "final"],
        &["baseline", "target", "final"],
    ];
    for phases in phase_sets {
        let v = leaks_json(&files("control", phases), &[]);
        assert_eq!(v["findings"], serde_json::json!([]), "control {phases:?}");
    }
    // Healthy single heaps, and every scenario's baseline (taken before the leak starts).
    let m = manifest();
    let mut singles: Vec<String> =
        ["hello", "internals", "numeric", "shapes", "tracking", "worker"]
            .iter()
            .map(|n| format!("snapshots/{n}.heapsnapshot.gz"))
            .collect();
    for name in m["scenarios"].as_object().unwrap().keys() {
        singles.push(format!("snapshots/leaks/{name}-baseline.heapsnapshot.gz"));
    }
    for f in singles {
        let v = leaks_json(std::slice::from_ref(&f), &[]);
        assert_eq!(v["findings"], serde_json::json!([]), "{f}");
    }
}

#[test]
fn fail_on_leak_exit_codes() {
    let intervals = files("intervals", &["baseline", "target", "final"]);
    let run = |extra: &[&str], files: &[String]| {
        let mut args = vec!["leaks"];
        args.extend(files.iter().map(String::as_str));
        args.extend(extra);
        heapsnap(&args)
    };
    let out = run(&["--fail-on-leak"], &intervals);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("FAIL: 1 leak finding"));
    // Thresholds filter what counts.
    assert_eq!(run(&["--fail-on-leak", "--min-count", "1000"], &intervals).status.code(), Some(0));
    assert_eq!(
        run(&["--fail-on-leak", "--min-retained", "10MB"], &intervals).status.code(),
        Some(0)
    );
    assert_eq!(run(&["--fail-on-leak", "--min-count", "400"], &intervals).status.code(), Some(1));
    // Without the flag, a leak is not an error.
    assert_eq!(run(&[], &intervals).status.code(), Some(0));
    assert_eq!(
        run(&["--fail-on-leak"], &files("control", &["baseline", "target", "final"])).status.code(),
        Some(0)
    );
    // JSON says why.
    let v = leaks_json(&intervals, &["--fail-on-leak", "--min-count", "1000"]);
    assert_eq!(v["gate"]["failed"], false);
    assert_eq!(v["findings"], serde_json::json!([]));
    // Bad input is exit 2.
    assert_eq!(run(&["--category", "nope"], &intervals).status.code(), Some(2));
    let four = [intervals.clone(), vec![intervals[0].clone()]].concat();
    assert_eq!(run(&[], &four).status.code(), Some(2));
}

#[test]
fn ids_not_comparable_match_by_structure() {
    // A baseline of another process (and another program): ids do not follow objects, the
    // report says so once, with the cause and what to do, and matches objects by structure.
    let mixed = vec![
        "snapshots/leaks/listeners-baseline.heapsnapshot.gz".to_string(),
        "snapshots/leaks/intervals-target.heapsnapshot.gz".to_string(),
        "snapshots/leaks/intervals-final.heapsnapshot.gz".to_string(),
    ];
    let v = leaks_json(&mixed, &[]);
    assert_eq!(v["growth_basis"], "structure");
    assert_eq!(v["ids"][0]["verdict"], "reused");
    assert_eq!(v["ids"][1]["verdict"], "comparable");
    assert_eq!(v["warnings"], serde_json::json!([]));
    let f = &v["findings"][0];
    assert_eq!((f["category"].as_str(), f["class"].as_str()), (Some("timers"), Some("Timeout")));
    // Per object, as ids would have it: none of the 400 intervals is in the other program's
    // heap, 200 are in the target.
    assert_eq!(f["growth"], serde_json::json!([0, 200, 400]));
    assert_eq!(f["survivors"], 200);
    assert_eq!(v["findings"].as_array().unwrap().len(), 1, "{v:#}");
    let text = heapsnap_ok(&["leaks", &mixed[0], &mixed[1], &mixed[2]]);
    assert_eq!(text.matches("WARNING").count(), 1, "{text}");
    assert!(
        text.contains("WARNING: object ids do not follow objects across these snapshots."),
        "{text}"
    );
    assert!(
        text.contains("snapshots 1 and 2 were taken through separate inspector sessions"),
        "{text}"
    );
    assert!(text.contains("V8 clears its object id map when a session ends"), "{text}");
    assert!(text.contains("matches objects by structure"), "{text}");
    assert!(text.contains("heapsnap hunt --pid PID"), "{text}");
    // Two unrelated heaps: what only the second program has is new, and nothing of the
    // runtime's own (its builtin modules, V8's caches) is reported.
    let v = leaks_json(
        &[
            "snapshots/hello.heapsnapshot.gz".to_string(),
            "snapshots/leaks/control-final.heapsnapshot.gz".to_string(),
        ],
        &[],
    );
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{v:#}");
    assert_eq!(
        (findings[0]["category"].as_str(), findings[0]["class"].as_str()),
        (Some("growth"), Some("ControlCacheEntry"))
    );
    assert_eq!(findings[0]["growth"], serde_json::json!([0, 25]));
    assert_eq!(findings[0]["survivors"], 25);
}

#[test]
fn inputs_out_of_order_or_twice_are_warned_about() {
    let f = files("listeners", &["baseline", "target", "final"]);
    // The same content under two names.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.heapsnapshot.gz");
    std::fs::copy(root().join(&f[1]), &copy).unwrap();
    let copy = copy.to_str().unwrap().to_string();
    let v = leaks_json(&[f[1].clone(), copy.clone()], &[]);
    assert_eq!(v["warnings"][0]["kind"], "same-content", "{v:#}");
    assert_eq!(v["warnings"][0]["snapshots"], serde_json::json!([1, 2]));
    let text = heapsnap_ok(&["leaks", &f[1], &copy]);
    assert!(text.contains("WARNING: snapshots 1 and 2 have the same content"), "{text}");
    // Final before target: V8 numbers new objects upwards within a session.
    let v = leaks_json(&[f[0].clone(), f[2].clone(), f[1].clone()], &[]);
    let w = v["warnings"].as_array().unwrap();
    assert_eq!(w.len(), 1, "{v:#}");
    assert_eq!(
        (w[0]["kind"].as_str(), &w[0]["snapshots"]),
        (Some("out-of-order"), &serde_json::json!([2, 3]))
    );
    assert!(w[0]["message"].as_str().unwrap().contains("largest object id"), "{w:?}");
    // In order: nothing to say.
    assert_eq!(leaks_json(&f, &[])["warnings"], serde_json::json!([]));
}

#[test]
fn categories_select_detectors() {
    let f = files("sockets", &["baseline", "target", "final"]);
    let v = leaks_json(&f, &["--category", "timers", "--category", "listeners"]);
    assert_eq!(v["findings"], serde_json::json!([]));
    let v = leaks_json(&f, &["--category", "resources", "--top", "1"]);
    assert_eq!(v["findings"].as_array().unwrap().len(), 1);
}

fn golden(name: &str) -> String {
    std::fs::read_to_string(root().join("tests/golden").join(name)).unwrap()
}

#[test]
fn leaks_golden_text() {
    let f = files("sockets", &["baseline", "target", "final"]);
    assert_eq!(heapsnap_ok(&["leaks", &f[0], &f[1], &f[2]]), golden("leaks-sockets.txt"));
    let f = files("intervals", &["final"]);
    assert_eq!(heapsnap_ok(&["leaks", &f[0]]), golden("leaks-intervals-final.txt"));
}

#[test]
fn leaks_golden_json() {
    let f = files("listeners", &["baseline", "target", "final"]);
    let out = heapsnap_ok(&["leaks", "--json", &f[0], &f[1], &f[2]]);
    assert_eq!(out, golden("leaks-listeners.json"));
}

fn manifest_controls() -> serde_json::Value {
    let text =
        std::fs::read_to_string(root().join("snapshots/leaks/manifest-controls.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn steady_state_reports_nothing_across_snapshots() {
    let m = manifest_controls();
    assert_eq!(m["scenarios"]["steady"]["leak"], false);
    for phases in
        [&["baseline", "target", "final"][..], &["baseline", "target"], &["target", "final"]]
    {
        let v = leaks_json(&files("steady", phases), &["--fail-on-leak"]);
        assert_eq!(v["findings"], serde_json::json!([]), "steady {phases:?}");
        assert_eq!(v["gate"]["failed"], false);
    }
}

#[test]
fn more_leaks_each_found() {
    let m = manifest_controls();
    let count = |class: &str| expected_count(&m, "more-leaks", class, "final");
    let v = leaks_json(&files("more-leaks", &["baseline", "target", "final"]), &[]);
    let find = |category: &str, class: &str| -> serde_json::Value {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["category"] == category && f["class"] == class)
            .unwrap_or_else(|| panic!("{category} {class}: {}", v["findings"]))
            .clone()
    };
    let t = find("timers", "Timeout");
    as_in_manifest(t["count"].as_u64().unwrap(), count("Timeout (fired retryRequest)"), "timers");
    assert!(t["path"]["text"].as_str().unwrap().starts_with("global.retryTimers["));
    let l = find("listeners", "onCancel()");
    as_in_manifest(l["count"].as_u64().unwrap(), count("onCancel"), "listeners");
    assert!(l["path"]["text"].as_str().unwrap().starts_with("global.jobEvents._events.cancel["));
    let d = find("duplicate-strings", "(string)");
    as_in_manifest(d["count"].as_u64().unwrap(), count("page string (4000 chars)"), "strings");
    assert_eq!(d["facts"]["wasted"], 299 * 4016);
}

#[test]
fn detached_dom_trees_in_a_chromium_page() {
    // Captured from headless Chromium by scripts/leak-scenarios/detached-dom/capture.js.
    let m = manifest_controls();
    let expected = |class: &str| expected_count(&m, "detached-dom", class, "final");
    let v = leaks_json(&files("detached-dom", &["baseline", "target", "final"]), &[]);
    let f = &v["findings"][0];
    assert_eq!(f["category"], "detached-dom", "{}", v["findings"]);
    assert_eq!(f["class"], "Detached <section>");
    as_in_manifest(
        f["facts"]["trees"].as_u64().unwrap(),
        expected("detached <section> (widget roots)"),
        "trees",
    );
    // Each tree: <section>, <ul>, 5 <li> and their 5 text nodes.
    let li = expected("detached <li>");
    as_in_manifest(f["count"].as_u64().unwrap(), li / 5 * 12, "detached nodes");
    assert_eq!(f["path"]["signature"], "Window(file://).widgetCache[*].el");
    assert_eq!(v["findings"].as_array().unwrap().len(), 1, "{}", v["findings"]);
    // The attached widgets and the dropped ones are never reported.
    let v = leaks_json(&files("detached-dom", &["baseline"]), &[]);
    assert_eq!(v["findings"], serde_json::json!([]));
}

#[test]
fn detached_divs_in_the_newest_v8_layout() {
    // snapshots/chrome-page.heapsnapshot.gz (Chromium 156, no trace_node_id): 50 <div>s made
    // and kept in window.keep but never attached.
    let v = leaks_json(&["snapshots/chrome-page.heapsnapshot.gz".to_string()], &[]);
    let f = &v["findings"][0];
    assert_eq!(f["category"], "detached-dom", "{}", v["findings"]);
    assert_eq!(f["facts"]["trees"], 50);
    assert_eq!(f["class"], "Detached <div>");
    assert_eq!(f["path"]["signature"], "Window(file://).keep[*]");
    assert_eq!(v["findings"].as_array().unwrap().len(), 1, "{}", v["findings"]);
}

#[test]
fn event_target_listeners_found() {
    // addEventListener() on an AbortSignal and on an EventTarget bus, never removed: Node keeps
    // these in a Map under `kEvents` as linked lists of Listener objects, not in `_events`.
    let m = manifest_controls();
    let count = |class: &str| expected_count(&m, "event-target", class, "final");
    for phases in [&["final"][..], &["baseline", "target", "final"][..]] {
        let v = leaks_json(&files("event-target", phases), &[]);
        let findings = v["findings"].as_array().unwrap();
        let find = |class: &str| -> serde_json::Value {
            findings
                .iter()
                .find(|f| f["category"] == "listeners" && f["class"] == class)
                .unwrap_or_else(|| panic!("{phases:?} {class}: {}", v["findings"]))
                .clone()
        };
        let abort = find("onShutdown()");
        as_in_manifest(abort["count"].as_u64().unwrap(), count("onShutdown"), "abort listeners");
        assert_eq!(abort["facts"]["event"], "abort");
        assert_eq!(abort["facts"]["emitter_class"], "AbortSignal");
        assert_eq!(abort["facts"]["warned"], "Node printed MaxListenersExceededWarning");
        let path = abort["path"]["text"].as_str().unwrap();
        assert!(path.starts_with("global.shutdown.#signal[\"<symbol kEvents>\"]"), "{path}");
        assert!(path.contains("(.next)×"), "{path}");
        let update = find("onUpdate()");
        as_in_manifest(update["count"].as_u64().unwrap(), count("onUpdate"), "update listeners");
        assert_eq!(update["facts"]["event"], "update");
        assert!(
            update["path"]["text"]
                .as_str()
                .unwrap()
                .starts_with("global.bus[\"<symbol kEvents>\"]")
        );
        // The Listener lists are doubly linked, hence cycles: explained by the listener
        // findings, not reported as cycles of their own.
        assert!(
            findings.iter().all(|f| f["category"] == "listeners"),
            "{phases:?}: {}",
            v["findings"]
        );
        if phases.len() == 3 {
            assert_eq!(abort["growth"], serde_json::json!([0, 200, 400]));
            assert_eq!(update["growth"], serde_json::json!([0, 200, 400]));
            assert_eq!(abort["growing"], true);
        }
    }
    // The baseline (every listener removed again) has none.
    let v = leaks_json(&files("event-target", &["baseline"]), &["--fail-on-leak"]);
    assert_eq!(v["findings"], serde_json::json!([]));
}
