//! Fuzz target for the snapshot parser (`heapsnap_format`).
//!
//! The input is a whole `.heapsnapshot` file (plain or gzipped), so the seeds are real files.
//! For every input:
//!
//! 1. `HeapSnapshot::from_slice` must return `Ok` or `Err`: never panic, hang or allocate
//!    without bound (libFuzzer's `-timeout` and `-rss_limit_mb` catch the last two).
//! 2. The row fast path against the careful one-value-at-a-time path. The fast path reads a
//!    whole row only when the buffer holds the row scanner's lookahead (13 bytes a value) after
//!    it, so without help it never sees the last rows of an array near the end of the input, or
//!    any row of a short input. Two variants make sure both paths see every row:
//!    - the same bytes with [`PAD`] spaces appended (whitespace after the top-level object is
//!      valid JSON), read by `from_slice`: every row now has its lookahead, so the fast path
//!      takes every row it can;
//!    - the same bytes through a reader that hands out 1 to 7 bytes per `read`
//!      (`from_reader`): the parser never holds a whole row, so every value goes through the
//!      careful path (and every chunk boundary of the scanner is crossed).
//!
//!    Both must give the result of check 1: an equal snapshot, or the same error message
//!    (section and byte offset included). Exceptions: when the unpadded input fails at or past
//!    its end (truncation), the padded one fails at the end of the padding, or before the end
//!    of the input (a number cut at the end is whole once spaces follow, and its value is
//!    checked first); and for gzipped input
//!    only "both fail" is checked for the chunked read, since where a corrupt deflate stream is
//!    noticed depends on how the compressed bytes were fed to the decoder. (Padding a gzip
//!    input pads the compressed bytes, which is trailing data: it is checked to fail.)
//! 3. `ParseOptions` with `locations` and `trace` off must not panic, must accept whatever the
//!    default options accept, and must then give the same snapshot minus those sections:
//!    every node and edge column, the strings and the meta equal, and no locations or
//!    allocation-tracking sections.
//! 4. If parsing succeeded: `write_to` into a `Vec` must succeed, the output must parse, and
//!    the re-parsed snapshot must `==` the first one (content equality).

#![no_main]

use std::io::{self, Read};

use heapsnap_format::{HeapSnapshot, NoProgress, ParseOptions};
use libfuzzer_sys::fuzz_target;

/// The first `read` of the chunked reader returns at least this many bytes.
///
/// Finding 1 in README.md (`fuzz/regressions/gzip-magic-split-by-short-read.bin`) is fixed:
/// `parse_inner` now reads the gzip magic until it has 2 bytes, so the first read may be 1 byte
/// (this checks that regression).
const FIRST_READ_MIN: usize = 1;

/// A reader that returns at most `step` bytes per `read` (the first: at least `FIRST_READ_MIN`).
struct Chunked<'a> {
    data: &'a [u8],
    step: usize,
    first: bool,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let step = if self.first { self.step.max(FIRST_READ_MIN) } else { self.step };
        self.first = false;
        let n = step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn is_gzip(data: &[u8]) -> bool {
    data.starts_with(&[0x1f, 0x8b])
}

/// At most this much of a snapshot is shown in an assertion message.
const SHOW: usize = 4096;

fn show(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(SHOW)];
    format!("{}{}", String::from_utf8_lossy(cut), if bytes.len() > SHOW { "…" } else { "" })
}

/// Spaces appended for the padded variant of check 2: more than the longest row lookahead
/// (19 values x 13 bytes).
const PAD: usize = 256;

/// Check 3's comparison: the same graph, strings and meta.
fn same_graph(a: &HeapSnapshot, b: &HeapSnapshot) -> bool {
    a.meta() == b.meta()
        && a.node_types() == b.node_types()
        && a.node_names() == b.node_names()
        && a.node_ids() == b.node_ids()
        && a.node_self_sizes() == b.node_self_sizes()
        && a.first_edges() == b.first_edges()
        && a.node_detachedness() == b.node_detachedness()
        && a.node_trace_node_ids() == b.node_trace_node_ids()
        && a.edge_types() == b.edge_types()
        && a.edge_names_or_indices() == b.edge_names_or_indices()
        && a.edge_targets() == b.edge_targets()
        && a.strings() == b.strings()
}

