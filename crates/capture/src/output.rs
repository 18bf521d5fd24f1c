//! Snapshot files written safely: a temporary file beside the destination, gzip on the fly,
//! renamed into place only when complete.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use tempfile::NamedTempFile;

use crate::error::{Error, Result};

const BUFFER: usize = 1 << 20;

/// A snapshot file being written: everything goes to a temporary file in the destination's
/// directory (mode 0600 on Unix: a heap snapshot holds every string in the heap, secrets
/// included), optionally through gzip; [`OutputFile::finish`] renames it into place. Dropping
/// an unfinished `OutputFile` deletes the temporary file, so a failed capture never leaves a
/// truncated snapshot behind.
#[derive(Debug)]
pub struct OutputFile {
    path: PathBuf,
    writer: Writer,
    written: u64,
}

#[derive(Debug)]
enum Writer {
    Plain(BufWriter<NamedTempFile>),
    Gzip(Box<GzEncoder<BufWriter<NamedTempFile>>>),
}

impl OutputFile {
    /// Starts writing `path` (gzip-compressed if `gzip`).
    pub fn create(path: impl AsRef<Path>, gzip: bool) -> Result<OutputFile> {
        let path = path.as_ref().to_path_buf();
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".partial")
            .tempfile_in(&dir)
            .map_err(|source| Error::File {
                action: "creating a temporary file in",
                path: dir.clone(),
                source,
            })?;
        let buffered = BufWriter::with_capacity(BUFFER, tmp);
        let writer = if gzip {
            // Level 1: snapshots compress well anyway, and capture must keep up with V8.
            Writer::Gzip(Box::new(GzEncoder::new(buffered, Compression::fast())))
        } else {
            Writer::Plain(buffered)
        };
        Ok(OutputFile { path, writer, written: 0 })
    }

    /// Whether a file name asks for gzip (it ends in `.gz`).
    pub fn gzip_by_name(path: impl AsRef<Path>) -> bool {
        path.as_ref().extension().is_some_and(|e| e.eq_ignore_ascii_case("gz"))
    }

    /// The destination path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes written so far (before compression).
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Flushes everything, syncs and renames the file into place. Returns the size on disk.
    pub fn finish(self) -> Result<u64> {
        let file_err = |action, path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::File { action, path, source }
        };
        let buffered = match self.writer {
            Writer::Plain(w) => w,
            Writer::Gzip(gz) => gz.finish().map_err(file_err("writing", &self.path))?,
        };
        let tmp = buffered.into_inner().map_err(|e| Error::File {
            action: "writing",
            path: self.path.clone(),
            source: e.into_error(),
        })?;
        tmp.as_file().sync_all().map_err(file_err("writing", &self.path))?;
        let size = tmp.as_file().metadata().map(|m| m.len()).unwrap_or(0);
        let _file: File = tmp.persist(&self.path).map_err(|e| Error::File {
            action: "renaming a temporary file to",
            path: self.path.clone(),
            source: e.error,
        })?;
        Ok(size)
    }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = match &mut self.writer {
            Writer::Plain(w) => w.write(buf)?,
            Writer::Gzip(w) => w.write(buf)?,
        };
        self.written += n as u64;
        Ok(n)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.writer {
            Writer::Plain(w) => w.write_all(buf)?,
            Writer::Gzip(w) => w.write_all(buf)?,
        }
        self.written += buf.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.writer {
            Writer::Plain(w) => w.flush(),
            Writer::Gzip(w) => w.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_then_rename_and_cleanup() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.heapsnapshot.gz");
        assert!(OutputFile::gzip_by_name(&p));
        let mut f = OutputFile::create(&p, true).unwrap();
        f.write_all(b"{\"snapshot\":{}}").unwrap();
        assert!(!p.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let size = f.finish().unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().len(), size);
        let mut text = String::new();
        io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(File::open(&p).unwrap()),
            &mut text,
        )
        .unwrap();
        assert_eq!(text, "{\"snapshot\":{}}");
        // Dropped unfinished: nothing left.
        let q = dir.path().join("b.heapsnapshot");
        let mut g = OutputFile::create(&q, false).unwrap();
        g.write_all(b"{").unwrap();
        drop(g);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
