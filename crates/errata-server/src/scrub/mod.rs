//! Server-side data scrubbing, on by default, in the spirit of Sentry's default scrubber:
//! values under sensitive keys (password, secret, token, auth, session...), the
//! `Authorization`, `Cookie` and `Set-Cookie` headers, and credit-card-like numbers
//! anywhere in free-form data become `[Filtered]` before anything is grouped or written.

use errata_protocol::Event;
use errata_protocol::stacktrace::Stacktrace;
use regex::Regex;
use serde_json::{Map, Value};
use std::sync::LazyLock;

/// What a scrubbed value is replaced with.
pub const FILTERED: &str = "[Filtered]";

/// Substrings of keys whose values are always scrubbed (case-insensitive).
const SENSITIVE_KEYS: [&str; 13] = [
    "password",
    "passwd",
    "pwd",
    "secret",
    "api_key",
    "apikey",
    "auth",
    "credentials",
    "mysql_pwd",
    "privatekey",
    "private_key",
    "token",
    "session",
];

/// Headers scrubbed whatever their value.
const SENSITIVE_HEADERS: [&str; 5] = [
    "authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "proxy-authorization",
];

static CREDIT_CARD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)\d(?:[ -]?\d){12,18}(?-u:\b)")
        .unwrap_or_else(|e| panic!("built-in pattern: {e}"))
});

/// Whether values under `key` are scrubbed.
pub fn is_sensitive_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    SENSITIVE_KEYS.iter().any(|k| lower.contains(k))
}

/// Scrubs the event in place.
pub fn scrub_event(event: &mut Event) {
    if let Some(request) = &mut event.request {
        for (name, value) in &mut request.headers {
            let lower = name.to_ascii_lowercase();
            if SENSITIVE_HEADERS.contains(&lower.as_str()) || is_sensitive_key(name) {
                FILTERED.clone_into(value);
            } else {
                scrub_string(value);
            }
        }
        scrub_pairs(&mut request.cookies);
        scrub_pairs(&mut request.query_string);
        if let Some(data) = &mut request.data {
            scrub_value(data);
        }
        scrub_map(&mut request.env);
        if let Some(url) = &mut request.url {
            scrub_string(url);
        }
    }
    scrub_map(&mut event.extra);
    scrub_map(&mut event.contexts);
    if let Some(user) = &mut event.user {
        scrub_map(&mut user.data);
    }
    for crumb in &mut event.breadcrumbs.values {
        if let Some(message) = &mut crumb.message {
            scrub_string(message);
        }
        scrub_map(&mut crumb.data);
    }
    for exception in &mut event.exception.values {
        if let Some(value) = &mut exception.value {
            scrub_string(value);
        }
        for stack in [&mut exception.stacktrace, &mut exception.raw_stacktrace]
            .into_iter()
            .flatten()
        {
            scrub_stack(stack);
        }
    }
    for thread in &mut event.threads.values {
        if let Some(stack) = &mut thread.stacktrace {
            scrub_stack(stack);
        }
    }
    if let Some(stack) = &mut event.stacktrace {
        scrub_stack(stack);
    }
    if let Some(entry) = &mut event.logentry {
        if let Some(formatted) = &mut entry.formatted {
            scrub_string(formatted);
        }
        for param in &mut entry.params {
            scrub_value(param);
        }
    }
    for (_, value) in &mut event.tags {
        scrub_string(value);
    }
}

fn scrub_stack(stack: &mut Stacktrace) {
    for frame in &mut stack.frames {
        if let Some(vars) = &mut frame.vars {
            scrub_map(vars);
        }
    }
}

fn scrub_pairs(pairs: &mut [(String, String)]) {
    for (key, value) in pairs {
        if is_sensitive_key(key) {
            FILTERED.clone_into(value);
        } else {
            scrub_string(value);
        }
    }
}

fn scrub_map(map: &mut Map<String, Value>) {
    for (key, value) in map.iter_mut() {
        if is_sensitive_key(key) && !value.is_null() {
            *value = Value::String(FILTERED.to_owned());
        } else {
            scrub_value(value);
        }
    }
}

fn scrub_value(value: &mut Value) {
    match value {
        Value::String(s) => scrub_string(s),
        Value::Array(items) => items.iter_mut().for_each(scrub_value),
        Value::Object(map) => scrub_map(map),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Replaces credit-card-like numbers (13 to 19 digits passing the Luhn check) in `s`.
fn scrub_string(s: &mut String) {
    if s.bytes().filter(u8::is_ascii_digit).count() < 13 {
        return;
    }
    let replaced = CREDIT_CARD.replace_all(s, |caps: &regex::Captures<'_>| {
        let digits: Vec<u32> = caps[0].chars().filter_map(|c| c.to_digit(10)).collect();
        if luhn(&digits) {
            FILTERED.to_owned()
        } else {
            caps[0].to_owned()
        }
    });
    if let std::borrow::Cow::Owned(new) = replaced {
        *s = new;
    }
}

fn luhn(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use errata_protocol::{NormalizeContext, normalize_value};
    use serde_json::json;

    #[test]
    fn sensitive_keys_headers_and_cards_are_filtered() {
        let mut event = normalize_value(
            json!({
                "request": {
                    "headers": {"Authorization": "Bearer abc", "Cookie": "sid=1", "Accept": "*/*"},
                    "cookies": {"sessionid": "s3cr3t", "theme": "dark"},
                    "query_string": "api_key=k&page=2",
                    "data": {"user": {"password": "hunter2", "name": "ana"}, "card": "4111 1111 1111 1111"}
                },
                "extra": {"db_passwd": "x", "nested": {"my_token": 5, "ok": "4111111111111112"}},
                "exception": [{"type": "E", "value": "charge 4111-1111-1111-1111 failed",
                    "stacktrace": {"frames": [{"function": "f", "vars": {"secret": "s", "n": 1}}]}}],
                "breadcrumbs": [{"message": "paid with 5500005555555559"}]
            }),
            &NormalizeContext::new(1.8e9),
        )
        .unwrap();
        scrub_event(&mut event);
        let text = serde_json::to_string(&event).unwrap();
        for leaked in [
            "Bearer abc",
            "sid=1",
            "s3cr3t",
            "hunter2",
            "4111 1111",
            "4111-1111",
            "5500005555555559",
            "\"k\"",
        ] {
            assert!(!text.contains(leaked), "{leaked} leaked: {text}");
        }
        for kept in ["*/*", "dark", "ana", "4111111111111112", "\"2\""] {
            assert!(text.contains(kept), "{kept} was scrubbed: {text}");
        }
        let request = event.request.unwrap();
        assert_eq!(request.header("Authorization"), Some(FILTERED));
        let frame = &event.exception.values[0]
            .stacktrace
            .as_ref()
            .unwrap()
            .frames[0];
        assert_eq!(frame.vars.as_ref().unwrap()["secret"], FILTERED);
        assert_eq!(frame.vars.as_ref().unwrap()["n"], 1);
    }
}