fuzz_target!(|data: &[u8]| {
    let first = HeapSnapshot::from_slice(data);

    // The fast path on every row: the input with room after it.
    let mut padded = data.to_vec();
    padded.resize(data.len() + PAD, b' ');
    let fast = HeapSnapshot::from_slice(&padded);
    match (&first, &fast) {
        (Ok(a), Ok(b)) => assert!(a == b, "the padded input parsed differently"),
        (Err(a), Err(b)) if !is_gzip(data) => {
            // Truncation is seen at the end of the padding, or earlier as another error (a
            // number cut at the end is whole once spaces follow it, and its value is checked
            // before the end of the input is seen).
            let end = data.len() as u64;
            if a.offset().is_some_and(|o| o >= end) {
                let b_at = b.offset().unwrap_or(0);
                assert!(
                    b_at == end + PAD as u64 || b_at < end,
                    "truncation: {a} vs {b} (the padded input fails in the padding)"
                );
            } else {
                assert_eq!(a.to_string(), b.to_string(), "the padded input failed differently");
            }
        }
        (Err(_), Err(_)) => {}
        (Ok(_), Err(b)) if is_gzip(data) => {
            assert!(b.to_string().contains("trailing data after the gzip data"), "{b}")
        }
        (a, b) => panic!(
            "the input and the padded input disagree: {:?} vs {:?}",
            a.as_ref().err().map(ToString::to_string),
            b.as_ref().err().map(ToString::to_string),
        ),
    }
    drop(fast);

    // Chunk boundaries: 1..=7 bytes per read, picked from the input so runs are reproducible.
    let step = 1 + data.iter().fold(data.len(), |h, &b| h.wrapping_mul(31) ^ usize::from(b)) % 7;
    let chunked = HeapSnapshot::from_reader(Chunked { data, step, first: true });
    match (&first, &chunked) {
        (Ok(a), Ok(b)) => assert!(a == b, "chunked read ({step} B) parsed differently"),
        // For gzip, where a corrupt stream is noticed depends on how the compressed bytes
        // were fed to the decoder (flate2 drops the output of a `read` that hits the error),
        // so only plain JSON must fail with the very same message.
        (Err(a), Err(b)) if !is_gzip(data) => {
            assert_eq!(a.to_string(), b.to_string(), "chunked read ({step} B) failed differently")
        }
        (Err(_), Err(_)) => {}
        (a, b) => panic!(
            "from_slice and chunked read ({step} B) disagree: {:?} vs {:?}",
            a.as_ref().err().map(ToString::to_string),
            b.as_ref().err().map(ToString::to_string),
        ),
    }
    drop(chunked);

    let mut lean = ParseOptions::default();
    lean.locations = false;
    lean.trace = false;
    let lean = lean.parse_slice(data, &mut NoProgress);
    match (&first, &lean) {
        (Ok(_), Err(e)) => {
            panic!("default options accept the input but locations/trace off rejects it: {e}")
        }
        (Ok(a), Ok(b)) => {
            assert!(same_graph(a, b), "locations/trace off parsed the graph differently");
            assert!(
                b.locations().is_none()
                    && b.trace_function_infos().is_none()
                    && b.trace_tree().is_none()
                    && b.samples().is_none(),
                "locations/trace off kept a section"
            );
        }
        _ => {}
    }
    drop(lean);

    let Ok(first) = first else { return };
    let mut out = Vec::new();
    if let Err(e) = first.write_to(&mut out) {
        panic!("writing a parsed snapshot failed: {e}");
    }
    let second = match HeapSnapshot::from_slice(&out) {
        Ok(s) => s,
        Err(e) => panic!("our own output does not parse: {e}\noutput:\n{}", show(&out)),
    };
    if second != first {
        let mut again = Vec::new();
        let _ = second.write_to(&mut again);
        panic!(
            "round trip changed the snapshot\ninput:\n{}\nwritten:\n{}\nre-written:\n{}\n\
             first: {first:#?}\nsecond: {second:#?}",
            show(data),
            show(&out),
            show(&again),
        );
    }
});
