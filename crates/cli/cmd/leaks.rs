//! `heapsnap leaks S1 [S2 [S3]]`: what is leaking and what holds it.
//!
//! With one snapshot the structural detectors run; with two, growth is added (objects new in
//! the second); with three (baseline, target, final), the three-snapshot method (objects
//! allocated between baseline and target still alive in final). Earlier snapshots are reduced
//! to a census (ids, class counts, collection sizes) and dropped before the next is read.
//!
//! JSON (`heapsnap.leaks/1`): `schema`, `snapshots` (file names, oldest first),
//! `growth_basis` (`none` | `ids` | `class-counts`: ids are not comparable, growth is by class
//! counts), `ids` (one id check per consecutive pair: `base_ids`, `after_ids`, `shared`,
//! `mismatched`, `verdict`: `comparable` | `different-processes` | `reused`), `findings`
//! (most important first): `rank`, `category` (`detached-dom`, `listeners`, `timers`,
//! `resources`, `closures`, `cycles`, `collections`, `growth`, `duplicate-strings`), `class`,
//! `title`, `count`, `self_size`, `retained_size`, `growth` (count per snapshot, oldest first,
//! or null), `survivors` (three snapshots: members allocated between the first two still alive
//! in the last; two: members new since the first; else null), `growing`, `signature`, `path`
//! (the representative retaining path: `text` with repeated runs collapsed, `signature`,
//! `steps`: the first step is the node the root holds (`edge` null), every later one has the
//! `edge` (as DevTools writes it) leading to its `node` (`id`, `name`, `class`)), `holders`
//! (every independent holder's path, same shape; the first is `path`), `retains` (`class`,
//! `count`, `size` of what the cluster keeps alive), `facts` (detector details), `ids` (up to
//! 20 member ids); `below_threshold`, `merged` (candidates not reported: under every
//! threshold, or explained by a more specific finding); `gate` (`failed`, `reasons`).
//!
//! Exit codes: 0, or 1 with `--fail-on-leak` when a finding is reported; 2 on errors.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Result;
use heapsnap_diff::IdVerdict;
use heapsnap_graph::{Analysis, HeapGraph, format_edge};
use heapsnap_leaks::{
    Category, Census, FactValue, Finding, GrowthBasis, Holder, LeakOptions, LeakReport,
};
use serde_json::json;

use crate::cli::{GlobalArgs, LeaksArgs};
use crate::input::{Analyzed, display, load};
use crate::output::{human_bytes, json_doc};

/// `--category` values.
pub(crate) fn parse_category(s: &str) -> Result<Category, String> {
    Category::from_name(s).ok_or_else(|| {
        let all: Vec<&str> = Category::ALL.iter().map(|c| c.name()).collect();
        format!("unknown category `{s}` (one of: {})", all.join(", "))
    })
}

/// An earlier snapshot reduced to its census (timed at -vv).
fn census(path: &std::path::Path, snap: &heapsnap_format::HeapSnapshot) -> Census {
    let t = std::time::Instant::now();
    let c = Census::new(snap);
    log::debug!("census of {} took {:.2?}", display(path), t.elapsed());
    c
}

pub(crate) fn run(args: &LeaksArgs, global: &GlobalArgs) -> Result<ExitCode> {
    report(args, global, serde_json::Map::new())
}

