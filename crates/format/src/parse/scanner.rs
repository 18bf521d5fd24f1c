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
                        format!("reading the input failed (truncated or corrupt gzip data?): {e}"),
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

    /// Copies one complete JSON value verbatim (balanced brackets, strings respected), without
    /// validating its grammar beyond that. Refuses values longer than `limit` bytes.
    pub(super) fn raw_value(&mut self, limit: usize) -> Result<Vec<u8>> {
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
