//! From candidates to findings: growth across snapshots, thresholds, one explanation per
//! object (the more specific category wins), retained sizes without double counting, the
//! representative path and its holders, ranking.

use std::collections::{BTreeMap, HashMap};

use heapsnap_format::NodeIdx;

use crate::ctx::Ctx;
use crate::detect::Candidate;
use crate::finding::{Category, Finding, RetainedClass};
use crate::paths::{holders, signature_of};

/// A candidate with its growth worked out.
#[derive(Debug)]
pub(crate) struct Evaluated {
    pub(crate) cand: Candidate,
    pub(crate) growth: Option<Vec<u64>>,
    pub(crate) survivors: Option<u64>,
    pub(crate) growing: bool,
}

impl Evaluated {
    /// Whether the candidate is worth reporting: over its detector's threshold, or growing.
    pub(crate) fn reportable(&self) -> bool {
        self.cand.structural || self.growing
    }
}

/// Every consecutive step of `s` grows by at least `min`.
fn grows(s: &[u64], min: u64) -> bool {
    s.len() >= 2 && s.windows(2).all(|w| w[1] >= w[0].saturating_add(min.max(1)))
}

/// Works out a candidate's growth: by member ids when ids are comparable (or the detector's
/// own size series), by class counts otherwise.
pub(crate) fn evaluate(ctx: &Ctx<'_, '_>, cand: Candidate) -> Evaluated {
    let hist = &ctx.hist;
    let min = ctx.opts.min_growth;
    if hist.len() < 2 {
        return Evaluated { cand, growth: None, survivors: None, growing: false };
    }
    if !hist.comparable {
        let s = hist.class_series(&cand.class_key);
        let growing = grows(&s, min);
        return Evaluated { cand, growth: Some(s), survivors: None, growing };
    }
    if let Some(series) = &cand.series {
        let existing: Vec<u64> = series.iter().flatten().copied().collect();
        let growing = grows(&existing, min);
        let growth = series.iter().map(|x| x.unwrap_or(0)).collect();
        return Evaluated { cand, growth: Some(growth), survivors: None, growing };
    }
    let ids: Vec<u32> = cand.members.iter().map(|&v| ctx.id(v)).collect();
    let mut s: Vec<u64> = hist
        .priors
        .iter()
        .map(|c| ids.iter().filter(|&&id| c.contains(id)).count() as u64)
        .collect();
    s.push(ids.len() as u64);
    let survivors = if hist.priors.len() >= 2 {
        let (b, t) = (&hist.priors[0], &hist.priors[1]);
        ids.iter().filter(|&&id| t.contains(id) && !b.contains(id)).count() as u64
    } else {
        ids.iter().filter(|&&id| !hist.priors[0].contains(id)).count() as u64
    };
    // Churn (objects replaced by new ones: a bounded cache) shows as new ids but not as more
    // objects of the class.
    let class = hist.class_series(&cand.class_key);
    let class_grew = match (class.first(), class.last()) {
        (Some(&a), Some(&b)) => b >= a + min.div_ceil(2),
        _ => false,
    };
    let growing = grows(&s, min) && (cand.class_key.is_empty() || class_grew);
    Evaluated { cand, growth: Some(s), survivors: Some(survivors), growing }
}

/// Classes left out of a finding's `retains` list: V8's own bookkeeping.
const INTERNAL_CLASSES: [&str; 5] =
    ["(system)", "(compiled code)", "(object shape)", "(array)", "(number)"];

/// Which finding (1-based) first explained each node; 0 = none yet.
#[derive(Debug)]
pub(crate) struct Coverage {
    pub(crate) by: Vec<u32>,
    next: u32,
}

impl Coverage {
    pub(crate) fn new(n: usize) -> Coverage {
        Coverage { by: vec![0; n], next: 1 }
    }

    #[inline]
    pub(crate) fn covered(&self, v: NodeIdx) -> bool {
        self.by[v.index()] != 0
    }

    /// Marks the members and everything they dominate; returns the classes dominated
    /// (besides the members themselves), largest first.
    fn mark(&mut self, ctx: &Ctx<'_, '_>, members: &[NodeIdx]) -> Vec<RetainedClass> {
        let epoch = self.next;
        self.next += 1;
        let mut is_member: std::collections::HashSet<u32> = std::collections::HashSet::new();
        is_member.extend(members.iter().map(|v| v.0));
        let mut per_class: HashMap<u32, (u64, u64)> = HashMap::new();
        let mut stack: Vec<NodeIdx> = Vec::new();
        for &m in members {
            if self.by[m.index()] != 0 {
                continue;
            }
            self.by[m.index()] = epoch;
            stack.push(m);
            while let Some(v) = stack.pop() {
                if !is_member.contains(&v.0) {
                    let c = ctx.a.classes.of_node[v.index()];
                    let e = per_class.entry(c).or_default();
                    e.0 += 1;
                    e.1 += u64::from(ctx.a.shallow[v.index()]);
                }
                for ch in ctx.dom.children(v) {
                    if self.by[ch.index()] == 0 {
                        self.by[ch.index()] = epoch;
                        stack.push(ch);
                    }
                }
            }
        }
        let mut out: Vec<RetainedClass> = per_class
            .into_iter()
            .map(|(c, (count, size))| RetainedClass {
                class: ctx.a.classes.classes[c as usize].name.clone(),
                count,
                size,
            })
            .filter(|r| r.size > 0 && !INTERNAL_CLASSES.contains(&r.class.as_str()))
            .collect();
        out.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.class.cmp(&b.class)));
        out.truncate(5);
        out
    }
}

