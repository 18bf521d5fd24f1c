//! What `heapsnap diff` reports beyond DevTools' rows: noise classes set apart, what the new
//! objects retain, who holds them (retainer paths grouped by signature), closures and contexts
//! broken down by function, where the new objects were allocated (snapshots with allocation
//! traces), whether the two snapshots' ids are comparable at all, and a class-name comparison
//! when they are not.

use std::collections::{BTreeMap, HashMap};

use heapsnap_format::{NodeIdx, NodeKind};
use heapsnap_graph::{
    AllocationTraces, Allocations, Analysis, DominatorTree, HeapGraph, IdCheck, Origin, PathFinder,
    PathMode, RetainerPath, Signatures, SiteOptions, Step, class_retained, closure_label,
};
use serde::Serialize;

use crate::base::BaseIndex;
use crate::compare::{ClassDiff, compare_with_tree};

/// Options for [`DiffReport::new`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct DiffOptions {
    /// Growing classes (by size delta) for which holders are computed.
    pub classes_with_holders: usize,
    /// Holder groups kept per class.
    pub holder_groups: usize,
    /// Path prefixes per class whose signature is computed. New (and deleted) objects are
    /// first grouped by their path prefix ([`Signatures::prefix`]), which costs nothing; the
    /// largest groups get their signature, and beyond this many, an even sample of the rest
    /// does, its counts scaled up ([`HolderGroup::estimated`]).
    pub max_path_samples: usize,
    /// Which retaining paths holders are grouped by.
    pub path_mode: PathMode,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            classes_with_holders: 10,
            holder_groups: 3,
            max_path_samples: 20_000,
            path_mode: PathMode::default(),
        }
    }
}

/// Why a row is set apart from the main table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Noise {
    /// A regular row.
    None,
    /// Native (embedder) objects whose ids are derived from pointers and change every snapshot
    /// (Node's `Node / …`): they show up as all new and all deleted each time.
    UnstableIds,
    /// V8 internals: `(system)`, `(compiled code)`, `(object shape)`.
    V8Internal,
    /// Every new object is unreachable or held only by weak references: garbage that the
    /// next GC can take.
    WeaklyHeld,
}

impl Noise {
    /// A short label.
    pub fn label(self) -> &'static str {
        match self {
            Noise::None => "",
            Noise::UnstableIds => "native objects with unstable ids",
            Noise::V8Internal => "V8 internals",
            Noise::WeaklyHeld => "unreachable or weakly held",
        }
    }
}

/// New objects of a class that share one retaining-path signature, against the deleted ones
/// that were held the same way in the base.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HolderGroup {
    /// The path as a signature, from where it starts: `bus.js: configBus._events.config[*]`.
    pub signature: String,
    /// New objects held this way.
    pub count: u64,
    /// Objects of the class that the base held this way and the newer snapshot no longer has.
    pub deleted: u64,
    /// `count - deleted`: what this holder added. Groups come sorted by it.
    pub net: i64,
    /// Pure churn: the holder lost at least as many objects as it gained (a bounded cache
    /// replacing its entries), so it holds none of the growth.
    pub churn: bool,
    /// Whether `count` or `deleted` is an estimate, scaled up from a sample of holders (see
    /// [`DiffOptions::max_path_samples`]).
    pub estimated: bool,
    /// One concrete path of the group, as text.
    pub text: String,
    /// Where the paths start (`None` for objects nothing retains).
    pub origin: Option<Origin>,
    /// What holds the objects when only runtime internals do (see
    /// [`Holder::note`](heapsnap_graph::Holder::note)).
    pub note: Option<String>,
    /// The concrete path, node by node.
    #[serde(rename = "path")]
    pub steps: Vec<Step>,
    /// The concrete path (positions in the newer snapshot).
    #[serde(skip)]
    pub example: RetainerPath,
}

/// New objects of a class grouped by what they are (closures by function and location,
/// contexts by the function that owns them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Breakdown {
    /// For example `onConfigChanged (app.js:42:18)`.
    pub label: String,
    /// New objects in the group.
    pub new_count: u64,
    /// Their shallow size.
    pub alloc_size: u64,
}

/// One class of the report.
#[derive(Clone, Debug)]
pub struct ClassReport {
    /// DevTools' Comparison row.
    pub row: ClassDiff,
    /// Whether (and why) the row is noise.
    pub noise: Noise,
    /// Retained size of the new objects, without double counting (new objects dominated by
    /// another new object of the class are not added again). `None` when the base was indexed
    /// without retained sizes ([`BaseOptions::retained`](crate::BaseOptions::retained)): the
    /// report is then DevTools' Comparison, which has no retained sizes of the growth.
    pub new_retained: Option<u64>,
    /// Who holds the new objects, largest group first.
    pub holders: Vec<HolderGroup>,
    /// How many new objects the holder groups were counted from (all of them: see
    /// [`HolderGroup::estimated`]).
    pub holders_sampled: u64,
    /// Closures (`Function`) by function, contexts (`system / Context`) by owning function.
    pub breakdown: Vec<Breakdown>,
    /// Where the new objects were allocated, when the newer snapshot carries allocation traces
    /// (rows with new objects only).
    pub allocations: Option<Allocations>,
}

