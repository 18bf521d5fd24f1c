//! The overview: key numbers, the snapshots, objects by type and what V8 wrote.

use std::fmt::{self, Write as _};

use serde_json::Value;

use super::{Esc, arr, i, pct, plural, role, s, u};
use crate::{Report, human_bytes, human_delta};

/// The sentence `heapsnap leaks` starts its text report with, for `n` snapshots.
pub(crate) fn mode_text(n: usize) -> String {
    match n {
        1 => "1 snapshot: structural checks only (give 2 or 3 snapshots of one process for growth)"
            .to_string(),
        2 => "2 snapshots: structural checks and growth since the first".to_string(),
        _ => format!(
            "{n} snapshots: structural checks and the three-snapshot method \
             (allocated between the first two, still alive in the last)"
        ),
    }
}

/// Warnings about object ids that do not follow objects from snapshot to snapshot.
pub(crate) fn id_warnings(h: &mut String, ids: &[Value], what: &str) -> fmt::Result {
    for c in ids.iter().filter(|c| s(c, "verdict") != "comparable" && !c.is_null()) {
        writeln!(
            h,
            "<p class=\"warn\" role=\"note\"><strong>Warning:</strong> object ids are not \
             comparable ({}: {} of {} shared, {} mismatched); {}</p>",
            Esc(s(c, "verdict")),
            u(c, "shared"),
            u(c, "base_ids").min(u(c, "after_ids")),
            u(c, "mismatched"),
            Esc(what)
        )?;
    }
    Ok(())
}

fn card(h: &mut String, label: &str, value: &str, note: &str) -> fmt::Result {
    write!(
        h,
        "<div class=\"card\"><div class=\"card-label\">{}</div><div class=\"card-value\">{}</div>\
         <div class=\"card-note\">{}</div></div>",
        Esc(label),
        Esc(value),
        Esc(note)
    )
}

