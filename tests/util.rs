//! Helpers shared by the end-to-end tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (tests run with it as the working directory for relative paths).
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every committed fixture snapshot, sorted.
pub(crate) fn fixtures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("snapshots"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".heapsnapshot.gz"))
        .collect();
    v.sort();
    assert!(v.len() >= 6, "expected the committed fixtures in snapshots/, found {v:?}");
    v
}

/// Runs `heapsnap ARGS` from the repository root.
pub(crate) fn heapsnap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_heapsnap")).args(args).current_dir(root()).output().unwrap()
}

/// Runs `heapsnap ARGS`, asserting success, and returns stdout.
pub(crate) fn heapsnap_ok(args: &[&str]) -> String {
    let out = heapsnap(args);
    assert!(
        out.status.success(),
        "heapsnap {args:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Whether `node` can run here.
pub(crate) fn node_available() -> bool {
    Command::new("node").arg("--version").output().map(|o| o.status.success()).unwrap_or(false)
}

/// The opt-out for machines without node: set to `1`, tests that need `node` (the DevTools
/// oracle, live capture) pass without running, and say so once on the real stderr.
pub(crate) const SKIP_NODE_VAR: &str = "HEAPSNAP_SKIP_NODE_TESTS";

/// Whether a test that needs `node` should run: `true` when `node` is on PATH; a panic saying
/// how to install it when it is not, unless [`SKIP_NODE_VAR`] is `1` (then `false`, with one
/// loud line per test binary that libtest's output capture cannot hide).
pub(crate) fn require_node(test: &str) -> bool {
    if node_available() {
        return true;
    }
    if std::env::var(SKIP_NODE_VAR).is_ok_and(|v| v == "1") {
        static SAID: std::sync::Once = std::sync::Once::new();
        SAID.call_once(|| {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "\n*** {SKIP_NODE_VAR}=1: every test that needs `node` (DevTools oracle, live \
                 capture) PASSES WITHOUT RUNNING, starting with {test}. Unset it to run them. ***\n"
            );
        });
        return false;
    }
    assert!(
        node_available(),
        "{test} needs `node` (v18 or later) on PATH: install Node.js (e.g. `apt-get install \
         nodejs npm`), then `npm ci --prefix scripts/devtools`. To skip every test that needs \
         node instead, set {SKIP_NODE_VAR}=1."
    );
    true
}

/// [`require_node`], plus DevTools' own heap snapshot code (`scripts/devtools`) installed.
pub(crate) fn require_devtools(test: &str) -> bool {
    if !require_node(test) {
        return false;
    }
    assert!(
        root().join("scripts/devtools/node_modules/heap-snapshot-toolkit").exists(),
        "{test} needs the DevTools harness: run `npm ci --prefix scripts/devtools` (.ci/run does)"
    );
    true
}

/// The fixture folders every full check covers: a missing one is an error, not a skip.
pub(crate) const FIXTURE_DIRS: [&str; 8] = [
    "snapshots",
    "snapshots/app",
    "snapshots/store",
    "snapshots/agents",
    "snapshots/leaks",
    "snapshots/versions",
    "snapshots/synthetic",
    "snapshots/secrets",
];

/// Every committed snapshot: the real ones (`*.heapsnapshot.gz`) of every fixture folder and
/// the hand-made graphs (`snapshots/synthetic/*.heapsnapshot`), sorted. Panics when a folder of
/// [`FIXTURE_DIRS`] is missing or holds no snapshot.
pub(crate) fn all_fixtures() -> Vec<PathBuf> {
    let mut all = Vec::new();
    for dir in FIXTURE_DIRS {
        let path = root().join(dir);
        let entries = std::fs::read_dir(&path)
            .unwrap_or_else(|e| panic!("fixture folder {dir} is missing: {e}"));
        let mut v: Vec<PathBuf> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let name = p.to_string_lossy();
                name.ends_with(".heapsnapshot.gz") || name.ends_with(".heapsnapshot")
            })
            .collect();
        assert!(!v.is_empty(), "fixture folder {dir} holds no snapshot");
        v.sort();
        all.extend(v);
    }
    all
}

/// A path relative to the repository root, as text.
pub(crate) fn rel(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).to_string_lossy().into_owned()
}
