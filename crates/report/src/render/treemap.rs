//! The treemap drawn as SVG: one frame per cell that has children (its children, and their
//! children inside them), all in the page, the root's shown; zooming shows another frame.

use std::fmt::{self, Write as _};

use super::{Esc, cut, pct};
use crate::layout::{Rect, squarify};
use crate::{CellKind, Treemap, human_bytes};

/// The frame's coordinate system (the SVG scales to the page's width).
const W: f64 = 1200.0;
const H: f64 = 640.0;
/// Average advance of a character of the labels, per pixel of font size.
const CHAR: f64 = 0.58;

fn hue(class: &str) -> u32 {
    let mut x: u32 = 0x811c_9dc5;
    for b in class.bytes() {
        x ^= u32::from(b);
        x = x.wrapping_mul(0x0100_0193);
    }
    x % 360
}

fn kind_name(k: CellKind) -> &'static str {
    match k {
        CellKind::Object => "object",
        CellKind::Class => "class",
        CellKind::Own => "own",
        CellKind::Rest => "rest",
        CellKind::Native => "native",
    }
}

/// The cell's name in one line: `Foo`, `Foo ×12`, `(own size)`.
fn name(t: &Treemap, c: usize) -> String {
    let cell = &t.cells[c];
    match cell.kind {
        CellKind::Class => format!("{} ×{}", cell.class, cell.count),
        // `(GC roots)`, `(Internalized strings)`: the name says what a synthetic node is.
        CellKind::Object if cell.class == "(synthetic)" && !cell.name.is_empty() => {
            cell.name.clone()
        }
        _ => cell.class.clone(),
    }
}

/// The name with the edge that holds it: `Foo .cache`.
fn label(t: &Treemap, c: usize) -> String {
    let cell = &t.cells[c];
    match &cell.edge {
        Some(e) => format!("{} {e}", name(t, c)),
        None => name(t, c),
    }
}

/// The tooltip.
fn tooltip(t: &Treemap, c: usize) -> String {
    let cell = &t.cells[c];
    let mut s = match cell.kind {
        CellKind::Object => {
            let mut s = cell.class.clone();
            if let Some(id) = cell.id {
                s.push_str(&format!(" @{id}"));
            }
            if !cell.name.is_empty() && cell.name != cell.class {
                s.push_str(&format!("\n{}", cell.name));
            }
            s
        }
        CellKind::Class => format!(
            "{} ×{}: objects retaining less than {} each",
            cell.class,
            cell.count,
            human_bytes(t.threshold)
        ),
        CellKind::Own => {
            let parent = cell.parent.map_or("(root)", |p| t.cells[p as usize].class.as_str());
            format!("the own (shallow) size of {parent}")
        }
        CellKind::Rest => format!(
            "{}: {} objects, each below {}",
            cell.class,
            cell.count,
            human_bytes(t.threshold)
        ),
        CellKind::Native => "native memory the snapshot reports outside its objects".to_string(),
    };
    if let Some(e) = &cell.edge {
        s.push_str(&format!("\nheld by {e}"));
    }
    s.push_str(&format!(
        "\n{} {} ({} of the total)",
        if cell.kind == CellKind::Object { "retains" } else { "size" },
        human_bytes(cell.size),
        pct(cell.size, t.total)
    ));
    if !cell.children.is_empty() {
        s.push_str(&format!("\n{} cells inside", cell.children.len()));
    }
    s
}

/// Text that fits `width` pixels at `font` pixels per em.
fn fit(text: &str, width: f64, font: f64) -> Option<String> {
    let n = ((width - 6.0) / (font * CHAR)).floor();
    if n < 3.0 {
        return None;
    }
    Some(cut(text, n as usize - 1))
}

pub(crate) fn section(h: &mut String, t: &Treemap) -> fmt::Result {
    if t.cells.is_empty() {
        h.push_str(
            "<section id=\"treemap\" aria-labelledby=\"treemap-h\">\n<h2 id=\"treemap-h\">Largest \
             retainers</h2>\n<p class=\"muted\">no treemap in this report</p>\n</section>\n",
        );
        return Ok(());
    }
    writeln!(
        h,
        "<section id=\"treemap\" aria-labelledby=\"treemap-h\">\n<h2 id=\"treemap-h\">Largest \
         retainers</h2>\n<p>Retained size down the dominator tree: each cell is an object with \
         everything only it keeps alive, labelled with its class and the edge its holder keeps \
         it by. Objects retaining less than {} are grouped by class. Cells with an outline hold \
         more: click one, or Tab to it and press Enter, to zoom in; Escape or the path above \
         the map goes back.</p>",
        human_bytes(t.threshold)
    )?;
    writeln!(
        h,
        "<nav class=\"tm-crumbs\" aria-label=\"Treemap path\"><span aria-current=\"location\">{}\
         </span> <span class=\"muted\">{}, 100.0% of the total</span></nav>",
        Esc(&label(t, 0)),
        human_bytes(t.total)
    )?;
    for (c, cell) in t.cells.iter().enumerate() {
        if !cell.children.is_empty() {
            frame(h, t, c)?;
        }
    }
    h.push_str(
        "<p class=\"tm-info\" aria-live=\"polite\">Point at a cell (or focus it) for its details.</p>\n</section>\n",
    );
    Ok(())
}

