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

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use serde_json::{Map, Value};

use crate::error::{Error, Result, Section, Warning};
use crate::meta::{EdgeField, Meta, NodeField};
use crate::progress::{NoProgress, Progress};
use crate::snapshot::{HeapSnapshot, TraceTree};
use crate::strings::{LoneSurrogate, Strings};

const CHUNK: usize = 256 * 1024;
/// The `snapshot` header is a few KB; refuse absurd ones rather than buffer them.
const MAX_HEADER: usize = 16 * 1024 * 1024;
/// Columns reserve at most this many entries up front when the input size is unknown; beyond
/// that they grow as data actually arrives, so a lying header cannot make us allocate gigabytes.
const MAX_BLIND_RESERVE: usize = 1 << 20;
/// Allocation stacks are a few hundred frames deep; a deeper `trace_tree` is not from V8, and
/// bounding it bounds the parser's memory per input byte.
const MAX_TRACE_DEPTH: usize = 1 << 16;

/// Options for parsing. `Default` keeps everything.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ParseOptions {
    /// Keep `locations` (otherwise it is read, checked and dropped).
    pub locations: bool,
    /// Keep the allocation-tracking sections `trace_function_infos`, `trace_tree`, `samples`.
    pub trace: bool,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions { locations: true, trace: true }
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
    pub fn parse_path(
        &self,
        path: impl AsRef<Path>,
        progress: &mut dyn Progress,
    ) -> Result<HeapSnapshot> {
        let file = File::open(path.as_ref())?;
        let len = file.metadata().map(|m| m.len()).ok();
        if let Some(len) = len {
            progress.set_total(len);
        }
        self.parse_inner(file, len, progress)
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
            (true, true) => self
                .parse_pipelined(MultiGzDecoder::new(BufReader::with_capacity(CHUNK, input)), None),
            (true, false) => {
                Parser::new(MultiGzDecoder::new(BufReader::with_capacity(CHUNK, input)), self, None)
                    .run()
            }
            (false, true) => self.parse_pipelined(input, len),
            (false, false) => Parser::new(input, self, len).run(),
        }
    }

    /// Reading (and decompressing) on this thread, parsing on another, so the two overlap:
    /// decompression costs about as much as parsing. Chunks go through a short bounded
    /// queue and come back for reuse, so memory stays a few MiB whatever the input size.
    fn parse_pipelined(&self, mut input: impl Read, len: Option<u64>) -> Result<HeapSnapshot> {
        use std::sync::mpsc;
        let (full_tx, full_rx) = mpsc::sync_channel::<io::Result<(Vec<u8>, usize)>>(PIPELINE_DEPTH);
        let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
        std::thread::scope(|scope| {
            let parser = std::thread::Builder::new().name("heapsnap-parse".into()).spawn_scoped(
                scope,
                move || {
                    let reader =
                        Pipe { full: full_rx, empty: empty_tx, chunk: Vec::new(), len: 0, pos: 0 };
                    Parser::new(reader, self, len).run()
                },
            );
            let parser = match parser {
                Ok(p) => p,
                // No thread to be had: parse here instead.
                Err(_) => return Parser::new(input, self, len).run(),
            };
            loop {
                // Chunks keep their full length (zeroed once, when first made); the count of
                // bytes read travels with them.
                let mut chunk = empty_rx.try_recv().unwrap_or_else(|_| vec![0; PIPELINE_CHUNK]);
                let (n, error) = read_some(&mut input, &mut chunk);
                // A send fails only once the parser has stopped (an error): stop reading too.
                if n > 0 && full_tx.send(Ok((chunk, n))).is_err() {
                    break;
                }
                if let Some(e) = error {
                    let _ = full_tx.send(Err(e));
                    break;
                }
                if n == 0 {
                    break;
                }
            }
            drop(full_tx);
            parser.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

/// Plain inputs smaller than this are parsed on the calling thread.
const PIPELINE_MIN: u64 = 4 * 1024 * 1024;
/// Gzipped inputs smaller than this (compressed) are parsed on the calling thread.
const GZ_PIPELINE_MIN: u64 = 1024 * 1024;
/// Size of the chunks handed from the reading thread to the parser.
const PIPELINE_CHUNK: usize = 1024 * 1024;
/// Chunks in flight between the two.
const PIPELINE_DEPTH: usize = 4;

/// One read into `buf`, as the input gives it: the byte count (0 at end of input) and the
/// error that stopped it, if one did. (Chunks keep the input's own granularity, so a reader
/// that hands out a few bytes at a time still exercises every chunk boundary of the parser.)
fn read_some(input: &mut impl Read, buf: &mut [u8]) -> (usize, Option<io::Error>) {
    loop {
        match input.read(buf) {
            Ok(n) => return (n, None),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (0, Some(e)),
        }
    }
}

/// The parser's end of the pipeline: chunks from the reading thread, as a `Read`.
struct Pipe {
    full: std::sync::mpsc::Receiver<io::Result<(Vec<u8>, usize)>>,
    empty: std::sync::mpsc::Sender<Vec<u8>>,
    chunk: Vec<u8>,
    /// Bytes of `chunk` that hold input.
    len: usize,
    pos: usize,
}

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.len {
            match self.full.recv() {
                Ok(Ok((next, len))) => {
                    let used = std::mem::replace(&mut self.chunk, next);
                    if !used.is_empty() {
                        let _ = self.empty.send(used);
                    }
                    self.len = len;
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                // The reading side is done: end of input.
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.len - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
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

/// A byte cursor over a reader, refilled in chunks. `base` is the offset of `buf[0]`.
struct Scanner<R> {
    reader: R,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    base: u64,
    eof: bool,
    section: Section,
}

impl<R: Read> Scanner<R> {
    #[inline]
    fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    fn err(&self, message: impl Into<String>) -> Error {
        Error::parse(self.section, self.offset(), message)
    }

    fn err_at(&self, offset: u64, message: impl Into<String>) -> Error {
        Error::parse(self.section, offset, message)
    }

    fn truncated(&self) -> Error {
        self.err("unexpected end of input (the file is truncated or incomplete)")
    }

    /// The next byte without consuming it, `None` at end of input.
    #[inline(always)]
    fn peek(&mut self) -> Result<Option<u8>> {
        if self.pos < self.end { Ok(Some(self.buf[self.pos])) } else { self.refill() }
    }

    #[cold]
    #[inline(never)]
    fn refill(&mut self) -> Result<Option<u8>> {
        if self.eof {
            return Ok(None);
        }
        self.base += self.end as u64;
        self.pos = 0;
        self.end = 0;
        loop {
            match self.reader.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(None);
                }
                Ok(n) => {
                    self.end = n;
                    return Ok(Some(self.buf[0]));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(Error::parse(
                        self.section,
                        self.base,
                        format!("reading the input failed (truncated or corrupt gzip data?): {e}"),
                    ));
                }
            }
        }
    }

    /// The next byte, which must exist.
    #[inline]
    fn peek_some(&mut self) -> Result<u8> {
        match self.peek()? {
            Some(b) => Ok(b),
            None => Err(self.truncated()),
        }
    }

    #[inline]
    fn bump(&mut self) {
        self.pos += 1;
    }

    /// Skips JSON whitespace and returns the next byte (not consumed), `None` at end of input.
    #[inline]
    fn skip_ws(&mut self) -> Result<Option<u8>> {
        loop {
            match self.peek()? {
                Some(b' ' | b'\n' | b'\r' | b'\t') => self.bump(),
                other => return Ok(other),
            }
        }
    }

    fn skip_ws_some(&mut self) -> Result<u8> {
        match self.skip_ws()? {
            Some(b) => Ok(b),
            None => Err(self.truncated()),
        }
    }

    fn expect(&mut self, want: u8, what: &str) -> Result<()> {
        let b = self.skip_ws_some()?;
        if b != want {
            return Err(self.err(format!("expected {what}, found {}", describe(b))));
        }
        self.bump();
        Ok(())
    }

    /// Reads `[n, n, ...]` of unsigned 32-bit integers into `sink`: whole rows at a time
    /// through [`U32Sink::rows`] where it can, else one value at a time through
    /// [`U32Sink::value`]. A sink error becomes a parse error at that value's offset. Returns
    /// the count.
    #[inline]
    fn u32_array(&mut self, sink: &mut impl U32Sink) -> Result<u64> {
        self.expect(b'[', "`[`")?;
        let mut count = 0u64;
        let mut b = self.skip_ws_some()?;
        if b == b']' {
            self.bump();
            return Ok(0);
        }
        loop {
            // The fast path: `b` is the first byte of a value at `pos`.
            let (used, values) =
                sink.rows(&self.buf[self.pos..self.end], self.base + self.pos as u64);
            if values > 0 {
                self.pos += used;
                count += values;
                b = match self.peek()? {
                    Some(c) if c.is_ascii_digit() => c,
                    _ => {
                        let c = self.skip_ws_some()?;
                        if c == b']' {
                            return Err(self.err("trailing comma before `]`"));
                        }
                        c
                    }
                };
            }
            let start = self.offset();
            if !b.is_ascii_digit() {
                return Err(
                    self.err(format!("expected an unsigned integer, found {}", describe(b)))
                );
            }
            let mut v: u64 = 0;
            // Fast path: digits within the current chunk.
            loop {
                let mut i = self.pos;
                let end = self.end;
                while i < end {
                    let d = self.buf[i].wrapping_sub(b'0');
                    if d > 9 {
                        break;
                    }
                    v = v * 10 + u64::from(d);
                    if v > u64::from(u32::MAX) {
                        return Err(self.err_at(start, "number does not fit in 32 bits"));
                    }
                    i += 1;
                }
                self.pos = i;
                if i < end || self.refill()?.is_none() {
                    break;
                }
            }
            sink.value(v as u32, start).map_err(|m| self.err_at(start, m))?;
            count += 1;
            b = match self.peek()? {
                Some(b',') => {
                    self.bump();
                    match self.peek()? {
                        Some(c) if c.is_ascii_digit() => c,
                        _ => {
                            let c = self.skip_ws_some()?;
                            if c == b']' {
                                return Err(self.err("trailing comma before `]`"));
                            }
                            c
                        }
                    }
                }
                Some(b']') => {
                    self.bump();
                    return Ok(count);
                }
                _ => match self.skip_ws_some()? {
                    b',' => {
                        self.bump();
                        self.skip_ws_some()?
                    }
                    b']' => {
                        self.bump();
                        return Ok(count);
                    }
                    c @ (b'.' | b'e' | b'E' | b'-' | b'+') => {
                        return Err(self.err(format!(
                            "expected an unsigned integer, found {} (fractions, exponents and signs are not allowed)",
                            describe(c)
                        )));
                    }
                    c => {
                        return Err(self.err(format!("expected `,` or `]`, found {}", describe(c))));
                    }
                },
            };
        }
    }

    /// Reads a JSON string (the opening quote is next) into `out`, recording lone surrogates
    /// as (byte offset within this string, code unit) pairs; U+FFFD stands in for each.
    fn string(&mut self, out: &mut Vec<u8>, lone: &mut Vec<(u32, u16)>) -> Result<()> {
        let b = self.skip_ws_some()?;
        if b != b'"' {
            return Err(self.err(format!("expected a string, found {}", describe(b))));
        }
        self.bump();
        let str_start = out.len();
        let start_offset = self.offset();
        let mut non_ascii = false;
        let mut pending_high: Option<u16> = None;
        loop {
            let slice = &self.buf[self.pos..self.end];
            let mut i = 0;
            while i < slice.len() {
                let c = slice[i];
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                non_ascii |= c >= 0x80;
                i += 1;
            }
            if i > 0 {
                if let Some(h) = pending_high.take() {
                    push_lone(out, str_start, lone, h);
                }
                out.extend_from_slice(&slice[..i]);
                self.pos += i;
            }
            if self.pos == self.end {
                if self.refill()?.is_none() {
                    return Err(self.truncated());
                }
                continue;
            }
            match self.buf[self.pos] {
                b'"' => {
                    self.bump();
                    break;
                }
                b'\\' => {
                    self.bump();
                    let esc = self.peek_some()?;
                    self.bump();
                    let simple = match esc {
                        b'"' => Some(b'"'),
                        b'\\' => Some(b'\\'),
                        b'/' => Some(b'/'),
                        b'b' => Some(0x08),
                        b'f' => Some(0x0c),
                        b'n' => Some(b'\n'),
                        b'r' => Some(b'\r'),
                        b't' => Some(b'\t'),
                        b'u' => None,
                        other => {
                            return Err(self.err(format!(
                                "invalid escape `\\{}` in a string",
                                char::from(other)
                            )));
                        }
                    };
                    if let Some(c) = simple {
                        if let Some(h) = pending_high.take() {
                            push_lone(out, str_start, lone, h);
                        }
                        out.push(c);
                        continue;
                    }
                    let unit = self.hex4()?;
                    if let Some(h) = pending_high.take() {
                        if (0xDC00..=0xDFFF).contains(&unit) {
                            let cp = 0x10000
                                + ((u32::from(h) - 0xD800) << 10)
                                + (u32::from(unit) - 0xDC00);
                            push_char(out, cp);
                            continue;
                        }
                        push_lone(out, str_start, lone, h);
                    }
                    match unit {
                        0xD800..=0xDBFF => pending_high = Some(unit),
                        0xDC00..=0xDFFF => push_lone(out, str_start, lone, unit),
                        _ => push_char(out, u32::from(unit)),
                    }
                }
                c => {
                    return Err(self.err(format!(
                        "unescaped control character 0x{c:02x} in a string (JSON requires \\u escapes)"
                    )));
                }
            }
        }
        if let Some(h) = pending_high.take() {
            push_lone(out, str_start, lone, h);
        }
        if non_ascii && std::str::from_utf8(&out[str_start..]).is_err() {
            return Err(self.err_at(start_offset, "string is not valid UTF-8"));
        }
        if out.len() - str_start > u32::MAX as usize {
            return Err(self.err_at(start_offset, "string longer than 4 GiB"));
        }
        Ok(())
    }

    fn hex4(&mut self) -> Result<u16> {
        let mut v: u16 = 0;
        for _ in 0..4 {
            let b = self.peek_some()?;
            let d = match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ => {
                    return Err(
                        self.err(format!("invalid \\u escape: {} is not a hex digit", describe(b)))
                    );
                }
            };
            v = (v << 4) | u16::from(d);
            self.bump();
        }
        Ok(v)
    }

    /// Copies one complete JSON value verbatim (balanced brackets, strings respected), without
    /// validating its grammar beyond that. Refuses values longer than `limit` bytes.
    fn raw_value(&mut self, limit: usize) -> Result<Vec<u8>> {
        let start = self.offset();
        self.skip_ws_some()?;
        let mut out = Vec::new();
        let mut depth = 0usize;
        let mut in_str = false;
        let mut escaped = false;
        loop {
            let Some(b) = self.peek()? else {
                return Err(self.truncated());
            };
            if in_str {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_str = false;
                }
            } else {
                match b {
                    b'"' => in_str = true,
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' => {
                        if depth == 0 {
                            // End of a scalar value; the bracket belongs to the parent.
                            break;
                        }
                        depth -= 1;
                    }
                    b',' if depth == 0 => break,
                    _ => {}
                }
            }
            out.push(b);
            self.bump();
            if out.len() > limit {
                return Err(self.err_at(start, format!("value is larger than {limit} bytes")));
            }
            if depth == 0 && !in_str && matches!(b, b']' | b'}' | b'"') {
                break;
            }
        }
        while matches!(out.last(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            out.pop();
        }
        if out.is_empty() {
            return Err(self.err_at(start, "expected a value"));
        }
        Ok(out)
    }
}

/// Where [`Scanner::u32_array`] puts the values it reads.
trait U32Sink {
    /// The fast path, offered whenever a value starts at `buf[0]` (`base` is its offset):
    /// consume as many whole, valid rows from the front of `buf` as convenient and return
    /// (bytes, values) consumed. Anything unusual (a partial row, whitespace, the closing
    /// bracket, an invalid value) is left for [`U32Sink::value`], which reports it exactly.
    #[inline(always)]
    fn rows(&mut self, _buf: &[u8], _base: u64) -> (usize, u64) {
        (0, 0)
    }

    /// One value at `offset`; an error message becomes a parse error there.
    fn value(&mut self, v: u32, offset: u64) -> std::result::Result<(), String>;
}

/// A closure as a value-at-a-time [`U32Sink`].
struct Each<F>(F);

impl<F: FnMut(u32, u64) -> std::result::Result<(), String>> U32Sink for Each<F> {
    #[inline(always)]
    fn value(&mut self, v: u32, offset: u64) -> std::result::Result<(), String> {
        (self.0)(v, offset)
    }
}

/// The most bytes one value takes in a row [`scan_row`] accepts: 11 digits (leading zeros
/// included) and a two-byte separator. (Rows of up to 19 values keep offsets within a `u8`.)
const ROW_VALUE_BYTES: usize = 13;

/// Reads `K` unsigned integers from the front of `buf` into `values`, each followed by `,` or
/// by `\n,` (V8 writes one node or edge per line), as in `1,2,3\n,`, noting where each starts
/// within `buf` in `starts`. Returns the bytes consumed, or 0 for anything else (too few bytes
/// left, whitespace, a closing bracket, a value over `u32::MAX` or over 11 digits), which the
/// careful one-value path then handles and reports. (Out-parameters, not a returned tuple:
/// copying the tuple around cost more than the scan.)
#[inline(always)]
fn scan_row<const K: usize>(buf: &[u8], values: &mut [u32; K], starts: &mut [u8; K]) -> usize {
    // (A branch-free eight-digit SWAR conversion was measured slower here: most values are
    // one to three digits, which this loop does in a few cycles.)
    let Some(buf) = buf.get(..K * ROW_VALUE_BYTES) else { return 0 };
    let mut i = 0;
    for k in 0..K {
        let start = i;
        starts[k] = start as u8;
        let mut v = 0u64;
        while i - start < 11 {
            let d = buf[i].wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            v = v * 10 + u64::from(d);
            i += 1;
        }
        if i == start || v > u64::from(u32::MAX) {
            return 0;
        }
        match buf[i] {
            b',' => i += 1,
            b'\n' if buf[i + 1] == b',' => i += 2,
            _ => return 0,
        }
        values[k] = v as u32;
    }
    i
}

/// Where each field sits in a `nodes` row, for layouts the fast path knows: the five fields
/// every V8 writes, plus `trace_node_id` and/or `detachedness`, six or seven fields in all, in
/// any order, no unknown fields.
#[derive(Clone, Copy)]
struct NodeRowLayout {
    ty: usize,
    name: usize,
    id: usize,
    size: usize,
    edges: usize,
    trace: Option<usize>,
    detached: Option<usize>,
}

impl NodeRowLayout {
    fn of(map: &[NodeField]) -> Option<NodeRowLayout> {
        if !(6..=7).contains(&map.len()) {
            return None;
        }
        let at = |f: NodeField| map.iter().position(|&m| m == f);
        if map.iter().any(|m| matches!(m, NodeField::Extra(_))) {
            return None;
        }
        Some(NodeRowLayout {
            ty: at(NodeField::Type)?,
            name: at(NodeField::Name)?,
            id: at(NodeField::Id)?,
            size: at(NodeField::SelfSize)?,
            edges: at(NodeField::EdgeCount)?,
            trace: at(NodeField::TraceNodeId),
            detached: at(NodeField::Detachedness),
        })
    }
}

/// The `nodes` array into the node columns.
struct NodeSink<'a> {
    snap: &'a mut HeapSnapshot,
    map: Vec<NodeField>,
    nf: usize,
    n: usize,
    type_count: u32,
    expected: u64,
    /// The field the next value belongs to.
    field: usize,
    /// Values taken so far.
    seen: u64,
    /// Running sum of edge counts (the next node's first edge).
    sum: u64,
    name_max: &'a mut MaxRef,
    layout: Option<NodeRowLayout>,
}

impl NodeSink<'_> {
    #[inline(always)]
    fn rows_of<const K: usize>(&mut self, l: NodeRowLayout, buf: &[u8], base: u64) -> (usize, u64) {
        let n = self.n;
        let snap = &mut *self.snap;
        let rows_left = (self.expected - self.seen) / K as u64;
        let mut used = 0;
        let mut rows = 0u64;
        let mut r = [0u32; K];
        let mut at = [0u8; K];
        while rows < rows_left {
            let len = scan_row::<K>(&buf[used..], &mut r, &mut at);
            if len == 0 {
                break;
            }
            let ty = r[l.ty];
            let sum = self.sum + u64::from(r[l.edges]);
            if ty >= self.type_count || sum > u64::from(u32::MAX) {
                break;
            }
            let trace = l.trace.map(|t| r[t]);
            // The trace column starts at the first non-zero value: the careful path does that.
            if trace.is_some_and(|t| t != 0) && snap.node_trace_node_id.is_empty() {
                break;
            }
            let detached = match l.detached {
                Some(d) => match u8::try_from(r[d]) {
                    Ok(v) => Some(v),
                    Err(_) => break,
                },
                None => None,
            };
            self.sum = sum;
            grow(&mut snap.node_type, n).push(ty as u8);
            grow(&mut snap.node_name, n).push(r[l.name]);
            grow(&mut snap.node_id, n).push(r[l.id]);
            grow(&mut snap.node_self_size, n).push(r[l.size]);
            grow(&mut snap.first_edge, n + 1).push(sum as u32);
            if let Some(t) = trace
                && !snap.node_trace_node_id.is_empty()
            {
                snap.node_trace_node_id.push(t);
            }
            if let Some(d) = detached {
                grow(&mut snap.node_detachedness, n).push(d);
            }
            self.name_max.note(r[l.name], base + (used + usize::from(at[l.name])) as u64);
            used += len;
            rows += 1;
        }
        self.seen += rows * K as u64;
        (used, rows * K as u64)
    }
}

