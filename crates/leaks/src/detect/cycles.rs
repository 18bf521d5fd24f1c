//! Reference cycles: strongly connected components of user objects that a root keeps alive.
//!
//! A tracing GC frees unreachable cycles, so only cycles retained from a root are reported,
//! and cycles are only a leak in numbers: many cycles of one shape held the same way (a
//! registry of parent ⇄ child pairs), or a cycle cluster that grows across snapshots. The
//! components are computed (Tarjan, iteratively) on the view DevTools' dominators use minus
//! V8's internals: JS objects (not contexts or other `system / ` objects) and the internal
//! arrays that hold their elements and properties, over edges that are not weak, shortcuts,
//! prototype links or self references. Closures are left out: every class is a cycle through
//! its constructor and prototype. Components must hold two user objects or more.

use std::collections::BTreeMap;

use heapsnap_format::{EdgeIdx, EdgeKind, NodeIdx, NodeKind};

use crate::ctx::Ctx;
use crate::detect::Candidate;
use crate::finding::{Category, Fact};
use crate::paths::signature_of;

/// Strongly connected components with at least two nodes. `degree(v)` is the number of
/// out-edges of `v` and `target(v, k)` the target of its `k`-th edge, or `None` when the edge
/// is not followed; only nodes `start` accepts begin a search. Iterative Tarjan with `u32`
/// arrays (9 bytes per node plus the stacks).
pub(crate) fn sccs(
    n: usize,
    degree: impl Fn(u32) -> usize,
    target: impl Fn(u32, usize) -> Option<u32>,
    start: impl Fn(u32) -> bool,
) -> Vec<Vec<u32>> {
    const UNSEEN: u32 = u32::MAX;
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut out = Vec::new();
    let mut next = 0u32;
    // Call stack: (node, next edge to look at).
    let mut calls: Vec<(u32, usize)> = Vec::new();
    for s in 0..n as u32 {
        if index[s as usize] != UNSEEN || !start(s) {
            continue;
        }
        index[s as usize] = next;
        low[s as usize] = next;
        next += 1;
        stack.push(s);
        on_stack[s as usize] = true;
        calls.push((s, 0));
        'frames: while let Some(&(v, _)) = calls.last() {
            let deg = degree(v);
            loop {
                let Some(top) = calls.last_mut() else { break };
                if top.1 >= deg {
                    break;
                }
                let k = top.1;
                top.1 += 1;
                let Some(w) = target(v, k) else { continue };
                if index[w as usize] == UNSEEN {
                    index[w as usize] = next;
                    low[w as usize] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w as usize] = true;
                    calls.push((w, 0));
                    continue 'frames;
                } else if on_stack[w as usize] {
                    low[v as usize] = low[v as usize].min(index[w as usize]);
                }
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                let p = parent as usize;
                low[p] = low[p].min(low[v as usize]);
            }
            if low[v as usize] == index[v as usize] {
                let mut comp = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w as usize] = false;
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                if comp.len() >= 2 {
                    out.push(comp);
                }
            }
        }
    }
    out
}

/// Whether a node takes part in user-object cycles: 1 = a user object, 2 = an internal
/// array that can carry one (elements, properties, Map/Set tables), 0 = no.
fn role(ctx: &Ctx<'_, '_>, v: NodeIdx) -> u8 {
    match ctx.kind(v) {
        NodeKind::Object if !ctx.name(v).starts_with("system / ") => 1,
        NodeKind::Array => 2,
        _ => 0,
    }
}

fn follows(ctx: &Ctx<'_, '_>, e: EdgeIdx, from: NodeIdx, to: NodeIdx) -> bool {
    if from == to || matches!(ctx.g.edge_kind(e), EdgeKind::Weak | EdgeKind::Shortcut) {
        return false;
    }
    let name = ctx.snap.edge_names_or_indices()[e.index()];
    if ctx.g.edge_kind(e).has_string_name() {
        if Some(name) == ctx.names.get("__proto__") {
            return false;
        }
        if ctx.g.edge_kind(e) == EdgeKind::Internal
            && crate::shapes::edge_name(ctx.g, e).contains(" / part of key (")
        {
            return false;
        }
    }
    true
}

