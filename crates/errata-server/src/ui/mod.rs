//! The web UI's handlers: each reads what its page needs from the store (through
//! [`AppState::store_call`]), fills the view models of `errata-web`, and renders them
//! (large pages on the worker pool). Every page but the login form needs a session
//! ([`crate::auth::Viewer`]); every form is checked for its CSRF token and origin before it
//! acts; every response carries the security headers of [`errata_web::SECURITY_HEADERS`].
//!
//! | method | path | what |
//! |---|---|---|
//! | GET | `/` | redirects to `/issues/` |
//! | GET, POST | `/login`; POST `/logout` | [`login`] |
//! | GET | `/issues/`, `/projects/{slug}/issues/` | [`issue_list`] |
//! | POST | `/issues/bulk`; GET `/issues/poll` | [`issue_list`] |
//! | GET | `/issues/{id}/`, `/issues/{id}/events/{event_id}/`, `.../json` | [`issue_detail`] |
//! | GET | `/issues/{id}/attachments/{attachment_id}` | [`issue_detail`] (download) |
//! | POST | `/issues/{id}/status` | [`issue_detail`] |
//! | POST | `/issues/{id}/tracker` (file the issue in a GitHub or GitLab channel) | [`issue_detail`] |
//! | GET | `/projects/`; GET, POST `/projects/new` | [`project`] |
//! | GET, POST | `/projects/{slug}/settings/`; POST `.../keys`, `.../filters`, `.../delete` | [`project`] |
//! | GET | `/projects/{slug}/stats/?period=1d\|7d\|30d` (outcomes per hour) | [`stats`] |
//! | GET | `/projects/{slug}/alerts/`; POST `.../channels`, `.../channels/{id}` | [`alerts`] |
//! | GET, POST | `/projects/{slug}/alerts/rules/new`, `.../rules/{id}`; POST `.../rules/{id}/delete` | [`alerts`] |
//! | GET | `/projects/{slug}/alerts/deliveries/` (the delivery log) | [`alerts`] |
//! | GET, POST | `/settings/tokens/`, `/settings/users/` | [`account`] |
//! | GET | `/settings/storage/` (storage use, disk budget, retention; admins) | [`storage`] |
//! | POST | `/settings/alert-email` (the viewer's alert email per project) | [`account`] |
//! | GET | `/static/{name}` | embedded assets, cached for a year |

mod account;
mod alerts;
mod form;
mod issue_detail;
mod issue_list;
mod login;
mod page;
mod project;
mod stats;
mod storage;
mod trend;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::state::AppState;

/// Every route of the UI, with the security headers on every response.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { page::redirect("/issues/", None) }))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/issues/", get(issue_list::all))
        .route("/issues/bulk", post(issue_list::bulk))
        .route("/issues/poll", get(issue_list::poll))
        .route("/issues/{id}/", get(issue_detail::latest))
        .route("/issues/{id}/status", post(issue_detail::change_status))
        .route("/issues/{id}/tracker", post(issue_detail::file_in_tracker))
        .route(
            "/issues/{id}/events/{event_id}/",
            get(issue_detail::one_event),
        )
        .route(
            "/issues/{id}/events/{event_id}/json",
            get(issue_detail::raw_json),
        )
        .route(
            "/issues/{id}/attachments/{attachment_id}",
            get(issue_detail::attachment),
        )
        .route("/projects/", get(project::list))
        .route(
            "/projects/new",
            get(project::new_form).post(project::create),
        )
        .route("/projects/{slug}/issues/", get(issue_list::of_project))
        .route(
            "/projects/{slug}/settings/",
            get(project::settings).post(project::save_settings),
        )
        .route("/projects/{slug}/keys", post(project::keys))
        .route("/projects/{slug}/filters", post(project::save_filters))
        .route("/projects/{slug}/stats/", get(stats::show))
        .route("/projects/{slug}/delete", post(project::delete))
        .route("/projects/{slug}/alerts/", get(alerts::index))
        .route(
            "/projects/{slug}/alerts/channels",
            post(alerts::add_channel),
        )
        .route(
            "/projects/{slug}/alerts/channels/{id}",
            post(alerts::channel_action),
        )
        .route(
            "/projects/{slug}/alerts/rules/new",
            get(alerts::new_rule).post(alerts::create_rule),
        )
        .route(
            "/projects/{slug}/alerts/rules/{id}",
            get(alerts::edit_rule).post(alerts::save_rule),
        )
        .route(
            "/projects/{slug}/alerts/rules/{id}/delete",
            post(alerts::delete_rule),
        )
        .route(
            "/projects/{slug}/alerts/deliveries/",
            get(alerts::deliveries),
        )
        .route(
            "/settings/tokens/",
            get(account::tokens).post(account::tokens_submit),
        )
        .route("/settings/alert-email", post(account::alert_email))
        .route(
            "/settings/users/",
            get(account::users).post(account::users_submit),
        )
        .route("/settings/storage/", get(storage::show))
        .route("/static/{name}", get(asset))
        .layer(axum::middleware::map_response(page::security_headers))
}

/// `GET /static/{name}`: an embedded asset under its content-hashed name.
async fn asset(Path(name): Path<String>) -> Response {
    match errata_web::asset(&name) {
        Some(asset) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(asset.content_type),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static(errata_web::ASSET_CACHE_CONTROL),
                ),
            ],
            asset.bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}
