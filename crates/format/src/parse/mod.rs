//! The streaming parser: one pass over the JSON text straight into the columns.
//!
//! This is not a general JSON parser. It reads the top-level object key by key, and for each
//! known section runs a dedicated scanner: unsigned-integer arrays (`nodes`, `edges`, ...) go
//! through a tight digit loop, `strings` through an escape decoder that keeps lone UTF-16
//! surrogates (which V8 writes and `serde_json` rejects), and the small `snapshot` header through
//! `serde_json`. Input arrives in fixed-size chunks, so memory stays bounded by the columns
//! themselves whatever the file size, and chunk boundaries may fall anywhere. For big files
//! and slices (plain or gzipped), reading and decompressing run on the calling thread and
//! parsing on a second one, chunks handed over through a short bounded queue.
//!
//! Where things are: `mod.rs` the entry points and options; `reader` the reading thread;
//! `scanner` the byte cursor (refills, whitespace, errors with offsets, verbatim values);
//! `numbers` integer arrays and the whole-row fast path; `rows` the `nodes` and `edges`
//! columns; `text` strings and the `strings` section; `parser` the top level and the small
//! sections; `header` the `snapshot` header; `finish` the checks that need the whole file.

mod finish;
mod gzip;
mod header;
mod numbers;
mod options;
mod parser;
mod reader;
mod rows;
mod scanner;
mod text;

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use crate::error::{Error, Result};
use crate::progress::{NoProgress, Progress};
use crate::snapshot::HeapSnapshot;

use gzip::GzMembers;
use parser::Parser;
use reader::{GZ_PIPELINE_MIN, PIPELINE_MIN};

const CHUNK: usize = 256 * 1024;

/// Columns reserve at most this many entries up front when the input size is unknown; beyond
/// that they grow as data actually arrives, so a lying header cannot make us allocate gigabytes.
const MAX_BLIND_RESERVE: usize = 1 << 20;

/// Allocation stacks are a few hundred frames deep; a deeper `trace_tree` is not from V8, and
/// bounding it bounds the parser's memory per input byte.
const MAX_TRACE_DEPTH: usize = 1 << 16;

/// Options for parsing. `Default` keeps everything V8 writes.
///
/// # Memory
///
/// Whatever the input, parsing ends in a snapshot or an [`Error`], never in an abort:
/// - The columns grow with the data actually read. The header's counts reserve memory up front
///   only as far as the input's known size can hold that many values, and a failed allocation
///   is an error (`out of memory: ...`, with the section and offset), not an abort.
/// - What is kept verbatim is capped, and the caps are checked while reading:
///   [`max_header_bytes`](Self::max_header_bytes),
///   [`max_string_bytes`](Self::max_string_bytes) (one string) and
///   [`max_unknown_sections_bytes`](Self::max_unknown_sections_bytes).
///
/// The option struct is `#[non_exhaustive]`: start from `ParseOptions::default()` and set fields.
///
/// ```
/// let mut opts = heapsnap_format::ParseOptions::default();
/// opts.max_string_bytes = 1 << 20;
/// let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
///   "node_types":[["synthetic"]],"edge_fields":["type","name_or_index","to_node"],
///   "edge_types":[["element"]]},"node_count":0,"edge_count":0},"nodes":[],"edges":[],
///   "strings":[]}"#;
/// let snap = opts.parse_slice(json, &mut heapsnap_format::NoProgress)?;
/// assert_eq!(snap.node_count(), 0);
/// # Ok::<(), heapsnap_format::Error>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ParseOptions {
    /// Keep `locations` (otherwise it is read, checked and dropped).
    pub locations: bool,
    /// Keep the allocation-tracking sections `trace_function_infos`, `trace_tree`, `samples`.
    pub trace: bool,
    /// The most bytes one string may take, decoded to UTF-8; a longer one is an error at its
    /// offset, raised as soon as the string passes the limit. Default
    /// [`ParseOptions::V8_MAX_STRING_BYTES`]: no string V8 can hold is longer.
    pub max_string_bytes: usize,
    /// The most bytes kept, all together, of the top-level sections this crate does not
    /// interpret (kept verbatim so that a write reproduces them). A section that would go past
    /// it is read through without being kept, and dropped with a [`crate::Warning`]. Default
    /// 64 MiB.
    pub max_unknown_sections_bytes: usize,
    /// The most bytes the `snapshot` header (with `meta`) may take; a longer header is an error
    /// as soon as it passes the limit. V8's are a few KB. Default 16 MiB.
    pub max_header_bytes: usize,
}

