//! Man pages from the clap definitions (`scripts/man.sh`).
//!
//! clap_mangen is a dev-dependency, so neither `cargo build` nor `cargo install` compiles it:
//! the pages are rendered by this test, which can see the binary's `Cli` (the binary has no
//! library target for a separate generator to link). With HEAPSNAP_MAN_DIR set, the test
//! also writes them there: `heapsnap.1` and one page per subcommand (`heapsnap-diff.1`, ...).

use clap::CommandFactory;

use crate::cli::Cli;

/// `heapsnap.1` as roff.
fn main_page() -> Vec<u8> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out).expect("rendering to memory");
    out
}

#[test]
fn man_pages() {
    let page = String::from_utf8(main_page()).unwrap();
    assert!(page.starts_with(".ie \\n(.g .ds Aq \\(aq"), "{}", &page[..200]);
    assert!(page.contains(".TH heapsnap 1  \"heapsnap "), "{}", &page[..400]);
    let cmd = Cli::command();
    let subcommands: Vec<&str> = cmd.get_subcommands().map(|c| c.get_name()).collect();
    assert!(subcommands.contains(&"leaks") && subcommands.contains(&"completions"));
    for name in &subcommands {
        // The SUBCOMMANDS section names each with a reference to its own page.
        assert!(page.contains(&format!("heapsnap\\-{name}(1)")), "no {name} in:\n{page}");
    }
    // The top-level --help examples (the leak hunt) are in the page's EXTRA section.
    assert!(page.contains("heapsnap hunt \\-\\-pid"), "{page}");

    let dir = tempfile::tempdir().unwrap();
    clap_mangen::generate_to(Cli::command(), dir.path()).unwrap();
    let mut written: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    for name in &subcommands {
        assert!(written.contains(&format!("heapsnap-{name}.1")), "{written:?}");
    }
    let diff = std::fs::read_to_string(dir.path().join("heapsnap-diff.1")).unwrap();
    assert!(diff.contains("\\-\\-fail\\-class"), "{diff}");

    if let Some(out) = std::env::var_os("HEAPSNAP_MAN_DIR") {
        std::fs::create_dir_all(&out).unwrap();
        clap_mangen::generate_to(Cli::command(), &out).unwrap();
    }
}
