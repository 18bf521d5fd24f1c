//! `heapsnap completions SHELL`: a completion script generated from the clap definitions.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Result;
use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

pub(crate) fn run(args: &CompletionsArgs) -> Result<ExitCode> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "heapsnap", &mut out);
    // One write, so a closed pipe is reported as such (and ignored by main) rather than
    // panicking inside the generator.
    io::stdout().lock().write_all(&out)?;
    Ok(ExitCode::SUCCESS)
}
