//! The treemap's data: retained size down the dominator tree, with small objects aggregated
//! by class, built from DevTools' analysis (read only).
//!
//! Every cell's size is the sum of its children's sizes, so at every level the cells add up to
//! the total: an object's children are the objects it immediately dominates that retain at
//! least the threshold, one cell per class for the dominated objects below it (when the class
//! together reaches the threshold), the object's own shallow size, and one cell for the rest.
//! Cells are expanded largest first until the cell budget is spent.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};

use heapsnap_format::{EdgeIdx, EdgeKind, NodeIdx};
use heapsnap_graph::{Analysis, DominatorTree, HeapGraph, format_edge};
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
}

impl Default for TreemapOptions {
    fn default() -> Self {
        TreemapOptions { max_cells: 2000, min_fraction: 0.0005, max_children: 100 }
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
        let mut queue: BinaryHeap<(u64, Reverse<u32>, u32)> = BinaryHeap::new();
        queue.push((a.retained[root.index()], Reverse(root.0), 0));
        while let Some((_, Reverse(v), ci)) = queue.pop() {
            let mut kids = b.expand(NodeIdx(v));
            if ci == 0
                && let Some(x) = snap.extra_native_bytes().filter(|&x| x > 0)
            {
                kids.push((
                    None,
                    Cell {
                        kind: CellKind::Native,
                        class: "(extra native bytes)".to_string(),
                        name: String::new(),
                        edge: None,
                        id: None,
                        count: 0,
                        size: x,
                        children: Vec::new(),
                        parent: None,
                    },
                ));
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
                let merged: Vec<(Option<NodeIdx>, Cell)> = kids.drain(room - 1..).collect();
                kids.push((
                    None,
                    Cell {
                        kind: CellKind::Rest,
                        class: format!("({} smaller cells)", merged.len()),
                        name: String::new(),
                        edge: None,
                        id: None,
                        count: merged.iter().map(|(_, c)| c.count).sum(),
                        size: merged.iter().map(|(_, c)| c.size).sum(),
                        children: Vec::new(),
                        parent: None,
                    },
                ));
                sort_cells(&mut kids);
            }
            for (node, mut cell) in kids {
                let k = cells.len() as u32;
                cell.parent = Some(ci);
                if let Some(c) = node
                    && tree.children(c).len() > 0
                {
                    queue.push((cell.size, Reverse(c.0), k));
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

/// Largest first; ties by kind, class and id, so that the order never depends on anything
/// but the heap.
fn sort_cells(v: &mut [(Option<NodeIdx>, Cell)]) {
    v.sort_by(|(_, x), (_, y)| {
        y.size
            .cmp(&x.size)
            .then(x.kind.cmp(&y.kind))
            .then_with(|| x.class.cmp(&y.class))
            .then(x.id.cmp(&y.id))
    });
}

struct Builder<'g, 's> {
    g: &'g HeapGraph<'s>,
    a: &'g Analysis,
    tree: &'g DominatorTree,
    threshold: u64,
    max_children: usize,
}

impl Builder<'_, '_> {
    /// The child cells of object `v` (with their nodes for object cells), largest first.
    fn expand(&self, v: NodeIdx) -> Vec<(Option<NodeIdx>, Cell)> {
        let (g, a) = (self.g, self.a);
        let snap = g.snapshot();
        let mut big: Vec<NodeIdx> = Vec::new();
        // class -> (count, size, members' edges: one text, or None once they differ)
        let mut small: BTreeMap<u32, (u64, u64, Option<Option<String>>)> = BTreeMap::new();
        let direct = direct_edges(g, v);
        let mut add_small = |c: NodeIdx| {
            let e = self.class_edge(&direct, c);
            let slot = small.entry(a.classes.of_node[c.index()]).or_insert((0, 0, None));
            slot.0 += 1;
            slot.1 += a.retained[c.index()];
            slot.2 = match slot.2.take() {
                None => Some(e),
                Some(prev) if prev == e => Some(prev),
                Some(_) => Some(None),
            };
        };
        for c in self.tree.children(v) {
            let r = a.retained[c.index()];
            if r >= self.threshold {
                big.push(c);
            } else if r > 0 {
                add_small(c);
            }
        }
        big.sort_by(|x, y| a.retained[y.index()].cmp(&a.retained[x.index()]).then(x.cmp(y)));
        for c in big.drain(self.max_children.min(big.len())..) {
            add_small(c);
        }
        let mut out: Vec<(Option<NodeIdx>, Cell)> = Vec::with_capacity(big.len() + 4);
        for c in big {
            let n = snap.node(c);
            out.push((
                Some(c),
                Cell {
                    kind: CellKind::Object,
                    class: a.classes.of(c).name.clone(),
                    name: cut(&a.node_name(snap, c), MAX_NAME),
                    // The root's edges are V8's bookkeeping (`[1]`), not how anything is held.
                    edge: if v == g.root() { None } else { self.edge_label(&direct, v, c) },
                    id: Some(n.id().0),
                    count: 1,
                    size: a.retained[c.index()],
                    children: Vec::new(),
                    parent: None,
                },
            ));
        }
        let (mut rest_count, mut rest_size, mut rest_classes) = (0u64, 0u64, 0u64);
        for (class, (count, size, edge)) in small {
            if size >= self.threshold {
                out.push((
                    None,
                    Cell {
                        kind: CellKind::Class,
                        class: a.classes.classes[class as usize].name.clone(),
                        name: String::new(),
                        edge: edge.flatten(),
                        id: None,
                        count,
                        size,
                        children: Vec::new(),
                        parent: None,
                    },
                ));
            } else {
                rest_count += count;
                rest_size += size;
                rest_classes += 1;
            }
        }
        let own = u64::from(a.shallow[v.index()]);
        let mut rest_label =
            format!("{rest_classes} small class{}", if rest_classes == 1 { "" } else { "es" });
        if own >= self.threshold {
            out.push((
                None,
                Cell {
                    kind: CellKind::Own,
                    class: "(own size)".to_string(),
                    name: String::new(),
                    edge: None,
                    id: None,
                    count: 0,
                    size: own,
                    children: Vec::new(),
                    parent: None,
                },
            ));
        } else if own > 0 {
            rest_size += own;
            rest_label.push_str(" and own size");
        }
        if rest_size > 0 {
            out.push((
                None,
                Cell {
                    kind: CellKind::Rest,
                    class: format!("({rest_label})"),
                    name: String::new(),
                    edge: None,
                    id: None,
                    count: rest_count,
                    size: rest_size,
                    children: Vec::new(),
                    parent: None,
                },
            ));
        }
        sort_cells(&mut out);
        out
    }

    /// How `v` holds `c`: its own edge to `c`, or `…Holder.edge` through an object `v`
    /// dominates (`None` when neither is found).
    fn edge_label(&self, direct: &HashMap<u32, EdgeIdx>, v: NodeIdx, c: NodeIdx) -> Option<String> {
        let g = self.g;
        if let Some(&e) = direct.get(&c.0) {
            return Some(format_edge(g, e));
        }
        let a = self.a;
        for (e, r) in g.retainers(c) {
            if g.edge_kind(e) == EdgeKind::Weak {
                continue;
            }
            let mut x = r.0;
            for _ in 0..16 {
                if x == v.0 {
                    return Some(format!("…{}{}", a.classes.of(r).name, format_edge(g, e)));
                }
                let d = a.dominator[x as usize];
                if d == x {
                    break;
                }
                x = d;
            }
        }
        None
    }

    /// The edge text of a class cell member: `v`'s own edge to it with element indices as
    /// `[…]`, or `None`.
    fn class_edge(&self, direct: &HashMap<u32, EdgeIdx>, c: NodeIdx) -> Option<String> {
        let &e = direct.get(&c.0)?;
        match self.g.edge_kind(e) {
            EdgeKind::Element | EdgeKind::Hidden => Some("[…]".to_string()),
            _ => Some(format_edge(self.g, e)),
        }
    }
}

/// `v`'s first non-weak edge to each target.
fn direct_edges(g: &HeapGraph<'_>, v: NodeIdx) -> HashMap<u32, EdgeIdx> {
    let mut m = HashMap::new();
    for (e, t) in g.edges(v) {
        if g.edge_kind(e) != EdgeKind::Weak {
            m.entry(t.0).or_insert(e);
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use heapsnap_format::HeapSnapshot;
    use heapsnap_graph::AnalysisOptions;

    /// root -> global -> {a: Big (array of 30 Small), b: Big2}; every Small 100 bytes.
    fn snapshot() -> HeapSnapshot {
        // nodes: type, name, id, self_size, edge_count
        let mut nodes = vec![0, 0, 1, 0, 1, 1, 1, 3, 50, 2, 1, 2, 5, 1000, 30, 1, 3, 7, 4000, 0];
        let mut edges = vec![2, 0, 5, 1, 4, 10, 1, 5, 15];
        for i in 0..30u32 {
            nodes.extend([1, 6, 9 + 2 * i, 100, 0]);
            edges.extend([0, i, 20 + 5 * i]);
        }
        let json = serde_json::json!({
            "snapshot": {"meta": {
                "node_fields": ["type","name","id","self_size","edge_count"],
                "node_types": [["synthetic","object"]],
                "edge_fields": ["type","name_or_index","to_node"],
                "edge_types": [["element","property","shortcut"]]},
                "node_count": nodes.len() / 5, "edge_count": edges.len() / 3},
            "nodes": nodes, "edges": edges,
            "strings": ["", "global", "Big", "Big2", "a", "b", "Small"],
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
        assert_eq!(t.total, 50 + 1000 + 4000 + 3000);
        sums_hold(&t);
        // root -> global (lone child: the root is expanded anyway).
        let global = &t.cells[t.cells[0].children[0] as usize];
        assert_eq!((global.class.as_str(), global.size), ("global", 8050));
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
                ("Big", Some(".a"), CellKind::Object, 4000),
                ("Big2", Some(".b"), CellKind::Object, 4000),
                ("(own size)", None, CellKind::Own, 50),
            ]
        );
        // Big: 30 Small below the threshold of 0.05% (4 bytes)? No: 100 >= 4, so objects up
        // to max_children; with a higher threshold they become one class cell.
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
                ("Small", Some("[…]"), CellKind::Class, 30, 3000),
                ("(own size)", None, CellKind::Own, 0, 1000),
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
        assert_eq!(kids, vec![("(2 smaller cells)", 4050), ("Big", 4000)]);
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
