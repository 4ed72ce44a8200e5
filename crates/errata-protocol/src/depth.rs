//! The depth pre-pass: JSON nested too deep becomes `null` before it is parsed.
//!
//! `serde_json` refuses documents nested deeper than 128 levels, and refusing would turn a
//! whole event into a 400 for one over-nested value. So before parsing, [`limit_depth`]
//! scans the payload bytes once, tracking strings and escapes, and replaces every array
//! or object that opens deeper than [`MAX_DEPTH`] with `null`; the caller records what
//! was removed. It never recurses (a replaced container is checked by an explicit-stack
//! validator, so invalid JSON inside it stays an error instead of being hidden by the
//! `null`), and allocates at most one copy of the input, only when something is too
//! deep: otherwise the payload is borrowed as it is.

use std::borrow::Cow;

/// Arrays and objects opening deeper than this many levels (the payload's top-level
/// object is level 1) are replaced by `null`. Below `serde_json`'s limit of 128, and far
/// above the 5 to 7 levels the free-form bags keep.
pub const MAX_DEPTH: usize = 64;

/// A payload with its too-deep containers replaced.
#[derive(Debug)]
pub(crate) struct Limited<'a> {
    /// The JSON to parse: the payload itself when nothing was too deep.
    pub(crate) json: Cow<'a, [u8]>,
    /// How many containers were replaced by `null`.
    pub(crate) removed: usize,
}

/// Replaces every array or object opening deeper than `max_depth` levels in `payload`
/// with `null`, in one linear pass. Invalid JSON is left for the parser to reject: a
/// too-deep container is replaced only when it is itself valid JSON.
pub(crate) fn limit_depth(payload: &[u8], max_depth: usize) -> Limited<'_> {
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    let mut removed = 0;
    let mut depth = 0usize;
    let mut i = 0;
    while i < payload.len() {
        match payload[i] {
            b'"' => i = string_end(payload, i).unwrap_or(payload.len()),
            b'[' | b'{' if depth == max_depth => {
                let Some(end) = container_end(payload, i) else {
                    // Invalid inside: leave everything from here to the parser.
                    break;
                };
                let buf = out.get_or_insert_with(|| Vec::with_capacity(payload.len()));
                buf.extend_from_slice(&payload[copied..i]);
                buf.extend_from_slice(b"null");
                copied = end;
                removed += 1;
                i = end;
            }
            b'[' | b'{' => {
                depth += 1;
                i += 1;
            }
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            _ => i += 1,
        }
    }
    let json = match out {
        None => Cow::Borrowed(payload),
        Some(mut buf) => {
            buf.extend_from_slice(&payload[copied..]);
            Cow::Owned(buf)
        }
    };
    Limited { json, removed }
}

/// The index just past the string opening at `start` (a `"`), or `None` when it is not
/// a valid JSON string (unterminated, a control character, a bad escape).
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        let rest = bytes.get(i..)?;
        let stop = memchr::memchr2(b'"', b'\\', rest)?;
        if rest[..stop].iter().any(|&b| b < 0x20) {
            return None;
        }
        i += stop;
        if bytes[i] == b'"' {
            return Some(i + 1);
        }
        match bytes.get(i + 1)? {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
            b'u' => {
                let hex = bytes.get(i + 2..i + 6)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                i += 6;
            }
            _ => return None,
        }
    }
}

/// The index just past the number starting at `start`, per JSON's grammar.
fn number_end(bytes: &[u8], start: usize) -> Option<usize> {
    let digits = |mut i: usize| {
        let from = i;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        (i > from).then_some(i)
    };
    let mut i = start;
    if bytes.get(i) == Some(&b'-') {
        i += 1;
    }
    i = match bytes.get(i)? {
        b'0' => i + 1,
        b'1'..=b'9' => digits(i)?,
        _ => return None,
    };
    if bytes.get(i) == Some(&b'.') {
        i = digits(i + 1)?;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        i = digits(i)?;
    }
    Some(i)
}

/// What the validator expects next inside a container.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A value (after `[` or `,` in an array, or after `:`); `close` allows `]` instead.
    Value { close: bool },
    /// A key (after `{` or `,` in an object); `close` allows `}` instead.
    Key { close: bool },
    /// The `:` after a key.
    Colon,
    /// A `,` or the container's closing bracket.
    CommaOrClose,
}

