//! Attaching to a running Node.js process by pid: SIGUSR1, finding the inspector it opens,
//! and closing it again afterwards. Also Ctrl-C handling, so that an interrupted capture can
//! still close what it opened.
//!
//! Linux only for the pid parts (it reads `/proc`); elsewhere they return
//! [`ProcessError::Unsupported`].

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::error::{Error, ProcessError, Result};
use crate::session::{Route, Session};
use crate::target::{Target, connect_tcp, list_targets, version};

/// The signal that interrupted us (0: none yet).
static INTERRUPTED: AtomicI32 = AtomicI32::new(0);

/// Installs handlers for SIGINT (Ctrl-C), SIGTERM and SIGHUP that make blocking calls of this
/// crate return [`Error::Interrupted`] within a fraction of a second, so that the caller can
/// still close an inspector it opened and remove its temporary files (a `timeout 4 heapsnap
/// watch` or a closed terminal must not leave the target's inspector listening). A second
/// signal of the same kind terminates as usual. [`interrupt_signal`] tells which one came, for
/// the exit status (128 + the signal number, as a shell reports it).
pub fn catch_interrupts() {
    #[cfg(unix)]
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe; the sigaction
    // struct is zero-initialized and then filled in as the C API expects.
    unsafe {
        extern "C" fn on_signal(sig: libc::c_int) {
            INTERRUPTED.store(sig, Ordering::SeqCst);
        }
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as libc::sighandler_t;
            sa.sa_flags = libc::SA_RESETHAND;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

/// Whether SIGINT, SIGTERM or SIGHUP arrived since [`catch_interrupts`].
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst) != 0
}

/// The signal that interrupted us (`libc::SIGINT`, `SIGTERM` or `SIGHUP`), if one did.
pub fn interrupt_signal() -> Option<i32> {
    match INTERRUPTED.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
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
    listen: Option<SocketAddr>,
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
        let found = |(addr, listen): (String, Option<SocketAddr>), opened_by_us| Inspector {
            pid,
            addr,
            listen,
            opened_by_us,
            close_wait: opts.close_wait,
        };
        // Already open? Started with --inspect (or NODE_OPTIONS=--inspect): probe what it listens
        // on (its own sockets only, found through /proc/PID/fd); otherwise only its configured
        // inspector port, if it listens there.
        if let Some(before) = &before {
            let mut candidates: Vec<SocketAddr> = before
                .iter()
                .filter(|s| hint.flagged || Some(s.port()) == hint.port)
                .copied()
                .collect();
            // The configured port first: the others are the application's own servers.
            candidates.sort_by_key(|s| Some(s.port()) != hint.port);
            if let Some(hit) = probe_inspectors(pid, &candidates)? {
                log::info!("process {pid} already has an inspector on {}", hit.0);
                return Ok(found(hit, false));
            }
        }
        // SIGUSR1's default action terminates a process: send it only to one that catches it.
        if !catches_sigusr1(pid) {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            return Err(Error::process(pid, ProcessError::NoSigusr1Handler(comm.trim().into())));
        }
        // Where SIGUSR1 would make it listen: only loopback (or every interface, reached through
        // loopback) unless the caller allowed another host.
        if let Some(ip) = hint.ip
            && !reachable_by_loopback(ip)
        {
            return Err(Error::process(
                pid,
                ProcessError::NotLoopback(SocketAddr::new(ip, hint.port.unwrap_or(0))),
            ));
        }
        // Its port is taken by another process: SIGUSR1 would only make it print an error. Looked
        // up in the socket table, without connecting to whatever listens there.
        if let Some(port) = hint.port
            && !before.as_ref().is_some_and(|b| b.iter().any(|s| s.port() == port))
            && port_listened(pid, port)
        {
            return Err(Error::process(pid, ProcessError::PortBusy(port)));
        }
        log::info!("sending SIGUSR1 to process {pid} to open its inspector");
        signal(pid, libc::SIGUSR1)?;
        let start = Instant::now();
        loop {
            std::thread::sleep(Duration::from_millis(50));
            if crate::process::interrupted() {
                // We may have opened it already: close it if it is there.
                if let Ok(Some(hit)) = new_inspector(pid, before.as_ref(), hint.port) {
                    let _ = found(hit, true).close(None);
                }
                return Err(Error::Interrupted);
            }
            if !alive(pid) {
                return Err(Error::process(pid, ProcessError::NoSuchProcess));
            }
            if let Some(hit) = new_inspector(pid, before.as_ref(), hint.port)? {
                log::info!("process {pid} opened its inspector on {}", hit.0);
                return Ok(found(hit, true));
            }
            if start.elapsed() > opts.wait {
                break;
            }
        }
        // An inspector opened earlier by someone else (SIGUSR1 does nothing then)?
        if let Some(before) = &before
            && let Some(hit) = probe_inspectors(pid, &before.iter().copied().collect::<Vec<_>>())?
        {
            return Ok(found(hit, false));
        }
        if let Some(port) = hint.port
            && port_listened(pid, port)
        {
            return Err(Error::process(pid, ProcessError::PortBusy(port)));
        }
        Err(Error::process(pid, ProcessError::InspectorDidNotOpen { after: opts.wait }))
    }

    /// The socket the inspector listens on, as the process's socket table shows it (`None`
    /// when `/proc` could not tell).
    pub fn listens_on(&self) -> Option<SocketAddr> {
        self.listen
    }

    /// Whether the inspector listens on every interface or on a non-loopback address: then
    /// other machines can reach it (and run code in the target) while it is open.
    pub fn exposed(&self) -> bool {
        self.listen.is_some_and(|s| !s.ip().is_loopback())
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
        &mut |_, _| Ok(false),
    )?;
    session.close();
    Ok(())
}