/// The analysis and report of `heapsnap leaks` on `args.files`, for other commands (`hunt`):
/// `extra` keys are added to the JSON document (a `schema` key replaces the schema name).
pub(crate) fn report(
    args: &LeaksArgs,
    global: &GlobalArgs,
    extra: serde_json::Map<String, serde_json::Value>,
) -> Result<ExitCode> {
    let quiet = args.json;
    let (last_path, earlier) = match args.files.split_last() {
        Some(x) => x,
        None => anyhow::bail!("no snapshot given"),
    };
    crate::output::check_distinct_inputs(&args.files)?;
    // Each earlier snapshot is reduced to a census and dropped. Earlier snapshots are taken
    // two at a time, each parsed and reduced on a thread of its own (two parsed snapshots in
    // memory, no full graph: well under the last one's analysis); an odd one out has its
    // census taken while the last file is parsed. The second of a pair draws no progress bar.
    let mut priors = Vec::new();
    let paired = earlier.len() / 2 * 2;
    for pair in earlier[..paired].chunks(2) {
        let reduced: Vec<Result<Census>> = std::thread::scope(|s| {
            let handles: Vec<_> = pair
                .iter()
                .enumerate()
                .map(|(k, p)| {
                    s.spawn(move || -> Result<Census> {
                        Ok(census(p, &load(p, global, quiet || k > 0)?))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a census thread panicked")))
                })
                .collect()
        });
        for c in reduced {
            priors.push(c?);
        }
    }
    let mut pending: Option<(&std::path::Path, heapsnap_format::HeapSnapshot)> = None;
    for p in
        earlier[paired..].iter().map(|p| p.as_path()).chain(std::iter::once(last_path.as_path()))
    {
        let (census, snap) = std::thread::scope(|s| {
            let reduce =
                pending.take().map(|(prev_path, prev)| s.spawn(move || census(prev_path, &prev)));
            let snap = load(p, global, quiet);
            (reduce.map(|h| h.join()), snap)
        });
        if let Some(c) = census {
            priors.push(c.map_err(|_| anyhow::anyhow!("the census thread panicked"))?);
        }
        pending = Some((p, snap?));
    }
    let Some((_, last)) = pending else { anyhow::bail!("no snapshot given") };
    let loaded = Analyzed { snap: last };
    let (g, a) = loaded.analyze();
    let opts = options(args);
    let t = std::time::Instant::now();
    let report = LeakReport::new(&priors, &g, &a, &opts);
    log::debug!("leak detection took {:.2?}", t.elapsed());

    let reasons = gate_reasons(args.fail_on_leak, &report);
    let mut out = io::stdout().lock();
    if args.json {
        let mut doc = report_json(args, &report, &g, &a, &reasons);
        if let serde_json::Value::Object(m) = &mut doc {
            m.extend(extra);
        }
        json_doc(&mut out, &doc)?;
    } else {
        write_text(&mut out, args, &report)?;
    }
    out.flush()?;
    if !reasons.is_empty() {
        for r in &reasons {
            eprintln!("heapsnap: FAIL: {r}");
        }
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// The library's options from the command line.
pub(crate) fn options(args: &LeaksArgs) -> LeakOptions {
    let mut opts = LeakOptions::default();
    opts.min_growth = args.min_growth;
    opts.min_count = args.min_count;
    opts.min_retained = args.min_retained.unwrap_or(0);
    opts.max_holders = args.paths.max(1);
    if !args.categories.is_empty() {
        opts.categories = Some(args.categories.clone());
    }
    opts
}

/// Why `--fail-on-leak` fails (empty: it passes, or was not asked for).
pub(crate) fn gate_reasons(fail_on_leak: bool, report: &LeakReport) -> Vec<String> {
    let mut reasons = Vec::new();
    if fail_on_leak && !report.findings.is_empty() {
        let n = report.findings.len();
        let top = &report.findings[0];
        reasons.push(format!(
            "{n} leak finding{} (the first: {} {} x{}, retaining {})",
            if n == 1 { "" } else { "s" },
            top.category,
            top.class,
            top.count,
            human_bytes(top.retained_size)
        ));
    }
    reasons
}

fn basis_name(b: GrowthBasis) -> &'static str {
    match b {
        GrowthBasis::Ids => "ids",
        GrowthBasis::ClassCounts => "class-counts",
        _ => "none",
    }
}

fn verdict_name(v: IdVerdict) -> &'static str {
    match v {
        IdVerdict::Comparable => "comparable",
        IdVerdict::DifferentProcesses => "different-processes",
        IdVerdict::Reused => "reused",
        _ => "unknown",
    }
}

fn holder_json(g: &HeapGraph<'_>, a: &Analysis, h: &Holder) -> serde_json::Value {
    let snap = g.snapshot();
    let steps: Vec<serde_json::Value> = h
        .path
        .nodes
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            json!({
                "edge": (i > 0).then(|| format_edge(g, h.path.edges[i - 1])),
                "node": {"id": snap.node(v).id().0, "name": a.node_name(snap, v), "class": a.classes.of(v).name},
            })
        })
        .collect();
    json!({"text": h.text, "signature": h.signature, "steps": steps})
}

fn finding_json(g: &HeapGraph<'_>, a: &Analysis, rank: usize, f: &Finding) -> serde_json::Value {
    let snap = g.snapshot();
    let facts: serde_json::Map<String, serde_json::Value> = f
        .facts
        .iter()
        .map(|x| {
            let v = match &x.value {
                FactValue::Number(n) => json!(n),
                FactValue::Text(t) => json!(t),
            };
            (x.key.to_string(), v)
        })
        .collect();
    json!({
        "rank": rank,
        "category": f.category.name(),
        "class": f.class,
        "title": f.title,
        "count": f.count,
        "self_size": f.self_size,
        "retained_size": f.retained_size,
        "growth": f.growth,
        "survivors": f.survivors,
        "growing": f.growing,
        "signature": f.signature,
        "path": f.path().map(|h| holder_json(g, a, h)),
        "holders": f.holders.iter().map(|h| holder_json(g, a, h)).collect::<Vec<_>>(),
        "retains": f.retains.iter().map(|r| json!({"class": r.class, "count": r.count, "size": r.size})).collect::<Vec<_>>(),
        "facts": facts,
        "ids": f.members.iter().take(20).map(|&v| snap.node(v).id().0).collect::<Vec<_>>(),
    })
}

