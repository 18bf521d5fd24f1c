//! The tools of `heapsnap mcp`: their parameters (with the JSON schemas agents see) and what
//! each returns: the document the CLI prints with `--json`, built by the same functions, with
//! long lists cut into pages.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use heapsnap_diff::DiffReport;
use heapsnap_format::{EdgeIdx, NodeIdx, ObjectId};
use heapsnap_graph::path::{EdgeInfo, RetainersReport, RetainersStep, node_info};
use heapsnap_graph::{EdgeStyle, PathFinder, PathMode, edge_text};
use heapsnap_leaks::LeakReport;
use rmcp::schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::cache::Cache;
use crate::cli::{DiffArgs, GlobalArgs, LeakFilters, LeaksArgs, PathChoice, SortBy};
use crate::cmd::{diff, leaks, retainers, summary, top};
use crate::input::display;

/// What every tool call can use: the cache, the global options, the output bound.
pub(crate) struct State {
    pub(crate) cache: Cache,
    pub(crate) global: GlobalArgs,
    pub(crate) max_output: usize,
}

/// A snapshot path as the agent gave it.
const FILE_DOC: &str = "Snapshot file (.heapsnapshot, plain or gzipped). A relative path is \
                        resolved against the server's working directory.";

/// `sort` of `summary`.
#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(crate = "rmcp::schemars")]
pub(crate) enum Sort {
    /// By retained size, largest first.
    #[default]
    Retained,
    /// By shallow size.
    Shallow,
    /// By object count.
    Count,
}

impl Sort {
    fn cli(self) -> SortBy {
        match self {
            Sort::Retained => SortBy::Retained,
            Sort::Shallow => SortBy::Shallow,
            Sort::Count => SortBy::Count,
        }
    }
}

/// `path`: which retaining paths.
#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(crate = "rmcp::schemars")]
pub(crate) enum Paths {
    /// Through the program's own variables (a module's top-level scope, globals), avoiding
    /// runtime internals whenever possible.
    #[default]
    User,
    /// DevTools' shortest path.
    Shortest,
}

impl Paths {
    fn cli(self) -> PathChoice {
        match self {
            Paths::User => PathChoice::User,
            Paths::Shortest => PathChoice::Shortest,
        }
    }
}

/// An object id: `"@123"`, `"123"` or `123`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
#[schemars(crate = "rmcp::schemars")]
pub(crate) enum Id {
    /// The number.
    Number(u64),
    /// As DevTools shows it (`@123`).
    Text(String),
}

impl Id {
    fn object_id(&self) -> Result<ObjectId> {
        let text = match self {
            Id::Number(n) => n.to_string(),
            Id::Text(s) => s.clone(),
        };
        text.parse::<ObjectId>()
            .map_err(|_| anyhow::anyhow!("`{text}` is not an object id (like @1234)"))
    }
}

/// A size: bytes, or text with a unit (`"10MB"`, `"512KiB"`).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
#[schemars(crate = "rmcp::schemars")]
pub(crate) enum Size {
    /// Bytes.
    Bytes(u64),
    /// With a unit.
    Text(String),
}

impl Size {
    fn bytes(&self, what: &str) -> Result<u64> {
        match self {
            Size::Bytes(n) => Ok(*n),
            Size::Text(s) => {
                crate::values::parse_size(s).map_err(|e| anyhow::anyhow!("{what}: {e}"))
            }
        }
    }
}

/// Parameters of `summary`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "rmcp::schemars")]
pub(crate) struct SummaryParams {
    #[schemars(description = FILE_DOC)]
    file: String,
    /// Sort order of the classes.
    #[serde(default)]
    #[schemars(extend("default" = "retained"))]
    sort: Sort,
    /// Classes in this page (default 50, at most 1000).
    #[serde(default)]
    #[schemars(with = "usize", range(min = 1, max = 1000), extend("default" = 50))]
    limit: Option<usize>,
    /// Classes to skip: the previous page's `page.classes.next_offset` (default 0).
    #[serde(default)]
    offset: usize,
}

