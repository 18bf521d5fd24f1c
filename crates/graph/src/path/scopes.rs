//! Module scopes: the top-level scope of each script, found in the snapshot and named by its
//! script (see "Module scopes" in the [module docs](crate::path)).

use std::collections::BTreeMap;

use heapsnap_format::{EdgeKind, NodeIdx, NodeKind, StringIdx};

use super::labels::script_name;
use crate::graph::HeapGraph;

/// [`Scopes::role`]: nothing special.
pub(crate) const ROLE_NONE: u8 = 0;
/// The top-level scope of a user's module (CommonJS wrapper, ES module): a path may start here.
pub(crate) const ROLE_MODULE: u8 = 1;
/// A page's script scope (an entry of a native context's `script_context_table`): top-level
/// `let`, `const` and `class` of classic scripts. A path may start here.
pub(crate) const ROLE_SCRIPT: u8 = 2;
/// The top-level scope of one of the runtime's own modules (`node:internal/timers`): internal.
pub(crate) const ROLE_RUNTIME: u8 = 3;
/// A top-level scope whose script has no usable name (code from `eval`, `vm`).
const ROLE_OTHER_TOP: u8 = 4;
/// A context below a top-level one (already walked).
const ROLE_INNER: u8 = 5;

/// What a script name says about its code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ScriptKind {
    /// The application's own file or URL.
    User,
    /// The runtime's own code (`node:internal/...`, old Node's `events.js`).
    Runtime,
    /// No usable name.
    Unknown,
}

/// Whose code a script is, by its name. User code has an absolute path (`/srv/app/server.js`,
/// `C:\app\x.js`), a URL (`file:///...`, `https://...`), or is Node's `[eval]`; Node's own
/// modules are `node:...` (Node 16+) or `internal/...` and bare `events.js` (older Node),
/// Chrome's are `extensions::...` and `v8/...`.
fn script_kind(name: &str) -> ScriptKind {
    let name = script_name(name);
    let b = name.as_bytes();
    if name.is_empty() {
        ScriptKind::Unknown
    } else if name.starts_with("node:")
        || name.starts_with("internal/")
        || name.starts_with("extensions::")
        || name.starts_with("v8/")
    {
        ScriptKind::Runtime
    } else if name.starts_with('/')
        || name.starts_with('[')
        || name.contains("://")
        || (b.len() > 2
            && b[0].is_ascii_alphabetic()
            && b[1] == b':'
            && matches!(b[2], b'\\' | b'/'))
    {
        ScriptKind::User
    } else if name.ends_with(".js") && !name.contains(['/', '\\', ' ']) {
        ScriptKind::Runtime
    } else {
        ScriptKind::Unknown
    }
}

/// Strings the scope scan looks up.
struct Ids {
    context: Option<u32>,
    previous: Option<u32>,
    shared: Option<u32>,
    script: Option<u32>,
    script_or_debug_info: Option<u32>,
    script_context_table: Option<u32>,
    global_object: Option<u32>,
    extension: Option<u32>,
    /// `system / Context` and newer V8's `system / Context / scope @123`, sorted.
    contexts: Vec<u32>,
    /// `system / NativeContext` and `system / NativeContext / <url>`, sorted.
    native_contexts: Vec<u32>,
}

impl Ids {
    fn new(g: &HeapGraph<'_>) -> Ids {
        let mut ids = Ids {
            context: None,
            previous: None,
            shared: None,
            script: None,
            script_or_debug_info: None,
            script_context_table: None,
            global_object: None,
            extension: None,
            contexts: Vec::new(),
            native_contexts: Vec::new(),
        };
        for (i, s) in g.snapshot().strings().iter().enumerate() {
            let i = Some(i as u32);
            match s {
                "context" => ids.context = ids.context.or(i),
                "previous" => ids.previous = ids.previous.or(i),
                "shared" => ids.shared = ids.shared.or(i),
                "script" => ids.script = ids.script.or(i),
                "script_or_debug_info" => ids.script_or_debug_info = ids.script_or_debug_info.or(i),
                "script_context_table" => ids.script_context_table = ids.script_context_table.or(i),
                "global_object" => ids.global_object = ids.global_object.or(i),
                "extension" => ids.extension = ids.extension.or(i),
                _ if is_context_name(s) => ids.contexts.extend(i),
                _ if s.starts_with("system / NativeContext") => {
                    ids.native_contexts.extend(i);
                }
                _ => {}
            }
        }
        ids
    }

    fn is_native_context(&self, name: u32) -> bool {
        self.native_contexts.binary_search(&name).is_ok()
    }

    fn is_context(&self, name: u32) -> bool {
        self.contexts.binary_search(&name).is_ok()
    }
}

/// A function, script or module context: `system / Context`, or `system / Context / scope
/// @123` (newer V8 names each context after its scope info).
pub(crate) fn is_context_name(s: &str) -> bool {
    s == "system / Context" || s.starts_with("system / Context / ")
}

