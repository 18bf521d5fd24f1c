//! Labels of functions: name, script and position.

use heapsnap_format::NodeIdx;

use crate::classes::NodeLocations;
use crate::graph::HeapGraph;

/// The target of `v`'s first string-named edge called `name`.
pub(crate) fn edge_to(g: &HeapGraph<'_>, v: NodeIdx, name: &str) -> Option<NodeIdx> {
    let snap = g.snapshot();
    snap.node(v).edges().find(|e| e.name_str() == Some(name)).map(|e| e.to())
}

/// A script's name (path or URL) from its node's name: Node's V8 names the node after the
/// script (`/srv/app.js`), newer V8 writes `system / Script / https://a.b/app.js`, or just
/// `system / Script` for a script without a name (then `""`).
pub(crate) fn script_name(node_name: &str) -> &str {
    match node_name.strip_prefix("system / Script") {
        Some(rest) => rest.strip_prefix(" / ").unwrap_or(""),
        None => node_name,
    }
}

/// The script a function comes from, by its path or URL (`None` when unknown or empty).
pub(crate) fn script_of<'s>(g: &HeapGraph<'s>, f: NodeIdx) -> Option<&'s str> {
    let sfi = edge_to(g, f, "shared")?;
    let s = edge_to(g, sfi, "script_or_debug_info").or_else(|| edge_to(g, sfi, "script"))?;
    Some(script_name(g.snapshot().node(s).name())).filter(|s| !s.is_empty())
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

#[cfg(test)]
mod tests {
    #[test]
    fn script_names() {
        use super::script_name;
        assert_eq!(script_name("/srv/app.js"), "/srv/app.js");
        assert_eq!(script_name("system / Script / https://a.b/app.js"), "https://a.b/app.js");
        assert_eq!(script_name("system / Script"), "");
        assert_eq!(script_name("node:internal/timers"), "node:internal/timers");
    }
}
