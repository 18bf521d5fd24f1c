//! The treemap's data: retained size down the dominator tree, with small objects aggregated
//! by class, built from DevTools' analysis (read only).
//!
//! Every cell's size is the sum of its children's sizes, so at every level the cells add up to
//! the total: an object's children are the objects it immediately dominates that retain at
//! least the threshold, one cell per class for the dominated objects below it (when the class
//! together reaches the threshold), the object's own shallow size, and one cell for the rest.
//! Cells are expanded largest first until the cell budget is spent.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use heapsnap_format::{EdgeIdx, EdgeKind, NodeIdx};
use heapsnap_graph::{Analysis, DominatorTree, EdgeStyle, HeapGraph, edge_text};
use serde::Serialize;

/// What a cell stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CellKind {
    /// One object and everything it dominates (its retained size).
    Object,
    /// Objects of one class, each below the threshold, dominated by the parent cell's object.
    Class,
    /// The parent cell's object's own (shallow) size.
    Own,
    /// What is left below the threshold: small classes, and the own size when it is small.
    Rest,
    /// Native memory the snapshot reports outside its nodes (`extra_native_bytes`).
    Native,
}

/// One cell of the treemap.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cell {
    /// What the cell stands for.
    pub kind: CellKind,
    /// The class (DevTools' constructor name), or a description for `own`, `rest`, `native`.
    pub class: String,
    /// The object's name as DevTools shows it (`object` cells; strings are cut to 60
    /// characters), else empty.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// How the parent holds it: the edge from the dominating object as DevTools writes it
    /// (`.cache`, `[3]`, `->ctx`); `…Holder.edge` when the object is held through another
    /// object the parent dominates; for a class cell, the edge all members share.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edge: Option<String>,
    /// The object id (`object` cells).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
    /// Objects in the cell (1 for an object; its dominated objects are not counted).
    pub count: u64,
    /// Bytes: retained size of an object, summed retained sizes of a class, own size.
    pub size: u64,
    /// Child cells, largest first (empty for a leaf).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<u32>,
    /// The parent cell (`None` for the root).
    #[serde(skip)]
    pub parent: Option<u32>,
}

/// Options for [`Treemap::new`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TreemapOptions {
    /// At most this many cells in all.
    pub max_cells: usize,
    /// Objects retaining less than this fraction of the total are aggregated by class.
    pub min_fraction: f64,
    /// At most this many object cells under one parent (the rest by class).
    pub max_children: usize,
    /// Class cells are opened (what their members dominate, by class) until this many members
    /// have been looked at in all; objects always are. Bounds the time on huge heaps.
    pub max_class_members: usize,
}

impl Default for TreemapOptions {
    fn default() -> Self {
        TreemapOptions {
            max_cells: 2000,
            min_fraction: 0.0005,
            max_children: 100,
            max_class_members: 2_000_000,
        }
    }
}

impl TreemapOptions {
    /// The default options with at most `n` cells.
    pub fn with_max_cells(mut self, n: usize) -> Self {
        self.max_cells = n.max(2);
        self
    }
}

/// The treemap of a heap: `cells[0]` is the root (the snapshot's root, sized DevTools'
/// total).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Treemap {
    /// DevTools' total (the root's retained size plus `extra_native_bytes`).
    pub total: u64,
    /// Objects retaining less than this many bytes are aggregated by class.
    pub threshold: u64,
    /// The cells; the root first, every child after its parent.
    pub cells: Vec<Cell>,
}

/// Longest object name kept in a cell.
const MAX_NAME: usize = 60;

fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