impl U32Sink for NodeSink<'_> {
    #[inline(always)]
    fn rows(&mut self, buf: &[u8], base: u64) -> (usize, u64) {
        match (self.layout, self.field, self.nf) {
            (Some(l), 0, 6) => self.rows_of::<6>(l, buf, base),
            (Some(l), 0, 7) => self.rows_of::<7>(l, buf, base),
            _ => (0, 0),
        }
    }

    fn value(&mut self, v: u32, offset: u64) -> std::result::Result<(), String> {
        let (n, nf, expected) = (self.n, self.nf, self.expected);
        if self.seen == expected {
            return Err(format!(
                "more than node_count ({n}) × {nf} node fields = {expected} values in `nodes`"
            ));
        }
        self.seen += 1;
        let snap = &mut *self.snap;
        match self.map[self.field] {
            NodeField::Type => {
                if v >= self.type_count {
                    // DevTools loads type values past the list (V8 6.x writes `symbol` nodes
                    // without listing the type): name them, and warn once at the end.
                    let Ok(raw) = u8::try_from(v) else {
                        return Err(format!(
                            "node type {v} is not one of the {} types in meta.node_types, \
                             and past the 256 types a node can have",
                            snap.meta.listed_node_types
                        ));
                    };
                    snap.meta.name_unlisted_node_types(raw);
                    self.type_count = v + 1;
                }
                grow(&mut snap.node_type, n).push(v as u8)
            }
            NodeField::Name => {
                self.name_max.note(v, offset);
                grow(&mut snap.node_name, n).push(v)
            }
            NodeField::Id => grow(&mut snap.node_id, n).push(v),
            NodeField::SelfSize => grow(&mut snap.node_self_size, n).push(v),
            NodeField::EdgeCount => {
                self.sum += u64::from(v);
                if self.sum > u64::from(u32::MAX) {
                    return Err("the nodes' edge counts add up to more than 2^32 edges".into());
                }
                grow(&mut snap.first_edge, n + 1).push(self.sum as u32)
            }
            NodeField::TraceNodeId => {
                // Stored only once a non-zero value appears (without allocation tracking,
                // V8 writes 0 for every node).
                let col = &mut snap.node_trace_node_id;
                if v != 0 && col.is_empty() {
                    let node = ((self.seen - 1) / nf as u64) as usize;
                    col.reserve_exact(n);
                    col.resize(node, 0);
                }
                if !col.is_empty() {
                    col.push(v);
                }
            }
            NodeField::Detachedness => {
                let Ok(d) = u8::try_from(v) else {
                    return Err(format!(
                        "detachedness {v} is out of range (0 unknown, 1 attached, 2 detached)"
                    ));
                };
                grow(&mut snap.node_detachedness, n).push(d)
            }
            NodeField::Extra(k) => grow(&mut snap.node_extra[k], n).push(v),
        }
        self.field += 1;
        if self.field == nf {
            self.field = 0;
        }
        Ok(())
    }
}

