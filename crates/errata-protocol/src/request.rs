//! The HTTP request an event happened in: URL, method, headers, cookies, query and body,
//! each read from every shape SDKs send and written out as Sentry's canonical pair lists.
//! Each list keeps its first entries up to a limit ([`MAX_HEADERS`]...), the rest are
//! dropped unread and counted.

use crate::databag::{self, CONTEXT, REQUEST_DATA};
use crate::meta::{ErrorKind, Meta, Path};
use crate::value::{bounded_object, object, pairs, string, take};
use percent_encoding::percent_decode_str;
use serde::Serialize;
use serde_json::{Map, Value};

/// Most headers kept (the first sent; in key order when sent as an object).
pub const MAX_HEADERS: usize = 100;
/// Most cookies kept (the first).
pub const MAX_COOKIES: usize = 100;
/// Most query parameters kept (the first).
pub const MAX_QUERY_PARAMS: usize = 100;
/// Most CGI environment variables kept (the first in key order), trimmed together
/// within the context budget.
pub const MAX_ENV: usize = 100;

/// The request interface of an event.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Request {
    /// The URL without its query string and fragment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The HTTP method, upper case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The request body (any JSON, trimmed to 8 KiB).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    /// Query parameters in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub query_string: Vec<(String, String)>,
    /// The URL fragment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fragment: Option<String>,
    /// Cookies in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cookies: Vec<(String, String)>,
    /// Headers with canonical names (`Content-Type`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    /// CGI-style environment (`REMOTE_ADDR`...).
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub env: Map<String, Value>,
    /// The body's content type, from the `Content-Type` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inferred_content_type: Option<String>,
}

impl Request {
    pub(crate) fn read(value: Value, path: &Path<'_>, meta: &mut Meta) -> Option<Self> {
        let mut map = object(value, path, meta)?;
        let mut request = Request {
            method: string(take(&mut map, "method"), &path.key("method"), meta)
                .map(|m| m.to_ascii_uppercase()),
            fragment: string(take(&mut map, "fragment"), &path.key("fragment"), meta),
            env: read_env(take(&mut map, "env"), &path.key("env"), meta),
            ..Request::default()
        };
        let headers_path = path.key("headers");
        let header_input = take(&mut map, "headers");
        let sort = header_input.is_object();
        request.headers = pairs(header_input, MAX_HEADERS, &headers_path, meta)
            .into_iter()
            .map(|(name, value)| (canonical_header_name(&name), value))
            .collect();
        if sort {
            request.headers.sort_by(|a, b| a.0.cmp(&b.0));
        }
        let query_path = path.key("query_string");
        request.query_string = match take(&mut map, "query_string") {
            Value::String(s) => form_pairs(s.strip_prefix('?').unwrap_or(&s), &query_path, meta),
            other => pairs(other, MAX_QUERY_PARAMS, &query_path, meta),
        };
        let cookies_path = path.key("cookies");
        request.cookies = match take(&mut map, "cookies") {
            Value::String(s) => cookie_pairs(&s, &cookies_path, meta),
            other => pairs(other, MAX_COOKIES, &cookies_path, meta),
        };
        if let Some(url) = string(take(&mut map, "url"), &path.key("url"), meta) {
            request.set_url(url, &query_path, meta);
        }
        request.inferred_content_type = request.header("Content-Type").map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or(ct)
                .trim()
                .to_ascii_lowercase()
        });
        let data_path = path.key("data");
        request.data = match take(&mut map, "data") {
            Value::Null => None,
            Value::String(s) if request.is_json() => {
                Some(serde_json::from_str(&s).unwrap_or(Value::String(s)))
            }
            Value::String(s) if request.is_form() => Some(Value::Object(
                form_pairs(&s, &data_path, meta)
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect(),
            )),
            other => Some(other),
        };
        if let Some(data) = &mut request.data {
            databag::trim(data, REQUEST_DATA, &data_path, meta);
        }
        Some(request)
    }

    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn is_json(&self) -> bool {
        self.inferred_content_type
            .as_deref()
            .is_some_and(|ct| ct.ends_with("json"))
    }

    fn is_form(&self) -> bool {
        self.inferred_content_type.as_deref() == Some("application/x-www-form-urlencoded")
    }

    /// Moves a query string and fragment found in the URL into their own fields (unless
    /// those were given separately).
    fn set_url(&mut self, mut url: String, query_path: &Path<'_>, meta: &mut Meta) {
        if let Some(hash) = url.find('#') {
            let fragment = url[hash + 1..].to_owned();
            url.truncate(hash);
            if self.fragment.is_none() && !fragment.is_empty() {
                self.fragment = Some(fragment);
            }
        }
        if let Some(question) = url.find('?') {
            let query = url[question + 1..].to_owned();
            url.truncate(question);
            if self.query_string.is_empty() {
                self.query_string = form_pairs(&query, query_path, meta);
            }
        }
        self.url = Some(url);
    }
}

