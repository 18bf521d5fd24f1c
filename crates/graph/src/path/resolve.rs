//! [`PathFinder`]: the chosen paths of one snapshot, resolved into [`Holder`]s that carry
//! everything a report prints (text, signature, steps) and serialize without the graph.

use heapsnap_format::{EdgeIdx, EdgeKind, NodeIdx};
use serde::Serialize;

use super::edge::{EdgeStyle, push_edge};
use super::policy::{PathMode, RootKind, root_kind};
use super::scopes::{ROLE_MODULE, ROLE_RUNTIME, ROLE_SCRIPT};
use super::search::{PathOptions, retainer_paths};
use super::text::{Runs, collapse_runs, start_label};
use super::{PathCost, PathTree, RetainerPath};
use crate::analysis::Analysis;
use crate::graph::HeapGraph;

/// Where a path starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Origin {
    /// A global object (`global`, `Window`) or the document's DOM trees.
    Global,
    /// The top-level scope of one of the application's modules (`server.js: userCache`).
    ModuleScope,
    /// A page's script scope (top-level `let`, `const`, `class` of classic scripts).
    ScriptScope,
    /// An active handle: an open socket or server, a file handle, a message port.
    Handle,
    /// `(GC roots)` or another root of the engine or the embedder.
    GcRoot,
}

/// One step of a path: the edge that leads to a node (none for the first), and the node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The edge as written in path text (`.name`, `[3]`, `->variable`, `{internal}`); `None`
    /// for the node the path starts at.
    pub edge: Option<String>,
    /// The node the edge leads to.
    pub node: StepNode,
}

/// A node of a [`Step`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepNode {
    /// V8's object id.
    pub id: u32,
    /// The node's name as DevTools shows it (with `Detached ` where it applies).
    pub name: String,
    /// Its class as DevTools names it.
    pub class: String,
}

/// A retaining path, resolved: what every report prints about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Holder {
    /// The path as text, with repeated runs written once with their count:
    /// `server.js: sessions{table}{17}`, `global.clearImmediate{context}->timerListMap[60000](._idleNext)×57`.
    pub text: String,
    /// The path with element indices, slot numbers and run lengths replaced by `*`: equal for
    /// every object held the same way.
    pub signature: String,
    /// Where the path starts.
    pub origin: Origin,
    /// For a module or script scope: its script, as the snapshot names it (a path or URL).
    pub script: Option<String>,
    /// When the path passes through runtime internals (and, in [`PathMode::User`], no other
    /// path exists): what holds the object, in words ("held only by Node's timer list: an
    /// interval nobody cleared").
    pub note: Option<String>,
    /// The path, node by node, from its start.
    pub steps: Vec<Step>,
    /// The path (positions in the snapshot).
    #[serde(skip)]
    pub path: RetainerPath,
}

/// The chosen retaining paths of one snapshot: a [`PathTree`] with the graph and analysis
/// it belongs to, to resolve paths into [`Holder`]s.
#[derive(Debug)]
pub struct PathFinder<'a, 's> {
    g: &'a HeapGraph<'s>,
    a: &'a Analysis,
    tree: PathTree,
}

impl<'a, 's> PathFinder<'a, 's> {
    /// Chooses the paths of every retained object (one [`PathTree`] search).
    ///
    /// # Panics
    /// If `a` is not the analysis of `g`'s snapshot ([`try_new`](Self::try_new) returns the
    /// error instead).
    pub fn new(g: &'a HeapGraph<'s>, a: &'a Analysis, mode: PathMode) -> Self {
        match Self::try_new(g, a, mode) {
            Ok(f) => f,
            Err(e) => panic!("PathFinder::new: {e}"),
        }
    }

    /// [`new`](Self::new), or [`Mismatch`](crate::Mismatch) when `a` is not the analysis of
    /// `g`'s snapshot.
    ///
    /// # Errors
    /// [`Mismatch`](crate::Mismatch) when the node or edge counts differ.
    pub fn try_new(
        g: &'a HeapGraph<'s>,
        a: &'a Analysis,
        mode: PathMode,
    ) -> Result<Self, crate::Mismatch> {
        a.check(g)?;
        Ok(PathFinder { g, a, tree: PathTree::new(g, a, mode) })
    }

