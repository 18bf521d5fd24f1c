//! Unit tests on tiny hand-written snapshots: layouts, escapes, chunking, round trips, errors.

use std::io::{self, Read};

use crate::*;

const META7: &str = r#"{"node_fields":["type","name","id","self_size","edge_count","trace_node_id","detachedness"],
"node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic","concatenated string","sliced string","symbol","bigint","object shape","wasm object"],"string","number","number","number","number","number"],
"edge_fields":["type","name_or_index","to_node"],
"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"],
"trace_function_info_fields":["function_id","name","script_name","script_id","line","column"],
"trace_node_fields":["id","function_info_index","count","size","children"],
"sample_fields":["timestamp_us","last_assigned_id"],
"location_fields":["object_index","script_id","line","column"]}"#;

/// A 3-node Node-20-shaped snapshot: root -> (shortcut "g") global -> (property "x") string.
fn node20(strings: &str) -> String {
    format!(
        r#"{{"snapshot":{{"meta":{META7},"node_count":3,"edge_count":2,"trace_function_count":0}},
"nodes":[9,0,1,0,1,0,0
,3,1,3,24,1,0,1
,2,3,5,16,0,0,0],
"edges":[5,4,7
,2,2,14],
"trace_function_infos":[],
"trace_tree":[],
"samples":[],
"locations":[7,1,2,3],
"strings":{strings}}}"#
    )
}

fn basic() -> String {
    node20(r#"["","global","x","hello","g"]"#)
}

/// A reader that hands out one byte per `read`, so every chunk boundary is exercised.
struct Trickle<'a>(&'a [u8]);
impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.0.is_empty() || buf.is_empty() {
            return Ok(0);
        }
        buf[0] = self.0[0];
        self.0 = &self.0[1..];
        Ok(1)
    }
}

fn roundtrip(s: &HeapSnapshot) -> HeapSnapshot {
    let mut out = Vec::new();
    s.write_to(&mut out).unwrap();
    HeapSnapshot::from_slice(&out).unwrap()
}

fn parse_err(json: &str) -> Error {
    HeapSnapshot::from_slice(json.as_bytes()).expect_err("must fail")
}

#[test]
fn parses_node20_layout() {
    let s = HeapSnapshot::from_slice(basic().as_bytes()).unwrap();
    assert_eq!((s.node_count(), s.edge_count(), s.strings().len()), (3, 2, 5));
    let g = s.node(NodeIdx(1));
    assert_eq!(
        (g.kind(), g.name(), g.id(), g.self_size(), g.edge_count()),
        (NodeKind::Object, "global", ObjectId(3), 24, 1)
    );
    assert_eq!(g.detachedness(), Some(1));
    assert_eq!(g.trace_node_id(), Some(0));
    let root_edge = s.node(NodeIdx(0)).edges().next().unwrap();
    assert_eq!(
        (root_edge.kind(), root_edge.name_str(), root_edge.to()),
        (EdgeKind::Shortcut, Some("g"), NodeIdx(1))
    );
    let e = s.node(NodeIdx(1)).edges().next().unwrap();
    assert_eq!((e.kind(), e.name_str(), e.to()), (EdgeKind::Property, Some("x"), NodeIdx(2)));
    assert_eq!(s.total_self_size(), 40);
    assert_eq!(s.locations(), Some(&[1u32, 1, 2, 3][..]), "object_index 7 is node 1");
    assert_eq!(s.find(ObjectId(5)), Some(NodeIdx(2)));
    assert_eq!(s.find(ObjectId(4)), None);
    assert_eq!(roundtrip(&s), s);
}

#[test]
fn every_chunk_boundary() {
    let json = node20(r#"["","global","x","h\u00E9llo \uD83D\uDE00 \uD83D tail","g"]"#);
    let whole = HeapSnapshot::from_slice(json.as_bytes()).unwrap();
    let trickled = HeapSnapshot::from_reader(Trickle(json.as_bytes())).unwrap();
    assert_eq!(whole, trickled);
    assert_eq!(trickled.string(StringIdx(3)), "h\u{e9}llo \u{1F600} \u{FFFD} tail");
}

#[test]
fn six_fields_reordered_and_extra_field() {
    // No trace_node_id/detachedness (Node 12/14), fields in another order, plus a field we do
    // not know: all go by name.
    let json = r#"{"snapshot":{"meta":{"node_fields":["name","type","edge_count","id","self_size","future"],
"node_types":[["synthetic","object"]],"edge_fields":["to_node","type","name_or_index"],
"edge_types":[["element","property"]]},"node_count":2,"edge_count":1},
"nodes":[0,0,1,1,0,7, 1,1,0,3,8,9],"edges":[6,1,2],"strings":["","Foo","bar"]}"#;
    let s = HeapSnapshot::from_slice(json.as_bytes()).unwrap();
    let foo = s.node(NodeIdx(1));
    assert_eq!(
        (foo.name(), foo.kind(), foo.id(), foo.self_size(), foo.detachedness()),
        ("Foo", NodeKind::Object, ObjectId(3), 8, None)
    );
    let e = s.node(NodeIdx(0)).edges().next().unwrap();
    assert_eq!((e.to(), e.name_str()), (NodeIdx(1), Some("bar")));
    let back = roundtrip(&s);
    assert_eq!(back, s);
    assert_eq!(back.node_extra, vec![vec![7, 9]]);
}

