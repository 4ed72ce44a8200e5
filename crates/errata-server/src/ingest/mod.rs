//! The ingest endpoints (`/api/{project_id}/envelope/` and the legacy `/store/`), as
//! Relay serves them: auth from any of the four places, bounded reading and decoding of
//! the body, the envelope grammar, per-item size limits, rate limits decided before any
//! processing, then processing and a commit by the writer before the 200.

pub mod cors;
pub mod error;
pub mod process;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, header};
use axum::response::{IntoResponse, Response};
use errata_protocol::auth::ClientAuth;
use errata_protocol::envelope::{Envelope, ItemType};
use errata_protocol::{encoding, store as legacy_store};
use errata_store::ProjectId;
use serde_json::json;

use crate::keys::KeyEntry;
use crate::state::AppState;
use crate::writer::Submit;
use error::IngestError;
use process::{RequestInfo, process};

/// Which endpoint a request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/api/{project_id}/envelope/`.
    Envelope,
    /// `/api/{project_id}/store/` (legacy single events).
    Store,
}

/// Handles one ingest request; every answer carries the CORS headers.
pub async fn handle(
    state: AppState,
    project: &str,
    endpoint: Endpoint,
    request: Request<Body>,
) -> Response {
    if request.method() == http::Method::OPTIONS {
        return cors::preflight();
    }
    // Bounded work: a request beyond the in-flight limit is refused before its body is read.
    let Ok(_permit) = state.in_flight.clone().try_acquire_owned() else {
        return cors::add_headers(
            IngestError::Overloaded("too many requests in flight; retry later".into())
                .into_response(),
        );
    };
    let response = match ingest(&state, project, endpoint, request).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    cors::add_headers(response)
}

fn header_str(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Reads, decodes and parses the body within the limits, and resolves the client auth.
async fn read_envelope(
    state: &AppState,
    project_id: i64,
    endpoint: Endpoint,
    parts: &http::request::Parts,
    body: Body,
) -> Result<(Envelope, ClientAuth), IngestError> {
    let limits = state.config.limits;
    // Refuse what is too large before reading it.
    if let Some(length) =
        header_str(&parts.headers, header::CONTENT_LENGTH).and_then(|v| v.parse::<usize>().ok())
        && length > limits.max_request_bytes
    {
        return Err(IngestError::TooLarge(format!(
            "request body of {length} bytes exceeds the limit of {} bytes",
            limits.max_request_bytes
        )));
    }
    // Auth from the request itself is checked before the body is read.
    let request_auth = ClientAuth::from_request(
        header_str(&parts.headers, "x-sentry-auth"),
        header_str(&parts.headers, header::AUTHORIZATION),
        parts.uri.query(),
    )?;
    let body = axum::body::to_bytes(body, limits.max_request_bytes)
        .await
        .map_err(|e| {
            if std::error::Error::source(&e)
                .is_some_and(<dyn std::error::Error>::is::<http_body_util::LengthLimitError>)
            {
                IngestError::TooLarge(format!(
                    "request body exceeds the limit of {} bytes",
                    limits.max_request_bytes
                ))
            } else {
                IngestError::BadRequest(format!("could not read the request body: {e}"))
            }
        })?;
    if body.is_empty() {
        return Err(IngestError::BadRequest("empty request body".into()));
    }
    let decoded = encoding::decode_bytes(
        body,
        header_str(&parts.headers, header::CONTENT_ENCODING),
        limits.max_envelope_bytes,
    )?;
    let envelope = match endpoint {
        Endpoint::Envelope => Envelope::parse(decoded)?,
        Endpoint::Store => legacy_store::decode(
            decoded,
            header_str(&parts.headers, header::CONTENT_TYPE),
            limits.max_envelope_bytes,
        )?
        .into_envelope(),
    };
    envelope.validate()?;
    let auth = errata_protocol::auth::resolve(
        request_auth,
        envelope.dsn(),
        u64::try_from(project_id).ok(),
    )?;
    Ok((envelope, auth))
}

async fn ingest(
    state: &AppState,
    project: &str,
    endpoint: Endpoint,
    request: Request<Body>,
) -> Result<Response, IngestError> {
    let project_id: i64 = project
        .parse()
        .map_err(|_| IngestError::BadRequest(format!("project id {project:?} is not a number")))?;
    let (parts, body) = request.into_parts();
    let client_ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string());
    let (envelope, auth) = read_envelope(state, project_id, endpoint, &parts, body).await?;
    let entry = authorize(state, &auth.public_key, ProjectId(project_id)).await?;
    let project_id = entry.key.project_id;

    // Rate limits, before any processing.
    let events = envelope
        .items()
        .iter()
        .filter(|i| *i.ty() == ItemType::Event)
        .count() as u64;
    if let Err(limited) =
        state
            .limiter
            .admit(&entry.key.public_key, project_id.0, events, Instant::now())
    {
        state
            .outcomes
            .add(project_id, "error", "rate_limited", events);
        return Err(IngestError::RateLimited(limited));
    }

    let envelope = drop_oversized(state, envelope, project_id)?;
    let info = RequestInfo {
        project_id,
        received_ms: crate::now_ms(),
        client_ip,
        client: auth.client.clone(),
        scrub: state.config.scrub_data && entry.project.scrub_data,
        max_attachment_bytes: state.config.limits.max_attachment_bytes,
    };
    let processed = process(&envelope, &info, &state.outcomes)?;
    if !processed.user_reports.is_empty() {
        let store = state.store.clone();
        let reports = processed.user_reports;
        tokio::task::spawn_blocking(move || store.add_user_reports(&reports).map(|_| ()))
            .await
            .map_err(|e| IngestError::Storage(e.to_string()))?
            .map_err(|e| IngestError::Storage(e.to_string()))?;
    }
    if let Some(event) = processed.event {
        let receiver = state.writer.submit(vec![event]).map_err(|e| {
            state.outcomes.add(project_id, "error", "overloaded", 1);
            IngestError::Overloaded(match e {
                Submit::Overloaded => "the server is overloaded; retry later".into(),
                Submit::Stopped => "the server is shutting down; retry later".into(),
            })
        })?;
        receiver
            .await
            .map_err(|_| IngestError::Storage("the writer stopped".into()))?
            .map_err(IngestError::Storage)?;
    }
    let body = match processed.event_id {
        Some(id) => json!({ "id": id.simple().to_string() }),
        None => json!({}),
    };
    Ok(axum::Json(body).into_response())
}

