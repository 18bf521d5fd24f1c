//! From candidates to findings: growth across snapshots, thresholds, one explanation per
//! object (the more specific category wins), retained sizes without double counting, the
//! representative path and its holders, ranking.

use std::collections::{BTreeMap, HashMap};

use heapsnap_format::NodeIdx;

use crate::ctx::{Ctx, Memo, NodeSet};
use crate::detect::Candidate;
use crate::finding::{Category, Finding, RetainedClass};
use crate::shapes::FxBuild;

/// A candidate with its growth worked out.
#[derive(Debug)]
pub(crate) struct Evaluated {
    pub(crate) cand: Candidate,
    pub(crate) growth: Option<Vec<u64>>,
    pub(crate) survivors: Option<u64>,
    pub(crate) growing: bool,
    /// The members' class has more objects in the last snapshot than in the first.
    pub(crate) class_up: bool,
}

impl Evaluated {
    /// Whether the candidate is worth reporting. With one snapshot: over its detector's
    /// threshold. With several: growing, or over the threshold with more objects of the class
    /// than in the first snapshot (a steady pool of 30 connections, even one that turns over,
    /// is how the program works, not a leak); detached DOM is waste whether or not it grows,
    /// and duplicated strings count by size only.
    pub(crate) fn reportable(&self) -> bool {
        match &self.growth {
            None => self.cand.structural,
            // Duplicated strings are waste whatever they do over time: by size only (growing
            // copies are usually the contents of another leak).
            Some(_) if self.cand.category == Category::DuplicateStrings => self.cand.structural,
            Some(_) => {
                self.growing
                    || (self.cand.structural
                        && (self.class_up || self.cand.category == Category::DetachedDom))
            }
        }
    }
}

/// Every consecutive step of `s` grows by at least `min`.
pub(crate) fn grows(s: &[u64], min: u64) -> bool {
    s.len() >= 2 && s.windows(2).all(|w| w[1] >= w[0].saturating_add(min.max(1)))
}

/// Class counts of unrelated snapshots (ids not comparable) drift by a few percent: growth
/// then also has to be at least a tenth of the class at every step.
pub(crate) fn grows_by_class(s: &[u64], min: u64) -> bool {
    s.len() >= 2 && s.windows(2).all(|w| w[1] >= w[0].saturating_add(min.max(1).max(w[0] / 10)))
}

/// Works out a candidate's growth: by member ids when ids are comparable, by members matched
/// by structure when they are not (or the detector's own size series), by class counts when
/// neither can follow objects.
pub(crate) fn evaluate(ctx: &Ctx<'_, '_>, cand: Candidate) -> Evaluated {
    let hist = &ctx.hist;
    let min = ctx.opts.min_growth;
    if hist.len() < 2 {
        return Evaluated { cand, growth: None, survivors: None, growing: false, class_up: false };
    }
    if !hist.matched() {
        let s = hist.class_series(&cand.class_key);
        let growing = grows_by_class(&s, min);
        let class_up = s.last() > s.first();
        return Evaluated { cand, growth: Some(s), survivors: None, growing, class_up };
    }
    // Members followed into each earlier snapshot: by id, or matched by structure.
    let members: Vec<(NodeIdx, u32)> = cand.members.iter().map(|&v| (v, ctx.id(v))).collect();
    let present = |p: usize, &(v, id): &(NodeIdx, u32)| hist.present(p, v, id);
    let mut s: Vec<u64> = (0..hist.priors.len())
        .map(|p| members.iter().filter(|m| present(p, m)).count() as u64)
        .collect();
    s.push(members.len() as u64);
    let survivors = if hist.priors.len() >= 2 {
        members.iter().filter(|m| present(1, m) && !present(0, m)).count() as u64
    } else {
        members.iter().filter(|m| !present(0, m)).count() as u64
    };
    // Churn (objects replaced by new ones: a bounded cache) shows as new ids but not as more
    // objects of the class.
    let class = hist.class_series(&cand.class_key);
    let class_grew = match (class.first(), class.last()) {
        (Some(&a), Some(&b)) => b >= a + min.div_ceil(2),
        _ => false,
    };
    let class_up = class.last() > class.first();
    if let Some(series) = &cand.series {
        // The detector's own measure (collections: entries by collection id).
        let existing: Vec<u64> = series.iter().flatten().copied().collect();
        let growing = grows(&existing, min);
        let growth = series.iter().map(|x| x.unwrap_or(0)).collect();
        return Evaluated {
            cand,
            growth: Some(growth),
            survivors: Some(survivors),
            growing,
            class_up,
        };
    }
    let growing = grows(&s, min) && (cand.class_key.is_empty() || class_grew);
    Evaluated { cand, growth: Some(s), survivors: Some(survivors), growing, class_up }
}

