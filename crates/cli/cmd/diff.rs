//! `heapsnap diff BEFORE AFTER`: what grew between two heap snapshots, and what holds it.
//!
//! The `--json` document is specified in `docs/json.md` (`heapsnap.diff/1`).

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, bail};
use heapsnap_diff::{BaseIndex, DiffOptions, DiffReport, HolderGroup, IdVerdict, Noise};
use heapsnap_format::NodeIdx;
use heapsnap_graph::{Analysis, HeapGraph, ShortestPathTree, format_edge};
use serde_json::json;

use crate::cli::{DiffArgs, GlobalArgs};
use crate::input::{Analyzed, display, load};
use crate::output::{Align, human_bytes, human_delta, json_doc, table};

/// A `--fail-class` rule: `NAME>LIMIT`, the limit a count or a size (with a unit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ClassRule {
    pub(crate) class: String,
    pub(crate) limit: Limit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Limit {
    Count(i64),
    Bytes(i64),
}

/// Parses sizes such as `10MB` (10^6), `10MiB` (2^20), `512k`, `1234` (bytes).
pub(crate) fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let v: f64 =
        num.parse().map_err(|_| format!("`{s}` is not a size (like 500KB, 10MB, 1GiB)"))?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "unknown size unit `{other}` in `{s}` (use B, KB, MB, GB, KiB, MiB, GiB)"
            ));
        }
    };
    Ok((v * mult).round() as u64)
}

pub(crate) fn parse_class_rule(s: &str) -> Result<ClassRule, String> {
    let (class, limit) = s
        .rsplit_once('>')
        .ok_or_else(|| format!("`{s}` is not NAME>LIMIT (e.g. 'LeakyThing>100')"))?;
    let class = class.trim().to_string();
    let limit = limit.trim();
    if class.is_empty() {
        return Err(format!("`{s}`: empty class name"));
    }
    let limit = if limit.bytes().all(|b| b.is_ascii_digit()) && !limit.is_empty() {
        Limit::Count(limit.parse().map_err(|_| format!("`{limit}` is not a count"))?)
    } else {
        Limit::Bytes(parse_size(limit)? as i64)
    };
    Ok(ClassRule { class, limit })
}

fn path_json(
    g: &HeapGraph<'_>,
    a: &Analysis,
    path: &heapsnap_graph::RetainerPath,
) -> serde_json::Value {
    let snap = g.snapshot();
    let steps: Vec<serde_json::Value> = path
        .nodes
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let n = snap.node(v);
            json!({
                "edge": (i > 0).then(|| format_edge(g, path.edges[i - 1])),
                "node": {"id": n.id().0, "name": a.node_name(snap, v), "class": a.classes.of(v).name},
            })
        })
        .collect();
    json!(steps)
}

fn holders_json(g: &HeapGraph<'_>, a: &Analysis, hs: &[HolderGroup]) -> serde_json::Value {
    json!(hs
        .iter()
        .map(|h| json!({"signature": h.signature, "count": h.count, "path": path_json(g, a, &h.example)}))
        .collect::<Vec<_>>())
}

