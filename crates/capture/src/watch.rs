//! The leak rule of `heapsnap watch`: the heap after GC growing over N consecutive samples.

/// Detects steady growth of the heap measured right after a full GC (the rule of the old
/// `memwatch` module, which warned after 5 consecutive growths).
///
/// Feed it one number per sample, the heap used right after a forced GC; it fires every
/// time the heap has grown `n` times in a row, then starts counting again. A sample counts as
/// growth when it exceeds the previous one by more than the minimum growth (0 by default: any
/// growth; V8's heap after GC creeps by a few KiB now and then as code and feedback are
/// allocated, so callers sampling often should set a small threshold).
///
/// ```
/// let mut d = heapsnap_capture::GrowthDetector::new(3);
/// let fired: Vec<bool> = [10, 11, 12, 13, 12, 13, 14, 15].iter().map(|&u| d.push(u)).collect();
/// assert_eq!(fired, [false, false, false, true, false, false, false, true]);
/// ```
#[derive(Clone, Debug)]
pub struct GrowthDetector {
    n: usize,
    min_growth: u64,
    last: Option<u64>,
    run: usize,
}

impl GrowthDetector {
    /// A detector that fires after `n` consecutive growths (at least 1).
    pub fn new(n: usize) -> Self {
        GrowthDetector { n: n.max(1), min_growth: 0, last: None, run: 0 }
    }

    /// Counts a sample as growth only when it is more than `bytes` above the previous one.
    pub fn with_min_growth(mut self, bytes: u64) -> Self {
        self.min_growth = bytes;
        self
    }

    /// Adds a sample; returns `true` when it completes a run of `n` growths.
    pub fn push(&mut self, used_after_gc: u64) -> bool {
        let grew = self.last.is_some_and(|l| used_after_gc > l.saturating_add(self.min_growth));
        self.last = Some(used_after_gc);
        if grew {
            self.run += 1;
        } else {
            self.run = 0;
        }
        if self.run >= self.n {
            self.run = 0;
            return true;
        }
        false
    }

    /// Growths in a row so far.
    pub fn run(&self) -> usize {
        self.run
    }
}

/// Least-squares slope of `(seconds, bytes)` points, in bytes per second (0 for fewer than
/// two points or no spread in time).
pub fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if points.len() < 2 {
        return 0.0;
    }
    let (sx, sy) = points.iter().fold((0.0, 0.0), |(a, b), &(x, y)| (a + x, b + y));
    let (mx, my) = (sx / n, sy / n);
    let (mut num, mut den) = (0.0, 0.0);
    for &(x, y) in points {
        num += (x - mx) * (y - my);
        den += (x - mx) * (x - mx);
    }
    if den == 0.0 { 0.0 } else { num / den }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule() {
        let mut d = GrowthDetector::new(5);
        assert!(!(0..5).any(|i| d.push(100 + i)));
        assert!(d.push(200)); // the fifth growth
        let mut flat = GrowthDetector::new(5);
        assert!(!(0..50).any(|i| flat.push(100 + (i % 3))));
        let mut equal = GrowthDetector::new(2);
        assert!(![5, 5, 5, 5].iter().any(|&u| equal.push(u)));
        let mut tolerant = GrowthDetector::new(2).with_min_growth(10);
        assert!(![100, 105, 110, 115, 120].iter().any(|&u| tolerant.push(u)));
        assert!([100, 111, 122].iter().any(|&u| tolerant.push(u)));
        assert!((slope(&[(0.0, 1.0), (1.0, 3.0), (2.0, 5.0)]) - 2.0).abs() < 1e-9);
        assert_eq!(slope(&[(1.0, 1.0)]), 0.0);
    }
}