/// Classes left out of a finding's `retains` list: V8's own bookkeeping.
const INTERNAL_CLASSES: [&str; 5] =
    ["(system)", "(compiled code)", "(object shape)", "(array)", "(number)"];

/// What the findings so far explain: the roots of the dominator subtrees each finding took
/// (disjoint), by finding. A node is explained when it or one of its dominators is a root.
/// Queries walk up the dominator tree (memoized per query); what each finding keeps alive is
/// computed once at the end ([`retains`]), in one pass over the nodes.
#[derive(Debug, Default)]
pub(crate) struct Coverage {
    /// Roots of the explained subtrees (disjoint).
    roots: std::collections::HashSet<u32, FxBuild>,
    /// For what each finding keeps alive: root node -> finding (index into the findings, in
    /// acceptance order), with [`EXPLAINS_ONLY`] set for the subtrees of nodes that are not
    /// the finding's own objects (a socket's handle). These may nest (a handle dominating its
    /// socket): the innermost root decides.
    owners: HashMap<u32, u32, FxBuild>,
    /// Every accepted finding's members (left out of the `retains` lists).
    members: Vec<u32>,
}

/// Whether `v` or one of its dominators satisfies `hit`, walking up the dominator tree; every
/// node walked is memoized with the answer (`chain` is scratch space).
fn up_dominators(
    dom: &[u32],
    memo: &mut Memo,
    chain: &mut Vec<u32>,
    v: u32,
    hit: impl Fn(u32) -> bool,
) -> bool {
    chain.clear();
    let mut u = v;
    let found = loop {
        if let Some(m) = memo.get(u) {
            break m;
        }
        chain.push(u);
        if hit(u) {
            break true;
        }
        let d = dom[u as usize];
        if d == u {
            break false;
        }
        u = d;
    };
    for &c in chain.iter() {
        memo.set(c, found);
    }
    found
}

impl Coverage {
    /// Whether each node is explained, walking up the dominator tree (memoized).
    pub(crate) fn explained(&self, ctx: &Ctx<'_, '_>, nodes: &[NodeIdx]) -> Vec<bool> {
        if self.roots.is_empty() {
            return vec![false; nodes.len()];
        }
        let dom = ctx.a.dominators();
        let mut memo = Memo::new(ctx.n(), nodes.len());
        let mut chain = Vec::new();
        nodes
            .iter()
            .map(|&v| up_dominators(dom, &mut memo, &mut chain, v.0, |u| self.roots.contains(&u)))
            .collect()
    }

    /// Of what `members` keep alive (their dominator subtrees), the bytes already explained
    /// by earlier findings, and the total.
    fn covered_bytes(&self, ctx: &Ctx<'_, '_>, members: &[NodeIdx]) -> (u64, u64) {
        let tops = ctx.top_level(members);
        let explained = self.explained(ctx, &tops);
        let retained = |v: u32| ctx.a.retained[v as usize];
        let total: u64 = tops.iter().map(|v| retained(v.0)).sum();
        let mut covered: u64 =
            tops.iter().zip(&explained).filter(|(_, e)| **e).map(|(v, _)| retained(v.0)).sum();
        // Earlier roots inside the subtrees of unexplained members.
        let mut open = NodeSet::new(ctx.n(), tops.len());
        let mut any = false;
        for (v, e) in tops.iter().zip(&explained) {
            if !e {
                open.insert(v.0);
                any = true;
            }
        }
        if any {
            let dom = ctx.a.dominators();
            let mut memo = Memo::new(ctx.n(), self.roots.len());
            let mut chain = Vec::new();
            for &r in &self.roots {
                if up_dominators(dom, &mut memo, &mut chain, r, |u| open.contains(u)) {
                    covered += retained(r);
                }
            }
        }
        (covered, total)
    }

