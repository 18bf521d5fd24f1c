//! `heapsnap capture`: take heap snapshots from live processes over the inspector protocol.
//!
//! Each snapshot streams chunk by chunk into a temporary file beside its destination (gzip on
//! the fly with `--gzip` or a `.gz` name) and is renamed into place only once V8 has answered
//! `takeHeapSnapshot`; then it is parsed with `heapsnap-format` as a check (`--no-check` skips
//! that, which needs memory of the order of the snapshot's size).
//!
//! The JSON documents are specified in `docs/json.md` (`heapsnap.capture/1`).

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use heapsnap_capture::{OutputFile, Session, SnapshotOptions, SnapshotStats, WorkerInfo};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

use crate::cli::{CaptureArgs, GlobalArgs, Via};
use crate::cmd::attach::{self, Limits};
use crate::output::human_bytes;
use crate::values::WorkerChoice;

pub(crate) fn run(args: &CaptureArgs, global: &GlobalArgs) -> Result<ExitCode> {
    heapsnap_capture::catch_interrupts();
    let mut cx = Cx {
        args,
        global,
        report: Vec::new(),
        workers_listed: None,
        stamp: timestamp(),
        written: Vec::new(),
        report_pid: None,
    };
    let result = cx.run();
    if let Err(e) = &result
        && is_interrupted(e)
    {
        let _ = writeln!(io::stderr(), "heapsnap: interrupted ({})", attach::signal_name());
        return Ok(ExitCode::from(attach::interrupted_exit_code()));
    }
    result?;
    if !global.quiet
        && let Some(first) = cx.written.first()
        && other_snapshots_beside(&cx.written)
    {
        let who = cx.report_pid.map_or_else(|| "PID".to_string(), |p| p.to_string());
        let _ = writeln!(
            io::stderr(),
            "heapsnap: note: each capture opens its own inspector session, and V8 numbers objects \
             afresh in every session, so `leaks` and `diff` cannot follow objects by id between \
             this snapshot and others taken by separate captures (ids are reused for other \
             objects; `leaks` matches objects by structure instead, less exactly). To compare \
             snapshots of a leak, take the series in one session: heapsnap hunt --pid {who} \
             --drive CMD (beside {} are other snapshots)",
            first.display()
        );
    }
    if args.json {
        let mut doc = serde_json::Map::new();
        doc.insert("schema".into(), "heapsnap.capture/1".into());
        doc.insert("snapshots".into(), Value::Array(cx.report));
        if let Some(w) = cx.workers_listed {
            doc.insert("workers".into(), w);
        }
        let mut out = io::stdout().lock();
        crate::output::json_doc(&mut out, &Value::Object(doc))?;
        out.flush()?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether Ctrl-C ended the command (anywhere in the error chain).
pub(crate) fn is_interrupted(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        matches!(
            c.downcast_ref::<heapsnap_capture::Error>(),
            Some(heapsnap_capture::Error::Interrupted)
        )
    })
}

struct Cx<'a> {
    args: &'a CaptureArgs,
    global: &'a GlobalArgs,
    report: Vec<Value>,
    workers_listed: Option<Value>,
    stamp: String,
    written: Vec<PathBuf>,
    report_pid: Option<u32>,
}

