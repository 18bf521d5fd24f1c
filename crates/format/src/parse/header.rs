//! The `snapshot` header and its `meta`.

use std::io::Read;

use serde_json::{Map, Value};

use super::MAX_HEADER;
use super::parser::Parser;
use super::scanner::line_col_to_offset;
use crate::error::{Error, Result, Section};
use crate::meta::Meta;

impl<R: Read> Parser<'_, R> {
    pub(super) fn header(&mut self) -> Result<()> {
        let start = self.s.skip_ws_some().map(|_| self.s.offset())?;
        if self.s.peek_some()? != b'{' {
            return Err(self.s.err("`snapshot` must be an object"));
        }
        let raw = self.s.raw_value(MAX_HEADER)?;
        let header: Map<String, Value> = serde_json::from_slice(&raw).map_err(|e| {
            let at = line_col_to_offset(&raw, e.line(), e.column());
            self.s.err_at(start + at, format!("malformed header JSON: {e}"))
        })?;
        let bad = |m: String| Error::parse(Section::Header, start, m);
        let meta = match header.get("meta") {
            Some(Value::Object(m)) => m.clone(),
            Some(_) => return Err(bad("`snapshot.meta` is not an object".into())),
            None => return Err(bad("`snapshot` has no `meta`".into())),
        };
        let count = |key: &str, required: bool| -> Result<Option<u64>> {
            match header.get(key) {
                None if required => Err(bad(format!("`snapshot` has no `{key}`"))),
                None => Ok(None),
                Some(v) => match v.as_u64() {
                    Some(n) if n <= u64::from(u32::MAX) => Ok(Some(n)),
                    Some(n) => Err(bad(format!("`snapshot.{key}` = {n} does not fit in 32 bits"))),
                    None => Err(bad(format!("`snapshot.{key}` is not an unsigned integer: {v}"))),
                },
            }
        };
        let node_count = count("node_count", true)?.unwrap_or(0) as usize;
        let edge_count = count("edge_count", true)?.unwrap_or(0) as usize;
        self.header_trace_function_count = count("trace_function_count", false)?;
        let root_index = count("root_index", false)?;
        let meta = Meta::from_json(meta).map_err(|m| bad(format!("bad `snapshot.meta`: {m}")))?;
        let nf = meta.node_fields.len() as u64;
        if let Some(r) = root_index
            && (r % nf != 0 || r / nf >= node_count as u64)
        {
            return Err(bad(format!(
                "`snapshot.root_index` {r} is not the node array index of a node (node_count {node_count} × {nf} fields)"
            )));
        }
        if node_count.checked_mul(meta.node_fields.len()).is_none_or(|n| n > u32::MAX as usize) {
            return Err(bad(format!(
                "node_count {node_count} × {} fields does not fit in 32-bit node array indices",
                meta.node_fields.len()
            )));
        }
        self.node_count = node_count;
        self.edge_count = edge_count;
        self.snap.meta = meta;
        self.snap.header = header;
        self.have_header = true;
        Ok(())
    }
}
