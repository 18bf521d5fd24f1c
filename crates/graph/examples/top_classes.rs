//! Load a snapshot and print its largest classes by retained size (DevTools' Summary view).
//!
//! ```sh
//! cargo run -p heapsnap-graph --example top_classes -- [FILE] [N]
//! ```
//!
//! Without arguments it reads `snapshots/shapes.heapsnapshot.gz` and prints 10 classes.

use std::error::Error;
use std::io::Write;
use std::path::{Path, PathBuf};

use heapsnap_graph::{Heap, class_summaries};

/// Writes the header line and the `n` classes with the largest retained sizes.
fn run(path: &Path, n: usize, out: &mut impl Write) -> Result<(), Box<dyn Error>> {
    let heap = Heap::from_path(path)?;
    let graph = heap.graph();
    let a = heap.analysis();
    writeln!(
        out,
        "{} nodes, {} edges, {} bytes",
        graph.node_count(),
        graph.edge_count(),
        a.total_size
    )?;
    let mut rows = class_summaries(a, graph.root());
    rows.sort_by(|x, y| y.retained_size.cmp(&x.retained_size).then_with(|| x.key.cmp(&y.key)));
    writeln!(out, "{:>10} {:>10} {:>7}  class", "retained", "shallow", "count")?;
    for r in rows.iter().take(n) {
        writeln!(out, "{:>10} {:>10} {:>7}  {}", r.retained_size, r.self_size, r.count, r.name)?;
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let file = args.next().map_or_else(|| fixture("shapes.heapsnapshot.gz"), PathBuf::from);
    let n = args.next().map(|n| n.parse()).transpose()?.unwrap_or(10);
    run(&file, n, &mut std::io::stdout().lock())
}

/// A fixture of the repository's `snapshots/` directory.
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../snapshots").join(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_totals_and_classes() {
        let mut out = Vec::new();
        run(&fixture("shapes.heapsnapshot.gz"), 1000, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let mut lines = text.lines();
        // DevTools' own loader gives these counts and total for this fixture (snapshots/README.md).
        assert_eq!(lines.next(), Some("39606 nodes, 180154 edges, 2964851 bytes"));
        let rows: Vec<Vec<&str>> = lines.skip(1).map(|l| l.split_whitespace().collect()).collect();
        // The largest class is the global object's (it retains almost everything).
        assert_eq!(rows[0][3], "global");
        let person = rows.iter().find(|r| r[3] == "Person").expect("Person row");
        assert_eq!(&person[..3], ["432", "336", "3"]);
        let retained: Vec<u64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
        assert!(retained.windows(2).all(|w| w[0] >= w[1]), "sorted by retained size");
    }
}
