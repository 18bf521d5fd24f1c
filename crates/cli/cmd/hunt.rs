//! `heapsnap hunt`: the live leak hunt in one command.
//!
//! One inspector session is opened and held for the whole series (V8 numbers objects per
//! session: `HeapProfiler.disable`, which V8 runs when a session closes, clears its id map), so
//! that object ids follow objects from snapshot to snapshot. Baseline, then the action, then
//! target, then the action again, then final (or baseline, action, final with
//! `--snapshots 2`), each after a forced GC; then the session (and the inspector, if we
//! opened it) is closed, and the report of `heapsnap leaks` on the series is printed.
//!
//! The action: `--drive CMD` (run with `sh -c` in a process group of its own, to completion;
//! a non-zero exit ends the hunt), `--every DURATION` (wait), or, on a terminal, wait for
//! Enter. While the action runs the session is drained (allocation tracking sends heap
//! statistics every 50 ms) and watched: a target that exits ends the hunt at once.
//!
//! Every run writes into a new folder `DIR/heapsnap-<pid>-<UTC time>/` (created with
//! `create_dir`, a `-2`, `-3`, ... suffix on collision, so nothing is ever overwritten), with
//! `1-baseline.heapsnapshot.gz`, `2-target...`, `3-final...`. A run that fails half way is
//! renamed `...-incomplete` and keeps the snapshots it completed (a snapshot being written is
//! a temporary file until complete, removed on failure); a run that wrote nothing leaves no
//! folder.
//!
//! `--track-allocations`: `HeapProfiler.startTrackingHeapObjects {trackAllocations: true}`
//! after the baseline; the final snapshot is the one `HeapProfiler.stopTrackingHeapObjects`
//! streams as tracking stops, so target and final carry V8's allocation trace tree.
//!
//! JSON (`heapsnap.hunt/1`) is the `heapsnap.leaks/1` document plus `run_dir`, `target`,
//! `captures`, `actions` and `timings`; see docs/json.md.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use heapsnap_capture::{OutputFile, Session, SnapshotOptions, SnapshotStats};
use serde_json::{Value, json};

use crate::cli::{GlobalArgs, HuntArgs, Via};
use crate::cmd::attach::{self, Attached, Limits};
use crate::cmd::capture::{CaptureBar, by_the_target};
use crate::output::human_bytes;

/// What happens between two snapshots.
#[derive(Clone, Debug)]
enum Action {
    Drive(String),
    Every(Duration),
    Enter,
}

impl Action {
    fn kind(&self) -> &'static str {
        match self {
            Action::Drive(_) => "drive",
            Action::Every(_) => "every",
            Action::Enter => "enter",
        }
    }
}

/// One snapshot written.
struct Capture {
    stage: &'static str,
    path: PathBuf,
    stats: SnapshotStats,
    file_bytes: u64,
    tracking: bool,
    trace_function_count: Option<u64>,
    /// When the target wrote the snapshot itself: how long it was paused, as it measured it.
    pause: Option<Duration>,
}

/// Everything the run did, for the report and for clean-up.
#[derive(Default)]
struct Run {
    dir: Option<PathBuf>,
    captures: Vec<Capture>,
    actions: Vec<Value>,
    target: Option<Value>,
    attach: Duration,
}

