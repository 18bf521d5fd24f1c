//! The cache of `heapsnap mcp`: parsed snapshots and what was computed on them, by file, and
//! the documents built from them, under one memory budget, least recently used out first.
//!
//! A file is known by its path, device, inode, size and modification time: when any of them
//! changes the file is read again. What a tool computes on a snapshot (DevTools' analysis, the
//! dominator tree, the chosen retaining paths of each `--path` mode, the diff base index, the
//! leak census) is computed on first use and kept with it. Documents (a `leaks` report, a
//! `diff`, a `summary`) are kept whole, as compact JSON, so that asking for the next page is a
//! slice. Sizes are estimates from the columns each part holds (see [`Entry::bytes`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use anyhow::Result;
use heapsnap_diff::BaseIndex;
use heapsnap_format::HeapSnapshot;
use heapsnap_graph::{Analysis, AnalysisOptions, DominatorTree, HeapGraph, PathFinder, PathMode};
use heapsnap_leaks::Census;
use self_cell::self_cell;

use crate::cli::GlobalArgs;
use crate::input::{display, load};

self_cell!(
    /// A parsed snapshot and its graph, which borrows it.
    struct Graphed {
        owner: HeapSnapshot,
        #[covariant]
        dependent: HeapGraph,
    }
);

/// A snapshot's graph and what is computed from it on first use.
struct Core {
    graph: Graphed,
    analysis: OnceLock<Analysis>,
    tree: OnceLock<DominatorTree>,
    base: OnceLock<BaseIndex>,
    census: OnceLock<Census>,
}

impl Core {
    fn graph(&self) -> &HeapGraph<'_> {
        self.graph.borrow_dependent()
    }

    fn analysis(&self) -> &Analysis {
        self.analysis.get_or_init(|| {
            let t = Instant::now();
            let g = self.graph();
            let a = Analysis::new(g, &AnalysisOptions::default(), &mut heapsnap_format::NoProgress);
            log::debug!("mcp: analysis took {:.2?}", t.elapsed());
            a
        })
    }
}

/// The path finders of one snapshot, which borrow its graph and analysis.
struct Finders<'a> {
    user: OnceLock<PathFinder<'a, 'a>>,
    shortest: OnceLock<PathFinder<'a, 'a>>,
}

self_cell!(
    /// A [`Core`] and the path finders built on it.
    struct Cell {
        owner: Core,
        #[not_covariant]
        dependent: Finders,
    }
);

/// One snapshot file, parsed (and redacted when `--redact` is given), with what has been
/// computed on it.
pub(crate) struct Entry {
    cell: Cell,
}

impl Entry {
    fn new(snap: HeapSnapshot) -> Entry {
        let graph = Graphed::new(snap, |s| HeapGraph::new(s));
        let core = Core {
            graph,
            analysis: OnceLock::new(),
            tree: OnceLock::new(),
            base: OnceLock::new(),
            census: OnceLock::new(),
        };
        Entry {
            cell: Cell::new(core, |_| Finders { user: OnceLock::new(), shortest: OnceLock::new() }),
        }
    }

    fn core(&self) -> &Core {
        self.cell.borrow_owner()
    }

    /// The parsed snapshot.
    pub(crate) fn snap(&self) -> &HeapSnapshot {
        self.core().graph.borrow_owner()
    }