/// A class compared by name only (used when ids are not comparable).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameDiff {
    /// Class name.
    pub name: String,
    /// Objects before and after.
    pub count_before: u64,
    /// Objects after.
    pub count_after: u64,
    /// Shallow size before.
    pub size_before: u64,
    /// Shallow size after.
    pub size_after: u64,
    /// Who holds the objects of the class in the newer snapshot (all objects, sampled).
    pub holders: Vec<HolderGroup>,
}

/// The full comparison.
#[derive(Debug)]
pub struct DiffReport {
    /// All rows, sorted by size delta (largest growth first), then key.
    pub classes: Vec<ClassReport>,
    /// DevTools' total size of the base and of the newer snapshot.
    pub total_before: u64,
    /// See `total_before`.
    pub total_after: u64,
    /// Whether ids are comparable.
    pub ids: IdCheck,
    /// When ids are not comparable: classes compared by name, sorted by size delta.
    pub by_name: Option<Vec<NameDiff>>,
}

impl DiffReport {
    /// Builds the report; `g`/`after` are the newer snapshot's graph and analysis.
    ///
    /// # Panics
    /// If `after` is not the analysis of `g`'s snapshot ([`Analysis::check`]).
    pub fn new(
        base: &BaseIndex,
        g: &HeapGraph<'_>,
        after: &Analysis,
        opts: &DiffOptions,
    ) -> DiffReport {
        if let Err(e) = after.check(g) {
            panic!("DiffReport::new: {e}");
        }
        DiffReport::build(base, g, after, None, opts)
    }

