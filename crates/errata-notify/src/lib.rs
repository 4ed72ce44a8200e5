//! Errata's outbound notifications: renders and sends alerts to Slack/Mattermost, signed
//! webhooks, email and GitHub/GitLab issues, over an HTTP client that refuses link-local
//! and cloud-metadata addresses.
//!
//! The server's dispatcher claims a delivery from the outbox, fills a [`Notification`] from
//! the store and calls [`Sender::deliver`] (a channel) or [`Sender::deliver_email`] (a
//! member); it records the returned [`Attempt`]. This crate has no database access.
//!
//! | file | concern |
//! |---|---|
//! | `notification.rs` | the view model every renderer reads |
//! | `escape.rs` | escaping and truncation for Slack, HTML, Markdown |
//! | `slack.rs`, `slack_interactive.rs` | Slack/Mattermost messages; button clicks |
//! | `webhook.rs` | the webhook payload and its Standard Webhooks signature |
//! | `email.rs` | SMTP, the alert email, the per-recipient cap |
//! | `tracker.rs` | GitHub and GitLab issues |
//! | `net.rs` | the HTTP client and its address guard |
//! | `sender.rs` | the entry point and the classification of outcomes |
//!
//! # Webhook payload
//!
//! A webhook channel receives `POST` requests with a JSON body (`Content-Type:
//! application/json`):
//!
//! ```json
//! {
//!   "trigger": "new_issue",
//!   "delivery_id": "errata_1234",
//!   "project": {"slug": "api", "name": "API"},
//!   "issue": {
//!     "id": 42, "short_id": "API-42", "title": "TypeError: x is undefined",
//!     "culprit": "app/main.js in handler", "level": "error", "status": "unresolved",
//!     "count": 17, "user_count": 3,
//!     "first_seen": "2026-01-31T12:00:00Z", "last_seen": "2026-01-31T12:05:00Z",
//!     "url": "https://errata.example.com/issues/42/"
//!   },
//!   "event": {
//!     "event_id": "0123456789abcdef0123456789abcdef",
//!     "environment": "production", "release": "1.4.2", "message": null,
//!     "exception": {"type": "TypeError", "value": "x is undefined"},
//!     "frames": ["app/main.js in handler at line 12"],
//!     "tags": [["browser", "Firefox 120"]]
//!   },
//!   "rule": "Notify on new issues",
//!   "sent_at": "2026-01-31T12:00:01Z"
//! }
//! ```
//!
//! `trigger` is one of `new_issue`, `regression`, `unignored`, `frequency`, `user_count`,
//! `test`, `manual`. `event` is `null` when no event set the alert off, `rule` when no rule
//! did. Strings are cut at 8192 characters, `frames` (innermost first) at 10 and `tags` at
//! 100. New fields may be added; receivers should ignore fields they do not know.
//!
//! # Verifying a webhook
//!
//! Requests are signed the [Standard Webhooks](https://www.standardwebhooks.com/) way, so
//! its libraries (Rust `standardwebhooks`, Python `standardwebhooks`, JavaScript
//! `standardwebhooks`...) verify them with the channel's secret (`whsec_...`). By hand:
//!
//! 1. Read the headers `webhook-id` (the delivery id, the same on every retry: use it to
//!    drop duplicates), `webhook-timestamp` (Unix seconds) and `webhook-signature`
//!    (`v1,<base64>`, possibly several separated by spaces).
//! 2. Refuse timestamps more than 5 minutes from your clock (replays).
//! 3. Key: base64-decode the secret after its `whsec_` prefix.
//! 4. Compute `base64(HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{raw body}"))` over
//!    the raw body bytes, before any JSON parsing.
//! 5. Compare it, in constant time, with each `v1,` signature; accept if one matches.
//!
//! Answer 2xx quickly. 408, 429 and 5xx answers, timeouts and connection failures are
//! retried with backoff for up to a day; any other answer (a 410 Gone included) fails the
//! delivery for good. Redirects are not followed.
//!
//! # Address guard
//!
//! Channel URLs are user input; the HTTP client (see [`net`]) never contacts link-local or
//! cloud-metadata addresses, and loopback or private ones only when
//! [`NetPolicy::allow_private`] is set.

pub mod email;
pub mod error;
pub mod escape;
pub mod net;
pub mod notification;
pub mod sender;
pub mod slack;
pub mod slack_interactive;
pub mod tracker;
pub mod webhook;

pub use email::{Mailer, RecipientCap, SendOutcome};
pub use error::{NotifyError, Result};
pub use net::{HttpClient, NetPolicy, Timeouts};
pub use notification::{EventSummary, IssueSummary, Notification, ProjectSummary};
pub use sender::{Attempt, Sender, SenderConfig};
pub use slack::{slack_action_update, slack_message};
pub use slack_interactive::{
    InteractionError, SlackAction, SlackAuthError, SlackInteraction, outcome_text,
    parse_interaction, verify_slack_signature,
};
pub use tracker::TrackerIssue;
pub use webhook::{generate_secret, sign, webhook_payload};
