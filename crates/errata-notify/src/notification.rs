//! The view model of one alert, filled by the server from store rows and rendered by every
//! channel: the trigger, the project, the issue with its counts, the event that set it off
//! (when there is one) and the link back to the issue page. Every string here is hostile
//! user data (titles, culprits, messages, tags come from SDKs): renderers escape and
//! truncate for their target (see [`crate::escape`]).

use errata_store::Trigger;

/// The most stack excerpt lines a notification carries.
pub const MAX_FRAMES: usize = 10;

/// One alert to render and send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub trigger: Trigger,
    /// The delivery's [`errata_store::Delivery::message_id`]: the same on every attempt,
    /// the id receivers de-duplicate on.
    pub delivery_id: String,
    pub project: ProjectSummary,
    pub issue: IssueSummary,
    pub event: Option<EventSummary>,
    /// The issue's page on this Errata (absolute URL).
    pub issue_url: String,
    /// The name of the rule that fired, if a rule did.
    pub rule: Option<String>,
}

/// The project an alert is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectSummary {
    pub slug: String,
    pub name: String,
}

/// The issue an alert is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueSummary {
    pub id: i64,
    /// `PROJ-12`.
    pub short_id: String,
    pub title: String,
    pub culprit: String,
    /// `error`, `warning`...
    pub level: String,
    /// `unresolved`, `resolved`, `ignored`.
    pub status: String,
    pub times_seen: u64,
    pub user_count: u64,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
}

/// The event that set the alert off.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventSummary {
    pub event_id: String,
    pub environment: Option<String>,
    pub release: Option<String>,
    pub message: Option<String>,
    /// The exception's type and value.
    pub exception: Option<(String, String)>,
    /// Stack excerpt lines, innermost first, at most [`MAX_FRAMES`] are rendered.
    pub frames: Vec<String>,
    pub tags: Vec<(String, String)>,
}

impl Notification {
    /// A test notification for `project`, as sent by "Send test notification": a made-up
    /// issue (id 0) whose link is `issue_url`.
    pub fn sample(
        project: ProjectSummary,
        delivery_id: impl Into<String>,
        issue_url: impl Into<String>,
        now_ms: i64,
    ) -> Self {
        let short_id = format!("{}-0", project.slug.to_uppercase());
        Self {
            trigger: Trigger::Test,
            delivery_id: delivery_id.into(),
            issue: IssueSummary {
                id: 0,
                short_id,
                title: "TestNotification: this is a test notification from Errata".to_owned(),
                culprit: "errata.alerts in send_test".to_owned(),
                level: "info".to_owned(),
                status: "unresolved".to_owned(),
                times_seen: 1,
                user_count: 0,
                first_seen_ms: now_ms,
                last_seen_ms: now_ms,
            },
            event: Some(EventSummary {
                event_id: "00000000000000000000000000000000".to_owned(),
                environment: Some("test".to_owned()),
                release: None,
                message: Some("If you can read this, the channel works.".to_owned()),
                exception: Some((
                    "TestNotification".to_owned(),
                    "this is a test notification from Errata".to_owned(),
                )),
                frames: vec!["errata/alerts.py in send_test at line 1".to_owned()],
                tags: vec![("source".to_owned(), "test".to_owned())],
            }),
            issue_url: issue_url.into(),
            rule: None,
            project,
        }
    }

    /// The environment of the event, if any.
    pub fn environment(&self) -> Option<&str> {
        self.event.as_ref()?.environment.as_deref()
    }

    /// The release of the event, if any.
    pub fn release(&self) -> Option<&str> {
        self.event.as_ref()?.release.as_deref()
    }

    /// The stack excerpt lines to render (at most [`MAX_FRAMES`]).
    pub fn frames(&self) -> &[String] {
        self.event
            .as_ref()
            .map_or(&[][..], |e| &e.frames[..e.frames.len().min(MAX_FRAMES)])
    }

    /// `exception type: value` or the message, whichever the event has.
    pub fn headline(&self) -> Option<String> {
        let event = self.event.as_ref()?;
        match (&event.exception, &event.message) {
            (Some((ty, value)), _) if value.is_empty() => Some(ty.clone()),
            (Some((ty, value)), _) => Some(format!("{ty}: {value}")),
            (None, Some(message)) => Some(message.clone()),
            (None, None) => None,
        }
    }
}

/// A Unix-ms time as `2026-01-31 12:00:00 UTC` (the raw number when out of range).
pub fn utc(ms: i64) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| ms.to_string())
}

/// A Unix-ms time as RFC 3339 (the Unix epoch when out of range).
pub fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A notification with hostile strings in every field.
    pub(crate) fn hostile() -> Notification {
        let big = "A".repeat(100_000);
        let nasty =
            "<script>alert(1)</script> ``` `x` <!channel> @here & \r\nBcc: x@y [l](javascript:1)";
        Notification {
            trigger: Trigger::NewIssue,
            delivery_id: "errata_7".to_owned(),
            project: ProjectSummary {
                slug: "api".to_owned(),
                name: format!("{nasty}{big}"),
            },
            issue: IssueSummary {
                id: 42,
                short_id: "API-42".to_owned(),
                title: format!("{nasty}{big}"),
                culprit: format!("{nasty}{big}"),
                level: "error".to_owned(),
                status: "unresolved".to_owned(),
                times_seen: 17,
                user_count: 3,
                first_seen_ms: 1_700_000_000_000,
                last_seen_ms: 1_700_000_100_000,
            },
            event: Some(EventSummary {
                event_id: "0123456789abcdef0123456789abcdef".to_owned(),
                environment: Some(format!("{nasty}{big}")),
                release: Some(format!("{nasty}{big}")),
                message: Some(format!("{nasty}{big}")),
                exception: Some((format!("{nasty}{big}"), format!("{nasty}{big}"))),
                frames: vec![format!("{nasty}{big}"); 50],
                tags: vec![(format!("{nasty}{big}"), format!("{nasty}{big}")); 50],
            }),
            issue_url: "https://errata.example/organizations/o/issues/42/".to_owned(),
            rule: Some(format!("{nasty}{big}")),
        }
    }

    #[test]
    fn times_render_in_utc() {
        assert_eq!(utc(1_700_000_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(rfc3339(1_700_000_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(utc(i64::MAX), i64::MAX.to_string());
    }

    #[test]
    fn frames_are_bounded() {
        assert_eq!(hostile().frames().len(), MAX_FRAMES);
        let n = Notification::sample(
            ProjectSummary {
                slug: "api".into(),
                name: "API".into(),
            },
            "errata_1",
            "https://e/x",
            0,
        );
        assert_eq!(n.issue.short_id, "API-0");
        assert!(n.headline().unwrap().starts_with("TestNotification: "));
    }
}
