//! The ingest endpoints (`/api/{project_id}/envelope/` and the legacy `/store/`), as
//! Relay serves them. The order is what makes the server hold under attack:
//!
//! 1. the head: the announced size and the auth in the headers or query string
//!    ([`errata_protocol::intake::open`]); the key is checked (cached, misses too)
//!    **before any body byte is read**, so an unknown key costs no reading and no
//!    decompression;
//! 2. the body ([`body::read`]): within its limit, under the connection's deadline and
//!    minimum rate, every byte reserved in the byte budget; a body that carries its auth
//!    inside (the envelope header's `dsn`) is read under a small limit and only its
//!    header line is decoded before its key is checked;
//! 3. on the worker pool ([`crate::workers`]), never on the async runtime: decoding,
//!    parsing, per-item size limits, the project's inbound filters ([`screen`]: a
//!    filtered event counts against no quota or rate limit), [`admission`] (quota and
//!    rate limits for events, attachment bytes and user reports) and processing
//!    ([`process`]: normalize, scrub, group, compress);
//! 4. the writer commits the event and user reports; only then the 200.

pub mod admission;
pub mod body;
pub mod cors;
pub mod error;
pub mod process;
pub mod screen;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use errata_protocol::envelope::{Envelope, Item, ItemType};
use errata_protocol::intake::{self, Opened, RequestHead};
use errata_store::ProjectId;
use serde_json::json;

pub use errata_protocol::intake::Endpoint;

use crate::budget::Reservation;
use crate::keys::KeyEntry;
use crate::outcome::Reason;
use crate::state::AppState;
use crate::workers::JobFailed;
use crate::writer::Submit;
use error::{IngestError, Refusal, rate_limits_header};
use process::{Processed, RequestInfo, process, process_with};

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

/// The request head, owned, so the worker can read it.
#[derive(Debug, Clone)]
struct Head {
    endpoint: Endpoint,
    project_id: Option<u64>,
    x_sentry_auth: Option<String>,
    authorization: Option<String>,
    query: Option<String>,
    content_encoding: Option<String>,
    content_type: Option<String>,
    content_length: Option<u64>,
}

impl Head {
    fn new(parts: &http::request::Parts, endpoint: Endpoint, project_id: i64) -> Self {
        let text = |name: header::HeaderName| header_str(&parts.headers, name).map(str::to_owned);
        Self {
            endpoint,
            project_id: u64::try_from(project_id).ok(),
            x_sentry_auth: header_str(&parts.headers, "x-sentry-auth").map(str::to_owned),
            authorization: text(header::AUTHORIZATION),
            query: parts.uri.query().map(str::to_owned),
            content_encoding: text(header::CONTENT_ENCODING),
            content_type: text(header::CONTENT_TYPE),
            content_length: header_str(&parts.headers, header::CONTENT_LENGTH)
                .and_then(|v| v.trim().parse().ok()),
        }
    }

    fn as_head(&self) -> RequestHead<'_> {
        RequestHead {
            endpoint: self.endpoint,
            project_id: self.project_id,
            x_sentry_auth: self.x_sentry_auth.as_deref(),
            authorization: self.authorization.as_deref(),
            query: self.query.as_deref(),
            content_encoding: self.content_encoding.as_deref(),
            content_type: self.content_type.as_deref(),
            content_length: self.content_length,
        }
    }
}

fn header_str(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
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
    let head = Head::new(&parts, endpoint, project_id);
    drop(parts);

    // 1. The head, and the key when the head carries it: before any body byte.
    let opened = intake::open(&head.as_head(), state.intake_limits)?;
    let checked = match opened.auth() {
        Some(auth) => Some(authorize(state, &auth.public_key, ProjectId(project_id)).await?),
        None => None,
    };

    // 2. The body, within its limit, deadline and the byte budget.
    let mut reservation = Reservation::default();
    let body = body::read(body, opened.body_limit(), &state.budget, &mut reservation).await?;
    let entry = if let Some(entry) = checked {
        entry
    } else {
        let auth = opened.auth_from_body(&head.as_head(), &body)?;
        authorize(state, &auth.public_key, ProjectId(project_id)).await?
    };

    // 3. Everything CPU-bound, on the worker pool.
    let job = {
        let state = state.clone();
        let entry = entry.clone();
        move || {
            let started = std::time::Instant::now();
            let prepared = prepare(&state, &head, opened, body, &entry, client_ip, reservation);
            state
                .metrics
                .pipeline
                .processing_seconds
                .observe(started.elapsed().as_secs_f64());
            prepared
        }
    };
    let prepared = state
        .workers
        .run(job)
        .await
        .map_err(|failed| match failed {
            JobFailed::Busy => IngestError::Overloaded("the server is busy; retry later".into()),
            JobFailed::Panicked => IngestError::Internal("processing panicked".into()),
        })??;
    let Prepared {
        processed,
        refusals,
        reservation,
    } = prepared;
    drop(reservation);

    // 4. The commit.
    let event_id = processed.event_id;
    if processed.event.is_some() || !processed.user_reports.is_empty() {
        let project = entry.key.project_id;
        let has_event = processed.event.is_some();
        let receiver = state
            .writer
            .submit(
                processed.event.into_iter().collect(),
                processed.user_reports,
            )
            .map_err(|e| {
                if has_event {
                    state.outcomes.add(
                        project,
                        errata_protocol::envelope::DataCategory::Error,
                        Reason::Overloaded,
                        1,
                    );
                }
                IngestError::Overloaded(match e {
                    Submit::Overloaded => "the server is overloaded; retry later".into(),
                    Submit::Stopped => "the server is shutting down; retry later".into(),
                })
            })?;
        let results = receiver
            .await
            .map_err(|_| IngestError::Overloaded("the writer stopped; retry later".into()))?
            .map_err(IngestError::Storage)?;
        if results.iter().any(|r| r.alerts > 0) {
            state.alerts.wake();
        }
    }
    let body = match event_id {
        Some(id) => json!({ "id": id.simple().to_string() }),
        None => json!({}),
    };
    let mut response = axum::Json(body).into_response();
    if let Some(value) = rate_limits_header(&refusals) {
        response.headers_mut().insert("x-sentry-rate-limits", value);
    }
    Ok(response)
}

