//! Opening inputs: a path or `-` for stdin, with a progress bar; errors name the file.

use std::io;
use std::path::Path;

use anyhow::{Context, Result};
use heapsnap_format::{HeapSnapshot, ParseOptions, RedactOptions, RedactStats};

use crate::cli::{GlobalArgs, RedactMode};
use crate::progress::Bar;

/// How a path is shown to the user (`<stdin>` for `-`).
pub(crate) fn display(path: &Path) -> String {
    if path == Path::new("-") { "<stdin>".to_string() } else { path.display().to_string() }
}

/// Parses a snapshot from `path` (or stdin for `-`), printing any warnings.
pub(crate) fn load(path: &Path, global: &GlobalArgs, quiet_bar: bool) -> Result<HeapSnapshot> {
    let mut bar = Bar::new(global, quiet_bar, &format!("reading {}", display(path)));
    let opts = ParseOptions::default();
    let t = std::time::Instant::now();
    let snap = if path == Path::new("-") {
        opts.parse_reader(io::stdin().lock(), &mut bar)
            .with_context(|| format!("reading {}", display(path)))
    } else {
        // The library's I/O errors say `reading PATH: <OS message>` already; parse errors give
        // the section and offset, and get the path here.
        opts.parse_path(path, &mut bar).map_err(|e| match e {
            heapsnap_format::Error::Io(io) => anyhow::Error::new(io),
            e => anyhow::Error::new(e).context(format!("reading {}", display(path))),
        })
    }?;
    bar.finish();
    let mut snap = snap;
    if let Some(mode) = global.redact {
        let stats = snap.redact(&RedactOptions::new().strict(mode == RedactMode::Strict));
        log::info!("{}: {}", display(path), redact_summary(&stats));
    }
    log::debug!("parsing {} took {:.2?}", display(path), t.elapsed());
    for w in snap.warnings() {
        log::warn!("{}: {w}", display(path));
    }
    Ok(snap)
}

/// A parsed snapshot with DevTools' analysis run on it.
pub(crate) struct Analyzed {
    pub(crate) snap: HeapSnapshot,
}

impl Analyzed {
    pub(crate) fn load(path: &Path, global: &GlobalArgs, quiet_bar: bool) -> Result<Analyzed> {
        Ok(Analyzed { snap: load(path, global, quiet_bar)? })
    }

    /// [`Analyzed::analyze`], also choosing the retaining paths (`mode`) while the dominators
    /// are computed ([`heapsnap_graph::Analysis::with_side_work`]).
    pub(crate) fn analyze_with_paths(
        &self,
        mode: heapsnap_graph::PathMode,
    ) -> (heapsnap_graph::HeapGraph<'_>, heapsnap_graph::Analysis, heapsnap_graph::PathTree) {
        self.analyze_with(|g, d| heapsnap_graph::PathTree::from_distances(g, d, mode))
    }

    /// Builds the graph and runs the analysis (the graph borrows the snapshot).
    pub(crate) fn analyze(&self) -> (heapsnap_graph::HeapGraph<'_>, heapsnap_graph::Analysis) {
        let (graph, analysis, ()) = self.analyze_with(|_, _| ());
        (graph, analysis)
    }

    /// Builds the graph and runs the analysis, with `side` run on the distances beside the
    /// dominators.
    pub(crate) fn analyze_with<T: Send>(
        &self,
        side: impl FnOnce(&heapsnap_graph::HeapGraph<'_>, &[i32]) -> T + Send,
    ) -> (heapsnap_graph::HeapGraph<'_>, heapsnap_graph::Analysis, T) {
        let t = std::time::Instant::now();
        let graph = heapsnap_graph::HeapGraph::new(&self.snap);
        log::debug!("retainer index took {:.2?}", t.elapsed());
        let (analysis, out) = heapsnap_graph::Analysis::with_side_work(
            &graph,
            &heapsnap_graph::AnalysisOptions::default(),
            &mut heapsnap_format::NoProgress,
            |d| side(&graph, d),
        );
        if analysis.unreachable > 0 {
            log::info!("{} nodes are unreachable from the root", analysis.unreachable);
        }
        (graph, analysis, out)
    }
}

/// One line saying what redaction replaced.
pub(crate) fn redact_summary(stats: &RedactStats) -> String {
    let mut s = format!(
        "redacted {} values and {} dictionary keys ({} distinct strings)",
        stats.node_names, stats.edge_names, stats.strings
    );
    if !stats.dropped_sections.is_empty() {
        s.push_str(&format!("; dropped sections {}", stats.dropped_sections.join(", ")));
    }
    s
}