impl Cx<'_> {
    fn run(&mut self) -> Result<()> {
        let args = self.args;
        if args.output.as_deref() == Some(Path::new("-")) {
            bail!(
                "capture writes files (through a temporary file and a rename); `-o -` is not supported"
            );
        }
        let ep = &args.endpoint;
        let limits = Limits { timeout: args.timeout, max_time: Some(args.max_time) };
        if let Some(pid) = attach::chosen_pid(ep, self.global.quiet)? {
            if args.target.is_some() {
                bail!(
                    "--target picks a Chrome target with --port or --ws; with --pid use --worker"
                );
            }
            if args.children {
                let kids = heapsnap_capture::node_children(pid)
                    .with_context(|| format!("listing the child processes of {pid}"))?;
                if kids.is_empty() {
                    heapsnap_capture::check_node_process(pid)?;
                    bail!(
                        "process {pid} has no Node.js child processes (is it a cluster primary?)"
                    );
                }
                log::info!("process {pid} has {} Node.js children: {kids:?}", kids.len());
                for kid in kids {
                    attach::with_pid(kid, limits, |s, at| {
                        self.capture_target(s, at.pid, Some(format!("pid{kid}")), &at.label)
                    })?;
                }
                return Ok(());
            }
            return attach::with_pid(pid, limits, |s, at| {
                self.capture_target(s, at.pid, None, &at.label)
            });
        }
        attach::with_endpoint(ep, &args.host, args.target.as_deref(), limits, true, |s, at| {
            self.capture_target(s, at.pid, None, &at.label)
        })
    }

    /// Captures the main thread, or the workers asked for with `--worker`.
    fn capture_target(
        &mut self,
        session: &mut Session,
        pid: Option<u32>,
        tag: Option<String>,
        label: &str,
    ) -> Result<()> {
        session.set_timeout(self.args.timeout);
        let pid = match pid {
            Some(p) => Some(p),
            None if self.args.output.is_none() => session.process_pid().ok().flatten(),
            None => None,
        };
        let Some(choice) = self.args.worker.clone() else {
            let path = self.path(pid, tag.as_deref());
            return self.one(session, &path, label, pid, None);
        };
        let workers =
            session.workers().with_context(|| format!("listing the worker threads of {label}"))?;
        let selected: Vec<WorkerInfo> = match &choice {
            WorkerChoice::List => {
                self.list_workers(label, &workers)?;
                return Ok(());
            }
            WorkerChoice::All => {
                // The main thread first, under the name it would have without --worker.
                let path = self.path(pid, tag.as_deref());
                self.one(session, &path, label, pid, None)?;
                if workers.is_empty() {
                    log::warn!("{label} has no worker threads; captured its main thread only");
                }
                workers
            }
            WorkerChoice::Id(id) => {
                let found: Vec<WorkerInfo> =
                    workers.iter().filter(|w| worker_number(w) == *id).cloned().collect();
                if found.is_empty() {
                    return Err(heapsnap_capture::Error::NoTarget {
                        wanted: format!("worker {id}"),
                        available: workers.iter().map(describe_worker).collect(),
                    }
                    .into());
                }
                found
            }
        };
        for w in selected {
            let wtag = worker_tag(&worker_number(&w), &w.title);
            let tag = match &tag {
                Some(t) => format!("{t}.{wtag}"),
                None => wtag,
            };
            let path = self.path(pid, Some(&tag));
            let wlabel = format!("{label} {}", describe_worker(&w));
            let mut scoped = session.worker(&w);
            self.one(&mut scoped, &path, &wlabel, pid, Some(&w))?;
        }
        Ok(())
    }

    fn list_workers(&mut self, label: &str, workers: &[WorkerInfo]) -> Result<()> {
        if self.args.json {
            self.workers_listed = Some(Value::Array(
                workers
                    .iter()
                    .map(|w| json!({"id": worker_number(w), "title": w.title, "url": w.url}))
                    .collect(),
            ));
            return Ok(());
        }
        let mut out = io::stdout().lock();
        if workers.is_empty() {
            writeln!(out, "{label} has no worker threads")?;
        }
        for w in workers {
            writeln!(out, "{}\t{}\t{}", worker_number(w), w.title, w.url)?;
        }
        Ok(())
    }

    /// One snapshot into `path`, then the parse check and the summary line.
    fn one(
        &mut self,
        session: &mut Session,
        path: &Path,
        label: &str,
        pid: Option<u32>,
        worker: Option<&WorkerInfo>,
    ) -> Result<()> {
        let args = self.args;
        let gzip = args.gzip || OutputFile::gzip_by_name(path);
        let opts = SnapshotOptions::new()
            .collect_garbage(!args.no_gc)
            .expose_internals(args.expose_internals)
            .capture_numeric_value(args.numeric_values);
        let own = match args.via {
            Via::Inspector => None,
            via => {
                let bar = CaptureBar::new(self.global, args.json, label);
                by_the_target(session, path, gzip, &opts, bar, label, via)?
            }
        };
        let (stats, file_bytes, pause) = match own {
            Some(own) => (own.stats, own.file_bytes, Some(own.pause)),
            None => {
                let mut out = OutputFile::create(path, gzip)
                    .with_context(|| format!("writing {}", path.display()))?;
                let mut bar = CaptureBar::new(self.global, args.json, label);
                let stats = session
                    .take_heap_snapshot(&mut out, &opts, &mut bar)
                    .with_context(|| format!("capturing {label} (no file was written)"));
                bar.finish();
                let stats = stats?;
                let file_bytes =
                    out.finish().with_context(|| format!("writing {}", path.display()))?;
                (stats, file_bytes, None)
            }
        };
        let counts = if args.no_check {
            None
        } else {
            let mut check = crate::progress::Bar::new(
                self.global,
                args.json,
                &format!("checking {}", path.display()),
            );
            let snap = heapsnap_format::ParseOptions::default()
                .parse_path(path, &mut check)
                .with_context(|| {
                    format!("the captured snapshot {} does not parse", path.display())
                })?;
            check.finish();
            Some((snap.node_count(), snap.edge_count()))
        };
        self.written.push(path.to_path_buf());
        if pid.is_some() {
            self.report_pid = pid;
        }
        let file = path.display().to_string();
        if args.json {
            self.report.push(json!({
                "file": file,
                "target": label,
                "pid": pid,
                "worker_id": worker.map(|w| w.worker_id.clone()),
                "bytes": stats.bytes,
                "file_bytes": file_bytes,
                "gzip": gzip,
                "chunks": stats.chunks,
                "objects": stats.objects,
                "node_count": counts.map(|c| c.0),
                "edge_count": counts.map(|c| c.1),
                "seconds": stats.elapsed.as_secs_f64(),
                "gc_seconds": stats.gc.as_secs_f64(),
                "via": if pause.is_some() { "target" } else { "inspector" },
                "pause_seconds": pause.map(|p| p.as_secs_f64()),
                "options": {
                    "collect_garbage": opts.collect_garbage,
                    "expose_internals": opts.expose_internals,
                    "capture_numeric_value": opts.capture_numeric_value,
                },
            }));
        } else {
            let mut line = format!("wrote {file}: {}", human_bytes(stats.bytes));
            if gzip {
                line.push_str(&format!(" ({} gzipped)", human_bytes(file_bytes)));
            }
            match counts {
                Some((n, e)) => line.push_str(&format!(", {n} nodes, {e} edges")),
                None => line.push_str(", not checked"),
            }
            line.push_str(&format!(", {}", seconds(stats.elapsed)));
            if let Some(p) = pause {
                line.push_str(&format!(" (written by the target: paused {})", seconds(p)));
            }
            if !args.no_gc {
                line.push_str(&format!(" (GC {})", seconds(stats.gc)));
            }
            let mut out = io::stdout().lock();
            writeln!(out, "{line}")?;
            out.flush()?;
        }
        Ok(())
    }

    /// The output path: `-o` (with `tag` inserted when there are several snapshots) or
    /// `heapsnap-<pid>-<time>[.tag].heapsnapshot[.gz]`.
    fn path(&self, pid: Option<u32>, tag: Option<&str>) -> PathBuf {
        let tagged = |base: PathBuf| match tag {
            Some(t) => with_tag(&base, t),
            None => base,
        };
        if let Some(p) = &self.args.output {
            return tagged(p.clone());
        }
        // A default name never replaces an earlier capture (two in the same second).
        let who = pid.map(|p| format!("{p}-")).unwrap_or_default();
        let gz = if self.args.gzip { ".gz" } else { "" };
        let mut k = 1u32;
        loop {
            let n = if k == 1 { String::new() } else { format!("-{k}") };
            let p =
                tagged(PathBuf::from(format!("heapsnap-{who}{}{n}.heapsnapshot{gz}", self.stamp)));
            if !p.exists() || k >= 1000 {
                return p;
            }
            k += 1;
        }
    }
}

