//! Retaining paths: why an object is alive, written so that a person can act on it.
//!
//! Every report that prints a path (leaks, diff's "what holds the growth", retainers) goes
//! through this module: [`PathTree`] chooses one path for every retained object,
//! [`retainer_paths`] finds several for one object, [`PathFinder::holders`] finds an
//! object's independent holders, and [`PathFinder`] resolves paths into [`Holder`]s: text, signature,
//! and plain [`Step`]s that serialize without the graph.
//!
//! # Which path is shown
//!
//! [`PathMode::User`] (the default) ranks paths by the runtime internals they pass through,
//! then by length; among equals, DevTools' breadth-first order decides. So a path through the
//! application's own objects is always chosen over one through internals, however long:
//!
//! - Paths start at the global object (`global`, `Window`), at a **module's top-level scope**
//!   (below), at a page's script scope, or at an active handle the program opened (a
//!   listening server, a socket: `Node / TCPSocketWrap`); `(GC roots)` and the embedder's
//!   roots come last.
//! - Internal, and avoided whenever another path exists: engine objects (maps, descriptor
//!   arrays, code, shared function info, scope info, feedback cells, native contexts: node
//!   types `code`, `hidden`, `object shape`, `synthetic`), internal edges other than those
//!   that are part of an object's JavaScript meaning (a closure's `{context}`, a
//!   collection's `{table}` and its slots, bound functions, promise reactions, a suspended
//!   async function's registers), numbered hidden edges, the top-level scopes of the
//!   runtime's own modules (`node:internal/timers`: so `timerListMap`), Node's timer lists
//!   (`_idleNext`, `_idlePrev`, `timerListQueue`, `immediateQueue`), and the builtin module
//!   table (`BuiltinModule.map`).
//! - When every path passes through internals, the best one is still shown, with a note
//!   saying what holds the object ([`Holder::note`]): "held only by Node's timer list: an
//!   interval nobody cleared".
//!
//! [`PathMode::Shortest`] is DevTools' Retainers view: the fewest links, from the global
//! object first, then from the GC roots.
//!
//! # Module scopes
//!
//! A variable at the top level of a CommonJS module (or an ES module) lives in the scope of
//! the function Node wraps the module in: a `system / Context` whose `previous` is the
//! `system / NativeContext`. Such a context is named by its script, found through the
//! snapshot itself: a closure whose context chain leads to it, its `shared` function info,
//! and that one's `script_or_debug_info` (older V8: `script`), whose name is the script's path
//! or URL. Scripts with an absolute path, a URL or Node's `[eval]` are the application's;
//! `node:...`, `internal/...` and old Node's bare `events.js` are the runtime's. The display
//! name is the script's file name (`server.js`), with parent directories added only as far
//! as needed to tell two scripts apart (`routes/index.js`). In a page, the top-level `let`,
//! `const` and `class` of classic scripts live in the native context's
//! `script_context_table`; each entry is named by its script the same way, after the global
//! object: `Window(https://a.b) / app.js: widgets`.
//!
//! A path that reaches a variable of a module scope is shown from there: the module lives as
//! long as the program, and how Node keeps it (the module cache, a closure in a timer list)
//! is not what the reader needs. `heapsnap retainers` on the module's `system / Context`
//! itself shows what holds it.
//!
//! Limits of the rule: in a page, the scope of a *call* of a top-level function of a classic
//! script without top-level `let`/`const` also sits directly under the native context, and is
//! named as its script's scope; and a module that was unloaded (a hot reload) but is kept by
//! a closure of its own is still shown as a module scope (its `retainers` show who keeps it).
//!
//! # Notation
//!
//! | text | meaning |
//! | --- | --- |
//! | `global`, `Window(https://a.b)` | the global object a path starts at |
//! | `server.js: userCache` | the variable `userCache` at the top level of the module `server.js` |
//! | `Window(file://) / page.html: widgets` | a top-level `let`/`const` of a page's script |
//! | `Node / TCPSocketWrap` | an active handle (a socket, a server) the path starts at |
//! | `.name` | a property |
//! | `["a b"]` | a property whose name has a space or a dot, or is empty |
//! | `[3]` | an array element (in a signature: `[*]`) |
//! | `->name` | a variable in a closure's context |
//! | `{context}` | an internal link (here: a closure's context) |
//! | `{table}{17}` | a Map or Set's backing table and one of its slots (signature: `{*}`) |
//! | `{ephemeron}` | a WeakMap entry (key to value) |
//! | `<symbol x>` | a property keyed by the symbol `x`, as in `["<symbol kEvents>"]` |
//! | `(.next)×400` | a link repeated 400 times, a linked list (signature: `×*`) |
//! | `[[name]]` | a weak link (never part of a retaining path) |

mod edge;
mod holders;
mod labels;
mod policy;
mod report;
mod resolve;
mod scopes;
mod search;
mod signatures;
mod text;
mod tree;

#[cfg(test)]
mod tests;

use heapsnap_format::{EdgeIdx, NodeIdx};

pub(crate) use edge::is_numeric as is_numeric_name;
pub use edge::{EdgeStyle, edge_text, push_edge};
pub use holders::is_backing_store;
pub use labels::closure_label;
pub use policy::PathMode;
pub use report::{EdgeInfo, NodeInfo, RetainersPath, RetainersReport, RetainersStep, node_info};
pub use resolve::{Holder, Origin, PathFinder, Step, StepNode};
pub use search::{PathOptions, retainer_paths};
pub use signatures::Signatures;
pub use text::{NOTATION, NOTATION_NOTE, Runs, collapse_runs, start_label};
pub use tree::PathTree;

/// One retaining path, from the node it starts at to the object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetainerPath {
    /// Nodes, starting at a node the root holds (or a module scope) and ending at the object.
    pub nodes: Vec<NodeIdx>,
    /// `edges[i]` goes from `nodes[i]` to `nodes[i + 1]`.
    pub edges: Vec<EdgeIdx>,
    /// Whether the path starts at a user root: a global object, or a module or script scope
    /// (rather than a handle or a GC root).
    pub from_user_root: bool,
}

/// What a chosen path costs: runtime internals first, then links (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PathCost {
    /// Penalty points for the internals the path passes through (0: none).
    pub penalty: u32,
    /// Links from the root: 1 for an object the root (or a module scope) holds directly.
    pub links: u32,
}