    /// [`DiffReport::new`] with the newer snapshot's retaining paths already chosen (its
    /// graph and analysis are the finder's; the paths' own mode is used, not
    /// [`DiffOptions::path_mode`]): for a caller that also needs them, such as a leak report
    /// of the same snapshot, so the path search runs once.
    ///
    /// ```
    /// # let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
    /// #   "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],
    /// #   "edge_types":[["element","property","shortcut"]]},"node_count":3,"edge_count":2},
    /// #   "nodes":[0,0,1,0,1, 1,1,3,8,1, 1,2,5,32,0],"edges":[2,0,5, 1,3,10],"strings":["","global","Leak","x"]}"#;
    /// use heapsnap_diff::{BaseIndex, DiffOptions, DiffReport};
    /// use heapsnap_format::{HeapSnapshot, NoProgress};
    /// use heapsnap_graph::{Analysis, AnalysisOptions, HeapGraph, PathFinder, PathMode};
    /// let snap = HeapSnapshot::from_slice(json)?;
    /// let g = HeapGraph::new(&snap);
    /// let a = Analysis::new(&g, &AnalysisOptions::default(), &mut NoProgress);
    /// let paths = PathFinder::new(&g, &a, PathMode::User);
    /// let same = DiffReport::with_paths(&BaseIndex::new(&snap), &paths, &DiffOptions::default());
    /// assert!(same.classes.iter().all(|c| c.row.new_count == 0 && c.row.deleted_count == 0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_paths(
        base: &BaseIndex,
        paths: &PathFinder<'_, '_>,
        opts: &DiffOptions,
    ) -> DiffReport {
        DiffReport::build(base, paths.graph(), paths.analysis(), Some(paths), opts)
    }

    /// [`DiffReport::with_paths`] from the Comparison's rows already computed
    /// ([`compare_with_tree`](crate::compare_with_tree) of `base` and the paths' snapshot,
    /// with `tree`, that snapshot's dominator tree): for a caller that computes them while
    /// the paths are chosen, the two being independent.
    ///
    /// ```
    /// # let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
    /// #   "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],
    /// #   "edge_types":[["element","property","shortcut"]]},"node_count":3,"edge_count":2},
    /// #   "nodes":[0,0,1,0,1, 1,1,3,8,1, 1,2,5,32,0],"edges":[2,0,5, 1,3,10],"strings":["","global","Leak","x"]}"#;
    /// use heapsnap_diff::{BaseIndex, DiffOptions, DiffReport, compare_with_tree};
    /// use heapsnap_format::{HeapSnapshot, NoProgress};
    /// use heapsnap_graph::{Analysis, AnalysisOptions, DominatorTree, HeapGraph, PathFinder, PathMode};
    /// let snap = HeapSnapshot::from_slice(json)?;
    /// let base = BaseIndex::new(&snap);
    /// let g = HeapGraph::new(&snap);
    /// let a = Analysis::new(&g, &AnalysisOptions::default(), &mut NoProgress);
    /// let tree = DominatorTree::new(&a);
    /// let (rows, paths) = rayon::join(
    ///     || compare_with_tree(&base, &g, &a, &tree),
    ///     || PathFinder::new(&g, &a, PathMode::User),
    /// );
    /// let report = DiffReport::from_rows(&base, rows, &tree, &paths, &DiffOptions::default());
    /// assert!(report.classes.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_rows(
        base: &BaseIndex,
        rows: Vec<ClassDiff>,
        tree: &DominatorTree,
        paths: &PathFinder<'_, '_>,
        opts: &DiffOptions,
    ) -> DiffReport {
        let (g, after) = (paths.graph(), paths.analysis());
        let done = Done { rows, ids: None, tree: Tree::Borrowed(tree) };
        DiffReport::finish(base, g, after, done, Some(paths), opts)
    }

    /// [`DiffReport::from_rows`] with the id check done already: `ids` is [`check_ids`] of
    /// `base` and the paths' graph (not checked), which a caller can run before the analysis
    /// is done (it needs none).
    pub fn from_rows_and_ids(
        base: &BaseIndex,
        rows: Vec<ClassDiff>,
        ids: IdCheck,
        tree: &DominatorTree,
        paths: &PathFinder<'_, '_>,
        opts: &DiffOptions,
    ) -> DiffReport {
        let (g, after) = (paths.graph(), paths.analysis());
        let done = Done { rows, ids: Some(ids), tree: Tree::Borrowed(tree) };
        DiffReport::finish(base, g, after, done, Some(paths), opts)
    }

    fn build(
        base: &BaseIndex,
        g: &HeapGraph<'_>,
        after: &Analysis,
        given: Option<&PathFinder<'_, '_>>,
        opts: &DiffOptions,
    ) -> DiffReport {
        // The Comparison first (its two halves, one per snapshot, on two threads); then, on two
        // threads again, what the new objects retain, the shortest-path tree and function
        // locations, and the id check. (Running these next to the Comparison was faster but
        // stacked their arrays on its per-class member lists: 250 MB more at the peak.)
        let t = std::time::Instant::now();
        let tree = DominatorTree::new(after);
        let rows = compare_with_tree(base, g, after, &tree);
        log::debug!("diff: compare took {:.2?}", t.elapsed());
        let done = Done { rows, ids: None, tree: Tree::Owned(tree) };
        DiffReport::finish(base, g, after, done, given, opts)
    }

    fn finish(
        base: &BaseIndex,
        g: &HeapGraph<'_>,
        after: &Analysis,
        done: Done<'_>,
        given: Option<&PathFinder<'_, '_>>,
        opts: &DiffOptions,
    ) -> DiffReport {
        let Done { rows, ids, tree } = done;
        let mut clock = std::time::Instant::now();
        let mut lap = |what: &str| {
            log::debug!("diff: {what} took {:.2?}", clock.elapsed());
            clock = std::time::Instant::now();
        };
        let rows_ref = &rows;
        let (new_retained, ((owned, locations), ids)) = rayon::join(
            move || {
                let t = std::time::Instant::now();
                let r = base.has_retained().then(|| new_retained(g, after, rows_ref, tree.get()));
                log::debug!("diff: what the new objects retain took {:.2?}", t.elapsed());
                // An owned tree is dropped as soon as it has served.
                drop(tree);
                r
            },
            || {
                rayon::join(
                    || {
                        let owned =
                            given.is_none().then(|| PathFinder::new(g, after, opts.path_mode));
                        let t = std::time::Instant::now();
                        let locations = g.locations();
                        log::debug!("diff: locations took {:.2?}", t.elapsed());
                        (owned, locations)
                    },
                    || {
                        ids.unwrap_or_else(|| {
                            let t = std::time::Instant::now();
                            let ids = check_ids(base, g);
                            log::debug!("diff: id check took {:.2?}", t.elapsed());
                            ids
                        })
                    },
                )
            },
        );
        lap("new retained, retaining paths, locations, id check");
        let Some(paths) = given.or(owned.as_ref()) else {
            unreachable!("a path finder is built when none is given")
        };
        let mut classes: Vec<ClassReport> = rows
            .into_iter()
            .enumerate()
            .map(|(k, row)| {
                let new_retained = new_retained.as_ref().map(|r| r[k]);
                let noise = noise(g, paths, &row);
                let breakdown = breakdown(g, locations, &row);
                ClassReport {
                    row,
                    noise,
                    new_retained,
                    holders: Vec::new(),
                    holders_sampled: 0,
                    breakdown,
                    allocations: None,
                }
            })
            .collect();
        classes.sort_by(|a, b| {
            b.row.size_delta().cmp(&a.row.size_delta()).then_with(|| a.row.key.cmp(&b.row.key))
        });
        lap("noise and breakdown");
        let mut done = 0;
        let mut sigs: Option<Signatures> = None;
        // Holders are counted against the deleted objects held the same way: without the
        // base's signatures there are none.
        let base_sigs = base.signatures();
        for c in classes.iter_mut() {
            let Some(base_sigs) = base_sigs else { break };
            if done >= opts.classes_with_holders {
                break;
            }
            if c.noise != Noise::None || c.row.count_delta() <= 0 {
                continue;
            }
            let after_sigs = sigs.get_or_insert_with(|| Signatures::new(paths));
            let deleted = Some((base_sigs, c.row.deleted_nodes.as_slice()));
            let (holders, sampled) =
                holder_groups(paths, after_sigs, &c.row.new_nodes, deleted, opts);
            c.holders = holders;
            c.holders_sampled = sampled;
            done += 1;
        }
        lap("holders");
        if let Some(traces) = AllocationTraces::new(g.snapshot()) {
            let site_opts = SiteOptions::default();
            for c in classes.iter_mut().filter(|c| !c.row.new_nodes.is_empty()) {
                c.allocations = Some(traces.sites(&c.row.new_nodes, &site_opts));
            }
            lap("allocation sites");
        }
        let by_name = (ids.verdict != heapsnap_graph::IdVerdict::Comparable)
            .then(|| by_name(base, g, after, paths, &mut sigs, opts));
        DiffReport {
            classes,
            total_before: base.total_size(),
            total_after: after.total_size,
            ids,
            by_name,
        }
    }
}

