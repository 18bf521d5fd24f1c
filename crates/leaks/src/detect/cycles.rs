//! Reference cycles: strongly connected components of user objects that a root keeps alive.
//!
//! A tracing GC frees unreachable cycles, so only cycles retained from a root are reported,
//! and cycles are only a leak in numbers: many cycles of one shape held the same way (a
//! registry of parent ⇄ child pairs), or a cycle cluster that grows across snapshots. The
//! components are computed (Tarjan, iteratively) on the view DevTools' dominators use minus
//! V8's internals: JS objects (not contexts or other `system / ` objects) and the internal
//! arrays that hold their elements and properties, over edges that are not weak, shortcuts,
//! prototype links or self references. Closures are left out: every class is a cycle through
//! its constructor and prototype. Components must hold two user objects or more, and be held
//! from outside by at most two objects (a cycle hanging off a registry; a cycle referenced
//! from all over, like a graph of friends, is part of a larger structure that is the real
//! holder). With earlier snapshots of the same process, only objects new since the first one
//! take part: a cycle that grows is made of new objects.

use std::collections::BTreeMap;

use heapsnap_format::{EdgeIdx, EdgeKind, NodeIdx, NodeKind};

use crate::ctx::Ctx;
use crate::detect::Candidate;
use crate::finding::{Category, Fact};
use heapsnap_graph::path::is_backing_store;

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
            while let Some(top) = calls.last_mut().filter(|t| t.1 < deg) {
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

#[inline]
fn follows(ctx: &Ctx<'_, '_>, proto: Option<u32>, e: EdgeIdx, from: NodeIdx, to: NodeIdx) -> bool {
    let kind = ctx.g.edge_kind(e);
    if from == to || matches!(kind, EdgeKind::Weak | EdgeKind::Shortcut) {
        return false;
    }
    let name = ctx.snap.edge_names_or_indices()[e.index()];
    match kind {
        EdgeKind::Property => Some(name) != proto,
        EdgeKind::Internal => !ctx.names.is_ephemeron(name),
        _ => true,
    }
}

/// Cycles held from outside by more objects than this are not reported as cycles.
const MAX_ENTRY_HOLDERS: usize = 2;

pub(crate) fn detect(ctx: &Ctx<'_, '_>) -> Vec<Candidate> {
    let g = ctx.g;
    let n = ctx.n();
    let t = std::time::Instant::now();
    // `system / ` names (contexts, V8 internals), by string.
    let system: Vec<bool> = ctx.snap.strings().iter().map(|s| s.starts_with("system / ")).collect();
    let names = ctx.snap.node_names();
    // With earlier snapshots of the same process, only cycles made of objects new since the
    // first one can grow: the search is limited to them (a small part of a big heap).
    let hist = &ctx.hist;
    let first = (hist.comparable && !hist.priors.is_empty()).then(|| &hist.priors[0]);
    let ids = ctx.snap.node_ids();
    // 1: a user object (JS object, not `system / …`); 2: an internal array that can carry a
    // cycle (elements, properties, Map and Set tables); 0: not part of user cycles.
    let roles: Vec<u8> = (0..n)
        .map(|i| {
            if first.is_some_and(|c| c.contains(ids[i])) {
                return 0;
            }
            match ctx.kind(NodeIdx(i as u32)) {
                NodeKind::Object if !system.get(names[i] as usize).copied().unwrap_or(false) => 1,
                NodeKind::Array => 2,
                _ => 0,
            }
        })
        .collect();
    let proto = ctx.names.get("__proto__");
    let first_edge = ctx.snap.first_edges();
    let to = ctx.snap.edge_targets();
    let comps = sccs(
        n,
        |v| (first_edge[v as usize + 1] - first_edge[v as usize]) as usize,
        |v, k| {
            let e = EdgeIdx(first_edge[v as usize] + k as u32);
            let t = NodeIdx(to[e.index()]);
            (roles[t.index()] != 0 && follows(ctx, proto, e, NodeIdx(v), t)).then_some(t.0)
        },
        |v| roles[v as usize] == 1 && ctx.reachable(NodeIdx(v)),
    );
    log::debug!(
        "leaks: cycles: {} strongly connected components in {:.2?}",
        comps.len(),
        t.elapsed()
    );
    // Group components by shape (classes of their user objects) and how they are held.
    struct Group {
        members: Vec<NodeIdx>,
        cycles: u64,
        entry: NodeIdx,
        entry_edges: u64,
        single_holder: bool,
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
            .min_by_key(|&v| (ctx.path_rank(v), ctx.id(v)))
        else {
            continue;
        };
        // What holds the cycle from outside (an object's element store counts as the object).
        let holders: std::collections::BTreeSet<u32> = comp
            .iter()
            .flat_map(|&v| g.retainers(NodeIdx(v)))
            .filter(|&(e, from)| {
                !inside.contains(&from.0)
                    && ctx.reachable(from)
                    && !matches!(g.edge_kind(e), EdgeKind::Weak | EdgeKind::Shortcut)
                    && from != g.root()
                    && ctx.kind(from) != NodeKind::Hidden
                    && !is_backing_store(ctx.g, from)
            })
            .map(|(_, from)| from.0)
            .collect();
        // A cycle referenced from many places is part of a larger structure (a graph of
        // friends, a doubly linked list in use): what leaks is that structure's holder.
        if holders.len() > MAX_ENTRY_HOLDERS {
            continue;
        }
        let entry_edges = holders.len() as u64;
        let mut classes: BTreeMap<String, usize> = BTreeMap::new();
        for &u in &users {
            *classes.entry(ctx.display_class(u)).or_default() += 1;
        }
        let shape: Vec<String> = classes
            .iter()
            .map(|(c, k)| if *k == 1 { c.clone() } else { format!("{c}\u{d7}{k}") })
            .collect();
        let sig = ctx.signature_of(entry).unwrap_or_default();
        let grp = groups.entry((shape.join(" "), sig)).or_insert(Group {
            members: Vec::new(),
            cycles: 0,
            entry,
            entry_edges: 0,
            single_holder: true,
        });
        grp.members.extend(users);
        grp.cycles += 1;
        grp.entry_edges = grp.entry_edges.max(entry_edges);
        grp.single_holder &= entry_edges <= 1;
        if ctx.id(entry) < ctx.id(grp.entry) {
            grp.entry = entry;
        }
    }
    groups
        .into_iter()
        .map(|((shape, _), grp)| {
            // DevTools' class names; the analysis-free one of the same objects for counts
            // across snapshots.
            let mut classes: BTreeMap<String, (u64, NodeIdx)> = BTreeMap::new();
            for &m in &grp.members {
                classes.entry(ctx.display_class(m)).or_insert((0, m)).0 += 1;
            }
            let (class, class_key) = classes
                .iter()
                .max_by_key(|(c, (k, _))| (*k, std::cmp::Reverse(c.to_string())))
                .map(|(c, &(_, m))| (c.clone(), ctx.simple_class(m)))
                .unwrap_or_default();
            let title = if grp.cycles == 1 {
                format!("a reference cycle of {} objects ({shape})", grp.members.len())
            } else {
                format!("{} reference cycles of the same shape ({shape})", grp.cycles)
            };
            let mut c = Candidate::new(Category::Cycles, class, class_key, title, grp.members);
            c.structural = grp.single_holder
                && grp.cycles >= ctx.opts.min_identical
                && ctx.retained_of(&c.members) >= ctx.opts.min_cycle_retained;
            c.representative = Some(grp.entry);
            // Cycles each hanging off one holder (a registry) are what leaks; cycles with two
            // holders are usually part of a bigger structure, which explains them better.
            c.primary = grp.single_holder;
            c.facts = vec![
                Fact::number("cycles", grp.cycles),
                Fact::text("shape", shape),
                Fact::number("entry_holders", grp.entry_edges),
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
            (0..50)
                .map(|i| (i, (i * 7 + 3) % 50))
                .chain((0..50).map(|i| (i, (i + 1) % 13)))
                .collect(),
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
        {
            let r = scenario("cycles", &["baseline", "target"]);
            let f = &r.findings[0];
            assert_eq!(f.category, Category::Cycles, "{}", summary(&r));
            assert_eq!((f.class.as_str(), f.count), ("CycleNode", 400));
            assert_eq!(f.fact("cycles").unwrap().to_string(), "200");
            assert_eq!(f.signature, "global.cycleRegistry[*]");
            assert_eq!(by_category(&r, Category::Cycles).len(), 1, "{}", summary(&r));
        }
        let r = scenario("cycles", &["baseline", "target"]);
        assert_eq!(r.findings[0].growth.as_deref(), Some(&[0, 400][..]));
        // One snapshot: 200 small cycles (28 KiB) are not worth a report without growth...
        assert!(scenario("cycles", &["target"]).findings.is_empty());
        // ...unless they keep enough alive.
        let opts = crate::LeakOptions { min_cycle_retained: 16 * 1024, ..Default::default() };
        let r = crate::testutil::scenario_with("cycles", &["target"], &opts);
        assert_eq!(by_category(&r, Category::Cycles).len(), 1, "{}", summary(&r));
        assert_eq!(r.findings[0].count, 400);
    }

    #[test]
    fn garbage_and_small_cycles_are_not_reported() {
        for phases in [&["final"][..], &["baseline", "target", "final"]] {
            let r = scenario("control", phases);
            assert!(by_category(&r, Category::Cycles).is_empty(), "{}", summary(&r));
        }
    }

    #[test]
    fn unreachable_cycles_are_garbage() {
        // A hand-made graph with an unreachable 3-cycle (reference §2.6): even with every
        // threshold at its lowest, it is not reported.
        let opts = crate::LeakOptions {
            min_identical: 1,
            categories: Some(vec![Category::Cycles]),
            ..crate::LeakOptions::default()
        };
        let r = crate::testutil::report_files(
            &["synthetic/unreachable-cycles.heapsnapshot".to_string()],
            &opts,
        );
        assert!(r.findings.iter().all(|f| f.class != "Cycle"), "{}", summary(&r));
    }
}
