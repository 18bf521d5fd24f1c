//! `heapsnap retainers FILE @ID`: why is this object alive?
//!
//! The `--json` document is specified in `docs/json.md` (`heapsnap.retainers/1`).

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{Result, bail};
use heapsnap_format::NodeIdx;
use heapsnap_graph::{
    Analysis, HeapGraph, PathOptions, format_edge, retainer_paths, root_distances,
};
use serde_json::json;

use crate::cli::{GlobalArgs, RetainersArgs};
use crate::input::{Analyzed, display};
use crate::output::{distance_text, human_bytes, json_doc};

fn node_json(g: &HeapGraph<'_>, a: &Analysis, v: NodeIdx) -> serde_json::Value {
    let snap = g.snapshot();
    let n = snap.node(v);
    let d = a.distance[v.index()];
    json!({
        "id": n.id().0, "type": n.kind_name(), "name": a.node_name(snap, v), "class": a.classes.of(v).name,
        "self_size": a.shallow[v.index()], "retained_size": a.retained[v.index()], "distance": (d >= 0).then_some(d),
    })
}

fn node_text(g: &HeapGraph<'_>, a: &Analysis, v: NodeIdx) -> String {
    let snap = g.snapshot();
    let name = a.node_name(snap, v);
    let class = &a.classes.of(v).name;
    let label = if name.is_empty() || *class == name {
        class.to_string()
    } else if name.len() > 60 {
        format!("{class} \"{}…\"", name.chars().take(57).collect::<String>())
    } else {
        format!("{class} {name}")
    };
    format!("{label} {}", snap.node(v).id())
}

pub(crate) fn run(args: &RetainersArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let loaded = Analyzed::load(&args.file, global, args.json)?;
    let Some(target) = loaded.snap.find(args.id) else {
        bail!("{}: no object with id {}", display(&args.file), args.id);
    };
    let (g, a) = loaded.analyze();
    let dist = root_distances(&g);
    let mut opts = PathOptions::default();
    opts.max_paths = args.paths;
    let paths = retainer_paths(&g, &dist, target, &opts);
    let mut out = io::stdout().lock();
    if args.json {
        let ps: Vec<serde_json::Value> = paths
            .iter()
            .map(|p| {
                let steps: Vec<serde_json::Value> = p
                    .nodes
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| {
                        let edge = (i > 0).then(|| {
                            let e = p.edges[i - 1];
                            let er = g.snapshot().edge(e);
                            json!({
                                "type": g.snapshot().meta().edge_type_names().get(usize::from(g.snapshot().edge_types()[e.index()])),
                                "name": er.name_str().map(str::to_string).unwrap_or_else(|| er.name_or_index().to_string()),
                                "text": format_edge(&g, e),
                            })
                        });
                        json!({"edge": edge, "node": node_json(&g, &a, v)})
                    })
                    .collect();
                json!({"length": p.edges.len(), "from_user_root": p.from_user_root, "steps": steps})
            })
            .collect();
        json_doc(
            &mut out,
            &json!({"schema": "heapsnap.retainers/1", "file": display(&args.file), "target": node_json(&g, &a, target), "paths": ps}),
        )?;
    } else {
        writeln!(
            out,
            "{}: shallow {}, retained {}, distance {}",
            node_text(&g, &a, target),
            human_bytes(u64::from(a.shallow[target.index()])),
            human_bytes(a.retained[target.index()]),
            distance_text(a.distance[target.index()])
        )?;
        if paths.is_empty() {
            writeln!(
                out,
                "no retaining path: the object is unreachable (garbage) or held only by weak references"
            )?;
        }
        for (k, p) in paths.iter().enumerate() {
            writeln!(
                out,
                "\npath {} ({} links, from {}):",
                k + 1,
                p.edges.len(),
                if p.from_user_root { "a user root" } else { "a GC root" }
            )?;
            writeln!(out, "  {}", node_text(&g, &a, p.nodes[0]))?;
            for (i, &v) in p.nodes.iter().enumerate().skip(1) {
                writeln!(out, "  {} -> {}", format_edge(&g, p.edges[i - 1]), node_text(&g, &a, v))?;
            }
        }
    }
    out.flush()?;
    Ok(if paths.is_empty() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
