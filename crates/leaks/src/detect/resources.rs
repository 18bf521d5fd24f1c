//! Unclosed resources (reference §3.4, §3.5): sockets, servers, pipes, file handles, workers,
//! message ports, child processes, watchers, and file streams that are still alive.
//!
//! Node wraps each libuv handle in a native `Node / <Wrap>` node linked to its JS wrapper
//! (`native_to_javascript`): a `TCP`/`Pipe`/`FileHandle`/... object whose
//! `<symbol owner_symbol>` is the user-facing object (`net.Socket`, `net.Server`), or which is
//! itself held through `<symbol kHandle>` (a `Worker`). Native ids change in every snapshot,
//! so the finding's members are the owners, whose ids are stable. Resources are grouped by
//! kind and owner class (a `net.Socket` subclass is its own class).

use std::collections::{BTreeMap, BTreeSet};

use heapsnap_format::{NodeIdx, NodeKind};

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
        let class = ctx.simple_class(owner);
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
            .entry((kind, ctx.simple_class(v)))
            .or_insert_with(|| (BTreeSet::new(), String::new(), Vec::new()))
            .0
            .insert(v);
    }
    groups
        .into_iter()
        .map(|((kind, class), (owners, native, handles))| {
            let n = owners.len();
            let title = format!("{n} open {kind}s ({class})");
            let mut c = Candidate::new(
                Category::Resources,
                class.clone(),
                class,
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
            c
        })
        .collect()
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
    fn one_snapshot_open_sockets() {
        let r = scenario("sockets", &["final"]);
        assert_eq!(by_category(&r, Category::Resources).len(), 2, "{}", summary(&r));
    }
}
