//! Command-line definitions (clap derive). Only this file and `cmd/` know about clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use heapsnap_format::ObjectId;

const EXAMPLES: &str = "\
EXAMPLES:
    heapsnap hunt --pid $(pgrep -f server.js) --drive 'node load.js'   # find a leak in a live app
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

CODING AGENTS (a Model Context Protocol server on stdio):
    claude mcp add heapsnap -- heapsnap mcp    # then ask the agent about your snapshots

SHELL COMPLETIONS:
    heapsnap completions bash > ~/.local/share/bash-completion/completions/heapsnap";

/// `examples` followed by the notation of retaining paths (heapsnap-graph's `NOTATION`, the
/// same table as the HTML report's legend), for the end of `leaks`, `diff` and `retainers --help`.
fn with_path_legend(examples: &str) -> String {
    let mut s = format!("{examples}\n\nPATHS (how to read \"held by\"):\n");
    let width = heapsnap_graph::NOTATION.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
    for (k, v) in heapsnap_graph::NOTATION {
        s.push_str(&format!("    {k:<width$}  {v}\n"));
    }
    s.push_str(heapsnap_graph::NOTATION_NOTE);
    s
}

/// Analyze, diff and capture V8 heap snapshots (.heapsnapshot, plain or gzipped).
#[derive(Debug, Parser)]
#[command(name = "heapsnap", version, about, after_help = EXAMPLES)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
}

#[derive(Clone, Debug, Args)]
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
    /// Replace the data the heap holds (string values, Map keys, dictionary keys, numbers)
    /// before anything is printed or written; `--redact=strict` also hides script and page
    /// URLs. See `heapsnap redact --help`.
    #[arg(
        long,
        global = true,
        value_name = "MODE",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "data"
    )]
    pub(crate) redact: Option<RedactMode>,
}

