//! Where objects were allocated: V8's allocation trace tree.
//!
//! A snapshot taken while V8 tracks allocations (`HeapProfiler.startTrackingHeapObjects` with
//! `trackAllocations: true`: `heapsnap hunt --track-allocations`, or DevTools' "Allocation
//! instrumentation on timeline") carries two extra sections:
//!
//! - `trace_function_infos`: one row per function seen allocating, with the fields of
//!   `meta.trace_function_info_fields` (V8: `function_id`, `name`, `script_name`, `script_id`,
//!   `line`, `column`). `name` and `script_name` are string indices. `line` and `column` are
//!   those of the *function's start* (V8 records functions, not call sites), 1-based, 0 when
//!   unknown (builtins such as `push` have no script).
//! - `trace_tree`: the call tree of the allocations, with the fields of
//!   `meta.trace_node_fields` (V8: `id`, `function_info_index`, `count`, `size`, `children`).
//!   The root is row 0 of the function infos, `(root)`; every other tree node is a function
//!   called from its parent. `count` and `size` are what was allocated there since tracking
//!   started (alive or not).
//!
//! Each heap node's `trace_node_id` names the tree node (by its `id` field) whose stack
//! allocated it: 0 when the object was allocated before tracking started, or by nothing the
//! tracker saw. The allocation stack of an object is the path from that tree node up to the
//! root, the allocating function first: DevTools' `serializeAllocationStack`
//! (`AllocationProfile` in DevTools' `HeapSnapshot.ts`), minus the final `(root)` frame.
//!
//! [`AllocationTraces`] holds the tree as columns (id, function, parent per tree node, plus an
//! id index) and the function infos as columns; [`AllocationTraces::sites`] groups a set of
//! objects by where they were allocated (their top frames) with counts and sizes.
//!
//! ```
//! use heapsnap_format::{HeapSnapshot, NodeIdx};
//! use heapsnap_graph::{AllocationTraces, SiteOptions};
//! let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","trace_node_id"],
//!   "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["element"]],
//!   "trace_function_info_fields":["function_id","name","script_name","script_id","line","column"],
//!   "trace_node_fields":["id","function_info_index","count","size","children"]},
//!   "node_count":3,"edge_count":0,"trace_function_count":3},
//!   "nodes":[0,0,1,0,0,0, 1,1,3,32,0,3, 1,1,5,32,0,3],"edges":[],
//!   "trace_function_infos":[1,0,0,0,0,0, 7,2,3,9,10,5, 8,4,3,9,20,1],
//!   "trace_tree":[1,0,0,0,[2,1,0,0,[3,2,2,64,[]]]],
//!   "strings":["(root)","Session","main","app.js","makeSession"]}"#;
//! let snap = HeapSnapshot::from_slice(json)?;
//! let traces = AllocationTraces::new(&snap).expect("the snapshot has allocation traces");
//! // Both sessions were allocated in makeSession (app.js:20:1), called from main (app.js:10:5).
//! let stack = traces.stack(NodeIdx(1));
//! assert_eq!(stack.len(), 2);
//! assert_eq!((stack[0].function.as_str(), stack[0].line, stack[0].column), ("makeSession", Some(20), Some(1)));
//! assert_eq!(stack[1].function, "main");
//! let sites = traces.sites(&[NodeIdx(1), NodeIdx(2)], &SiteOptions::default());
//! assert_eq!((sites.traced, sites.untraced, sites.sites.len()), (2, 0, 1));
//! assert_eq!((sites.sites[0].count, sites.sites[0].size), (2, 64));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, HashMap};

use heapsnap_format::{HeapSnapshot, NodeIdx, StringIdx};
use serde::Serialize;

/// No parent (the tree's root), or no tree node.
const NONE: u32 = u32::MAX;

/// One frame of an allocation stack.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Frame {
    /// The function's name, as V8 recorded it (empty for an anonymous function).
    pub function: String,
    /// Its script: a path, a URL, `node:events`; empty for V8's builtins.
    pub script: String,
    /// V8's id of the script (0 when unknown).
    pub script_id: u32,
    /// The line the function starts on, 1-based (`None` when unknown).
    pub line: Option<u32>,
    /// The column the function starts at, 1-based (`None` when unknown).
    pub column: Option<u32>,
}

