//! The error type: what failed (connect, HTTP, protocol, timeout, process, ...), with the
//! underlying cause kept as [`std::error::Error::source`].

use std::fmt;
use std::io;
use std::time::Duration;

/// A `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong while talking to an inspector.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The TCP connection to `addr` could not be made (nothing listening, refused, unreachable).
    Connect {
        /// `host:port` that was tried.
        addr: String,
        /// The operating system's error.
        source: io::Error,
    },
    /// An HTTP request to the inspector's `/json/...` endpoints failed or gave a bad answer.
    Http {
        /// The URL that was requested.
        url: String,
        /// What was wrong with the answer.
        message: String,
        /// The underlying error, if any.
        source: Option<BoxError>,
    },
    /// The WebSocket handshake or a WebSocket frame failed.
    WebSocket {
        /// The WebSocket URL.
        url: String,
        /// The WebSocket library's error.
        source: BoxError,
    },
    /// The connection closed (or was reset) before the operation finished; typically the target
    /// process exited or was killed.
    Closed {
        /// What we were waiting for when it closed (`"HeapProfiler.takeHeapSnapshot"`).
        during: String,
        /// The transport error, if the connection did not close cleanly.
        source: Option<BoxError>,
    },
    /// The other side broke the protocol: malformed JSON, a message of the wrong shape, a reply
    /// that cannot be right.
    Protocol {
        /// What was wrong.
        message: String,
        /// The JSON error, if any.
        source: Option<serde_json::Error>,
    },
    /// The target answered a command with a CDP error.
    Remote {
        /// The method that failed (`"HeapProfiler.takeHeapSnapshot"`).
        method: String,
        /// The CDP error code.
        code: i64,
        /// The CDP error message.
        message: String,
    },
    /// Nothing arrived for too long.
    Timeout {
        /// What we were waiting for.
        what: String,
        /// How long we waited.
        after: Duration,
    },
    /// Writing the snapshot to its sink (a file, a gzip stream) failed.
    Sink {
        /// The I/O error.
        source: io::Error,
    },
    /// A file operation on `path` failed (creating, writing or renaming an output file).
    File {
        /// What we were doing (`"creating a temporary file in"`, `"renaming to"`).
        action: &'static str,
        /// The file or directory.
        path: std::path::PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The process `pid` could not be attached to.
    Process {
        /// The process id.
        pid: u32,
        /// Why.
        kind: ProcessError,
    },
    /// No target matched what was asked for.
    NoTarget {
        /// What was asked for (a substring, a worker id).
        wanted: String,
        /// The targets that exist, one short description each.
        available: Vec<String>,
    },
    /// The operation was interrupted (Ctrl-C, SIGTERM or SIGHUP) after
    /// [`catch_interrupts`](crate::catch_interrupts).
    Interrupted,
    /// No single process could be chosen (`--name`, or `--pid` of a wrapper such as `npm start`
    /// with several Node.js processes below it).
    Select {
        /// What went wrong.
        what: String,
        /// The candidates (`pid command line`), for the user to pick from.
        candidates: Vec<String>,
    },
}

/// Why a process could not be attached to (in [`Error::Process`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProcessError {
    /// There is no process with that id.
    NoSuchProcess,
    /// The process exists but is not a Node.js process (its command name is given). Sending it
    /// SIGUSR1 would most likely kill it, so we do not.
    NotNode(String),
    /// We may not signal or inspect the process (another user's; try the same user or root).
    PermissionDenied,
    /// The inspector could not open because its port is taken by another process.
    PortBusy(u16),
    /// The inspector did not open in time after SIGUSR1.
    InspectorDidNotOpen {
        /// How long we waited.
        after: Duration,
    },
    /// The inspector we opened did not close again (the port still accepts connections).
    InspectorStillOpen(u16),
    /// The inspector we reached belongs to another process.
    WrongProcess(u32),
    /// Attaching by pid is not supported on this platform (needs Linux `/proc` and SIGUSR1).
    Unsupported,
    /// The process does not catch SIGUSR1 (its `SigCgt` mask), so SIGUSR1 would terminate it
    /// rather than open an inspector; nothing was sent. The command name is given.
    NoSigusr1Handler(String),
    /// The process's inspector listens (or would listen) on this address, which is not
    /// loopback; we contact other hosts only when told to (`--port` with `--host`).
    NotLoopback(std::net::SocketAddr),
}