pub(crate) fn run(args: &HuntArgs, global: &GlobalArgs) -> Result<ExitCode> {
    heapsnap_capture::catch_interrupts();
    let start = Instant::now();
    let action = match (&args.drive, args.every) {
        (Some(cmd), _) => Action::Drive(cmd.clone()),
        (None, Some(d)) => Action::Every(d),
        (None, None) => {
            if !io::stdin().is_terminal() {
                bail!(
                    "say how to exercise the app between snapshots: --drive CMD (a load script, \
                     run to completion) or --every DURATION (wait); without either, hunt waits \
                     for Enter, which needs a terminal on stdin"
                );
            }
            Action::Enter
        }
    };
    let limits = Limits { timeout: args.timeout, max_time: Some(args.max_time) };
    let mut run = Run::default();
    let result = attach::with_endpoint(
        &args.endpoint,
        &args.host,
        args.target.as_deref(),
        limits,
        global.quiet,
        |session, at| {
            run.attach = start.elapsed();
            series(session, at, args, global, &action, &mut run)
        },
    );
    let captured = start.elapsed();
    if let Err(e) = result {
        if let Some(k) = give_up(&mut run) {
            let _ = writeln!(io::stderr(), "heapsnap: {k}");
        }
        if crate::cmd::capture::is_interrupted(&e) {
            let _ = writeln!(io::stderr(), "heapsnap: interrupted ({})", attach::signal_name());
            return Ok(ExitCode::from(attach::interrupted_exit_code()));
        }
        return Err(e);
    }
    let Some(dir) = run.dir.clone() else { bail!("no snapshot was taken") };
    let files: Vec<PathBuf> = run.captures.iter().map(|c| c.path.clone()).collect();
    let mut argv: Vec<String> = vec!["heapsnap".into(), "leaks".into()];
    argv.extend(files.iter().map(|p| p.display().to_string()));
    if args.json {
        argv.push("--json".into());
    }
    if let Some(n) = args.top {
        argv.extend(["--top".into(), n.to_string()]);
    }
    if args.fail_on_leak {
        argv.push("--fail-on-leak".into());
    }
    let leaks_args = match <crate::cli::Cli as clap::Parser>::try_parse_from(&argv)
        .context("preparing the leaks report")?
        .command
    {
        crate::cli::Command::Leaks(a) => a,
        _ => bail!("internal error: not a leaks command"),
    };
    let stages: Vec<&str> = run.captures.iter().map(|c| c.stage).collect();
    if !args.json {
        let mut out = io::stdout().lock();
        writeln!(
            out,
            "hunt: {} snapshots of {} in one inspector session ({}), in {}",
            run.captures.len(),
            run.target.as_ref().and_then(|t| t["label"].as_str()).unwrap_or("the target"),
            stages.join(", "),
            dir.display()
        )?;
        out.flush()?;
    }
    let t = Instant::now();
    let mut extra = serde_json::Map::new();
    if args.json {
        extra.insert("schema".into(), "heapsnap.hunt/1".into());
        extra.insert("run_dir".into(), dir.display().to_string().into());
        extra.insert("target".into(), run.target.clone().unwrap_or(Value::Null));
        extra.insert("captures".into(), run.captures.iter().map(capture_json).collect());
        extra.insert("actions".into(), Value::Array(run.actions.clone()));
        let snap_secs: f64 = run.captures.iter().map(|c| c.stats.elapsed.as_secs_f64()).sum();
        let action_secs: f64 = run.actions.iter().filter_map(|a| a["seconds"].as_f64()).sum();
        extra.insert(
            "timings".into(),
            json!({
                "attach_seconds": run.attach.as_secs_f64(),
                "snapshot_seconds": snap_secs,
                "action_seconds": action_secs,
                "until_detached_seconds": captured.as_secs_f64(),
            }),
        );
    }
    let code = crate::cmd::leaks::report(&leaks_args, global, extra)?;
    log::info!(
        "hunt: attach {:.2?}, captures {:.2?}, analysis {:.2?}",
        run.attach,
        run.captures.iter().map(|c| c.stats.elapsed).sum::<Duration>(),
        t.elapsed()
    );
    if !args.json {
        let mut out = io::stdout().lock();
        writeln!(out, "\nsnapshots: {}", dir.display())?;
        out.flush()?;
    }
    Ok(code)
}

fn capture_json(c: &Capture) -> Value {
    json!({
        "stage": c.stage,
        "file": c.path.display().to_string(),
        "bytes": c.stats.bytes,
        "file_bytes": c.file_bytes,
        "chunks": c.stats.chunks,
        "objects": c.stats.objects,
        "seconds": c.stats.elapsed.as_secs_f64(),
        "gc_seconds": c.stats.gc.as_secs_f64(),
        "allocation_tracking": c.tracking,
        "trace_function_count": c.trace_function_count,
        "via": if c.pause.is_some() { "target" } else { "inspector" },
        "pause_seconds": c.pause.map(|p| p.as_secs_f64()),
    })
}

/// After a failure: a folder with snapshots is renamed `...-incomplete`; an empty one is
/// removed. Returns what to tell the user.
fn give_up(run: &mut Run) -> Option<String> {
    let dir = run.dir.take()?;
    let files: Vec<PathBuf> = run.captures.iter().map(|c| c.path.clone()).collect();
    mark_incomplete(&dir, &files)
}

/// A run folder whose series stopped early: renamed `...-incomplete` when it holds `files`
/// (the snapshots completed), removed when empty. Returns what to tell the user.
pub(crate) fn mark_incomplete(dir: &Path, files: &[PathBuf]) -> Option<String> {
    if files.is_empty() {
        let _ = std::fs::remove_dir(dir);
        return None;
    }
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // `-incomplete`, or `-incomplete-2`, ... when taken (never left under a plain run name,
    // which would read as a complete run).
    let kept = (1..=1000u32)
        .map(|k| match k {
            1 => dir.with_file_name(format!("{name}-incomplete")),
            k => dir.with_file_name(format!("{name}-incomplete-{k}")),
        })
        .find(|renamed| !renamed.exists() && std::fs::rename(dir, renamed).is_ok())
        .unwrap_or_else(|| dir.to_path_buf());
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default())
        .collect();
    Some(format!("the run is incomplete: {} holds {}", kept.display(), names.join(", ")))
}