/// Validates the array or object opening at `start` with an explicit stack (no
/// recursion, whatever its depth) and returns the index just past its end, or `None`
/// when it is not valid JSON (UTF-8 included).
fn container_end(bytes: &[u8], start: usize) -> Option<usize> {
    // The closing bracket each open container expects, innermost last.
    let mut closers: Vec<u8> = Vec::new();
    let mut expect = Expect::Value { close: false };
    let mut i = start;
    loop {
        while bytes
            .get(i)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            i += 1;
        }
        let c = *bytes.get(i)?;
        let mut value_done = false;
        match (expect, c) {
            (Expect::Value { .. }, b'[') => {
                closers.push(b']');
                expect = Expect::Value { close: true };
                i += 1;
            }
            (Expect::Value { .. }, b'{') => {
                closers.push(b'}');
                expect = Expect::Key { close: true };
                i += 1;
            }
            (Expect::Value { .. }, b'"') => {
                i = string_end(bytes, i)?;
                value_done = true;
            }
            (Expect::Value { .. }, b'-' | b'0'..=b'9') => {
                i = number_end(bytes, i)?;
                value_done = true;
            }
            (Expect::Value { .. }, b't' | b'f' | b'n') => {
                let word: &[u8] = match c {
                    b't' => b"true",
                    b'f' => b"false",
                    _ => b"null",
                };
                if !bytes[i..].starts_with(word) {
                    return None;
                }
                i += word.len();
                value_done = true;
            }
            (Expect::Key { .. }, b'"') => {
                i = string_end(bytes, i)?;
                expect = Expect::Colon;
            }
            (Expect::Colon, b':') => {
                expect = Expect::Value { close: false };
                i += 1;
            }
            (Expect::CommaOrClose, b',') => {
                expect = if closers.last() == Some(&b']') {
                    Expect::Value { close: false }
                } else {
                    Expect::Key { close: false }
                };
                i += 1;
            }
            (
                Expect::Value { close: true } | Expect::Key { close: true } | Expect::CommaOrClose,
                b']' | b'}',
            ) if closers.last() == Some(&c) => {
                closers.pop();
                i += 1;
                value_done = true;
            }
            _ => return None,
        }
        if value_done {
            if closers.is_empty() {
                std::str::from_utf8(&bytes[start..i]).ok()?;
                return Some(i);
            }
            expect = Expect::CommaOrClose;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn nested_arrays(levels: usize) -> String {
        "[".repeat(levels) + &"]".repeat(levels)
    }

    /// `{"a": ...}` where the object is level 1, so `inner` opens at level 2.
    fn limited(text: &str) -> (String, usize) {
        let out = limit_depth(text.as_bytes(), MAX_DEPTH);
        (
            String::from_utf8(out.json.into_owned()).unwrap(),
            out.removed,
        )
    }

    #[test]
    fn shallow_payloads_are_borrowed() {
        let text = format!("{{\"a\": {}}}", nested_arrays(MAX_DEPTH - 1));
        let out = limit_depth(text.as_bytes(), MAX_DEPTH);
        assert!(matches!(out.json, Cow::Borrowed(_)));
        assert_eq!(out.removed, 0);
    }

    #[test]
    fn containers_at_the_limit_stay_and_deeper_ones_become_null() {
        // Level 1 is the object, so N-1 arrays nest to level N exactly.
        for (arrays, removed) in [(MAX_DEPTH - 2, 0), (MAX_DEPTH - 1, 0), (MAX_DEPTH, 1)] {
            let text = format!("{{\"a\": {}}}", nested_arrays(arrays));
            let (out, n) = limited(&text);
            assert_eq!(n, removed, "{arrays} arrays");
            let value: Value = serde_json::from_str(&out).unwrap();
            let mut depth = 0;
            let mut v = &value["a"];
            while let Value::Array(items) = v {
                depth += 1;
                v = items.first().unwrap_or(&Value::Null);
            }
            assert_eq!(depth, arrays.min(MAX_DEPTH - 1));
            if removed > 0 {
                assert_eq!(*v, Value::Null);
            }
        }
    }

    #[test]
    fn ten_thousand_levels_of_arrays_and_objects() {
        let arrays = format!("{{\"a\": {}, \"b\": 1}}", nested_arrays(10_000));
        let (out, n) = limited(&arrays);
        assert_eq!(n, 1);
        let value: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["b"], 1);
        let objects = format!(
            "{{\"a\": {}null{}, \"b\": [{{}}, {{\"k\": [1]}}]}}",
            "{\"k\":".repeat(10_000),
            "}".repeat(10_000)
        );
        let (out, n) = limited(&objects);
        assert_eq!(n, 1);
        let value: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["b"], json!([{}, {"k": [1]}]));
        assert!(out.len() < objects.len());
    }

    #[test]
    fn several_deep_values_are_each_replaced() {
        let deep = nested_arrays(100);
        let text = format!("{{\"a\": {deep}, \"b\": [{deep}, 2, {deep}]}}");
        let (out, n) = limited(&text);
        assert_eq!(n, 3);
        let value: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["b"][1], 2);
    }

    #[test]
    fn brackets_in_strings_and_escaped_quotes_do_not_count() {
        let tricky = r#""[[{{ \" ]] \\" "#;
        let text = format!(
            "{{\"s\": \"{}\", \"e\": {tricky}, \"a\": {}}}",
            "[".repeat(500),
            nested_arrays(MAX_DEPTH - 1)
        );
        let out = limit_depth(text.as_bytes(), MAX_DEPTH);
        assert_eq!(out.removed, 0, "strings are not containers");
        let deep = format!(
            "{{\"a\": {}\"x]]\\\"}}\"{}}}",
            "[".repeat(100),
            "]".repeat(100)
        );
        let (out, n) = limited(&deep);
        assert_eq!(n, 1);
        let expected = format!(
            "{{\"a\": {}null{}}}",
            "[".repeat(MAX_DEPTH - 1),
            "]".repeat(MAX_DEPTH - 1)
        );
        assert_eq!(
            serde_json::from_str::<Value>(&out).unwrap(),
            serde_json::from_str::<Value>(&expected).unwrap()
        );
    }

    #[test]
    fn invalid_json_stays_invalid() {
        let deep_open = "[".repeat(100);
        let deep_close = "]".repeat(100);
        let bad = [
            format!("{{\"a\": {deep_open}"),
            format!("{{\"a\": {deep_open}1 2{deep_close}}}"),
            format!("{{\"a\": {deep_open}tru{deep_close}}}"),
            format!("{{\"a\": {deep_open}1,{deep_close}}}"),
            format!("{{\"a\": {deep_open}{{\"k\"}}{deep_close}}}"),
            format!("{{\"a\": {deep_open}\"\\q\"{deep_close}}}"),
            format!("{{\"a\": {deep_open}01{deep_close}}}"),
            format!("{{\"a\": {}{{]{}}}", "[".repeat(99), "]".repeat(99)),
            format!("{{\"a\": {deep_open}\"\n\"{deep_close}}}"),
            format!("{{\"a\": {deep_open}{deep_close}"),
        ];
        for text in bad {
            let out = limit_depth(text.as_bytes(), MAX_DEPTH);
            assert!(
                serde_json::from_slice::<Value>(&out.json).is_err(),
                "{}",
                String::from_utf8_lossy(&out.json)
            );
        }
        let mut invalid_utf8 = b"{\"a\": ".to_vec();
        invalid_utf8.extend_from_slice(deep_open.as_bytes());
        invalid_utf8.extend_from_slice(b"\"\xff\"");
        invalid_utf8.extend_from_slice(deep_close.as_bytes());
        invalid_utf8.push(b'}');
        let out = limit_depth(&invalid_utf8, MAX_DEPTH);
        assert!(serde_json::from_slice::<Value>(&out.json).is_err());
    }

    #[test]
    fn valid_scalars_in_deep_containers_are_accepted() {
        let inner =
            r#"[0, -1.5e+3, 2E7, "\u00e9\n", true, false, null, {}, [], {"k": "v", "l": [1]}]"#;
        let text = format!(
            "{{\"a\": {}{inner}{}}}",
            "[".repeat(MAX_DEPTH),
            "]".repeat(MAX_DEPTH)
        );
        let (out, n) = limited(&text);
        assert_eq!(n, 1);
        serde_json::from_str::<Value>(&out).unwrap();
    }
}
