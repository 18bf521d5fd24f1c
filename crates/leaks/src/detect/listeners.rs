//! Event listeners (reference §3.2): EventEmitters whose `_events[name]` arrays hold more
//! listeners than the emitter's `maxListeners`, or keep gaining listeners on the same emitter.
//!
//! An emitter is any object with an `_events` property (a null-prototype dictionary); one
//! listener is stored as the function itself, two or more as an `Array` of functions.
//! `once()` listeners are bound wrappers whose state has a `listener` property: they are
//! grouped by the user's function. `maxListeners` comes from `_maxListeners`: `undefined`
//! means Node's default of 10; a number set with `setMaxListeners` is a small integer that
//! the snapshot does not record without numeric values, and then
//! [`LeakOptions::listener_limit`](crate::LeakOptions::listener_limit) applies.
//!
//! Listeners are grouped by (emitter path signature, event name, listener function), so the
//! same leak on 300 emitters of one kind is one finding. Growth counts, per snapshot, the
//! listeners of emitters that already existed in the first snapshot: emitters created later
//! (a new socket with its usual listeners) are not listener growth.
//!
//! `EventTarget`s (Node >= 15: `AbortSignal`, `MessagePort`, `BroadcastChannel`, user
//! subclasses) keep their listeners elsewhere: a `Map` under the `kEvents` symbol, whose value
//! for each event type is a root object heading a doubly linked list of `Listener` objects
//! (`next`, `previous`, `listener`/`callback`). Those lists are read the same way. Their limit
//! (`kMaxEventTargetListeners`) is a small integer the snapshot does not record: Node's
//! default of 10 is assumed unless `events.setMaxListeners` changed it, which cannot be told
//! apart, so a list over the limit counts as a leak only when Node said so
//! (`events.maxEventTargetListenersWarned` is `true`), or by growth.

use std::collections::BTreeMap;

use heapsnap_format::{EdgeKind, NodeIdx, NodeKind};
use heapsnap_graph::EdgeStyle;

use crate::ctx::Ctx;
use crate::detect::Candidate;
use crate::finding::{Category, Fact};

/// Node's `EventEmitter.defaultMaxListeners`.
const NODE_DEFAULT_MAX_LISTENERS: u64 = 10;

/// The emitter's limit: `Some(n)` when known, `None` when set to an unrecorded number.
fn max_listeners(ctx: &Ctx<'_, '_>, emitter: NodeIdx) -> Option<u64> {
    match ctx.edge(emitter, "_maxListeners") {
        None => None,
        Some(t) if ctx.odd.is_nullish(t) => Some(NODE_DEFAULT_MAX_LISTENERS),
        Some(t) if ctx.kind(t) == NodeKind::Number => {
            // With numeric values: a number node whose `value` is its decimal text, or whose
            // name is the number itself.
            let text = ctx.edge(t, "value").map(|v| ctx.name(v)).unwrap_or(ctx.name(t));
            text.trim().parse::<f64>().ok().map(|x| x as u64).filter(|&x| x > 0)
        }
        Some(_) => None,
    }
}

#[derive(Default)]
struct Group {
    members: Vec<NodeIdx>,
    entries: u64,
    /// (emitter, listeners of this group on it, listeners on the event in all)
    emitters: Vec<(NodeIdx, Vec<NodeIdx>, u64)>,
    over_limit: bool,
    warned: bool,
    limits: Vec<Option<u64>>,
    function: NodeIdx,
    emitter_class: String,
    /// Listeners of an `EventTarget` (whose limit the snapshot never records).
    event_target: bool,
}

/// The emitter's class for the title. Node makes an `AbortSignal` as an `EventTarget` whose
/// prototype is then switched, so V8 (and DevTools) call it `EventTarget`; the prototype's
/// name says what it is.
fn emitter_class(ctx: &Ctx<'_, '_>, emitter: NodeIdx) -> String {
    let class = ctx.class(emitter);
    if class == "EventTarget"
        && let Some(p) = ctx.edge(emitter, "__proto__")
        && ctx.kind(p) == NodeKind::Object
        && !matches!(ctx.name(p), "" | "Object" | "EventTarget")
    {
        return ctx.name(p).to_string();
    }
    class.to_string()
}

