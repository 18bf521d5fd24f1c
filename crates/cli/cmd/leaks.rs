//! `heapsnap leaks S1 [S2 [S3]]`: what is leaking and what holds it.
//!
//! With one snapshot the structural detectors run; with two, growth is added (objects new in
//! the second); with three (baseline, target, final), the three-snapshot method (objects
//! allocated between baseline and target still alive in final). Earlier snapshots are reduced
//! to a census (ids, class counts, collection sizes) and dropped before the next is read.
//!
//! JSON (`heapsnap.leaks/1`): `schema`, `snapshots` (file names, oldest first),
//! `growth_basis` (`none` | `ids` | `structure`: ids are not comparable, objects are matched
//! by structure | `class-counts`), `warnings` (`kind`: `same-content` | `out-of-order`,
//! `snapshots`, `message`), `ids` (one id check per consecutive pair: `base_ids`, `after_ids`, `shared`,
//! `mismatched`, `verdict`: `comparable` | `different-processes` | `reused`), `findings`
//! (most important first): `rank`, `category` (`detached-dom`, `listeners`, `timers`,
//! `resources`, `closures`, `cycles`, `collections`, `growth`, `duplicate-strings`), `class`,
//! `title`, `count`, `self_size`, `retained_size`, `growth` (count per snapshot, oldest first,
//! or null), `survivors` (three snapshots: members allocated between the first two still alive
//! in the last; two: members new since the first; else null), `growing`, `signature`, `path`
//! (the representative retaining path: `text`, `signature`, `origin`, `script`, `note`,
//! `steps`; see "Paths" in `docs/json.md`), `holders` (every independent holder's path, same
//! shape; the first is `path`), `retains` (`class`,
//! `count`, `size` of what the cluster keeps alive), `allocations` (where the members were
//! allocated, or null without allocation traces: see docs/json.md), `facts` (detector
//! details), `ids` (up to
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
    Allocations, Category, Census, Fact, Finding, GrowthBasis, InputWarning, LeakOptions,
    LeakReport, RetainedClass, read_structures,
};
use serde::Serialize;

use crate::cli::{GlobalArgs, LeaksArgs};
use crate::input::{Analyzed, display, load};
use crate::output::{Gate, allocation_lines, human_bytes, json_doc};

/// The JSON document.
#[derive(Serialize)]
struct Doc<'a> {
    schema: String,
    snapshots: Vec<String>,
    growth_basis: GrowthBasis,
    warnings: &'a [InputWarning],
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
    allocations: Option<&'a Allocations>,
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
            allocations: f.allocations.as_ref(),
            facts: &f.facts,
            ids: &f.ids[..f.ids.len().min(20)],
        }
    }
}

/// The library's options from the command line.
pub(crate) fn options(args: &LeaksArgs) -> LeakOptions {
    let mut opts = LeakOptions::default();
    let f = &args.filters;
    opts.min_growth = f.min_growth;
    opts.min_count = f.min_count;
    opts.min_retained = f.min_retained.unwrap_or(0);
    opts.max_holders = args.paths.max(1);
    opts.path_mode = args.path.mode();
    if !f.categories.is_empty() {
        opts.categories = Some(f.categories.clone());
    }
    opts
}

/// Reads one to three snapshots of one process (oldest first) and finds what leaks: earlier
/// snapshots are reduced to a census as they are read, then the detectors run on the last.
/// Runs `f` in a rayon pool of its own with one thread: for work beside the last snapshot's
/// analysis (reading the earlier ones), whose parallel steps would otherwise queue in the
/// global pool behind the analysis's and leave this thread waiting. Without a thread to be
/// had, `f` runs here.
pub(crate) fn on_one_thread<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    match rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .thread_name(|_| "heapsnap-earlier".to_string())
        .build()
    {
        Ok(pool) => pool.install(f),
        Err(_) => f(),
    }
}

/// The earlier snapshots of a series (oldest first) on a thread of their own, one at a time,
/// each reduced to its census as soon as it is read (`first` is given the first one, to keep
/// what it needs of it and drop it), while the caller reads and analyzes the last one: the
/// reading (one core) fills what the analysis leaves of the other, and at most one earlier
/// snapshot is in memory next to the last one's analysis. Their rayon work runs in a pool of its own ([`on_one_thread`]).
pub(crate) fn read_earlier<'s>(
    s: &'s std::thread::Scope<'s, '_>,
    earlier: &'s [PathBuf],
    global: &'s GlobalArgs,
    first: impl FnOnce(heapsnap_format::HeapSnapshot) + Send + 's,
) -> EarlierThread<'s> {
    s.spawn(move || {
        on_one_thread(|| {
            let mut first = Some(first);
            let mut out = Vec::with_capacity(earlier.len());
            for p in earlier {
                // No progress bar: it would fight the last snapshot's for the terminal line.
                let snap = load(p, global, true)?;
                let t = std::time::Instant::now();
                out.push(Census::new(&snap));
                log::debug!("census of {} took {:.2?}", display(p), t.elapsed());
                if let Some(f) = first.take() {
                    f(snap);
                }
            }
            Ok(out)
        })
    })
}

