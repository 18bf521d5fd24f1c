//! Times the choice of retaining paths on one snapshot: `PathTree::new` in both modes, the
//! search alone, repeated, after one parse and one analysis.
//!
//! ```sh
//! cargo run --release -p heapsnap-graph --example path_tree -- BIG.heapsnapshot [RUNS]
//! ```
//!
//! Prints wall time and this thread's CPU time (from `/proc/thread-self/stat`, 10 ms
//! resolution; the CPU time is what to compare on a busy machine) per run, and the number of
//! retained objects (the same in both modes).

use heapsnap_format::{HeapSnapshot, NoProgress, NodeIdx};
use heapsnap_graph::{Analysis, AnalysisOptions, HeapGraph, PathMode, PathTree};

/// User + system CPU time of this thread, in seconds (Linux; 0 elsewhere).
fn thread_cpu() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/thread-self/stat") else { return 0.0 };
    // The fields after the command name in parentheses: utime and stime are the 12th and
    // 13th of those (fields 14 and 15 of the line).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let file = args.next().ok_or("usage: path_tree FILE [RUNS]")?;
    let runs: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(3);
    let snap = HeapSnapshot::from_path(&file)?;
    let g = HeapGraph::new(&snap);
    let a = Analysis::new(&g, &AnalysisOptions::default(), &mut NoProgress);
    g.build_retainers();
    println!("{file}: {} nodes, {} edges", g.node_count(), g.edge_count());
    for run in 1..=runs {
        for mode in [PathMode::User, PathMode::Shortest] {
            let (t, c) = (std::time::Instant::now(), thread_cpu());
            let tree = PathTree::new(&g, &a, mode);
            let (wall, cpu) = (t.elapsed().as_secs_f64(), thread_cpu() - c);
            let retained =
                (0..g.node_count() as u32).filter(|&v| tree.is_retained(NodeIdx(v))).count();
            println!("run {run} {mode:?}: wall {wall:.2} s, cpu {cpu:.2} s, {retained} retained");
        }
    }
    Ok(())
}
