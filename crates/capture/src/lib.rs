//! Take V8 heap snapshots from live processes over the inspector protocol (the Chrome DevTools
//! Protocol over a WebSocket): Node.js processes, their worker threads and cluster members,
//! and Chrome or Electron pages.
//!
//! The API is blocking (no async runtime): [`list_targets`] asks an inspector's HTTP endpoint
//! what can be debugged, [`Session::connect`] opens a WebSocket to one target, and
//! [`Session::take_heap_snapshot`] streams the snapshot's JSON text straight into any
//! [`std::io::Write`] (a file, a gzip encoder), chunk by chunk, so memory stays flat whatever
//! the heap size. [`OutputFile`] is such a sink: a temporary file renamed into place only
//! when the snapshot is complete. [`Inspector::open`] reaches a Node.js process by pid,
//! opening its inspector with SIGUSR1 and closing it again afterwards.
//!
//! ```no_run
//! use heapsnap_capture::{list_targets, NoProgress, OutputFile, Session, SnapshotOptions};
//!
//! // A process started with `node --inspect app.js` (127.0.0.1:9229).
//! let target = list_targets("127.0.0.1:9229")?.remove(0);
//! let mut session = Session::connect(&target)?;
//! let mut out = OutputFile::create("app.heapsnapshot", false)?;
//! let stats = session.take_heap_snapshot(&mut out, &SnapshotOptions::default(), &mut NoProgress)?;
//! out.finish()?;
//! println!("{} bytes, {} chunks", stats.bytes, stats.chunks);
//!
//! // Its worker threads, through the NodeWorker domain.
//! for worker in session.workers()? {
//!     let mut out = OutputFile::create(format!("worker-{}.heapsnapshot", worker.worker_id), false)?;
//!     session.worker(&worker).take_heap_snapshot(&mut out, &SnapshotOptions::default(), &mut NoProgress)?;
//!     out.finish()?;
//! }
//! # Ok::<(), heapsnap_capture::Error>(())
//! ```
//!
//! # Protocol notes
//!
//! - `HeapProfiler.collectGarbage` is awaited before the snapshot: its reply is asynchronous in
//!   current V8 and can otherwise arrive after the snapshot.
//! - The snapshot is complete only when the reply to `HeapProfiler.takeHeapSnapshot` arrives;
//!   the last progress event (`finished: true`) comes *before* the chunks.
//! - Object ids follow objects only **within one inspector session**. `HeapProfiler.disable`
//!   clears V8's id map, and V8 runs it for every session that closes, whatever the client
//!   sent: snapshots from separate connections (two `heapsnap capture` runs) number the same
//!   objects afresh, and reuse ids for other objects. To compare snapshots object by object,
//!   take them through one [`Session`], as `heapsnap hunt` and `heapsnap watch --auto-capture`
//!   do. We never send `HeapProfiler.disable` ourselves.
//! - Frames and messages up to 64 MiB are accepted (chunks are ~100 KiB text frames, twice
//!   JSON-encoded when they come from a worker).
//! - The `Host` header is the IP literal we connect to (Node rejects other host names), and no
//!   `Origin` header is sent (Chrome rejects unknown origins).
//!
//! # Security
//!
//! An inspector gives **full code execution** in the target process to anyone who can connect
//! to it. Therefore:
//!
//! - Everything here connects to **loopback** (`127.0.0.1`) unless the caller passes another
//!   host explicitly; nothing in this crate listens on a port.
//! - **What SIGUSR1 does**: [`Inspector::open`] sends SIGUSR1 to the Node.js process, which makes
//!   it start its inspector exactly as if it had been started with `--inspect`: it listens on
//!   `127.0.0.1:9229` (or its `--inspect-port`) and prints `Debugger listening on ws://...` to
//!   *its own* stderr. Until it is closed, any local user or process that can reach that port
//!   can run code in it. SIGUSR1 terminates programs that do not catch it, so we send it only
//!   to a process that looks like Node.js *and* has a SIGUSR1 handler (the `SigCgt` mask of
//!   `/proc/PID/status`): `cp /bin/sleep node-healthcheck` is refused, not killed. If the
//!   process's `--inspect-port` names a host that is not loopback, or its port is taken by
//!   another process (looked up in the socket table, nothing is contacted), we refuse before
//!   signalling. The inspector is looked for among the target's own listening sockets
//!   (`/proc/PID/net/tcp*` entries whose inodes are among its `/proc/PID/fd`), and reached
//!   through loopback only. [`Inspector::exposed`] tells when it listens on every interface
//!   (`0.0.0.0`), reachable from other machines. A Node.js process with its own
//!   `process.on('SIGUSR1')` listener, or started with `--disable-sigusr1`, does not open the
//!   inspector (we then time out with an error).
//! - **We close what we open**: after the snapshot, [`Inspector::close`] runs
//!   `process._debugEnd()` in the target and waits until the port refuses connections; an
//!   inspector that was already open is left open. [`catch_interrupts`] lets Ctrl-C stop a
//!   capture cleanly so that this still happens.
//! - Taking a snapshot stops the target's JavaScript for the duration of the heap walk
//!   (seconds on a big heap), and a forced GC (the default) costs a full collection.
//! - A heap snapshot contains every string in the heap (tokens, passwords, personal data):
//!   [`OutputFile`] creates files readable by their owner only.

#![deny(missing_docs)]

mod error;
mod options;
mod output;
mod process;
mod protocol;
mod session;
mod snapshot;
mod target;
mod watch;

pub use error::{Error, ProcessError, Result};
pub use output::OutputFile;
pub use process::{
    AttachOptions, Inspector, Selected, Selector, alive, catch_interrupts, catches_sigusr1,
    check_node_process, exposed_listener, interrupt_signal, interrupted, node_children,
    select_process,
};
pub use session::{DEFAULT_TIMEOUT, HeapUsage, Scoped, Session, WorkerInfo};
pub use snapshot::{IN_TARGET_QUIET, SnapshotOptions, SnapshotStats, TargetFile};
pub use target::{DEFAULT_NODE_ADDR, Target, Version, list_targets, version};
pub use watch::{GrowthDetector, slope};

/// Receives progress from a capture. Libraries never print; the CLI draws a bar.
///
/// The same shape as `heapsnap_format::Progress` (this crate does not depend on the format
/// crate: it moves bytes, it does not parse them), plus [`Progress::wrote`] for the second
/// phase of a capture, when the snapshot text streams in.
pub trait Progress {
    /// The total amount of work, when known (for a capture: the heap objects V8 will walk).
    fn set_total(&mut self, _total: u64) {}
    /// `delta` more units of work are done (heap objects walked).
    fn advance(&mut self, delta: u64);
    /// `bytes` more bytes of snapshot text were written to the sink.
    fn wrote(&mut self, _bytes: u64) {}
}

/// A [`Progress`] that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    #[inline]
    fn advance(&mut self, _delta: u64) {}
}
