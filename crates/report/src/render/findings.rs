//! The leaks report: one expandable finding per `heapsnap.leaks/1` finding, its retaining
//! paths as trees, what it keeps alive and how it grew.

use std::fmt::{self, Write as _};

use serde_json::Value;

use super::{Esc, arr, charts, cut, s, u};
use crate::{Report, human_bytes};

pub(crate) fn legend(h: &mut String) -> fmt::Result {
    h.push_str(
        "<aside class=\"legend\" aria-labelledby=\"legend-h\"><h3 id=\"legend-h\">Path notation</h3><dl>",
    );
    // The CLI's table (heapsnap-graph), so the page and `leaks --help` never disagree.
    for (k, v) in heapsnap_graph::NOTATION {
        write!(h, "<dt><code>{}</code></dt><dd>{}</dd>", Esc(k), Esc(v))?;
    }
    writeln!(h, "</dl><p>{}</p></aside>", Esc(heapsnap_graph::NOTATION_NOTE))?;
    Ok(())
}

pub(crate) fn section(h: &mut String, r: &Report) -> fmt::Result {
    let leaks = &r.leaks;
    let findings = arr(leaks, "findings");
    let n = r.snapshots.len();
    h.push_str(
        "<section id=\"leaks\" aria-labelledby=\"leaks-h\">\n<h2 id=\"leaks-h\">Leaks</h2>\n",
    );
    if findings.is_empty() {
        h.push_str("<p class=\"ok\">no leaks found</p>\n");
    } else {
        writeln!(
            h,
            "<p>{} finding{}, most important first. Open one to see what holds it.</p>",
            findings.len(),
            if findings.len() == 1 { "" } else { "s" }
        )?;
    }
    let below = u(leaks, "below_threshold");
    let merged = u(leaks, "merged");
    if below > 0 || merged > 0 {
        writeln!(
            h,
            "<p class=\"muted\">not reported: {below} candidates below the thresholds, {merged} \
             explained by another finding</p>"
        )?;
    }
    if !findings.is_empty() {
        legend(h)?;
        h.push_str(
            "<div class=\"tools\"><button type=\"button\" data-expand=\"open\">Expand all</button> \
             <button type=\"button\" data-expand=\"close\">Collapse all</button></div>\n",
        );
    }
    for f in findings {
        finding(h, f, n)?;
    }
    h.push_str("</section>\n");
    Ok(())
}