/// Parameters of `top`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "rmcp::schemars")]
pub(crate) struct TopParams {
    #[schemars(description = FILE_DOC)]
    file: String,
    /// Levels of the dominator tree below the root (default 3).
    #[serde(default)]
    #[schemars(with = "usize", extend("default" = 3))]
    depth: Option<usize>,
    /// Largest children shown per object (default 10). The tree may hold at most 2000
    /// objects: lower depth or limit when it would be larger.
    #[serde(default)]
    #[schemars(with = "usize", extend("default" = 10))]
    limit: Option<usize>,
}

/// Parameters of `retainers`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "rmcp::schemars")]
pub(crate) struct RetainersParams {
    #[schemars(description = FILE_DOC)]
    file: String,
    /// The object's id, as the other tools and DevTools show it (`@1234`).
    id: Id,
    /// Which retaining paths.
    #[serde(default)]
    #[schemars(extend("default" = "user"))]
    path: Paths,
    /// Paths in this page, best first (default 3, at most 50).
    #[serde(default)]
    #[schemars(with = "usize", range(min = 1, max = 50), extend("default" = 3))]
    limit: Option<usize>,
    /// Paths to skip: the previous page's `page.paths.next_offset` (default 0). The first 100
    /// paths can be paged through.
    #[serde(default)]
    offset: usize,
}

/// Parameters of `diff`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "rmcp::schemars")]
pub(crate) struct DiffParams {
    /// The older snapshot (baseline). A relative path is resolved against the server's
    /// working directory.
    before: String,
    /// The newer snapshot of the same process.
    after: String,
    /// Also show noise: native objects with unstable ids, V8 internals, weakly held objects.
    #[serde(default)]
    all: bool,
    /// Retainer-path groups per growing class (default 3).
    #[serde(default)]
    #[schemars(with = "usize", extend("default" = 3))]
    paths: Option<usize>,
    /// Which retaining paths.
    #[serde(default)]
    #[schemars(extend("default" = "user"))]
    path: Paths,
    /// Gate: fail (`gate.failed`) when the total heap grew by more than this (bytes, or
    /// `"10MB"`).
    #[serde(default)]
    #[schemars(with = "Size")]
    fail_over: Option<Size>,
    /// Gate: fail when a class grew by more than a count or a size: `"Name>100"`,
    /// `"Name>2MB"`.
    #[serde(default)]
    fail_class: Vec<String>,
    /// Classes in this page, largest growth first (default 20, at most 500).
    #[serde(default)]
    #[schemars(with = "usize", range(min = 1, max = 500), extend("default" = 20))]
    limit: Option<usize>,
    /// Classes to skip: the previous page's `page.classes.next_offset` (default 0).
    #[serde(default)]
    offset: usize,
}

/// Parameters of `leaks`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "rmcp::schemars")]
pub(crate) struct LeaksParams {
    /// One to three snapshots of one process, oldest first: [baseline, [target,]] last. One
    /// runs the structural checks; two add growth; three (baseline, target, final) the
    /// three-snapshot method. Relative paths are resolved against the server's working
    /// directory.
    #[schemars(length(min = 1, max = 3))]
    files: Vec<String>,
    /// Retaining paths per finding when its objects have several independent holders
    /// (default 4).
    #[serde(default)]
    #[schemars(with = "usize", extend("default" = 4))]
    paths: Option<usize>,
    /// Which retaining paths.
    #[serde(default)]
    #[schemars(extend("default" = "user"))]
    path: Paths,
    /// Gate: fail (`gate.failed`) when any finding is reported.
    #[serde(default)]
    fail_on_leak: bool,
    /// Report only findings with at least this many objects (default 1).
    #[serde(default)]
    #[schemars(with = "u64", extend("default" = 1))]
    min_count: Option<u64>,
    /// Report only findings that keep at least this much alive (bytes, or `"1MB"`).
    #[serde(default)]
    #[schemars(with = "Size")]
    min_retained: Option<Size>,
    /// A cluster grows when it gains at least this many objects at every step (default 10).
    #[serde(default)]
    #[schemars(with = "u64", extend("default" = 10))]
    min_growth: Option<u64>,
    /// Run only these detectors: detached-dom, listeners, timers, resources, closures,
    /// cycles, collections, growth, duplicate-strings.
    #[serde(default)]
    categories: Vec<String>,
    /// Findings in this page, most important first (default 10, at most 200).
    #[serde(default)]
    #[schemars(with = "usize", range(min = 1, max = 200), extend("default" = 10))]
    limit: Option<usize>,
    /// Findings to skip: the previous page's `page.findings.next_offset` (default 0).
    #[serde(default)]
    offset: usize,
}