#[test]
fn node_types_past_the_listed_ones_are_named_as_v8_orders_them() {
    // V8 6.x (Node 8) lists 12 node types but writes `symbol` nodes as type 12. DevTools
    // loads such files; so do we, naming 12 after V8's type order, with one warning.
    let v8_6 = r#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
"node_types":[["hidden","array","string","object","code","closure","regexp","number","native",
"synthetic","concatenated string","sliced string"]],"edge_fields":["type","name_or_index","to_node"],
"edge_types":[["element","property"]]},"node_count":4,"edge_count":1},
"nodes":[9,0,1,0,1, 12,1,3,16,0, 13,1,5,16,0, 12,1,7,16,0],"edges":[1,2,5],"strings":["","Symbol(x)","s"]}"#;
    let s = HeapSnapshot::from_slice(v8_6.as_bytes()).unwrap();
    assert_eq!(s.meta().listed_node_type_count(), 12);
    assert_eq!(&s.meta().node_type_names()[12..], ["symbol", "bigint"]);
    assert_eq!(
        (s.node(NodeIdx(1)).kind(), s.node(NodeIdx(1)).kind_name()),
        (NodeKind::Symbol, "symbol")
    );
    assert_eq!(s.node(NodeIdx(2)).kind(), NodeKind::BigInt);
    assert_eq!(s.warnings().len(), 1, "{:?}", s.warnings());
    assert_eq!(s.warnings()[0].section, Section::Nodes);
    assert!(
        s.warnings()[0].message.contains("read 12 as `symbol`, 13 as `bigint`"),
        "{}",
        s.warnings()[0]
    );
    // Written back as read (meta unchanged), and read back the same.
    assert_eq!(roundtrip(&s), s);
    // The same on the careful one-value-at-a-time path.
    assert_eq!(HeapSnapshot::from_reader(Chunks(v8_6.as_bytes(), 1)).unwrap(), s);
    // A list that is not V8's order gets neutral names.
    let odd = v8_6.replace(r#"[["hidden","array""#, r#"[["array","hidden""#);
    let s = HeapSnapshot::from_slice(odd.as_bytes()).unwrap();
    assert_eq!(&s.meta().node_type_names()[12..], ["unlisted type 12", "unlisted type 13"]);
    assert_eq!(s.node(NodeIdx(1)).kind(), NodeKind::Other(12));
}

