//! `heapsnap watch`: sample a live process's heap over time and warn when it keeps growing.
//!
//! Each sample forces a full GC (`HeapProfiler.collectGarbage`, awaited) and then reads
//! `Runtime.getHeapUsage`, so `used` is the heap *after* GC: what is really retained. (`--no-gc`
//! skips the forced GC; cheaper for the target, but the numbers then include garbage.) The leak
//! rule is memwatch's: the heap after GC grew in N consecutive samples (`--consecutive`,
//! default 5), where growing means by more than `--min-growth` (default 16 KiB: V8's heap after
//! GC creeps by a few KiB now and then, as code and feedback vectors are allocated, without
//! any leak). One line per sample goes to stdout, warnings to stderr, and a summary at the end.
//! The exit status is 1 when a leak warning was raised.
//!
//! The JSON documents are specified in `docs/json.md` (`heapsnap.watch/1`).
//!
//! `--auto-capture DIR`: at the first warning a `baseline` snapshot is taken, N samples later a
//! `target`, N samples after that a `final` one (DIR/baseline.heapsnapshot, ...). Then the
//! leaks analysis runs on them (the report `heapsnap leaks BASELINE TARGET FINAL` prints).

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use heapsnap_capture::{GrowthDetector, NoProgress, OutputFile, Session, SnapshotOptions};
use serde_json::json;

use crate::cli::{GlobalArgs, Via, WatchArgs};
use crate::cmd::attach::{self, Attached, Limits};
use crate::output::{human_bytes, human_delta};

struct Sample {
    t: Duration,
    used: u64,
    total: u64,
}

