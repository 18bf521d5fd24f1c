//! The last snapshot with everything the detectors share: the graph and DevTools' analysis,
//! shortest retaining paths, the dominator tree, source locations, interned names, and the
//! censuses of the earlier snapshots.

use std::collections::HashMap;

use heapsnap_format::{HeapSnapshot, NodeIdx, NodeKind};
use heapsnap_graph::{Analysis, HeapGraph, NodeLocations, PathFinder, closure_label};

use crate::LeakOptions;
use crate::census::Census;
use crate::matching::Matching;
use crate::shapes::{Names, Oddballs, edge_named, simple_class};

/// Path penalty from which an object counts as held only by runtime internals: a runtime
/// internal on its path (an engine object, an internal edge, a timer list, Node's builtin
/// module table; see `heapsnap_graph::path`'s ranking). Less is not enough: a hidden edge
/// costs 2 and starting at an active handle 1, and V8 gives the variables of a block scope's
/// context hidden edges (seen with V8 11.3: only declaration contexts' slots are named), so the
/// objects of a program's `if (...) { const jobs = []; ... }` would be held "only by internals".
pub(crate) const RUNTIME_ONLY: u32 = 4;

/// The snapshots before the last one, and whether ids can be matched across them.
#[derive(Debug)]
pub(crate) struct History<'a> {
    /// Earlier snapshots, oldest first.
    pub(crate) priors: &'a [Census],
    /// The last snapshot's own census.
    pub(crate) last: Census,
    /// Whether every consecutive pair of snapshots has comparable ids.
    pub(crate) comparable: bool,
    /// The last snapshot's collections with at least one entry: (node, entries), by node.
    pub(crate) last_collections: Vec<(u32, u32)>,
    /// When ids are not comparable and the earlier censuses have structural keys: the last
    /// snapshot's objects matched to them by structure.
    pub(crate) matching: Option<Matching>,
}

impl History<'_> {
    /// Number of snapshots, the last included.
    pub(crate) fn len(&self) -> usize {
        self.priors.len() + 1
    }

    /// Whether objects of the last snapshot can be followed into the earlier ones: by id, or
    /// by structure. (Otherwise only class counts compare.)
    pub(crate) fn matched(&self) -> bool {
        self.comparable || self.matching.is_some()
    }

    /// Whether object `v` (id `id`) of the last snapshot was in earlier snapshot `p`: by id
    /// when ids are comparable, by structure when they are matched so, else never.
    #[inline]
    pub(crate) fn present(&self, p: usize, v: NodeIdx, id: u32) -> bool {
        if self.comparable {
            return self.priors.get(p).is_some_and(|c| c.contains(id));
        }
        self.matching.as_ref().is_some_and(|m| m.present(p, v))
    }

    /// The entry count of collection `v` (id `id`, `size` entries now) in every snapshot,
    /// oldest first (`None` where it did not exist), when objects are matched.
    pub(crate) fn collection_series(
        &self,
        v: NodeIdx,
        id: u32,
        size: u32,
    ) -> Option<Vec<Option<u64>>> {
        let mut s: Vec<Option<u64>> = if self.comparable {
            self.priors.iter().map(|c| c.collection_size(id).map(u64::from)).collect()
        } else {
            let sizes = self.matching.as_ref()?.collection_sizes(v)?;
            sizes.iter().map(|x| x.map(u64::from)).collect()
        };
        s.push(Some(u64::from(size)));
        Some(s)
    }

    /// Class counts of `class` in every snapshot, oldest first.
    pub(crate) fn class_series(&self, class: &str) -> Vec<u64> {
        self.priors
            .iter()
            .chain(std::iter::once(&self.last))
            .map(|c| c.class_count(class))
            .collect()
    }
}

/// The parts of a [`Ctx`] that take time to build (each is one pass over the graph; they are
/// built on two threads).
pub(crate) struct CtxParts<'a, 's> {
    /// The chosen paths, unless the caller gave them.
    paths: Option<PathFinder<'a, 's>>,
    loc: &'a NodeLocations,
    names: Names,
    odd: Oddballs,
}

impl<'a, 's> CtxParts<'a, 's> {
    /// The paths built here (none when the caller gave them).
    pub(crate) fn take_paths(&mut self) -> Option<PathFinder<'a, 's>> {
        self.paths.take()
    }

    pub(crate) fn new(
        g: &'a HeapGraph<'s>,
        a: &'a Analysis,
        mode: Option<heapsnap_graph::PathMode>,
    ) -> CtxParts<'a, 's> {
        let ((paths, ()), (loc, (names, odd))) = rayon::join(
            || rayon::join(|| mode.map(|m| PathFinder::new(g, a, m)), || g.build_retainers()),
            || {
                rayon::join(
                    || g.locations(),
                    || {
                        let names = Names::new(g.snapshot(), true);
                        let odd = Oddballs::new(g, &names);
                        (names, odd)
                    },
                )
            },
        );
        CtxParts { paths, loc, names, odd }
    }
}

