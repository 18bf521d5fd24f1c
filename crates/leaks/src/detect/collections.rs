//! Growing collections (memlab's "unbound collection"): `Map`s, `Set`s, arrays and
//! dictionary-mode objects whose entry count grows at every step across snapshots, matched by
//! the collection's id (its backing store is reallocated as it grows and gets new ids), or by
//! structure when ids are not comparable. The
//! finding names the owning property (`SessionCache.entries`) and the class of the entries.
//!
//! With one snapshot only very large collections are reported
//! ([`LeakOptions::min_entries`](crate::LeakOptions::min_entries)): a big collection is not a
//! leak by itself.

use std::collections::BTreeMap;

use heapsnap_format::{EdgeKind, NodeIdx, NodeKind};

use crate::ctx::Ctx;
use crate::detect::Candidate;
use crate::finding::{Category, Fact};
use crate::shapes::{CollKind, collection, is_numeric};
use heapsnap_graph::{EdgeStyle, Origin, edge_text};

/// The objects a collection's entries point at (keys and values), oddballs and numbers left
/// out.
fn entries(ctx: &Ctx<'_, '_>, kind: CollKind, store: NodeIdx) -> Vec<NodeIdx> {
    let g = ctx.g;
    let proto = ctx.names.get("__proto__");
    let noi = ctx.snap.edge_names_or_indices();
    g.edges(store)
        .filter(|&(e, _)| match (kind, g.edge_kind(e)) {
            (CollKind::Elements, EdgeKind::Element) => true,
            (CollKind::Map | CollKind::Set, EdgeKind::Internal) => {
                is_numeric(crate::shapes::edge_name(g, e))
            }
            (CollKind::Dict, EdgeKind::Property) => Some(noi[e.index()]) != proto,
            _ => false,
        })
        .map(|(_, t)| t)
        .filter(|&t| !ctx.odd.is_oddball(t) && ctx.kind(t) != NodeKind::Number)
        .collect()
}

pub(crate) fn detect(ctx: &Ctx<'_, '_>) -> Vec<Candidate> {
    let hist = &ctx.hist;
    let multi = hist.matched() && !hist.priors.is_empty();
    let min = ctx.opts.min_growth.max(1);
    let mut out = Vec::new();
    for &(i, count) in &hist.last_collections {
        let x = NodeIdx(i);
        let size = u64::from(count);
        let structural = size >= ctx.opts.min_entries;
        let series: Option<Vec<Option<u64>>> =
            if multi { hist.collection_series(x, ctx.id(x), count) } else { None };
        let growing = series.as_ref().is_some_and(|s| {
            let existing: Vec<u64> = s.iter().flatten().copied().collect();
            existing.len() >= 2 && existing.windows(2).all(|w| w[1] >= w[0] + min)
        });
        if !(structural || growing) || !ctx.reachable(x) {
            continue;
        }
        // Node's own lists growing as it loads builtins on first use are not the program's.
        if !structural && ctx.runtime_machinery(x) {
            continue;
        }
        let Some(coll) = collection(ctx.g, &ctx.names, &ctx.odd, x) else { continue };
        let members = entries(ctx, coll.kind, coll.store);
        // The entries' class: the most common one, objects before strings.
        let mut classes: BTreeMap<String, u64> = BTreeMap::new();
        for &m in &members {
            *classes.entry(ctx.simple_class(m)).or_default() += 1;
        }
        let class = classes
            .iter()
            .max_by_key(|(c, n)| (c.as_str() != "(string)", **n, std::cmp::Reverse(c.to_string())))
            .map(|(c, _)| c.clone())
            .unwrap_or_else(|| "(empty)".to_string());
        let owner = ctx
            .paths
            .path_to(x)
            .and_then(|p| {
                let (&e, &from) = (p.edges.last()?, p.nodes.get(p.nodes.len().checked_sub(2)?)?);
                // A variable of a module: `server.js: userCache`.
                if p.edges.len() == 1
                    && matches!(ctx.paths.origin(from), Origin::ModuleScope | Origin::ScriptScope)
                {
                    return Some(ctx.paths.text(&p, EdgeStyle::Exact));
                }
                Some(format!(
                    "{}{}",
                    ctx.class(from).trim_end_matches(" / "),
                    edge_text(ctx.g, e, EdgeStyle::Exact)
                ))
            })
            .unwrap_or_else(|| ctx.class(x).to_string());
        let what = match coll.kind {
            CollKind::Elements if ctx.name(x) == "Array" => "Array".to_string(),
            CollKind::Map | CollKind::Set if ctx.name(x) == coll.kind.label() => {
                coll.kind.label().to_string()
            }
            k => format!("{} {}", ctx.class(x), k.label()),
        };
        let title = match series.as_ref().filter(|_| growing) {
            Some(s) => {
                let steps: Vec<String> =
                    s.iter().map(|x| x.map_or("-".to_string(), |v| v.to_string())).collect();
                format!("{what} {owner} grows: {} entries of {class}", steps.join(" -> "))
            }
            None => format!("{what} {owner} holds {size} entries of {class}"),
        };
        let mut c = Candidate::new(Category::Collections, class.clone(), class, title, members);
        c.structural = structural;
        c.series = series;
        c.count = Some(size);
        c.anchor = Some(x);
        c.retained_roots = Some(vec![x]);
        c.facts = vec![
            Fact::text("collection", what),
            Fact::text("owner", owner),
            Fact::number("entries", size),
        ];
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::Category;
    use crate::testutil::{by_category, scenario, summary};

    #[test]
    fn unbounded_map_cache() {
        let r = scenario("map-cache", &["baseline", "target"]);
        let f = &r.findings[0];
        assert_eq!(f.category, Category::Collections, "{}", summary(&r));
        assert_eq!((f.class.as_str(), f.count), ("CacheEntry", 200));
        assert_eq!(f.growth.as_deref(), Some(&[0, 200][..]));
        assert_eq!(f.signature, "global.sessionCache.entries");
        assert_eq!(f.fact("owner").unwrap().to_string(), "SessionCache.entries");
        assert_eq!(by_category(&r, Category::Collections).len(), 1, "{}", summary(&r));
    }

    #[test]
    fn array_growing_inside_a_worker() {
        let r = scenario("worker", &["baseline", "target", "final"]);
        let f = &r.findings[0];
        assert_eq!(f.category, Category::Collections, "{}", summary(&r));
        assert_eq!((f.class.as_str(), f.count), ("WorkerJobResult", 400));
        assert_eq!(f.growth.as_deref(), Some(&[0, 200, 400][..]));
        assert_eq!(f.signature, "global.jobResults");
    }

    #[test]
    fn bounded_and_cleared_maps_are_not_reported() {
        let r = scenario("control", &["baseline", "target", "final"]);
        assert!(by_category(&r, Category::Collections).is_empty(), "{}", summary(&r));
        let r = scenario("control", &["baseline", "target"]);
        assert!(by_category(&r, Category::Collections).is_empty(), "{}", summary(&r));
    }
}
