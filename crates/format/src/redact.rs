//! Redaction: a snapshot with the data a heap holds replaced, and everything the analysis needs
//! kept.
//!
//! Heap snapshots hold API keys, passwords, session tokens and personal data. [`HeapSnapshot::redact`]
//! replaces, in place:
//!
//! - the **value** of every string (`string`, `concatenated string`, `sliced string` nodes:
//!   this covers string values, Map and Set keys, script sources and the key strings of
//!   property tables), every number and bigint value V8 wrote as a node name, and every
//!   RegExp pattern;
//! - the **property names of dictionary-mode objects** (objects V8 keeps as a hash table,
//!   where keys are usually data: `sessions[token] = …`, `byEmail[email] = …`). An object is in
//!   dictionary mode when its property store (`(object properties)`) holds the key strings
//!   of its own named properties. The global object is in dictionary mode too; there, names
//!   that look like identifiers (`configBus`) are kept;
//! - sections this crate does not interpret (they could hold anything).
//!
//! It keeps the graph exactly (every node, edge, id, size and type: distances, dominators and
//! retained sizes are unchanged), class and constructor names, function names, property names
//! of ordinary (fast-mode) objects, context variable names, internal edge names, symbol
//! descriptions, and script URLs ([`RedactOptions::strict`] replaces script URLs, page URLs
//! in global object names, and the attributes of DOM node names too).
//!
//! A replaced string becomes `<redacted #N>`, where `N` is the index of the original in the
//! string table: equal strings get equal replacements (so duplicated-string analysis still
//! works), and nothing about the content (not even its length) is left. Redacting a redacted
//! snapshot changes nothing.
//!
//! What stays, and why it can still identify something: property names of small objects that
//! V8 kept in fast mode even though the code computed them (a handful of `obj[token] = 1` on
//! one object), and function, class and variable names, which come from source code.

use crate::ids::StringIdx;
use crate::meta::{EdgeKind, NodeKind};
use crate::snapshot::HeapSnapshot;
use crate::strings::Strings;

/// Options for [`HeapSnapshot::redact`].
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct RedactOptions {
    /// Also replace script URLs (script names, allocation-trace script names), the URL in a
    /// page's global object name (`Window / https://…`) and the attributes in DOM node names
    /// (`<div id="…">`).
    pub strict: bool,
}

impl RedactOptions {
    /// The default: values and data keys replaced, script URLs kept.
    pub fn new() -> RedactOptions {
        RedactOptions::default()
    }

    /// Sets [`RedactOptions::strict`].
    pub fn strict(mut self, strict: bool) -> RedactOptions {
        self.strict = strict;
        self
    }
}

/// What [`HeapSnapshot::redact`] replaced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RedactStats {
    /// Node names replaced (string values, numbers, patterns, URLs).
    pub node_names: u64,
    /// Edge names replaced (dictionary keys).
    pub edge_names: u64,
    /// Distinct strings of the string table whose text no longer appears anywhere.
    pub strings: u64,
    /// Sections dropped because their content is not understood.
    pub dropped_sections: Vec<String>,
}

const TOKEN_PREFIX: &str = "<redacted #";

fn is_token(s: &str) -> bool {
    s.strip_prefix(TOKEN_PREFIX)
        .and_then(|r| r.strip_suffix('>'))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

/// How one string reference is treated.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    Keep,
    Redact,
}

