//! Path text: repeated runs written once, and how the node a path starts at is named.

use heapsnap_format::NodeIdx;

use crate::graph::HeapGraph;

/// How [`collapse_runs`] writes the length of a repeated run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runs {
    /// With its count: `(._idleNext)×104`.
    Count,
    /// As `×*`, so that chains of any length share one signature.
    Any,
}

/// Joins path segments, writing a run of a repeated block of up to four segments once as
/// `(block)×N` (or `(block)×*`, see [`Runs`]). Linked lists (Node's timer lists: `._idleNext`
/// hundreds of times) and closure chains (`.someMethod{context}->originalThing` repeated) stay
/// readable.
///
/// ```
/// use heapsnap_graph::{Runs, collapse_runs};
/// let segs: Vec<String> = [".a", ".n", ".n", ".n", ".b"].iter().map(|s| s.to_string()).collect();
/// assert_eq!(collapse_runs(&segs, Runs::Count), ".a(.n)\u{d7}3.b");
/// assert_eq!(collapse_runs(&segs, Runs::Any), ".a(.n)\u{d7}*.b");
/// ```
pub fn collapse_runs(segments: &[String], runs: Runs) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < segments.len() {
        let mut best: Option<(usize, usize)> = None; // (period, repeats)
        for p in 1..=4usize {
            if i + 2 * p > segments.len() {
                break;
            }
            let mut reps = 1;
            while i + (reps + 1) * p <= segments.len()
                && segments[i + reps * p..i + (reps + 1) * p] == segments[i..i + p]
            {
                reps += 1;
            }
            if reps >= 2 && best.is_none_or(|(bp, br)| reps * p > bp * br) {
                best = Some((p, reps));
            }
        }
        match best {
            Some((p, reps)) => {
                out.push('(');
                for s in &segments[i..i + p] {
                    out.push_str(s);
                }
                out.push_str(")\u{d7}");
                match runs {
                    Runs::Count => out.push_str(&reps.to_string()),
                    Runs::Any => out.push('*'),
                }
                i += p * reps;
            }
            None => {
                out.push_str(&segments[i]);
                i += 1;
            }
        }
    }
    out
}

/// How a node that starts a path (a node the root holds) is written: its name, with global
/// objects shortened (`global / ` is `global`, `Window [JSGlobalObject] / https://a.b` is
/// `Window(https://a.b)`), or `(kind)` when it has no name.
pub fn start_label(g: &HeapGraph<'_>, v: NodeIdx) -> String {
    let n = g.snapshot().node(v);
    let name = n.name();
    if name.is_empty() {
        return format!("({})", n.kind_name());
    }
    let (head, tail) = name.split_once(" / ").unwrap_or((name, ""));
    match head.strip_suffix(" [JSGlobalObject]") {
        Some(global) if tail.is_empty() => global.to_string(),
        Some(global) => format!("{global}({tail})"),
        None if tail.is_empty() => head.to_string(),
        None => name.to_string(),
    }
}

/// The notation of path texts, as (example, meaning) pairs: one source for the CLI's help and
/// the HTML report's legend.
pub const NOTATION: &[(&str, &str)] = &[
    ("server.js: userCache", "the variable userCache at the top level of module server.js"),
    ("Window(file://) / app.js: x", "a top-level let/const/class of the page script app.js"),
    ("global.x", "the property x of the global object"),
    ("Node / TCPSocketWrap", "an active handle (an open socket or server)"),
    (".name  [\"a b\"]", "a property (quoted if its name has a space or a dot)"),
    ("[3]", "an array element ([*] in signatures)"),
    ("->name", "a variable in a closure's context"),
    ("{context}", "an internal link: here, a closure's context"),
    ("{table}{17}", "a Map's or Set's table and one of its slots ({*})"),
    ("{ephemeron}", "a WeakMap entry"),
    ("[[name]]", "a weak reference"),
    ("[\"<symbol kEvents>\"]", "a property keyed by the symbol kEvents"),
    ("(.next)×400", "one link 400 times: a linked list (×* in signatures)"),
];

/// What [`NOTATION`] is followed by: how paths are chosen.
pub const NOTATION_NOTE: &str = "Paths go through the program's own variables and avoid runtime \
internals (Node's timer lists, engine objects) whenever such a path exists; \"held only by ...\" \
says when none does. --path shortest shows DevTools' shortest path instead.";

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn runs_collapse() {
        assert_eq!(
            collapse_runs(&v(&[".a", ".n", ".n", ".n", ".b"]), Runs::Any),
            ".a(.n)\u{d7}*.b"
        );
        assert_eq!(collapse_runs(&v(&[".n", ".n"]), Runs::Count), "(.n)\u{d7}2");
        let chain = v(&[".t", ".m", "{context}", "->o", ".m", "{context}", "->o", ".x"]);
        assert_eq!(collapse_runs(&chain, Runs::Any), ".t(.m{context}->o)\u{d7}*.x");
        assert_eq!(collapse_runs(&chain, Runs::Count), ".t(.m{context}->o)\u{d7}2.x");
        assert_eq!(collapse_runs(&v(&[".a", ".b"]), Runs::Any), ".a.b");
        let long: Vec<String> = std::iter::repeat_n("._idleNext".to_string(), 104).collect();
        assert_eq!(collapse_runs(&long, Runs::Count), "(._idleNext)\u{d7}104");
    }
}
