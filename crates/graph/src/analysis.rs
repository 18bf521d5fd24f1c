//! DevTools' analysis pipeline, step for step (reference §2.1): detachedness propagation and
//! `Detached` names, node flags, the shallow-size ownership transfer, essential edges,
//! Lengauer–Tarjan dominators with DevTools' convention for unreachable nodes, retained sizes,
//! distances with the JS edge filter, and class names.

use heapsnap_format::{EdgeIdx, EdgeKind, HeapSnapshot, NodeIdx, NodeKind, Progress};

use crate::classes::{self, Classes, PlainShapes};
use crate::graph::HeapGraph;
use crate::weakmap;

/// DevTools' distance for nodes it cannot reach ("—" in the UI).
pub const NO_DISTANCE: i32 = -5;
/// DevTools' distance of the root when user roots exist (objects only reachable from
/// `(GC roots)` then have distances above it).
pub const BASE_SYSTEM_DISTANCE: i32 = 100_000_000;

/// Node flag: reachable from a page/global object over non-weak edges (`pageObject`).
pub const FLAG_PAGE_OBJECT: u8 = 1;
/// Node flag: reachable from user roots over JS-visible edges (`canBeQueried`).
pub const FLAG_CAN_BE_QUERIED: u8 = 2;
/// Node flag: a native node named `Detached …` after propagation (`detachedDOMTreeNode`).
pub const FLAG_DETACHED_DOM: u8 = 4;

/// Options for [`Analysis::new`]. `Default` is DevTools' behaviour exactly.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AnalysisOptions {
    /// Apply DevTools' shallow-size ownership transfer (§2.4; DevTools does whenever the
    /// snapshot has user roots). Off shows V8's own self sizes.
    pub shallow_transfer: bool,
    /// Name plain objects with these interface definitions instead of inferring them from
    /// this snapshot (DevTools' Comparison applies the newer snapshot's definitions to the
    /// base).
    pub interfaces: Option<Vec<crate::classes::InterfaceDef>>,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        AnalysisOptions { shallow_transfer: true, interfaces: None }
    }
}

/// Everything DevTools computes per node, as columns indexed by node position.
#[derive(Debug)]
pub struct Analysis {
    /// Shallow sizes after the ownership transfer (what DevTools shows as "Shallow Size").
    pub shallow: Vec<u32>,
    /// Retained sizes (exact integers; DevTools sums the same values as float64).
    pub retained: Vec<u64>,
    /// Immediate dominator of each node; the root dominates itself. Read through
    /// [`Analysis::dominator`] (an `Option`) or, in loops, [`Analysis::dominators`].
    pub(crate) dominator: Vec<u32>,
    /// Distance from the user roots (or the root); [`NO_DISTANCE`] when unreachable. Read
    /// through [`Analysis::distance`] (an `Option`) or, in loops, [`Analysis::distances`].
    pub(crate) distance: Vec<i32>,
    /// DOM link state after propagation: 0 unknown, 1 attached, 2 detached.
    pub detachedness: Vec<u8>,
    /// Flags ([`FLAG_PAGE_OBJECT`], [`FLAG_CAN_BE_QUERIED`], [`FLAG_DETACHED_DOM`]).
    pub flags: Vec<u8>,
    /// Whether the node was renamed to `Detached <name>` (native, detached).
    pub renamed_detached: Vec<bool>,
    /// Class names and keys.
    pub classes: Classes,
    /// The root's children that DevTools treats as user roots.
    pub user_roots: Vec<NodeIdx>,
    /// Nodes the dominator DFS could not reach from the root.
    pub unreachable: usize,
    /// DevTools' "Total": root retained size + `extra_native_bytes`.
    pub total_size: u64,
    /// Nodes in dominator-DFS preorder (DevTools' `vertex` array, 0-based).
    pub dfs_order: Vec<u32>,
    /// The snapshot's edge count, to tell its graph from another's ([`Analysis::check`]).
    pub(crate) edge_count: usize,
}

