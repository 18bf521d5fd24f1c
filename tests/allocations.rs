//! Allocation sites in `leaks`, `diff` and `retainers` on the tracking fixture
//! (`snapshots/tracking.js`: `makeItem` makes every `TrackedItem`, called by `buildTree`,
//! called by `allocate`; see `snapshots/README.md`). `tests/hunt.rs` checks them on a live hunt
//! with `--track-allocations`, `tests/devtools.rs` against DevTools' own stacks.

use serde_json::Value;

use crate::util::heapsnap_ok;

const TRACKING: &str = "snapshots/tracking.heapsnapshot.gz";

fn json(args: &[&str]) -> Value {
    serde_json::from_str(&heapsnap_ok(args)).unwrap()
}

/// `(function, line, column)` of each frame.
fn frames(v: &Value) -> Vec<(String, u64, u64)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["function"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap_or(0),
                f["column"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn f(name: &str, line: u64, column: u64) -> (String, u64, u64) {
    (name.to_string(), line, column)
}

/// The id of the first node named `name` of type `object` (by the snapshot's own text).
fn first_object_id(file: &str, name: &str) -> u32 {
    let snap = heapsnap_format::HeapSnapshot::from_path(crate::util::root().join(file)).unwrap();
    snap.nodes().find(|n| n.name() == name && n.kind_name() == "object").unwrap().id().0
}

#[test]
fn retainers_say_where_an_object_was_allocated() {
    let id = first_object_id(TRACKING, "TrackedItem");
    let v = json(&["retainers", "--json", TRACKING, &format!("@{id}")]);
    let got = frames(&v["allocation"]);
    assert_eq!(got[..3], [f("makeItem", 34, 20), f("buildTree", 38, 21), f("allocate", 56, 26)]);
    assert!(
        v["allocation"][0]["script"]
            .as_str()
            .unwrap()
            .ends_with("/heapsnap-fixture/top/tracking.js")
    );
    let text = heapsnap_ok(&["retainers", TRACKING, &format!("@{id}")]);
    let line = text.lines().nth(1).unwrap();
    assert!(line.starts_with("allocated at: makeItem ("), "{text}");
    assert!(line.contains("tracking.js:34:20) <- buildTree ("), "{text}");
    // A snapshot without traces: null, and no line.
    let id = first_object_id("snapshots/shapes.heapsnapshot.gz", "Point");
    let v = json(&["retainers", "--json", "snapshots/shapes.heapsnapshot.gz", &format!("@{id}")]);
    assert_eq!(v["allocation"], Value::Null);
    let text = heapsnap_ok(&["retainers", "snapshots/shapes.heapsnapshot.gz", &format!("@{id}")]);
    assert!(!text.contains("allocated"), "{text}");
}

#[test]
fn diff_says_where_new_objects_were_allocated() {
    // hello has no TrackedItem: all 84 of tracking's are new.
    let v = json(&["diff", "--json", "snapshots/hello.heapsnapshot.gz", TRACKING]);
    let rows = v["classes"].as_array().unwrap();
    let items = rows.iter().find(|r| r["name"] == "TrackedItem").unwrap();
    let a = &items["allocations"];
    assert_eq!((a["traced"].as_u64(), a["untraced"].as_u64()), (Some(84), Some(0)), "{a:#}");
    // Round 0 ran from the worker's message, rounds 1 to 3 after an `await`: two sites whose
    // first three frames are equal.
    let sites = a["sites"].as_array().unwrap();
    let counts: Vec<u64> = sites.iter().map(|s| s["count"].as_u64().unwrap()).collect();
    assert_eq!(counts, [63, 21]);
    for s in sites {
        assert_eq!(
            frames(&s["frames"])[..3],
            [f("makeItem", 34, 20), f("buildTree", 38, 21), f("allocate", 56, 26)]
        );
        assert_eq!(s["size"].as_u64().unwrap(), 48 * s["count"].as_u64().unwrap());
    }
    // Rows without new objects have none; a newer snapshot without traces has none anywhere.
    assert!(rows.iter().filter(|r| r["new_count"] == 0).all(|r| r["allocations"].is_null()));
    let v = json(&["diff", "--json", TRACKING, "snapshots/hello.heapsnapshot.gz"]);
    assert!(v["classes"].as_array().unwrap().iter().all(|r| r["allocations"].is_null()));
    // Text: the two sites are one line (they differ only in frames it leaves out).
    let text = heapsnap_ok(&["diff", "snapshots/hello.heapsnapshot.gz", TRACKING]);
    let at = text.find("+84 TrackedItem").expect(&text);
    let block: Vec<&str> = text[at..].lines().take(6).collect();
    assert!(block.contains(&"      allocated at:"), "{block:#?}");
    let site = block.iter().find(|l| l.contains("makeItem")).expect("a makeItem line");
    assert!(site.trim_start().starts_with("84  makeItem ("), "{site}");
    assert!(site.contains("tracking.js:34:20) <- buildTree ("), "{site}");
}

#[test]
fn leaks_findings_say_where_their_objects_were_allocated() {
    let v = json(&["leaks", "--json", "snapshots/hello.heapsnapshot.gz", TRACKING]);
    let items = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["class"] == "TrackedItem")
        .unwrap_or_else(|| panic!("{v:#}"));
    let a = &items["allocations"];
    assert_eq!(a["untraced"], 0, "{a:#}");
    assert_eq!(a["traced"], items["count"]);
    let first = &a["sites"][0];
    assert_eq!(frames(&first["frames"])[0], f("makeItem", 34, 20));
    // Without traces in the last snapshot: null.
    let v = json(&[
        "leaks",
        "--json",
        "snapshots/leaks/intervals-baseline.heapsnapshot.gz",
        "snapshots/leaks/intervals-final.heapsnapshot.gz",
    ]);
    let findings = v["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    assert!(findings.iter().all(|x| x["allocations"].is_null()), "{v:#}");
}
