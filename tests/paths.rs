//! Retaining paths a person can act on (issue 11), on real fixtures: a leak held by a
//! module-level variable is shown from that variable, named by its script
//! (`server.js: userCache`), through no runtime internal; DevTools' shortest path stays
//! available with `--path shortest`; an object only runtime internals hold says so.
//!
//! `snapshots/app/` is an HTTP server whose leaks live in module-level variables
//! (scripts/gen-app-fixtures.sh); `snapshots/chrome-widgets.heapsnapshot.gz` a page keeping
//! detached elements in a top-level `const` (scripts/gen-chrome-fixture.sh widgets).

use crate::util::{heapsnap, heapsnap_ok};

const APP: [&str; 2] =
    ["snapshots/app/app-baseline.heapsnapshot.gz", "snapshots/app/app-target.heapsnapshot.gz"];
const WIDGETS: &str = "snapshots/chrome-widgets.heapsnapshot.gz";

/// Text that only a path through runtime internals contains.
const INTERNALS: &[&str] = &[
    "timerListMap",
    "_idleNext",
    "_idlePrev",
    "(GC roots)",
    "{shared}",
    "{map}",
    "{feedback_cell}",
    "{native_context}",
    "{descriptors}",
    "BuiltinModule",
    "{context}->timerList",
];

fn json(args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&heapsnap_ok(args)).unwrap()
}

#[track_caller]
fn assert_user_path(path: &serde_json::Value, script: &str) {
    let text = path["text"].as_str().unwrap();
    for bad in INTERNALS {
        assert!(!text.contains(bad), "{text} passes through {bad}");
    }
    assert_eq!(path["origin"], "module-scope", "{text}");
    assert_eq!(path["note"], serde_json::Value::Null, "{text}");
    let full = path["script"].as_str().unwrap();
    // Made from the neutral folder (scripts/gen-app-fixtures.sh), never a checkout's path.
    assert_eq!(full, format!("/tmp/heapsnap-fixture/app/{script}"));
    assert!(text.starts_with(&format!("{script}: ")), "{text}");
    // The first step is the module scope itself.
    assert_eq!(path["steps"][0]["edge"], serde_json::Value::Null);
    assert_eq!(path["steps"][0]["node"]["name"], "system / Context");
}

fn finding<'a>(v: &'a serde_json::Value, category: &str, class: &str) -> &'a serde_json::Value {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["category"] == category && f["class"] == class)
        .unwrap_or_else(|| panic!("{category} {class}: {}", v["findings"]))
}

