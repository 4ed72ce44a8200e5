//! The issue's header: title, culprit, level, status with its detail text, badges,
//! project, first and last seen, releases and counts.

use crate::event_view::Moment;

/// An issue's workflow status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IssueStatus {
    /// Open (the default).
    #[default]
    Unresolved,
    /// Resolved (now or in the next release).
    Resolved,
    /// Ignored (forever or until a condition).
    Ignored,
}

impl IssueStatus {
    /// The text of `#issue-status`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Unresolved => "Unresolved",
            Self::Resolved => "Resolved",
            Self::Ignored => "Ignored",
        }
    }

    /// The class suffix (`status-unresolved`).
    pub fn class(self) -> &'static str {
        match self {
            Self::Unresolved => "unresolved",
            Self::Resolved => "resolved",
            Self::Ignored => "ignored",
        }
    }
}

/// The header of the issue page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssueHeader {
    /// The issue's id (in the URLs).
    pub id: i64,
    /// Such as `SHOP-1A`.
    pub short_id: String,
    /// Such as `KeyError: 'A-17'`.
    pub title: String,
    /// Where it happened, such as `checkout in load_order`.
    pub culprit: String,
    /// The latest event's level: one of `debug`, `info`, `warning`, `error`, `fatal`
    /// (anything else shows as `error`).
    pub level: String,
    /// The status.
    pub status: IssueStatus,
    /// Such as `Ignored until 2 more events` or `Resolved in the next release`
    /// (see [`ignore_detail`]).
    pub status_detail: Option<String>,
    /// Reopened by an event after being resolved.
    pub is_regressed: bool,
    /// First seen recently.
    pub is_new: bool,
    /// The project's slug (in the URLs).
    pub project_slug: String,
    /// The project's name.
    pub project_name: String,
    /// When the first event happened.
    pub first_seen: Moment,
    /// When the latest event happened.
    pub last_seen: Moment,
    /// The release of the first event.
    pub first_release: Option<String>,
    /// The release of the latest event.
    pub last_release: Option<String>,
    /// How many events.
    pub events: u64,
    /// How many distinct users.
    pub users: u64,
}

impl IssueHeader {
    /// The level, limited to the five known names (it goes into a class).
    pub fn level_class(&self) -> &'static str {
        match self.level.as_str() {
            "debug" => "debug",
            "info" => "info",
            "warning" => "warning",
            "fatal" => "fatal",
            _ => "error",
        }
    }

    /// `/projects/{slug}/issues/`, or `None` when the slug has characters a slug
    /// cannot have.
    pub fn project_href(&self) -> Option<String> {
        let ok = !self.project_slug.is_empty()
            && self
                .project_slug
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| format!("/projects/{}/issues/", self.project_slug))
    }
}

/// The detail text of an ignored issue: `Ignored until <when>`, `... until 2 more
/// events`, `... until 5 more users`, joined with "or"; `Ignored forever` without a
/// condition.
pub fn ignore_detail(
    until: Option<&Moment>,
    more_events: Option<u64>,
    more_users: Option<u64>,
) -> String {
    let plural = |n: u64, noun: &str| {
        if n == 1 {
            format!("{n} more {noun}")
        } else {
            format!("{n} more {noun}s")
        }
    };
    let mut parts = Vec::new();
    if let Some(until) = until {
        parts.push(until.utc.clone());
    }
    if let Some(n) = more_events {
        parts.push(plural(n, "event"));
    }
    if let Some(n) = more_users {
        parts.push(plural(n, "user"));
    }
    if parts.is_empty() {
        "Ignored forever".to_owned()
    } else {
        format!("Ignored until {}", parts.join(" or "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_details_read_well() {
        assert_eq!(ignore_detail(None, None, None), "Ignored forever");
        assert_eq!(
            ignore_detail(None, Some(2), None),
            "Ignored until 2 more events"
        );
        let at = Moment::from_millis(0, 0);
        assert_eq!(
            ignore_detail(Some(&at), None, Some(1)),
            "Ignored until 1970-01-01 00:00:00 UTC or 1 more user"
        );
    }

    #[test]
    fn odd_levels_and_slugs_are_contained() {
        let header = IssueHeader {
            level: "\"><x".into(),
            project_slug: "a/../b".into(),
            ..IssueHeader::default()
        };
        assert_eq!(header.level_class(), "error");
        assert_eq!(header.project_href(), None);
        let ok = IssueHeader {
            project_slug: "shop-api".into(),
            ..IssueHeader::default()
        };
        assert_eq!(
            ok.project_href().as_deref(),
            Some("/projects/shop-api/issues/")
        );
    }
}
