//! A `heapsnap watch` series: the JSON Lines of `watch --json` (one sample per line), or the
//! `heapsnap.watch/1` document of `watch --out FILE.json`.

use std::io::{self, BufRead};

use serde::{Deserialize, Serialize};

/// One sample: the heap after GC at a time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WatchSample {
    /// Milliseconds since the first sample.
    pub t_ms: u64,
    /// Bytes used (`Runtime.getHeapUsage`), after a forced GC unless the watch ran `--no-gc`.
    pub used_size: u64,
    /// Bytes the heap had reserved.
    pub total_size: u64,
    /// Whether this sample raised the leak warning.
    #[serde(default)]
    pub warning: bool,
}

/// A series of samples.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct WatchSeries {
    /// What was watched (`heapsnap.watch/1` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Whether each sample followed a forced GC: `Some` from a `heapsnap.watch/1` document,
    /// `None` from JSON Lines (which do not say; `watch` forces one unless `--no-gc`).
    pub gc: Option<bool>,
    /// The samples, in time order.
    pub samples: Vec<WatchSample>,
}

impl WatchSeries {
    /// Reads a series: JSON Lines as `heapsnap watch --json` prints them, or one
    /// `heapsnap.watch/1` document. Errors say which line (or byte) is wrong and why.
    ///
    /// ```
    /// let text = "{\"sample\":0,\"t_ms\":0,\"used_size\":100,\"total_size\":200,\"grew\":0,\"warning\":false}\n\
    ///             {\"sample\":1,\"t_ms\":5000,\"used_size\":150,\"total_size\":200,\"grew\":1,\"warning\":true}\n";
    /// let s = heapsnap_report::WatchSeries::read(text.as_bytes())?;
    /// assert_eq!(s.samples.len(), 2);
    /// assert!(s.samples[1].warning);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn read(r: impl BufRead) -> io::Result<WatchSeries> {
        let bad = |msg: String| io::Error::new(io::ErrorKind::InvalidData, msg);
        let mut lines = Vec::new();
        for line in r.lines() {
            lines.push(line?);
        }
        let text_start = lines.iter().position(|l| !l.trim().is_empty());
        let Some(first) = text_start else {
            return Err(bad("no samples: the file is empty".into()));
        };
        // A `heapsnap.watch/1` document (possibly pretty-printed over several lines).
        let joined_doc = || lines.join("\n");
        if lines.len() - first > 1 && !lines[first].trim_end().ends_with('}')
            || is_watch_doc(&lines[first])
        {
            return parse_doc(&joined_doc());
        }
        let mut samples: Vec<WatchSample> = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let s: WatchSample = serde_json::from_str(line).map_err(|e| {
                bad(format!("line {}: not a `heapsnap watch --json` sample: {e}", i + 1))
            })?;
            if let Some(prev) = samples.last()
                && s.t_ms < prev.t_ms
            {
                return Err(bad(format!(
                    "line {}: t_ms {} goes back in time (the line before says {}): one series per file",
                    i + 1,
                    s.t_ms,
                    prev.t_ms
                )));
            }
            samples.push(s);
        }
        Ok(WatchSeries { target: None, gc: None, samples })
    }
}

fn is_watch_doc(line: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(line)
        .ok()
        .is_some_and(|v| v.get("schema").and_then(|s| s.as_str()) == Some("heapsnap.watch/1"))
}

fn parse_doc(text: &str) -> io::Result<WatchSeries> {
    let bad = |msg: String| io::Error::new(io::ErrorKind::InvalidData, msg);
    #[derive(Deserialize)]
    struct Doc {
        schema: String,
        #[serde(default)]
        target: Option<String>,
        #[serde(default)]
        gc: Option<bool>,
        samples: Vec<WatchSample>,
        #[serde(default)]
        warnings: Vec<Warning>,
    }
    #[derive(Deserialize)]
    struct Warning {
        sample: usize,
    }
    let doc: Doc = serde_json::from_str(text).map_err(|e| {
        bad(format!(
            "not a `heapsnap watch --json` series (JSON Lines) nor a `heapsnap.watch/1` document: {e}"
        ))
    })?;
    if doc.schema != "heapsnap.watch/1" {
        return Err(bad(format!("schema {:?}, expected heapsnap.watch/1", doc.schema)));
    }
    let mut samples = doc.samples;
    for w in doc.warnings {
        let n = samples.len();
        let s = samples.get_mut(w.sample).ok_or_else(|| {
            bad(format!("warning at sample {} of a series of {n} samples", w.sample))
        })?;
        s.warning = true;
    }
    Ok(WatchSeries { target: doc.target, gc: doc.gc, samples })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_and_documents() {
        let doc = r#"{"schema":"heapsnap.watch/1","target":"pid 1","interval_ms":5000,"gc":true,
            "consecutive":5,"min_growth":16384,"samples":[{"t_ms":0,"used_size":10,"total_size":20},
            {"t_ms":5,"used_size":11,"total_size":20}],"warnings":[{"t_ms":5,"sample":1,"used_size":11}],
            "trend_bytes_per_min":1.0,"snapshots":[]}"#;
        let s = WatchSeries::read(doc.as_bytes()).unwrap();
        assert_eq!((s.gc, s.target.as_deref(), s.samples.len()), (Some(true), Some("pid 1"), 2));
        assert!(!s.samples[0].warning && s.samples[1].warning);
        let one_line = doc.replace('\n', " ");
        assert_eq!(WatchSeries::read(one_line.as_bytes()).unwrap(), s);
    }

    #[test]
    fn errors_name_the_line() {
        let e = WatchSeries::read(&b"{\"t_ms\":0,\"used_size\":1,\"total_size\":2}\nnope\n"[..])
            .unwrap_err();
        assert!(e.to_string().starts_with("line 2: "), "{e}");
        let e = WatchSeries::read(&b"\n\n"[..]).unwrap_err();
        assert!(e.to_string().contains("empty"), "{e}");
        let back = "{\"t_ms\":9,\"used_size\":1,\"total_size\":2}\n{\"t_ms\":3,\"used_size\":1,\"total_size\":2}";
        let e = WatchSeries::read(back.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("back in time"), "{e}");
        let e = WatchSeries::read(
            &b"{\"schema\":\"heapsnap.watch/1\",\"samples\":[],\"warnings\":[{\"sample\":3}]}"[..],
        )
        .unwrap_err();
        assert!(e.to_string().contains("sample 3"), "{e}");
    }
}
