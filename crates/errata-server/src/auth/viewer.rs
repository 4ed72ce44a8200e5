//! Who is asking: the [`Viewer`] extractor authenticates a request by `Authorization:
//! Bearer <token>` or, without that header, by the session cookie, and carries the user
//! and the scopes the request may use: a token's scopes within its user's role, a
//! session's role. [`AuthError`] is every refusal, rendered for the API (`{"detail"}`
//! JSON) or for pages (a redirect to the login form).
//!
//! Under `/api/`, a state-changing request authenticated by a session must also pass the
//! CSRF check (the `X-CSRF-Token` header and the Origin check, see [`super::csrf`]); the
//! extractor does it. Pages check their forms' `csrf` field with
//! [`super::csrf::verify_form`].

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use errata_store::{ApiToken, SESSION_LIFETIME_MS, Scope, Scopes, Session, StoreError, User};
use serde_json::json;

use super::csrf;
use super::session::session_secret;
use crate::state::AppState;

/// How the request authenticated.
#[derive(Debug, Clone)]
pub enum Credential {
    /// The session cookie.
    Session(Session),
    /// An API token.
    Token(ApiToken),
}

/// An authenticated request's user and what it may do.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The user (with its role).
    pub user: User,
    /// The effective scopes: the token's within the role's, or the role's for a session.
    pub scopes: Scopes,
    /// The session or token used.
    pub credential: Credential,
}

impl Viewer {
    /// A viewer by session: the role's scopes.
    pub fn from_session(session: Session, user: User) -> Self {
        Self {
            scopes: Scopes::for_role(user.role),
            user,
            credential: Credential::Session(session),
        }
    }

    /// A viewer by token: the token's scopes within its user's role.
    pub fn from_token(token: ApiToken, user: User) -> Self {
        Self {
            scopes: token.scopes.intersection(Scopes::for_role(user.role)),
            user,
            credential: Credential::Token(token),
        }
    }

    /// Ok when the viewer has `scope`; else a 403 naming it.
    pub fn require(&self, scope: Scope) -> Result<(), AuthError> {
        if self.scopes.contains(scope) {
            return Ok(());
        }
        Err(AuthError::MissingScope {
            scope,
            by_token: matches!(self.credential, Credential::Token(_)),
            role_allows: Scopes::for_role(self.user.role).contains(scope),
        })
    }

    /// Ok when the viewer has one of `scopes` (Sentry accepts several for some reads);
    /// else a 403 naming the first.
    pub fn require_any(&self, scopes: &[Scope]) -> Result<(), AuthError> {
        if scopes.iter().any(|s| self.scopes.contains(*s)) {
            return Ok(());
        }
        scopes.first().map_or(Ok(()), |s| self.require(*s))
    }

    /// The session, when the request came with the cookie.
    pub fn session(&self) -> Option<&Session> {
        match &self.credential {
            Credential::Session(session) => Some(session),
            Credential::Token(_) => None,
        }
    }

    /// The CSRF token that the session's forms must carry (`None` for tokens).
    pub fn csrf_token(&self) -> Option<&str> {
        self.session().map(|s| s.csrf_token.as_str())
    }
}

/// Why a request was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No credentials, or bad ones: 401 JSON under `/api/`; for pages (`login_next` set)
    /// a 303 to `/login?next=...`.
    #[error("{detail}")]
    Unauthenticated {
        /// What was wrong, for API clients.
        detail: &'static str,
        /// For pages: where to return after logging in (path and query).
        login_next: Option<String>,
    },
    /// The viewer lacks a scope: 403.
    #[error("{}", missing_scope(*scope, *by_token, *role_allows))]
    MissingScope {
        /// The scope needed.
        scope: Scope,
        /// True when a token was used (else a session).
        by_token: bool,
        /// True when the user's role has the scope (so the token lacks it).
        role_allows: bool,
    },
    /// A state-changing request failed the CSRF check: 403. Pages may render it nicer.
    #[error("CSRF check failed: {0}")]
    Csrf(String),
    /// The store failed while authenticating: 500 or 503.
    #[error("authentication failed: {0}")]
    Store(#[from] StoreError),
}

