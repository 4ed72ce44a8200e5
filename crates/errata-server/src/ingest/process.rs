//! Processing: an authenticated, size-checked envelope becomes what the store keeps.
//!
//! The `event` item is normalized, scrubbed and grouped into a [`NewEvent`] with its
//! attachments and user reports; `client_report`s become outcome counts; everything else
//! (sessions, transactions, spans, logs, check-ins, profiles, replays, unknown types) is
//! accepted and counted under a named reason. Pure CPU work: no IO here.

use crate::outcome::{Category, ClientDiscard, MAX_REPORTED_QUANTITY, Outcomes, Reason};
use crate::scrub::{ScrubRules, scrub_event};
use errata_protocol::envelope::DataCategory;
use errata_protocol::envelope::{Envelope, Item, ItemType};
use errata_protocol::meta::truncate_str;
use errata_protocol::{Event, NormalizeContext, normalize};
use errata_store::{
    Level, MAX_TAG_VALUE_LEN, MAX_TAGS, MAX_TEXT_LEN, NewAttachment, NewEvent, NewUserReport,
    PayloadCodec, ProjectId, UserReportFields,
};
use serde_json::Value;
use std::sync::Arc;
use uuid::Uuid;

use super::error::IngestError;

/// What the server knows about the request, for normalization.
#[derive(Debug, Clone)]
pub struct RequestInfo {
    /// The project the key belongs to.
    pub project_id: ProjectId,
    /// Receive time, Unix milliseconds.
    pub received_ms: i64,
    /// The client's address.
    pub client_ip: Option<String>,
    /// `sentry_client` from the auth.
    pub client: Option<String>,
    /// Scrub sensitive data with these rules (`None`: scrubbing is off).
    pub scrub: Option<Arc<ScrubRules>>,
    /// Largest attachment kept.
    pub max_attachment_bytes: usize,
    /// Compresses the payload (with the installation's dictionary once it has one).
    pub codec: Arc<PayloadCodec>,
}

/// The result of processing one envelope.
#[derive(Debug, Default)]
pub struct Processed {
    /// The event to store, with its attachments and reports.
    pub event: Option<NewEvent>,
    /// The id to answer with.
    pub event_id: Option<Uuid>,
    /// Reports whose event is not in this envelope.
    pub user_reports: Vec<NewUserReport>,
}

/// Processes every item of `envelope`, counting outcomes as it goes.
pub fn process(
    envelope: &Envelope,
    info: &RequestInfo,
    outcomes: &Outcomes,
) -> Result<Processed, IngestError> {
    process_with(envelope, None, info, outcomes)
}

/// Normalizes the `event` item `item` of `envelope` (an unreadable one is counted
/// `invalid` and refused with 400).
pub fn normalize_event(
    envelope: &Envelope,
    item: &Item,
    info: &RequestInfo,
    outcomes: &Outcomes,
) -> Result<Event, IngestError> {
    let mut ctx = NormalizeContext::new(info.received_ms as f64 / 1000.0);
    ctx.event_id = envelope.event_id().map(|id| id.0.simple().to_string());
    ctx.sent_at = envelope.headers().sent_at_secs();
    ctx.client_ip.clone_from(&info.client_ip);
    ctx.client.clone_from(&info.client);
    normalize(item.payload(), &ctx).map_err(|error| {
        outcomes.add(info.project_id, DataCategory::Error, Reason::Invalid, 1);
        IngestError::BadRequest(format!("invalid event: {error}"))
    })
}