/// Parameters of `inspect`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "rmcp::schemars")]
pub(crate) struct InspectParams {
    #[schemars(description = FILE_DOC)]
    file: String,
    /// The object's id (`@1234`).
    id: Id,
    /// Edges and retainers in this page, each (default 50, at most 1000).
    #[serde(default)]
    #[schemars(with = "usize", range(min = 1, max = 1000), extend("default" = 50))]
    limit: Option<usize>,
    /// Outgoing edges to skip: the previous page's `page.edges.next_offset` (default 0).
    #[serde(default)]
    edges_offset: usize,
    /// Retainers to skip: the previous page's `page.retainers.next_offset` (default 0).
    #[serde(default)]
    retainers_offset: usize,
}

/// The page size asked for, within `1..=max`.
fn limit(asked: Option<usize>, default: usize, max: usize) -> Result<usize> {
    match asked {
        Some(0) => bail!("limit must be at least 1"),
        Some(n) if n > max => bail!("limit {n} is over the maximum of {max}"),
        Some(n) => Ok(n),
        None => Ok(default),
    }
}

/// A list of a document cut into a page.
struct List {
    /// Its key in the document.
    key: &'static str,
    /// Items skipped.
    offset: usize,
    /// Items asked for.
    limit: usize,
    /// How many items there are in all, when known.
    total: Option<usize>,
    /// Whether the document's list is already this page (else it is the whole list).
    sliced: bool,
    /// Whether items follow this page (for an already sliced list whose total is unknown).
    more: bool,
}

/// Cuts each list of `doc` to its page, adds `page` (per list: `offset`, `limit`, `returned`,
/// `total`, `next_offset`), and writes the document, within `max` bytes: a page holds fewer
/// items than its limit when they would not fit (at least one).
fn paged(mut doc: Value, lists: &[List], max: usize) -> Result<String> {
    let mut items: Vec<Vec<Value>> = Vec::new();
    let mut totals: Vec<Option<usize>> = Vec::new();
    for l in lists {
        let Some(all) = doc.get_mut(l.key).map(Value::take) else {
            bail!("internal error: no `{}` list in the document", l.key);
        };
        let Value::Array(all) = all else { bail!("internal error: `{}` is not a list", l.key) };
        if l.sliced {
            totals.push(l.total);
            items.push(all);
        } else {
            totals.push(Some(all.len()));
            items.push(all.into_iter().skip(l.offset).take(l.limit).collect());
        }
    }
    let mut counts: Vec<usize> = items.iter().map(Vec::len).collect();
    loop {
        let mut page = serde_json::Map::new();
        for (k, l) in lists.iter().enumerate() {
            let n = counts[k];
            doc[l.key] = Value::Array(items[k][..n].to_vec());
            let end = l.offset + n;
            let more = match totals[k] {
                Some(t) => end < t,
                None => l.more || n < items[k].len(),
            };
            page.insert(
                l.key.to_string(),
                json!({
                    "offset": l.offset, "limit": l.limit, "returned": n, "total": totals[k],
                    "next_offset": more.then_some(end),
                }),
            );
        }
        doc["page"] = Value::Object(page);
        let text = serde_json::to_string(&doc)?;
        if text.len() <= max || counts.iter().all(|&n| n <= 1) {
            return Ok(text);
        }
        // Shrink every list in proportion, and at least by one item.
        let ratio = max as f64 / text.len() as f64;
        for n in counts.iter_mut().filter(|n| **n > 1) {
            *n = ((*n as f64 * ratio) as usize).clamp(1, *n - 1);
        }
    }
}