/// Which port the process's inspector would use (`None`: a random one, `--inspect-port=0`),
/// and whether its flags mention the inspector.
struct PortHint {
    port: Option<u16>,
    /// The host of `--inspect[-port]=HOST:PORT`, when it is an IP literal.
    ip: Option<std::net::IpAddr>,
    flagged: bool,
}

fn inspect_port_hint(pid: u32) -> PortHint {
    let mut hint = PortHint { port: Some(9229), ip: None, flagged: false };
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
            if let Some(v) = a.strip_prefix(flag) {
                let (host, port) = match v.rsplit_once(':') {
                    Some((h, p)) => (Some(h), p),
                    None if v.parse::<u16>().is_ok() => (None, v),
                    None => (Some(v), ""),
                };
                if let Ok(p) = port.parse::<u16>() {
                    hint.port = (p != 0).then_some(p);
                }
                if let Some(h) = host {
                    hint.ip = h.trim_start_matches('[').trim_end_matches(']').parse().ok();
                }
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

/// Where an inspector was found: `host:port` to connect to, and the socket it listens on.
type Hit = (String, Option<SocketAddr>);

/// An inspector that appeared since `before` (or, without `/proc`, one on the hinted port
/// that answers like Node).
fn new_inspector(
    pid: u32,
    before: Option<&BTreeSet<SocketAddr>>,
    port: Option<u16>,
) -> Result<Option<Hit>> {
    match (before, listening_sockets(pid)) {
        (Some(before), Some(now)) => {
            let fresh: Vec<SocketAddr> = now.difference(before).copied().collect();
            probe_inspectors(pid, &fresh)
        }
        _ => {
            let Some(port) = port else { return Ok(None) };
            let addr = format!("127.0.0.1:{port}");
            Ok(version(&addr).ok().filter(|v| v.is_node()).map(|_| (addr, None)))
        }
    }
}

/// Whether a socket bound to `ip` can be reached through loopback (loopback itself, or every
/// interface).
fn reachable_by_loopback(ip: std::net::IpAddr) -> bool {
    ip.is_loopback() || ip.is_unspecified()
}

/// The first of `socks` (the target's own listening sockets) that answers `/json/version` like
/// a Node inspector. Only loopback is contacted: a socket bound to every interface is reached
/// through loopback, and one bound to another address is never contacted (that would take the
/// caller to another host without being asked); if that is all there is, the error says so.
fn probe_inspectors(pid: u32, socks: &[SocketAddr]) -> Result<Option<Hit>> {
    let mut elsewhere = None;
    for s in socks {
        if !reachable_by_loopback(s.ip()) {
            elsewhere.get_or_insert(*s);
            continue;
        }
        let ip = if s.ip().is_unspecified() {
            if s.is_ipv4() { "127.0.0.1".to_string() } else { "[::1]".to_string() }
        } else if s.is_ipv6() {
            format!("[{}]", s.ip())
        } else {
            s.ip().to_string()
        };
        let addr = format!("{ip}:{}", s.port());
        if let Ok(v) = version(&addr)
            && v.is_node()
        {
            return Ok(Some((addr, Some(*s))));
        }
    }
    match elsewhere {
        Some(s) => Err(Error::process(pid, ProcessError::NotLoopback(s))),
        None => Ok(None),
    }
}

/// Whether any process in `pid`'s network namespace listens on TCP `port` (read from the
/// socket tables, without connecting to it).
fn port_listened(pid: u32, port: u16) -> bool {
    [("tcp", false), ("tcp6", true)].iter().any(|(file, v6)| {
        std::fs::read_to_string(format!("/proc/{pid}/net/{file}"))
            .map(|t| parse_proc_net_tcp(&t, *v6, None).iter().any(|s| s.port() == port))
            .unwrap_or(false)
    })
}

/// The socket listening on TCP `port` in our network namespace, if it is bound to every
/// interface or to a non-loopback address: an inspector there can be reached (and used to run
/// code) from other machines. `None` when it is loopback only, or `/proc` cannot tell.
pub fn exposed_listener(port: u16) -> Option<SocketAddr> {
    [("tcp", false), ("tcp6", true)].iter().find_map(|(file, v6)| {
        let text = std::fs::read_to_string(format!("/proc/self/net/{file}")).ok()?;
        parse_proc_net_tcp(&text, *v6, None)
            .into_iter()
            .find(|s| s.port() == port && !s.ip().is_loopback())
    })
}

/// Whether `pid` has a handler for SIGUSR1 (bit 10 of the `SigCgt` mask in
/// `/proc/PID/status`). Node.js installs one at startup to open its inspector; a program
/// without one is terminated by SIGUSR1.
pub fn catches_sigusr1(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|t| sig_caught(&t, libc::SIGUSR1))
        .unwrap_or(false)
}

/// Whether the `SigCgt` line of a `/proc/PID/status` text has signal `sig` set.
fn sig_caught(status: &str, sig: libc::c_int) -> Option<bool> {
    let mask = status.lines().find_map(|l| l.strip_prefix("SigCgt:"))?.trim();
    let mask = u64::from_str_radix(mask, 16).ok()?;
    let bit = u32::try_from(sig).ok()?.checked_sub(1)?;
    Some(mask >> bit & 1 == 1)
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

/// A process chosen by [`select_process`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Selected {
    /// The Node.js process to attach to.
    pub pid: u32,
    /// Its command line, arguments joined by spaces.
    pub cmdline: String,
    /// When the pid given was a wrapper (`npm start`, `sh -c 'node ...'`, nodemon): its pid and
    /// command line.
    pub wrapper: Option<(u32, String)>,
}

/// How to choose the process to attach to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selector<'a> {
    /// This pid: a Node.js application itself, or a wrapper with exactly one Node.js
    /// application below it (through any depth of shells and launchers).
    Pid(u32),
    /// The Node.js application whose command line contains this text (like `pgrep -f`, not a
    /// regular expression). Our own process and its ancestors are never chosen, and of a
    /// process tree that matches several times (a cluster) the topmost match is taken.
    Name(&'a str),
}

/// Launchers that run the application in a child process: `npm start`, `npx`, `yarn`,
/// `pnpm`, `nodemon` and the like are themselves Node.js programs.
const WRAPPERS: &[&str] = &[
    "npm",
    "npm-cli",
    "npx",
    "npx-cli",
    "yarn",
    "pnpm",
    "corepack",
    "nodemon",
    "node-dev",
    "ts-node-dev",
    "tsx",
    "concurrently",
    "forever",
];

/// Programs that start others and then only wait: shells and process supervisors.
const SHELLS: &[&str] = &[
    "sh",
    "bash",
    "dash",
    "zsh",
    "ash",
    "ksh",
    "mksh",
    "fish",
    "busybox",
    "env",
    "nohup",
    "setsid",
    "timeout",
    "tini",
    "dumb-init",
    "sudo",
    "su",
    "runuser",
    "doas",
    "script",
];

/// Whether a process is a shell or supervisor (by its command name or argv[0]).
fn is_shell(comm: &str, args: &[String]) -> bool {
    let base = |a: &str| a.rsplit('/').next().unwrap_or(a).trim_start_matches('-').to_string();
    SHELLS.contains(&base(comm).as_str())
        || args.first().is_some_and(|a| SHELLS.contains(&base(a).as_str()))
}

/// Finds the Node.js process to attach to (Linux `/proc`).
///
/// ```no_run
/// use heapsnap_capture::{select_process, Selector};
/// let chosen = select_process(Selector::Name("server.js"))?;
/// println!("using {} ({})", chosen.pid, chosen.cmdline);
/// # Ok::<(), heapsnap_capture::Error>(())
/// ```
pub fn select_process(sel: Selector<'_>) -> Result<Selected> {
    if !cfg!(target_os = "linux") {
        return Err(Error::process(0, ProcessError::Unsupported));
    }
    let table = proc_table();
    match sel {
        Selector::Pid(pid) => {
            if !alive(pid) {
                return Err(Error::process(pid, ProcessError::NoSuchProcess));
            }
            if is_app(pid) {
                return Ok(Selected { pid, cmdline: cmdline(pid), wrapper: None });
            }
            // Look below shells and launchers only: any other program's children are its own
            // business (a test runner, an editor), and its pid was most likely a mistake.
            let args = read_nul_list(&format!("/proc/{pid}/cmdline"));
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .map(|s| s.trim().to_string())
                .unwrap_or_default();
            if !is_wrapper(&args) && !is_shell(&comm, &args) {
                if is_node(pid, &comm) {
                    return Ok(Selected { pid, cmdline: cmdline(pid), wrapper: None });
                }
                return Err(Error::process(pid, ProcessError::NotNode(comm)));
            }
            let below = apps_below(pid, &table);
            match below.as_slice() {
                [one] => Ok(Selected {
                    pid: *one,
                    cmdline: cmdline(*one),
                    wrapper: Some((pid, cmdline(pid))),
                }),
                [] => {
                    if is_node(pid, &comm) {
                        Err(Error::Select {
                            what: format!(
                                "process {pid} ({}) is a launcher, and no Node.js application \
                                 runs below it (yet?)",
                                cmdline(pid)
                            ),
                            candidates: Vec::new(),
                        })
                    } else {
                        Err(Error::process(pid, ProcessError::NotNode(comm)))
                    }
                }
                many => Err(Error::Select {
                    what: format!(
                        "process {pid} ({}) is a launcher with {} Node.js processes below it; \
                         pick one with --pid",
                        cmdline(pid),
                        many.len()
                    ),
                    candidates: many.iter().map(|&p| format!("{p} {}", cmdline(p))).collect(),
                }),
            }
        }
        Selector::Name(pattern) => {
            let mut mine = BTreeSet::new();
            let mut p = std::process::id();
            while p > 1 && mine.insert(p) {
                p = table.iter().find(|e| e.0 == p).map_or(0, |e| e.1);
            }
            let matches: BTreeSet<u32> = table
                .iter()
                .map(|e| e.0)
                .filter(|p| !mine.contains(p) && cmdline(*p).contains(pattern) && is_app(*p))
                .collect();
            // Of a tree of matches (a cluster primary and its workers), the top.
            let top: Vec<u32> = matches
                .iter()
                .copied()
                .filter(|&p| {
                    let mut q = table.iter().find(|e| e.0 == p).map_or(0, |e| e.1);
                    let mut seen = 0;
                    while q > 1 && seen < 4096 {
                        if matches.contains(&q) {
                            return false;
                        }
                        q = table.iter().find(|e| e.0 == q).map_or(0, |e| e.1);
                        seen += 1;
                    }
                    true
                })
                .collect();
            match top.as_slice() {
                [one] => Ok(Selected { pid: *one, cmdline: cmdline(*one), wrapper: None }),
                [] => Err(Error::Select {
                    what: format!(
                        "no Node.js process has {pattern:?} in its command line{}",
                        if table.iter().any(|e| is_app(e.0) && !mine.contains(&e.0)) {
                            "; Node.js processes running"
                        } else {
                            " (no Node.js process runs)"
                        }
                    ),
                    candidates: table
                        .iter()
                        .filter(|e| !mine.contains(&e.0) && is_app(e.0))
                        .map(|e| format!("{} {}", e.0, cmdline(e.0)))
                        .collect(),
                }),
                many => Err(Error::Select {
                    what: format!(
                        "{} Node.js processes have {pattern:?} in their command line; be more \
                         specific or use --pid",
                        many.len()
                    ),
                    candidates: many.iter().map(|&p| format!("{p} {}", cmdline(p))).collect(),
                }),
            }
        }
    }
}

/// `(pid, ppid)` of every live process, sorted by pid.
fn proc_table() -> Vec<(u32, u32)> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    let mut out: Vec<(u32, u32)> = dir
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()))
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let (state, ppid) = stat_fields(&stat)?;
            (state != "Z" && state != "X").then_some((pid, ppid))
        })
        .collect();
    out.sort_unstable();
    out
}

