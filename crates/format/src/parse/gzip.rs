//! Gzipped input: members one after another, as `gzip -d` reads concatenated files, with errors
//! that say what is wrong with the compressed data.

use std::io::{self, BufRead, BufReader, Read};

use flate2::bufread::GzDecoder;

/// Decompresses gzip members one after another. What follows a member must be another member
/// or nothing: anything else is an error naming the compressed offset where the gzip data
/// ended (rather than flate2's "unexpected end of file" for a header that is not there).
pub(super) struct GzMembers<R> {
    dec: Option<GzDecoder<BufReader<Tally<R>>>>,
}

impl<R: Read> GzMembers<R> {
    pub(super) fn new(input: R, buffer: usize) -> Self {
        let reader = BufReader::with_capacity(buffer, Tally { inner: input, bytes: 0 });
        GzMembers { dec: Some(GzDecoder::new(reader)) }
    }
}

impl<R: Read> Read for GzMembers<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let Some(dec) = self.dec.as_mut() else { return Ok(0) };
            match dec.read(buf) {
                Ok(0) => {}
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // The compressed stream itself failed (not the reading of it, which
                // `Tally` marks): say that it is the gzip data.
                Err(e) if !Tally::<R>::is_read_error(&e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("the gzip data is corrupt or truncated: {e}"),
                    ));
                }
                Err(e) => return Err(Tally::<R>::plain(e)),
            }
            // This member is complete: another one follows, or nothing.
            let Some(dec) = self.dec.take() else { return Ok(0) };
            let mut rest = dec.into_inner();
            let head = rest.fill_buf().map_err(Tally::<R>::plain)?;
            if head.is_empty() {
                return Ok(0);
            }
            if head[0] == 0x1f && head.get(1).is_none_or(|&b| b == 0x8b) {
                self.dec = Some(GzDecoder::new(rest));
                continue;
            }
            let at = rest.get_ref().bytes - rest.buffer().len() as u64;
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "trailing data after the gzip data: it ends at compressed byte {at}, and \
                     what follows is not another gzip member"
                ),
            ));
        }
    }
}

/// The compressed input, counting the bytes read from it. Its own read errors are wrapped so
/// that [`GzMembers`] can tell them from decompression errors.
struct Tally<R> {
    inner: R,
    bytes: u64,
}

/// A read error of the compressed input itself (an OS error, say), carried through flate2.
#[derive(Debug)]
struct ReadError(io::Error);

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for ReadError {}

impl<R> Tally<R> {
    fn is_read_error(e: &io::Error) -> bool {
        e.get_ref().is_some_and(|inner| inner.is::<ReadError>())
    }

    /// The input's own error, unwrapped; any other error as it is.
    fn plain(e: io::Error) -> io::Error {
        if !Self::is_read_error(&e) {
            return e;
        }
        match e.into_inner().map(|inner| inner.downcast::<ReadError>()) {
            Some(Ok(read)) => read.0,
            Some(Err(other)) => io::Error::other(other),
            None => io::Error::other("read error"),
        }
    }
}

impl<R: Read> Read for Tally<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.bytes += n as u64;
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => Err(io::Error::new(e.kind(), ReadError(e))),
        }
    }
}