/// Where each field sits in an `edges` row, for the three-field layouts.
#[derive(Clone, Copy)]
struct EdgeRowLayout {
    ty: usize,
    name: usize,
    to: usize,
}

impl EdgeRowLayout {
    fn of(map: &[EdgeField]) -> Option<EdgeRowLayout> {
        let at = |f: EdgeField| map.iter().position(|&m| m == f);
        if map.len() != 3 {
            return None;
        }
        Some(EdgeRowLayout {
            ty: at(EdgeField::Type)?,
            name: at(EdgeField::NameOrIndex)?,
            to: at(EdgeField::ToNode)?,
        })
    }
}

/// The `edges` array into the edge columns.
struct EdgeSink<'a> {
    snap: &'a mut HeapSnapshot,
    map: Vec<EdgeField>,
    ef: usize,
    e: usize,
    /// Node field count: `to_node` values are multiples of it.
    nf: u32,
    node_values: u64,
    type_count: u32,
    string_named: Vec<bool>,
    expected: u64,
    field: usize,
    seen: u64,
    // Per row: the type and name arrive in either order, so note the name's offset.
    row_type: Option<u8>,
    row_name: Option<(u32, u64)>,
    name_max: &'a mut MaxRef,
    layout: Option<EdgeRowLayout>,
}