/// The three `--auto-capture` snapshots and when each is due.
struct Auto {
    /// `--auto-capture DIR`: the run folder is made inside it at the first warning.
    parent: PathBuf,
    dir: Option<PathBuf>,
    /// (stage name, sample index when due); empty until the first warning.
    plan: Vec<(&'static str, usize)>,
    written: Vec<PathBuf>,
}

pub(crate) fn run(args: &WatchArgs, global: &GlobalArgs) -> Result<ExitCode> {
    heapsnap_capture::catch_interrupts();
    let limits = Limits { timeout: args.timeout, max_time: Some(args.max_time) };
    let leaked =
        attach::with_endpoint(&args.endpoint, &args.host, None, limits, global.quiet, |s, at| {
            let Some(id) = &args.worker else {
                return watch(s, at, args, global, &at.label);
            };
            let w = attach::find_worker(s, at, id)?;
            let label = format!("{} worker {} {:?}", at.label, attach::worker_number(&w), w.title);
            let mut scoped = s.worker(&w);
            watch(&mut scoped, at, args, global, &label)
        })?;
    // Ctrl-C is how a watch without --duration ends; SIGTERM and SIGHUP say so in the status.
    if let Some(sig) = heapsnap_capture::interrupt_signal()
        && sig != libc::SIGINT
    {
        let _ = writeln!(io::stderr(), "heapsnap: stopped by {}", attach::signal_name());
        return Ok(ExitCode::from(attach::interrupted_exit_code()));
    }
    Ok(if leaked { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// The sampling loop. Returns whether a leak warning was raised.
fn watch(
    session: &mut Session,
    at: &Attached,
    args: &WatchArgs,
    global: &GlobalArgs,
    label: &str,
) -> Result<bool> {
    session.set_timeout(args.timeout);
    let gc = !args.no_gc;
    let n = args.consecutive.max(1);
    let mut detector = GrowthDetector::new(n).with_min_growth(args.min_growth);
    let mut samples: Vec<Sample> = Vec::new();
    let mut warnings: Vec<usize> = Vec::new();
    let mut auto = match &args.auto_capture {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            Some(Auto { parent: dir.clone(), dir: None, plan: Vec::new(), written: Vec::new() })
        }
        None => None,
    };
    let start = Instant::now();
    let mut out = io::stdout().lock();
    if !global.quiet {
        let line = format!(
            "watching {label}: every {}{}, leak warning after {n} consecutive growths",
            show(args.interval),
            if gc { ", GC forced before each sample" } else { ", no forced GC" },
        );
        if args.json {
            let _ = writeln!(io::stderr(), "heapsnap: {line}");
        } else {
            writeln!(out, "{line}")?;
            out.flush()?;
        }
    }
    let mut error = None;
    let mut k: u32 = 0;
    loop {
        if heapsnap_capture::interrupted() {
            break;
        }
        let t = start.elapsed();
        let usage = (|| {
            if gc {
                session.collect_garbage()?;
            }
            session.heap_usage()
        })();
        let usage = match usage {
            Ok(u) => u,
            Err(heapsnap_capture::Error::Interrupted) => break,
            Err(e) => {
                error = Some(anyhow::Error::from(e).context(format!("sampling {label}")));
                break;
            }
        };
        samples.push(Sample { t, used: usage.used_size, total: usage.total_size });
        let idx = samples.len() - 1;
        let fired = detector.push(usage.used_size);
        let trend = trend_per_min(&samples, 2 * n);
        let run = detector_run(&detector, fired, n);
        if args.json {
            let line = json!({
                "sample": idx,
                "t_ms": t.as_millis() as u64,
                "used_size": usage.used_size,
                "total_size": usage.total_size,
                "trend_bytes_per_min": trend,
                "grew": run,
                "warning": fired,
            });
            writeln!(out, "{line}")?;
            out.flush()?;
        } else if !global.quiet {
            writeln!(
                out,
                "[{:>7}] used {:>10}  total {:>10}  trend {:>12}/min  grew {}/{n}",
                show_secs(t),
                human_bytes(usage.used_size),
                human_bytes(usage.total_size),
                human_delta(trend as i64),
                run,
            )?;
            out.flush()?;
        }
        if let Some(path) = &args.prometheus
            && let Err(e) = write_prometheus(
                path,
                at,
                label,
                &samples,
                warnings.len() + usize::from(fired),
                run,
                trend,
            )
        {
            error = Some(e.context(format!("writing {}", path.display())));
            break;
        }
        if fired {
            warnings.push(idx);
            let first = samples[idx.saturating_sub(n)].used;
            let _ = writeln!(
                io::stderr(),
                "heapsnap: warning: possible leak in {label}: the heap after GC grew in {n} \
                 consecutive samples ({} -> {}, {}/min)",
                human_bytes(first),
                human_bytes(usage.used_size),
                human_delta(trend as i64),
            );
            if let Some(a) = &mut auto
                && a.plan.is_empty()
            {
                a.plan = vec![("baseline", idx), ("target", idx + n), ("final", idx + 2 * n)];
                match crate::cmd::hunt::create_run_dir(
                    &a.parent,
                    &crate::cmd::hunt::run_dir_name(at.pid),
                ) {
                    Ok(d) => {
                        let _ = writeln!(
                            io::stderr(),
                            "heapsnap: auto-capture: baseline, target and final snapshots go to {}",
                            d.display()
                        );
                        a.dir = Some(d);
                    }
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                }
            }
        }
        if let Some(a) = &mut auto
            && let Some(dir) = a.dir.clone()
            && let Some(k) = a.plan.iter().position(|(_, due)| *due == idx)
        {
            let stage = a.plan[k].0;
            match auto_capture(session, &dir, k + 1, stage, global) {
                Ok(p) => {
                    a.written.push(p);
                    if a.written.len() == 3 {
                        run_leaks(&a.written, args.json, global)?;
                    }
                }
                Err(e) if is_interrupted(&e) => break,
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        // An auto-capture series under way runs to its end whatever --duration says: its
        // snapshots are only worth something together.
        let finishing = auto.as_ref().is_some_and(|a| a.dir.is_some() && a.written.len() < 3);
        let over = |elapsed: Duration| !finishing && args.duration.is_some_and(|d| elapsed >= d);
        if over(start.elapsed()) {
            break;
        }
        // Sleep until the next tick, waking up for Ctrl-C and the end of --duration.
        k += 1;
        let next = args.interval * k;
        loop {
            let now = start.elapsed();
            if now >= next || heapsnap_capture::interrupted() || over(now) {
                break;
            }
            std::thread::sleep((next - now).min(Duration::from_millis(100)));
        }
        if over(start.elapsed()) && start.elapsed() < next {
            break;
        }
    }
    drop(out);
    if !args.json {
        summary(&samples, &warnings, args, label)?;
    }
    if let Some(path) = &args.out {
        let snaps = auto.as_ref().map(|a| a.written.clone()).unwrap_or_default();
        write_series(path, &samples, &warnings, args, label, &snaps)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(a) = &auto
        && let Some(dir) = &a.dir
        && a.written.len() < 3
    {
        let _ = writeln!(
            io::stderr(),
            "heapsnap: auto-capture stopped after {} of 3 snapshots{}",
            a.written.len(),
            crate::cmd::hunt::mark_incomplete(dir, &a.written)
                .map(|k| format!("; {k}"))
                .unwrap_or_default()
        );
    }
    if let Some(e) = error {
        return Err(e);
    }
    Ok(!warnings.is_empty())
}

fn detector_run(d: &GrowthDetector, fired: bool, n: usize) -> usize {
    if fired { n } else { d.run() }
}

fn is_interrupted(e: &anyhow::Error) -> bool {
    crate::cmd::capture::is_interrupted(e)
}

/// Bytes per minute over the last `window` samples.
fn trend_per_min(samples: &[Sample], window: usize) -> f64 {
    let from = samples.len().saturating_sub(window.max(2));
    let pts: Vec<(f64, f64)> =
        samples[from..].iter().map(|s| (s.t.as_secs_f64(), s.used as f64)).collect();
    heapsnap_capture::slope(&pts) * 60.0
}

/// One snapshot of the series into `dir`: written by the target itself when it can (the
/// shorter pause; the same session, so ids still follow objects), else through the inspector.
fn auto_capture(
    session: &mut Session,
    dir: &Path,
    k: usize,
    stage: &str,
    global: &GlobalArgs,
) -> Result<PathBuf> {
    let path = dir.join(format!("{k}-{stage}.heapsnapshot.gz"));
    let what = format!("the {stage} snapshot");
    let opts = SnapshotOptions::default();
    // No bar: the heap samples are what this command prints.
    let bar = crate::cmd::capture::CaptureBar::new(global, true, &what);
    let own =
        crate::cmd::capture::by_the_target(session, &path, true, &opts, bar, &what, Via::Auto)
            .with_context(|| format!("auto-capture of the {stage} snapshot"))?;
    let pause = own.as_ref().map(|o| o.pause);
    let stats = match own {
        Some(own) => own.stats,
        None => {
            let mut out = OutputFile::create(&path, true)
                .with_context(|| format!("writing {}", path.display()))?;
            let stats = session
                .take_heap_snapshot(&mut out, &opts, &mut NoProgress)
                .with_context(|| format!("auto-capture of the {stage} snapshot"))?;
            out.finish().with_context(|| format!("writing {}", path.display()))?;
            stats
        }
    };
    let how = match pause {
        Some(p) => format!(", written by the target: paused {:.2}s", p.as_secs_f64()),
        None => String::new(),
    };
    let _ = writeln!(
        io::stderr(),
        "heapsnap: auto-capture: wrote {} ({}{how})",
        path.display(),
        human_bytes(stats.bytes)
    );
    Ok(path)
}

/// Runs the leaks analysis on BASELINE TARGET FINAL, as `heapsnap leaks` would, and prints its
/// report on stdout (on stderr when stdout carries JSON Lines). A failed analysis is a warning:
/// the snapshots stay for another try.
fn run_leaks(files: &[PathBuf], json_lines: bool, global: &GlobalArgs) -> Result<()> {
    let shown: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    let _ = writeln!(
        io::stderr(),
        "heapsnap: auto-capture: running heapsnap leaks {}",
        shown.join(" ")
    );
    let opts = heapsnap_leaks::LeakOptions::default();
    let report = match crate::cmd::leaks::analyze(files, &opts, global, json_lines) {
        Ok(r) => r,
        Err(e) => {
            log::warn!("heapsnap leaks {}: {e:#}", shown.join(" "));
            return Ok(());
        }
    };
    if json_lines {
        let mut err = io::stderr().lock();
        crate::cmd::leaks::write_text(&mut err, &report, 10)?;
        err.flush()?;
    } else {
        let mut out = io::stdout().lock();
        crate::cmd::leaks::write_text(&mut out, &report, 10)?;
        out.flush()?;
    }
    Ok(())
}

/// Escapes a Prometheus label value.
fn label_value(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Writes the latest sample in Prometheus' text exposition format: to a temporary file beside
/// `path`, made readable by all (node_exporter runs as another user), then renamed over it, so
/// that a reader never sees half a file.
fn write_prometheus(
    path: &Path,
    at: &Attached,
    label: &str,
    samples: &[Sample],
    warnings: usize,
    run: usize,
    trend: f64,
) -> Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let Some(last) = samples.last() else { return Ok(()) };
    let mut labels = format!("target=\"{}\"", label_value(label));
    if let Some(p) = at.pid {
        labels.push_str(&format!(",pid=\"{p}\""));
    }
    let mut text = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, value: String| {
        text.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name}{{{labels}}} {value}\n"
        ));
    };
    metric(
        "heapsnap_heap_used_bytes",
        "gauge",
        "V8 heap in use (after a forced GC unless --no-gc), Runtime.getHeapUsage usedSize.",
        last.used.to_string(),
    );
    metric(
        "heapsnap_heap_total_bytes",
        "gauge",
        "V8 heap reserved, Runtime.getHeapUsage totalSize.",
        last.total.to_string(),
    );
    metric(
        "heapsnap_heap_trend_bytes_per_minute",
        "gauge",
        "Least-squares slope of the heap in use over the recent samples.",
        format!("{trend:.0}"),
    );
    metric(
        "heapsnap_heap_growth_streak",
        "gauge",
        "Consecutive samples in which the heap grew by more than --min-growth.",
        run.to_string(),
    );
    metric(
        "heapsnap_leak_warnings_total",
        "counter",
        "Leak warnings raised since heapsnap watch started.",
        warnings.to_string(),
    );
    metric(
        "heapsnap_samples_total",
        "counter",
        "Samples taken since heapsnap watch started.",
        samples.len().to_string(),
    );
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| -> io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.set_permissions(std::fs::Permissions::from_mode(0o644))?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e.into());
    }
    Ok(())
}

fn summary(samples: &[Sample], warnings: &[usize], args: &WatchArgs, label: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    let Some(first) = samples.first() else {
        writeln!(out, "summary: no samples taken of {label}")?;
        return Ok(());
    };
    let last = samples.last().unwrap_or(first);
    let min = samples.iter().map(|s| s.used).min().unwrap_or(0);
    let max = samples.iter().map(|s| s.used).max().unwrap_or(0);
    let what = if args.no_gc { "heap used" } else { "heap after GC" };
    writeln!(out, "summary: {} samples of {label} over {}", samples.len(), show_secs(last.t))?;
    writeln!(
        out,
        "  {what}: first {}, last {} ({}), min {}, max {}",
        human_bytes(first.used),
        human_bytes(last.used),
        human_delta(last.used as i64 - first.used as i64),
        human_bytes(min),
        human_bytes(max)
    )?;
    writeln!(out, "  trend: {}/min", human_delta(trend_per_min(samples, samples.len()) as i64))?;
    match warnings.first() {
        Some(&i) => writeln!(
            out,
            "  leak warnings: {} (first at {})",
            warnings.len(),
            show_secs(samples[i].t)
        )?,
        None => writeln!(out, "  leak warnings: none")?,
    }
    out.flush()?;
    Ok(())
}

fn write_series(
    path: &Path,
    samples: &[Sample],
    warnings: &[usize],
    args: &WatchArgs,
    label: &str,
    snapshots: &[PathBuf],
) -> Result<()> {
    let mut f = OutputFile::create(path, false)?;
    let csv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if csv {
        writeln!(f, "t_ms,used_size,total_size,leak_warning")?;
        for (i, s) in samples.iter().enumerate() {
            writeln!(
                f,
                "{},{},{},{}",
                s.t.as_millis(),
                s.used,
                s.total,
                u8::from(warnings.contains(&i))
            )?;
        }
    } else {
        let doc = json!({
            "schema": "heapsnap.watch/1",
            "target": label,
            "interval_ms": args.interval.as_millis() as u64,
            "gc": !args.no_gc,
            "consecutive": args.consecutive,
            "min_growth": args.min_growth,
            "samples": samples.iter().map(|s| json!({
                "t_ms": s.t.as_millis() as u64, "used_size": s.used, "total_size": s.total,
            })).collect::<Vec<_>>(),
            "warnings": warnings.iter().map(|&i| json!({
                "t_ms": samples[i].t.as_millis() as u64, "sample": i, "used_size": samples[i].used,
            })).collect::<Vec<_>>(),
            "trend_bytes_per_min": trend_per_min(samples, samples.len()),
            "snapshots": snapshots.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        });
        crate::output::json_doc(&mut f, &doc)?;
    }
    f.finish()?;
    Ok(())
}

fn show(d: Duration) -> String {
    if d < Duration::from_secs(1) { format!("{}ms", d.as_millis()) } else { show_secs(d) }
}

fn show_secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.1}s")
    } else {
        format!("{}m{:02}s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trend() {
        let s: Vec<Sample> = (0..10)
            .map(|i| Sample { t: Duration::from_secs(i), used: 1000 + 100 * i, total: 0 })
            .collect();
        assert!((trend_per_min(&s, 4) - 6000.0).abs() < 1e-6);
        assert_eq!(show_secs(Duration::from_secs(75)), "1m15s");
        assert_eq!(show(Duration::from_millis(250)), "250ms");
    }
}
