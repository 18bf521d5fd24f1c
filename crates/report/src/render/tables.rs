//! DevTools' Summary and Comparison views as sortable, filterable tables.

use std::fmt::{self, Write as _};

use serde_json::Value;

use super::overview::id_warnings;
use super::{Esc, arr, i, pct, s, u};
use crate::{human_bytes, human_delta};

/// A header cell with a sort button; `num` columns sort by their cells' `data-v`.
fn th(h: &mut String, label: &str, num: bool, sorted: bool) -> fmt::Result {
    write!(
        h,
        "<th scope=\"col\"{}{}><button type=\"button\">{}</button></th>",
        if num { " data-type=\"num\"" } else { "" },
        if sorted { " aria-sort=\"descending\"" } else { "" },
        Esc(label)
    )
}

fn filter_box(h: &mut String, table: &str, rows: usize) -> fmt::Result {
    writeln!(
        h,
        "<div class=\"tools\"><label>Class filter <input type=\"search\" data-filter=\"{table}\" \
         placeholder=\"e.g. Timeout\" autocomplete=\"off\"></label> <span class=\"muted\" \
         data-count=\"{table}\">{rows} rows</span></div>"
    )
}

fn bytes_cell(h: &mut String, n: u64, total: u64) -> fmt::Result {
    write!(
        h,
        "<td data-v=\"{n}\">{} <span class=\"pct\">{}</span></td>",
        human_bytes(n),
        pct(n, total)
    )
}

fn delta_cell(h: &mut String, n: i64) -> fmt::Result {
    write!(
        h,
        "<td data-v=\"{n}\" class=\"{}\">{}</td>",
        match n.signum() {
            1 => "up",
            -1 => "down",
            _ => "",
        },
        human_delta(n)
    )
}

fn count_delta_cell(h: &mut String, n: i64) -> fmt::Result {
    write!(
        h,
        "<td data-v=\"{n}\" class=\"{}\">{n:+}</td>",
        match n.signum() {
            1 => "up",
            -1 => "down",
            _ => "",
        }
    )
}

