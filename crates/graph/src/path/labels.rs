//! Labels of functions: name, script and position.

use heapsnap_format::NodeIdx;

use crate::classes::NodeLocations;
use crate::graph::HeapGraph;

/// The target of `v`'s first string-named edge called `name`.
pub(crate) fn edge_to(g: &HeapGraph<'_>, v: NodeIdx, name: &str) -> Option<NodeIdx> {
    let snap = g.snapshot();
    snap.node(v).edges().find(|e| e.name_str() == Some(name)).map(|e| e.to())
}

/// The script a function comes from, as the snapshot names it (`None` when unknown or empty).
pub(crate) fn script_of<'s>(g: &HeapGraph<'s>, f: NodeIdx) -> Option<&'s str> {
    let sfi = edge_to(g, f, "shared")?;
    let s = edge_to(g, sfi, "script_or_debug_info").or_else(|| edge_to(g, sfi, "script"))?;
    Some(g.snapshot().node(s).name()).filter(|s| !s.is_empty())
}

/// A function's name, script and 1-based position: `onData (/srv/app.js:12:5)`;
/// `(anonymous)` for a function without a name; the script id when its name is unknown
/// (`script 42:12:5`).
pub fn closure_label(g: &HeapGraph<'_>, locations: &NodeLocations, f: NodeIdx) -> String {
    let name = g.snapshot().node(f).name();
    let name = if name.is_empty() { "(anonymous)" } else { name };
    match (locations.get(f), script_of(g, f)) {
        (Some((_, line, col)), Some(script)) => {
            format!("{name} ({script}:{}:{})", line + 1, col + 1)
        }
        (Some((sid, line, col)), None) => format!("{name} (script {sid}:{}:{})", line + 1, col + 1),
        (None, Some(script)) => format!("{name} ({script})"),
        (None, None) => name.to_string(),
    }
}