impl EdgeSink<'_> {
    /// Whole rows; `nf` is a constant at the call sites, so the division is a multiplication.
    #[inline(always)]
    fn rows_nf(&mut self, l: EdgeRowLayout, nf: u32, buf: &[u8], base: u64) -> (usize, u64) {
        let e = self.e;
        let snap = &mut *self.snap;
        let rows_left = (self.expected - self.seen) / 3;
        let mut used = 0;
        let mut rows = 0u64;
        let mut r = [0u32; 3];
        let mut at = [0u8; 3];
        while rows < rows_left {
            let len = scan_row::<3>(&buf[used..], &mut r, &mut at);
            if len == 0 {
                break;
            }
            let (ty, name, to) = (r[l.ty], r[l.name], r[l.to]);
            if ty >= self.type_count || !to.is_multiple_of(nf) || u64::from(to) >= self.node_values
            {
                break;
            }
            grow(&mut snap.edge_type, e).push(ty as u8);
            grow(&mut snap.edge_name_or_index, e).push(name);
            grow(&mut snap.edge_to, e).push(to / nf);
            if self.string_named[ty as usize] {
                self.name_max.note(name, base + (used + usize::from(at[l.name])) as u64);
            }
            used += len;
            rows += 1;
        }
        self.seen += rows * 3;
        (used, rows * 3)
    }
}