/// What [`DiffReport::finish`] starts from: the Comparison's rows, the id check if it was
/// done already, and the newer snapshot's dominator tree.
struct Done<'t> {
    rows: Vec<ClassDiff>,
    ids: Option<IdCheck>,
    tree: Tree<'t>,
}

/// The newer snapshot's dominator tree, built here or lent by the caller.
enum Tree<'t> {
    Owned(DominatorTree),
    Borrowed(&'t DominatorTree),
}

impl Tree<'_> {
    fn get(&self) -> &DominatorTree {
        match self {
            Tree::Owned(t) => t,
            Tree::Borrowed(t) => t,
        }
    }
}

const V8_INTERNAL: [&str; 3] = ["(system)", "(compiled code)", "(object shape)"];

fn noise(g: &HeapGraph<'_>, paths: &PathFinder<'_, '_>, row: &ClassDiff) -> Noise {
    if V8_INTERNAL.contains(&row.name.as_str()) {
        return Noise::V8Internal;
    }
    let ids = g.snapshot().node_ids();
    let embedder = |v: NodeIdx| {
        matches!(g.node_kind(v), NodeKind::Native | NodeKind::Synthetic)
            && ids[v.index()].is_multiple_of(2)
    };
    if !row.new_nodes.is_empty() && row.new_nodes.iter().all(|&v| embedder(v)) {
        return Noise::UnstableIds;
    }
    if !row.new_nodes.is_empty() && row.new_nodes.iter().all(|&v| !paths.is_retained(v)) {
        return Noise::WeaklyHeld;
    }
    Noise::None
}

/// Retained size of each row's new objects, without double counting within a row.
fn new_retained(
    g: &HeapGraph<'_>,
    a: &Analysis,
    rows: &[ClassDiff],
    tree: &DominatorTree,
) -> Vec<u64> {
    let n = g.node_count();
    let other = rows.len() as u32;
    let mut class_of = vec![other; n];
    let mut shallow = vec![0u32; n];
    for (r, row) in rows.iter().enumerate() {
        for &v in &row.new_nodes {
            class_of[v.index()] = r as u32;
            shallow[v.index()] = a.shallow[v.index()];
        }
    }
    let mut out = class_retained(tree, g.root(), &class_of, &shallow, &a.retained, rows.len() + 1);
    out.truncate(rows.len());
    out
}

/// Objects counted per retaining-path signature.
#[derive(Default)]
struct Tally {
    /// Signature -> (objects, an example: the first in the given order, whether the count
    /// is scaled up from a sample).
    by_sig: BTreeMap<String, (f64, NodeIdx, bool)>,
    /// Objects nothing retains, and one of them.
    unretained: (u64, Option<NodeIdx>),
}

