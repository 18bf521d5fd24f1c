//! The `nodes` and `edges` sections into their columns: per-value checks, and row layouts for
//! the fast path.

use std::io::Read;

use super::MAX_BLIND_RESERVE;
use super::numbers::{U32Sink, scan_row};
use super::parser::Parser;
use super::scanner::out_of_memory;
use crate::error::Result;
use crate::meta::{EdgeField, NodeField};
use crate::snapshot::HeapSnapshot;

impl<R: Read> Parser<'_, R> {
    pub(super) fn nodes(&mut self) -> Result<()> {
        let meta = &self.snap.meta;
        let nf = meta.node_fields.len();
        let n = self.node_count;
        let type_count = meta.node_type_names.len() as u32;
        let map = meta.node_field_map.clone();
        let extra_fields = meta.node_extra_fields;
        let reserve = self.reserve_for(n, (n * nf) as u64);
        let snap = &mut self.snap;
        let oom = |m: String| self.s.err(m);
        reserve_up_front(&mut snap.node_type, reserve).map_err(oom)?;
        reserve_up_front(&mut snap.node_name, reserve).map_err(oom)?;
        reserve_up_front(&mut snap.node_id, reserve).map_err(oom)?;
        reserve_up_front(&mut snap.node_self_size, reserve).map_err(oom)?;
        reserve_up_front(&mut snap.first_edge, reserve + 1).map_err(oom)?;
        snap.first_edge.push(0);
        if map.contains(&NodeField::Detachedness) {
            reserve_up_front(&mut snap.node_detachedness, reserve).map_err(oom)?;
        }
        snap.node_extra = (0..extra_fields).map(|_| Vec::new()).collect();
        for col in &mut snap.node_extra {
            reserve_up_front(col, reserve).map_err(oom)?;
        }
        let expected = (n * nf) as u64;
        let layout = NodeRowLayout::of(&map);
        let mut sink = NodeSink {
            snap,
            map,
            nf,
            n,
            type_count,
            expected,
            field: 0,
            seen: 0,
            sum: 0,
            name_max: &mut self.node_name_max,
            layout,
        };
        let count = self.s.u32_array(&mut sink)?;
        if count != expected {
            return Err(self.s.err(format!(
                "`nodes` has {count} values but node_count {n} × {nf} node fields = {expected}{}",
                if count < expected { " (too few)" } else { "" }
            )));
        }
        self.edge_count_sum = sink.sum;
        self.nodes_end = self.s.offset();
        Ok(())
    }

    pub(super) fn edges(&mut self) -> Result<()> {
        let meta = &self.snap.meta;
        let nf = meta.node_fields.len() as u32;
        let ef = meta.edge_fields.len();
        let e = self.edge_count;
        let node_values = (self.node_count as u64) * u64::from(nf);
        let type_count = meta.edge_type_names.len() as u32;
        let string_named: Vec<bool> = meta.edge_kinds.iter().map(|k| k.has_string_name()).collect();
        let map = meta.edge_field_map.clone();
        let extra_fields = meta.edge_extra_fields;
        let reserve = self.reserve_for(e, (e * ef) as u64);
        let snap = &mut self.snap;
        let oom = |m: String| self.s.err(m);
        reserve_up_front(&mut snap.edge_type, reserve).map_err(oom)?;
        reserve_up_front(&mut snap.edge_name_or_index, reserve).map_err(oom)?;
        reserve_up_front(&mut snap.edge_to, reserve).map_err(oom)?;
        snap.edge_extra = (0..extra_fields).map(|_| Vec::new()).collect();
        for col in &mut snap.edge_extra {
            reserve_up_front(col, reserve).map_err(oom)?;
        }
        let expected = (e as u64) * ef as u64;
        let layout = EdgeRowLayout::of(&map);
        let mut sink = EdgeSink {
            snap,
            map,
            ef,
            e,
            nf,
            node_values,
            type_count,
            string_named,
            expected,
            field: 0,
            seen: 0,
            row_type: None,
            row_name: None,
            name_max: &mut self.edge_name_max,
            layout,
        };
        let count = self.s.u32_array(&mut sink)?;
        if count != expected {
            return Err(self.s.err(format!(
                "`edges` has {count} values but edge_count {e} × {ef} edge fields = {expected}{}",
                if count < expected { " (too few)" } else { "" }
            )));
        }
        Ok(())
    }
}

/// Where each field sits in a `nodes` row, for layouts the fast path knows: the five fields
/// every V8 writes, plus `trace_node_id` and/or `detachedness`, six or seven fields in all, in
/// any order, no unknown fields.
#[derive(Clone, Copy)]
struct NodeRowLayout {
    ty: usize,
    name: usize,
    id: usize,
    size: usize,
    edges: usize,
    trace: Option<usize>,
    detached: Option<usize>,
}

