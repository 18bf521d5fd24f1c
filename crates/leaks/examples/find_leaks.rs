//! Find leaks in three snapshots of one process (baseline, target, final), as
//! `heapsnap leaks` does, and print each finding with the path that holds it.
//!
//! ```sh
//! cargo run -p heapsnap-leaks --example find_leaks -- [BASELINE TARGET FINAL]
//! ```
//!
//! Without arguments it reads the `intervals` scenario of `snapshots/leaks/` (an interval
//! started per request and never cleared).

use std::error::Error;
use std::io::Write;
use std::path::{Path, PathBuf};

use heapsnap_format::HeapSnapshot;
use heapsnap_graph::Heap;
use heapsnap_leaks::{Census, LeakOptions, LeakReport};

/// Writes one line per finding (category, class, count, growth) and its path.
fn run(files: &[PathBuf; 3], out: &mut impl Write) -> Result<(), Box<dyn Error>> {
    // Earlier snapshots are reduced to a census before the next one is read.
    let earlier = [
        Census::new(&HeapSnapshot::from_path(&files[0])?),
        Census::new(&HeapSnapshot::from_path(&files[1])?),
    ];
    let heap = Heap::from_path(&files[2])?;
    let graph = heap.graph();
    let report = LeakReport::new(&earlier, &graph, heap.analysis(), &LeakOptions::default());
    writeln!(out, "{} findings", report.findings.len())?;
    for f in &report.findings {
        let growth = f.growth.as_ref().map(|g| format!(" (growth {g:?})")).unwrap_or_default();
        writeln!(out, "{}: {} {}{growth}", f.category.name(), f.count, f.class)?;
        if let Some(h) = f.path() {
            writeln!(out, "  {}", h.text)?;
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let files = match <[PathBuf; 3]>::try_from(args) {
        Ok(files) => files,
        Err(args) if args.is_empty() => scenario("intervals"),
        Err(_) => return Err("usage: find_leaks [BASELINE TARGET FINAL]".into()),
    };
    run(&files, &mut std::io::stdout().lock())
}

/// The three snapshots of a scenario of `snapshots/leaks/`.
fn scenario(name: &str) -> [PathBuf; 3] {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../snapshots/leaks");
    ["baseline", "target", "final"].map(|p| dir.join(format!("{name}-{p}.heapsnapshot.gz")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_uncleared_intervals_come_first() {
        let mut out = Vec::new();
        run(&scenario("intervals"), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        // snapshots/leaks/README.md: 0 / 200 / 400 Timeouts, held by Node's timer list.
        assert_eq!(lines[1], "timers: 400 Timeout (growth [0, 200, 400])", "{text}");
        assert!(lines[2].contains("timerListMap[60000]"), "{text}");
    }

    #[test]
    fn the_control_scenario_has_no_finding() {
        let mut out = Vec::new();
        run(&scenario("control"), &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "0 findings\n");
    }
}