/// What the worker hands back.
struct Prepared {
    processed: Processed,
    refusals: Vec<Refusal>,
    reservation: Reservation,
}

/// Decode, parse, size limits, admission and processing: the CPU work of one request.
fn prepare(
    state: &AppState,
    head: &Head,
    opened: Opened,
    body: Bytes,
    entry: &KeyEntry,
    client_ip: Option<String>,
    mut reservation: Reservation,
) -> Result<Prepared, IngestError> {
    let raw_len = body.len();
    let (auth, envelope) = opened.read(&head.as_head(), body)?;
    // The decoded body counts against the budget too (identity bodies share the buffer).
    let decoded = envelope.items().iter().map(Item::len).sum::<usize>();
    state
        .budget
        .reserve(&mut reservation, decoded.saturating_sub(raw_len))
        .map_err(|_| {
            IngestError::Overloaded("too many request bytes in flight; retry later".into())
        })?;
    let project_id = entry.key.project_id;
    let mut envelope = drop_oversized(state, envelope, project_id)?;
    let received_ms = crate::now_ms();
    let info = request_info(state, entry, &auth, client_ip, received_ms);
    let screened = screen::screen(&mut envelope, &entry.filter, &info, &state.outcomes)?;
    let refused = admission::admit(state, entry, &mut envelope, received_ms);
    if !refused.refusals.is_empty() && !admission::stores_anything(&envelope) {
        // Count what else the envelope carried (client reports...) before refusing.
        let _ = process(&envelope, &info, &state.outcomes);
        return Err(IngestError::RateLimited(refused.refusals));
    }
    let mut processed = process_with(&envelope, screened.event, &info, &state.outcomes)?;
    if processed.event_id.is_none() {
        processed.event_id = screened.filtered_id;
    }
    Ok(Prepared {
        processed,
        refusals: refused.refusals,
        reservation,
    })
}

fn request_info(
    state: &AppState,
    entry: &KeyEntry,
    auth: &errata_protocol::auth::ClientAuth,
    client_ip: Option<String>,
    received_ms: i64,
) -> RequestInfo {
    RequestInfo {
        project_id: entry.key.project_id,
        received_ms,
        client_ip,
        client: auth.client.clone(),
        scrub: (state.config.scrub_data && entry.project.scrub_data).then(|| entry.scrub.clone()),
        max_attachment_bytes: state.config.limits.max_attachment_bytes,
        codec: state.store.payload_codec().clone(),
    }
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
        load_key(state, public_key).await?
    };
    match entry {
        Some(entry) if entry.key.project_id == project && entry.key.is_active => Ok(entry),
        Some(entry) if entry.key.project_id == project => {
            Err(IngestError::Forbidden("this DSN key is disabled".into()))
        }
        // An unknown key is answered from the cache alone: no read per bad request.
        None => Err(IngestError::Unauthorized("unknown DSN public key".into())),
        Some(_) => {
            match state
                .store_call(move |state| state.store.project(project))
                .await
            {
                Err(e) if e.is_not_found() => Err(IngestError::NotFound(format!(
                    "project {project} does not exist"
                ))),
                Err(e) => Err(e.into()),
                Ok(_) => Err(IngestError::Forbidden(format!(
                    "this DSN key is not a key of project {project}"
                ))),
            }
        }
    }
}

/// Reads a key that is not cached, one request per key at a time: while one request
/// reads it, the others use its expired entry (within its grace) or wait for that read.
async fn load_key(
    state: &AppState,
    public_key: &str,
) -> Result<Option<Arc<KeyEntry>>, errata_store::StoreError> {
    let gate = state.keys.gate(public_key);
    let _reading = if let Ok(mine) = gate.try_lock() {
        mine
    } else {
        if let Some(stale) = state.keys.stale(public_key) {
            return Ok(Some(stale));
        }
        let turn = gate.lock().await;
        if let Some(entry) = state.keys.cached(public_key) {
            return Ok(entry);
        }
        turn
    };
    let public_key = public_key.to_owned();
    state
        .store_call(move |state| state.keys.load(&state.store, &public_key))
        .await
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
        let item = &envelope.items()[violation.index];
        match item.data_category() {
            Some(category) => state.outcomes.add(project, category, Reason::TooLarge, 1),
            None => state.outcomes.add(
                project,
                crate::outcome::Category::Unknown,
                Reason::TooLarge,
                1,
            ),
        }
        if matches!(violation.item_type, ItemType::Event) {
            return Err(IngestError::TooLarge(violation.to_string()));
        }
    }
    let mut dropped = vec![false; envelope.items().len()];
    for violation in &report.items {
        if let Some(slot) = dropped.get_mut(violation.index) {
            *slot = true;
        }
    }
    let mut index = 0;
    envelope.retain_items(|_| {
        let keep = !dropped.get(index).copied().unwrap_or(false);
        index += 1;
        keep
    });
    Ok(envelope)
}