impl HeapSnapshot {
    /// Replaces the data this snapshot holds (see the [module docs](crate::redact)) and returns
    /// what was replaced. The graph is unchanged: every node keeps its id, type, self size and
    /// edges.
    ///
    /// ```
    /// use heapsnap_format::{HeapSnapshot, RedactOptions};
    /// let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
    ///   "node_types":[["synthetic","object","string"]],"edge_fields":["type","name_or_index","to_node"],
    ///   "edge_types":[["element","property"]]},"node_count":3,"edge_count":2},
    ///   "nodes":[0,0,1,0,1, 1,1,3,32,1, 2,3,5,40,0],"edges":[1,2,5, 1,4,10],
    ///   "strings":["","Session","global","hunter2-password","token"]}"#;
    /// let mut snap = HeapSnapshot::from_slice(json)?;
    /// let stats = snap.redact(&RedactOptions::new());
    /// assert_eq!(stats.node_names, 1);
    /// assert!(snap.strings().iter().all(|s| !s.contains("hunter2")));
    /// let session = snap.node(heapsnap_format::NodeIdx(1));
    /// assert_eq!(session.name(), "Session"); // class names stay
    /// assert_eq!(session.edges().next().unwrap().name_str(), Some("token")); // and property names
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn redact(&mut self, opts: &RedactOptions) -> RedactStats {
        let n = self.node_count();
        let string_count = self.strings.len();
        let mut stats = RedactStats::default();
        let kind = |s: &HeapSnapshot, v: usize| s.meta.node_kind(s.node_type[v]);
        fn name_of(s: &HeapSnapshot, i: u32) -> &str {
            s.strings.get(StringIdx(i)).unwrap_or("")
        }

        // Global objects: the targets of `global_object` edges and nodes named like one.
        let mut global = vec![false; n];
        for v in 0..n {
            let name = name_of(self, self.node_name[v]);
            if kind(self, v) == NodeKind::Object
                && (name == "global"
                    || name.starts_with("global / ")
                    || name.contains("[JSGlobalObject]")
                    || name.starts_with("Window"))
            {
                global[v] = true;
            }
            for e in self.first_edge[v] as usize..self.first_edge[v + 1] as usize {
                if self.meta.edge_kind(self.edge_type[e]) == EdgeKind::Internal
                    && name_of(self, self.edge_name_or_index[e]) == "global_object"
                {
                    global[self.edge_to[e] as usize] = true;
                }
            }
        }

        // Per node name and per edge name: keep or redact.
        let mut node_use = vec![Use::Keep; n];
        for v in 0..n {
            let k = kind(self, v);
            let name = name_of(self, self.node_name[v]);
            let redact =
                k.named_by_value() || (opts.strict && k == NodeKind::Code && self.is_script(v));
            if redact && !is_token(name) {
                node_use[v] = Use::Redact;
            }
        }
        let mut edge_use = vec![Use::Keep; self.edge_count()];
        let mut store_keys: Vec<u32> = Vec::new();
        for v in 0..n {
            if !matches!(kind(self, v), NodeKind::Object | NodeKind::Closure | NodeKind::RegExp) {
                continue;
            }
            let edges = self.first_edge[v] as usize..self.first_edge[v + 1] as usize;
            // The key strings in the object's property store, if it is a dictionary.
            store_keys.clear();
            for e in edges.clone() {
                if self.meta.edge_kind(self.edge_type[e]) == EdgeKind::Internal
                    && name_of(self, self.edge_name_or_index[e]) == "properties"
                {
                    let store = self.edge_to[e] as usize;
                    for se in self.first_edge[store] as usize..self.first_edge[store + 1] as usize {
                        let t = self.edge_to[se] as usize;
                        if kind(self, t) == NodeKind::String {
                            store_keys.push(self.node_name[t]);
                        }
                    }
                }
            }
            if store_keys.is_empty() {
                continue;
            }
            store_keys.sort_unstable();
            for e in edges {
                if self.meta.edge_kind(self.edge_type[e]) != EdgeKind::Property {
                    continue;
                }
                let s = self.edge_name_or_index[e];
                if store_keys.binary_search(&s).is_err() {
                    continue; // not a key of the dictionary (e.g. `__proto__`)
                }
                let name = name_of(self, s);
                if is_token(name) || (global[v] && is_identifier(name)) {
                    continue;
                }
                edge_use[e] = Use::Redact;
            }
        }

        // Which strings keep their text (used by a kept reference) and which are redacted.
        let mut kept = vec![false; string_count];
        let mut redacted = vec![false; string_count];
        let mut mark = |i: u32, u: Use| {
            if let Some(slot) = match u {
                Use::Keep => kept.get_mut(i as usize),
                Use::Redact => redacted.get_mut(i as usize),
            } {
                *slot = true;
            }
        };
        for v in 0..n {
            mark(self.node_name[v], node_use[v]);
        }
        for e in 0..self.edge_count() {
            if self.meta.edge_kind(self.edge_type[e]).has_string_name() {
                mark(self.edge_name_or_index[e], edge_use[e]);
            }
        }
        let tf_fields = self.meta.field_list("trace_function_info_fields");
        let tf_len = tf_fields.as_ref().map_or(6, |f| f.len().max(1));
        let tf_pos = |name: &str| tf_fields.as_ref().and_then(|f| f.iter().position(|x| x == name));
        let (tf_name, tf_script) = (tf_pos("name"), tf_pos("script_name"));
        if let Some(infos) = &self.trace_function_infos {
            for info in infos.chunks(tf_len) {
                if let Some(&s) = tf_name.and_then(|p| info.get(p)) {
                    mark(s, Use::Keep);
                }
                if let Some(&s) = tf_script.and_then(|p| info.get(p)) {
                    mark(s, if opts.strict { Use::Redact } else { Use::Keep });
                }
            }
        }

        // New text for each string; strings used both ways get a second, redacted copy.
        let mut text: Vec<Option<String>> = vec![None; string_count];
        let mut copy_of: Vec<u32> = vec![u32::MAX; string_count];
        let mut appended: Vec<String> = Vec::new();
        for i in 0..string_count {
            let s = name_of(self, i as u32);
            if is_token(s) {
                continue;
            }
            let token = || format!("{TOKEN_PREFIX}{i}>");
            let strict_text = if opts.strict && kept[i] { strict_name(s) } else { None };
            if redacted[i] && kept[i] {
                copy_of[i] = (string_count + appended.len()) as u32;
                appended.push(token());
                if let Some(t) = strict_text {
                    text[i] = Some(t);
                }
            } else if redacted[i] || !kept[i] {
                // Redacted, or used by nothing we know of (it could hold anything).
                if !s.is_empty() {
                    text[i] = Some(token());
                    stats.strings += 1;
                }
            } else if let Some(t) = strict_text {
                text[i] = Some(t);
            }
        }
        stats.strings += appended.len() as u64;

        // Point redacted references at the redacted copies.
        for v in 0..n {
            if node_use[v] == Use::Redact {
                stats.node_names += 1;
                let i = self.node_name[v] as usize;
                if copy_of.get(i).is_some_and(|&c| c != u32::MAX) {
                    self.node_name[v] = copy_of[i];
                }
            }
        }
        for e in 0..self.edge_count() {
            if edge_use[e] == Use::Redact {
                stats.edge_names += 1;
                let i = self.edge_name_or_index[e] as usize;
                if copy_of.get(i).is_some_and(|&c| c != u32::MAX) {
                    self.edge_name_or_index[e] = copy_of[i];
                }
            }
        }
        if opts.strict
            && let Some(infos) = &mut self.trace_function_infos
        {
            for info in infos.chunks_mut(tf_len) {
                if let Some(s) = tf_script.and_then(|p| info.get_mut(p))
                    && copy_of.get(*s as usize).is_some_and(|&c| c != u32::MAX)
                {
                    *s = copy_of[*s as usize];
                }
            }
        }

        self.strings = rebuild(&self.strings, &text, &appended);
        stats.dropped_sections = self.extra_sections.drain(..).map(|(k, _)| k).collect();
        self.id_index = Default::default();
        stats
    }

