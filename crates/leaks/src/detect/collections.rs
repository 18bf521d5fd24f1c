//! Growing collections (memlab's "unbound collection"): `Map`s, `Set`s, arrays and
//! dictionary-mode objects whose entry count grows at every step across snapshots, matched by
//! the collection's id (its backing store is reallocated as it grows and gets new ids), or by
//! structure when ids are not comparable. The finding names the collection by the path
//! module's name of what holds it (`userCache` in `server.js`, `SessionCache.entries`) and its
//! entries by key and value: "Map `userCache` (server.js) grows 10 -> 60 entries: string ->
//! Session".
//!
//! The finding's objects are the entries, one per entry: the value, or the key where the
//! value is a number or an oddball (a `Set`'s entries are their keys). Keys are explained by
//! the finding but not counted, so counts and "new" say entries, whatever the keys are.
//!
//! With one snapshot only very large collections are reported
//! ([`LeakOptions::min_entries`](crate::LeakOptions::min_entries)): a big collection is not a
//! leak by itself.

use std::collections::BTreeMap;

use heapsnap_format::{EdgeKind, NodeIdx, NodeKind};

use crate::ctx::Ctx;
use crate::detect::Candidate;
use crate::finding::{Category, Fact};
use crate::shapes::{CollKind, collection, table_entries};
use heapsnap_graph::{EdgeStyle, Origin, edge_text};

/// A collection's live entries: key and value nodes (`None` where there is no node: a small
/// integer, an array index, a property name).
fn entries(
    ctx: &Ctx<'_, '_>,
    kind: CollKind,
    store: NodeIdx,
) -> Vec<(Option<NodeIdx>, Option<NodeIdx>)> {
    let g = ctx.g;
    let proto = ctx.names.get("__proto__");
    let noi = ctx.snap.edge_names_or_indices();
    match kind {
        CollKind::Map | CollKind::Set => table_entries(g, &ctx.odd, store, kind)
            .into_iter()
            .map(|e| if kind == CollKind::Set { (None, e.key) } else { (e.key, e.value) })
            .collect(),
        CollKind::Elements => g
            .edges(store)
            .filter(|&(e, t)| g.edge_kind(e) == EdgeKind::Element && !ctx.odd.is_hole(t))
            .map(|(_, t)| (None, Some(t)))
            .collect(),
        CollKind::Dict => g
            .edges(store)
            .filter(|&(e, _)| g.edge_kind(e) == EdgeKind::Property && Some(noi[e.index()]) != proto)
            .map(|(_, t)| (None, Some(t)))
            .collect(),
    }
}

/// Whether a key or value is an object of its own (not a number or an oddball): what a
/// finding counts and follows.
fn is_object(ctx: &Ctx<'_, '_>, v: NodeIdx) -> bool {
    !ctx.odd.is_oddball(v) && ctx.kind(v) != NodeKind::Number
}

/// The most common of `types`, objects before strings and numbers, then by name.
fn most_common(types: &BTreeMap<String, u64>) -> Option<String> {
    let primitive = |c: &str| matches!(c, "string" | "number" | "boolean" | "null" | "undefined");
    types
        .iter()
        .max_by_key(|(c, n)| (!primitive(c), **n, std::cmp::Reverse(c.to_string())))
        .map(|(c, _)| c.clone())
}