/// The thread of [`read_earlier`].
pub(crate) type EarlierThread<'s> = std::thread::ScopedJoinHandle<'s, Result<Vec<Census>>>;

/// The censuses [`read_earlier`] took, or its first error.
pub(crate) fn join_earlier(h: EarlierThread<'_>) -> Result<Vec<Census>> {
    h.join().map_err(|_| anyhow::anyhow!("the thread reading the earlier snapshots panicked"))?
}

pub(crate) fn analyze(
    files: &[PathBuf],
    opts: &LeakOptions,
    global: &GlobalArgs,
    quiet: bool,
) -> Result<LeakReport> {
    let Some((last, earlier)) = files.split_last() else { anyhow::bail!("no snapshot given") };
    crate::output::check_distinct_inputs(files)?;
    let read = |p: &std::path::Path, primary: bool| load(p, global, quiet || !primary);
    std::thread::scope(|s| {
        let priors = read_earlier(s, earlier, global, |_| {});
        let snap = match read(last, true) {
            Ok(snap) => snap,
            // Errors in file order: an earlier file's first.
            Err(e) => return Err(join_earlier(priors).err().unwrap_or(e)),
        };
        let loaded = Analyzed { snap };
        // The paths are chosen while the dominators are computed.
        let (g, a, tree) = loaded.analyze_with_paths(opts.path_mode);
        let paths = heapsnap_graph::PathFinder::with_tree(&g, &a, tree)?;
        let mut priors = join_earlier(priors)?;
        if !Census::ids_comparable(&priors, &loaded.snap) {
            // Separate inspector sessions or other processes: objects can only be matched by
            // structure, which the plain censuses do not keep. Read the earlier files again.
            log::info!(
                "object ids are not comparable: reading the earlier snapshots again to match \
                 objects by structure"
            );
            priors = read_structures(earlier, read)?;
        }
        let t = std::time::Instant::now();
        let report = LeakReport::with_paths(&priors, &paths, opts);
        log::debug!("leak detection took {:.2?}", t.elapsed());
        Ok(report)
    })
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
    let reasons = gate_reasons(args.filters.fail_on_leak, &report);
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
        warnings: &report.warnings,
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

/// The `heapsnap leaks --json` document as a value (for `report`, which embeds it, and
/// `heapsnap mcp`, which returns it).
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

/// `snapshots 1 and 2`, `snapshots 1 and 2, 2 and 3`.
fn pairs_text(pairs: &[usize]) -> String {
    let list: Vec<String> = pairs.iter().map(|k| format!("{} and {}", k + 1, k + 2)).collect();
    format!("snapshot{} {}", if list.is_empty() { "" } else { "s" }, list.join(", "))
}

/// The one warning about ids that do not follow objects: which pairs, why, what growth is
/// measured by instead, and what to do.
fn ids_warning(r: &LeakReport, basis: GrowthBasis) -> String {
    let by = |v: IdVerdict| -> Vec<usize> {
        r.ids.iter().enumerate().filter(|(_, c)| c.verdict == v).map(|(k, _)| k).collect()
    };
    let mut causes = Vec::new();
    let reused = by(IdVerdict::Reused);
    if !reused.is_empty() {
        let (m, s) =
            reused.iter().fold((0, 0), |(m, s), &k| (m + r.ids[k].mismatched, s + r.ids[k].shared));
        causes.push(format!(
            "{} were taken through separate inspector sessions (separate `heapsnap capture` \
             runs, DevTools reconnected) or in different processes: V8 clears its object id \
             map when a session ends, and each session numbers objects afresh ({m} of {s} \
             shared ids name other objects)",
            pairs_text(&reused)
        ));
    }
    let other = by(IdVerdict::DifferentProcesses);
    if !other.is_empty() {
        let (sh, of) = other.iter().fold((0, 0), |(sh, of), &k| {
            (sh + r.ids[k].shared, of + r.ids[k].base_ids.min(r.ids[k].after_ids))
        });
        causes.push(format!(
            "{} come from different processes (or isolates): ids of one mean nothing in the \
             other ({sh} of {of} ids shared)",
            pairs_text(&other)
        ));
    }
    let instead = match basis {
        GrowthBasis::Structure => {
            "Growth below matches objects by structure instead (retaining path, class and \
             property names): less exact than ids."
        }
        _ => "Growth below is by class counts, not by object.",
    };
    let mut lines =
        vec!["WARNING: object ids do not follow objects across these snapshots.".to_string()];
    lines.extend(causes.into_iter().map(|c| format!("  {c}.")));
    lines.push(format!("  {instead}"));
    lines.push(
        "  To follow objects by id, take the series in one inspector session: heapsnap hunt \
         --pid PID"
            .to_string(),
    );
    lines.join("\n")
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
        GrowthBasis::Ids => writeln!(out, "object ids: comparable, growth follows objects")?,
        GrowthBasis::None => {}
        basis => writeln!(out, "{}", ids_warning(r, basis))?,
    }
    for w in &r.warnings {
        writeln!(out, "WARNING: {}", w.message)?;
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
        if let Some(a) = &f.allocations {
            for line in allocation_lines(a, "   ", 3) {
                writeln!(out, "{line}")?;
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
