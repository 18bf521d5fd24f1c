//! Ranking on tiny hand-written snapshots shaped like the real ones: a CommonJS module scope
//! reached only through Node's timer list, an interval nobody cleared, a socket held by a
//! module-level Set and by its handle, a page's script scope.

use heapsnap_format::{HeapSnapshot, NoProgress, NodeIdx};

use super::*;
use crate::{Analysis, AnalysisOptions, HeapGraph};

const NODE_TYPES: [&str; 15] = [
    "hidden",
    "array",
    "string",
    "object",
    "code",
    "closure",
    "regexp",
    "number",
    "native",
    "synthetic",
    "concatenated string",
    "sliced string",
    "symbol",
    "bigint",
    "object shape",
];
const EDGE_TYPES: [&str; 7] =
    ["context", "element", "property", "internal", "hidden", "shortcut", "weak"];

/// A node: type, name, edges (type, name or index, target node).
type N<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str, usize)>);

/// Writes a V8 snapshot with these nodes (ids `2i + 1`, self size 16).
fn snapshot(nodes: &[N<'_>]) -> HeapSnapshot {
    let mut strings: Vec<String> = vec![String::new()];
    let mut sid = |s: &str| -> usize {
        match strings.iter().position(|x| x == s) {
            Some(i) => i,
            None => {
                strings.push(s.to_string());
                strings.len() - 1
            }
        }
    };
    let ty = |t: &str| NODE_TYPES.iter().position(|x| *x == t).expect(t);
    let ety = |t: &str| EDGE_TYPES.iter().position(|x| *x == t).expect(t);
    let mut ns = Vec::new();
    let mut es = Vec::new();
    for (i, (t, name, edges)) in nodes.iter().enumerate() {
        ns.extend([ty(t), sid(name), 2 * i + 1, 16, edges.len()]);
        for (et, n, to) in edges {
            let k = ety(et);
            let n = if matches!(*et, "element" | "hidden") { n.parse().unwrap() } else { sid(n) };
            es.extend([k, n, to * 5]);
        }
    }
    let json = format!(
        r#"{{"snapshot":{{"meta":{{"node_fields":["type","name","id","self_size","edge_count"],
        "node_types":[{nt:?}],"edge_fields":["type","name_or_index","to_node"],
        "edge_types":[{et:?}]}},"node_count":{nc},"edge_count":{ec}}},
        "nodes":{ns:?},"edges":{es:?},"strings":{st:?}}}"#,
        nt = NODE_TYPES,
        et = EDGE_TYPES,
        nc = nodes.len(),
        ec = es.len() / 3,
        st = strings,
    );
    HeapSnapshot::from_slice(json.as_bytes()).unwrap()
}

/// A Node-shaped heap. Indices are named in the comments.
fn node_heap() -> Vec<N<'static>> {
    vec![
        // 0 root
        (
            "synthetic",
            "",
            vec![("shortcut", "global", 1), ("element", "1", 2), ("element", "2", 22)],
        ),
        // 1 global
        ("object", "global", vec![("property", "setTimeout", 12), ("internal", "map", 27)]),
        // 2 (GC roots)
        ("synthetic", "(GC roots)", vec![("element", "1", 3)]),
        // 3 native context
        ("hidden", "system / NativeContext", vec![("internal", "extension", 1)]),
        // 4 server.js module scope
        (
            "object",
            "system / Context",
            vec![
                ("context", "userCache", 8),
                ("context", "sockets", 25),
                ("internal", "previous", 3),
            ],
        ),
        // 5 the request handler, a closure of server.js
        ("closure", "handler", vec![("internal", "context", 4), ("internal", "shared", 6)]),
        // 6 its shared function info, 7 its script
        ("code", "handler", vec![("internal", "script_or_debug_info", 7)]),
        ("code", "/srv/app/server.js", vec![]),
        // 8 userCache, 9 its table, 10 a Session
        ("object", "Map", vec![("internal", "table", 9)]),
        ("array", "", vec![("internal", "1", 10)]),
        ("object", "Session", vec![]),
        // 11 node:internal/timers module scope, 12 setTimeout, 13 its SFI, 14 its script
        (
            "object",
            "system / Context",
            vec![("context", "timerListMap", 15), ("internal", "previous", 3)],
        ),
        ("closure", "setTimeout", vec![("internal", "context", 11), ("internal", "shared", 13)]),
        ("code", "setTimeout", vec![("internal", "script_or_debug_info", 14)]),
        ("code", "node:internal/timers", vec![]),
        // 15 timerListMap, 16 the 30000 ms list, 17 the server's Timeout
        ("object", "Object", vec![("element", "30000", 16)]),
        (
            "object",
            "TimersList",
            vec![("property", "_idleNext", 17), ("property", "_idlePrev", 18)],
        ),
        ("object", "Timeout", vec![("property", "_onTimeout", 5), ("property", "_idleNext", 18)]),
        // 18 an interval nobody cleared, 19 its callback, 20 the callback's context, 21 state
        ("object", "Timeout", vec![("property", "_onTimeout", 19), ("property", "_idlePrev", 17)]),
        ("closure", "poll", vec![("internal", "context", 20)]),
        ("object", "system / Context", vec![("context", "state", 21), ("internal", "previous", 4)]),
        ("object", "PollState", vec![]),
        // 22 an open socket's handle, 23 its TCP wrap, 24 the Socket
        ("synthetic", "Node / TCPSocketWrap", vec![("internal", "native_to_javascript", 23)]),
        (
            "object",
            "TCP",
            vec![
                ("property", "<symbol owner_symbol>", 24),
                ("internal", "javascript_to_native", 22),
            ],
        ),
        ("object", "Socket", vec![("property", "_handle", 23)]),
        // 25 sockets (a Set in server.js), 26 its table
        ("object", "Set", vec![("internal", "table", 26)]),
        ("array", "", vec![("internal", "1", 24)]),
        // 27 the global's map
        ("object shape", "system / Map", vec![]),
    ]
}

