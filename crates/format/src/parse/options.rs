//! Setters of [`ParseOptions`], so that it can be built outside this crate despite
//! `#[non_exhaustive]` (which forbids `ParseOptions { .., ..Default::default() }` there).

use super::ParseOptions;

/// Builder-style setters: start from `ParseOptions::default()` and chain them.
///
/// ```
/// use heapsnap_format::ParseOptions;
/// let opts = ParseOptions::default().trace(false).max_header_bytes(1 << 20);
/// assert_eq!((opts.trace, opts.locations, opts.max_header_bytes), (false, true, 1 << 20));
/// ```
impl ParseOptions {
    /// Sets [`locations`](Self::locations).
    pub fn locations(mut self, locations: bool) -> Self {
        self.locations = locations;
        self
    }

    /// Sets [`trace`](Self::trace).
    pub fn trace(mut self, trace: bool) -> Self {
        self.trace = trace;
        self
    }

    /// Sets [`max_string_bytes`](Self::max_string_bytes).
    pub fn max_string_bytes(mut self, max_string_bytes: usize) -> Self {
        self.max_string_bytes = max_string_bytes;
        self
    }

    /// Sets [`max_unknown_sections_bytes`](Self::max_unknown_sections_bytes).
    pub fn max_unknown_sections_bytes(mut self, max_unknown_sections_bytes: usize) -> Self {
        self.max_unknown_sections_bytes = max_unknown_sections_bytes;
        self
    }

    /// Sets [`max_header_bytes`](Self::max_header_bytes).
    pub fn max_header_bytes(mut self, max_header_bytes: usize) -> Self {
        self.max_header_bytes = max_header_bytes;
        self
    }
}
