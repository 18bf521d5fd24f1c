//! Whether two snapshots' object ids name the same objects: one rule for every report that
//! follows objects across snapshots (diff, leaks).

use serde::Serialize;

/// Whether object ids mean the same objects in both snapshots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum IdVerdict {
    /// Same isolate, ids comparable: DevTools' matching is meaningful.
    Comparable,
    /// Few shared ids: different processes (or isolates).
    DifferentProcesses,
    /// Many shared ids name different objects: ids were handed out again (snapshots taken
    /// through separate inspector sessions, or after `HeapProfiler.disable`).
    Reused,
}

impl IdVerdict {
    /// The name used in JSON and text: `comparable`, `different-processes`, `reused`.
    pub fn name(self) -> &'static str {
        match self {
            IdVerdict::Comparable => "comparable",
            IdVerdict::DifferentProcesses => "different-processes",
            IdVerdict::Reused => "reused",
        }
    }
}

/// The id comparability check of two snapshots.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IdCheck {
    /// JS object ids (odd) in the older snapshot.
    pub base_ids: u64,
    /// JS object ids in the newer snapshot.
    pub after_ids: u64,
    /// Ids present in both.
    pub shared: u64,
    /// Shared ids whose node type or name differs between the snapshots (an estimate when
    /// only a sample of them was compared).
    pub mismatched: u64,
    /// The conclusion.
    pub verdict: IdVerdict,
}

impl IdCheck {
    /// Judges the counts: fewer than one id in 20 (of the smaller snapshot) shared means
    /// different processes; more than one in 50 of the compared shared ids naming another
    /// object means reused ids. `compared` shared ids were looked at, `differing` of them
    /// named different objects; `mismatched` is scaled from them to all shared ids.
    ///
    /// ```
    /// use heapsnap_graph::{IdCheck, IdVerdict};
    /// assert_eq!(IdCheck::judge(1000, 1200, 990, 990, 0).verdict, IdVerdict::Comparable);
    /// assert_eq!(IdCheck::judge(1000, 1200, 10, 10, 0).verdict, IdVerdict::DifferentProcesses);
    /// assert_eq!(IdCheck::judge(1000, 1200, 990, 99, 40).verdict, IdVerdict::Reused);
    /// ```
    pub fn judge(
        base_ids: u64,
        after_ids: u64,
        shared: u64,
        compared: u64,
        differing: u64,
    ) -> IdCheck {
        let mismatched = if compared == shared {
            differing
        } else {
            (shared * differing).checked_div(compared).unwrap_or(0)
        };
        let verdict = if shared * 20 < base_ids.min(after_ids).max(1) {
            IdVerdict::DifferentProcesses
        } else if differing * 50 > compared {
            IdVerdict::Reused
        } else {
            IdVerdict::Comparable
        };
        IdCheck { base_ids, after_ids, shared, mismatched, verdict }
    }
}