/// Everything about the last snapshot that detectors share.
pub(crate) struct Ctx<'a, 's> {
    pub(crate) g: &'a HeapGraph<'s>,
    pub(crate) snap: &'s HeapSnapshot,
    pub(crate) a: &'a Analysis,
    pub(crate) opts: &'a LeakOptions,
    /// The chosen retaining paths.
    pub(crate) paths: &'a PathFinder<'a, 's>,
    pub(crate) loc: &'a NodeLocations,
    pub(crate) names: Names,
    pub(crate) odd: Oddballs,
    pub(crate) hist: History<'a>,
}

impl<'a, 's> Ctx<'a, 's> {
    pub(crate) fn assemble(
        g: &'a HeapGraph<'s>,
        a: &'a Analysis,
        opts: &'a LeakOptions,
        hist: History<'a>,
        paths: &'a PathFinder<'a, 's>,
        parts: CtxParts<'a, 's>,
    ) -> Ctx<'a, 's> {
        let CtxParts { paths: _, loc, names, odd } = parts;
        Ctx { g, snap: g.snapshot(), a, opts, paths, loc, names, odd, hist }
    }

    /// Node count of the last snapshot.
    pub(crate) fn n(&self) -> usize {
        self.snap.node_count()
    }

    #[inline]
    pub(crate) fn kind(&self, v: NodeIdx) -> NodeKind {
        self.g.node_kind(v)
    }

    #[inline]
    pub(crate) fn name(&self, v: NodeIdx) -> &'s str {
        self.snap.node(v).name()
    }

    #[inline]
    pub(crate) fn id(&self, v: NodeIdx) -> u32 {
        self.snap.node_ids()[v.index()]
    }

    /// Whether a path from the root retains `v` (not weakly held, not unreachable).
    #[inline]
    pub(crate) fn reachable(&self, v: NodeIdx) -> bool {
        self.paths.is_retained(v)
    }

    /// Orders objects by their chosen paths: through no internals first, then fewest links.
    #[inline]
    pub(crate) fn path_rank(&self, v: NodeIdx) -> (u32, u32) {
        self.paths.cost(v).map_or((u32::MAX, u32::MAX), |c| (c.penalty, c.links))
    }

    /// Whether `v` is the runtime's own lazily created machinery rather than the program's:
    /// held only through runtime internals (a runtime internal on its best path: builtin
    /// modules loaded on first use, V8's template and feedback caches), or the list of
    /// builtin modules Node has loaded (`process.moduleLoadList`).
    pub(crate) fn runtime_machinery(&self, v: NodeIdx) -> bool {
        self.path_rank(v).0 >= RUNTIME_ONLY
            || self.signature_of(v).is_some_and(|s| s.ends_with(".moduleLoadList"))
    }

    /// The signature of `v`'s chosen path (`None` when nothing retains it).
    pub(crate) fn signature_of(&self, v: NodeIdx) -> Option<String> {
        self.paths.signature_of(v)
    }

    /// The target of `v`'s edge named `name` (one of the interned names).
    #[inline]
    pub(crate) fn edge(&self, v: NodeIdx, name: &str) -> Option<NodeIdx> {
        edge_named(self.g, v, self.names.get(name)).map(|(_, t)| t)
    }

    /// The class name DevTools shows for `v`.
    pub(crate) fn class(&self, v: NodeIdx) -> &str {
        &self.a.classes.of(v).name
    }

    /// The class a finding shows for `v`: DevTools' class name (with its interface names for
    /// plain objects, `{host, user-agent, accept}`, as `heapsnap diff` shows them), except
    /// closures, which are named by their function: `onData()` (DevTools' class `Function`
    /// would not tell them apart; `diff` breaks its `Function` row down by function too).
    pub(crate) fn display_class(&self, v: NodeIdx) -> String {
        match self.kind(v) {
            NodeKind::Closure => self.simple_class(v),
            _ => self.class(v).to_string(),
        }
    }

    /// What a value is, as a JavaScript programmer would say it: `string` for every kind of
    /// string (flat, concatenated or sliced: whether V8 flattened it is not the program's
    /// business), `number`, `symbol`, `bigint`, `boolean`, `null`, `undefined`, otherwise its
    /// [`display_class`](Ctx::display_class).
    pub(crate) fn value_type(&self, v: NodeIdx) -> String {
        match self.kind(v) {
            NodeKind::String | NodeKind::ConsString | NodeKind::SlicedString => "string".into(),
            NodeKind::Number => "number".into(),
            NodeKind::Symbol => "symbol".into(),
            NodeKind::BigInt => "bigint".into(),
            _ => match self.odd.type_name(v) {
                Some(t) => t.into(),
                None => self.display_class(v),
            },
        }
    }

    /// The analysis-free class name (see [`simple_class`]), comparable across snapshots.
    pub(crate) fn simple_class(&self, v: NodeIdx) -> String {
        let n = self.snap.node(v);
        simple_class(n.kind(), n.kind_name(), n.name()).into_owned()
    }

    /// A function's name, script and 1-based position: `onData (app.js:12:5)`.
    pub(crate) fn closure_label(&self, f: NodeIdx) -> String {
        closure_label(self.g, self.loc, f)
    }

    /// What identifies a function across its closures: its SharedFunctionInfo, or the closure
    /// itself.
    pub(crate) fn function_key(&self, f: NodeIdx) -> u32 {
        self.edge(f, "shared").unwrap_or(f).0
    }

    /// The user function behind a listener: `once()` wrappers are bound functions whose
    /// `bound_this` state object (or the wrapper itself) has a `listener` property.
    pub(crate) fn unwrap_listener(&self, f: NodeIdx) -> NodeIdx {
        if let Some(l) = self.edge(f, "listener").filter(|&l| self.kind(l) == NodeKind::Closure) {
            return l;
        }
        if let Some(state) = self.edge(f, "bound_this")
            && let Some(l) =
                self.edge(state, "listener").filter(|&l| self.kind(l) == NodeKind::Closure)
        {
            return l;
        }
        f
    }

    /// Retained size of a set of nodes without double counting: nodes dominated by another
    /// node of the set are not added again.
    pub(crate) fn retained_of(&self, nodes: &[NodeIdx]) -> u64 {
        self.top_level(nodes).iter().map(|v| self.a.retained[v.index()]).sum()
    }

    /// The nodes of a set that no other node of the set dominates (each once).
    pub(crate) fn top_level(&self, nodes: &[NodeIdx]) -> Vec<NodeIdx> {
        let n = self.n();
        let mut set = NodeSet::new(n, nodes.len());
        for &v in nodes {
            set.insert(v.0);
        }
        let dom = self.a.dominators();
        // Whether a node or one of its dominators is in the set, for nodes seen on the way up.
        let mut memo = Memo::new(n, nodes.len());
        let mut chain: Vec<u32> = Vec::new();
        let mut out = Vec::new();
        let mut done = NodeSet::new(n, nodes.len());
        for &v in nodes {
            if !done.insert(v.0) {
                continue;
            }
            chain.clear();
            let mut u = v.0;
            let mut found = false;
            loop {
                let d = dom[u as usize];
                if d == u {
                    break;
                }
                if let Some(m) = memo.get(d) {
                    found = m;
                    break;
                }
                chain.push(d);
                if set.contains(d) {
                    found = true;
                    break;
                }
                u = d;
            }
            // Every node walked gets the answer found above it (the walk stops at the first
            // set member or at the root).
            for &c in &chain {
                memo.set(c, found);
            }
            if !found {
                out.push(v);
            }
        }
        out
    }
}