/// Creates a new folder `parent/base` (or `base-2`, `base-3`, ... when taken, or when a run
/// of that name was kept as `...-incomplete`): never an existing one, so two runs in the same
/// second never share a folder, nor a name once one stops early.
pub(crate) fn create_run_dir(parent: &Path, base: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    for k in 1..=1000u32 {
        let name = if k == 1 { base.to_string() } else { format!("{base}-{k}") };
        if parent.join(format!("{name}-incomplete")).exists() {
            continue;
        }
        let dir = parent.join(name);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("creating {}", dir.display())),
        }
    }
    bail!("could not create a new folder {base}-N in {}", parent.display())
}

/// The run folder's name: `heapsnap-<pid>-<UTC time>` (`heapsnap-page-...` without a pid).
pub(crate) fn run_dir_name(pid: Option<u32>) -> String {
    let who = pid.map_or_else(|| "page".to_string(), |p| p.to_string());
    format!("heapsnap-{who}-{}", crate::cmd::capture::timestamp())
}

/// Picks the worker (if any) and runs the series on it.
fn series(
    session: &mut Session,
    at: &Attached,
    args: &HuntArgs,
    global: &GlobalArgs,
    action: &Action,
    run: &mut Run,
) -> Result<()> {
    let Some(id) = &args.worker else {
        run.target = Some(json!({"label": at.label, "pid": at.pid, "worker": null}));
        return steps(session, at, &at.label, args, global, action, run);
    };
    let w = attach::find_worker(session, at, id)?;
    let label = format!("{} worker {} {:?}", at.label, attach::worker_number(&w), w.title);
    run.target = Some(json!({
        "label": label, "pid": at.pid,
        "worker": {"id": attach::worker_number(&w), "title": w.title, "url": w.url},
    }));
    let mut scoped = session.worker(&w);
    steps(&mut scoped, at, &label, args, global, action, run)
}

