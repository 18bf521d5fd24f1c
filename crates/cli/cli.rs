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
    curl -s http://host/dump | heapsnap info -

HUNTING A LEAK IN A RUNNING NODE.JS PROCESS:
    heapsnap hunt --pid $(pgrep -f server.js) --drive 'node load.js'
        # baseline, load, target, load, final snapshots; then leaks on the three
    heapsnap watch --pid 4242 --auto-capture snaps/    # heap after GC; 3 snapshots on growth
    heapsnap capture --pid 4242 -o baseline.heapsnapshot.gz    # or take the three by hand
    heapsnap leaks baseline.heapsnapshot.gz target.heapsnapshot.gz final.heapsnapshot.gz
    heapsnap diff baseline.heapsnapshot.gz target.heapsnapshot.gz    # what grew, what holds it

SHELL COMPLETIONS:
    heapsnap completions bash > ~/.local/share/bash-completion/completions/heapsnap";

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
    /// Find leaks: listeners, timers, cycles, detached DOM, open handles, growing collections.
    #[command(
        after_help = "One snapshot runs the structural checks; two add growth; three (baseline, target, final) \
apply the three-snapshot method: objects allocated between baseline and target that are still alive in final.\n\n\
EXAMPLES:\n    heapsnap leaks app.heapsnapshot.gz\n    heapsnap leaks baseline.heapsnapshot.gz target.heapsnapshot.gz final.heapsnapshot.gz\n    heapsnap leaks b t f --json | jq '.findings[] | {category, class, count, retained_size, growth}'\n    heapsnap leaks b t f --fail-on-leak --min-count 50 --min-retained 1MB    # CI gate\n    heapsnap leaks app.heapsnapshot.gz --category timers --category listeners"
    )]
    Leaks(LeaksArgs),
    /// Every node as JSON Lines (id, type, name, class, sizes, distance, dominator).
    #[command(
        after_help = "EXAMPLES:\n    heapsnap dump app.heapsnapshot.gz > nodes.jsonl\n    heapsnap dump app.heapsnapshot.gz | jq -c 'select(.class == \"Timeout\")'"
    )]
    Dump(DumpArgs),
    /// Take heap snapshots from live Node.js processes, workers, cluster members or Chrome pages.
    #[command(
        after_help = "EXAMPLES:\n    heapsnap capture --pid 4242 -o app.heapsnapshot.gz      # SIGUSR1, capture, close the inspector again\n    heapsnap capture --port 9229                            # node --inspect app.js\n    heapsnap capture --pid 4242 --worker list               # worker threads\n    heapsnap capture --pid 4242 --worker all -o app.heapsnapshot\n    heapsnap capture --pid 4100 --children                  # every cluster worker in turn\n    heapsnap capture --port 9222 --target 'My page' -o page.heapsnapshot   # Chrome --remote-debugging-port=9222\n\nSECURITY: --pid sends SIGUSR1, which makes Node open its inspector on 127.0.0.1:9229 (or its\n--inspect-port) as with --inspect: until it is closed, local processes can run code in the target.\nheapsnap closes an inspector it opened as soon as the snapshot is taken (also on Ctrl-C), and\nleaves an inspector that was already open alone. It only connects to 127.0.0.1 unless --host or\n--ws names another host. The target's JavaScript pauses while V8 walks the heap."
    )]
    Capture(CaptureArgs),
    /// Sample a live process's heap after GC over time and warn when it keeps growing.
    #[command(
        after_help = "EXAMPLES:\n    heapsnap watch --pid 4242                                # every 5s until Ctrl-C\n    heapsnap watch --port 9229 --interval 2s --duration 10m --out series.csv\n    heapsnap watch --pid 4242 --auto-capture leak-snaps/     # baseline/target/final snapshots on growth\n\nEach sample forces a full GC first (HeapProfiler.collectGarbage) and then reads\nRuntime.getHeapUsage, so `used` is the heap after GC; --no-gc samples without forcing GC (cheaper\nfor the target, noisier). A leak warning is raised when the heap after GC grows (by more than\n--min-growth, default 16KiB) in N consecutive samples (--consecutive, default 5: the old memwatch\nrule). Exit status 1 when a warning was raised."
    )]
    Watch(WatchArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    #[command(after_help = COMPLETIONS_HELP)]
    Completions(CompletionsArgs),
}

