//! The squarified treemap layout (Bruls, Huizing, van Wijk 2000): rectangles whose areas are
//! proportional to the sizes, laid out in rows along the shorter side, each row grown while
//! that keeps its worst aspect ratio from getting worse.

/// An axis-aligned rectangle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

impl Rect {
    /// A rectangle.
    pub fn new(x: f64, y: f64, w: f64, h: f64) -> Rect {
        Rect { x, y, w, h }
    }

    /// Width times height.
    pub fn area(&self) -> f64 {
        self.w * self.h
    }

    /// The rectangle shrunk by `left`, `top`, `right`, `bottom` (never below zero size).
    pub fn inset(&self, left: f64, top: f64, right: f64, bottom: f64) -> Rect {
        Rect {
            x: self.x + left,
            y: self.y + top,
            w: (self.w - left - right).max(0.0),
            h: (self.h - top - bottom).max(0.0),
        }
    }
}

/// The worst aspect ratio of a row of `areas` laid along a side of length `side`.
fn worst(sum: f64, min: f64, max: f64, side: f64) -> f64 {
    let s2 = sum * sum;
    let w2 = side * side;
    (w2 * max / s2).max(s2 / (w2 * min))
}

/// Lays `sizes` (best sorted largest first) out in `r`: one rectangle per size, in order,
/// with areas proportional to the sizes, together tiling `r` exactly. Zero sizes get empty
/// rectangles.
///
/// ```
/// use heapsnap_report::layout::{Rect, squarify};
/// let cells = squarify(&[6, 6, 4, 3, 2, 2, 1], Rect::new(0.0, 0.0, 6.0, 4.0));
/// assert_eq!(cells.len(), 7);
/// let area: f64 = cells.iter().map(|c| c.area()).sum();
/// assert!((area - 24.0).abs() < 1e-9);
/// assert!((cells[0].area() - 6.0).abs() < 1e-9);
/// ```
pub fn squarify(sizes: &[u64], r: Rect) -> Vec<Rect> {
    let mut out = vec![Rect::new(r.x, r.y, 0.0, 0.0); sizes.len()];
    let total: f64 = sizes.iter().map(|&s| s as f64).sum();
    if total <= 0.0 || r.w <= 0.0 || r.h <= 0.0 {
        return out;
    }
    let scale = r.area() / total;
    let live: Vec<usize> = (0..sizes.len()).filter(|&i| sizes[i] > 0).collect();
    let areas: Vec<f64> = live.iter().map(|&i| sizes[i] as f64 * scale).collect();
    let mut free = r;
    let mut i = 0;
    while i < areas.len() {
        let side = free.w.min(free.h);
        let (mut sum, mut min, mut max) = (areas[i], areas[i], areas[i]);
        let mut j = i + 1;
        let mut best = worst(sum, min, max, side);
        while j < areas.len() {
            let a = areas[j];
            let w = worst(sum + a, min.min(a), max.max(a), side);
            if w > best {
                break;
            }
            best = w;
            sum += a;
            min = min.min(a);
            max = max.max(a);
            j += 1;
        }
        let last_row = j == areas.len();
        if free.w >= free.h {
            // A column along the left edge.
            let cw = if last_row { free.w } else { (sum / free.h).min(free.w) };
            let mut y = free.y;
            for k in i..j {
                let h = if k + 1 == j { free.y + free.h - y } else { areas[k] / cw };
                out[live[k]] = Rect::new(free.x, y, cw, h.max(0.0));
                y += h;
            }
            free = Rect::new(free.x + cw, free.y, (free.w - cw).max(0.0), free.h);
        } else {
            // A row along the top edge.
            let rh = if last_row { free.h } else { (sum / free.w).min(free.h) };
            let mut x = free.x;
            for k in i..j {
                let w = if k + 1 == j { free.x + free.w - x } else { areas[k] / rh };
                out[live[k]] = Rect::new(x, free.y, w.max(0.0), rh);
                x += w;
            }
            free = Rect::new(free.x, free.y + rh, free.w, (free.h - rh).max(0.0));
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overlap(a: &Rect, b: &Rect) -> f64 {
        let w = (a.x + a.w).min(b.x + b.w) - a.x.max(b.x);
        let h = (a.y + a.h).min(b.y + b.h) - a.y.max(b.y);
        if w > 0.0 && h > 0.0 { w * h } else { 0.0 }
    }

    #[track_caller]
    fn check(sizes: &[u64], r: Rect) {
        let cells = squarify(sizes, r);
        let total: u64 = sizes.iter().sum();
        assert_eq!(cells.len(), sizes.len());
        let mut area = 0.0;
        for (c, &s) in cells.iter().zip(sizes) {
            let want = s as f64 / total as f64 * r.area();
            assert!((c.area() - want).abs() <= 1e-6 * r.area(), "{c:?} for {s}: want {want}");
            assert!(c.x >= r.x - 1e-9 && c.y >= r.y - 1e-9, "{c:?} outside {r:?}");
            assert!(c.x + c.w <= r.x + r.w + 1e-6 && c.y + c.h <= r.y + r.h + 1e-6, "{c:?}");
            area += c.area();
        }
        assert!((area - r.area()).abs() <= 1e-6 * r.area());
        for i in 0..cells.len() {
            for j in i + 1..cells.len() {
                assert!(overlap(&cells[i], &cells[j]) <= 1e-6 * r.area(), "{i} and {j} overlap");
            }
        }
    }

    #[test]
    fn tiles_exactly_with_proportional_areas() {
        // The paper's example.
        check(&[6, 6, 4, 3, 2, 2, 1], Rect::new(0.0, 0.0, 6.0, 4.0));
        check(&[1], Rect::new(10.0, 20.0, 300.0, 40.0));
        check(&[5, 5], Rect::new(0.0, 0.0, 10.0, 100.0));
        check(&[1000, 1, 1, 1, 1], Rect::new(0.0, 0.0, 1200.0, 640.0));
        let many: Vec<u64> = (1..=300).rev().map(|i| i * i).collect();
        check(&many, Rect::new(0.0, 0.0, 1200.0, 640.0));
    }

    #[test]
    fn squarified_rows_are_not_slivers() {
        // The paper's example: squarified rows keep every cell under 3:1 (here the last, 1 of
        // 24, is 0.6 by 1.67); slicing the 6-wide rectangle into columns would give 24:1.
        let cells = squarify(&[6, 6, 4, 3, 2, 2, 1], Rect::new(0.0, 0.0, 6.0, 4.0));
        let worst = cells.iter().map(|c| (c.w / c.h).max(c.h / c.w)).fold(0.0, f64::max);
        assert!(worst < 3.0, "worst aspect ratio {worst}");
        let many: Vec<u64> = (1..=200).rev().collect();
        let cells = squarify(&many, Rect::new(0.0, 0.0, 1200.0, 640.0));
        let worst = cells.iter().map(|c| (c.w / c.h).max(c.h / c.w)).fold(0.0, f64::max);
        assert!(worst < 4.0, "worst aspect ratio {worst} of 200 cells");
    }

    #[test]
    fn zero_sizes_and_empty_rects() {
        let cells = squarify(&[3, 0, 1], Rect::new(0.0, 0.0, 4.0, 1.0));
        assert_eq!(cells[1].area(), 0.0);
        assert!((cells[0].area() - 3.0).abs() < 1e-9);
        assert!(squarify(&[0, 0], Rect::new(0.0, 0.0, 4.0, 1.0)).iter().all(|c| c.area() == 0.0));
        assert!(squarify(&[1, 2], Rect::new(0.0, 0.0, 0.0, 1.0)).iter().all(|c| c.area() == 0.0));
    }
}