/// The target writes the snapshot itself into a private folder beside `path` (so that the
/// file is renamed into place, or gzipped into it, without a copy across filesystems).
/// Returns the stats, the size on disk and the target's pause; `None` when the target
/// cannot (not Node.js 11.13+, not this machine's filesystem, no permission) and `via` is
/// `auto`: then the inspector streams it.
pub(crate) fn by_the_target(
    session: &mut Session,
    path: &Path,
    gzip: bool,
    opts: &SnapshotOptions,
    bar: CaptureBar,
    label: &str,
    via: Via,
) -> Result<Option<OwnWrite>> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // Mode 0700: the file holds everything the heap does, and V8 creates it with the
    // target's umask.
    let private = tempfile::Builder::new()
        .prefix(".heapsnap-")
        .tempdir_in(dir)
        .with_context(|| format!("creating a private folder in {}", dir.display()))?;
    let written =
        session.write_heap_snapshot_in_target(private.path(), "snapshot.heapsnapshot", opts);
    bar.finish();
    let written = match written {
        Ok(w) => w,
        // The target answered that it cannot (an exception, another filesystem): the
        // inspector can. A connection that failed or timed out is an error either way.
        Err(
            e @ (heapsnap_capture::Error::Remote { .. } | heapsnap_capture::Error::Protocol { .. }),
        ) if via == Via::Auto => {
            log::info!(
                "{label} cannot write its own snapshot ({e}); streaming it through the inspector"
            );
            return Ok(None);
        }
        Err(e) => {
            return Err(anyhow::Error::new(e))
                .with_context(|| format!("capturing {label} (no file was written)"));
        }
    };
    let what = || format!("writing {}", path.display());
    let mut file = std::fs::File::open(&written.path).with_context(what)?;
    let mut head = vec![0u8; 8192];
    let got = io::Read::read(&mut file, &mut head).with_context(what)?;
    head.truncate(got);
    io::Seek::rewind(&mut file).with_context(what)?;
    let file_bytes = if gzip {
        let mut out = OutputFile::create(path, true).with_context(what)?;
        io::copy(&mut io::BufReader::with_capacity(1 << 20, file), &mut out).with_context(what)?;
        out.finish().with_context(what)?
    } else {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600)).with_context(what)?;
        file.sync_all().with_context(what)?;
        std::fs::rename(&written.path, path).with_context(what)?;
        written.stats.bytes
    };
    Ok(Some(OwnWrite { stats: written.stats, file_bytes, pause: written.pause, head }))
}

