//! Setters of [`AttachOptions`], so that it can be built outside this crate despite
//! `#[non_exhaustive]` (which forbids `AttachOptions { .., ..Default::default() }` there).

use crate::AttachOptions;

/// Builder-style setters: start from `AttachOptions::default()` and chain them.
///
/// ```
/// use std::time::Duration;
/// use heapsnap_capture::AttachOptions;
/// let opts = AttachOptions::default().wait(Duration::from_secs(30));
/// assert_eq!((opts.wait, opts.close_wait), (Duration::from_secs(30), Duration::from_secs(5)));
/// ```
impl AttachOptions {
    /// Sets [`wait`](Self::wait).
    pub fn wait(mut self, wait: std::time::Duration) -> Self {
        self.wait = wait;
        self
    }

    /// Sets [`close_wait`](Self::close_wait).
    pub fn close_wait(mut self, close_wait: std::time::Duration) -> Self {
        self.close_wait = close_wait;
        self
    }
}
