//! Hostile events for benchmarks and tests: each within the 1 MiB event limit and built
//! to be slow for a naive server (70,000 distinct tags, 70,000 keys in `extra`, one value
//! nested 10,000 levels deep, 50,000 breadcrumbs), each an exception event so grouping
//! has a chain to hash. The server must cut them, store them, and spend about as much
//! per byte on them as on a real SDK event.

use std::fmt::Write as _;

/// The largest event item accepted (Relay's and Errata's default `max_event_size`).
pub const MAX_EVENT_BYTES: usize = 1024 * 1024;

/// Every case, named: `tags_70k`, `deep_extra_10k`, `breadcrumbs_50k`, `extra_keys_70k`.
///
/// # Panics
/// When a case outgrows [`MAX_EVENT_BYTES`] (a bug in this module).
pub fn all() -> Vec<(&'static str, Vec<u8>)> {
    let cases = vec![
        ("tags_70k", many_tags()),
        ("deep_extra_10k", deep_extra()),
        ("breadcrumbs_50k", many_breadcrumbs()),
        ("extra_keys_70k", many_extra_keys()),
    ];
    for (name, payload) in &cases {
        assert!(
            payload.len() <= MAX_EVENT_BYTES,
            "{name}: {}",
            payload.len()
        );
    }
    cases
}

/// An exception event (so grouping has a chain to hash) with `body` spliced in.
fn event_with(body: &str) -> Vec<u8> {
    format!(
        "{{\"platform\":\"python\",\"level\":\"error\",\"exception\":{{\"values\":[{{\
         \"type\":\"ValueError\",\"value\":\"bad\",\"stacktrace\":{{\"frames\":[{{\
         \"function\":\"main\",\"module\":\"app\",\"filename\":\"app.py\",\"lineno\":3}}]}}}}]}},{body}}}"
    )
    .into_bytes()
}

/// 70,000 distinct tags: `"tags": {"0": "v", "1": "v", ...}`.
pub fn many_tags() -> Vec<u8> {
    let mut body = String::from("\"tags\":{");
    for i in 0..70_000 {
        let _ = write!(body, "\"{i}\":\"v\",");
    }
    body.pop();
    body.push('}');
    event_with(&body)
}

/// 70,000 distinct keys in `extra` (a map no parser-level skim covers).
pub fn many_extra_keys() -> Vec<u8> {
    let mut body = String::from("\"extra\":{");
    for i in 0..70_000 {
        let _ = write!(body, "\"{i}\":1,");
    }
    body.pop();
    body.push('}');
    event_with(&body)
}

/// One value of `extra` nested 10,000 arrays deep.
pub fn deep_extra() -> Vec<u8> {
    let levels = 10_000;
    let body = format!(
        "\"extra\":{{\"deep\":{}{}}}",
        "[".repeat(levels),
        "]".repeat(levels)
    );
    event_with(&body)
}

/// 50,000 breadcrumbs with a message each.
pub fn many_breadcrumbs() -> Vec<u8> {
    let mut body = String::from("\"breadcrumbs\":[");
    for _ in 0..50_000 {
        body.push_str("{\"message\":\"m\"},");
    }
    body.pop();
    body.push(']');
    event_with(&body)
}