/// What holds the collection, named as the path module names it: a module's variable
/// (`userCache` of `server.js`), or the property of an object (`SessionCache.entries`).
/// Returns the owner as the `owner` fact writes it, and as a title writes it.
fn owner(ctx: &Ctx<'_, '_>, x: NodeIdx) -> (String, String) {
    let Some(p) = ctx.paths.path_to(x) else {
        let c = ctx.class(x).to_string();
        return (c.clone(), format!("`{c}`"));
    };
    let n = p.nodes.len();
    let (Some(&e), Some(&from)) = (p.edges.last(), n.checked_sub(2).and_then(|i| p.nodes.get(i)))
    else {
        let c = ctx.class(x).to_string();
        return (c.clone(), format!("`{c}`"));
    };
    // A variable of a module: `server.js: userCache`.
    if p.edges.len() == 1
        && matches!(ctx.paths.origin(from), Origin::ModuleScope | Origin::ScriptScope)
    {
        let text = ctx.paths.text(&p, EdgeStyle::Exact);
        let title = match text.rsplit_once(": ") {
            // `Window(file://) / page.html: widgets` is `widgets` of page.html.
            Some((scope, var)) => {
                let script = scope.rsplit(" / ").next().unwrap_or(scope);
                format!("`{var}` ({script})")
            }
            None => format!("`{text}`"),
        };
        return (text, title);
    }
    let text = format!(
        "{}{}",
        ctx.class(from).trim_end_matches(" / "),
        edge_text(ctx.g, e, EdgeStyle::Exact)
    );
    let title = format!("`{text}`");
    (text, title)
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
        let entries = entries(ctx, coll.kind, coll.store);
        // One object per entry (the value, else the key); the other keys are explained.
        let mut members = Vec::with_capacity(entries.len());
        let mut keys = Vec::new();
        let mut key_types: BTreeMap<String, u64> = BTreeMap::new();
        let mut value_types: BTreeMap<String, u64> = BTreeMap::new();
        let mut value_classes: BTreeMap<String, (u64, NodeIdx)> = BTreeMap::new();
        for &(k, v) in &entries {
            if coll.kind == CollKind::Map {
                let t = k.map_or_else(|| "number".to_string(), |k| ctx.value_type(k));
                *key_types.entry(t).or_default() += 1;
            }
            let t = v.map_or_else(|| "number".to_string(), |v| ctx.value_type(v));
            *value_types.entry(t).or_default() += 1;
            match (k.filter(|&k| is_object(ctx, k)), v.filter(|&v| is_object(ctx, v))) {
                (k, Some(v)) => {
                    members.push(v);
                    keys.extend(k);
                    value_classes.entry(ctx.value_type(v)).or_insert((0, v)).0 += 1;
                }
                (Some(k), None) => members.push(k),
                (None, None) => {}
            }
        }
        if coll.kind == CollKind::Dict {
            // Property names: strings, whatever V8 keeps them as.
            key_types.insert("string".to_string(), entries.len() as u64);
        }
        let value = most_common(&value_types).unwrap_or_else(|| "(empty)".to_string());
        let key = most_common(&key_types);
        let entry = match &key {
            Some(k) => format!("{k} -> {value}"),
            None => value.clone(),
        };
        // The class of the finding's objects: the values' (the keys' when values are numbers),
        // as DevTools names it; strings of every kind are `(string)`.
        let class_of = |m: NodeIdx| match ctx.value_type(m).as_str() {
            "string" => "(string)".to_string(),
            _ => ctx.display_class(m),
        };
        let (class, class_key) = match value_classes.get(&value) {
            Some(&(_, v)) => (class_of(v), ctx.simple_class(v)),
            None => match members.first() {
                Some(&m) => (class_of(m), ctx.simple_class(m)),
                None => (value.clone(), value.clone()),
            },
        };
        let (owner_fact, owner_title) = owner(ctx, x);
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
                format!("{what} {owner_title} grows {} entries: {entry}", steps.join(" -> "))
            }
            None => format!("{what} {owner_title} holds {size} entries: {entry}"),
        };
        let mut c = Candidate::new(Category::Collections, class, class_key, title, members);
        c.structural = structural;
        c.series = series;
        c.count = Some(size);
        c.anchor = Some(x);
        c.retained_roots = Some(vec![x]);
        c.explains = keys;
        c.facts = vec![
            Fact::text("collection", what),
            Fact::text("owner", owner_fact),
            Fact::number("entries", size),
        ];
        if let Some(k) = key {
            c.facts.push(Fact::text("key", k));
        }
        c.facts.push(Fact::text("value", value));
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
        // One object per entry: the values (the keys are explained, not counted).
        assert_eq!(f.survivors, Some(200));
        assert_eq!(f.members.len(), 200);
        assert_eq!(f.signature, "global.sessionCache.entries");
        assert_eq!(f.fact("owner").unwrap().to_string(), "SessionCache.entries");
        assert_eq!(f.fact("key").unwrap().to_string(), "string");
        assert_eq!(f.fact("value").unwrap().to_string(), "CacheEntry");
        assert_eq!(
            f.title,
            "Map `SessionCache.entries` grows 0 -> 200 entries: string -> CacheEntry"
        );
        assert_eq!(by_category(&r, Category::Collections).len(), 1, "{}", summary(&r));
    }

    #[test]
    fn array_growing_inside_a_worker() {
        let r = scenario("worker", &["baseline", "target", "final"]);
        let f = &r.findings[0];
        assert_eq!(f.category, Category::Collections, "{}", summary(&r));
        assert_eq!((f.class.as_str(), f.count), ("WorkerJobResult", 400));
        assert_eq!(f.growth.as_deref(), Some(&[0, 200, 400][..]));
        assert_eq!(f.survivors, Some(200));
        assert_eq!(f.signature, "global.jobResults");
        assert_eq!(
            f.title,
            "Array `global.jobResults` grows 0 -> 200 -> 400 entries: WorkerJobResult"
        );
    }

    #[test]
    fn bounded_and_cleared_maps_are_not_reported() {
        let r = scenario("control", &["baseline", "target", "final"]);
        assert!(by_category(&r, Category::Collections).is_empty(), "{}", summary(&r));
        let r = scenario("control", &["baseline", "target"]);
        assert!(by_category(&r, Category::Collections).is_empty(), "{}", summary(&r));
    }
}