    /// Takes the subtrees of `members` and `more` (those not explained yet) for `finding`.
    fn take(&mut self, ctx: &Ctx<'_, '_>, finding: u32, members: &[NodeIdx], more: &[NodeIdx]) {
        let all: Vec<NodeIdx> = members.iter().chain(more).copied().collect();
        let explained = self.explained(ctx, &all);
        // Roots must stay disjoint: of nested new nodes keep the outermost.
        let fresh: Vec<NodeIdx> =
            all.iter().zip(explained).filter(|(_, e)| !e).map(|(v, _)| *v).collect();
        self.roots.extend(ctx.top_level(&fresh).into_iter().map(|v| v.0));
        let mut is_member = NodeSet::new(ctx.n(), members.len());
        for v in members {
            is_member.insert(v.0);
        }
        let (own, other): (Vec<NodeIdx>, Vec<NodeIdx>) =
            fresh.iter().partition(|v| is_member.contains(v.0));
        for v in ctx.top_level(&other) {
            self.owners.insert(v.0, finding | EXPLAINS_ONLY);
        }
        for v in ctx.top_level(&own) {
            self.owners.insert(v.0, finding);
        }
        self.members.extend(members.iter().map(|v| v.0));
    }
}

/// Findings that get a `retains` list (the first ones, in acceptance order).
const MAX_RETAINS: usize = 32;

/// See [`Coverage::roots`].
const EXPLAINS_ONLY: u32 = 1 << 31;

/// What each finding keeps alive besides its members: classes in its dominator subtrees,
/// largest first (five at most), in one pass over the nodes in dominator-DFS order.
pub(crate) fn retains(
    ctx: &Ctx<'_, '_>,
    cov: &Coverage,
    findings: usize,
) -> Vec<Vec<RetainedClass>> {
    const NONE: u32 = u32::MAX;
    let n = ctx.n();
    let dom = ctx.a.dominators();
    let mut owner = vec![NONE; n];
    const SKIP: u32 = u32::MAX - 1;
    for (&r, &f) in &cov.owners {
        owner[r as usize] =
            if f & EXPLAINS_ONLY != 0 || f as usize >= MAX_RETAINS { SKIP } else { f };
    }
    let mut member = vec![false; n];
    for &m in &cov.members {
        member[m as usize] = true;
    }
    let nclass = ctx.a.classes.classes.len();
    let mut per: Vec<Vec<(u64, u64)>> = vec![Vec::new(); findings.min(MAX_RETAINS)];
    for &v in &ctx.a.dfs_order {
        let d = dom[v as usize];
        let mut o = owner[v as usize];
        if o == NONE && d != v {
            o = owner[d as usize];
            owner[v as usize] = o;
        }
        if o != NONE && o != SKIP && !member[v as usize] {
            let counts = &mut per[o as usize];
            if counts.is_empty() {
                counts.resize(nclass, (0, 0));
            }
            let c = &mut counts[ctx.a.classes.of_node[v as usize] as usize];
            c.0 += 1;
            c.1 += u64::from(ctx.a.shallow[v as usize]);
        }
    }
    let mut out: Vec<Vec<RetainedClass>> = per
        .into_iter()
        .map(|counts| {
            let mut list: Vec<RetainedClass> = counts
                .into_iter()
                .enumerate()
                .filter(|(_, (count, size))| *count > 0 && *size > 0)
                .map(|(c, (count, size))| RetainedClass {
                    class: ctx.a.classes.classes[c].name.clone(),
                    count,
                    size,
                })
                .filter(|r| !INTERNAL_CLASSES.contains(&r.class.as_str()))
                .collect();
            list.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.class.cmp(&b.class)));
            list.truncate(5);
            list
        })
        .collect();
    out.resize(findings, Vec::new());
    out
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
        let retained = if e.cand.category == Category::DuplicateStrings {
            // Flat strings never dominate one another.
            e.cand.members.iter().map(|v| ctx.a.retained[v.index()]).sum()
        } else {
            let roots = e.cand.retained_roots.clone().unwrap_or_else(|| e.cand.members.clone());
            ctx.retained_of(&roots)
        };
        keep.push((retained, e));
    }
    keep.sort_by(|(ra, a), (rb, b)| {
        let order = |e: &Evaluated| if e.cand.primary { e.cand.category } else { Category::Growth };
        b.cand
            .primary
            .cmp(&a.cand.primary)
            .then_with(|| order(a).cmp(&order(b)))
            .then_with(|| rb.cmp(ra))
            .then_with(|| a.cand.category.cmp(&b.cand.category))
            .then_with(|| a.cand.class.cmp(&b.cand.class))
            .then_with(|| a.cand.title.cmp(&b.cand.title))
    });
    for (retained, e) in keep {
        let cand = &e.cand;
        let independent = cand.category == Category::DuplicateStrings;
        if !independent {
            let covered = cov.explained(ctx, &cand.members).into_iter().filter(|&x| x).count();
            let (covered_bytes, bytes) = cov.covered_bytes(ctx, &cand.members);
            if covered * 2 >= cand.members.len() || covered_bytes * 2 > bytes {
                // Most of these objects, or most of what they keep alive, is already
                // explained (an array of records that hold detached DOM trees).
                log::debug!(
                    "leaks: {} {} ({} objects) merged: {covered} objects and {covered_bytes} \
                     of {bytes} bytes already explained",
                    cand.category,
                    cand.class,
                    cand.members.len()
                );
                out.merged += 1;
                continue;
            }
            cov.take(ctx, out.findings.len() as u32, &cand.members, &cand.explains);
        }
        out.findings.push(finish(ctx, e, retained, Vec::new()));
    }
}

