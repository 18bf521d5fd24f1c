//! `HeapProfiler.takeHeapSnapshot`: the message sequence, streaming chunks into a sink.

use std::io::Write;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::protocol::{self, ChunkParams, ProgressParams};
use crate::session::Session;
use crate::{NoProgress, Progress};

/// How to take a snapshot.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SnapshotOptions {
    /// Force a full GC first (`HeapProfiler.collectGarbage`, awaited) so the snapshot shows
    /// what is really retained. Default `true`.
    pub collect_garbage: bool,
    /// `exposeInternals`: no artificial roots, V8 internals shown (what DevTools asks for).
    /// Default `false`, which keeps the user roots (root shortcut edges) in the snapshot.
    pub expose_internals: bool,
    /// `captureNumericValue`: include the values of numbers (extra `smi number` nodes). Default
    /// `false`. Never diff snapshots taken with different settings.
    pub capture_numeric_value: bool,
}

impl Default for SnapshotOptions {
    fn default() -> Self {
        SnapshotOptions {
            collect_garbage: true,
            expose_internals: false,
            capture_numeric_value: false,
        }
    }
}

impl SnapshotOptions {
    /// The default options: GC first, user roots kept, no numeric values.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets [`SnapshotOptions::collect_garbage`].
    pub fn collect_garbage(mut self, yes: bool) -> Self {
        self.collect_garbage = yes;
        self
    }
    /// Sets [`SnapshotOptions::expose_internals`].
    pub fn expose_internals(mut self, yes: bool) -> Self {
        self.expose_internals = yes;
        self
    }
    /// Sets [`SnapshotOptions::capture_numeric_value`].
    pub fn capture_numeric_value(mut self, yes: bool) -> Self {
        self.capture_numeric_value = yes;
        self
    }
}

/// What a finished snapshot amounted to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SnapshotStats {
    /// Bytes of snapshot JSON written to the sink (before any compression).
    pub bytes: u64,
    /// `addHeapSnapshotChunk` events received.
    pub chunks: u64,
    /// Heap objects V8 reported walking (its progress total; not the node count).
    pub objects: u64,
    /// Time from the first command (GC included) to the final reply.
    pub elapsed: Duration,
    /// Time spent in the forced GC.
    pub gc: Duration,
}

/// How long [`Session::write_heap_snapshot_in_target`] waits for the target's answer at
/// least, whatever [`Session::timeout`] says: V8 sends nothing while it writes, and a heap of
/// several GB takes minutes.
pub const IN_TARGET_QUIET: Duration = Duration::from_secs(600);

/// A snapshot the target wrote itself ([`Session::write_heap_snapshot_in_target`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TargetFile {
    /// The file, in the folder given.
    pub path: std::path::PathBuf,
    /// How long `v8.writeHeapSnapshot` ran in the target, as the target measured it: the
    /// time its JavaScript was paused (the GC before it aside).
    pub pause: Duration,
    /// The bytes written (`chunks` and `objects` are 0: nothing streamed), the GC, the time
    /// from the first command to the answer.
    pub stats: SnapshotStats,
}

