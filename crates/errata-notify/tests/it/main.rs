//! Integration tests of errata-notify against real parts: a local HTTP receiver standing
//! in for Slack, a webhook endpoint, GitHub and GitLab (checking what the real ones would),
//! and a real SMTP server (Python's `aiosmtpd`) on loopback.

mod http_channels;
mod receiver;
mod smtp;

use errata_notify::{EventSummary, IssueSummary, Notification, ProjectSummary};
use errata_store::{Channel, ChannelId, ChannelKind, ProjectId, Trigger};

/// A notification with hostile strings in its title and stack.
pub(crate) fn notification() -> Notification {
    let hostile = "<script>alert(1)</script> ``` `x` <!channel> @here & \"q\"\r\nBcc: evil@x.io";
    Notification {
        trigger: Trigger::NewIssue,
        delivery_id: "errata_99".to_owned(),
        project: ProjectSummary {
            slug: "api".to_owned(),
            name: "API & <Co>".to_owned(),
        },
        issue: IssueSummary {
            id: 42,
            short_id: "API-42".to_owned(),
            title: format!("TypeError: {hostile}"),
            culprit: "app/main.js in handler".to_owned(),
            level: "error".to_owned(),
            status: "unresolved".to_owned(),
            times_seen: 17,
            user_count: 3,
            first_seen_ms: 1_700_000_000_000,
            last_seen_ms: 1_700_000_100_000,
        },
        event: Some(EventSummary {
            event_id: "0123456789abcdef0123456789abcdef".to_owned(),
            environment: Some("production".to_owned()),
            release: Some("1.4.2".to_owned()),
            message: None,
            exception: Some(("TypeError".to_owned(), hostile.to_owned())),
            frames: vec![
                "app/main.js in handler at line 12".to_owned(),
                format!("app/{hostile} in x"),
                "x".repeat(100_000),
            ],
            tags: vec![("browser".to_owned(), "Firefox".to_owned())],
        }),
        issue_url: "https://errata.example/organizations/acme/issues/42/".to_owned(),
        rule: Some("Notify on new issues".to_owned()),
    }
}

pub(crate) fn channel(kind: ChannelKind, target: &str, secret: Option<&str>) -> Channel {
    Channel {
        id: ChannelId(1),
        project_id: ProjectId(1),
        kind,
        name: "test".to_owned(),
        target: target.to_owned(),
        secret: secret.map(str::to_owned),
        api_base: None,
        enabled: true,
        created_ms: 0,
    }
}
