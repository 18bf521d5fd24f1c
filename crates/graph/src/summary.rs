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

/// The dominator tree as children lists (CSR), built from [`Analysis::dominators`].
#[derive(Debug)]
pub struct DominatorTree {
    first: Vec<u32>,
    children: Vec<u32>,
}

impl DominatorTree {
    /// Builds the tree; the root is the one node that dominates itself.
    pub fn new(a: &Analysis) -> DominatorTree {
        DominatorTree::from_dominators(&a.dominator)
    }

    /// Builds the tree from an immediate-dominator array (the root dominates itself).
    pub fn from_dominators(dominator: &[u32]) -> DominatorTree {
        let n = dominator.len();
        let mut first = vec![0u32; n + 1];
        for (v, &d) in dominator.iter().enumerate() {
            if d as usize != v {
                first[d as usize + 1] += 1;
            }
        }
        for i in 0..n {
            first[i + 1] += first[i];
        }
        let mut fill = first[..n].to_vec();
        let mut children = vec![0u32; first[n] as usize];
        for (v, &d) in dominator.iter().enumerate() {
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
    class_summaries_with_tree(a, root, &DominatorTree::new(a))
}

/// [`class_summaries`] with the analysis's dominator tree already built
/// ([`DominatorTree::new`] of `a`), for a caller that needs it too.
pub fn class_summaries_with_tree(
    a: &Analysis,
    root: NodeIdx,
    tree: &DominatorTree,
) -> Vec<ClassSummary> {
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
    let per_class = class_retained(tree, root, &classes.of_node, &a.shallow, &a.retained, nclass);
    for (c, x) in acc.iter_mut().enumerate() {
        if let Some(x) = x {
            x.retained = per_class[c];
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

/// Retained size per class without double counting (`calculateClassesRetainedSize`): walk the
/// dominator tree from `root`; a node with a non-zero shallow size counts unless an ancestor of
/// the same class (with a non-zero shallow size) already did.
///
/// # Complexity
/// `O(n)` time, `O(n + classes)` space.
pub fn class_retained(
    tree: &DominatorTree,
    root: NodeIdx,
    class_of: &[u32],
    shallow: &[u32],
    retained: &[u64],
    class_count: usize,
) -> Vec<u64> {
    let mut out = vec![0u64; class_count];
    let mut active = vec![0u32; class_count];
    let mut stack: Vec<(u32, bool)> = vec![(root.0, false)];
    while let Some((v, leaving)) = stack.pop() {
        let c = class_of[v as usize] as usize;
        let counts = shallow[v as usize] != 0;
        if leaving {
            if counts {
                active[c] -= 1;
            }
            continue;
        }
        if counts {
            if active[c] == 0 {
                out[c] += retained[v as usize];
            }
            active[c] += 1;
            stack.push((v, true));
        }
        for ch in tree.children(NodeIdx(v)) {
            stack.push((ch.0, false));
        }
    }
    out
}