impl Session {
    /// Takes a heap snapshot of the current target, streaming its JSON text into `sink`.
    ///
    /// The sequence: `HeapProfiler.enable` (once per target; never disabled by us, so object ids
    /// follow objects across the snapshots of this session, and only of this session: V8
    /// disables the heap profiler and clears its id map when the session closes, so another
    /// session numbers the same objects afresh), `HeapProfiler.collectGarbage` if asked
    /// (awaited), then
    /// `HeapProfiler.takeHeapSnapshot {reportProgress: true, ...}`. Progress events go to
    /// `progress` (V8's objects walked, then [`Progress::wrote`] per chunk); each
    /// `addHeapSnapshotChunk` is written to `sink` as it arrives, never collected in memory. The
    /// snapshot is complete only when the reply to `takeHeapSnapshot` arrives: a connection
    /// that drops before that is [`Error::Closed`], and `sink` then holds a truncated snapshot
    /// (write to a temporary file, as [`OutputFile`](crate::OutputFile) does, and drop it).
    ///
    /// `sink` is flushed at the end. The target's JavaScript is paused while V8 walks the heap
    /// (seconds for a big heap).
    ///
    /// ```no_run
    /// use heapsnap_capture::{list_targets, NoProgress, OutputFile, Session, SnapshotOptions};
    /// let target = list_targets("127.0.0.1:9229")?.remove(0);
    /// let mut session = Session::connect(&target)?;
    /// let mut out = OutputFile::create("app.heapsnapshot.gz", true)?;
    /// let stats = session.take_heap_snapshot(&mut out, &SnapshotOptions::default(), &mut NoProgress)?;
    /// out.finish()?;
    /// println!("{} bytes in {:?}", stats.bytes, stats.elapsed);
    /// # Ok::<(), heapsnap_capture::Error>(())
    /// ```
    pub fn take_heap_snapshot(
        &mut self,
        sink: impl Write,
        opts: &SnapshotOptions,
        progress: &mut dyn Progress,
    ) -> Result<SnapshotStats> {
        self.stream_snapshot("HeapProfiler.takeHeapSnapshot", sink, opts, progress)
    }

    /// Starts recording where objects are allocated (`HeapProfiler.startTrackingHeapObjects`
    /// with `trackAllocations: true`): snapshots taken from now on carry V8's allocation trace
    /// tree (`trace_function_infos`, `trace_tree`, and each node's `trace_node_id`), as in
    /// DevTools' "Allocation instrumentation on timeline".
    ///
    /// It costs the target: every allocation records its stack (BENCHMARKS.md measures how
    /// much), and V8 sends heap statistics every 50 ms, which [`Session::drain`] discards while
    /// the session idles. End it with [`Session::stop_tracking_heap_objects`]; closing the
    /// session ends it too (V8 disables the heap profiler of a session that goes away).
    pub fn start_tracking_allocations(&mut self) -> Result<()> {
        let route = self.route.clone();
        self.enable_heap_profiler()?;
        self.call_on(
            &route,
            "HeapProfiler.startTrackingHeapObjects",
            &json!({"trackAllocations": true}),
            &mut |_, _| Ok(false),
        )
        .map(drop)
    }

    /// Stops allocation tracking (`HeapProfiler.stopTrackingHeapObjects`). V8 takes one last
    /// snapshot as it stops, with the allocation traces, and streams it like
    /// [`Session::take_heap_snapshot`] does (GC first if `opts` says so); the session stays
    /// open and object ids stay as they are.
    pub fn stop_tracking_heap_objects(
        &mut self,
        sink: impl Write,
        opts: &SnapshotOptions,
        progress: &mut dyn Progress,
    ) -> Result<SnapshotStats> {
        self.stream_snapshot("HeapProfiler.stopTrackingHeapObjects", sink, opts, progress)
    }

