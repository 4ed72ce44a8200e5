//! Message parameterization: the variable parts of a message (emails, URLs, IPs, UUIDs,
//! hashes, dates, durations, numbers...) are replaced by `<name>` placeholders, so that
//! `order 1231 failed` and `order 1232 failed` group together. The kinds and their order
//! follow Sentry's parameterizer; the patterns are our own.

use regex::{Captures, Regex};
use std::sync::LazyLock;

/// The most common top-level domains; a dotted name ending in one of these is a host.
const TLDS: &str = "com|net|org|io|dev|app|co|uk|de|fr|jp|br|it|ru|es|me|gov|pl|ca|au|cn|in|nl|edu|info|eu|ch|id|at|kr|cz|mx|be|tv|se|tr|tw|ua|ir|vn|cl|sk|cc|no|fi|us|pt|dk|ar|hu|gr|il|ro|my|biz|ie|za|nz|sg|ee|th|xyz|pe|bg|hk|rs|lt|link|ph|club|si|site|mobi|by|cat|wiki|la|hr|ng|jobs|online|kz|ae|is|lv|pro|fm|tips|ms|sa|local|internal|localhost";

struct Pattern {
    name: &'static str,
    regex: Regex,
    /// The pattern cannot match unless the text has one of these bytes (a cheap
    /// prefilter: most messages skip most patterns without running a regex).
    any_of: &'static [u8],
    /// Keep text before the match's group 1 (for `=`-anchored patterns).
    keep_prefix: bool,
    /// Only replace matches that contain a decimal digit.
    needs_digit: bool,
}

const DIGITS: &[u8] = b"0123456789";

fn pattern(name: &'static str, any_of: &'static [u8], re: &str) -> Pattern {
    // ASCII word boundaries keep the regexes on the fast DFA path for any input.
    let re = re.replace(r"\b", r"(?-u:\b)");
    Pattern {
        name,
        any_of,
        regex: Regex::new(&re).unwrap_or_else(|e| panic!("built-in pattern {name}: {e}")),
        keep_prefix: false,
        needs_digit: false,
    }
}

static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    let months = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec";
    let days = "Mon|Tue|Wed|Thu|Fri|Sat|Sun";
    vec![
        pattern(
            "email",
            b"@",
            r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}",
        ),
        pattern("url", b":", r#"\b(?:https?|ftp|file|wss?)://[^\s"'<>]+"#),
        pattern(
            "hostname",
            b".",
            &format!(r"(?i)\b(?:[a-z0-9](?:[a-z0-9\-]{{0,61}}[a-z0-9])?\.)+(?:{TLDS})\b"),
        ),
        pattern(
            "ip",
            b".:",
            r"(?i)\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b|\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b|\b(?:[0-9a-f]{1,4}:){1,6}:(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4})*)?\b|::1\b",
        ),
        pattern(
            "traceparent",
            b"-",
            r"(?i)\b[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}\b",
        ),
        pattern(
            "uuid",
            b"-",
            r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
        ),
        Pattern {
            needs_digit: true,
            ..pattern("sha1", DIGITS, r"(?i)\b[0-9a-f]{40}\b")
        },
        Pattern {
            needs_digit: true,
            ..pattern("md5", DIGITS, r"(?i)\b[0-9a-f]{32}\b")
        },
        pattern(
            "date",
            DIGITS,
            &format!(
                r"\b\d{{4}}-\d{{2}}-\d{{2}}(?:[T ]\d{{2}}:\d{{2}}(?::\d{{2}}(?:[.,]\d+)?)?(?:Z|[+\-]\d{{2}}:?\d{{2}})?)?\b|\b(?:(?:{days}),?\s+)?\d{{1,2}}\s+(?:{months})\s+\d{{4}}(?:\s+\d{{2}}:\d{{2}}:\d{{2}}(?:\s+(?:[+\-]\d{{4}}|GMT|UTC))?)?|\b(?:(?:{days})\s+)?(?:{months})\s+\d{{1,2}}(?:\s+\d{{2}}:\d{{2}}:\d{{2}})?(?:\s+\d{{4}})?\b|\b\d{{2}}:\d{{2}}:\d{{2}}(?:[.,]\d+)?\b|\b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b"
            ),
        ),
        pattern(
            "duration",
            DIGITS,
            r"\b\d+(?:\.\d+)?\s?(?:ms|us|µs|ns|milliseconds?|seconds?|secs?|minutes?|mins?|hours?|hrs?|days?)\b",
        ),
        Pattern {
            needs_digit: true,
            ..pattern("hex", DIGITS, r"(?i)\b0x[0-9a-f]+\b|\b[0-9a-fA-F]{8,}\b")
        },
        pattern("float", b".", r"\b\d+\.\d+(?:[eE][+\-]?\d+)?\b"),
        pattern("int", DIGITS, r"\b\d+\b"),
        Pattern {
            keep_prefix: true,
            ..pattern("quoted_str", b"=", r#"(=)(?:"[^"]*"|'[^']*')"#)
        },
        Pattern {
            keep_prefix: true,
            ..pattern("bool", b"=", r"(?i)(=)(?:true|false)\b")
        },
    ]
});

