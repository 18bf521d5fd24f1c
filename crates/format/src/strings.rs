//! The string table: one UTF-8 buffer plus offsets, with a lossless side table for the lone
//! UTF-16 surrogates that V8 writes and that UTF-8 cannot hold.

use crate::ids::StringIdx;

/// A lone UTF-16 surrogate found in a string (replaced by U+FFFD in the UTF-8 text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LoneSurrogate {
    /// The string it belongs to.
    pub(crate) string: u32,
    /// Byte offset of the U+FFFD stand-in within that string.
    pub(crate) byte: u32,
    /// The original code unit (0xD800..=0xDFFF).
    pub(crate) unit: u16,
}

/// All strings of a snapshot in one buffer.
///
/// Invariant: `ends.len()` is the string count; string `i` is `buf[start(i)..ends[i]]`.
/// `lone` is sorted by (`string`, `byte`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Strings {
    pub(crate) buf: String,
    pub(crate) ends: Vec<usize>,
    pub(crate) lone: Vec<LoneSurrogate>,
}

impl Strings {
    /// Number of strings.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there are no strings.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The string at `i`, or `None` when out of range. Lone surrogates read as U+FFFD.
    #[inline]
    pub fn get(&self, i: StringIdx) -> Option<&str> {
        let i = i.index();
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.buf.get(start..end)
    }

    /// Iterates over all strings in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.ends.len()).map(move |i| {
            let start = if i == 0 { 0 } else { self.ends[i - 1] };
            &self.buf[start..self.ends[i]]
        })
    }

    /// Whether string `i` contained lone UTF-16 surrogates (shown as U+FFFD, kept for writing).
    pub fn has_lone_surrogates(&self, i: StringIdx) -> bool {
        self.lone_of(i.0).next().is_some()
    }

    pub(crate) fn lone_of(&self, i: u32) -> impl Iterator<Item = &LoneSurrogate> + '_ {
        let start = self.lone.partition_point(|l| l.string < i);
        self.lone[start..].iter().take_while(move |l| l.string == i)
    }

    /// Total bytes of UTF-8 text held.
    pub fn text_len(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        self.buf.shrink_to_fit();
        self.ends.shrink_to_fit();
        self.lone.shrink_to_fit();
    }
}