/// A snapshot the target wrote itself, in place ([`by_the_target`]).
pub(crate) struct OwnWrite {
    pub(crate) stats: SnapshotStats,
    /// The size on disk (gzipped or not).
    pub(crate) file_bytes: u64,
    /// How long the target's JavaScript was paused, as it measured it.
    pub(crate) pause: std::time::Duration,
    /// The file's first 8 KiB (its header), uncompressed.
    pub(crate) head: Vec<u8>,
}

/// Whether the folders of `written` hold other snapshot files (`*.heapsnapshot[.gz]`): the user
/// is taking several separate captures.
fn other_snapshots_beside(written: &[PathBuf]) -> bool {
    let mut dirs: Vec<PathBuf> = written
        .iter()
        .map(|p| match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        })
        .collect();
    dirs.sort();
    dirs.dedup();
    dirs.iter().any(|d| {
        std::fs::read_dir(d).into_iter().flatten().flatten().any(|e| {
            let name = e.file_name().to_string_lossy().to_ascii_lowercase();
            (name.ends_with(".heapsnapshot") || name.ends_with(".heapsnapshot.gz"))
                && !written.iter().any(|w| w.file_name() == Some(e.file_name().as_os_str()))
        })
    })
}

/// The id users see and type: the thread id (`worker.threadId`), else the inspector's id.
fn worker_number(w: &WorkerInfo) -> String {
    w.thread_id.map_or_else(|| w.worker_id.clone(), |t| t.to_string())
}

fn describe_worker(w: &WorkerInfo) -> String {
    format!("worker {} {:?}", worker_number(w), w.title)
}