/// A bit vector over edges.
#[derive(Debug)]
pub(crate) struct Bits(Vec<u64>);

impl Bits {
    pub(crate) fn new(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }
    #[inline]
    pub(crate) fn set(&mut self, i: usize) {
        self.0[i >> 6] |= 1 << (i & 63);
    }
    #[inline]
    pub(crate) fn get(&self, i: usize) -> bool {
        self.0[i >> 6] & (1 << (i & 63)) != 0
    }
}

impl Analysis {
    /// Runs the whole pipeline.
    ///
    /// ```
    /// # let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
    /// #   "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],
    /// #   "edge_types":[["element","property","shortcut"]]},"node_count":3,"edge_count":2},
    /// #   "nodes":[0,0,1,0,1, 1,1,3,8,1, 1,2,5,16,0],"edges":[2,0,5, 1,3,10],"strings":["","global","Foo","foo"]}"#;
    /// use heapsnap_format::{HeapSnapshot, NodeIdx};
    /// use heapsnap_graph::{Analysis, AnalysisOptions, HeapGraph};
    /// let snap = HeapSnapshot::from_slice(json)?;
    /// let graph = HeapGraph::new(&snap);
    /// let a = Analysis::new(&graph, &AnalysisOptions::default(), &mut heapsnap_format::NoProgress);
    /// assert_eq!(a.retained[1], 24); // the global retains itself and Foo
    /// assert_eq!(a.distance(NodeIdx(2)), Some(2));
    /// assert_eq!(a.dominator(NodeIdx(2)), Some(NodeIdx(1)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(g: &HeapGraph<'_>, opts: &AnalysisOptions, progress: &mut dyn Progress) -> Analysis {
        Analysis::with_side_work(g, opts, progress, |_| ()).0
    }

    /// [`Analysis::new`], also running `side` with DevTools' distances as soon as they are
    /// known, while the dominators (the longest step, on one thread) are still being computed:
    /// work that needs the distances but not the dominators, such as choosing the retaining
    /// paths ([`PathTree::from_distances`](crate::PathTree::from_distances)), then costs no
    /// wall time on two cores. Returns the analysis and what `side` returned.
    ///
    /// ```
    /// # let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
    /// #   "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],
    /// #   "edge_types":[["element","property","shortcut"]]},"node_count":3,"edge_count":2},
    /// #   "nodes":[0,0,1,0,1, 1,1,3,8,1, 1,2,5,16,0],"edges":[2,0,5, 1,3,10],"strings":["","global","Foo","foo"]}"#;
    /// use heapsnap_format::{HeapSnapshot, NoProgress};
    /// use heapsnap_graph::{Analysis, AnalysisOptions, HeapGraph, PathFinder, PathMode, PathTree};
    /// let snap = HeapSnapshot::from_slice(json)?;
    /// let g = HeapGraph::new(&snap);
    /// let (a, tree) = Analysis::with_side_work(&g, &AnalysisOptions::default(), &mut NoProgress, |d| {
    ///     PathTree::from_distances(&g, d, PathMode::User)
    /// });
    /// let paths = PathFinder::with_tree(&g, &a, tree)?;
    /// assert_eq!(paths.path_text(heapsnap_format::NodeIdx(2)).as_deref(), Some("global.foo"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_side_work<T: Send>(
        g: &HeapGraph<'_>,
        opts: &AnalysisOptions,
        progress: &mut dyn Progress,
        side: impl FnOnce(&[i32]) -> T + Send,
    ) -> (Analysis, T) {
        let n = g.node_count();
        progress.set_total(7);
        let mut clock = std::time::Instant::now();
        let mut lap = |what: &str| {
            log::debug!("analysis: {what} took {:.2?}", clock.elapsed());
            clock = std::time::Instant::now();
        };
        let snap = g.snap;
        let root = g.root();
        let ephemerons = EphemeronNames::new(snap, g);

        let (detachedness, renamed_detached) = propagate_dom_state(g);
        progress.advance(1);
        lap("detachedness");
        let user_roots: Vec<NodeIdx> =
            g.edges(root).map(|(_, t)| t).filter(|&t| is_user_root_for_distances(g, t)).collect();
        progress.advance(1);

        // Two independent halves, run on two threads: the dominator chain (essential edges,
        // shallow sizes, dominators, retained sizes) and the distances and class names.
        // (The halves are balanced by hand: the dominator pass is the longest step, so the
        // shallow sizes it does not need are computed on the other thread.)
        // The page-object flag feeds the essential edges; the other two flags are only output,
        // so they are computed on the other thread and merged afterwards.
        let dominator_chain = || {
            let t = std::time::Instant::now();
            let mut flags = vec![0u8; n];
            mark_page_owned(g, &mut flags);
            log::debug!("analysis: page objects took {:.2?}", t.elapsed());
            let essential = essential_edges(g, &flags, &ephemerons);
            let (dominator, dfs_order, unreachable) = crate::dominators::dominators(g, &essential);
            log::debug!("analysis: essential edges and dominators took {:.2?}", t.elapsed());
            (dominator, dfs_order, unreachable, flags)
        };
        let names_and_distances = || {
            let t = std::time::Instant::now();
            let mut other_flags = vec![0u8; n];
            mark_detached_dom(g, &renamed_detached, &mut other_flags);
            mark_queriable(g, &mut other_flags);
            log::debug!("analysis: queriable and detached DOM flags took {:.2?}", t.elapsed());
            let t = std::time::Instant::now();
            let shallow = shallow_sizes(g, opts, !user_roots.is_empty());
            log::debug!("analysis: shallow sizes took {:.2?}", t.elapsed());
            let t = std::time::Instant::now();
            let distance = distances(g, &user_roots, &ephemerons);
            log::debug!("analysis: distances took {:.2?}", t.elapsed());
            let t = std::time::Instant::now();
            let ((classes, _), side_out) = rayon::join(
                || classes::compute(g, &renamed_detached, opts.interfaces.as_deref()),
                || side(&distance),
            );
            log::debug!("analysis: class names and side work took {:.2?}", t.elapsed());
            (shallow, distance, classes, other_flags, side_out)
        };
        let (
            (dominator, dfs_order, unreachable, mut flags),
            (shallow, distance, classes, other, side_out),
        ) = rayon::join(dominator_chain, names_and_distances);
        for (f, o) in flags.iter_mut().zip(other) {
            *f |= o;
        }
        let mut retained: Vec<u64> = shallow.iter().map(|&s| u64::from(s)).collect();
        for &v in dfs_order.iter().skip(1).rev() {
            let d = dominator[v as usize] as usize;
            retained[d] += retained[v as usize];
        }
        progress.advance(5);
        lap("dominators, distances and class names");
        let total_size = retained[root.index()] + snap.extra_native_bytes().unwrap_or(0);
        let a = Analysis {
            shallow,
            retained,
            dominator,
            distance,
            detachedness,
            flags,
            renamed_detached,
            classes,
            user_roots,
            unreachable,
            total_size,
            dfs_order,
            edge_count: g.edge_count(),
        };
        (a, side_out)
    }

    /// The node's name as DevTools shows it (with the `Detached ` prefix where it applies).
    pub fn node_name<'a>(&self, snap: &'a HeapSnapshot, i: NodeIdx) -> std::borrow::Cow<'a, str> {
        let name = snap.node(i).name();
        if self.renamed_detached[i.index()] {
            format!("Detached {name}").into()
        } else {
            name.into()
        }
    }
}

