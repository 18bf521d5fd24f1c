//! Temporary files removed when the process is stopped by SIGINT, SIGTERM or SIGHUP.
//!
//! Outputs are written to a temporary file next to the destination and renamed when complete
//! (`heapsnap_format::OutputFile`). Dropping the file removes it on every error path, but a
//! signal's default action ends the process without running destructors. So while a temporary
//! file exists its path is registered here, and a signal handler unlinks the registered paths
//! (`unlink` is async-signal-safe), restores the default action and raises the signal again:
//! the process still ends as the signal says (exit status 130, 143 or 129 in a shell).
//!
//! The file is created between [`TempGuard::arm`] and [`TempGuard::set_path`]: a signal that
//! arrives in that window (the file may exist, its name is not known here yet) is held back and
//! acted on as soon as the name is registered, so there is no moment at which a signal can
//! leave the file behind.

use std::ffi::CString;
use std::path::Path;
use std::sync::Once;
use std::sync::atomic::{AtomicI32, AtomicPtr, AtomicUsize, Ordering};

const SLOTS: usize = 8;

static PATHS: [AtomicPtr<libc::c_char>; SLOTS] =
    [const { AtomicPtr::new(std::ptr::null_mut()) }; SLOTS];
static INSTALL: Once = Once::new();
/// How many guards are between `arm` and `set_path`.
static CREATING: AtomicUsize = AtomicUsize::new(0);
/// A signal that arrived while a file was being created (0: none).
static PENDING: AtomicI32 = AtomicI32::new(0);

/// A temporary file's registration for removal on SIGINT/SIGTERM/SIGHUP; unregistered (not
/// removed) when dropped, since by then the file has been renamed into place or removed by its
/// owner.
#[derive(Debug)]
pub(crate) struct TempGuard {
    slot: Option<usize>,
    creating: bool,
}

impl TempGuard {
    /// Installs the handlers and opens the creation window: call before creating the file.
    pub(crate) fn arm() -> TempGuard {
        install();
        CREATING.fetch_add(1, Ordering::SeqCst);
        TempGuard { slot: None, creating: true }
    }

    /// Registers the file just created (`None`: nothing to remove, e.g. a FIFO written through)
    /// and closes the creation window, acting on a signal that arrived during it.
    pub(crate) fn set_path(&mut self, path: Option<&Path>) {
        if let Some(path) = path {
            self.slot = store(path);
        }
        self.end_creation();
    }

    fn end_creation(&mut self) {
        if !std::mem::take(&mut self.creating) {
            return;
        }
        if CREATING.fetch_sub(1, Ordering::SeqCst) == 1 {
            let sig = PENDING.swap(0, Ordering::SeqCst);
            if sig != 0 {
                on_signal(sig);
            }
        }
    }
}

fn store(path: &Path) -> Option<usize> {
    use std::os::unix::ffi::OsStrExt;
    let c = CString::new(path.as_os_str().as_bytes()).ok()?;
    let raw = c.into_raw();
    for (i, slot) in PATHS.iter().enumerate() {
        if slot
            .compare_exchange(std::ptr::null_mut(), raw, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            return Some(i);
        }
    }
    // SAFETY: `raw` came from `CString::into_raw` above and was not stored anywhere.
    drop(unsafe { CString::from_raw(raw) });
    log::warn!("too many temporary files to track; {} is not removed on signals", path.display());
    None
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(i) = self.slot {
            // The path's memory is deliberately leaked (a few bytes per output file): a signal
            // handler running on another thread may still be reading it.
            PATHS[i].store(std::ptr::null_mut(), Ordering::SeqCst);
        }
        // Creation failed before a path was registered: nothing to remove, but a signal held
        // back meanwhile still ends the process.
        self.end_creation();
    }
}

extern "C" fn on_signal(sig: libc::c_int) {
    if CREATING.load(Ordering::SeqCst) > 0 {
        // A file is being created whose name is not registered yet: the creator acts on the
        // signal once it is (TempGuard::set_path).
        PENDING.store(sig, Ordering::SeqCst);
        return;
    }
    for slot in &PATHS {
        let p = slot.load(Ordering::SeqCst);
        if !p.is_null() {
            // SAFETY: `p` is a NUL-terminated path stored by `store` and never freed, and
            // `unlink` is async-signal-safe.
            unsafe { libc::unlink(p) };
        }
    }
    // SAFETY: restoring the default action and re-raising are async-signal-safe.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

fn install() {
    INSTALL.call_once(|| {
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            // SAFETY: zeroed sigaction structs filled in as the C API expects; the handler
            // only makes async-signal-safe calls.
            unsafe {
                let mut old: libc::sigaction = std::mem::zeroed();
                libc::sigaction(sig, std::ptr::null(), &mut old);
                if old.sa_sigaction == libc::SIG_IGN {
                    // Ignored by whoever started us (nohup): keep it so.
                    continue;
                }
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_signal as *const () as libc::sighandler_t;
                libc::sigemptyset(&mut sa.sa_mask);
                libc::sigaction(sig, &sa, std::ptr::null_mut());
            }
        }
    });
}