/// Outcome of triage.
#[derive(Debug, Default)]
pub(crate) struct Triaged {
    pub(crate) findings: Vec<Finding>,
    /// Candidates under every threshold.
    pub(crate) below: usize,
    /// Candidates whose objects a more specific finding already explains.
    pub(crate) merged: usize,
}

/// Turns evaluated candidates into findings, in precedence order, marking what each explains
/// in `cov`. Candidates mostly explained by an earlier finding are merged away.
pub(crate) fn triage(
    ctx: &Ctx<'_, '_>,
    cands: Vec<Evaluated>,
    cov: &mut Coverage,
    out: &mut Triaged,
) {
    let mut keep: Vec<(u64, Evaluated)> = Vec::new();
    for e in cands {
        if !e.reportable() || e.cand.members.is_empty() {
            out.below += 1;
            continue;
        }
        let roots = e.cand.retained_roots.clone().unwrap_or_else(|| e.cand.members.clone());
        keep.push((ctx.retained_of(&roots), e));
    }
    keep.sort_by(|(ra, a), (rb, b)| {
        a.cand
            .category
            .cmp(&b.cand.category)
            .then_with(|| rb.cmp(ra))
            .then_with(|| a.cand.class.cmp(&b.cand.class))
            .then_with(|| a.cand.title.cmp(&b.cand.title))
    });
    for (retained, e) in keep {
        let cand = &e.cand;
        let independent = cand.category == Category::DuplicateStrings;
        let retains = if independent {
            Vec::new()
        } else {
            let covered = cand.members.iter().filter(|&&v| cov.covered(v)).count();
            if covered * 2 >= cand.members.len() {
                log::debug!(
                    "leaks: {} {} ({} objects) merged: {covered} already explained",
                    cand.category,
                    cand.class,
                    cand.members.len()
                );
                out.merged += 1;
                continue;
            }
            cov.mark(ctx, &cand.members)
        };
        out.findings.push(finish(ctx, e, retained, retains));
    }
}

/// The member whose path represents the cluster: one held the most common way (by signature,
/// over a sample); for chains (`×*` signatures) the deepest, otherwise the closest.
fn representative(ctx: &Ctx<'_, '_>, members: &[NodeIdx]) -> Option<NodeIdx> {
    const SAMPLE: usize = 2000;
    let step = members.len().div_ceil(SAMPLE).max(1);
    let mut by_sig: BTreeMap<String, Vec<NodeIdx>> = BTreeMap::new();
    for &v in members.iter().step_by(step) {
        if let Some(sig) = signature_of(ctx, v) {
            by_sig.entry(sig).or_default().push(v);
        }
    }
    let (sig, vs) = by_sig.iter().max_by(|a, b| a.1.len().cmp(&b.1.len()).then(b.0.cmp(a.0)))?;
    let chain = sig.contains("\u{d7}*");
    vs.iter().copied().min_by_key(|&v| {
        let d = ctx.spt.dist[v.index()];
        (if chain { u32::MAX - d } else { d }, ctx.id(v))
    })
}

fn finish(
    ctx: &Ctx<'_, '_>,
    e: Evaluated,
    retained_size: u64,
    retains: Vec<RetainedClass>,
) -> Finding {
    let Evaluated { cand, growth, survivors, growing } = e;
    let mut members = cand.members;
    members.sort_by_key(|&v| (ctx.id(v), v.0));
    members.dedup();
    let target = cand
        .anchor
        .or(cand.representative)
        .or_else(|| representative(ctx, &members))
        .or_else(|| members.first().copied());
    let holders = match target {
        Some(t) => holders(ctx, t, ctx.opts.max_holders.max(1)),
        None => Vec::new(),
    };
    let signature = holders.first().map(|h| h.signature.clone()).unwrap_or_default();
    let self_size = members.iter().map(|&v| u64::from(ctx.a.shallow[v.index()])).sum();
    Finding {
        category: cand.category,
        class: cand.class,
        title: cand.title,
        count: cand.count.unwrap_or(members.len() as u64),
        self_size,
        retained_size,
        growth,
        survivors,
        growing,
        signature,
        holders,
        retains,
        facts: cand.facts,
        members,
    }
}

/// Final order: with several snapshots growing findings first; then by retained size, count,
/// category, class and signature (deterministic).
pub(crate) fn rank(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.growing
            .cmp(&a.growing)
            .then_with(|| b.retained_size.cmp(&a.retained_size))
            .then_with(|| b.count.cmp(&a.count))
            .then_with(|| a.category.cmp(&b.category))
            .then_with(|| a.class.cmp(&b.class))
            .then_with(|| a.signature.cmp(&b.signature))
            .then_with(|| a.title.cmp(&b.title))
    });
}
