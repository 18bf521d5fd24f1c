//! Parsers of option values (`--fail-over 10MB`, `--fail-class 'Name>100'`, `--category`,
//! `--interval 5s`, `--worker all`), in one place that the argument definitions and the
//! commands both import (so that `cli` and `cmd` do not import each other).

use std::time::Duration;

use heapsnap_diff::{ClassRule, Limit};
use heapsnap_leaks::Category;

/// Parses sizes such as `10MB` (10^6), `10MiB` (2^20), `512k`, `1234` (bytes).
pub(crate) fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let v: f64 =
        num.parse().map_err(|_| format!("`{s}` is not a size (like 500KB, 10MB, 1GiB)"))?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "unknown size unit `{other}` in `{s}` (use B, KB, MB, GB, KiB, MiB, GiB)"
            ));
        }
    };
    Ok((v * mult).round() as u64)
}

/// Parses a `--fail-class` rule: `NAME>LIMIT`, the limit a count or a size (with a unit).
pub(crate) fn parse_class_rule(s: &str) -> Result<ClassRule, String> {
    let (class, limit) = s
        .rsplit_once('>')
        .ok_or_else(|| format!("`{s}` is not NAME>LIMIT (e.g. 'LeakyThing>100')"))?;
    let class = class.trim().to_string();
    let limit = limit.trim();
    if class.is_empty() {
        return Err(format!("`{s}`: empty class name"));
    }
    let limit = if limit.bytes().all(|b| b.is_ascii_digit()) && !limit.is_empty() {
        Limit::Count(limit.parse().map_err(|_| format!("`{limit}` is not a count"))?)
    } else {
        Limit::Bytes(parse_size(limit)? as i64)
    };
    Ok(ClassRule { class, limit })
}

/// Parses a `--category` value.
pub(crate) fn parse_category(s: &str) -> Result<Category, String> {
    Category::from_name(s).ok_or_else(|| {
        let all: Vec<&str> = Category::ALL.iter().map(|c| c.name()).collect();
        format!("unknown category `{s}` (one of: {})", all.join(", "))
    })
}

/// Parses `500ms`, `5s`, `1.5s`, `10m`, `1h`, or a plain number of seconds.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let bad = || format!("`{s}` is not a duration (like 500ms, 5s, 10m, 1h)");
    let v: f64 = num.parse().map_err(|_| bad())?;
    let secs = match unit.trim() {
        "ms" => v / 1000.0,
        "" | "s" | "sec" | "secs" => v,
        "m" | "min" | "mins" => v * 60.0,
        "h" | "hr" | "hrs" => v * 3600.0,
        _ => return Err(bad()),
    };
    if !secs.is_finite() || secs <= 0.0 || secs > 1e9 {
        return Err(format!("`{s}`: the duration must be positive"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// `--worker all|ID|list`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum WorkerChoice {
    /// Every worker thread.
    All,
    /// Print the worker threads and capture nothing.
    List,
    /// The worker with this id.
    Id(String),
}

pub(crate) fn parse_worker(s: &str) -> Result<WorkerChoice, String> {
    match s.trim() {
        "" => Err("expected all, list or a worker id".into()),
        "all" => Ok(WorkerChoice::All),
        "list" => Ok(WorkerChoice::List),
        id => Ok(WorkerChoice::Id(id.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_rules() {
        assert_eq!(parse_size("10MB"), Ok(10_000_000));
        assert_eq!(parse_size("1MiB"), Ok(1_048_576));
        assert_eq!(parse_size("512"), Ok(512));
        assert_eq!(parse_size("1.5kb"), Ok(1500));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("10XB").is_err());
        assert_eq!(
            parse_class_rule("LeakyThing>100"),
            Ok(ClassRule { class: "LeakyThing".into(), limit: Limit::Count(100) })
        );
        assert_eq!(
            parse_class_rule("Foo > 2MB"),
            Ok(ClassRule { class: "Foo".into(), limit: Limit::Bytes(2_000_000) })
        );
        assert!(parse_class_rule("NoLimit").is_err());
    }

    #[test]
    fn categories_parse() {
        assert_eq!(parse_category("timers"), Ok(Category::Timers));
        assert_eq!(parse_category("detached-dom"), Ok(Category::DetachedDom));
        assert!(parse_category("leaks").unwrap_err().contains("listeners"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration(" 2 "), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("2 min"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("ms").is_err());
    }

    #[test]
    fn worker_choice() {
        assert_eq!(parse_worker("all"), Ok(WorkerChoice::All));
        assert_eq!(parse_worker("list"), Ok(WorkerChoice::List));
        assert_eq!(parse_worker("3"), Ok(WorkerChoice::Id("3".into())));
        assert!(parse_worker("").is_err());
    }
}
