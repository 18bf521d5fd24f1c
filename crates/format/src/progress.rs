//! Progress reporting without printing: the CLI draws, libraries only count.

/// Receives progress from long operations (parsing reports input bytes consumed).
///
/// Libraries never print; the CLI implements this trait on top of a progress bar.
pub trait Progress {
    /// The total amount of work, when it is known (for parsing: the input size in bytes).
    fn set_total(&mut self, _total: u64) {}
    /// `delta` more units of work are done.
    fn advance(&mut self, delta: u64);
}

/// A [`Progress`] that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    #[inline]
    fn advance(&mut self, _delta: u64) {}
}
