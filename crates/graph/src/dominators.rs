//! Lengauer–Tarjan dominators ("simple" EVAL/LINK), following DevTools' numbering exactly,
//! including its convention for nodes not reachable from the root (reference §2.6): such nodes
//! hang off the root, first those with only non-essential retainers (with a DFS from each),
//! then any still unnumbered node on its own.
//!
//! # Complexity
//! `O((n + m) log n)` time, `O(n)` extra space in flat `u32` arrays (about 40 bytes per node).
//!
//! Reference: T. Lengauer and R. E. Tarjan, "A fast algorithm for finding dominators in a
//! flowgraph", TOPLAS 1(1), 1979.

use crate::analysis::Bits;
use crate::graph::HeapGraph;

/// Returns (immediate dominator per node as node positions, nodes in DFS preorder, number of
/// nodes the first DFS from the root did not reach).
pub(crate) fn dominators(g: &HeapGraph<'_>, essential: &Bits) -> (Vec<u32>, Vec<u32>, usize) {
    let n = g.node_count();
    let len = n + 1;
    // 1-based vertex numbers: vertex v is node v - 1; 0 means "none".
    let mut parent = vec![0u32; len];
    let mut ancestor = vec![0u32; len];
    let mut vertex = vec![0u32; len];
    let mut label = vec![0u32; len];
    let mut semi = vec![0u32; len];
    let mut next_edge = vec![0u32; len];
    let first_edge = g.snap.first_edges();
    let to = g.snap.edge_targets();
    let mut count: u32 = 0;

    let mut dfs = |start: u32,
                   parent: &mut [u32],
                   vertex: &mut [u32],
                   label: &mut [u32],
                   semi: &mut [u32],
                   count: &mut u32| {
        next_edge[start as usize - 1] = first_edge[start as usize - 1];
        let mut v = start;
        while v != 0 {
            if semi[v as usize] == 0 {
                *count += 1;
                semi[v as usize] = *count;
                vertex[*count as usize] = v;
                label[v as usize] = v;
            }
            let mut v_next = parent[v as usize];
            let vo = v as usize - 1;
            while next_edge[vo] < first_edge[vo + 1] {
                let e = next_edge[vo] as usize;
                if essential.get(e) {
                    let wo = to[e] as usize;
                    let w = wo as u32 + 1;
                    if semi[w as usize] == 0 {
                        parent[w as usize] = v;
                        next_edge[wo] = first_edge[wo];
                        v_next = w;
                        break;
                    }
                }
                next_edge[vo] += 1;
            }
            v = v_next;
        }
    };

    // The sources of each node's essential retaining edges (a reverse CSR of the essential
    // edges only, 4 bytes per edge, dropped when done; the order does not affect the result).
    let mut ess_first = vec![0u32; n + 1];
    for (e, &t) in to.iter().enumerate() {
        if essential.get(e) {
            ess_first[t as usize + 1] += 1;
        }
    }
    for i in 0..n {
        ess_first[i + 1] += ess_first[i];
    }
    let mut ess_src = vec![0u32; ess_first[n] as usize];
    {
        let mut fill = ess_first[..n].to_vec();
        for src in 0..n {
            for e in first_edge[src]..first_edge[src + 1] {
                if essential.get(e as usize) {
                    let t = to[e as usize] as usize;
                    ess_src[fill[t] as usize] = src as u32;
                    fill[t] += 1;
                }
            }
        }
    }

    let r = g.root().0 + 1;
    dfs(r, &mut parent, &mut vertex, &mut label, &mut semi, &mut count);
    let unreachable = n - count as usize;
    let only_weak_retainers = |v: usize| ess_first[v] == ess_first[v + 1];
    if (count as usize) < n {
        for v in 1..=n {
            if semi[v] == 0 && only_weak_retainers(v - 1) {
                parent[v] = r;
                dfs(v as u32, &mut parent, &mut vertex, &mut label, &mut semi, &mut count);
            }
        }
    }
    if (count as usize) < n {
        for v in 1..=n {
            if semi[v] == 0 {
                parent[v] = r;
                count += 1;
                semi[v] = count;
                vertex[count as usize] = v as u32;
                label[v] = v as u32;
            }
        }
    }

    let mut stack: Vec<u32> = Vec::new();
    let mut eval = |v: u32, ancestor: &mut [u32], label: &mut [u32], semi: &[u32]| -> u32 {
        if ancestor[v as usize] == 0 {
            return v;
        }
        // COMPRESS, iteratively.
        let mut x = v;
        stack.clear();
        while ancestor[ancestor[x as usize] as usize] != 0 {
            stack.push(x);
            x = ancestor[x as usize];
        }
        while let Some(w) = stack.pop() {
            let a = ancestor[w as usize] as usize;
            if semi[label[a] as usize] < semi[label[w as usize] as usize] {
                label[w as usize] = label[a];
            }
            ancestor[w as usize] = ancestor[a];
        }
        label[v as usize]
    };

    let mut dom = vec![0u32; len];
    // Buckets as singly linked lists: each vertex enters exactly one bucket once.
    let mut bucket_head = vec![0u32; len];
    let mut bucket_next = vec![0u32; len];
    let n_num = count as usize;
    for i in (2..=n_num).rev() {
        let w = vertex[i];
        let wo = w as usize - 1;
        let row = ess_first[wo] as usize..ess_first[wo + 1] as usize;
        let orphan = row.is_empty();
        for &src in &ess_src[row] {
            let u = eval(src + 1, &mut ancestor, &mut label, &semi);
            if semi[u as usize] < semi[w as usize] {
                semi[w as usize] = semi[u as usize];
            }
        }
        if orphan {
            semi[w as usize] = semi[r as usize];
        }
        let b = vertex[semi[w as usize] as usize] as usize;
        bucket_next[w as usize] = bucket_head[b];
        bucket_head[b] = w;
        let p = parent[w as usize];
        ancestor[w as usize] = p;
        let mut v = bucket_head[p as usize];
        bucket_head[p as usize] = 0;
        while v != 0 {
            let u = eval(v, &mut ancestor, &mut label, &semi);
            dom[v as usize] = if semi[u as usize] < semi[v as usize] { u } else { p };
            v = bucket_next[v as usize];
        }
    }
    dom[0] = r;
    dom[r as usize] = r;
    for i in 2..=n_num {
        let w = vertex[i] as usize;
        if dom[w] != vertex[semi[w] as usize] {
            dom[w] = dom[dom[w] as usize];
        }
    }
    let dominator: Vec<u32> = (1..=n).map(|v| dom[v] - 1).collect();
    let order: Vec<u32> = vertex[1..=n_num].iter().map(|&v| v - 1).collect();
    (dominator, order, unreachable)
}