/// The key must exist, be active, and belong to the project in the path.
async fn authorize(
    state: &AppState,
    public_key: &str,
    project: ProjectId,
) -> Result<Arc<KeyEntry>, IngestError> {
    let entry = if let Some(entry) = state.keys.cached(public_key) {
        entry
    } else {
        let state = state.clone();
        let public_key = public_key.to_owned();
        tokio::task::spawn_blocking(move || state.keys.load(&state.store, &public_key))
            .await
            .map_err(|e| IngestError::Storage(e.to_string()))?
            .map_err(|e| IngestError::Storage(e.to_string()))?
    };
    match entry {
        Some(entry) if entry.key.project_id == project && entry.key.is_active => Ok(entry),
        Some(entry) if entry.key.project_id == project => {
            Err(IngestError::Forbidden("this DSN key is disabled".into()))
        }
        other => {
            let store = state.store.clone();
            let exists = tokio::task::spawn_blocking(move || store.project(project))
                .await
                .map_err(|e| IngestError::Storage(e.to_string()))?;
            match (exists, other) {
                (Err(e), _) if e.is_not_found() => Err(IngestError::NotFound(format!(
                    "project {project} does not exist"
                ))),
                (Err(e), _) => Err(IngestError::Storage(e.to_string())),
                (Ok(_), Some(_)) => Err(IngestError::Forbidden(format!(
                    "this DSN key is not a key of project {project}"
                ))),
                (Ok(_), None) => Err(IngestError::Unauthorized("unknown DSN public key".into())),
            }
        }
    }
}

/// Drops items over their size limits (counted as `too_large`); an oversized envelope
/// or event is refused with 413.
fn drop_oversized(
    state: &AppState,
    mut envelope: Envelope,
    project: ProjectId,
) -> Result<Envelope, IngestError> {
    let report = state.limits.check(&envelope);
    if let Some(violation) = &report.envelope {
        return Err(IngestError::TooLarge(violation.to_string()));
    }
    if report.items.is_empty() {
        return Ok(envelope);
    }
    for violation in &report.items {
        let category = envelope.items()[violation.index]
            .data_category()
            .map_or("default", |c| c.as_str());
        state.outcomes.add(project, category, "too_large", 1);
        if matches!(violation.item_type, ItemType::Event) {
            return Err(IngestError::TooLarge(violation.to_string()));
        }
    }
    let dropped: Vec<usize> = report.items.iter().map(|v| v.index).collect();
    let mut index = 0;
    envelope.retain_items(|_| {
        let keep = !dropped.contains(&index);
        index += 1;
        keep
    });
    Ok(envelope)
}