/// The Summary view (`heapsnap.summary/1`).
pub(crate) fn summary(h: &mut String, doc: &Value, total: u64) -> fmt::Result {
    let rows = arr(doc, "classes");
    h.push_str(
        "<section id=\"summary\" aria-labelledby=\"summary-h\">\n<h2 id=\"summary-h\">Summary</h2>\n",
    );
    writeln!(
        h,
        "<p>DevTools' Summary view of <code>{}</code>: objects by class, {} of {} classes by {} \
         size; total {} in {} objects. Retained sizes of a class count each object once.</p>",
        Esc(s(doc, "file")),
        rows.len(),
        u(doc, "class_count"),
        Esc(s(doc, "sort")),
        human_bytes(total),
        u(doc, "node_count")
    )?;
    filter_box(h, "summary-table", rows.len())?;
    h.push_str(
        "<div class=\"scroll\"><table id=\"summary-table\" class=\"sortable data\" \
         aria-labelledby=\"summary-h\"><thead><tr>",
    );
    let sort = s(doc, "sort");
    th(h, "Constructor", false, false)?;
    th(h, "Distance", true, false)?;
    th(h, "Objects", true, sort == "count")?;
    th(h, "Shallow Size", true, sort == "shallow")?;
    th(h, "Retained Size", true, sort == "retained")?;
    h.push_str("</tr></thead><tbody>");
    for (k, c) in rows.iter().enumerate() {
        let d = c.get("distance").and_then(Value::as_i64);
        write!(
            h,
            "<tr data-i=\"{k}\"><th scope=\"row\" title=\"{}\">{}</th><td data-v=\"{}\">{}</td>\
             <td data-v=\"{}\">{}</td>",
            Esc(s(c, "key")),
            Esc(s(c, "name")),
            d.unwrap_or(i64::from(i32::MAX)),
            d.map_or("-".to_string(), |d| d.to_string()),
            u(c, "count"),
            u(c, "count")
        )?;
        bytes_cell(h, u(c, "self_size"), total)?;
        bytes_cell(h, u(c, "retained_size"), total)?;
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table></div>\n</section>\n");
    Ok(())
}

/// The Comparison view (`heapsnap.diff/1`).
pub(crate) fn comparison(h: &mut String, doc: &Value) -> fmt::Result {
    let rows = arr(doc, "classes");
    h.push_str(
        "<section id=\"comparison\" aria-labelledby=\"comparison-h\">\n\
         <h2 id=\"comparison-h\">Comparison</h2>\n",
    );
    writeln!(
        h,
        "<p>DevTools' Comparison view of <code>{}</code> against <code>{}</code>: total {} → {} \
         ({}), objects matched by id within each class.</p>",
        Esc(s(doc, "after")),
        Esc(s(doc, "before")),
        human_bytes(u(doc, "total_before")),
        human_bytes(u(doc, "total_after")),
        human_delta(i(doc, "total_delta"))
    )?;
    if let Some(ids) = doc.get("ids") {
        id_warnings(
            h,
            std::slice::from_ref(ids),
            "the id matching below is unreliable; see the comparison by class name",
        )?;
    }
    filter_box(h, "comparison-table", rows.len())?;
    h.push_str(
        "<div class=\"scroll\"><table id=\"comparison-table\" class=\"sortable data\" \
         aria-labelledby=\"comparison-h\"><thead><tr>",
    );
    th(h, "Constructor", false, false)?;
    // DevTools' columns, and the retained-size change when the document has it (`heapsnap
    // diff` without --no-retained).
    let retained = rows.iter().any(|c| c.get("retained_delta").is_some());
    for (label, sorted) in [
        ("# New", false),
        ("# Deleted", false),
        ("# Delta", false),
        ("Alloc. Size", false),
        ("Freed Size", false),
        ("Size Delta", true),
        ("Retained Delta", false),
    ]
    .iter()
    .take(if retained { 7 } else { 6 })
    {
        th(h, label, true, *sorted)?;
    }
    h.push_str("</tr></thead><tbody>");
    for (k, c) in rows.iter().enumerate() {
        let name = s(c, "name");
        write!(
            h,
            "<tr data-i=\"{k}\" data-f=\"{}\"><th scope=\"row\" title=\"{}\">{}",
            Esc(name),
            Esc(s(c, "key")),
            Esc(name)
        )?;
        if let Some(noise) = c.get("noise").and_then(Value::as_str) {
            write!(h, " <span class=\"badge\">{}</span>", Esc(noise))?;
        }
        let holders = arr(c, "holders");
        let breakdown = arr(c, "breakdown");
        if !holders.is_empty() || !breakdown.is_empty() {
            write!(h, "<details class=\"held\"><summary>what holds the growth</summary><ul>")?;
            for b in breakdown.iter().take(5) {
                write!(
                    h,
                    "<li>{} new, {}: {}</li>",
                    u(b, "new_count"),
                    human_bytes(u(b, "alloc_size")),
                    Esc(s(b, "label"))
                )?;
            }
            for hd in holders {
                // As `heapsnap diff` writes it: what the holder added, or churn.
                let about = if hd["estimated"] == true { "about " } else { "" };
                let (new, deleted) = (u(hd, "count"), u(hd, "deleted"));
                let counts = if hd["churn"] == true {
                    format!("churn: {about}{new} new, {deleted} deleted")
                } else {
                    format!("{about}{:+}: {new} new, {deleted} deleted", i(hd, "net"))
                };
                write!(h, "<li>held by <code>{}</code> ({counts})</li>", Esc(s(hd, "signature")))?;
            }
            h.push_str("</ul></details>");
        }
        write!(
            h,
            "</th><td data-v=\"{}\">{}</td><td data-v=\"{}\">{}</td>",
            u(c, "new_count"),
            u(c, "new_count"),
            u(c, "deleted_count"),
            u(c, "deleted_count")
        )?;
        count_delta_cell(h, i(c, "count_delta"))?;
        write!(
            h,
            "<td data-v=\"{}\">{}</td><td data-v=\"{}\">{}</td>",
            u(c, "alloc_size"),
            human_bytes(u(c, "alloc_size")),
            u(c, "freed_size"),
            human_bytes(u(c, "freed_size"))
        )?;
        delta_cell(h, i(c, "size_delta"))?;
        if retained {
            delta_cell(h, i(c, "retained_delta"))?;
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table></div>\n");
    if let Some(hidden) = doc.get("hidden").and_then(Value::as_object).filter(|m| !m.is_empty()) {
        let parts: Vec<String> =
            hidden.iter().map(|(k, v)| format!("{} {k}", v.as_u64().unwrap_or(0))).collect();
        writeln!(
            h,
            "<p class=\"muted\">hidden: {} (<code>heapsnap diff --all</code> shows them)</p>",
            Esc(&parts.join(", "))
        )?;
    }
    if let Some(by_name) = doc.get("by_name").and_then(Value::as_array) {
        h.push_str("<h3 id=\"by-name-h\">By class name (no id matching)</h3>\n");
        filter_box(h, "by-name-table", by_name.len())?;
        h.push_str(
            "<div class=\"scroll\"><table id=\"by-name-table\" class=\"sortable data\" \
             aria-labelledby=\"by-name-h\"><thead><tr>",
        );
        th(h, "Constructor", false, false)?;
        th(h, "Before", true, false)?;
        th(h, "After", true, false)?;
        th(h, "# Delta", true, false)?;
        th(h, "Size Delta", true, true)?;
        h.push_str("</tr></thead><tbody>");
        for (k, r) in by_name.iter().enumerate() {
            write!(
                h,
                "<tr data-i=\"{k}\"><th scope=\"row\">{}</th><td data-v=\"{}\">{}</td>\
                 <td data-v=\"{}\">{}</td>",
                Esc(s(r, "name")),
                u(r, "count_before"),
                u(r, "count_before"),
                u(r, "count_after"),
                u(r, "count_after")
            )?;
            count_delta_cell(h, i(r, "count_delta"))?;
            delta_cell(h, i(r, "size_delta"))?;
            h.push_str("</tr>");
        }
        h.push_str("</tbody></table></div>\n");
    }
    h.push_str("</section>\n");
    Ok(())
}
