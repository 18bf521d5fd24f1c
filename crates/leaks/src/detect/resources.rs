//! Unclosed resources (reference §3.4, §3.5): sockets, servers, pipes, file handles, workers,
//! message ports, child processes, watchers, and file streams that are still alive.
//!
//! Node wraps each libuv handle in a native `Node / <Wrap>` node linked to its JS wrapper
//! (`native_to_javascript`): a `TCP`/`Pipe`/`FileHandle`/... object whose
//! `<symbol owner_symbol>` is the user-facing object (`net.Socket`, `net.Server`), or which is
//! itself held through `<symbol kHandle>` (a `Worker`). Native ids change in every snapshot,
//! so the finding's members are the owners, whose ids are stable. Resources are grouped by
//! kind and owner class (a `net.Socket` subclass is its own class).
//!
//! When each resource of a group sits in an object of its own, reached through a collection
//! of that object (`agent.freeSockets['host:port:'][0]`), the finding names that object and
//! the pattern: a new keep-alive `http.Agent` per request leaves "40 idle keep-alive sockets
//! in 40 Agents: one Agent per request", which says what to fix where "40 open TCP sockets"
//! does not.

use std::collections::{BTreeMap, BTreeSet};

use heapsnap_format::{EdgeKind, NodeIdx, NodeKind};

use crate::ctx::Ctx;
use crate::detect::Candidate;
use crate::finding::{Category, Fact};

/// Native handle names (after `Node / `) and what they are.
const HANDLES: &[(&str, &str)] = &[
    ("TCPSocketWrap", "TCP socket"),
    ("TCPServerWrap", "TCP server"),
    ("TCPWrap", "TCP handle"),
    ("PipeWrap", "pipe"),
    ("PipeServerWrap", "pipe server"),
    ("TTYWrap", "TTY"),
    ("UDPWrap", "UDP socket"),
    ("FileHandle", "file handle"),
    ("Worker", "worker thread"),
    ("MessagePort", "message port"),
    ("ProcessWrap", "child process"),
    ("FSEventWrap", "file watcher"),
    ("StatWatcher", "stat watcher"),
    ("JSStream", "JS stream"),
];

/// JS classes that are resources without a handle of their own.
const STREAMS: &[(&str, &str)] =
    &[("ReadStream", "file read stream"), ("WriteStream", "file write stream")];

pub(crate) fn detect(ctx: &Ctx<'_, '_>) -> Vec<Candidate> {
    let g = ctx.g;
    let kinds: BTreeMap<&str, &str> = HANDLES.iter().copied().collect();
    // (resource kind, owner class) -> (owners, native name, handle wrappers and natives)
    type Group = (BTreeSet<NodeIdx>, String, Vec<NodeIdx>);
    let mut groups: BTreeMap<(&str, String), Group> = BTreeMap::new();
    let mut owners_seen: BTreeSet<NodeIdx> = BTreeSet::new();
    // Each owner's handle wrapper (not a container of the owner).
    let mut wrapper: BTreeMap<NodeIdx, NodeIdx> = BTreeMap::new();
    for i in 0..ctx.n() {
        let h = NodeIdx(i as u32);
        if !matches!(ctx.kind(h), NodeKind::Native | NodeKind::Synthetic) {
            continue;
        }
        let Some(wrap) = ctx.name(h).strip_prefix("Node / ") else { continue };
        let Some(&kind) = kinds.get(wrap) else { continue };
        let Some(js) =
            ctx.edge(h, "native_to_javascript").filter(|&w| ctx.kind(w) == NodeKind::Object)
        else {
            continue;
        };
        let owner = ctx
            .edge(js, "<symbol owner_symbol>")
            .filter(|&o| ctx.kind(o) == NodeKind::Object && !ctx.odd.is_oddball(o))
            .or_else(|| {
                let k = ctx.names.get("<symbol kHandle>")?;
                g.retainers(js)
                    .find(|&(e, from)| {
                        ctx.snap.edge_names_or_indices()[e.index()] == k
                            && g.edge_kind(e).has_string_name()
                            && ctx.kind(from) == NodeKind::Object
                    })
                    .map(|(_, from)| from)
            })
            .unwrap_or(js);
        if !ctx.reachable(owner) || !owners_seen.insert(owner) {
            continue;
        }
        wrapper.insert(owner, js);
        let class = ctx.display_class(owner);
        let grp = groups
            .entry((kind, class))
            .or_insert_with(|| (BTreeSet::new(), format!("Node / {wrap}"), Vec::new()));
        grp.0.insert(owner);
        grp.2.extend([js, h].into_iter().filter(|&x| x != owner));
    }
    // File streams: no handle of their own (they hold a file descriptor number).
    let (rs, ws) = (ctx.names.get("_readableState"), ctx.names.get("_writableState"));
    for i in 0..ctx.n() {
        let v = NodeIdx(i as u32);
        if ctx.kind(v) != NodeKind::Object || owners_seen.contains(&v) {
            continue;
        }
        let Some(&(_, kind)) = STREAMS.iter().find(|(n, _)| *n == ctx.name(v)) else { continue };
        let has_state = g.edges(v).any(|(e, _)| {
            let n = Some(ctx.snap.edge_names_or_indices()[e.index()]);
            g.edge_kind(e).has_string_name() && (n == rs || n == ws)
        });
        if !has_state || !ctx.reachable(v) {
            continue;
        }
        groups
            .entry((kind, ctx.display_class(v)))
            .or_insert_with(|| (BTreeSet::new(), String::new(), Vec::new()))
            .0
            .insert(v);
    }
    groups
        .into_iter()
        .map(|((kind, class), (owners, native, handles))| {
            let n = owners.len();
            let pattern = one_owner_each(ctx, &owners, &wrapper);
            let title = match &pattern {
                Some(p) => p.title(kind, n),
                None => format!("{n} open {kind}s ({class})"),
            };
            let key = owners.first().map_or_else(|| class.clone(), |&o| ctx.simple_class(o));
            let mut c = Candidate::new(
                Category::Resources,
                class,
                key,
                title,
                owners.into_iter().collect(),
            );
            c.structural = n as u64 >= ctx.opts.min_open_resources;
            let mut roots = c.members.clone();
            roots.extend(handles.iter().copied());
            c.retained_roots = Some(roots);
            c.explains = handles;
            c.facts = vec![Fact::text("resource", kind)];
            if !native.is_empty() {
                c.facts.push(Fact::text("native", native));
            }
            if let Some(p) = pattern {
                c.facts.push(Fact::text("container", p.class));
                c.facts.push(Fact::text("container_field", p.field));
                c.facts.push(Fact::number("containers", p.containers as u64));
            }
            c
        })
        .collect()
}