impl Tally {
    fn count(&self, sig: &str) -> u64 {
        self.by_sig.get(sig).map_or(0, |x| x.0.round() as u64)
    }

    fn estimated(&self, sig: &str) -> bool {
        self.by_sig.get(sig).is_some_and(|x| x.2)
    }
}

/// Counts `nodes` per signature. Objects are grouped first by their path prefix (objects
/// with the same prefix have the same signature; the strings of 600 cached pages, each under
/// a page of its own, are one prefix), which costs nothing; then the prefixes get their
/// signature, the largest `budget` of them exactly, and an even sample of the rest, scaled
/// up to stand for all of them (a linked list's nodes are one prefix per depth, and share
/// one signature, `(.next)×*`).
fn tally(sigs: &Signatures, nodes: &[NodeIdx], budget: usize) -> Tally {
    let mut t = Tally::default();
    let budget = budget.max(1);
    // prefix -> (objects, first object)
    let mut groups: HashMap<u32, (u64, NodeIdx), heapsnap_graph::hash::FxBuild> =
        HashMap::default();
    for &v in nodes {
        match sigs.prefix(v) {
            Some(p) => groups.entry(p).or_insert((0, v)).0 += 1,
            None => {
                t.unretained.0 += 1;
                t.unretained.1.get_or_insert(v);
            }
        }
    }
    let mut list: Vec<(u64, NodeIdx, u32)> =
        groups.into_iter().map(|(p, (n, v))| (n, v, p)).collect();
    list.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let (exact, rest) = list.split_at(list.len().min(budget));
    let add = |t: &mut Tally, v: NodeIdx, p: u32, n: f64, sampled: bool| {
        let e = t.by_sig.entry(sigs.prefix_signature(p)).or_insert((0.0, v, false));
        e.0 += n;
        e.2 |= sampled;
    };
    for &(n, v, p) in exact {
        add(&mut t, v, p, n as f64, false);
    }
    if !rest.is_empty() {
        let step = rest.len().div_ceil(budget);
        let all: u64 = rest.iter().map(|g| g.0).sum();
        let sampled: u64 = rest.iter().step_by(step).map(|g| g.0).sum();
        let scale = all as f64 / sampled.max(1) as f64;
        for &(n, v, p) in rest.iter().step_by(step) {
            add(&mut t, v, p, n as f64 * scale, step > 1);
        }
    }
    t
}

/// Who holds a class's new objects: per signature, the new objects against the deleted ones
/// held the same way in the base (`deleted`: the base's signatures and the row's deleted
/// objects), what each holder added first, pure churn last.
fn holder_groups(
    paths: &PathFinder<'_, '_>,
    sigs: &Signatures,
    nodes: &[NodeIdx],
    deleted: Option<(&Signatures, &[NodeIdx])>,
    opts: &DiffOptions,
) -> (Vec<HolderGroup>, u64) {
    const NOT_RETAINED: &str = "(not retained: unreachable or weakly held)";
    let new = tally(sigs, nodes, opts.max_path_samples);
    let gone = deleted.map(|(s, d)| tally(s, d, opts.max_path_samples)).unwrap_or_default();
    struct Row {
        sig: String,
        new: u64,
        deleted: u64,
        estimated: bool,
        example: RetainerPath,
    }
    let mut list: Vec<Row> = Vec::new();
    for (sig, &(_, example, _)) in &new.by_sig {
        let count = new.count(sig);
        if count == 0 {
            continue;
        }
        let Some(path) = paths.path_to(example) else { continue };
        let estimated = new.estimated(sig) || gone.estimated(sig);
        list.push(Row {
            sig: sig.clone(),
            new: count,
            deleted: gone.count(sig),
            estimated,
            example: path,
        });
    }
    if let (n, Some(v)) = new.unretained {
        let example = RetainerPath { nodes: vec![v], edges: Vec::new(), from_user_root: false };
        let (sig, deleted) = (NOT_RETAINED.to_string(), gone.unretained.0);
        list.push(Row { sig, new: n, deleted, estimated: false, example });
    }
    // What each holder added, largest first; counts scaled up from a sample after exact
    // ones (they are the small holders, and the least sure); pure churn last.
    let net = |r: &Row| r.new as i64 - r.deleted as i64;
    list.sort_by(|a, b| {
        (net(a) <= 0)
            .cmp(&(net(b) <= 0))
            .then_with(|| a.estimated.cmp(&b.estimated))
            .then_with(|| net(b).cmp(&net(a)))
            .then_with(|| b.new.cmp(&a.new))
            .then_with(|| a.sig.cmp(&b.sig))
    });
    list.truncate(opts.holder_groups);
    let list = list
        .into_iter()
        .map(|r| {
            let net = net(&r);
            let h = paths.holder(r.example);
            let retained = r.sig != NOT_RETAINED;
            HolderGroup {
                text: if retained { h.text } else { r.sig.clone() },
                signature: r.sig,
                count: r.new,
                deleted: r.deleted,
                net,
                churn: net <= 0,
                estimated: r.estimated,
                origin: retained.then_some(h.origin),
                note: if retained { h.note } else { None },
                steps: h.steps,
                example: h.path,
            }
        })
        .collect();
    (list, nodes.len() as u64)
}

