//! Small SVG charts: a finding's growth across snapshots, and the heap over time of a
//! `heapsnap watch` series.

use std::fmt::{self, Write as _};

use super::{Esc, plural, role};
use crate::{WatchSeries, human_bytes, human_delta};

/// A 60×16 line of `values` (inline in a finding's summary line).
pub(crate) fn sparkline(h: &mut String, values: &[u64]) -> fmt::Result {
    let max = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    let (w, ht) = (60.0, 16.0);
    let step = if values.len() > 1 { w / (values.len() - 1) as f64 } else { 0.0 };
    let pts: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(k, &v)| {
            format!("{:.1},{:.1}", k as f64 * step, ht - 1.0 - v as f64 / max * (ht - 2.0))
        })
        .collect();
    write!(
        h,
        " <svg class=\"spark\" width=\"60\" height=\"16\" viewBox=\"0 0 60 16\" aria-hidden=\"true\">\
         <polyline points=\"{}\"/></svg>",
        pts.join(" ")
    )
}

/// Bars of a count per snapshot, labelled with the counts and the snapshots' roles.
pub(crate) fn growth_bars(h: &mut String, values: &[u64], snapshots: usize) -> fmt::Result {
    let max = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    let (bar, gap, top, plot) = (36.0, 18.0, 16.0, 56.0);
    let width = values.len() as f64 * (bar + gap) + gap;
    let height = top + plot + 18.0;
    let text: Vec<String> = values.iter().map(u64::to_string).collect();
    write!(
        h,
        "<svg class=\"growth\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} \
         {height:.0}\" role=\"img\" aria-label=\"objects per snapshot: {}\">",
        text.join(", ")
    )?;
    for (k, &v) in values.iter().enumerate() {
        let x = gap + k as f64 * (bar + gap);
        let bh = (v as f64 / max * plot).max(if v > 0 { 1.0 } else { 0.0 });
        let y = top + plot - bh;
        let label = if values.len() == snapshots { role(k, snapshots) } else { "" };
        write!(
            h,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar}\" height=\"{bh:.1}\"><title>{}: {v}</title></rect>\
             <text class=\"v\" x=\"{:.1}\" y=\"{:.1}\">{v}</text>\
             <text class=\"l\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            if label.is_empty() { format!("snapshot {}", k + 1) } else { label.to_string() },
            x + bar / 2.0,
            y - 4.0,
            x + bar / 2.0,
            top + plot + 13.0,
            if label.is_empty() { format!("{}", k + 1) } else { label.to_string() },
        )?;
    }
    h.push_str("<line class=\"axis\" x1=\"0\" x2=\"100%\" y1=\"72\" y2=\"72\"/></svg>\n");
    Ok(())
}