impl ParseOptions {
    /// The most bytes a string V8 can hold takes in UTF-8: V8's string length limit
    /// (`v8::String::kMaxLength`, 2^29 - 24 UTF-16 code units on 64-bit hosts) times the 3
    /// bytes one UTF-16 unit takes at most.
    pub const V8_MAX_STRING_BYTES: usize = 3 * ((1 << 29) - 24);
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            locations: true,
            trace: true,
            max_string_bytes: ParseOptions::V8_MAX_STRING_BYTES,
            max_unknown_sections_bytes: 64 << 20,
            max_header_bytes: 16 << 20,
        }
    }
}

impl HeapSnapshot {
    /// Parses a snapshot file, plain or gzipped (detected by its magic bytes, not its name).
    ///
    /// ```no_run
    /// let snap = heapsnap_format::HeapSnapshot::from_path("app.heapsnapshot.gz")?;
    /// println!("{} nodes", snap.node_count());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_path(path: impl AsRef<Path>) -> Result<HeapSnapshot> {
        ParseOptions::default().parse_path(path, &mut NoProgress)
    }

    /// Parses a snapshot from any reader, plain or gzipped.
    pub fn from_reader(reader: impl Read) -> Result<HeapSnapshot> {
        ParseOptions::default().parse_reader(reader, &mut NoProgress)
    }

    /// Parses a snapshot held in memory, plain or gzipped.
    pub fn from_slice(bytes: &[u8]) -> Result<HeapSnapshot> {
        ParseOptions::default().parse_slice(bytes, &mut NoProgress)
    }
}

impl ParseOptions {
    /// Parses a file; `progress` gets its size, then the bytes read from it.
    ///
    /// Big files are read (and decompressed) on the calling thread and parsed on a second,
    /// scoped thread named `heapsnap-parse`, which ends before this returns (without a thread
    /// to be had, everything runs on the calling thread).
    ///
    /// # Errors
    /// [`Error::Io`] naming the path (`reading app.heapsnapshot: Is a directory`), or
    /// [`Error::Parse`] with the section and byte offset.
    pub fn parse_path(
        &self,
        path: impl AsRef<Path>,
        progress: &mut dyn Progress,
    ) -> Result<HeapSnapshot> {
        let path = path.as_ref();
        let named = |e: Error| match e {
            Error::Io(io) => {
                Error::Io(io::Error::new(io.kind(), format!("reading {}: {io}", path.display())))
            }
            e => e,
        };
        let file = File::open(path).map_err(|e| named(Error::Io(e)))?;
        let len = file.metadata().map(|m| m.len()).ok();
        if let Some(len) = len {
            progress.set_total(len);
        }
        self.parse_inner(file, len, progress).map_err(named)
    }

    /// Parses from a reader; `progress` gets the bytes read from it.
    pub fn parse_reader(
        &self,
        reader: impl Read,
        progress: &mut dyn Progress,
    ) -> Result<HeapSnapshot> {
        self.parse_inner(reader, None, progress)
    }

    /// Parses a byte slice; `progress` gets its length, then the bytes consumed.
    pub fn parse_slice(&self, bytes: &[u8], progress: &mut dyn Progress) -> Result<HeapSnapshot> {
        progress.set_total(bytes.len() as u64);
        self.parse_inner(bytes, Some(bytes.len() as u64), progress)
    }

    fn parse_inner(
        &self,
        reader: impl Read,
        len: Option<u64>,
        progress: &mut dyn Progress,
    ) -> Result<HeapSnapshot> {
        let mut counting = Counting { inner: reader, progress };
        // Sniff the gzip magic from the first two bytes, however the reader splits them.
        let mut magic = [0u8; 2];
        let mut got = 0;
        while got < 2 {
            match counting.read(&mut magic[got..]) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::Io(e)),
            }
        }
        let gz = got == 2 && magic == [0x1f, 0x8b];
        let input = (&magic[..got]).chain(counting);
        // Files and slices known to be big are read (and decompressed) on a second thread;
        // readers of unknown length (stdin, a socket) and small inputs are read in place, with
        // the reader's own granularity.
        let pipeline = len.is_some_and(|l| l >= if gz { GZ_PIPELINE_MIN } else { PIPELINE_MIN });
        match (gz, pipeline) {
            // The decompressed size is unknown: reserve blindly only up to a bound.
            (true, true) => self.parse_pipelined(GzMembers::new(input, CHUNK), None),
            (true, false) => Parser::new(GzMembers::new(input, CHUNK), self, None).run(),
            (false, true) => self.parse_pipelined(input, len),
            (false, false) => Parser::new(input, self, len).run(),
        }
    }
}

/// Counts bytes read for progress reporting.
struct Counting<'p, R> {
    inner: R,
    progress: &'p mut dyn Progress,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.advance(n as u64);
        Ok(n)
    }
}