const COMPLETIONS_HELP: &str = "\
EXAMPLES:
    heapsnap completions bash > ~/.local/share/bash-completion/completions/heapsnap
    heapsnap completions zsh > ~/.zfunc/_heapsnap    # ~/.zshrc: fpath+=(~/.zfunc) before compinit
    heapsnap completions fish > ~/.config/fish/completions/heapsnap.fish
    source <(heapsnap completions bash)              # this shell only";

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
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
pub(crate) struct LeaksArgs {
    /// One to three snapshots of one process, oldest first: [BASELINE [TARGET]] LAST.
    #[arg(required = true, num_args = 1..=3, value_name = "SNAPSHOT")]
    pub(crate) files: Vec<PathBuf>,
    /// Print one JSON document (schema `heapsnap.leaks/1`).
    #[arg(long)]
    pub(crate) json: bool,
    /// Findings shown (default 10 in text, all in JSON).
    #[arg(long, value_name = "N")]
    pub(crate) top: Option<usize>,
    /// Retaining paths shown per finding when its objects have several independent holders.
    #[arg(long, default_value_t = 4, value_name = "K")]
    pub(crate) paths: usize,
    /// Exit 1 when any finding is reported (after --min-count and --min-retained): a CI gate.
    #[arg(long)]
    pub(crate) fail_on_leak: bool,
    /// Report only findings with at least N objects.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub(crate) min_count: u64,
    /// Report only findings that keep at least SIZE alive (e.g. 100KB, 1MiB, 50000).
    #[arg(long, value_name = "SIZE", value_parser = crate::cmd::diff::parse_size)]
    pub(crate) min_retained: Option<u64>,
    /// A cluster grows when it gains at least N objects at every step between snapshots.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub(crate) min_growth: u64,
    /// Run only this detector (repeatable): detached-dom, listeners, timers, resources, closures,
    /// cycles, collections, growth, duplicate-strings.
    #[arg(long = "category", value_name = "CATEGORY", value_parser = crate::cmd::leaks::parse_category)]
    pub(crate) categories: Vec<heapsnap_leaks::Category>,
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

/// Where the inspector is: exactly one of `--pid`, `--port`, `--ws`.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct EndpointArgs {
    /// A running Node.js process: open its inspector with SIGUSR1 (unless already open), use it,
    /// and close it again afterwards.
    #[arg(long, value_name = "PID")]
    pub(crate) pid: Option<u32>,
    /// An inspector already listening on this port (`node --inspect`, Chrome's
    /// `--remote-debugging-port`), on 127.0.0.1 unless --host is given.
    #[arg(long, value_name = "PORT")]
    pub(crate) port: Option<u16>,
    /// A WebSocket debugger URL (`ws://127.0.0.1:9229/<id>`).
    #[arg(long, value_name = "URL")]
    pub(crate) ws: Option<String>,
}