impl fmt::Display for ProcessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProcessError::NoSuchProcess => write!(f, "no such process"),
            ProcessError::NotNode(comm) => write!(
                f,
                "not a Node.js process (command {comm:?}); refusing to send SIGUSR1, which would \
                 terminate most programs"
            ),
            ProcessError::PermissionDenied => {
                write!(f, "permission denied (the process belongs to another user?)")
            }
            ProcessError::PortBusy(port) => write!(
                f,
                "its inspector could not open: port 127.0.0.1:{port} is already in use by another \
                 process (another inspector?); free it, or start the target with \
                 --inspect-port=<free port> and use --port"
            ),
            ProcessError::InspectorDidNotOpen { after } => write!(
                f,
                "its inspector did not open within {:.1}s after SIGUSR1 (started with \
                 --disable-sigusr1, a JS SIGUSR1 listener, or the process is busy?)",
                after.as_secs_f64()
            ),
            ProcessError::InspectorStillOpen(port) => write!(
                f,
                "the inspector we opened is still listening on 127.0.0.1:{port} after we asked it \
                 to close (the process's event loop may be blocked)"
            ),
            ProcessError::WrongProcess(other) => {
                write!(f, "the inspector found belongs to process {other}, not this one")
            }
            ProcessError::NoSigusr1Handler(comm) => write!(
                f,
                "it does not catch SIGUSR1 (command {comm:?}; no handler in the SigCgt mask of \
                 /proc/PID/status), so SIGUSR1 would terminate it instead of opening an \
                 inspector: refusing, nothing was sent (not Node.js, started with \
                 --disable-sigusr1, or still starting?)"
            ),
            ProcessError::NotLoopback(addr) => write!(
                f,
                "its inspector listens on {addr}, which is not loopback; heapsnap contacts other \
                 hosts only when told to: use --port {} --host {} if you trust that network",
                addr.port(),
                addr.ip()
            ),
            ProcessError::Unsupported => write!(
                f,
                "attaching by pid needs Linux (/proc and SIGUSR1); start the target with --inspect \
                 and use --port"
            ),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Connect { addr, .. } => write!(f, "cannot connect to {addr}"),
            Error::Http { url, message, .. } => write!(f, "GET {url}: {message}"),
            Error::WebSocket { url, .. } => write!(f, "WebSocket {url}"),
            Error::Closed { during, .. } => write!(
                f,
                "the connection to the target closed during {during} (did the process exit?)"
            ),
            Error::Protocol { message, .. } => write!(f, "protocol error: {message}"),
            Error::Remote { method, code, message } => {
                write!(f, "{method} failed in the target: {message} (code {code})")
            }
            Error::Timeout { what, after } => {
                write!(f, "timed out after {:.1}s waiting for {what}", after.as_secs_f64())
            }
            Error::Sink { .. } => write!(f, "writing the snapshot failed"),
            Error::File { action, path, .. } => write!(f, "{action} {}", path.display()),
            Error::Process { pid, kind } => write!(f, "process {pid}: {kind}"),
            Error::NoTarget { wanted, available } => {
                write!(f, "no target matches {wanted:?}")?;
                if available.is_empty() {
                    write!(f, " (there are none)")
                } else {
                    write!(f, "; available: {}", available.join("; "))
                }
            }
            Error::Interrupted => write!(f, "interrupted"),
            Error::Select { what, candidates } => {
                write!(f, "{what}")?;
                if !candidates.is_empty() {
                    write!(f, ":")?;
                    for c in candidates {
                        write!(f, "\n  {c}")?;
                    }
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Connect { source, .. } | Error::Sink { source } | Error::File { source, .. } => {
                Some(source)
            }
            Error::Http { source, .. } | Error::Closed { source, .. } => {
                source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
            }
            Error::WebSocket { source, .. } => Some(source.as_ref()),
            Error::Protocol { source, .. } => {
                source.as_ref().map(|e| e as &(dyn std::error::Error + 'static))
            }
            _ => None,
        }
    }
}

impl Error {
    pub(crate) fn protocol(message: impl Into<String>) -> Error {
        Error::Protocol { message: message.into(), source: None }
    }

    pub(crate) fn json(message: impl Into<String>, source: serde_json::Error) -> Error {
        Error::Protocol { message: message.into(), source: Some(source) }
    }

    pub(crate) fn process(pid: u32, kind: ProcessError) -> Error {
        Error::Process { pid, kind }
    }

    /// Whether the connection to the target was lost (the process exited or was killed).
    pub fn is_closed(&self) -> bool {
        matches!(self, Error::Closed { .. })
    }
}