impl U32Sink for EdgeSink<'_> {
    #[inline(always)]
    fn rows(&mut self, buf: &[u8], base: u64) -> (usize, u64) {
        match (self.layout, self.field, self.nf) {
            (Some(l), 0, 6) => self.rows_nf(l, 6, buf, base),
            (Some(l), 0, 7) => self.rows_nf(l, 7, buf, base),
            (Some(l), 0, nf) => self.rows_nf(l, nf, buf, base),
            _ => (0, 0),
        }
    }

    fn value(&mut self, v: u32, offset: u64) -> std::result::Result<(), String> {
        let (e, ef, expected, nf) = (self.e, self.ef, self.expected, self.nf);
        if self.seen == expected {
            return Err(format!(
                "more than edge_count ({e}) × {ef} edge fields = {expected} values in `edges`"
            ));
        }
        self.seen += 1;
        let snap = &mut *self.snap;
        match self.map[self.field] {
            EdgeField::Type => {
                if v >= self.type_count {
                    return Err(format!(
                        "edge type {v} is not one of the {} types in meta.edge_types",
                        self.type_count
                    ));
                }
                self.row_type = Some(v as u8);
                grow(&mut snap.edge_type, e).push(v as u8)
            }
            EdgeField::NameOrIndex => {
                self.row_name = Some((v, offset));
                grow(&mut snap.edge_name_or_index, e).push(v)
            }
            EdgeField::ToNode => {
                if !v.is_multiple_of(nf) {
                    return Err(format!(
                        "to_node {v} is not a multiple of the node field count {nf}"
                    ));
                }
                if u64::from(v) >= self.node_values {
                    return Err(format!(
                        "to_node {v} points past the last node (node_count {} × {nf} fields)",
                        self.node_values / u64::from(nf)
                    ));
                }
                grow(&mut snap.edge_to, e).push(v / nf)
            }
            EdgeField::Extra(k) => grow(&mut snap.edge_extra[k], e).push(v),
        }
        self.field += 1;
        if self.field == ef {
            self.field = 0;
            if let (Some(t), Some((name, at))) = (self.row_type.take(), self.row_name.take())
                && self.string_named[usize::from(t)]
            {
                self.name_max.note(name, at);
            }
        }
        Ok(())
    }
}

fn push_char(out: &mut Vec<u8>, cp: u32) {
    let c = char::from_u32(cp).unwrap_or('\u{FFFD}');
    let mut tmp = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
}

fn push_lone(out: &mut Vec<u8>, str_start: usize, lone: &mut Vec<(u32, u16)>, unit: u16) {
    lone.push(((out.len() - str_start) as u32, unit));
    out.extend_from_slice("\u{FFFD}".as_bytes());
}

fn describe(b: u8) -> String {
    if b.is_ascii_graphic() { format!("`{}`", char::from(b)) } else { format!("byte 0x{b:02x}") }
}

/// Where the largest string index seen in a column came from, for the check after `strings`.
#[derive(Clone, Copy, Default)]
struct MaxRef {
    value: u32,
    offset: u64,
    seen: bool,
}

impl MaxRef {
    #[inline]
    fn note(&mut self, value: u32, offset: u64) {
        if !self.seen || value > self.value {
            *self = MaxRef { value, offset, seen: true };
        }
    }
}

struct Parser<'o, R> {
    s: Scanner<R>,
    opts: &'o ParseOptions,
    /// Known input length (uncompressed files), used to bound up-front reservations.
    len_hint: Option<u64>,
    snap: HeapSnapshot,
    have_header: bool,
    seen: std::collections::HashSet<String>,
    node_count: usize,
    edge_count: usize,
    header_trace_function_count: Option<u64>,
    edge_count_sum: u64,
    nodes_end: u64,
    node_name_max: MaxRef,
    edge_name_max: MaxRef,
    locations_offset: u64,
}

impl<'o, R: Read> Parser<'o, R> {
    fn new(reader: R, opts: &'o ParseOptions, len_hint: Option<u64>) -> Self {
        Parser {
            s: Scanner {
                reader,
                buf: vec![0u8; CHUNK].into_boxed_slice(),
                pos: 0,
                end: 0,
                base: 0,
                eof: false,
                section: Section::TopLevel,
            },
            opts,
            len_hint,
            snap: HeapSnapshot::default(),
            have_header: false,
            seen: std::collections::HashSet::new(),
            node_count: 0,
            edge_count: 0,
            header_trace_function_count: None,
            edge_count_sum: 0,
            nodes_end: 0,
            node_name_max: MaxRef::default(),
            edge_name_max: MaxRef::default(),
            locations_offset: 0,
        }
    }

    /// How many entries to reserve for a column that will hold `declared` values out of
    /// `values_in_section` numbers: everything when the input is known to be big enough to hold
    /// them (each number takes at least two bytes), a bounded amount otherwise.
    fn reserve_for(&self, declared: usize, total_numbers: u64) -> usize {
        match self.len_hint {
            Some(len) if total_numbers.saturating_mul(2) <= len => declared,
            _ => declared.min(MAX_BLIND_RESERVE),
        }
    }

    fn run(mut self) -> Result<HeapSnapshot> {
        match self.s.skip_ws()? {
            None => return Err(self.s.err("empty input: expected a heap snapshot JSON object")),
            Some(b'{') => self.s.bump(),
            Some(b) => {
                return Err(self.s.err(format!(
                    "expected `{{` at the start of a heap snapshot, found {} (is this a .heapsnapshot file?)",
                    describe(b)
                )));
            }
        }
        let mut key = Vec::new();
        let mut lone = Vec::new();
        if self.s.skip_ws_some()? == b'}' {
            self.s.bump();
        } else {
            loop {
                self.s.section = Section::TopLevel;
                key.clear();
                lone.clear();
                let key_offset = self.s.offset();
                self.s.string(&mut key, &mut lone)?;
                let key_str = String::from_utf8_lossy(&key).into_owned();
                if self.seen.contains(&key_str) {
                    return Err(self
                        .s
                        .err_at(key_offset, format!("duplicate top-level key `{key_str}`")));
                }
                self.s.expect(b':', "`:`")?;
                self.section_value(&key_str)?;
                self.seen.insert(key_str);
                self.s.section = Section::TopLevel;
                match self.s.skip_ws_some()? {
                    b',' => self.s.bump(),
                    b'}' => {
                        self.s.bump();
                        break;
                    }
                    b => {
                        return Err(self.s.err(format!(
                            "expected `,` or `}}` after a section, found {}",
                            describe(b)
                        )));
                    }
                }
            }
        }
        if let Some(b) = self.s.skip_ws()? {
            return Err(self
                .s
                .err(format!("unexpected data after the snapshot object: {}", describe(b))));
        }
        self.finish()
    }