/// A set of nodes: hashed when small, a bit per node when large.
pub(crate) enum NodeSet {
    Sparse(std::collections::HashSet<u32, crate::shapes::FxBuild>),
    Dense(Vec<bool>),
}

impl NodeSet {
    /// A set for about `expected` of `n` nodes.
    pub(crate) fn new(n: usize, expected: usize) -> NodeSet {
        if expected > n / 64 && expected > 4096 {
            NodeSet::Dense(vec![false; n])
        } else {
            NodeSet::Sparse(std::collections::HashSet::default())
        }
    }

    /// Inserts; whether it was new.
    #[inline]
    pub(crate) fn insert(&mut self, v: u32) -> bool {
        match self {
            NodeSet::Sparse(s) => s.insert(v),
            NodeSet::Dense(d) => !std::mem::replace(&mut d[v as usize], true),
        }
    }

    #[inline]
    pub(crate) fn contains(&self, v: u32) -> bool {
        match self {
            NodeSet::Sparse(s) => s.contains(&v),
            NodeSet::Dense(d) => d[v as usize],
        }
    }
}

/// Answers memoized per node during walks up the dominator tree.
pub(crate) enum Memo {
    Sparse(HashMap<u32, bool, crate::shapes::FxBuild>),
    /// 0 unknown, 1 false, 2 true.
    Dense(Vec<u8>),
}

impl Memo {
    /// A memo for walks from about `expected` of `n` nodes.
    pub(crate) fn new(n: usize, expected: usize) -> Memo {
        if expected > n / 64 && expected > 4096 {
            Memo::Dense(vec![0; n])
        } else {
            Memo::Sparse(HashMap::default())
        }
    }

    #[inline]
    pub(crate) fn get(&self, v: u32) -> Option<bool> {
        match self {
            Memo::Sparse(m) => m.get(&v).copied(),
            Memo::Dense(d) => match d[v as usize] {
                0 => None,
                x => Some(x == 2),
            },
        }
    }

    #[inline]
    pub(crate) fn set(&mut self, v: u32, b: bool) {
        match self {
            Memo::Sparse(m) => {
                m.insert(v, b);
            }
            Memo::Dense(d) => d[v as usize] = if b { 2 } else { 1 },
        }
    }
}