impl NodeRowLayout {
    fn of(map: &[NodeField]) -> Option<NodeRowLayout> {
        if !(6..=7).contains(&map.len()) {
            return None;
        }
        let at = |f: NodeField| map.iter().position(|&m| m == f);
        if map.iter().any(|m| matches!(m, NodeField::Extra(_))) {
            return None;
        }
        Some(NodeRowLayout {
            ty: at(NodeField::Type)?,
            name: at(NodeField::Name)?,
            id: at(NodeField::Id)?,
            size: at(NodeField::SelfSize)?,
            edges: at(NodeField::EdgeCount)?,
            trace: at(NodeField::TraceNodeId),
            detached: at(NodeField::Detachedness),
        })
    }
}

/// The `nodes` array into the node columns.
struct NodeSink<'a> {
    snap: &'a mut HeapSnapshot,
    map: Vec<NodeField>,
    nf: usize,
    n: usize,
    type_count: u32,
    expected: u64,
    /// The field the next value belongs to.
    field: usize,
    /// Values taken so far.
    seen: u64,
    /// Running sum of edge counts (the next node's first edge).
    sum: u64,
    name_max: &'a mut MaxRef,
    layout: Option<NodeRowLayout>,
}

impl NodeSink<'_> {
    #[inline(always)]
    fn rows_of<const K: usize>(&mut self, l: NodeRowLayout, buf: &[u8], base: u64) -> (usize, u64) {
        let n = self.n;
        let snap = &mut *self.snap;
        let rows_left = (self.expected - self.seen) / K as u64;
        let mut used = 0;
        let mut rows = 0u64;
        let mut r = [0u32; K];
        let mut at = [0u8; K];
        // Each row takes at least 2 bytes a value: room for as many rows as `buf` can hold, so
        // the pushes below never reallocate. If that fails, the careful path reports it.
        let fit = ((buf.len() / (2 * K)) as u64).min(rows_left) as usize;
        let ok = room(&mut snap.node_type, fit, n).is_ok()
            && room(&mut snap.node_name, fit, n).is_ok()
            && room(&mut snap.node_id, fit, n).is_ok()
            && room(&mut snap.node_self_size, fit, n).is_ok()
            && room(&mut snap.first_edge, fit, n + 1).is_ok()
            && (l.detached.is_none() || room(&mut snap.node_detachedness, fit, n).is_ok())
            && (snap.node_trace_node_id.is_empty()
                || room(&mut snap.node_trace_node_id, fit, n).is_ok());
        if !ok {
            return (0, 0);
        }
        while rows < rows_left {
            let len = scan_row::<K>(&buf[used..], &mut r, &mut at);
            if len == 0 {
                break;
            }
            let ty = r[l.ty];
            let sum = self.sum + u64::from(r[l.edges]);
            if ty >= self.type_count || sum > u64::from(u32::MAX) {
                break;
            }
            let trace = l.trace.map(|t| r[t]);
            // The trace column starts at the first non-zero value: the careful path does that.
            if trace.is_some_and(|t| t != 0) && snap.node_trace_node_id.is_empty() {
                break;
            }
            let detached = match l.detached {
                Some(d) => match u8::try_from(r[d]) {
                    Ok(v) => Some(v),
                    Err(_) => break,
                },
                None => None,
            };
            self.sum = sum;
            snap.node_type.push(ty as u8);
            snap.node_name.push(r[l.name]);
            snap.node_id.push(r[l.id]);
            snap.node_self_size.push(r[l.size]);
            snap.first_edge.push(sum as u32);
            if let Some(t) = trace
                && !snap.node_trace_node_id.is_empty()
            {
                snap.node_trace_node_id.push(t);
            }
            if let Some(d) = detached {
                snap.node_detachedness.push(d);
            }
            self.name_max.note(r[l.name], base + (used + usize::from(at[l.name])) as u64);
            used += len;
            rows += 1;
        }
        self.seen += rows * K as u64;
        (used, rows * K as u64)
    }
}

