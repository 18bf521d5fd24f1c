//! Detached DOM (reference §2.3, §3.6): DOM nodes of Chrome/Electron snapshots that are no
//! longer in a document (detachedness 2 after DevTools' propagation) but that JavaScript still
//! keeps alive. Detached nodes are grouped into trees (connected through their edges), each
//! tree is entered where the heap's shortest path reaches it (the JS reference that keeps the
//! whole tree alive), and trees held the same way form one finding.
//!
//! Node.js also marks its *weak* native objects detached (`Node / FileHandle`,
//! `Node / BindingData`... in Node 20): they are not DOM and never reported. A node counts as
//! DOM when its name is a tag (`<div id="x">`), an `HTML…Element`/`SVG…Element`, or one of
//! the other DOM node classes.

use std::collections::{BTreeMap, HashMap};

use heapsnap_format::{EdgeKind, NodeIdx, NodeKind};

use crate::ctx::Ctx;
use crate::detect::Candidate;
use crate::finding::{Category, Fact};

/// DOM node classes besides elements.
const DOM_CLASSES: &[&str] = &[
    "Text",
    "Comment",
    "CDATASection",
    "DocumentFragment",
    "ShadowRoot",
    "Attr",
    "Document",
    "HTMLDocument",
    "XMLDocument",
    "DocumentType",
    "ProcessingInstruction",
];

/// Whether a native node's name (without a `Detached ` prefix) is a DOM node's.
pub(crate) fn is_dom_name(name: &str) -> bool {
    let name = name.strip_prefix("Detached ").unwrap_or(name);
    if name.starts_with("Node / ") {
        return false;
    }
    if name.starts_with('<') {
        return true;
    }
    let word = name.split([' ', '/']).next().unwrap_or("");
    ((word.starts_with("HTML") || word.starts_with("SVG")) && word.ends_with("Element"))
        || DOM_CLASSES.contains(&word)
}

/// DOM event listeners registered on `nodes` (Blink's `V8EventListener` natives, which hold
/// the JS handler), found through the nodes' internal native objects (up to 8 levels of
/// `InternalNode`/`EventListener…` natives, not through other DOM nodes).
fn event_listeners(ctx: &Ctx<'_, '_>, nodes: &[NodeIdx]) -> std::collections::BTreeSet<NodeIdx> {
    let g = ctx.g;
    let mut found = std::collections::BTreeSet::new();
    let mut seen = std::collections::HashSet::new();
    for &m in nodes {
        let mut frontier = vec![m];
        for _ in 0..8 {
            let mut next = Vec::new();
            for v in frontier {
                for (e, t) in g.edges(v) {
                    if g.edge_kind(e) == EdgeKind::Weak || ctx.kind(t) != NodeKind::Native {
                        continue;
                    }
                    // Newer Chromium names the natives of detached nodes `Detached …` too,
                    // and keeps the listeners in `blink::EventTargetData`.
                    let name = ctx.name(t);
                    let name = name.strip_prefix("Detached ").unwrap_or(name);
                    if name == "V8EventListener" {
                        found.insert(t);
                    } else if (name == "InternalNode"
                        || name.contains("EventListener")
                        || name == "blink::EventTargetData")
                        && seen.insert(t.0)
                    {
                        next.push(t);
                    }
                }
            }
            frontier = next;
        }
    }
    found
}

