//! The npm distribution (`npm/`): the packed tarballs install offline and run
//! (`scripts/npm-pack.sh`), and the JavaScript API's own tests pass under node:test, Jest and
//! Vitest (`npm test` in `npm/test`). Both need `node` and `npm`: without them these tests
//! fail, unless HEAPSNAP_SKIP_NODE_TESTS=1 says to skip them.

use std::io::Write;
use std::process::{Command, Output};

use crate::util::root;

/// Whether to run a Node test: panics when node or npm is missing, false (said loudly) when
/// HEAPSNAP_SKIP_NODE_TESTS=1.
fn node_tools(test: &str) -> bool {
    if std::env::var_os("HEAPSNAP_SKIP_NODE_TESTS").is_some_and(|v| v == "1") {
        // Straight to stderr, past the test harness's capture: a skip must be seen.
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SKIPPED {test}: HEAPSNAP_SKIP_NODE_TESTS=1, so the npm package is NOT tested ***\n"
        );
        return false;
    }
    for tool in ["node", "npm"] {
        let found = Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success());
        assert!(
            found,
            "{test} needs `{tool}` (Node.js 18+ with npm) to test the npm package; install it, \
             or set HEAPSNAP_SKIP_NODE_TESTS=1 to skip the npm tests"
        );
    }
    true
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn npm_tarballs_install_offline_and_run() {
    if !node_tools("npm_tarballs_install_offline_and_run") {
        return;
    }
    let out = Command::new("bash")
        .arg(root().join("scripts/npm-pack.sh"))
        .args(["--bin", env!("CARGO_BIN_EXE_heapsnap")])
        .env_remove("HEAPSNAP_BIN")
        .current_dir(root())
        .output()
        .unwrap();
    let all = text(&out);
    assert!(out.status.success(), "scripts/npm-pack.sh failed ({}):\n{all}", out.status);
    let stdout = String::from_utf8_lossy(&out.stdout);
    // What `npx heapsnap info` printed for the shipped hello snapshot (the script also checks
    // it is byte for byte what the binary prints).
    assert!(stdout.contains("file:             hello.heapsnapshot.gz\n"), "{all}");
    assert!(stdout.contains("nodes:            39499\n"), "{all}");
    assert!(stdout.contains("expectNoLeak: clean passes, leak found: {leaked} x42\n"), "{all}");
    assert!(stdout.contains("npm-pack: OK: heapsnap-0.1.0.tgz"), "{all}");
}

/// The count after `label` on the first line of `all` that contains `label`, e.g. 12 for
/// `label = "# pass "` and the line `# pass 12`.
fn count_after(all: &str, label: &str) -> Option<u64> {
    let line = all.lines().find(|l| l.contains(label))?;
    let rest = &line[line.find(label)? + label.len()..];
    rest.trim_start().split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

#[test]
fn npm_leak_assertion_under_node_test_jest_and_vitest() {
    if !node_tools("npm_leak_assertion_under_node_test_jest_and_vitest") {
        return;
    }
    let dir = root().join("npm/test");
    assert!(
        dir.join("node_modules/.package-lock.json").exists(),
        "the npm test project is not installed: run `npm ci --prefix npm/test` (.ci/run does)"
    );
    let out = Command::new("npm")
        .args(["test", "--silent"])
        .env("HEAPSNAP_BIN", env!("CARGO_BIN_EXE_heapsnap"))
        .env_remove("HEAPSNAP_KEEP_SNAPSHOTS")
        .env("NO_COLOR", "1")
        .env("FORCE_COLOR", "0")
        .env("CI", "true")
        .current_dir(&dir)
        .output()
        .unwrap();
    let all = text(&out);
    assert!(out.status.success(), "npm test in npm/test failed ({}):\n{all}", out.status);
    // Each runner ran its tests and none failed (a runner that found no test would pass too).
    assert_eq!(count_after(&all, "# fail "), Some(0), "node:test:\n{all}");
    assert!(count_after(&all, "# pass ").unwrap_or(0) >= 23, "node:test ran too few:\n{all}");
    assert!(all.contains("Tests:       3 passed, 3 total"), "Jest:\n{all}");
    assert!(all.lines().any(|l| l.trim() == "Tests  5 passed (5)"), "Vitest:\n{all}");
}

/// The code blocks after `<!-- npm/test/examples/FILE -->` in `readme`, with their file names.
fn marked_examples(readme: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = readme;
    while let Some(at) = rest.find("<!-- npm/test/examples/") {
        let after = &rest[at + "<!-- ".len()..];
        let end = after.find(" -->").expect("an unclosed example marker");
        let file = after[..end].to_string();
        let block = &after[end..];
        let open = block.find("```").expect("a code block after the marker");
        let body = &block[open..];
        let start = body.find('\n').expect("a code block") + 1;
        let close = body[start..].find("\n```").expect("a closed code block");
        found.push((file, body[start..start + close + 1].to_string()));
        rest = &body[start + close..];
    }
    found
}

#[test]
fn readme_test_runner_snippets_are_the_tested_examples() {
    for readme in ["README.md", "npm/heapsnap/README.md"] {
        let text = std::fs::read_to_string(root().join(readme)).unwrap();
        let examples = marked_examples(&text);
        let names: Vec<&str> = examples.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            names,
            [
                "npm/test/examples/node.test.js",
                "npm/test/examples/jest.test.js",
                "npm/test/examples/vitest.test.mjs"
            ],
            "{readme}"
        );
        for (file, snippet) in examples {
            let tested = std::fs::read_to_string(root().join(&file)).unwrap();
            assert_eq!(snippet, tested, "{readme}: the snippet for {file} differs from the file");
        }
    }
}