#[test]
fn leaks_in_module_variables_are_named_by_their_scripts() {
    let v = json(&["leaks", "--json", APP[0], APP[1]]);
    let cache = finding(&v, "collections", "Session");
    assert_eq!(cache["path"]["text"], "server.js: userCache");
    assert_user_path(&cache["path"], "server.js");
    assert_eq!(cache["growth"], serde_json::json!([10, 60]));
    // One object per entry: 50 new entries are 50 new Sessions (their keys are not counted).
    assert_eq!(cache["count"], 60);
    assert_eq!(cache["survivors"], 50);
    assert_eq!(
        cache["title"],
        "Map `userCache` (server.js) grows 10 -> 60 entries: string -> Session"
    );
    let listeners = finding(&v, "listeners", "onConfigChanged()");
    assert_user_path(&listeners["path"], "bus.js");
    let text = listeners["path"]["text"].as_str().unwrap();
    assert!(text.starts_with("bus.js: configBus._events.config-changed["), "{text}");
    assert!(listeners["title"].as_str().unwrap().contains("on bus.js: configBus (EventEmitter)"));
    let samples = finding(&v, "collections", "Sample");
    assert_eq!(samples["path"]["text"], "metrics.js: samples");
    assert_eq!(samples["survivors"], 50);
    assert_eq!(samples["title"], "Array `samples` (metrics.js) grows 10 -> 60 entries: Sample");
    assert_user_path(&samples["path"], "metrics.js");
    let sockets = finding(&v, "resources", "Socket");
    assert_eq!(sockets["count"], 50);
    assert_user_path(&sockets["path"], "server.js");
    assert_eq!(sockets["signature"], "server.js: openSockets{table}{*}");
    // The other holder of an open socket is its handle; the timer list that reaches each
    // socket through its own idle timeout is left out.
    let holders: Vec<&str> = sockets["holders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["origin"].as_str().unwrap())
        .collect();
    assert_eq!(holders, ["module-scope", "handle"]);
    // DevTools' shortest paths run through Node's machinery instead.
    let v = json(&["leaks", "--json", "--path", "shortest", APP[0], APP[1]]);
    let text = finding(&v, "collections", "Session")["path"]["text"].as_str().unwrap();
    assert!(text.starts_with("global."), "{text}");
    assert!(text.ends_with("->userCache"), "{text}");
    let text = finding(&v, "collections", "Sample")["path"]["text"].as_str().unwrap();
    assert!(text.starts_with("global."), "{text}");
}

#[test]
fn diff_names_the_module_variable_that_holds_the_growth() {
    let v = json(&["diff", "--json", APP[0], APP[1]]);
    // The holders of a class's new objects, by signature (those that are module variables).
    let holders = |class: &str| -> Vec<String> {
        let row = v["classes"].as_array().unwrap().iter().find(|c| c["name"] == class);
        let row = row.unwrap_or_else(|| panic!("{class}"));
        let hs = row["holders"].as_array().unwrap();
        assert!(!hs.is_empty(), "{class}");
        for h in hs {
            assert_eq!(h["note"], serde_json::Value::Null, "{class}");
            assert_eq!(h["origin"], "module-scope", "{class}");
        }
        hs.iter().map(|h| h["signature"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(holders("Socket"), ["server.js: openSockets{table}{*}"]);
    let strings = holders("(string)");
    for want in ["server.js: userCache{table}{*}", "metrics.js: samples[*].route"] {
        assert!(strings.iter().any(|s| s == want), "{want}: {strings:?}");
    }
    let contexts = holders("system / Context");
    let want = "bus.js: configBus._events.config-changed[*]{context}";
    assert!(contexts.iter().any(|s| s == want), "{contexts:?}");
    let text = heapsnap_ok(&["diff", APP[0], APP[1]]);
    assert!(
        text.contains("held by server.js: userCache{table}{*}  (+50: 50 new, 0 deleted)"),
        "{text}"
    );
    // DevTools' shortest paths blame Node's machinery.
    let text = heapsnap_ok(&["diff", "--path", "shortest", APP[0], APP[1]]);
    assert!(!text.contains("held by server.js:"), "{text}");
}

#[test]
fn retainers_show_the_module_variable_and_devtools_path_on_request() {
    let v = json(&["leaks", "--json", APP[0], APP[1]]);
    let id =
        format!("@{}", finding(&v, "collections", "Session")["path"]["steps"][1]["node"]["id"]);
    // The Map itself: one link from the module scope.
    let r = json(&["retainers", "--json", APP[1], &id]);
    assert_eq!(r["paths"][0]["text"], "server.js: userCache");
    assert_eq!(r["paths"][0]["length"], 1);
    assert_eq!(r["paths"][0]["from_user_root"], true);
    let r = json(&["retainers", "--json", "--path", "shortest", APP[1], &id]);
    let text = r["paths"][0]["text"].as_str().unwrap();
    assert!(text.contains("->timerListMap[30000]"), "{text}");
    let out = heapsnap_ok(&["retainers", APP[1], &id, "--paths", "1"]);
    assert!(out.contains("path 1 (1 links, from a module scope): server.js: userCache\n"), "{out}");
}

#[test]
fn an_object_only_node_holds_says_so() {
    // snapshots/leaks/intervals.js: setInterval() whose Timeout nobody keeps; only Node's
    // timer list holds it, and through it the callback's state.
    let v = json(&["leaks", "--json", "snapshots/leaks/intervals-final.heapsnapshot.gz"]);
    let f = finding(&v, "timers", "Timeout");
    assert_eq!(
        f["path"]["note"], "held only by Node's timer list: an interval nobody cleared",
        "{}",
        f["path"]["text"]
    );
    assert!(f["path"]["text"].as_str().unwrap().contains("->timerListMap[60000]"));
    // A client socket nobody holds: only its open handle.
    let v = json(&[
        "leaks",
        "--json",
        "snapshots/leaks/sockets-baseline.heapsnapshot.gz",
        "snapshots/leaks/sockets-final.heapsnapshot.gz",
    ]);
    let f = finding(&v, "resources", "LeakyClientSocket");
    assert_eq!(f["path"]["origin"], "handle");
    assert_eq!(
        f["path"]["note"],
        "held only by an active handle (Node / TCPSocketWrap): it lives until it is closed"
    );
}

#[test]
fn leaks_held_by_globals_keep_their_paths() {
    for (scenario, phases, class) in [
        ("listeners", "target", "onConfigChanged()"),
        ("closure-context", "target", "someMethod()"),
        ("cycles", "target", "CycleNode"),
        ("map-cache", "target", "CacheEntry"),
    ] {
        let files = [
            format!("snapshots/leaks/{scenario}-baseline.heapsnapshot.gz"),
            format!("snapshots/leaks/{scenario}-{phases}.heapsnapshot.gz"),
        ];
        let v = json(&["leaks", "--json", &files[0], &files[1]]);
        let f = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["class"] == class)
            .unwrap_or_else(|| panic!("{scenario}: {}", v["findings"]));
        let text = f["path"]["text"].as_str().unwrap();
        assert!(text.starts_with("global."), "{scenario}: {text}");
        assert_eq!(f["path"]["origin"], "global", "{scenario}");
        assert_eq!(f["path"]["note"], serde_json::Value::Null, "{scenario}: {text}");
        for bad in INTERNALS {
            assert!(!text.contains(bad), "{scenario}: {text} passes through {bad}");
        }
    }
}

#[test]
fn a_page_script_scope_is_named_after_its_window_and_script() {
    let v = json(&["leaks", "--json", WIDGETS]);
    let f = finding(&v, "detached-dom", "Detached <section>");
    assert_eq!(f["facts"]["trees"], 200);
    assert_eq!(f["path"]["signature"], "Window(file://) / widgets.html: widgets[*].el");
    assert_eq!(f["path"]["origin"], "script-scope");
    // Made from the neutral folder (scripts/gen-chrome-fixture.sh), never a checkout's path.
    assert_eq!(f["path"]["script"], "file:///tmp/heapsnap-fixture/chrome/widgets.html");
    let v = json(&["leaks", "--json", "--path", "shortest", WIDGETS]);
    let f = finding(&v, "detached-dom", "Detached <section>");
    let sig = f["path"]["signature"].as_str().unwrap();
    assert!(sig.starts_with("(GC roots)[*]"), "{sig}");
    assert!(sig.ends_with("{script_context_table}[*]->widgets[*].el"), "{sig}");
}

#[test]
fn emit_keeps_module_scopes_reachable() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("growth.heapsnapshot");
    let out = out.to_str().unwrap();
    let r = heapsnap(&["diff", APP[0], APP[1], "--emit", out]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    // Every new Session is kept with its path from the module scope, and the module scope
    // with DevTools' path to it: the emitted file retains them from the root.
    let dump = heapsnap_ok(&["dump", out]);
    let sessions: Vec<serde_json::Value> = dump
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|n| n["class"] == "Session")
        .collect();
    assert_eq!(sessions.len(), 50);
    let id = format!("@{}", sessions[0]["id"]);
    let r = json(&["retainers", "--json", out, &id]);
    let text = r["paths"][0]["text"].as_str().unwrap();
    assert!(text.starts_with("server.js: userCache{table}{"), "{text}");
    let r = json(&["retainers", "--json", "--path", "shortest", out, &id]);
    assert_eq!(r["paths"][0]["from_user_root"], true, "{}", r["paths"][0]["text"]);
}

#[test]
fn help_ends_with_the_notation() {
    for cmd in ["leaks", "diff", "retainers"] {
        let help = heapsnap_ok(&[cmd, "--help"]);
        let legend = &help[help.find("PATHS (how to read \"held by\"):").expect(cmd)..];
        for item in ["server.js: userCache", "{context}", "->name", "{table}", "[*]", "(.next)×400"]
        {
            assert!(legend.contains(item), "{cmd}: {item}");
        }
        assert!(legend.contains("<symbol kEvents>"), "{cmd}");
        assert!(legend.contains("--path shortest"), "{cmd}");
    }
}
