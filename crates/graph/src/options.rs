//! Setters of [`AnalysisOptions`], so that it can be built outside this crate despite
//! `#[non_exhaustive]` (which forbids `AnalysisOptions { .., ..Default::default() }` there).
use crate::AnalysisOptions;

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
