//! `heapsnap convert IN OUT`: parse and rewrite.

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use heapsnap_format::WriteOptions;

use crate::cli::{ConvertArgs, GlobalArgs};
use crate::input::{display, load};

pub(crate) fn run(args: &ConvertArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let snap = load(&args.input, global, false)?;
    let by_name = args.output.extension().is_some_and(|e| e == "gz");
    let gzip = args.gzip || (!args.no_gzip && by_name);
    let opts = WriteOptions::gzip(gzip);
    if args.output == Path::new("-") {
        let mut out = io::stdout().lock();
        snap.write_with(&mut out, &opts).context("writing <stdout>")?;
        out.flush()?;
    } else {
        snap.write_path(&args.output, &opts)
            .with_context(|| format!("writing {}", display(&args.output)))?;
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