/// `Function` rows by function name and location; `system / Context` rows by owning function.
fn breakdown(
    g: &HeapGraph<'_>,
    locations: &heapsnap_graph::NodeLocations,
    row: &ClassDiff,
) -> Vec<Breakdown> {
    let snap = g.snapshot();
    let closure_label = |v: NodeIdx| closure_label(g, locations, v);
    // Closures group by their function (SharedFunctionInfo); contexts by the function of the
    // closure owning them: the first closure, in node order, whose `context` edge leads there
    // (what the first of the context's retainers would give, found with one forward scan
    // instead of building the whole reverse index).
    let shared_name = snap.strings().iter().position(|s| s == "shared").map(|i| i as u32);
    let context_name = snap.strings().iter().position(|s| s == "context").map(|i| i as u32);
    let noi = snap.edge_names_or_indices();
    let edge_to = |v: NodeIdx, name: Option<u32>| -> Option<NodeIdx> {
        let name = name?;
        g.edges(v)
            .find(|&(e, _)| noi[e.index()] == name && g.edge_kind(e).has_string_name())
            .map(|(_, t)| t)
    };
    let function_of = |f: NodeIdx| edge_to(f, shared_name).unwrap_or(f);
    // Per node of the row: the closure that stands for it.
    let closure_of: Box<dyn Fn(NodeIdx) -> Option<NodeIdx>> = match row.name.as_str() {
        "Function" => Box::new(Some),
        "system / Context" => {
            let mut wanted = vec![false; g.node_count()];
            for &v in &row.new_nodes {
                wanted[v.index()] = true;
            }
            let mut owner: HashMap<u32, NodeIdx> = HashMap::new();
            for i in 0..g.node_count() {
                let f = NodeIdx(i as u32);
                if g.node_kind(f) != NodeKind::Closure {
                    continue;
                }
                if let Some(c) = edge_to(f, context_name)
                    && wanted[c.index()]
                {
                    owner.entry(c.0).or_insert(f);
                }
            }
            Box::new(move |v: NodeIdx| owner.get(&v.0).copied())
        }
        _ => return Vec::new(),
    };
    // Group by function first, label each function once, then merge equal labels.
    let mut by_function: HashMap<Option<u32>, (u64, u64, Option<NodeIdx>)> = HashMap::new();
    for &v in &row.new_nodes {
        let f = closure_of(v);
        let e = by_function.entry(f.map(|f| function_of(f).0)).or_insert((0, 0, f));
        e.0 += 1;
        e.1 += snap.node(v).self_size();
    }
    let context = row.name == "system / Context";
    let mut groups: HashMap<String, (u64, u64)> = HashMap::new();
    for (_, (count, size, f)) in by_function {
        let label = match (f, context) {
            (Some(f), false) => closure_label(f),
            (Some(f), true) => format!("context of {}", closure_label(f)),
            (None, _) => "(not a closure's own context)".to_string(),
        };
        let e = groups.entry(label).or_insert((0, 0));
        e.0 += count;
        e.1 += size;
    }
    let mut out: Vec<Breakdown> = groups
        .into_iter()
        .map(|(label, (new_count, alloc_size))| Breakdown { label, new_count, alloc_size })
        .collect();
    out.sort_by(|a, b| b.alloc_size.cmp(&a.alloc_size).then_with(|| a.label.cmp(&b.label)));
    out
}

