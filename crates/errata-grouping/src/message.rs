//! Message grouping: the log template (not the formatted text, whose parameters vary)
//! with its variable parts parameterized.

use crate::component::Component;
use crate::parameterize::normalize_message;
use errata_protocol::Event;

/// The `default` variant's message component, when the event has a message.
pub(crate) fn message_component(event: &Event) -> Option<Component<'static>> {
    let entry = event.logentry.as_ref()?;
    let text = entry
        .message
        .as_deref()
        .filter(|m| !m.is_empty())
        .or(entry.formatted.as_deref())?;
    let normalized = normalize_message(text);
    if normalized.is_empty() {
        return None;
    }
    let changed = normalized != text;
    let mut component = Component::leaf("message", normalized);
    if changed {
        component.set_hint("stripped event-specific values");
    }
    Some(component)
}