pub(crate) fn section(h: &mut String, r: &Report) -> fmt::Result {
    let o = &r.overview;
    let info = &r.info;
    let leaks = &r.leaks;
    let n = r.snapshots.len();
    h.push_str(
        "<section id=\"overview\" aria-labelledby=\"overview-h\">\n<h2 id=\"overview-h\">Overview</h2>\n",
    );
    writeln!(h, "<p class=\"mode\">{}</p>", Esc(&mode_text(n)))?;
    // What growth is measured by instead, as `heapsnap leaks` says it.
    let instead = if s(leaks, "growth_basis") == "structure" {
        "growth below matches objects by structure instead (retaining path, class and property \
         names): less exact than ids"
    } else {
        "growth below is by class counts, not by object"
    };
    id_warnings(h, arr(leaks, "ids"), instead)?;
    h.push_str("<div class=\"cards\">");
    card(h, "Total heap", &human_bytes(o.total_size), "DevTools' total (retained by the root)")?;
    card(h, "Objects", &o.node_count.to_string(), &format!("{} edges", u(info, "edge_count")))?;
    let findings = arr(leaks, "findings");
    let gate_failed = leaks.pointer("/gate/failed").and_then(Value::as_bool) == Some(true);
    let first = findings
        .first()
        .map(|f| format!("#1 {}: {} ×{}", s(f, "category"), s(f, "class"), u(f, "count")));
    card(
        h,
        "Leak findings",
        &if findings.is_empty() { "none".to_string() } else { findings.len().to_string() },
        &first.unwrap_or_else(|| "no leaks found".to_string()),
    )?;
    if let Some(d) = &r.diff {
        card(
            h,
            "Growth",
            &human_delta(i(d, "total_delta")),
            &format!(
                "{} → {}",
                human_bytes(u(d, "total_before")),
                human_bytes(u(d, "total_after"))
            ),
        )?;
    }
    if let Some((_, w)) = &r.watch
        && let (Some(a), Some(b)) = (w.samples.first(), w.samples.last())
    {
        let warnings = w.samples.iter().filter(|x| x.warning).count() as u64;
        card(
            h,
            "Heap after GC (watch)",
            &format!("{} → {}", human_bytes(a.used_size), human_bytes(b.used_size)),
            &plural(warnings, "leak warning", "leak warnings"),
        )?;
    }
    h.push_str("</div>\n");
    if gate_failed {
        for reason in leaks.pointer("/gate/reasons").and_then(Value::as_array).into_iter().flatten()
        {
            if let Some(t) = reason.as_str() {
                writeln!(h, "<p class=\"fail\" role=\"alert\">FAIL: {}</p>", Esc(t))?;
            }
        }
    }

    h.push_str("<h3>Snapshots</h3>\n<ol class=\"snapshots\">");
    for (k, f) in r.snapshots.iter().enumerate() {
        write!(h, "<li><code>{}</code> <span class=\"badge\">{}</span>", Esc(f), role(k, n))?;
        if k + 1 == n && n > 1 {
            h.push_str(" <span class=\"muted\">(analyzed in full; the others as a census)</span>");
        }
        h.push_str("</li>");
    }
    h.push_str("</ol>\n<div class=\"cols\">\n");

    // Objects by type.
    h.push_str(
        "<div><h3 id=\"types-h\">Objects by type</h3>\n<table class=\"sortable\" \
         aria-labelledby=\"types-h\"><thead><tr><th scope=\"col\"><button>Type</button></th>\
         <th scope=\"col\" data-type=\"num\"><button>Objects</button></th><th scope=\"col\" \
         data-type=\"num\" aria-sort=\"descending\"><button>Self size</button></th>\
         <th scope=\"col\" data-type=\"num\"><button>%</button></th></tr></thead><tbody>",
    );
    let self_total: u64 = o.types.iter().map(|t| t.self_size).sum();
    for (k, t) in o.types.iter().enumerate() {
        write!(
            h,
            "<tr data-i=\"{k}\"><td>{}</td><td data-v=\"{}\">{}</td><td data-v=\"{}\">{}</td>\
             <td data-v=\"{}\">{}</td></tr>",
            Esc(&t.name),
            t.count,
            t.count,
            t.self_size,
            human_bytes(t.self_size),
            t.self_size,
            pct(t.self_size, self_total)
        )?;
    }
    writeln!(
        h,
        "</tbody></table>\n<p class=\"muted\">Self sizes as V8 wrote them: {} in all.</p></div>",
        human_bytes(self_total)
    )?;

    // V8 facts.
    h.push_str("<div><h3>What the snapshot says</h3>\n<dl class=\"facts\">");
    let fact = |h: &mut String, k: &str, v: &str| -> fmt::Result {
        write!(h, "<dt>{}</dt><dd>{}</dd>", Esc(k), Esc(v))
    };
    fact(
        h,
        "Nodes, edges, strings",
        &format!(
            "{} nodes, {} edges, {} strings",
            u(info, "node_count"),
            u(info, "edge_count"),
            u(info, "string_count")
        ),
    )?;
    let join =
        |key: &str| arr(info, key).iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ");
    fact(h, "Node fields", &join("node_fields"))?;
    fact(
        h,
        "Total self size",
        &format!(
            "{} ({} bytes)",
            human_bytes(u(info, "total_self_size")),
            u(info, "total_self_size")
        ),
    )?;
    if let Some(x) = info.get("extra_native_bytes").and_then(Value::as_u64) {
        fact(h, "Extra native bytes", &format!("{} ({x} bytes)", human_bytes(x)))?;
    }
    let facts = info.get("facts").unwrap_or(&Value::Null);
    fact(
        h,
        "User roots",
        &match u(facts, "root_shortcut_edges") {
            0 => format!(
                "{} global object(s); no root shortcut edges (exposeInternals, or the newest V8)",
                o.user_roots
            ),
            k => format!("{} global object(s); {k} root shortcut edge(s)", o.user_roots),
        },
    )?;
    fact(
        h,
        "Unreachable objects",
        &format!("{} (DevTools counts them under the root)", o.unreachable),
    )?;
    fact(
        h,
        "DOM state",
        &if facts.get("detachedness_field").and_then(Value::as_bool) == Some(true) {
            format!("detachedness recorded; {} nodes detached", u(facts, "detached_nodes"))
        } else {
            "no detachedness field (not a browser heap, or an older V8)".to_string()
        },
    )?;
    fact(
        h,
        "Allocation traces",
        &match u(info, "trace_function_count") {
            0 => {
                "none (take snapshots with allocation tracking: heapsnap hunt --track-allocations)"
                    .to_string()
            }
            k => format!("{k} functions, {} trace tree nodes", u(info, "trace_tree_nodes")),
        },
    )?;
    fact(h, "Locations", &format!("{} object locations", u(info, "location_count")))?;
    fact(
        h,
        "Numeric values",
        if facts.get("numeric_values").and_then(Value::as_bool) == Some(true) {
            "captured"
        } else {
            "not captured"
        },
    )?;
    for w in arr(info, "warnings").iter().filter_map(Value::as_str) {
        fact(h, "Warning", w)?;
    }
    h.push_str("</dl></div>\n</div>\n</section>\n");
    Ok(())
}