/// [`process`], with the envelope's event already normalized (by the inbound filters'
/// check) when `normalized` holds it.
pub fn process_with(
    envelope: &Envelope,
    mut normalized: Option<Event>,
    info: &RequestInfo,
    outcomes: &Outcomes,
) -> Result<Processed, IngestError> {
    let mut processed = Processed {
        event_id: envelope.event_id().map(|id| id.0),
        ..Processed::default()
    };
    let mut attachments = Vec::new();
    let mut reports = Vec::new();
    for item in envelope.items() {
        match item.ty() {
            ItemType::Event => {
                let mut event = match normalized.take() {
                    Some(event) => event,
                    None => normalize_event(envelope, item, info, outcomes)?,
                };
                if let Some(rules) = &info.scrub {
                    scrub_event(&mut event, rules);
                }
                let new_event = to_new_event(&event, info)?;
                processed.event_id = Some(new_event.event_id);
                processed.event = Some(new_event);
            }
            ItemType::Attachment => {
                if item.len() > info.max_attachment_bytes {
                    outcomes.add(
                        info.project_id,
                        DataCategory::Attachment,
                        Reason::TooLarge,
                        item.len() as u64,
                    );
                    outcomes.add(
                        info.project_id,
                        DataCategory::AttachmentItem,
                        Reason::TooLarge,
                        1,
                    );
                    continue;
                }
                attachments.push(NewAttachment {
                    name: item.filename().unwrap_or("attachment").to_owned(),
                    content_type: item
                        .headers()
                        .content_type
                        .as_ref()
                        .map(ToString::to_string),
                    data: item.payload().to_vec(),
                });
            }
            ItemType::UserReport => match user_report(item) {
                Some(report) => reports.push(report),
                None => outcomes.add(info.project_id, DataCategory::Feedback, Reason::Invalid, 1),
            },
            ItemType::Feedback => match feedback(item) {
                Some(report) => reports.push(report),
                None => outcomes.add(info.project_id, DataCategory::Feedback, Reason::Invalid, 1),
            },
            ItemType::ClientReport => client_report(item, info.project_id, outcomes),
            _ => {
                for (category, quantity) in item.quantities() {
                    outcomes.add(info.project_id, category, Reason::NotStored, quantity);
                }
                if item.data_category().is_none() {
                    outcomes.add(info.project_id, Category::Unknown, Reason::NotStored, 1);
                }
            }
        }
    }
    if let Some(event) = &mut processed.event {
        event.attachments = attachments;
        let (mine, others): (Vec<_>, Vec<_>) = reports
            .into_iter()
            .partition(|(id, _)| id.is_none_or(|id| id == event.event_id));
        event.user_reports = mine.into_iter().map(|(_, fields)| fields).collect();
        processed.user_reports = standalone(others, info);
    } else {
        if !attachments.is_empty() {
            outcomes.add(
                info.project_id,
                DataCategory::AttachmentItem,
                Reason::NoEvent,
                attachments.len() as u64,
            );
        }
        processed.user_reports = standalone(reports, info);
    }
    Ok(processed)
}

fn standalone(
    reports: Vec<(Option<Uuid>, UserReportFields)>,
    info: &RequestInfo,
) -> Vec<NewUserReport> {
    reports
        .into_iter()
        .filter_map(|(id, fields)| {
            id.map(|event_id| NewUserReport {
                project_id: info.project_id,
                event_id,
                received_ms: info.received_ms,
                fields,
            })
        })
        .collect()
}

/// Converts a normalized event into the store's input.
fn to_new_event(event: &Event, info: &RequestInfo) -> Result<NewEvent, IngestError> {
    let grouping = errata_grouping::group(event);
    let payload_json = serde_json::to_vec(event)
        .map_err(|e| IngestError::BadRequest(format!("event cannot be serialized: {e}")))?;
    let payload = info
        .codec
        .compress(&payload_json)
        .map_err(|e| IngestError::TooLarge(format!("event payload: {e}")))?;
    let event_id = Uuid::try_parse(&event.event_id)
        .map_err(|e| IngestError::BadRequest(format!("event id: {e}")))?;
    let metadata = serde_json::to_vec(&grouping.metadata).unwrap_or_default();
    let new_event = NewEvent {
        project_id: info.project_id,
        event_id,
        received_ms: info.received_ms,
        timestamp_ms: (event.timestamp * 1000.0) as i64,
        hashes: grouping.hashes,
        title: cut(grouping.title),
        culprit: cut(grouping.culprit),
        level: match event.level {
            errata_protocol::Level::Debug => Level::Debug,
            errata_protocol::Level::Info => Level::Info,
            errata_protocol::Level::Warning => Level::Warning,
            errata_protocol::Level::Error => Level::Error,
            errata_protocol::Level::Fatal => Level::Fatal,
        },
        event_type: event.ty.as_str().to_owned(),
        metadata,
        release: event.release.clone(),
        environment: event.environment.clone(),
        user: event
            .user
            .as_ref()
            .and_then(errata_protocol::user::User::identity),
        tags: issue_tags(event),
        payload,
        attachments: Vec::new(),
        user_reports: Vec::new(),
    };
    // Refused here rather than in the writer, where it would fail a whole batch.
    new_event
        .validate()
        .map_err(|e| IngestError::BadRequest(format!("invalid event: {e}")))?;
    Ok(new_event)
}