    fn require_header(&self, what: &str) -> Result<()> {
        if self.have_header {
            Ok(())
        } else {
            Err(self.s.err(format!(
                "`{what}` comes before the `snapshot` header that describes its layout"
            )))
        }
    }

    fn section_value(&mut self, key: &str) -> Result<()> {
        match key {
            "snapshot" => {
                self.s.section = Section::Header;
                self.header()
            }
            "nodes" => {
                self.s.section = Section::Nodes;
                self.require_header(key)?;
                self.nodes()
            }
            "edges" => {
                self.s.section = Section::Edges;
                self.require_header(key)?;
                self.edges()
            }
            "trace_function_infos" => {
                self.s.section = Section::TraceFunctionInfos;
                let v = self.flat_array()?;
                if self.opts.trace {
                    self.snap.trace_function_infos = Some(v);
                }
                Ok(())
            }
            "trace_tree" => {
                self.s.section = Section::TraceTree;
                self.require_header(key)?;
                let t = self.trace_tree()?;
                if self.opts.trace {
                    self.snap.trace_tree = Some(t);
                }
                Ok(())
            }
            "samples" => {
                self.s.section = Section::Samples;
                let v = self.flat_array()?;
                if self.opts.trace {
                    self.snap.samples = Some(v);
                }
                Ok(())
            }
            "locations" => {
                self.s.section = Section::Locations;
                self.locations_offset = self.s.offset();
                let v = self.flat_array()?;
                if self.opts.locations {
                    self.snap.locations = Some(v);
                }
                Ok(())
            }
            "strings" => {
                self.s.section = Section::Strings;
                self.strings()
            }
            other => {
                self.s.section = Section::Other;
                let start = self.s.skip_ws_some().map(|_| self.s.offset())?;
                let raw = self.s.raw_value(usize::MAX)?;
                // Kept verbatim, so it must at least be valid JSON (lone surrogates allowed).
                if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&raw) {
                    let at = line_col_to_offset(&raw, e.line(), e.column());
                    return Err(self
                        .s
                        .err_at(start + at, format!("invalid JSON in `{other}`: {e}")));
                }
                self.snap.extra_sections.push((other.to_string(), raw.into_boxed_slice()));
                Ok(())
            }
        }
    }

    fn header(&mut self) -> Result<()> {
        let start = self.s.skip_ws_some().map(|_| self.s.offset())?;
        if self.s.peek_some()? != b'{' {
            return Err(self.s.err("`snapshot` must be an object"));
        }
        let raw = self.s.raw_value(MAX_HEADER)?;
        let header: Map<String, Value> = serde_json::from_slice(&raw).map_err(|e| {
            let at = line_col_to_offset(&raw, e.line(), e.column());
            self.s.err_at(start + at, format!("malformed header JSON: {e}"))
        })?;
        let bad = |m: String| Error::parse(Section::Header, start, m);
        let meta = match header.get("meta") {
            Some(Value::Object(m)) => m.clone(),
            Some(_) => return Err(bad("`snapshot.meta` is not an object".into())),
            None => return Err(bad("`snapshot` has no `meta`".into())),
        };
        let count = |key: &str, required: bool| -> Result<Option<u64>> {
            match header.get(key) {
                None if required => Err(bad(format!("`snapshot` has no `{key}`"))),
                None => Ok(None),
                Some(v) => match v.as_u64() {
                    Some(n) if n <= u64::from(u32::MAX) => Ok(Some(n)),
                    Some(n) => Err(bad(format!("`snapshot.{key}` = {n} does not fit in 32 bits"))),
                    None => Err(bad(format!("`snapshot.{key}` is not an unsigned integer: {v}"))),
                },
            }
        };
        let node_count = count("node_count", true)?.unwrap_or(0) as usize;
        let edge_count = count("edge_count", true)?.unwrap_or(0) as usize;
        self.header_trace_function_count = count("trace_function_count", false)?;
        let root_index = count("root_index", false)?;
        let meta = Meta::from_json(meta).map_err(|m| bad(format!("bad `snapshot.meta`: {m}")))?;
        let nf = meta.node_fields.len() as u64;
        if let Some(r) = root_index
            && (r % nf != 0 || r / nf >= node_count as u64)
        {
            return Err(bad(format!(
                "`snapshot.root_index` {r} is not the node array index of a node (node_count {node_count} × {nf} fields)"
            )));
        }
        if node_count.checked_mul(meta.node_fields.len()).is_none_or(|n| n > u32::MAX as usize) {
            return Err(bad(format!(
                "node_count {node_count} × {} fields does not fit in 32-bit node array indices",
                meta.node_fields.len()
            )));
        }
        self.node_count = node_count;
        self.edge_count = edge_count;
        self.snap.meta = meta;
        self.snap.header = header;
        self.have_header = true;
        Ok(())
    }

    fn nodes(&mut self) -> Result<()> {
        let meta = &self.snap.meta;
        let nf = meta.node_fields.len();
        let n = self.node_count;
        let type_count = meta.node_type_names.len() as u32;
        let map = meta.node_field_map.clone();
        let extra_fields = meta.node_extra_fields;
        let reserve = self.reserve_for(n, (n * nf) as u64);
        let snap = &mut self.snap;
        snap.node_type.reserve_exact(reserve);
        snap.node_name.reserve_exact(reserve);
        snap.node_id.reserve_exact(reserve);
        snap.node_self_size.reserve_exact(reserve);
        snap.first_edge.reserve_exact(reserve + 1);
        snap.first_edge.push(0);
        if map.contains(&NodeField::Detachedness) {
            snap.node_detachedness.reserve_exact(reserve);
        }
        snap.node_extra = vec![Vec::with_capacity(reserve); extra_fields];
        let expected = (n * nf) as u64;
        let layout = NodeRowLayout::of(&map);
        let mut sink = NodeSink {
            snap,
            map,
            nf,
            n,
            type_count,
            expected,
            field: 0,
            seen: 0,
            sum: 0,
            name_max: &mut self.node_name_max,
            layout,
        };
        let count = self.s.u32_array(&mut sink)?;
        if count != expected {
            return Err(self.s.err(format!(
                "`nodes` has {count} values but node_count {n} × {nf} node fields = {expected}{}",
                if count < expected { " (too few)" } else { "" }
            )));
        }
        self.edge_count_sum = sink.sum;
        self.nodes_end = self.s.offset();
        Ok(())
    }

    fn edges(&mut self) -> Result<()> {
        let meta = &self.snap.meta;
        let nf = meta.node_fields.len() as u32;
        let ef = meta.edge_fields.len();
        let e = self.edge_count;
        let node_values = (self.node_count as u64) * u64::from(nf);
        let type_count = meta.edge_type_names.len() as u32;
        let string_named: Vec<bool> = meta.edge_kinds.iter().map(|k| k.has_string_name()).collect();
        let map = meta.edge_field_map.clone();
        let extra_fields = meta.edge_extra_fields;
        let reserve = self.reserve_for(e, (e * ef) as u64);
        let snap = &mut self.snap;
        snap.edge_type.reserve_exact(reserve);
        snap.edge_name_or_index.reserve_exact(reserve);
        snap.edge_to.reserve_exact(reserve);
        snap.edge_extra = vec![Vec::with_capacity(reserve); extra_fields];
        let expected = (e as u64) * ef as u64;
        let layout = EdgeRowLayout::of(&map);
        let mut sink = EdgeSink {
            snap,
            map,
            ef,
            e,
            nf,
            node_values,
            type_count,
            string_named,
            expected,
            field: 0,
            seen: 0,
            row_type: None,
            row_name: None,
            name_max: &mut self.edge_name_max,
            layout,
        };
        let count = self.s.u32_array(&mut sink)?;
        if count != expected {
            return Err(self.s.err(format!(
                "`edges` has {count} values but edge_count {e} × {ef} edge fields = {expected}{}",
                if count < expected { " (too few)" } else { "" }
            )));
        }
        Ok(())
    }

    fn flat_array(&mut self) -> Result<Vec<u32>> {
        let mut v = Vec::new();
        self.s.u32_array(&mut Each(|x, _| {
            v.push(x);
            Ok(())
        }))?;
        v.shrink_to_fit();
        Ok(v)
    }

    /// `trace_tree`: nested `[id, function_info_index, count, size, [children...]]` records,
    /// read with an explicit stack (no recursion, so deep trees cannot overflow ours).
    fn trace_tree(&mut self) -> Result<TraceTree> {
        let fields = self.snap.meta.field_list("trace_node_fields");
        let value_fields = match fields.as_deref() {
            None => 4,
            Some([.., last]) if last == "children" => fields.as_ref().map_or(4, |f| f.len() - 1),
            Some(_) => {
                return Err(self.s.err("`meta.trace_node_fields` must end with `children`"));
            }
        };
        let mut flat = Vec::new();
        // Each open array: position in `flat` of the owning node's child count (None for the
        // top level), and how many values of the current record have been read.
        let mut stack: Vec<(Option<usize>, usize)> = Vec::new();
        self.s.expect(b'[', "`[`")?;
        stack.push((None, 0));
        let mut need_value = false;
        while let Some(&mut (owner, ref mut in_record)) = stack.last_mut() {
            let b = self.s.skip_ws_some()?;
            match b {
                b']' => {
                    if need_value {
                        return Err(self.s.err("trailing comma before `]`"));
                    }
                    if *in_record != 0 {
                        return Err(self.s.err(format!(
                            "trace_tree record ends after {} of its {} values",
                            *in_record,
                            value_fields + 1
                        )));
                    }
                    self.s.bump();
                    stack.pop();
                    let _ = owner;
                    need_value = false;
                    if let Some(top) = stack.last_mut() {
                        top.1 = 0;
                    }
                    if !stack.is_empty() {
                        self.tree_separator(&mut need_value)?;
                    }
                    continue;
                }
                b'[' => {
                    if *in_record != value_fields {
                        return Err(self.s.err(format!(
                            "trace_tree record has a children array at position {} instead of {}",
                            *in_record, value_fields
                        )));
                    }
                    self.s.bump();
                    flat.push(0);
                    let slot = flat.len() - 1;
                    // Count this node as a child of the enclosing array's owner.
                    if let Some(o) = owner {
                        flat[o] += 1;
                    }
                    if stack.len() >= MAX_TRACE_DEPTH {
                        return Err(self.s.err(format!(
                            "trace_tree is nested deeper than {MAX_TRACE_DEPTH} levels"
                        )));
                    }
                    stack.push((Some(slot), 0));
                    need_value = false;
                    continue;
                }
                b'0'..=b'9' => {
                    if *in_record >= value_fields {
                        return Err(self
                            .s
                            .err("trace_tree record has too many values before its children"));
                    }
                    *in_record += 1;
                    let start = self.s.offset();
                    let mut v: u64 = 0;
                    while let Some(d @ b'0'..=b'9') = self.s.peek()? {
                        v = v * 10 + u64::from(d - b'0');
                        if v > u64::from(u32::MAX) {
                            return Err(self.s.err_at(start, "number does not fit in 32 bits"));
                        }
                        self.s.bump();
                    }
                    flat.push(v as u32);
                    self.tree_separator(&mut need_value)?;
                }
                other => {
                    return Err(self
                        .s
                        .err(format!("expected a number or an array, found {}", describe(other))));
                }
            }
        }
        // Child counts were credited to the owner of the enclosing array; the top-level records
        // have no owner and are simply listed in order.
        flat.shrink_to_fit();
        Ok(TraceTree { value_fields, flat })
    }

    fn tree_separator(&mut self, need_value: &mut bool) -> Result<()> {
        match self.s.skip_ws_some()? {
            b',' => {
                self.s.bump();
                *need_value = true;
                Ok(())
            }
            b']' => {
                *need_value = false;
                Ok(())
            }
            b => Err(self.s.err(format!("expected `,` or `]`, found {}", describe(b)))),
        }
    }

    fn strings(&mut self) -> Result<()> {
        self.s.expect(b'[', "`[`")?;
        let mut buf: Vec<u8> = Vec::new();
        let mut ends: Vec<usize> = Vec::new();
        let mut lone_all: Vec<LoneSurrogate> = Vec::new();
        let mut lone: Vec<(u32, u16)> = Vec::new();
        if self.s.skip_ws_some()? == b']' {
            self.s.bump();
        } else {
            loop {
                let start = buf.len();
                lone.clear();
                self.s.string(&mut buf, &mut lone)?;
                let idx = ends.len() as u32;
                lone_all.extend(lone.iter().map(|&(byte, unit)| LoneSurrogate {
                    string: idx,
                    byte,
                    unit,
                }));
                let _ = start;
                ends.push(buf.len());
                if ends.len() > u32::MAX as usize {
                    return Err(self.s.err("more than 2^32 strings"));
                }
                match self.s.skip_ws_some()? {
                    b',' => self.s.bump(),
                    b']' => {
                        self.s.bump();
                        break;
                    }
                    b => {
                        return Err(self
                            .s
                            .err(format!("expected `,` or `]`, found {}", describe(b))));
                    }
                }
            }
        }
        let text = String::from_utf8(buf).map_err(|_| self.s.err("strings are not valid UTF-8"))?;
        self.snap.strings = Strings { buf: text, ends, lone: lone_all };
        self.snap.strings.shrink_to_fit();
        Ok(())
    }

    fn finish(mut self) -> Result<HeapSnapshot> {
        let end = self.s.offset();
        for (key, section) in [
            ("snapshot", Section::Header),
            ("nodes", Section::Nodes),
            ("edges", Section::Edges),
            ("strings", Section::Strings),
        ] {
            if !self.seen.contains(key) {
                return Err(Error::parse(
                    section,
                    end,
                    format!("the snapshot has no `{key}` section"),
                ));
            }
        }
        if self.edge_count_sum != self.edge_count as u64 {
            return Err(Error::parse(
                Section::Nodes,
                self.nodes_end,
                format!(
                    "the nodes' edge_count fields add up to {} but snapshot.edge_count is {}",
                    self.edge_count_sum, self.edge_count
                ),
            ));
        }
        let meta = &self.snap.meta;
        if meta.node_type_names.len() > meta.listed_node_types {
            let listed = meta.listed_node_types;
            let names: Vec<String> = meta.node_type_names[listed..]
                .iter()
                .enumerate()
                .map(|(k, name)| format!("{} as `{name}`", listed + k))
                .collect();
            let message = format!(
                "nodes use type values that meta.node_types does not list ({listed} types; \
                 V8 6.x leaves out `symbol`): read {}, as DevTools loads them",
                names.join(", ")
            );
            self.snap.warnings.push(Warning { section: Section::Nodes, message });
        }
        let nstr = self.snap.strings.len() as u64;
        for (max, section, what) in [
            (self.node_name_max, Section::Nodes, "node name"),
            (self.edge_name_max, Section::Edges, "edge name"),
        ] {
            if max.seen && u64::from(max.value) >= nstr {
                return Err(Error::parse(
                    section,
                    max.offset,
                    format!(
                        "{what} refers to string {} but there are only {nstr} strings",
                        max.value
                    ),
                ));
            }
        }
        let meta = &self.snap.meta;
        let nf = meta.node_fields.len() as u64;
        if let Some(loc) = &mut self.snap.locations {
            let fields = meta.field_list("location_fields").unwrap_or_else(|| {
                ["object_index", "script_id", "line", "column"]
                    .iter()
                    .map(|s| s.to_string())
                    .collect()
            });
            let lf = fields.len().max(1);
            if loc.len() % lf != 0 {
                return Err(Error::parse(
                    Section::Locations,
                    self.locations_offset,
                    format!(
                        "`locations` has {} values, not a multiple of {lf} location fields",
                        loc.len()
                    ),
                ));
            }
            if let Some(oi) = fields.iter().position(|f| f == "object_index") {
                // Stored as node positions, so a rewrite with another layout stays right.
                for row in loc.chunks_exact_mut(lf) {
                    let o = u64::from(row[oi]);
                    if o % nf != 0 || o >= self.node_count as u64 * nf {
                        return Err(Error::parse(
                            Section::Locations,
                            self.locations_offset,
                            format!("location object_index {o} is not the start of a node"),
                        ));
                    }
                    row[oi] = (o / nf) as u32;
                }
            }
        }
        let tf = meta.field_list("trace_function_info_fields").map_or(6, |f| f.len().max(1));
        if let Some(infos) = &self.snap.trace_function_infos
            && infos.len() % tf != 0
        {
            return Err(Error::parse(
                Section::TraceFunctionInfos,
                end,
                format!(
                    "`trace_function_infos` has {} values, not a multiple of {tf} fields",
                    infos.len()
                ),
            ));
        }
        // The array is the truth: V8 has written counts that disagree with it. The header is
        // normalized so that writing and reading again gives the same snapshot.
        let actual = self.snap.trace_function_infos.as_ref().map_or(0, |v| (v.len() / tf) as u64);
        let declared = self.header_trace_function_count;
        if declared.is_some() || actual > 0 {
            if declared.unwrap_or(0) != actual {
                let message = format!(
                    "snapshot.trace_function_count is {} but trace_function_infos holds {actual} \
                     functions (a known V8 inconsistency); using the array",
                    declared.map_or("absent".to_string(), |d| d.to_string())
                );
                // Reported once, by whoever reads `warnings()` (the CLI logs them).
                self.snap.warnings.push(Warning { section: Section::TraceFunctionInfos, message });
            }
            self.snap.header.insert("trace_function_count".into(), Value::from(actual));
        }
        if let Some(samples) = &self.snap.samples {
            let sf = meta.field_list("sample_fields").map_or(2, |f| f.len().max(1));
            if samples.len() % sf != 0 {
                return Err(Error::parse(
                    Section::Samples,
                    end,
                    format!(
                        "`samples` has {} values, not a multiple of {sf} fields",
                        samples.len()
                    ),
                ));
            }
        }
        let snap = &mut self.snap;
        for v in [
            &mut snap.node_name,
            &mut snap.node_id,
            &mut snap.node_self_size,
            &mut snap.node_trace_node_id,
        ] {
            v.shrink_to_fit();
        }
        Ok(self.snap)
    }
}

