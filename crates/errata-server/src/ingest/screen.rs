//! Screening: the project's inbound filters applied to an envelope's event BEFORE
//! admission, so a filtered event counts against neither the project's quota nor its rate
//! limits (as in Sentry, where filtered events consume no quota). The event has to be
//! normalized to be matched (environment, release, exception, message, user agent, frames);
//! the normalized event is handed on to processing, so it is normalized once either way.
//! Projects without filters skip this step entirely. A filtered event and the attachments
//! riding with it are removed from the envelope and counted as `filtered:<reason>`; the
//! SDK still gets its 200 (Sentry answers filtered events with 200 too).

use errata_protocol::Event;
use errata_protocol::envelope::{DataCategory, Envelope, ItemType};
use uuid::Uuid;

use super::error::IngestError;
use super::process::{RequestInfo, normalize_event};
use crate::filter::InboundFilter;
use crate::outcome::{Outcomes, Reason};

/// What screening found.
#[derive(Debug, Default)]
pub struct Screened {
    /// The event, normalized, when it was checked and kept (processing uses it).
    pub event: Option<Event>,
    /// The id of the event that was filtered (the SDK is answered with it).
    pub filtered_id: Option<Uuid>,
}

/// Applies `filter` to the event of `envelope`, removing it (and its attachments) when a
/// filter drops it.
pub fn screen(
    envelope: &mut Envelope,
    filter: &InboundFilter,
    info: &RequestInfo,
    outcomes: &Outcomes,
) -> Result<Screened, IngestError> {
    if !filter.is_active() {
        return Ok(Screened::default());
    }
    let Some(item) = envelope
        .items()
        .iter()
        .find(|item| matches!(item.ty(), ItemType::Event))
    else {
        return Ok(Screened::default());
    };
    let event = normalize_event(envelope, item, info, outcomes)?;
    let Some(reason) = filter.check(&event) else {
        return Ok(Screened {
            event: Some(event),
            filtered_id: None,
        });
    };
    let reason = Reason::Filtered(reason);
    // The event under its category as accepted events count it (`default` for a message).
    let category = DataCategory::from_event_type(event.ty.as_str());
    outcomes.add(info.project_id, category, reason, 1);
    envelope.retain_items(|item| match item.ty() {
        ItemType::Event => false,
        ItemType::Attachment => {
            for (category, quantity) in item.quantities() {
                outcomes.add(info.project_id, category, reason, quantity);
            }
            false
        }
        _ => true,
    });
    Ok(Screened {
        event: None,
        filtered_id: Uuid::try_parse(&event.event_id).ok(),
    })
}