impl Treemap {
    /// Builds the treemap from the dominator tree and retained sizes of `a`.
    ///
    /// ```
    /// # let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
    /// #   "node_types":[["synthetic","object","array"]],"edge_fields":["type","name_or_index","to_node"],
    /// #   "edge_types":[["element","property","shortcut","internal"]]},"node_count":4,"edge_count":3},
    /// #   "nodes":[0,0,1,0,1, 1,1,3,16,1, 1,2,5,24,1, 2,3,7,40,0],
    /// #   "edges":[2,0,5, 1,4,10, 3,5,15],
    /// #   "strings":["","global","Foo","(object elements)","foo","elements"]}"#;
    /// use heapsnap_graph::{Analysis, AnalysisOptions, DominatorTree, HeapGraph};
    /// use heapsnap_report::{Treemap, TreemapOptions};
    /// let snap = heapsnap_format::HeapSnapshot::from_slice(json)?;
    /// let g = HeapGraph::new(&snap);
    /// let a = Analysis::new(&g, &AnalysisOptions::default(), &mut heapsnap_format::NoProgress);
    /// let map = Treemap::new(&g, &a, &DominatorTree::new(&a), &TreemapOptions::default());
    /// assert_eq!(map.cells[0].size, a.total_size);
    /// let sum: u64 = map.cells[0].children.iter().map(|&c| map.cells[c as usize].size).sum();
    /// assert_eq!(sum, a.total_size);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        g: &HeapGraph<'_>,
        a: &Analysis,
        tree: &DominatorTree,
        opts: &TreemapOptions,
    ) -> Treemap {
        let snap = g.snapshot();
        let root = g.root();
        let total = a.total_size;
        let threshold = ((total as f64 * opts.min_fraction) as u64).max(1);
        let b = Builder { g, a, tree, threshold, max_children: opts.max_children.max(1) };
        let mut cells = vec![Cell {
            kind: CellKind::Object,
            class: "(root)".to_string(),
            name: String::new(),
            edge: None,
            id: Some(snap.node(root).id().0),
            count: 1,
            size: total,
            children: Vec::new(),
            parent: None,
        }];
        let max_cells = opts.max_cells.max(2);
        // Cells waiting to be expanded, largest first, with the objects they stand for.
        let mut queue: BinaryHeap<(u64, Reverse<u32>, u32)> = BinaryHeap::new();
        let mut members: Vec<Option<Vec<NodeIdx>>> = vec![Some(vec![root])];
        queue.push((a.retained[root.index()], Reverse(root.0), 0));
        let mut mark = vec![0u64; g.node_count().div_ceil(64)];
        let mut slot = vec![u32::MAX; a.classes.classes.len()];
        let mut class_members = 0usize;
        while let Some((_, _, ci)) = queue.pop() {
            let Some(set) = members[ci as usize].take() else { continue };
            if set.len() > 1 {
                class_members += set.len();
                if class_members > opts.max_class_members {
                    continue;
                }
            }
            let mut kids = b.expand(&set, &mut mark, &mut slot);
            drop(set);
            if ci == 0
                && let Some(x) = snap.extra_native_bytes().filter(|&x| x > 0)
            {
                kids.push(Kid::leaf(Cell {
                    kind: CellKind::Native,
                    class: "(extra native bytes)".to_string(),
                    name: String::new(),
                    edge: None,
                    id: None,
                    count: 0,
                    size: x,
                    children: Vec::new(),
                    parent: None,
                }));
                sort_cells(&mut kids);
            }
            if kids.is_empty() {
                continue;
            }
            let room = max_cells.saturating_sub(cells.len());
            if kids.len() > room {
                // The largest cells still get their children: the smallest ones go together.
                if room < 2 {
                    continue;
                }
                let merged: Vec<Kid> = kids.drain(room - 1..).collect();
                kids.push(Kid::leaf(Cell {
                    kind: CellKind::Rest,
                    class: format!("({} smaller cells)", merged.len()),
                    name: String::new(),
                    edge: None,
                    id: None,
                    count: merged.iter().map(|k| k.cell.count).sum(),
                    size: merged.iter().map(|k| k.cell.size).sum(),
                    children: Vec::new(),
                    parent: None,
                }));
                sort_cells(&mut kids);
            }
            for kid in kids {
                let k = cells.len() as u32;
                let mut cell = kid.cell;
                cell.parent = Some(ci);
                // A class of V8's own (`(concatenated string)`, `(array)`) only holds parts of
                // its members: not worth opening.
                let internal = cell.kind == CellKind::Class && cell.class.starts_with('(');
                if kid.expandable && !internal {
                    let first = kid.members.first().map_or(u32::MAX, |n| n.0);
                    queue.push((cell.size, Reverse(first), k));
                    members.push(Some(kid.members));
                } else {
                    members.push(None);
                }
                cells[ci as usize].children.push(k);
                cells.push(cell);
            }
        }
        Treemap { total, threshold, cells }
    }

    /// The cells from the root down to `i` (both included).
    pub fn ancestry(&self, i: u32) -> Vec<u32> {
        let mut v = vec![i];
        let mut x = i;
        while let Some(p) = self.cells[x as usize].parent {
            v.push(p);
            x = p;
        }
        v.reverse();
        v
    }
}