    /// The message sequence of [`Session::take_heap_snapshot`] for `method` (which streams a
    /// snapshot: `takeHeapSnapshot` or `stopTrackingHeapObjects`).
    fn stream_snapshot(
        &mut self,
        method: &str,
        mut sink: impl Write,
        opts: &SnapshotOptions,
        progress: &mut dyn Progress,
    ) -> Result<SnapshotStats> {
        let start = Instant::now();
        let route = self.route.clone();
        self.enable_heap_profiler()?;
        let mut stats = SnapshotStats::default();
        if opts.collect_garbage {
            stats.gc = self.forced_gc()?;
        }
        let params = json!({
            "reportProgress": true,
            "exposeInternals": opts.expose_internals,
            "captureNumericValue": opts.capture_numeric_value,
        });
        let (mut last_done, mut last_total) = (0u64, 0u64);
        let mut finished = false;
        let result = self.call_on(&route, method, &params, &mut |event, raw| match event {
            "HeapProfiler.addHeapSnapshotChunk" => {
                let c: ChunkParams<'_> = protocol::parse_params(event, raw)?;
                if let Err(e) = sink.write_all(c.chunk.as_bytes()) {
                    return Err(Error::Sink { source: e });
                }
                stats.bytes += c.chunk.len() as u64;
                stats.chunks += 1;
                progress.wrote(c.chunk.len() as u64);
                Ok(true)
            }
            "HeapProfiler.reportHeapSnapshotProgress" => {
                let p: ProgressParams = protocol::parse_params(event, raw)?;
                if p.total != last_total {
                    progress.set_total(p.total);
                    last_total = p.total;
                }
                let mut moved = false;
                if p.done > last_done {
                    progress.advance(p.done - last_done);
                    last_done = p.done;
                    moved = true;
                }
                stats.objects = p.total;
                if p.finished && !finished {
                    finished = true;
                    moved = true;
                    log::debug!("heap walk finished ({} objects); streaming", p.total);
                }
                Ok(moved)
            }
            other => {
                log::trace!("ignoring event {other} during the snapshot");
                Ok(false)
            }
        });
        result?;
        if stats.chunks == 0 {
            return Err(Error::protocol(format!(
                "the target answered {method} without sending any snapshot chunk"
            )));
        }
        sink.flush().map_err(|source| Error::Sink { source })?;
        stats.elapsed = start.elapsed();
        Ok(stats)
    }

