//! Credentials in URLs: the userinfo of `scheme://user:pass@host` and the values of
//! sensitive query and fragment parameters (`?access_token=...`, `#id_token=...`).
//!
//! A parameter is sensitive when its name matches the sensitive keys (the rules' list:
//! `token`, `secret`, `password`, `auth`, `api_key`...) or is one of
//! [`super::keys::SENSITIVE_URL_PARAMS`] (`key`, `sig`, `signature`...). A userinfo
//! with a password becomes `[Filtered]` whole, and so does a user name alone unless it is
//! a plain word (it can be a token, as in `https://<token>@github.com`; `git` in
//! `ssh://git@github.com` is kept). Fields that hold a URL are scrubbed as one URL, which may
//! be relative (`/login?token=...`); in free text, every token that contains `scheme://`
//! or starts with `/` and has a query is scrubbed as a URL.

use super::FILTERED;
use super::ScrubRules;
use super::keys::is_sensitive_url_param;
use std::ops::Range;

/// What separates a URL from the text around it.
fn ends_url(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '"' | '\'' | '<' | '>' | '`' | '(' | ')' | '|' | '\\' | '^' | ','
        )
}

/// Characters of a URL scheme (`https`, `postgres+psycopg`, `git+ssh`).
fn in_scheme(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')
}

/// Scrubs `s` as one URL, absolute or relative, in place.
pub(super) fn scrub_url_field(s: &mut String, rules: &ScrubRules) {
    let mut edits = Vec::new();
    url_edits(s, 0, rules, &mut edits);
    apply(s, &edits);
}

/// Scrubs every URL found in free text `s`, in place.
pub(super) fn scrub_urls_in_text(s: &mut String, rules: &ScrubRules) {
    let has_scheme = s.contains("://");
    if !has_scheme && !s.contains('?') {
        return;
    }
    let mut edits = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices().chain(std::iter::once((s.len(), ' '))) {
        if !ends_url(c) {
            start.get_or_insert(i);
            continue;
        }
        let Some(token_start) = start.take() else {
            continue;
        };
        let token = &s[token_start..i];
        let url_start = match token.find("://") {
            Some(p) if has_scheme => scheme_start(token, p),
            _ if token.starts_with('/') && token.contains('?') => Some(0),
            _ => None,
        };
        if let Some(offset) = url_start {
            url_edits(&token[offset..], token_start + offset, rules, &mut edits);
        }
    }
    apply(s, &edits);
}

/// Scrubs `name=value` pairs separated by `&` or `;` (a query string, a fragment, a
/// form-encoded body), in place.
pub(super) fn scrub_query_text(s: &mut String, rules: &ScrubRules) {
    let mut edits = Vec::new();
    pair_edits(s, 0, rules, &mut edits);
    apply(s, &edits);
}

/// Whether the value of query parameter `name` is filtered.
pub(super) fn is_sensitive_param(name: &str, rules: &ScrubRules) -> bool {
    rules.is_sensitive(name) || is_sensitive_url_param(name)
}

/// Whether a URL's userinfo is a credential: any `user:password`, or a user name that is
/// not a plain word (a token has digits or punctuation: `ghp_1a2b`, `x-access-token`);
/// `git` in `ssh://git@host` and `key` in a placeholder DSN are kept.
fn is_credential(userinfo: &str) -> bool {
    !userinfo.is_empty()
        && userinfo != FILTERED
        && (userinfo.contains(':') || !userinfo.bytes().all(|b| b.is_ascii_alphabetic()))
}

/// Where the scheme before `://` at `sep` starts, if there is one (a letter first).
fn scheme_start(token: &str, sep: usize) -> Option<usize> {
    let bytes = token.as_bytes();
    let mut start = sep;
    while start > 0 && in_scheme(bytes[start - 1]) {
        start -= 1;
    }
    while start < sep && !bytes[start].is_ascii_alphabetic() {
        start += 1;
    }
    (start < sep).then_some(start)
}

/// Collects the ranges of `url` (at `base` in the whole string) to filter.
fn url_edits(url: &str, base: usize, rules: &ScrubRules, edits: &mut Vec<Range<usize>>) {
    let mut rest_start = 0;
    if let Some(sep) = url.find("://") {
        let authority_start = sep + 3;
        let authority_end = url[authority_start..]
            .find(['/', '?', '#'])
            .map_or(url.len(), |e| authority_start + e);
        let authority = &url[authority_start..authority_end];
        if let Some(at) = authority.rfind('@')
            && is_credential(&authority[..at])
        {
            edits.push(base + authority_start..base + authority_start + at);
        }
        rest_start = authority_end;
    }
    let rest = &url[rest_start..];
    let fragment = rest.find('#').map(|f| rest_start + f);
    if let Some(q) = rest.find('?').map(|q| rest_start + q)
        && fragment.is_none_or(|f| q < f)
    {
        let end = fragment.unwrap_or(url.len());
        pair_edits(&url[q + 1..end], base + q + 1, rules, edits);
    }
    if let Some(f) = fragment {
        pair_edits(&url[f + 1..], base + f + 1, rules, edits);
    }
}