/// DevTools' shallow sizes: the file's self sizes, after the ownership transfer when the
/// options ask for it and the snapshot has user roots.
fn shallow_sizes(g: &HeapGraph<'_>, opts: &AnalysisOptions, has_user_roots: bool) -> Vec<u32> {
    let mut shallow = g.snap.node_self_sizes().to_vec();
    if opts.shallow_transfer && has_user_roots {
        shallow_transfer(g, &mut shallow);
    }
    shallow
}

/// The columns of an [`Analysis`] that need no search of the graph: DevTools' shallow sizes
/// (after the ownership transfer), its class names and its total size, equal to the
/// analysis's own. For what needs a snapshot's classes but not its dominators, distances or
/// flags: the older side of a Comparison without retained sizes takes about a third of the
/// time of a whole [`Analysis`].
///
/// ```
/// # let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
/// #   "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],
/// #   "edge_types":[["element","property","shortcut"]]},"node_count":3,"edge_count":2},
/// #   "nodes":[0,0,1,0,1, 1,1,3,8,1, 1,2,5,16,0],"edges":[2,0,5, 1,3,10],"strings":["","global","Foo","foo"]}"#;
/// use heapsnap_format::{HeapSnapshot, NoProgress, NodeIdx};
/// use heapsnap_graph::{Analysis, AnalysisOptions, ClassColumns, HeapGraph};
/// let snap = HeapSnapshot::from_slice(json)?;
/// let g = HeapGraph::new(&snap);
/// let opts = AnalysisOptions::default();
/// let c = ClassColumns::new(&g, &opts);
/// let a = Analysis::new(&g, &opts, &mut NoProgress);
/// assert_eq!((c.shallow, c.total_size), (a.shallow, a.total_size));
/// assert_eq!(c.classes.of(NodeIdx(2)).name, "Foo");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct ClassColumns {
    /// Shallow sizes after the ownership transfer ([`Analysis::shallow`]).
    pub shallow: Vec<u32>,
    /// Class names and keys ([`Analysis::classes`]).
    pub classes: Classes,
    /// Whether the node was renamed to `Detached <name>` ([`Analysis::renamed_detached`]).
    pub renamed_detached: Vec<bool>,
    /// DevTools' "Total" ([`Analysis::total_size`]): every node's shallow size (DevTools'
    /// dominator tree hangs the nodes it cannot reach off the root, so the root retains all of
    /// them) plus `extra_native_bytes`.
    pub total_size: u64,
    /// The property sets of the plain objects (made while naming classes: what a later
    /// snapshot's interface definitions are applied to).
    pub shapes: PlainShapes,
}