pub(crate) fn detect(ctx: &Ctx<'_, '_>) -> Vec<Candidate> {
    let g = ctx.g;
    let n = ctx.n();
    let roles: Vec<u8> = (0..n).map(|i| role(ctx, NodeIdx(i as u32))).collect();
    let first = ctx.snap.first_edges();
    let to = ctx.snap.edge_targets();
    let comps = sccs(
        n,
        |v| (first[v as usize + 1] - first[v as usize]) as usize,
        |v, k| {
            let e = EdgeIdx(first[v as usize] + k as u32);
            let t = NodeIdx(to[e.index()]);
            (roles[t.index()] != 0 && follows(ctx, e, NodeIdx(v), t)).then_some(t.0)
        },
        |v| roles[v as usize] == 1 && ctx.reachable(NodeIdx(v)),
    );
    // Group components by shape (classes of their user objects) and how they are held.
    struct Group {
        members: Vec<NodeIdx>,
        cycles: u64,
        entry: NodeIdx,
        entry_edges: u64,
    }
    let mut groups: BTreeMap<(String, String), Group> = BTreeMap::new();
    for comp in comps {
        let users: Vec<NodeIdx> =
            comp.iter().map(|&v| NodeIdx(v)).filter(|v| roles[v.index()] == 1).collect();
        if users.len() < 2 {
            continue;
        }
        let inside: std::collections::HashSet<u32> = comp.iter().copied().collect();
        let Some(entry) = comp
            .iter()
            .map(|&v| NodeIdx(v))
            .filter(|&v| ctx.reachable(v))
            .min_by_key(|&v| (ctx.spt.dist[v.index()], ctx.id(v)))
        else {
            continue;
        };
        let entry_edges = comp
            .iter()
            .flat_map(|&v| g.retainers(NodeIdx(v)))
            .filter(|&(e, from)| {
                !inside.contains(&from.0)
                    && ctx.reachable(from)
                    && g.edge_kind(e) != EdgeKind::Weak
                    && from != g.root()
            })
            .count() as u64;
        let mut classes: BTreeMap<String, usize> = BTreeMap::new();
        for &u in &users {
            *classes.entry(ctx.simple_class(u)).or_default() += 1;
        }
        let shape: Vec<String> = classes
            .iter()
            .map(|(c, k)| if *k == 1 { c.clone() } else { format!("{c}\u{d7}{k}") })
            .collect();
        let sig = signature_of(ctx, entry).unwrap_or_default();
        let grp = groups.entry((shape.join(" "), sig)).or_insert(Group {
            members: Vec::new(),
            cycles: 0,
            entry,
            entry_edges: 0,
        });
        grp.members.extend(users);
        grp.cycles += 1;
        grp.entry_edges = grp.entry_edges.max(entry_edges);
        if ctx.id(entry) < ctx.id(grp.entry) {
            grp.entry = entry;
        }
    }
    groups
        .into_iter()
        .map(|((shape, _), grp)| {
            let mut classes: BTreeMap<String, u64> = BTreeMap::new();
            for &m in &grp.members {
                *classes.entry(ctx.simple_class(m)).or_default() += 1;
            }
            let class = classes
                .iter()
                .max_by_key(|(c, k)| (**k, std::cmp::Reverse(c.to_string())))
                .map(|(c, _)| c.clone())
                .unwrap_or_default();
            let title = if grp.cycles == 1 {
                format!("a reference cycle of {} objects ({shape})", grp.members.len())
            } else {
                format!("{} reference cycles of the same shape ({shape})", grp.cycles)
            };
            let mut c = Candidate::new(Category::Cycles, class.clone(), class, title, grp.members);
            c.structural = grp.cycles >= ctx.opts.min_identical;
            c.representative = Some(grp.entry);
            c.facts = vec![
                Fact::number("cycles", grp.cycles),
                Fact::text("shape", shape),
                Fact::number("entry_edges", grp.entry_edges),
            ];
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::sccs;
    use crate::Category;
    use crate::testutil::{by_category, scenario, summary};

    #[test]
    fn sccs_match_petgraph() {
        // A few small graphs, against petgraph's tarjan_scc.
        let graphs: Vec<Vec<(u32, u32)>> = vec![
            vec![(0, 1), (1, 2), (2, 0), (2, 3), (3, 4), (4, 3), (5, 5)],
            vec![(0, 1), (1, 0), (1, 2), (2, 3), (3, 1), (4, 2)],
            vec![(0, 1), (1, 2), (2, 3)],
            (0..50).map(|i| (i, (i * 7 + 3) % 50)).chain((0..50).map(|i| (i, (i + 1) % 13))).collect(),
        ];
        for edges in graphs {
            let n = edges.iter().map(|&(a, b)| a.max(b)).max().unwrap() as usize + 1;
            let adj: Vec<Vec<u32>> = (0..n as u32)
                .map(|v| edges.iter().filter(|e| e.0 == v).map(|e| e.1).collect())
                .collect();
            let mut ours: Vec<Vec<u32>> =
                sccs(n, |v| adj[v as usize].len(), |v, k| Some(adj[v as usize][k]), |_| true)
                .into_iter()
                .map(|mut c| {
                    c.sort();
                    c
                })
                .collect();
            ours.sort();
            let mut pg = petgraph::graph::DiGraph::<(), ()>::new();
            let nodes: Vec<_> = (0..n).map(|_| pg.add_node(())).collect();
            for &(a, b) in &edges {
                pg.add_edge(nodes[a as usize], nodes[b as usize], ());
            }
            let mut theirs: Vec<Vec<u32>> = petgraph::algo::tarjan_scc(&pg)
                .into_iter()
                .filter(|c| c.len() >= 2)
                .map(|c| {
                    let mut c: Vec<u32> = c.into_iter().map(|x| x.index() as u32).collect();
                    c.sort();
                    c
                })
                .collect();
            theirs.sort();
            assert_eq!(ours, theirs, "{edges:?}");
        }
    }

    #[test]
    fn cycles_held_by_a_registry() {
        for phases in [&["baseline", "target"][..], &["target"]] {
            let r = scenario("cycles", phases);
            let f = &r.findings[0];
            assert_eq!(f.category, Category::Cycles, "{}", summary(&r));
            assert_eq!((f.class.as_str(), f.count), ("CycleNode", 400));
            assert_eq!(f.fact("cycles").unwrap().to_string(), "200");
            assert_eq!(f.signature, "global.cycleRegistry[*]");
            assert_eq!(by_category(&r, Category::Cycles).len(), 1, "{}", summary(&r));
        }
        let r = scenario("cycles", &["baseline", "target"]);
        assert_eq!(r.findings[0].growth.as_deref(), Some(&[0, 400][..]));
    }

    #[test]
    fn garbage_and_small_cycles_are_not_reported() {
        for phases in [&["final"][..], &["baseline", "target", "final"]] {
            let r = scenario("control", phases);
            assert!(by_category(&r, Category::Cycles).is_empty(), "{}", summary(&r));
        }
    }
}
