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
            let t = Instant::now();
            self.call_on(&route, "HeapProfiler.collectGarbage", &Value::Null, &mut |m, _| {
                log::trace!("ignoring event {m} during GC");
                Ok(false)
            })?;
            stats.gc = t.elapsed();
            log::debug!("GC took {:?}", stats.gc);
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

    /// Takes a snapshot with the default options into `sink`, without progress.
    pub fn take_heap_snapshot_to(&mut self, sink: impl Write) -> Result<SnapshotStats> {
        self.take_heap_snapshot(sink, &SnapshotOptions::default(), &mut NoProgress)
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
