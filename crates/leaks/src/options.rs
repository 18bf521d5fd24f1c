//! Setters of [`LeakOptions`], so that it can be built outside this crate despite
//! `#[non_exhaustive]` (which forbids `LeakOptions { .., ..Default::default() }` there).

use crate::LeakOptions;

/// Builder-style setters: start from `LeakOptions::default()` and chain them.
///
/// ```
/// use heapsnap_graph::PathMode;
/// use heapsnap_leaks::{Category, LeakOptions};
/// let opts = LeakOptions::default()
///     .min_growth(5)
///     .categories([Category::Timers, Category::Listeners])
///     .path_mode(PathMode::Shortest);
/// assert_eq!(opts.min_growth, 5);
/// assert_eq!(opts.categories.as_deref(), Some(&[Category::Timers, Category::Listeners][..]));
/// assert_eq!(opts.min_count, LeakOptions::default().min_count);
/// ```
impl LeakOptions {
    /// Sets [`min_growth`](Self::min_growth).
    pub fn min_growth(mut self, min_growth: u64) -> Self {
        self.min_growth = min_growth;
        self
    }

    /// Sets [`min_count`](Self::min_count).
    pub fn min_count(mut self, min_count: u64) -> Self {
        self.min_count = min_count;
        self
    }

    /// Sets [`min_retained`](Self::min_retained).
    pub fn min_retained(mut self, min_retained: u64) -> Self {
        self.min_retained = min_retained;
        self
    }

    /// Sets [`max_holders`](Self::max_holders).
    pub fn max_holders(mut self, max_holders: usize) -> Self {
        self.max_holders = max_holders;
        self
    }

    /// Runs only these detectors (sets [`categories`](Self::categories)).
    pub fn categories(mut self, categories: impl IntoIterator<Item = crate::Category>) -> Self {
        self.categories = Some(categories.into_iter().collect());
        self
    }

    /// Sets [`listener_limit`](Self::listener_limit).
    pub fn listener_limit(mut self, listener_limit: u64) -> Self {
        self.listener_limit = listener_limit;
        self
    }

    /// Sets [`min_identical`](Self::min_identical).
    pub fn min_identical(mut self, min_identical: u64) -> Self {
        self.min_identical = min_identical;
        self
    }

    /// Sets [`min_open_resources`](Self::min_open_resources).
    pub fn min_open_resources(mut self, min_open_resources: u64) -> Self {
        self.min_open_resources = min_open_resources;
        self
    }

    /// Sets [`min_wasted`](Self::min_wasted).
    pub fn min_wasted(mut self, min_wasted: u64) -> Self {
        self.min_wasted = min_wasted;
        self
    }

    /// Sets [`min_entries`](Self::min_entries).
    pub fn min_entries(mut self, min_entries: u64) -> Self {
        self.min_entries = min_entries;
        self
    }

    /// Sets [`min_closure_retained`](Self::min_closure_retained).
    pub fn min_closure_retained(mut self, min_closure_retained: u64) -> Self {
        self.min_closure_retained = min_closure_retained;
        self
    }

    /// Sets [`min_cycle_retained`](Self::min_cycle_retained).
    pub fn min_cycle_retained(mut self, min_cycle_retained: u64) -> Self {
        self.min_cycle_retained = min_cycle_retained;
        self
    }

    /// Sets [`min_detached`](Self::min_detached).
    pub fn min_detached(mut self, min_detached: u64) -> Self {
        self.min_detached = min_detached;
        self
    }

    /// Sets [`path_mode`](Self::path_mode).
    pub fn path_mode(mut self, path_mode: heapsnap_graph::PathMode) -> Self {
        self.path_mode = path_mode;
        self
    }
}