/// Baseline, action, [target, action,] final.
fn steps(
    session: &mut Session,
    at: &Attached,
    label: &str,
    args: &HuntArgs,
    global: &GlobalArgs,
    action: &Action,
    run: &mut Run,
) -> Result<()> {
    let stages: &[&'static str] =
        if args.snapshots == 2 { &["baseline", "final"] } else { &["baseline", "target", "final"] };
    let dir = create_run_dir(&args.output, &run_dir_name(at.pid))?;
    run.dir = Some(dir.clone());
    let say = |msg: &str| {
        if !global.quiet {
            let _ = writeln!(io::stderr(), "heapsnap: {msg}");
        }
    };
    say(&format!("hunting in {label}; snapshots go to {}", dir.display()));
    let opts = SnapshotOptions::new();
    let mut tracking = false;
    for (i, &stage) in stages.iter().enumerate() {
        if i > 0 {
            let t = Instant::now();
            let record = perform(session, action, at.pid, stage, i, global)?;
            let mut rec = json!({"kind": action.kind(), "before": stage,
                                 "seconds": t.elapsed().as_secs_f64()});
            if let (Value::Object(m), Value::Object(extra)) = (&mut rec, record) {
                m.extend(extra);
            }
            run.actions.push(rec);
        }
        let last = i + 1 == stages.len();
        let path = dir.join(format!("{}-{stage}.heapsnapshot.gz", i + 1));
        let what = format!("{stage} of {label}");
        // With --track-allocations every snapshot streams through the inspector (the last one
        // ends the tracking; after a baseline the target wrote itself, V8 recorded no trace
        // at all for the new objects in 1 of 4 runs here); otherwise the target writes them itself
        // when it can (the shorter pause; the same heap profiler, so ids still follow objects).
        let own = if args.track_allocations {
            None
        } else {
            let bar = CaptureBar::new(global, false, &what);
            by_the_target(session, &path, true, &opts, bar, &what, Via::Auto)
                .with_context(|| format!("taking the {stage} snapshot of {label}"))?
        };
        let pause = own.as_ref().map(|o| o.pause);
        let (stats, file_bytes, trace_function_count) = match own {
            Some(own) => (own.stats, own.file_bytes, trace_function_count(&own.head)),
            None => {
                let mut out = OutputFile::create(&path, true)
                    .with_context(|| format!("writing {}", path.display()))?;
                let mut sniff = Sniff { inner: &mut out, head: Vec::new() };
                let mut bar = CaptureBar::new(global, false, &what);
                let stats = if tracking && last {
                    session.stop_tracking_heap_objects(&mut sniff, &opts, &mut bar)
                } else {
                    session.take_heap_snapshot(&mut sniff, &opts, &mut bar)
                };
                bar.finish();
                let stats =
                    stats.with_context(|| format!("taking the {stage} snapshot of {label}"))?;
                let trace_function_count = trace_function_count(&sniff.head);
                let file_bytes =
                    out.finish().with_context(|| format!("writing {}", path.display()))?;
                (stats, file_bytes, trace_function_count)
            }
        };
        say(&format!(
            "{stage}: wrote {} ({}, {} gzipped, {:.2}s)",
            path.display(),
            human_bytes(stats.bytes),
            human_bytes(file_bytes),
            stats.elapsed.as_secs_f64()
        ));
        if tracking && trace_function_count == Some(0) {
            log::warn!("the {stage} snapshot carries no allocation traces");
        }
        run.captures.push(Capture {
            stage,
            path,
            stats,
            file_bytes,
            tracking,
            trace_function_count,
            pause,
        });
        if tracking && last {
            tracking = false;
        }
        if i == 0 && args.track_allocations {
            session.start_tracking_allocations().context("starting allocation tracking")?;
            tracking = true;
            say("allocation tracking is on (until the final snapshot)");
        }
    }
    Ok(())
}

/// Runs the action before the snapshot `next` (the `step`-th action). Returns facts about it
/// for the JSON document.
fn perform(
    session: &mut Session,
    action: &Action,
    pid: Option<u32>,
    next: &str,
    step: usize,
    global: &GlobalArgs,
) -> Result<Value> {
    match action {
        Action::Every(d) => {
            if !global.quiet {
                let _ = writeln!(
                    io::stderr(),
                    "heapsnap: waiting {:.1}s before the {next} snapshot",
                    d.as_secs_f64()
                );
            }
            let until = Instant::now() + *d;
            while Instant::now() < until {
                session.drain((until - Instant::now()).min(Duration::from_millis(200)))?;
            }
            Ok(json!({}))
        }
        Action::Enter => {
            let _ = writeln!(
                io::stderr(),
                "heapsnap: now exercise the app (do what you suspect leaks, a good number of \
                 times), then press Enter to take the {next} snapshot (Ctrl-C stops)"
            );
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                let mut line = String::new();
                let r = io::stdin().lock().read_line(&mut line);
                let _ = tx.send(r.map(|n| n > 0));
            });
            loop {
                match rx.try_recv() {
                    Ok(Ok(true)) => return Ok(json!({})),
                    Ok(_) => bail!("stdin was closed before Enter was pressed"),
                    Err(mpsc::TryRecvError::Empty) => {}
                    Err(mpsc::TryRecvError::Disconnected) => {
                        bail!("stdin could not be read")
                    }
                }
                session.drain(Duration::from_millis(100))?;
            }
        }
        Action::Drive(cmd) => drive(session, cmd, pid, next, step, global),
    }
}

/// Runs `sh -c CMD` to completion in a process group of its own (so that an interruption can
/// stop all of it), its output on our stderr, while the session is drained.
fn drive(
    session: &mut Session,
    cmd: &str,
    pid: Option<u32>,
    next: &str,
    step: usize,
    global: &GlobalArgs,
) -> Result<Value> {
    use std::os::unix::process::CommandExt;
    if !global.quiet {
        let _ = writeln!(io::stderr(), "heapsnap: running {cmd:?} before the {next} snapshot");
    }
    let stdout: Stdio = match std::os::fd::AsFd::as_fd(&io::stderr()).try_clone_to_owned() {
        Ok(fd) => Stdio::from(fd),
        Err(_) => Stdio::null(),
    };
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::null())
        .stdout(stdout)
        .env("HEAPSNAP_HUNT_STEP", step.to_string())
        .env("HEAPSNAP_HUNT_NEXT", next)
        .process_group(0);
    if let Some(p) = pid {
        command.env("HEAPSNAP_PID", p.to_string());
    }
    let mut child = command.spawn().with_context(|| format!("running --drive {cmd:?}"))?;
    let group = child.id();
    let stop = |child: &mut std::process::Child| {
        kill_group(group, libc::SIGTERM);
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        kill_group(group, libc::SIGKILL);
        let _ = child.wait();
    };
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                if !status.success() {
                    bail!(
                        "the --drive command {cmd:?} failed ({status}) before the {next} snapshot"
                    );
                }
                return Ok(json!({"command": cmd, "exit_code": status.code()}));
            }
            Ok(None) => {}
            Err(e) => {
                stop(&mut child);
                return Err(e).context("waiting for the --drive command");
            }
        }
        if let Err(e) = session.drain(Duration::from_millis(100)) {
            stop(&mut child);
            return Err(e).with_context(|| format!("while {cmd:?} ran"));
        }
    }
}

