//! Find the memory leaks people actually have in V8 heap snapshots, and what holds them.
//!
//! Give [`LeakReport::new`] the last snapshot (its [`HeapGraph`] and DevTools' [`Analysis`])
//! and a [`Census`] of each earlier snapshot of the same process:
//!
//! - **one snapshot**: the structural detectors, with thresholds meant to stay silent on a
//!   healthy heap (listener arrays over `maxListeners`, many identical intervals, open
//!   handles in numbers, self-nesting closure chains, detached DOM trees...);
//! - **two**: plus growth: clusters whose objects are new since the first snapshot and whose
//!   class grew;
//! - **three** (baseline, target, final): the three-snapshot method: objects allocated between
//!   baseline and target that are still alive in final, and clusters that grew at every step.
//!
//! Growth follows V8 object ids, which only mean the same objects within one isolate. When
//! the ids of two snapshots are not comparable (different processes, or a reset id map), the
//! report falls back to class counts and says so ([`LeakReport::growth_basis`]).
//!
//! Detectors, one module each: event listeners (EventEmitter `_events` and EventTarget
//! `kEvents` lists), timers (`setInterval`, pending and fired
//! `setTimeout`, `setImmediate`), reference cycles (strongly connected components of user
//! objects, reachable ones only), detached DOM trees (never Node's weak native objects),
//! unclosed resources (sockets, servers, pipes, file handles, workers, message ports,
//! streams), growing collections (Map, Set, Array, dictionaries), closures retaining large
//! contexts, duplicated strings, and unexplained growth. Findings are clusters: objects of
//! one kind held the same way are one [`Finding`] with a count, ranked by retained size
//! (growing ones first), each with its retaining paths ([`Holder`]s): several when an object
//! has independent holders (shared ownership). Each object is explained once: findings that
//! say what *holds* their objects (listeners, timers, open handles, detached trees, cycles off
//! a registry, closure chains) come first, in [`Category`] order; then collections, closures
//! in numbers and unexplained growth, outermost first. A candidate whose objects, or most of
//! what they keep alive, an earlier finding already explains is merged away (the `Set` of open
//! sockets is part of the sockets finding, the array of records holding detached DOM trees
//! part of the detached DOM finding).
//!
//! ```
//! use heapsnap_format::{HeapSnapshot, NoProgress};
//! use heapsnap_graph::{Analysis, AnalysisOptions, HeapGraph};
//! use heapsnap_leaks::{Category, Census, LeakOptions, LeakReport};
//!
//! let dir = "../../snapshots/leaks";
//! // Earlier snapshots are reduced to a census before the next one is read.
//! let baseline = Census::new(&HeapSnapshot::from_path(format!("{dir}/intervals-baseline.heapsnapshot.gz"))?);
//! let target = Census::new(&HeapSnapshot::from_path(format!("{dir}/intervals-target.heapsnapshot.gz"))?);
//! let last = HeapSnapshot::from_path(format!("{dir}/intervals-final.heapsnapshot.gz"))?;
//! let g = HeapGraph::new(&last);
//! let a = Analysis::new(&g, &AnalysisOptions::default(), &mut NoProgress);
//!
//! let report = LeakReport::new(&[baseline, target], &g, &a, &LeakOptions::default());
//! let top = &report.findings[0];
//! assert_eq!((top.category, top.class.as_str(), top.count), (Category::Timers, "Timeout", 400));
//! assert_eq!(top.growth.as_deref(), Some(&[0, 200, 400][..]));
//! assert_eq!(top.survivors, Some(200)); // allocated before target, still alive in final
//! assert!(top.path().unwrap().text.contains("timerListMap[60000]"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Threads and panics
//!
//! [`LeakReport::new`] runs its independent parts (paths, locations, the detectors) with
//! `rayon::join` and parallel iterators on rayon's global thread pool: as many threads as
//! `RAYON_NUM_THREADS` or the cores, unless the program configured the global pool
//! (`rayon::ThreadPoolBuilder::build_global`) or calls it inside its own `pool.install`.
//! Nothing here prints or keeps global state. The graph and the analysis must be of the same
//! snapshot (see `heapsnap_graph::Analysis::check`; a [`heapsnap_graph::Heap`] keeps them
//! together): otherwise building the report panics.