/// A child cell in the making: the objects it stands for, and whether any of them dominates
/// anything (so that the cell can be expanded).
struct Kid {
    cell: Cell,
    members: Vec<NodeIdx>,
    expandable: bool,
}

impl Kid {
    fn leaf(cell: Cell) -> Kid {
        Kid { cell, members: Vec::new(), expandable: false }
    }
}

/// Largest first; ties by kind, class and id, so that the order never depends on anything
/// but the heap.
fn sort_cells(v: &mut [Kid]) {
    v.sort_by(|x, y| {
        let (x, y) = (&x.cell, &y.cell);
        y.size
            .cmp(&x.size)
            .then(x.kind.cmp(&y.kind))
            .then_with(|| x.class.cmp(&y.class))
            .then(x.id.cmp(&y.id))
    });
}

/// How an edge is written in a class cell: all element edges are `[…]`, others by kind and
/// name (compared before any text is made).
#[derive(Clone, Copy, PartialEq, Eq)]
enum EdgeKey {
    Elements(EdgeIdx),
    Named(EdgeKind, u32, EdgeIdx),
}

impl EdgeKey {
    fn new(g: &HeapGraph<'_>, e: EdgeIdx) -> EdgeKey {
        match g.edge_kind(e) {
            EdgeKind::Element | EdgeKind::Hidden => EdgeKey::Elements(e),
            k => EdgeKey::Named(k, g.snapshot().edge(e).name_or_index(), e),
        }
    }

    fn same(self, other: EdgeKey) -> bool {
        match (self, other) {
            (EdgeKey::Elements(_), EdgeKey::Elements(_)) => true,
            (EdgeKey::Named(k, n, _), EdgeKey::Named(l, m, _)) => k == l && n == m,
            _ => false,
        }
    }

    fn text(self, g: &HeapGraph<'_>) -> String {
        match self {
            EdgeKey::Elements(_) => "[…]".to_string(),
            EdgeKey::Named(_, _, e) => edge_text(g, e, EdgeStyle::Exact),
        }
    }
}

/// Dominated objects of one class below the threshold, gathered over a cell's members.
struct Group {
    count: u64,
    size: u64,
    members: Vec<NodeIdx>,
    expandable: bool,
    /// The edge all members are held by so far: `None` before the first, `Some(None)` once
    /// they differ (or one has no direct edge).
    edge: Option<Option<EdgeKey>>,
}

struct Builder<'g, 's> {
    g: &'g HeapGraph<'s>,
    a: &'g Analysis,
    tree: &'g DominatorTree,
    threshold: u64,
    max_children: usize,
}

#[inline]
fn bit(mark: &[u64], i: u32) -> bool {
    mark[i as usize >> 6] & (1 << (i & 63)) != 0
}

#[inline]
fn flip(mark: &mut [u64], i: u32) {
    mark[i as usize >> 6] ^= 1 << (i & 63);
}

