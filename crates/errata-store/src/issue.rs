//! Issues: groups of events sharing a grouping hash, with the counters the UI shows
//! (events, distinct users, first/last seen and release) and per-tag value counts; plus the
//! listing query (status, free text, `key:value` tags) the Web API's `?query=` becomes.

use std::fmt;

use crate::error::{Result, StoreError};
use crate::id::{IssueId, ProjectId};
use crate::level::Level;
use crate::workflow::StatusDetails;

/// An issue's triage state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IssueStatus {
    Unresolved,
    /// Reopened (a regression) by the next event.
    Resolved,
    /// Stays ignored when events arrive.
    Ignored,
}

impl IssueStatus {
    /// The name stored in the database and used by Sentry's API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unresolved => "unresolved",
            Self::Resolved => "resolved",
            Self::Ignored => "ignored",
        }
    }

    /// Reads a name (as stored, or from an API request).
    pub fn parse(name: &str) -> Result<Self> {
        Ok(match name {
            "unresolved" => Self::Unresolved,
            "resolved" => Self::Resolved,
            "ignored" => Self::Ignored,
            other => {
                return Err(StoreError::invalid(format!(
                    "unknown issue status {other:?}"
                )));
            }
        })
    }
}

impl fmt::Display for IssueStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An issue with its counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub id: IssueId,
    pub project_id: ProjectId,
    /// Sequential per project (Sentry's `shortId` is `PROJECT-<base36 of this>`).
    pub short_id: i64,
    pub title: String,
    pub culprit: String,
    /// The level of the latest event.
    pub level: Level,
    pub event_type: String,
    /// The grouping's metadata of the latest event (JSON bytes).
    pub metadata: Vec<u8>,
    pub status: IssueStatus,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
    pub times_seen: u64,
    pub user_count: u64,
    pub first_release: Option<String>,
    pub last_release: Option<String>,
    pub resolved_at_ms: Option<i64>,
    /// How it was resolved or ignored, and whether it regressed.
    pub details: StatusDetails,
}

impl Issue {
    /// An issue is new for a week after it was first seen (Sentry's "new" substatus).
    pub fn is_new(&self, now_ms: i64) -> bool {
        now_ms.saturating_sub(self.first_seen_ms) < NEW_FOR_MS
    }

    /// Unresolved because an event came after it was resolved, within the last week.
    pub fn is_regressed(&self, now_ms: i64) -> bool {
        self.status == IssueStatus::Unresolved
            && self
                .details
                .regressed_at_ms
                .is_some_and(|at| now_ms.saturating_sub(at) < NEW_FOR_MS)
    }
}

/// How long the "new" and "regressed" badges last.
pub const NEW_FOR_MS: i64 = 7 * 24 * 3_600_000;

/// Events of one issue in one hour (kept by ingest, for charts and sparklines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourCount {
    pub issue_id: IssueId,
    /// The hour's start, Unix ms (a multiple of 3,600,000).
    pub hour_ms: i64,
    pub count: u64,
}

/// The hour bucket holding `ms`.
pub fn hour_start(ms: i64) -> i64 {
    ms.div_euclid(3_600_000) * 3_600_000
}

/// The tag holding an event's user identity. The store counts it like any tag, so an
/// issue's distinct users are the distinct values of this tag (as in Sentry's tag store),
/// and the UI's tag panel shows them.
pub const USER_TAG: &str = "sentry:user";

/// How many events of an issue had one tag value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagValueCount {
    pub key: String,
    pub value: String,
    pub times_seen: u64,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
}

/// Which issues to list. All conditions must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssueFilter {
    pub status: Option<IssueStatus>,
    /// Words that must each occur in the title or the culprit (case-insensitive for ASCII).
    pub text: Vec<String>,
    /// `key:value` pairs; the issue must have seen each value of each key.
    pub tags: Vec<(String, String)>,
}

impl IssueFilter {
    /// Reads Sentry's search syntax as far as Errata supports it: `is:unresolved`,
    /// `is:resolved`, `is:ignored`, `key:value` tag filters (values may be quoted), and
    /// free text (words, or quoted phrases).
    pub fn parse(query: &str) -> Result<Self> {
        let mut filter = Self::default();
        for token in tokenize(query) {
            match token.split_once(':') {
                Some(("is", status)) => filter.status = Some(IssueStatus::parse(status)?),
                Some((key, value)) if !key.is_empty() && !token.starts_with('"') => {
                    filter.tags.push((key.to_owned(), unquote(value)));
                }
                _ => filter.text.push(unquote(&token)),
            }
        }
        Ok(filter)
    }
}

/// Splits on whitespace outside double quotes.
fn tokenize(query: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in query.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

fn unquote(s: &str) -> String {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
        .to_owned()
}

/// The largest page the listings return.
pub const MAX_PAGE: usize = 100;

/// The order of an issue listing (ties: newest id first).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum IssueSort {
    /// Most recently seen first.
    #[default]
    LastSeen,
    /// Most recently first seen first.
    FirstSeen,
    /// Most events first.
    Events,
    /// Most distinct users first.
    Users,
}

impl IssueSort {
    pub const ALL: [Self; 4] = [Self::LastSeen, Self::FirstSeen, Self::Events, Self::Users];

    /// The name in URLs (Sentry's `sort=` values `date`, `new`, `freq`, `user` are read too).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LastSeen => "last_seen",
            Self::FirstSeen => "first_seen",
            Self::Events => "events",
            Self::Users => "users",
        }
    }

    pub fn parse(name: &str) -> Result<Self> {
        Ok(match name {
            "last_seen" | "date" => Self::LastSeen,
            "first_seen" | "new" => Self::FirstSeen,
            "events" | "freq" => Self::Events,
            "users" | "user" => Self::Users,
            other => return Err(StoreError::invalid(format!("unknown sort {other:?}"))),
        })
    }

    /// The value of `issue` this order sorts on (descending), as kept in cursors.
    pub fn key(self, issue: &Issue) -> i64 {
        match self {
            Self::LastSeen => issue.last_seen_ms,
            Self::FirstSeen => issue.first_seen_ms,
            Self::Events => i64::try_from(issue.times_seen).unwrap_or(i64::MAX),
            Self::Users => i64::try_from(issue.user_count).unwrap_or(i64::MAX),
        }
    }
}

/// One page of issues (of one project, or of all), in the order asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssueQuery {
    /// `None`: every project.
    pub project_id: Option<ProjectId>,
    pub filter: IssueFilter,
    pub sort: IssueSort,
    /// From the previous page's `next_cursor`; `None` for the first page.
    pub cursor: Option<String>,
    /// Clamped to `1..=MAX_PAGE`.
    pub limit: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sentry_queries() {
        let f =
            IssueFilter::parse(r#"is:resolved browser:"Chrome 1" TypeError "bad thing" "#).unwrap();
        assert_eq!(f.status, Some(IssueStatus::Resolved));
        assert_eq!(f.tags, vec![("browser".to_owned(), "Chrome 1".to_owned())]);
        assert_eq!(f.text, vec!["TypeError".to_owned(), "bad thing".to_owned()]);
        assert_eq!(IssueFilter::parse("").unwrap(), IssueFilter::default());
        assert!(IssueFilter::parse("is:bogus").unwrap_err().is_invalid());
    }

    #[test]
    fn status_names_round_trip() {
        for s in [
            IssueStatus::Unresolved,
            IssueStatus::Resolved,
            IssueStatus::Ignored,
        ] {
            assert_eq!(IssueStatus::parse(s.as_str()).unwrap(), s);
        }
    }
}