impl U32Sink for NodeSink<'_> {
    #[inline(always)]
    fn rows(&mut self, buf: &[u8], base: u64) -> (usize, u64) {
        match (self.layout, self.field, self.nf) {
            (Some(l), 0, 6) => self.rows_of::<6>(l, buf, base),
            (Some(l), 0, 7) => self.rows_of::<7>(l, buf, base),
            _ => (0, 0),
        }
    }

    fn value(&mut self, v: u32, offset: u64) -> std::result::Result<(), String> {
        let (n, nf, expected) = (self.n, self.nf, self.expected);
        if self.seen == expected {
            return Err(format!(
                "more than node_count ({n}) × {nf} node fields = {expected} values in `nodes`"
            ));
        }
        self.seen += 1;
        let snap = &mut *self.snap;
        match self.map[self.field] {
            NodeField::Type => {
                if v >= self.type_count {
                    // DevTools loads type values past the list (V8 6.x writes `symbol` nodes
                    // without listing the type): name them, and warn once at the end.
                    let Ok(raw) = u8::try_from(v) else {
                        return Err(format!(
                            "node type {v} is not one of the {} types in meta.node_types, \
                             and past the 256 types a node can have",
                            snap.meta.listed_node_types
                        ));
                    };
                    snap.meta.name_unlisted_node_types(raw);
                    self.type_count = v + 1;
                }
                grow(&mut snap.node_type, n)?.push(v as u8)
            }
            NodeField::Name => {
                self.name_max.note(v, offset);
                grow(&mut snap.node_name, n)?.push(v)
            }
            NodeField::Id => grow(&mut snap.node_id, n)?.push(v),
            NodeField::SelfSize => grow(&mut snap.node_self_size, n)?.push(v),
            NodeField::EdgeCount => {
                self.sum += u64::from(v);
                if self.sum > u64::from(u32::MAX) {
                    return Err("the nodes' edge counts add up to more than 2^32 edges".into());
                }
                grow(&mut snap.first_edge, n + 1)?.push(self.sum as u32)
            }
            NodeField::TraceNodeId => {
                // Stored only once a non-zero value appears (without allocation tracking,
                // V8 writes 0 for every node).
                let col = &mut snap.node_trace_node_id;
                if !col.is_empty() {
                    grow(col, n)?.push(v);
                } else if v != 0 {
                    // The first non-zero value (even on the first node): zeros before it.
                    let node = ((self.seen - 1) / nf as u64) as usize;
                    room(col, node + 1, n)?;
                    col.resize(node, 0);
                    col.push(v);
                }
            }
            NodeField::Detachedness => {
                let Ok(d) = u8::try_from(v) else {
                    return Err(format!(
                        "detachedness {v} is out of range (0 unknown, 1 attached, 2 detached)"
                    ));
                };
                grow(&mut snap.node_detachedness, n)?.push(d)
            }
            NodeField::Extra(k) => grow(&mut snap.node_extra[k], n)?.push(v),
        }
        self.field += 1;
        if self.field == nf {
            self.field = 0;
        }
        Ok(())
    }
}

/// Where each field sits in an `edges` row, for the three-field layouts.
#[derive(Clone, Copy)]
struct EdgeRowLayout {
    ty: usize,
    name: usize,
    to: usize,
}

impl EdgeRowLayout {
    fn of(map: &[EdgeField]) -> Option<EdgeRowLayout> {
        let at = |f: EdgeField| map.iter().position(|&m| m == f);
        if map.len() != 3 {
            return None;
        }
        Some(EdgeRowLayout {
            ty: at(EdgeField::Type)?,
            name: at(EdgeField::NameOrIndex)?,
            to: at(EdgeField::ToNode)?,
        })
    }
}

/// The `edges` array into the edge columns.
struct EdgeSink<'a> {
    snap: &'a mut HeapSnapshot,
    map: Vec<EdgeField>,
    ef: usize,
    e: usize,
    /// Node field count: `to_node` values are multiples of it.
    nf: u32,
    node_values: u64,
    type_count: u32,
    string_named: Vec<bool>,
    expected: u64,
    field: usize,
    seen: u64,
    // Per row: the type and name arrive in either order, so note the name's offset.
    row_type: Option<u8>,
    row_name: Option<(u32, u64)>,
    name_max: &'a mut MaxRef,
    layout: Option<EdgeRowLayout>,
}

impl EdgeSink<'_> {
    /// Whole rows; `nf` is a constant at the call sites, so the division is a multiplication.
    #[inline(always)]
    fn rows_nf(&mut self, l: EdgeRowLayout, nf: u32, buf: &[u8], base: u64) -> (usize, u64) {
        let e = self.e;
        let snap = &mut *self.snap;
        let rows_left = (self.expected - self.seen) / 3;
        let mut used = 0;
        let mut rows = 0u64;
        let mut r = [0u32; 3];
        let mut at = [0u8; 3];
        // Room for as many rows as `buf` can hold (see `NodeSink::rows_of`).
        let fit = ((buf.len() / 6) as u64).min(rows_left) as usize;
        let ok = room(&mut snap.edge_type, fit, e).is_ok()
            && room(&mut snap.edge_name_or_index, fit, e).is_ok()
            && room(&mut snap.edge_to, fit, e).is_ok();
        if !ok {
            return (0, 0);
        }
        while rows < rows_left {
            let len = scan_row::<3>(&buf[used..], &mut r, &mut at);
            if len == 0 {
                break;
            }
            let (ty, name, to) = (r[l.ty], r[l.name], r[l.to]);
            if ty >= self.type_count || !to.is_multiple_of(nf) || u64::from(to) >= self.node_values
            {
                break;
            }
            snap.edge_type.push(ty as u8);
            snap.edge_name_or_index.push(name);
            snap.edge_to.push(to / nf);
            if self.string_named[ty as usize] {
                self.name_max.note(name, base + (used + usize::from(at[l.name])) as u64);
            }
            used += len;
            rows += 1;
        }
        self.seen += rows * 3;
        (used, rows * 3)
    }
}

