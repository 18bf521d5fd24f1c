//! The top level: sections in any order, dispatched to their readers.

use std::io::Read;

use super::numbers::{Each, LEADING_ZERO};
use super::rows::{MaxRef, grow};
use super::scanner::{OnLimit, Raw, Scanner, describe, line_col_to_offset};
use super::{CHUNK, MAX_BLIND_RESERVE, MAX_TRACE_DEPTH, ParseOptions};
use crate::error::{Result, Section, Warning};
use crate::snapshot::{HeapSnapshot, TraceTree};

pub(super) struct Parser<'o, R> {
    pub(super) s: Scanner<R>,
    pub(super) opts: &'o ParseOptions,
    /// Known input length (uncompressed files), used to bound up-front reservations.
    pub(super) len_hint: Option<u64>,
    pub(super) snap: HeapSnapshot,
    pub(super) have_header: bool,
    pub(super) seen: std::collections::HashSet<String>,
    pub(super) node_count: usize,
    pub(super) edge_count: usize,
    pub(super) header_trace_function_count: Option<u64>,
    pub(super) edge_count_sum: u64,
    pub(super) nodes_end: u64,
    pub(super) node_name_max: MaxRef,
    pub(super) edge_name_max: MaxRef,
    pub(super) locations_offset: u64,
    /// Bytes of unknown sections kept so far (see `ParseOptions::max_unknown_sections_bytes`).
    pub(super) unknown_kept: usize,
}

impl<'o, R: Read> Parser<'o, R> {
    pub(super) fn new(reader: R, opts: &'o ParseOptions, len_hint: Option<u64>) -> Self {
        Parser {
            s: Scanner {
                reader,
                buf: vec![0u8; CHUNK].into_boxed_slice(),
                pos: 0,
                end: 0,
                base: 0,
                eof: false,
                section: Section::TopLevel,
                max_string: opts.max_string_bytes,
            },
            opts,
            len_hint,
            snap: HeapSnapshot::default(),
            have_header: false,
            seen: std::collections::HashSet::new(),
            node_count: 0,
            edge_count: 0,
            header_trace_function_count: None,
            edge_count_sum: 0,
            nodes_end: 0,
            node_name_max: MaxRef::default(),
            edge_name_max: MaxRef::default(),
            locations_offset: 0,
            unknown_kept: 0,
        }
    }

    /// How many entries to reserve for a column that will hold `declared` values out of
    /// `values_in_section` numbers: everything when the input is known to be big enough to hold
    /// them (each number takes at least two bytes), a bounded amount otherwise.
    pub(super) fn reserve_for(&self, declared: usize, total_numbers: u64) -> usize {
        match self.len_hint {
            Some(len) if total_numbers.saturating_mul(2) <= len => declared,
            _ => declared.min(MAX_BLIND_RESERVE),
        }
    }

    pub(super) fn run(mut self) -> Result<HeapSnapshot> {
        match self.s.skip_ws()? {
            None => return Err(self.s.err("empty input: expected a heap snapshot JSON object")),
            Some(b'{') => self.s.bump(),
            Some(b) => {
                return Err(self.s.err(format!(
                    "expected `{{` at the start of a heap snapshot, found {} (is this a .heapsnapshot file?)",
                    describe(b)
                )));
            }
        }
        let mut key = Vec::new();
        let mut lone = Vec::new();
        if self.s.skip_ws_some()? == b'}' {
            self.s.bump();
        } else {
            loop {
                self.s.section = Section::TopLevel;
                key.clear();
                lone.clear();
                let key_offset = self.s.offset();
                self.s.string(&mut key, &mut lone)?;
                let key_str = String::from_utf8_lossy(&key).into_owned();
                if self.seen.contains(&key_str) {
                    return Err(self
                        .s
                        .err_at(key_offset, format!("duplicate top-level key `{key_str}`")));
                }
                self.s.expect(b':', "`:`")?;
                self.section_value(&key_str)?;
                self.seen.insert(key_str);
                self.s.section = Section::TopLevel;
                match self.s.skip_ws_some()? {
                    b',' => self.s.bump(),
                    b'}' => {
                        self.s.bump();
                        break;
                    }
                    b => {
                        return Err(self.s.err(format!(
                            "expected `,` or `}}` after a section, found {}",
                            describe(b)
                        )));
                    }
                }
            }
        }
        if let Some(b) = self.s.skip_ws()? {
            return Err(self
                .s
                .err(format!("unexpected data after the snapshot object: {}", describe(b))));
        }
        self.finish()
    }

