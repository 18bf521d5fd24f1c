//! Whole-report tests on the real fixtures: precision on healthy and steady heaps, the
//! one-explanation-per-object rule, determinism.

use crate::testutil::{scenario, summary};
use crate::{Category, GrowthBasis};

#[test]
fn a_steady_state_is_not_a_leak() {
    // Sockets, intervals, cycles, listeners and a cache turned over but never growing.
    for phases in
        [&["baseline", "target", "final"][..], &["baseline", "target"], &["target", "final"]]
    {
        let r = scenario("steady", phases);
        assert_eq!(r.growth_basis, GrowthBasis::Ids);
        assert!(r.findings.is_empty(), "{phases:?}: {}", summary(&r));
    }
    // One snapshot cannot tell a steady pool from a leak: over the thresholds, it reports
    // (the 60 small cycles keep too little alive to be reported without growth).
    let r = scenario("steady", &["final"]);
    let mut cats: Vec<(Category, &str)> =
        r.findings.iter().map(|f| (f.category, f.class.as_str())).collect();
    cats.sort();
    assert_eq!(
        cats,
        [
            (Category::Listeners, "onSteadyTick()"),
            (Category::Timers, "Timeout"),
            (Category::Resources, "Socket"),
            (Category::Resources, "SteadyClientSocket"),
        ],
        "{}",
        summary(&r)
    );
}

#[test]
fn one_explanation_per_object() {
    // The listener Array under _events is a growing collection too, and the registry of
    // cycles a growing array: the more specific finding keeps them.
    for (name, phases) in [
        ("listeners", &["baseline", "target", "final"][..]),
        ("cycles", &["baseline", "target"]),
        ("sockets", &["baseline", "target", "final"]),
    ] {
        let r = scenario(name, phases);
        assert!(r.merged >= 1, "{name}: {}", summary(&r));
        let cats: Vec<Category> = r.findings.iter().map(|f| f.category).collect();
        assert!(!cats.contains(&Category::Collections), "{name}: {}", summary(&r));
        assert!(!cats.contains(&Category::Growth), "{name}: {}", summary(&r));
    }
}

#[test]
fn reports_are_deterministic() {
    let a = scenario("sockets", &["baseline", "target", "final"]);
    let b = scenario("sockets", &["baseline", "target", "final"]);
    assert_eq!(summary(&a), summary(&b));
    let paths = |r: &crate::LeakReport| -> Vec<String> {
        r.findings.iter().flat_map(|f| f.holders.iter().map(|h| h.text.clone())).collect()
    };
    assert_eq!(paths(&a), paths(&b));
}
