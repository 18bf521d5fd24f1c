//! Closures retaining large contexts (reference §3.3): V8 gives each scope one context shared
//! by every closure made in it, so one long-lived closure keeps every captured variable of its
//! scope alive, even those only other closures use. The classic case is Meteor's "theThing":
//! each new object holds a closure whose context holds the previous object, a chain that
//! never ends.
//!
//! Closures are grouped by function (their SharedFunctionInfo). A group is suspicious when
//! its contexts nest (a context of the function keeps another context of the same function
//! alive: a chain through a captured variable) and keep much memory alive, or when many
//! closures each keep a large context alive. Functions whose context is the native context
//! (module-level functions capture nothing) are skipped.

use std::collections::{BTreeMap, HashSet};

use heapsnap_format::{EdgeKind, NodeIdx, NodeKind};

use crate::ctx::Ctx;
use crate::detect::Candidate;
use crate::finding::{Category, Fact};

/// What each closure of a group must keep alive on average for "many closures keeping large
/// contexts alive".
const MIN_CONTEXT_EACH: u64 = 16 * 1024;

/// Groups below this are not worth a path search when they are not over a threshold.
const MIN_INTERESTING: u64 = 64 * 1024;

pub(crate) fn detect(ctx: &Ctx<'_, '_>) -> Vec<Candidate> {
    let Some(context_name) = ctx.names.get("system / Context") else { return Vec::new() };
    let names = ctx.snap.node_names();
    // function -> (closures, their contexts)
    let mut groups: BTreeMap<u32, (Vec<NodeIdx>, Vec<NodeIdx>)> = BTreeMap::new();
    for i in 0..ctx.n() {
        let f = NodeIdx(i as u32);
        if ctx.kind(f) != NodeKind::Closure || !ctx.reachable(f) {
            continue;
        }
        let Some(c) = ctx.edge(f, "context") else { continue };
        if names[c.index()] != context_name {
            continue;
        }
        let g = groups.entry(ctx.function_key(f)).or_default();
        g.0.push(f);
        g.1.push(c);
    }
    let opts = ctx.opts;
    let mut out = Vec::new();
    for (_, (closures, mut contexts)) in groups {
        if (closures.len() as u64) < 2 {
            continue;
        }
        contexts.sort_unstable();
        contexts.dedup();
        let top = ctx.top_level(&contexts);
        let nested = contexts.len() - top.len();
        let retained: u64 = top.iter().map(|v| ctx.a.retained[v.index()]).sum();
        let n = closures.len() as u64;
        let chain = nested as u64 >= opts.min_identical && retained >= opts.min_closure_retained;
        // Many closures, each keeping a sizable context alive (not merely many closures).
        let many = n >= 10 * opts.min_identical
            && retained >= 10 * opts.min_closure_retained
            && retained / n >= MIN_CONTEXT_EACH;
        let multi = ctx.hist.len() >= 2;
        if !(chain || many || (multi && retained >= MIN_INTERESTING)) {
            continue;
        }
        let f = closures[0];
        let label = ctx.closure_label(f);
        let class = ctx.simple_class(f);
        // The captured variable that keeps the most alive (the chain's link).
        let variable = variable_of(ctx, &top);
        let title = if nested > 0 {
            let via = variable.as_deref().map(|v| format!(" through `{v}`")).unwrap_or_default();
            format!("{n} closures of {label} chain their contexts {} deep{via}", nested + 1)
        } else {
            format!("{n} closures of {label} keep large contexts alive")
        };
        let mut c = Candidate::new(Category::Closures, class.clone(), class, title, closures);
        c.structural = chain || many;
        // A chain through captured variables holds its objects; closures in numbers are
        // usually held by something bigger (a collection), which explains them better.
        c.primary = nested as u64 >= opts.min_identical;
        c.retained_roots = Some(top);
        c.facts = vec![
            Fact::text("function", label),
            Fact::number("contexts", contexts.len() as u64),
            Fact::number("nested_contexts", nested as u64),
        ];
        if let Some(v) = variable {
            c.facts.push(Fact::text("variable", v));
        }
        out.push(c);
    }
    out
}

/// The context variable that retains the most, over the given contexts.
fn variable_of(ctx: &Ctx<'_, '_>, contexts: &[NodeIdx]) -> Option<String> {
    let g = ctx.g;
    let mut by_var: BTreeMap<&str, u64> = BTreeMap::new();
    let mut seen = HashSet::new();
    for &c in contexts.iter().take(1000) {
        for (e, t) in g.edges(c) {
            if g.edge_kind(e) == EdgeKind::Context && seen.insert((c.0, t.0)) {
                *by_var.entry(crate::shapes::edge_name(g, e)).or_default() +=
                    ctx.a.retained[t.index()];
            }
        }
    }
    by_var.into_iter().max_by_key(|&(v, r)| (r, std::cmp::Reverse(v))).map(|(v, _)| v.to_string())
}

#[cfg(test)]
mod tests {
    use crate::Category;
    use crate::testutil::{by_category, scenario, summary};

    #[test]
    fn the_thing_chain() {
        for phases in [&["baseline", "target", "final"][..], &["final"]] {
            let r = scenario("closure-context", phases);
            let f = &r.findings[0];
            assert_eq!(f.category, Category::Closures, "{}", summary(&r));
            assert_eq!((f.class.as_str(), f.count), ("someMethod()", 400));
            assert!(f.retained_size > 1_600_000, "{}", f.retained_size);
            assert_eq!(f.fact("variable").unwrap().to_string(), "originalThing");
            let leaky = f.retains.iter().find(|c| c.class == "LeakyThing").unwrap();
            assert!(leaky.count >= 398, "{:?}", f.retains);
            assert_eq!(
                f.signature,
                "global.theThing(.someMethod{context}->originalThing)\u{d7}*.someMethod"
            );
            assert!(f.path().unwrap().text.contains(")\u{d7}399"), "{}", f.path().unwrap().text);
            assert_eq!(by_category(&r, Category::Closures).len(), 1, "{}", summary(&r));
        }
    }

    #[test]
    fn no_closure_findings_in_the_control() {
        let r = scenario("control", &["baseline", "target", "final"]);
        assert!(by_category(&r, Category::Closures).is_empty(), "{}", summary(&r));
    }
}
