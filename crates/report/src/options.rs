//! Setters of [`TreemapOptions`], so that it can be built outside this crate despite
//! `#[non_exhaustive]` (which forbids `TreemapOptions { .., ..Default::default() }` there).

use crate::TreemapOptions;

/// Builder-style setters: start from `TreemapOptions::default()` and chain them.
///
/// ```
/// use heapsnap_report::TreemapOptions;
/// let opts = TreemapOptions::default().with_max_cells(500).max_children(20);
/// assert_eq!((opts.max_cells, opts.max_children), (500, 20));
/// ```
impl TreemapOptions {
    /// Sets [`min_fraction`](Self::min_fraction).
    pub fn min_fraction(mut self, min_fraction: f64) -> Self {
        self.min_fraction = min_fraction;
        self
    }

    /// Sets [`max_children`](Self::max_children).
    pub fn max_children(mut self, max_children: usize) -> Self {
        self.max_children = max_children;
        self
    }

    /// Sets [`max_class_members`](Self::max_class_members).
    pub fn max_class_members(mut self, max_class_members: usize) -> Self {
        self.max_class_members = max_class_members;
        self
    }
}
