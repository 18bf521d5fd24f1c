//! `heapsnap summary FILE`: DevTools' Summary view, by class.
//!
//! The `--json` document is specified in `docs/json.md` (`heapsnap.summary/1`).

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use heapsnap_format::{HeapSnapshot, NodeIdx};
use heapsnap_graph::{
    Analysis, ClassSummary, DominatorTree, class_retained, class_summaries_with_retained,
};
use serde_json::json;

use crate::cli::{GlobalArgs, SortBy, SummaryArgs};
use crate::input::{Analyzed, display};
use crate::output::{Align, distance_text, human_bytes, json_doc, table};

pub(crate) fn run(args: &SummaryArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let loaded = Analyzed::load(&args.file, global, args.json)?;
    let (graph, a) = loaded.analyze();
    let (rows, class_count) = rows(&a, graph.root(), args.sort, args.top, args.json, None);
    let mut out = io::stdout().lock();
    if args.json {
        json_doc(&mut out, &document(&args.file, &loaded.snap, &a, &rows, class_count, args.sort))?;
    } else {
        let total = a.total_size.max(1) as f64;
        let pct = |x: u64| format!("{:.1}%", x as f64 * 100.0 / total);
        let mut t = vec![
            ["Class", "Count", "Shallow", "%", "Retained", "%", "Distance"]
                .map(String::from)
                .to_vec(),
        ];
        for c in &rows {
            t.push(vec![
                c.name.clone(),
                c.count.to_string(),
                human_bytes(c.self_size),
                pct(c.self_size),
                human_bytes(c.retained_size),
                pct(c.retained_size),
                distance_text(c.distance),
            ]);
        }
        use Align::{Left, Right};
        table(&mut out, &[Left, Right, Right, Right, Right, Right, Right], &t)?;
        writeln!(
            out,
            "{} of {} classes; total {} in {} nodes",
            rows.len(),
            class_count,
            human_bytes(a.total_size),
            loaded.snap.node_count()
        )?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The Summary rows sorted by `sort`, the first `top` of them (default 30 in text, all in
/// JSON), and the number of classes in all.
pub(crate) fn rows(
    a: &Analysis,
    root: NodeIdx,
    sort: SortBy,
    top: Option<usize>,
    json: bool,
    per_class: Option<&[u64]>,
) -> (Vec<ClassSummary>, usize) {
    let t = std::time::Instant::now();
    // The rows' members are not shown: not listed.
    let mut rows = match per_class {
        Some(pc) => class_summaries_with_retained(a, pc, false),
        None => class_summaries_with_retained(a, &class_retained_of(a, root), false),
    };
    log::debug!("class aggregates took {:.2?}", t.elapsed());
    let class_count = rows.len();
    match sort {
        SortBy::Retained => rows
            .sort_by(|x, y| y.retained_size.cmp(&x.retained_size).then_with(|| x.key.cmp(&y.key))),
        SortBy::Shallow => {
            rows.sort_by(|x, y| y.self_size.cmp(&x.self_size).then_with(|| x.key.cmp(&y.key)))
        }
        SortBy::Count => rows.sort_by(|x, y| y.count.cmp(&x.count).then_with(|| x.key.cmp(&y.key))),
    }
    rows.truncate(top.unwrap_or(if json { usize::MAX } else { 30 }));
    (rows, class_count)
}

/// The retained size of each of `a`'s internal classes ([`class_retained`] over its dominator
/// tree), for [`rows`] and the Comparison.
pub(crate) fn class_retained_of(a: &Analysis, root: NodeIdx) -> Vec<u64> {
    let t = std::time::Instant::now();
    let tree = DominatorTree::new(a);
    log::debug!("summary: dominator tree took {:.2?}", t.elapsed());
    let t = std::time::Instant::now();
    let r = class_retained_with(a, root, &tree);
    log::debug!("summary: class retained sizes took {:.2?}", t.elapsed());
    r
}

/// [`class_retained_of`] with the dominator tree already built.
pub(crate) fn class_retained_with(a: &Analysis, root: NodeIdx, tree: &DominatorTree) -> Vec<u64> {
    let c = &a.classes;
    class_retained(tree, root, &c.of_node, &a.shallow, &a.retained, c.classes.len())
}

/// The `heapsnap.summary/1` document (`heapsnap report` shows it too).
pub(crate) fn document(
    file: &Path,
    snap: &HeapSnapshot,
    a: &Analysis,
    rows: &[ClassSummary],
    class_count: usize,
    sort: SortBy,
) -> serde_json::Value {
    let classes: Vec<serde_json::Value> = rows
        .iter()
        .map(|c| {
            json!({
                "name": c.name, "key": c.key, "count": c.count, "self_size": c.self_size,
                "retained_size": c.retained_size, "distance": (c.distance >= 0).then_some(c.distance),
            })
        })
        .collect();
    json!({
        "schema": "heapsnap.summary/1",
        "file": display(file),
        "node_count": snap.node_count(),
        "total_size": a.total_size,
        "class_count": class_count,
        "sort": sort.name(),
        "classes": classes,
    })
}
