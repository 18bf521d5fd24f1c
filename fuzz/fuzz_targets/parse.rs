//! Fuzz target for the snapshot parser (`heapsnap_format`).
//!
//! The input is a whole `.heapsnapshot` file (plain or gzipped), so the seeds are real files.
//! For every input:
//!
//! 1. `HeapSnapshot::from_slice` must return `Ok` or `Err`: never panic, hang or allocate
//!    without bound (libFuzzer's `-timeout` and `-rss_limit_mb` catch the last two).
//! 2. The same bytes fed through a reader that hands out a few bytes per `read` (so every
//!    chunk boundary of the streaming scanner is crossed) must give the same result: the same
//!    snapshot, or the same error message (section and byte offset included; for gzipped
//!    input only "both fail", since where a corrupt deflate stream is noticed depends on how
//!    the compressed bytes were fed to the decoder).
//! 3. `ParseOptions` with `locations` and `trace` off must not panic either, and must accept
//!    whatever the default options accept (it only skips work).
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

fuzz_target!(|data: &[u8]| {
    let first = HeapSnapshot::from_slice(data);

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
    if first.is_ok()
        && let Err(e) = &lean
    {
        panic!("default options accept the input but locations/trace off rejects it: {e}");
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
