//! Parsers of option values (`--fail-over 10MB`, `--fail-class 'Name>100'`, `--category`),
//! in one place that the argument definitions and the commands both import.

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
}
