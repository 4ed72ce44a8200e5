//! Every URL the server answers, in one place.
//!
//! | method | path | what |
//! |---|---|---|
//! | GET | `/healthz`, `/readyz` | liveness, readiness ([`crate::health`]) |
//! | GET | `/metrics` | Prometheus metrics, with a Bearer token ([`crate::metrics`]) |
//! | POST, OPTIONS | `/api/{project_id}/envelope/` | Sentry envelopes (every SDK) |
//! | POST, OPTIONS | `/api/{project_id}/store/` | legacy single events |
//! | POST, OPTIONS | `{prefix}/api/{project_id}/envelope/`, `.../store/` | the same behind a DSN path prefix, with or without the trailing slash, `//` folded |
//! | * | `/api/0/...` | the Web API ([`crate::api`]) |
//! | POST | `/integrations/slack/interactive` | Slack button clicks, signed ([`crate::alert::slack_action`]) |
//! | GET, POST | `/`, `/login`, `/logout`, `/issues/...`, `/projects/...`, `/settings/...`, `/static/...` | the web UI ([`crate::ui`], its own table) |
//!
//! With `metrics.bind`, a second listener answers [`metrics_router`]: `/metrics` without
//! a token, `/healthz` and `/readyz`. Every request on either gets an id and a span
//! ([`crate::request_id`]) and is counted ([`crate::metrics::http`]).

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use regex::Regex;
use serde_json::json;
use std::sync::LazyLock;

use crate::ingest::{self, Endpoint};
use crate::request_id::RequestIdLayer;
use crate::state::AppState;
use crate::{alert, api, health, metrics, ui};

/// The application router.
pub fn router(state: AppState) -> Router {
    let counted = state.metrics.http.layer();
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::endpoint::scrape_authorized))
        .route(
            "/api/{project_id}/envelope/",
            post(envelope).options(envelope),
        )
        .route("/api/{project_id}/store/", post(store).options(store))
        .route(
            "/integrations/slack/interactive",
            post(alert::slack_action::interactive),
        )
        .merge(api::router())
        .merge(ui::router())
        .fallback(fallback)
        .with_state(state)
        .layer(counted)
        .layer(RequestIdLayer)
}

/// The metrics listener's router (`metrics.bind`): no token asked.
pub fn metrics_router(state: AppState) -> Router {
    let counted = state.metrics.http.layer();
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::endpoint::scrape_open))
        .with_state(state)
        .layer(counted)
        .layer(RequestIdLayer)
}

async fn envelope(
    State(state): State<AppState>,
    Path(project): Path<String>,
    request: Request<Body>,
) -> Response {
    ingest::handle(state, &project, Endpoint::Envelope, request).await
}

async fn store(
    State(state): State<AppState>,
    Path(project): Path<String>,
    request: Request<Body>,
) -> Response {
    ingest::handle(state, &project, Endpoint::Store, request).await
}

static PREFIXED_INGEST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:/[^?]*)?/api/([^/]+)/(envelope|store)/?$")
        .unwrap_or_else(|e| panic!("built-in pattern: {e}"))
});

/// Ingest behind a path prefix (`https://key@host/sentry/42`), without the trailing
/// slash, or with doubled slashes; anything else is a JSON 404.
async fn fallback(State(state): State<AppState>, request: Request<Body>) -> Response {
    let path = request.uri().path();
    let folded = if path.contains("//") {
        let mut folded = String::with_capacity(path.len());
        for part in path.split('/').filter(|p| !p.is_empty()) {
            folded.push('/');
            folded.push_str(part);
        }
        if path.ends_with('/') {
            folded.push('/');
        }
        folded
    } else {
        path.to_owned()
    };
    if let Some(caps) = PREFIXED_INGEST.captures(&folded) {
        let project = caps[1].to_owned();
        let endpoint = if &caps[2] == "store" {
            Endpoint::Store
        } else {
            Endpoint::Envelope
        };
        return ingest::handle(state, &project, endpoint, request).await;
    }
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({ "detail": "not found" })),
    )
        .into_response()
}
