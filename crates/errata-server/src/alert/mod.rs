//! Alerting on the server: the dispatcher that sends the outbox's deliveries (queued by
//! ingest in the event's transaction) through `errata-notify` and records every attempt,
//! test notifications, issues filed in GitHub or GitLab by hand, and Slack's button
//! clicks (`POST /integrations/slack/interactive`). Sending never happens on the ingest
//! path: a handler only wakes the dispatcher after its commit.

pub(crate) mod dispatcher;
pub(crate) mod notification;
pub(crate) mod slack_action;

use std::sync::Arc;

use errata_notify::email::Mailer;
use errata_notify::net::NetPolicy;
use errata_notify::notification::{Notification, ProjectSummary};
use errata_notify::sender::{Attempt, Sender, SenderConfig};
use errata_store::{AttemptResult, Channel, Issue, IssueLink, Trigger};
use tokio::sync::Notify;

use crate::config::Config;
use crate::state::AppState;

/// This node's alerting: the sender and the dispatcher's wake-up.
#[derive(Debug)]
pub struct Alerts {
    pub(crate) sender: Sender,
    wake: Notify,
    /// This process's name in delivery claims and in the list of live nodes.
    pub(crate) claimer: String,
}

impl Alerts {
    /// The sender from the configuration (SMTP, Slack buttons, network policy).
    pub fn new(config: &Config) -> Result<Self, errata_notify::error::NotifyError> {
        Ok(Self {
            sender: sender(config)?,
            wake: Notify::new(),
            claimer: format!(
                "errata-{}-{}",
                std::process::id(),
                uuid::Uuid::new_v4().simple()
            ),
        })
    }

    /// Tells the dispatcher that deliveries were queued (it also looks every second).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub(crate) async fn woken(&self) {
        self.wake.notified().await;
    }
}

fn sender(config: &Config) -> Result<Sender, errata_notify::error::NotifyError> {
    let alerts = &config.alerts;
    let mailer = alerts
        .smtp_url
        .as_ref()
        .map(|url| Mailer::from_url(url.expose(), &alerts.smtp_from))
        .transpose()?;
    Sender::new(SenderConfig {
        net: NetPolicy {
            allow_private: alerts.allow_private_addresses,
        },
        mailer,
        slack_buttons: alerts.slack_signing_secret.is_some(),
        email_cap_per_hour: alerts.email_cap_per_hour,
        ..SenderConfig::default()
    })
}

/// What a test notification gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestOutcome {
    pub delivered: bool,
    pub status: Option<u16>,
    pub detail: String,
}

impl From<Attempt> for TestOutcome {
    fn from(a: Attempt) -> Self {
        let delivered = a.result == AttemptResult::Delivered;
        let detail = match (&a.error, &a.link) {
            (_, Some(link)) => format!("delivered: created {}", link.reference),
            (Some(e), _) => e.clone(),
            (None, None) if delivered => "delivered".to_owned(),
            (None, None) => a.result.as_str().to_owned(),
        };
        Self {
            delivered,
            status: a.status,
            detail,
        }
    }
}

fn sample(public_url: &str, channel: &Channel, project: ProjectSummary) -> Notification {
    let now = crate::now_ms();
    Notification::sample(
        project,
        format!("errata_test_{}_{now}", channel.id),
        format!("{public_url}/"),
        now,
    )
}

/// Sends a sample notification to the channel now (not through the outbox). A tracker
/// channel really files the sample issue: that is what testing it means.
pub(crate) async fn send_test(state: &AppState, channel: &Channel) -> TestOutcome {
    let project_id = channel.project_id;
    let project = match state.store_call(move |s| s.store.project(project_id)).await {
        Ok(p) => ProjectSummary {
            slug: p.slug,
            name: p.name,
        },
        Err(e) => {
            return TestOutcome {
                delivered: false,
                status: None,
                detail: format!("cannot read the project: {e}"),
            };
        }
    };
    let n = sample(&state.public_url, channel, project);
    state.alerts.sender.deliver(channel, &n).await.into()
}

/// For the CLI: the same test send, from a configuration (no server running).
pub async fn send_test_with(config: &Config, channel: &Channel) -> TestOutcome {
    let sender = match sender(config) {
        Ok(s) => s,
        Err(e) => {
            return TestOutcome {
                delivered: false,
                status: None,
                detail: e.to_string(),
            };
        }
    };
    let project = ProjectSummary {
        slug: format!("project-{}", channel.project_id),
        name: String::new(),
    };
    let n = sample(&config.public_base_url(), channel, project);
    sender.deliver(channel, &n).await.into()
}

/// A new webhook signing secret (`whsec_...`).
pub fn generate_webhook_secret() -> String {
    errata_notify::webhook::generate_secret()
}

/// Files the issue in the tracker channel (GitHub or GitLab) now, records the link in the
/// issue and returns it.
pub(crate) async fn file_in_tracker(
    state: &AppState,
    issue: &Issue,
    channel: &Channel,
) -> Result<IssueLink, String> {
    if !channel.kind.is_tracker() {
        return Err(format!("{} is not an issue tracker", channel.name));
    }
    if channel.project_id != issue.project_id {
        return Err("the tracker belongs to another project".to_owned());
    }
    let (issue_id, project_id) = (issue.id, issue.project_id);
    let (project, latest) = state
        .store_call(move |s| {
            let project = s.store.project(project_id)?;
            let latest = match s.store.latest_event(issue_id) {
                Ok(e) => Some(e),
                Err(e) if e.is_not_found() => None,
                Err(e) => return Err(e),
            };
            Ok((project, latest))
        })
        .await
        .map_err(|e| format!("cannot read the issue: {e}"))?;
    let n = notification::build(
        &state.public_url,
        &project,
        issue,
        latest.as_ref(),
        Trigger::Manual,
        format!("errata_manual_{}_{}", issue.id, crate::now_ms()),
        None,
    );
    let attempt = state.alerts.sender.deliver(channel, &n).await;
    let Some(created) = attempt.link else {
        return Err(attempt
            .error
            .unwrap_or_else(|| "the tracker did not create an issue".to_owned()));
    };
    let link = IssueLink {
        issue_id,
        kind: channel.kind,
        url: created.url,
        reference: created.reference,
        created_ms: crate::now_ms(),
    };
    let stored = link.clone();
    state
        .store_call(move |s| s.store.add_issue_link(&stored))
        .await
        .map_err(|e| format!("created {}, but recording the link failed: {e}", link.url))?;
    Ok(link)
}

/// The shared handle type in [`AppState`].
pub type AlertsHandle = Arc<Alerts>;
