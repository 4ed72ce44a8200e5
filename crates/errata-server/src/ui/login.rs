//! Logging in and out through the web page: `GET /login` shows the form (with the login
//! CSRF cookie), `POST /login` checks it and opens a session, `POST /logout` ends it.
//! The checks themselves (throttle, password, session) are [`crate::auth`]'s.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use errata_web::{Layout, LoginPage, NavItem};

use super::form::{Fields, checked_form, local_path};
use super::page::{UiError, html, redirect, theme};
use crate::auth::{self, AuthError, CsrfSubject, LoginError, Viewer};
use crate::state::AppState;

/// `?next=` of the login page.
#[derive(Debug, serde::Deserialize)]
pub(super) struct Next {
    next: Option<String>,
}

fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    email: &str,
    next: Option<&str>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let csrf = auth::login_csrf(state, headers);
    let page = LoginPage {
        layout: Layout {
            title: "Log in".into(),
            csrf: csrf.token,
            nav: NavItem::None,
            theme: theme(headers),
            ..Layout::default()
        },
        email: email.to_owned(),
        next: next.map(str::to_owned),
        error,
    };
    let mut response = html(page.render());
    *response.status_mut() = status;
    if let Some(cookie) = csrf.set_cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// `GET /login`: the form, or straight on when already logged in.
pub(super) async fn form(
    State(state): State<AppState>,
    viewer: Result<Viewer, AuthError>,
    Query(next): Query<Next>,
    headers: HeaderMap,
) -> Response {
    let next = next.next.as_deref().map(|n| local_path(n, "/issues/"));
    if viewer.is_ok_and(|v| v.session().is_some()) {
        return redirect(next.unwrap_or("/issues/"), None);
    }
    login_page(&state, &headers, "", next, None, StatusCode::OK)
}

/// `POST /login`.
pub(super) async fn submit(
    State(state): State<AppState>,
    request_headers: HeaderMap,
    extensions: axum::http::Extensions,
    body: Bytes,
) -> Response {
    let fields = Fields::parse(&body).unwrap_or_default();
    let email = fields.get("email").trim().to_owned();
    let next = local_path(fields.get("next"), "/issues/").to_owned();
    let again = |error: String, status| {
        login_page(
            &state,
            &request_headers,
            &email,
            Some(&next),
            Some(error),
            status,
        )
    };
    if let Err(e) = auth::verify_form(
        &state,
        CsrfSubject::Login,
        &request_headers,
        fields.get("csrf"),
    ) {
        return again(e.to_string(), StatusCode::FORBIDDEN);
    }
    let ip = auth::client_ip(&extensions);
    match auth::login(&state, &email, fields.get("password"), ip).await {
        Ok(logged_in) => {
            let mut response = redirect(&next, None);
            response
                .headers_mut()
                .append(header::SET_COOKIE, logged_in.set_cookie);
            response
        }
        Err(e) => {
            let mut response = again(e.to_string(), e.status());
            if let Some(secs) = e.retry_after()
                && let Ok(v) = HeaderValue::from_str(&secs.to_string())
            {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
            if !matches!(e, LoginError::InvalidCredentials | LoginError::Throttled(_)) {
                tracing::error!(error = %e, "login failed");
            }
            response
        }
    }
}

/// `POST /logout`.
pub(super) async fn logout(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, UiError> {
    checked_form(&state, &viewer, &headers, &body)?;
    let clear = auth::logout(&state, &headers).await?;
    let mut response = redirect("/login", None);
    response.headers_mut().append(header::SET_COOKIE, clear);
    Ok(response.into_response())
}
