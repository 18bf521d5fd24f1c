//! `heapsnap mcp`: a Model Context Protocol server on stdin/stdout for coding agents.
//!
//! Tools `summary`, `top`, `retainers`, `diff`, `leaks` return the documents the CLI prints
//! with `--json` (`docs/json.md`), built by the same functions, plus a `page` object for the
//! list cut into pages; `inspect` returns one object with its edges and retainers
//! (`heapsnap.inspect/1`). Snapshots and what was computed on them stay in a cache between
//! calls ([`cache`]). Failures (a missing file, an unknown id, a bad option) are tool errors
//! whose text is the CLI's error message; the server goes on.
//!
//! The protocol is the official Rust SDK's (`rmcp`) on a current-thread tokio runtime that
//! only this command starts; each call runs on a blocking thread, one at a time (a call may
//! need gigabytes: two at once would need twice that). Stdout carries only protocol
//! messages; logs go to stderr.

mod cache;
mod tools;

use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    JsonObject, ListToolsResult, MetaObject, PaginatedRequestParams, ServerCapabilities,
    ServerConfig, Tool, ToolAnnotations,
};
use rmcp::schemars::JsonSchema;
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};

use crate::cli::{GlobalArgs, McpArgs};
use tools::State;

/// What the server tells the agent when it connects.
const INSTRUCTIONS: &str = "heapsnap analyzes V8 heap snapshots (.heapsnapshot files of \
Node.js or Chrome, plain or gzipped) to find memory leaks. To hunt a leak: `leaks` on three \
snapshots of one process (baseline, target, final; taken with `heapsnap hunt` or `heapsnap \
capture`) lists what grows and what holds it; `diff` compares two; `summary` and `top` show \
what one heap holds; `retainers` tells why one object (an id like @1234 from any answer) is \
alive, and `inspect` shows its edges and retainers. Answers are the JSON documents of the \
`heapsnap` CLI's `--json` (`page` says how to get the next page of a long list). Snapshots stay \
loaded between calls: follow-up questions on the same files are fast.";

/// The tools, their descriptions and parameter schemas.
fn tool_list() -> Vec<Tool> {
    fn tool<P: JsonSchema + 'static>(
        name: &'static str,
        title: &str,
        description: &'static str,
    ) -> Tool {
        let schema = rmcp::handler::server::common::schema_for_type::<P>();
        Tool::new(name, description, schema).with_title(title).annotate(
            ToolAnnotations::new()
                .read_only(true)
                .destructive(false)
                .idempotent(true)
                .open_world(false),
        )
    }
    vec![
        tool::<tools::SummaryParams>(
            "summary",
            "Summary of a heap",
            "DevTools' Summary view of one snapshot: objects by class with count, shallow and \
             retained size, distance (document heapsnap.summary/1). `classes` comes in pages: \
             `limit` (default 50) and `offset`; `page.classes.next_offset` is the next offset, \
             null on the last page; `class_count` is the number of classes in all.",
        ),
        tool::<tools::TopParams>(
            "top",
            "Largest objects",
            "The largest objects by retained size, down the dominator tree from the root: \
             `limit` children per object, `depth` levels (document heapsnap.top/1, at most 2000 \
             objects).",
        ),
        tool::<tools::RetainersParams>(
            "retainers",
            "Why is this object alive",
            "The best retaining paths of one object (`id`, e.g. \"@1234\"), through the \
             program's own variables unless `path` is `shortest` (document \
             heapsnap.retainers/1). `paths` comes in pages: `limit` (default 3) and `offset`.",
        ),
        tool::<tools::DiffParams>(
            "diff",
            "Compare two heaps",
            "Compare two snapshots of one process: DevTools' Comparison by class, what grew, \
             and the retaining paths holding the growth (document heapsnap.diff/1). `classes` \
             comes in pages: `limit` (default 20) and `offset`; `gate` reflects `fail_over` and \
             `fail_class`.",
        ),
        tool::<tools::LeaksParams>(
            "leaks",
            "Find leaks",
            "Find leaks in one to three snapshots of one process, oldest first: listeners, \
             timers, cycles, detached DOM, open handles, growing collections, unexplained \
             growth; each finding with its class, count, sizes, growth and retaining paths \
             (document heapsnap.leaks/1). `findings` comes in pages, most important first: \
             `limit` (default 10) and `offset`.",
        ),
        tool::<tools::InspectParams>(
            "inspect",
            "Inspect one object",
            "One object (`id`, e.g. \"@1234\"): its type, name, class and sizes, its immediate \
             dominator, its best retaining path, its outgoing edges (with the objects they \
             lead to) and its retainers (the edges that point to it, with the objects holding \
             them) (document heapsnap.inspect/1). `edges` and `retainers` come in pages: \
             `limit` (default 50, for each), `edges_offset`, `retainers_offset`.",
        ),
    ]
}

