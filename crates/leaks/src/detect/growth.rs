//! Unexplained growth: the three-snapshot method for whatever the other detectors do not
//! explain. Classes whose object count grew at every step are candidates; their objects that
//! are new since the first snapshot (by id), not already part of another finding, are
//! clustered by the signature of their shortest retaining path. Triage then keeps the
//! clusters that grew at every step: with baseline, target and final, the objects allocated
//! between baseline and target that are still alive in final, plus more since.
//!
//! When ids are not comparable, objects are matched by structure (see `matching`): the new
//! ones are those beyond the count of their structural key in the first snapshot. Without
//! structural keys all objects of a growing class are clustered, and growth is the class
//! count. Objects held only through runtime internals are left out either way: they are the
//! runtime's own lazily created machinery (builtin modules loaded on first use, V8's caches).

use std::collections::{BTreeMap, HashMap};

use heapsnap_format::{NodeIdx, NodeKind};

use crate::ctx::{Ctx, RUNTIME_ONLY};
use crate::detect::Candidate;
use crate::finding::{Category, Fact};
use crate::shapes::simple_class;
use crate::triage::{Coverage, grows, grows_by_class};

/// Most objects of one class whose paths are computed (evenly sampled beyond).
const MAX_SAMPLE: usize = 20_000;

/// Classes that are V8's or Node's bookkeeping rather than program data, or whose ids change
/// in every snapshot.
fn ignored(class: &str) -> bool {
    class.starts_with("system / ")
        || class.starts_with("Node / ")
        || class.starts_with("Detached Node / ")
        || (class.starts_with('(') && !class.ends_with("()"))
}

pub(crate) fn detect(ctx: &Ctx<'_, '_>, cov: &Coverage) -> Vec<Candidate> {
    let hist = &ctx.hist;
    if hist.len() < 2 {
        return Vec::new();
    }
    let min = ctx.opts.min_growth.max(1);
    let growing: Vec<String> = hist
        .last
        .classes()
        .map(|(c, _)| c.to_string())
        .filter(|c| !ignored(c))
        .filter(|c| {
            let s = hist.class_series(c);
            if hist.matched() { grows(&s, min) } else { grows_by_class(&s, min) }
        })
        .collect();
    if growing.is_empty() {
        return Vec::new();
    }
    let wanted: std::collections::HashSet<&str> = growing.iter().map(String::as_str).collect();
    let snap = ctx.snap;
    let types = snap.node_types();
    let names = snap.node_names();
    // Class of each distinct (type, name), computed once.
    let mut class_of: HashMap<(u8, u32), Option<String>, crate::shapes::FxBuild> =
        HashMap::default();
    let mut members: BTreeMap<String, Vec<NodeIdx>> = BTreeMap::new();
    for i in 0..ctx.n() {
        let v = NodeIdx(i as u32);
        if !ctx.reachable(v) {
            continue;
        }
        if hist.matched() && hist.present(0, v, ctx.id(v)) {
            continue;
        }
        // What only the runtime's internals hold is the runtime's own (builtin modules loaded
        // since, V8's template and feedback caches): new, but not the program's growth.
        if ctx.path_rank(v).0 >= RUNTIME_ONLY {
            continue;
        }
        let class = class_of.entry((types[i], names[i])).or_insert_with(|| {
            let n = snap.node(v);
            let c = simple_class(n.kind(), n.kind_name(), n.name());
            wanted.contains(c.as_ref()).then(|| c.into_owned())
        });
        if let Some(c) = class {
            members.entry(c.clone()).or_default().push(v);
        }
    }
    // Objects another finding explains are not unexplained growth.
    for vs in members.values_mut() {
        let explained = cov.explained(ctx, vs);
        let mut it = explained.into_iter();
        vs.retain(|_| !it.next().unwrap_or(false));
    }
    let mut out = Vec::new();
    for (class_key, vs) in members {
        if (vs.len() as u64) < min {
            continue;
        }
        // Shown by DevTools' class names (a growing `Object` class may be several interface
        // classes, `{host, user-agent, accept}`), as `heapsnap diff` shows them.
        let mut by_class: BTreeMap<String, Vec<NodeIdx>> = BTreeMap::new();
        let mut names: HashMap<u32, String, crate::shapes::FxBuild> = HashMap::default();
        for &v in &vs {
            let name = if ctx.kind(v) == NodeKind::Closure {
                class_key.clone()
            } else {
                names
                    .entry(ctx.a.classes.of_node[v.index()])
                    .or_insert_with(|| ctx.display_class(v))
                    .clone()
            };
            by_class.entry(name).or_default().push(v);
        }
        for (class, vs) in by_class {
            let step = vs.len().div_ceil(MAX_SAMPLE).max(1);
            let mut by_sig: BTreeMap<String, Vec<NodeIdx>> = BTreeMap::new();
            for chunk in vs.chunks(step) {
                let sig = ctx.signature_of(chunk[0]).unwrap_or_default();
                by_sig.entry(sig).or_default().extend_from_slice(chunk);
            }
            for (_, group) in by_sig {
                if (group.len() as u64) < min {
                    continue;
                }
                out.push(candidate(ctx, &class, &class_key, group));
            }
        }
    }
    out
}

/// A cluster of new objects of one class held the same way.
fn candidate(ctx: &Ctx<'_, '_>, class: &str, class_key: &str, group: Vec<NodeIdx>) -> Candidate {
    let hist = &ctx.hist;
    let n = group.len();
    let what = match ctx.kind(group[0]) {
        NodeKind::Closure => "closures",
        NodeKind::Native => "native objects",
        _ => "objects",
    };
    let title = if hist.comparable {
        format!("{n} {class} {what} allocated since the first snapshot and still alive")
    } else if hist.matching.is_some() {
        format!(
            "{n} {class} {what} new since the first snapshot (matched by retaining path and \
             shape) and still alive"
        )
    } else {
        format!("{n} {class} {what} (class count growing)")
    };
    let mut c = Candidate::new(Category::Growth, class, class_key, title, group);
    c.facts = vec![Fact::text(
        "method",
        if hist.len() >= 3 {
            "three-snapshot (allocated between the first two, alive in the last)"
        } else {
            "two-snapshot (new since the first)"
        },
    )];
    c
}

#[cfg(test)]
mod tests {
    use crate::testutil::{by_category, scenario, summary};
    use crate::{Category, LeakOptions};

    #[test]
    fn growth_finds_what_other_detectors_are_off_for() {
        // With only the growth detector on, the map-cache leak still shows, as CacheEntry
        // objects held by the Map.
        let opts =
            LeakOptions { categories: Some(vec![Category::Growth]), ..LeakOptions::default() };
        let r = crate::testutil::scenario_with("map-cache", &["baseline", "target"], &opts);
        let f = r.findings.iter().find(|f| f.class == "CacheEntry").expect("CacheEntry");
        assert_eq!(f.category, Category::Growth, "{}", summary(&r));
        assert_eq!(f.count, 200);
        assert_eq!(f.signature, "global.sessionCache.entries{table}{*}");
        assert_eq!(f.growth.as_deref(), Some(&[0, 200][..]));
    }

    #[test]
    fn no_unexplained_growth_in_the_control() {
        for phases in
            [&["baseline", "target"][..], &["target", "final"], &["baseline", "target", "final"]]
        {
            let r = scenario("control", phases);
            assert!(by_category(&r, Category::Growth).is_empty(), "{phases:?}: {}", summary(&r));
        }
    }
}
