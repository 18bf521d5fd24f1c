//! The byte cursor the parser reads through: chunked refills, whitespace, punctuation, error
//! positions, and verbatim copies of values this crate does not interpret.

use std::io::{self, Read};

use crate::error::{Error, Result, Section};

/// A byte cursor over a reader, refilled in chunks. `base` is the offset of `buf[0]`.
pub(super) struct Scanner<R> {
    pub(super) reader: R,
    pub(super) buf: Box<[u8]>,
    pub(super) pos: usize,
    pub(super) end: usize,
    pub(super) base: u64,
    pub(super) eof: bool,
    pub(super) section: Section,
    /// [`crate::ParseOptions::max_string_bytes`].
    pub(super) max_string: usize,
}

impl<R: Read> Scanner<R> {
    #[inline]
    pub(super) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    pub(super) fn err(&self, message: impl Into<String>) -> Error {
        Error::parse(self.section, self.offset(), message)
    }

    pub(super) fn err_at(&self, offset: u64, message: impl Into<String>) -> Error {
        Error::parse(self.section, offset, message)
    }

    pub(super) fn truncated(&self) -> Error {
        self.err("unexpected end of input (the file is truncated or incomplete)")
    }

    /// The next byte without consuming it, `None` at end of input.
    #[inline(always)]
    pub(super) fn peek(&mut self) -> Result<Option<u8>> {
        if self.pos < self.end { Ok(Some(self.buf[self.pos])) } else { self.refill() }
    }

    #[cold]
    #[inline(never)]
    pub(super) fn refill(&mut self) -> Result<Option<u8>> {
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
                        format!("reading the input failed: {e}"),
                    ));
                }
            }
        }
    }

    /// The next byte, which must exist.
    #[inline]
    pub(super) fn peek_some(&mut self) -> Result<u8> {
        match self.peek()? {
            Some(b) => Ok(b),
            None => Err(self.truncated()),
        }
    }

    #[inline]
    pub(super) fn bump(&mut self) {
        self.pos += 1;
    }

    /// Skips JSON whitespace and returns the next byte (not consumed), `None` at end of input.
    #[inline]
    pub(super) fn skip_ws(&mut self) -> Result<Option<u8>> {
        loop {
            match self.peek()? {
                Some(b' ' | b'\n' | b'\r' | b'\t') => self.bump(),
                other => return Ok(other),
            }
        }
    }

    pub(super) fn skip_ws_some(&mut self) -> Result<u8> {
        match self.skip_ws()? {
            Some(b) => Ok(b),
            None => Err(self.truncated()),
        }
    }

    pub(super) fn expect(&mut self, want: u8, what: &str) -> Result<()> {
        let b = self.skip_ws_some()?;
        if b != want {
            return Err(self.err(format!("expected {what}, found {}", describe(b))));
        }
        self.bump();
        Ok(())
    }

    /// Reads one complete JSON value verbatim (balanced brackets, strings respected), without
    /// validating its grammar beyond that. It is copied while it stays within `limit` bytes;
    /// past that, [`OnLimit::Fail`] makes it an error right there, and [`OnLimit::Skip`] reads
    /// the rest without keeping any of it.
    pub(super) fn raw_value(&mut self, limit: usize, on_limit: OnLimit<'_>) -> Result<Raw> {
        let start = self.offset();
        self.skip_ws_some()?;
        let mut out = Vec::new();
        let mut kept = true;
        let mut len = 0u64;
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
            if kept {
                if out.len() >= limit {
                    match on_limit {
                        OnLimit::Fail(what) => {
                            return Err(
                                self.err_at(start, format!("{what} is larger than {limit} bytes"))
                            );
                        }
                        OnLimit::Skip => {
                            kept = false;
                            out = Vec::new();
                        }
                    }
                } else {
                    if out.len() == out.capacity() && out.try_reserve(1).is_err() {
                        return Err(
                            self.err_at(start, out_of_memory("a verbatim value", out.len()))
                        );
                    }
                    out.push(b);
                }
            }
            len += 1;
            self.bump();
            if depth == 0 && !in_str && matches!(b, b']' | b'}' | b'"') {
                break;
            }
        }
        if !kept {
            return Ok(Raw::Dropped(len));
        }
        while matches!(out.last(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            out.pop();
        }
        if out.is_empty() {
            return Err(self.err_at(start, "expected a value"));
        }
        Ok(Raw::Kept(out))
    }
}

/// What [`Scanner::raw_value`] does with a value longer than its limit.
#[derive(Clone, Copy)]
pub(super) enum OnLimit<'a> {
    /// An error: "`.0` is larger than N bytes".
    Fail(&'a str),
    /// Read the rest without keeping it.
    Skip,
}

/// A value read by [`Scanner::raw_value`].
pub(super) enum Raw {
    /// All of it, verbatim.
    Kept(Vec<u8>),
    /// Longer than the limit, so not kept: its length in bytes.
    Dropped(u64),
}

/// The message of a failed allocation: `what` could not grow past `bytes` bytes.
#[cold]
pub(super) fn out_of_memory(what: &str, bytes: usize) -> String {
    format!(
        "out of memory: {what} could not grow past {bytes} bytes (the snapshot needs more \
         memory than this process can have)"
    )
}

pub(super) fn describe(b: u8) -> String {
    if b.is_ascii_graphic() { format!("`{}`", char::from(b)) } else { format!("byte 0x{b:02x}") }
}

pub(super) fn line_col_to_offset(text: &[u8], line: usize, col: usize) -> u64 {
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
