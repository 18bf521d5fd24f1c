//! Command-line definitions (clap derive). Only this file and `cmd/` know about clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use heapsnap_format::ObjectId;

const EXAMPLES: &str = "\
EXAMPLES:
    heapsnap info snapshots/hello.heapsnapshot.gz
    heapsnap summary snapshots/shapes.heapsnapshot.gz --top 20
    heapsnap retainers snapshots/shapes.heapsnapshot.gz @1234
    heapsnap dump app.heapsnapshot.gz | jq -c 'select(.retained_size > 1000000)'
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
    /// DevTools' Summary view: objects by class with counts, shallow and retained sizes.
    #[command(
        after_help = "EXAMPLES:\n    heapsnap summary snapshots/shapes.heapsnapshot.gz\n    heapsnap summary app.heapsnapshot.gz --sort count --top 50\n    heapsnap summary --json app.heapsnapshot.gz | jq '.classes[0]'"
    )]
    Summary(SummaryArgs),
    /// The largest objects by retained size, walking down the dominator tree.
    #[command(
        after_help = "EXAMPLES:\n    heapsnap top snapshots/shapes.heapsnapshot.gz\n    heapsnap top app.heapsnapshot.gz --depth 5 --limit 3"
    )]
    Top(TopArgs),
    /// Why is this object alive: its shortest retaining paths from the roots.
    #[command(
        after_help = "EXAMPLES:\n    heapsnap retainers app.heapsnapshot.gz @12345\n    heapsnap retainers app.heapsnapshot.gz @12345 --paths 5 --json"
    )]
    Retainers(RetainersArgs),
    /// Compare two snapshots of one process: DevTools' Comparison view, what grew, what holds it.
    #[command(
        after_help = "EXAMPLES:\n    heapsnap diff before.heapsnapshot.gz after.heapsnapshot.gz\n    heapsnap diff a.heapsnapshot b.heapsnapshot --json | jq '.classes[0]'\n    heapsnap diff a b --fail-over 10MB --fail-class 'LeakyThing>100'    # CI gate: exit 1 when exceeded\n    heapsnap diff a b --emit growth.heapsnapshot    # open in Chrome DevTools' Memory panel"
    )]
    Diff(DiffArgs),
    /// Every node as JSON Lines (id, type, name, class, sizes, distance, dominator).
    #[command(
        after_help = "EXAMPLES:\n    heapsnap dump app.heapsnapshot.gz > nodes.jsonl\n    heapsnap dump app.heapsnapshot.gz | jq -c 'select(.class == \"Timeout\")'"
    )]
    Dump(DumpArgs),
}

/// Sort order of `summary`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum SortBy {
    /// Retained size, largest first (DevTools' default).
    Retained,
    /// Shallow size, largest first.
    Shallow,
    /// Object count, largest first.
    Count,
}

impl SortBy {
    pub(crate) fn name(self) -> &'static str {
        match self {
            SortBy::Retained => "retained",
            SortBy::Shallow => "shallow",
            SortBy::Count => "count",
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct SummaryArgs {
    /// Snapshot file (`-` for stdin), plain or gzipped.
    pub(crate) file: PathBuf,
    /// Print one JSON document (schema `heapsnap.summary/1`).
    #[arg(long)]
    pub(crate) json: bool,
    /// Show only the first N classes (default 30 in text, all in JSON).
    #[arg(long, value_name = "N")]
    pub(crate) top: Option<usize>,
    /// Sort order.
    #[arg(long, value_enum, default_value_t = SortBy::Retained)]
    pub(crate) sort: SortBy,
}

#[derive(Debug, Args)]
pub(crate) struct TopArgs {
    /// Snapshot file (`-` for stdin), plain or gzipped.
    pub(crate) file: PathBuf,
    /// Levels of the dominator tree to show below the root.
    #[arg(long, default_value_t = 3)]
    pub(crate) depth: usize,
    /// Largest children shown per object.
    #[arg(long, default_value_t = 10)]
    pub(crate) limit: usize,
    /// Print one JSON document (schema `heapsnap.top/1`).
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RetainersArgs {
    /// Snapshot file (`-` for stdin), plain or gzipped.
    pub(crate) file: PathBuf,
    /// The object's id, as DevTools shows it (`@123` or `123`).
    pub(crate) id: ObjectId,
    /// How many retaining paths to show.
    #[arg(long, default_value_t = 3, value_name = "K")]
    pub(crate) paths: usize,
    /// Print one JSON document (schema `heapsnap.retainers/1`).
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// The older snapshot (baseline).
    pub(crate) before: PathBuf,
    /// The newer snapshot.
    pub(crate) after: PathBuf,
    /// Print one JSON document (schema `heapsnap.diff/1`).
    #[arg(long)]
    pub(crate) json: bool,
    /// Rows shown (default 20 in text, all in JSON).
    #[arg(long, value_name = "N")]
    pub(crate) top: Option<usize>,
    /// Also show noise: native objects with unstable ids, V8 internals, weakly held objects.
    #[arg(long)]
    pub(crate) all: bool,
    /// Retainer-path groups shown per growing class.
    #[arg(long, default_value_t = 3, value_name = "K")]
    pub(crate) paths: usize,
    /// Exit 1 when the total heap grew by more than SIZE (e.g. 10MB, 512KiB, 1000000).
    #[arg(long, value_name = "SIZE", value_parser = crate::cmd::diff::parse_size)]
    pub(crate) fail_over: Option<u64>,
    /// Exit 1 when a class grew by more than a count or a size: 'NAME>100', 'NAME>2MB'. Repeatable.
    #[arg(long, value_name = "NAME>LIMIT", value_parser = crate::cmd::diff::parse_class_rule)]
    pub(crate) fail_class: Vec<crate::cmd::diff::ClassRule>,
    /// Write the new objects and their retainer paths as a snapshot DevTools can open.
    #[arg(long, value_name = "OUT.heapsnapshot")]
    pub(crate) emit: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct DumpArgs {
    /// Snapshot file (`-` for stdin), plain or gzipped.
    pub(crate) file: PathBuf,
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
