//! `heapsnap`: analyze, diff and capture V8 heap snapshots.

// The doc comments of the clap structs are --help text (`[BASELINE [TARGET]] LAST`,
// `heapsnap-<pid>-<UTC time>`), not rustdoc markup.
#![allow(rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]

mod cleanup;
mod cli;
mod cmd;
mod input;
#[cfg(test)]
mod man;
mod output;
mod progress;
mod values;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    env_logger::Builder::new()
        .filter_level(cli.global.log_level())
        .format_timestamp(None)
        .format_target(false)
        .init();
    match cmd::run(cli) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(io::stderr(), "heapsnap: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            || e.downcast_ref::<serde_json::Error>()
                .is_some_and(|e| e.io_error_kind() == Some(io::ErrorKind::BrokenPipe))
    })
}