fn finding(h: &mut String, f: &Value, n: usize) -> fmt::Result {
    let rank = u(f, "rank");
    let category = s(f, "category");
    let growth: Vec<u64> = arr(f, "growth").iter().filter_map(Value::as_u64).collect();
    write!(
        h,
        "<details class=\"finding\" id=\"finding-{rank}\" data-category=\"{}\">\n<summary>\
         <span class=\"f-rank\">#{rank}</span> <span class=\"f-cat\">{}</span> \
         <span class=\"f-title\">{}</span><span class=\"f-meta\"><span class=\"f-class\">{}</span> \
         ×{} · retains {}",
        Esc(category),
        Esc(category),
        Esc(s(f, "title")),
        Esc(s(f, "class")),
        u(f, "count"),
        human_bytes(u(f, "retained_size"))
    )?;
    if !growth.is_empty() {
        let text: Vec<String> = growth.iter().map(u64::to_string).collect();
        write!(h, " · growth {}", text.join(" → "))?;
        charts::sparkline(h, &growth)?;
    }
    h.push_str("</span></summary>\n<div class=\"f-body\">\n<div class=\"f-paths\">\n");
    let holders = arr(f, "holders");
    if holders.is_empty() {
        if let Some(p) = f.get("path").filter(|p| !p.is_null()) {
            holder(h, p, 0)?;
        } else {
            h.push_str("<p class=\"muted\">nothing retains these objects from the roots</p>");
        }
    } else {
        writeln!(
            h,
            "<h4>Held by{}</h4>",
            if holders.len() > 1 {
                format!(" {} independent holders", holders.len())
            } else {
                String::new()
            }
        )?;
        for (k, p) in holders.iter().enumerate() {
            holder(h, p, k)?;
        }
    }
    h.push_str("</div>\n<div class=\"f-side\">\n");
    let retains = arr(f, "retains");
    if !retains.is_empty() {
        h.push_str(
            "<h4>Keeps alive</h4>\n<table class=\"mini\"><thead><tr><th scope=\"col\">Class</th>\
             <th scope=\"col\">Objects</th><th scope=\"col\">Size</th></tr></thead><tbody>",
        );
        for c in retains {
            write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                Esc(s(c, "class")),
                u(c, "count"),
                human_bytes(u(c, "size"))
            )?;
        }
        h.push_str("</tbody></table>\n");
    }
    if !growth.is_empty() {
        h.push_str("<h4>Growth</h4>\n");
        charts::growth_bars(h, &growth, n)?;
        if let Some(sv) = f.get("survivors").and_then(Value::as_u64) {
            let text = if growth.len() >= 3 {
                format!("{sv} allocated between snapshots 1 and 2, still alive")
            } else {
                format!("{sv} new")
            };
            writeln!(h, "<p class=\"muted\">{}</p>", Esc(&text))?;
        }
    }
    if let Some(site) = f.get("allocation_site").or_else(|| f.get("allocation")) {
        allocation_site(h, site)?;
    }
    let facts = f.get("facts").and_then(Value::as_object);
    let ids: Vec<String> =
        arr(f, "ids").iter().filter_map(Value::as_u64).map(|i| format!("@{i}")).collect();
    if facts.is_some_and(|m| !m.is_empty()) || !ids.is_empty() {
        h.push_str("<h4>Details</h4>\n<dl class=\"facts\">");
        for (k, v) in facts.into_iter().flatten() {
            let text = match v {
                Value::String(t) => t.clone(),
                other => other.to_string(),
            };
            write!(h, "<dt>{}</dt><dd>{}</dd>", Esc(k), Esc(&text))?;
        }
        if !ids.is_empty() {
            let more = u(f, "count").saturating_sub(ids.len() as u64);
            write!(
                h,
                "<dt>object ids</dt><dd class=\"ids\">{}{}</dd>",
                Esc(&ids.join(" ")),
                if more > 0 { format!(" and {more} more") } else { String::new() }
            )?;
        }
        h.push_str("</dl>\n");
    }
    h.push_str("</div>\n</div>\n</details>\n");
    Ok(())
}

/// An allocation site, whatever shape the document gives it: a text, an object with
/// `function`, `script` (or `url`), `line`, `column`, or a list of such frames (a stack).
fn allocation_site(h: &mut String, site: &Value) -> fmt::Result {
    fn frame(v: &Value) -> String {
        match v {
            Value::String(t) => t.clone(),
            Value::Object(_) => {
                let func = s(v, "function");
                let script = if s(v, "script").is_empty() { s(v, "url") } else { s(v, "script") };
                let mut t =
                    if func.is_empty() { "(anonymous)".to_string() } else { func.to_string() };
                if !script.is_empty() {
                    t.push_str(&format!(" ({script}"));
                    if let Some(l) = v.get("line").and_then(Value::as_u64) {
                        t.push_str(&format!(":{l}"));
                        if let Some(c) = v.get("column").and_then(Value::as_u64) {
                            t.push_str(&format!(":{c}"));
                        }
                    }
                    t.push(')');
                }
                t
            }
            other => other.to_string(),
        }
    }
    if site.is_null() {
        return Ok(());
    }
    h.push_str("<h4>Allocation site</h4>\n<ol class=\"stack\">");
    let frames: Vec<&Value> = match site {
        Value::Array(v) => v.iter().collect(),
        Value::Object(m) if m.get("stack").is_some_and(Value::is_array) => {
            arr(site, "stack").iter().collect()
        }
        other => vec![other],
    };
    for fr in frames {
        write!(h, "<li><code>{}</code></li>", Esc(&frame(fr)))?;
    }
    h.push_str("</ol>\n");
    Ok(())
}