/// Resources that each sit in an object of their own: that object's class, the property
/// through which it holds them, how many such objects.
struct OwnerPattern {
    class: String,
    field: String,
    containers: usize,
    /// The containers are keep-alive `http.Agent`s (`keepAlive: true`).
    keep_alive: bool,
}

impl OwnerPattern {
    fn title(&self, kind: &str, n: usize) -> String {
        let m = self.containers;
        let c = &self.class;
        let each = if m == n { format!(": one {c} per request") } else { String::new() };
        if c == "Agent" && kind == "TCP socket" {
            let state = match self.field.as_str() {
                "freeSockets" => "idle ",
                "sockets" => "busy ",
                _ => "open ",
            };
            let ka = if self.keep_alive { "keep-alive " } else { "" };
            return format!("{n} {state}{ka}sockets in {m} Agents{each}");
        }
        let each = if m == n { format!(": one {c} per {kind}") } else { String::new() };
        format!("{n} open {kind}s in {m} {c} objects ({c}.{}){each}", self.field)
    }
}

/// Whether the resources of a group each sit in an object of their own (at least nine in
/// ten of them, in as many distinct objects of one class, at least two), reached through a
/// collection of that object: an array or a dictionary (`agent.freeSockets[key][i]`). A
/// direct property (`parser.socket`) is a back reference, not a container.
fn one_owner_each(
    ctx: &Ctx<'_, '_>,
    owners: &BTreeSet<NodeIdx>,
    wrapper: &BTreeMap<NodeIdx, NodeIdx>,
) -> Option<OwnerPattern> {
    let n = owners.len();
    if n < 2 {
        return None;
    }
    // (class, field) -> distinct containers
    let mut by_kind: BTreeMap<(String, String), BTreeSet<NodeIdx>> = BTreeMap::new();
    let mut placed = 0usize;
    for &o in owners {
        let Some((c, field)) = container_of(ctx, o, wrapper.get(&o).copied()) else { continue };
        placed += 1;
        by_kind.entry((ctx.display_class(c), field)).or_default().insert(c);
    }
    let ((class, field), cs) = by_kind.into_iter().max_by_key(|(k, cs)| (cs.len(), k.clone()))?;
    let m = cs.len();
    if m < 2 || placed * 10 < n * 9 || m * 10 < n * 9 {
        return None;
    }
    let keep_alive = ctx.odd.true_.is_some_and(|t| {
        cs.iter().all(|&c| {
            ctx.g.edges(c).any(|(e, v)| v == t && ctx.snap.edge(e).name_str() == Some("keepAlive"))
        })
    });
    Some(OwnerPattern { class, field, containers: m, keep_alive })
}

