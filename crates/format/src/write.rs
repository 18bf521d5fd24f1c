//! Writing snapshots back as V8 lays them out, so Chrome DevTools loads them.
//!
//! Key order is V8's (`snapshot`, `nodes`, `edges`, `trace_function_infos`, `trace_tree`,
//! `samples`, `locations`, any other kept sections, `strings` last, as DevTools' loader needs),
//! rows are separated by `\n,` as in Node 20's output, and strings are pure ASCII with V8's
//! upper-case `\uXXXX` escapes.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::meta::{EdgeField, NodeField};
use crate::output::{OutputFile, OutputPolicy};
use crate::snapshot::HeapSnapshot;

/// Options for writing.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct WriteOptions {
    /// Gzip the output.
    pub gzip: bool,
    /// Gzip level, 0-9.
    pub level: u32,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions { gzip: false, level: 6 }
    }
}

impl WriteOptions {
    /// Plain or gzip output with the default level.
    pub fn gzip(gzip: bool) -> Self {
        WriteOptions { gzip, ..Default::default() }
    }

    /// The gzip level, 0-9 (higher values mean 9).
    ///
    /// ```
    /// use heapsnap_format::WriteOptions;
    /// let opts = WriteOptions::gzip(true).level(9);
    /// assert!(opts.gzip && opts.level == 9);
    /// ```
    pub fn level(mut self, level: u32) -> Self {
        self.level = level;
        self
    }
}