/// The `heapsnap.leaks/1` document (`heapsnap report` shows it too).
pub(crate) fn report_json(
    args: &LeaksArgs,
    r: &LeakReport,
    g: &HeapGraph<'_>,
    a: &Analysis,
    reasons: &[String],
) -> serde_json::Value {
    let findings: Vec<serde_json::Value> = r
        .findings
        .iter()
        .take(args.top.unwrap_or(usize::MAX))
        .enumerate()
        .map(|(i, f)| finding_json(g, a, i + 1, f))
        .collect();
    json!({
        "schema": "heapsnap.leaks/1",
        "snapshots": args.files.iter().map(|p| display(p)).collect::<Vec<_>>(),
        "growth_basis": basis_name(r.growth_basis),
        "ids": r.ids.iter().map(|c| json!({
            "base_ids": c.base_ids, "after_ids": c.after_ids, "shared": c.shared,
            "mismatched": c.mismatched, "verdict": verdict_name(c.verdict),
        })).collect::<Vec<_>>(),
        "findings": findings,
        "below_threshold": r.below_threshold,
        "merged": r.merged,
        "gate": {"failed": !reasons.is_empty(), "reasons": reasons},
    })
}

fn growth_text(f: &Finding) -> String {
    match &f.growth {
        Some(s) => s.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(" -> "),
        None => "-".to_string(),
    }
}

fn write_text(out: &mut impl Write, args: &LeaksArgs, r: &LeakReport) -> io::Result<()> {
    let n = r.snapshots;
    let mode = match n {
        1 => "1 snapshot: structural checks only (give 2 or 3 snapshots of one process for growth)"
            .to_string(),
        2 => "2 snapshots: structural checks and growth since the first".to_string(),
        _ => format!(
            "{n} snapshots: structural checks and the three-snapshot method \
             (allocated between the first two, still alive in the last)"
        ),
    };
    writeln!(out, "{mode}")?;
    match r.growth_basis {
        GrowthBasis::ClassCounts => {
            for c in r.ids.iter().filter(|c| c.verdict != IdVerdict::Comparable) {
                writeln!(
                    out,
                    "WARNING: object ids are not comparable ({}: {} of {} shared, {} mismatched); \
                     growth below is by class counts, not by object",
                    verdict_name(c.verdict),
                    c.shared,
                    c.base_ids.min(c.after_ids),
                    c.mismatched
                )?;
            }
        }
        GrowthBasis::Ids => writeln!(out, "object ids: comparable, growth follows objects")?,
        _ => {}
    }
    writeln!(out)?;
    if r.findings.is_empty() {
        writeln!(out, "no leaks found")?;
    }
    let top = args.top.unwrap_or(10);
    for (i, f) in r.findings.iter().take(top).enumerate() {
        writeln!(out, "#{} {}: {}", i + 1, f.category, f.title)?;
        let mut line =
            format!("   {} x{}  retains {}", f.class, f.count, human_bytes(f.retained_size));
        if f.growth.is_some() {
            line.push_str(&format!("  growth {}", growth_text(f)));
            if let Some(s) = f.survivors {
                if n >= 3 {
                    line.push_str(&format!(
                        " ({s} allocated between snapshots 1 and 2, still alive)"
                    ));
                } else {
                    line.push_str(&format!(" ({s} new)"));
                }
            }
        }
        writeln!(out, "{line}")?;
        if !f.retains.is_empty() {
            let parts: Vec<String> = f
                .retains
                .iter()
                .take(3)
                .map(|c| format!("{} x{} ({})", c.class, c.count, human_bytes(c.size)))
                .collect();
            writeln!(out, "   keeps alive: {}", parts.join(", "))?;
        }
        for (k, h) in f.holders.iter().enumerate() {
            let label = if k == 0 { "held by" } else { "and by " };
            writeln!(out, "   {label} {}", h.text)?;
        }
    }
    let more = r.findings.len().saturating_sub(top);
    let mut notes = Vec::new();
    if more > 0 {
        notes.push(format!("{more} more findings (--top N)"));
    }
    if r.below_threshold > 0 || r.merged > 0 {
        notes.push(format!(
            "not reported: {} candidates below the thresholds, {} explained by another finding",
            r.below_threshold, r.merged
        ));
    }
    if !notes.is_empty() {
        writeln!(out, "\n{}", notes.join("; "))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_parse() {
        assert_eq!(parse_category("timers"), Ok(Category::Timers));
        assert_eq!(parse_category("detached-dom"), Ok(Category::DetachedDom));
        assert!(parse_category("leaks").unwrap_err().contains("listeners"));
    }
}
