//! `heapsnap leaks` on snapshots taken by separate `heapsnap capture` runs
//! (`snapshots/separate/`, `scripts/gen-separate-fixtures.sh`): ids do not follow objects, and
//! objects are matched by structure. Every series of `snapshots/separate/manifest.json` must
//! rank the real leaks first with exact growth and have no false finding in its top 3 (the
//! check of `node snapshots/separate/precision.mjs`, which prints the figures); beyond that,
//! these fixtures have no false finding at all (their only other growth is the runtime's own).

use serde_json::Value;

use crate::util::{heapsnap_ok, root};

#[test]
fn separate_captures_real_leaks_first_exact_growth() {
    let dir = root().join("snapshots/separate");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let scenarios = manifest["scenarios"].as_object().unwrap();
    let mut problems = Vec::new();
    let mut series_count = 0;
    for series in manifest["series"].as_array().unwrap() {
        let names: Vec<&str> =
            series.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        let scenario = scenarios.values().find(|s| s["snapshots"].get(names[0]).is_some()).unwrap();
        let files: Vec<String> =
            names.iter().map(|n| format!("snapshots/separate/{n}.heapsnapshot.gz")).collect();
        let mut args = vec!["leaks", "--json"];
        args.extend(files.iter().map(String::as_str));
        let doc: Value = serde_json::from_str(&heapsnap_ok(&args)).unwrap();
        let label = names.join(" -> ");
        assert_eq!(doc["growth_basis"], "structure", "{label}");
        assert!(
            doc["ids"].as_array().unwrap().iter().all(|c| c["verdict"] != "comparable"),
            "{label}"
        );
        let want: Vec<u64> =
            names.iter().map(|n| scenario["snapshots"][n].as_u64().unwrap()).collect();
        let findings = doc["findings"].as_array().unwrap();
        let leaks = scenario["leaks"].as_array().unwrap();
        let is_leak = |f: &Value, l: &Value| {
            f["category"] == l["category"]
                && f["class"] == l["class"]
                && f["path"]["text"].as_str().unwrap_or("").contains(l["path"].as_str().unwrap())
        };
        let mut last_leak = None;
        for l in leaks {
            match findings.iter().position(|f| is_leak(f, l)) {
                None => problems.push(format!("{label}: {} missed", l["class"])),
                Some(k) => {
                    last_leak = last_leak.max(Some(k));
                    if findings[k]["growth"] != serde_json::json!(want) {
                        problems.push(format!(
                            "{label}: {} growth {} (want {want:?})",
                            l["class"], findings[k]["growth"]
                        ));
                    }
                }
            }
        }
        let false_ranks: Vec<usize> = (0..findings.len())
            .filter(|&k| !leaks.iter().any(|l| is_leak(&findings[k], l)))
            .collect();
        if false_ranks.iter().any(|&k| k < 3) {
            problems.push(format!("{label}: a false finding in the top 3: {:?}", false_ranks));
        }
        // Besides the leaks, what grows in these services is Node's and V8's lazily created
        // machinery (the builtin modules `reports.js` and `control.js` load between the first
        // two snapshots, V8's caches, the server's own timers): none of it is a finding at all.
        for &k in &false_ranks {
            problems.push(format!(
                "{label}: false finding #{}: {} {} held by {}",
                k + 1,
                findings[k]["category"],
                findings[k]["class"],
                findings[k]["path"]["text"]
            ));
        }
        if let (Some(&first_false), Some(last)) = (false_ranks.first(), last_leak)
            && first_false < last
        {
            problems.push(format!(
                "{label}: a false finding (#{}) before a real leak",
                first_false + 1
            ));
        }
        series_count += 1;
    }
    assert_eq!(series_count, 14);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn separate_captures_text_says_why_once() {
    let text = heapsnap_ok(&[
        "leaks",
        "snapshots/separate/sessions-1.heapsnapshot.gz",
        "snapshots/separate/sessions-2.heapsnapshot.gz",
        "snapshots/separate/sessions-3.heapsnapshot.gz",
    ]);
    assert_eq!(text.matches("WARNING").count(), 1, "{text}");
    assert!(
        text.contains("snapshots 1 and 2, 2 and 3 were taken through separate inspector sessions"),
        "{text}"
    );
    assert!(text.contains("heapsnap hunt --pid PID"), "{text}");
    // The leaks come first, per object: the Map's 60 entries between the first two snapshots.
    assert!(
        text.contains(
            "#3 collections: Map `sessions` (sessions.js) grows 0 -> 60 -> 120 entries: string -> \
             UserSession"
        ),
        "{text}"
    );
}

#[test]
fn report_matches_separate_captures_by_structure_too() {
    // `heapsnap report` embeds the `leaks --json` document: the same structural matching.
    let f = [
        "snapshots/separate/sessions-other.heapsnapshot.gz",
        "snapshots/separate/sessions-3.heapsnapshot.gz",
    ];
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("r.html");
    heapsnap_ok(&["report", f[0], f[1], "-o", html.to_str().unwrap(), "-q"]);
    let html = std::fs::read_to_string(&html).unwrap();
    let open = "<script type=\"application/json\" id=\"heapsnap-data\">";
    let start = html.find(open).unwrap() + open.len();
    let end = start + html[start..].find("</script>").unwrap();
    let data: Value = serde_json::from_str(&html[start..end]).unwrap();
    let leaks: Value =
        serde_json::from_str(&heapsnap_ok(&["leaks", "--json", f[0], f[1]])).unwrap();
    assert_eq!(leaks["growth_basis"], "structure");
    assert_eq!(leaks["findings"].as_array().unwrap().len(), 3, "{leaks:#}");
    assert_eq!(data["leaks"], leaks);
}
