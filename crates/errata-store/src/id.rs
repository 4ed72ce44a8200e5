//! Row identifiers: `i64` newtypes (what both the `SQLite` rowid and the `PostgreSQL` `bigint`
//! identity hold) so that an issue id cannot be passed where a project id is expected.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type! {
    /// An organization's id.
    OrganizationId,
    /// A user account's id.
    UserId,
    /// A project's id (the number in a DSN's path).
    ProjectId,
    /// A project key's (DSN's) id.
    KeyId,
    /// An issue's id.
    IssueId,
    /// An attachment's id.
    AttachmentId,
    /// A user report's id.
    UserReportId,
    /// An API token's id.
    TokenId,
    /// An alert channel's id (a Slack webhook, a webhook, an email address, a tracker).
    ChannelId,
    /// An alert rule's id.
    AlertRuleId,
    /// An alert delivery's id (one row of the outbox).
    DeliveryId,
}