/// Replaces the variable parts of `message` with `<kind>` placeholders.
pub fn parameterize(message: &str) -> String {
    let mut text = message.to_owned();
    for p in PATTERNS.iter() {
        if !text.bytes().any(|b| p.any_of.contains(&b)) || !p.regex.is_match(&text) {
            continue;
        }
        let replaced = p.regex.replace_all(&text, |caps: &Captures<'_>| {
            let whole = &caps[0];
            if p.needs_digit && !whole.bytes().any(|b| b.is_ascii_digit()) {
                return whole.to_owned();
            }
            let prefix = if p.keep_prefix {
                caps.get(1).map_or("", |m| m.as_str())
            } else {
                ""
            };
            format!("{prefix}<{}>", p.name)
        });
        text = replaced.into_owned();
    }
    text
}

/// Sentry's message trimming for grouping: the first two non-empty lines, with `...`
/// when anything was cut.
pub fn trim_message(message: &str) -> String {
    let mut lines = message
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty());
    let kept: Vec<&str> = lines.by_ref().take(2).collect();
    let mut out = kept.join("\n");
    if lines.next().is_some() {
        out.push_str("...");
    }
    out
}

/// Trimming then parameterization: what a message contributes to a hash.
pub fn normalize_message(message: &str) -> String {
    parameterize(&trim_message(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_is_replaced() {
        let cases = [
            ("mail ana@example.com now", "mail <email> now"),
            (
                "GET https://shop.example.com/a?b=1 failed",
                "GET <url> failed",
            ),
            ("cannot reach db-3.internal", "cannot reach <hostname>"),
            (
                "login failed for user ana from 10.0.0.3",
                "login failed for user ana from <ip>",
            ),
            ("peer fe80::1ff:fe23:4567:890a left", "peer <ip> left"),
            (
                "trace 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                "trace <traceparent>",
            ),
            (
                "id 123e4567-e89b-12d3-a456-426614174000 gone",
                "id <uuid> gone",
            ),
            (
                "commit 356a192b7913b04c54574d18c28d46e6395428ab",
                "commit <sha1>",
            ),
            ("hash 9e107d9d372bb6826bd81d3542a419d6", "hash <md5>"),
            ("at 2026-11-21T19:15:15.737Z boom", "at <date> boom"),
            ("at 19:15:15 boom", "at <date> boom"),
            ("timeout after 3000 ms", "timeout after <duration>"),
            ("addr 0x7f87780738ec", "addr <hex>"),
            ("order 12345678 failed", "order <hex> failed"),
            ("ratio 0.75 too high", "ratio <float> too high"),
            ("Error with order #1231", "Error with order #<int>"),
            ("key=\"abc\" flag=true", "key=<quoted_str> flag=<bool>"),
        ];
        for (input, expected) in cases {
            assert_eq!(parameterize(input), expected, "{input}");
        }
    }

    #[test]
    fn words_that_look_like_hex_stay() {
        assert_eq!(
            parameterize("deadbeefcafe feedface"),
            "deadbeefcafe feedface"
        );
        assert_eq!(
            parameterize("order B-9 not found"),
            "order B-<int> not found"
        );
    }

    #[test]
    fn messages_keep_two_lines() {
        assert_eq!(trim_message("a\n\nb\nc"), "a\nb...");
        assert_eq!(trim_message("one line"), "one line");
    }
}