    /// Has a Node.js target write its own snapshot with `v8.writeHeapSnapshot(file)` into
    /// `dir`, a folder of this machine: V8 writes straight to the file instead of sending the
    /// text through the inspector in chunks, so the target is paused for less time. The GC
    /// comes first when `opts` asks (`HeapProfiler.collectGarbage`, as for
    /// [`take_heap_snapshot`](Self::take_heap_snapshot)); the file's object ids are the
    /// session's (one heap profiler per isolate).
    ///
    /// This works only when the target runs Node.js 11.13 or later (18.8 for
    /// `expose_internals` or `capture_numeric_value`), as a user who may write into `dir`, on
    /// the same filesystem as this process (not in a container with its own). Otherwise it is
    /// an error, nothing is left in `dir` that this process can see, and the caller falls
    /// back to [`take_heap_snapshot`](Self::take_heap_snapshot).
    ///
    /// `dir` should be private to the user (mode 0700): the file holds everything the heap
    /// does, and V8 creates it with the target's umask.
    ///
    /// ```no_run
    /// use heapsnap_capture::{list_targets, Session, SnapshotOptions};
    /// let target = list_targets("127.0.0.1:9229")?.remove(0);
    /// let mut session = Session::connect(&target)?;
    /// let dir = std::env::temp_dir().join("heapsnap-private"); // created 0700 beforehand
    /// let dir = dir.as_path();
    /// let written = session.write_heap_snapshot_in_target(dir, "app.heapsnapshot", &SnapshotOptions::default())?;
    /// println!("{} bytes in {:?} (paused {:?})", written.stats.bytes, written.stats.elapsed, written.pause);
    /// # Ok::<(), heapsnap_capture::Error>(())
    /// ```
    pub fn write_heap_snapshot_in_target(
        &mut self,
        dir: &std::path::Path,
        name: &str,
        opts: &SnapshotOptions,
    ) -> Result<TargetFile> {
        let start = Instant::now();
        let path = dir.join(name);
        let Some(path_text) = path.to_str() else {
            return Err(Error::protocol(format!("{} is not UTF-8", path.display())));
        };
        let mut stats = SnapshotStats::default();
        if opts.collect_garbage {
            stats.gc = self.forced_gc()?;
        }
        let quoted = serde_json::to_string(path_text).map_err(|e| Error::json("a path", e))?;
        let needs_options = opts.expose_internals || opts.capture_numeric_value;
        // `require` only exists with the command line API; `process.getBuiltinModule` (Node
        // 20.16, 22.3) does not need it.
        let expression = format!(
            "(() => {{\n\
             const load = (m) => typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule(m) : require(m);\n\
             const v8 = load('v8'), fs = load('fs');\n\
             if (typeof v8.writeHeapSnapshot !== 'function') throw new Error('no v8.writeHeapSnapshot (Node 11.13)');\n\
             const [major, minor] = process.versions.node.split('.').map(Number);\n\
             if ({needs_options} && (major < 18 || (major === 18 && minor < 8))) throw new Error('snapshot options need Node 18.8');\n\
             const t = process.hrtime();\n\
             const file = v8.writeHeapSnapshot({quoted}, {{exposeInternals: {}, exposeNumericValues: {}}});\n\
             const d = process.hrtime(t);\n\
             return {{file, bytes: fs.statSync(file).size, ms: d[0] * 1e3 + d[1] / 1e6}};\n\
             }})()",
            opts.expose_internals, opts.capture_numeric_value
        );
        // Nothing arrives while V8 writes (no progress events, unlike the inspector's way):
        // the quiet time allowed is that of a big heap's write. --max-time still bounds it.
        let timeout = self.timeout();
        self.set_timeout(timeout.max(IN_TARGET_QUIET));
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "silent": true,
                    "includeCommandLineAPI": true}),
        );
        self.set_timeout(timeout);
        let r = r?;
        if let Some(text) = crate::session::exception_text(&r) {
            let first = text.lines().next().unwrap_or(text).to_string();
            return Err(Error::Remote {
                method: "v8.writeHeapSnapshot".into(),
                code: 0,
                message: first,
            });
        }
        let v = r.pointer("/result/value").cloned().unwrap_or(Value::Null);
        let (Some(file), Some(bytes), Some(ms)) = (
            v.get("file").and_then(Value::as_str),
            v.get("bytes").and_then(Value::as_u64),
            v.get("ms").and_then(Value::as_f64),
        ) else {
            return Err(Error::protocol(format!("v8.writeHeapSnapshot answered {v}")));
        };
        // The target's file must be ours to see: the same path, the same size.
        let seen = std::fs::metadata(&path).map(|m| m.len()).ok();
        if file != path_text || seen != Some(bytes) {
            // Not on our filesystem (a container): remove what the target wrote, in the target.
            let rm = format!(
                "(() => {{ try {{ (typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule('fs') : require('fs')).unlinkSync({}); }} catch (e) {{}} }})()",
                serde_json::to_string(file).unwrap_or_default()
            );
            let _ = self.call(
                "Runtime.evaluate",
                json!({"expression": rm, "silent": true, "includeCommandLineAPI": true}),
            );
            return Err(Error::protocol(format!(
                "the target wrote {file} ({bytes} bytes), which this process sees as {} ({}): \
                 not the same filesystem",
                path.display(),
                seen.map_or("missing".to_string(), |b| format!("{b} bytes"))
            )));
        }
        stats.bytes = bytes;
        stats.elapsed = start.elapsed();
        Ok(TargetFile { path, pause: Duration::from_secs_f64(ms / 1e3), stats })
    }

    /// Takes a snapshot with the default options into `sink`, without progress.
    pub fn take_heap_snapshot_to(&mut self, sink: impl Write) -> Result<SnapshotStats> {
        self.take_heap_snapshot(sink, &SnapshotOptions::default(), &mut NoProgress)
    }

    /// `HeapProfiler.collectGarbage` in the current target, awaited (the heap profiler
    /// enabled first). Returns how long it took.
    fn forced_gc(&mut self) -> Result<Duration> {
        self.enable_heap_profiler()?;
        let t = Instant::now();
        self.collect_garbage()?;
        log::debug!("GC took {:?}", t.elapsed());
        Ok(t.elapsed())
    }

    fn enable_heap_profiler(&mut self) -> Result<()> {
        let route = self.route.clone();
        if !self.heap_profiler_enabled.contains(&route) {
            self.call_on(&route, "HeapProfiler.enable", &Value::Null, &mut |_, _| Ok(false))?;
            self.heap_profiler_enabled.push(route);
        }
        Ok(())
    }
}
