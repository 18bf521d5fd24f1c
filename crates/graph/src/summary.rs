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
    /// Members, in node order (empty from [`class_summaries_with_retained`] without members).
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
    let nclass = a.classes.classes.len();
    let per_class = class_retained(tree, root, &a.classes.of_node, &a.shallow, &a.retained, nclass);
    class_summaries_with_retained(a, &per_class, true)
}

/// [`class_summaries`] with each internal class's retained size already computed
/// ([`class_retained`] of `a`'s classes, one per entry of `a.classes.classes`), listing each
/// class's members only if `members` (the rows' sizes and counts do not need them: a caller
/// that shows the table saves a list of every node).
///
/// ```
/// use heapsnap_graph::{DominatorTree, Heap, class_retained, class_summaries, class_summaries_with_retained};
/// let heap = Heap::from_path("../../snapshots/hello.heapsnapshot.gz")?;
/// let (g, a) = (heap.graph(), heap.analysis());
/// let tree = DominatorTree::new(a);
/// let per_class =
///     class_retained(&tree, g.root(), &a.classes.of_node, &a.shallow, &a.retained, a.classes.classes.len());
/// let rows = class_summaries_with_retained(a, &per_class, false);
/// let full = class_summaries(a, g.root());
/// assert_eq!(rows.len(), full.len());
/// assert!(rows.iter().zip(&full).all(|(x, y)| x.retained_size == y.retained_size && x.count == y.count));
/// assert!(rows.iter().all(|r| r.nodes.is_empty()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Panics
/// If `per_class` has fewer entries than `a` has classes.
pub fn class_summaries_with_retained(
    a: &Analysis,
    per_class: &[u64],
    members: bool,
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
                if members {
                    x.nodes.push(NodeIdx(i as u32));
                }
            }
            slot @ None => {
                *slot = Some(Acc {
                    count: 1,
                    self_size: u64::from(s),
                    retained: 0,
                    distance: d,
                    nodes: if members { vec![NodeIdx(i as u32)] } else { Vec::new() },
                    seen_at: insertion,
                });
                insertion += 1;
            }
        }
    }
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
/// the same class (with a non-zero shallow size) already did. `retained` is each node's shallow
/// size plus its children's retained sizes (as [`Analysis::retained`] is), and there are fewer
/// than 2^31 classes.
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
    let n = class_of.len();
    let mut out = vec![0u64; class_count];
    if n == 0 {
        return out;
    }
    // What the walk reads of each node, in one record (two cache misses per node instead of
    // four on a heap of millions): its class with whether it counts (top bit), and where its
    // children start (they end where the next node's start). A counting leaf retains its
    // shallow size: its retained size is not read.
    const COUNTS: u32 = 1 << 31;
    let recs: Vec<(u32, u32)> = (0..=n)
        .map(|v| match class_of.get(v) {
            Some(&c) => (c | if shallow[v] != 0 { COUNTS } else { 0 }, tree.first[v]),
            None => (0, tree.first[v]),
        })
        .collect();
    let mut active = vec![0u32; class_count];
    // A node on the stack; `LEAVE` marks the way back out of a counting inner node.
    const LEAVE: u32 = 1 << 31;
    let mut stack: Vec<u32> = vec![root.0];
    while let Some(x) = stack.pop() {
        if x & LEAVE != 0 {
            active[(recs[(x & !LEAVE) as usize].0 & !COUNTS) as usize] -= 1;
            continue;
        }
        let v = x as usize;
        let (rec, first) = recs[v];
        let end = recs[v + 1].1;
        let (c, counts) = ((rec & !COUNTS) as usize, rec & COUNTS != 0);
        if first == end {
            if counts && active[c] == 0 {
                out[c] += u64::from(shallow[v]);
            }
            continue;
        }
        if counts {
            if active[c] == 0 {
                out[c] += retained[v];
            }
            active[c] += 1;
            stack.push(x | LEAVE);
        }
        stack.extend_from_slice(&tree.children[first as usize..end as usize]);
    }
    out
}
