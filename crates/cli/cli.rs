//! Command-line definitions (clap derive). Only this file and `cmd/` know about clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const EXAMPLES: &str = "\
EXAMPLES:
    heapsnap info snapshots/hello.heapsnapshot.gz
    heapsnap info --json app.heapsnapshot | jq .node_count
    heapsnap convert app.heapsnapshot app.heapsnapshot.gz
    curl -s http://host/dump | heapsnap info -";

/// Analyze, diff and capture V8 heap snapshots (.heapsnapshot, plain or gzipped).
#[derive(Debug, Parser)]
#[command(name = "heapsnap", version, about, after_help = EXAMPLES)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
}

#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// More log output on stderr (-v, -vv, -vvv).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
    /// Only errors on stderr; no progress bar.
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,
    /// Never draw a progress bar.
    #[arg(long, global = true)]
    pub(crate) no_progress: bool,
}

impl GlobalArgs {
    pub(crate) fn log_level(&self) -> log::LevelFilter {
        if self.quiet {
            return log::LevelFilter::Error;
        }
        match self.verbose {
            0 => log::LevelFilter::Warn,
            1 => log::LevelFilter::Info,
            2 => log::LevelFilter::Debug,
            _ => log::LevelFilter::Trace,
        }
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Counts, sizes, field layouts and sections of a snapshot.
    #[command(
        after_help = "EXAMPLES:\n    heapsnap info snapshots/hello.heapsnapshot.gz\n    heapsnap info --json big.heapsnapshot.gz | jq '{node_count, total_self_size}'"
    )]
    Info(InfoArgs),
    /// Parse a snapshot and write it again (gzip or not); the output loads in Chrome DevTools.
    #[command(
        after_help = "EXAMPLES:\n    heapsnap convert app.heapsnapshot app.heapsnapshot.gz     # gzip (by extension)\n    heapsnap convert app.heapsnapshot.gz app.heapsnapshot     # plain JSON\n    heapsnap convert --gzip - out.bin < app.heapsnapshot"
    )]
    Convert(ConvertArgs),
}

#[derive(Debug, Args)]
pub(crate) struct InfoArgs {
    /// Snapshot file (`-` for stdin), plain or gzipped.
    pub(crate) file: PathBuf,
    /// Print one JSON document (schema `heapsnap.info/1`) instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ConvertArgs {
    /// Input snapshot (`-` for stdin), plain or gzipped.
    pub(crate) input: PathBuf,
    /// Output file (`-` for stdout). Written to a temporary file and renamed when complete.
    pub(crate) output: PathBuf,
    /// Gzip the output (default: when OUTPUT ends in `.gz`).
    #[arg(long, conflicts_with = "no_gzip")]
    pub(crate) gzip: bool,
    /// Do not gzip the output, whatever its name.
    #[arg(long)]
    pub(crate) no_gzip: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
        assert!(Cli::try_parse_from(["heapsnap", "info", "a.heapsnapshot", "--json"]).is_ok());
        assert!(Cli::try_parse_from(["heapsnap", "convert", "a", "b", "--gzip"]).is_ok());
        assert!(
            Cli::try_parse_from(["heapsnap", "convert", "a", "b", "--gzip", "--no-gzip"]).is_err()
        );
    }
}
