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

/// The cost rule, with the per-string and per-node facts it needs.
#[derive(Debug)]
pub(crate) struct Policy {
    pub(crate) mode: PathMode,
    /// `S_*` per string (empty in [`PathMode::Shortest`]).
    strings: Vec<u8>,
    cell: u32,
    builtin_module: u32,
}

impl Policy {
    pub(crate) fn new(g: &HeapGraph<'_>, mode: PathMode) -> Policy {
        let mut cell = u32::MAX;
        let mut builtin_module = u32::MAX;
        let mut strings = Vec::new();
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
                    _ if weakmap::parse(s).is_some() => S_FREE,
                    _ => 0,
                };
            }
        }
        Policy { mode, strings, cell, builtin_module }
    }

    /// The penalty of following edge `e` from `u` to `v` ([`PathMode::Shortest`]: none).
    #[inline]
    pub(crate) fn penalty(
        &self,
        g: &HeapGraph<'_>,
        scopes: &Scopes,
        u: NodeIdx,
        e: EdgeIdx,
        v: NodeIdx,
    ) -> u32 {
        if self.mode == PathMode::Shortest {
            return 0;
        }
        let snap = g.snapshot();
        let names = snap.node_names();
        let string = |s: u32| self.strings.get(s as usize).copied().unwrap_or(0);
        let flags = |e: EdgeIdx| string(snap.edge_names_or_indices()[e.index()]);
        let mut w = match g.edge_kind(e) {
            EdgeKind::Element => 0,
            EdgeKind::Internal if flags(e) & S_FREE != 0 => 0,
            EdgeKind::Internal => INTERNAL,
            EdgeKind::Hidden if names[u.index()] == self.cell => 0,
            EdgeKind::Hidden => HIDDEN,
            EdgeKind::Property | EdgeKind::Shortcut | EdgeKind::Context => {
                let f = flags(e);
                if f & S_TIMER != 0 || (f & S_MAP != 0 && names[u.index()] == self.builtin_module) {
                    INTERNAL
                } else {
                    0
                }
            }
            _ => INTERNAL,
        };
        w += match g.node_kind(v) {
            NodeKind::Code | NodeKind::ObjectShape | NodeKind::Synthetic => INTERNAL,
            NodeKind::Hidden if names[v.index()] != self.cell => INTERNAL,
            NodeKind::Native if string(names[v.index()]) & S_SYSTEM != 0 => INTERNAL,
            NodeKind::Object if scopes.role(v) == ROLE_RUNTIME => INTERNAL,
            _ => 0,
        };
        w
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