impl Builder<'_, '_> {
    /// The child cells of the objects `set` (one object, or a class of them): what they
    /// immediately dominate, largest first. `mark` is all clear and `slot` all `u32::MAX`,
    /// and both are left so.
    fn expand(&self, set: &[NodeIdx], mark: &mut [u64], slot: &mut [u32]) -> Vec<Kid> {
        let (g, a) = (self.g, self.a);
        let snap = g.snapshot();
        let root = g.root();
        let single = set.len() == 1;
        let mut big: Vec<(NodeIdx, Option<EdgeIdx>, NodeIdx)> = Vec::new();
        let mut groups: Vec<(u32, Group)> = Vec::new();
        let mut own = 0u64;
        let mut add_small = |c: NodeIdx, e: Option<EdgeIdx>, m: NodeIdx| {
            let key = if m == root { None } else { e.map(|e| EdgeKey::new(g, e)) };
            let class = a.classes.of_node[c.index()];
            let k = &mut slot[class as usize];
            if *k == u32::MAX {
                *k = groups.len() as u32;
                groups.push((
                    class,
                    Group { count: 0, size: 0, members: Vec::new(), expandable: false, edge: None },
                ));
            }
            let grp = &mut groups[*k as usize].1;
            grp.count += 1;
            grp.size += a.retained[c.index()];
            grp.members.push(c);
            // (Once one member has children the group opens: the others are not looked at.)
            grp.expandable = grp.expandable || self.tree.children(c).len() > 0;
            grp.edge = match (grp.edge, key) {
                (None, k) => Some(k),
                (Some(Some(p)), Some(k)) if p.same(k) => Some(Some(p)),
                _ => Some(None),
            };
        };
        let mut take = |c: NodeIdx, e: Option<EdgeIdx>, m: NodeIdx, big: &mut Vec<_>| {
            let r = a.retained[c.index()];
            if r >= self.threshold {
                big.push((c, e, m));
            } else if r > 0 {
                add_small(c, e, m);
            }
        };
        for &m in set {
            own += u64::from(a.shallow[m.index()]);
            if single {
                // Children held by an edge of m itself (the first such edge names them),
                // then the ones m dominates through other objects. (A class's members are
                // many: their edges are looked at for a sample of each group only.)
                for (e, t) in g.edges(m) {
                    if t != m
                        && a.dominator(t) == Some(m)
                        && !bit(mark, t.0)
                        && g.edge_kind(e) != EdgeKind::Weak
                    {
                        flip(mark, t.0);
                        take(t, Some(e), m, &mut big);
                    }
                }
            }
            for c in self.tree.children(m) {
                if single && bit(mark, c.0) {
                    flip(mark, c.0);
                } else {
                    take(c, None, m, &mut big);
                }
            }
        }
        big.sort_by(|x, y| {
            a.retained[y.0.index()].cmp(&a.retained[x.0.index()]).then(x.0.cmp(&y.0))
        });
        let overflow: Vec<(NodeIdx, Option<EdgeIdx>, NodeIdx)> =
            big.drain(self.max_children.min(big.len())..).collect();
        for (c, e, m) in overflow {
            add_small(c, e, m);
        }
        for (class, _) in &groups {
            slot[*class as usize] = u32::MAX;
        }
        let mut out: Vec<Kid> = Vec::with_capacity(big.len() + 4);
        for (c, e, m) in big {
            let n = snap.node(c);
            let e = e.or_else(|| if single { None } else { self.direct_edge(m, c) });
            out.push(Kid {
                cell: Cell {
                    kind: CellKind::Object,
                    class: a.classes.of(c).name.clone(),
                    name: cut(&a.node_name(snap, c), MAX_NAME),
                    // The root's edges are V8's bookkeeping (`[1]`), not how anything is held.
                    edge: if m == root {
                        None
                    } else {
                        match e {
                            Some(e) => Some(edge_text(g, e, EdgeStyle::Exact)),
                            None => self.indirect_edge(m, c),
                        }
                    },
                    id: Some(n.id().0),
                    count: 1,
                    size: a.retained[c.index()],
                    children: Vec::new(),
                    parent: None,
                },
                members: vec![c],
                expandable: self.tree.children(c).len() > 0,
            });
        }
        groups.sort_by_key(|(class, _)| *class);
        let small = groups.into_iter().map(|(class, mut grp)| {
            if !single {
                grp.edge = Some(self.sample_edge(&grp.members));
            }
            (class, grp)
        });
        let (mut rest_count, mut rest_size, mut rest_classes) = (0u64, 0u64, 0u64);
        for (class, grp) in small {
            if grp.size >= self.threshold {
                out.push(Kid {
                    cell: Cell {
                        kind: CellKind::Class,
                        class: a.classes.classes[class as usize].name.clone(),
                        name: String::new(),
                        edge: grp.edge.flatten().map(|k| k.text(g)),
                        id: None,
                        count: grp.count,
                        size: grp.size,
                        children: Vec::new(),
                        parent: None,
                    },
                    members: grp.members,
                    expandable: grp.expandable,
                });
            } else {
                rest_count += grp.count;
                rest_size += grp.size;
                rest_classes += 1;
            }
        }
        let mut rest_label =
            format!("{rest_classes} small class{}", if rest_classes == 1 { "" } else { "es" });
        if own >= self.threshold {
            out.push(Kid::leaf(Cell {
                kind: CellKind::Own,
                class: "(own size)".to_string(),
                name: String::new(),
                edge: None,
                id: None,
                count: 0,
                size: own,
                children: Vec::new(),
                parent: None,
            }));
        } else if own > 0 {
            rest_size += own;
            rest_label.push_str(" and own size");
        }
        if rest_size > 0 {
            out.push(Kid::leaf(Cell {
                kind: CellKind::Rest,
                class: format!("({rest_label})"),
                name: String::new(),
                edge: None,
                id: None,
                count: rest_count,
                size: rest_size,
                children: Vec::new(),
                parent: None,
            }));
        }
        sort_cells(&mut out);
        out
    }