impl ClassColumns {
    /// Computes the columns of `g`'s snapshot (the same as [`Analysis::new`]'s with `opts`).
    pub fn new(g: &HeapGraph<'_>, opts: &AnalysisOptions) -> ClassColumns {
        let root = g.root();
        // Only the renames are kept: without a node the file says is detached (old layouts
        // say none) there are none, and nothing needs propagating.
        let renamed_detached = if !g.snap.node_detachedness().contains(&2) {
            vec![false; g.node_count()]
        } else {
            propagate_dom_state(g).1
        };
        let has_user_roots = g.edges(root).any(|(_, t)| is_user_root_for_distances(g, t));
        let (shallow, (classes, plain)) = rayon::join(
            || shallow_sizes(g, opts, has_user_roots),
            || classes::compute(g, &renamed_detached, opts.interfaces.as_deref()),
        );
        let total_size = shallow.iter().map(|&s| u64::from(s)).sum::<u64>()
            + g.snap.extra_native_bytes().unwrap_or(0);
        let shapes = PlainShapes::from_lists(g, plain);
        ClassColumns { shallow, classes, renamed_detached, total_size, shapes }
    }
}

/// Per string: is it a WeakMap ephemeron edge name (computed once per distinct string).
pub(crate) struct EphemeronNames {
    /// 0 = not an ephemeron name; otherwise 1 + index into `parts`.
    of_string: Vec<u32>,
    /// (duplicated part id, table id) per ephemeron string; the part id groups equal texts.
    parts: Vec<(u32, Option<u32>)>,
}