/// The server: the tool list and the state every call uses, one call at a time.
#[derive(Clone)]
struct Server {
    tools: Arc<Vec<Tool>>,
    state: Arc<Mutex<State>>,
}

/// Runs one call with its JSON arguments; the answer's text, or the error to show.
fn call(st: &mut State, name: &str, args: JsonObject) -> Result<String> {
    fn params<P: serde::de::DeserializeOwned>(name: &str, args: JsonObject) -> Result<P> {
        serde_json::from_value(serde_json::Value::Object(args))
            .with_context(|| format!("invalid arguments for {name}"))
    }
    let since = st.cache.now();
    let t = std::time::Instant::now();
    let answer = match name {
        "summary" => tools::summary(st, params(name, args)?),
        "top" => tools::top(st, params(name, args)?),
        "retainers" => tools::retainers(st, params(name, args)?),
        "diff" => tools::diff(st, params(name, args)?),
        "leaks" => tools::leaks(st, params(name, args)?),
        "inspect" => tools::inspect(st, params(name, args)?),
        _ => anyhow::bail!("no tool named {name}"),
    };
    st.cache.trim(since);
    log::info!(
        "mcp: {name} took {:.2?}; the cache holds about {} MB",
        t.elapsed(),
        st.cache.bytes() / 1_000_000
    );
    answer
}

/// The result's `_meta`: `heapsnap/cache` says what the call found in the cache, `snapshots`
/// (each file used, as given, with `cached`) and `answer` (whether the whole answer was kept
/// from an earlier call; absent for tools that do not keep answers).
fn cache_meta(hits: &cache::Hits) -> JsonObject {
    let snapshots: Vec<serde_json::Value> = hits
        .snapshots
        .iter()
        .map(|(file, hit)| serde_json::json!({"file": file, "cached": hit}))
        .collect();
    let mut cache = serde_json::Map::new();
    cache.insert("snapshots".into(), snapshots.into());
    if let Some(hit) = hits.answer {
        cache.insert("answer".into(), serde_json::json!({"cached": hit}));
    }
    let mut meta = JsonObject::new();
    meta.insert("heapsnap/cache".into(), cache.into());
    meta
}

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("heapsnap", env!("CARGO_PKG_VERSION"))
                    .with_title("heapsnap: V8 heap snapshot analysis"),
            )
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools.as_ref().clone()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools.iter().find(|t| t.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let name = request.name.to_string();
        if !self.tools.iter().any(|t| t.name == name) {
            return Err(ErrorData::invalid_params(format!("no tool named {name}"), None));
        }
        let args = request.arguments.unwrap_or_default();
        let state = Arc::clone(&self.state);
        let done = tokio::task::spawn_blocking(move || {
            // A call that panicked leaves nothing half-done in the state: use it on.
            let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
            let answer = call(&mut st, &name, args);
            (answer, cache_meta(&st.cache.hits))
        })
        .await;
        let mut result = match &done {
            Ok((Ok(text), _)) => CallToolResult::success(vec![ContentBlock::text(text.clone())]),
            Ok((Err(err), _)) => {
                CallToolResult::error(vec![ContentBlock::text(format!("{err:#}"))])
            }
            Err(err) => CallToolResult::error(vec![ContentBlock::text(format!(
                "internal error: heapsnap failed on this input ({err}); please report it"
            ))]),
        };
        if let Ok((_, meta)) = done {
            result.meta = Some(MetaObject(meta));
        }
        Ok(result.into())
    }
}

pub(crate) fn run(args: &McpArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let state = State {
        cache: cache::Cache::new(args.cache_size),
        global: global.clone(),
        max_output: usize::try_from(args.max_output).unwrap_or(usize::MAX),
    };
    let server = Server { tools: Arc::new(tool_list()), state: Arc::new(Mutex::new(state)) };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the MCP server's runtime")?;
    log::info!("mcp: serving on stdin/stdout");
    let outcome = rt.block_on(async {
        let service = server.serve(rmcp::transport::stdio()).await?;
        service.waiting().await?;
        anyhow::Ok(())
    });
    // A read of stdin may still be pending on a blocking thread: do not wait for it.
    rt.shutdown_background();
    outcome.context("MCP server")?;
    log::info!("mcp: the client closed the connection");
    Ok(ExitCode::SUCCESS)
}
