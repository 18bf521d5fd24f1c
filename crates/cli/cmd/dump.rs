//! `heapsnap dump FILE`: JSON Lines, one line per node, for jq, DuckDB or another analyzer.
//!
//! The `--json` document is specified in `docs/json.md` (`heapsnap.dump/1`).

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use anyhow::Result;
use heapsnap_format::NodeIdx;
use serde_json::json;

use crate::cli::{DumpArgs, GlobalArgs};
use crate::input::Analyzed;

pub(crate) fn run(args: &DumpArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let loaded = Analyzed::load(&args.file, global, false)?;
    let (g, a) = loaded.analyze();
    let snap = &loaded.snap;
    let mut out = BufWriter::with_capacity(1 << 20, io::stdout().lock());
    let ids = snap.node_ids();
    for i in 0..snap.node_count() {
        let v = NodeIdx(i as u32);
        let n = snap.node(v);
        serde_json::to_writer(
            &mut out,
            &json!({
                "id": ids[i], "type": n.kind_name(), "name": a.node_name(snap, v), "class": a.classes.of(v).name,
                "self_size": a.shallow[i], "retained_size": a.retained[i], "distance": a.distance(v),
                "dominator": a.dominator(v).map_or(ids[i], |d| ids[d.index()]), "edge_count": n.edge_count(),
            }),
        )?;
        out.write_all(b"\n")?;
    }
    let _ = g;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