#![deny(missing_docs)]

mod census;
mod ctx;
mod detect;
mod finding;
mod matching;
mod options;
mod series;
mod shapes;
mod triage;

#[cfg(test)]
mod testutil;

#[cfg(test)]
mod tests;

use heapsnap_format::{HeapSnapshot, NoProgress};
use heapsnap_graph::{
    AllocationTraces, Analysis, AnalysisOptions, HeapGraph, IdCheck, IdVerdict, PathFinder,
    PathMode, SiteOptions,
};

pub use census::Census;
pub use finding::{Category, Fact, FactValue, Finding, RetainedClass};
pub use heapsnap_graph::{AllocationSite, Allocations, Frame, Holder};
pub use series::{read_series, read_structures};

/// Thresholds and limits. `Default` is tuned so that healthy heaps (and the control
/// scenarios in `snapshots/leaks/`) report nothing.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct LeakOptions {
    /// A cluster counts as growing when it gains at least this many objects (collections:
    /// entries) at every step between snapshots.
    pub min_growth: u64,
    /// Report only findings with at least this many objects.
    pub min_count: u64,
    /// Report only findings that retain at least this many bytes.
    pub min_retained: u64,
    /// Retaining paths shown per finding when its objects have several independent holders.
    pub max_holders: usize,
    /// Run only these detectors (`None`: all).
    pub categories: Option<Vec<Category>>,
    /// Listeners on one event that count as too many when the emitter's `maxListeners` was
    /// set to a number the snapshot does not record (small integers are not written without
    /// numeric values). Otherwise the emitter's own limit applies (Node's default is 10).
    pub listener_limit: u64,
    /// Identical objects in one snapshot that are suspicious by themselves: intervals with
    /// the same callback, reference cycles of the same shape, closures of one function in a
    /// chain.
    pub min_identical: u64,
    /// Open resources of one kind (sockets, file handles...) reported from one snapshot.
    pub min_open_resources: u64,
    /// Bytes wasted by copies of one string before it is reported.
    pub min_wasted: u64,
    /// Entries of one collection reported from one snapshot (without growth).
    pub min_entries: u64,
    /// Bytes that closures of one function must keep alive through their contexts.
    pub min_closure_retained: u64,
    /// Bytes that reference cycles of one shape must keep alive to be reported from one
    /// snapshot (with several, growth decides).
    pub min_cycle_retained: u64,
    /// Detached DOM nodes (over all trees of a cluster) reported.
    pub min_detached: u64,
    /// Which retaining paths findings are shown and grouped with.
    pub path_mode: PathMode,
}

impl Default for LeakOptions {
    fn default() -> Self {
        LeakOptions {
            min_growth: 10,
            min_count: 1,
            min_retained: 0,
            max_holders: 4,
            categories: None,
            listener_limit: 100,
            min_identical: 50,
            min_open_resources: 20,
            min_wasted: 1 << 20,
            min_entries: 1_000_000,
            min_closure_retained: 1 << 20,
            min_cycle_retained: 1 << 20,
            min_detached: 10,
            path_mode: PathMode::default(),
        }
    }
}

/// What growth is measured by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum GrowthBasis {
    /// One snapshot: no growth.
    None,
    /// Object ids: members followed across snapshots (collections: entries by collection id).
    Ids,
    /// Class counts, because the snapshots' ids are not comparable (and the earlier censuses
    /// have no structural keys).
    ClassCounts,
    /// Objects matched by structure (retaining path, class, own properties), because the
    /// snapshots' ids are not comparable: see [`Census::with_structure`].
    Structure,
}

