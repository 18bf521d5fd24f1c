//! The `snapshot` header and its `meta`.

use std::io::Read;

use serde::de::{
    DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::{Map, Value};

use super::parser::Parser;
use super::scanner::{OnLimit, Raw, line_col_to_offset};
use crate::error::{Error, Result, Section};
use crate::meta::Meta;

impl<R: Read> Parser<'_, R> {
    pub(super) fn header(&mut self) -> Result<()> {
        let start = self.s.skip_ws_some().map(|_| self.s.offset())?;
        if self.s.peek_some()? != b'{' {
            return Err(self.s.err("`snapshot` must be an object"));
        }
        let limit = self.opts.max_header_bytes;
        let raw = match self.s.raw_value(limit, OnLimit::Fail("the `snapshot` header"))? {
            Raw::Kept(raw) => raw,
            Raw::Dropped(len) => {
                return Err(self.s.err_at(start, format!("the header ({len} bytes) was not kept")));
            }
        };
        let header: Map<String, Value> = serde_json::from_slice(&raw).map_err(|e| {
            let at = line_col_to_offset(&raw, e.line(), e.column());
            self.s.err_at(start + at, format!("malformed header JSON: {e}"))
        })?;
        // serde_json keeps the last of two equal keys without a word: a header with one is
        // ambiguous (which `node_fields`?), so it is an error.
        let mut de = serde_json::Deserializer::from_slice(&raw);
        if let Err(e) = (UniqueKeys { path: "snapshot" }).deserialize(&mut de) {
            let at = line_col_to_offset(&raw, e.line(), e.column());
            let text = e.to_string();
            let message = text.rsplit_once(" at line ").map_or(text.as_str(), |(m, _)| m);
            return Err(self.s.err_at(start + at, message.to_string()));
        }
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

/// Walks a JSON value and fails on the first object that has a key twice, naming the object
/// by its path from the header (`snapshot.meta`).
struct UniqueKeys<'p> {
    path: &'p str,
}

impl<'de> DeserializeSeed<'de> for UniqueKeys<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UniqueKeys<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let mut seen = std::collections::BTreeSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if seen.contains(&key) {
                return Err(A::Error::custom(format!(
                    "duplicate key `{key}` in `{}` (JSON objects need distinct keys)",
                    self.path
                )));
            }
            let path = format!("{}.{key}", self.path);
            map.next_value_seed(UniqueKeys { path: &path })?;
            seen.insert(key);
        }
        Ok(())
    }
}
