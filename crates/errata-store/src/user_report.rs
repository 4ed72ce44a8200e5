//! User reports (user feedback): what a person typed after an error, stored with the event
//! and its issue; they may arrive with the event or later, on their own.

use uuid::Uuid;

use crate::id::{IssueId, ProjectId, UserReportId};

/// The fields a person fills in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserReportFields {
    pub name: String,
    pub email: String,
    pub comments: String,
}

/// A report that arrived on its own (a `user_report` or `feedback` item without its event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUserReport {
    pub project_id: ProjectId,
    pub event_id: Uuid,
    pub received_ms: i64,
    pub fields: UserReportFields,
}

/// A stored report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserReport {
    pub id: UserReportId,
    pub project_id: ProjectId,
    pub event_id: Uuid,
    /// The issue of the event, when the event is stored.
    pub issue_id: Option<IssueId>,
    pub fields: UserReportFields,
    pub created_ms: i64,
}
