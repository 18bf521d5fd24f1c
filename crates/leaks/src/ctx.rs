//! The last snapshot with everything the detectors share: the graph and DevTools' analysis,
//! shortest retaining paths, the dominator tree, source locations, interned names, and the
//! censuses of the earlier snapshots.

use std::collections::HashMap;

use heapsnap_format::{EdgeIdx, HeapSnapshot, NodeIdx, NodeKind};
use heapsnap_graph::{
    Analysis, DominatorTree, HeapGraph, NodeLocations, ShortestPathTree, node_locations,
};

use crate::LeakOptions;
use crate::census::Census;
use crate::shapes::{Names, Oddballs, edge_named, simple_class};

/// The snapshots before the last one, and whether ids can be matched across them.
#[derive(Debug)]
pub(crate) struct History<'a> {
    /// Earlier snapshots, oldest first.
    pub(crate) priors: &'a [Census],
    /// The last snapshot's own census.
    pub(crate) last: Census,
    /// Whether every consecutive pair of snapshots has comparable ids.
    pub(crate) comparable: bool,
}

impl History<'_> {
    /// Number of snapshots, the last included.
    pub(crate) fn len(&self) -> usize {
        self.priors.len() + 1
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

/// Everything about the last snapshot that detectors share.
pub(crate) struct Ctx<'a, 's> {
    pub(crate) g: &'a HeapGraph<'s>,
    pub(crate) snap: &'s HeapSnapshot,
    pub(crate) a: &'a Analysis,
    pub(crate) opts: &'a LeakOptions,
    pub(crate) spt: ShortestPathTree,
    pub(crate) dom: DominatorTree,
    pub(crate) loc: NodeLocations,
    pub(crate) names: Names,
    pub(crate) odd: Oddballs,
    pub(crate) hist: History<'a>,
}

impl<'a, 's> Ctx<'a, 's> {
    pub(crate) fn new(
        g: &'a HeapGraph<'s>,
        a: &'a Analysis,
        opts: &'a LeakOptions,
        hist: History<'a>,
    ) -> Ctx<'a, 's> {
        let snap = g.snapshot();
        let names = Names::new(snap);
        let odd = Oddballs::new(g, &names);
        Ctx {
            g,
            snap,
            a,
            opts,
            spt: ShortestPathTree::new(g),
            dom: DominatorTree::new(a),
            loc: node_locations(g),
            names,
            odd,
            hist,
        }
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
        self.spt.dist[v.index()] != u32::MAX
    }

    /// The target of `v`'s edge named `name` (one of the interned names).
    #[inline]
    pub(crate) fn edge(&self, v: NodeIdx, name: &str) -> Option<NodeIdx> {
        edge_named(self.g, v, self.names.get(name)).map(|(_, t)| t)
    }

    /// The edge itself.
    #[inline]
    pub(crate) fn edge_ref(&self, v: NodeIdx, name: &str) -> Option<(EdgeIdx, NodeIdx)> {
        edge_named(self.g, v, self.names.get(name))
    }

    /// The class name DevTools shows for `v`.
    pub(crate) fn class(&self, v: NodeIdx) -> &str {
        &self.a.classes.of(v).name
    }

    /// The analysis-free class name (see [`simple_class`]), comparable across snapshots.
    pub(crate) fn simple_class(&self, v: NodeIdx) -> String {
        let n = self.snap.node(v);
        simple_class(n.kind(), n.kind_name(), n.name()).into_owned()
    }

    /// The node's name as DevTools shows it (`Detached ` prefix included).
    pub(crate) fn display_name(&self, v: NodeIdx) -> String {
        self.a.node_name(self.snap, v).into_owned()
    }

    /// A function's name, script and 1-based position: `onData (app.js:12:5)`.
    pub(crate) fn closure_label(&self, f: NodeIdx) -> String {
        let name = self.name(f);
        let name = if name.is_empty() { "(anonymous)" } else { name };
        let script = self
            .edge(f, "shared")
            .and_then(|sh| self.edge(sh, "script_or_debug_info"))
            .map(|s| self.name(s))
            .filter(|s| !s.is_empty());
        match (self.loc.get(f), script) {
            (Some((_, line, col)), Some(script)) => {
                format!("{name} ({script}:{}:{})", line + 1, col + 1)
            }
            (Some((sid, line, col)), None) => {
                format!("{name} (script {sid}:{}:{})", line + 1, col + 1)
            }
            (None, Some(script)) => format!("{name} ({script})"),
            (None, None) => name.to_string(),
        }
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
            && let Some(l) = self.edge(state, "listener").filter(|&l| self.kind(l) == NodeKind::Closure)
        {
            return l;
        }
        f
    }

    /// Whether `v` is in the dominator subtree of `x` (walks up from `v`).
    pub(crate) fn dominated_by(&self, v: NodeIdx, x: NodeIdx) -> bool {
        let dom = &self.a.dominator;
        let mut u = v.0;
        for _ in 0..4_000_000 {
            if u == x.0 {
                return true;
            }
            let d = dom[u as usize];
            if d == u {
                return false;
            }
            u = d;
        }
        false
    }

    /// Retained size of a set of nodes without double counting: nodes dominated by another
    /// node of the set are not added again.
    pub(crate) fn retained_of(&self, nodes: &[NodeIdx]) -> u64 {
        self.top_level(nodes).iter().map(|v| self.a.retained[v.index()]).sum()
    }

    /// The nodes of a set that no other node of the set dominates (each once).
    pub(crate) fn top_level(&self, nodes: &[NodeIdx]) -> Vec<NodeIdx> {
        let set: std::collections::HashSet<u32> = nodes.iter().map(|v| v.0).collect();
        let dom = &self.a.dominator;
        // Whether a node or one of its dominators is in the set, for nodes seen on the way up.
        let mut memo: HashMap<u32, bool> = HashMap::new();
        let mut chain: Vec<u32> = Vec::new();
        let mut out = Vec::new();
        let mut done: std::collections::HashSet<u32> = std::collections::HashSet::new();
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
                if let Some(&m) = memo.get(&d) {
                    found = m;
                    break;
                }
                chain.push(d);
                if set.contains(&d) {
                    found = true;
                    break;
                }
                u = d;
            }
            // Every node walked gets the answer found above it (the walk stops at the first
            // set member or at the root).
            for &c in &chain {
                memo.insert(c, found);
            }
            if !found {
                out.push(v);
            }
        }
        out
    }
}