    /// A finder over a tree already built ([`PathTree::new`] or
    /// [`PathTree::from_distances`] of `g` and `a`'s distances; see
    /// [`Analysis::with_side_work`]).
    ///
    /// # Errors
    /// [`Mismatch`](crate::Mismatch) when `a` is not the analysis of `g`'s snapshot, or the
    /// tree is not of `g` (its node count differs).
    pub fn with_tree(
        g: &'a HeapGraph<'s>,
        a: &'a Analysis,
        tree: PathTree,
    ) -> Result<Self, crate::Mismatch> {
        a.check(g)?;
        tree.check(g)?;
        Ok(PathFinder { g, a, tree })
    }

    /// The graph.
    pub fn graph(&self) -> &'a HeapGraph<'s> {
        self.g
    }

    /// The analysis.
    pub fn analysis(&self) -> &'a Analysis {
        self.a
    }

    /// The tree of chosen paths.
    pub fn tree(&self) -> &PathTree {
        &self.tree
    }

    /// Whether a path retains `v`.
    #[inline]
    pub fn is_retained(&self, v: NodeIdx) -> bool {
        self.tree.is_retained(v)
    }

    /// The cost of `v`'s chosen path.
    #[inline]
    pub fn cost(&self, v: NodeIdx) -> Option<PathCost> {
        self.tree.cost(v)
    }

    /// `v`'s chosen path.
    pub fn path_to(&self, v: NodeIdx) -> Option<RetainerPath> {
        self.tree.path_to(self.g, v)
    }

    /// Up to `opts.max_paths` paths of `v`, best first ([`retainer_paths`]).
    pub fn paths(&self, v: NodeIdx, opts: &PathOptions) -> Vec<RetainerPath> {
        retainer_paths(self.g, &self.tree, v, opts)
    }

    /// The signature of `v`'s chosen path (`None` when nothing retains it).
    pub fn signature_of(&self, v: NodeIdx) -> Option<String> {
        self.path_to(v).map(|p| self.text(&p, EdgeStyle::Generic))
    }

    /// The text of `v`'s chosen path, exactly as `heapsnap retainers`, `leaks` and `diff`
    /// print it (`server.js: sessions{table}{17}`); `None` when nothing retains `v`. The same
    /// as [`holder_of`](Self::holder_of)`(v)`'s [`Holder::text`], without resolving the steps.
    pub fn path_text(&self, v: NodeIdx) -> Option<String> {
        self.path_to(v).map(|p| self.text(&p, EdgeStyle::Exact))
    }

    /// Where a path starting at `v` starts.
    pub fn origin(&self, v: NodeIdx) -> Origin {
        match self.tree.scopes_ref().role(v) {
            ROLE_MODULE => return Origin::ModuleScope,
            ROLE_SCRIPT => return Origin::ScriptScope,
            _ => {}
        }
        match root_kind(self.g, v) {
            RootKind::User => Origin::Global,
            RootKind::Handle => Origin::Handle,
            RootKind::System => Origin::GcRoot,
        }
    }

    /// The path as text ([`EdgeStyle::Exact`]) or as a signature ([`EdgeStyle::Generic`]):
    /// the one writer of path text, used by every report and the CLI (see the notation in the
    /// [module docs](crate::path)).
    pub fn text(&self, path: &RetainerPath, style: EdgeStyle) -> String {
        let g = self.g;
        let Some(&first) = path.nodes.first() else {
            return String::new();
        };
        let edges = &path.edges[..];
        let (mut out, skip) = self.head_text(first, &edges[..edges.len().min(2)]);
        let mut segs: Vec<String> = Vec::with_capacity(edges.len());
        for (i, &e) in edges.iter().enumerate().skip(skip) {
            if self.is_cell_value(path.nodes[i], e) {
                continue;
            }
            let mut s = String::new();
            push_edge(&mut s, g, e, style);
            segs.push(s);
        }
        let runs = if style == EdgeStyle::Generic { Runs::Any } else { Runs::Count };
        out.push_str(&collapse_runs(&segs, runs));
        out
    }

    /// How a path that starts at `first` with the links `edges` (its first two, or fewer)
    /// begins: the start's name (`global`, `server.js: userCache`), and how many of the links
    /// that name takes in (0 to 2).
    pub(crate) fn head_text(&self, first: NodeIdx, edges: &[EdgeIdx]) -> (String, usize) {
        let g = self.g;
        let snap = g.snapshot();
        // Newer V8 roots user paths at the native context: start at its global object.
        let (start, mut skip) = match edges.first() {
            Some(&e)
                if snap.node(first).name().starts_with("system / NativeContext")
                    && snap.edge(e).name_str() == Some("global_object") =>
            {
                (g.edge_target(e), 1)
            }
            // Newer Chromium keeps a script scope's `this` (the window's global proxy), and a
            // path through it to the global object is the window's: `Window(file://).x`,
            // not `Window(file://) / script: this.global_object.x`.
            Some(&e)
                if g.edge_kind(e) == EdgeKind::Context
                    && snap.edge(e).name_str() == Some("this")
                    && self.origin(first) == Origin::ScriptScope
                    && edges.get(1).is_some_and(|&e2| {
                        snap.edge(e2).name_str() == Some("global_object")
                            && snap.node(g.edge_target(e2)).name().contains("[JSGlobalObject]")
                    }) =>
            {
                return (start_label(g, g.edge_target(edges[1])), 2);
            }
            _ => (first, 0),
        };
        let mut out = String::new();
        let scope_label = match self.origin(start) {
            Origin::ModuleScope => Some(self.script_label(start)),
            Origin::ScriptScope => {
                let window = self
                    .tree
                    .scopes_ref()
                    .global_of(start)
                    .map(|w| start_label(g, w))
                    .unwrap_or_else(|| "global".to_string());
                Some(format!("{window} / {}", self.script_label(start)))
            }
            _ => None,
        };
        match scope_label {
            Some(label) => {
                out.push_str(&label);
                match edges.get(skip) {
                    Some(&e) if g.edge_kind(e) == EdgeKind::Context => {
                        out.push_str(": ");
                        out.push_str(snap.edge(e).name_str().unwrap_or(""));
                        skip += 1;
                    }
                    _ => out.push_str(" (module scope)"),
                }
            }
            None => out.push_str(&start_label(g, start)),
        }
        (out, skip)
    }

    /// A variable's cell (newer V8 keeps some top-level variables in a `system / ContextCell`):
    /// its value edge adds nothing to the text.
    pub(crate) fn is_cell_value(&self, from: NodeIdx, e: EdgeIdx) -> bool {
        self.g.edge_kind(e) == EdgeKind::Hidden
            && self.g.snapshot().node(from).name() == "system / ContextCell"
    }

    /// A module or script scope's display name (`server.js`), or `script` when unknown.
    fn script_label(&self, v: NodeIdx) -> String {
        match self.tree.scopes_ref().script(self.g, v) {
            Some((_, label)) => label.to_string(),
            None => "script".to_string(),
        }
    }

    /// Resolves a path.
    pub fn holder(&self, path: RetainerPath) -> Holder {
        let g = self.g;
        let snap = g.snapshot();
        let start = path.nodes.first().copied().unwrap_or(g.root());
        let steps = path
            .nodes
            .iter()
            .enumerate()
            .map(|(i, &v)| Step {
                edge: (i > 0).then(|| {
                    let mut s = String::new();
                    push_edge(&mut s, g, path.edges[i - 1], EdgeStyle::Exact);
                    s
                }),
                node: StepNode {
                    id: snap.node(v).id().0,
                    name: self.a.node_name(snap, v).into_owned(),
                    class: self.a.classes.of(v).name.clone(),
                },
            })
            .collect();
        let origin = self.origin(start);
        let script = match origin {
            Origin::ModuleScope | Origin::ScriptScope => {
                self.tree.scopes_ref().script(g, start).map(|(full, _)| full.to_string())
            }
            _ => None,
        };
        Holder {
            text: self.text(&path, EdgeStyle::Exact),
            signature: self.text(&path, EdgeStyle::Generic),
            origin,
            script,
            note: self.note(&path, origin),
            steps,
            path,
        }
    }

    /// `v`'s chosen path, resolved.
    pub fn holder_of(&self, v: NodeIdx) -> Option<Holder> {
        self.path_to(v).map(|p| self.holder(p))
    }

    /// The penalty of each link of `path` under the user ranking.
    fn penalties(&self, path: &RetainerPath) -> Vec<u32> {
        path.edges
            .iter()
            .enumerate()
            .map(|(i, &e)| self.tree.policy.penalty(self.g, path.nodes[i], e, path.nodes[i + 1]))
            .collect()
    }

    /// The penalty of a whole path: where it starts, and the internals it passes through (0
    /// in [`PathMode::Shortest`], which ranks by length alone).
    pub(crate) fn penalty(&self, path: &RetainerPath) -> u32 {
        let start = path.nodes.first().and_then(|&v| self.tree.start_key(self.g, v));
        let start = start.map_or(0, |k| (k >> 32) as u32);
        start + self.penalties(path).iter().sum::<u32>()
    }

    /// What holds the object, in words, when its path passes through runtime internals (in
    /// [`PathMode::User`] only: there, no better path exists).
    fn note(&self, path: &RetainerPath, origin: Origin) -> Option<String> {
        if self.tree.mode != PathMode::User {
            return None;
        }
        let g = self.g;
        let snap = g.snapshot();
        let scopes = self.tree.scopes_ref();
        let penalties = self.penalties(path);
        let start = *path.nodes.first()?;
        let internal =
            penalties.iter().any(|&p| p > 0) || matches!(origin, Origin::Handle | Origin::GcRoot);
        if !internal {
            return None;
        }
        let name = |e: EdgeIdx| snap.edge(e).name_str().unwrap_or("");
        // Node's timer lists.
        if let Some(i) = path.edges.iter().rposition(|&e| {
            matches!(name(e), "_idleNext" | "_idlePrev" | "timerListMap" | "timerListQueue")
        }) {
            let timer =
                path.nodes[i + 1..].iter().copied().find(|&v| snap.node(v).name() == "Timeout");
            let what = match timer.map(|t| self.is_interval(t)) {
                Some(true) => ": an interval nobody cleared",
                Some(false) => ": a timeout that has not fired yet",
                None => "",
            };
            return Some(format!("held only by Node's timer list{what}"));
        }
        if path.edges.iter().any(|&e| name(e) == "immediateQueue") {
            return Some(
                "held only by Node's immediate queue: a setImmediate callback that has not run"
                    .to_string(),
            );
        }
        if let Some(&v) = path.nodes.iter().find(|&&v| scopes.role(v) == ROLE_RUNTIME) {
            let script = scopes.script(g, v).map(|(full, _)| full).unwrap_or("the runtime");
            return Some(format!("held only by Node's internals ({script})"));
        }
        match origin {
            Origin::Handle => {
                return Some(format!(
                    "held only by an active handle ({}): it lives until it is closed",
                    snap.node(start).name()
                ));
            }
            Origin::GcRoot => {
                // Name the most specific root: the last synthetic node from the start.
                let root = path
                    .nodes
                    .iter()
                    .take_while(|&&v| g.node_kind(v) == heapsnap_format::NodeKind::Synthetic)
                    .last()
                    .copied()
                    .unwrap_or(start);
                return Some(format!("held only by a GC root ({})", start_label(g, root)));
            }
            _ => {}
        }
        let i = penalties.iter().position(|&p| p > 0)?;
        let mut edge = String::new();
        push_edge(&mut edge, g, path.edges[i], EdgeStyle::Exact);
        Some(format!(
            "held only through V8 internals ({edge} of {})",
            self.a.classes.of(path.nodes[i]).name
        ))
    }

    /// Whether a `Timeout` repeats: `_repeat` is a number (a small integer has no edge at
    /// all without numeric values), `null` for a one-off timeout.
    fn is_interval(&self, t: NodeIdx) -> bool {
        let snap = self.g.snapshot();
        match snap.node(t).edges().find(|e| e.name_str() == Some("_repeat")) {
            None => true,
            Some(e) => snap.node(e.to()).name() != "system / Oddball",
        }
    }
}
