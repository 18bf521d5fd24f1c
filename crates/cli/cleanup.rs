//! Temporary files removed when the process is stopped by SIGINT, SIGTERM or SIGHUP.
//!
//! Outputs are written to a temporary file next to the destination and renamed when complete
//! (`heapsnap_format::OutputFile`). Dropping the file removes it on every error path, but a
//! signal's default action ends the process without running destructors. So while a temporary
//! file exists its path is registered here, and a signal handler unlinks the registered paths
//! (`unlink` is async-signal-safe), restores the default action and raises the signal again:
//! the process still ends as the signal says (exit status 130, 143 or 129 in a shell).

use std::ffi::CString;
use std::path::Path;
use std::sync::Once;
use std::sync::atomic::{AtomicPtr, Ordering};

const SLOTS: usize = 8;

static PATHS: [AtomicPtr<libc::c_char>; SLOTS] =
    [const { AtomicPtr::new(std::ptr::null_mut()) }; SLOTS];
static INSTALL: Once = Once::new();

/// A registered temporary file; unregistered (not removed) when dropped, since by then the
/// file has been renamed into place or removed by its owner.
#[derive(Debug)]
pub(crate) struct TempGuard {
    slot: Option<usize>,
}

impl TempGuard {
    /// Registers `path` for removal on SIGINT/SIGTERM/SIGHUP (no-op for `None`).
    pub(crate) fn register(path: Option<&Path>) -> TempGuard {
        let Some(path) = path else { return TempGuard { slot: None } };
        install();
        use std::os::unix::ffi::OsStrExt;
        let Ok(c) = CString::new(path.as_os_str().as_bytes()) else {
            return TempGuard { slot: None };
        };
        let raw = c.into_raw();
        for (i, slot) in PATHS.iter().enumerate() {
            if slot
                .compare_exchange(std::ptr::null_mut(), raw, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                return TempGuard { slot: Some(i) };
            }
        }
        // SAFETY: `raw` came from `CString::into_raw` above and was not stored anywhere.
        drop(unsafe { CString::from_raw(raw) });
        log::warn!(
            "too many temporary files to track; {} is not removed on signals",
            path.display()
        );
        TempGuard { slot: None }
    }
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(i) = self.slot {
            // The path's memory is deliberately leaked (a few bytes per output file): a signal
            // handler running on another thread may still be reading it.
            PATHS[i].store(std::ptr::null_mut(), Ordering::SeqCst);
        }
    }
}

extern "C" fn on_signal(sig: libc::c_int) {
    for slot in &PATHS {
        let p = slot.load(Ordering::SeqCst);
        if !p.is_null() {
            // SAFETY: `p` is a NUL-terminated path registered by `TempGuard::register`; it is
            // freed only after being swapped out, which cannot run while this handler runs on
            // the same thread, and `unlink` is async-signal-safe.
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