    /// Whether node `v` (type `code`) is a Script: it has an internal `source` edge.
    fn is_script(&self, v: usize) -> bool {
        (self.first_edge[v] as usize..self.first_edge[v + 1] as usize).any(|e| {
            self.meta.edge_kind(self.edge_type[e]) == EdgeKind::Internal
                && self.strings.get(StringIdx(self.edge_name_or_index[e])) == Some("source")
        })
    }
}

/// In strict mode, the part of a kept name that can carry a URL or attribute values: the URL
/// after `Window / ` (or `[JSGlobalObject] / `), the attributes of `<div id="…">`.
fn strict_name(s: &str) -> Option<String> {
    if let Some((head, tail)) = s.split_once(" / ")
        && (head.starts_with("Window") || head.ends_with("[JSGlobalObject]"))
        && !tail.is_empty()
    {
        return Some(format!("{head} / <redacted url>"));
    }
    for prefix in ["<", "Detached <"] {
        if let Some(rest) = s.strip_prefix(prefix)
            && let Some(space) = rest.find(' ')
            && rest.ends_with('>')
        {
            return Some(format!("{prefix}{}>", &rest[..space]));
        }
    }
    None
}

/// The string table with `text[i]` replacing string `i` where set, and `appended` added.
fn rebuild(old: &Strings, text: &[Option<String>], appended: &[String]) -> Strings {
    let mut out = Strings::default();
    for (i, s) in old.iter().enumerate() {
        match &text[i] {
            Some(t) => out.buf.push_str(t),
            None => {
                out.buf.push_str(s);
                // Offsets of lone surrogates are relative to their string: unchanged.
                out.lone.extend(old.lone_of(i as u32).copied());
            }
        }
        out.ends.push(out.buf.len());
    }
    for s in appended {
        out.buf.push_str(s);
        out.ends.push(out.buf.len());
    }
    out
}