/// Whether the objects of `g`'s snapshot can be followed by id from `base`'s: how many odd
/// (JS object) ids the two share, and how many of those name objects of another type or name
/// ([`IdCheck::verdict`]). Needs no analysis of either snapshot.
///
/// ```
/// # let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
/// #   "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],
/// #   "edge_types":[["element","property","shortcut"]]},"node_count":2,"edge_count":1},
/// #   "nodes":[0,0,1,0,1, 1,1,3,8,0],"edges":[2,0,5],"strings":["","global"]}"#;
/// let snap = heapsnap_format::HeapSnapshot::from_slice(json)?;
/// let base = heapsnap_diff::BaseIndex::new(&snap);
/// let ids = heapsnap_diff::check_ids(&base, &heapsnap_graph::HeapGraph::new(&snap));
/// assert_eq!(ids.verdict, heapsnap_graph::IdVerdict::Comparable);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_ids(base: &BaseIndex, g: &HeapGraph<'_>) -> IdCheck {
    use rayon::prelude::*;
    let snap = g.snapshot();
    let t = std::time::Instant::now();
    let (base_odd, after_hash) =
        rayon::join(|| base.odd_ids(), || crate::base::identity_name_hashes(snap));
    log::debug!("diff: id table and name hashes took {:.2?}", t.elapsed());
    let after_types = snap.meta().node_type_names();
    // Whether base type k and newer type t have the same name, at `k * 256 + t` (types are
    // bytes): a table lookup per shared object instead of two string lookups and a comparison.
    let same_type: Vec<bool> = (0..256 * 256)
        .map(|x: usize| {
            let (k, t) = (x / 256, x % 256);
            let b = base.type_names.get(k).map(String::as_str).unwrap_or("");
            b == after_types.get(t).map(String::as_str).unwrap_or("")
        })
        .collect();
    let types = snap.node_types();
    let ids = snap.node_ids();
    // (after ids, shared, mismatched) over chunks of the newer snapshot's nodes.
    let (after_ids, shared, mismatched) = (0..snap.node_count())
        .into_par_iter()
        .with_min_len(1 << 16)
        .fold(
            || (0u64, 0u64, 0u64),
            |(mut after_ids, mut shared, mut mismatched), i| {
                let id = ids[i];
                if id.is_multiple_of(2) {
                    return (after_ids, shared, mismatched);
                }
                after_ids += 1;
                let Some(bi) = base_odd.get(id) else {
                    return (after_ids, shared, mismatched);
                };
                shared += 1;
                let same = same_type[usize::from(base.kind[bi]) * 256 + usize::from(types[i])];
                if !same || base.name_hash[bi] != after_hash[i] {
                    mismatched += 1;
                }
                (after_ids, shared, mismatched)
            },
        )
        .reduce(|| (0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2));
    IdCheck::judge(base_odd.count, after_ids, shared, shared, mismatched)
}

/// Classes compared by name (no ids): for snapshots of different processes.
fn by_name(
    base: &BaseIndex,
    g: &HeapGraph<'_>,
    after: &Analysis,
    paths: &PathFinder<'_, '_>,
    sigs: &mut Option<Signatures>,
    opts: &DiffOptions,
) -> Vec<NameDiff> {
    let mut acc: BTreeMap<String, NameDiff> = BTreeMap::new();
    for i in 0..base.ids.len() {
        let s = base.shallow[i];
        if s == 0 {
            continue;
        }
        let name = &base.classes[base.own_class[i] as usize].name;
        let e = acc.entry(name.clone()).or_insert_with(|| empty_name_diff(name));
        e.count_before += 1;
        e.size_before += u64::from(s);
    }
    let mut members: HashMap<String, Vec<NodeIdx>> = HashMap::new();
    for i in 0..g.node_count() {
        let s = after.shallow[i];
        if s == 0 {
            continue;
        }
        let name = &after.classes.of(NodeIdx(i as u32)).name;
        let e = acc.entry(name.clone()).or_insert_with(|| empty_name_diff(name));
        e.count_after += 1;
        e.size_after += u64::from(s);
        members.entry(name.clone()).or_default().push(NodeIdx(i as u32));
    }
    let mut rows: Vec<NameDiff> = acc
        .into_values()
        .filter(|r| r.count_before != r.count_after || r.size_before != r.size_after)
        .collect();
    let delta = |r: &NameDiff| r.size_after as i64 - r.size_before as i64;
    rows.sort_by(|a, b| delta(b).cmp(&delta(a)).then_with(|| a.name.cmp(&b.name)));
    let mut done = 0;
    for r in rows.iter_mut() {
        if done >= opts.classes_with_holders || r.count_after <= r.count_before {
            continue;
        }
        if V8_INTERNAL.contains(&r.name.as_str()) {
            continue;
        }
        if let Some(m) = members.get(&r.name) {
            let sigs = sigs.get_or_insert_with(|| Signatures::new(paths));
            r.holders = holder_groups(paths, sigs, m, None, opts).0;
            done += 1;
        }
    }
    rows
}