    /// Its graph.
    pub(crate) fn graph(&self) -> &HeapGraph<'_> {
        self.core().graph()
    }

    /// DevTools' analysis (computed on first use).
    pub(crate) fn analysis(&self) -> &Analysis {
        self.core().analysis()
    }

    /// The dominator tree (computed on first use).
    pub(crate) fn tree(&self) -> &DominatorTree {
        self.core().tree.get_or_init(|| DominatorTree::new(self.analysis()))
    }

    /// The snapshot reduced to what `diff` needs of the older side (computed on first use).
    pub(crate) fn base(&self) -> &BaseIndex {
        self.core().base.get_or_init(|| BaseIndex::new(self.snap()))
    }

    /// The snapshot reduced to what `leaks` needs of an earlier one (computed on first use).
    pub(crate) fn census(&self) -> &Census {
        self.core().census.get_or_init(|| Census::of_graph(self.graph()))
    }

    /// Runs `f` with the path finder of `mode` (built on first use: one search over the
    /// whole graph).
    pub(crate) fn with_finder<R>(
        &self,
        mode: PathMode,
        f: impl FnOnce(&PathFinder<'_, '_>) -> R,
    ) -> R {
        self.cell.with_dependent(|core, finders| {
            let slot = match mode {
                PathMode::Shortest => &finders.shortest,
                _ => &finders.user,
            };
            let finder = slot.get_or_init(|| {
                let t = Instant::now();
                let finder = PathFinder::new(core.graph(), core.analysis(), mode);
                log::debug!("mcp: the {mode:?} path tree took {:.2?}", t.elapsed());
                finder
            });
            f(finder)
        })
    }

    /// Estimated bytes held: the snapshot's columns and string table, and for each part
    /// computed so far the columns it keeps per node and per edge (analysis: 8-byte retained
    /// sizes, six 4-byte and three 1-byte columns; the retainer index: 8 bytes per edge and 4
    /// per node, built with the analysis; dominator tree: 8 per node; a path finder: 16 per
    /// node; the diff base index: 28 per node; a census: 2 per node).
    pub(crate) fn bytes(&self) -> u64 {
        let s = self.snap();
        let (n, e) = (s.node_count() as u64, s.edge_count() as u64);
        let strings: u64 = s.strings().iter().map(|t| t.len() as u64 + 4).sum();
        let mut b = n * (1 + 4 * 4)
            + s.node_detachedness().len() as u64
            + 4 * s.node_trace_node_ids().len() as u64
            + e * (1 + 4 + 4)
            + strings;
        let core = self.core();
        if core.analysis.get().is_some() {
            b += n * (8 + 6 * 4 + 3) + (8 * e + 4 * n);
        }
        if core.tree.get().is_some() {
            b += 8 * n;
        }
        if core.base.get().is_some() {
            b += 28 * n;
        }
        if core.census.get().is_some() {
            b += 2 * n;
        }
        let finders = self.cell.with_dependent(|_, f| {
            u64::from(f.user.get().is_some()) + u64::from(f.shortest.get().is_some())
        });
        b + finders * 16 * n
    }
}

/// What identifies a file's contents well enough: when any of these changes, it is read
/// again.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct FileKey {
    path: PathBuf,
    dev: u64,
    ino: u64,
    len: u64,
    mtime_ns: i128,
}

impl FileKey {
    /// The key of `path` as it is now, or `None` when it cannot be looked at (the caller then
    /// reads it as the CLI does, for the CLI's error).
    fn of(path: &Path) -> Option<FileKey> {
        use std::os::unix::fs::MetadataExt;
        let canonical = std::fs::canonicalize(path).ok()?;
        let m = std::fs::metadata(&canonical).ok()?;
        if !m.is_file() {
            return None;
        }
        Some(FileKey {
            path: canonical,
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
            mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
        })
    }

    /// A short stable text of the key, for document keys.
    pub(crate) fn text(&self) -> String {
        format!("{}|{}:{}|{}|{}", self.path.display(), self.dev, self.ino, self.len, self.mtime_ns)
    }
}

struct Slot<T> {
    value: T,
    used: u64,
}

/// The cache: snapshot entries and documents, within `budget` bytes (estimated).
pub(crate) struct Cache {
    budget: u64,
    entries: BTreeMap<FileKey, Slot<Arc<Entry>>>,
    docs: BTreeMap<String, Slot<Arc<str>>>,
    clock: u64,
    /// What the call in progress found in the cache.
    pub(crate) hits: Hits,
}

/// What one call found in the cache: each snapshot it used, and its answer when the tool
/// keeps whole answers. The server returns it in the result's `_meta`, so that a client can
/// tell (without timing) that a follow-up was served from memory.
#[derive(Debug, Default)]
pub(crate) struct Hits {
    /// Each snapshot the call used, as given, and whether it was in the cache.
    pub(crate) snapshots: Vec<(String, bool)>,
    /// Whether the whole answer came from the cache (`None`: the tool does not keep answers,
    /// or the call failed before it got there).
    pub(crate) answer: Option<bool>,
}