impl U32Sink for EdgeSink<'_> {
    #[inline(always)]
    fn rows(&mut self, buf: &[u8], base: u64) -> (usize, u64) {
        match (self.layout, self.field, self.nf) {
            (Some(l), 0, 6) => self.rows_nf(l, 6, buf, base),
            (Some(l), 0, 7) => self.rows_nf(l, 7, buf, base),
            (Some(l), 0, nf) => self.rows_nf(l, nf, buf, base),
            _ => (0, 0),
        }
    }

    fn value(&mut self, v: u32, offset: u64) -> std::result::Result<(), String> {
        let (e, ef, expected, nf) = (self.e, self.ef, self.expected, self.nf);
        if self.seen == expected {
            return Err(format!(
                "more than edge_count ({e}) × {ef} edge fields = {expected} values in `edges`"
            ));
        }
        self.seen += 1;
        let snap = &mut *self.snap;
        match self.map[self.field] {
            EdgeField::Type => {
                if v >= self.type_count {
                    return Err(format!(
                        "edge type {v} is not one of the {} types in meta.edge_types",
                        self.type_count
                    ));
                }
                self.row_type = Some(v as u8);
                grow(&mut snap.edge_type, e)?.push(v as u8)
            }
            EdgeField::NameOrIndex => {
                self.row_name = Some((v, offset));
                grow(&mut snap.edge_name_or_index, e)?.push(v)
            }
            EdgeField::ToNode => {
                if !v.is_multiple_of(nf) {
                    return Err(format!(
                        "to_node {v} is not a multiple of the node field count {nf}"
                    ));
                }
                if u64::from(v) >= self.node_values {
                    return Err(format!(
                        "to_node {v} points past the last node (node_count {} × {nf} fields)",
                        self.node_values / u64::from(nf)
                    ));
                }
                grow(&mut snap.edge_to, e)?.push(v / nf)
            }
            EdgeField::Extra(k) => grow(&mut snap.edge_extra[k], e)?.push(v),
        }
        self.field += 1;
        if self.field == ef {
            self.field = 0;
            if let (Some(t), Some((name, at))) = (self.row_type.take(), self.row_name.take())
                && self.string_named[usize::from(t)]
            {
                self.name_max.note(name, at);
            }
        }
        Ok(())
    }
}

/// Where the largest string index seen in a column came from, for the check after `strings`.
#[derive(Clone, Copy, Default)]
pub(super) struct MaxRef {
    pub(super) value: u32,
    pub(super) offset: u64,
    pub(super) seen: bool,
}

impl MaxRef {
    #[inline]
    pub(super) fn note(&mut self, value: u32, offset: u64) {
        if !self.seen || value > self.value {
            *self = MaxRef { value, offset, seen: true };
        }
    }
}

/// Makes room for `more` values in a column that will end with `cap` values, growing by
/// doubling but never past `cap` (so a column never holds more capacity than the header said).
/// When the memory is not there, an error message instead of an abort.
#[inline(always)]
pub(super) fn room<T>(v: &mut Vec<T>, more: usize, cap: usize) -> std::result::Result<(), String> {
    if v.capacity() - v.len() >= more { Ok(()) } else { room_cold(v, more, cap) }
}

#[cold]
#[inline(never)]
fn room_cold<T>(v: &mut Vec<T>, more: usize, cap: usize) -> std::result::Result<(), String> {
    let want = v.len().max(4096).min(cap.saturating_sub(v.len())).max(more);
    v.try_reserve_exact(want)
        .map_err(|_| out_of_memory("a column", (v.len() + want) * std::mem::size_of::<T>()))
}

/// Makes room for one more value (see [`room`]).
#[inline(always)]
pub(super) fn grow<T>(v: &mut Vec<T>, cap: usize) -> std::result::Result<&mut Vec<T>, String> {
    room(v, 1, cap)?;
    Ok(v)
}

/// Reserves `want` entries up front (what the input's size can hold, see
/// `Parser::reserve_for`), or a bounded start when the memory is not there for all of them
/// at once: the column then grows with the data.
fn reserve_up_front<T>(v: &mut Vec<T>, want: usize) -> std::result::Result<(), String> {
    if v.try_reserve_exact(want).is_ok() {
        return Ok(());
    }
    let start = want.min(MAX_BLIND_RESERVE);
    v.try_reserve_exact(start)
        .map_err(|_| out_of_memory("a column", start * std::mem::size_of::<T>()))
}