fn kill_group(group: u32, sig: libc::c_int) {
    if let Ok(g) = libc::pid_t::try_from(group) {
        // SAFETY: kill(2) has no memory-safety preconditions; a negative pid names the group.
        unsafe {
            libc::kill(-g, sig);
        }
    }
}

/// Keeps the first few KiB written, to read the snapshot's header from.
struct Sniff<'a, W: Write> {
    inner: &'a mut W,
    head: Vec<u8>,
}

impl<W: Write> Write for Sniff<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.keep(&buf[..n]);
        Ok(n)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.inner.write_all(buf)?;
        self.keep(buf);
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Write> Sniff<'_, W> {
    fn keep(&mut self, buf: &[u8]) {
        let room = 8192usize.saturating_sub(self.head.len());
        self.head.extend_from_slice(&buf[..buf.len().min(room)]);
    }
}

/// `trace_function_count` from the snapshot header (`"trace_function_count":N`).
fn trace_function_count(head: &[u8]) -> Option<u64> {
    let key = b"\"trace_function_count\":";
    let at = head.windows(key.len()).position(|w| w == key)? + key.len();
    let digits: Vec<u8> = head[at..]
        .iter()
        .copied()
        .skip_while(|c| c.is_ascii_whitespace())
        .take_while(u8::is_ascii_digit)
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_dirs_never_collide() {
        let tmp = tempfile::tempdir().unwrap();
        let a = create_run_dir(tmp.path(), "heapsnap-1-x").unwrap();
        let b = create_run_dir(tmp.path(), "heapsnap-1-x").unwrap();
        let c = create_run_dir(tmp.path(), "heapsnap-1-x").unwrap();
        assert_eq!(a.file_name().unwrap(), "heapsnap-1-x");
        assert_eq!(b.file_name().unwrap(), "heapsnap-1-x-2");
        assert_eq!(c.file_name().unwrap(), "heapsnap-1-x-3");
        assert!(run_dir_name(Some(42)).starts_with("heapsnap-42-20"));
    }

    /// Runs that stop early in the same second each keep their own `-incomplete` folder: a
    /// later run does not take the name of one kept incomplete (it would be left under its
    /// plain name, looking complete), and a taken `-incomplete` name gets a number.
    #[test]
    fn runs_stopped_in_the_same_second_keep_their_own_folders() {
        let tmp = tempfile::tempdir().unwrap();
        let base = "heapsnap-7-x";
        let mut kept = Vec::new();
        for _ in 0..3 {
            let d = create_run_dir(tmp.path(), base).unwrap();
            let f = d.join("1-baseline.heapsnapshot.gz");
            std::fs::write(&f, b"x").unwrap();
            let said = mark_incomplete(&d, &[f]).unwrap();
            assert!(!d.exists(), "{said}");
            kept.push(said);
        }
        let mut names: Vec<String> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["heapsnap-7-x-2-incomplete", "heapsnap-7-x-3-incomplete", "heapsnap-7-x-incomplete"]
        );
        assert!(kept[1].contains("heapsnap-7-x-2-incomplete"), "{kept:?}");
        // A folder already taken by another run's `-incomplete`: the next number.
        let d = tmp.path().join("heapsnap-8-y");
        std::fs::create_dir(&d).unwrap();
        std::fs::create_dir(tmp.path().join("heapsnap-8-y-incomplete")).unwrap();
        let f = d.join("1-baseline.heapsnapshot.gz");
        std::fs::write(&f, b"x").unwrap();
        let said = mark_incomplete(&d, &[f]).unwrap();
        assert!(said.contains("heapsnap-8-y-incomplete-2"), "{said}");
        assert!(tmp.path().join("heapsnap-8-y-incomplete-2/1-baseline.heapsnapshot.gz").exists());
    }

    #[test]
    fn header_sniffing() {
        let h =
            br#"{"snapshot":{"meta":{},"node_count":3,"edge_count":2,"trace_function_count":17},"#;
        assert_eq!(trace_function_count(h), Some(17));
        assert_eq!(trace_function_count(b"{\"snapshot\":"), None);
    }
}
