//! Shared output helpers: human units, aligned tables, JSON documents.

use std::io::{self, Write};
use std::path::Path;

/// `1536` -> `1.5 KiB`.
pub(crate) fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 { format!("{n} B") } else { format!("{v:.1} {}", UNITS[u]) }
}

/// Signed variant of [`human_bytes`].
pub(crate) fn human_delta(n: i64) -> String {
    let sign = if n > 0 {
        "+"
    } else if n < 0 {
        "-"
    } else {
        ""
    };
    format!("{sign}{}", human_bytes(n.unsigned_abs()))
}

/// Column alignment.
#[derive(Clone, Copy)]
pub(crate) enum Align {
    Left,
    Right,
}

/// Writes rows as an aligned table (the first row is the header).
pub(crate) fn table(
    out: &mut impl Write,
    aligns: &[Align],
    rows: &[Vec<String>],
) -> io::Result<()> {
    let cols = aligns.len();
    let mut width = vec![0usize; cols];
    for r in rows {
        for (c, cell) in r.iter().enumerate().take(cols) {
            width[c] = width[c].max(cell.chars().count());
        }
    }
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate().take(cols) {
            let pad = width[c] - cell.chars().count();
            let last = c + 1 == cols;
            match aligns[c] {
                Align::Left if last => line.push_str(cell),
                Align::Left => {
                    line.push_str(cell);
                    line.extend(std::iter::repeat_n(' ', pad));
                }
                Align::Right => {
                    line.extend(std::iter::repeat_n(' ', pad));
                    line.push_str(cell);
                }
            }
            if !last {
                line.push_str("  ");
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// The `gate` of a JSON document (`leaks`, `diff`): whether a CI limit was passed, and why.
#[derive(serde::Serialize)]
pub(crate) struct Gate<'a> {
    pub(crate) failed: bool,
    pub(crate) reasons: &'a [String],
}

/// Writes one compact JSON document and a newline.
pub(crate) fn json_doc(out: &mut impl Write, v: &impl serde::Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, v)?;
    writeln!(out)
}

/// DevTools shows unreachable distances as a dash.
pub(crate) fn distance_text(d: i32) -> String {
    if d < 0 { "-".to_string() } else { d.to_string() }
}

/// Refuses an output path that is one of the inputs (the same file by device and inode, so
/// through symlinks and other names too): writing there would destroy the input.
pub(crate) fn check_not_input(out: &Path, inputs: &[&Path]) -> anyhow::Result<()> {
    if out == Path::new("-") {
        return Ok(());
    }
    for input in inputs {
        if *input != Path::new("-") && heapsnap_format::same_file(out, input) {
            anyhow::bail!(
                "refusing to write {}: it is the input {} (choose another output name)",
                out.display(),
                input.display()
            );
        }
    }
    Ok(())
}

/// Writes `snap` to `out` (`-`: stdout) without ever destroying anything: never over an input,
/// through a temporary file named after `out` that is removed on errors and on SIGINT, SIGTERM
/// and SIGHUP, FIFOs and devices written through, symlinks refused, a replaced file's mode kept.
/// Gzipped when `gzip` or the name ends in `.gz`.
pub(crate) fn write_snapshot(
    snap: &heapsnap_format::HeapSnapshot,
    out: &Path,
    gzip: bool,
    inputs: &[&Path],
) -> anyhow::Result<()> {
    use anyhow::Context;
    check_not_input(out, inputs)?;
    let opts = heapsnap_format::WriteOptions::gzip(gzip);
    if out == Path::new("-") {
        let mut stdout = io::stdout().lock();
        snap.write_with(&mut stdout, &opts).context("writing <stdout>")?;
        return stdout.flush().context("writing <stdout>");
    }
    let mut guard = crate::cleanup::TempGuard::arm();
    snap.write_path_with(out, &opts, &heapsnap_format::OutputPolicy::default(), |tmp| {
        guard.set_path(tmp);
    })?;
    drop(guard);
    Ok(())
}

/// Refuses the same snapshot file given twice (by device and inode, so through symlinks and
/// other names too): three copies of one heap would report "no leaks found".
pub(crate) fn check_distinct_inputs(files: &[std::path::PathBuf]) -> anyhow::Result<()> {
    for (i, a) in files.iter().enumerate() {
        for (j, b) in files.iter().enumerate().skip(i + 1) {
            if a != Path::new("-") && heapsnap_format::same_file(a, b) {
                anyhow::bail!(
                    "snapshots {} and {} are the same file ({}): give snapshots taken at \
                     different times, oldest first",
                    i + 1,
                    j + 1,
                    b.display()
                );
            }
        }
    }
    Ok(())
}

/// An allocation stack as one line: its top frames, allocating function first, down to the
/// first of the program's own functions and its caller when that is the program's too (at
/// most all of `frames`):
/// `Timeout (node:internal/timers:170:14) <- setInterval (node:timers:214:21) <- handleLogin (/srv/app/server.js:21:21)`.
pub(crate) fn frames_text(frames: &[heapsnap_graph::Frame]) -> String {
    let shown = match frames.iter().position(|f| !f.is_runtime()) {
        Some(k) if frames.get(k + 1).is_some_and(|f| !f.is_runtime()) => k + 2,
        Some(k) => k + 1,
        None => frames.len(),
    };
    let parts: Vec<String> = frames[..shown].iter().map(|f| f.text()).collect();
    if parts.is_empty() { "(no frames)".to_string() } else { parts.join(" <- ") }
}

/// Lines saying where objects were allocated, each starting with `indent`: a heading, then one
/// line per allocation site (count, top frames), at most `max_sites`, then what is left.
pub(crate) fn allocation_lines(
    a: &heapsnap_graph::Allocations,
    indent: &str,
    max_sites: usize,
) -> Vec<String> {
    let mut out = Vec::new();
    if a.traced == 0 {
        out.push(format!(
            "{indent}allocated: all {} before allocation tracking started (no stacks)",
            a.untraced
        ));
        return out;
    }
    out.push(format!("{indent}allocated at:"));
    // Sites that differ only in frames the text leaves out are one line.
    let mut lines: Vec<(u64, String)> = Vec::new();
    for s in &a.sites {
        let text = frames_text(&s.frames);
        match lines.iter_mut().find(|l| l.1 == text) {
            Some(l) => l.0 += s.count,
            None => lines.push((s.count, text)),
        }
    }
    lines.sort_by(|x, y| y.0.cmp(&x.0).then_with(|| x.1.cmp(&y.1)));
    let width = lines.iter().map(|l| l.0.to_string().len()).max().unwrap_or(1);
    for (count, text) in lines.iter().take(max_sites) {
        out.push(format!("{indent}  {count:>width$}  {text}"));
    }
    let hidden: u64 = lines.iter().skip(max_sites).map(|l| l.0).sum::<u64>() + a.other;
    let mut rest = Vec::new();
    if hidden > 0 {
        rest.push(format!("{hidden} at other sites"));
    }
    if a.untraced > 0 {
        rest.push(format!("{} before allocation tracking started", a.untraced));
    }
    if !rest.is_empty() {
        out.push(format!("{indent}  ({})", rest.join("; ")));
    }
    out
}