/// A document from the cache, or built by `build` and kept.
fn cached(st: &mut State, key: String, build: impl FnOnce() -> Result<String>) -> Result<Arc<str>> {
    if let Some(doc) = st.cache.doc(&key) {
        log::info!("mcp: answer from the cache");
        st.cache.hits.answer = Some(true);
        return Ok(doc);
    }
    let doc: Arc<str> = build()?.into();
    st.cache.hits.answer = Some(false);
    st.cache.put_doc(key, Arc::clone(&doc));
    Ok(doc)
}

fn parse(doc: &str) -> Result<Value> {
    serde_json::from_str(doc).context("internal error: a cached document does not parse")
}

/// `summary`: the `heapsnap.summary/1` document, classes in pages.
pub(crate) fn summary(st: &mut State, p: SummaryParams) -> Result<String> {
    let limit = limit(p.limit, 50, 1000)?;
    let (entry, key) = st.cache.snapshot(Path::new(&p.file), &st.global)?;
    let doc_key = format!("summary|{}|{}|{:?}", p.file, key.text(), p.sort);
    let doc = cached(st, doc_key, || {
        let a = entry.analysis();
        let sort = p.sort.cli();
        let (rows, count) = summary::rows(a, entry.graph().root(), sort, None, true, None);
        Ok(summary::document(Path::new(&p.file), entry.snap(), a, &rows, count, sort).to_string())
    })?;
    let list =
        List { key: "classes", offset: p.offset, limit, total: None, sliced: false, more: false };
    paged(parse(&doc)?, &[list], st.max_output)
}

/// The most objects `top` lists.
const TOP_MAX_OBJECTS: u64 = 2000;

/// `top`: the `heapsnap.top/1` document.
pub(crate) fn top(st: &mut State, p: TopParams) -> Result<String> {
    let depth = p.depth.unwrap_or(3);
    let limit = p.limit.unwrap_or(10);
    // Objects listed at most: limit + limit^2 + ... + limit^depth.
    let (mut level, mut objects) = (1u64, 0u64);
    for _ in 0..depth {
        level = level.saturating_mul(limit as u64);
        objects = objects.saturating_add(level);
    }
    if objects > TOP_MAX_OBJECTS {
        bail!(
            "depth {depth} with limit {limit} can list up to {objects} objects, over the maximum of \
             {TOP_MAX_OBJECTS}: lower depth or limit"
        );
    }
    let (entry, _) = st.cache.snapshot(Path::new(&p.file), &st.global)?;
    let doc = top::document(
        Path::new(&p.file),
        entry.graph(),
        entry.analysis(),
        entry.tree(),
        depth,
        limit,
    )
    .to_string();
    if doc.len() > st.max_output {
        bail!(
            "the tree is {} bytes of JSON, over the server's --max-output of {}: lower depth or \
             limit",
            doc.len(),
            st.max_output
        );
    }
    Ok(doc)
}

/// The most retaining paths `retainers` pages through (each page searches all paths before
/// it again).
const RETAINERS_MAX_PATHS: usize = 100;