fn empty_name_diff(name: &str) -> NameDiff {
    NameDiff {
        name: name.to_string(),
        count_before: 0,
        count_after: 0,
        size_before: 0,
        size_after: 0,
        holders: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use heapsnap_format::{HeapSnapshot, NoProgress};
    use heapsnap_graph::{Analysis, AnalysisOptions, HeapGraph};

    use super::{DiffOptions, DiffReport};
    use crate::BaseIndex;

    fn store_report(opts: &DiffOptions) -> DiffReport {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../snapshots/store");
        let before = HeapSnapshot::from_path(dir.join("store-baseline.heapsnapshot.gz")).unwrap();
        let base = BaseIndex::with_path_mode(&before, opts.path_mode);
        drop(before);
        let after = HeapSnapshot::from_path(dir.join("store-target.heapsnapshot.gz")).unwrap();
        let g = HeapGraph::new(&after);
        let a = Analysis::new(&g, &AnalysisOptions::default(), &mut NoProgress);
        DiffReport::new(&base, &g, &a, opts)
    }

    /// The id check done before the report ([`check_ids`], as `heapsnap report` does beside
    /// the dominators) gives the report [`DiffReport::from_rows`] gives, whether the ids are
    /// comparable or were handed out again (a second inspector session).
    #[test]
    fn id_check_given_or_done_alike() {
        use heapsnap_graph::{DominatorTree, IdVerdict, PathFinder, PathMode};
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../snapshots");
        let pairs = [
            ("store/store-baseline", "store/store-target", IdVerdict::Comparable),
            ("separate/sessions-1", "separate/sessions-2", IdVerdict::Reused),
        ];
        for (before, after, verdict) in pairs {
            let read = |f: &str| {
                HeapSnapshot::from_path(root.join(format!("{f}.heapsnapshot.gz"))).unwrap()
            };
            let base = BaseIndex::from_snapshot(read(before), &crate::BaseOptions::default());
            let snap = read(after);
            let g = HeapGraph::new(&snap);
            let a = Analysis::new(&g, &AnalysisOptions::default(), &mut NoProgress);
            let tree = DominatorTree::new(&a);
            let paths = PathFinder::new(&g, &a, PathMode::User);
            let opts = DiffOptions::default();
            let ids = super::check_ids(&base, &g);
            assert_eq!(ids.verdict, verdict, "{before} -> {after}");
            let rows = || crate::compare_with_tree(&base, &g, &a, &tree);
            let given = DiffReport::from_rows_and_ids(&base, rows(), ids, &tree, &paths, &opts);
            let done = DiffReport::from_rows(&base, rows(), &tree, &paths, &opts);
            assert_eq!(format!("{given:?}"), format!("{done:?}"), "{before} -> {after}");
        }
    }

    /// snapshots/store: 200 sessions leak into a Map under concatenated-string tokens while a
    /// 100-entry LRU replaces 600 rendered pages (concatenated strings too). The store is what
    /// holds the growth, the LRU is churn; with few signatures computed, the store still
    /// comes first, counted exactly (its tokens are one group: the store's table).
    #[test]
    fn holders_net_new_against_deleted_and_churn_comes_last() {
        for budget in [20_000, 4] {
            let opts = DiffOptions { max_path_samples: budget, ..DiffOptions::default() };
            let r = store_report(&opts);
            let row = r.classes.iter().find(|c| c.row.name == "(concatenated string)").unwrap();
            let h = &row.holders;
            assert_eq!(h.len(), 3, "{budget}: {h:#?}");
            assert_eq!(h[0].signature, "server.js: store.sessions{table}{*}", "{budget}");
            let counts = (h[0].count, h[0].deleted, h[0].net, h[0].churn, h[0].estimated);
            assert_eq!(counts, (200, 0, 200, false, false), "{budget}");
            assert_eq!(row.holders_sampled, row.row.new_count);
            // Exact counts before estimates, growth before churn.
            assert!(h.windows(2).all(|w| w[0].churn <= w[1].churn), "{budget}: {h:#?}");
            assert!(
                h.windows(2).all(|w| w[0].churn != w[1].churn || w[0].estimated <= w[1].estimated),
                "{budget}: {h:#?}"
            );
            if budget < 100 {
                continue;
            }
            assert!(!h.iter().any(|x| x.estimated), "{h:#?}");
            // The tokens' first parts, then the cache: as many pages evicted as rendered.
            assert_eq!(h[1].signature, "server.js: store.sessions{table}{*}{first}");
            assert_eq!((h[1].count, h[1].net), (200, 200));
            assert_eq!(h[2].signature, "server.js: pageCache.entries{table}{*}({first})\u{d7}*");
            assert!(h[2].churn && h[2].count >= 600 && h[2].count == h[2].deleted, "{:#?}", h[2]);
            // The plain objects of the store: DevTools' interface names, as `leaks` shows them.
            let sessions =
                r.classes.iter().find(|c| c.row.name == "{user, token, headers}").unwrap();
            assert_eq!(sessions.holders[0].signature, "server.js: store.sessions{table}{*}");
            assert_eq!(sessions.holders[0].net, 200);
        }
    }
}
