//! `heapsnap report S1 [S2 [S3]]`: one self-contained HTML file with the heap and its leaks.
//!
//! The report is drawn from the documents the other commands print with `--json` (built by
//! the same functions: `leaks`, `summary`, `info`, and `diff --paths 0 --no-retained` of the
//! last snapshot against the first: DevTools' Comparison, whose columns have no retained sizes
//! and no holders; each leak finding shows its holders), plus the treemap of the last
//! snapshot's dominator tree. Earlier snapshots are read on a thread while the later ones are:
//! each is reduced to a census (and the first also to the Comparison's base index, which then
//! needs no graph search) and dropped. The last snapshot's retaining paths are chosen once,
//! for the leak report and the Comparison both.
//!
//! Exit codes as `leaks`: 0, or 1 with `--fail-on-leak` when a finding is reported (the
//! report is written first); 2 on errors, and then no report file is left behind.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use heapsnap_diff::{BaseIndex, BaseOptions, DiffReport, compare_with_retained};
use heapsnap_format::{HeapSnapshot, OutputFile, OutputPolicy};
use heapsnap_graph::{DominatorTree, PathFinder};
use heapsnap_leaks::{Census, LeakReport, Prepared};
use heapsnap_report::{Overview, Report, Treemap, TreemapOptions, WatchSeries};

use crate::cli::{DiffArgs, GlobalArgs, LeaksArgs, ReportArgs, SortBy};
use crate::cmd::{diff, info, leaks, summary};
use crate::input::{Analyzed, display, load};
use crate::output::{check_distinct_inputs, check_not_input, human_bytes};

/// Rows of the Summary and Comparison tables without `--top`.
const DEFAULT_ROWS: usize = 500;

/// The `leaks` arguments the report's options amount to (its `--json` document).
fn leaks_args(args: &ReportArgs) -> LeaksArgs {
    LeaksArgs {
        files: args.files.clone(),
        json: true,
        top: args.top,
        paths: args.paths,
        filters: args.filters.clone(),
        path: args.path,
    }
}

/// The `diff` arguments of the Comparison: the first snapshot against the last.
fn diff_args(args: &ReportArgs) -> Option<DiffArgs> {
    let (first, last) = (args.files.first()?, args.files.last()?);
    (args.files.len() > 1).then(|| DiffArgs {
        before: first.clone(),
        after: last.clone(),
        json: true,
        top: Some(args.top.unwrap_or(DEFAULT_ROWS)),
        all: false,
        paths: 0,
        fail_over: None,
        fail_class: Vec::new(),
        emit: None,
        path: args.path,
        no_retained: true,
    })
}

fn read_watch(path: &Path) -> Result<WatchSeries> {
    let f = std::fs::File::open(path).with_context(|| format!("reading {}", display(path)))?;
    WatchSeries::read(io::BufReader::new(f)).with_context(|| format!("reading {}", display(path)))
}

/// The earlier snapshots being read ([`leaks::read_earlier`]): the thread, and where the first
/// one's base index arrives as soon as it is built (before the other earlier snapshots are
/// read).
struct Reading<'s> {
    thread: leaks::EarlierThread<'s>,
    base: std::sync::mpsc::Receiver<BaseIndex>,
}

/// Reads the snapshots as `heapsnap leaks` does, the first one also reduced to the
/// Comparison's base index (`base`: its shallow sizes and class names). Returns the reading
/// thread and the last snapshot.
fn read_series<'s>(
    s: &'s std::thread::Scope<'s, '_>,
    files: &'s [PathBuf],
    global: &'s GlobalArgs,
    base: BaseOptions,
) -> Result<(Option<Reading<'s>>, HeapSnapshot)> {
    let Some((last, earlier)) = files.split_last() else { anyhow::bail!("no snapshot given") };
    let reading = (!earlier.is_empty()).then(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = leaks::read_earlier(s, earlier, global, move |snap| {
            let t = std::time::Instant::now();
            let _ = tx.send(BaseIndex::from_snapshot(snap, &base));
            log::debug!("base index took {:.2?}", t.elapsed());
        });
        Reading { thread, base: rx }
    });
    match load(last, global, false) {
        Ok(snap) => Ok((reading, snap)),
        // Errors in file order: an earlier file's first.
        Err(e) => Err(reading.and_then(|r| leaks::join_earlier(r.thread).err()).unwrap_or(e)),
    }
}