fn finder_of<'a, 's>(g: &'a HeapGraph<'s>, a: &'a Analysis, mode: PathMode) -> PathFinder<'a, 's> {
    PathFinder::new(g, a, mode)
}

fn analyze(snap: &HeapSnapshot) -> (HeapGraph<'_>, Analysis) {
    let g = HeapGraph::new(snap);
    let a = Analysis::new(&g, &AnalysisOptions::default(), &mut NoProgress);
    (g, a)
}

#[test]
fn a_module_variable_is_named_by_its_script() {
    let snap = snapshot(&node_heap());
    let (g, a) = analyze(&snap);
    let user = finder_of(&g, &a, PathMode::User);
    let h = user.holder_of(NodeIdx(10)).unwrap();
    assert_eq!(h.text, "server.js: userCache{table}{1}");
    assert_eq!(h.signature, "server.js: userCache{table}{*}");
    assert_eq!(h.origin, Origin::ModuleScope);
    assert_eq!(h.script.as_deref(), Some("/srv/app/server.js"));
    assert_eq!(h.note, None);
    assert_eq!(h.steps[0].edge, None);
    assert_eq!(h.steps[0].node.name, "system / Context");
    assert_eq!(h.steps.last().unwrap().node.class, "Session");
    // DevTools' shortest path goes through Node's timer list.
    let shortest = finder_of(&g, &a, PathMode::Shortest);
    let h = shortest.holder_of(NodeIdx(10)).unwrap();
    assert_eq!(
        h.text,
        "global.setTimeout{context}->timerListMap[30000]._idleNext._onTimeout{context}->userCache{table}{1}"
    );
    assert_eq!(h.note, None);
    // Both modes retain the same objects.
    for v in 0..snap.node_count() as u32 {
        assert_eq!(user.is_retained(NodeIdx(v)), shortest.is_retained(NodeIdx(v)), "node {v}");
    }
}

#[test]
fn an_object_only_a_timer_list_holds_is_labelled() {
    let snap = snapshot(&node_heap());
    let (g, a) = analyze(&snap);
    let user = finder_of(&g, &a, PathMode::User);
    let h = user.holder_of(NodeIdx(21)).unwrap();
    assert_eq!(
        h.note.as_deref(),
        Some("held only by Node's timer list: an interval nobody cleared"),
        "{}",
        h.text
    );
    assert!(h.text.contains("->timerListMap[30000]"), "{}", h.text);
    assert!(h.text.ends_with("._onTimeout{context}->state"), "{}", h.text);
    assert!(user.cost(NodeIdx(21)).unwrap().penalty > 0);
    assert_eq!(user.cost(NodeIdx(10)).unwrap().penalty, 0);
}

#[test]
fn a_socket_in_a_module_set_is_held_by_the_set_and_its_handle() {
    let snap = snapshot(&node_heap());
    let (g, a) = analyze(&snap);
    let user = finder_of(&g, &a, PathMode::User);
    let hs = user.holders(NodeIdx(24), 4);
    let texts: Vec<&str> = hs.iter().map(|h| h.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "server.js: sockets{table}{1}",
            "Node / TCPSocketWrap{native_to_javascript}[\"<symbol owner_symbol>\"]"
        ]
    );
    assert_eq!(hs[1].origin, Origin::Handle);
    assert_eq!(hs[1].note, None, "only the first holder says what holds the object");
}

