//! The HTML page: sections drawn here from the report's data, with CSS and JavaScript inline.

mod charts;
mod findings;
mod overview;
mod tables;
mod treemap;

use std::fmt::{self, Display, Write as _};
use std::io;

use serde_json::{Value, json};

use crate::Report;

/// The schema name of the data embedded in a report.
pub const SCHEMA: &str = "heapsnap.report/1";
/// The id of the `<script type="application/json">` element that holds the report's data.
pub const DATA_ID: &str = "heapsnap-data";

const CSS: &str = include_str!("../../assets/report.css");
const JS: &str = include_str!("../../assets/report.js");

/// The embedded data: the documents as given, the overview, the treemap and the watch series.
pub(crate) fn data(r: &Report) -> Value {
    json!({
        "schema": SCHEMA,
        "title": r.title,
        "snapshots": r.snapshots,
        "overview": r.overview,
        "info": r.info,
        "summary": r.summary,
        "leaks": r.leaks,
        "diff": r.diff,
        "treemap": r.treemap,
        "watch": r.watch.as_ref().map(|(file, s)| json!({"file": file, "series": s})),
    })
}

/// HTML-escapes text (element content and attribute values alike); control characters other
/// than tab and newline become U+FFFD.
pub(crate) struct Esc<'a>(pub(crate) &'a str);

impl Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let mut last = 0;
        for (i, c) in s.char_indices() {
            let rep = match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                '\t' | '\n' => continue,
                c if c.is_control() => "\u{fffd}",
                _ => continue,
            };
            f.write_str(&s[last..i])?;
            f.write_str(rep)?;
            last = i + c.len_utf8();
        }
        f.write_str(&s[last..])
    }
}

/// A string field of a JSON object (`""` when absent).
pub(crate) fn s<'v>(v: &'v Value, key: &str) -> &'v str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// An unsigned field of a JSON object (0 when absent).
pub(crate) fn u(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

/// A signed field of a JSON object (0 when absent).
pub(crate) fn i(v: &Value, key: &str) -> i64 {
    v.get(key).and_then(Value::as_i64).unwrap_or(0)
}

/// An array field of a JSON object (empty when absent).
pub(crate) fn arr<'v>(v: &'v Value, key: &str) -> &'v [Value] {
    v.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// `12.3%` of `total`, as the CLI's tables write it.
pub(crate) fn pct(x: u64, total: u64) -> String {
    format!("{:.1}%", x as f64 * 100.0 / total.max(1) as f64)
}

/// `s` cut to `max` characters, with `…` when cut.
pub(crate) fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// `1 finding`, `2 findings`.
pub(crate) fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The role of snapshot `k` of `n` (`baseline`, `target`, `final`).
pub(crate) fn role(k: usize, n: usize) -> &'static str {
    match (n, k) {
        (1, _) => "analyzed",
        (2, 0) => "baseline",
        (2, _) => "final",
        (_, 0) => "baseline",
        (_, 1) => "target",
        _ => "final",
    }
}

/// The whole page.
pub(crate) fn page(r: &Report) -> io::Result<String> {
    let mut h = String::with_capacity(256 << 10);
    page_into(&mut h, r).map_err(|_| io::Error::other("formatting the report failed"))?;
    Ok(h)
}

