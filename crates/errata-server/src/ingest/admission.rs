//! Admission: the rate limits and the project's event quota applied to an envelope
//! before anything is processed. Each kind of stored data is admitted on its own: the
//! event (with its attachments, which ride with it), the attachments by bytes, and user
//! reports. What is refused is removed from the envelope and counted under its reason;
//! the refusals become `X-Sentry-Rate-Limits` (with a 200 when something else is
//! stored, a 429 when nothing is), as Relay answers.

use std::time::Instant;

use errata_protocol::envelope::{Envelope, ItemType};
use errata_store::ProjectId;

use super::error::Refusal;
use crate::keys::KeyEntry;
use crate::outcome::Reason;
use crate::ratelimit::{Limited, RateCategory};
use crate::state::AppState;

/// What admission refused.
#[derive(Debug, Default)]
pub struct Refused {
    /// One entry per refused category.
    pub refusals: Vec<Refusal>,
}

fn is_event(ty: &ItemType) -> bool {
    matches!(ty, ItemType::Event)
}

fn is_report(ty: &ItemType) -> bool {
    matches!(ty, ItemType::UserReport | ItemType::Feedback)
}

fn refusal(limited: Limited) -> Refusal {
    Refusal {
        retry_after_secs: limited.retry_after_secs,
        categories: limited.category.header_categories(),
        scope: limited.scope.as_str(),
        reason: None,
    }
}

/// Applies the quota and rate limits to `envelope`, removing and counting what is
/// refused. Blocking (the quota may read the store): runs on a worker.
pub fn admit(state: &AppState, entry: &KeyEntry, envelope: &mut Envelope, now_ms: i64) -> Refused {
    let project = entry.key.project_id;
    let key = entry.key.public_key.as_str();
    let now = Instant::now();
    let mut refused = Refused::default();

    // The event: the quota first, then the rate limits.
    let events = envelope.items().iter().filter(|i| is_event(i.ty())).count() as u64;
    if events > 0 {
        let mut reason = None;
        if let Some(quota) = entry.project.event_quota
            && let Err(exceeded) = state
                .quotas
                .admit(&*state.store, project, quota, events, now_ms)
        {
            refused.refusals.push(Refusal {
                retry_after_secs: exceeded.retry_after_secs,
                categories: RateCategory::Events.header_categories(),
                scope: "project",
                reason: Some("quota_exceeded"),
            });
            reason = Some(Reason::QuotaExceeded);
        }
        if reason.is_none()
            && let Err(limited) = state.limiter.admit_with(
                key,
                project.0,
                RateCategory::Events,
                events,
                now,
                entry.project.rate_limit_per_minute,
            )
        {
            refused.refusals.push(refusal(limited));
            reason = Some(Reason::RateLimited);
        }
        if let Some(reason) = reason {
            // Attachments ride with their event.
            remove(envelope, state, project, reason, |ty| {
                is_event(ty) || *ty == ItemType::Attachment
            });
        }
    }

    let attachment_bytes: u64 = envelope
        .items()
        .iter()
        .filter(|i| *i.ty() == ItemType::Attachment)
        .map(|i| i.len() as u64)
        .sum();
    if attachment_bytes > 0
        && let Err(limited) = state.limiter.admit(
            key,
            project.0,
            RateCategory::AttachmentBytes,
            attachment_bytes,
            now,
        )
    {
        refused.refusals.push(refusal(limited));
        remove(envelope, state, project, Reason::RateLimited, |ty| {
            *ty == ItemType::Attachment
        });
    }

    let reports = envelope
        .items()
        .iter()
        .filter(|i| is_report(i.ty()))
        .count() as u64;
    if reports > 0
        && let Err(limited) =
            state
                .limiter
                .admit(key, project.0, RateCategory::UserReports, reports, now)
    {
        refused.refusals.push(refusal(limited));
        remove(envelope, state, project, Reason::RateLimited, is_report);
    }
    refused
}

/// Removes the items whose type `refused` picks, counting each under `reason`.
fn remove(
    envelope: &mut Envelope,
    state: &AppState,
    project: ProjectId,
    reason: Reason,
    refused: impl Fn(&ItemType) -> bool,
) {
    envelope.retain_items(|item| {
        let drop = refused(item.ty());
        if drop {
            for (category, quantity) in item.quantities() {
                state.outcomes.add(project, category, reason, quantity);
            }
        }
        !drop
    });
}

/// Whether anything the server stores is left in `envelope`.
pub fn stores_anything(envelope: &Envelope) -> bool {
    envelope
        .items()
        .iter()
        .any(|i| is_event(i.ty()) || is_report(i.ty()) || *i.ty() == ItemType::Attachment)
}
