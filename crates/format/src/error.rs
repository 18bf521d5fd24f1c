//! The parser's and writer's error type.
//!
//! Every parse error names the section being read (`nodes`, `edges`, `strings`, ...) and the
//! byte offset in the (decompressed) JSON text, because a 1 GB file with no location is
//! undebuggable.

use std::fmt;
use std::io;

/// The part of the snapshot a parse error or warning refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Section {
    /// The top-level object itself (between sections).
    TopLevel,
    /// The `snapshot` header, including `meta`.
    Header,
    /// `nodes`.
    Nodes,
    /// `edges`.
    Edges,
    /// `trace_function_infos`.
    TraceFunctionInfos,
    /// `trace_tree`.
    TraceTree,
    /// `samples`.
    Samples,
    /// `locations`.
    Locations,
    /// `strings`.
    Strings,
    /// A top-level key this crate does not interpret (kept verbatim).
    Other,
}

impl Section {
    /// The JSON key of the section (`"(top level)"` and `"(other)"` for the two pseudo-sections).
    pub fn name(self) -> &'static str {
        match self {
            Section::TopLevel => "(top level)",
            Section::Header => "snapshot",
            Section::Nodes => "nodes",
            Section::Edges => "edges",
            Section::TraceFunctionInfos => "trace_function_infos",
            Section::TraceTree => "trace_tree",
            Section::Samples => "samples",
            Section::Locations => "locations",
            Section::Strings => "strings",
            Section::Other => "(other)",
        }
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Errors from parsing or writing a heap snapshot.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing failed.
    Io(io::Error),
    /// The input is not a valid heap snapshot.
    Parse {
        /// The section being read.
        section: Section,
        /// Byte offset in the JSON text (after gzip decompression) where the problem was seen.
        offset: u64,
        /// What is wrong.
        message: String,
    },
    /// A snapshot could not be written because it is internally inconsistent.
    Write(String),
}

impl Error {
    pub(crate) fn parse(section: Section, offset: u64, message: impl Into<String>) -> Error {
        Error::Parse { section, offset, message: message.into() }
    }

    /// The section of a parse error, if this is one.
    pub fn section(&self) -> Option<Section> {
        match self {
            Error::Parse { section, .. } => Some(*section),
            _ => None,
        }
    }

    /// The byte offset of a parse error, if this is one.
    pub fn offset(&self) -> Option<u64> {
        match self {
            Error::Parse { offset, .. } => Some(*offset),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "I/O error: {e}"),
            Error::Parse { section, offset, message } => {
                write!(
                    f,
                    "invalid heap snapshot: section `{section}`, byte offset {offset}: {message}"
                )
            }
            Error::Write(m) => write!(f, "cannot write snapshot: {m}"),
        }
    }
}

/// No `source()`: `Io`'s OS message is already in the `Display` text, and a report that prints
/// the chain of sources (as `anyhow` does) would say it twice.
impl std::error::Error for Error {}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Something odd in the input that V8 itself is known to write, tolerated instead of rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Warning {
    /// Where.
    pub section: Section,
    /// What, and what the parser did about it.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "section `{}`: {}", self.section, self.message)
    }
}