impl Cache {
    /// An empty cache holding at most about `budget` bytes once a call is done.
    pub(crate) fn new(budget: u64) -> Cache {
        Cache {
            budget,
            entries: BTreeMap::new(),
            docs: BTreeMap::new(),
            clock: 0,
            hits: Hits::default(),
        }
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// The snapshot at `path`: see [`Cache::snapshots`].
    pub(crate) fn snapshot(
        &mut self,
        path: &Path,
        global: &GlobalArgs,
    ) -> Result<(Arc<Entry>, FileKey)> {
        let mut all = self.snapshots(&[path.to_path_buf()], global)?;
        all.pop().ok_or_else(|| anyhow::anyhow!("internal error: no snapshot read"))
    }

    /// The snapshots at `paths`, each from the cache when the file is unchanged, else read
    /// (and redacted) as the CLI reads it, two at a time; errors are the CLI's, the first in
    /// file order.
    pub(crate) fn snapshots(
        &mut self,
        paths: &[PathBuf],
        global: &GlobalArgs,
    ) -> Result<Vec<(Arc<Entry>, FileKey)>> {
        let mut keys = Vec::with_capacity(paths.len());
        for path in paths {
            if path == Path::new("-") {
                anyhow::bail!(
                    "`-` (stdin) carries the MCP protocol here: give a snapshot file's path"
                );
            }
            let Some(key) = FileKey::of(path) else {
                // Not a file that can be looked at: reading it gives the CLI's error.
                load(path, global, true)?;
                anyhow::bail!("{}: not a regular file", display(path));
            };
            keys.push(key);
        }
        let mut misses: Vec<usize> = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            if !self.entries.contains_key(key) && !misses.iter().any(|&j| keys[j] == *key) {
                misses.push(i);
            }
        }
        for pair in misses.chunks(2) {
            let t = Instant::now();
            let read: Vec<Result<HeapSnapshot>> = std::thread::scope(|s| {
                let handles: Vec<_> = pair
                    .iter()
                    .map(|&i| {
                        let path = &paths[i];
                        s.spawn(move || load(path, global, true))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect()
            });
            for (&i, snap) in pair.iter().zip(read) {
                let snap = snap?;
                log::info!(
                    "mcp: read {} ({} nodes) in {:.2?}",
                    display(&paths[i]),
                    snap.node_count(),
                    t.elapsed()
                );
                // An older version of the same file is of no use any more.
                self.entries.retain(|k, _| k.path != keys[i].path);
                let now = self.tick();
                let slot = Slot { value: Arc::new(Entry::new(snap)), used: now };
                self.entries.insert(keys[i].clone(), slot);
            }
        }
        let mut out = Vec::with_capacity(paths.len());
        for (i, key) in keys.into_iter().enumerate() {
            let now = self.tick();
            let Some(slot) = self.entries.get_mut(&key) else {
                anyhow::bail!("internal error: {} was not kept", display(&paths[i]));
            };
            slot.used = now;
            let hit = !misses.contains(&i);
            if hit {
                log::info!("mcp: {} from the cache", display(&paths[i]));
            }
            self.hits.snapshots.push((display(&paths[i]), hit));
            out.push((Arc::clone(&slot.value), key));
        }
        Ok(out)
    }

    /// A document kept under `key`.
    pub(crate) fn doc(&mut self, key: &str) -> Option<Arc<str>> {
        let now = self.tick();
        let slot = self.docs.get_mut(key)?;
        slot.used = now;
        Some(Arc::clone(&slot.value))
    }

    /// Keeps a document under `key`.
    pub(crate) fn put_doc(&mut self, key: String, doc: Arc<str>) {
        let now = self.tick();
        self.docs.insert(key, Slot { value: doc, used: now });
    }

    /// Estimated bytes held now.
    pub(crate) fn bytes(&self) -> u64 {
        self.entries.values().map(|s| s.value.bytes()).sum::<u64>()
            + self.docs.values().map(|s| s.value.len() as u64).sum::<u64>()
    }

    /// Drops the least recently used snapshots and documents until the cache is within its
    /// budget, keeping whatever was used at or after `since` (the call just answered) even
    /// when that alone is over it.
    pub(crate) fn trim(&mut self, since: u64) {
        let mut total = self.bytes();
        while total > self.budget {
            let oldest_entry =
                self.entries.iter().filter(|(_, s)| s.used < since).min_by_key(|(_, s)| s.used);
            let oldest_doc =
                self.docs.iter().filter(|(_, s)| s.used < since).min_by_key(|(_, s)| s.used);
            let entry_first = match (&oldest_entry, &oldest_doc) {
                (None, None) => break,
                (Some((_, e)), Some((_, d))) => e.used < d.used,
                (e, _) => e.is_some(),
            };
            if let (true, Some((k, e))) = (entry_first, oldest_entry) {
                let (k, bytes) = (k.clone(), e.value.bytes());
                log::info!("mcp: dropped {} from the cache ({bytes} bytes)", k.path.display());
                self.entries.remove(&k);
                total = total.saturating_sub(bytes);
            } else if let Some((k, d)) = oldest_doc {
                let (k, bytes) = (k.clone(), d.value.len() as u64);
                self.docs.remove(&k);
                total = total.saturating_sub(bytes);
            }
        }
    }

    /// The clock now: everything used from here on counts as this call's (and [`Cache::hits`]
    /// starts empty).
    pub(crate) fn now(&mut self) -> u64 {
        self.hits = Hits::default();
        self.tick()
    }
}
