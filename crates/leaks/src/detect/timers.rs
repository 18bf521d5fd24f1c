//! Timers (reference §3.1): `Timeout` objects of `setInterval` never cleared, pending
//! `setTimeout`s in numbers, fired timeouts still referenced (they keep their callback and
//! everything it captures), and pending `Immediate`s.
//!
//! A Timeout is *active* while it is in a `TimersList`: a circular list through
//! `_idleNext`/`_idlePrev`, one list per duration, kept in the timers module's `timerListMap`
//! under the duration (an element edge, so the duration is known without numeric values).
//! Without numeric values `_repeat` is missing for an interval (a small integer) and points at
//! `null` for a one-shot timeout. A cleared timer has `_onTimeout = null`; a fired one-shot
//! timeout keeps its callback and `_destroyed = true`. Timers are grouped by state, callback
//! function and duration.

use std::collections::{BTreeMap, HashMap};

use heapsnap_format::{EdgeKind, NodeIdx, NodeKind};

use crate::ctx::Ctx;
use crate::detect::Candidate;
use crate::finding::{Category, Fact};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum State {
    /// An active `setInterval`.
    Interval,
    /// An active (pending) `setTimeout`.
    Pending,
    /// A one-shot timeout that fired (or was unenrolled) and is still referenced.
    Fired,
    /// A pending `setImmediate`.
    Immediate,
}

/// Duration of each active Timeout, from walking every TimersList ring once.
fn active_timeouts(ctx: &Ctx<'_, '_>) -> HashMap<u32, Option<u64>> {
    let g = ctx.g;
    let mut active = HashMap::new();
    let (Some(list_name), Some(timeout_name)) =
        (ctx.names.get("TimersList"), ctx.names.get("Timeout"))
    else {
        return active;
    };
    let names = ctx.snap.node_names();
    for i in 0..ctx.n() {
        let list = NodeIdx(i as u32);
        if names[i] != list_name || ctx.kind(list) != NodeKind::Object {
            continue;
        }
        let Some(mut v) = ctx.edge(list, "_idleNext") else { continue };
        // The duration: the list's key in `timerListMap` (an element edge from an object that
        // is not the priority queue's array), or `msecs` with numeric values.
        let duration = g
            .retainers(list)
            .find(|&(e, from)| {
                g.edge_kind(e) == EdgeKind::Element
                    && ctx.kind(from) == NodeKind::Object
                    && ctx.name(from) != "Array"
            })
            .map(|(e, _)| u64::from(ctx.snap.edge_names_or_indices()[e.index()]))
            .or_else(|| {
                ctx.edge(list, "msecs")
                    .and_then(|m| ctx.edge(m, "value").map(|s| ctx.name(s)).or(Some(ctx.name(m))))
                    .and_then(|t| t.parse::<f64>().ok())
                    .map(|x| x as u64)
            });
        let mut steps = 0usize;
        while v != list && names[v.index()] == timeout_name && steps <= ctx.n() {
            if active.insert(v.0, duration).is_some() {
                break;
            }
            match ctx.edge(v, "_idleNext") {
                Some(next) => v = next,
                None => break,
            }
            steps += 1;
        }
    }
    active
}

