//! One self-contained HTML file to look at a V8 heap and its leaks.
//!
//! The report is built from plain data: the JSON documents the `heapsnap` CLI prints with
//! `--json` (`heapsnap.info/1`, `heapsnap.summary/1`, `heapsnap.leaks/1`, `heapsnap.diff/1`:
//! the texts of findings and paths are theirs, so the report and the CLI say the same thing), a
//! [`Treemap`] of the dominator tree and an [`Overview`] computed from DevTools' analysis, and
//! optionally a [`WatchSeries`]. [`write_html`] writes one HTML file with everything inline:
//! styles, a little vanilla JavaScript (sorting, filtering, treemap zoom), SVG drawn here
//! (the squarified treemap of [`layout`], the growth and heap-over-time charts), and the data
//! itself as a JSON block (`heapsnap.report/1`, id `heapsnap-data`). Nothing is loaded at view
//! time (a Content-Security-Policy forbids it) and the page is usable without JavaScript.
//!
//! ```
//! use heapsnap_graph::{Analysis, AnalysisOptions, DominatorTree, HeapGraph};
//! use heapsnap_report::{Overview, Report, Treemap, TreemapOptions, write_html};
//! # let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
//! #   "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],
//! #   "edge_types":[["element","property","shortcut"]]},"node_count":3,"edge_count":2},
//! #   "nodes":[0,0,1,0,1, 1,1,3,8,1, 1,2,5,16,0],"edges":[2,0,5, 1,3,10],"strings":["","global","Foo","foo"]}"#;
//! let snap = heapsnap_format::HeapSnapshot::from_slice(json)?;
//! let g = HeapGraph::new(&snap);
//! let a = Analysis::new(&g, &AnalysisOptions::default(), &mut heapsnap_format::NoProgress);
//! let report = Report {
//!     title: "example".into(),
//!     snapshots: vec!["app.heapsnapshot".into()],
//!     overview: Overview::new(&g, &a),
//!     info: serde_json::json!({"schema": "heapsnap.info/1"}),
//!     summary: serde_json::json!({"schema": "heapsnap.summary/1", "classes": []}),
//!     leaks: serde_json::json!({"schema": "heapsnap.leaks/1", "findings": []}),
//!     diff: None,
//!     treemap: Treemap::new(&g, &a, &DominatorTree::new(&a), &TreemapOptions::default()),
//!     watch: None,
//! };
//! let mut html = Vec::new();
//! write_html(&report, &mut html)?;
//! let html = String::from_utf8(html)?;
//! assert!(html.starts_with("<!DOCTYPE html>") && html.contains("no leaks found"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

pub mod layout;
mod options;
mod render;
mod treemap;
mod watch;

use std::io::{self, Write};

use heapsnap_graph::{Analysis, HeapGraph};
use serde::Serialize;

pub use render::{DATA_ID, SCHEMA};
pub use treemap::{Cell, CellKind, Treemap, TreemapOptions};
pub use watch::{WatchSample, WatchSeries};

/// Everything a report shows. The JSON documents are used as the CLI prints them; fields a
/// later version adds are carried along in the embedded data and otherwise ignored.
#[derive(Clone, Debug)]
pub struct Report {
    /// The page title.
    pub title: String,
    /// The snapshot files, oldest first, as given on the command line.
    pub snapshots: Vec<String>,
    /// Sizes and counts of the last snapshot.
    pub overview: Overview,
    /// `heapsnap info --json` of the last snapshot (`heapsnap.info/1`).
    pub info: serde_json::Value,
    /// `heapsnap summary --json` of the last snapshot (`heapsnap.summary/1`).
    pub summary: serde_json::Value,
    /// `heapsnap leaks --json` of the snapshots (`heapsnap.leaks/1`).
    pub leaks: serde_json::Value,
    /// `heapsnap diff --json` of the first and the last snapshot (`heapsnap.diff/1`).
    pub diff: Option<serde_json::Value>,
    /// The treemap of the last snapshot's dominator tree.
    pub treemap: Treemap,
    /// A `heapsnap watch` series, with the file it came from.
    pub watch: Option<(String, WatchSeries)>,
}

/// Sizes and counts of a snapshot that no CLI document has: objects by node type and what
/// DevTools' analysis found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Overview {
    /// DevTools' total: the root's retained size plus `extra_native_bytes`.
    pub total_size: u64,
    /// Nodes in the snapshot.
    pub node_count: u64,
    /// Nodes DevTools' dominator walk could not reach from the root.
    pub unreachable: u64,
    /// The root's children DevTools treats as user roots (global objects).
    pub user_roots: u64,
    /// Objects by node type, largest self size first.
    pub types: Vec<TypeCount>,
}

/// Objects of one node type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TypeCount {
    /// The node type (`object`, `string`, `closure`, `code`, ...).
    pub name: String,
    /// Nodes of the type.
    pub count: u64,
    /// Their self sizes as V8 wrote them (before DevTools' shallow-size transfer).
    pub self_size: u64,
}

impl Overview {
    /// Counts nodes by type and takes DevTools' totals from `a`.
    pub fn new(g: &HeapGraph<'_>, a: &Analysis) -> Overview {
        let snap = g.snapshot();
        let mut count = [0u64; 256];
        let mut size = [0u64; 256];
        for (&t, &s) in snap.node_types().iter().zip(snap.node_self_sizes()) {
            count[usize::from(t)] += 1;
            size[usize::from(t)] += u64::from(s);
        }
        let names = snap.meta().node_type_names();
        let mut types: Vec<TypeCount> = (0..256)
            .filter(|&t| count[t] > 0)
            .map(|t| TypeCount {
                name: names.get(t).cloned().unwrap_or_else(|| format!("type {t}")),
                count: count[t],
                self_size: size[t],
            })
            .collect();
        types.sort_by(|x, y| y.self_size.cmp(&x.self_size).then_with(|| x.name.cmp(&y.name)));
        Overview {
            total_size: a.total_size,
            node_count: snap.node_count() as u64,
            unreachable: a.unreachable as u64,
            user_roots: a.user_roots.len() as u64,
            types,
        }
    }
}

/// Writes the report as one HTML file.
pub fn write_html(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let page = render::page(report)?;
    out.write_all(page.as_bytes())?;
    out.flush()
}

/// The embedded data of the report (`heapsnap.report/1`): what [`write_html`] puts in the
/// page's `heapsnap-data` block.
pub fn data_json(report: &Report) -> serde_json::Value {
    render::data(report)
}

/// `1536` -> `1.5 KiB`: bytes as the `heapsnap` CLI writes them.
///
/// ```
/// assert_eq!(heapsnap_report::human_bytes(1536), "1.5 KiB");
/// assert_eq!(heapsnap_report::human_bytes(1023), "1023 B");
/// ```
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 { format!("{n} B") } else { format!("{v:.1} {}", UNITS[u]) }
}

/// A signed byte count as the CLI writes it: `+1.5 KiB`, `-20 B`, `0 B`.
pub fn human_delta(n: i64) -> String {
    let sign = match n.signum() {
        1 => "+",
        -1 => "-",
        _ => "",
    };
    format!("{sign}{}", human_bytes(n.unsigned_abs()))
}