impl Frame {
    /// `name (script:line:column)`, with `(anonymous)` for a function without a name and
    /// only what is known of the position: `push`, `emit (node:events:471:44)`.
    pub fn text(&self) -> String {
        let name = if self.function.is_empty() { "(anonymous)" } else { &self.function };
        if self.script.is_empty() {
            return name.to_string();
        }
        match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{name} ({}:{l}:{c})", self.script),
            (Some(l), None) => format!("{name} ({}:{l})", self.script),
            _ => format!("{name} ({})", self.script),
        }
    }

    /// Whether the function is the runtime's rather than the program's: a V8 builtin (no
    /// script), or one of Node's own modules (`node:...`, `internal/...`).
    pub fn is_runtime(&self) -> bool {
        self.script.is_empty()
            || self.script.starts_with("node:")
            || self.script.starts_with("internal/")
    }
}

/// Objects allocated at one site: the same top frames.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AllocationSite {
    /// Objects allocated there.
    pub count: u64,
    /// Their self size (V8's).
    pub size: u64,
    /// The top frames of their allocation stack, the allocating function first (at most
    /// [`SiteOptions::max_frames`]).
    pub frames: Vec<Frame>,
}

/// Where a set of objects was allocated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Allocations {
    /// Objects with an allocation stack.
    pub traced: u64,
    /// Objects without one: allocated before tracking started (or unseen by the tracker).
    pub untraced: u64,
    /// Allocation sites, most objects first (at most [`SiteOptions::max_sites`]).
    pub sites: Vec<AllocationSite>,
    /// Traced objects allocated at sites beyond those listed.
    pub other: u64,
}

/// How [`AllocationTraces::sites`] groups and cuts.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SiteOptions {
    /// Frames that make a site (and are listed per site), from the allocating function up.
    pub max_frames: usize,
    /// Sites listed.
    pub max_sites: usize,
}

impl Default for SiteOptions {
    fn default() -> Self {
        SiteOptions { max_frames: 4, max_sites: 5 }
    }
}

/// A snapshot's allocation trace tree and function infos, as columns.
#[derive(Debug)]
pub struct AllocationTraces<'s> {
    snap: &'s HeapSnapshot,
    /// Per tree node (pre-order): its `id`.
    tree_id: Vec<u32>,
    /// Per tree node: its row in the function infos.
    tree_function: Vec<u32>,
    /// Per tree node: its parent's position ([`NONE`] for the root).
    tree_parent: Vec<u32>,
    /// (`id`, position) of every tree node, sorted.
    by_id: Vec<(u32, u32)>,
    /// Per function info: name and script name (string indices), script id, line, column.
    fn_name: Vec<u32>,
    fn_script: Vec<u32>,
    fn_script_id: Vec<u32>,
    fn_line: Vec<u32>,
    fn_column: Vec<u32>,
}

/// Offset of `name` in a meta field list, or of `default` in V8's own list when the meta has
/// none.
fn offset(list: &Option<Vec<String>>, name: &str, v8: &[&str]) -> Option<usize> {
    match list {
        Some(l) => l.iter().position(|f| f == name),
        None => v8.iter().position(|f| *f == name),
    }
}

const V8_TRACE_NODE_FIELDS: [&str; 5] = ["id", "function_info_index", "count", "size", "children"];
const V8_FUNCTION_INFO_FIELDS: [&str; 6] =
    ["function_id", "name", "script_name", "script_id", "line", "column"];

