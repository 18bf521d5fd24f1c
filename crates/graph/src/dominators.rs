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

    // Nodes with essential retainers (for step 2's "only weak retainers" test).
    let mut has_essential_retainer = vec![false; n];
    for (e, &t) in to.iter().enumerate() {
        if essential.get(e) {
            has_essential_retainer[t as usize] = true;
        }
    }

    let r = g.root().0 + 1;
    dfs(r, &mut parent, &mut vertex, &mut label, &mut semi, &mut count);
    let unreachable = n - count as usize;
    if (count as usize) < n {
        for v in 1..=n {
            if semi[v] == 0 && !has_essential_retainer[v - 1] {
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
    drop(has_essential_retainer);
    drop(next_edge);
    drop(label);

    // From here on every vertex is numbered, and the rest of the algorithm runs on DFS numbers
    // instead of vertex numbers: the same steps under a renaming (so the same result), but
    // with arrays indexed in DFS order, which keeps tree neighbours close in memory.
    // `num[v]` is vertex v's DFS number (the initial semi value).
    let num = semi;
    let n_num = count as usize;
    let mut par = vec![0u32; len];
    for i in 1..=n_num {
        par[i] = num[parent[vertex[i] as usize] as usize];
    }
    drop(parent);
    // Predecessors over essential edges, by DFS number (a reverse CSR, 4 bytes per edge).
    let mut pred_first = vec![0u32; len + 1];
    for (e, &t) in to.iter().enumerate() {
        if essential.get(e) {
            pred_first[num[t as usize + 1] as usize + 1] += 1;
        }
    }
    for i in 0..len {
        pred_first[i + 1] += pred_first[i];
    }
    let mut pred = vec![0u32; pred_first[len] as usize];
    {
        let mut fill = pred_first[..len].to_vec();
        for src in 0..n {
            let s = num[src + 1];
            for e in first_edge[src]..first_edge[src + 1] {
                if essential.get(e as usize) {
                    let t = num[to[e as usize] as usize + 1] as usize;
                    pred[fill[t] as usize] = s;
                    fill[t] += 1;
                }
            }
        }
    }

    let mut sd: Vec<u32> = (0..len as u32).collect();
    let mut lbl: Vec<u32> = (0..len as u32).collect();
    let mut anc = vec![0u32; len];
    let mut stack: Vec<u32> = Vec::new();
    let mut eval = |v: u32, anc: &mut [u32], lbl: &mut [u32], sd: &[u32]| -> u32 {
        if anc[v as usize] == 0 {
            return v;
        }
        // COMPRESS, iteratively.
        let mut x = v;
        stack.clear();
        while anc[anc[x as usize] as usize] != 0 {
            stack.push(x);
            x = anc[x as usize];
        }
        while let Some(w) = stack.pop() {
            let a = anc[w as usize] as usize;
            if sd[lbl[a] as usize] < sd[lbl[w as usize] as usize] {
                lbl[w as usize] = lbl[a];
            }
            anc[w as usize] = anc[a];
        }
        lbl[v as usize]
    };

    let mut dom = vec![0u32; len];
    // Buckets as singly linked lists: each vertex enters exactly one bucket once.
    let mut bucket_head = vec![0u32; len];
    let mut bucket_next = vec![0u32; len];
    for w in (2..=n_num).rev() {
        let row = pred_first[w] as usize..pred_first[w + 1] as usize;
        // A node without essential retainers acts as if retained by the root (number 1).
        let mut s = if row.is_empty() { 1 } else { sd[w] };
        for &v in &pred[row] {
            let u = eval(v, &mut anc, &mut lbl, &sd);
            s = s.min(sd[u as usize]);
        }
        sd[w] = s;
        bucket_next[w] = bucket_head[s as usize];
        bucket_head[s as usize] = w as u32;
        let p = par[w];
        anc[w] = p;
        let mut v = bucket_head[p as usize];
        bucket_head[p as usize] = 0;
        while v != 0 {
            let u = eval(v, &mut anc, &mut lbl, &sd);
            dom[v as usize] = if sd[u as usize] < sd[v as usize] { u } else { p };
            v = bucket_next[v as usize];
        }
    }
    dom[0] = 1;
    dom[1] = 1;
    for w in 2..=n_num {
        if dom[w] != sd[w] {
            dom[w] = dom[dom[w] as usize];
        }
    }
    let mut dominator = vec![0u32; n];
    for i in 1..=n_num {
        dominator[vertex[i] as usize - 1] = vertex[dom[i] as usize] - 1;
    }
    let order: Vec<u32> = vertex[1..=n_num].iter().map(|&v| v - 1).collect();
    (dominator, order, unreachable)
}
