//! Events: what the ingest pipeline hands the store ([`NewEvent`], the processed event with
//! its grouping, payload and attachments), what ingest answers ([`IngestResult`]), and the
//! rows the Web API reads back ([`EventRow`], [`StoredEvent`]).

use uuid::Uuid;

use crate::attachment::NewAttachment;
use crate::error::{Result, StoreError};
use crate::id::{IssueId, ProjectId};
use crate::level::Level;
use crate::payload::Payload;
use crate::user_report::UserReportFields;

/// Limits on the plain fields, so that one event cannot bloat the issue and tag tables.
pub const MAX_HASHES: usize = 16;
pub const MAX_TAGS: usize = 200;
pub const MAX_TAG_KEY_LEN: usize = 200;
pub const MAX_TAG_VALUE_LEN: usize = 200;
pub const MAX_TEXT_LEN: usize = 8 * 1024;

/// A processed event, ready to be filed under an issue.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub project_id: ProjectId,
    pub event_id: Uuid,
    /// When the server received it (Unix ms).
    pub received_ms: i64,
    /// The event's own timestamp after normalization (Unix ms); drives first/last seen.
    pub timestamp_ms: i64,
    /// Grouping hashes, 32 lowercase hex digits each, most specific first; at least one.
    pub hashes: Vec<String>,
    pub title: String,
    pub culprit: String,
    pub level: Level,
    /// "error", "default", "csp"...
    pub event_type: String,
    /// The grouping's metadata (JSON bytes), kept on the issue.
    pub metadata: Vec<u8>,
    pub release: Option<String>,
    pub environment: Option<String>,
    /// Who was affected ("id:42", "email:a@b.c", "ip:1.2.3.4"), for distinct user counts;
    /// counted as the value of the [`crate::USER_TAG`] tag (do not repeat it in `tags`).
    pub user: Option<String>,
    /// Tags as pairs (key, value), counted per issue.
    pub tags: Vec<(String, String)>,
    /// The full normalized event, compressed.
    pub payload: Payload,
    pub attachments: Vec<NewAttachment>,
    pub user_reports: Vec<UserReportFields>,
}

impl NewEvent {
    /// The bytes it stores: its compressed payload and its attachments (what the
    /// per-project usage counts).
    pub fn stored_bytes(&self) -> u64 {
        let attachments: usize = self.attachments.iter().map(|a| a.data.len()).sum();
        (self.payload.compressed().len() + attachments) as u64
    }

    /// Checks what the store relies on. `Store::ingest` calls it for every event before
    /// writing anything; callers that batch should call it first so that one bad event
    /// does not fail a whole batch.
    pub fn validate(&self) -> Result<()> {
        if self.hashes.is_empty() || self.hashes.len() > MAX_HASHES {
            return Err(StoreError::invalid(format!(
                "event {} has {} hashes (1 to {MAX_HASHES} needed)",
                self.event_id.simple(),
                self.hashes.len()
            )));
        }
        if let Some(bad) = self.hashes.iter().find(|h| !is_hash(h)) {
            return Err(StoreError::invalid(format!(
                "hash {bad:?} is not 32 lowercase hex digits"
            )));
        }
        if self.tags.len() > MAX_TAGS {
            return Err(StoreError::invalid(format!(
                "{} tags (at most {MAX_TAGS})",
                self.tags.len()
            )));
        }
        if self
            .tags
            .iter()
            .any(|(k, v)| k.is_empty() || k.len() > MAX_TAG_KEY_LEN || v.len() > MAX_TAG_VALUE_LEN)
        {
            return Err(StoreError::invalid(
                "a tag key is empty or a tag is too long",
            ));
        }
        let texts = [
            Some(&self.title),
            Some(&self.culprit),
            self.release.as_ref(),
        ];
        if texts.into_iter().flatten().any(|t| t.len() > MAX_TEXT_LEN) {
            return Err(StoreError::invalid("title, culprit or release is too long"));
        }
        Ok(())
    }
}

/// True for 32 lowercase hex digits.
pub fn is_hash(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// How an event was filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IngestKind {
    /// The event opened a new issue (alert: new issue).
    NewIssue,
    /// The event joined an open (or ignored) issue.
    Existing,
    /// The event reopened a resolved issue (alert: regression).
    Regression,
    /// An event with this id was already stored in the project; nothing was written.
    Duplicate,
}

/// The outcome of ingesting one event, in the order of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngestResult {
    pub event_id: Uuid,
    /// The issue holding the event (for a duplicate: the issue of the stored one).
    pub issue_id: IssueId,
    pub kind: IngestKind,
    /// Alert deliveries the event set off (queued in the same transaction).
    pub alerts: u32,
}

/// A stored event without its payload, for lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub project_id: ProjectId,
    pub issue_id: IssueId,
    pub event_id: Uuid,
    pub received_ms: i64,
    pub timestamp_ms: i64,
    pub level: Level,
    pub event_type: String,
    pub title: String,
    pub release: Option<String>,
    pub environment: Option<String>,
    pub user: Option<String>,
    /// The size of the uncompressed payload.
    pub payload_len: u64,
}

/// A stored event with its payload decompressed (the normalized event JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub row: EventRow,
    pub payload: Vec<u8>,
}

/// The neighbours of an event within its issue, by arrival (for the event viewer's
/// oldest / previous / next / latest links); `None` where there is none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventNavigation {
    pub oldest: Option<Uuid>,
    pub previous: Option<Uuid>,
    pub next: Option<Uuid>,
    pub latest: Option<Uuid>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> NewEvent {
        NewEvent {
            project_id: ProjectId(1),
            event_id: Uuid::nil(),
            received_ms: 0,
            timestamp_ms: 0,
            hashes: vec!["0123456789abcdef0123456789abcdef".into()],
            title: "t".into(),
            culprit: "c".into(),
            level: Level::Error,
            event_type: "error".into(),
            metadata: b"{}".to_vec(),
            release: None,
            environment: None,
            user: None,
            tags: vec![],
            payload: Payload::compress(b"{}").unwrap(),
            attachments: vec![],
            user_reports: vec![],
        }
    }

    #[test]
    fn validation() {
        assert!(event().validate().is_ok());
        let mut e = event();
        e.hashes.clear();
        assert!(e.validate().unwrap_err().is_invalid());
        let mut e = event();
        e.hashes = vec!["0123456789ABCDEF0123456789ABCDEF".into()];
        assert!(e.validate().is_err());
        let mut e = event();
        e.tags = vec![(String::new(), "v".into())];
        assert!(e.validate().is_err());
        let mut e = event();
        e.title = "x".repeat(MAX_TEXT_LEN + 1);
        assert!(e.validate().is_err());
    }
}