/// `worker-1-my-worker` from id 1 and title `[worker 1] my-worker`.
fn worker_tag(id: &str, title: &str) -> String {
    let title = match title.strip_prefix("[worker ").and_then(|r| r.split_once(']')) {
        Some((_, rest)) => rest,
        None => title,
    };
    let mut clean = String::new();
    for c in title.trim().chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            clean.push(c);
        } else if !clean.ends_with('-') {
            clean.push('-');
        }
        if clean.len() >= 40 {
            break;
        }
    }
    let clean = clean.trim_matches('-');
    if clean.is_empty() || clean == "worker" {
        format!("worker-{id}")
    } else {
        format!("worker-{id}-{clean}")
    }
}

/// `app.heapsnapshot.gz` + `worker-1` → `app.worker-1.heapsnapshot.gz`.
pub(crate) fn with_tag(base: &Path, tag: &str) -> PathBuf {
    let name = base.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let lower = name.to_ascii_lowercase();
    let suffix = [".heapsnapshot.gz", ".heapsnapshot", ".json.gz", ".json", ".gz"]
        .into_iter()
        .find(|s| lower.ends_with(s) && lower.len() > s.len())
        .unwrap_or("");
    let stem = &name[..name.len() - suffix.len()];
    base.with_file_name(format!("{stem}.{tag}{}", &name[name.len() - suffix.len()..]))
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 10.0 { format!("{s:.2}s") } else { format!("{s:.1}s") }
}

/// UTC `YYYYMMDD-HHMMSS` (for default file names).
pub(crate) fn timestamp() -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}{m:02}{d:02}-{:02}{:02}{:02}", rem / 3600, rem / 60 % 60, rem % 60)
}

/// The capture progress bar: heap objects walked, then bytes received.
pub(crate) struct CaptureBar {
    bar: ProgressBar,
    streaming: bool,
    bytes: u64,
}

impl CaptureBar {
    pub(crate) fn new(global: &GlobalArgs, hide: bool, label: &str) -> CaptureBar {
        let visible = !hide && !global.quiet && !global.no_progress && io::stderr().is_terminal();
        let bar = if visible { ProgressBar::new(0) } else { ProgressBar::hidden() };
        if let Ok(style) =
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} objects walked, eta {eta}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(format!("capturing {label}"));
        bar.enable_steady_tick(Duration::from_millis(200));
        CaptureBar { bar, streaming: false, bytes: 0 }
    }

    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl heapsnap_capture::Progress for CaptureBar {
    fn set_total(&mut self, total: u64) {
        self.bar.set_length(total);
    }
    fn advance(&mut self, delta: u64) {
        self.bar.inc(delta);
    }
    fn wrote(&mut self, bytes: u64) {
        if !self.streaming {
            self.streaming = true;
            if let Ok(style) =
                ProgressStyle::with_template("{msg} {spinner} {bytes} received ({bytes_per_sec})")
            {
                self.bar.set_style(style);
            }
        }
        self.bytes += bytes;
        self.bar.set_position(self.bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_go_before_the_extension() {
        let t = |p: &str| with_tag(Path::new(p), "worker-1").display().to_string();
        assert_eq!(t("app.heapsnapshot.gz"), "app.worker-1.heapsnapshot.gz");
        assert_eq!(t("dir/app.heapsnapshot"), "dir/app.worker-1.heapsnapshot");
        assert_eq!(t("app"), "app.worker-1");
        assert_eq!(t("x.gz"), "x.worker-1.gz");
        assert_eq!(t(".heapsnapshot"), ".heapsnapshot.worker-1");
    }

    #[test]
    fn worker_tags() {
        assert_eq!(worker_tag("1", "[worker 1] my worker!"), "worker-1-my-worker");
        assert_eq!(worker_tag("2", "[worker 2]"), "worker-2");
        assert_eq!(worker_tag("3", ""), "worker-3");
    }

    #[test]
    fn timestamps_look_right() {
        let t = timestamp();
        assert_eq!(t.len(), 15);
        assert!(t.starts_with("20"));
        assert_eq!(&t[8..9], "-");
    }
}