/// What `--redact` replaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum RedactMode {
    /// String values, Map/Set keys, dictionary keys, numbers, RegExp patterns.
    Data,
    /// Also script URLs, page URLs and DOM attributes.
    Strict,
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
    /// Write a copy of a snapshot without the data it holds, safe to attach to a bug report.
    #[command(after_help = REDACT_HELP)]
    Redact(RedactArgs),
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
    /// Why is this object alive: its best retaining paths, through the program's own variables.
    #[command(after_help = with_path_legend(concat!(
        "EXAMPLES:\n    heapsnap retainers app.heapsnapshot.gz @12345\n    heapsnap retainers app.heapsnapshot.gz @12345 --paths 5 --json\n    heapsnap retainers app.heapsnapshot.gz @12345 --path shortest    # DevTools' Retainers view",
    )))]
    Retainers(RetainersArgs),
    /// Compare two snapshots of one process: DevTools' Comparison view, what grew, what holds it.
    #[command(after_help = with_path_legend(concat!(
        "EXAMPLES:\n    heapsnap diff before.heapsnapshot.gz after.heapsnapshot.gz\n    heapsnap diff a.heapsnapshot b.heapsnapshot --json | jq '.classes[0]'\n    heapsnap diff a b --fail-over 10MB --fail-class 'LeakyThing>100'    # CI gate: exit 1 when exceeded\n    heapsnap diff a b --emit growth.heapsnapshot    # open in Chrome DevTools' Memory panel",
    )))]
    Diff(DiffArgs),
    /// Find leaks: listeners, timers, cycles, detached DOM, open handles, growing collections.
    #[command(after_help = with_path_legend(concat!(
        "One snapshot runs the structural checks; two add growth; three (baseline, target, final) \
apply the three-snapshot method: objects allocated between baseline and target that are still alive in final.\n\n\
EXAMPLES:\n    heapsnap leaks app.heapsnapshot.gz\n    heapsnap leaks baseline.heapsnapshot.gz target.heapsnapshot.gz final.heapsnapshot.gz\n    heapsnap leaks b t f --json | jq '.findings[] | {category, class, count, retained_size, growth}'\n    heapsnap leaks b t f --fail-on-leak --min-count 50 --min-retained 1MB    # CI gate\n    heapsnap leaks app.heapsnapshot.gz --category timers --category listeners",
    )))]
    Leaks(LeaksArgs),
    /// Every node as JSON Lines (id, type, name, class, sizes, distance, dominator).
    #[command(
        after_help = "EXAMPLES:\n    heapsnap dump app.heapsnapshot.gz > nodes.jsonl\n    heapsnap dump app.heapsnapshot.gz | jq -c 'select(.class == \"Timeout\")'"
    )]
    Dump(DumpArgs),
    /// Take heap snapshots from live Node.js processes, workers, cluster members or Chrome pages.
    #[command(
        after_help = "EXAMPLES:\n    heapsnap capture --pid 4242 -o app.heapsnapshot.gz      # SIGUSR1, capture, close the inspector again\n    heapsnap capture --port 9229                            # node --inspect app.js\n    heapsnap capture --pid 4242 --worker list               # worker threads\n    heapsnap capture --pid 4242 --worker all -o app.heapsnapshot   # app.heapsnapshot (main thread), app.worker-1-NAME.heapsnapshot, ...\n    heapsnap capture --pid $(pgrep -f 'npm start')           # a launcher: the node process below it\n    heapsnap capture --name server.js                       # by command line\n    heapsnap capture --pid 4100 --children                  # every cluster worker in turn\n    heapsnap capture --port 9222 --target 'My page' -o page.heapsnapshot   # Chrome --remote-debugging-port=9222\n\nSECURITY: --pid sends SIGUSR1, which makes Node open its inspector on 127.0.0.1:9229 (or its\n--inspect-port) as with --inspect: until it is closed, local processes can run code in the target.\nheapsnap closes an inspector it opened as soon as the snapshot is taken (also on Ctrl-C), and\nleaves an inspector that was already open alone. It only connects to 127.0.0.1 unless --host or\n--ws names another host, and warns when an inspector listens on every interface. SIGUSR1 is\nonly sent to a process that catches it (Node.js does). The target's JavaScript pauses while V8\nwalks the heap. Each capture is its own inspector session, and V8 numbers objects afresh in\neach: to compare snapshots object by object, use `heapsnap hunt`."
    )]
    Capture(CaptureArgs),
    /// Sample a live process's heap after GC over time and warn when it keeps growing.
    #[command(
        after_help = "EXAMPLES:\n    heapsnap watch --pid 4242                                # every 5s until Ctrl-C\n    heapsnap watch --name server.js --json | jq -c .used_size   # JSON Lines, one per sample\n    heapsnap watch --port 9229 --interval 2s --duration 10m --out series.csv\n    heapsnap watch --pid 4242 --prometheus /var/lib/node_exporter/heap.prom\n    heapsnap watch --pid 4242 --worker 1                     # a worker thread\n    heapsnap watch --pid 4242 --auto-capture leak-snaps/     # baseline/target/final snapshots on growth\n\nEach sample forces a full GC first (HeapProfiler.collectGarbage) and then reads\nRuntime.getHeapUsage, so `used` is the heap after GC; --no-gc samples without forcing GC (cheaper\nfor the target, noisier). A leak warning is raised when the heap after GC grows (by more than\n--min-growth, default 16KiB) in N consecutive samples (--consecutive, default 5: the old memwatch\nrule). --auto-capture takes baseline, target and final snapshots (N samples apart, in the one\nsession) into a new run folder DIR/heapsnap-<pid>-<UTC time>/ as `hunt` does, then runs `heapsnap\nleaks` on them. Exit status 1 when a warning was raised; 143 or 129 when stopped by SIGTERM or\nSIGHUP (Ctrl-C ends a watch normally)."
    )]
    Watch(WatchArgs),
    /// Hunt a leak in a live process: baseline, exercise, target, exercise, final, in one
    /// inspector session, then the `leaks` report.
    #[command(after_help = HUNT_HELP)]
    Hunt(HuntArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    #[command(after_help = COMPLETIONS_HELP)]
    Completions(CompletionsArgs),
    /// One self-contained HTML file to look at a heap and its leaks: treemap, tables, paths.
    #[command(after_help = REPORT_HELP)]
    Report(ReportArgs),
    /// Serve summary, top, retainers, diff, leaks and inspect to coding agents: a Model
    /// Context Protocol server on stdin/stdout.
    #[command(after_help = MCP_HELP)]
    Mcp(McpArgs),
}