pub(crate) fn detect(ctx: &Ctx<'_, '_>) -> Vec<Candidate> {
    let g = ctx.g;
    let n = ctx.n();
    let detached: Vec<bool> = (0..n)
        .map(|i| {
            let v = NodeIdx(i as u32);
            ctx.a.detachedness[i] == 2
                && ctx.kind(v) == NodeKind::Native
                && is_dom_name(ctx.name(v))
                && ctx.reachable(v)
        })
        .collect();
    if !detached.iter().any(|&d| d) {
        return Vec::new();
    }
    // Trees: connected components of detached DOM nodes over retaining edges (union-find).
    let mut parent: HashMap<u32, u32> = HashMap::new();
    fn find(parent: &mut HashMap<u32, u32>, x: u32) -> u32 {
        let mut r = x;
        while let Some(&p) = parent.get(&r) {
            if p == r {
                break;
            }
            r = p;
        }
        let mut y = x;
        while let Some(&p) = parent.get(&y) {
            if p == r {
                break;
            }
            parent.insert(y, r);
            y = p;
        }
        r
    }
    for i in 0..n {
        if detached[i] {
            parent.insert(i as u32, i as u32);
        }
    }
    for i in 0..n {
        if !detached[i] {
            continue;
        }
        for (e, t) in g.edges(NodeIdx(i as u32)) {
            if detached[t.index()] && g.edge_kind(e) != EdgeKind::Weak {
                let (a, b) = (find(&mut parent, i as u32), find(&mut parent, t.0));
                if a != b {
                    parent.insert(a.max(b), a.min(b));
                }
            }
        }
    }
    let mut trees: BTreeMap<u32, Vec<NodeIdx>> = BTreeMap::new();
    for i in 0..n {
        if detached[i] {
            let r = find(&mut parent, i as u32);
            trees.entry(r).or_default().push(NodeIdx(i as u32));
        }
    }
    // Trees held the same way (entry class and path signature) form one group.
    let mut groups: BTreeMap<(String, String), (Vec<NodeIdx>, u64, NodeIdx)> = BTreeMap::new();
    for nodes in trees.into_values() {
        let Some(&entry) = nodes.iter().min_by_key(|&&v| (ctx.path_rank(v), ctx.id(v))) else {
            continue;
        };
        let key = (ctx.class(entry).to_string(), ctx.signature_of(entry).unwrap_or_default());
        let grp = groups.entry(key).or_insert_with(|| (Vec::new(), 0, entry));
        grp.0.extend(nodes);
        grp.1 += 1;
    }
    groups
        .into_iter()
        .map(|((class, _), (members, trees, entry))| {
            let count = members.len();
            let listeners = event_listeners(ctx, &members);
            let with = if listeners.is_empty() {
                String::new()
            } else {
                format!(", {} event listeners", listeners.len())
            };
            let title = if trees == 1 {
                format!("a detached DOM tree of {count} nodes{with} ({class}) held from JavaScript")
            } else {
                format!(
                    "{trees} detached DOM trees, {count} nodes{with} ({class}) held from JavaScript"
                )
            };
            let key = ctx.simple_class(entry);
            let mut c = Candidate::new(Category::DetachedDom, class, key, title, members);
            c.structural = count as u64 >= ctx.opts.min_detached;
            c.representative = Some(entry);
            c.facts = vec![
                Fact::number("trees", trees),
                Fact::number("event_listeners", listeners.len() as u64),
            ];
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::is_dom_name;
    use crate::testutil::{by_category, report_files, summary};
    use crate::{Category, LeakOptions};

    #[test]
    fn dom_names() {
        assert!(is_dom_name("<div id=\"a\">"));
        assert!(is_dom_name("Detached <li>"));
        assert!(is_dom_name("HTMLDivElement"));
        assert!(is_dom_name("Detached SVGPathElement"));
        assert!(is_dom_name("Text"));
        assert!(!is_dom_name("Node / FileHandle"));
        assert!(!is_dom_name("Detached Node / BindingData"));
        assert!(!is_dom_name("V8EventListener"));
        assert!(!is_dom_name("HTMLCollection"));
    }

    #[test]
    fn detached_trees_in_a_chromium_page() {
        let r = crate::testutil::scenario("detached-dom", &["baseline", "target", "final"]);
        let f = &r.findings[0];
        assert_eq!(f.category, Category::DetachedDom, "{}", summary(&r));
        assert_eq!((f.class.as_str(), f.count), ("Detached <section>", 1200));
        assert_eq!(f.fact("trees").unwrap().to_string(), "100");
        assert_eq!(f.fact("event_listeners").unwrap().to_string(), "100");
        assert_eq!(f.growth.as_deref(), Some(&[0, 600, 1200][..]));
        assert_eq!(f.signature, "Window(file://).widgetCache[*].el");
        // The array of records that hold the trees is the same leak: one finding.
        assert_eq!(r.findings.len(), 1, "{}", summary(&r));
        // Attached widgets and dropped ones are not reported: one snapshot, before the leak.
        let base = crate::testutil::scenario("detached-dom", &["baseline"]);
        assert!(base.findings.is_empty(), "{}", summary(&base));
    }

    #[test]
    fn node_weak_natives_are_not_dom() {
        // Node 20 snapshots mark weak BaseObjects detached: none of them is reported.
        for f in ["hello.heapsnapshot.gz", "leaks/sockets-final.heapsnapshot.gz"] {
            let r = report_files(&[f.to_string()], &LeakOptions::default());
            assert!(by_category(&r, Category::DetachedDom).is_empty(), "{f}: {}", summary(&r));
        }
    }
}