    /// `v`'s first non-weak edge to `c` (not looked for in objects with over 100,000 edges).
    fn direct_edge(&self, v: NodeIdx, c: NodeIdx) -> Option<EdgeIdx> {
        let g = self.g;
        let edges = g.edges(v);
        if edges.len() > 100_000 {
            return None;
        }
        edges.filter(|&(e, t)| t == c && g.edge_kind(e) != EdgeKind::Weak).map(|(e, _)| e).next()
    }

    /// The edge that the first few members of a class cell are held by, when it is the same
    /// for all of them (element indices aside).
    fn sample_edge(&self, members: &[NodeIdx]) -> Option<EdgeKey> {
        let mut key: Option<EdgeKey> = None;
        for &c in members.iter().take(8) {
            let d = self.a.dominator(c)?;
            if d == self.g.root() {
                return None;
            }
            let k = EdgeKey::new(self.g, self.direct_edge(d, c)?);
            match key {
                Some(p) if !p.same(k) => return None,
                _ => key = Some(k),
            }
        }
        key
    }

    /// How `v` holds `c` when no edge of its own does: `…Holder.edge` through an object `v`
    /// dominates (`None` when none is found close by).
    fn indirect_edge(&self, v: NodeIdx, c: NodeIdx) -> Option<String> {
        let (g, a) = (self.g, self.a);
        for (e, r) in g.retainers(c) {
            if g.edge_kind(e) == EdgeKind::Weak {
                continue;
            }
            let mut x = r.0;
            for _ in 0..16 {
                if x == v.0 {
                    return Some(format!(
                        "…{}{}",
                        a.classes.of(r).name,
                        edge_text(g, e, EdgeStyle::Exact)
                    ));
                }
                match a.dominator(NodeIdx(x)) {
                    Some(d) => x = d.0,
                    None => break,
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use heapsnap_format::HeapSnapshot;
    use heapsnap_graph::AnalysisOptions;

    /// root -> global -> {a: Big (array of 30 Small), b: Big2}; every Small 100 bytes and
    /// holds a Leaf of 50 bytes by `.leaf`.
    fn snapshot() -> HeapSnapshot {
        // nodes: type, name, id, self_size, edge_count
        let mut nodes = vec![0, 0, 1, 0, 1, 1, 1, 3, 50, 2, 1, 2, 5, 1000, 30, 1, 3, 7, 4000, 0];
        let mut edges = vec![2, 0, 5, 1, 4, 10, 1, 5, 15];
        for i in 0..30u32 {
            nodes.extend([1, 6, 9 + 2 * i, 100, 1]);
            edges.extend([0, i, 20 + 5 * i]);
        }
        for i in 0..30u32 {
            nodes.extend([1, 8, 99 + 2 * i, 50, 0]);
            edges.extend([1, 7, 170 + 5 * i]);
        }
        let json = serde_json::json!({
            "snapshot": {"meta": {
                "node_fields": ["type","name","id","self_size","edge_count"],
                "node_types": [["synthetic","object"]],
                "edge_fields": ["type","name_or_index","to_node"],
                "edge_types": [["element","property","shortcut"]]},
                "node_count": nodes.len() / 5, "edge_count": edges.len() / 3},
            "nodes": nodes, "edges": edges,
            "strings": ["", "global", "Big", "Big2", "a", "b", "Small", "leaf", "Leaf"],
        });
        HeapSnapshot::from_slice(json.to_string().as_bytes()).unwrap()
    }

    fn build(opts: &TreemapOptions) -> Treemap {
        let snap = snapshot();
        let g = HeapGraph::new(&snap);
        let a = Analysis::new(&g, &AnalysisOptions::default(), &mut heapsnap_format::NoProgress);
        Treemap::new(&g, &a, &DominatorTree::new(&a), opts)
    }

    #[track_caller]
    fn sums_hold(t: &Treemap) {
        for (i, c) in t.cells.iter().enumerate() {
            if !c.children.is_empty() {
                let sum: u64 = c.children.iter().map(|&k| t.cells[k as usize].size).sum();
                assert_eq!(sum, c.size, "cell {i} {c:?}");
                for w in c.children.windows(2) {
                    assert!(t.cells[w[0] as usize].size >= t.cells[w[1] as usize].size);
                }
            }
        }
    }

    #[test]
    fn objects_classes_own_and_edges() {
        let t = build(&TreemapOptions::default());
        assert_eq!(t.total, 50 + 1000 + 4000 + 3000 + 1500);
        sums_hold(&t);
        // root -> global (lone child: the root is expanded anyway).
        let global = &t.cells[t.cells[0].children[0] as usize];
        assert_eq!((global.class.as_str(), global.size), ("global", 9550));
        let kids: Vec<(&str, Option<&str>, CellKind, u64)> = global
            .children
            .iter()
            .map(|&k| {
                let c = &t.cells[k as usize];
                (c.class.as_str(), c.edge.as_deref(), c.kind, c.size)
            })
            .collect();
        assert_eq!(
            kids,
            vec![
                ("Big", Some(".a"), CellKind::Object, 5500),
                ("Big2", Some(".b"), CellKind::Object, 4000),
                ("(own size)", None, CellKind::Own, 50),
            ]
        );
        // Each Small retains 150 bytes: over the default threshold (0.05%: 4 bytes), so Big
        // holds 30 object cells; under a threshold of 2% (191 bytes), one class cell.
        let t = build(&TreemapOptions { min_fraction: 0.02, ..TreemapOptions::default() });
        sums_hold(&t);
        let big = t.cells.iter().find(|c| c.class == "Big").unwrap();
        let kids: Vec<(&str, Option<&str>, CellKind, u64, u64)> = big
            .children
            .iter()
            .map(|&k| {
                let c = &t.cells[k as usize];
                (c.class.as_str(), c.edge.as_deref(), c.kind, c.count, c.size)
            })
            .collect();
        assert_eq!(
            kids,
            vec![
                ("Small", Some("[…]"), CellKind::Class, 30, 4500),
                ("(own size)", None, CellKind::Own, 0, 1000),
            ]
        );
        // The class cell opens too: what its members dominate, by class, and their own size.
        let small = t.cells.iter().find(|c| c.class == "Small").unwrap();
        let kids: Vec<(&str, Option<&str>, CellKind, u64, u64)> = small
            .children
            .iter()
            .map(|&k| {
                let c = &t.cells[k as usize];
                (c.class.as_str(), c.edge.as_deref(), c.kind, c.count, c.size)
            })
            .collect();
        assert_eq!(
            kids,
            vec![
                ("(own size)", None, CellKind::Own, 0, 3000),
                ("Leaf", Some(".leaf"), CellKind::Class, 30, 1500),
            ]
        );
    }

    #[test]
    fn the_cell_budget_is_kept() {
        for max in [2, 3, 5, 10, 40] {
            let t = build(&TreemapOptions::default().with_max_cells(max));
            assert!(t.cells.len() <= max.max(2), "{max}: {}", t.cells.len());
            sums_hold(&t);
        }
        // Out of room, the largest object still gets its largest children, the rest together.
        let t = build(&TreemapOptions::default().with_max_cells(4));
        let global = &t.cells[t.cells[0].children[0] as usize];
        let kids: Vec<(&str, u64)> = global
            .children
            .iter()
            .map(|&k| (t.cells[k as usize].class.as_str(), t.cells[k as usize].size))
            .collect();
        assert_eq!(kids, vec![("Big", 5500), ("(2 smaller cells)", 4050)]);
        // Class cells are opened within a budget of members looked at.
        let t = build(&TreemapOptions {
            min_fraction: 0.02,
            max_class_members: 29,
            ..TreemapOptions::default()
        });
        sums_hold(&t);
        let small = t.cells.iter().find(|c| c.class == "Small").unwrap();
        assert!(small.children.is_empty());
        let t = build(&TreemapOptions { max_children: 5, ..TreemapOptions::default() });
        sums_hold(&t);
        let big = t.cells.iter().find(|c| c.class == "Big").unwrap();
        let objects =
            big.children.iter().filter(|&&k| t.cells[k as usize].kind == CellKind::Object);
        assert_eq!(objects.count(), 5);
        let class =
            big.children.iter().map(|&k| &t.cells[k as usize]).find(|c| c.kind == CellKind::Class);
        assert_eq!(class.map(|c| (c.count, c.edge.clone())), Some((25, Some("[…]".to_string()))));
    }
}