/// The first edge of `v` with a string name `name`, and its target.
fn named(g: &HeapGraph<'_>, v: NodeIdx, name: Option<u32>) -> Option<NodeIdx> {
    let name = name?;
    let noi = g.snapshot().edge_names_or_indices();
    g.edges(v)
        .find(|&(e, _)| noi[e.index()] == name && g.edge_kind(e).has_string_name())
        .map(|(_, t)| t)
}

/// No scopes (shortest paths need none).
pub(crate) static EMPTY: Scopes = Scopes {
    role: Vec::new(),
    script: BTreeMap::new(),
    namer: BTreeMap::new(),
    global: BTreeMap::new(),
    label: BTreeMap::new(),
};

/// The top-level scopes of a snapshot, found once (see the [module docs](crate::path)).
#[derive(Debug)]
pub(crate) struct Scopes {
    /// `ROLE_*` per node (only contexts are ever set).
    role: Vec<u8>,
    /// Module, script and runtime scopes with a known script: (context node, script name
    /// string).
    script: BTreeMap<u32, u32>,
    /// The closure each scope's script was found through: (context node, closure).
    namer: BTreeMap<u32, u32>,
    /// Script scopes: (context node, the global object of its native context).
    global: BTreeMap<u32, u32>,
    /// Display name of each user script (by name string): the shortest trailing part of its
    /// path that no other script of the snapshot shares.
    label: BTreeMap<u32, String>,
}

impl Scopes {
    /// Finds every module and script scope: one pass over the closures (each context is
    /// walked once) and over the native contexts' script context tables.
    pub(crate) fn new(g: &HeapGraph<'_>) -> Scopes {
        let snap = g.snapshot();
        let n = g.node_count();
        let ids = Ids::new(g);
        let names = snap.node_names();
        let mut role = vec![ROLE_NONE; n];
        let mut script = BTreeMap::new();
        let mut namer = BTreeMap::new();
        let mut global = BTreeMap::new();
        let is_context = |v: NodeIdx| ids.is_context(names[v.index()]);
        // Script contexts of every native context.
        if !ids.native_contexts.is_empty() {
            for i in 0..n {
                if !ids.is_native_context(names[i]) {
                    continue;
                }
                let nc = NodeIdx(i as u32);
                let Some(table) = named(g, nc, ids.script_context_table) else { continue };
                let glob = named(g, nc, ids.global_object).or_else(|| named(g, nc, ids.extension));
                for (e, c) in g.edges(table) {
                    if matches!(g.edge_kind(e), EdgeKind::Hidden | EdgeKind::Element)
                        && is_context(c)
                    {
                        role[c.index()] = ROLE_SCRIPT;
                        if let Some(w) = glob {
                            global.insert(c.0, w.0);
                        }
                    }
                }
            }
        }
        // Every closure's context chain, up to the top-level context.
        let script_of = |f: NodeIdx| -> Option<u32> {
            let sfi = named(g, f, ids.shared)?;
            let s =
                named(g, sfi, ids.script_or_debug_info).or_else(|| named(g, sfi, ids.script))?;
            Some(names[s.index()])
        };
        let mut chain: Vec<NodeIdx> = Vec::new();
        for i in 0..n {
            let f = NodeIdx(i as u32);
            if g.node_kind(f) != NodeKind::Closure {
                continue;
            }
            let Some(mut c) = named(g, f, ids.context).filter(|&c| is_context(c)) else {
                continue;
            };
            chain.clear();
            // Walk up until a context already known or a top-level one.
            let top = loop {
                match role[c.index()] {
                    ROLE_NONE => {}
                    ROLE_INNER => break None,
                    _ => break Some(c),
                }
                let Some(p) = named(g, c, ids.previous) else { break None };
                if ids.is_native_context(names[p.index()]) {
                    let kind = script_of(f)
                        .map(|s| (s, script_kind(snap.strings().get(StringIdx(s)).unwrap_or(""))));
                    role[c.index()] = match kind {
                        Some((_, ScriptKind::User)) => ROLE_MODULE,
                        Some((_, ScriptKind::Runtime)) => ROLE_RUNTIME,
                        _ => ROLE_OTHER_TOP,
                    };
                    break Some(c);
                }
                if !is_context(p) || chain.len() > 64 {
                    break None;
                }
                chain.push(c);
                c = p;
            };
            for &x in &chain {
                role[x.index()] = ROLE_INNER;
            }
            if let Some(top) = top
                && matches!(role[top.index()], ROLE_MODULE | ROLE_SCRIPT | ROLE_RUNTIME)
                && !script.contains_key(&top.0)
                && let Some(s) = script_of(f)
            {
                let kind = script_kind(snap.strings().get(StringIdx(s)).unwrap_or(""));
                let want = if role[top.index()] == ROLE_RUNTIME {
                    ScriptKind::Runtime
                } else {
                    ScriptKind::User
                };
                if kind == want {
                    script.insert(top.0, s);
                    namer.insert(top.0, f.0);
                }
            }
        }
        let label = labels(
            g,
            script.iter().filter(|(c, _)| role[**c as usize] != ROLE_RUNTIME).map(|(_, s)| *s),
        );
        Scopes { role, script, namer, global, label }
    }