fn frame(h: &mut String, t: &Treemap, f: usize) -> fmt::Result {
    let cell = &t.cells[f];
    writeln!(
        h,
        "<div class=\"tm-frame\" id=\"tm-{f}\" data-cell=\"{f}\" data-parent=\"{}\" \
         data-size=\"{}\" data-label=\"{}\" data-note=\"{}, {} of the total\"{}>",
        cell.parent.map_or(String::new(), |p| p.to_string()),
        cell.size,
        Esc(&label(t, f)),
        human_bytes(cell.size),
        pct(cell.size, t.total),
        if f == 0 { "" } else { " hidden" }
    )?;
    write!(
        h,
        "<svg class=\"tm-svg\" viewBox=\"0 0 {W} {H}\" role=\"group\" aria-label=\"{}: {} cells\">",
        Esc(&label(t, f)),
        cell.children.len()
    )?;
    let sizes: Vec<u64> = cell.children.iter().map(|&k| t.cells[k as usize].size).collect();
    let rects = squarify(&sizes, Rect::new(0.0, 0.0, W, H));
    for (&k, r) in cell.children.iter().zip(rects) {
        level1(h, t, k as usize, r)?;
    }
    h.push_str("</svg>\n</div>\n");
    Ok(())
}

fn rect(h: &mut String, r: &Rect, class: &str) -> fmt::Result {
    write!(
        h,
        "<rect{} x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"",
        if class.is_empty() { String::new() } else { format!(" class=\"{class}\"") },
        r.x,
        r.y,
        r.w,
        r.h
    )
}

fn text(h: &mut String, x: f64, y: f64, class: &str, s: &str) -> fmt::Result {
    write!(h, "<text class=\"{class}\" x=\"{x:.1}\" y=\"{y:.1}\">{}</text>", Esc(s))
}

fn level1(h: &mut String, t: &Treemap, c: usize, r: Rect) -> fmt::Result {
    let cell = &t.cells[c];
    let zoom = !cell.children.is_empty();
    write!(
        h,
        "<g class=\"tm-cell k-{}{}\" data-i=\"{c}\" data-size=\"{}\" style=\"--h:{}\"><title>{}</title>",
        kind_name(cell.kind),
        if zoom { " zoom" } else { "" },
        cell.size,
        hue(&cell.class),
        Esc(&tooltip(t, c))
    )?;
    if zoom {
        write!(
            h,
            "<a href=\"#tm-{c}\" data-zoom=\"{c}\" aria-label=\"{}, {}: zoom in\">",
            Esc(&label(t, c)),
            human_bytes(cell.size)
        )?;
    }
    rect(h, &r, "")?;
    h.push_str("/>");
    let size = human_bytes(cell.size);
    if zoom && r.w >= 60.0 && r.h >= 40.0 {
        // A header line, the children inside.
        if let Some(s) = fit(&format!("{}  {size}", label(t, c)), r.w, 12.0) {
            text(h, r.x + 4.0, r.y + 13.0, "t1", &s)?;
        }
        let inner = r.inset(3.0, 18.0, 3.0, 3.0);
        let sizes: Vec<u64> = cell.children.iter().map(|&k| t.cells[k as usize].size).collect();
        for (&k, q) in cell.children.iter().zip(squarify(&sizes, inner)) {
            let sub = &t.cells[k as usize];
            if q.w <= 0.0 || q.h <= 0.0 {
                continue;
            }
            rect(h, &q, &format!("tm-sub k-{}", kind_name(sub.kind)))?;
            write!(
                h,
                " data-i=\"{k}\" data-size=\"{}\" style=\"--h:{}\"/>",
                sub.size,
                hue(&sub.class)
            )?;
            if q.h >= 14.0
                && let Some(s) = fit(&name(t, k as usize), q.w, 10.0)
            {
                text(h, q.x + 3.0, q.y + 11.0, "t2", &s)?;
            }
        }
    } else if r.h >= 16.0 {
        if let Some(s) = fit(&name(t, c), r.w, 12.0) {
            text(h, r.x + 4.0, r.y + 13.0, "t1", &s)?;
        }
        if r.h >= 30.0 {
            let second = match &cell.edge {
                Some(e) => format!("{e}  {size}"),
                None => size,
            };
            if let Some(s) = fit(&second, r.w, 11.0) {
                text(h, r.x + 4.0, r.y + 27.0, "t3", &s)?;
            }
        }
    }
    if zoom {
        h.push_str("</a>");
    }
    h.push_str("</g>");
    Ok(())
}