impl HeapSnapshot {
    /// Writes the snapshot as plain `.heapsnapshot` JSON.
    ///
    /// ```
    /// # let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
    /// #   "node_types":[["hidden"]],"edge_fields":["type","name_or_index","to_node"],
    /// #   "edge_types":[["property"]]},"node_count":1,"edge_count":0},"nodes":[0,0,1,0,0],"edges":[],"strings":[""]}"#;
    /// let snap = heapsnap_format::HeapSnapshot::from_slice(json)?;
    /// let mut out = Vec::new();
    /// snap.write_to(&mut out)?;
    /// assert_eq!(heapsnap_format::HeapSnapshot::from_slice(&out)?, snap);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_to(&self, w: impl Write) -> Result<()> {
        self.write_with(w, &WriteOptions::default())
    }

    /// Writes the snapshot, gzipped if `opts.gzip`.
    pub fn write_with(&self, w: impl Write, opts: &WriteOptions) -> Result<()> {
        if opts.gzip {
            let mut gz = GzEncoder::new(w, Compression::new(opts.level.min(9)));
            self.write_json(&mut gz)?;
            gz.finish()?;
        } else {
            self.write_json(w)?;
        }
        Ok(())
    }

    /// Writes the snapshot to `path` without ever leaving half a file: through an
    /// [`OutputFile`] with the default [`OutputPolicy`] (a temporary file named after `path`,
    /// renamed over it once complete; a FIFO or device is written through; a symlink is
    /// refused; a replaced file keeps its mode). A name ending in `.gz` is gzipped even if
    /// `opts.gzip` is not set. Errors name the path.
    pub fn write_path(&self, path: impl AsRef<Path>, opts: &WriteOptions) -> Result<()> {
        self.write_path_with(path, opts, &OutputPolicy::default(), |_| {})
    }

    /// [`HeapSnapshot::write_path`] with an explicit [`OutputPolicy`], and `on_temp` called
    /// with the temporary file's path before any byte is written (so that a program handling
    /// signals can remove it when interrupted).
    pub fn write_path_with(
        &self,
        path: impl AsRef<Path>,
        opts: &WriteOptions,
        policy: &OutputPolicy,
        on_temp: impl FnOnce(Option<&Path>),
    ) -> Result<()> {
        let path = path.as_ref();
        let mut opts = opts.clone();
        opts.gzip |= path.extension().is_some_and(|e| e == "gz");
        let mut out = OutputFile::create(path, policy)?;
        on_temp(out.temp_path());
        self.write_with(&mut out, &opts).map_err(|e| match e {
            Error::Io(io) => {
                Error::Io(io::Error::new(io.kind(), format!("writing {}: {io}", path.display())))
            }
            e => e,
        })?;
        out.finish()?;
        Ok(())
    }

    fn write_json(&self, w: impl Write) -> Result<()> {
        let mut w = BufWriter::with_capacity(256 * 1024, w);
        let meta = &self.meta;
        let nf = meta.node_fields.len() as u32;
        let mut header = self.header.clone();
        header.insert("node_count".into(), Value::from(self.node_count() as u64));
        header.insert("edge_count".into(), Value::from(self.edge_count() as u64));
        // The array is the truth (V8 has written counts that disagree with it).
        let tf = meta.field_list("trace_function_info_fields").map_or(6, |f| f.len().max(1));
        let functions = self.trace_function_infos.as_ref().map_or(0, |v| v.len() / tf) as u64;
        if functions > 0 || header.contains_key("trace_function_count") {
            header.insert("trace_function_count".into(), Value::from(functions));
        }
        w.write_all(b"{\"snapshot\":")?;
        serde_json::to_writer(&mut w, &header).map_err(io::Error::from)?;
        let mut num = itoa::Buffer::new();

        w.write_all(b",\n\"nodes\":[")?;
        for i in 0..self.node_count() {
            if i > 0 {
                w.write_all(b"\n,")?;
            }
            for (k, f) in meta.node_field_map.iter().enumerate() {
                let v = match *f {
                    NodeField::Type => u32::from(self.node_type[i]),
                    NodeField::Name => self.node_name[i],
                    NodeField::Id => self.node_id[i],
                    NodeField::SelfSize => self.node_self_size[i],
                    NodeField::EdgeCount => self.first_edge[i + 1] - self.first_edge[i],
                    NodeField::TraceNodeId => self.node_trace_node_id.get(i).copied().unwrap_or(0),
                    NodeField::Detachedness => u32::from(self.node_detachedness[i]),
                    NodeField::Extra(x) => self.node_extra[x][i],
                };
                if k > 0 {
                    w.write_all(b",")?;
                }
                w.write_all(num.format(v).as_bytes())?;
            }
        }
        w.write_all(b"],\n\"edges\":[")?;
        for i in 0..self.edge_count() {
            if i > 0 {
                w.write_all(b"\n,")?;
            }
            for (k, f) in meta.edge_field_map.iter().enumerate() {
                let v = match *f {
                    EdgeField::Type => u32::from(self.edge_type[i]),
                    EdgeField::NameOrIndex => self.edge_name_or_index[i],
                    EdgeField::ToNode => self.edge_to[i] * nf,
                    EdgeField::Extra(x) => self.edge_extra[x][i],
                };
                if k > 0 {
                    w.write_all(b",")?;
                }
                w.write_all(num.format(v).as_bytes())?;
            }
        }
        w.write_all(b"]")?;
        if let Some(v) = &self.trace_function_infos {
            w.write_all(b",\n\"trace_function_infos\":")?;
            write_flat(&mut w, v, 0, &mut num)?;
        }
        if let Some(t) = &self.trace_tree {
            w.write_all(b",\n\"trace_tree\":")?;
            write_tree(&mut w, t, &mut num)?;
        }
        if let Some(v) = &self.samples {
            w.write_all(b",\n\"samples\":")?;
            write_flat(&mut w, v, 0, &mut num)?;
        }
        if let Some(v) = &self.locations {
            let fields = meta.field_list("location_fields");
            let lf = fields.as_ref().map_or(4, |f| f.len().max(1));
            let oi =
                fields.as_ref().map_or(Some(0), |f| f.iter().position(|x| x == "object_index"));
            let scaled: Vec<u32> = match oi {
                Some(oi) => v
                    .iter()
                    .enumerate()
                    .map(|(i, &x)| if i % lf == oi { x * nf } else { x })
                    .collect(),
                None => v.clone(),
            };
            w.write_all(b",\n\"locations\":")?;
            write_flat(&mut w, &scaled, lf, &mut num)?;
        }
        for (key, raw) in &self.extra_sections {
            w.write_all(b",\n")?;
            write_string(&mut w, key, &[])?;
            w.write_all(b":")?;
            w.write_all(raw)?;
        }
        w.write_all(b",\n\"strings\":[")?;
        for (i, s) in self.strings.iter().enumerate() {
            if i > 0 {
                w.write_all(b",\n")?;
            }
            let lone: Vec<(u32, u16)> =
                self.strings.lone_of(i as u32).map(|l| (l.byte, l.unit)).collect();
            write_string(&mut w, s, &lone)?;
        }
        w.write_all(b"]}")?;
        w.flush()?;
        Ok(())
    }
}

