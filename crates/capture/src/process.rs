//! Attaching to a running Node.js process by pid: SIGUSR1, finding the inspector it opens,
//! and closing it again afterwards. Also Ctrl-C handling, so that an interrupted capture can
//! still close what it opened.
//!
//! Linux only for the pid parts (it reads `/proc`); elsewhere they return
//! [`ProcessError::Unsupported`].

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::error::{Error, ProcessError, Result};
use crate::session::{Route, Session};
use crate::target::{Target, connect_tcp, list_targets, version};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs a Ctrl-C (SIGINT) handler that makes blocking calls of this crate return
/// [`Error::Interrupted`] within a fraction of a second, so that the caller can still close an
/// inspector it opened. A second Ctrl-C terminates as usual.
pub fn catch_interrupts() {
    #[cfg(unix)]
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe; the sigaction
    // struct is zero-initialized and then filled in as the C API expects.
    unsafe {
        extern "C" fn on_sigint(_: libc::c_int) {
            INTERRUPTED.store(true, Ordering::SeqCst);
        }
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_sigint as *const () as libc::sighandler_t;
        sa.sa_flags = libc::SA_RESETHAND;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(libc::SIGINT, &sa, std::ptr::null_mut());
    }
}

/// Whether Ctrl-C was pressed since [`catch_interrupts`].
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Options for [`Inspector::open`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AttachOptions {
    /// How long to wait for the inspector to open after SIGUSR1 (default 10 s).
    pub wait: Duration,
    /// How long to wait for it to close again afterwards (default 5 s).
    pub close_wait: Duration,
}

impl Default for AttachOptions {
    fn default() -> Self {
        AttachOptions { wait: Duration::from_secs(10), close_wait: Duration::from_secs(5) }
    }
}

/// The inspector of a Node.js process found (or opened) by pid.
///
/// ```no_run
/// use heapsnap_capture::{AttachOptions, Inspector, NoProgress, OutputFile, SnapshotOptions};
/// let inspector = Inspector::open(12345, &AttachOptions::default())?; // SIGUSR1 if needed
/// let mut session = inspector.connect()?;
/// let mut out = OutputFile::create("app.heapsnapshot", false)?;
/// let result = session.take_heap_snapshot(&mut out, &SnapshotOptions::default(), &mut NoProgress);
/// inspector.close(Some(session))?; // closes the inspector again if we opened it
/// result?;
/// out.finish()?;
/// # Ok::<(), heapsnap_capture::Error>(())
/// ```
#[derive(Debug)]
pub struct Inspector {
    pid: u32,
    addr: String,
    opened_by_us: bool,
    close_wait: Duration,
}

impl Inspector {
    /// Finds the inspector of process `pid`, opening it with SIGUSR1 if it is not open yet.
    ///
    /// Checks first that the process exists, that it is a Node.js process (SIGUSR1 terminates
    /// most other programs) and that we may signal it. After the signal, it watches the
    /// process's listening sockets (in `/proc`) for the new inspector port, so it works
    /// whatever `--inspect-port` the process has; it falls back to the process's configured port
    /// (default 9229) and then checks `process.pid` through the inspector.
    pub fn open(pid: u32, opts: &AttachOptions) -> Result<Inspector> {
        if !cfg!(target_os = "linux") {
            return Err(Error::process(pid, ProcessError::Unsupported));
        }
        check_node_process(pid)?;
        let hint = inspect_port_hint(pid);
        let before = listening_sockets(pid);
        let found = |addr: String, opened_by_us| Inspector {
            pid,
            addr,
            opened_by_us,
            close_wait: opts.close_wait,
        };
        // Already open? Started with --inspect (or NODE_OPTIONS=--inspect): probe what it listens
        // on; otherwise only its configured inspector port, if it listens there.
        if let Some(before) = &before {
            let candidates: BTreeSet<SocketAddr> = before
                .iter()
                .filter(|s| hint.flagged || Some(s.port()) == hint.port)
                .copied()
                .collect();
            if let Some(addr) = probe_inspectors(&candidates) {
                log::info!("process {pid} already has an inspector on {addr}");
                return Ok(found(addr, false));
            }
            // Its port is taken by another process: SIGUSR1 would only make it print an error.
            if let Some(port) = hint.port
                && !before.iter().any(|s| s.port() == port)
                && connect_tcp(&format!("127.0.0.1:{port}"), Duration::from_millis(500)).is_ok()
            {
                return Err(Error::process(pid, ProcessError::PortBusy(port)));
            }
        }
        log::info!("sending SIGUSR1 to process {pid} to open its inspector");
        signal(pid, libc::SIGUSR1)?;
        let start = Instant::now();
        loop {
            std::thread::sleep(Duration::from_millis(50));
            if crate::process::interrupted() {
                // We may have opened it already: close it if it is there.
                if let Some(addr) = new_inspector(pid, before.as_ref(), hint.port) {
                    let _ = found(addr, true).close(None);
                }
                return Err(Error::Interrupted);
            }
            if !alive(pid) {
                return Err(Error::process(pid, ProcessError::NoSuchProcess));
            }
            if let Some(addr) = new_inspector(pid, before.as_ref(), hint.port) {
                log::info!("process {pid} opened its inspector on {addr}");
                return Ok(found(addr, true));
            }
            if start.elapsed() > opts.wait {
                break;
            }
        }
        // An inspector opened earlier by someone else (SIGUSR1 does nothing then)?
        if let Some(addr) = before.as_ref().and_then(probe_inspectors) {
            return Ok(found(addr, false));
        }
        if let Some(port) = hint.port
            && connect_tcp(&format!("127.0.0.1:{port}"), Duration::from_millis(500)).is_ok()
        {
            return Err(Error::process(pid, ProcessError::PortBusy(port)));
        }
        Err(Error::process(pid, ProcessError::InspectorDidNotOpen { after: opts.wait }))
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// `host:port` of the inspector's HTTP and WebSocket endpoint.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Whether we opened the inspector (and so [`Inspector::close`] will close it).
    pub fn opened_by_us(&self) -> bool {
        self.opened_by_us
    }

    /// The process's main-thread target from `/json/list`.
    pub fn target(&self) -> Result<Target> {
        let targets = list_targets(&self.addr)?;
        let available = targets.iter().map(Target::describe).collect();
        targets.into_iter().find(|t| t.web_socket_debugger_url.is_some()).ok_or(Error::NoTarget {
            wanted: format!("the main thread of process {}", self.pid),
            available,
        })
    }

    /// Connects to the process's main thread and checks that it really is process `pid`.
    pub fn connect(&self) -> Result<Session> {
        self.connect_inner(true)
    }

    fn connect_inner(&self, interruptible: bool) -> Result<Session> {
        let mut session = Session::connect(&self.target()?)?;
        session.interruptible = interruptible;
        match session.process_pid()? {
            Some(p) if p != self.pid => {
                Err(Error::process(self.pid, ProcessError::WrongProcess(p)))
            }
            _ => Ok(session),
        }
    }

    /// Leaves the process as we found it: if we opened the inspector, asks the process to close
    /// it (`process._debugEnd()`), closes `session`, and waits until the port refuses
    /// connections. If `session` is `None` or broken, a fresh connection is used for this.
    /// An inspector we did not open stays open.
    pub fn close(self, session: Option<Session>) -> Result<()> {
        if !self.opened_by_us {
            if let Some(s) = session {
                s.close();
            }
            return Ok(());
        }
        if !alive(self.pid) {
            return Ok(());
        }
        let mut asked = session.is_some_and(|s| ask_to_close(s).is_ok());
        if !asked && self.accepts_connections() {
            asked = self.connect_inner(false).and_then(ask_to_close).is_ok();
        }
        let until = Instant::now() + self.close_wait;
        while Instant::now() < until {
            if !self.accepts_connections() || !alive(self.pid) {
                log::info!("closed the inspector of process {} again", self.pid);
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let port = self.addr.rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or(0);
        log::debug!("asked to close: {asked}");
        Err(Error::process(self.pid, ProcessError::InspectorStillOpen(port)))
    }

    fn accepts_connections(&self) -> bool {
        connect_tcp(&self.addr, Duration::from_millis(300)).is_ok()
    }
}

/// Asks the target to stop its inspector, after we are gone: `_debugEnd` runs from a timer
/// a little later, once our WebSocket is closed. (Stopping the agent from inside the message it
/// is dispatching would cut the reply off, and stopping it while our session is still being torn
/// down crashed Node 20 now and then under load.)
fn ask_to_close(mut session: Session) -> Result<()> {
    session.interruptible = false;
    session.set_timeout(Duration::from_secs(30));
    session.route = Route::Main;
    session.call_on(
        &Route::Main,
        "Runtime.evaluate",
        &json!({
            "expression": "setTimeout(() => process._debugEnd(), 300).unref(); 0",
            "silent": true,
        }),
        &mut |_, _| Ok(()),
    )?;
    session.close();
    Ok(())
}

/// Which port the process's inspector would use (`None`: a random one, `--inspect-port=0`),
/// and whether its flags mention the inspector.
struct PortHint {
    port: Option<u16>,
    flagged: bool,
}

fn inspect_port_hint(pid: u32) -> PortHint {
    let mut hint = PortHint { port: Some(9229), flagged: false };
    let mut args: Vec<String> = read_nul_list(&format!("/proc/{pid}/cmdline"));
    // NODE_OPTIONS counts too (readable for our own processes).
    for var in read_nul_list(&format!("/proc/{pid}/environ")) {
        if let Some(v) = var.strip_prefix("NODE_OPTIONS=") {
            args.extend(v.split_whitespace().map(str::to_string));
        }
    }
    for a in &args {
        for flag in
            ["--inspect-port=", "--inspect=", "--inspect-brk=", "--inspect-wait=", "--debug-port="]
        {
            if let Some(v) = a.strip_prefix(flag)
                && let Some(p) = v.rsplit(':').next().and_then(|p| p.parse::<u16>().ok())
            {
                hint.port = (p != 0).then_some(p);
            }
        }
        if a == "--inspect"
            || a == "--inspect-brk"
            || a == "--inspect-wait"
            || a.starts_with("--inspect=")
            || a.starts_with("--inspect-brk=")
            || a.starts_with("--inspect-wait=")
        {
            hint.flagged = true;
        }
    }
    hint
}

fn read_nul_list(path: &str) -> Vec<String> {
    std::fs::read(path)
        .map(|b| {
            b.split(|&c| c == 0)
                .filter(|s| !s.is_empty())
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// An inspector that appeared since `before` (or, without `/proc`, one on the hinted port
/// that answers like Node).
fn new_inspector(
    pid: u32,
    before: Option<&BTreeSet<SocketAddr>>,
    port: Option<u16>,
) -> Option<String> {
    match (before, listening_sockets(pid)) {
        (Some(before), Some(now)) => {
            let fresh: BTreeSet<SocketAddr> = now.difference(before).copied().collect();
            probe_inspectors(&fresh)
        }
        _ => {
            let addr = format!("127.0.0.1:{}", port?);
            version(&addr).ok().filter(|v| v.is_node()).map(|_| addr)
        }
    }
}

/// The first of `socks` that answers `/json/version` like a Node inspector.
fn probe_inspectors(socks: &BTreeSet<SocketAddr>) -> Option<String> {
    socks.iter().find_map(|s| {
        let ip = if s.ip().is_unspecified() {
            if s.is_ipv4() { "127.0.0.1".to_string() } else { "[::1]".to_string() }
        } else if s.is_ipv6() {
            format!("[{}]", s.ip())
        } else {
            s.ip().to_string()
        };
        let addr = format!("{ip}:{}", s.port());
        match version(&addr) {
            Ok(v) if v.is_node() => Some(addr),
            _ => None,
        }
    })
}

/// Checks that `pid` exists, may be signalled and is Node.js.
pub fn check_node_process(pid: u32) -> Result<()> {
    if pid == 0 || pid > i32::MAX as u32 {
        return Err(Error::process(pid, ProcessError::NoSuchProcess));
    }
    signal(pid, 0)?;
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|s| s.trim().to_string())
        .map_err(|_| Error::process(pid, ProcessError::NoSuchProcess))?;
    if !is_node(pid, &comm) {
        return Err(Error::process(pid, ProcessError::NotNode(comm)));
    }
    Ok(())
}

fn is_node(pid: u32, comm: &str) -> bool {
    let nodeish = |s: &str| {
        let base = s.rsplit('/').next().unwrap_or(s).to_ascii_lowercase();
        base.contains("node")
    };
    if nodeish(comm) {
        return true;
    }
    if let Ok(exe) = std::fs::read_link(format!("/proc/{pid}/exe"))
        && nodeish(&exe.to_string_lossy())
    {
        return true;
    }
    read_nul_list(&format!("/proc/{pid}/cmdline")).first().is_some_and(|a| nodeish(a))
}

/// `kill(pid, sig)` with the errors named.
fn signal(pid: u32, sig: libc::c_int) -> Result<()> {
    let Ok(p) = libc::pid_t::try_from(pid) else {
        return Err(Error::process(pid, ProcessError::NoSuchProcess));
    };
    // SAFETY: kill(2) has no memory-safety preconditions.
    if unsafe { libc::kill(p, sig) } == 0 {
        return Ok(());
    }
    let err = std::io::Error::last_os_error();
    Err(Error::process(
        pid,
        match err.raw_os_error() {
            Some(libc::ESRCH) => ProcessError::NoSuchProcess,
            Some(libc::EPERM) => ProcessError::PermissionDenied,
            _ => ProcessError::NoSuchProcess,
        },
    ))
}

/// Whether `pid` is still running (a zombie counts as gone).
pub fn alive(pid: u32) -> bool {
    if signal(pid, 0).is_err() {
        return false;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat_fields(&stat).is_some_and(|(state, _)| state != "Z" && state != "X"),
        Err(_) => cfg!(not(target_os = "linux")),
    }
}

/// `(state, ppid)` from a `/proc/PID/stat` line (the command name may contain anything).
fn stat_fields(stat: &str) -> Option<(&str, u32)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut it = rest.split_whitespace();
    let state = it.next()?;
    let ppid = it.next()?.parse().ok()?;
    Some((state, ppid))
}

/// The Node.js child processes of `pid` (cluster workers, `child_process.fork`), sorted.
pub fn node_children(pid: u32) -> Result<Vec<u32>> {
    let dir =
        std::fs::read_dir("/proc").map_err(|_| Error::process(pid, ProcessError::Unsupported))?;
    let mut out = Vec::new();
    for entry in dir.flatten() {
        let Some(child) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else { continue };
        if stat_fields(&stat).is_some_and(|(state, ppid)| ppid == pid && state != "Z") {
            let comm = std::fs::read_to_string(format!("/proc/{child}/comm")).unwrap_or_default();
            if is_node(child, comm.trim()) {
                out.push(child);
            }
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// The TCP sockets `pid` listens on (`None` when `/proc` cannot tell us).
fn listening_sockets(pid: u32) -> Option<BTreeSet<SocketAddr>> {
    let mut inodes = BTreeSet::new();
    for entry in std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.flatten() {
        if let Ok(link) = std::fs::read_link(entry.path()) {
            let link = link.to_string_lossy();
            if let Some(n) = link.strip_prefix("socket:[").and_then(|s| s.strip_suffix(']'))
                && let Ok(n) = n.parse::<u64>()
            {
                inodes.insert(n);
            }
        }
    }
    let mut out = BTreeSet::new();
    for (file, v6) in [("tcp", false), ("tcp6", true)] {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/net/{file}")) else {
            continue;
        };
        out.extend(parse_proc_net_tcp(&text, v6, &inodes));
    }
    Some(out)
}

/// Listening sockets in a `/proc/net/tcp{,6}` table whose inode is in `inodes`.
fn parse_proc_net_tcp(text: &str, v6: bool, inodes: &BTreeSet<u64>) -> Vec<SocketAddr> {
    let mut out = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 10 || f[3] != "0A" {
            continue;
        }
        let Ok(inode) = f[9].parse::<u64>() else { continue };
        if !inodes.contains(&inode) {
            continue;
        }
        let Some((ip_hex, port_hex)) = f[1].split_once(':') else { continue };
        let Ok(port) = u16::from_str_radix(port_hex, 16) else { continue };
        let ip: Option<std::net::IpAddr> = if v6 {
            (ip_hex.len() == 32)
                .then(|| {
                    let mut bytes = [0u8; 16];
                    for w in 0..4 {
                        let word = u32::from_str_radix(&ip_hex[w * 8..w * 8 + 8], 16).ok()?;
                        bytes[w * 4..w * 4 + 4].copy_from_slice(&word.to_ne_bytes());
                    }
                    Some(std::net::Ipv6Addr::from(bytes).into())
                })
                .flatten()
        } else {
            u32::from_str_radix(ip_hex, 16)
                .ok()
                .map(|w| std::net::Ipv4Addr::from(w.to_ne_bytes()).into())
        };
        if let Some(ip) = ip {
            out.push(SocketAddr::new(ip, port));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_parsing() {
        assert_eq!(stat_fields("12 (node) S 7 12 12 0"), Some(("S", 7)));
        assert_eq!(stat_fields("12 (a) b) (c) R 1 2"), Some(("R", 1)));
        assert_eq!(stat_fields("garbage"), None);
    }

    #[test]
    #[cfg(target_endian = "little")]
    fn proc_net_tcp() {
        let text = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:2405 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0\n   1: 0100007F:2406 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 999 1\n   2: 0100007F:2407 0100007F:1111 01 00000000:00000000 00:00000000 00000000  1000        0 4242 1\n";
        let inodes: BTreeSet<u64> = [4242].into();
        let got = parse_proc_net_tcp(text, false, &inodes);
        assert_eq!(got, vec!["127.0.0.1:9221".parse::<SocketAddr>().unwrap()]);
        let v6 = "h\n 0: 00000000000000000000000001000000:2405 00000000000000000000000000000000:0000 0A 0:0 0:0 0 1000 0 4242 1\n";
        let got = parse_proc_net_tcp(v6, true, &inodes);
        assert_eq!(got, vec!["[::1]:9221".parse::<SocketAddr>().unwrap()]);
    }

    #[test]
    fn our_own_process() {
        if !cfg!(target_os = "linux") {
            return;
        }
        let me = std::process::id();
        assert!(alive(me));
        // The test binary is not node.
        match check_node_process(me) {
            Err(Error::Process { kind: ProcessError::NotNode(_), .. }) => {}
            other => panic!("{other:?}"),
        }
        assert!(listening_sockets(me).is_some());
        assert!(matches!(
            check_node_process(i32::MAX as u32),
            Err(Error::Process { kind: ProcessError::NoSuchProcess, .. })
        ));
    }
}
