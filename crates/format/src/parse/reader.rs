//! The reading thread: for big inputs, reading and decompressing run on the calling thread and
//! parsing on a second one, chunks handed over through a short bounded queue.

use std::io::{self, Read};

use super::ParseOptions;
use super::parser::Parser;
use crate::error::Result;
use crate::snapshot::HeapSnapshot;

impl ParseOptions {
    /// Reading (and decompressing) on this thread, parsing on another, so the two overlap:
    /// decompression costs about as much as parsing. Chunks go through a short bounded
    /// queue and come back for reuse, so memory stays a few MiB whatever the input size.
    pub(super) fn parse_pipelined(
        &self,
        mut input: impl Read,
        len: Option<u64>,
    ) -> Result<HeapSnapshot> {
        use std::sync::mpsc;
        let (full_tx, full_rx) = mpsc::sync_channel::<io::Result<(Vec<u8>, usize)>>(PIPELINE_DEPTH);
        let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
        std::thread::scope(|scope| {
            let parser = std::thread::Builder::new().name("heapsnap-parse".into()).spawn_scoped(
                scope,
                move || {
                    let reader =
                        Pipe { full: full_rx, empty: empty_tx, chunk: Vec::new(), len: 0, pos: 0 };
                    Parser::new(reader, self, len).run()
                },
            );
            let parser = match parser {
                Ok(p) => p,
                // No thread to be had: parse here instead.
                Err(_) => return Parser::new(input, self, len).run(),
            };
            loop {
                // Chunks keep their full length (zeroed once, when first made); the count of
                // bytes read travels with them.
                let mut chunk = empty_rx.try_recv().unwrap_or_else(|_| vec![0; PIPELINE_CHUNK]);
                let (n, error) = read_some(&mut input, &mut chunk);
                // A send fails only once the parser has stopped (an error): stop reading too.
                if n > 0 && full_tx.send(Ok((chunk, n))).is_err() {
                    break;
                }
                if let Some(e) = error {
                    let _ = full_tx.send(Err(e));
                    break;
                }
                if n == 0 {
                    break;
                }
            }
            drop(full_tx);
            parser.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

/// Plain inputs smaller than this are parsed on the calling thread.
pub(super) const PIPELINE_MIN: u64 = 4 * 1024 * 1024;

/// Gzipped inputs smaller than this (compressed) are parsed on the calling thread.
pub(super) const GZ_PIPELINE_MIN: u64 = 1024 * 1024;

/// Size of the chunks handed from the reading thread to the parser.
const PIPELINE_CHUNK: usize = 1024 * 1024;

/// Chunks in flight between the two.
const PIPELINE_DEPTH: usize = 4;

/// One read into `buf`, as the input gives it: the byte count (0 at end of input) and the
/// error that stopped it, if one did. (Chunks keep the input's own granularity, so a reader
/// that hands out a few bytes at a time still exercises every chunk boundary of the parser.)
fn read_some(input: &mut impl Read, buf: &mut [u8]) -> (usize, Option<io::Error>) {
    loop {
        match input.read(buf) {
            Ok(n) => return (n, None),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (0, Some(e)),
        }
    }
}

/// The parser's end of the pipeline: chunks from the reading thread, as a `Read`.
struct Pipe {
    full: std::sync::mpsc::Receiver<io::Result<(Vec<u8>, usize)>>,
    empty: std::sync::mpsc::Sender<Vec<u8>>,
    chunk: Vec<u8>,
    /// Bytes of `chunk` that hold input.
    len: usize,
    pos: usize,
}

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.len {
            match self.full.recv() {
                Ok(Ok((next, len))) => {
                    let used = std::mem::replace(&mut self.chunk, next);
                    if !used.is_empty() {
                        let _ = self.empty.send(used);
                    }
                    self.len = len;
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                // The reading side is done: end of input.
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.len - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
