//! `heapsnap redact IN OUT`: a copy without the data the heap holds.

use std::process::ExitCode;

use anyhow::Result;
use heapsnap_format::RedactOptions;

use crate::cli::{GlobalArgs, RedactArgs};
use crate::input::{display, load, redact_summary};
use crate::output::write_snapshot;

pub(crate) fn run(args: &RedactArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let mut snap = load(&args.input, global, false)?;
    // `--redact=strict` (global) or `--strict` here: the stricter wins.
    let strict = args.strict || global.redact == Some(crate::cli::RedactMode::Strict);
    let stats = snap.redact(&RedactOptions::new().strict(strict));
    write_snapshot(&snap, &args.output, false, &[&args.input])?;
    if !global.quiet {
        eprintln!("{}: {}", display(&args.output), redact_summary(&stats));
    }
    Ok(ExitCode::SUCCESS)
}
