//! Reading a series of snapshots of one process, oldest first, holding as little as possible:
//! each earlier snapshot is reduced to a [`Census`] and dropped before more are read.

use std::path::Path;

use heapsnap_format::HeapSnapshot;

use crate::census::Census;

/// An earlier snapshot reduced to its census (timed at debug level).
fn census(path: &Path, snap: &HeapSnapshot) -> Census {
    let t = std::time::Instant::now();
    let c = Census::new(snap);
    log::debug!("census of {} took {:.2?}", path.display(), t.elapsed());
    c
}

/// Reads the snapshots `earlier` (oldest first) and `last` with `load`, and returns the
/// censuses of the earlier ones and the last snapshot, parsed.
///
/// Earlier snapshots are taken two at a time, each parsed and reduced on a thread of its own
/// (two parsed snapshots in memory and no graph: well under what the last one's analysis
/// needs); an odd one out is reduced while the last file is parsed. `load(path, primary)`
/// reads one file; `primary` is false for the second file of a pair (read at the same time
/// as another: it should not draw progress of its own).
///
/// # Errors
/// The first error of `load`, in file order. A panic in a reading thread is passed on.
pub fn read_series<P, E, L>(
    earlier: &[P],
    last: &P,
    load: L,
) -> Result<(Vec<Census>, HeapSnapshot), E>
where
    P: AsRef<Path> + Sync,
    E: Send,
    L: Fn(&Path, bool) -> Result<HeapSnapshot, E> + Sync,
{
    let mut priors = Vec::with_capacity(earlier.len());
    let paired = earlier.len() / 2 * 2;
    let load = &load;
    for pair in earlier[..paired].chunks(2) {
        let reduced: Vec<Result<Census, E>> = std::thread::scope(|s| {
            let handles: Vec<_> = pair
                .iter()
                .enumerate()
                .map(|(k, p)| {
                    s.spawn(move || -> Result<Census, E> {
                        let p = p.as_ref();
                        Ok(census(p, &load(p, k == 0)?))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        for c in reduced {
            priors.push(c?);
        }
    }
    let last = last.as_ref();
    let Some(odd) = earlier[paired..].first().map(|p| p.as_ref()) else {
        return Ok((priors, load(last, true)?));
    };
    let odd_snap = load(odd, true)?;
    let (reduced, snap) = std::thread::scope(|s| {
        let reduce = s.spawn(|| census(odd, &odd_snap));
        let snap = load(last, true);
        (reduce.join().unwrap_or_else(|e| std::panic::resume_unwind(e)), snap)
    });
    priors.push(reduced);
    Ok((priors, snap?))
}

/// Reads `files` (oldest first) with `load` and takes each one's census
/// [with structure](Census::with_structure), two files at a time on threads of their own:
/// for when [`Census::ids_comparable`] says the series' ids do not follow objects.
///
/// # Errors
/// The first error of `load`, in file order. A panic in a reading thread is passed on.
pub fn read_structures<P, E, L>(files: &[P], load: L) -> Result<Vec<Census>, E>
where
    P: AsRef<Path> + Sync,
    E: Send,
    L: Fn(&Path, bool) -> Result<HeapSnapshot, E> + Sync,
{
    let load = &load;
    let mut out = Vec::with_capacity(files.len());
    for pair in files.chunks(2) {
        let reduced: Vec<Result<Census, E>> = std::thread::scope(|s| {
            let handles: Vec<_> = pair
                .iter()
                .enumerate()
                .map(|(k, p)| {
                    s.spawn(move || -> Result<Census, E> {
                        let p = p.as_ref();
                        let snap = load(p, k == 0)?;
                        let t = std::time::Instant::now();
                        let c = Census::with_structure(&snap);
                        log::debug!(
                            "census with structure of {} took {:.2?}",
                            p.display(),
                            t.elapsed()
                        );
                        Ok(c)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        for c in reduced {
            out.push(c?);
        }
    }
    Ok(out)
}