fn page_into(h: &mut String, r: &Report) -> fmt::Result {
    let title = Esc(&r.title);
    writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <meta name=\"generator\" content=\"heapsnap {}\">\n\
         <title>{title}</title>\n<link rel=\"icon\" href=\"data:,\">\n<style>\n{CSS}</style>\n\
         </head>\n<body>",
        env!("CARGO_PKG_VERSION")
    )?;
    let has_watch = r.watch.is_some();
    let has_diff = r.diff.is_some();
    let findings = arr(&r.leaks, "findings").len();
    write!(h, "<header class=\"top\">\n<h1>{title}</h1>\n<nav aria-label=\"Sections\"><ul>")?;
    let mut links = vec![("overview", "Overview".to_string())];
    links.push(("leaks", format!("Leaks ({findings})")));
    if has_watch {
        links.push(("watch", "Heap over time".to_string()));
    }
    links.push(("treemap", "Largest retainers".to_string()));
    if has_diff {
        links.push(("comparison", "Comparison".to_string()));
    }
    links.push(("summary", "Summary".to_string()));
    for (id, label) in &links {
        write!(h, "<li><a href=\"#{id}\">{}</a></li>", Esc(label))?;
    }
    h.push_str("</ul></nav>\n</header>\n<main>\n");
    overview::section(h, r)?;
    findings::section(h, r)?;
    if let Some((file, series)) = &r.watch {
        charts::watch_section(h, file, series)?;
    }
    treemap::section(h, &r.treemap)?;
    if let Some(d) = &r.diff {
        tables::comparison(h, d)?;
    }
    tables::summary(h, &r.summary, r.overview.total_size)?;
    writeln!(
        h,
        "</main>\n<footer><p>Made by <code>heapsnap report</code> {}: one file, nothing loaded \
         from the network. The data below the page (<code>#{DATA_ID}</code>, schema \
         <code>{SCHEMA}</code>) holds the JSON documents this page was drawn from.</p></footer>",
        env!("CARGO_PKG_VERSION")
    )?;
    let data = serde_json::to_string(&data(r)).map_err(|_| fmt::Error)?;
    // `<` never appears outside JSON strings, where `\u003c` means the same: no `</script>`
    // or `<!--` can end the block early.
    writeln!(
        h,
        "<script type=\"application/json\" id=\"{DATA_ID}\">{}</script>",
        data.replace('<', "\\u003c")
    )?;
    writeln!(h, "<script>\n{JS}</script>\n</body>\n</html>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Overview, Treemap, WatchSample, WatchSeries};

    /// A report whose every text comes from the heap, all of it hostile.
    fn hostile() -> Report {
        let evil = "</script><script>alert(1)</script><img src=x onerror=alert(2)>";
        let steps = serde_json::json!([
            {"edge": null, "node": {"id": 1, "name": evil, "class": evil}},
            {"edge": format!(".{evil}"), "node": {"id": 2, "name": evil, "class": "Foo"}},
        ]);
        let finding = serde_json::json!({
            "rank": 1, "category": evil, "class": evil, "title": evil, "count": 3,
            "self_size": 10, "retained_size": 1536, "growth": [0, 1, 3], "survivors": 1,
            "path": {"text": evil, "steps": steps}, "holders": [{"text": evil, "steps": steps}],
            "retains": [{"class": evil, "count": 1, "size": 5}], "facts": {evil: evil},
            "ids": [1, 2], "allocation_site": {"function": "makeThing", "script": "app.js",
                "line": 12, "column": 3},
        });
        Report {
            title: evil.to_string(),
            snapshots: vec![evil.to_string()],
            overview: Overview {
                total_size: 100,
                node_count: 1,
                unreachable: 0,
                user_roots: 0,
                types: Vec::new(),
            },
            info: serde_json::json!({"warnings": [evil]}),
            summary: serde_json::json!({"file": evil, "classes": [{"name": evil, "key": evil,
                "count": 1, "self_size": 1, "retained_size": 1, "distance": 1}]}),
            leaks: serde_json::json!({"findings": [finding], "gate": {"failed": true,
                "reasons": [evil]}}),
            diff: Some(
                serde_json::json!({"before": evil, "after": evil, "classes": [{"name": evil,
                "key": evil, "noise": evil, "holders": [{"signature": evil, "count": 1}]}],
                "hidden": {evil: 1}, "by_name": [{"name": evil}]}),
            ),
            treemap: Treemap { total: 100, threshold: 1, cells: Vec::new() },
            watch: Some((
                evil.to_string(),
                WatchSeries {
                    target: Some(evil.to_string()),
                    gc: None,
                    samples: vec![WatchSample {
                        t_ms: 0,
                        used_size: 1,
                        total_size: 2,
                        warning: true,
                    }],
                },
            )),
        }
    }

    #[test]
    fn heap_texts_cannot_become_markup() {
        let r = hostile();
        let html = page(&r).unwrap();
        assert!(!html.contains("<script>alert"), "a script tag from the heap");
        assert!(!html.contains("<img"), "an element from the heap");
        assert_eq!(html.matches("<script").count(), 2, "the data block and our script only");
        // The data block still parses back to the same documents.
        let open = format!("<script type=\"application/json\" id=\"{DATA_ID}\">");
        let start = html.find(&open).unwrap() + open.len();
        let end = start + html[start..].find("</script>").unwrap();
        let back: Value = serde_json::from_str(&html[start..end]).unwrap();
        assert_eq!(back, data(&r));
        // The allocation site, the growth and the gate are shown.
        assert!(html.contains("<h4>Allocation site</h4>"));
        assert!(html.contains("makeThing (app.js:12:3)"));
        assert!(html.contains("aria-label=\"objects per snapshot: 0, 1, 3\""));
        assert!(html.contains("retains 1.5 KiB"));
    }

    #[test]
    fn escaping() {
        assert_eq!(
            Esc("<a href=\"x\">'&'</a>\u{0}\n").to_string(),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;\u{fffd}\n"
        );
        assert_eq!(Esc("plain ünïcode").to_string(), "plain ünïcode");
        assert_eq!(cut("abcdef", 3), "abc…");
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(pct(1, 3), "33.3%");
        assert_eq!(pct(0, 0), "0.0%");
    }
}