/// The command line of `pid`, arguments joined by spaces.
fn cmdline(pid: u32) -> String {
    read_nul_list(&format!("/proc/{pid}/cmdline")).join(" ")
}

/// Whether `pid` is a Node.js process that runs an application (not a launcher).
fn is_app(pid: u32) -> bool {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    is_node(pid, comm.trim()) && !is_wrapper(&read_nul_list(&format!("/proc/{pid}/cmdline")))
}

/// Whether a command line is a launcher's (`npm start`, `node /usr/bin/nodemon app.js`).
fn is_wrapper(args: &[String]) -> bool {
    let name = |a: &str| {
        let base = a.rsplit('/').next().unwrap_or(a);
        let base = base.split(' ').next().unwrap_or(base);
        let base = [".js", ".cjs", ".mjs"].iter().fold(base, |b, e| b.strip_suffix(e).unwrap_or(b));
        WRAPPERS.contains(&base)
    };
    let Some(first) = args.first() else { return false };
    // npm and friends set their process title (`npm start`): argv[0] is then the launcher.
    name(first) || args.iter().skip(1).find(|a| !a.starts_with('-')).is_some_and(|a| name(a))
}

/// The Node.js applications below `pid` (not below those: their children are theirs).
fn apps_below(pid: u32, table: &[(u32, u32)]) -> Vec<u32> {
    let mut out = Vec::new();
    let mut stack = vec![pid];
    let mut seen = BTreeSet::new();
    while let Some(p) = stack.pop() {
        for &(child, _) in table.iter().filter(|e| e.1 == p) {
            if !seen.insert(child) {
                continue;
            }
            if is_app(child) {
                out.push(child);
            } else {
                stack.push(child);
            }
        }
    }
    out.sort_unstable();
    out
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
        out.extend(parse_proc_net_tcp(&text, v6, Some(&inodes)));
    }
    Some(out)
}

