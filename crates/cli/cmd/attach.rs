//! Reaching a target for `capture`, `watch` and `hunt`: choosing the process (`--pid`, also of a
//! wrapper such as `npm start`; `--name`), opening and closing its inspector, picking a target
//! of an inspector endpoint (`--port`, `--ws`, `--target`), and warnings about exposure.

use std::io::{self, Write};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use heapsnap_capture::{AttachOptions, Inspector, Selector, Session, Target, WorkerInfo};
use serde_json::Value;

use crate::cli::EndpointArgs;

/// What a session is connected to.
#[derive(Clone, Debug)]
pub(crate) struct Attached {
    /// The Node.js process, when known (`--pid`, `--name`, or `process.pid` of the target).
    pub(crate) pid: Option<u32>,
    /// A short description for messages: `process 4242`, a page title.
    pub(crate) label: String,
}

/// How long commands may take (`--timeout`, `--max-time`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) timeout: Duration,
    pub(crate) max_time: Option<Duration>,
}

impl Limits {
    pub(crate) fn apply(self, session: &mut Session) {
        session.set_timeout(self.timeout);
        session.set_max_time(self.max_time);
    }
}

/// The pid `--pid` or `--name` selects (a wrapper's one Node.js child), saying which on stderr
/// when it is not the pid given. `None` for `--port` and `--ws`.
pub(crate) fn chosen_pid(ep: &EndpointArgs, quiet: bool) -> Result<Option<u32>> {
    let selected = if let Some(pid) = ep.pid {
        heapsnap_capture::select_process(Selector::Pid(pid))?
    } else if let Some(name) = &ep.name {
        heapsnap_capture::select_process(Selector::Name(name))?
    } else {
        return Ok(None);
    };
    if !quiet {
        let note = match (&selected.wrapper, &ep.name) {
            (Some((w, wcmd)), _) => Some(format!(
                "process {w} ({wcmd}) is a launcher, not the application: using the Node.js \
                 process below it, {} ({})",
                selected.pid, selected.cmdline
            )),
            (None, Some(name)) => {
                Some(format!("{name:?} selects process {} ({})", selected.pid, selected.cmdline))
            }
            (None, None) => None,
        };
        if let Some(n) = note {
            let _ = writeln!(io::stderr(), "heapsnap: {n}");
        }
    }
    Ok(Some(selected.pid))
}

/// Warns (once per call) that an inspector can be reached from other machines.
fn warn_exposed(what: &str, listen: std::net::SocketAddr) {
    log::warn!(
        "the inspector of {what} listens on {listen}, reachable from other machines: anyone who \
         can connect to it can run code in the process. Start it with --inspect=127.0.0.1:PORT \
         (or --inspect-port=127.0.0.1:PORT) instead"
    );
}

/// Opens (if needed) the inspector of `pid`, runs `f` on a session to its main thread, and
/// closes the inspector again if we opened it, whatever happened (also on Ctrl-C, SIGTERM and
/// SIGHUP, which make `f` return early).
pub(crate) fn with_pid<T>(
    pid: u32,
    limits: Limits,
    f: impl FnOnce(&mut Session, &Attached) -> Result<T>,
) -> Result<T> {
    let inspector = Inspector::open(pid, &AttachOptions::default())?;
    if inspector.opened_by_us() {
        log::info!(
            "opened the inspector of process {pid} on {} with SIGUSR1; it will be closed again",
            inspector.addr()
        );
    } else {
        log::info!(
            "process {pid} already had an inspector on {}; leaving it open",
            inspector.addr()
        );
    }
    if inspector.exposed()
        && let Some(listen) = inspector.listens_on()
    {
        warn_exposed(&format!("process {pid}"), listen);
    }
    let mut session = match inspector.connect() {
        Ok(s) => s,
        Err(e) => {
            if let Err(c) = inspector.close(None) {
                log::warn!("{c}");
            }
            return Err(e).with_context(|| format!("connecting to the inspector of process {pid}"));
        }
    };
    limits.apply(&mut session);
    let at = Attached { pid: Some(pid), label: format!("process {pid}") };
    let result = f(&mut session, &at);
    let closed = inspector.close(Some(session));
    match (result, closed) {
        (Err(e), Err(c)) => {
            log::warn!("{c}");
            Err(e)
        }
        (Err(e), Ok(())) => Err(e),
        (Ok(_), Err(c)) => Err(c).context("closing the inspector we opened"),
        (Ok(v), Ok(())) => Ok(v),
    }
}

