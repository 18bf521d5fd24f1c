//! Retaining paths as people read them: edges written the way `heapsnap diff` writes them,
//! repeated runs collapsed (`(._idleNext)×104`), signatures that are equal for every object
//! held the same way, and every holder when no single one dominates an object.

use std::collections::BTreeMap;

use heapsnap_format::{EdgeIdx, EdgeKind, NodeIdx, NodeKind};
use heapsnap_graph::{HeapGraph, RetainerPath};

use crate::ctx::Ctx;
use crate::finding::Holder;
use crate::shapes::is_numeric;

/// An edge in a signature: element indices and numeric slot names become `*`.
pub(crate) fn signature_edge(g: &HeapGraph<'_>, e: EdgeIdx) -> String {
    edge_text(g, e, true)
}

/// An edge as shown in a path: `.name`, `[3]`, `{internal}`, `->variable`, `["a b"]`.
pub(crate) fn display_edge(g: &HeapGraph<'_>, e: EdgeIdx) -> String {
    edge_text(g, e, false)
}

fn edge_text(g: &HeapGraph<'_>, e: EdgeIdx, generic: bool) -> String {
    let edge = g.snapshot().edge(e);
    let name = edge.name_str().unwrap_or("");
    let numeric = is_numeric(name);
    let index = || if generic { "*".to_string() } else { edge.name_or_index().to_string() };
    let num = |n: &str| if generic { "*".to_string() } else { n.to_string() };
    match edge.kind() {
        EdgeKind::Element | EdgeKind::Hidden => format!("[{}]", index()),
        EdgeKind::Internal if numeric => format!("{{{}}}", num(name)),
        EdgeKind::Internal if name.contains(" / part of key (") => "{ephemeron}".to_string(),
        EdgeKind::Internal => format!("{{{name}}}"),
        EdgeKind::Context => format!("->{name}"),
        EdgeKind::Weak => format!("[[{name}]]"),
        _ if numeric => format!("[{}]", num(name)),
        _ if name.contains(' ') || name.contains('.') || name.is_empty() => format!("[{name:?}]"),
        _ => format!(".{name}"),
    }
}

/// Joins path segments, writing a run of a repeated block of up to four segments once as
/// `(block)×N` (`×*` in signatures, so chains of any length share one signature).
pub(crate) fn collapse_runs(segments: &[String], generic: bool) -> String {
    heapsnap_graph::collapse_runs(segments, if generic { "*" } else { "count" })
}

/// How the node a path starts at (a node the root holds) is written: its name, with global
/// objects shortened (`global / ` is `global`, `Window [JSGlobalObject] / https://a.b` is
/// `Window(https://a.b)`).
pub(crate) fn start_label(g: &HeapGraph<'_>, v: NodeIdx) -> String {
    let n = g.snapshot().node(v);
    let name = n.name();
    if name.is_empty() {
        return format!("({})", n.kind_name());
    }
    let (head, tail) = name.split_once(" / ").unwrap_or((name, ""));
    match head.strip_suffix(" [JSGlobalObject]") {
        Some(global) if tail.is_empty() => global.to_string(),
        Some(global) => format!("{global}({tail})"),
        None if tail.is_empty() => head.to_string(),
        None => name.to_string(),
    }
}

fn path_string(g: &HeapGraph<'_>, start: NodeIdx, edges: &[EdgeIdx], generic: bool) -> String {
    // Newer V8 roots user paths at the native context: start at its global object instead.
    let snap = g.snapshot();
    let (start, edges) = match edges.split_first() {
        Some((&e, rest))
            if snap.node(start).name().starts_with("system / NativeContext")
                && snap.edge(e).name_str() == Some("global_object") =>
        {
            (g.edge_target(e), rest)
        }
        _ => (start, edges),
    };
    let segs: Vec<String> = edges.iter().map(|&e| edge_text(g, e, generic)).collect();
    format!("{}{}", start_label(g, start), collapse_runs(&segs, generic))
}

/// The text and signature of a path.
pub(crate) fn holder(g: &HeapGraph<'_>, path: RetainerPath) -> Holder {
    let start = path.nodes.first().copied().unwrap_or(NodeIdx(0));
    Holder {
        text: path_string(g, start, &path.edges, false),
        signature: path_string(g, start, &path.edges, true),
        path,
    }
}

/// The signature of `v`'s shortest retaining path (`None` when nothing retains it).
pub(crate) fn signature_of(ctx: &Ctx<'_, '_>, v: NodeIdx) -> Option<String> {
    let path = ctx.spt.path_to(v)?;
    let start = path.nodes.first().copied()?;
    Some(path_string(ctx.g, start, &path.edges, true))
}

