//! V8's WeakMap ephemeron edge names, matched the way DevTools' regular expression does:
//! `^\d+( / part of key \(.*? @\d+\) -> value \(.*? @\d+\) pair in WeakMap \(table @(\d+)\))$`.

/// A parsed ephemeron edge name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ephemeron<'a> {
    /// Everything after the leading number: the same for the table's and the key's edge.
    pub(crate) duplicated_part: &'a str,
    /// The table id as written (decimal digits).
    pub(crate) table_id: &'a str,
}

fn strip_digits_suffix(s: &str) -> Option<(&str, &str)> {
    let digits = s.bytes().rev().take_while(u8::is_ascii_digit).count();
    if digits == 0 { None } else { Some(s.split_at(s.len() - digits)) }
}

/// Whether an internal edge's name is a WeakMap ephemeron edge name (`3 / part of key (Object
/// @123) -> value (Foo @456) pair in WeakMap (table @789)`), by DevTools' own pattern: the
/// one test of the workspace.
///
/// ```
/// use heapsnap_graph::is_ephemeron_name;
/// assert!(is_ephemeron_name("3 / part of key (Object @1) -> value (Foo @2) pair in WeakMap (table @5)"));
/// assert!(!is_ephemeron_name("table"));
/// ```
pub fn is_ephemeron_name(name: &str) -> bool {
    parse(name).is_some()
}

/// Matches `name` against the ephemeron pattern.
pub(crate) fn parse(name: &str) -> Option<Ephemeron<'_>> {
    let lead = name.bytes().take_while(u8::is_ascii_digit).count();
    if lead == 0 {
        return None;
    }
    let rest = &name[lead..];
    // `.` in a JS regex does not match line terminators.
    if rest.contains(['\n', '\r', '\u{2028}', '\u{2029}']) {
        return None;
    }
    let body = rest.strip_prefix(" / part of key (")?;
    let body = body.strip_suffix(')')?;
    let (body, table_id) = strip_digits_suffix(body)?;
    let body = body.strip_suffix(") pair in WeakMap (table @")?;
    // body = A " @" D1 ") -> value (" B " @" D2   with A, B anything and D1, D2 digits.
    let (body, _d2) = strip_digits_suffix(body)?;
    let body = body.strip_suffix(" @")?;
    let found = body.match_indices(" @").any(|(i, _)| {
        let after = &body[i + 2..];
        let d = after.bytes().take_while(u8::is_ascii_digit).count();
        d > 0 && after[d..].starts_with(") -> value (")
    });
    if !found {
        return None;
    }
    Some(Ephemeron { duplicated_part: rest, table_id })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_v8_names() {
        let n = "3 / part of key (Object @123) -> value (Foo @456) pair in WeakMap (table @789)";
        let e = parse(n).unwrap();
        assert_eq!(e.table_id, "789");
        assert_eq!(
            e.duplicated_part,
            " / part of key (Object @123) -> value (Foo @456) pair in WeakMap (table @789)"
        );
        // Lazy `.*?` still allows the separators inside names.
        assert!(parse("1 / part of key (a @1) -> value (b @2) @3) -> value (c @4) pair in WeakMap (table @5)").is_some());
        assert!(
            parse("1 / part of key (x) -> y @1) -> value (z @2) pair in WeakMap (table @5)")
                .is_some()
        );
        for bad in [
            "part of key (Object @1) -> value (Foo @2) pair in WeakMap (table @3)",
            "3 / part of key (Object @) -> value (Foo @2) pair in WeakMap (table @3)",
            "3 / part of key (Object @1) -> value (Foo @2) pair in WeakMap (table @)",
            "3 / part of key (Object @1) -> value (Foo @2) pair in WeakMap (table @3) ",
            "3 / part of key (Obj\nect @1) -> value (Foo @2) pair in WeakMap (table @3)",
            "3 / part of key (Object @1) -> value (Foo @x2) pair in WeakMap (table @3)",
            "elements",
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }
}