/// The member whose path represents the cluster: one held the most common way (by signature,
/// over a sample); for chains (`×*` signatures) the deepest, otherwise the closest.
fn representative(ctx: &Ctx<'_, '_>, members: &[NodeIdx]) -> Option<NodeIdx> {
    const SAMPLE: usize = 2000;
    let step = members.len().div_ceil(SAMPLE).max(1);
    let mut by_sig: BTreeMap<String, Vec<NodeIdx>> = BTreeMap::new();
    for &v in members.iter().step_by(step) {
        if let Some(sig) = ctx.signature_of(v) {
            by_sig.entry(sig).or_default().push(v);
        }
    }
    let (sig, vs) = by_sig.iter().max_by(|a, b| a.1.len().cmp(&b.1.len()).then(b.0.cmp(a.0)))?;
    let chain = sig.contains("\u{d7}*");
    vs.iter().copied().min_by_key(|&v| {
        let (penalty, links) = ctx.path_rank(v);
        if chain { (u32::MAX - links, 0, ctx.id(v)) } else { (penalty, links, ctx.id(v)) }
    })
}

fn finish(
    ctx: &Ctx<'_, '_>,
    e: Evaluated,
    retained_size: u64,
    retains: Vec<RetainedClass>,
) -> Finding {
    let Evaluated { cand, growth, survivors, growing, .. } = e;
    let mut members = cand.members;
    members.sort_by_key(|&v| (ctx.id(v), v.0));
    members.dedup();
    let target = cand
        .anchor
        .or(cand.representative)
        .or_else(|| representative(ctx, &members))
        .or_else(|| members.first().copied());
    let max = ctx.opts.max_holders.max(1);
    let mut holders = match target {
        Some(t) => ctx.paths.holders(t, max),
        None => Vec::new(),
    };
    // A finding anchored on the object that holds its members (a collection, an emitter)
    // names that object; the members may also be held elsewhere (a Map's entries captured by
    // listeners too): those other holders keep them alive when the anchor lets go, so they are
    // named as well.
    if let (Some(anchor), Some(m)) = (cand.anchor, representative(ctx, &members))
        && m != anchor
        && holders.len() < max
    {
        for h in ctx.paths.holders(m, max) {
            if holders.len() >= max {
                break;
            }
            if h.path.nodes.contains(&anchor) || holders.iter().any(|k| k.signature == h.signature)
            {
                continue;
            }
            holders.push(h);
        }
    }
    let signature = holders.first().map(|h| h.signature.clone()).unwrap_or_default();
    let self_size = members.iter().map(|&v| u64::from(ctx.a.shallow[v.index()])).sum();
    let ids = members.iter().map(|&v| ctx.id(v)).collect();
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
        allocations: None,
        members,
        ids,
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
