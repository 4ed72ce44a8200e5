//! The issue workflow: how a person changes an issue's status (resolve now, in the next
//! release or in a given release; ignore forever, for a while, or until N more events or
//! users; unresolve), what an issue remembers about that change, and the rules every
//! backend applies when events arrive (a resolved issue regresses, an ignored one comes
//! back). The rules are pure functions here so that every backend applies the same ones.

use crate::activity::ActivityKind;
use crate::error::{Result, StoreError};
use crate::event::MAX_TAG_VALUE_LEN;
use crate::issue::IssueStatus;

/// How an issue was resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Any later event reopens it.
    Now,
    /// The fix ships in the next release: only events from a release first seen after the
    /// resolution reopen it; events from the current and older releases do not.
    InNextRelease,
    /// The fix is in this release: events from it or from a release first seen after it
    /// reopen the issue; older releases do not.
    InRelease(String),
}

/// What resolving an issue stores and logs ([`Resolution::plan`]), decided once for every
/// backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvePlan<'a> {
    /// The stored name of the resolution: `now`, `next_release` or `release`.
    pub name: &'static str,
    /// The release it was resolved in, for [`Resolution::InRelease`].
    pub release: Option<&'a str>,
    /// Events from releases first seen at or after this time regress the issue (`None`:
    /// every event does).
    pub regress_from_release_ms: Option<i64>,
    /// The activity logged.
    pub activity: ActivityKind,
    /// The activity's detail.
    pub detail: String,
}

impl Resolution {
    /// Checks the resolution and says what to store: `last_release` is the issue's latest
    /// release, `first_seen` reads when a release was first seen in the issue's project
    /// (asked only for [`Resolution::InRelease`]; a release never seen counts from now).
    /// A release name that is empty or longer than a tag value is invalid.
    pub fn plan<'a>(
        &'a self,
        last_release: Option<&str>,
        now_ms: i64,
        first_seen: impl FnOnce(&str) -> Result<Option<i64>>,
    ) -> Result<ResolvePlan<'a>> {
        Ok(match self {
            Self::Now => ResolvePlan {
                name: "now",
                release: None,
                regress_from_release_ms: None,
                activity: ActivityKind::Resolved,
                detail: String::new(),
            },
            // Releases first seen from now on carry the fix.
            Self::InNextRelease => ResolvePlan {
                name: "next_release",
                release: None,
                regress_from_release_ms: Some(now_ms.saturating_add(1)),
                activity: ActivityKind::ResolvedInNextRelease,
                detail: last_release
                    .map(|r| format!("after {r}"))
                    .unwrap_or_default(),
            },
            Self::InRelease(version) => {
                if version.is_empty() || version.len() > MAX_TAG_VALUE_LEN {
                    return Err(StoreError::invalid(format!(
                        "a release has 1 to {MAX_TAG_VALUE_LEN} bytes"
                    )));
                }
                ResolvePlan {
                    name: "release",
                    release: Some(version.as_str()),
                    regress_from_release_ms: Some(first_seen(version)?.unwrap_or(now_ms)),
                    activity: ActivityKind::ResolvedInRelease,
                    detail: version.clone(),
                }
            }
        })
    }
}

impl IgnoreUntil {
    /// The activity detail of ignoring with these conditions and their `thresholds`
    /// ("for 30 minutes", "until 10 more events"...; empty for forever).
    pub fn detail(&self, thresholds: IgnoreThresholds) -> String {
        let details = StatusDetails {
            ignore: (!self.forever()).then_some(thresholds),
            ..Default::default()
        };
        details
            .describe(IssueStatus::Ignored)
            .unwrap_or_default()
            .trim_start_matches("Ignored ")
            .to_owned()
    }
}

/// When an ignored issue comes back as unresolved by itself. Every condition given is
/// checked; the first that holds brings it back. None given: ignored forever.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IgnoreUntil {
    /// For this many minutes.
    pub minutes: Option<u64>,
    /// Until this many more events.
    pub events: Option<u64>,
    /// Until this many more distinct users.
    pub users: Option<u64>,
}

impl IgnoreUntil {
    pub fn forever(&self) -> bool {
        self.minutes.is_none() && self.events.is_none() && self.users.is_none()
    }
}

