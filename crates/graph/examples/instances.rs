//! Every instance of a class with the retaining path that keeps it alive, as
//! `heapsnap retainers` prints it.
//!
//! ```sh
//! cargo run -p heapsnap-graph --example instances -- [FILE CLASS]
//! ```
//!
//! Without arguments it lists the `Person` objects of `snapshots/shapes.heapsnapshot.gz`.

use std::error::Error;
use std::io::Write;
use std::path::{Path, PathBuf};

use heapsnap_graph::{Heap, PathFinder, PathMode, class_summaries, classes_named};

/// Writes one line per instance of `class`: id, retained size, path.
fn run(path: &Path, class: &str, out: &mut impl Write) -> Result<(), Box<dyn Error>> {
    let heap = Heap::from_path(path)?;
    let graph = heap.graph();
    let a = heap.analysis();
    let rows = class_summaries(a, graph.root());
    // One name can have several rows (the same class name defined in two places).
    let found = classes_named(&rows, class);
    if found.is_empty() {
        return Err(format!("no class named {class}").into());
    }
    let finder = PathFinder::new(&graph, a, PathMode::User);
    for row in found {
        for &v in &row.nodes {
            let id = heap.snapshot().node(v).id();
            let path = finder.path_text(v).unwrap_or_else(|| "(not retained)".to_string());
            writeln!(out, "@{} {} B: {path}", id.0, a.retained_size(v))?;
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (file, class) = match (args.next(), args.next()) {
        (Some(f), Some(c)) => (PathBuf::from(f), c),
        (None, _) => (fixture("shapes.heapsnapshot.gz"), "Person".to_string()),
        (Some(_), None) => return Err("usage: instances [FILE CLASS]".into()),
    };
    run(&file, &class, &mut std::io::stdout().lock())
}

/// A fixture of the repository's `snapshots/` directory.
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../snapshots").join(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_people_of_shapes() {
        let mut out = Vec::new();
        run(&fixture("shapes.heapsnapshot.gz"), "Person", &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let paths: Vec<&str> = text.lines().map(|l| l.split_once(": ").unwrap().1).collect();
        // shapes-data.js: `fixture.people = [new Person(..), new Person(..), new Person(..)]`.
        assert_eq!(
            paths,
            ["global.fixture.people[0]", "global.fixture.people[1]", "global.fixture.people[2]"]
        );
        assert!(text.starts_with("@78815 144 B: "), "{text}");
        let err = run(&fixture("shapes.heapsnapshot.gz"), "NoSuchClass", &mut Vec::new());
        assert_eq!(err.unwrap_err().to_string(), "no class named NoSuchClass");
    }
}