/// `1:05` (minutes:seconds) or `1:02:03`.
fn clock(ms: u64) -> String {
    let s = ms / 1000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// A round step for about `n` ticks over `span`, in the 1-2-5 series times `unit`.
fn nice_step(span: f64, n: f64, unit: f64) -> f64 {
    let raw = (span / n / unit).max(1e-9);
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag * unit
}

/// The heap-over-time section.
pub(crate) fn watch_section(h: &mut String, file: &str, w: &WatchSeries) -> fmt::Result {
    h.push_str(
        "<section id=\"watch\" aria-labelledby=\"watch-h\">\n<h2 id=\"watch-h\">Heap over time</h2>\n",
    );
    let samples = &w.samples;
    let warnings: Vec<usize> =
        samples.iter().enumerate().filter(|(_, s)| s.warning).map(|(k, _)| k).collect();
    writeln!(
        h,
        "<p><code>{}</code>{}: {} over {}{}.</p>",
        Esc(file),
        w.target.as_deref().map(|t| format!(" ({})", Esc(t))).unwrap_or_default(),
        plural(samples.len() as u64, "sample", "samples"),
        clock(samples.last().map_or(0, |s| s.t_ms)),
        match warnings.len() {
            0 => " and no leak warning".to_string(),
            k => format!(", {}", plural(k as u64, "leak warning", "leak warnings")),
        }
    )?;
    if samples.is_empty() {
        h.push_str("</section>\n");
        return Ok(());
    }
    let (w_px, h_px) = (1000.0, 300.0);
    let (left, right, top, bottom) = (72.0, 16.0, 14.0, 34.0);
    let pw = w_px - left - right;
    let ph = h_px - top - bottom;
    let t_max = samples.last().map_or(0, |s| s.t_ms).max(1) as f64;
    let y_max = samples.iter().map(|s| s.total_size.max(s.used_size)).max().unwrap_or(1).max(1);
    let y_step = nice_step(y_max as f64, 4.0, 1.0);
    let y_top = (y_max as f64 / y_step).ceil() * y_step;
    let x = |t: u64| left + t as f64 / t_max * pw;
    let y = |b: u64| top + ph - b as f64 / y_top * ph;
    write!(
        h,
        "<figure class=\"chart\"><svg class=\"watch\" viewBox=\"0 0 {w_px} {h_px}\" role=\"img\" \
         aria-labelledby=\"watch-cap\">"
    )?;
    // Axes and ticks.
    let mut v = 0.0;
    while v <= y_top + 0.5 {
        let yy = y(v as u64);
        write!(
            h,
            "<line class=\"grid\" x1=\"{left}\" x2=\"{:.1}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\"/>\
             <text class=\"tick y\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            left + pw,
            left - 6.0,
            yy + 4.0,
            human_bytes(v as u64)
        )?;
        v += y_step;
    }
    let t_step = nice_step(t_max, 6.0, 1000.0);
    let mut t = 0.0;
    while t <= t_max + 0.5 {
        let xx = x(t as u64);
        write!(
            h,
            "<line class=\"grid\" x1=\"{xx:.1}\" x2=\"{xx:.1}\" y1=\"{top}\" y2=\"{:.1}\"/>\
             <text class=\"tick x\" x=\"{xx:.1}\" y=\"{:.1}\">{}</text>",
            top + ph,
            top + ph + 16.0,
            clock(t as u64)
        )?;
        t += t_step;
    }
    let line = |f: &dyn Fn(&crate::WatchSample) -> u64| {
        samples
            .iter()
            .map(|s| format!("{:.1},{:.1}", x(s.t_ms), y(f(s))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    write!(
        h,
        "<polyline class=\"total\" points=\"{}\"/><polyline class=\"used\" points=\"{}\"/>",
        line(&|s| s.total_size),
        line(&|s| s.used_size)
    )?;
    for &k in &warnings {
        let xx = x(samples[k].t_ms);
        write!(
            h,
            "<g class=\"warning\"><line x1=\"{xx:.1}\" x2=\"{xx:.1}\" y1=\"{top}\" y2=\"{:.1}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">leak warning</text></g>",
            top + ph,
            xx - 4.0,
            top + 12.0
        )?;
    }
    let gc_note = match w.gc {
        Some(true) => "heap after a forced GC",
        Some(false) => "heap without a forced GC (--no-gc)",
        None => "heap after a forced GC (unless the watch ran with --no-gc)",
    };
    for (k, s) in samples.iter().enumerate() {
        write!(
            h,
            "<circle class=\"gc{}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\"><title>sample {k} at {}: used {} \
             of {} ({}; {}){}</title></circle>",
            if s.warning { " warn" } else { "" },
            x(s.t_ms),
            y(s.used_size),
            clock(s.t_ms),
            human_bytes(s.used_size),
            human_bytes(s.total_size),
            gc_note,
            if k > 0 {
                human_delta(s.used_size as i64 - samples[k - 1].used_size as i64)
            } else {
                "first".to_string()
            },
            if s.warning { " — leak warning: the heap after GC kept growing" } else { "" }
        )?;
    }
    writeln!(
        h,
        "</svg><figcaption id=\"watch-cap\"><span class=\"key used\">used</span> heap used \
         · <span class=\"key total\">total</span> heap reserved · <span class=\"key gc\">●</span> \
         a sample: {} · <span class=\"key warning\">|</span> leak warning (the heap after GC grew in \
         N consecutive samples)</figcaption></figure>\n</section>",
        Esc(gc_note)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_and_clock() {
        assert_eq!(clock(65_000), "1:05");
        assert_eq!(clock(3_723_000), "1:02:03");
        assert_eq!(nice_step(100.0, 4.0, 1.0), 50.0);
        assert_eq!(nice_step(60_000.0, 6.0, 1000.0), 10_000.0);
    }
}
