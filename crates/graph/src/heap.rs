//! [`Heap`]: a snapshot with its graph and analysis, owned together.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use heapsnap_format::{HeapSnapshot, NoProgress, Progress};

use crate::access::Mismatch;
use crate::analysis::{Analysis, AnalysisOptions};
use crate::graph::{Caches, HeapGraph};

/// A parsed snapshot, its retainer graph and its [`Analysis`], in one value that can be
/// stored, moved and sent to another thread.
///
/// [`HeapGraph`] borrows its snapshot, so a struct cannot simply hold both. A `Heap` owns the
/// snapshot and the graph's derived indexes (the retainer index, built once on first use), and
/// [`graph`](Heap::graph) hands out a graph borrowing it: cheap (two 256-entry tables), and
/// every graph shares the one retainer index. The analysis is always the snapshot's own, so
/// the rows of one snapshot are never read with another's graph.
///
/// # Examples
///
/// ```
/// use heapsnap_graph::{Heap, PathFinder, PathMode, class_summaries, classes_named};
/// let heap = Heap::from_path("../../snapshots/shapes.heapsnapshot.gz")?;
/// let graph = heap.graph();
/// let rows = class_summaries(heap.analysis(), graph.root());
/// let people = classes_named(&rows, "Person")[0];
/// assert_eq!((people.count, people.self_size), (3, 336));
/// // Why is the first one alive? The path as `heapsnap retainers` prints it.
/// let finder = PathFinder::new(&graph, heap.analysis(), PathMode::User);
/// assert_eq!(finder.path_text(people.nodes[0]).as_deref(), Some("global.fixture.people[0]"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Heap {
    snapshot: HeapSnapshot,
    caches: Arc<Caches>,
    analysis: Analysis,
}

impl Heap {
    /// Parses a snapshot file (plain or gzipped) and analyses it with DevTools' defaults.
    ///
    /// # Errors
    /// The parser's [`heapsnap_format::Error`] (it names the file, section and offset).
    pub fn from_path(path: impl AsRef<Path>) -> heapsnap_format::Result<Heap> {
        Ok(Heap::new(HeapSnapshot::from_path(path)?))
    }

    /// Parses a snapshot from a reader (plain or gzipped) and analyses it.
    ///
    /// # Errors
    /// The parser's [`heapsnap_format::Error`].
    pub fn from_reader(reader: impl Read) -> heapsnap_format::Result<Heap> {
        Ok(Heap::new(HeapSnapshot::from_reader(reader)?))
    }

    /// Analyses a parsed snapshot with DevTools' defaults ([`AnalysisOptions::default`]).
    ///
    /// The analysis runs two halves on rayon's global thread pool (see [`Analysis::new`]).
    pub fn new(snapshot: HeapSnapshot) -> Heap {
        Heap::with_options(snapshot, &AnalysisOptions::default(), &mut NoProgress)
    }

    /// Analyses a parsed snapshot with `opts`, reporting to `progress`.
    pub fn with_options(
        snapshot: HeapSnapshot,
        opts: &AnalysisOptions,
        progress: &mut dyn Progress,
    ) -> Heap {
        let (caches, analysis) = {
            let g = HeapGraph::new(&snapshot);
            let analysis = Analysis::new(&g, opts, progress);
            (g.caches(), analysis)
        };
        Heap { snapshot, caches, analysis }
    }

    /// Puts a snapshot and an analysis computed earlier together.
    ///
    /// # Errors
    /// [`Mismatch`] when `analysis` is not of this snapshot (its node or edge count differs).
    pub fn from_parts(snapshot: HeapSnapshot, analysis: Analysis) -> Result<Heap, Mismatch> {
        let caches = {
            let g = HeapGraph::new(&snapshot);
            analysis.check(&g)?;
            g.caches()
        };
        Ok(Heap { snapshot, caches, analysis })
    }

    /// The snapshot.
    pub fn snapshot(&self) -> &HeapSnapshot {
        &self.snapshot
    }

    /// The retainer graph of the snapshot. Every graph it returns shares one retainer index,
    /// built the first time one of them is asked for retainers.
    ///
    /// Bind it to a variable to borrow from it (`let graph = heap.graph();`).
    pub fn graph(&self) -> HeapGraph<'_> {
        HeapGraph::with_caches(&self.snapshot, Arc::clone(&self.caches))
    }

    /// The snapshot's analysis: DevTools' sizes, dominators, distances and classes.
    pub fn analysis(&self) -> &Analysis {
        &self.analysis
    }

    /// Gives back the snapshot and its analysis.
    pub fn into_parts(self) -> (HeapSnapshot, Analysis) {
        (self.snapshot, self.analysis)
    }
}
