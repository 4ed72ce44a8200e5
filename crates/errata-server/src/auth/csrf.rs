//! Cross-site request forgery defences for cookie-authenticated requests. A
//! state-changing request (POST, PUT, PATCH, DELETE) made with the session cookie must
//!
//! - carry the session's CSRF token (form field `csrf`, or header `X-CSRF-Token` for the
//!   API), compared in constant time, and
//! - pass the Origin check: its `Origin` header, else its `Referer`, must be the public
//!   URL's origin or name the request's `Host`; a request with neither is refused.
//!
//! Requests authenticated by a bearer token are exempt: a browser never attaches one by
//! itself. The login form has no session yet: it is protected by the Origin check and a
//! double-submit token, a random value both in the `errata_csrf` cookie and in the form
//! ([`login_csrf`] on GET, [`CsrfSubject::Login`] on POST), so a forged login (logging
//! the victim into the attacker's account) is refused too.

use axum::http::{HeaderMap, HeaderValue, Method, header};

use super::session::{cookie, secure_cookies, set_cookie};
use super::viewer::{AuthError, Viewer};
use crate::state::AppState;

/// The form field holding the CSRF token.
pub const CSRF_FIELD: &str = "csrf";
/// The header holding the CSRF token (API calls from the UI's scripts).
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The login form's double-submit cookie.
pub const LOGIN_CSRF_COOKIE: &str = "errata_csrf";

/// The login CSRF cookie lives a day (a login page left open that long gets a new one).
const LOGIN_CSRF_MAX_AGE_SECS: u64 = 24 * 60 * 60;

/// Whose token a form must carry.
#[derive(Debug, Clone, Copy)]
pub enum CsrfSubject<'a> {
    /// A logged-in viewer: its session's token (token-authenticated viewers are exempt).
    Viewer(&'a Viewer),
    /// The login form: the `errata_csrf` cookie's value.
    Login,
}

/// True for the methods that change state.
pub fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Checks a state-changing request's CSRF token (`form_token`: the form's `csrf` field or
/// the `X-CSRF-Token` header) and its Origin. Call it in every form handler before acting.
pub fn verify_form(
    state: &AppState,
    subject: CsrfSubject<'_>,
    headers: &HeaderMap,
    form_token: &str,
) -> Result<(), AuthError> {
    let expected = match subject {
        CsrfSubject::Viewer(viewer) => match viewer.csrf_token() {
            Some(token) => token,
            // A bearer token: no ambient credential to abuse.
            None => return Ok(()),
        },
        CsrfSubject::Login => cookie(headers, LOGIN_CSRF_COOKIE).ok_or_else(|| {
            AuthError::Csrf("the login form's cookie is missing; reload the page".into())
        })?,
    };
    check_origin(&state.public_url, headers)?;
    if form_token.is_empty() {
        return Err(AuthError::Csrf("the request carries no CSRF token".into()));
    }
    if !constant_time_eq(expected.as_bytes(), form_token.as_bytes()) {
        return Err(AuthError::Csrf(
            "the CSRF token does not match this session; reload the page".into(),
        ));
    }
    Ok(())
}

/// The login form's CSRF token and, when the browser has none yet, the `Set-Cookie`
/// value to send with the form.
#[derive(Debug, Clone)]
pub struct LoginCsrf {
    /// The value of the form's hidden `csrf` field.
    pub token: String,
    /// `Set-Cookie` for `errata_csrf` (None: the browser's cookie is reused).
    pub set_cookie: Option<HeaderValue>,
}

/// For `GET /login`: reuses the browser's `errata_csrf` cookie or makes a new one.
pub fn login_csrf(state: &AppState, headers: &HeaderMap) -> LoginCsrf {
    if let Some(token) = cookie(headers, LOGIN_CSRF_COOKIE)
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return LoginCsrf {
            token: token.to_owned(),
            set_cookie: None,
        };
    }
    let token = errata_store::generate_secret();
    let set_cookie = set_cookie(
        LOGIN_CSRF_COOKIE,
        &token,
        LOGIN_CSRF_MAX_AGE_SECS,
        secure_cookies(state),
    );
    LoginCsrf {
        token,
        set_cookie: Some(set_cookie),
    }
}

/// Equality whose time depends on the lengths only, not on where the bytes differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `scheme://host[:port]` of a URL, lowercased, default ports dropped.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    let authority = authority
        .rsplit_once('@')
        .map_or(authority.as_str(), |a| a.1);
    if authority.is_empty() {
        return None;
    }
    let authority = match (scheme.as_str(), authority.rsplit_once(':')) {
        ("http", Some((host, "80"))) | ("https", Some((host, "443"))) => host,
        _ => authority,
    };
    Some(format!("{scheme}://{authority}"))
}

/// The Origin check: `Origin` (else `Referer`) must be the public URL's origin or have
/// the request's `Host` as its host.
pub fn check_origin(public_url: &str, headers: &HeaderMap) -> Result<(), AuthError> {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let (claimed, what) = match (text(header::ORIGIN), text(header::REFERER)) {
        (Some(origin), _) => (origin, "Origin"),
        (None, Some(referer)) => (referer, "Referer"),
        (None, None) => {
            return Err(AuthError::Csrf(
                "the request has neither an Origin nor a Referer header".into(),
            ));
        }
    };
    let Some(origin) = origin_of(claimed) else {
        return Err(AuthError::Csrf(format!("the {what} header is not a URL")));
    };
    if origin_of(public_url).is_some_and(|public| public == origin) {
        return Ok(());
    }
    let host = text(header::HOST).map(str::to_ascii_lowercase);
    let origin_host = origin.split_once("://").map(|(_, a)| a);
    let same_host = host.as_deref().is_some_and(|host| {
        origin_host == Some(host)
            || origin_of(&format!("http://{host}")).as_deref() == Some(origin.as_str())
            || origin_of(&format!("https://{host}")).as_deref() == Some(origin.as_str())
    });
    if same_host {
        return Ok(());
    }
    Err(AuthError::Csrf(format!(
        "the request comes from another site ({what} {origin})"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn origins_are_normalized() {
        assert_eq!(
            origin_of("HTTPS://Errata.Example:443/issues/?q=1").as_deref(),
            Some("https://errata.example")
        );
        assert_eq!(
            origin_of("http://localhost:8000").as_deref(),
            Some("http://localhost:8000")
        );
        assert_eq!(origin_of("null"), None);
        assert_eq!(origin_of("https://"), None);
    }

    #[test]
    fn the_origin_check_wants_our_origin_or_host() {
        let public = "https://errata.example";
        for ok in [
            headers(&[("origin", "https://errata.example")]),
            headers(&[("referer", "https://errata.example/issues/")]),
            headers(&[
                ("origin", "http://10.0.0.5:8000"),
                ("host", "10.0.0.5:8000"),
            ]),
        ] {
            assert!(check_origin(public, &ok).is_ok(), "{ok:?}");
        }
        for bad in [
            headers(&[]),
            headers(&[("host", "errata.example")]),
            headers(&[("origin", "null"), ("host", "errata.example")]),
            headers(&[
                ("origin", "https://evil.example"),
                ("host", "errata.example"),
            ]),
            headers(&[("origin", "https://errata.example.evil.example")]),
            headers(&[("referer", "https://evil.example/errata.example")]),
        ] {
            let error = check_origin(public, &bad).unwrap_err();
            assert!(
                error.to_string().starts_with("CSRF check failed: "),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