pub(crate) fn run(args: &ReportArgs, global: &GlobalArgs) -> Result<ExitCode> {
    check_distinct_inputs(&args.files)?;
    let mut inputs: Vec<&Path> = args.files.iter().map(|p| p.as_path()).collect();
    inputs.extend(args.watch.as_deref());
    // Fail before the work, not after it.
    check_not_input(&args.output, &inputs)?;
    let watch = match &args.watch {
        Some(p) => Some((display(p), read_watch(p)?)),
        None => None,
    };
    let (report, reasons) = std::thread::scope(|s| build(s, args, global, watch))?;
    let t = std::time::Instant::now();
    let bytes = write(&report, &args.output)?;
    log::debug!("writing the page took {:.2?}", t.elapsed());
    if !global.quiet {
        let n = report.leaks["findings"].as_array().map_or(0, Vec::len);
        eprintln!(
            "heapsnap: wrote {} ({}): {}",
            display(&args.output),
            human_bytes(bytes),
            match n {
                0 => "no leaks found".to_string(),
                1 => "1 leak finding".to_string(),
                n => format!("{n} leak findings"),
            }
        );
    }
    if !reasons.is_empty() {
        for r in &reasons {
            eprintln!("heapsnap: FAIL: {r}");
        }
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// The report's data, and the reasons `--fail-on-leak` fails.
fn build<'s>(
    s: &'s std::thread::Scope<'s, '_>,
    args: &'s ReportArgs,
    global: &'s GlobalArgs,
    watch: Option<(String, WatchSeries)>,
) -> Result<(Report, Vec<String>)> {
    let diff_args = diff_args(args);
    let base_opts = diff_args.as_ref().map(diff::base_options).unwrap_or_default();
    let (reading, last) = read_series(s, &args.files, global, base_opts)?;
    let last_path = args.files.last().map(|p| p.as_path()).unwrap_or(Path::new("-"));
    let loaded = Analyzed { snap: last };
    let (thread, base_rx) = match reading {
        Some(Reading { thread, base }) => (Some(thread), Some(base)),
        None => (None, None),
    };
    // The paths are chosen while the dominators are computed; then, if the reading thread
    // has built the base index by then (it usually has), the id check of the Comparison,
    // which needs no analysis, fills the time the dominators still take. (Not waited for
    // there: a pool thread blocked on the reading thread could hold up the rayon work that
    // thread may have queued, in the fallback where it has no pool of its own.)
    let mode = args.path.mode();
    let (g, a, (path_tree, early)) = loaded.analyze_with(|g, d| {
        let tree = heapsnap_graph::PathTree::from_distances(g, d, mode);
        let early = base_rx.map(|rx| match rx.try_recv() {
            Ok(b) => {
                let t = std::time::Instant::now();
                let ids = heapsnap_diff::check_ids(&b, g);
                log::debug!("the id check took {:.2?}", t.elapsed());
                Ok((b, ids))
            }
            Err(_) => Err(rx),
        });
        (tree, early)
    });
    let paths = PathFinder::with_tree(&g, &a, path_tree)?;
    // The base index (built first by the reading thread, usually there by now). Waited for
    // here, not in a rayon task (above).
    let (base, ids) = match early {
        None => (None, None),
        Some(Ok((b, ids))) => (Some(b), Some(ids)),
        Some(Err(rx)) => match rx.recv() {
            Ok(b) => (Some(b), None),
            // The thread failed before: its error says why.
            Err(_) => {
                return Err(thread
                    .and_then(|t| leaks::join_earlier(t).err())
                    .unwrap_or_else(|| anyhow::anyhow!("no base index")));
            }
        },
    };
    let leak_args = leaks_args(args);
    // First what the leak detectors share (two halves, on both cores) and the earlier
    // snapshots' censuses; then the detectors on one side and the dominator tree's views (the
    // Summary, the treemap, the Comparison, with the same paths) on the other. (Started
    // together, the views took the cores the shared tables' two halves would have had, and
    // were done while the detectors' last steps, which are sequential, left a core idle.)
    let t = std::time::Instant::now();
    let prepared = Prepared::new(&g, &a);
    log::debug!("the leak detectors' shared tables took {:.2?}", t.elapsed());
    // The reading thread is done by now, usually: it read the earlier snapshots while the
    // last one was parsed and analyzed. Joined here, not in a rayon task (see above).
    let mut priors = thread.map(leaks::join_earlier).transpose()?.unwrap_or_default();
    let t = std::time::Instant::now();
    let (leak_report, (treemap, rows, diff_report, diff_time)) = rayon::join(
        || -> Result<(LeakReport, std::time::Duration)> {
            let t = std::time::Instant::now();
            if !Census::ids_comparable(&priors, &loaded.snap) {
                // As `heapsnap leaks` does: objects are matched by structure, which plain
                // censuses do not keep. Read the earlier files again (the leaks section must
                // be `leaks --json`'s).
                let earlier = &args.files[..args.files.len() - 1];
                priors = heapsnap_leaks::read_structures(earlier, |p, _| load(p, global, true))?;
            }
            let r =
                LeakReport::with_prepared(&priors, &paths, prepared, &leaks::options(&leak_args));
            Ok((r, t.elapsed()))
        },
        || {
            // The base index is moved here, to be freed as soon as the views are done.
            let base = base;
            let t = std::time::Instant::now();
            let tree = DominatorTree::new(&a);
            // In parallel parts, so that a core the leak detection leaves idle (its last
            // steps are sequential) can take one.
            let (treemap, (rows, diff_report)) = rayon::join(
                || {
                    let opts = TreemapOptions::default().with_max_cells(args.cells);
                    Treemap::new(&g, &a, &tree, &opts)
                },
                || {
                    // Per class, for the Summary and the Comparison both.
                    let per_class = summary::class_retained_with(&a, g.root(), &tree);
                    rayon::join(
                        || {
                            summary::rows(
                                &a,
                                g.root(),
                                SortBy::Retained,
                                Some(args.top.unwrap_or(DEFAULT_ROWS)),
                                true,
                                Some(&per_class),
                            )
                        },
                        || {
                            let (b, d) = base.as_ref().zip(diff_args.as_ref())?;
                            let compared = compare_with_retained(b, &g, &a, &tree, &per_class);
                            let opts = diff::options(d);
                            Some(match ids {
                                Some(ids) => DiffReport::from_rows_and_ids(
                                    b, compared, ids, &tree, &paths, &opts,
                                ),
                                None => DiffReport::from_rows(b, compared, &tree, &paths, &opts),
                            })
                        },
                    )
                },
            );
            (treemap, rows, diff_report, t.elapsed())
        },
    );
    let (leak_report, leaks_time) = leak_report?;
    log::debug!(
        "leak detection took {leaks_time:.2?}; the Summary, treemap and Comparison {diff_time:.2?}; \
         both {:.2?}",
        t.elapsed()
    );
    let t = std::time::Instant::now();
    let reasons = leaks::gate_reasons(args.filters.fail_on_leak, &leak_report);
    let leaks_doc = leaks::report_json(&leak_args, &leak_report, &reasons);
    let diff_doc =
        diff_args.zip(diff_report.as_ref()).map(|(d, r)| diff::document_json(&d, r, &[]));
    let (rows, class_count) = rows;
    let summary_doc =
        summary::document(last_path, &loaded.snap, &a, &rows, class_count, SortBy::Retained);
    let title = args.title.clone().unwrap_or_else(|| {
        let name = last_path
            .file_name()
            .map_or_else(|| display(last_path), |n| n.to_string_lossy().into_owned());
        format!("heapsnap report: {name}")
    });
    let report = Report {
        title,
        snapshots: args.files.iter().map(|p| display(p)).collect(),
        overview: Overview::new(&g, &a),
        info: info::report(&loaded.snap, &display(last_path)),
        summary: summary_doc,
        leaks: leaks_doc,
        diff: diff_doc,
        treemap,
        watch,
    };
    log::debug!("report data took {:.2?}", t.elapsed());
    Ok((report, reasons))
    // (The snapshots, graphs and analyses are freed here: about 0.2 s for two 1 GB snapshots,
    // measured the same when left to the kernel at exit.)
}

/// Writes the page to `out` (`-`: stdout) through a temporary file renamed into place, removed
/// on errors and on SIGINT, SIGTERM and SIGHUP. Returns the bytes written.
fn write(report: &Report, out: &Path) -> Result<u64> {
    let mut page = Vec::with_capacity(1 << 20);
    heapsnap_report::write_html(report, &mut page)?;
    if out == Path::new("-") {
        let mut stdout = io::stdout().lock();
        stdout.write_all(&page).context("writing <stdout>")?;
        stdout.flush().context("writing <stdout>")?;
        return Ok(page.len() as u64);
    }
    let what = || format!("writing {}", display(out));
    let mut guard = crate::cleanup::TempGuard::arm();
    let mut f = OutputFile::create(out, &OutputPolicy::default()).with_context(what)?;
    guard.set_path(f.temp_path());
    f.write_all(&page).with_context(what)?;
    f.finish().with_context(what)?;
    drop(guard);
    Ok(page.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The report writes bytes exactly as the CLI does.
    #[test]
    fn bytes_as_the_cli_writes_them() {
        let mut n: u64 = 0;
        while n < 1 << 50 {
            for m in [n, n + 1, n.saturating_sub(1), n * 5 / 4, n * 3 / 2] {
                assert_eq!(heapsnap_report::human_bytes(m), human_bytes(m), "{m}");
                let d = m as i64;
                assert_eq!(heapsnap_report::human_delta(d), crate::output::human_delta(d));
                assert_eq!(heapsnap_report::human_delta(-d), crate::output::human_delta(-d));
            }
            n = n * 2 + 1;
        }
    }
}