/// `content-type` -> `Content-Type`, `x-sentry-auth` -> `X-Sentry-Auth`.
pub fn canonical_header_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.trim().chars() {
        if upper {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        upper = c == '-';
    }
    out
}

/// CGI variables: an object of at most [`MAX_ENV`] keys, trimmed as a context is.
fn read_env(value: Value, path: &Path<'_>, meta: &mut Meta) -> Map<String, Value> {
    let env = bounded_object(value, MAX_ENV, path, meta).unwrap_or_default();
    databag::trim_map(env, CONTEXT, path, meta)
}

/// Keeps the first `max` of `parts`, recording how many were dropped.
fn first_parts<'s>(
    parts: impl Iterator<Item = &'s str>,
    max: usize,
    path: &Path<'_>,
    meta: &mut Meta,
) -> Vec<&'s str> {
    let mut kept = Vec::new();
    let mut dropped = 0usize;
    for part in parts {
        if kept.len() < max {
            kept.push(part);
        } else {
            dropped += 1;
        }
    }
    if dropped > 0 {
        meta.push(
            ErrorKind::Trimmed,
            path,
            format!(
                "{dropped} of {} entries were dropped unread (over the limit of {max}): kept \
                 the first {max}",
                dropped + max
            ),
        );
    }
    kept
}

/// Splits `a=1&b=two` into decoded pairs (`+` is a space), the first
/// [`MAX_QUERY_PARAMS`].
fn form_pairs(query: &str, path: &Path<'_>, meta: &mut Meta) -> Vec<(String, String)> {
    let parts = query.split('&').filter(|part| !part.is_empty());
    first_parts(parts, MAX_QUERY_PARAMS, path, meta)
        .into_iter()
        .map(|part| {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

fn form_decode(s: &str) -> String {
    let spaced = s.replace('+', " ");
    percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

/// Splits a `Cookie` header value `a=b; c=d` into decoded pairs, the first
/// [`MAX_COOKIES`].
fn cookie_pairs(cookies: &str, path: &Path<'_>, meta: &mut Meta) -> Vec<(String, String)> {
    let parts = cookies
        .split(';')
        .map(str::trim)
        .filter(|part| !part.is_empty());
    first_parts(parts, MAX_COOKIES, path, meta)
        .into_iter()
        .map(|part| {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            (
                percent_decode_str(k.trim())
                    .decode_utf8_lossy()
                    .into_owned(),
                percent_decode_str(v.trim())
                    .decode_utf8_lossy()
                    .into_owned(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: Value) -> Request {
        Request::read(v, &Path::Root, &mut Meta::default()).unwrap()
    }

    #[test]
    fn header_names_are_canonical_and_objects_sorted() {
        let r = read(json!({"headers": {"x-b": "1", "content-type": "application/json"}}));
        assert_eq!(
            r.headers,
            vec![
                ("Content-Type".to_owned(), "application/json".to_owned()),
                ("X-B".to_owned(), "1".to_owned())
            ]
        );
        assert_eq!(r.inferred_content_type.as_deref(), Some("application/json"));
        let r = read(json!({"headers": [["x-b", "1"], ["accept", "*/*"]]}));
        assert_eq!(r.headers[0].0, "X-B");
    }

    #[test]
    fn query_and_cookies_in_every_shape() {
        let r = read(json!({"url": "http://x/p?a=1&b=two+words#frag", "cookies": "s=abc; t=%20x"}));
        assert_eq!(r.url.as_deref(), Some("http://x/p"));
        assert_eq!(r.fragment.as_deref(), Some("frag"));
        assert_eq!(
            r.query_string,
            vec![("a".into(), "1".into()), ("b".into(), "two words".into())]
        );
        assert_eq!(
            r.cookies,
            vec![("s".into(), "abc".into()), ("t".into(), " x".into())]
        );
        let r = read(json!({"query_string": "?x=1", "cookies": {"a": "b"}, "method": "post"}));
        assert_eq!(r.query_string, vec![("x".into(), "1".into())]);
        assert_eq!(r.cookies, vec![("a".into(), "b".into())]);
        assert_eq!(r.method.as_deref(), Some("POST"));
        let r = read(json!({"query_string": [["x", "1"]]}));
        assert_eq!(r.query_string, vec![("x".into(), "1".into())]);
    }

    #[test]
    fn json_bodies_given_as_text_are_parsed() {
        let r = read(
            json!({"headers": {"Content-Type": "application/json; charset=utf-8"},
                            "data": "{\"a\": 1}"}),
        );
        assert_eq!(r.data, Some(json!({"a": 1})));
        let r = read(
            json!({"headers": {"Content-Type": "application/x-www-form-urlencoded"},
                            "data": "a=1&b=2"}),
        );
        assert_eq!(r.data, Some(json!({"a": "1", "b": "2"})));
    }
}