/// One retaining path: its text (the CLI's), then the path holder by holder.
fn holder(h: &mut String, p: &Value, k: usize) -> fmt::Result {
    write!(
        h,
        "<details class=\"holder\"{}><summary><code class=\"path-text\">{}</code>",
        if k == 0 { " open" } else { "" },
        Esc(s(p, "text"))
    )?;
    let origin = s(p, "origin");
    if !origin.is_empty() {
        write!(h, " <span class=\"badge\">{}</span>", Esc(origin))?;
    }
    h.push_str("</summary>\n");
    let script = s(p, "script");
    if !script.is_empty() {
        write!(h, "<p class=\"muted\">in <code>{}</code></p>", Esc(script))?;
    }
    let note = s(p, "note");
    if !note.is_empty() {
        write!(h, "<p class=\"note\">{}</p>", Esc(note))?;
    }
    let steps = arr(p, "steps");
    h.push_str("<ol class=\"path-tree\">");
    steps_html(h, steps)?;
    h.push_str("</ol>\n</details>\n");
    Ok(())
}

/// Repeated blocks of up to four steps (same edge, same class) are shown once at each end,
/// with the middle in a collapsed list.
fn steps_html(h: &mut String, steps: &[Value]) -> fmt::Result {
    fn key(st: &Value) -> (&str, &str) {
        (st.get("edge").and_then(Value::as_str).unwrap_or(""), s(&st["node"], "class"))
    }
    let keys: Vec<(&str, &str)> = steps.iter().map(key).collect();
    let mut i = 0;
    while i < steps.len() {
        let mut best: Option<(usize, usize)> = None;
        if i > 0 {
            for p in 1..=4usize {
                let mut reps = 1;
                while i + (reps + 1) * p <= keys.len()
                    && keys[i + reps * p..i + (reps + 1) * p] == keys[i..i + p]
                {
                    reps += 1;
                }
                if reps >= 3 && best.is_none_or(|(bp, br)| reps * p > bp * br) {
                    best = Some((p, reps));
                }
            }
        }
        match best {
            Some((p, reps)) => {
                for st in &steps[i..i + p] {
                    step(h, st)?;
                }
                let hidden = &steps[i + p..i + (reps - 1) * p];
                let block: String = keys[i..i + p]
                    .iter()
                    .map(|(e, c)| format!("{e} → {c}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                write!(
                    h,
                    "<li class=\"run\"><details><summary>{} more steps: ({})×{}</summary><ol>",
                    hidden.len(),
                    Esc(&block),
                    reps - 2
                )?;
                for st in hidden {
                    step(h, st)?;
                }
                h.push_str("</ol></details></li>");
                for st in &steps[i + (reps - 1) * p..i + reps * p] {
                    step(h, st)?;
                }
                i += reps * p;
            }
            None => {
                step(h, &steps[i])?;
                i += 1;
            }
        }
    }
    Ok(())
}

fn step(h: &mut String, st: &Value) -> fmt::Result {
    let node = &st["node"];
    let class = s(node, "class");
    let name = s(node, "name");
    h.push_str("<li class=\"step\">");
    if let Some(e) = st.get("edge").and_then(Value::as_str) {
        write!(h, "<code class=\"edge\">{}</code> <span aria-hidden=\"true\">→</span> ", Esc(e))?;
    }
    write!(h, "<span class=\"cls\">{}</span>", Esc(class))?;
    if !name.is_empty() && name != class {
        write!(h, " <span class=\"nm\">{}</span>", Esc(&cut(name, 80)))?;
    }
    if let Some(id) = node.get("id").and_then(Value::as_u64) {
        write!(h, " <span class=\"oid\">@{id}</span>")?;
    }
    h.push_str("</li>");
    Ok(())
}
