//! What a step of a path costs: the ranking rule of the [module docs](crate::path) as
//! numbers.
//!
//! A path's cost is a pair compared in order: first the sum of its *penalties* (runtime
//! internals it passes through), then its number of links. Penalties are small integers
//! ([`INTERNAL`] for a runtime internal, [`HANDLE`] for starting at an active handle), so a
//! path through no internal is always chosen over one through any, however long.

use heapsnap_format::{EdgeIdx, EdgeKind, NodeIdx, NodeKind};

use super::edge::is_numeric;
use super::scopes::{ROLE_RUNTIME, Scopes, is_context_name};
use crate::graph::HeapGraph;
use crate::weakmap;

/// Which retaining path to show for an object.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathMode {
    /// The path a person can act on: through the application's own roots (a module's
    /// top-level scope, a page's scripts, globals, the objects they hold), avoiding runtime
    /// internals whenever such a path exists (see the [module docs](crate::path)).
    #[default]
    User,
    /// DevTools' shortest path: fewest links, from the global object first, then from the GC
    /// roots.
    Shortest,
}

/// Penalty of a runtime internal on the path (engine objects, timer lists, runtime modules).
pub(crate) const INTERNAL: u32 = 4;
/// Penalty of a hidden (numbered internal) edge outside a variable's cell.
const HIDDEN: u32 = 2;
/// Penalty of starting at an active handle rather than at the application's own objects.
pub(crate) const HANDLE: u32 = 1;
/// Penalty of starting at `(GC roots)` or another engine or embedder root: the last resort,
/// after any path from the program's own roots, even one through a few internals.
pub(crate) const SYSTEM_ROOT: u32 = 4 * INTERNAL;
/// Tiers above this are all one (paths that deep in internals are not ranked further).
pub(crate) const MAX_TIER: u32 = 4095;

/// Per string: an internal edge name that is part of the object's JS meaning (a closure's
/// context, a collection's table, a bound function's target...).
const S_FREE: u8 = 1;
/// Per string: a link of Node's timer lists.
const S_TIMER: u8 = 2;
/// Per string: `map` (the builtin module table is `BuiltinModule.map`).
const S_MAP: u8 = 4;
/// Per string: the name of an engine object (`system / Map`; newer V8 types them `native`),
/// other than a context.
const S_SYSTEM: u8 = 8;

/// How a root child starts a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RootKind {
    /// A global object (`global`, `Window`) or the document's DOM trees.
    User,
    /// An active libuv handle or other resource Node keeps open (`Node / TCPSocketWrap`).
    Handle,
    /// `(GC roots)` and the embedder's own roots.
    System,
}

/// [`Policy::node_class`]: entering the node costs nothing.
pub(crate) const NODE_FREE: u8 = 0;
/// [`Policy::node_class`]: the node is a runtime internal.
pub(crate) const NODE_INTERNAL: u8 = 1;
/// [`Policy::node_class`]: a module or script scope, where paths start.
pub(crate) const NODE_SCOPE: u8 = 2;

/// The cost rule, with the per-string and per-node facts it needs, computed once so that the
/// search reads one byte per edge target.
#[derive(Debug)]
pub(crate) struct Policy {
    pub(crate) mode: PathMode,
    /// `S_*` per string (empty in [`PathMode::Shortest`]).
    strings: Vec<u8>,
    /// `NODE_*` per node (empty in [`PathMode::Shortest`]).
    node: Vec<u8>,
    cell: u32,
    builtin_module: u32,
}

