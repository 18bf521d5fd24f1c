//! Setters of [`DiffOptions`], so that it can be built outside this crate despite
//! `#[non_exhaustive]` (which forbids `DiffOptions { .., ..Default::default() }` there).

use crate::DiffOptions;

/// Builder-style setters: start from `DiffOptions::default()` and chain them.
///
/// ```
/// use heapsnap_diff::DiffOptions;
/// use heapsnap_graph::PathMode;
/// let opts = DiffOptions::default().classes_with_holders(3).path_mode(PathMode::Shortest);
/// assert_eq!((opts.classes_with_holders, opts.path_mode), (3, PathMode::Shortest));
/// ```
impl DiffOptions {
    /// Sets [`classes_with_holders`](Self::classes_with_holders).
    pub fn classes_with_holders(mut self, classes_with_holders: usize) -> Self {
        self.classes_with_holders = classes_with_holders;
        self
    }

    /// Sets [`holder_groups`](Self::holder_groups).
    pub fn holder_groups(mut self, holder_groups: usize) -> Self {
        self.holder_groups = holder_groups;
        self
    }

    /// Sets [`max_path_samples`](Self::max_path_samples).
    pub fn max_path_samples(mut self, max_path_samples: usize) -> Self {
        self.max_path_samples = max_path_samples;
        self
    }

    /// Sets [`path_mode`](Self::path_mode).
    pub fn path_mode(mut self, path_mode: heapsnap_graph::PathMode) -> Self {
        self.path_mode = path_mode;
        self
    }
}
