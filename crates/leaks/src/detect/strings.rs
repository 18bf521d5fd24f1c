//! Duplicated strings: the same text stored as many separate flat strings (DevTools'
//! "Duplicated strings" filter). V8's string table holds each distinct name once, so copies
//! share a name index; copies are also required to have the same size, because names are cut
//! at 1024 characters. Wasted bytes are every copy but one.

use std::collections::HashMap;

use heapsnap_format::{NodeIdx, NodeKind};

use crate::ctx::Ctx;
use crate::detect::Candidate;
use crate::finding::{Category, Fact};
use crate::shapes::FxBuild;

/// Most distinct strings proposed.
const MAX_GROUPS: usize = 20;

pub(crate) fn detect(ctx: &Ctx<'_, '_>) -> Vec<Candidate> {
    let names = ctx.snap.node_names();
    let sizes = ctx.snap.node_self_sizes();
    let is_flat = |i: usize| ctx.kind(NodeIdx(i as u32)) == NodeKind::String;
    let mut counts: HashMap<(u32, u32), u32, FxBuild> = HashMap::default();
    for i in 0..ctx.n() {
        if is_flat(i) && sizes[i] > 0 {
            *counts.entry((names[i], sizes[i])).or_default() += 1;
        }
    }
    let threshold = ctx.opts.min_wasted;
    let wanted: HashMap<(u32, u32), Vec<NodeIdx>, FxBuild> = counts
        .into_iter()
        .filter(|&((_, size), count)| u64::from(count - 1) * u64::from(size) >= threshold)
        .map(|(k, _)| (k, Vec::new()))
        .collect();
    if wanted.is_empty() {
        return Vec::new();
    }
    let mut wanted = wanted;
    for i in 0..ctx.n() {
        if is_flat(i)
            && let Some(v) = wanted.get_mut(&(names[i], sizes[i]))
            && ctx.reachable(NodeIdx(i as u32))
        {
            v.push(NodeIdx(i as u32));
        }
    }
    let mut groups: Vec<((u32, u32), Vec<NodeIdx>)> = wanted.into_iter().collect();
    // The most wasteful first; a report lists at most MAX_GROUPS strings.
    groups.sort_by_key(|((name, size), copies)| {
        (std::cmp::Reverse((copies.len() as u64).saturating_sub(1) * u64::from(*size)), *name)
    });
    groups.truncate(MAX_GROUPS);
    groups
        .into_iter()
        .filter(|(_, copies)| copies.len() >= 2)
        .map(|((_, size), copies)| {
            let text = ctx.name(copies[0]);
            let preview: String = text.chars().take(40).collect();
            let more = if text.chars().count() > 40 { "…" } else { "" };
            let wasted = (copies.len() as u64 - 1) * u64::from(size);
            let title = format!(
                "{} copies of the string {:?}{more} ({size} bytes each, {wasted} bytes wasted)",
                copies.len(),
                preview
            );
            let mut c =
                Candidate::new(Category::DuplicateStrings, "(string)", "(string)", title, copies);
            c.structural = wasted >= ctx.opts.min_wasted;
            c.facts = vec![
                Fact::number("wasted", wasted),
                Fact::number("bytes_each", u64::from(size)),
                Fact::text("value", format!("{preview}{more}")),
            ];
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::testutil::{by_category, report_files, summary};
    use crate::{Category, LeakOptions};

    #[test]
    fn healthy_heaps_have_no_costly_duplicates() {
        for f in ["hello.heapsnapshot.gz", "leaks/control-final.heapsnapshot.gz"] {
            let r = report_files(&[f.to_string()], &LeakOptions::default());
            assert!(by_category(&r, Category::DuplicateStrings).is_empty(), "{f}: {}", summary(&r));
        }
    }

    #[test]
    fn duplicates_over_a_lower_threshold() {
        // Node's own heap has a few small duplicated strings: with a low threshold they show.
        let opts = LeakOptions { min_wasted: 1, ..LeakOptions::default() };
        let r = report_files(&["hello.heapsnapshot.gz".to_string()], &opts);
        let d = by_category(&r, Category::DuplicateStrings);
        assert!(!d.is_empty());
        for f in d {
            assert!(f.count >= 2);
            assert_eq!(f.class, "(string)");
        }
    }

    #[test]
    fn a_page_stored_over_and_over() {
        let r = crate::testutil::scenario("more-leaks", &["final"]);
        let d = by_category(&r, Category::DuplicateStrings);
        assert_eq!(d.len(), 1, "{}", summary(&r));
        assert_eq!(d[0].count, 300);
        assert_eq!(d[0].fact("wasted").unwrap().to_string(), (299 * 4016).to_string());
        assert!(d[0].fact("value").unwrap().to_string().starts_with("<table><tr><td>row 000"));
        // With three snapshots the copies grow too.
        let r = crate::testutil::scenario("more-leaks", &["baseline", "target", "final"]);
        let d = by_category(&r, Category::DuplicateStrings);
        assert_eq!(d[0].growth.as_deref(), Some(&[0, 150, 300][..]));
    }
}
