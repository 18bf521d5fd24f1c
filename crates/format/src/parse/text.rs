//! JSON strings: the escape decoder (which keeps lone UTF-16 surrogates, as V8 writes them)
//! and the `strings` section.

use std::io::Read;

use super::parser::Parser;
use super::rows::grow;
use super::scanner::{Scanner, describe, out_of_memory};
use crate::error::Result;
use crate::strings::{LoneSurrogate, Strings};

impl<R: Read> Scanner<R> {
    /// Reads a JSON string (the opening quote is next) into `out`, recording lone surrogates
    /// as (byte offset within this string, code unit) pairs; U+FFFD stands in for each.
    pub(super) fn string(&mut self, out: &mut Vec<u8>, lone: &mut Vec<(u32, u16)>) -> Result<()> {
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
            // The length limit, checked as the string grows (an escape adds a few bytes past it
            // at most before this sees them).
            if out.len() - str_start > self.max_string {
                return Err(self.too_long(start_offset));
            }
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
            // Room for this run, a pending lone surrogate and one escape, or an error (not an
            // abort) when the memory is not there.
            if out.capacity() - out.len() < i + 16 || lone.capacity() == lone.len() {
                room_for_text(out, lone, i + 16).map_err(|m| self.err_at(start_offset, m))?;
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
        if out.len() - str_start > self.max_string {
            return Err(self.too_long(start_offset));
        }
        if non_ascii && std::str::from_utf8(&out[str_start..]).is_err() {
            return Err(self.err_at(start_offset, "string is not valid UTF-8"));
        }
        if out.len() - str_start > u32::MAX as usize {
            return Err(self.err_at(start_offset, "string longer than 4 GiB"));
        }
        Ok(())
    }

    #[cold]
    fn too_long(&self, start: u64) -> crate::Error {
        self.err_at(
            start,
            format!(
                "string is longer than {} bytes (ParseOptions::max_string_bytes; V8's own strings \
                 are at most {} bytes)",
                self.max_string,
                crate::ParseOptions::V8_MAX_STRING_BYTES
            ),
        )
    }

    pub(super) fn hex4(&mut self) -> Result<u16> {
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
}

/// Makes room for `more` bytes of string text and two lone surrogates.
#[cold]
#[inline(never)]
fn room_for_text(
    out: &mut Vec<u8>,
    lone: &mut Vec<(u32, u16)>,
    more: usize,
) -> std::result::Result<(), String> {
    out.try_reserve(more).map_err(|_| out_of_memory("the string text", out.len()))?;
    lone.try_reserve(2).map_err(|_| out_of_memory("the lone surrogate list", lone.len() * 8))
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

impl<R: Read> Parser<'_, R> {
    pub(super) fn strings(&mut self) -> Result<()> {
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
                let _ = start;
                lone_all.try_reserve(lone.len()).map_err(|_| {
                    self.s.err(out_of_memory("the lone surrogate list", lone_all.len() * 12))
                })?;
                lone_all.extend(lone.iter().map(|&(byte, unit)| LoneSurrogate {
                    string: idx,
                    byte,
                    unit,
                }));
                grow(&mut ends, usize::MAX).map_err(|m| self.s.err(m))?.push(buf.len());
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
}
