//! `heapsnap diff BEFORE AFTER`: what grew between two heap snapshots, and what holds it.
//!
//! The `--json` document is specified in `docs/json.md` (`heapsnap.diff/1`).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, bail};
use heapsnap_diff::{
    BaseIndex, BaseOptions, Breakdown, ClassReport, DiffOptions, DiffReport, Gate, GateFailure,
    HolderGroup, NameDiff, Noise, new_objects_snapshot,
};
use heapsnap_graph::{Allocations, Analysis, HeapGraph, IdCheck, IdVerdict, PathMode};
use serde::Serialize;

use crate::cli::{DiffArgs, GlobalArgs};
use crate::input::{Analyzed, display, load};
use crate::output::{
    Align, Gate as GateJson, allocation_lines, human_bytes, human_delta, json_doc, table,
};

/// The JSON document.
#[derive(Serialize)]
struct Doc<'a> {
    schema: &'static str,
    before: String,
    after: String,
    total_before: u64,
    total_after: u64,
    total_delta: i64,
    ids: &'a IdCheck,
    classes: Vec<ClassJson<'a>>,
    hidden: &'a BTreeMap<&'a str, usize>,
    by_name: Option<Vec<NameJson<'a>>>,
    gate: GateJson<'a>,
}

/// A row of the Comparison in the JSON document.
#[derive(Serialize)]
struct ClassJson<'a> {
    name: &'a str,
    key: &'a str,
    new_count: u64,
    deleted_count: u64,
    count_delta: i64,
    alloc_size: u64,
    freed_size: u64,
    size_delta: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    retained_before: Option<u64>,
    retained_after: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    retained_delta: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_retained: Option<u64>,
    noise: Option<&'static str>,
    holders: &'a [HolderGroup],
    holders_sampled: u64,
    breakdown: &'a [Breakdown],
    allocations: Option<&'a Allocations>,
}

impl<'a> ClassJson<'a> {
    fn new(c: &'a ClassReport) -> Self {
        let r = &c.row;
        ClassJson {
            name: &r.name,
            key: &r.key,
            new_count: r.new_count,
            deleted_count: r.deleted_count,
            count_delta: r.count_delta(),
            alloc_size: r.alloc_size,
            freed_size: r.freed_size,
            size_delta: r.size_delta(),
            retained_before: r.retained_before,
            retained_after: r.retained_after,
            retained_delta: r.retained_delta(),
            new_retained: c.new_retained,
            noise: (c.noise != Noise::None).then(|| c.noise.label()),
            holders: &c.holders,
            holders_sampled: c.holders_sampled,
            breakdown: &c.breakdown,
            allocations: c.allocations.as_ref(),
        }
    }
}

/// A class compared by name in the JSON document.
#[derive(Serialize)]
struct NameJson<'a> {
    name: &'a str,
    count_before: u64,
    count_after: u64,
    count_delta: i64,
    size_before: u64,
    size_after: u64,
    size_delta: i64,
    holders: &'a [HolderGroup],
}

impl<'a> NameJson<'a> {
    fn new(r: &'a NameDiff) -> Self {
        NameJson {
            name: &r.name,
            count_before: r.count_before,
            count_after: r.count_after,
            count_delta: r.count_after as i64 - r.count_before as i64,
            size_before: r.size_before,
            size_after: r.size_after,
            size_delta: r.size_after as i64 - r.size_before as i64,
            holders: &r.holders,
        }
    }
}

/// A gate failure as `heapsnap: FAIL:` and the JSON's `gate.reasons` write it.
fn failure_text(f: &GateFailure) -> String {
    match f {
        GateFailure::Total { delta, limit } => format!(
            "total heap grew by {} ({} bytes), over the --fail-over limit of {}",
            human_bytes(*delta as u64),
            delta,
            human_bytes(*limit)
        ),
        GateFailure::ClassCount { class, delta, limit } => {
            format!("class {class} grew by {delta} objects, over the limit of {limit}")
        }
        GateFailure::ClassBytes { class, delta, limit } => format!(
            "class {class} grew by {}, over the limit of {}",
            human_bytes(*delta as u64),
            human_bytes(*limit as u64)
        ),
        other => format!("{other:?}"),
    }
}

/// The rows shown (noise only with `all`) and the hidden ones counted by reason.
fn visible_rows(
    report: &DiffReport,
    all: bool,
) -> (Vec<&ClassReport>, BTreeMap<&'static str, usize>) {
    let visible: Vec<&ClassReport> =
        report.classes.iter().filter(|c| all || c.noise == Noise::None).collect();
    let mut hidden: BTreeMap<&str, usize> = BTreeMap::new();
    if !all {
        for c in report.classes.iter().filter(|c| c.noise != Noise::None) {
            *hidden.entry(c.noise.label()).or_default() += 1;
        }
    }
    (visible, hidden)
}