/// `retainers`: the `heapsnap.retainers/1` document, paths in pages.
pub(crate) fn retainers(st: &mut State, p: RetainersParams) -> Result<String> {
    let limit = limit(p.limit, 3, 50)?;
    if p.offset >= RETAINERS_MAX_PATHS {
        bail!("offset {}: retainers gives the first {RETAINERS_MAX_PATHS} paths at most", p.offset);
    }
    let id = p.id.object_id()?;
    let file = PathBuf::from(&p.file);
    let (entry, _) = st.cache.snapshot(&file, &st.global)?;
    let target = retainers::find(&file, entry.snap(), id)?;
    let end = (p.offset + limit).min(RETAINERS_MAX_PATHS);
    // One more than the page, to know whether another page follows.
    let wanted = if end < RETAINERS_MAX_PATHS { end + 1 } else { end };
    let mut report =
        entry.with_finder(p.path.cli().mode(), |f| RetainersReport::new(f, target, wanted));
    let more = report.paths.len() > end;
    report.paths.truncate(end);
    report.paths.drain(..p.offset.min(report.paths.len()));
    let doc = serde_json::to_value(retainers::document(&file, &report))?;
    let list = List { key: "paths", offset: p.offset, limit, total: None, sliced: true, more };
    paged(doc, &[list], st.max_output)
}

/// `diff`: the `heapsnap.diff/1` document, classes in pages.
pub(crate) fn diff(st: &mut State, p: DiffParams) -> Result<String> {
    let limit = limit(p.limit, 20, 500)?;
    let mut fail_class = Vec::new();
    for rule in &p.fail_class {
        fail_class.push(
            crate::values::parse_class_rule(rule)
                .map_err(|e| anyhow::anyhow!("fail_class: {e}"))?,
        );
    }
    let args = DiffArgs {
        before: PathBuf::from(&p.before),
        after: PathBuf::from(&p.after),
        json: true,
        top: None,
        all: p.all,
        paths: p.paths.unwrap_or(3),
        path: p.path.cli(),
        fail_over: p.fail_over.as_ref().map(|s| s.bytes("fail_over")).transpose()?,
        fail_class,
        emit: None,
        no_retained: false,
    };
    let both = st.cache.snapshots(&[args.before.clone(), args.after.clone()], &st.global)?;
    let (before, after) = (&both[0], &both[1]);
    let doc_key = format!(
        "diff|{}|{}|{}|{}|{:?}",
        p.before,
        p.after,
        before.1.text(),
        after.1.text(),
        (p.all, args.paths, p.path, &args.fail_over, &p.fail_class)
    );
    let doc = cached(st, doc_key, || {
        let report = DiffReport::new(
            before.0.base(),
            after.0.graph(),
            after.0.analysis(),
            &diff::options(&args),
        );
        let reasons = diff::gate_reasons(&args, &report);
        Ok(diff::document_json(&args, &report, &reasons).to_string())
    })?;
    let list =
        List { key: "classes", offset: p.offset, limit, total: None, sliced: false, more: false };
    paged(parse(&doc)?, &[list], st.max_output)
}

/// `leaks`: the `heapsnap.leaks/1` document, findings in pages.
pub(crate) fn leaks(st: &mut State, p: LeaksParams) -> Result<String> {
    let limit = limit(p.limit, 10, 200)?;
    if p.files.is_empty() || p.files.len() > 3 {
        bail!("leaks takes one to three snapshots, oldest first (got {})", p.files.len());
    }
    let mut categories = Vec::new();
    for c in &p.categories {
        categories.push(
            crate::values::parse_category(c).map_err(|e| anyhow::anyhow!("categories: {e}"))?,
        );
    }
    let args = LeaksArgs {
        files: p.files.iter().map(PathBuf::from).collect(),
        json: true,
        top: None,
        paths: p.paths.unwrap_or(4),
        path: p.path.cli(),
        filters: LeakFilters {
            fail_on_leak: p.fail_on_leak,
            min_count: p.min_count.unwrap_or(1),
            min_retained: p.min_retained.as_ref().map(|s| s.bytes("min_retained")).transpose()?,
            min_growth: p.min_growth.unwrap_or(10),
            categories,
        },
    };
    crate::output::check_distinct_inputs(&args.files)?;
    let all = st.cache.snapshots(&args.files, &st.global)?;
    let doc_key = format!(
        "leaks|{:?}|{:?}|{:?}",
        p.files,
        all.iter().map(|(_, k)| k.text()).collect::<Vec<_>>(),
        (
            args.paths,
            p.path,
            p.fail_on_leak,
            args.filters.min_count,
            args.filters.min_retained,
            args.filters.min_growth,
            &p.categories
        )
    );
    let doc = cached(st, doc_key, || {
        let Some(((last, _), earlier)) = all.split_last() else { bail!("no snapshot given") };
        let priors: Vec<_> = earlier.iter().map(|(e, _)| e.census().clone()).collect();
        let t = std::time::Instant::now();
        let report =
            LeakReport::new(&priors, last.graph(), last.analysis(), &leaks::options(&args));
        log::debug!("mcp: leak detection took {:.2?}", t.elapsed());
        let reasons = leaks::gate_reasons(args.filters.fail_on_leak, &report);
        Ok(leaks::report_json(&args, &report, &reasons).to_string())
    })?;
    let list =
        List { key: "findings", offset: p.offset, limit, total: None, sliced: false, more: false };
    paged(parse(&doc)?, &[list], st.max_output)
}