/// The object that holds `o` through one of its collections: up from `o` over property and
/// element links, through arrays and plain objects (one to two of them), to the first object
/// of another class; with the property of that object the path leaves it by.
fn container_of(
    ctx: &Ctx<'_, '_>,
    o: NodeIdx,
    wrapper: Option<NodeIdx>,
) -> Option<(NodeIdx, String)> {
    let g = ctx.g;
    let is_collection =
        |v: NodeIdx| ctx.kind(v) == NodeKind::Object && matches!(ctx.name(v), "Array" | "Object");
    let links = |v: NodeIdx| {
        g.retainers(v).filter(move |&(e, from)| {
            matches!(g.edge_kind(e), EdgeKind::Property | EdgeKind::Element)
                && ctx.kind(from) == NodeKind::Object
                && Some(from) != wrapper
                && from != o
        })
    };
    let mut level: Vec<NodeIdx> = links(o).map(|(_, f)| f).filter(|&f| is_collection(f)).collect();
    for _ in 0..2 {
        let mut next = Vec::new();
        for &c in &level {
            for (e, from) in links(c) {
                if is_collection(from) {
                    next.push(from);
                } else if ctx.reachable(from) {
                    let field = ctx.snap.edge(e).name_str().unwrap_or("").to_string();
                    return Some((from, field));
                }
            }
        }
        next.sort_unstable();
        next.dedup();
        level = next;
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::Category;
    use crate::testutil::{by_category, scenario, summary};

    #[test]
    fn unclosed_sockets_both_sides() {
        let r = scenario("sockets", &["baseline", "target", "final"]);
        let top: Vec<&str> = r.findings.iter().take(2).map(|f| f.class.as_str()).collect();
        assert!(top.contains(&"LeakyClientSocket") && top.contains(&"Socket"), "{}", summary(&r));
        for f in r.findings.iter().take(2) {
            assert_eq!(f.category, Category::Resources);
            assert_eq!(f.count, 80, "{}", f.class);
            assert_eq!(f.growth.as_deref(), Some(&[0, 40, 80][..]));
            assert_eq!(f.survivors, Some(40));
        }
        let client = r.findings.iter().find(|f| f.class == "LeakyClientSocket").unwrap();
        assert_eq!(client.holders.len(), 1);
        assert_eq!(
            client.signature,
            "Node / TCPSocketWrap{native_to_javascript}[\"<symbol owner_symbol>\"]"
        );
        // The server side is held by the Set *and* by its handle: both holders are shown.
        let server = r.findings.iter().find(|f| f.class == "Socket").unwrap();
        let sigs: Vec<&str> = server.holders.iter().map(|h| h.signature.as_str()).collect();
        assert!(sigs.contains(&"global.connectionTracker.open{table}{*}"), "{sigs:?}");
        assert!(sigs.iter().any(|s| s.starts_with("Node / TCPSocketWrap")), "{sigs:?}");
        assert_eq!(by_category(&r, Category::Resources).len(), 2, "{}", summary(&r));
    }

    #[test]
    fn one_keep_alive_agent_per_request() {
        // snapshots/agents: a server that makes a new keep-alive http.Agent for each call to
        // its upstream; each Agent keeps its idle socket open.
        let files =
            ["agents/agents-baseline.heapsnapshot.gz", "agents/agents-target.heapsnapshot.gz"]
                .map(String::from);
        let r = crate::testutil::report_files(&files, &crate::LeakOptions::default());
        let f = &r.findings[0];
        assert_eq!(f.category, Category::Resources, "{}", summary(&r));
        assert_eq!(f.title, "40 idle keep-alive sockets in 40 Agents: one Agent per request");
        assert_eq!((f.class.as_str(), f.count), ("Socket", 40));
        assert_eq!(f.growth.as_deref(), Some(&[0, 40][..]));
        assert_eq!(f.fact("container").unwrap().to_string(), "Agent");
        assert_eq!(f.fact("container_field").unwrap().to_string(), "freeSockets");
        assert_eq!(f.fact("containers").unwrap().to_string(), "40");
        // Sockets that share one holder (a Set of connections) are not "one per request".
        let r = scenario("sockets", &["baseline", "target", "final"]);
        let titles: Vec<&str> =
            by_category(&r, Category::Resources).iter().map(|f| f.title.as_str()).collect();
        assert_eq!(
            titles,
            ["80 open TCP sockets (LeakyClientSocket)", "80 open TCP sockets (Socket)"],
            "{}",
            summary(&r)
        );
    }

    #[test]
    fn one_snapshot_open_sockets() {
        let r = scenario("sockets", &["final"]);
        assert_eq!(by_category(&r, Category::Resources).len(), 2, "{}", summary(&r));
    }
}