impl EphemeronNames {
    pub(crate) fn new(snap: &HeapSnapshot, g: &HeapGraph<'_>) -> EphemeronNames {
        let strings = snap.strings();
        let mut of_string = vec![0u32; strings.len()];
        let mut checked = vec![false; strings.len()];
        let mut parts = Vec::new();
        let mut part_ids: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
        let names = snap.edge_names_or_indices();
        for e in 0..g.edge_count() {
            if g.edge_kind(EdgeIdx(e as u32)) != EdgeKind::Internal {
                continue;
            }
            let s = names[e] as usize;
            if checked[s] {
                continue;
            }
            checked[s] = true;
            let text = strings.get(heapsnap_format::StringIdx(s as u32)).unwrap_or("");
            if let Some(m) = weakmap::parse(text) {
                let next = part_ids.len() as u32;
                let part = *part_ids.entry(m.duplicated_part).or_insert(next);
                parts.push((part, m.table_id.parse::<u32>().ok()));
                of_string[s] = parts.len() as u32;
            }
        }
        EphemeronNames { of_string, parts }
    }

    /// For an internal edge's name index: (duplicated part id, table id) if it is an ephemeron.
    #[inline]
    fn get(&self, name: u32) -> Option<(u32, Option<u32>)> {
        match self.of_string.get(name as usize) {
            Some(&k) if k > 0 => Some(self.parts[k as usize - 1]),
            _ => None,
        }
    }

    fn part_count(&self) -> usize {
        self.parts.iter().map(|p| p.0 as usize + 1).max().unwrap_or(0)
    }
}

/// `isUserRoot` of JSHeapSnapshot (used for distances and the shallow-size transfer).
fn is_user_root_for_distances(g: &HeapGraph<'_>, t: NodeIdx) -> bool {
    g.node_kind(t) != NodeKind::Synthetic || g.snap.node(t).name() == "(Document DOM trees)"
}

/// §2.3: copy the file's detachedness, then spread attached (first) and detached states
/// through chains of native nodes; detached natives are renamed `Detached …`.
fn propagate_dom_state(g: &HeapGraph<'_>) -> (Vec<u8>, Vec<bool>) {
    let n = g.node_count();
    let snap = g.snap;
    let mut renamed = vec![false; n];
    let file = snap.node_detachedness();
    if file.is_empty() {
        // Old layouts: native nodes already named "Detached …" are detached; nothing spreads
        // and nothing is renamed.
        let mut state = vec![0u8; n];
        for i in 0..n {
            if g.kind_at(i) == NodeKind::Native
                && snap.node(NodeIdx(i as u32)).name().starts_with("Detached ")
            {
                state[i] = 2;
            }
        }
        return (state, renamed);
    }
    let mut state = file.to_vec();
    let mut visited = vec![false; n];
    let mut attached: Vec<u32> = Vec::new();
    let mut detached: Vec<u32> = Vec::new();
    let mut process =
        |i: usize, s: u8, state: &mut [u8], attached: &mut Vec<u32>, detached: &mut Vec<u32>| {
            if visited[i] {
                return;
            }
            visited[i] = true;
            if g.kind_at(i) != NodeKind::Native {
                return;
            }
            state[i] = s;
            if s == 1 {
                attached.push(i as u32);
            } else if s == 2 {
                renamed[i] = true;
                detached.push(i as u32);
            }
        };
    for i in 0..n {
        let s = state[i];
        if s != 0 {
            process(i, s, &mut state, &mut attached, &mut detached);
        }
    }
    let follows = |k: EdgeKind| !matches!(k, EdgeKind::Hidden | EdgeKind::Weak);
    while let Some(v) = attached.pop() {
        for (e, t) in g.edges(NodeIdx(v)) {
            if follows(g.edge_kind(e)) {
                process(t.index(), 1, &mut state, &mut attached, &mut detached);
            }
        }
    }
    while let Some(v) = detached.pop() {
        if state[v as usize] == 1 {
            continue;
        }
        for (e, t) in g.edges(NodeIdx(v)) {
            if follows(g.edge_kind(e)) {
                process(t.index(), 2, &mut state, &mut attached, &mut detached);
            }
        }
    }
    (state, renamed)
}

