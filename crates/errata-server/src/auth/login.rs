//! Logging in and out. [`login`] checks the throttle, finds the user, verifies the
//! argon2id hash on the worker pool (never on the async runtime), and opens a session in
//! the store. An unknown email costs the same as a wrong password (a dummy hash is
//! verified), so timing does not tell which emails have accounts. [`logout`] ends the
//! session and clears the cookie.

use std::net::{IpAddr, SocketAddr};
use std::sync::OnceLock;

use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use errata_store::{NewSession, StoreError, User};
use serde_json::json;

use super::session::{clear_session_cookie, session_cookie, session_secret};
use super::throttle::RetryAfter;
use crate::state::AppState;
use crate::workers::JobFailed;

/// A successful login.
#[derive(Clone)]
pub struct LoggedIn {
    /// Who logged in.
    pub user: User,
    /// The session's secret (the cookie's value; shown to nobody else).
    pub secret: String,
    /// The session's CSRF token (for the forms of the page that follows).
    pub csrf_token: String,
    /// The `Set-Cookie` value to send with the redirect.
    pub set_cookie: HeaderValue,
}

impl std::fmt::Debug for LoggedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoggedIn")
            .field("user", &self.user.email)
            .finish_non_exhaustive()
    }
}

/// Why a login failed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Wrong email or password (which one is not said): show the form again, 200 or 401.
    #[error("Invalid email or password.")]
    InvalidCredentials,
    /// Too many failures: 429 with `Retry-After`.
    #[error("Too many failed logins; try again in {} seconds.", .0.0)]
    Throttled(RetryAfter),
    /// The worker pool is saturated: 503.
    #[error("The server is busy; try again.")]
    Busy(#[source] JobFailed),
    /// The store failed: 500 or 503.
    #[error("The database failed; try again.")]
    Store(#[from] StoreError),
}

impl LoginError {
    /// The HTTP status to answer with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Store(e) if e.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            Self::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `Retry-After` value (seconds) to send, if any.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Throttled(RetryAfter(secs)) => Some(*secs),
            Self::Busy(_) => Some(1),
            Self::Store(e) if e.is_unavailable() => Some(1),
            _ => None,
        }
    }
}

/// A JSON rendering (`{"detail"}` with the status and `Retry-After`); pages render their
/// own from [`LoginError::status`], `Display` and [`LoginError::retry_after`].
impl IntoResponse for LoginError {
    fn into_response(self) -> Response {
        if let Self::Store(error) = &self
            && !error.is_unavailable()
        {
            tracing::error!(%error, "login failed: storage");
        }
        let mut response = (
            self.status(),
            axum::Json(json!({ "detail": self.to_string() })),
        )
            .into_response();
        if let Some(secs) = self.retry_after() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// The client's address as the connection saw it (the login throttle's IP key). Behind a
/// reverse proxy every client has the proxy's address: the per-email limit still holds.
pub fn client_ip(extensions: &axum::http::Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// A hash no password matches in practice, verified for unknown emails so that they take
/// as long as known ones (made once, with the same parameters as real hashes).
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| crate::hash_password(&errata_store::generate_secret()).unwrap_or_default())
}

/// Verifies `password` against a PHC string; a malformed hash matches nothing.
fn verify_password(hash: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Checks the credentials and opens a session. Failures count towards the throttle of
/// the email and of `client_ip`; a success clears the email's.
pub async fn login(
    state: &AppState,
    email: &str,
    password: &str,
    client_ip: Option<IpAddr>,
) -> Result<LoggedIn, LoginError> {
    let throttle = &state.login_throttle;
    throttle
        .check(email, client_ip, crate::now_ms())
        .map_err(LoginError::Throttled)?;
    let lookup = email.to_owned();
    let user = match state
        .store_call(move |state| state.store.user_by_email(&lookup))
        .await
    {
        Ok(user) => Some(user),
        Err(e) if e.is_not_found() || e.is_invalid() => None,
        Err(e) => return Err(e.into()),
    };
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let password = password.to_owned();
    let matches = state
        .workers
        .run(move || verify_password(hash.as_deref().unwrap_or_else(|| dummy_hash()), &password))
        .await
        .map_err(LoginError::Busy)?;
    let user = match user {
        Some(user) if matches => user,
        _ => {
            throttle.failed(email, client_ip, crate::now_ms());
            tracing::info!(ip = ?client_ip, "failed login");
            return Err(LoginError::InvalidCredentials);
        }
    };
    throttle.succeeded(email);
    let now = crate::now_ms();
    let user_id = user.id;
    let created = state
        .store_call(move |state| {
            // Sweep expired sessions now and then: logins are rare, the index makes it cheap.
            state.store.delete_expired_sessions(now)?;
            state.store.create_session(&NewSession::at(user_id, now))
        })
        .await?;
    tracing::info!(user = %user.id, "logged in");
    Ok(LoggedIn {
        set_cookie: session_cookie(state, &created.secret),
        secret: created.secret,
        csrf_token: created.session.csrf_token,
        user,
    })
}

/// Ends the request's session (if any) and returns the `Set-Cookie` value that removes
/// the cookie. The caller has checked the logout form's CSRF token.
pub async fn logout(state: &AppState, headers: &HeaderMap) -> Result<HeaderValue, StoreError> {
    if let Some(secret) = session_secret(headers).map(str::to_owned) {
        state
            .store_call(move |state| state.store.delete_session(&secret))
            .await?;
    }
    Ok(clear_session_cookie(state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_against_their_hash_only() {
        let hash = crate::hash_password("hunter2").unwrap();
        assert!(verify_password(&hash, "hunter2"));
        assert!(!verify_password(&hash, "hunter3"));
        assert!(!verify_password("$argon2id$stub", "hunter2"));
        assert!(!verify_password(dummy_hash(), ""));
    }

    #[test]
    fn throttled_logins_answer_429_with_retry_after() {
        let response = LoginError::Throttled(RetryAfter(42)).into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "42");
    }
}
