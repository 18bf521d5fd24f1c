//! Output files that never destroy anything: atomic replacement of regular files, streaming
//! into FIFOs and character devices, no silent replacement of symlinks, the mode of a replaced
//! file kept, and temporary files named after the output so that a leftover is recognizable.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// How [`OutputFile::create`] treats what is already at the output path.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct OutputPolicy {
    /// Replace a symbolic link at the output path with the new file (the link's target is
    /// never touched). Without it, a symlink at the output path is refused.
    pub replace_symlink: bool,
    /// Permission bits of a *new* file (before the umask). `None`: `0o666`, so new files get
    /// the same mode as any file the user creates. A replaced file always keeps its mode.
    pub new_file_mode: Option<u32>,
}

impl OutputPolicy {
    /// The default policy: refuse symlinks, new files `0o666` before the umask.
    pub fn new() -> OutputPolicy {
        OutputPolicy::default()
    }

    /// Whether a symlink at the output path may be replaced (see the field).
    pub fn replace_symlink(mut self, yes: bool) -> OutputPolicy {
        self.replace_symlink = yes;
        self
    }

    /// The mode of a new file before the umask (see the field), e.g. `0o600` for snapshots
    /// fresh from a live process.
    pub fn new_file_mode(mut self, mode: u32) -> OutputPolicy {
        self.new_file_mode = Some(mode);
        self
    }
}

/// A file being written at a path.
///
/// - A regular file (or nothing) at the path: the bytes go to a temporary file in the same
///   directory, named `.NAME.XXXXXX.tmp` after the output, renamed over the path by
///   [`OutputFile::finish`]. Dropping an unfinished `OutputFile` removes the temporary file, so
///   a failed or abandoned write leaves the old file (or nothing) in place. A replaced file
///   keeps its permission bits.
/// - A FIFO or a character device (`/dev/stdout`, a named pipe): written through in place,
///   nothing is renamed.
/// - A symlink: refused unless [`OutputPolicy::replace_symlink`]; a directory, a block device
///   or a socket: refused.
///
/// ```
/// use std::io::Write;
/// use heapsnap_format::{OutputFile, OutputPolicy};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("out.txt");
/// let mut out = OutputFile::create(&path, &OutputPolicy::new())?;
/// out.write_all(b"hello")?;
/// out.finish()?;
/// assert_eq!(std::fs::read(&path)?, b"hello");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct OutputFile {
    inner: Inner,
    path: PathBuf,
}

#[derive(Debug)]
enum Inner {
    Atomic { tmp: NamedTempFile, mode: Option<u32> },
    Stream(File),
}

impl OutputFile {
    /// Opens `path` for writing under `policy` (see the type's docs). Errors name the path.
    pub fn create(path: impl AsRef<Path>, policy: &OutputPolicy) -> io::Result<OutputFile> {
        let path = path.as_ref().to_path_buf();
        let named = |e: io::Error, what: &str| {
            io::Error::new(e.kind(), format!("{what} {}: {e}", path.display()))
        };
        let existing = match fs::symlink_metadata(&path) {
            Ok(m) => Some(m),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(named(e, "cannot inspect")),
        };
        let mut keep_mode = None;
        if let Some(m) = &existing {
            let ft = m.file_type();
            if ft.is_symlink() {
                if !policy.replace_symlink {
                    return Err(io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        format!(
                            "refusing to replace the symbolic link {} (remove it, or ask for it \
                             to be replaced)",
                            path.display()
                        ),
                    ));
                }
            } else if ft.is_dir() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{} is a directory", path.display()),
                ));
            } else if is_stream(&ft) {
                let f = fs::OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(|e| named(e, "cannot open"))?;
                return Ok(OutputFile { inner: Inner::Stream(f), path });
            } else if !ft.is_file() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "refusing to write {}: it is neither a regular file, a FIFO nor a \
                         character device",
                        path.display()
                    ),
                ));
            } else {
                keep_mode = Some(mode_of(m));
            }
        }
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut prefix = OsString::from(".");
        prefix.push(path.file_name().unwrap_or_else(|| "output".as_ref()));
        prefix.push(".");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp").rand_bytes(6);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = keep_mode.or(policy.new_file_mode).unwrap_or(0o666);
            builder.permissions(fs::Permissions::from_mode(mode));
        }
        let tmp = builder
            .tempfile_in(&dir)
            .map_err(|e| named(e, "cannot create a temporary file next to"))?;
        Ok(OutputFile { inner: Inner::Atomic { tmp, mode: keep_mode }, path })
    }

    /// The path being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The temporary file the bytes go to before [`OutputFile::finish`] renames it (`None`
    /// when writing through to a FIFO or device). A program that handles signals removes it
    /// when interrupted.
    pub fn temp_path(&self) -> Option<&Path> {
        match &self.inner {
            Inner::Atomic { tmp, .. } => Some(tmp.path()),
            Inner::Stream(_) => None,
        }
    }

    /// Flushes, syncs and renames the temporary file over the path (keeping a replaced file's
    /// mode). Until this returns, the path holds what it held before.
    pub fn finish(self) -> io::Result<()> {
        let path = self.path;
        let named = |e: io::Error, what: &str| {
            io::Error::new(e.kind(), format!("{what} {}: {e}", path.display()))
        };
        match self.inner {
            Inner::Stream(mut f) => f.flush().map_err(|e| named(e, "writing")),
            Inner::Atomic { mut tmp, mode } => {
                tmp.flush().map_err(|e| named(e, "writing"))?;
                #[cfg(unix)]
                if let Some(mode) = mode {
                    // The umask may have dropped bits the replaced file had.
                    use std::os::unix::fs::PermissionsExt;
                    tmp.as_file()
                        .set_permissions(fs::Permissions::from_mode(mode))
                        .map_err(|e| named(e, "setting the mode of"))?;
                }
                #[cfg(not(unix))]
                let _ = mode;
                tmp.as_file().sync_all().map_err(|e| named(e, "writing"))?;
                tmp.persist(&path).map_err(|e| named(e.error, "cannot rename into"))?;
                Ok(())
            }
        }
    }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.inner {
            Inner::Atomic { tmp, .. } => tmp.write(buf),
            Inner::Stream(f) => f.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.inner {
            Inner::Atomic { tmp, .. } => tmp.write_all(buf),
            Inner::Stream(f) => f.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.inner {
            Inner::Atomic { tmp, .. } => tmp.flush(),
            Inner::Stream(f) => f.flush(),
        }
    }
}

