//! Key/value pairs inside text: a JSON object sent as a string (a request body the SDK
//! could not parse, a value a processing error kept as cut JSON text), a Python `repr`
//! (`{'password': 'x'}`) or a Ruby hash (`{"token"=>"x"}`). A quoted key followed by `:`
//! or `=>` whose name is sensitive has its value filtered: a quoted string (to its
//! closing quote, or to the end when the text was cut), a nested object or list (to its
//! closing bracket), or a bare scalar (to the next `,`, `}`, `]` or blank). `null`,
//! `true`, `false`, `None`, `True`, `False` and empty strings are kept, as in maps.
//! One linear pass over the bytes; nothing is copied unless something is filtered.

use super::FILTERED;
use super::ScrubRules;
use std::ops::Range;

/// Bare values that carry no secret.
const HARMLESS_SCALARS: [&str; 6] = ["null", "true", "false", "None", "True", "False"];

/// Filters the values of sensitive quoted keys in `s`, in place.
pub(super) fn scrub_quoted_pairs(s: &mut String, rules: &ScrubRules) {
    if !s.contains(['"', '\'']) || !s.contains([':', '>']) {
        return;
    }
    let bytes = s.as_bytes();
    let mut edits: Vec<(Range<usize>, u8)> = Vec::new();
    // Once a quote finds no closing quote, no later one of its kind does either (the
    // later scan meets the same bytes from the same escape state), so it is not searched
    // again: that keeps `"\"\"\"...` linear.
    let mut unterminated = [false; 2];
    let mut i = 0;
    while i < bytes.len() {
        let quote = bytes[i];
        let kind = match quote {
            b'"' => 0,
            b'\'' => 1,
            _ => {
                i += 1;
                continue;
            }
        };
        let close = if unterminated[kind] {
            None
        } else {
            string_end(bytes, i)
        };
        let Some(close) = close else {
            // An unterminated string is not a key; it may be prose (`it's`).
            unterminated[kind] = true;
            i += 1;
            continue;
        };
        let key = &s[i + 1..close];
        let after = skip_blanks(bytes, close + 1);
        let value_start = if bytes.get(after) == Some(&b':') {
            skip_blanks(bytes, after + 1)
        } else if bytes[after..].starts_with(b"=>") {
            skip_blanks(bytes, after + 2)
        } else {
            i = close + 1;
            continue;
        };
        if !rules.is_sensitive(key) || value_start >= bytes.len() {
            i = close + 1;
            continue;
        }
        let value_end = value_end(bytes, value_start);
        let value = &s[value_start..value_end];
        let inner_quote = bytes[value_start];
        let is_quoted = matches!(inner_quote, b'"' | b'\'');
        let content = if is_quoted {
            value[1..]
                .strip_suffix(inner_quote as char)
                .unwrap_or(&value[1..])
        } else {
            value
        };
        if !content.is_empty() && content != FILTERED && !HARMLESS_SCALARS.contains(&value) {
            edits.push((
                value_start..value_end,
                if is_quoted { inner_quote } else { b'"' },
            ));
        }
        i = value_end.max(close + 1);
    }
    if edits.is_empty() {
        return;
    }
    let mut out = String::with_capacity(s.len() + edits.len() * (FILTERED.len() + 2));
    let mut last = 0;
    for (range, quote) in &edits {
        out.push_str(&s[last..range.start]);
        let quote = *quote as char;
        out.push(quote);
        out.push_str(FILTERED);
        out.push(quote);
        last = range.end;
    }
    out.push_str(&s[last..]);
    *s = out;
}

/// The index of the quote closing the string opened at `open`, if any.
fn string_end(bytes: &[u8], open: usize) -> Option<usize> {
    let quote = bytes[open];
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b if b == quote => return Some(i),
            _ => i += 1,
        }
    }
    None
}

fn skip_blanks(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// Where the value starting at `start` ends: after its closing quote or bracket (or at
/// the end of the text when it was cut), or at the end of a bare scalar.
fn value_end(bytes: &[u8], start: usize) -> usize {
    match bytes[start] {
        b'"' | b'\'' => string_end(bytes, start).map_or(bytes.len(), |close| close + 1),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = start;
            while i < bytes.len() {
                match bytes[i] {
                    b'"' | b'\'' => match string_end(bytes, i) {
                        Some(close) => i = close,
                        None => return bytes.len(),
                    },
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            bytes.len()
        }
        _ => {
            let mut i = start;
            while i < bytes.len()
                && !matches!(bytes[i], b',' | b'}' | b']')
                && !bytes[i].is_ascii_whitespace()
            {
                i += 1;
            }
            i
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrubbed(s: &str) -> String {
        let mut s = s.to_owned();
        scrub_quoted_pairs(&mut s, &ScrubRules::default());
        s
    }

    #[test]
    fn json_text_values_under_sensitive_keys_are_filtered() {
        assert_eq!(
            scrubbed(r#"{"user": "ana", "password": "hun\"ter2", "n": 1}"#),
            r#"{"user": "ana", "password": "[Filtered]", "n": 1}"#
        );
        assert_eq!(
            scrubbed(r#"{"auth":{"user":"a","pass":"b"},"pin_token":1234,"ok":true}"#),
            r#"{"auth":"[Filtered]","pin_token":"[Filtered]","ok":true}"#
        );
        assert_eq!(
            scrubbed(r#"[{"api_key":["a","b"]},{"x":"y"}]"#),
            r#"[{"api_key":"[Filtered]"},{"x":"y"}]"#
        );
    }

    #[test]
    fn cut_json_text_is_filtered_to_the_end() {
        assert_eq!(
            scrubbed(r#"{"note":"x","secret":"abcdef..."#),
            r#"{"note":"x","secret":"[Filtered]""#
        );
        assert_eq!(
            scrubbed(r#"{"token":{"a":"b"..."#),
            r#"{"token":"[Filtered]""#
        );
    }

    #[test]
    fn python_and_ruby_shapes() {
        assert_eq!(
            scrubbed("{'password': 'hunter2', 'user': 'ana'}"),
            "{'password': '[Filtered]', 'user': 'ana'}"
        );
        assert_eq!(
            scrubbed(r#"{"token"=>"abc"}"#),
            r#"{"token"=>"[Filtered]"}"#
        );
    }

    #[test]
    fn harmless_and_ordinary_text_is_kept() {
        for s in [
            r#"{"authenticated": true, "session": null, "token": ""}"#,
            "{'has_token': False}",
            "it's a 'token' he said: no",
            r#"say "password" twice"#,
            "no quotes: at all",
            r#"{"token": "[Filtered]"}"#,
        ] {
            assert_eq!(scrubbed(s), s);
        }
    }
}