#[test]
fn paths_come_best_first_and_match_the_tree() {
    let snap = snapshot(&node_heap());
    let (g, a) = analyze(&snap);
    for mode in [PathMode::User, PathMode::Shortest] {
        let f = finder_of(&g, &a, mode);
        for v in [10u32, 21, 24] {
            let v = NodeIdx(v);
            let paths = f.paths(v, &PathOptions::default().with_max_paths(5));
            assert!(!paths.is_empty());
            let tree = f.path_to(v).unwrap();
            assert_eq!(f.penalty(&paths[0]), f.penalty(&tree), "{mode:?} {v:?}");
            assert_eq!(paths[0].edges.len(), tree.edges.len(), "{mode:?} {v:?}");
            let costs: Vec<(u32, usize)> =
                paths.iter().map(|p| (f.penalty(p), p.edges.len())).collect();
            assert!(costs.windows(2).all(|w| w[0] <= w[1]), "{mode:?} {costs:?}");
            for p in &paths {
                assert_eq!(p.nodes.len(), p.edges.len() + 1);
                assert_eq!(*p.nodes.last().unwrap(), v);
                for (i, &e) in p.edges.iter().enumerate() {
                    assert_eq!(g.edge_source(e), p.nodes[i]);
                    assert_eq!(g.edge_target(e), p.nodes[i + 1]);
                }
                let mut seen = p.nodes.clone();
                seen.sort();
                seen.dedup();
                assert_eq!(seen.len(), p.nodes.len(), "simple path");
            }
        }
    }
}

#[test]
fn a_module_scope_asked_about_shows_what_holds_it() {
    let snap = snapshot(&node_heap());
    let (g, a) = analyze(&snap);
    let user = finder_of(&g, &a, PathMode::User);
    let paths = user.paths(NodeIdx(4), &PathOptions::default());
    assert!(!paths.is_empty());
    assert_eq!(*paths[0].nodes.last().unwrap(), NodeIdx(4));
    assert!(paths[0].nodes.len() > 1, "not the scope alone");
}

#[test]
fn scripts_with_one_file_name_are_told_apart() {
    let mut nodes = node_heap();
    // A second module `/srv/app/lib/server.js` holding a Session of its own.
    let n = nodes.len();
    nodes[0].2.push(("element", "3", n)); // root -> a handle keeping the second module alive
    nodes.push((
        "synthetic",
        "Node / TimerWrap",
        vec![("internal", "native_to_javascript", n + 1)],
    ));
    nodes.push((
        "closure",
        "tick",
        vec![("internal", "context", n + 2), ("internal", "shared", n + 3)],
    ));
    nodes.push((
        "object",
        "system / Context",
        vec![("context", "sessions", n + 5), ("internal", "previous", 3)],
    ));
    nodes.push(("code", "tick", vec![("internal", "script_or_debug_info", n + 4)]));
    nodes.push(("code", "/srv/app/lib/server.js", vec![]));
    nodes.push(("object", "Array", vec![("element", "0", n + 6)]));
    nodes.push(("object", "Session", vec![]));
    let snap = snapshot(&nodes);
    let (g, a) = analyze(&snap);
    let user = finder_of(&g, &a, PathMode::User);
    assert_eq!(user.holder_of(NodeIdx(10)).unwrap().text, "app/server.js: userCache{table}{1}");
    assert_eq!(user.holder_of(NodeIdx(n as u32 + 6)).unwrap().text, "lib/server.js: sessions[0]");
}

#[test]
fn a_page_script_scope_is_named_after_its_window() {
    let nodes: Vec<N<'static>> = vec![
        // 0 root
        ("synthetic", "", vec![("element", "1", 1)]),
        // 1 (GC roots), 2 the native context
        ("synthetic", "(GC roots)", vec![("element", "17", 2)]),
        (
            "hidden",
            "system / NativeContext / https://a.b",
            vec![("internal", "global_object", 3), ("internal", "script_context_table", 4)],
        ),
        // 3 the global object, 4 the script context table, 5 a script's context
        ("object", "Window [JSGlobalObject] / https://a.b", vec![]),
        ("hidden", "system / ScriptContextTable", vec![("hidden", "0", 5)]),
        (
            "object",
            "system / Context",
            vec![("context", "widgets", 6), ("internal", "previous", 2)],
        ),
        // 6 widgets, 7 a widget, 8 a closure of the script, 9 its SFI, 10 the script
        ("object", "Array", vec![("element", "147", 7)]),
        ("object", "Widget", vec![("property", "render", 8)]),
        ("closure", "render", vec![("internal", "context", 5), ("internal", "shared", 9)]),
        ("code", "render", vec![("internal", "script_or_debug_info", 10)]),
        ("code", "https://a.b/js/app.js", vec![]),
    ];
    let snap = snapshot(&nodes);
    let (g, a) = analyze(&snap);
    let user = finder_of(&g, &a, PathMode::User);
    let h = user.holder_of(NodeIdx(7)).unwrap();
    assert_eq!(h.text, "Window(https://a.b) / app.js: widgets[147]");
    assert_eq!(h.origin, Origin::ScriptScope);
    let shortest = finder_of(&g, &a, PathMode::Shortest);
    assert_eq!(
        shortest.holder_of(NodeIdx(7)).unwrap().text,
        "(GC roots)[17]{script_context_table}[0]->widgets[147]"
    );
}