/// `--port`: lists the targets of the inspector at `addr`, picks one (`needle`: `--target`),
/// and runs `f` on a session to it (Chrome: attached through the browser endpoint with a flat
/// session when `--target` is given).
pub(crate) fn with_port<T>(
    addr: &str,
    needle: Option<&str>,
    limits: Limits,
    f: impl FnOnce(&mut Session, &Attached) -> Result<T>,
) -> Result<T> {
    if let Some(port) = addr.rsplit(':').next().and_then(|p| p.parse::<u16>().ok())
        && is_loopback_addr(addr)
        && let Some(listen) = heapsnap_capture::exposed_listener(port)
    {
        warn_exposed(&format!("port {port}"), listen);
    }
    let targets = heapsnap_capture::list_targets(addr)
        .with_context(|| format!("listing the targets of the inspector at {addr}"))?;
    let available = || targets.iter().map(Target::describe).collect::<Vec<_>>();
    let chosen: &Target = match needle {
        Some(needle) => {
            let exact: Vec<&Target> = targets.iter().filter(|t| t.id == needle).collect();
            let found: Vec<&Target> = if exact.len() == 1 {
                exact
            } else {
                targets.iter().filter(|t| t.matches(needle)).collect()
            };
            match found.as_slice() {
                [one] => one,
                [] => {
                    return Err(heapsnap_capture::Error::NoTarget {
                        wanted: needle.to_string(),
                        available: available(),
                    }
                    .into());
                }
                many => bail!(
                    "{} targets match {needle:?}; be more specific (an id works): {}",
                    many.len(),
                    many.iter().map(|t| t.describe()).collect::<Vec<_>>().join("; ")
                ),
            }
        }
        None => {
            let node: Vec<&Target> = targets.iter().filter(|t| t.kind == "node").collect();
            match (targets.as_slice(), node.as_slice()) {
                ([one], _) => one,
                (_, [one]) => one,
                ([], _) => bail!("the inspector at {addr} lists no targets"),
                _ => bail!(
                    "the inspector at {addr} has {} targets; pick one with --target SUBSTRING: {}",
                    targets.len(),
                    available().join("; ")
                ),
            }
        }
    };
    let label = if chosen.title.is_empty() { chosen.id.clone() } else { chosen.title.clone() };
    // Chrome: attach through the browser endpoint with a flat session.
    let browser = heapsnap_capture::version(addr)
        .ok()
        .filter(|v| !v.is_node())
        .and_then(|v| v.web_socket_debugger_url);
    if let (Some(url), Some(_)) = (browser, needle) {
        let mut session = Session::connect_url(&url)
            .with_context(|| format!("connecting to the browser at {url}"))?;
        limits.apply(&mut session);
        let result = {
            let mut scoped = session
                .attach_target(&chosen.id)
                .with_context(|| format!("attaching to {}", chosen.describe()))?;
            f(&mut scoped, &Attached { pid: None, label })
        };
        session.close();
        return result;
    }
    let mut session =
        Session::connect(chosen).with_context(|| format!("connecting to {}", chosen.describe()))?;
    limits.apply(&mut session);
    let pid = if chosen.kind == "node" { session.process_pid().ok().flatten() } else { None };
    let result = f(&mut session, &Attached { pid, label });
    session.close();
    result
}

