//! [`Fx`]: a fast, deterministic hasher for the integer keys heapsnap's tables use (node and
//! string indices, small lists of them), where the standard library's DoS-resistant SipHash
//! costs more than the work around it. Not for keys an attacker chooses to collide.
//!
//! ```
//! use std::collections::HashMap;
//! use heapsnap_graph::hash::FxBuild;
//! let mut m: HashMap<Box<[u32]>, u32, FxBuild> = HashMap::default();
//! m.insert(vec![3, 1, 4].into_boxed_slice(), 7);
//! assert_eq!(m.get(&[3u32, 1, 4][..]), Some(&7));
//! ```

/// The multiply-rotate hasher of rustc's `FxHasher`, eight bytes at a time.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fx(u64);

impl std::hash::Hasher for Fx {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            // The length keeps "a" and "a\0" apart.
            self.write_u64(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }
    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

/// [`Fx`] as a `BuildHasher`, for `HashMap::default()`.
pub type FxBuild = std::hash::BuildHasherDefault<Fx>;
