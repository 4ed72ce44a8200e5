//! Attachments: files sent in an envelope with an event (minidumps, logs, screenshots),
//! stored with the event and downloadable through the Web API.

use uuid::Uuid;

use crate::id::{AttachmentId, IssueId, ProjectId};

/// An attachment to store with its event.
#[derive(Clone, PartialEq, Eq)]
pub struct NewAttachment {
    pub name: String,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

impl std::fmt::Debug for NewAttachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAttachment")
            .field("name", &self.name)
            .field("content_type", &self.content_type)
            .field("len", &self.data.len())
            .finish()
    }
}

/// A stored attachment's description (without its bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub id: AttachmentId,
    pub project_id: ProjectId,
    pub issue_id: IssueId,
    pub event_id: Uuid,
    pub name: String,
    pub content_type: Option<String>,
    pub size: u64,
    pub created_ms: i64,
}
