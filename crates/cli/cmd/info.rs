//! `heapsnap info FILE`: what is in a snapshot, without any graph analysis.
//!
//! The `--json` document is specified in `docs/json.md` (`heapsnap.info/1`).

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Result;
use heapsnap_format::{EdgeKind, HeapSnapshot};
use serde_json::json;

use crate::cli::{GlobalArgs, InfoArgs};
use crate::input::{display, load};
use crate::output::human_bytes;

pub(crate) fn run(args: &InfoArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let snap = load(&args.file, global, args.json)?;
    let report = report(&snap, &display(&args.file));
    let mut out = io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        write_text(&mut out, &report)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The `heapsnap.info/1` document of `snap` (`heapsnap report` shows it too).
pub(crate) fn report(snap: &HeapSnapshot, file: &str) -> serde_json::Value {
    let meta = snap.meta();
    let root = snap.root();
    let root_shortcuts = snap.node(root).edges().filter(|e| e.kind() == EdgeKind::Shortcut).count();
    let detached = snap.node_detachedness().iter().filter(|&&d| d == 2).count();
    // Numbers are named `smi number` (snapshots taken with numeric values): look the name up
    // once, then for a node with it.
    let smi: Vec<u32> = (snap.strings().iter().enumerate())
        .filter(|(_, s)| *s == "smi number")
        .map(|(i, _)| i as u32)
        .collect();
    let numeric = !smi.is_empty() && snap.node_names().iter().any(|n| smi.contains(n));
    let tf = meta.field_list("trace_function_info_fields").map_or(6, |f| f.len().max(1));
    let lf = meta.field_list("location_fields").map_or(4, |f| f.len().max(1));
    let sf = meta.field_list("sample_fields").map_or(2, |f| f.len().max(1));
    json!({
        "schema": "heapsnap.info/1",
        "file": file,
        "node_count": snap.node_count(),
        "edge_count": snap.edge_count(),
        "string_count": snap.strings().len(),
        "total_self_size": snap.total_self_size(),
        "extra_native_bytes": snap.extra_native_bytes(),
        "node_fields": meta.node_fields(),
        "edge_fields": meta.edge_fields(),
        "node_types": meta.node_type_names(),
        "edge_types": meta.edge_type_names(),
        "sections": {
            "trace_function_infos": snap.trace_function_infos().is_some(),
            "trace_tree": snap.trace_tree().is_some(),
            "samples": snap.samples().is_some(),
            "locations": snap.locations().is_some(),
            "other": snap.extra_section_names().collect::<Vec<_>>(),
        },
        "trace_function_count": snap.trace_function_infos().map_or(0, |v| v.len() / tf),
        "trace_tree_nodes": snap.trace_tree().map_or(0, |t| t.len()),
        "sample_count": snap.samples().map_or(0, |v| v.len() / sf),
        "location_count": snap.locations().map_or(0, |v| v.len() / lf),
        "facts": {
            "detachedness_field": meta.has_node_field("detachedness"),
            "trace_node_id_field": meta.has_node_field("trace_node_id"),
            "detached_nodes": detached,
            "root_shortcut_edges": root_shortcuts,
            "numeric_values": numeric,
        },
        "warnings": snap.warnings().iter().map(|w| w.to_string()).collect::<Vec<_>>(),
    })
}

fn write_text(out: &mut impl Write, r: &serde_json::Value) -> io::Result<()> {
    let s = |k: &str| r[k].to_string();
    let list = |v: &serde_json::Value| {
        v.as_array()
            .map(|a| a.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(", "))
            .unwrap_or_default()
    };
    let total = r["total_self_size"].as_u64().unwrap_or(0);
    writeln!(out, "file:             {}", r["file"].as_str().unwrap_or(""))?;
    writeln!(out, "nodes:            {}", s("node_count"))?;
    writeln!(out, "edges:            {}", s("edge_count"))?;
    writeln!(out, "strings:          {}", s("string_count"))?;
    writeln!(out, "total self size:  {} ({})", total, human_bytes(total))?;
    if let Some(x) = r["extra_native_bytes"].as_u64() {
        writeln!(out, "extra native:     {} ({})", x, human_bytes(x))?;
    }
    writeln!(out, "node fields:      {}", list(&r["node_fields"]))?;
    writeln!(out, "edge fields:      {}", list(&r["edge_fields"]))?;
    writeln!(out, "node types:       {}", list(&r["node_types"]))?;
    writeln!(out, "edge types:       {}", list(&r["edge_types"]))?;
    let sec = &r["sections"];
    let mut present = Vec::new();
    for k in ["trace_function_infos", "trace_tree", "samples", "locations"] {
        if sec[k].as_bool() == Some(true) {
            present.push(k.to_string());
        }
    }
    present.extend(
        sec["other"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str())
            .map(str::to_string),
    );
    writeln!(out, "sections:         {}", present.join(", "))?;
    writeln!(
        out,
        "allocation trace: {} functions, {} trace tree nodes, {} samples",
        s("trace_function_count"),
        s("trace_tree_nodes"),
        s("sample_count")
    )?;
    writeln!(out, "locations:        {}", s("location_count"))?;
    let f = &r["facts"];
    writeln!(
        out,
        "detachedness:     {}",
        if f["detachedness_field"].as_bool() == Some(true) {
            format!("present ({} nodes detached)", f["detached_nodes"])
        } else {
            "absent".to_string()
        }
    )?;
    writeln!(
        out,
        "user roots:       {} root shortcut edge(s){}",
        f["root_shortcut_edges"],
        if f["root_shortcut_edges"].as_u64() == Some(0) {
            " (exposeInternals or newest V8)"
        } else {
            ""
        }
    )?;
    writeln!(
        out,
        "numeric values:   {}",
        if f["numeric_values"].as_bool() == Some(true) { "captured" } else { "not captured" }
    )?;
    for w in r["warnings"].as_array().into_iter().flatten() {
        writeln!(out, "warning:          {}", w.as_str().unwrap_or(""))?;
    }
    Ok(())
}