fn mark_detached_dom(g: &HeapGraph<'_>, renamed: &[bool], flags: &mut [u8]) {
    for i in 0..g.node_count() {
        if g.kind_at(i) == NodeKind::Native
            && (renamed[i] || g.snap.node(NodeIdx(i as u32)).name().starts_with("Detached "))
        {
            flags[i] |= FLAG_DETACHED_DOM;
        }
    }
}

fn mark_queriable(g: &HeapGraph<'_>, flags: &mut [u8]) {
    let root = g.root();
    // Here DevTools uses the node-level isUserRoot (not synthetic), without the DOM-trees case.
    let mut list: Vec<u32> = g
        .edges(root)
        .filter(|&(_, t)| g.node_kind(t) != NodeKind::Synthetic)
        .map(|(_, t)| t.0)
        .collect();
    while let Some(v) = list.pop() {
        if flags[v as usize] & FLAG_CAN_BE_QUERIED != 0 {
            continue;
        }
        flags[v as usize] |= FLAG_CAN_BE_QUERIED;
        for (e, t) in g.edges(NodeIdx(v)) {
            if flags[t.index()] & FLAG_CAN_BE_QUERIED != 0 {
                continue;
            }
            if matches!(g.edge_kind(e), EdgeKind::Hidden | EdgeKind::Internal | EdgeKind::Weak) {
                continue;
            }
            list.push(t.0);
        }
    }
}

fn mark_page_owned(g: &HeapGraph<'_>, flags: &mut [u8]) {
    let root = g.root();
    let mut stack: Vec<u32> = Vec::new();
    for (e, t) in g.edges(root) {
        match g.edge_kind(e) {
            EdgeKind::Element => {
                if !(g.node_kind(t) == NodeKind::Synthetic
                    && g.snap.node(t).name() == "(Document DOM trees)")
                {
                    continue;
                }
            }
            EdgeKind::Shortcut => {}
            _ => continue,
        }
        stack.push(t.0);
        flags[t.index()] |= FLAG_PAGE_OBJECT;
    }
    while let Some(v) = stack.pop() {
        for (e, t) in g.edges(NodeIdx(v)) {
            if flags[t.index()] & FLAG_PAGE_OBJECT != 0 || g.edge_kind(e) == EdgeKind::Weak {
                continue;
            }
            stack.push(t.0);
            flags[t.index()] |= FLAG_PAGE_OBJECT;
        }
    }
}

/// §2.5: the edges the dominator tree is computed on.
pub(crate) fn essential_edges(g: &HeapGraph<'_>, flags: &[u8], eph: &EphemeronNames) -> Bits {
    let snap = g.snap;
    let m = g.edge_count();
    let mut bits = Bits::new(m);
    let root = g.root();
    let ids = snap.node_ids();
    let names = snap.edge_names_or_indices();
    for v in 0..g.node_count() {
        let from = NodeIdx(v as u32);
        let from_page = flags[v] & FLAG_PAGE_OBJECT != 0;
        for (e, t) in g.edges(from) {
            let kind = g.edge_kind(e);
            if kind == EdgeKind::Internal
                && let Some((_, Some(table))) = eph.get(names[e.index()])
                && table == ids[v]
            {
                continue;
            }
            if kind == EdgeKind::Weak || t == from {
                continue;
            }
            if from != root {
                if kind == EdgeKind::Shortcut {
                    continue;
                }
                let to_page = flags[t.index()] & FLAG_PAGE_OBJECT != 0;
                if to_page && !from_page {
                    continue;
                }
            }
            bits.set(e.index());
        }
    }
    bits
}

