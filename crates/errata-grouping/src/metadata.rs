//! What an issue is called and where it happened: the title (`KeyError: 'A-17'`), the
//! culprit (`__main__ in load_order`) and the metadata the issue list shows, derived the
//! way Sentry derives them for error, message and transaction events.

use crate::fingerprint::crash_frame;
use errata_protocol::{Event, EventType};
use serde::Serialize;

/// Longest title kept, in characters.
const MAX_TITLE: usize = 200;

/// The issue metadata of an event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Metadata {
    /// The main exception's type.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub ty: Option<String>,
    /// The main exception's value (first line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The crashing frame's file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// The crashing frame's function.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// The message title of message events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// Title, culprit and metadata of `event`.
pub(crate) fn describe(event: &Event) -> (String, String, Metadata) {
    let frame = crash_frame(event);
    let mut metadata = Metadata {
        filename: frame.and_then(|f| f.filename.clone()),
        function: frame.and_then(|f| f.function.clone()),
        ..Metadata::default()
    };
    let title = if event.ty == EventType::Transaction {
        event
            .transaction
            .clone()
            .unwrap_or_else(|| "<unlabeled transaction>".into())
    } else if let Some(exception) = event.main_exception() {
        metadata.ty.clone_from(&exception.ty);
        metadata.value = exception.value.as_deref().map(|v| first_line(v).to_owned());
        match (&metadata.ty, metadata.value.as_deref()) {
            (Some(ty), Some(value)) if !value.is_empty() => format!("{ty}: {value}"),
            (Some(ty), _) => ty.clone(),
            (None, Some(value)) if !value.is_empty() => value.to_owned(),
            _ => "Error".to_owned(),
        }
    } else {
        let message = event
            .logentry
            .as_ref()
            .and_then(|l| l.formatted.as_deref().or(l.message.as_deref()))
            .map(first_line)
            .filter(|m| !m.is_empty());
        let title = message.map_or_else(|| "<unlabeled event>".to_owned(), str::to_owned);
        metadata.title = Some(title.clone());
        title
    };
    let culprit = event
        .culprit
        .clone()
        .or_else(|| event.transaction.clone())
        .or_else(|| {
            frame.map(|f| {
                let location = f.module.as_deref().or(f.filename.as_deref()).unwrap_or("?");
                match f.function.as_deref() {
                    Some(function) => format!("{location} in {function}"),
                    None => location.to_owned(),
                }
            })
        })
        .unwrap_or_default();
    (truncate_chars(&title, MAX_TITLE), culprit, metadata)
}

fn first_line(s: &str) -> &str {
    s.trim().lines().next().unwrap_or("")
}

fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((idx, _)) => format!("{}...", &s[..idx]),
        None => s.to_owned(),
    }
}
