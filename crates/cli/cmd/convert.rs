//! `heapsnap convert IN OUT`: parse and rewrite.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use crate::cli::{ConvertArgs, GlobalArgs};
use crate::input::{display, load};
use crate::output::write_snapshot;

pub(crate) fn run(args: &ConvertArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let snap = load(&args.input, global, false)?;
    let by_name = args.output.extension().is_some_and(|e| e == "gz");
    let gzip = args.gzip || (!args.no_gzip && by_name);
    write_snapshot(&snap, &args.output, gzip, &[&args.input])?;
    if args.output != Path::new("-") {
        log::info!(
            "wrote {} ({} nodes, {} edges{})",
            display(&args.output),
            snap.node_count(),
            snap.edge_count(),
            if gzip { ", gzip" } else { "" }
        );
    }
    Ok(ExitCode::SUCCESS)
}