/// `--ws URL`: runs `f` on a session to that WebSocket; with `needle` (`--target`), URL is a
/// browser endpoint and the target is found with `Target.getTargets` and attached to.
pub(crate) fn with_ws<T>(
    url: &str,
    needle: Option<&str>,
    limits: Limits,
    f: impl FnOnce(&mut Session, &Attached) -> Result<T>,
) -> Result<T> {
    let mut session = Session::connect_url(url).with_context(|| format!("connecting to {url}"))?;
    limits.apply(&mut session);
    let Some(needle) = needle else {
        let pid = session.process_pid().ok().flatten();
        let result = f(&mut session, &Attached { pid, label: url.to_string() });
        session.close();
        return result;
    };
    let infos = session.call("Target.getTargets", Value::Null).with_context(|| {
        format!("listing the targets of {url} (--target needs a browser endpoint)")
    })?;
    let infos = infos["targetInfos"].as_array().cloned().unwrap_or_default();
    let field = |t: &Value, k: &str| t[k].as_str().unwrap_or("").to_string();
    let found: Vec<&Value> = infos
        .iter()
        .filter(|t| {
            field(t, "targetId") == needle
                || field(t, "title").contains(needle)
                || field(t, "url").contains(needle)
        })
        .collect();
    let describe = |t: &Value| {
        format!(
            "{} {:?} {} (id {})",
            field(t, "type"),
            field(t, "title"),
            field(t, "url"),
            field(t, "targetId")
        )
    };
    let [one] = found.as_slice() else {
        return Err(heapsnap_capture::Error::NoTarget {
            wanted: needle.to_string(),
            available: infos.iter().map(describe).collect(),
        })
        .with_context(|| {
            format!("{} targets of {url} match {needle:?}; give exactly one", found.len())
        });
    };
    let label = field(one, "title");
    let result = {
        let mut scoped = session
            .attach_target(&field(one, "targetId"))
            .with_context(|| format!("attaching to {}", describe(one)))?;
        f(&mut scoped, &Attached { pid: None, label })
    };
    session.close();
    result
}

/// The id users see and type for a worker thread: its thread id (`worker.threadId`), else the
/// inspector's id.
pub(crate) fn worker_number(w: &WorkerInfo) -> String {
    w.thread_id.map_or_else(|| w.worker_id.clone(), |t| t.to_string())
}

/// The worker thread `id` (see [`worker_number`]) of the session's target; the error lists
/// the ones that exist.
pub(crate) fn find_worker(session: &mut Session, at: &Attached, id: &str) -> Result<WorkerInfo> {
    let workers =
        session.workers().with_context(|| format!("listing the worker threads of {}", at.label))?;
    match workers.iter().find(|w| worker_number(w) == id) {
        Some(w) => Ok(w.clone()),
        None => Err(heapsnap_capture::Error::NoTarget {
            wanted: format!("worker {id}"),
            available: workers
                .iter()
                .map(|w| format!("worker {} {:?}", worker_number(w), w.title))
                .collect(),
        }
        .into()),
    }
}

/// Whether `host:port` names a loopback host.
fn is_loopback_addr(addr: &str) -> bool {
    let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Runs `f` on a session to the endpoint (`--pid`/`--name`, `--port`, `--ws`).
pub(crate) fn with_endpoint<T>(
    ep: &EndpointArgs,
    host: &str,
    needle: Option<&str>,
    limits: Limits,
    quiet: bool,
    f: impl FnOnce(&mut Session, &Attached) -> Result<T>,
) -> Result<T> {
    if let Some(pid) = chosen_pid(ep, quiet)? {
        if needle.is_some() {
            bail!("--target picks a Chrome target with --port or --ws; with --pid use --worker");
        }
        return with_pid(pid, limits, f);
    }
    if let Some(port) = ep.port {
        return with_port(&crate::cli::inspector_addr(host, port), needle, limits, f);
    }
    if let Some(url) = &ep.ws {
        return with_ws(url, needle, limits, f);
    }
    bail!("give one of --pid, --name, --port or --ws")
}

/// The exit status for an interruption: 128 + the signal, as a shell reports it (130 for
/// Ctrl-C, 143 for SIGTERM, 129 for SIGHUP).
pub(crate) fn interrupted_exit_code() -> u8 {
    let sig = heapsnap_capture::interrupt_signal().unwrap_or(2);
    u8::try_from(128 + sig).unwrap_or(130)
}

/// `SIGINT`, `SIGTERM`, `SIGHUP` by number, for messages.
pub(crate) fn signal_name() -> &'static str {
    match heapsnap_capture::interrupt_signal() {
        Some(1) => "SIGHUP",
        Some(15) => "SIGTERM",
        _ => "Ctrl-C",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_addrs() {
        assert!(is_loopback_addr("127.0.0.1:9229"));
        assert!(is_loopback_addr("[::1]:9229"));
        assert!(is_loopback_addr("localhost:9229"));
        assert!(!is_loopback_addr("192.0.2.2:9229"));
        assert!(!is_loopback_addr("example.invalid:9229"));
    }
}
