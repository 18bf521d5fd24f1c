//! CI gates on a comparison: fail when the heap or a class grew by more than a limit.

use serde::Serialize;

use crate::report::DiffReport;

/// How much a class may grow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// Objects.
    Count(i64),
    /// Bytes of shallow size.
    Bytes(i64),
}

/// A limit on one class's growth (`--fail-class NAME>LIMIT`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassRule {
    /// Class name, as the comparison names it.
    pub class: String,
    /// How much it may grow.
    pub limit: Limit,
}

/// The limits of a CI gate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Gate {
    /// Bytes the total heap may grow by.
    pub max_total_growth: Option<u64>,
    /// Limits per class.
    pub classes: Vec<ClassRule>,
}

impl Gate {
    /// A gate with these limits.
    pub fn new(max_total_growth: Option<u64>, classes: Vec<ClassRule>) -> Gate {
        Gate { max_total_growth, classes }
    }
}

/// A limit that a comparison exceeds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum GateFailure {
    /// The total heap grew by more than [`Gate::max_total_growth`].
    Total {
        /// Growth in bytes.
        delta: i64,
        /// The limit.
        limit: u64,
    },
    /// A class gained more objects than its rule allows.
    ClassCount {
        /// The class.
        class: String,
        /// Objects gained.
        delta: i64,
        /// The limit.
        limit: i64,
    },
    /// A class's shallow size grew by more than its rule allows.
    ClassBytes {
        /// The class.
        class: String,
        /// Bytes gained.
        delta: i64,
        /// The limit.
        limit: i64,
    },
}

impl DiffReport {
    /// The limits of `gate` this comparison exceeds (none: the gate passes). A class rule
    /// sums every row of that name.
    pub fn check(&self, gate: &Gate) -> Vec<GateFailure> {
        let mut out = Vec::new();
        let total = self.total_after as i64 - self.total_before as i64;
        if let Some(limit) = gate.max_total_growth
            && total > limit as i64
        {
            out.push(GateFailure::Total { delta: total, limit });
        }
        for rule in &gate.classes {
            let rows = self.classes.iter().filter(|c| c.row.name == rule.class);
            let (count, size): (i64, i64) =
                rows.fold((0, 0), |(c, s), r| (c + r.row.count_delta(), s + r.row.size_delta()));
            match rule.limit {
                Limit::Count(n) if count > n => out.push(GateFailure::ClassCount {
                    class: rule.class.clone(),
                    delta: count,
                    limit: n,
                }),
                Limit::Bytes(b) if size > b => out.push(GateFailure::ClassBytes {
                    class: rule.class.clone(),
                    delta: size,
                    limit: b,
                }),
                _ => {}
            }
        }
        out
    }
}