/// Collects the value ranges of the sensitive pairs of `text` (at `base`).
fn pair_edits(text: &str, base: usize, rules: &ScrubRules, edits: &mut Vec<Range<usize>>) {
    let mut offset = 0;
    for part in text.split(['&', ';']) {
        if let Some((name, value)) = part.split_once('=')
            && !value.is_empty()
            && value != FILTERED
            && is_sensitive_param(name.trim(), rules)
        {
            let start = base + offset + name.len() + 1;
            edits.push(start..start + value.len());
        }
        offset += part.len() + 1;
    }
}

/// Replaces each range (in order, not overlapping) of `s` with [`FILTERED`].
fn apply(s: &mut String, edits: &[Range<usize>]) {
    if edits.is_empty() {
        return;
    }
    let mut out = String::with_capacity(s.len() + edits.len() * FILTERED.len());
    let mut last = 0;
    for range in edits {
        out.push_str(&s[last..range.start]);
        out.push_str(FILTERED);
        last = range.end;
    }
    out.push_str(&s[last..]);
    *s = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(s: &str) -> String {
        let mut s = s.to_owned();
        scrub_url_field(&mut s, &ScrubRules::default());
        s
    }

    fn text(s: &str) -> String {
        let mut s = s.to_owned();
        scrub_urls_in_text(&mut s, &ScrubRules::default());
        s
    }

    fn query(s: &str) -> String {
        let mut s = s.to_owned();
        scrub_query_text(&mut s, &ScrubRules::default());
        s
    }

    #[test]
    fn userinfo_is_filtered() {
        assert_eq!(
            field("https://user:pass@example.com/p"),
            "https://[Filtered]@example.com/p"
        );
        assert_eq!(
            field("https://ghp_abc@github.com"),
            "https://[Filtered]@github.com"
        );
        assert_eq!(
            field("postgres://app:hunter2@db:5432/shop"),
            "postgres://[Filtered]@db:5432/shop"
        );
        // The last `@` ends the userinfo (a password may contain `@`).
        assert_eq!(field("https://u:p@ss@h/x"), "https://[Filtered]@h/x");
        assert_eq!(field("https://x-access-token@h/"), "https://[Filtered]@h/");
        // A plain user name is not a credential.
        assert_eq!(
            field("ssh://git@github.com/o/r"),
            "ssh://git@github.com/o/r"
        );
        assert_eq!(
            field("http://key@127.0.0.1:9000/1"),
            "http://key@127.0.0.1:9000/1"
        );
        // An `@` in the path is not userinfo.
        assert_eq!(
            field("https://example.com/@user"),
            "https://example.com/@user"
        );
    }

    #[test]
    fn sensitive_query_and_fragment_parameters_are_filtered() {
        assert_eq!(
            field("https://api.example.com/v1?access_token=abc&page=2&api_key=k#frag"),
            "https://api.example.com/v1?access_token=[Filtered]&page=2&api_key=[Filtered]#frag"
        );
        assert_eq!(
            field("/maps?key=AIza123&sig=xyz&q=paris"),
            "/maps?key=[Filtered]&sig=[Filtered]&q=paris"
        );
        assert_eq!(
            field("https://app/cb#access_token=t0k&state=s"),
            "https://app/cb#access_token=[Filtered]&state=s"
        );
        assert_eq!(
            field("https://s3/obj?X-Amz-Credential=AK&X-Amz-Signature=ab12&X-Amz-Date=1"),
            "https://s3/obj?X-Amz-Credential=[Filtered]&X-Amz-Signature=[Filtered]&X-Amz-Date=1"
        );
    }

    #[test]
    fn ordinary_urls_are_kept() {
        for s in [
            "https://example.com/search?q=token+rings&page=2",
            "https://example.com/keys?monkey=1&keyboard=us",
            "/checkout?step=2#summary",
            "https://example.com/p?token=",
            "mailto:someone@example.com",
        ] {
            assert_eq!(field(s), s);
        }
    }

    #[test]
    fn urls_in_free_text_are_found() {
        assert_eq!(
            text("GET https://u:p@api.example.com/x?token=abc [200]"),
            "GET https://[Filtered]@api.example.com/x?token=[Filtered] [200]"
        );
        assert_eq!(
            text("fetch(\"/api/orders?password=p1&id=3\") failed"),
            "fetch(\"/api/orders?password=[Filtered]&id=3\") failed"
        );
        assert_eq!(
            text("could not connect to url=redis://:s3cret@cache:6379/0"),
            "could not connect to url=redis://[Filtered]@cache:6379/0"
        );
        for s in [
            "is this a question?",
            "ratio a/b?c=1 is not a url",
            "see ://nothing@here",
        ] {
            assert_eq!(text(s), s);
        }
    }

    #[test]
    fn query_text_pairs_are_filtered() {
        assert_eq!(
            query("user=ana&password=hunter2&remember=1"),
            "user=ana&password=[Filtered]&remember=1"
        );
        assert_eq!(query("a=1;session_id=xyz"), "a=1;session_id=[Filtered]");
        assert_eq!(query("noise"), "noise");
    }

    #[test]
    fn extra_fields_apply_to_parameters() {
        let rules = ScrubRules::new(&["Tenant".to_owned()], false);
        let mut s = "https://x/?tenant=acme&other=1".to_owned();
        scrub_url_field(&mut s, &rules);
        assert_eq!(s, "https://x/?tenant=[Filtered]&other=1");
    }

    #[test]
    fn scrubbing_is_idempotent() {
        let once = text("see https://a:b@h/p?sig=1&key=2#token=3 and /x?auth=4");
        assert_eq!(text(&once), once);
    }
}