fn write_flat(w: &mut impl Write, v: &[u32], row: usize, num: &mut itoa::Buffer) -> io::Result<()> {
    w.write_all(b"[")?;
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            w.write_all(if row > 0 && i % row == 0 { b"\n," } else { b"," })?;
        }
        w.write_all(num.format(*x).as_bytes())?;
    }
    w.write_all(b"]")
}

fn write_tree(
    w: &mut impl Write,
    t: &crate::snapshot::TraceTree,
    num: &mut itoa::Buffer,
) -> io::Result<()> {
    let vf = t.value_fields;
    w.write_all(b"[")?;
    // Remaining children to write in each open array; the top level has no count, so it
    // runs until the data ends.
    let mut stack: Vec<u32> = Vec::new();
    let mut first_in_array = true;
    let mut i = 0;
    while i < t.flat.len() {
        if !first_in_array {
            w.write_all(b",")?;
        }
        for k in 0..vf {
            w.write_all(num.format(t.flat[i + k]).as_bytes())?;
            w.write_all(b",")?;
        }
        let children = t.flat[i + vf];
        i += vf + 1;
        if let Some(top) = stack.last_mut() {
            *top -= 1;
        }
        w.write_all(b"[")?;
        if children > 0 {
            stack.push(children);
            first_in_array = true;
            continue;
        }
        w.write_all(b"]")?;
        first_in_array = false;
        while stack.last() == Some(&0) {
            stack.pop();
            w.write_all(b"]")?;
        }
    }
    w.write_all(b"]")
}

/// Writes `s` as a JSON string the way V8 does: printable ASCII as is, `"` and `\` escaped,
/// the usual short escapes, everything else as upper-case `\uXXXX` (astral characters as a
/// surrogate pair). `lone` lists (byte offset, code unit) of lone surrogates whose U+FFFD
/// stand-ins are written as the original unit.
pub(crate) fn write_string(w: &mut impl Write, s: &str, lone: &[(u32, u16)]) -> io::Result<()> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let u = |w: &mut dyn Write, unit: u16| -> io::Result<()> {
        let b = [
            b'\\',
            b'u',
            HEX[usize::from(unit >> 12)],
            HEX[usize::from((unit >> 8) & 0xF)],
            HEX[usize::from((unit >> 4) & 0xF)],
            HEX[usize::from(unit & 0xF)],
        ];
        w.write_all(&b)
    };
    w.write_all(b"\"")?;
    let bytes = s.as_bytes();
    let mut run = 0;
    let mut lone = lone.iter().peekable();
    for (i, c) in s.char_indices() {
        let plain = c.is_ascii() && c >= ' ' && c != '"' && c != '\\' && c != '\x7f';
        if plain {
            continue;
        }
        w.write_all(&bytes[run..i])?;
        run = i + c.len_utf8();
        if let Some(&&(at, unit)) = lone.peek()
            && at as usize == i
        {
            lone.next();
            u(w, unit)?;
            continue;
        }
        match c {
            '"' => w.write_all(b"\\\"")?,
            '\\' => w.write_all(b"\\\\")?,
            '\n' => w.write_all(b"\\n")?,
            '\r' => w.write_all(b"\\r")?,
            '\t' => w.write_all(b"\\t")?,
            '\x08' => w.write_all(b"\\b")?,
            '\x0c' => w.write_all(b"\\f")?,
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    u(w, *unit)?;
                }
            }
        }
    }
    w.write_all(&bytes[run..])?;
    w.write_all(b"\"")
}