const MCP_HELP: &str = "\
Tools: summary, top, retainers, diff, leaks (the documents of `--json`, see docs/json.md) and
inspect (one object: its edges and retainers). Each takes snapshot paths (relative ones are
resolved against the server's working directory) and the command's options; long lists come
in pages (`limit`, `offset`; the answer's `page` gives `next_offset`), and no answer is longer
than --max-output. Snapshots and what was computed on them are kept between calls, by path,
size and modification time, within --cache-size; the least recently used go first. --redact
applies to every answer. Stdout carries only protocol messages; logs go to stderr (-v: what was
read and what came from the cache).

CONFIGURATION (Claude Code: `claude mcp add heapsnap -- heapsnap mcp`; Claude Desktop, Cursor:
`mcpServers` in their JSON settings; VS Code: `servers` in .vscode/mcp.json):
    {\"mcpServers\": {\"heapsnap\": {\"command\": \"heapsnap\", \"args\": [\"mcp\"]}}}

EXAMPLES:
    heapsnap mcp                                   # started by the agent's client
    heapsnap --redact mcp --cache-size 8GiB         # heap data never reaches the agent";

#[derive(Debug, Args)]
pub(crate) struct McpArgs {
    /// Memory for snapshots, their analyses and answers kept between calls (an estimate from
    /// the columns each holds; the least recently used are dropped first, the last call's
    /// never).
    #[arg(long, value_name = "SIZE", default_value = "4GiB", value_parser = crate::values::parse_size)]
    pub(crate) cache_size: u64,
    /// The longest answer, in bytes of JSON: a page holds fewer items than its `limit` when
    /// they would not fit (at least one).
    #[arg(long, value_name = "SIZE", default_value = "64KiB", value_parser = crate::values::parse_size)]
    pub(crate) max_output: u64,
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

const REPORT_HELP: &str = "\
The report holds what `heapsnap leaks`, `summary` and (with two or three snapshots) `diff`
print with --json, the same texts: an overview (sizes, objects by type, what V8 wrote), the leak
findings with their retaining paths as trees, growth charts, a zoomable treemap of retained size
down the dominator tree, DevTools' Summary and Comparison tables (sortable, filterable), and with
--watch the heap over time. Everything is inline: it opens from a CI artifact or an e-mail with
no network access. The Comparison is of the last snapshot against the first. Exit codes as
`leaks`: 1 with --fail-on-leak when a finding is reported (the report is written anyway), 2 on
errors. With --redact the report holds no string values from the heap.

EXAMPLES:
    heapsnap report app.heapsnapshot.gz -o app.html
    heapsnap report baseline.heapsnapshot.gz target.heapsnapshot.gz final.heapsnapshot.gz
    heapsnap report b t f --fail-on-leak -o leak-report.html        # CI: artifact and gate
    heapsnap watch --pid 4242 --json > series.jsonl; heapsnap report app.heapsnapshot.gz --watch series.jsonl
    heapsnap report --redact app.heapsnapshot.gz -o shareable.html";

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// One to three snapshots of one process, oldest first: [BASELINE [TARGET]] LAST.
    #[arg(required = true, num_args = 1..=3, value_name = "SNAPSHOT")]
    pub(crate) files: Vec<PathBuf>,
    /// Output file (`-` for stdout); written to a temporary file and renamed when complete.
    #[arg(short, long, value_name = "FILE", default_value = "heapsnap-report.html")]
    pub(crate) output: PathBuf,
    /// The page title (default: `heapsnap report: ` and the last snapshot's file name).
    #[arg(long, value_name = "TITLE")]
    pub(crate) title: Option<String>,
    /// Rows of the Summary and Comparison tables (default 500), and findings shown (default all).
    #[arg(long, value_name = "N")]
    pub(crate) top: Option<usize>,
    /// Cells of the treemap at most (objects, classes grouped below the size threshold).
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub(crate) cells: usize,
    /// Include a `heapsnap watch --json` series (JSON Lines, or a `--out` JSON file) as a chart
    /// of the heap over time.
    #[arg(long, value_name = "SERIES.jsonl")]
    pub(crate) watch: Option<PathBuf>,
    /// Retaining paths shown per finding when its objects have several independent holders.
    #[arg(long, default_value_t = 4, value_name = "K")]
    pub(crate) paths: usize,
    #[command(flatten)]
    pub(crate) filters: LeakFilters,
    /// Which retaining path to show per holder: `user` (through the program's own variables
    /// and objects, avoiding runtime internals; the default) or `shortest` (DevTools' order).
    #[arg(long, value_enum, default_value_t = PathChoice::User)]
    pub(crate) path: PathChoice,
}

const HUNT_HELP: &str = "\
One inspector session is held open for the whole series, so V8's object ids follow objects
from snapshot to snapshot (separate `capture` runs get fresh ids). Before each snapshot a full
GC is forced. Between snapshots the app is exercised: --drive CMD runs a command to completion
(its exit status is checked), --every waits, and without either, on a terminal, heapsnap waits
for Enter. Then the inspector is closed again (if heapsnap opened it) and the report of
`heapsnap leaks` on the series is printed. The snapshots stay in DIR/heapsnap-<pid>-<UTC time>/
(1-baseline, 2-target, 3-final .heapsnapshot.gz); a run that fails half way is renamed
...-incomplete and keeps what it wrote.

EXAMPLES:
    heapsnap hunt --pid $(pgrep -f server.js) --drive 'node load.js'
    heapsnap hunt --name server.js --drive 'npx autocannon -d 10 http://127.0.0.1:3000/'
    heapsnap hunt --pid 4242                          # exercise the app by hand, press Enter
    heapsnap hunt --pid 4242 --every 30s -o /tmp/hunts --json
    heapsnap hunt --pid 4242 --drive ./load.sh --track-allocations
    heapsnap hunt --pid 4242 --worker 1 --drive ./load.sh     # a worker thread
    heapsnap hunt --port 9222 --target 'My page' --every 20s  # a Chrome page";

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

/// `--path`: which retaining path to show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum PathChoice {
    /// Through the program's own objects (a module's top-level scope, globals, what they
    /// hold), avoiding runtime internals (timer lists, engine objects) whenever possible.
    #[default]
    User,
    /// DevTools' shortest path (from the global object first, then from the GC roots).
    Shortest,
}

impl PathChoice {
    /// The library's mode.
    pub(crate) fn mode(self) -> heapsnap_graph::PathMode {
        match self {
            PathChoice::User => heapsnap_graph::PathMode::User,
            PathChoice::Shortest => heapsnap_graph::PathMode::Shortest,
        }
    }
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
    /// Which paths: through the program's own objects (`user`), or DevTools' shortest.
    #[arg(long, value_enum, default_value_t = PathChoice::User)]
    pub(crate) path: PathChoice,
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
    /// Retainer-path groups shown per growing class (0: none, and the older snapshot's paths
    /// are not searched).
    #[arg(long, default_value_t = 3, value_name = "K")]
    pub(crate) paths: usize,
    /// Which paths: through the program's own objects (`user`), or DevTools' shortest.
    #[arg(long, value_enum, default_value_t = PathChoice::User)]
    pub(crate) path: PathChoice,
    /// Leave out the retained sizes of the growth, the classes' retained-size change and what
    /// the new objects retain (DevTools' Comparison has neither): the older snapshot then
    /// needs no dominator tree. With --paths 0 it is reduced to DevTools' Comparison alone,
    /// without any graph search.
    #[arg(long)]
    pub(crate) no_retained: bool,
    /// Exit 1 when the total heap grew by more than SIZE (e.g. 10MB, 512KiB, 1000000).
    #[arg(long, value_name = "SIZE", value_parser = crate::values::parse_size)]
    pub(crate) fail_over: Option<u64>,
    /// Exit 1 when a class grew by more than a count or a size: 'NAME>100', 'NAME>2MB'. Repeatable.
    #[arg(long, value_name = "NAME>LIMIT", value_parser = crate::values::parse_class_rule)]
    pub(crate) fail_class: Vec<heapsnap_diff::ClassRule>,
    /// Write the new objects and their retainer paths as a snapshot DevTools can open.
    #[arg(long, value_name = "OUT.heapsnapshot")]
    pub(crate) emit: Option<PathBuf>,
}

/// The gate, thresholds and detector choice of `leaks` (and of `report`, which embeds its
/// document).
#[derive(Clone, Debug, Args)]
pub(crate) struct LeakFilters {
    /// Exit 1 when any finding is reported (after --min-count and --min-retained): a CI gate.
    #[arg(long)]
    pub(crate) fail_on_leak: bool,
    /// Report only findings with at least N objects.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub(crate) min_count: u64,
    /// Report only findings that keep at least SIZE alive (e.g. 100KB, 1MiB, 50000).
    #[arg(long, value_name = "SIZE", value_parser = crate::values::parse_size)]
    pub(crate) min_retained: Option<u64>,
    /// A cluster grows when it gains at least N objects at every step between snapshots.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub(crate) min_growth: u64,
    /// Run only this detector (repeatable): detached-dom, listeners, timers, resources, closures,
    /// cycles, collections, growth, duplicate-strings.
    #[arg(long = "category", value_name = "CATEGORY", value_parser = crate::values::parse_category)]
    pub(crate) categories: Vec<heapsnap_leaks::Category>,
}

#[derive(Debug, Args)]
pub(crate) struct LeaksArgs {
    /// One to three snapshots of one process, oldest first: `[BASELINE [TARGET]] LAST`.
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
    /// Which paths: through the program's own objects (`user`), or DevTools' shortest.
    #[arg(long, value_enum, default_value_t = PathChoice::User)]
    pub(crate) path: PathChoice,
    #[command(flatten)]
    pub(crate) filters: LeakFilters,
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

const REDACT_HELP: &str = "\
Replaced: every string value (strings, concatenated and sliced strings: values, Map and Set keys, \
script sources), number and bigint values, RegExp patterns, the property names of dictionary-mode \
objects (hash-table objects, whose keys are usually data: sessions[token]; on the global object, \
identifier-like names are kept), and sections heapsnap does not interpret. Each distinct string \
becomes `<redacted #N>` (equal strings stay equal; nothing of the content or its length is left).

Kept: the whole graph (ids, types, sizes, edges: distances, dominators and retained sizes are \
unchanged), class and function names, property names of ordinary objects, variable names, script \
URLs (--strict replaces those, page URLs and DOM attributes too). Redacting twice changes nothing.

Not removed: property names that code computed on small objects V8 kept in fast mode, and names \
that come from source code (functions, classes, variables).

EXAMPLES:
    heapsnap redact app.heapsnapshot.gz app-redacted.heapsnapshot.gz
    heapsnap redact --strict app.heapsnapshot.gz shareable.heapsnapshot.gz
    heapsnap leaks --redact b.heapsnapshot.gz t.heapsnapshot.gz f.heapsnapshot.gz   # any command";

#[derive(Debug, Args)]
pub(crate) struct RedactArgs {
    /// Input snapshot (`-` for stdin), plain or gzipped.
    pub(crate) input: PathBuf,
    /// Output file (`-` for stdout); gzipped when it ends in `.gz`.
    pub(crate) output: PathBuf,
    /// Also replace script URLs, page URLs and DOM attributes.
    #[arg(long)]
    pub(crate) strict: bool,
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

/// Where the inspector is: exactly one of `--pid`, `--name`, `--port`, `--ws`.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct EndpointArgs {
    /// A running Node.js process: open its inspector with SIGUSR1 (unless already open), use it,
    /// and close it again afterwards. The pid of a launcher (`npm start`, `sh -c 'node ...'`,
    /// nodemon) selects the one Node.js process below it.
    #[arg(long, value_name = "PID")]
    pub(crate) pid: Option<u32>,
    /// The Node.js process whose command line contains TEXT (like `pgrep -f`); refuses with the
    /// list when several match.
    #[arg(long, value_name = "TEXT")]
    pub(crate) name: Option<String>,
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
        conflicts_with_all = ["pid", "name", "ws"]
    )]
    pub(crate) host: String,
    /// Output file (default `heapsnap-<pid>-<UTC time>.heapsnapshot`). With several snapshots
    /// each name gets the worker (`NAME.worker-<id>-<title>.heapsnapshot`) or pid
    /// (`NAME.pid<pid>...`) inserted before the extension; every file written is printed.
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
    /// Worker threads (NodeWorker domain): `list` them, capture `all` (the main thread under
    /// the output name, then each worker), or one by its thread id.
    #[arg(long, value_name = "all|ID|list", value_parser = crate::values::parse_worker)]
    pub(crate) worker: Option<crate::values::WorkerChoice>,
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
        value_parser = crate::values::parse_duration
    )]
    pub(crate) timeout: std::time::Duration,
    /// Give up on any one snapshot after this long in total, however busy the target keeps
    /// the connection.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "30m",
        value_parser = crate::values::parse_duration
    )]
    pub(crate) max_time: std::time::Duration,
    /// Do not parse the written snapshot to check it (parsing needs memory of the order of the
    /// snapshot's size).
    #[arg(long)]
    pub(crate) no_check: bool,
    /// How the snapshot leaves the target: `target` has a Node.js process on this machine
    /// write it itself (v8.writeHeapSnapshot, into a private folder beside the output: the
    /// shortest pause); `inspector` streams it through the inspector; `auto` tries the first
    /// and falls back to the second.
    #[arg(long, value_enum, default_value_t = Via::Auto)]
    pub(crate) via: Via,
    /// Print one JSON document (schema `heapsnap.capture/1`) instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// How a snapshot leaves the target (`capture --via`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Via {
    /// The target's own write when it can, else the inspector.
    Auto,
    /// The target writes the file itself (Node.js 11.13+, same machine and filesystem).
    Target,
    /// Streamed through the inspector protocol (any target).
    Inspector,
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
        conflicts_with_all = ["pid", "name", "ws"]
    )]
    pub(crate) host: String,
    /// Time between samples (`5s`, `500ms`, `1m`).
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "5s",
        value_parser = crate::values::parse_duration
    )]
    pub(crate) interval: std::time::Duration,
    /// Stop after this long (default: until Ctrl-C); an --auto-capture series already started
    /// is finished first.
    #[arg(long, value_name = "DURATION", value_parser = crate::values::parse_duration)]
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
        value_parser = crate::values::parse_size
    )]
    pub(crate) min_growth: u64,
    /// Write the time series to FILE: CSV if it ends in `.csv`, else JSON (`heapsnap.watch/1`).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// On growth, write baseline, target and final snapshots into DIR (N samples apart) and
    /// print what `heapsnap leaks` finds in them.
    #[arg(long, value_name = "DIR")]
    pub(crate) auto_capture: Option<PathBuf>,
    /// Print one JSON object per sample on stdout (JSON Lines) instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    /// Write the latest sample to FILE in Prometheus' text exposition format, rewritten
    /// atomically at each sample (for node_exporter's textfile collector: name it `*.prom`).
    #[arg(long, value_name = "FILE")]
    pub(crate) prometheus: Option<PathBuf>,
    /// Watch this worker thread (its thread id, as `capture --worker list` shows) instead of
    /// the main thread.
    #[arg(long, value_name = "ID")]
    pub(crate) worker: Option<String>,
    /// Give up when the target makes no progress for this long.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "60s",
        value_parser = crate::values::parse_duration
    )]
    pub(crate) timeout: std::time::Duration,
    /// Give up on any one sample or snapshot after this long in total.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "30m",
        value_parser = crate::values::parse_duration
    )]
    pub(crate) max_time: std::time::Duration,
}