impl Policy {
    pub(crate) fn new(g: &HeapGraph<'_>, mode: PathMode, scopes: Option<&Scopes>) -> Policy {
        let mut cell = u32::MAX;
        let mut builtin_module = u32::MAX;
        let mut strings = Vec::new();
        let mut node = Vec::new();
        if mode == PathMode::User {
            let all = g.snapshot().strings();
            strings = vec![0u8; all.len()];
            for (i, s) in all.iter().enumerate() {
                strings[i] = match s {
                    "system / ContextCell" => {
                        cell = i as u32;
                        0
                    }
                    "BuiltinModule" => {
                        builtin_module = i as u32;
                        0
                    }
                    "context"
                    | "table"
                    | "value"
                    | "target"
                    | "global_object"
                    | "handler"
                    | "function"
                    | "receiver"
                    | "parameters_and_registers"
                    | "native_to_javascript"
                    | "reactions"
                    | "fulfill_handler"
                    | "reject_handler"
                    | "promise_or_capability"
                    | "promise"
                    | "next"
                    | "reactions_or_result" => S_FREE,
                    "_idleNext" | "_idlePrev" | "timerListMap" | "timerListQueue"
                    | "immediateQueue" => S_TIMER,
                    "map" => S_MAP,
                    _ if s.starts_with("system / ") && !is_context_name(s) => S_SYSTEM,
                    _ if s.starts_with("bound_") || is_numeric(s) => S_FREE,
                    _ if weakmap::is_ephemeron_name(s) => S_FREE,
                    _ => 0,
                };
            }
            let names = g.snapshot().node_names();
            node = (0..g.node_count())
                .map(|i| {
                    let v = NodeIdx(i as u32);
                    let name = names[i];
                    let internal = match g.kind_at(i) {
                        NodeKind::Code | NodeKind::ObjectShape | NodeKind::Synthetic => true,
                        NodeKind::Hidden => name != cell,
                        NodeKind::Native => strings[name as usize] & S_SYSTEM != 0,
                        NodeKind::Object => scopes.is_some_and(|s| s.role(v) == ROLE_RUNTIME),
                        _ => false,
                    };
                    if scopes.is_some_and(|s| s.is_scope_start(v)) {
                        NODE_SCOPE
                    } else if internal {
                        NODE_INTERNAL
                    } else {
                        NODE_FREE
                    }
                })
                .collect();
        }
        Policy { mode, strings, node, cell, builtin_module }
    }

    /// `NODE_*` of `v` (always [`NODE_FREE`] in [`PathMode::Shortest`]).
    #[inline]
    pub(crate) fn node_class(&self, v: NodeIdx) -> u8 {
        self.node.get(v.index()).copied().unwrap_or(NODE_FREE)
    }

    /// The penalty of following edge `e` out of a node named `from_name` (a string index),
    /// not counting its target.
    #[inline]
    pub(crate) fn edge_penalty(&self, g: &HeapGraph<'_>, from_name: u32, e: EdgeIdx) -> u32 {
        let snap = g.snapshot();
        let flags = || {
            let s = snap.edge_names_or_indices()[e.index()] as usize;
            self.strings.get(s).copied().unwrap_or(0)
        };
        match g.edge_kind(e) {
            EdgeKind::Element => 0,
            EdgeKind::Internal if flags() & S_FREE != 0 => 0,
            EdgeKind::Internal => INTERNAL,
            EdgeKind::Hidden if from_name == self.cell => 0,
            EdgeKind::Hidden => HIDDEN,
            EdgeKind::Property | EdgeKind::Shortcut | EdgeKind::Context => {
                let f = flags();
                if f & S_TIMER != 0 || (f & S_MAP != 0 && from_name == self.builtin_module) {
                    INTERNAL
                } else {
                    0
                }
            }
            _ => INTERNAL,
        }
    }

    /// The penalty of following edge `e` from `u` to `v` ([`PathMode::Shortest`]: none).
    #[inline]
    pub(crate) fn penalty(&self, g: &HeapGraph<'_>, u: NodeIdx, e: EdgeIdx, v: NodeIdx) -> u32 {
        if self.mode == PathMode::Shortest {
            return 0;
        }
        let from_name = g.snapshot().node_names()[u.index()];
        let node = if self.node_class(v) == NODE_INTERNAL { INTERNAL } else { 0 };
        self.edge_penalty(g, from_name, e) + node
    }
}

/// How a child of the root starts a path.
pub(crate) fn root_kind(g: &HeapGraph<'_>, v: NodeIdx) -> RootKind {
    if g.node_kind(v) != NodeKind::Synthetic {
        return RootKind::User;
    }
    let name = g.snapshot().node(v).name();
    if name == "(Document DOM trees)" {
        return RootKind::User;
    }
    match name.strip_prefix("Node / ") {
        Some(h)
            if h.ends_with("Wrap")
                || matches!(h, "MessagePort" | "FileHandle" | "Worker" | "StatWatcher") =>
        {
            RootKind::Handle
        }
        _ => RootKind::System,
    }
}
