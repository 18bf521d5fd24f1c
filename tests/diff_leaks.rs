//! `heapsnap diff` on the real leak scenarios of `snapshots/leaks/` (one process, baseline ->
//! target): each leak must come out at the top with the right count and the holder that keeps
//! it, and the no-leak control must show no growth above noise.

use crate::util::heapsnap;

fn diff(scenario: &str, from: &str, to: &str) -> serde_json::Value {
    let f = |phase: &str| format!("snapshots/leaks/{scenario}-{phase}.heapsnapshot.gz");
    let out = heapsnap(&["diff", "--json", &f(from), &f(to)]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["ids"]["verdict"], "comparable",
        "{scenario}: one process, ids must be comparable"
    );
    v
}

/// Checks that `class` is among the first `within` rows, grew by exactly `count`, and that its
/// largest holder group has signature `holder` and covers `held` objects.
#[track_caller]
fn assert_leak(
    v: &serde_json::Value,
    class: &str,
    within: usize,
    count: i64,
    holder: &str,
    held: u64,
) {
    let rows = v["classes"].as_array().unwrap();
    let pos = rows
        .iter()
        .position(|r| r["name"] == class)
        .unwrap_or_else(|| panic!("{class} not reported"));
    let names: Vec<&str> = rows.iter().take(within).map(|r| r["name"].as_str().unwrap()).collect();
    assert!(pos < within, "{class} is row {pos}, not in the top {within}: {names:?}");
    let r = &rows[pos];
    assert_eq!(r["count_delta"].as_i64(), Some(count), "{class} count");
    assert_eq!(r["new_count"].as_i64(), Some(count), "{class} new objects");
    assert_eq!(r["deleted_count"], 0, "{class}");
    assert!(r["new_retained"].as_u64().unwrap() >= r["alloc_size"].as_u64().unwrap(), "{class}");
    let h = &r["holders"][0];
    assert_eq!(h["signature"], holder, "{class} holder");
    assert_eq!(h["count"].as_u64(), Some(held), "{class} held count");
}

#[test]
fn listeners_never_removed() {
    for (from, to) in [("baseline", "target"), ("target", "final")] {
        let v = diff("listeners", from, to);
        assert_leak(
            &v,
            "ConfigSubscriber",
            3,
            200,
            "global.configBus._events.config-changed[*]{context}->subscriber",
            200,
        );
        assert_leak(&v, "Function", 3, 200, "global.configBus._events.config-changed[*]", 200);
        let f = v["classes"].as_array().unwrap().iter().find(|r| r["name"] == "Function").unwrap();
        let b = &f["breakdown"][0];
        assert!(b["label"].as_str().unwrap().starts_with("onConfigChanged ("), "{b}");
        assert!(b["label"].as_str().unwrap().contains("listeners.js:"), "{b}");
        assert_eq!(b["new_count"], 200);
    }
}

#[test]
fn closure_kept_alive_through_shared_context() {
    let v = diff("closure-context", "baseline", "target");
    assert_leak(
        &v,
        "LeakyThing",
        4,
        200,
        "global.theThing(.someMethod{context}->originalThing)\u{d7}*",
        198,
    );
    // The 4 KB strings are what the chain really costs.
    let rows = v["classes"].as_array().unwrap();
    assert_eq!(rows[0]["name"], "(string)");
    assert!(rows[0]["size_delta"].as_i64().unwrap() > 800 * 1024);
}

#[test]
fn reference_cycles_held_by_a_global() {
    let v = diff("cycles", "baseline", "target");
    assert_leak(&v, "CycleNode", 1, 400, "global.cycleRegistry[*]", 200);
    let r = &v["classes"][0];
    assert_eq!(r["holders"][1]["signature"], "global.cycleRegistry[*].peer");
    assert_eq!(r["holders"][1]["count"], 200);
}

#[test]
fn unclosed_sockets_with_both_holders() {
    let v = diff("sockets", "baseline", "target");
    assert_leak(
        &v,
        "LeakyClientSocket",
        2,
        40,
        "Node / TCPSocketWrap{native_to_javascript}[\"<symbol owner_symbol>\"]",
        40,
    );
    assert_leak(&v, "Socket", 2, 40, "global.connectionTracker.open{table}{*}", 40);
}

#[test]
fn intervals_never_cleared() {
    let v = diff("intervals", "baseline", "target");
    let rows = v["classes"].as_array().unwrap();
    for class in ["Timeout", "PollState"] {
        let r = rows
            .iter()
            .take(3)
            .find(|r| r["name"] == class)
            .unwrap_or_else(|| panic!("{class} not in the top 3"));
        assert_eq!(r["count_delta"], 200);
        // Timer lists are linked lists: the chain collapses into one repeated step.
        let sig = r["holders"][0]["signature"].as_str().unwrap();
        // Node's timer list, through the timers module's context, which `clearImmediate` and
        // `setImmediate` share: paths of equal length, and which comes first changes from one
        // run of the fixture script to the next.
        assert!(
            ["clearImmediate", "setImmediate"].iter().any(|f| sig
                .starts_with(&format!("global.{f}{{context}}->timerListMap[*](._idle"))),
            "{sig}"
        );
        assert!(sig.contains(")\u{d7}*"), "{sig}");
    }
    let f = rows.iter().find(|r| r["name"] == "Function").unwrap();
    assert!(f["breakdown"][0]["label"].as_str().unwrap().starts_with("pollStatus ("));
}