/// Makes room for one more value in a column that will end with `cap` values, growing by
/// doubling but never past `cap` (so a column never holds more capacity than the header said).
#[inline(always)]
fn grow<T>(v: &mut Vec<T>, cap: usize) -> &mut Vec<T> {
    if v.len() == v.capacity() {
        let more = v.len().max(4096).min(cap.saturating_sub(v.len())).max(1);
        v.reserve_exact(more);
    }
    v
}

fn line_col_to_offset(text: &[u8], line: usize, col: usize) -> u64 {
    let mut l = 1;
    let mut i = 0;
    while l < line && i < text.len() {
        if text[i] == b'\n' {
            l += 1;
        }
        i += 1;
    }
    (i + col.saturating_sub(1)) as u64
}

#[cfg(test)]
mod fast_path_tests {
    use super::scan_row;

    #[test]
    fn scan_row_takes_only_clean_rows() {
        let pad = |s: &str| format!("{s}{}", " ".repeat(40));
        fn scan<const K: usize>(text: &[u8]) -> Option<([u32; K], [u8; K], usize)> {
            let (mut values, mut starts) = ([0u32; K], [0u8; K]);
            match scan_row::<K>(text, &mut values, &mut starts) {
                0 => None,
                n => Some((values, starts, n)),
            }
        }
        assert_eq!(scan::<3>(pad("1,22,333\n,4").as_bytes()), Some(([1, 22, 333], [0, 2, 5], 10)));
        assert_eq!(
            scan::<3>(pad("123456789,4294967295,0,").as_bytes()),
            Some(([123_456_789, 4_294_967_295, 0], [0, 10, 21], 23))
        );
        // Over u32, a closing bracket, whitespace, a sign, a fraction, too short: not here.
        assert_eq!(scan::<3>(pad("1,4294967296,0,").as_bytes()), None);
        assert_eq!(scan::<3>(pad("1,2,3]").as_bytes()), None);
        assert_eq!(scan::<3>(pad("1, 2,3,").as_bytes()), None);
        assert_eq!(scan::<3>(pad("1,-2,3,").as_bytes()), None);
        assert_eq!(scan::<3>(pad("1,2.5,3,").as_bytes()), None);
        assert_eq!(scan::<3>(b"1,2,3,"), None);
        assert_eq!(scan::<2>(pad("00000000001,2,").as_bytes()), Some(([1, 2], [0, 12], 14)));
        assert_eq!(scan::<2>(pad("000000000001,2,").as_bytes()), None);
    }
}
