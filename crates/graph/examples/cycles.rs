//! Reference cycles with petgraph: `tarjan_scc` on the strong (non-weak) edges of a snapshot,
//! run directly on [`HeapGraph`](heapsnap_graph::HeapGraph) with no copy.
//!
//! ```sh
//! cargo run -p heapsnap-graph --example cycles -- [FILE] [N]
//! ```
//!
//! Prints how many strongly connected components have more than one object, and the `N`
//! largest with their most frequent classes. Without arguments it reads
//! `snapshots/shapes.heapsnapshot.gz`.

use std::collections::BTreeMap;
use std::error::Error;
use std::io::Write;
use std::path::{Path, PathBuf};

use heapsnap_format::{EdgeKind, NodeIdx};
use heapsnap_graph::petgraph::algo::tarjan_scc;
use heapsnap_graph::petgraph::visit::{EdgeFiltered, EdgeRef};
use heapsnap_graph::{Heap, HeapEdgeRef};

/// The components of more than one node, largest first (then by smallest node).
fn cycles(heap: &Heap) -> Vec<Vec<NodeIdx>> {
    let graph = heap.graph();
    let strong = EdgeFiltered::from_fn(&graph, |e: HeapEdgeRef<'_>| *e.weight() != EdgeKind::Weak);
    let mut sccs: Vec<Vec<NodeIdx>> = tarjan_scc(&strong)
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|mut c| {
            c.sort();
            c
        })
        .collect();
    sccs.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a[0].cmp(&b[0])));
    sccs
}

/// Writes the count, then one line per component of the `n` largest.
fn run(path: &Path, n: usize, out: &mut impl Write) -> Result<(), Box<dyn Error>> {
    let heap = Heap::from_path(path)?;
    let sccs = cycles(&heap);
    writeln!(out, "{} cycles", sccs.len())?;
    let classes = &heap.analysis().classes;
    for c in sccs.iter().take(n) {
        let mut by_class: BTreeMap<&str, usize> = BTreeMap::new();
        for &v in c {
            *by_class.entry(classes.of(v).name.as_str()).or_default() += 1;
        }
        let mut top: Vec<(&str, usize)> = by_class.into_iter().collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let top: Vec<String> = top.iter().take(3).map(|(k, n)| format!("{n} {k}")).collect();
        writeln!(out, "{} objects: {}", c.len(), top.join(", "))?;
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let file = args.next().map_or_else(|| fixture("shapes.heapsnapshot.gz"), PathBuf::from);
    let n = args.next().map(|n| n.parse()).transpose()?.unwrap_or(5);
    run(&file, n, &mut std::io::stdout().lock())
}

/// A fixture of the repository's `snapshots/` directory.
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../snapshots").join(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use heapsnap_graph::petgraph::algo::kosaraju_scc;

    #[test]
    fn tarjan_agrees_with_kosaraju_on_a_real_heap() {
        let path = fixture("shapes.heapsnapshot.gz");
        let mut out = Vec::new();
        run(&path, 3, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let count: usize =
            text.lines().next().unwrap().strip_suffix(" cycles").unwrap().parse().unwrap();

        // The same partition from another algorithm, on the same filtered view.
        let heap = Heap::from_path(&path).unwrap();
        let graph = heap.graph();
        let strong =
            EdgeFiltered::from_fn(&graph, |e: HeapEdgeRef<'_>| *e.weight() != EdgeKind::Weak);
        let mut other: Vec<Vec<NodeIdx>> =
            kosaraju_scc(&strong).into_iter().filter(|c| c.len() > 1).collect();
        for c in &mut other {
            c.sort();
        }
        other.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a[0].cmp(&b[0])));
        assert_eq!(count, other.len());
        assert_eq!(cycles(&heap), other);
        assert!(count > 100, "a Node heap has many cycles (prototype <-> constructor): {count}");
        // Three lines for the three largest, each naming its classes.
        let largest: Vec<&str> = text.lines().skip(1).collect();
        assert_eq!(largest.len(), 3);
        assert!(largest[0].starts_with(&format!("{} objects: ", other[0].len())), "{text}");
    }
}
