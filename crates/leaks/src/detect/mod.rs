//! The detectors. Each looks at the last snapshot (and, through [`Ctx::hist`], at the
//! censuses of the earlier ones) and proposes [`Candidate`]s; triage decides what is reported.

use heapsnap_format::NodeIdx;

use crate::ctx::Ctx;
use crate::finding::{Category, Fact};

pub(crate) mod closures;
pub(crate) mod collections;
pub(crate) mod cycles;
pub(crate) mod detached;
pub(crate) mod growth;
pub(crate) mod listeners;
pub(crate) mod resources;
pub(crate) mod strings;
pub(crate) mod timers;

/// A proposed finding, before growth, thresholds, deduplication and paths.
#[derive(Clone, Debug)]
pub(crate) struct Candidate {
    pub(crate) category: Category,
    /// Class shown for the finding.
    pub(crate) class: String,
    /// Analysis-free class name of the members, for class-count growth.
    pub(crate) class_key: String,
    pub(crate) title: String,
    /// The leaked objects.
    pub(crate) members: Vec<NodeIdx>,
    /// Passes the detector's single-snapshot threshold (reported even without growth).
    pub(crate) structural: bool,
    /// A size series the detector measured itself (collections: entries per snapshot; `None`
    /// where the collection did not exist). Otherwise growth is counted from the members' ids.
    pub(crate) series: Option<Vec<Option<u64>>>,
    /// Count shown for the finding, when it is not the number of members (collections: the
    /// entry count).
    pub(crate) count: Option<u64>,
    pub(crate) facts: Vec<Fact>,
    /// The node the representative path leads to, when it is not a member (collections:
    /// the collection object).
    pub(crate) anchor: Option<NodeIdx>,
    /// The member the representative path leads to, when the detector knows best (a cycle's
    /// entry, a detached tree's entry).
    pub(crate) representative: Option<NodeIdx>,
    /// Nodes whose retained sizes make up the finding's, when not the members.
    pub(crate) retained_roots: Option<Vec<NodeIdx>>,
    /// Whether the finding says what *holds* its objects (listeners, timers, handles, detached
    /// trees, cycles off a registry, closure chains) rather than what they are part of
    /// (collections, closures in numbers, growth): such findings are triaged first, in
    /// category order; the others by retained size, outermost first.
    pub(crate) primary: bool,
    /// Nodes the finding explains besides its members (a socket's handle wrapper and native
    /// node): marked as explained, so that no other finding reports them again.
    pub(crate) explains: Vec<NodeIdx>,
}

impl Candidate {
    pub(crate) fn new(
        category: Category,
        class: impl Into<String>,
        class_key: impl Into<String>,
        title: impl Into<String>,
        members: Vec<NodeIdx>,
    ) -> Candidate {
        Candidate {
            category,
            class: class.into(),
            class_key: class_key.into(),
            title: title.into(),
            members,
            structural: false,
            series: None,
            count: None,
            facts: Vec::new(),
            anchor: None,
            representative: None,
            retained_roots: None,
            explains: Vec::new(),
            primary: matches!(
                category,
                Category::DetachedDom
                    | Category::Listeners
                    | Category::Timers
                    | Category::Resources
                    | Category::Closures
                    | Category::Cycles
            ),
        }
    }
}

/// Runs every structural detector the options enable, in parallel (the growth detector runs
/// later, on what these leave unexplained). The result is in a fixed order.
pub(crate) fn structural(ctx: &Ctx<'_, '_>) -> Vec<Candidate> {
    use rayon::prelude::*;
    type Detector = fn(&Ctx<'_, '_>) -> Vec<Candidate>;
    let all: [(Category, Detector); 8] = [
        (Category::DetachedDom, detached::detect),
        (Category::Listeners, listeners::detect),
        (Category::Timers, timers::detect),
        (Category::Resources, resources::detect),
        (Category::Closures, closures::detect),
        (Category::Cycles, cycles::detect),
        (Category::Collections, collections::detect),
        (Category::DuplicateStrings, strings::detect),
    ];
    let on = |c: Category| ctx.opts.categories.as_ref().is_none_or(|cs| cs.contains(&c));
    let found: Vec<Vec<Candidate>> = all
        .par_iter()
        .map(|&(c, f)| {
            if !on(c) {
                return Vec::new();
            }
            let t = std::time::Instant::now();
            let found = f(ctx);
            log::debug!("leaks: {c} detector: {} candidates in {:.2?}", found.len(), t.elapsed());
            found
        })
        .collect();
    found.into_iter().flatten().collect()
}
