//! Setters of [`AnalysisOptions`] and [`SiteOptions`], so that they can be built outside this
//! crate despite `#[non_exhaustive]` (which forbids `AnalysisOptions { .., ..Default::default() }`
//! there).

use crate::{AnalysisOptions, SiteOptions};

/// Builder-style setters: start from `AnalysisOptions::default()` and chain them.
///
/// ```
/// use heapsnap_graph::AnalysisOptions;
/// let opts = AnalysisOptions::default().shallow_transfer(false).interfaces(Vec::new());
/// assert!(!opts.shallow_transfer);
/// assert_eq!(opts.interfaces.map(|v| v.len()), Some(0));
/// ```
impl AnalysisOptions {
    /// Sets [`shallow_transfer`](Self::shallow_transfer).
    pub fn shallow_transfer(mut self, shallow_transfer: bool) -> Self {
        self.shallow_transfer = shallow_transfer;
        self
    }

    /// Names plain objects with these definitions (sets [`interfaces`](Self::interfaces)).
    pub fn interfaces(mut self, interfaces: Vec<crate::InterfaceDef>) -> Self {
        self.interfaces = Some(interfaces);
        self
    }
}

/// Builder-style setters: start from `SiteOptions::default()` and chain them.
///
/// ```
/// use heapsnap_graph::SiteOptions;
/// let opts = SiteOptions::default().max_frames(2).max_sites(10);
/// assert_eq!((opts.max_frames, opts.max_sites), (2, 10));
/// ```
impl SiteOptions {
    /// Sets [`max_frames`](Self::max_frames).
    pub fn max_frames(mut self, max_frames: usize) -> Self {
        self.max_frames = max_frames;
        self
    }

    /// Sets [`max_sites`](Self::max_sites).
    pub fn max_sites(mut self, max_sites: usize) -> Self {
        self.max_sites = max_sites;
        self
    }
}
