//! Arrays of unsigned 32-bit integers (`nodes`, `edges`, `locations`, ...): a careful
//! one-value-at-a-time loop, and a fast path that takes whole clean rows at once.

use std::io::Read;

use super::scanner::{Scanner, describe};
use crate::error::Result;

impl<R: Read> Scanner<R> {
    /// Reads `[n, n, ...]` of unsigned 32-bit integers into `sink`: whole rows at a time
    /// through [`U32Sink::rows`] where it can, else one value at a time through
    /// [`U32Sink::value`]. A sink error becomes a parse error at that value's offset. Returns
    /// the count.
    #[inline]
    pub(super) fn u32_array(&mut self, sink: &mut impl U32Sink) -> Result<u64> {
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
                if i < end {
                    break;
                }
                if self.refill()?.is_none() {
                    // Inside an array: a number cut off by the end of the input.
                    return Err(self.truncated());
                }
            }
            if b == b'0' && self.offset() - start > 1 {
                return Err(self.err_at(start, LEADING_ZERO));
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
}

/// The error for `007`: JSON numbers have no leading zeros.
pub(super) const LEADING_ZERO: &str = "number with a leading zero (not valid JSON)";

/// Where [`Scanner::u32_array`] puts the values it reads.
pub(super) trait U32Sink {
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
pub(super) struct Each<F>(pub(super) F);

impl<F: FnMut(u32, u64) -> std::result::Result<(), String>> U32Sink for Each<F> {
    #[inline(always)]
    fn value(&mut self, v: u32, offset: u64) -> std::result::Result<(), String> {
        (self.0)(v, offset)
    }
}

/// The most bytes one value takes in a row [`scan_row`] looks at: 11 digits (one more than
/// `u32::MAX` has, so that longer numbers are seen to be too big) and a two-byte separator. (Rows of up to 19 values keep offsets within a `u8`.)
const ROW_VALUE_BYTES: usize = 13;

/// Reads `K` unsigned integers from the front of `buf` into `values`, each followed by `,` or
/// by `\n,` (V8 writes one node or edge per line), as in `1,2,3\n,`, noting where each starts
/// within `buf` in `starts`. Returns the bytes consumed, or 0 for anything else (too few bytes
/// left, whitespace, a closing bracket, a value over `u32::MAX`, a leading zero), which the
/// careful one-value path then handles and reports. (Out-parameters, not a returned tuple:
/// copying the tuple around cost more than the scan.)
#[inline(always)]
pub(super) fn scan_row<const K: usize>(
    buf: &[u8],
    values: &mut [u32; K],
    starts: &mut [u8; K],
) -> usize {
    // (A branch-free eight-digit SWAR conversion was measured slower here: most values are
    // one to three digits, which this loop does in a few cycles.)
    let Some(buf) = buf.get(..K * ROW_VALUE_BYTES) else { return 0 };
    let mut i = 0;
    for k in 0..K {
        let start = i;
        starts[k] = start as u8;
        let first = buf[i].wrapping_sub(b'0');
        if first > 9 {
            return 0;
        }
        i += 1;
        let mut v = u64::from(first);
        // A zero stands alone: digits after it (a leading zero, not JSON) fail the separator
        // check below and go to the careful path, which reports them.
        if first != 0 {
            while i - start < 11 {
                let d = buf[i].wrapping_sub(b'0');
                if d > 9 {
                    break;
                }
                v = v * 10 + u64::from(d);
                i += 1;
            }
            if v > u64::from(u32::MAX) {
                return 0;
            }
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
        // Leading zeros are not JSON; a lone zero is fine.
        assert_eq!(scan::<2>(pad("0,0,").as_bytes()), Some(([0, 0], [0, 2], 4)));
        assert_eq!(scan::<2>(pad("01,2,").as_bytes()), None);
        assert_eq!(scan::<2>(pad("1,00,").as_bytes()), None);
        assert_eq!(scan::<2>(pad("00000000001,2,").as_bytes()), None);
    }
}