pub(crate) fn run(args: &DiffArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let quiet = args.json;
    if let Some(out) = &args.emit {
        // Fail before the work, not after it.
        crate::output::check_not_input(out, &[&args.before, &args.after])?;
    }
    // The base is reduced to an index and dropped before the newer snapshot is read.
    let base = {
        let before = load(&args.before, global, quiet)?;
        BaseIndex::new(&before)
    };
    let loaded = Analyzed::load(&args.after, global, quiet)?;
    let (g, a) = loaded.analyze();
    let mut opts = DiffOptions::default();
    opts.holder_groups = args.paths;
    let report = DiffReport::new(&base, &g, &a, &opts);

    let total_delta = report.total_after as i64 - report.total_before as i64;
    let mut reasons = Vec::new();
    if let Some(limit) = args.fail_over
        && total_delta > limit as i64
    {
        reasons.push(format!(
            "total heap grew by {} ({} bytes), over the --fail-over limit of {}",
            human_bytes(total_delta as u64),
            total_delta,
            human_bytes(limit)
        ));
    }
    for rule in &args.fail_class {
        let rows = report.classes.iter().filter(|c| c.row.name == rule.class);
        let (count, size): (i64, i64) =
            rows.fold((0, 0), |(c, s), r| (c + r.row.count_delta(), s + r.row.size_delta()));
        match rule.limit {
            Limit::Count(n) if count > n => reasons.push(format!(
                "class {} grew by {count} objects, over the limit of {n}",
                rule.class
            )),
            Limit::Bytes(b) if size > b => reasons.push(format!(
                "class {} grew by {}, over the limit of {}",
                rule.class,
                human_bytes(size as u64),
                human_bytes(b as u64)
            )),
            _ => {}
        }
    }

    if let Some(out_path) = &args.emit {
        emit(&g, &report, out_path, &[&args.before, &args.after])?;
    }

    let (visible, hidden) = visible_rows(&report, args.all);
    let mut out = io::stdout().lock();
    if args.json {
        json_doc(&mut out, &document(args, &report, &g, &a, &reasons))?;
    } else {
        write_text(&mut out, args, &report, &visible, &hidden, &g, &a, total_delta)?;
    }
    out.flush()?;
    if !reasons.is_empty() {
        for r in &reasons {
            eprintln!("heapsnap: FAIL: {r}");
        }
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// The rows shown (noise only with `all`) and the hidden ones counted by reason.
fn visible_rows(
    report: &DiffReport,
    all: bool,
) -> (Vec<&heapsnap_diff::ClassReport>, std::collections::BTreeMap<&'static str, usize>) {
    let visible: Vec<&heapsnap_diff::ClassReport> =
        report.classes.iter().filter(|c| all || c.noise == Noise::None).collect();
    let mut hidden: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    if !all {
        for c in report.classes.iter().filter(|c| c.noise != Noise::None) {
            *hidden.entry(c.noise.label()).or_default() += 1;
        }
    }
    (visible, hidden)
}

/// The `heapsnap.diff/1` document (`heapsnap report` shows it too).
pub(crate) fn document(
    args: &DiffArgs,
    report: &DiffReport,
    g: &HeapGraph<'_>,
    a: &Analysis,
    reasons: &[String],
) -> serde_json::Value {
    let (visible, hidden) = visible_rows(report, args.all);
    let total_delta = report.total_after as i64 - report.total_before as i64;
    let verdict = match report.ids.verdict {
        IdVerdict::Comparable => "comparable",
        IdVerdict::DifferentProcesses => "different-processes",
        IdVerdict::Reused => "reused",
        _ => "unknown",
    };
    let classes: Vec<serde_json::Value> = visible
        .iter()
        .take(args.top.unwrap_or(usize::MAX))
        .map(|c| {
            let r = &c.row;
            json!({
                "name": r.name, "key": r.key, "new_count": r.new_count, "deleted_count": r.deleted_count,
                "count_delta": r.count_delta(), "alloc_size": r.alloc_size, "freed_size": r.freed_size,
                "size_delta": r.size_delta(), "retained_before": r.retained_before,
                "retained_after": r.retained_after, "retained_delta": r.retained_delta(),
                "new_retained": c.new_retained,
                "noise": (c.noise != Noise::None).then(|| c.noise.label()),
                "holders": holders_json(g, a, &c.holders), "holders_sampled": c.holders_sampled,
                "breakdown": c.breakdown.iter().map(|b| json!({"label": b.label, "new_count": b.new_count, "alloc_size": b.alloc_size})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let by_name = report.by_name.as_ref().map(|rows| {
        rows.iter()
            .map(|r| {
                json!({
                    "name": r.name, "count_before": r.count_before, "count_after": r.count_after,
                    "count_delta": r.count_after as i64 - r.count_before as i64,
                    "size_before": r.size_before, "size_after": r.size_after,
                    "size_delta": r.size_after as i64 - r.size_before as i64,
                    "holders": holders_json(g, a, &r.holders),
                })
            })
            .collect::<Vec<_>>()
    });
    json!({
            "schema": "heapsnap.diff/1",
            "before": display(&args.before), "after": display(&args.after),
            "total_before": report.total_before, "total_after": report.total_after, "total_delta": total_delta,
            "ids": {"base_ids": report.ids.base_ids, "after_ids": report.ids.after_ids, "shared": report.ids.shared,
                    "mismatched": report.ids.mismatched, "verdict": verdict},
            "classes": classes,
            "hidden": hidden,
            "by_name": by_name,
            "gate": {"failed": !reasons.is_empty(), "reasons": reasons},
    })
}

#[allow(clippy::too_many_arguments)]
fn write_text(
    out: &mut impl Write,
    args: &DiffArgs,
    report: &DiffReport,
    visible: &[&heapsnap_diff::ClassReport],
    hidden: &std::collections::BTreeMap<&str, usize>,
    g: &HeapGraph<'_>,
    a: &Analysis,
    total_delta: i64,
) -> io::Result<()> {
    writeln!(
        out,
        "total: {} -> {} ({})",
        human_bytes(report.total_before),
        human_bytes(report.total_after),
        human_delta(total_delta)
    )?;
    let ids = &report.ids;
    match ids.verdict {
        IdVerdict::Comparable => {
            writeln!(out, "object ids: comparable ({} shared JS object ids)", ids.shared)?
        }
        IdVerdict::DifferentProcesses => writeln!(
            out,
            "WARNING: only {} of {} object ids are shared: these snapshots come from different processes (or isolates).\n\
             DevTools' id matching below is meaningless; see the by-name comparison at the end.",
            ids.shared,
            ids.base_ids.min(ids.after_ids)
        )?,
        _ => writeln!(
            out,
            "WARNING: {} of {} shared object ids name different objects: the ids do not follow the same objects\n\
             (snapshots of different processes, or of one process through separate inspector sessions or after\n\
             HeapProfiler.disable). The id matching below is unreliable; see the by-name comparison at the end.",
            ids.mismatched, ids.shared
        )?,
    }
    writeln!(out)?;
    let top = args.top.unwrap_or(20);
    let mut t = vec![
        [
            "Class",
            "# New",
            "# Deleted",
            "# Delta",
            "Alloc. size",
            "Freed size",
            "Size delta",
            "Retained delta",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for c in visible.iter().take(top) {
        let r = &c.row;
        let mut name = r.name.clone();
        if c.noise != Noise::None {
            name = format!("{name} [{}]", c.noise.label());
        }
        t.push(vec![
            name,
            r.new_count.to_string(),
            r.deleted_count.to_string(),
            format!("{:+}", r.count_delta()),
            human_bytes(r.alloc_size),
            human_bytes(r.freed_size),
            human_delta(r.size_delta()),
            human_delta(r.retained_delta()),
        ]);
    }
    use Align::{Left, Right};
    table(out, &[Left, Right, Right, Right, Right, Right, Right, Right], &t)?;
    let more = visible.len().saturating_sub(top);
    let mut notes = Vec::new();
    if more > 0 {
        notes.push(format!("{more} more classes (--top N)"));
    }
    if !hidden.is_empty() {
        let parts: Vec<String> = hidden.iter().map(|(k, v)| format!("{v} {k}")).collect();
        notes.push(format!("hidden: {} (--all shows them)", parts.join(", ")));
    }
    if !notes.is_empty() {
        writeln!(out, "{}", notes.join("; "))?;
    }
    let growing: Vec<&&heapsnap_diff::ClassReport> = visible
        .iter()
        .take(top)
        .filter(|c| !c.holders.is_empty() || !c.breakdown.is_empty())
        .collect();
    if !growing.is_empty() {
        writeln!(out, "\nwhat holds the growth:")?;
    }
    for c in growing {
        let r = &c.row;
        writeln!(
            out,
            "  {:+} {} ({}, new objects retain {})",
            r.count_delta(),
            r.name,
            human_delta(r.size_delta()),
            human_bytes(c.new_retained)
        )?;
        for b in c.breakdown.iter().take(5) {
            writeln!(
                out,
                "      {:>6} new  {:>10}  {}",
                b.new_count,
                human_bytes(b.alloc_size),
                b.label
            )?;
        }
        for h in &c.holders {
            writeln!(
                out,
                "      held by {}  ({} of {} sampled)",
                h.signature, h.count, c.holders_sampled
            )?;
        }
    }
    if let Some(rows) = &report.by_name {
        writeln!(out, "\nby class name (no id matching):")?;
        let mut t =
            vec![["Class", "Before", "After", "# Delta", "Size delta"].map(String::from).to_vec()];
        for r in rows.iter().take(top) {
            t.push(vec![
                r.name.clone(),
                r.count_before.to_string(),
                r.count_after.to_string(),
                format!("{:+}", r.count_after as i64 - r.count_before as i64),
                human_delta(r.size_after as i64 - r.size_before as i64),
            ]);
        }
        table(out, &[Left, Right, Right, Right, Right], &t)?;
        for r in rows.iter().take(top).filter(|r| !r.holders.is_empty()) {
            for h in &r.holders {
                writeln!(out, "  {} held by {}  ({} sampled)", r.name, h.signature, h.count)?;
            }
        }
    }
    let _ = (g, a);
    Ok(())
}

/// Writes the new objects (of non-noise rows) and one shortest retaining path of each as a
/// snapshot DevTools can open.
fn emit(g: &HeapGraph<'_>, report: &DiffReport, out_path: &Path, inputs: &[&Path]) -> Result<()> {
    let snap = g.snapshot();
    let spt = ShortestPathTree::new(g);
    let mut keep = vec![false; snap.node_count()];
    let mut news = 0usize;
    for c in report.classes.iter().filter(|c| c.noise == Noise::None) {
        for &v in &c.row.new_nodes {
            news += 1;
            keep[v.index()] = true;
            let mut x = v.0;
            while spt.parent[x as usize].0 != u32::MAX {
                x = spt.parent[x as usize].1;
                if keep[x as usize] {
                    break;
                }
                keep[x as usize] = true;
            }
        }
    }
    if news == 0 {
        bail!("--emit: no new objects to write");
    }
    let small = snap.subset(&keep);
    crate::output::write_snapshot(&small, out_path, false, inputs)?;
    log::info!(
        "wrote {} new objects and their retainer paths ({} nodes) to {}",
        news,
        small.node_count(),
        display(out_path)
    );
    let _ = NodeIdx(0);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_rules() {
        assert_eq!(parse_size("10MB"), Ok(10_000_000));
        assert_eq!(parse_size("1MiB"), Ok(1_048_576));
        assert_eq!(parse_size("512"), Ok(512));
        assert_eq!(parse_size("1.5kb"), Ok(1500));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("10XB").is_err());
        assert_eq!(
            parse_class_rule("LeakyThing>100"),
            Ok(ClassRule { class: "LeakyThing".into(), limit: Limit::Count(100) })
        );
        assert_eq!(
            parse_class_rule("Foo > 2MB"),
            Ok(ClassRule { class: "Foo".into(), limit: Limit::Bytes(2_000_000) })
        );
        assert!(parse_class_rule("NoLimit").is_err());
    }
}