impl<'s> AllocationTraces<'s> {
    /// Reads the trace tree and function infos of `snap`; `None` when it has none (allocation
    /// tracking was off: an empty or missing `trace_tree`).
    pub fn new(snap: &'s HeapSnapshot) -> Option<AllocationTraces<'s>> {
        let tree = snap.trace_tree().filter(|t| !t.is_empty())?;
        let meta = snap.meta();
        let node_fields = meta.field_list("trace_node_fields");
        let vf = tree.value_fields();
        let at = |name| offset(&node_fields, name, &V8_TRACE_NODE_FIELDS).filter(|&o| o < vf);
        let (id_at, fn_at) = (at("id"), at("function_info_index"));
        let flat = tree.flat();
        let n = tree.len();
        let mut tree_id = Vec::with_capacity(n);
        let mut tree_function = Vec::with_capacity(n);
        let mut tree_parent = Vec::with_capacity(n);
        // Open nodes with the children they still have to take.
        let mut open: Vec<(u32, u32)> = Vec::new();
        for row in flat.chunks_exact(vf + 1) {
            while open.last().is_some_and(|o| o.1 == 0) {
                open.pop();
            }
            let parent = match open.last_mut() {
                Some(o) => {
                    o.1 -= 1;
                    o.0
                }
                None => NONE,
            };
            let pos = tree_id.len() as u32;
            tree_id.push(id_at.map_or(0, |o| row[o]));
            tree_function.push(fn_at.map_or(NONE, |o| row[o]));
            tree_parent.push(parent);
            open.push((pos, row[vf]));
        }
        let mut by_id: Vec<(u32, u32)> =
            tree_id.iter().enumerate().map(|(p, &id)| (id, p as u32)).collect();
        by_id.sort_unstable();
        // A repeated id names its first tree node, as DevTools' map of ids would its last:
        // V8 never repeats one.
        by_id.dedup_by_key(|x| x.0);

        let info_fields = meta.field_list("trace_function_info_fields");
        let width = info_fields.as_ref().map_or(V8_FUNCTION_INFO_FIELDS.len(), |f| f.len()).max(1);
        let infos = snap.trace_function_infos().unwrap_or(&[]);
        let column = |name: &str| -> Vec<u32> {
            match offset(&info_fields, name, &V8_FUNCTION_INFO_FIELDS).filter(|&o| o < width) {
                Some(o) => infos.chunks_exact(width).map(|r| r[o]).collect(),
                None => vec![0; infos.len() / width],
            }
        };
        Some(AllocationTraces {
            snap,
            tree_id,
            tree_function,
            tree_parent,
            by_id,
            fn_name: column("name"),
            fn_script: column("script_name"),
            fn_script_id: column("script_id"),
            fn_line: column("line"),
            fn_column: column("column"),
        })
    }

    /// Number of tree nodes.
    pub fn len(&self) -> usize {
        self.tree_id.len()
    }

    /// Whether the tree has no node (never: [`AllocationTraces::new`] refuses empty trees).
    pub fn is_empty(&self) -> bool {
        self.tree_id.is_empty()
    }

    /// Number of function infos.
    pub fn function_count(&self) -> usize {
        self.fn_name.len()
    }

    /// The position of the tree node with this `id`.
    fn position(&self, id: u32) -> Option<u32> {
        let at = self.by_id.partition_point(|x| x.0 < id);
        self.by_id.get(at).filter(|x| x.0 == id).map(|x| x.1)
    }

    /// `v`'s `trace_node_id` (0 when it has none).
    pub fn trace_node_id(&self, v: NodeIdx) -> u32 {
        self.snap.node_trace_node_ids().get(v.index()).copied().unwrap_or(0)
    }

    /// The tree position of the node whose stack allocated `v`, when it is known and the
    /// tree has it.
    fn site_of(&self, v: NodeIdx) -> Option<u32> {
        match self.trace_node_id(v) {
            0 => None,
            id => self.position(id),
        }
    }

    /// Function-info rows of the stack at tree position `pos`, the allocating function first,
    /// without the root, at most `max`.
    fn functions(&self, pos: u32, max: usize) -> Vec<u32> {
        let mut out = Vec::new();
        let mut p = pos;
        while p != NONE && out.len() < max {
            if self.tree_parent[p as usize] == NONE {
                break; // the root: `(root)`
            }
            out.push(self.tree_function[p as usize]);
            p = self.tree_parent[p as usize];
        }
        out
    }

    /// The frame of function-info row `f`.
    pub fn frame(&self, f: u32) -> Frame {
        let f = f as usize;
        let s = |col: &Vec<u32>| {
            col.get(f).map_or(String::new(), |&i| self.snap.string(StringIdx(i)).to_string())
        };
        let pos = |col: &Vec<u32>| col.get(f).copied().filter(|&x| x > 0);
        Frame {
            function: s(&self.fn_name),
            script: s(&self.fn_script),
            script_id: self.fn_script_id.get(f).copied().unwrap_or(0),
            line: pos(&self.fn_line),
            column: pos(&self.fn_column),
        }
    }

    /// The allocation stack of `v`, the allocating function first and the tree's `(root)`
    /// left out: DevTools' allocation stack for the node. Empty when `v` has no
    /// `trace_node_id` or the tree has no node with it.
    pub fn stack(&self, v: NodeIdx) -> Vec<Frame> {
        match self.site_of(v) {
            Some(p) => self.functions(p, usize::MAX).into_iter().map(|f| self.frame(f)).collect(),
            None => Vec::new(),
        }
    }

    /// Groups `nodes` by where they were allocated: the top [`SiteOptions::max_frames`]
    /// frames of their stacks, most objects first (then most bytes, then frame order).
    pub fn sites(&self, nodes: &[NodeIdx], opts: &SiteOptions) -> Allocations {
        let sizes = self.snap.node_self_sizes();
        // Objects and bytes per tree node first (few distinct), then per site.
        let mut per_node: HashMap<u32, (u64, u64)> = HashMap::new();
        let mut untraced = 0u64;
        for &v in nodes {
            match self.site_of(v) {
                Some(p) => {
                    let e = per_node.entry(p).or_default();
                    e.0 += 1;
                    e.1 += u64::from(sizes[v.index()]);
                }
                None => untraced += 1,
            }
        }
        let mut per_site: BTreeMap<Vec<u32>, (u64, u64)> = BTreeMap::new();
        for (p, (count, size)) in per_node {
            let e = per_site.entry(self.functions(p, opts.max_frames.max(1))).or_default();
            e.0 += count;
            e.1 += size;
        }
        let traced = per_site.values().map(|x| x.0).sum();
        let mut sites: Vec<AllocationSite> = per_site
            .into_iter()
            .map(|(fs, (count, size))| AllocationSite {
                count,
                size,
                frames: fs.into_iter().map(|f| self.frame(f)).collect(),
            })
            .collect();
        sites.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| b.size.cmp(&a.size))
                .then_with(|| a.frames.cmp(&b.frames))
        });
        let other = sites.iter().skip(opts.max_sites).map(|s| s.count).sum();
        sites.truncate(opts.max_sites);
        Allocations { traced, untraced, sites, other }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A snapshot whose trace tree is `tree` (flat JSON text) over the function infos of
    /// `f0..f3`, and whose nodes 1.. have the trace node ids `traces`.
    fn snapshot(tree: &str, traces: &[u32]) -> HeapSnapshot {
        let mut nodes = String::from("0,0,1,0,0,0");
        for (k, t) in traces.iter().enumerate() {
            nodes.push_str(&format!(",1,1,{},{},0,{t}", 3 + 2 * k, 8 * (k + 1)));
        }
        let json = format!(
            r#"{{"snapshot":{{"meta":{{"node_fields":["type","name","id","self_size","edge_count","trace_node_id"],
  "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["element"]],
  "trace_function_info_fields":["function_id","name","script_name","script_id","line","column"],
  "trace_node_fields":["id","function_info_index","count","size","children"]}},
  "node_count":{},"edge_count":0,"trace_function_count":4}},
  "nodes":[{nodes}],"edges":[],
  "trace_function_infos":[1,6,0,0,0,0, 2,2,3,7,10,5, 3,4,3,7,20,1, 4,5,0,0,0,0],
  "trace_tree":{tree},
  "strings":["","Obj","main","app.js","make","push","(root)"]}}"#,
            traces.len() + 1
        );
        HeapSnapshot::from_slice(json.as_bytes()).unwrap()
    }

    fn names(frames: &[Frame]) -> Vec<&str> {
        frames.iter().map(|f| f.function.as_str()).collect()
    }

    #[test]
    fn stacks_walk_to_the_root_and_leave_it_out() {
        // root(1) -> main(2) -> make(3) -> push(4); main(2) -> push(5)
        let tree = "[1,0,0,0,[2,1,0,0,[3,2,1,8,[4,3,1,8,[]],5,3,1,8,[]]]]";
        let s = snapshot(tree, &[4, 5, 3, 2, 1, 0, 99]);
        let t = AllocationTraces::new(&s).unwrap();
        assert_eq!((t.len(), t.function_count()), (5, 4));
        assert_eq!(names(&t.stack(NodeIdx(1))), ["push", "make", "main"]);
        assert_eq!(names(&t.stack(NodeIdx(2))), ["push", "main"]);
        assert_eq!(names(&t.stack(NodeIdx(3))), ["make", "main"]);
        assert_eq!(names(&t.stack(NodeIdx(4))), ["main"]);
        // The root itself, no trace id, an id the tree lacks: no stack.
        for v in [5, 6, 7] {
            assert!(t.stack(NodeIdx(v)).is_empty(), "{v}");
        }
        let main = &t.stack(NodeIdx(4))[0];
        assert_eq!(main.text(), "main (app.js:10:5)");
        assert!(!main.is_runtime());
        let push = &t.stack(NodeIdx(1))[0];
        assert_eq!((push.text(), push.line, push.is_runtime()), ("push".to_string(), None, true));
    }

    #[test]
    fn sites_group_by_top_frames_with_counts() {
        let tree = "[1,0,0,0,[2,1,0,0,[3,2,1,8,[4,3,1,8,[]],5,3,1,8,[]]]]";
        // Three objects allocated by push under make, two by push under main, one by make,
        // two before tracking.
        let s = snapshot(tree, &[4, 4, 4, 5, 5, 3, 0, 0]);
        let t = AllocationTraces::new(&s).unwrap();
        let all: Vec<NodeIdx> = (1..=8).map(NodeIdx).collect();
        let a = t.sites(&all, &SiteOptions::default());
        assert_eq!((a.traced, a.untraced, a.other), (6, 2, 0));
        let got: Vec<(u64, Vec<&str>)> =
            a.sites.iter().map(|s| (s.count, names(&s.frames))).collect();
        assert_eq!(
            got,
            [
                (3, vec!["push", "make", "main"]),
                (2, vec!["push", "main"]),
                (1, vec!["make", "main"])
            ]
        );
        // Self sizes: nodes 1..3 are 8, 16, 24 bytes.
        assert_eq!(a.sites[0].size, 8 + 16 + 24);
        // One frame per site: the two push sites are one.
        let one = SiteOptions { max_frames: 1, max_sites: 1 };
        let a = t.sites(&all, &one);
        assert_eq!(a.sites.len(), 1);
        assert_eq!((a.sites[0].count, names(&a.sites[0].frames)), (5, vec!["push"]));
        assert_eq!(a.other, 1);
    }

    #[test]
    fn no_tree_no_traces() {
        let s = snapshot("[]", &[0]);
        assert!(AllocationTraces::new(&s).is_none());
    }

    #[test]
    fn the_tracking_fixture() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../snapshots/tracking.heapsnapshot.gz");
        let s = HeapSnapshot::from_path(path).unwrap();
        let t = AllocationTraces::new(&s).unwrap();
        assert_eq!(t.function_count(), 44);
        // Every TrackedItem was made by makeItem (tracking.js:34), called from buildTree.
        let items: Vec<NodeIdx> = s
            .nodes()
            .filter(|n| n.name() == "TrackedItem" && n.kind_name() == "object")
            .map(|n| n.idx())
            .collect();
        assert_eq!(items.len(), 84, "4 rounds of a root and 20 items");
        // Round 0 ran from the worker's message, rounds 1 to 3 after an `await`: the fourth
        // frame tells them apart.
        let a = t.sites(&items, &SiteOptions::default());
        assert_eq!((a.traced, a.untraced), (84, 0));
        let counts: Vec<u64> = a.sites.iter().map(|s| s.count).collect();
        assert_eq!(counts, [63, 21], "{:#?}", a.sites);
        let a = t.sites(&items, &SiteOptions { max_frames: 3, ..SiteOptions::default() });
        assert_eq!(a.sites.len(), 1, "{:#?}", a.sites);
        assert_eq!((a.sites[0].count, a.sites[0].size), (84, 84 * 48));
        let frames = &a.sites[0].frames;
        assert_eq!(names(frames), ["makeItem", "buildTree", "allocate"]);
        assert!(frames[0].script.ends_with("tracking.js"), "{frames:?}");
        assert_eq!((frames[0].line, frames[0].column), (Some(34), Some(20)));
        assert_eq!(frames[1].line, Some(38));
    }
}