/// One emitter's listeners on one event, as found.
struct EventList {
    emitter: NodeIdx,
    event: String,
    /// The stored listener functions (wrappers included).
    fns: Vec<NodeIdx>,
    limit: Option<u64>,
    warned: bool,
    event_target: bool,
}

/// For an object `v`: the object its property named by string `name` leads to.
fn object_property(ctx: &Ctx<'_, '_>, v: NodeIdx, name: u32) -> Option<NodeIdx> {
    if ctx.kind(v) != NodeKind::Object {
        return None;
    }
    let g = ctx.g;
    let noi = ctx.snap.edge_names_or_indices();
    g.edges(v)
        .find(|&(e, t)| {
            noi[e.index()] == name
                && g.edge_kind(e) == EdgeKind::Property
                && ctx.kind(t) == NodeKind::Object
        })
        .map(|(_, t)| t)
}

/// EventEmitters: `_events[event]` arrays of two or more functions.
fn emitter_lists(ctx: &Ctx<'_, '_>, out: &mut Vec<EventList>) {
    let g = ctx.g;
    let Some(events) = ctx.names.get("_events") else { return };
    let noi = ctx.snap.edge_names_or_indices();
    let proto = ctx.names.get("__proto__");
    for i in 0..ctx.n() {
        let emitter = NodeIdx(i as u32);
        let Some(ev) = object_property(ctx, emitter, events) else { continue };
        for (e, list) in g.edges(ev) {
            if g.edge_kind(e) != EdgeKind::Property || Some(noi[e.index()]) == proto {
                continue;
            }
            // One listener is the function itself; 2+ are an Array of functions.
            if ctx.kind(list) != NodeKind::Object {
                continue;
            }
            let fns: Vec<NodeIdx> = g
                .edges(list)
                .filter(|&(e, t)| {
                    g.edge_kind(e) == EdgeKind::Element && ctx.kind(t) == NodeKind::Closure
                })
                .map(|(_, t)| t)
                .collect();
            if fns.len() < 2 {
                continue;
            }
            out.push(EventList {
                emitter,
                event: crate::shapes::edge_name(g, e).to_string(),
                fns,
                limit: max_listeners(ctx, emitter),
                warned: ctx.edge(list, "warned").is_some_and(|w| Some(w) == ctx.odd.true_),
                event_target: false,
            });
        }
    }
}

/// EventTargets: `[kEvents]` Map -> {table} -> per event type (the key string, then the root
/// object) -> `.next` -> `Listener` (`.next`)*.
fn event_target_lists(ctx: &Ctx<'_, '_>, out: &mut Vec<EventList>) {
    let g = ctx.g;
    let Some(k_events) = ctx.names.get("<symbol kEvents>") else { return };
    let noi = ctx.snap.edge_names_or_indices();
    for i in 0..ctx.n() {
        let target = NodeIdx(i as u32);
        let Some(map) = object_property(ctx, target, k_events) else { continue };
        let Some(table) = ctx.edge(map, "table") else { continue };
        let warned = ctx
            .edge(target, "<symbol events.maxEventTargetListenersWarned>")
            .is_some_and(|w| Some(w) == ctx.odd.true_);
        // The hash table's slots: [.., key, value, chain, ..]; a value is a root object with
        // a `next` edge, its key the string in the slot before.
        let slots: Vec<(u64, NodeIdx)> = g
            .edges(table)
            .filter_map(|(e, t)| {
                let name = crate::shapes::edge_name(g, e);
                let slot = if g.edge_kind(e).has_string_name() {
                    name.parse::<u64>().ok()
                } else {
                    Some(u64::from(noi[e.index()]))
                };
                slot.map(|k| (k, t))
            })
            .collect();
        for &(k, root) in &slots {
            if ctx.kind(root) != NodeKind::Object || k == 0 {
                continue;
            }
            let Some(first) = ctx.edge(root, "next") else { continue };
            let Some(&(_, key)) = slots.iter().find(|&&(j, _)| j == k - 1) else { continue };
            if ctx.kind(key) != NodeKind::String {
                continue;
            }
            let mut fns = Vec::new();
            let mut at = Some(first);
            let mut seen = std::collections::HashSet::new();
            while let Some(l) = at {
                if ctx.kind(l) != NodeKind::Object || !seen.insert(l) {
                    break;
                }
                let f =
                    ctx.edge(l, "listener").filter(|&f| ctx.kind(f) == NodeKind::Closure).or_else(
                        || ctx.edge(l, "callback").filter(|&f| ctx.kind(f) == NodeKind::Closure),
                    );
                if let Some(f) = f {
                    fns.push(f);
                }
                at = ctx.edge(l, "next");
            }
            if fns.len() < 2 {
                continue;
            }
            out.push(EventList {
                emitter: target,
                event: ctx.name(key).to_string(),
                fns,
                // kMaxEventTargetListeners is a small integer, not in the snapshot.
                limit: None,
                warned,
                event_target: true,
            });
        }
    }
}

