//! Cursor pagination as Sentry does it: `?cursor=` and `?limit=` in, a `Link` header
//! out with a `previous` and a `next` link, each with `results="true|false"` and its
//! `cursor` (what sentry-cli follows: the `next` link while its `results` is `true`).
//!
//! Cursors are the store's opaque keyset positions. They only go forward, so the
//! `previous` link always says `results="false"`; an empty `cursor` (what sentry-cli
//! sends first) is the first page.

use std::fmt::Write as _;

use axum::http::{HeaderValue, Uri};
use errata_store::MAX_PAGE;

use super::ApiError;
use crate::state::AppState;

/// The page a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PageRequest {
    /// `None` for the first page.
    pub(super) cursor: Option<String>,
    pub(super) limit: usize,
}

impl PageRequest {
    /// Reads `cursor` and `limit` (1 to 100, default 100) from the query pairs.
    pub(super) fn from_query(pairs: &[(String, String)]) -> Result<Self, ApiError> {
        let cursor = query_value(pairs, "cursor")
            .filter(|c| !c.is_empty())
            .map(str::to_owned);
        let limit = match query_value(pairs, "limit").or_else(|| query_value(pairs, "per_page")) {
            None | Some("") => MAX_PAGE,
            Some(text) => match text.parse::<usize>() {
                Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
                _ => {
                    return Err(ApiError::BadRequest(format!(
                        "limit must be an integer from 1 to {MAX_PAGE}, not {text:?}"
                    )));
                }
            },
        };
        Ok(Self { cursor, limit })
    }
}

/// The first value of `name` in the query pairs.
pub(super) fn query_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Sentry's `Link` header for a page whose successor starts at `next` (`None` on the
/// last page). The links repeat the request's query with the cursor replaced.
pub(super) fn link_header(
    state: &AppState,
    uri: &Uri,
    pairs: &[(String, String)],
    next: Option<&str>,
) -> HeaderValue {
    let link = |cursor: &str| {
        let mut url = format!("{}{}?", state.public_url, uri.path());
        for (key, value) in pairs.iter().filter(|(k, _)| k != "cursor") {
            url.push_str(&encode(key));
            url.push('=');
            url.push_str(&encode(value));
            url.push('&');
        }
        url.push_str("cursor=");
        url.push_str(&encode(cursor));
        url
    };
    let value = format!(
        "<{}>; rel=\"previous\"; results=\"false\"; cursor=\"\", <{}>; rel=\"next\"; results=\"{}\"; cursor=\"{}\"",
        link(""),
        link(next.unwrap_or("")),
        next.is_some(),
        next.unwrap_or(""),
    );
    // Store cursors are `digits:digits`; the rest is percent-encoded: always valid.
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub(super) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn reads_cursor_and_limit() {
        let page = PageRequest::from_query(&pairs(&[("cursor", ""), ("limit", "5")])).unwrap();
        assert_eq!(
            page,
            PageRequest {
                cursor: None,
                limit: 5
            }
        );
        let page = PageRequest::from_query(&pairs(&[("cursor", "1:2")])).unwrap();
        assert_eq!(page.cursor.as_deref(), Some("1:2"));
        assert_eq!(page.limit, MAX_PAGE);
        for bad in ["0", "101", "x", "-1"] {
            assert!(
                PageRequest::from_query(&pairs(&[("limit", bad)])).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn encodes_reserved_characters() {
        assert_eq!(encode("is:unresolved a b"), "is%3Aunresolved%20a%20b");
        assert_eq!(encode("é"), "%C3%A9");
    }
}
