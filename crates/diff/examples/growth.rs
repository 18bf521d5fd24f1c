//! Compare two snapshots of one process: the classes that grew, and what holds their new
//! objects.
//!
//! ```sh
//! cargo run -p heapsnap-diff --example growth -- [BEFORE AFTER] [N]
//! ```
//!
//! Without arguments it compares the `listeners` scenario's baseline and target
//! (`snapshots/leaks/`), where 200 `ConfigSubscriber`s leak through an event emitter.

use std::error::Error;
use std::io::Write;
use std::path::{Path, PathBuf};

use heapsnap_diff::{BaseIndex, DiffOptions, DiffReport};
use heapsnap_format::HeapSnapshot;
use heapsnap_graph::Heap;

/// Writes one line per class among the `n` that grew most (new, deleted, bytes), each
/// followed by its largest holder group.
fn run(before: &Path, after: &Path, n: usize, out: &mut impl Write) -> Result<(), Box<dyn Error>> {
    // The older snapshot is reduced to an index before the newer one is read, so only one
    // full graph is in memory at a time.
    let base = BaseIndex::new(&HeapSnapshot::from_path(before)?);
    let heap = Heap::from_path(after)?;
    let graph = heap.graph();
    let report = DiffReport::new(&base, &graph, heap.analysis(), &DiffOptions::default());
    writeln!(out, "total {} -> {} bytes", report.total_before, report.total_after)?;
    for c in report.classes.iter().filter(|c| c.row.size_delta() > 0).take(n) {
        let r = &c.row;
        writeln!(
            out,
            "{}: +{} -{} ({:+} bytes)",
            r.name,
            r.new_count,
            r.deleted_count,
            r.size_delta()
        )?;
        if let Some(h) = c.holders.first() {
            writeln!(out, "  {} held by {}", h.count, h.signature)?;
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (before, after, n) = match &args[..] {
        [] => (scenario("baseline"), scenario("target"), 5),
        [b, a] => (PathBuf::from(b), PathBuf::from(a), 5),
        [b, a, n] => (PathBuf::from(b), PathBuf::from(a), n.parse()?),
        _ => return Err("usage: growth [BEFORE AFTER] [N]".into()),
    };
    run(&before, &after, n, &mut std::io::stdout().lock())
}

/// A snapshot of the `listeners` leak scenario.
fn scenario(phase: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../snapshots/leaks")
        .join(format!("listeners-{phase}.heapsnapshot.gz"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_leaking_subscribers_and_their_holder() {
        let mut out = Vec::new();
        run(&scenario("baseline"), &scenario("target"), 20, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        // snapshots/leaks/README.md: ConfigSubscriber 0 / 200 / 400, held through
        // global.configBus._events['config-changed'][k] and the listener's context.
        let line = text.lines().position(|l| l.starts_with("ConfigSubscriber: ")).expect(&text);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[line].starts_with("ConfigSubscriber: +200 -0 "), "{text}");
        let holder = lines[line + 1].strip_prefix("  200 held by ").expect(&text);
        assert!(holder.starts_with("global.configBus._events"), "{text}");
        assert!(holder.ends_with("config-changed[*]{context}->subscriber"), "{text}");
    }
}
