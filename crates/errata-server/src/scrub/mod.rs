//! Server-side data scrubbing, on by default, in the spirit of Sentry's default scrubber:
//! secrets are replaced with [`FILTERED`] before anything is grouped or written.
//!
//! Three rules apply to every part of the stored event that can carry user data:
//! values under sensitive keys (`keys.rs`: Sentry's list, ours, and the project's extra
//! fields, as case-insensitive substrings of the key), credentials in URLs (`url.rs`:
//! userinfo and sensitive query or fragment parameters), and value patterns anywhere in
//! strings (`value.rs`: bearer tokens, PEM private keys, card numbers); stringified JSON
//! is scrubbed by key too (`json.rs`), and so are the original values processing errors
//! keep (`errors.rs`). With [`ScrubRules::drop_ip`], client addresses go (`ip.rs`).
//!
//! What is left as sent: identifiers and names the UI and grouping rely on (event id,
//! level, platform, logger, server name, release, dist, environment, fingerprint, SDK,
//! modules), thread names, exception `type` and `module`, frame function, file name,
//! module, package, symbols, addresses and registers, the source context lines
//! (`pre_context`, `context_line`, `post_context`, which Sentry does not scrub either),
//! and the user's id, email, name and geo (personal data rather than credentials; the
//! IP address goes only with `drop_ip`).
//!
//! The walk visits each value once and regexes run only after a cheap test, so the cost
//! is linear in the size of the event. A replacement puts the 10 bytes of [`FILTERED`]
//! where a secret of at least one byte was, and every secret comes with at least its key
//! or the URL syntax around it, so an event grows by a small constant factor at most
//! (the tests pin 3×); scrubbing a scrubbed event changes nothing; a tag value that would
//! exceed the tag length limit is filtered whole.

mod errors;
mod ip;
mod json;
mod keys;
mod url;
mod value;

#[cfg(test)]
mod tests;

pub use keys::{
    CLIENT_IP_HEADERS, DEFAULT_SENSITIVE_KEYS, SENSITIVE_HEADERS, SENSITIVE_URL_PARAMS,
    is_sensitive_key,
};

use errata_protocol::breadcrumb::Breadcrumb;
use errata_protocol::exception::Exception;
use errata_protocol::request::Request;
use errata_protocol::stacktrace::Stacktrace;
use errata_protocol::{Event, LogEntry};
use serde_json::{Map, Value};

/// What a scrubbed value is replaced with.
pub const FILTERED: &str = "[Filtered]";

/// Breadcrumb data keys that hold a URL (`http` and `navigation` breadcrumbs).
const BREADCRUMB_URL_KEYS: [&str; 3] = ["url", "to", "from"];

/// What to scrub, per project: Sentry's defaults plus extra sensitive field names, and
/// whether client IP addresses are dropped. The default is Sentry's defaults alone,
/// keeping IP addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScrubRules {
    /// Extra substrings of sensitive keys, lowercase, non-empty, without duplicates.
    extra_sensitive_fields: Vec<String>,
    /// Remove the client's IP address from the user and the request.
    drop_ip: bool,
}

impl ScrubRules {
    /// Sentry's defaults plus `extra_sensitive_fields` (Sentry's "Additional Sensitive
    /// Fields": matched like the defaults, as case-insensitive substrings of keys; blank
    /// names are ignored), dropping client IPs if `drop_ip` (Sentry's "Prevent Storing of
    /// IP Addresses").
    pub fn new(extra_sensitive_fields: &[String], drop_ip: bool) -> Self {
        let mut extra: Vec<String> = Vec::with_capacity(extra_sensitive_fields.len());
        for field in extra_sensitive_fields {
            let field = field.trim().to_lowercase();
            if !field.is_empty() && !extra.contains(&field) {
                extra.push(field);
            }
        }
        Self {
            extra_sensitive_fields: extra,
            drop_ip,
        }
    }

    /// The extra sensitive field names, lowercase.
    pub fn extra_sensitive_fields(&self) -> &[String] {
        &self.extra_sensitive_fields
    }

    /// Whether client IP addresses are dropped.
    pub fn drop_ip(&self) -> bool {
        self.drop_ip
    }

    /// Whether values under `key` are filtered: the defaults or an extra field.
    pub fn is_sensitive(&self, key: &str) -> bool {
        is_sensitive_key(key)
            || self
                .extra_sensitive_fields
                .iter()
                .any(|field| keys::contains_ignore_ascii_case(key, field))
    }
}

/// Scrubs `event` in place according to `rules`.
pub fn scrub_event(event: &mut Event, rules: &ScrubRules) {
    let s = Scrubber { rules };
    for text in [&mut event.transaction, &mut event.culprit]
        .into_iter()
        .flatten()
    {
        s.string(text);
    }
    if let Some(entry) = &mut event.logentry {
        s.logentry(entry);
    }
    for exception in &mut event.exception.values {
        s.exception(exception);
    }
    for thread in &mut event.threads.values {
        if let Some(stack) = &mut thread.stacktrace {
            s.stack(stack);
        }
    }
    if let Some(stack) = &mut event.stacktrace {
        s.stack(stack);
    }
    for crumb in &mut event.breadcrumbs.values {
        s.breadcrumb(crumb);
    }
    for (key, value) in &mut event.tags {
        s.tag(key, value);
    }
    s.map(&mut event.extra);
    s.map(&mut event.contexts);
    if let Some(user) = &mut event.user {
        s.map(&mut user.data);
    }
    if let Some(request) = &mut event.request {
        s.request(request);
    }
    s.map(&mut event.other);
    errors::scrub_errors(&mut event.errors, &s);
    if rules.drop_ip {
        ip::drop_client_ips(event);
    }
}