pub(crate) fn detect(ctx: &Ctx<'_, '_>) -> Vec<Candidate> {
    let active = active_timeouts(ctx);
    let (timeout, immediate) = (ctx.names.get("Timeout"), ctx.names.get("Immediate"));
    let names = ctx.snap.node_names();
    // (state, callback function, duration) -> (timers, a callback closure)
    type Key = (State, u32, Option<u64>);
    let mut groups: BTreeMap<Key, (Vec<NodeIdx>, NodeIdx)> = BTreeMap::new();
    for i in 0..ctx.n() {
        let v = NodeIdx(i as u32);
        let name = Some(names[i]);
        if ctx.kind(v) != NodeKind::Object || (name != timeout && name != immediate) {
            continue;
        }
        if !ctx.reachable(v) {
            continue;
        }
        let (state, duration, cb) = if name == timeout {
            let Some(cb) = ctx.edge(v, "_onTimeout").filter(|&c| ctx.kind(c) == NodeKind::Closure)
            else {
                continue; // cleared, or the prototype
            };
            match active.get(&v.0) {
                Some(&d) => {
                    let one_shot = ctx.edge(v, "_repeat").is_some_and(|r| ctx.odd.is_nullish(r));
                    (if one_shot { State::Pending } else { State::Interval }, d, cb)
                }
                None => {
                    let destroyed =
                        ctx.edge(v, "_destroyed").is_some_and(|d| Some(d) == ctx.odd.true_);
                    if !destroyed {
                        continue;
                    }
                    (State::Fired, None, cb)
                }
            }
        } else {
            let Some(cb) =
                ctx.edge(v, "_onImmediate").filter(|&c| ctx.kind(c) == NodeKind::Closure)
            else {
                continue;
            };
            if ctx.edge(v, "_destroyed").is_some_and(|d| Some(d) == ctx.odd.true_) {
                continue;
            }
            (State::Immediate, None, cb)
        };
        groups
            .entry((state, ctx.function_key(cb), duration))
            .or_insert_with(|| (Vec::new(), cb))
            .0
            .push(v);
    }
    let k = ctx.opts.min_identical;
    groups
        .into_iter()
        .map(|((state, _, duration), (timers, cb))| {
            let label = ctx.closure_label(cb);
            let n = timers.len();
            let list = duration.map(|d| format!(" in the {d} ms timer list")).unwrap_or_default();
            let (class, title, threshold, kind) = match state {
                State::Interval => (
                    "Timeout",
                    format!("{n} intervals never cleared{list}: {label}"),
                    k,
                    "setInterval",
                ),
                State::Pending => (
                    "Timeout",
                    format!("{n} pending timeouts{list}: {label}"),
                    k * 10,
                    "setTimeout (pending)",
                ),
                State::Fired => (
                    "Timeout",
                    format!(
                        "{n} fired timeouts still referenced, each keeping its callback: {label}"
                    ),
                    k,
                    "setTimeout (fired, still referenced)",
                ),
                State::Immediate => (
                    "Immediate",
                    format!("{n} pending immediates: {label}"),
                    k * 10,
                    "setImmediate (pending)",
                ),
            };
            let mut c = Candidate::new(Category::Timers, class, class, title, timers);
            c.structural = n as u64 >= threshold;
            c.facts = vec![Fact::text("timer", kind), Fact::text("callback", label)];
            if let Some(d) = duration {
                c.facts.push(Fact::number("duration_ms", d));
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
    fn intervals_never_cleared() {
        let r = scenario("intervals", &["baseline", "target", "final"]);
        let f = &r.findings[0];
        assert_eq!(f.category, Category::Timers, "{}", summary(&r));
        assert_eq!((f.class.as_str(), f.count), ("Timeout", 400));
        assert_eq!(f.growth.as_deref(), Some(&[0, 200, 400][..]));
        assert_eq!(f.survivors, Some(200));
        assert_eq!(f.fact("duration_ms").map(|v| v.to_string()).as_deref(), Some("60000"));
        assert!(f.fact("callback").unwrap().to_string().starts_with("pollStatus ("));
        assert!(
            f.retains.iter().any(|c| c.class == "PollState" && c.count == 400),
            "{:?}",
            f.retains
        );
        let p = &f.path().unwrap().text;
        assert!(p.contains("timerListMap[60000]") && p.contains("(._idle"), "{p}");
        assert_eq!(by_category(&r, Category::Timers).len(), 1, "{}", summary(&r));
    }

    #[test]
    fn one_snapshot_many_identical_intervals() {
        let r = scenario("intervals", &["target"]);
        let t = by_category(&r, Category::Timers);
        assert_eq!(t.len(), 1, "{}", summary(&r));
        assert_eq!(t[0].count, 200);
    }

    #[test]
    fn cleared_intervals_are_not_reported() {
        for phases in [&["final"][..], &["baseline", "target", "final"]] {
            let r = scenario("control", phases);
            assert!(by_category(&r, Category::Timers).is_empty(), "{}", summary(&r));
        }
    }

    #[test]
    fn fired_timeouts_kept_in_an_array() {
        let r = scenario("more-leaks", &["baseline", "target", "final"]);
        let t = by_category(&r, Category::Timers);
        assert_eq!(t.len(), 1, "{}", summary(&r));
        assert_eq!((t[0].class.as_str(), t[0].count), ("Timeout", 400));
        assert_eq!(t[0].fact("timer").unwrap().to_string(), "setTimeout (fired, still referenced)");
        assert!(t[0].fact("callback").unwrap().to_string().starts_with("retryRequest ("));
        assert_eq!(t[0].signature, "global.retryTimers[*]");
        assert!(t[0].retains.iter().any(|c| c.class == "RetryAttempt" && c.count == 400));
    }
}