#[test]
fn growing_map_cache() {
    let v = diff("map-cache", "baseline", "target");
    assert_leak(&v, "CacheEntry", 3, 200, "global.sessionCache.entries{table}{*}", 200);
}

#[test]
fn leak_inside_a_worker_thread() {
    let v = diff("worker", "baseline", "target");
    assert_leak(&v, "WorkerJobResult", 1, 200, "global.jobResults[*]", 200);
}

#[test]
fn no_leak_control_shows_no_growth() {
    for (from, to) in [("baseline", "target"), ("target", "final")] {
        let v = diff("control", from, to);
        // The whole heap moves by JIT warm-up only (compiled code, hidden as V8 internals)...
        let total = v["total_delta"].as_i64().unwrap();
        let before = v["total_before"].as_i64().unwrap();
        assert!(total.abs() * 100 < before, "control grew by {total} of {before} bytes");
        // ...and what is shown stays within noise.
        let shown: i64 = v["classes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["size_delta"].as_i64().unwrap())
            .sum();
        assert!(shown.abs() < 1024, "control shows {shown} bytes of growth");
        for r in v["classes"].as_array().unwrap() {
            assert!(
                r["count_delta"].as_i64().unwrap().abs() <= 2,
                "control class {} changed: {r}",
                r["name"]
            );
        }
    }
}

const STORE: [&str; 2] = [
    "snapshots/store/store-baseline.heapsnapshot.gz",
    "snapshots/store/store-target.heapsnapshot.gz",
];

/// snapshots/store: a session store that leaks and a bounded LRU cache that only churns both
/// hold new concatenated strings. The store is what holds the growth; the cache is churn.
#[test]
fn churn_is_not_growth() {
    let out = heapsnap(&["diff", STORE[0], STORE[1]]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let section =
        text.split("  +400 (concatenated string)").nth(1).unwrap_or_else(|| panic!("{text}"));
    let lines: Vec<&str> =
        section.lines().skip(1).filter(|l| l.starts_with("      held by ")).take(3).collect();
    assert_eq!(
        lines,
        [
            "      held by server.js: store.sessions{table}{*}  (+200: 200 new, 0 deleted)",
            "      held by server.js: store.sessions{table}{*}{first}  (+200: 200 new, 0 deleted)",
            "      held by server.js: pageCache.entries{table}{*}({first})\u{d7}*  (churn: 700 new, 700 deleted)",
        ],
        "{text}"
    );
    let out = heapsnap(&["diff", "--json", STORE[0], STORE[1]]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = v["classes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "(concatenated string)")
        .unwrap();
    let h = &row["holders"];
    assert_eq!(
        (h[0]["count"].as_u64(), h[0]["deleted"].as_u64(), h[0]["net"].as_i64()),
        (Some(200), Some(0), Some(200))
    );
    assert_eq!((h[0]["churn"].as_bool(), h[0]["estimated"].as_bool()), (Some(false), Some(false)));
    assert_eq!((h[2]["churn"].as_bool(), h[2]["net"].as_i64()), (Some(true), Some(0)));
}

/// The same objects have the same class name in `leaks` and in `diff`: DevTools' names,
/// interface names of plain objects included.
#[test]
fn leaks_and_diff_name_classes_alike() {
    let out = heapsnap(&["leaks", "--json", STORE[0], STORE[1]]);
    let l: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &l["findings"][0];
    assert_eq!(f["category"], "collections", "{f}");
    assert_eq!(f["class"], "{user, token, headers}", "{f}");
    assert_eq!(
        f["title"],
        "Map `MemoryStore.sessions` grows 50 -> 250 entries: string -> {user, token, headers}"
    );
    assert_eq!(f["survivors"], 200);
    let out = heapsnap(&["diff", "--json", STORE[0], STORE[1]]);
    let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = d["classes"].as_array().unwrap();
    let row = rows.iter().find(|r| r["name"] == f["class"]).unwrap_or_else(|| panic!("{rows:?}"));
    assert_eq!(row["count_delta"], 201);
    assert_eq!(row["holders"][0]["signature"], "server.js: store.sessions{table}{*}");
    // What each session keeps: its headers, an interface of its own in both.
    let headers = "{host, user-agent, accept}";
    assert!(rows.iter().any(|r| r["name"] == headers));
    assert!(f["retains"].as_array().unwrap().iter().any(|r| r["class"] == headers), "{f}");
}