/// §2.4: hidden and array nodes (and external string payloads) give their size to their
/// single owner.
fn shallow_transfer(g: &HeapGraph<'_>, shallow: &mut [u32]) {
    const UNVISITED: u32 = u32::MAX;
    const MULTIPLE: u32 = u32::MAX - 1;
    let n = g.node_count();
    let snap = g.snap;
    let mut owner = vec![0u32; n];
    // The nodes that can be owned, as bits (a few MB, in cache): only edges to them can change
    // an owner (every other node owns itself for good), so the others' `owner` entries, one
    // cache miss each, are not read.
    let mut ownable = vec![0u64; n.div_ceil(64)];
    for i in 0..n {
        let k = g.kind_at(i);
        let owned = matches!(k, NodeKind::Hidden | NodeKind::Array)
            || (k == NodeKind::Native
                && snap.node(NodeIdx(i as u32)).name() == "system / ExternalStringData");
        if owned {
            owner[i] = UNVISITED;
            ownable[i / 64] |= 1 << (i % 64);
        } else {
            owner[i] = i as u32;
        }
    }
    // Each owner is pushed on the edges of the nodes it reaches, a node that two reach
    // becoming MULTIPLE (and passing that on): an owner only ever moves up UNVISITED < node <
    // MULTIPLE, so the result does not depend on the order. The nodes that own themselves
    // are taken in node order (their edges read in order, no worklist of millions of them);
    // the owned nodes they reach go through a worklist.
    let mut work: Vec<u32> = Vec::new();
    let spread = |x: u32, work: &mut Vec<u32>, owner: &mut [u32]| {
        let o = owner[x as usize];
        for (e, t) in g.edges(NodeIdx(x)) {
            let ti = t.index();
            if ownable[ti / 64] & (1 << (ti % 64)) == 0 || g.edge_kind(e) == EdgeKind::Weak {
                continue;
            }
            let cur = owner[ti];
            if cur == UNVISITED {
                owner[ti] = o;
                work.push(t.0);
            } else if cur == t.0 || cur == o || cur == MULTIPLE {
            } else {
                owner[ti] = MULTIPLE;
                work.push(t.0);
            }
        }
    };
    for i in 0..n {
        if ownable[i / 64] & (1 << (i % 64)) != 0 {
            continue;
        }
        spread(i as u32, &mut work, &mut owner);
        while let Some(x) = work.pop() {
            spread(x, &mut work, &mut owner);
        }
    }
    let root = g.root();
    for i in 0..n {
        let o = owner[i];
        if o == UNVISITED || o == MULTIPLE || o == i as u32 {
            continue;
        }
        if g.kind_at(o as usize) == NodeKind::Synthetic || o == root.0 {
            continue;
        }
        let size = shallow[i];
        shallow[i] = 0;
        shallow[o as usize] = shallow[o as usize].wrapping_add(size);
    }
}

/// JavaScript's `parseInt(s, 10)` for the distance filter: `None` for NaN.
fn js_parse_int(s: &str) -> Option<f64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\u{b}', '\u{c}', '\u{a0}', '\u{feff}']);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let v: f64 = t[..digits].parse().ok()?;
    Some(if neg { -v } else { v })
}