/// `HOST:PORT` for an inspector, with IPv6 hosts in brackets.
pub(crate) fn inspector_addr(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

#[derive(Debug, Args)]
pub(crate) struct CaptureArgs {
    #[command(flatten)]
    pub(crate) endpoint: EndpointArgs,
    /// Host of --port. The inspector allows code execution: only use hosts you trust.
    #[arg(
        long,
        value_name = "HOST",
        default_value = "127.0.0.1",
        conflicts_with_all = ["pid", "ws"]
    )]
    pub(crate) host: String,
    /// Output file (default `heapsnap-<pid>-<time>.heapsnapshot`). With several snapshots
    /// (--worker all, --children) each name gets the worker or pid inserted.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Gzip the output (default: when FILE ends in `.gz`).
    #[arg(long)]
    pub(crate) gzip: bool,
    /// Do not force a garbage collection before the snapshot.
    #[arg(long)]
    pub(crate) no_gc: bool,
    /// Ask V8 for internals (`exposeInternals`, what DevTools does): no user roots in the snapshot.
    #[arg(long)]
    pub(crate) expose_internals: bool,
    /// Capture the values of numbers (`captureNumericValue`; adds `smi number` nodes).
    #[arg(long)]
    pub(crate) numeric_values: bool,
    /// Worker threads (NodeWorker domain): `list` them, capture `all`, or one by its thread id.
    #[arg(long, value_name = "all|ID|list", value_parser = crate::cmd::capture::parse_worker)]
    pub(crate) worker: Option<crate::cmd::capture::WorkerChoice>,
    /// With --pid of a cluster primary: capture each Node.js child process in turn (each one's
    /// inspector is opened, used and closed before the next, so ports never clash).
    #[arg(long, conflicts_with_all = ["port", "ws"])]
    pub(crate) children: bool,
    /// Pick the target whose id, title or URL contains SUBSTRING (Chrome pages and workers);
    /// attaches through the browser endpoint with a flat session when there is one.
    #[arg(long, value_name = "SUBSTRING")]
    pub(crate) target: Option<String>,
    /// Give up when the target sends nothing for this long (e.g. 30s, 5m).
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "60s",
        value_parser = crate::cmd::watch::parse_duration
    )]
    pub(crate) timeout: std::time::Duration,
    /// Do not parse the written snapshot to check it (parsing needs memory of the order of the
    /// snapshot's size).
    #[arg(long)]
    pub(crate) no_check: bool,
    /// Print one JSON document (schema `heapsnap.capture/1`) instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct WatchArgs {
    #[command(flatten)]
    pub(crate) endpoint: EndpointArgs,
    /// Host of --port. The inspector allows code execution: only use hosts you trust.
    #[arg(
        long,
        value_name = "HOST",
        default_value = "127.0.0.1",
        conflicts_with_all = ["pid", "ws"]
    )]
    pub(crate) host: String,
    /// Time between samples (`5s`, `500ms`, `1m`).
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "5s",
        value_parser = crate::cmd::watch::parse_duration
    )]
    pub(crate) interval: std::time::Duration,
    /// Stop after this long (default: until Ctrl-C).
    #[arg(long, value_name = "DURATION", value_parser = crate::cmd::watch::parse_duration)]
    pub(crate) duration: Option<std::time::Duration>,
    /// Do not force a GC before each sample (the leak rule then sees garbage too).
    #[arg(long)]
    pub(crate) no_gc: bool,
    /// Warn when the heap after GC grew in N consecutive samples.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub(crate) consecutive: usize,
    /// A sample counts as growth only when the heap grew by more than SIZE (V8's heap after GC
    /// creeps by a few KiB now and then without any leak).
    #[arg(
        long,
        value_name = "SIZE",
        default_value = "16KiB",
        value_parser = crate::cmd::diff::parse_size
    )]
    pub(crate) min_growth: u64,
    /// Write the time series to FILE: CSV if it ends in `.csv`, else JSON (`heapsnap.watch/1`).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// On growth, write baseline, target and final snapshots into DIR (N samples apart) and
    /// run `heapsnap leaks` on them when that command exists.
    #[arg(long, value_name = "DIR")]
    pub(crate) auto_capture: Option<PathBuf>,
    /// Give up when the target sends nothing for this long.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "60s",
        value_parser = crate::cmd::watch::parse_duration
    )]
    pub(crate) timeout: std::time::Duration,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
        assert!(Cli::try_parse_from(["heapsnap", "capture", "--pid", "1", "--children"]).is_ok());
        assert!(
            Cli::try_parse_from(["heapsnap", "capture", "--port", "9229", "--pid", "1"]).is_err()
        );
        assert!(
            Cli::try_parse_from(["heapsnap", "capture", "--port", "9229", "--children"]).is_err()
        );
        assert!(
            Cli::try_parse_from([
                "heapsnap",
                "capture",
                "--ws",
                "ws://127.0.0.1:1/x",
                "--worker",
                "all"
            ])
            .is_ok()
        );
        assert!(Cli::try_parse_from(["heapsnap", "capture"]).is_err());
        assert!(Cli::try_parse_from(["heapsnap", "capture", "--pid", "1", "--host", "h"]).is_err());
        assert!(Cli::try_parse_from(["heapsnap", "watch", "--port", "1", "--host", "::1"]).is_ok());
        assert!(
            Cli::try_parse_from([
                "heapsnap",
                "watch",
                "--port",
                "9229",
                "--interval",
                "500ms",
                "--duration",
                "1m"
            ])
            .is_ok()
        );
        assert!(
            Cli::try_parse_from(["heapsnap", "watch", "--pid", "1", "--interval", "5 parsecs"])
                .is_err()
        );
        assert!(Cli::try_parse_from(["heapsnap", "info", "a.heapsnapshot", "--json"]).is_ok());
        assert!(Cli::try_parse_from(["heapsnap", "completions", "zsh"]).is_ok());
        assert!(Cli::try_parse_from(["heapsnap", "completions", "tcsh"]).is_err());
        assert!(Cli::try_parse_from(["heapsnap", "convert", "a", "b", "--gzip"]).is_ok());
        assert!(
            Cli::try_parse_from(["heapsnap", "convert", "a", "b", "--gzip", "--no-gzip"]).is_err()
        );
    }
}