/// The `heapsnap.diff/1` document.
fn document<'a>(
    args: &DiffArgs,
    report: &'a DiffReport,
    visible: &[&'a ClassReport],
    hidden: &'a BTreeMap<&'static str, usize>,
    reasons: &'a [String],
) -> Doc<'a> {
    Doc {
        schema: "heapsnap.diff/1",
        before: display(&args.before),
        after: display(&args.after),
        total_before: report.total_before,
        total_after: report.total_after,
        total_delta: report.total_after as i64 - report.total_before as i64,
        ids: &report.ids,
        classes: visible
            .iter()
            .take(args.top.unwrap_or(usize::MAX))
            .map(|c| ClassJson::new(c))
            .collect(),
        hidden,
        by_name: report.by_name.as_ref().map(|rows| rows.iter().map(NameJson::new).collect()),
        gate: GateJson { failed: !reasons.is_empty(), reasons },
    }
}

/// The `heapsnap diff --json` document as a value (for `report`, which embeds it, and
/// `heapsnap mcp`, which returns it).
pub(crate) fn document_json(
    args: &DiffArgs,
    report: &DiffReport,
    reasons: &[String],
) -> serde_json::Value {
    let (visible, hidden) = visible_rows(report, args.all);
    serde_json::to_value(document(args, report, &visible, &hidden, reasons))
        .unwrap_or(serde_json::Value::Null)
}