/// The paths that keep `x` alive. One (the shortest) when a single holder dominates `x`;
/// otherwise one per independent holder, up to `max`, shortest (user roots first) first.
///
/// Holders are `x`'s direct retainers over retaining edges that `x` does not itself keep alive
/// (retainers in `x`'s dominator subtree are back references). Retainers of `x`'s own class
/// are one holder (a linked list or chain of `x`'s kind), and internal property stores count
/// as the object that owns them.
pub(crate) fn holders(ctx: &Ctx<'_, '_>, x: NodeIdx, max: usize) -> Vec<Holder> {
    let g = ctx.g;
    let Some(first) = ctx.spt.path_to(x) else { return Vec::new() };
    let first = holder(g, first);
    if max <= 1 {
        return vec![first];
    }
    let d = NodeIdx(ctx.a.dominator[x.index()]);
    let root = g.root();
    let mut groups: BTreeMap<String, (u32, NodeIdx, EdgeIdx)> = BTreeMap::new();
    for (e, r) in g.retainers(x) {
        if r == d {
            // A direct retainer dominates x: every path goes through it.
            return vec![first];
        }
        if r == root
            || matches!(g.edge_kind(e), EdgeKind::Weak | EdgeKind::Shortcut)
            || !ctx.reachable(r)
            || g.node_kind(r) == NodeKind::Hidden
            || is_backing_store(ctx, r)
            || ctx.dominated_by(r, x)
        {
            continue;
        }
        let key = if ctx.class(r) == ctx.class(x) {
            "(chain)".to_string()
        } else {
            format!("{}{}", ctx.class(r), signature_edge(g, e))
        };
        let dist = ctx.spt.dist[r.index()];
        let slot = groups.entry(key).or_insert((dist, r, e));
        if dist < slot.0 {
            *slot = (dist, r, e);
        }
    }
    if groups.len() <= 1 {
        return vec![first];
    }
    let mut picks: Vec<(u32, NodeIdx, EdgeIdx)> = groups.into_values().collect();
    picks.sort_by_key(|&(dist, r, e)| (dist, r.0, e.0));
    let mut out: Vec<Holder> = Vec::new();
    for (_, r, e) in picks {
        let p = match ctx.spt.path_to(r) {
            Some(p) if !p.nodes.contains(&x) => Some(p),
            // The shortest path to this holder goes through x itself: find one that does not.
            _ => path_avoiding(ctx, r, x),
        };
        let Some(mut p) = p else { continue };
        p.nodes.push(x);
        p.edges.push(e);
        let h = holder(g, p);
        if out.iter().all(|o| o.signature != h.signature) {
            out.push(h);
        }
        if out.len() >= max {
            break;
        }
    }
    if out.is_empty() {
        out.push(first);
    }
    out
}

/// An object's elements or dictionary properties: V8 writes each entry twice, as an edge of
/// the object and as an internal edge of its store, so the store is not a holder of its own.
pub(crate) fn is_backing_store(ctx: &Ctx<'_, '_>, r: NodeIdx) -> bool {
    ctx.kind(r) == NodeKind::Array
        && matches!(ctx.name(r), "(object elements)" | "(object properties)")
}

/// A shortest retaining path to `target` that does not pass through `avoid`: a backward
/// breadth-first search over retainers (bounded), ending at a node the root holds.
fn path_avoiding(ctx: &Ctx<'_, '_>, target: NodeIdx, avoid: NodeIdx) -> Option<RetainerPath> {
    const MAX_VISITED: usize = 500_000;
    let g = ctx.g;
    let root = g.root();
    // node -> (edge to the next node towards the target, that node)
    let mut next: std::collections::HashMap<u32, (EdgeIdx, u32)> = std::collections::HashMap::new();
    let mut queue = std::collections::VecDeque::from([target]);
    let mut seen = std::collections::HashSet::from([target.0, avoid.0]);
    while let Some(v) = queue.pop_front() {
        if g.retainers(v).any(|(_, from)| from == root) {
            let mut nodes = vec![v];
            let mut edges = Vec::new();
            let mut u = v.0;
            while let Some(&(e, w)) = next.get(&u) {
                edges.push(e);
                nodes.push(NodeIdx(w));
                u = w;
            }
            let from_user_root = ctx.spt.dist[v.index()] == 1;
            return Some(RetainerPath { nodes, edges, from_user_root });
        }
        for (e, from) in g.retainers(v) {
            if matches!(g.edge_kind(e), EdgeKind::Weak | EdgeKind::Shortcut)
                || !ctx.reachable(from)
                || !seen.insert(from.0)
            {
                continue;
            }
            next.insert(from.0, (e, v.0));
            queue.push_back(from);
            if seen.len() > MAX_VISITED {
                return None;
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::collapse_runs;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn runs_collapse() {
        assert_eq!(collapse_runs(&v(&[".a", ".n", ".n", ".n", ".b"]), true), ".a(.n)\u{d7}*.b");
        assert_eq!(collapse_runs(&v(&[".n", ".n"]), false), "(.n)\u{d7}2");
        assert_eq!(
            collapse_runs(
                &v(&[".t", ".m", "{context}", "->o", ".m", "{context}", "->o", ".x"]),
                false
            ),
            ".t(.m{context}->o)\u{d7}2.x"
        );
        assert_eq!(collapse_runs(&v(&[".a", ".b"]), true), ".a.b");
        let long: Vec<String> = std::iter::repeat_n("._idleNext".to_string(), 104).collect();
        assert_eq!(collapse_runs(&long, false), "(._idleNext)\u{d7}104");
    }
}