pub(crate) fn detect(ctx: &Ctx<'_, '_>) -> Vec<Candidate> {
    let mut lists = Vec::new();
    emitter_lists(ctx, &mut lists);
    event_target_lists(ctx, &mut lists);
    let mut groups: BTreeMap<(String, String, u32), Group> = BTreeMap::new();
    let mut sigs: BTreeMap<NodeIdx, String> = BTreeMap::new();
    for list in lists {
        let EventList { emitter, event, fns, limit, warned, event_target } = list;
        let effective = limit.unwrap_or(ctx.opts.listener_limit);
        let total = fns.len() as u64;
        let sig = sigs
            .entry(emitter)
            .or_insert_with(|| {
                ctx.signature_of(emitter).unwrap_or_else(|| "(not retained)".to_string())
            })
            .clone();
        let mut by_fn: BTreeMap<u32, Vec<NodeIdx>> = BTreeMap::new();
        for &f in &fns {
            let user = ctx.unwrap_listener(f);
            by_fn.entry(ctx.function_key(user)).or_default().push(f);
        }
        for (key, fs) in by_fn {
            // Small minorities among many listeners of another function are not the leak.
            if fs.len() < 2 || (fs.len() as u64) * 10 < total {
                continue;
            }
            let grp = groups.entry((sig.clone(), event.clone(), key)).or_default();
            grp.function = ctx.unwrap_listener(fs[0]);
            grp.emitter_class = emitter_class(ctx, emitter);
            grp.event_target |= event_target;
            grp.entries += fs.len() as u64;
            grp.members.extend(fs.iter().copied());
            grp.emitters.push((emitter, fs, total));
            grp.over_limit |= total > effective;
            grp.warned |= warned;
            grp.limits.push(limit);
        }
    }
    let hist = &ctx.hist;
    groups
        .into_iter()
        .map(|((_, event, _), grp)| {
            let label = ctx.closure_label(grp.function);
            let class = ctx.simple_class(grp.function);
            let n_emitters = grp.emitters.len();
            let first = grp.emitters[0].0;
            let at = ctx
                .paths
                .path_to(first)
                .map(|p| ctx.paths.text(&p, EdgeStyle::Exact))
                .unwrap_or_else(|| "(not retained)".to_string());
            let on = if n_emitters == 1 {
                format!("{at} ({})", grp.emitter_class)
            } else {
                format!("{n_emitters} {} objects such as {at}", grp.emitter_class)
            };
            let title = format!("{} '{event}' listeners on {on}: {label}", grp.entries);
            // Per snapshot: listeners of this group on emitters that existed in the first one.
            let series: Vec<Option<u64>> = if hist.comparable && !hist.priors.is_empty() {
                let first = &hist.priors[0];
                let old: Vec<&(NodeIdx, Vec<NodeIdx>, u64)> =
                    grp.emitters.iter().filter(|(em, _, _)| first.contains(ctx.id(*em))).collect();
                let mut s: Vec<Option<u64>> = hist
                    .priors
                    .iter()
                    .map(|c| {
                        Some(
                            old.iter()
                                .flat_map(|(_, fs, _)| fs.iter())
                                .filter(|&&f| c.contains(ctx.id(f)))
                                .count() as u64,
                        )
                    })
                    .collect();
                s.push(Some(old.iter().map(|(_, fs, _)| fs.len() as u64).sum()));
                s
            } else {
                Vec::new()
            };
            let max_total = grp.emitters.iter().map(|e| e.2).max().unwrap_or(0);
            let limit_text = match grp.limits.iter().copied().max().flatten() {
                _ if grp.event_target => {
                    "not recorded for EventTargets (Node's default is 10)".to_string()
                }
                Some(NODE_DEFAULT_MAX_LISTENERS) if grp.limits.iter().all(|l| l.is_some()) => {
                    "10 (Node's default)".to_string()
                }
                Some(n) if grp.limits.iter().all(|l| l.is_some()) => n.to_string(),
                _ => "set by setMaxListeners (value not in the snapshot)".to_string(),
            };
            // Listeners whose closures keep a lot alive are worth a look even under the limit.
            let heavy = ctx.retained_of(&grp.members) >= 10 * ctx.opts.min_closure_retained;
            let mut c =
                Candidate::new(Category::Listeners, class.clone(), class, title, grp.members);
            c.count = Some(grp.entries);
            c.structural = grp.over_limit || grp.warned || heavy;
            c.series = (!series.is_empty()).then_some(series);
            c.facts = vec![
                Fact::text("event", event),
                Fact::text("listener", label),
                Fact::text("emitter_class", grp.emitter_class),
                Fact::number("emitters", n_emitters as u64),
                Fact::number("most_on_one_emitter", max_total),
                Fact::text("max_listeners", limit_text),
            ];
            if grp.warned {
                c.facts.push(Fact::text("warned", "Node printed MaxListenersExceededWarning"));
            }
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::Category;
    use crate::testutil::{by_category, scenario};

    #[test]
    fn listeners_never_removed() {
        let r = scenario("listeners", &["baseline", "target", "final"]);
        let f = &r.findings[0];
        assert_eq!(f.category, Category::Listeners, "{:#?}", r.findings);
        assert_eq!(f.class, "onConfigChanged()");
        assert_eq!(f.count, 400);
        assert_eq!(f.growth.as_deref(), Some(&[0, 200, 400][..]));
        assert!(f.growing);
        assert_eq!(f.signature, "global.configBus._events.config-changed[*]");
        assert!(f.retains.iter().any(|c| c.class == "ConfigSubscriber" && c.count == 400));
        assert_eq!(f.fact("event").map(|v| v.to_string()).as_deref(), Some("config-changed"));
        assert_eq!(by_category(&r, Category::Listeners).len(), 1);
    }

    #[test]
    fn one_snapshot_over_the_limit() {
        // 400 listeners with an unrecorded maxListeners: over the 100 assumed.
        let r = scenario("listeners", &["final"]);
        let l = by_category(&r, Category::Listeners);
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].count, 400);
        assert!(!l[0].growing);
    }

    #[test]
    fn removed_listeners_are_not_reported() {
        let r = scenario("control", &["baseline", "target", "final"]);
        assert!(by_category(&r, Category::Listeners).is_empty());
    }

    #[test]
    fn once_listeners_are_grouped_by_the_user_function() {
        let r = scenario("more-leaks", &["baseline", "target", "final"]);
        let l = by_category(&r, Category::Listeners);
        assert_eq!(l.len(), 1);
        assert_eq!((l[0].class.as_str(), l[0].count), ("onCancel()", 400));
        assert_eq!(l[0].growth.as_deref(), Some(&[0, 200, 400][..]));
        assert!(l[0].retains.iter().any(|c| c.class == "PendingJob" && c.count == 400));
        assert_eq!(l[0].signature, "global.jobEvents._events.cancel[*]");
    }

    #[test]
    fn a_steady_listener_count_is_not_growth() {
        // 15 listeners (over the default 10) turned over by 5 per phase: one snapshot shows
        // the breach, several show no growth.
        let single = scenario("steady", &["final"]);
        assert_eq!(by_category(&single, Category::Listeners).len(), 1);
        let multi = scenario("steady", &["baseline", "target", "final"]);
        assert!(by_category(&multi, Category::Listeners).is_empty());
    }
}
