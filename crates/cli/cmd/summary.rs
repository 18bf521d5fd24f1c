//! `heapsnap summary FILE`: DevTools' Summary view, by class.
//!
//! The `--json` document is specified in `docs/json.md` (`heapsnap.summary/1`).

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Result;
use heapsnap_graph::class_summaries;
use serde_json::json;

use crate::cli::{GlobalArgs, SortBy, SummaryArgs};
use crate::input::{Analyzed, display};
use crate::output::{Align, distance_text, human_bytes, json_doc, table};

pub(crate) fn run(args: &SummaryArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let loaded = Analyzed::load(&args.file, global, args.json)?;
    let (graph, a) = loaded.analyze();
    let t = std::time::Instant::now();
    let mut rows = class_summaries(&a, graph.root());
    log::debug!("class aggregates took {:.2?}", t.elapsed());
    let class_count = rows.len();
    match args.sort {
        SortBy::Retained => rows
            .sort_by(|x, y| y.retained_size.cmp(&x.retained_size).then_with(|| x.key.cmp(&y.key))),
        SortBy::Shallow => {
            rows.sort_by(|x, y| y.self_size.cmp(&x.self_size).then_with(|| x.key.cmp(&y.key)))
        }
        SortBy::Count => rows.sort_by(|x, y| y.count.cmp(&x.count).then_with(|| x.key.cmp(&y.key))),
    }
    let top = args.top.unwrap_or(if args.json { usize::MAX } else { 30 });
    rows.truncate(top);
    let mut out = io::stdout().lock();
    if args.json {
        let classes: Vec<serde_json::Value> = rows
            .iter()
            .map(|c| {
                json!({
                    "name": c.name, "key": c.key, "count": c.count, "self_size": c.self_size,
                    "retained_size": c.retained_size, "distance": (c.distance >= 0).then_some(c.distance),
                })
            })
            .collect();
        json_doc(
            &mut out,
            &json!({
                "schema": "heapsnap.summary/1",
                "file": display(&args.file),
                "node_count": loaded.snap.node_count(),
                "total_size": a.total_size,
                "class_count": class_count,
                "sort": args.sort.name(),
                "classes": classes,
            }),
        )?;
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
