//! Test helpers: the real fixtures in `snapshots/`.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use heapsnap_format::{HeapSnapshot, NoProgress};
use heapsnap_graph::{Analysis, AnalysisOptions, HeapGraph};

use crate::{Category, Census, Finding, LeakOptions, LeakReport};

/// `snapshots/` in the repository.
pub(crate) fn snapshots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../snapshots")
}

/// Reports on `files` (relative to `snapshots/`, oldest first), one full snapshot at a time.
pub(crate) fn report_files(files: &[String], opts: &LeakOptions) -> LeakReport {
    let (last, earlier) = files.split_last().unwrap();
    let priors: Vec<Census> = earlier
        .iter()
        .map(|f| Census::new(&HeapSnapshot::from_path(snapshots().join(f)).unwrap()))
        .collect();
    let snap = HeapSnapshot::from_path(snapshots().join(last)).unwrap();
    let g = HeapGraph::new(&snap);
    let a = Analysis::new(&g, &AnalysisOptions::default(), &mut NoProgress);
    LeakReport::new(&priors, &g, &a, opts)
}

/// Reports on phases of a scenario in `snapshots/leaks/`.
pub(crate) fn scenario(name: &str, phases: &[&str]) -> LeakReport {
    scenario_with(name, phases, &LeakOptions::default())
}

/// [`scenario`] with options.
pub(crate) fn scenario_with(name: &str, phases: &[&str], opts: &LeakOptions) -> LeakReport {
    let files: Vec<String> =
        phases.iter().map(|p| format!("leaks/{name}-{p}.heapsnapshot.gz")).collect();
    report_files(&files, opts)
}

/// The findings of one category.
pub(crate) fn by_category(r: &LeakReport, c: Category) -> Vec<&Finding> {
    r.findings.iter().filter(|f| f.category == c).collect()
}

/// Every finding, one line each (for assertion messages).
pub(crate) fn summary(r: &LeakReport) -> String {
    r.findings
        .iter()
        .map(|f| {
            format!(
                "{} {} x{} ret={} growth={:?} sig={}\n",
                f.category, f.class, f.count, f.retained_size, f.growth, f.signature
            )
        })
        .collect()
}