/// A status change asked for by a person (or an integration acting for one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusChange {
    Resolve(Resolution),
    Ignore(IgnoreUntil),
    Unresolve,
}

impl StatusChange {
    /// The status the issue has after the change.
    pub fn status(&self) -> IssueStatus {
        match self {
            Self::Resolve(_) => IssueStatus::Resolved,
            Self::Ignore(_) => IssueStatus::Ignored,
            Self::Unresolve => IssueStatus::Unresolved,
        }
    }
}

impl From<IssueStatus> for StatusChange {
    fn from(status: IssueStatus) -> Self {
        match status {
            IssueStatus::Unresolved => Self::Unresolve,
            IssueStatus::Resolved => Self::Resolve(Resolution::Now),
            IssueStatus::Ignored => Self::Ignore(IgnoreUntil::default()),
        }
    }
}

/// What an issue remembers of its last status change, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusDetails {
    /// Set while resolved.
    pub resolution: Option<Resolution>,
    /// While resolved in a release: an event regresses the issue only when its release was
    /// first seen at or after this time (a release never seen counts as seen now).
    pub regress_from_release_ms: Option<i64>,
    /// While ignored with conditions: the thresholds, absolute.
    pub ignore: Option<IgnoreThresholds>,
    /// When the issue last regressed (cleared when it is resolved or ignored again).
    pub regressed_at_ms: Option<i64>,
}

/// An ignore's conditions as absolute thresholds on the issue's counters, with what was
/// asked (to show "until 2 more events").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IgnoreThresholds {
    pub until_ms: Option<i64>,
    /// Comes back when `times_seen` reaches this.
    pub times_seen: Option<u64>,
    /// Comes back when `user_count` reaches this.
    pub user_count: Option<u64>,
    /// As asked.
    pub asked: IgnoreUntil,
}

impl IgnoreThresholds {
    /// The thresholds for `until`, from the issue's counters at the time of the change.
    pub fn new(until: &IgnoreUntil, now_ms: i64, times_seen: u64, user_count: u64) -> Self {
        let minutes_ms = |m: u64| i64::try_from(m.saturating_mul(60_000)).unwrap_or(i64::MAX);
        Self {
            until_ms: until.minutes.map(|m| now_ms.saturating_add(minutes_ms(m))),
            times_seen: until.events.map(|n| times_seen.saturating_add(n)),
            user_count: until.users.map(|n| user_count.saturating_add(n)),
            asked: until.clone(),
        }
    }

    /// Why an ignored issue with these counters comes back, if it does.
    pub fn reached(&self, now_ms: i64, times_seen: u64, user_count: u64) -> Option<Unignore> {
        if let (Some(threshold), Some(asked)) = (self.times_seen, self.asked.events)
            && times_seen >= threshold
        {
            return Some(Unignore::Events(asked));
        }
        if let (Some(threshold), Some(asked)) = (self.user_count, self.asked.users)
            && user_count >= threshold
        {
            return Some(Unignore::Users(asked));
        }
        if let (Some(until), Some(asked)) = (self.until_ms, self.asked.minutes)
            && now_ms >= until
        {
            return Some(Unignore::Expired(asked));
        }
        None
    }
}

/// Why an ignored issue came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unignore {
    /// It got this many more events.
    Events(u64),
    /// It reached this many more users.
    Users(u64),
    /// Ignored for this many minutes, which passed.
    Expired(u64),
}

