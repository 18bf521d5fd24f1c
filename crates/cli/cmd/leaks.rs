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
//! (the representative retaining path: `text`, `signature`, `origin`, `script`, `note`,
//! `steps`; see "Paths" in `docs/json.md`), `holders` (every independent holder's path, same
//! shape; the first is `path`), `retains` (`class`,
//! `count`, `size` of what the cluster keeps alive), `facts` (detector details), `ids` (up to
//! 20 member ids); `below_threshold`, `merged` (candidates not reported: under every
//! threshold, or explained by a more specific finding); `gate` (`failed`, `reasons`).
//!
//! Exit codes: 0, or 1 with `--fail-on-leak` when a finding is reported; 2 on errors.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use heapsnap_graph::{Holder, IdCheck, IdVerdict};
use heapsnap_leaks::{
    Category, Fact, Finding, GrowthBasis, LeakOptions, LeakReport, RetainedClass, read_series,
};
use serde::Serialize;

use crate::cli::{GlobalArgs, LeaksArgs};
use crate::input::{Analyzed, display, load};
use crate::output::{Gate, human_bytes, json_doc};

/// The JSON document.
#[derive(Serialize)]
struct Doc<'a> {
    schema: String,
    snapshots: Vec<String>,
    growth_basis: GrowthBasis,
    ids: &'a [IdCheck],
    findings: Vec<FindingJson<'a>>,
    below_threshold: usize,
    merged: usize,
    gate: Gate<'a>,
    /// What another command adds (`hunt`).
    #[serde(flatten)]
    extra: serde_json::Map<String, serde_json::Value>,
}

/// A finding in the JSON document.
#[derive(Serialize)]
struct FindingJson<'a> {
    rank: usize,
    category: Category,
    class: &'a str,
    title: &'a str,
    count: u64,
    self_size: u64,
    retained_size: u64,
    growth: &'a Option<Vec<u64>>,
    survivors: Option<u64>,
    growing: bool,
    signature: &'a str,
    path: Option<&'a Holder>,
    holders: &'a [Holder],
    retains: &'a [RetainedClass],
    #[serde(serialize_with = "facts_map")]
    facts: &'a [Fact],
    ids: &'a [u32],
}

/// Facts as one object: `{"event": "config-changed", "emitters": 1}`.
fn facts_map<S: serde::Serializer>(facts: &&[Fact], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(facts.iter().map(|f| (f.key, &f.value)))
}

impl<'a> FindingJson<'a> {
    fn new(rank: usize, f: &'a Finding) -> Self {
        FindingJson {
            rank,
            category: f.category,
            class: &f.class,
            title: &f.title,
            count: f.count,
            self_size: f.self_size,
            retained_size: f.retained_size,
            growth: &f.growth,
            survivors: f.survivors,
            growing: f.growing,
            signature: &f.signature,
            path: f.path(),
            holders: &f.holders,
            retains: &f.retains,
            facts: &f.facts,
            ids: &f.ids[..f.ids.len().min(20)],
        }
    }
}

/// The library's options from the command line.
pub(crate) fn options(args: &LeaksArgs) -> LeakOptions {
    let mut opts = LeakOptions::default();
    opts.min_growth = args.min_growth;
    opts.min_count = args.min_count;
    opts.min_retained = args.min_retained.unwrap_or(0);
    opts.max_holders = args.paths.max(1);
    opts.path_mode = args.path.mode();
    if !args.categories.is_empty() {
        opts.categories = Some(args.categories.clone());
    }
    opts
}

/// Reads one to three snapshots of one process (oldest first) and finds what leaks: earlier
/// snapshots are reduced to a census as they are read, then the detectors run on the last.
pub(crate) fn analyze(
    files: &[PathBuf],
    opts: &LeakOptions,
    global: &GlobalArgs,
    quiet: bool,
) -> Result<LeakReport> {
    let Some((last, earlier)) = files.split_last() else { anyhow::bail!("no snapshot given") };
    crate::output::check_distinct_inputs(files)?;
    let (priors, last) =
        read_series(earlier, last, |p, primary| load(p, global, quiet || !primary))?;
    let loaded = Analyzed { snap: last };
    let (g, a) = loaded.analyze();
    let t = std::time::Instant::now();
    let report = LeakReport::new(&priors, &g, &a, opts);
    log::debug!("leak detection took {:.2?}", t.elapsed());
    Ok(report)
}

pub(crate) fn run(args: &LeaksArgs, global: &GlobalArgs) -> Result<ExitCode> {
    report(args, global, serde_json::Map::new())
}

/// The analysis and report of `heapsnap leaks` on `args.files`, for other commands (`hunt`):
/// `extra` keys are added to the JSON document (a `schema` key replaces the schema name).
pub(crate) fn report(
    args: &LeaksArgs,
    global: &GlobalArgs,
    mut extra: serde_json::Map<String, serde_json::Value>,
) -> Result<ExitCode> {
    let report = analyze(&args.files, &options(args), global, args.json)?;
    let reasons = gate_reasons(args.fail_on_leak, &report);
    let mut out = io::stdout().lock();
    if args.json {
        let schema = match extra.remove("schema") {
            Some(serde_json::Value::String(s)) => s,
            _ => "heapsnap.leaks/1".to_string(),
        };
        let doc = document(args, &report, &reasons, schema, extra);
        json_doc(&mut out, &doc)?;
    } else {
        write_text(&mut out, &report, args.top.unwrap_or(10))?;
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

/// The `--json` document of `report` (`heapsnap.leaks/1`, or `schema`), with `extra` keys.
fn document<'a>(
    args: &LeaksArgs,
    report: &'a LeakReport,
    reasons: &'a [String],
    schema: String,
    extra: serde_json::Map<String, serde_json::Value>,
) -> Doc<'a> {
    Doc {
        schema,
        snapshots: args.files.iter().map(|p| display(p)).collect(),
        growth_basis: report.growth_basis,
        ids: &report.ids,
        findings: report
            .findings
            .iter()
            .take(args.top.unwrap_or(usize::MAX))
            .enumerate()
            .map(|(i, f)| FindingJson::new(i + 1, f))
            .collect(),
        below_threshold: report.below_threshold,
        merged: report.merged,
        gate: Gate { failed: !reasons.is_empty(), reasons },
        extra,
    }
}

/// The `heapsnap leaks --json` document as a value (for `report`, which embeds it).
pub(crate) fn report_json(
    args: &LeaksArgs,
    report: &LeakReport,
    reasons: &[String],
) -> serde_json::Value {
    let doc = document(args, report, reasons, "heapsnap.leaks/1".to_string(), Default::default());
    serde_json::to_value(&doc).unwrap_or(serde_json::Value::Null)
}

fn growth_text(f: &Finding) -> String {
    match &f.growth {
        Some(s) => s.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(" -> "),
        None => "-".to_string(),
    }
}

/// Writes the report as text, the first `top` findings in full.
pub(crate) fn write_text(out: &mut impl Write, r: &LeakReport, top: usize) -> io::Result<()> {
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
                    c.verdict.name(),
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
            if let Some(note) = &h.note {
                writeln!(out, "           ({note})")?;
            }
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