/// The leaks found in a set of snapshots.
#[derive(Debug)]
pub struct LeakReport {
    /// Findings, most important first.
    pub findings: Vec<Finding>,
    /// Number of snapshots looked at.
    pub snapshots: usize,
    /// The id comparability check of each consecutive pair of snapshots.
    pub ids: Vec<IdCheck>,
    /// What growth is measured by.
    pub growth_basis: GrowthBasis,
    /// Candidates below every threshold (not reported).
    pub below_threshold: usize,
    /// Candidates whose objects a more specific finding already explains (not reported).
    pub merged: usize,
    /// What looks wrong with the inputs (the same snapshot twice, snapshots out of order).
    pub warnings: Vec<InputWarning>,
}

/// Something that looks wrong with the snapshots given.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct InputWarning {
    /// What: `same-content` or `out-of-order`.
    pub kind: &'static str,
    /// The two snapshots concerned, 1-based, in the order given.
    pub snapshots: [usize; 2],
    /// In words, with the evidence.
    pub message: String,
}

/// What leak detection needs of the last snapshot besides its retaining paths: its census
/// with collection sizes, the retainer index, names, locations. Built ahead (while the paths
/// are chosen, say) and handed to [`LeakReport::with_prepared`].
pub struct Prepared<'a, 's> {
    last: (Census, Vec<(u32, u32)>),
    parts: ctx::CtxParts<'a, 's>,
    nodes: usize,
}

impl std::fmt::Debug for Prepared<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared").field("nodes", &self.nodes).finish_non_exhaustive()
    }
}

impl<'a, 's> Prepared<'a, 's> {
    /// Builds it for the snapshot of `g`, whose analysis is `a` (on two threads).
    pub fn new(g: &'a HeapGraph<'s>, a: &'a Analysis) -> Prepared<'a, 's> {
        let (last, parts) =
            rayon::join(|| Census::with_collections(g), || ctx::CtxParts::new(g, a, None));
        Prepared { last, parts, nodes: g.node_count() }
    }
}

impl LeakReport {
    /// Runs every detector on the last snapshot (`g`, `a`), with `priors` the censuses of the
    /// earlier snapshots of the same process, oldest first.
    ///
    /// # Panics
    /// If `a` is not the analysis of `g`'s snapshot (`Analysis::check`).
    pub fn new(
        priors: &[Census],
        g: &HeapGraph<'_>,
        a: &Analysis,
        opts: &LeakOptions,
    ) -> LeakReport {
        if let Err(e) = a.check(g) {
            panic!("LeakReport::new: {e}");
        }
        LeakReport::build(priors, g, a, None, None, opts)
    }