    pub(super) fn require_header(&self, what: &str) -> Result<()> {
        if self.have_header {
            Ok(())
        } else {
            Err(self.s.err(format!(
                "`{what}` comes before the `snapshot` header that describes its layout"
            )))
        }
    }

    pub(super) fn section_value(&mut self, key: &str) -> Result<()> {
        match key {
            "snapshot" => {
                self.s.section = Section::Header;
                self.header()
            }
            "nodes" => {
                self.s.section = Section::Nodes;
                self.require_header(key)?;
                self.nodes()
            }
            "edges" => {
                self.s.section = Section::Edges;
                self.require_header(key)?;
                self.edges()
            }
            "trace_function_infos" => {
                self.s.section = Section::TraceFunctionInfos;
                let v = self.flat_array()?;
                if self.opts.trace {
                    self.snap.trace_function_infos = Some(v);
                }
                Ok(())
            }
            "trace_tree" => {
                self.s.section = Section::TraceTree;
                self.require_header(key)?;
                let t = self.trace_tree()?;
                if self.opts.trace {
                    self.snap.trace_tree = Some(t);
                }
                Ok(())
            }
            "samples" => {
                self.s.section = Section::Samples;
                let v = self.flat_array()?;
                if self.opts.trace {
                    self.snap.samples = Some(v);
                }
                Ok(())
            }
            "locations" => {
                self.s.section = Section::Locations;
                self.locations_offset = self.s.offset();
                let v = self.flat_array()?;
                if self.opts.locations {
                    self.snap.locations = Some(v);
                }
                Ok(())
            }
            "strings" => {
                self.s.section = Section::Strings;
                self.strings()
            }
            other => {
                self.s.section = Section::Other;
                let start = self.s.skip_ws_some().map(|_| self.s.offset())?;
                let room = self.opts.max_unknown_sections_bytes.saturating_sub(self.unknown_kept);
                let raw = match self.s.raw_value(room, OnLimit::Skip)? {
                    Raw::Kept(raw) => raw,
                    Raw::Dropped(len) => {
                        let message = format!(
                            "section `{other}` ({len} bytes) is not kept: the sections this \
                             crate does not interpret may keep {} bytes in all \
                             (ParseOptions::max_unknown_sections_bytes), so a write leaves it out",
                            self.opts.max_unknown_sections_bytes
                        );
                        self.snap.warnings.push(Warning { section: Section::Other, message });
                        return Ok(());
                    }
                };
                self.unknown_kept += raw.len() + other.len();
                // Kept verbatim, so it must at least be valid JSON (lone surrogates allowed).
                if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&raw) {
                    let at = line_col_to_offset(&raw, e.line(), e.column());
                    return Err(self
                        .s
                        .err_at(start + at, format!("invalid JSON in `{other}`: {e}")));
                }
                self.snap.extra_sections.push((other.to_string(), raw.into_boxed_slice()));
                Ok(())
            }
        }
    }

    pub(super) fn flat_array(&mut self) -> Result<Vec<u32>> {
        let mut v = Vec::new();
        self.s.u32_array(&mut Each(|x, _| {
            grow(&mut v, usize::MAX)?.push(x);
            Ok(())
        }))?;
        v.shrink_to_fit();
        Ok(v)
    }

    /// `trace_tree`: nested `[id, function_info_index, count, size, [children...]]` records,
    /// read with an explicit stack (no recursion, so deep trees cannot overflow ours).
    pub(super) fn trace_tree(&mut self) -> Result<TraceTree> {
        let fields = self.snap.meta.field_list("trace_node_fields");
        let value_fields = match fields.as_deref() {
            None => 4,
            Some([.., last]) if last == "children" => fields.as_ref().map_or(4, |f| f.len() - 1),
            Some(_) => {
                return Err(self.s.err("`meta.trace_node_fields` must end with `children`"));
            }
        };
        let mut flat = Vec::new();
        // Each open array: position in `flat` of the owning node's child count (None for the
        // top level), and how many values of the current record have been read.
        let mut stack: Vec<(Option<usize>, usize)> = Vec::new();
        self.s.expect(b'[', "`[`")?;
        stack.push((None, 0));
        let mut need_value = false;
        while let Some(&mut (owner, ref mut in_record)) = stack.last_mut() {
            let b = self.s.skip_ws_some()?;
            match b {
                b']' => {
                    if need_value {
                        return Err(self.s.err("trailing comma before `]`"));
                    }
                    if *in_record != 0 {
                        return Err(self.s.err(format!(
                            "trace_tree record ends after {} of its {} values",
                            *in_record,
                            value_fields + 1
                        )));
                    }
                    self.s.bump();
                    stack.pop();
                    let _ = owner;
                    need_value = false;
                    if let Some(top) = stack.last_mut() {
                        top.1 = 0;
                    }
                    if !stack.is_empty() {
                        self.tree_separator(&mut need_value)?;
                    }
                    continue;
                }
                b'[' => {
                    if *in_record != value_fields {
                        return Err(self.s.err(format!(
                            "trace_tree record has a children array at position {} instead of {}",
                            *in_record, value_fields
                        )));
                    }
                    self.s.bump();
                    grow(&mut flat, usize::MAX).map_err(|m| self.s.err(m))?.push(0);
                    let slot = flat.len() - 1;
                    // Count this node as a child of the enclosing array's owner.
                    if let Some(o) = owner {
                        flat[o] += 1;
                    }
                    if stack.len() >= MAX_TRACE_DEPTH {
                        return Err(self.s.err(format!(
                            "trace_tree is nested deeper than {MAX_TRACE_DEPTH} levels"
                        )));
                    }
                    stack.push((Some(slot), 0));
                    need_value = false;
                    continue;
                }
                b'0'..=b'9' => {
                    if *in_record >= value_fields {
                        return Err(self
                            .s
                            .err("trace_tree record has too many values before its children"));
                    }
                    *in_record += 1;
                    let start = self.s.offset();
                    let mut v: u64 = 0;
                    while let Some(d @ b'0'..=b'9') = self.s.peek()? {
                        v = v * 10 + u64::from(d - b'0');
                        if v > u64::from(u32::MAX) {
                            return Err(self.s.err_at(start, "number does not fit in 32 bits"));
                        }
                        self.s.bump();
                    }
                    if b == b'0' && self.s.offset() - start > 1 {
                        return Err(self.s.err_at(start, LEADING_ZERO));
                    }
                    grow(&mut flat, usize::MAX).map_err(|m| self.s.err(m))?.push(v as u32);
                    self.tree_separator(&mut need_value)?;
                }
                other => {
                    return Err(self
                        .s
                        .err(format!("expected a number or an array, found {}", describe(other))));
                }
            }
        }
        // Child counts were credited to the owner of the enclosing array; the top-level records
        // have no owner and are simply listed in order.
        flat.shrink_to_fit();
        Ok(TraceTree { value_fields, flat })
    }

    pub(super) fn tree_separator(&mut self, need_value: &mut bool) -> Result<()> {
        match self.s.skip_ws_some()? {
            b',' => {
                self.s.bump();
                *need_value = true;
                Ok(())
            }
            b']' => {
                *need_value = false;
                Ok(())
            }
            b => Err(self.s.err(format!("expected `,` or `]`, found {}", describe(b)))),
        }
    }
}