#[test]
fn unknown_types_and_sections_survive() {
    let json = r#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
"node_types":[["synthetic","brand new type"]],"edge_fields":["type","name_or_index","to_node"],
"edge_types":[["element","mystery"]]},"node_count":2,"edge_count":1,"extra_native_bytes":12345},
"nodes":[0,0,1,0,1, 1,1,3,8,0],"edges":[1,2,5],"scopes":[1,2,[3]],"scope_uses":{"a":"]}\""},"strings":["","Foo","bar"]}"#;
    let s = HeapSnapshot::from_slice(json.as_bytes()).unwrap();
    assert_eq!(s.node(NodeIdx(1)).kind(), NodeKind::Other(1));
    assert_eq!(s.node(NodeIdx(1)).kind_name(), "brand new type");
    assert_eq!(s.node(NodeIdx(0)).edges().next().unwrap().kind(), EdgeKind::Other(1));
    assert_eq!(s.extra_native_bytes(), Some(12345));
    assert_eq!(s.extra_section("scopes"), Some(&b"[1,2,[3]]"[..]));
    assert_eq!(s.extra_section("scope_uses"), Some(&br#"{"a":"]}\""}"#[..]));
    assert_eq!(roundtrip(&s), s);
}

#[test]
fn strings_round_trip_exactly() {
    let long = "x".repeat(100_000);
    let strings = format!(
        r#"["","global","x","quote \" backslash \\ slash \/ ctl \b\f\n\r\t \u0001 \u007F é\u00e9 中 \uF600 \uD83D\uDE00 lone-hi \uD83D lone-lo \uDE00 hi-hi \uD83D\uD83D\uDE00 end \uD83D","{long}"]"#
    );
    let s = HeapSnapshot::from_slice(node20(&strings).as_bytes()).unwrap();
    let t = s.string(StringIdx(3));
    assert!(t.contains(
        "quote \" backslash \\ slash / ctl \u{8}\u{c}\n\r\t \u{1} \u{7f} éé 中 \u{F600} \u{1F600}"
    ));
    assert!(s.strings().has_lone_surrogates(StringIdx(3)));
    assert!(!s.strings().has_lone_surrogates(StringIdx(4)));
    assert_eq!(s.string(StringIdx(4)).len(), 100_000);
    let mut out = Vec::new();
    s.write_to(&mut out).unwrap();
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(text.is_ascii(), "V8 writes pure ASCII");
    assert!(
        text.contains(r#"lone-hi \uD83D lone-lo \uDE00 hi-hi \uD83D\uD83D\uDE00 end \uD83D""#),
        "{text}"
    );
    assert!(text.contains(r#"\u00E9\u00E9 \u4E2D \uF600 \uD83D\uDE00"#));
    assert_eq!(HeapSnapshot::from_slice(&out).unwrap(), s);
}

#[test]
fn raw_utf8_input_is_accepted_and_invalid_utf8_rejected() {
    let s = HeapSnapshot::from_slice(node20(r#"["","global","x","é😀","g"]"#).as_bytes()).unwrap();
    assert_eq!(s.string(StringIdx(3)), "é😀");
    let mut bad = node20(r#"["","global","x","AB","g"]"#).into_bytes();
    let at = bad.windows(2).position(|w| w == b"AB").unwrap();
    bad[at] = 0xff;
    let e = HeapSnapshot::from_slice(&bad).unwrap_err();
    assert_eq!(e.section(), Some(Section::Strings));
    assert!(e.to_string().contains("not valid UTF-8"), "{e}");
}

#[test]
fn gzip_is_detected_by_content() {
    use flate2::write::GzEncoder;
    use std::io::Write;
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(basic().as_bytes()).unwrap();
    let bytes = gz.finish().unwrap();
    let s = HeapSnapshot::from_slice(&bytes).unwrap();
    assert_eq!(s, HeapSnapshot::from_slice(basic().as_bytes()).unwrap());
    let mut out = Vec::new();
    s.write_with(&mut out, &WriteOptions::gzip(true)).unwrap();
    assert_eq!(&out[..2], &[0x1f, 0x8b]);
    assert_eq!(HeapSnapshot::from_slice(&out).unwrap(), s);
}

#[test]
fn allocation_tracking_sections_round_trip() {
    let json = format!(
        r#"{{"snapshot":{{"meta":{META7},"node_count":1,"edge_count":0,"trace_function_count":2}},
"nodes":[9,0,1,0,0,1,0],"edges":[],
"trace_function_infos":[1,0,0,0,0,0,2,0,0,3,4,5],
"trace_tree":[1,0,0,0,[2,1,3,48,[4,1,1,16,[]],5,0,0,0,[]]],
"samples":[100,9,200,11],"locations":[],"strings":[""]}}"#
    );
    let s = HeapSnapshot::from_slice(json.as_bytes()).unwrap();
    assert!(s.warnings().is_empty());
    let t = s.trace_tree().unwrap();
    assert_eq!(t.len(), 4);
    assert_eq!(t.flat, vec![1, 0, 0, 0, 2, 2, 1, 3, 48, 1, 4, 1, 1, 16, 0, 5, 0, 0, 0, 0]);
    let mut out = Vec::new();
    s.write_to(&mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains(r#""trace_tree":[1,0,0,0,[2,1,3,48,[4,1,1,16,[]],5,0,0,0,[]]]"#),
        "{text}"
    );
    assert_eq!(roundtrip(&s), s);
}

#[test]
fn trace_function_count_mismatch_is_a_warning() {
    // Node 24 with allocation tracking can write a count that disagrees with the array.
    let json = format!(
        r#"{{"snapshot":{{"meta":{META7},"node_count":1,"edge_count":0,"trace_function_count":5}},
"nodes":[9,0,1,0,0,0,0],"edges":[],"trace_function_infos":[1,0,0,0,0,0],"trace_tree":[],"samples":[],"locations":[],"strings":[""]}}"#
    );
    let s = HeapSnapshot::from_slice(json.as_bytes()).unwrap();
    assert_eq!(s.warnings().len(), 1);
    assert!(
        s.warnings()[0]
            .message
            .contains("trace_function_count is 5 but trace_function_infos holds 1")
    );
    let mut out = Vec::new();
    s.write_to(&mut out).unwrap();
    assert!(String::from_utf8(out).unwrap().contains(r#""trace_function_count":1"#));
}

#[test]
fn write_path_is_atomic_and_leaves_nothing_on_failure() {
    let dir = tempfile::tempdir().unwrap();
    let s = HeapSnapshot::from_slice(basic().as_bytes()).unwrap();
    let p = dir.path().join("out.heapsnapshot");
    s.write_path(&p, &WriteOptions::default()).unwrap();
    assert_eq!(HeapSnapshot::from_path(&p).unwrap(), s);
    let missing = dir.path().join("no/such/dir/out.heapsnapshot");
    assert!(s.write_path(&missing, &WriteOptions::default()).is_err());
    let leftovers: Vec<_> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("out.heapsnapshot")]);
}

#[test]
fn progress_sees_every_byte() {
    #[derive(Default)]
    struct P(u64, u64);
    impl Progress for P {
        fn set_total(&mut self, t: u64) {
            self.0 = t;
        }
        fn advance(&mut self, d: u64) {
            self.1 += d;
        }
    }
    let json = basic();
    let mut p = P::default();
    ParseOptions::default().parse_slice(json.as_bytes(), &mut p).unwrap();
    assert_eq!((p.0, p.1), (json.len() as u64, json.len() as u64));
}

fn at(json: &str, needle: &str) -> u64 {
    json.find(needle).unwrap_or_else(|| panic!("{needle} not in {json}")) as u64
}

#[test]
fn errors_name_section_and_offset() {
    let good = basic();
    // to_node not a multiple of the field count.
    let j = good.replace("2,2,14]", "2,2,15]");
    let e = parse_err(&j);
    assert_eq!((e.section(), e.offset()), (Some(Section::Edges), Some(at(&j, "15]"))));
    assert!(
        e.to_string().contains("to_node 15 is not a multiple of the node field count 7"),
        "{e}"
    );
    // to_node out of range.
    let j = good.replace("2,2,14]", "2,2,21]");
    let e = parse_err(&j);
    assert!(e.to_string().contains("to_node 21 points past the last node"), "{e}");
    // Overflow.
    let j = good.replace(",2,3,5,16,", ",2,3,5,4294967296,");
    let e = parse_err(&j);
    assert_eq!((e.section(), e.offset()), (Some(Section::Nodes), Some(at(&j, "4294967296"))));
    assert!(e.to_string().contains("does not fit in 32 bits"));
    // Non-numeric values.
    for (bad, what) in [
        ("-16", "found `-`"),
        ("16.5", "fractions"),
        ("\"16\"", "found `\"`"),
        ("null", "found `n`"),
        ("1e3", "exponents"),
    ] {
        let j = good.replace(",2,3,5,16,", &format!(",2,3,5,{bad},"));
        let e = parse_err(&j);
        assert_eq!(e.section(), Some(Section::Nodes), "{bad}");
        assert!(e.to_string().contains(what), "{bad}: {e}");
    }
    // edge_count sum disagrees with the header.
    let j =
        good.replace("\"edge_count\":2", "\"edge_count\":3").replace("2,2,14]", "2,2,14,2,2,7]");
    let e = parse_err(&j);
    assert_eq!(e.section(), Some(Section::Nodes));
    assert!(
        e.to_string().contains("edge_count fields add up to 2 but snapshot.edge_count is 3"),
        "{e}"
    );
    // Node name out of the string table.
    let j = node20(r#"["","global","x","hello"]"#);
    let e = parse_err(&j);
    assert!(
        e.to_string().contains("edge name refers to string 4 but there are only 4 strings"),
        "{e}"
    );
    // Too many / too few node values.
    let e = parse_err(&good.replace(",2,3,5,16,0,0,0]", ",2,3,5,16,0,0,0,1]"));
    assert!(e.to_string().contains("more than node_count (3)"), "{e}");
    let e = parse_err(&good.replace(",2,3,5,16,0,0,0]", ",2,3,5,16,0,0]"));
    assert!(e.to_string().contains("too few"), "{e}");
}

#[test]
fn truncation_anywhere_is_an_error_never_a_panic() {
    let json = basic();
    for cut in 0..json.len() - 1 {
        let e = HeapSnapshot::from_slice(&json.as_bytes()[..cut])
            .expect_err("truncated input must fail");
        let msg = e.to_string();
        assert!(msg.contains("byte offset"), "cut {cut}: {msg}");
    }
}

#[test]
fn header_problems() {
    let e = parse_err(r#"{"nodes":[],"snapshot":{}}"#);
    assert!(e.to_string().contains("`nodes` comes before the `snapshot` header"), "{e}");
    let e = parse_err(
        r#"{"snapshot":{"node_count":0,"edge_count":0},"nodes":[],"edges":[],"strings":[]}"#,
    );
    assert!(e.to_string().contains("`snapshot` has no `meta`"), "{e}");
    let e = parse_err(&basic().replace(
        r#""edge_fields":["type","name_or_index","to_node"]"#,
        r#""edge_fields":["type","name_or_index"]"#,
    ));
    assert!(e.to_string().contains("`meta.edge_fields` lacks `to_node`"), "{e}");
    let e = parse_err(
        &basic().replace(r#"["","global","x","hello","g"]"#, "[]").replace(",\n\"strings\":[]", ""),
    );
    assert!(e.to_string().contains("no `strings` section"), "{e}");
    let e = parse_err("");
    assert!(e.to_string().contains("empty input"), "{e}");
    let e = parse_err("PK\x03\x04");
    assert!(e.to_string().contains("is this a .heapsnapshot file"), "{e}");
    let e = parse_err(&basic().replace("\"node_count\":3", "\"node_count\":4294967295"));
    assert!(e.to_string().contains("does not fit in 32-bit node array indices"), "{e}");
}

#[test]
fn lying_header_does_not_allocate_blindly() {
    // 4e8 nodes declared, almost no data: must fail fast with a count error, not allocate GBs.
    let json = basic().replace("\"node_count\":3", "\"node_count\":400000000");
    let e = HeapSnapshot::from_reader(json.as_bytes()).unwrap_err();
    assert!(e.to_string().contains("too few"), "{e}");
}

/// Real Node 20 data rewritten in the other layouts V8 has shipped: the parser must read the
/// same columns back whatever the field order, count and optional sections.
#[test]
fn real_snapshot_in_every_layout() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../snapshots/shapes.heapsnapshot.gz");
    let orig = HeapSnapshot::from_path(path).unwrap();
    let relayout = |fields: &[&str], f: &dyn Fn(&mut HeapSnapshot)| -> HeapSnapshot {
        let mut s = HeapSnapshot::from_path(path).unwrap();
        let mut raw = s.meta.raw.clone();
        raw.insert("node_fields".into(), serde_json::json!(fields));
        s.meta = crate::meta::Meta::from_json(raw.clone()).unwrap();
        s.header.insert("meta".into(), serde_json::Value::Object(raw));
        if !fields.contains(&"trace_node_id") {
            s.node_trace_node_id.clear();
        }
        if !fields.contains(&"detachedness") {
            s.node_detachedness.clear();
        }
        f(&mut s);
        let mut out = Vec::new();
        s.write_to(&mut out).unwrap();
        let back = HeapSnapshot::from_slice(&out).unwrap();
        assert!(back == s, "layout {fields:?} did not round-trip");
        back
    };
    let same_core = |s: &HeapSnapshot| {
        assert_eq!(s.node_type, orig.node_type);
        assert_eq!(s.node_name, orig.node_name);
        assert_eq!(s.node_id, orig.node_id);
        assert_eq!(s.node_self_size, orig.node_self_size);
        assert_eq!(s.first_edge, orig.first_edge);
        assert_eq!(s.edge_to, orig.edge_to);
        assert_eq!(s.strings, orig.strings);
    };
    // Node 12/14 (V8 <= 8.x): six fields, no detachedness.
    let node14 =
        relayout(&["type", "name", "id", "self_size", "edge_count", "trace_node_id"], &|_| {});
    same_core(&node14);
    assert!(node14.node_detachedness().is_empty());
    // V8 13.7+: six fields, detachedness but no trace_node_id; extra_native_bytes; 5-field
    // locations; 15 node types; the newest scope sections.
    let newest =
        relayout(&["type", "name", "id", "self_size", "edge_count", "detachedness"], &|s| {
            s.header.insert("extra_native_bytes".into(), serde_json::json!(123_456_789_012u64));
            let mut raw = s.meta.raw.clone();
            raw.insert(
                "location_fields".into(),
                serde_json::json!([
                    "object_index",
                    "script_id",
                    "script_object_index",
                    "line",
                    "column"
                ]),
            );
            let mut types = raw["node_types"].clone();
            types[0].as_array_mut().unwrap().pop();
            raw.insert("node_types".into(), types);
            raw.insert("scope_fields".into(), serde_json::json!(["id", "name"]));
            s.meta = crate::meta::Meta::from_json(raw.clone()).unwrap();
            s.header.insert("meta".into(), serde_json::Value::Object(raw));
            let loc = s.locations.take().unwrap();
            s.locations = Some(loc.chunks(4).flat_map(|r| [r[0], r[1], 7, r[2], r[3]]).collect());
            s.extra_sections.push(("scopes".into(), b"[1,2,3,4]".to_vec().into_boxed_slice()));
        });
    same_core(&newest);
    assert!(newest.node_trace_node_ids().is_empty());
    assert_eq!(newest.node_detachedness, orig.node_detachedness);
    assert_eq!(newest.extra_native_bytes(), Some(123_456_789_012));
    assert_eq!(newest.meta().node_type_names().len(), 15);
    assert_eq!(newest.extra_section("scopes"), Some(&b"[1,2,3,4]"[..]));
    // Fields in an order no V8 wrote: still read by name.
    let shuffled = relayout(
        &["edge_count", "detachedness", "self_size", "id", "trace_node_id", "name", "type"],
        &|_| {},
    );
    same_core(&shuffled);
    assert_eq!(shuffled.node_trace_node_id, orig.node_trace_node_id);
}

#[test]
fn root_index_is_a_node_array_index() {
    // DevTools reads `root_index` as an index into the nodes array, like `to_node`.
    let json = basic()
        .replace("\"trace_function_count\":0", "\"trace_function_count\":0,\"root_index\":14");
    let s = HeapSnapshot::from_slice(json.as_bytes()).unwrap();
    assert_eq!(s.root(), NodeIdx(2));
    let e = parse_err(
        &basic()
            .replace("\"trace_function_count\":0", "\"trace_function_count\":0,\"root_index\":2"),
    );
    assert!(e.to_string().contains("root_index` 2 is not the node array index of a node"), "{e}");
}

/// Found by the fuzzer: a declared trace_function_count without the array made the header
/// change on a round trip; and an unknown section with invalid JSON was kept verbatim.
#[test]
fn fuzz_regressions_trace_count_and_invalid_extra_sections() {
    let json = format!(
        r#"{{"snapshot":{{"meta":{META7},"node_count":1,"edge_count":0,"trace_function_count":2}},
"nodes":[9,0,1,0,0,1,0],"edges":[],"samples":[],"strings":[""]}}"#
    );
    let s = HeapSnapshot::from_slice(json.as_bytes()).unwrap();
    assert_eq!(s.warnings().len(), 1);
    assert_eq!(s.header()["trace_function_count"], 0);
    assert_eq!(roundtrip(&s), s);
    let bad =
        json.replace(r#""samples":[],"#, r#""samples":[],"trace_func--tion_infos":[1,2LLL],"#);
    let e = parse_err(&bad);
    assert_eq!(e.section(), Some(Section::Other));
    assert!(e.to_string().contains("invalid JSON in `trace_func--tion_infos`"), "{e}");
}

/// Fuzzer findings: gzip read one byte at a time, floats in the header, absurdly deep
/// trace trees.
#[test]
fn fuzz_regressions_gzip_trickle_header_float_deep_trace_tree() {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(basic().as_bytes()).unwrap();
    let bytes = gz.finish().unwrap();
    let s = HeapSnapshot::from_reader(Trickle(&bytes)).unwrap();
    assert_eq!(s, HeapSnapshot::from_slice(basic().as_bytes()).unwrap());

    let json = basic().replace(
        "\"trace_function_count\":0",
        "\"trace_function_count\":0,\"f\":1.5777777777770002",
    );
    let s = HeapSnapshot::from_slice(json.as_bytes()).unwrap();
    assert_eq!(roundtrip(&s), s);

    let deep = format!(
        r#"{{"snapshot":{{"meta":{META7},"node_count":1,"edge_count":0}},"nodes":[9,0,1,0,0,0,0],"edges":[],"trace_tree":{}1,0,0,0{}"strings":[""]}}"#,
        "[1,0,0,0,".repeat(70_000),
        "]".repeat(70_000)
    );
    let e = parse_err(&deep);
    assert!(e.to_string().contains("trace_tree is nested deeper than 65536 levels"), "{e}");
}

/// The text of a real snapshot (V8's own layout: one node or edge per line).
fn real_text(name: &str) -> String {
    let path = format!("{}/../../snapshots/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// The offset of the `row`-th line of `section` (the text after `"section":[`), and that line.
fn row_of(text: &str, section: &str, row: usize) -> (usize, String) {
    let start = text.find(&format!("\"{section}\":[")).unwrap() + section.len() + 4;
    let mut at = start;
    for _ in 0..row {
        at += text[at..].find('\n').unwrap() + 1;
    }
    // Lines after the first start with the separating comma.
    if text.as_bytes()[at] == b',' {
        at += 1;
    }
    let end = at + text[at..].find(['\n', ']']).unwrap();
    (at, text[at..end].to_string())
}

fn replace_at(text: &str, at: usize, old: &str, new: &str) -> String {
    assert!(text[at..].starts_with(old));
    format!("{}{new}{}", &text[..at], &text[at + old.len()..])
}

#[test]
fn row_fast_path_equals_the_value_at_a_time_path() {
    // From a slice, whole rows go through the fast path; a reader that hands out one byte at a
    // time never has a whole row buffered, so every value takes the careful path.
    for name in
        ["shapes.heapsnapshot.gz", "tracking.heapsnapshot.gz", "chrome-page.heapsnapshot.gz"]
    {
        let text = real_text(name);
        let fast = HeapSnapshot::from_slice(text.as_bytes()).unwrap();
        let careful = HeapSnapshot::from_reader(Trickle(text.as_bytes())).unwrap();
        assert_eq!(fast, careful, "{name}");
        // Whitespace anywhere between values is fine, and changes nothing.
        let spaced = text.replace("\n,", " ,\r\n\t");
        assert_eq!(HeapSnapshot::from_slice(spaced.as_bytes()).unwrap(), fast, "{name}");
    }
}

#[test]
fn errors_inside_long_arrays_are_exact() {
    // Deep inside real arrays, where rows are read whole: the same errors and offsets as for a
    // lone value.
    let text = real_text("shapes.heapsnapshot.gz");
    let snap = HeapSnapshot::from_slice(text.as_bytes()).unwrap();
    let strings = snap.strings.len();
    let (at, row) = row_of(&text, "edges", 5000);
    let f: Vec<&str> = row.split(',').collect();
    let (ty, name, to) = (f[0], f[1], f[2]);
    let to_at = at + ty.len() + name.len() + 2;
    let to_n: u64 = to.parse().unwrap();
    let cases: Vec<(String, u64, String)> = vec![
        (
            replace_at(&text, to_at, to, &(to_n + 1).to_string()),
            to_at as u64,
            format!("to_node {} is not a multiple of the node field count 7", to_n + 1),
        ),
        (
            replace_at(&text, to_at, to, "700000000"),
            to_at as u64,
            "to_node 700000000 points past the last node".into(),
        ),
        (
            replace_at(&text, at, ty, "7"),
            at as u64,
            "edge type 7 is not one of the 7 types in meta.edge_types".into(),
        ),
        (
            replace_at(&text, to_at, to, "4294967296"),
            to_at as u64,
            "does not fit in 32 bits".into(),
        ),
        (replace_at(&text, to_at, to, "-7"), to_at as u64, "found `-`".into()),
        (
            replace_at(&text, at, &format!("{ty},{name}"), &format!("2,{strings}")),
            (at + 2) as u64,
            format!("edge name refers to string {strings} but there are only {strings} strings"),
        ),
    ];
    for (bad, offset, message) in cases {
        let e = HeapSnapshot::from_slice(bad.as_bytes()).expect_err(&message);
        assert_eq!(e.section(), Some(Section::Edges), "{message}: {e}");
        assert_eq!(e.offset(), Some(offset), "{message}: {e}");
        assert!(e.to_string().contains(&message), "{message}: {e}");
    }
    let (at, row) = row_of(&text, "nodes", 3000);
    let f: Vec<&str> = row.split(',').collect();
    let det_at = at + row.len() - f[6].len();
    let cases: Vec<(String, u64, String)> = vec![
        (
            replace_at(&text, at, f[0], "256"),
            at as u64,
            "node type 256 is not one of the 16 types in meta.node_types, and past the 256 types"
                .into(),
        ),
        (
            replace_at(&text, det_at, f[6], "256"),
            det_at as u64,
            "detachedness 256 is out of range".into(),
        ),
    ];
    for (bad, offset, message) in cases {
        let e = HeapSnapshot::from_slice(bad.as_bytes()).expect_err(&message);
        assert_eq!(e.section(), Some(Section::Nodes), "{message}: {e}");
        assert_eq!(e.offset(), Some(offset), "{message}: {e}");
        assert!(e.to_string().contains(&message), "{message}: {e}");
    }
    // A trace node id appearing mid-array (allocation tracking started late) starts the column
    // there, with zeros before it.
    let trace_at = det_at - f[5].len() - 1;
    let late = replace_at(&text, trace_at, f[5], "42");
    let s = HeapSnapshot::from_slice(late.as_bytes()).unwrap();
    assert_eq!(s.node_trace_node_id.len(), snap.node_count());
    assert_eq!(s.node_trace_node_id[3000], 42);
    assert_eq!(s.node_trace_node_id.iter().filter(|&&t| t != 0).count(), 1);
}

/// A reader that hands out `.1` bytes per `read`.
struct Chunks<'a>(&'a [u8], usize);
impl Read for Chunks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.1).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// A reader that fails with an I/O error after `left` bytes.
struct FailAfter<'a> {
    data: &'a [u8],
    left: usize,
}
impl Read for FailAfter<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::other("disk on fire"));
        }
        let n = buf.len().min(self.left).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        self.left -= n;
        Ok(n)
    }
}