/// The walk over an event, with the rules it applies.
#[derive(Debug)]
struct Scrubber<'a> {
    rules: &'a ScrubRules,
}

/// Replaces a value under a sensitive key. `null`, booleans and empty strings carry no
/// secret and are kept (so `"authenticated": true` stays readable).
fn filter(value: &mut Value) {
    match value {
        Value::Null | Value::Bool(_) => {}
        Value::String(s) if s.is_empty() || s == FILTERED => {}
        _ => *value = Value::String(FILTERED.to_owned()),
    }
}

/// [`filter`] for a string field.
fn filter_string(value: &mut String) {
    if !value.is_empty() && value != FILTERED {
        FILTERED.clone_into(value);
    }
}

impl Scrubber<'_> {
    /// Free-form data: maps by key, then every string by pattern.
    fn value(&self, value: &mut Value) {
        match value {
            Value::String(s) => self.string(s),
            Value::Array(items) => items.iter_mut().for_each(|item| self.value(item)),
            Value::Object(map) => self.map(map),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    fn map(&self, map: &mut Map<String, Value>) {
        for (key, value) in map.iter_mut() {
            if self.rules.is_sensitive(key) {
                filter(value);
            } else {
                self.value(value);
            }
        }
    }

    /// Pair lists (cookies, query strings): by name, then by pattern.
    fn pairs(&self, pairs: &mut [(String, String)], is_sensitive: impl Fn(&str) -> bool) {
        for (name, value) in pairs {
            if is_sensitive(name) {
                filter_string(value);
            } else {
                self.string(value);
            }
        }
    }

    /// Free text: PEM keys, bearer tokens and cards, URLs, stringified JSON.
    fn string(&self, s: &mut String) {
        value::scrub_patterns(s);
        url::scrub_urls_in_text(s, self.rules);
        json::scrub_quoted_pairs(s, self.rules);
    }

    /// A field that holds one URL, possibly relative.
    fn url(&self, s: &mut String) {
        url::scrub_url_field(s, self.rules);
        self.string(s);
    }

    fn logentry(&self, entry: &mut LogEntry) {
        for text in [&mut entry.message, &mut entry.formatted]
            .into_iter()
            .flatten()
        {
            self.string(text);
        }
        entry.params.iter_mut().for_each(|param| self.value(param));
    }

    fn exception(&self, exception: &mut Exception) {
        if let Some(value) = &mut exception.value {
            self.string(value);
        }
        if let Some(mechanism) = &mut exception.mechanism {
            if let Some(description) = &mut mechanism.description {
                self.string(description);
            }
            if let Some(link) = &mut mechanism.help_link {
                self.url(link);
            }
            self.map(&mut mechanism.data);
            if let Some(meta) = &mut mechanism.meta {
                self.value(meta);
            }
        }
        for stack in [&mut exception.stacktrace, &mut exception.raw_stacktrace]
            .into_iter()
            .flatten()
        {
            self.stack(stack);
        }
    }

    /// Frame variables and data by key; an `abs_path` that is a URL loses its
    /// credentials. Function, file name and source context stay as sent.
    fn stack(&self, stack: &mut Stacktrace) {
        for frame in &mut stack.frames {
            if let Some(vars) = &mut frame.vars {
                self.map(vars);
            }
            if let Some(data) = &mut frame.data {
                self.map(data);
            }
            if let Some(path) = &mut frame.abs_path {
                url::scrub_url_field(path, self.rules);
            }
        }
    }

    fn breadcrumb(&self, crumb: &mut Breadcrumb) {
        if let Some(message) = &mut crumb.message {
            self.string(message);
        }
        for (key, value) in &mut crumb.data {
            if self.rules.is_sensitive(key) {
                filter(value);
            } else if let Value::String(text) = value
                && BREADCRUMB_URL_KEYS.contains(&key.as_str())
            {
                self.url(text);
            } else {
                self.value(value);
            }
        }
    }

    /// A tag value under a sensitive key is filtered; others by pattern, filtered whole
    /// if scrubbing made them longer than a tag may be.
    fn tag(&self, key: &str, value: &mut String) {
        if self.rules.is_sensitive(key) {
            filter_string(value);
            return;
        }
        self.string(value);
        if value.len() > errata_protocol::tags::MAX_VALUE {
            FILTERED.clone_into(value);
        }
    }

    fn request(&self, request: &mut Request) {
        if let Some(url) = &mut request.url {
            self.url(url);
        }
        self.pairs(&mut request.query_string, |name| {
            url::is_sensitive_param(name, self.rules)
        });
        if let Some(fragment) = &mut request.fragment {
            url::scrub_query_text(fragment, self.rules);
            self.string(fragment);
        }
        self.pairs(&mut request.cookies, |name| self.rules.is_sensitive(name));
        self.pairs(&mut request.headers, |name| {
            keys::is_sensitive_header(name) || self.rules.is_sensitive(name)
        });
        if let Some(data) = &mut request.data {
            if let Value::String(body) = data
                && !body.contains(char::is_whitespace)
            {
                url::scrub_query_text(body, self.rules);
            }
            self.value(data);
        }
        self.map(&mut request.env);
    }
}