    /// [`LeakReport::new`] with the last snapshot's retaining paths already chosen (its graph
    /// and analysis are the finder's; the paths' own mode is used, not
    /// [`LeakOptions::path_mode`]): for a caller that also needs them, such as a comparison of
    /// the same snapshot, so the path search runs once.
    ///
    /// ```
    /// # let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
    /// #   "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],
    /// #   "edge_types":[["element","property","shortcut"]]},"node_count":2,"edge_count":1},
    /// #   "nodes":[0,0,1,0,1, 1,1,3,8,0],"edges":[2,0,5],"strings":["","global"]}"#;
    /// use heapsnap_format::{HeapSnapshot, NoProgress};
    /// use heapsnap_graph::{Analysis, AnalysisOptions, HeapGraph, PathFinder, PathMode};
    /// use heapsnap_leaks::{LeakOptions, LeakReport};
    /// let snap = HeapSnapshot::from_slice(json)?;
    /// let g = HeapGraph::new(&snap);
    /// let a = Analysis::new(&g, &AnalysisOptions::default(), &mut NoProgress);
    /// let paths = PathFinder::new(&g, &a, PathMode::User);
    /// let report = LeakReport::with_paths(&[], &paths, &LeakOptions::default());
    /// assert!(report.findings.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_paths(
        priors: &[Census],
        paths: &PathFinder<'_, '_>,
        opts: &LeakOptions,
    ) -> LeakReport {
        LeakReport::build(priors, paths.graph(), paths.analysis(), Some(paths), None, opts)
    }

    /// [`LeakReport::with_paths`] with the rest of what detection needs of the last snapshot
    /// computed ahead ([`Prepared::new`], e.g. while the paths are chosen).
    ///
    /// # Panics
    /// If `prepared` is not of the paths' snapshot (its node count differs).
    ///
    /// ```
    /// # let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
    /// #   "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],
    /// #   "edge_types":[["element","property","shortcut"]]},"node_count":2,"edge_count":1},
    /// #   "nodes":[0,0,1,0,1, 1,1,3,8,0],"edges":[2,0,5],"strings":["","global"]}"#;
    /// use heapsnap_format::{HeapSnapshot, NoProgress};
    /// use heapsnap_graph::{Analysis, AnalysisOptions, HeapGraph, PathFinder, PathMode};
    /// use heapsnap_leaks::{LeakOptions, LeakReport, Prepared};
    /// let snap = HeapSnapshot::from_slice(json)?;
    /// let g = HeapGraph::new(&snap);
    /// let a = Analysis::new(&g, &AnalysisOptions::default(), &mut NoProgress);
    /// let (paths, prepared) =
    ///     rayon::join(|| PathFinder::new(&g, &a, PathMode::User), || Prepared::new(&g, &a));
    /// let report = LeakReport::with_prepared(&[], &paths, prepared, &LeakOptions::default());
    /// assert!(report.findings.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_prepared(
        priors: &[Census],
        paths: &PathFinder<'_, '_>,
        prepared: Prepared<'_, '_>,
        opts: &LeakOptions,
    ) -> LeakReport {
        assert_eq!(
            prepared.nodes,
            paths.graph().node_count(),
            "LeakReport::with_prepared: prepared for another snapshot"
        );
        LeakReport::build(
            priors,
            paths.graph(),
            paths.analysis(),
            Some(paths),
            Some(prepared),
            opts,
        )
    }

    fn build(
        priors: &[Census],
        g: &HeapGraph<'_>,
        a: &Analysis,
        given: Option<&PathFinder<'_, '_>>,
        prepared: Option<Prepared<'_, '_>>,
        opts: &LeakOptions,
    ) -> LeakReport {
        // The last snapshot's census and the detectors' shared structures, on two threads.
        // (Building them while DevTools' analysis runs was measured slower on two cores, and
        // raised the peak memory.)
        let t = std::time::Instant::now();
        let ((last, last_collections), parts) = match prepared {
            Some(p) => (p.last, p.parts),
            None => rayon::join(
                || Census::with_collections(g),
                || ctx::CtxParts::new(g, a, given.is_none().then_some(opts.path_mode)),
            ),
        };
        let mut parts = parts;
        let owned = parts.take_paths();
        let Some(paths) = given.or(owned.as_ref()) else {
            unreachable!("a path finder is built when none is given")
        };
        log::debug!(
            "leaks: census of the last snapshot, shortest paths, retainers and names took {:.2?}",
            t.elapsed()
        );
        let mut ids = Vec::new();
        let mut prev = priors.first();
        for c in priors.iter().skip(1).chain(std::iter::once(&last)) {
            if let Some(p) = prev {
                ids.push(census::id_check(p, c));
            }
            prev = Some(c);
        }
        let comparable = ids.iter().all(|c| c.verdict == IdVerdict::Comparable);
        let structures: Option<Vec<&matching::Structure>> =
            priors.iter().map(Census::structure).collect();
        let matching = match structures {
            Some(s) if !comparable && !priors.is_empty() => {
                Some(matching::Matching::new(&s, g, &last_collections))
            }
            _ => None,
        };
        let growth_basis = match (priors.is_empty(), comparable, matching.is_some()) {
            (true, _, _) => GrowthBasis::None,
            (false, true, _) => GrowthBasis::Ids,
            (false, false, true) => GrowthBasis::Structure,
            (false, false, false) => GrowthBasis::ClassCounts,
        };
        let warnings = census::input_warnings(priors, &last, &ids);
        let hist = ctx::History { priors, last, comparable, last_collections, matching };
        let c = ctx::Ctx::assemble(g, a, opts, hist, paths, parts);

        let mut out = triage::Triaged::default();
        let mut cov = triage::Coverage::default();
        let t = std::time::Instant::now();
        let found = detect::structural(&c);
        log::debug!("leaks: detectors took {:.2?}", t.elapsed());
        let t = std::time::Instant::now();
        let cands: Vec<triage::Evaluated> = {
            use rayon::prelude::*;
            found.into_par_iter().map(|x| triage::evaluate(&c, x)).collect()
        };
        log::debug!("leaks: growth of {} candidates took {:.2?}", cands.len(), t.elapsed());
        let t = std::time::Instant::now();
        triage::triage(&c, cands, &mut cov, &mut out);
        log::debug!("leaks: triage took {:.2?}", t.elapsed());
        if opts.categories.as_ref().is_none_or(|cs| cs.contains(&Category::Growth)) {
            let t = std::time::Instant::now();
            let cands: Vec<triage::Evaluated> = detect::growth::detect(&c, &cov)
                .into_iter()
                .map(|x| triage::evaluate(&c, x))
                .collect();
            triage::triage(&c, cands, &mut cov, &mut out);
            log::debug!("leaks: growth detector took {:.2?}", t.elapsed());
        }
        let t = std::time::Instant::now();
        let retains = triage::retains(&c, &cov, out.findings.len());
        for (f, r) in out.findings.iter_mut().zip(retains) {
            f.retains = r;
        }
        log::debug!("leaks: what the findings keep alive took {:.2?}", t.elapsed());
        let mut findings: Vec<Finding> = out
            .findings
            .into_iter()
            .filter(|f| f.count >= opts.min_count && f.retained_size >= opts.min_retained)
            .collect();
        triage::rank(&mut findings);
        if let Some(traces) = AllocationTraces::new(g.snapshot()) {
            let t = std::time::Instant::now();
            let site_opts = SiteOptions::default();
            let snap = g.snapshot();
            for f in &mut findings {
                // The finding's own objects: a collection's entries of its class, not their
                // keys.
                let of_class: Vec<heapsnap_format::NodeIdx> = f
                    .members
                    .iter()
                    .copied()
                    .filter(|&v| {
                        let n = snap.node(v);
                        shapes::simple_class(n.kind(), n.kind_name(), n.name()) == f.class
                    })
                    .collect();
                let objects = if of_class.is_empty() { &f.members } else { &of_class };
                f.allocations = Some(traces.sites(objects, &site_opts));
            }
            log::debug!("leaks: allocation sites took {:.2?}", t.elapsed());
        }
        LeakReport {
            findings,
            snapshots: priors.len() + 1,
            ids,
            growth_basis,
            below_threshold: out.below,
            merged: out.merged,
            warnings,
        }
    }

    /// Convenience for small inputs: analyzes `snapshots` (oldest first; all held in memory at
    /// once) and reports (matching objects by structure when their ids are not comparable). Large inputs should go through [`Census::new`] and
    /// [`LeakReport::new`], which hold one full snapshot at a time.
    pub fn from_snapshots(snapshots: &[HeapSnapshot], opts: &LeakOptions) -> Option<LeakReport> {
        let (last, earlier) = snapshots.split_last()?;
        let mut priors: Vec<Census> = earlier.iter().map(Census::new).collect();
        if !Census::ids_comparable(&priors, last) {
            priors = earlier.iter().map(Census::with_structure).collect();
        }
        let g = HeapGraph::new(last);
        let a = Analysis::new(&g, &AnalysisOptions::default(), &mut NoProgress);
        Some(LeakReport::new(&priors, &g, &a, opts))
    }
}
