//! What every page handler shares: [`UiError`], the one error type of the web UI (it
//! renders an error page with a safe message, maps "unavailable" to 503 with
//! `Retry-After`, and logs the detail), the [`Layout`] of a signed-in viewer, HTML
//! responses, redirects with a one-time flash message, and the security headers set on
//! every response of the UI.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use errata_store::{Scope, StoreError};
use errata_web::{ErrorKind, ErrorPage, Layout, NavItem, SECURITY_HEADERS, THEME_COOKIE};

use crate::auth::session::cookie;
use crate::auth::{AuthError, Viewer};
use crate::workers::JobFailed;

/// Why a page could not be shown.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UiError {
    #[error("not found: {0}")]
    NotFound(String),
    /// The viewer lacks a scope (a member on an admin page).
    #[error("forbidden: needs {0}")]
    Forbidden(Scope),
    /// A form failed the CSRF check.
    #[error("CSRF check failed: {0}")]
    Csrf(String),
    /// Not logged in (a redirect to the login page), or the store failed authenticating.
    #[error(transparent)]
    Auth(AuthError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The worker pool is full or a job failed.
    #[error("worker: {0}")]
    Worker(#[from] JobFailed),
}

impl From<AuthError> for UiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::MissingScope { scope, .. } => Self::Forbidden(scope),
            AuthError::Csrf(why) => Self::Csrf(why),
            AuthError::Store(e) => Self::Store(e),
            other @ AuthError::Unauthenticated { .. } => Self::Auth(other),
        }
    }
}

impl UiError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::NotFound(_) => ErrorKind::NotFound,
            Self::Forbidden(scope) => ErrorKind::Forbidden {
                need: scope.as_str().to_owned(),
            },
            Self::Csrf(_) => ErrorKind::CsrfFailure,
            _ => ErrorKind::Internal { event_id: None },
        }
    }

    fn unavailable(&self) -> bool {
        match self {
            Self::Store(e) => e.is_unavailable(),
            Self::Worker(JobFailed::Busy) => true,
            _ => false,
        }
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        if let Self::Auth(e) = self {
            return e.into_response();
        }
        let page = ErrorPage {
            layout: Layout {
                title: "Error".into(),
                theme: "auto".into(),
                nav: NavItem::None,
                ..Layout::default()
            },
            kind: self.kind(),
        };
        let mut status =
            StatusCode::from_u16(page.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        match &self {
            Self::NotFound(_) | Self::Forbidden(_) | Self::Csrf(_) => {
                tracing::info!(error = %self, "page refused");
            }
            _ => tracing::error!(error = %self, "page failed"),
        }
        if self.unavailable() {
            status = StatusCode::SERVICE_UNAVAILABLE;
        }
        let mut response = (status, html_headers(), page.render()).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

/// Not found unless `found`.
pub(crate) fn not_found(e: StoreError, what: impl Into<String>) -> UiError {
    if e.is_not_found() {
        UiError::NotFound(what.into())
    } else {
        UiError::Store(e)
    }
}

/// `Content-Type` of pages.
fn html_headers() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ]
}

/// A page: 200, HTML, not cached (pages show private data).
pub(crate) fn html(body: String) -> Response {
    (html_headers(), body).into_response()
}

/// The flash cookie: a one-line message shown once by the next page.
const FLASH_COOKIE: &str = "errata_flash";

/// A 303 to `location`, with a message for the next page.
pub(crate) fn redirect(location: &str, flash: Option<&str>) -> Response {
    let location =
        HeaderValue::from_str(location).unwrap_or_else(|_| HeaderValue::from_static("/"));
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response();
    if let Some(message) = flash {
        let value: String = message
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || " .,:;!?'()-_/#".contains(*c))
            .take(200)
            .collect();
        let encoded = value.replace(' ', "+");
        if let Ok(v) = HeaderValue::from_str(&format!(
            "{FLASH_COOKIE}={encoded}; Path=/; Max-Age=60; HttpOnly; SameSite=Lax"
        )) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

/// The frame of a signed-in page: the viewer's name, its CSRF token, the theme cookie,
/// and the flash message (consumed by [`consume_flash`]).
pub(crate) fn layout(viewer: &Viewer, headers: &HeaderMap, title: &str, nav: NavItem) -> Layout {
    Layout {
        title: title.to_owned(),
        user: Some(display_name(viewer)),
        csrf: viewer.csrf_token().unwrap_or_default().to_owned(),
        nav,
        flash: cookie(headers, FLASH_COOKIE).map(|v| v.replace('+', " ")),
        theme: theme(headers),
        is_admin: viewer.scopes.contains(Scope::OrgAdmin),
    }
}

/// The name pages and the activity log show for a viewer: the name, else the email.
pub(crate) fn display_name(viewer: &Viewer) -> String {
    if viewer.user.name.is_empty() {
        viewer.user.email.clone()
    } else {
        viewer.user.name.clone()
    }
}

/// The theme cookie's value, `auto` by default.
pub(crate) fn theme(headers: &HeaderMap) -> String {
    match cookie(headers, THEME_COOKIE) {
        Some(t @ ("light" | "dark")) => t.to_owned(),
        _ => "auto".to_owned(),
    }
}

/// A page response that also clears the flash cookie when the request carried one.
pub(crate) fn page(headers: &HeaderMap, body: String) -> Response {
    let mut response = html(body);
    if cookie(headers, FLASH_COOKIE).is_some() {
        response.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_static("errata_flash=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"),
        );
    }
    response
}

/// Sets the UI's security headers on a response (every page, asset and redirect).
pub(crate) async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        let name = header::HeaderName::from_static(name);
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}