#[cfg(unix)]
fn is_stream(ft: &fs::FileType) -> bool {
    use std::os::unix::fs::FileTypeExt;
    ft.is_fifo() || ft.is_char_device()
}

#[cfg(not(unix))]
fn is_stream(_ft: &fs::FileType) -> bool {
    false
}

#[cfg(unix)]
fn mode_of(m: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    m.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode_of(_m: &fs::Metadata) -> u32 {
    0o666
}

/// Whether two paths name the same file (the same device and inode, after following symlinks).
/// `false` when either does not exist.
pub fn same_file(a: impl AsRef<Path>, b: impl AsRef<Path>) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (fs::metadata(a), fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        match (fs::canonicalize(a), fs::canonicalize(b)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
    }
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};

    fn leftovers(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn replaced_file_keeps_its_mode_and_new_file_follows_umask() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.heapsnapshot");
        fs::write(&p, b"old").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        let mut out = OutputFile::create(&p, &OutputPolicy::new()).unwrap();
        out.write_all(b"new").unwrap();
        out.finish().unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new");
        assert_eq!(fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o644);

        let q = dir.path().join("b.heapsnapshot");
        let out = OutputFile::create(&q, &OutputPolicy::new()).unwrap();
        out.finish().unwrap();
        // 0o666 minus the process umask: never the 0o600 of a bare temp file unless asked.
        let umask = process_umask();
        assert_eq!(fs::metadata(&q).unwrap().permissions().mode() & 0o777, 0o666 & !umask);

        let r = dir.path().join("c.heapsnapshot");
        let out = OutputFile::create(&r, &OutputPolicy::new().new_file_mode(0o600)).unwrap();
        out.finish().unwrap();
        assert_eq!(fs::metadata(&r).unwrap().permissions().mode() & 0o777, 0o600);
    }

    /// The umask, read from /proc (no libc call that changes it).
    fn process_umask() -> u32 {
        let status = fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("Umask:")).unwrap();
        u32::from_str_radix(line.split_whitespace().nth(1).unwrap(), 8).unwrap()
    }

    #[test]
    fn symlink_refused_unless_asked_and_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.txt");
        fs::write(&target, b"precious").unwrap();
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let err = OutputFile::create(&link, &OutputPolicy::new()).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());

        let mut out =
            OutputFile::create(&link, &OutputPolicy::new().replace_symlink(true)).unwrap();
        out.write_all(b"new").unwrap();
        out.finish().unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_file());
        assert_eq!(fs::read(&target).unwrap(), b"precious");
    }

    #[test]
    fn fifo_and_devices_are_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(status.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read(&fifo).unwrap())
        };
        let mut out = OutputFile::create(&fifo, &OutputPolicy::new()).unwrap();
        assert!(out.temp_path().is_none());
        out.write_all(b"through the pipe").unwrap();
        out.finish().unwrap();
        assert_eq!(reader.join().unwrap(), b"through the pipe");
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());

        let mut null = OutputFile::create("/dev/null", &OutputPolicy::new()).unwrap();
        null.write_all(b"x").unwrap();
        null.finish().unwrap();
        assert!(fs::symlink_metadata("/dev/null").unwrap().file_type().is_char_device());
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn temp_file_named_after_the_output_and_removed_when_abandoned() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("growth.heapsnapshot");
        fs::write(&p, b"old").unwrap();
        let mut out = OutputFile::create(&p, &OutputPolicy::new()).unwrap();
        out.write_all(b"half").unwrap();
        let name = out.temp_path().unwrap().file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with(".growth.heapsnapshot.") && name.ends_with(".tmp"), "{name}");
        assert_eq!(leftovers(dir.path()).len(), 1);
        drop(out);
        assert!(leftovers(dir.path()).is_empty());
        assert_eq!(fs::read(&p).unwrap(), b"old");
    }

    #[test]
    fn directories_refused_and_same_file_through_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        assert!(OutputFile::create(dir.path(), &OutputPolicy::new()).is_err());
        let a = dir.path().join("a");
        fs::write(&a, b"x").unwrap();
        let l = dir.path().join("l");
        std::os::unix::fs::symlink(&a, &l).unwrap();
        assert!(same_file(&a, &l));
        assert!(same_file(&a, dir.path().join(".").join("a")));
        assert!(!same_file(&a, dir.path().join("missing")));
        let b = dir.path().join("b");
        fs::write(&b, b"x").unwrap();
        assert!(!same_file(&a, &b));
    }
}