#[test]
fn big_inputs_read_on_one_thread_and_parsed_on_another_give_the_same_results_and_errors() {
    // Over the size where reading (and decompressing) moves to a thread of its own: make one
    // by repeating a real snapshot's strings until the text is big enough.
    let text = real_text("shapes.heapsnapshot.gz");
    let strings_at = text.find("\"strings\":[").unwrap() + "\"strings\":[".len();
    let filler = format!("\"{}\",", "x".repeat(1000)).repeat(6000);
    let big = format!("{}{filler}{}", &text[..strings_at], &text[strings_at..]);
    assert!(big.len() > 6_000_000);
    let from_slice = HeapSnapshot::from_slice(big.as_bytes()).unwrap();
    let from_reader = HeapSnapshot::from_reader(big.as_bytes()).unwrap();
    // (Reads of a prime number of bytes put chunk boundaries everywhere relative to rows; one
    // byte at a time would be a million hand-overs between the two threads.)
    let careful = HeapSnapshot::from_reader(Chunks(big.as_bytes(), 7919)).unwrap();
    assert_eq!(from_slice, from_reader);
    assert_eq!(from_slice, careful);
    assert_eq!(
        from_slice.strings.len(),
        HeapSnapshot::from_slice(text.as_bytes()).unwrap().strings.len() + 6000
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    io::Write::write_all(&mut gz, big.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    assert_eq!(HeapSnapshot::from_slice(&gz).unwrap(), from_slice);

    // An error near the end of the big input keeps its offset.
    let late = big.len() - 200;
    let bad = format!("{}\\q{}", &big[..late], &big[late + 2..]);
    // (The same corruption in the small text, parsed on one thread, says where relative to
    // the backslash the error is reported.)
    let small_late = text.len() - 200;
    let small = format!("{}\\q{}", &text[..small_late], &text[small_late + 2..]);
    let small_err = HeapSnapshot::from_slice(small.as_bytes()).unwrap_err();
    let after = small_err.offset().unwrap() - small_late as u64;
    for e in [
        HeapSnapshot::from_slice(bad.as_bytes()).unwrap_err(),
        HeapSnapshot::from_reader(bad.as_bytes()).unwrap_err(),
    ] {
        assert_eq!(e.offset(), Some(late as u64 + after), "{e}");
        assert_eq!(
            e.to_string().replace(&(late as u64 + after).to_string(), "N"),
            small_err.to_string().replace(&small_err.offset().unwrap().to_string(), "N")
        );
    }
    // A read error mid-way, and a gzip stream cut short, are errors at the offset reached.
    let e =
        HeapSnapshot::from_reader(FailAfter { data: big.as_bytes(), left: 3_000_000 }).unwrap_err();
    assert!(e.to_string().contains("reading the input failed"), "{e}");
    assert!(e.to_string().contains("disk on fire"), "{e}");
    assert_eq!(e.offset(), Some(3_000_000), "{e}");
    let e = HeapSnapshot::from_slice(&gz[..gz.len() / 2]).unwrap_err();
    assert!(e.to_string().contains("reading the input failed"), "{e}");

    // A gzipped input big enough (compressed) to be decompressed on the reading thread:
    // strings that do not compress (an xorshift sequence in hex).
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let noise: String = (0..6000)
        .map(|_| {
            let s: String = (0..40)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    format!("{:08x}", x as u32)
                })
                .collect();
            format!("\"{s}\",")
        })
        .collect();
    let noisy = format!("{}{noise}{}", &text[..strings_at], &text[strings_at..]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    io::Write::write_all(&mut gz, noisy.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    assert!(gz.len() > 1024 * 1024, "{}", gz.len());
    let threaded = HeapSnapshot::from_slice(&gz).unwrap();
    assert_eq!(threaded, HeapSnapshot::from_reader(Chunks(noisy.as_bytes(), 7919)).unwrap());
    let e = HeapSnapshot::from_slice(&gz[..gz.len() - 1000]).unwrap_err();
    assert!(e.to_string().contains("reading the input failed"), "{e}");
}

/// A reader that gives `prefix`, then `fill` forever: an input that never ends.
struct Endless {
    prefix: Vec<u8>,
    pos: usize,
    fill: u8,
}
impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let rest = &self.prefix[self.pos.min(self.prefix.len())..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        buf[n..].fill(self.fill);
        self.pos += buf.len();
        Ok(buf.len())
    }
}

fn opts() -> ParseOptions {
    ParseOptions::default()
}

#[test]
fn limits_on_what_is_kept_are_checked_while_reading() {
    // One string past `max_string_bytes`: an error at the string, also when the string never
    // ends (the limit stops it; it is not checked after reading).
    let mut o = opts();
    o.max_string_bytes = 1000;
    let long = "y".repeat(1001);
    let json = node20(&format!(r#"["","global","x","{long}","g"]"#));
    let e = o.parse_slice(json.as_bytes(), &mut NoProgress).unwrap_err();
    assert_eq!((e.section(), e.offset()), (Some(Section::Strings), Some(at(&json, &long))));
    assert!(e.to_string().contains("string is longer than 1000 bytes"), "{e}");
    let exact = node20(&format!(r#"["","global","x","{}","g"]"#, "y".repeat(1000)));
    assert!(o.parse_slice(exact.as_bytes(), &mut NoProgress).is_ok());
    // ... escapes count as what they decode to.
    let escaped = node20(&format!(r#"["","global","x","{}","g"]"#, "\\u00e9".repeat(501)));
    let e = o.parse_slice(escaped.as_bytes(), &mut NoProgress).unwrap_err();
    assert!(e.to_string().contains("longer than 1000 bytes"), "{e}");
    let text = basic();
    let cut = text.find("\"hello").unwrap() + 1;
    let endless = Endless { prefix: text.as_bytes()[..cut].to_vec(), pos: 0, fill: b'z' };
    let e = o.parse_reader(endless, &mut NoProgress).unwrap_err();
    assert!(e.to_string().contains("string is longer than 1000 bytes"), "{e}");
    // The default is V8's own limit.
    assert_eq!(opts().max_string_bytes, 3 * ((1 << 29) - 24));

    // The header: an error as soon as it passes `max_header_bytes`.
    let mut o = opts();
    o.max_header_bytes = 4096;
    let endless = Endless { prefix: br#"{"snapshot":{"x":["#.to_vec(), pos: 0, fill: b' ' };
    let e = o.parse_reader(endless, &mut NoProgress).unwrap_err();
    assert_eq!((e.section(), e.offset()), (Some(Section::Header), Some(12)));
    assert!(e.to_string().contains("the `snapshot` header is larger than 4096 bytes"), "{e}");

    // Unknown sections: kept up to `max_unknown_sections_bytes` in all; one past it is read
    // through, dropped, and said in a warning; the rest of the snapshot is intact.
    let mut o = opts();
    o.max_unknown_sections_bytes = 100;
    let small = format!("[{}0]", "0,".repeat(20));
    let big = format!("[{}0]", "1,".repeat(60));
    let json = basic().replacen(
        "\"trace_function_infos\"",
        &format!("\"small\":{small},\"big\":{big},\"trace_function_infos\""),
        1,
    );
    let s = o.parse_slice(json.as_bytes(), &mut NoProgress).unwrap();
    assert_eq!(s.extra_section("small"), Some(small.as_bytes()));
    assert_eq!(s.extra_section("big"), None);
    assert_eq!(s.warnings().len(), 1, "{:?}", s.warnings());
    assert_eq!(s.warnings()[0].section, Section::Other);
    assert!(s.warnings()[0].message.contains("section `big` (123 bytes) is not kept"), "{s:?}");
    let whole = HeapSnapshot::from_slice(basic().as_bytes()).unwrap();
    assert_eq!(
        (&s.node_id, &s.edge_to, &s.strings),
        (&whole.node_id, &whole.edge_to, &whole.strings)
    );
    // By default both are kept.
    let s = HeapSnapshot::from_slice(json.as_bytes()).unwrap();
    assert_eq!(s.extra_section("big"), Some(big.as_bytes()));
    assert!(s.warnings().is_empty());
}

#[test]
fn numbers_with_leading_zeros_are_not_json() {
    let good = basic();
    // In a row the fast path would take, in one it would not, and one value at a time.
    for (from, to) in [(",3,1,3,24,1,0,1", ",3,1,03,24,1,0,1"), ("2,2,14]", "2,2,014]")] {
        let j = good.replace(from, to);
        let bad_at = at(&j, &to[to.find('0').unwrap()..]);
        for e in [
            HeapSnapshot::from_slice(j.as_bytes()).unwrap_err(),
            HeapSnapshot::from_reader(Trickle(j.as_bytes())).unwrap_err(),
        ] {
            assert_eq!(e.offset(), Some(bad_at), "{to}: {e}");
            assert!(e.to_string().contains("number with a leading zero"), "{to}: {e}");
        }
    }
    let long = real_text("shapes.heapsnapshot.gz");
    let (row_at, row) = row_of(&long, "nodes", 3000);
    let id = row.split(',').nth(2).unwrap();
    let id_at = row_at + row.find(&format!(",{id},")).unwrap() + 1;
    let j = replace_at(&long, id_at, id, &format!("0{id}"));
    let e = HeapSnapshot::from_slice(j.as_bytes()).unwrap_err();
    assert_eq!(e.offset(), Some(id_at as u64), "{e}");
    assert!(e.to_string().contains("leading zero"), "{e}");
    // In trace_tree, and a lone zero is fine everywhere.
    let j = good.replace("\"trace_tree\":[]", "\"trace_tree\":[1,0,0,007,[]]");
    let e = parse_err(&j);
    assert_eq!((e.section(), e.offset()), (Some(Section::TraceTree), Some(at(&j, "007"))));
    assert!(good.contains(",0,0,0"));
}

#[test]
fn a_duplicate_key_in_the_header_is_an_error() {
    let j = basic().replacen(
        r#""edge_fields":["type","name_or_index","to_node"],"#,
        r#""edge_fields":["type","name_or_index","to_node"],"edge_fields":["type","to_node","name_or_index"],"#,
        1,
    );
    let e = parse_err(&j);
    assert_eq!(e.section(), Some(Section::Header), "{e}");
    assert!(e.to_string().contains("duplicate key `edge_fields` in `snapshot.meta`"), "{e}");
    let off = e.offset().unwrap();
    assert!(
        off > at(&j, "\"edge_fields\":[\"type\",\"to_node\"") && off < at(&j, "\"edge_types\"")
    );
    let j = basic().replace("\"node_count\":3,", "\"node_count\":3,\"node_count\":3,");
    assert!(parse_err(&j).to_string().contains("duplicate key `node_count` in `snapshot`"));
}

#[test]
fn gzip_members_and_what_follows_them() {
    let gz = |data: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        io::Write::write_all(&mut e, data).unwrap();
        e.finish().unwrap()
    };
    let text = basic();
    let plain = HeapSnapshot::from_slice(text.as_bytes()).unwrap();
    // Members one after another read as one stream (as `gzip -d` does), even mid-number.
    let (a, b) = text.split_at(text.find("24,1").unwrap() + 1);
    let two = [gz(a.as_bytes()), gz(b.as_bytes())].concat();
    assert_eq!(HeapSnapshot::from_slice(&two).unwrap(), plain);
    assert_eq!(HeapSnapshot::from_reader(Trickle(&two)).unwrap(), plain);
    // Anything else after the gzip data is an error that says so.
    let one = gz(text.as_bytes());
    for tail in [&b"garbage\n"[..], b"\0\0\0\0", b"x"] {
        let bad = [one.clone(), tail.to_vec()].concat();
        let e = HeapSnapshot::from_slice(&bad).unwrap_err();
        assert!(
            e.to_string().contains(&format!(
                "trailing data after the gzip data: it ends at compressed byte {}",
                one.len()
            )),
            "{tail:?}: {e}"
        );
    }
    // A member cut short is corrupt or truncated.
    let e = HeapSnapshot::from_slice(&one[..one.len() - 4]).unwrap_err();
    assert!(e.to_string().contains("the gzip data is corrupt or truncated"), "{e}");
}

#[test]
fn a_number_cut_by_the_end_of_the_input_is_truncation() {
    let text = basic();
    // Cut inside `14` (an edge's to_node: "1" alone would be "not a multiple of 7").
    let cut = text.find("14]").unwrap() + 1;
    let e = HeapSnapshot::from_slice(&text.as_bytes()[..cut]).unwrap_err();
    assert_eq!(e.section(), Some(Section::Edges), "{e}");
    assert!(e.to_string().contains("unexpected end of input"), "{e}");
    assert!(!e.to_string().contains("multiple"), "{e}");
}

#[test]
fn io_errors_say_the_os_message_once() {
    let e = HeapSnapshot::from_path("/nonexistent/heapsnap-test").unwrap_err();
    // The path once (from_path names it), the OS message once.
    assert_eq!(
        e.to_string(),
        "I/O error: reading /nonexistent/heapsnap-test: No such file or directory (os error 2)"
    );
    assert!(std::error::Error::source(&e).is_none(), "no source repeating the message");
}