/// Listening sockets in a `/proc/net/tcp{,6}` table (whose inode is in `inodes`, if given).
fn parse_proc_net_tcp(text: &str, v6: bool, inodes: Option<&BTreeSet<u64>>) -> Vec<SocketAddr> {
    let mut out = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 10 || f[3] != "0A" {
            continue;
        }
        let Ok(inode) = f[9].parse::<u64>() else { continue };
        if inodes.is_some_and(|i| !i.contains(&inode)) {
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
    fn sigcgt_masks() {
        // Node 20 after startup: SIGINT, SIGUSR1, SIGSEGV, SIGTERM and a real-time signal.
        let node = "Name:\tnode\nSigIgn:\t0000000000001000\nSigCgt:\t0000000100004602\n";
        assert_eq!(sig_caught(node, libc::SIGUSR1), Some(true));
        assert_eq!(sig_caught(node, libc::SIGUSR2), Some(false));
        // `cp /bin/sleep node-healthcheck`: catches nothing.
        let sleep = "Name:\tnode-healthchec\nSigCgt:\t0000000000000000\n";
        assert_eq!(sig_caught(sleep, libc::SIGUSR1), Some(false));
        assert_eq!(sig_caught("Name:\tx\n", libc::SIGUSR1), None);
    }

    #[test]
    fn wrappers() {
        let w = |a: &[&str]| is_wrapper(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert!(w(&["npm start"]));
        assert!(w(&["npm", "start"]));
        assert!(w(&["node", "/usr/lib/node_modules/npm/bin/npm-cli.js", "start"]));
        assert!(w(&["node", "/usr/local/bin/nodemon", "server.js"]));
        assert!(!w(&["node", "server.js"]));
        assert!(!w(&["node", "--inspect", "app/npm-helper.js"]));
        assert!(!w(&[]));
        let sh =
            |c: &str, a: &[&str]| is_shell(c, &a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert!(sh("sh", &["sh", "-c", "node server.js"]));
        assert!(sh("bash", &["-bash"]));
        assert!(!sh("integration-1f2", &["/x/integration-1f2"]));
    }

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
        let got = parse_proc_net_tcp(text, false, Some(&inodes));
        assert_eq!(parse_proc_net_tcp(text, false, None).len(), 2);
        assert_eq!(got, vec!["127.0.0.1:9221".parse::<SocketAddr>().unwrap()]);
        let v6 = "h\n 0: 00000000000000000000000001000000:2405 00000000000000000000000000000000:0000 0A 0:0 0:0 0 1000 0 4242 1\n";
        let got = parse_proc_net_tcp(v6, true, Some(&inodes));
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
