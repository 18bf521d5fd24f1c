//! The Summary view: per-class counts, shallow and retained sizes and distances
//! (`buildAggregates` + `calculateClassesRetainedSize`), and the dominator tree.

use std::collections::HashMap;

use heapsnap_format::NodeIdx;

use crate::analysis::Analysis;

/// One row of the Summary view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassSummary {
    /// Public class key (`,Name` or `script,line,col,Name`).
    pub key: String,
    /// Class name.
    pub name: String,
    /// Objects of the class (objects with shallow size 0 are not counted, as in DevTools).
    pub count: u64,
    /// Sum of shallow sizes.
    pub self_size: u64,
    /// Retained size of the class without double counting: the sum over members not
    /// dominated by another member.
    pub retained_size: u64,
    /// Minimum distance of a member (DevTools' `-5` when one is unreachable).
    pub distance: i32,
    /// Members, in node order.
    pub nodes: Vec<NodeIdx>,
}

/// The dominator tree as children lists (CSR), built from [`Analysis::dominator`].
#[derive(Debug)]
pub struct DominatorTree {
    first: Vec<u32>,
    children: Vec<u32>,
}

impl DominatorTree {
    /// Builds the tree; the root is the one node that dominates itself.
    pub fn new(a: &Analysis) -> DominatorTree {
        let n = a.dominator.len();
        let mut first = vec![0u32; n + 1];
        for (v, &d) in a.dominator.iter().enumerate() {
            if d as usize != v {
                first[d as usize + 1] += 1;
            }
        }
        for i in 0..n {
            first[i + 1] += first[i];
        }
        let mut fill = first[..n].to_vec();
        let mut children = vec![0u32; first[n] as usize];
        for (v, &d) in a.dominator.iter().enumerate() {
            if d as usize != v {
                children[fill[d as usize] as usize] = v as u32;
                fill[d as usize] += 1;
            }
        }
        DominatorTree { first, children }
    }

    /// Nodes immediately dominated by `i`, in node order.
    pub fn children(&self, i: NodeIdx) -> impl ExactSizeIterator<Item = NodeIdx> + '_ {
        self.children[self.first[i.index()] as usize..self.first[i.index() + 1] as usize]
            .iter()
            .map(|&c| NodeIdx(c))
    }
}

/// DevTools' Summary aggregates, one per public class key, sorted by key.
pub fn class_summaries(a: &Analysis, root: NodeIdx) -> Vec<ClassSummary> {
    let classes = &a.classes;
    let nclass = classes.classes.len();
    #[derive(Clone)]
    struct Acc {
        count: u64,
        self_size: u64,
        retained: u64,
        distance: i32,
        nodes: Vec<NodeIdx>,
        seen_at: usize,
    }
    let mut acc: Vec<Option<Acc>> = vec![None; nclass];
    let mut insertion = 0usize;
    for (i, &c) in classes.of_node.iter().enumerate() {
        let s = a.shallow[i];
        if s == 0 {
            continue;
        }
        let d = a.distance[i];
        match &mut acc[c as usize] {
            Some(x) => {
                x.count += 1;
                x.self_size += u64::from(s);
                x.distance = x.distance.min(d);
                x.nodes.push(NodeIdx(i as u32));
            }
            slot @ None => {
                *slot = Some(Acc {
                    count: 1,
                    self_size: u64::from(s),
                    retained: 0,
                    distance: d,
                    nodes: vec![NodeIdx(i as u32)],
                    seen_at: insertion,
                });
                insertion += 1;
            }
        }
    }
    // Retained size per class: walk the dominator tree; a member counts unless an ancestor
    // of the same class (with a non-zero shallow size) already counted.
    let tree = DominatorTree::new(a);
    let mut active = vec![0u32; nclass];
    let mut stack: Vec<(u32, bool)> = vec![(root.0, false)];
    while let Some((v, leaving)) = stack.pop() {
        let c = classes.of_node[v as usize] as usize;
        let counts = a.shallow[v as usize] != 0;
        if leaving {
            if counts {
                active[c] -= 1;
            }
            continue;
        }
        if counts {
            if active[c] == 0
                && let Some(x) = &mut acc[c]
            {
                x.retained += a.retained[v as usize];
            }
            active[c] += 1;
            stack.push((v, true));
        }
        for ch in tree.children(NodeIdx(v)) {
            stack.push((ch.0, false));
        }
    }
    // Public keys: a later internal class with the same public key replaces the earlier one,
    // as assigning into DevTools' key-indexed object does.
    let mut order: Vec<(usize, usize)> =
        acc.iter().enumerate().filter_map(|(c, x)| x.as_ref().map(|x| (x.seen_at, c))).collect();
    order.sort_unstable();
    let mut by_key: HashMap<&str, usize> = HashMap::new();
    for &(_, c) in &order {
        by_key.insert(classes.classes[c].key.as_str(), c);
    }
    let mut out: Vec<ClassSummary> = by_key
        .into_iter()
        .filter_map(|(key, c)| {
            let x = acc[c].take()?;
            Some(ClassSummary {
                key: key.to_string(),
                name: classes.classes[c].name.clone(),
                count: x.count,
                self_size: x.self_size,
                retained_size: x.retained,
                distance: x.distance,
                nodes: x.nodes,
            })
        })
        .collect();
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}
