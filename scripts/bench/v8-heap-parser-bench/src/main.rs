//! Parse a V8 heap snapshot with the crates.io crate `v8-heap-parser` and
//! print one JSON line with the counts and the elapsed time.
//!
//! Usage: v8-heap-parser-bench [--reader] [--retained] FILE.heapsnapshot
//!
//!   (default)   read the whole file into memory (`std::fs::read`) and parse
//!               it with `v8_heap_parser::decode_slice` (serde_json::from_slice).
//!   --reader    parse from a `BufReader<File>` with
//!               `v8_heap_parser::decode_reader` (serde_json::from_reader)
//!               instead: no copy of the file in memory, slower JSON parsing.
//!   --retained  after parsing, also compute retained sizes (post order,
//!               dominator tree and retained sizes of all nodes, as DevTools
//!               does) via `Graph::retained_size(root_index)`, and print the
//!               root's retained size.
//!
//! Output: {"node_count":N,"edge_count":E,"parse_s":S[,"root_retained_size":R,"retained_s":S2],"total_s":T}
//! `edge_count` is the sum of the nodes' `edge_count` fields (the crate does
//! not expose its edge list). Plain JSON only: the crate does not read gzip.

use std::fs::File;
use std::io::BufReader;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let mut reader = false;
    let mut retained = false;
    let mut file = None;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--reader" => reader = true,
            "--retained" => retained = true,
            "-h" | "--help" => {
                println!("usage: v8-heap-parser-bench [--reader] [--retained] FILE.heapsnapshot");
                return ExitCode::SUCCESS;
            }
            s if s.starts_with('-') => {
                eprintln!("v8-heap-parser-bench: unknown option {s}");
                return ExitCode::from(2);
            }
            _ if file.is_some() => {
                eprintln!("v8-heap-parser-bench: more than one FILE");
                return ExitCode::from(2);
            }
            _ => file = Some(arg),
        }
    }
    let Some(file) = file else {
        eprintln!("usage: v8-heap-parser-bench [--reader] [--retained] FILE.heapsnapshot");
        return ExitCode::from(2);
    };

    let start = Instant::now();
    let parsed = if reader {
        File::open(&file)
            .map_err(|e| e.to_string())
            .and_then(|f| v8_heap_parser::decode_reader(BufReader::with_capacity(1 << 20, f)).map_err(|e| e.to_string()))
    } else {
        std::fs::read(&file)
            .map_err(|e| e.to_string())
            .and_then(|bytes| v8_heap_parser::decode_slice(&bytes).map_err(|e| e.to_string()))
    };
    let graph = match parsed {
        Ok(g) => g,
        Err(e) => {
            eprintln!("v8-heap-parser-bench: {file}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let parse_s = start.elapsed().as_secs_f64();

    let nodes = graph.nodes();
    let node_count = nodes.len();
    let edge_count: usize = nodes.iter().map(|n| n.weight.edge_count).sum();
    let mut out = format!("{{\"node_count\":{node_count},\"edge_count\":{edge_count},\"parse_s\":{parse_s:.3}");

    if retained {
        let t = Instant::now();
        let root_retained = graph.retained_size(graph.root_index);
        let retained_s = t.elapsed().as_secs_f64();
        out.push_str(&format!(",\"root_retained_size\":{root_retained},\"retained_s\":{retained_s:.3}"));
    }
    out.push_str(&format!(",\"total_s\":{:.3}}}", start.elapsed().as_secs_f64()));
    println!("{out}");
    ExitCode::SUCCESS
}
