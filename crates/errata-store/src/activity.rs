//! An issue's activity log: who resolved, ignored or reopened it and when, and what
//! happened by itself (first seen, regressions, an ignored issue coming back), written by
//! the store in the same transaction as the change it records.

use std::fmt;

use crate::error::{Result, StoreError};
use crate::id::{IssueId, UserId};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActivityKind {
    FirstSeen,
    Resolved,
    ResolvedInNextRelease,
    ResolvedInRelease,
    Unresolved,
    Ignored,
    /// An ignored issue came back by itself (the detail says why).
    Unignored,
    /// A resolved issue got a new event.
    Regression,
}

impl ActivityKind {
    pub const ALL: [Self; 8] = [
        Self::FirstSeen,
        Self::Resolved,
        Self::ResolvedInNextRelease,
        Self::ResolvedInRelease,
        Self::Unresolved,
        Self::Ignored,
        Self::Unignored,
        Self::Regression,
    ];

    /// The stored name (Sentry's activity type names where there is one).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FirstSeen => "first_seen",
            Self::Resolved => "set_resolved",
            Self::ResolvedInNextRelease => "set_resolved_in_next_release",
            Self::ResolvedInRelease => "set_resolved_in_release",
            Self::Unresolved => "set_unresolved",
            Self::Ignored => "set_ignored",
            Self::Unignored => "set_unignored",
            Self::Regression => "set_regression",
        }
    }

    pub fn parse(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
            .ok_or_else(|| StoreError::invalid(format!("unknown activity {name:?}")))
    }
}

impl fmt::Display for ActivityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who did it: a user, someone acting through an integration ("Slack: Ada"), or Errata
/// itself (`None` user and name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<UserId>,
    /// As shown; empty for Errata itself.
    pub name: String,
}

impl Actor {
    /// Errata itself (ingest, expiry).
    pub fn system() -> Self {
        Self::default()
    }

    pub fn user(id: UserId, name: impl Into<String>) -> Self {
        Self {
            user_id: Some(id),
            name: name.into(),
        }
    }
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub issue_id: IssueId,
    pub kind: ActivityKind,
    pub actor: Actor,
    /// Free text: the release resolved in, why an issue came back, the ignore's terms.
    pub detail: String,
    pub created_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for k in ActivityKind::ALL {
            assert_eq!(ActivityKind::parse(k.as_str()).unwrap(), k);
        }
        assert!(ActivityKind::parse("nope").unwrap_err().is_invalid());
    }
}