/// §2.8: BFS from the user roots at distance 1, then from the root, with DevTools' JS filter.
fn distances(g: &HeapGraph<'_>, user_roots: &[NodeIdx], eph: &EphemeronNames) -> Vec<i32> {
    let n = g.node_count();
    let snap = g.snap;
    let names = snap.edge_names_or_indices();
    let mut dist = vec![NO_DISTANCE; n];
    // The "duplicated part" set shared by both phases: toggled per ephemeron edge.
    let mut pending = vec![false; eph.part_count()];
    let strings = snap.strings();
    // Node-level predicates of the filter, computed once.
    let is_native_context = |v: usize| {
        g.kind_at(v) == NodeKind::Hidden
            && snap.node(NodeIdx(v as u32)).name() == "system / NativeContext"
    };
    let is_map_descriptors = |v: usize| {
        g.kind_at(v) == NodeKind::Array
            && snap.node(NodeIdx(v as u32)).name() == "(map descriptors)"
    };
    let edge_name = |e: EdgeIdx| -> std::borrow::Cow<'_, str> {
        let k = g.edge_kind(e);
        let raw = names[e.index()];
        if k.has_string_name() {
            strings.get(heapsnap_format::StringIdx(raw)).unwrap_or("").into()
        } else {
            raw.to_string().into()
        }
    };
    let filter = |v: usize, e: EdgeIdx, pending: &mut [bool]| -> bool {
        if is_native_context(v) && edge_name(e) == "sloppy_function_map" {
            return false;
        }
        if is_map_descriptors(v) {
            return match js_parse_int(&edge_name(e)) {
                Some(i) => i < 2.0 || (i % 3.0) != 1.0,
                None => true,
            };
        }
        if g.edge_kind(e) == EdgeKind::Internal
            && let Some((part, _)) = eph.get(names[e.index()])
        {
            let p = &mut pending[part as usize];
            if !*p {
                *p = true;
                return false;
            }
            *p = false;
        }
        true
    };
    let mut queue: Vec<u32> = Vec::with_capacity(n);
    let bfs = |queue: &mut Vec<u32>, dist: &mut [i32], pending: &mut [bool]| {
        let mut head = 0;
        while head < queue.len() {
            let v = queue[head] as usize;
            head += 1;
            let d = dist[v] + 1;
            for (e, t) in g.edges(NodeIdx(v as u32)) {
                if g.edge_kind(e) == EdgeKind::Weak {
                    continue;
                }
                if dist[t.index()] != NO_DISTANCE {
                    continue;
                }
                if !filter(v, e, pending) {
                    continue;
                }
                dist[t.index()] = d;
                queue.push(t.0);
            }
        }
    };
    for &u in user_roots {
        dist[u.index()] = 1;
        queue.push(u.0);
    }
    bfs(&mut queue, &mut dist, &mut pending);
    let root = g.root();
    dist[root.index()] = if user_roots.is_empty() { 0 } else { BASE_SYSTEM_DISTANCE };
    queue.clear();
    queue.push(root.0);
    bfs(&mut queue, &mut dist, &mut pending);
    dist
}

#[cfg(test)]
mod tests {
    use heapsnap_format::NoProgress;

    use super::{Analysis, AnalysisOptions, ClassColumns, js_parse_int};
    use crate::HeapGraph;

    /// The columns without the graph search are the analysis's own, total size included (the
    /// root retains every node, unreachable ones too), on real heaps: a Node app with
    /// unreachable objects and user roots, a Chromium page with detached DOM (renamed nodes,
    /// page objects), the oldest and the newest layouts.
    #[test]
    fn class_columns_are_the_analysis_columns() {
        for (file, snap) in crate::real_heaps() {
            let g = HeapGraph::new(&snap);
            for opts in
                [AnalysisOptions::default(), AnalysisOptions::default().shallow_transfer(false)]
            {
                let a = Analysis::new(&g, &opts, &mut NoProgress);
                let c = ClassColumns::new(&g, &opts);
                assert_eq!(c.shallow, a.shallow, "{file}");
                assert_eq!(c.total_size, a.total_size, "{file}");
                assert_eq!(c.renamed_detached, a.renamed_detached, "{file}");
                assert_eq!(c.classes.of_node, a.classes.of_node, "{file}");
                let names = |k: &crate::Classes| -> Vec<(String, String)> {
                    k.classes.iter().map(|c| (c.key.clone(), c.name.clone())).collect()
                };
                assert_eq!(names(&c.classes), names(&a.classes), "{file}");
            }
        }
    }

    #[test]
    fn parse_int_like_js() {
        assert_eq!(js_parse_int("12"), Some(12.0));
        assert_eq!(js_parse_int(" 7abc"), Some(7.0));
        assert_eq!(js_parse_int("-4"), Some(-4.0));
        assert_eq!(js_parse_int("abc"), None);
        assert_eq!(js_parse_int(""), None);
    }
}
