//! Read a snapshot, count its objects and bytes by node type, and optionally write the
//! objects of one type (with the root) as a smaller snapshot that DevTools loads.
//!
//! ```sh
//! cargo run -p heapsnap-format --example by_type -- [FILE [TYPE OUT]]
//! ```
//!
//! `OUT` ending in `.gz` is gzipped. Without arguments it reads
//! `snapshots/shapes.heapsnapshot.gz` and writes nothing.

use std::error::Error;
use std::io::Write;
use std::path::{Path, PathBuf};

use heapsnap_format::{HeapSnapshot, WriteOptions};

/// Writes one line per node type (count, self size), largest first; with `sub`, writes the
/// nodes of type `sub.0` to `sub.1` and says how many.
fn run(
    path: &Path,
    sub: Option<(&str, &Path)>,
    out: &mut impl Write,
) -> Result<(), Box<dyn Error>> {
    let snap = HeapSnapshot::from_path(path)?;
    let types = snap.meta().node_type_names();
    let mut count = vec![0u64; types.len()];
    let mut bytes = vec![0u64; types.len()];
    for (&t, &size) in snap.node_types().iter().zip(snap.node_self_sizes()) {
        count[usize::from(t)] += 1;
        bytes[usize::from(t)] += u64::from(size);
    }
    let mut order: Vec<usize> = (0..types.len()).filter(|&t| count[t] > 0).collect();
    order.sort_by(|&a, &b| bytes[b].cmp(&bytes[a]).then_with(|| types[a].cmp(&types[b])));
    writeln!(out, "{} nodes, {} bytes", snap.node_count(), snap.total_self_size())?;
    for t in order {
        writeln!(out, "{:>10} {:>8}  {}", bytes[t], count[t], types[t])?;
    }
    if let Some((kind, to)) = sub {
        let t =
            types.iter().position(|n| n == kind).ok_or_else(|| format!("no node type {kind}"))?;
        let keep: Vec<bool> = snap.node_types().iter().map(|&x| usize::from(x) == t).collect();
        let small = snap.subset(&keep);
        small.write_path(to, &WriteOptions::default())?;
        writeln!(out, "wrote {} nodes, {} edges", small.node_count(), small.edge_count())?;
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let file = args.first().map_or_else(|| fixture("shapes.heapsnapshot.gz"), PathBuf::from);
    let sub = match &args[..] {
        [_, kind, to] => Some((kind.as_str(), Path::new(to))),
        [] | [_] => None,
        _ => return Err("usage: by_type [FILE [TYPE OUT]]".into()),
    };
    run(&file, sub, &mut std::io::stdout().lock())
}

/// A fixture of the repository's `snapshots/` directory.
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../snapshots").join(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_add_up_and_the_sub_snapshot_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let to = dir.path().join("closures.heapsnapshot.gz");
        let mut out = Vec::new();
        run(&fixture("shapes.heapsnapshot.gz"), Some(("closure", &to)), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "39606 nodes, 2964851 bytes");
        let rows: Vec<Vec<&str>> =
            lines[1..lines.len() - 1].iter().map(|l| l.split_whitespace().collect()).collect();
        let sum = |k: usize| rows.iter().map(|r| r[k].parse::<u64>().unwrap()).sum::<u64>();
        assert_eq!((sum(0), sum(1)), (2964851, 39606));
        let closures: u64 = rows.iter().find(|r| r[2] == "closure").unwrap()[1].parse().unwrap();

        // The written file is gzipped (by its name) and holds the closures plus the root.
        assert_eq!(&std::fs::read(&to).unwrap()[..2], &[0x1f, 0x8b]);
        let small = HeapSnapshot::from_path(&to).unwrap();
        assert_eq!(small.node_count() as u64, closures + 1);
        assert_eq!(
            *lines.last().unwrap(),
            format!("wrote {} nodes, {} edges", closures + 1, small.edge_count())
        );
        assert!(small.nodes().skip(1).all(|n| n.kind_name() == "closure"));
    }
}