fn missing_scope(scope: Scope, by_token: bool, role_allows: bool) -> String {
    match (by_token, role_allows) {
        (true, true) => format!("This token lacks the `{scope}` scope."),
        (true, false) => {
            format!("This token lacks the `{scope}` scope (its user's role does not grant it).")
        }
        (false, _) => format!("Your role lacks the `{scope}` scope."),
    }
}

impl AuthError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated {
                login_next: Some(_),
                ..
            } => StatusCode::SEE_OTHER,
            Self::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            Self::MissingScope { .. } | Self::Csrf(_) => StatusCode::FORBIDDEN,
            Self::Store(e) if e.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            Self::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        match self {
            Self::Unauthenticated {
                login_next: Some(next),
                ..
            } => {
                let location = format!("/login?next={}", percent_encode(&next));
                let location = HeaderValue::from_str(&location)
                    .unwrap_or_else(|_| HeaderValue::from_static("/login"));
                (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
            }
            Self::Store(error) => crate::api::ApiError::Store(error).into_response(),
            other => {
                let status = other.status();
                let mut response =
                    (status, axum::Json(json!({ "detail": other.to_string() }))).into_response();
                if status == StatusCode::UNAUTHORIZED {
                    response
                        .headers_mut()
                        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                }
                response
            }
        }
    }
}

/// `%XX` for everything but unreserved characters and `/` (a path in a query value).
fn percent_encode(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// True for requests answered with pages: outside `/api/`, unless JSON is asked for.
fn wants_page(parts: &Parts) -> bool {
    let accept = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let json_only = accept.contains("application/json") && !accept.contains("text/html");
    !parts.uri.path().starts_with("/api/") && !json_only
}

fn unauthenticated(parts: &Parts, detail: &'static str) -> AuthError {
    let login_next = wants_page(parts).then(|| {
        parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned()
    });
    AuthError::Unauthenticated { detail, login_next }
}

/// The bearer secret of an `Authorization` header: `Ok(None)` without the header.
fn bearer(parts: &Parts) -> Result<Option<String>, AuthError> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| Some(s.to_owned()))
        .ok_or_else(|| unauthenticated(parts, "Expected `Authorization: Bearer <token>`."))
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AuthError> {
        let now = crate::now_ms();
        if let Some(secret) = bearer(parts)? {
            let found = state
                .store_call(move |state| {
                    let Some(token) = state.store.verify_token(&secret)? else {
                        return Ok(None);
                    };
                    let user = state.store.user(token.user_id)?;
                    if token.needs_touch(now) {
                        state.store.touch_token(token.id, now)?;
                    }
                    Ok(Some((token, user)))
                })
                .await?;
            let (token, user) = found.ok_or_else(|| unauthenticated(parts, "Invalid token."))?;
            return Ok(Self::from_token(token, user));
        }
        let Some(secret) = session_secret(&parts.headers).map(str::to_owned) else {
            return Err(unauthenticated(
                parts,
                "Authentication credentials were not provided.",
            ));
        };
        let found = state
            .store_call(move |state| {
                let Some((mut session, user)) = state.store.session(&secret, now)? else {
                    return Ok(None);
                };
                if session.needs_touch(now) {
                    session.last_seen_ms = now;
                    session.expires_ms = now.saturating_add(SESSION_LIFETIME_MS);
                    state.store.touch_session(
                        session.id,
                        session.last_seen_ms,
                        session.expires_ms,
                    )?;
                }
                Ok(Some((session, user)))
            })
            .await?;
        let (session, user) =
            found.ok_or_else(|| unauthenticated(parts, "The session expired; log in again."))?;
        let viewer = Self::from_session(session, user);
        if parts.uri.path().starts_with("/api/") && csrf::is_state_changing(&parts.method) {
            let token = parts
                .headers
                .get(csrf::CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            csrf::verify_form(
                state,
                csrf::CsrfSubject::Viewer(&viewer),
                &parts.headers,
                token,
            )?;
        }
        Ok(viewer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_percent_encoded() {
        assert_eq!(
            percent_encode("/issues/?query=is:unresolved a&b"),
            "/issues/%3Fquery%3Dis%3Aunresolved%20a%26b"
        );
    }

    #[test]
    fn scope_errors_name_the_scope() {
        let error = AuthError::MissingScope {
            scope: Scope::EventAdmin,
            by_token: true,
            role_allows: true,
        };
        assert_eq!(error.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            error.to_string(),
            "This token lacks the `event:admin` scope."
        );
    }
}