/// The event's tags plus the ones Sentry derives for the tag panels and filters, at
/// most [`MAX_TAGS`] in all: the derived ones win the room (the UI filters on them), the
/// event's own keep their order.
fn issue_tags(event: &Event) -> Vec<(String, String)> {
    // The event's tags are at most MAX_TAGS (normalization cuts them): a scan per
    // derived key is bounded and allocates nothing.
    let mut tags = event.tags.clone();
    let mut derived: Vec<(String, String)> = Vec::new();
    let mut add = |key: &str, value: Option<&str>| {
        if let Some(value) = value.filter(|v| !v.is_empty() && v.len() <= MAX_TAG_VALUE_LEN)
            && !event.tags.iter().any(|(k, _)| k == key)
        {
            derived.push((key.to_owned(), value.to_owned()));
        }
    };
    add("level", Some(event.level.as_str()));
    add("environment", event.environment.as_deref());
    add("release", event.release.as_deref());
    add("transaction", event.transaction.as_deref());
    add("url", event.request.as_ref().and_then(|r| r.url.as_deref()));
    // Sentry's `user.email:` search.
    add(
        "user.email",
        event.user.as_ref().and_then(|u| u.email.as_deref()),
    );
    let context_name = |name: &str| {
        event
            .contexts
            .get(name)
            .and_then(|c| c.get("name"))
            .and_then(Value::as_str)
    };
    add("os.name", context_name("os"));
    add("runtime.name", context_name("runtime"));
    add("browser.name", context_name("browser"));
    if let Some(mechanism) = event.main_exception().and_then(|e| e.mechanism.as_ref()) {
        add("mechanism", Some(&mechanism.ty));
        add(
            "handled",
            mechanism.handled.map(|h| if h { "yes" } else { "no" }),
        );
    }
    tags.truncate(MAX_TAGS.saturating_sub(derived.len()));
    tags.extend(derived);
    tags
}

/// `text` cut in place to the store's longest text, at a character boundary.
fn cut(mut text: String) -> String {
    text.truncate(truncate_str(&text, MAX_TEXT_LEN).len());
    text
}

/// A legacy `user_report` item: `{event_id, name, email, comments}`.
fn user_report(item: &Item) -> Option<(Option<Uuid>, UserReportFields)> {
    let value: Value = serde_json::from_slice(item.payload()).ok()?;
    let text = |k: &str| {
        value
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let event_id = value
        .get("event_id")
        .and_then(Value::as_str)
        .and_then(|s| Uuid::try_parse(s).ok());
    Some((
        event_id,
        UserReportFields {
            name: text("name"),
            email: text("email"),
            comments: text("comments"),
        },
    ))
}

/// A `feedback` item: an event whose `contexts.feedback` holds the report.
fn feedback(item: &Item) -> Option<(Option<Uuid>, UserReportFields)> {
    let value: Value = serde_json::from_slice(item.payload()).ok()?;
    let feedback = value.get("contexts")?.get("feedback")?;
    let text = |k: &str| {
        feedback
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let event_id = feedback
        .get("associated_event_id")
        .and_then(Value::as_str)
        .and_then(|s| Uuid::try_parse(s).ok())
        .or_else(|| {
            value
                .get("event_id")
                .and_then(Value::as_str)
                .and_then(|s| Uuid::try_parse(s).ok())
        });
    Some((
        event_id,
        UserReportFields {
            name: text("name"),
            email: text("contact_email"),
            comments: text("message"),
        },
    ))
}

/// A `client_report`: what the SDK dropped itself, and why. Categories and reasons are
/// checked against the lists SDKs use: an unknown reason counts as
/// [`ClientDiscard::Other`], an unknown category as [`Category::Unknown`], and each
/// quantity is clamped to [`MAX_REPORTED_QUANTITY`].
fn client_report(item: &Item, project: ProjectId, outcomes: &Outcomes) {
    let Ok(value) = serde_json::from_slice::<Value>(item.payload()) else {
        outcomes.add(
            project,
            DataCategory::Internal,
            Reason::InvalidClientReport,
            1,
        );
        return;
    };
    for (list, fixed) in [
        ("discarded_events", None),
        ("rate_limited_events", Some(ClientDiscard::RatelimitBackoff)),
        ("filtered_events", Some(ClientDiscard::EventProcessor)),
        ("filtered_sampling_events", Some(ClientDiscard::SampleRate)),
    ] {
        for entry in value
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let category = entry
                .get("category")
                .and_then(Value::as_str)
                .map_or(Category::Data(DataCategory::Default), |name| {
                    DataCategory::from_name(name).map_or(Category::Unknown, Category::Data)
                });
            let quantity = entry
                .get("quantity")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .min(MAX_REPORTED_QUANTITY);
            let reason = fixed.unwrap_or_else(|| {
                entry
                    .get("reason")
                    .and_then(Value::as_str)
                    .map_or(ClientDiscard::Other, ClientDiscard::parse)
            });
            outcomes.add(project, category, Reason::ClientDiscard(reason), quantity);
        }
    }
}
