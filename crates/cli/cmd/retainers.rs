//! `heapsnap retainers FILE @ID`: why is this object alive?
//!
//! The `--json` document is specified in `docs/json.md` (`heapsnap.retainers/1`).

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, bail};
use heapsnap_format::{HeapSnapshot, NodeIdx, ObjectId};
use heapsnap_graph::path::{NodeInfo, RetainersReport};
use heapsnap_graph::{Origin, PathFinder};
use serde::Serialize;

use crate::cli::{GlobalArgs, RetainersArgs};
use crate::input::{Analyzed, display};
use crate::output::{frames_text, human_bytes, json_doc};

/// The JSON document.
#[derive(Serialize)]
pub(crate) struct Doc<'a> {
    schema: &'static str,
    file: String,
    #[serde(flatten)]
    report: &'a RetainersReport,
}

fn node_text(n: &NodeInfo) -> String {
    let (name, class) = (&n.name, &n.class);
    let label = if name.is_empty() || class == name {
        class.to_string()
    } else if name.len() > 60 {
        format!("{class} \"{}…\"", name.chars().take(57).collect::<String>())
    } else {
        format!("{class} {name}")
    };
    format!("{label} @{}", n.id)
}

/// Where a path starts, in words.
pub(crate) fn origin_text(o: Origin) -> &'static str {
    match o {
        Origin::Global => "a user root",
        Origin::ModuleScope => "a module scope",
        Origin::ScriptScope => "a page's script scope",
        Origin::Handle => "an active handle",
        _ => "a GC root",
    }
}

/// The object with V8 id `id` in the snapshot read from `file`, or the error saying there is
/// none.
pub(crate) fn find(file: &Path, snap: &HeapSnapshot, id: ObjectId) -> Result<NodeIdx> {
    let Some(target) = snap.find(id) else {
        bail!("{}: no object with id {}", display(file), id);
    };
    Ok(target)
}

/// The `heapsnap.retainers/1` document of `report` (`heapsnap mcp` returns it too).
pub(crate) fn document<'a>(file: &Path, report: &'a RetainersReport) -> Doc<'a> {
    Doc { schema: "heapsnap.retainers/1", file: display(file), report }
}

pub(crate) fn run(args: &RetainersArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let loaded = Analyzed::load(&args.file, global, args.json)?;
    let target = find(&args.file, &loaded.snap, args.id)?;
    let (g, a) = loaded.analyze();
    let finder = PathFinder::new(&g, &a, args.path.mode());
    let report = RetainersReport::new(&finder, target, args.paths);
    let mut out = io::stdout().lock();
    if args.json {
        json_doc(&mut out, &document(&args.file, &report))?;
    } else {
        write_text(&mut out, &report)?;
    }
    out.flush()?;
    Ok(if report.paths.is_empty() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn write_text(out: &mut impl Write, r: &RetainersReport) -> io::Result<()> {
    let t = &r.target;
    writeln!(
        out,
        "{}: shallow {}, retained {}, distance {}",
        node_text(t),
        human_bytes(u64::from(t.self_size)),
        human_bytes(t.retained_size),
        t.distance.map_or("-".to_string(), |d| d.to_string())
    )?;
    if let Some(frames) = &r.allocation {
        writeln!(out, "allocated at: {}", frames_text(&frames[..frames.len().min(4)]))?;
    }
    if r.paths.is_empty() {
        writeln!(
            out,
            "no retaining path: the object is unreachable (garbage) or held only by weak references"
        )?;
    }
    for (k, p) in r.paths.iter().enumerate() {
        writeln!(
            out,
            "\npath {} ({} links, from {}): {}",
            k + 1,
            p.length,
            origin_text(p.origin),
            p.text
        )?;
        for s in &p.steps {
            match &s.edge {
                None => writeln!(out, "  {}", node_text(&s.node))?,
                Some(e) => writeln!(out, "  {} -> {}", e.text, node_text(&s.node))?,
            }
        }
        if let Some(note) = &p.note {
            writeln!(out, "  ({note})")?;
        }
    }
    Ok(())
}
