//! The session cookie `errata_session`: its value is the session's secret (the store keeps
//! only a hash). `HttpOnly` (no script reads it), `SameSite=Lax` (not sent on cross-site
//! POSTs), `Path=/`, and `Secure` when the public URL is `https`. The browser keeps it
//! long; the store's sliding expiry decides whether it still opens a session.

use axum::http::{HeaderMap, HeaderValue, header};

use crate::state::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "errata_session";

/// How long browsers keep the cookie (400 days, their cap): the server-side expiry,
/// which slides on use, is what ends a session.
const COOKIE_MAX_AGE_SECS: u64 = 400 * 24 * 60 * 60;

/// True when cookies must be `Secure`: the configured public URL is `https`.
pub fn secure_cookies(state: &AppState) -> bool {
    state.public_url.starts_with("https")
}

/// A `Set-Cookie` value with the attributes every Errata cookie has.
pub(crate) fn set_cookie(name: &str, value: &str, max_age_secs: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text =
        format!("{name}={value}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age_secs}{secure}");
    // Names and values are ours: hex secrets and fixed names.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The `Set-Cookie` value that gives the browser a new session's secret.
pub fn session_cookie(state: &AppState, secret: &str) -> HeaderValue {
    set_cookie(
        SESSION_COOKIE,
        secret,
        COOKIE_MAX_AGE_SECS,
        secure_cookies(state),
    )
}

/// The `Set-Cookie` value that removes the session cookie (logout).
pub fn clear_session_cookie(state: &AppState) -> HeaderValue {
    set_cookie(SESSION_COOKIE, "", 0, secure_cookies(state))
}

/// The value of cookie `name` in the request's `Cookie` headers (the first one).
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim_matches('"'))
        .filter(|v| !v.is_empty())
}

/// The session secret the request carries, if any.
pub fn session_secret(headers: &HeaderMap) -> Option<&str> {
    cookie(headers, SESSION_COOKIE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; errata_theme=dark"),
        );
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("errata_session=abc; b=2"),
        );
        assert_eq!(session_secret(&headers), Some("abc"));
        assert_eq!(cookie(&headers, "errata_theme"), Some("dark"));
        assert_eq!(cookie(&headers, "missing"), None);
        headers.insert(header::COOKIE, HeaderValue::from_static("errata_session="));
        assert_eq!(session_secret(&headers), None);
    }

    #[test]
    fn cookies_are_http_only_lax_and_secure_on_request() {
        let plain = set_cookie("n", "v", 5, false);
        assert_eq!(plain, "n=v; HttpOnly; SameSite=Lax; Path=/; Max-Age=5");
        let secure = set_cookie("n", "v", 5, true);
        assert!(secure.to_str().unwrap().ends_with("; Secure"));
    }
}