impl Unignore {
    /// A sentence for the activity log.
    pub fn describe(self) -> String {
        match self {
            Self::Events(n) => format!("came back after {n} more event{}", plural(n)),
            Self::Users(n) => format!("came back after {n} more user{}", plural(n)),
            Self::Expired(m) => format!("came back: ignored for {}", minutes_text(m)),
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `90` -> "1 h 30 min", `10080` -> "7 d".
pub fn minutes_text(minutes: u64) -> String {
    let (d, h, m) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let mut parts = Vec::new();
    if d > 0 {
        parts.push(format!("{d} d"));
    }
    if h > 0 {
        parts.push(format!("{h} h"));
    }
    if m > 0 || parts.is_empty() {
        parts.push(format!("{m} min"));
    }
    parts.join(" ")
}

/// What is known of an event's release when it arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventRelease {
    /// The event names no release.
    Unknown,
    /// A release the project had never seen.
    New,
    /// A release first seen in the project at this time.
    FirstSeen(i64),
}

/// Whether an event reopens a resolved issue.
pub fn regresses(details: &StatusDetails, release: EventRelease) -> bool {
    match details.regress_from_release_ms {
        None => true,
        Some(threshold) => match release {
            // No release: cannot tell whether it has the fix; it stays resolved.
            EventRelease::Unknown => false,
            // A release never seen before is newer than any threshold.
            EventRelease::New => true,
            EventRelease::FirstSeen(first_seen) => first_seen >= threshold,
        },
    }
}

impl StatusDetails {
    /// A short sentence for the issue's header: "Resolved in the next release",
    /// "Ignored until 2 more events"...
    pub fn describe(&self, status: IssueStatus) -> Option<String> {
        match status {
            IssueStatus::Resolved => Some(match &self.resolution {
                Some(Resolution::InNextRelease) => "Resolved in the next release".to_owned(),
                Some(Resolution::InRelease(r)) => format!("Resolved in release {r}"),
                _ => "Resolved".to_owned(),
            }),
            IssueStatus::Ignored => {
                let Some(ignore) = &self.ignore else {
                    return Some("Ignored forever".to_owned());
                };
                let mut parts = Vec::new();
                if let Some(m) = ignore.asked.minutes {
                    parts.push(format!("for {}", minutes_text(m)));
                }
                if let Some(n) = ignore.asked.events {
                    parts.push(format!("until {n} more event{}", plural(n)));
                }
                if let Some(n) = ignore.asked.users {
                    parts.push(format!("until {n} more user{}", plural(n)));
                }
                if parts.is_empty() {
                    Some("Ignored forever".to_owned())
                } else {
                    Some(format!("Ignored {}", parts.join(" or ")))
                }
            }
            IssueStatus::Unresolved => self.regressed_at_ms.map(|_| "Regressed".to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_thresholds_are_relative_to_the_counters_at_the_change() {
        let until = IgnoreUntil {
            minutes: Some(30),
            events: Some(2),
            users: None,
        };
        let t = IgnoreThresholds::new(&until, 1_000, 10, 3);
        assert_eq!(t.until_ms, Some(1_000 + 30 * 60_000));
        assert_eq!(t.times_seen, Some(12));
        assert_eq!(t.reached(2_000, 11, 3), None);
        assert_eq!(t.reached(2_000, 12, 3), Some(Unignore::Events(2)));
        assert_eq!(
            t.reached(1_000 + 30 * 60_000, 11, 3),
            Some(Unignore::Expired(30))
        );
        assert!(IgnoreUntil::default().forever());
    }

    #[test]
    fn release_resolutions_regress_only_for_newer_releases() {
        let now = StatusDetails::default();
        assert!(regresses(&now, EventRelease::Unknown));
        let next = StatusDetails {
            regress_from_release_ms: Some(5_000),
            ..StatusDetails::default()
        };
        assert!(
            !regresses(&next, EventRelease::Unknown),
            "no release: stays resolved"
        );
        assert!(
            !regresses(&next, EventRelease::FirstSeen(4_999)),
            "an older release"
        );
        assert!(regresses(&next, EventRelease::FirstSeen(5_000)));
        assert!(regresses(&next, EventRelease::New), "a release never seen");
    }

    #[test]
    fn details_describe_themselves() {
        let d = StatusDetails {
            ignore: Some(IgnoreThresholds::new(
                &IgnoreUntil {
                    minutes: Some(90),
                    events: Some(1),
                    users: None,
                },
                0,
                0,
                0,
            )),
            ..StatusDetails::default()
        };
        assert_eq!(
            d.describe(IssueStatus::Ignored).unwrap(),
            "Ignored for 1 h 30 min or until 1 more event"
        );
        assert_eq!(minutes_text(10_080), "7 d");
        assert_eq!(
            Unignore::Users(3).describe(),
            "came back after 3 more users"
        );
    }
}