#[derive(Debug, Args)]
pub(crate) struct HuntArgs {
    #[command(flatten)]
    pub(crate) endpoint: EndpointArgs,
    /// Host of --port. The inspector allows code execution: only use hosts you trust.
    #[arg(
        long,
        value_name = "HOST",
        default_value = "127.0.0.1",
        conflicts_with_all = ["pid", "name", "ws"]
    )]
    pub(crate) host: String,
    /// Hunt in this worker thread (its thread id, as `capture --worker list` shows); the
    /// session to it is held open for the whole series.
    #[arg(long, value_name = "ID")]
    pub(crate) worker: Option<String>,
    /// Pick the target whose id, title or URL contains SUBSTRING (a Chrome page with --port
    /// 9222).
    #[arg(long, value_name = "SUBSTRING")]
    pub(crate) target: Option<String>,
    /// Between snapshots, run CMD with `sh -c` to exercise the app (a load script,
    /// autocannon); it must exit 0.
    #[arg(long, value_name = "CMD", conflicts_with = "every")]
    pub(crate) drive: Option<String>,
    /// Between snapshots, wait this long (the app is exercised by its own traffic).
    #[arg(long, value_name = "DURATION", value_parser = crate::values::parse_duration)]
    pub(crate) every: Option<std::time::Duration>,
    /// Snapshots in the series: 3 (baseline, target, final) or 2 (baseline, final).
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u8).range(2..=3))]
    pub(crate) snapshots: u8,
    /// Each run writes into a new folder DIR/heapsnap-<pid>-<UTC time>/.
    #[arg(short, long, value_name = "DIR", default_value = ".")]
    pub(crate) output: PathBuf,
    /// Record allocation stacks after the baseline (V8's allocation tracking), so that the
    /// later snapshots carry the allocation trace tree and the report says where each
    /// finding's objects were allocated. Slows the target while it runs.
    #[arg(long)]
    pub(crate) track_allocations: bool,
    /// Print one JSON document (schema `heapsnap.hunt/1`: the leaks report plus the run).
    #[arg(long)]
    pub(crate) json: bool,
    /// Findings shown (default 10 in text, all in JSON).
    #[arg(long, value_name = "N")]
    pub(crate) top: Option<usize>,
    /// Exit 1 when any finding is reported (as `leaks --fail-on-leak`).
    #[arg(long)]
    pub(crate) fail_on_leak: bool,
    /// Give up when the target makes no progress for this long.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "60s",
        value_parser = crate::values::parse_duration
    )]
    pub(crate) timeout: std::time::Duration,
    /// Give up on any one snapshot after this long in total.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "30m",
        value_parser = crate::values::parse_duration
    )]
    pub(crate) max_time: std::time::Duration,
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
        let mcp = Cli::try_parse_from(["heapsnap", "--redact", "mcp", "--cache-size", "1GiB"]);
        match mcp.map(|c| (c.command, c.global.redact)) {
            Ok((Command::Mcp(a), Some(RedactMode::Data))) => {
                assert_eq!((a.cache_size, a.max_output), (1 << 30, 64 << 10));
            }
            other => panic!("{other:?}"),
        }
        assert!(Cli::try_parse_from(["heapsnap", "mcp", "--max-output", "lots"]).is_err());
        assert!(Cli::try_parse_from(["heapsnap", "mcp", "snapshot.heapsnapshot"]).is_err());
        assert!(Cli::try_parse_from(["heapsnap", "convert", "a", "b", "--gzip"]).is_ok());
        assert!(
            Cli::try_parse_from(["heapsnap", "convert", "a", "b", "--gzip", "--no-gzip"]).is_err()
        );
    }
}