    /// The `ROLE_*` of node `v`.
    #[inline]
    pub(crate) fn role(&self, v: NodeIdx) -> u8 {
        self.role.get(v.index()).copied().unwrap_or(ROLE_NONE)
    }

    /// Whether a path may start at `v` (a user module scope or a page's script scope).
    #[inline]
    pub(crate) fn is_scope_start(&self, v: NodeIdx) -> bool {
        matches!(self.role(v), ROLE_MODULE | ROLE_SCRIPT)
    }

    /// The script that a module or script scope belongs to: (its name as in the snapshot,
    /// its display name).
    pub(crate) fn script<'a>(
        &'a self,
        g: &HeapGraph<'a>,
        v: NodeIdx,
    ) -> Option<(&'a str, &'a str)> {
        let s = *self.script.get(&v.0)?;
        let full = script_name(g.snapshot().strings().get(StringIdx(s))?);
        Some((full, self.label.get(&s).map(String::as_str).unwrap_or(full)))
    }

    /// What makes `v` a named scope: its native context (`previous`), the closure its script
    /// was found through, that closure's shared function info and the script (empty when `v`
    /// is not a named scope).
    pub(crate) fn evidence(&self, g: &HeapGraph<'_>, v: NodeIdx) -> Vec<NodeIdx> {
        let Some(&f) = self.namer.get(&v.0) else { return Vec::new() };
        let f = NodeIdx(f);
        let mut out: Vec<NodeIdx> = super::labels::edge_to(g, v, "previous").into_iter().collect();
        out.push(f);
        if let Some(sfi) = super::labels::edge_to(g, f, "shared") {
            out.push(sfi);
            let script = super::labels::edge_to(g, sfi, "script_or_debug_info")
                .or_else(|| super::labels::edge_to(g, sfi, "script"));
            out.extend(script);
        }
        out
    }

    /// The global object whose script scope `v` is.
    pub(crate) fn global_of(&self, v: NodeIdx) -> Option<NodeIdx> {
        self.global.get(&v.0).map(|&w| NodeIdx(w))
    }
}

/// Display names of scripts: the last component of the path or URL (`/srv/app/server.js` is
/// `server.js`), with as many parent directories as it takes to tell apart two scripts with
/// the same file name (`routes/index.js`, `lib/index.js`).
fn labels(g: &HeapGraph<'_>, scripts: impl Iterator<Item = u32>) -> BTreeMap<u32, String> {
    let strings = g.snapshot().strings();
    let mut all: Vec<(u32, Vec<&str>)> = scripts
        .collect::<std::collections::BTreeSet<u32>>()
        .into_iter()
        .map(|s| {
            let full = script_name(strings.get(StringIdx(s)).unwrap_or(""));
            let path = full.split_once("://").map_or(full, |(_, rest)| rest);
            let parts: Vec<&str> = path.split(['/', '\\']).filter(|p| !p.is_empty()).collect();
            (s, parts)
        })
        .collect();
    let mut out = BTreeMap::new();
    let mut depth = 1;
    while !all.is_empty() && depth <= 64 {
        let tail = |parts: &[&str]| parts[parts.len().saturating_sub(depth)..].join("/");
        let mut count: BTreeMap<String, usize> = BTreeMap::new();
        for (_, parts) in &all {
            *count.entry(tail(parts)).or_default() += 1;
        }
        all.retain(|(s, parts)| {
            let t = tail(parts);
            if count[&t] == 1 || parts.len() <= depth {
                let label = if t.is_empty() {
                    script_name(strings.get(StringIdx(*s)).unwrap_or("")).to_string()
                } else {
                    t
                };
                out.insert(*s, label);
                false
            } else {
                true
            }
        });
        depth += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_kinds() {
        assert_eq!(script_kind("/srv/app/server.js"), ScriptKind::User);
        assert_eq!(script_kind("file:///srv/app/page.mjs"), ScriptKind::User);
        assert_eq!(script_kind("https://example.com/app.js"), ScriptKind::User);
        assert_eq!(script_kind("C:\\app\\server.js"), ScriptKind::User);
        assert_eq!(script_kind("[eval]"), ScriptKind::User);
        assert_eq!(script_kind("node:internal/timers"), ScriptKind::Runtime);
        assert_eq!(script_kind("internal/timers.js"), ScriptKind::Runtime);
        assert_eq!(script_kind("events.js"), ScriptKind::Runtime);
        assert_eq!(script_kind("evalmachine.<anonymous>"), ScriptKind::Unknown);
        assert_eq!(script_kind(""), ScriptKind::Unknown);
        assert_eq!(script_kind("system / Script / file:///a/page.html"), ScriptKind::User);
        assert_eq!(script_kind("system / Script / extensions::SafeBuiltins"), ScriptKind::Runtime);
        assert_eq!(script_kind("system / Script"), ScriptKind::Unknown);
    }
}