pub(crate) fn run(args: &DiffArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let quiet = args.json;
    if let Some(out) = &args.emit {
        // Fail before the work, not after it.
        crate::output::check_not_input(out, &[&args.before, &args.after])?;
    }
    // The base is reduced to an index and dropped before the newer snapshot is read.
    let base = {
        let before = load(&args.before, global, quiet)?;
        BaseIndex::from_snapshot(before, &base_options(args))
    };
    let loaded = Analyzed::load(&args.after, global, quiet)?;
    // The paths are chosen while the dominators are computed.
    let (g, a, tree) = loaded.analyze_with_paths(args.path.mode());
    let paths = heapsnap_graph::PathFinder::with_tree(&g, &a, tree)?;
    let opts = options(args);
    let report = DiffReport::with_paths(&base, &paths, &opts);

    let total_delta = report.total_after as i64 - report.total_before as i64;
    let reasons = gate_reasons(args, &report);

    if let Some(out_path) = &args.emit {
        emit(&g, &a, &report, opts.path_mode, out_path, &[&args.before, &args.after])?;
    }

    let (visible, hidden) = visible_rows(&report, args.all);
    let mut out = io::stdout().lock();
    if args.json {
        json_doc(&mut out, &document(args, &report, &visible, &hidden, &reasons))?;
    } else {
        write_text(&mut out, args, &report, &visible, &hidden, total_delta)?;
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

/// What the older snapshot is reduced to: no retained sizes with `--no-retained`, no path
/// signatures with `--paths 0`.
pub(crate) fn base_options(args: &DiffArgs) -> BaseOptions {
    BaseOptions::default()
        .path_mode(args.path.mode())
        .retained(!args.no_retained)
        .holders(args.paths > 0)
}

/// The library's options from the command line.
pub(crate) fn options(args: &DiffArgs) -> DiffOptions {
    let mut opts = DiffOptions::default();
    opts.holder_groups = args.paths;
    opts.path_mode = args.path.mode();
    opts
}

/// Why the CI gate (`--fail-over`, `--fail-class`) fails: empty when it passes.
pub(crate) fn gate_reasons(args: &DiffArgs, report: &DiffReport) -> Vec<String> {
    let gate = Gate::new(args.fail_over, args.fail_class.clone());
    report.check(&gate).iter().map(failure_text).collect()
}

fn write_text(
    out: &mut impl Write,
    args: &DiffArgs,
    report: &DiffReport,
    visible: &[&ClassReport],
    hidden: &BTreeMap<&str, usize>,
    total_delta: i64,
) -> io::Result<()> {
    writeln!(
        out,
        "total: {} -> {} ({})",
        human_bytes(report.total_before),
        human_bytes(report.total_after),
        human_delta(total_delta)
    )?;
    let ids = &report.ids;
    match ids.verdict {
        IdVerdict::Comparable => {
            writeln!(out, "object ids: comparable ({} shared JS object ids)", ids.shared)?
        }
        IdVerdict::DifferentProcesses => writeln!(
            out,
            "WARNING: only {} of {} object ids are shared: these snapshots come from different processes (or isolates).\n\
             DevTools' id matching below is meaningless; see the by-name comparison at the end.",
            ids.shared,
            ids.base_ids.min(ids.after_ids)
        )?,
        _ => writeln!(
            out,
            "WARNING: {} of {} shared object ids name different objects: the ids do not follow the same objects\n\
             (snapshots of different processes, or of one process through separate inspector sessions or after\n\
             HeapProfiler.disable). The id matching below is unreliable; see the by-name comparison at the end.",
            ids.mismatched, ids.shared
        )?,
    }
    writeln!(out)?;
    let top = args.top.unwrap_or(20);
    let mut t = vec![
        [
            "Class",
            "# New",
            "# Deleted",
            "# Delta",
            "Alloc. size",
            "Freed size",
            "Size delta",
            "Retained delta",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for c in visible.iter().take(top) {
        let r = &c.row;
        let mut name = r.name.clone();
        if c.noise != Noise::None {
            name = format!("{name} [{}]", c.noise.label());
        }
        let mut row = vec![
            name,
            r.new_count.to_string(),
            r.deleted_count.to_string(),
            format!("{:+}", r.count_delta()),
            human_bytes(r.alloc_size),
            human_bytes(r.freed_size),
            human_delta(r.size_delta()),
        ];
        row.extend(r.retained_delta().map(human_delta));
        t.push(row);
    }
    if args.no_retained {
        // The column the base was not asked to compute.
        t[0].pop();
    }
    use Align::{Left, Right};
    let aligns = [Left, Right, Right, Right, Right, Right, Right, Right];
    table(out, &aligns[..t[0].len()], &t)?;
    let more = visible.len().saturating_sub(top);
    let mut notes = Vec::new();
    if more > 0 {
        notes.push(format!("{more} more classes (--top N)"));
    }
    if !hidden.is_empty() {
        let parts: Vec<String> = hidden.iter().map(|(k, v)| format!("{v} {k}")).collect();
        notes.push(format!("hidden: {} (--all shows them)", parts.join(", ")));
    }
    if !notes.is_empty() {
        writeln!(out, "{}", notes.join("; "))?;
    }
    let growing: Vec<&&ClassReport> = visible
        .iter()
        .take(top)
        .filter(|c| {
            !c.holders.is_empty()
                || !c.breakdown.is_empty()
                || (c.row.count_delta() > 0 && c.allocations.as_ref().is_some_and(|a| a.traced > 0))
        })
        .collect();
    if !growing.is_empty() {
        writeln!(out, "\nwhat holds the growth:")?;
    }
    for c in growing {
        let r = &c.row;
        match c.new_retained {
            Some(kept) => writeln!(
                out,
                "  {:+} {} ({}, new objects retain {})",
                r.count_delta(),
                r.name,
                human_delta(r.size_delta()),
                human_bytes(kept)
            )?,
            None => writeln!(
                out,
                "  {:+} {} ({})",
                r.count_delta(),
                r.name,
                human_delta(r.size_delta())
            )?,
        }
        for b in c.breakdown.iter().take(5) {
            writeln!(
                out,
                "      {:>6} new  {:>10}  {}",
                b.new_count,
                human_bytes(b.alloc_size),
                b.label
            )?;
        }
        for h in &c.holders {
            let about = if h.estimated { "about " } else { "" };
            let counts = if h.churn {
                format!("churn: {about}{} new, {} deleted", h.count, h.deleted)
            } else {
                format!("{about}{:+}: {} new, {} deleted", h.net, h.count, h.deleted)
            };
            writeln!(out, "      held by {}  ({counts})", h.signature)?;
            if let Some(note) = &h.note {
                writeln!(out, "        ({note})")?;
            }
        }
        if let Some(a) = c.allocations.as_ref().filter(|a| a.traced > 0) {
            for line in allocation_lines(a, "      ", 3) {
                writeln!(out, "{line}")?;
            }
        }
    }
    if let Some(rows) = &report.by_name {
        writeln!(out, "\nby class name (no id matching):")?;
        let mut t =
            vec![["Class", "Before", "After", "# Delta", "Size delta"].map(String::from).to_vec()];
        for r in rows.iter().take(top) {
            t.push(vec![
                r.name.clone(),
                r.count_before.to_string(),
                r.count_after.to_string(),
                format!("{:+}", r.count_after as i64 - r.count_before as i64),
                human_delta(r.size_after as i64 - r.size_before as i64),
            ]);
        }
        table(out, &[Left, Right, Right, Right, Right], &t)?;
        for r in rows.iter().take(top).filter(|r| !r.holders.is_empty()) {
            for h in &r.holders {
                let about = if h.estimated { "about " } else { "" };
                writeln!(out, "  {} held by {}  ({about}{})", r.name, h.signature, h.count)?;
            }
        }
    }
    Ok(())
}

/// Writes the new objects (of non-noise rows) and the retaining path of each as a snapshot
/// DevTools can open.
fn emit(
    g: &HeapGraph<'_>,
    a: &Analysis,
    report: &DiffReport,
    mode: PathMode,
    out_path: &Path,
    inputs: &[&Path],
) -> Result<()> {
    let Some((small, news)) = new_objects_snapshot(g, a, report, mode) else {
        bail!("--emit: no new objects to write");
    };
    crate::output::write_snapshot(&small, out_path, false, inputs)?;
    log::info!(
        "wrote {} new objects and their retainer paths ({} nodes) to {}",
        news,
        small.node_count(),
        display(out_path)
    );
    Ok(())
}
