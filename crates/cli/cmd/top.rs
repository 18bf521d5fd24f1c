//! `heapsnap top FILE`: the largest objects by retained size, walking down the dominator tree.
//!
//! The `--json` document is specified in `docs/json.md` (`heapsnap.top/1`).

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use heapsnap_format::NodeIdx;
use heapsnap_graph::{Analysis, DominatorTree, HeapGraph};
use serde_json::json;

use crate::cli::{GlobalArgs, TopArgs};
use crate::input::{Analyzed, display};
use crate::output::{human_bytes, json_doc};

fn largest(tree: &DominatorTree, a: &Analysis, v: NodeIdx, limit: usize) -> Vec<NodeIdx> {
    let mut ch: Vec<NodeIdx> = tree.children(v).collect();
    ch.sort_by(|x, y| a.retained[y.index()].cmp(&a.retained[x.index()]).then(x.cmp(y)));
    ch.truncate(limit);
    ch
}

fn node_json(
    g: &HeapGraph<'_>,
    a: &Analysis,
    tree: &DominatorTree,
    v: NodeIdx,
    depth: usize,
    limit: usize,
) -> serde_json::Value {
    let snap = g.snapshot();
    let n = snap.node(v);
    let children: Vec<serde_json::Value> = if depth == 0 {
        Vec::new()
    } else {
        largest(tree, a, v, limit)
            .into_iter()
            .map(|c| node_json(g, a, tree, c, depth - 1, limit))
            .collect()
    };
    json!({
        "id": n.id().0, "type": n.kind_name(), "name": a.node_name(snap, v), "class": a.classes.of(v).name,
        "self_size": a.shallow[v.index()], "retained_size": a.retained[v.index()],
        "distance": a.distance(v), "children": children,
    })
}

/// The `heapsnap.top/1` document: the dominator tree below the root, `limit` children per
/// object, `depth` levels (`heapsnap mcp` returns it too).
pub(crate) fn document(
    file: &Path,
    g: &HeapGraph<'_>,
    a: &Analysis,
    tree: &DominatorTree,
    depth: usize,
    limit: usize,
) -> serde_json::Value {
    json!({
        "schema": "heapsnap.top/1", "file": display(file), "total_size": a.total_size,
        "depth": depth, "limit": limit,
        "root": node_json(g, a, tree, g.root(), depth, limit),
    })
}

pub(crate) fn run(args: &TopArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let loaded = Analyzed::load(&args.file, global, args.json)?;
    let (g, a) = loaded.analyze();
    let tree = DominatorTree::new(&a);
    let root = g.root();
    let mut out = io::stdout().lock();
    if args.json {
        json_doc(&mut out, &document(&args.file, &g, &a, &tree, args.depth, args.limit))?;
    } else {
        writeln!(out, "{:>10}  {:>10}  {:>8}  object", "retained", "shallow", "distance")?;
        let mut stack: Vec<(NodeIdx, usize)> = vec![(root, 0)];
        while let Some((v, level)) = stack.pop() {
            let snap = g.snapshot();
            let n = snap.node(v);
            let label = if v == root {
                "(root)".to_string()
            } else {
                format!("{} {}", a.node_name(snap, v), n.id())
            };
            writeln!(
                out,
                "{:>10}  {:>10}  {:>8}  {}{} ({})",
                human_bytes(a.retained[v.index()]),
                human_bytes(u64::from(a.shallow[v.index()])),
                a.distance(v).map_or_else(|| "-".to_string(), |d| d.to_string()),
                "  ".repeat(level),
                label,
                a.classes.of(v).name
            )?;
            if level < args.depth {
                for c in largest(&tree, &a, v, args.limit).into_iter().rev() {
                    stack.push((c, level + 1));
                }
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