/// An edge and the node at its other end, as a step of a retaining path shows them.
fn step(f: &PathFinder<'_, '_>, e: EdgeIdx, node: NodeIdx) -> RetainersStep {
    let g = f.graph();
    let snap = g.snapshot();
    let raw = usize::from(snap.edge_types()[e.index()]);
    let er = snap.edge(e);
    RetainersStep {
        edge: Some(EdgeInfo {
            kind: snap.meta().edge_type_names().get(raw).cloned().unwrap_or_default(),
            name: er
                .name_str()
                .map(str::to_string)
                .unwrap_or_else(|| er.name_or_index().to_string()),
            text: edge_text(g, e, EdgeStyle::Exact),
        }),
        node: node_info(f, node),
    }
}

/// `inspect`: one object (`heapsnap.inspect/1`): what it is, what dominates it, its best
/// retaining path, its outgoing edges and its retainers, both in pages.
pub(crate) fn inspect(st: &mut State, p: InspectParams) -> Result<String> {
    let limit = limit(p.limit, 50, 1000)?;
    let id = p.id.object_id()?;
    let file = PathBuf::from(&p.file);
    let (entry, _) = st.cache.snapshot(&file, &st.global)?;
    let target = retainers::find(&file, entry.snap(), id)?;
    let (doc, edge_count, retainer_count) = entry.with_finder(PathMode::User, |f| {
        let g = f.graph();
        let a = f.analysis();
        let snap = g.snapshot();
        let edges: Vec<RetainersStep> = snap
            .node(target)
            .edges()
            .skip(p.edges_offset)
            .take(limit)
            .map(|e| step(f, e.idx(), e.to()))
            .collect();
        let held_by: Vec<RetainersStep> = g
            .retainers(target)
            .skip(p.retainers_offset)
            .take(limit)
            .map(|(e, from)| step(f, e, from))
            .collect();
        let dom = a.dominator(target);
        let best = RetainersReport::new(f, target, 1);
        let doc = json!({
            "schema": "heapsnap.inspect/1",
            "file": display(&file),
            "target": node_info(f, target),
            "dominator": dom.map(|d| node_info(f, d)),
            "path": best.paths.first().map(|p| &p.text),
            "edge_count": snap.node(target).edge_count(),
            "edges": edges,
            "retainer_count": g.retainer_count(target),
            "retainers": held_by,
        });
        (doc, snap.node(target).edge_count(), g.retainer_count(target))
    });
    let lists = [
        List {
            key: "edges",
            offset: p.edges_offset,
            limit,
            total: Some(edge_count),
            sliced: true,
            more: false,
        },
        List {
            key: "retainers",
            offset: p.retainers_offset,
            limit,
            total: Some(retainer_count),
            sliced: true,
            more: false,
        },
    ];
    paged(doc, &lists, st.max_output)
}
