//! Alerting's rows and rules: channels (where a notification goes), alert rules (when one
//! is sent), the outbox of deliveries (what is still to send, written in the transaction of
//! the event that triggers it) with its attempts, and links from issues to the GitHub or
//! GitLab issues made from them. The rules are pure functions here, so every backend
//! decides the same way which rules fire and when a failed delivery is tried again.

use std::fmt;

use uuid::Uuid;

use crate::error::{Result, StoreError};
use crate::id::{AlertRuleId, ChannelId, DeliveryId, IssueId, ProjectId, UserId};
use crate::level::Level;

/// The longest channel name, target or API base accepted.
pub const MAX_CHANNEL_FIELD_LEN: usize = 2048;
/// The longest rule name accepted.
pub const MAX_RULE_NAME_LEN: usize = 200;
/// The longest filter value accepted.
pub const MAX_FILTER_LEN: usize = 200;
/// The longest window a frequency or user-count condition may count over (a week).
pub const MAX_WINDOW_MINUTES: u32 = 7 * 24 * 60;
/// The highest count a frequency or user-count condition may ask for.
pub const MAX_CONDITION_COUNT: u32 = 1_000_000;
/// The longest cooldown accepted (30 days).
pub const MAX_COOLDOWN_MINUTES: u32 = 30 * 24 * 60;
/// The cooldown of a new rule unless told otherwise.
pub const DEFAULT_COOLDOWN_MINUTES: u32 = 30;
/// A user-count condition reads at most this many of the issue's recent events (a bound on
/// its cost; an issue past it has that many events in the window, usually enough users).
pub const USER_COUNT_SCAN_LIMIT: u32 = 10_000;
/// A delivery that has not succeeded this long after it was queued is given up.
pub const GIVE_UP_AFTER_MS: i64 = 24 * 60 * 60 * 1000;
/// How long a claimed delivery stays with its claimer before another node may take it.
pub const DELIVERY_LEASE_MS: i64 = 60_000;

/// Where notifications go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelKind {
    /// A Slack (or Mattermost) incoming-webhook URL.
    Slack,
    /// Any HTTP endpoint, signed the Standard Webhooks way.
    Webhook,
    /// An email address (through the server's SMTP relay).
    Email,
    /// A GitHub repository (`owner/repo`): alerts open GitHub issues.
    GitHub,
    /// A GitLab project (id or `group/project`): alerts open GitLab issues.
    GitLab,
}

impl ChannelKind {
    pub const ALL: [Self; 5] = [
        Self::Slack,
        Self::Webhook,
        Self::Email,
        Self::GitHub,
        Self::GitLab,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Slack => "slack",
            Self::Webhook => "webhook",
            Self::Email => "email",
            Self::GitHub => "github",
            Self::GitLab => "gitlab",
        }
    }

    pub fn parse(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
            .ok_or_else(|| {
                StoreError::invalid(format!(
                    "unknown channel kind {name:?} (slack, webhook, email, github or gitlab)"
                ))
            })
    }

    /// Slack, webhook and email notify people; GitHub and GitLab file issues, which a rule
    /// does only when it names the channel (never through "all channels").
    pub fn notifies(self) -> bool {
        matches!(self, Self::Slack | Self::Webhook | Self::Email)
    }

    /// An issue tracker (an issue page offers to create an issue there).
    pub fn is_tracker(self) -> bool {
        matches!(self, Self::GitHub | Self::GitLab)
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A channel as stored. `secret` is the webhook signing secret (`whsec_...`) or the
/// tracker's token: the UI and API never show it back, only whether it is set.
#[derive(Clone, PartialEq, Eq)]
pub struct Channel {
    pub id: ChannelId,
    pub project_id: ProjectId,
    pub kind: ChannelKind,
    pub name: String,
    /// The URL (Slack, webhook), the address (email), `owner/repo` (GitHub) or the
    /// project id or path (GitLab).
    pub target: String,
    pub secret: Option<String>,
    /// The tracker's API base (`https://api.github.com`, `https://gitlab.com`) for
    /// Enterprise and self-hosted installations; `None` means the public service.
    pub api_base: Option<String>,
    pub enabled: bool,
    pub created_ms: i64,
}

impl fmt::Debug for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Channel")
            .field("id", &self.id)
            .field("project_id", &self.project_id)
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("target", &self.target)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("api_base", &self.api_base)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

/// A channel to create ([`NewChannel::normalized`] checks it).
#[derive(Clone, PartialEq, Eq)]
pub struct NewChannel {
    pub project_id: ProjectId,
    pub kind: ChannelKind,
    pub name: String,
    pub target: String,
    pub secret: Option<String>,
    pub api_base: Option<String>,
}

impl fmt::Debug for NewChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewChannel")
            .field("project_id", &self.project_id)
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("target", &self.target)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("api_base", &self.api_base)
            .finish()
    }
}

impl NewChannel {
    /// Trims the fields, names the channel after its target when unnamed, and checks
    /// lengths and the shape of the target for its kind. URLs are checked for their scheme
    /// only: whether their address may be reached is the sender's decision, at send time.
    pub fn normalized(&self) -> Result<Self> {
        let target = self.target.trim().to_owned();
        let name = match self.name.trim() {
            "" => target.clone(),
            name => name.to_owned(),
        };
        let secret = self
            .secret
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let api_base = self
            .api_base
            .as_deref()
            .map(|s| s.trim().trim_end_matches('/'))
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        for (field, value) in [("name", Some(&name)), ("target", Some(&target))]
            .into_iter()
            .chain([("secret", secret.as_ref()), ("api base", api_base.as_ref())])
        {
            if value.is_some_and(|v| v.len() > MAX_CHANNEL_FIELD_LEN) {
                return Err(StoreError::invalid(format!(
                    "the channel's {field} is longer than {MAX_CHANNEL_FIELD_LEN} bytes"
                )));
            }
        }
        check_target(self.kind, &target)?;
        if let Some(base) = &api_base {
            if !self.kind.is_tracker() {
                return Err(StoreError::invalid(
                    "only GitHub and GitLab channels take an API base",
                ));
            }
            check_http_url(base, "API base")?;
        }
        if self.kind.is_tracker() && secret.is_none() {
            return Err(StoreError::invalid(format!(
                "a {} channel needs a token",
                if self.kind == ChannelKind::GitHub {
                    "GitHub"
                } else {
                    "GitLab"
                }
            )));
        }
        Ok(Self {
            project_id: self.project_id,
            kind: self.kind,
            name,
            target,
            secret,
            api_base,
        })
    }
}

fn check_target(kind: ChannelKind, target: &str) -> Result<()> {
    if target.is_empty() {
        return Err(StoreError::invalid("the channel's target is empty"));
    }
    match kind {
        ChannelKind::Slack | ChannelKind::Webhook => check_http_url(target, "URL"),
        ChannelKind::Email => {
            let ok = target.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.is_empty()
                    && !target.contains(char::is_whitespace)
                    && target.matches('@').count() == 1
            });
            if ok {
                Ok(())
            } else {
                Err(StoreError::invalid(format!(
                    "{target:?} is not an email address"
                )))
            }
        }
        ChannelKind::GitHub => {
            let ok = target.split_once('/').is_some_and(|(owner, repo)| {
                let part = |s: &str| {
                    !s.is_empty()
                        && s.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
                };
                part(owner) && part(repo)
            });
            if ok {
                Ok(())
            } else {
                Err(StoreError::invalid(format!(
                    "{target:?} is not a GitHub repository (owner/repo)"
                )))
            }
        }
        ChannelKind::GitLab => {
            let ok = target.split('/').all(|s| {
                !s.is_empty()
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            });
            if ok {
                Ok(())
            } else {
                Err(StoreError::invalid(format!(
                    "{target:?} is not a GitLab project (an id or group/project)"
                )))
            }
        }
    }
}

fn check_http_url(url: &str, what: &str) -> Result<()> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') => Ok(()),
        _ => Err(StoreError::invalid(format!(
            "the {what} {url:?} is not an http(s) URL"
        ))),
    }
}

/// A change to a channel; `None` leaves a field as it is.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ChannelChange {
    pub name: Option<String>,
    pub target: Option<String>,
    /// `Some(None)` removes the secret.
    pub secret: Option<Option<String>>,
    pub enabled: Option<bool>,
}

impl fmt::Debug for ChannelChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelChange")
            .field("name", &self.name)
            .field("target", &self.target)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("enabled", &self.enabled)
            .finish()
    }
}

impl ChannelChange {
    /// The channel with the change applied, checked as a new one is.
    pub fn apply(&self, channel: &Channel) -> Result<Channel> {
        let next = NewChannel {
            project_id: channel.project_id,
            kind: channel.kind,
            name: self.name.clone().unwrap_or_else(|| channel.name.clone()),
            target: self
                .target
                .clone()
                .unwrap_or_else(|| channel.target.clone()),
            secret: self
                .secret
                .clone()
                .unwrap_or_else(|| channel.secret.clone()),
            api_base: channel.api_base.clone(),
        }
        .normalized()?;
        Ok(Channel {
            name: next.name,
            target: next.target,
            secret: next.secret,
            enabled: self.enabled.unwrap_or(channel.enabled),
            ..channel.clone()
        })
    }
}

/// Why an alert was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// An event opened a new issue.
    NewIssue,
    /// An event reopened a resolved issue.
    Regression,
    /// An event brought an ignored issue back.
    Unignored,
    /// The issue received at least N events within T minutes.
    Frequency,
    /// At least N distinct users hit the issue within T minutes.
    UserCount,
    /// Someone asked for a test notification.
    Test,
    /// Someone asked for it by hand (an issue filed in a tracker from the issue page).
    Manual,
}

impl Trigger {
    pub const ALL: [Self; 7] = [
        Self::NewIssue,
        Self::Regression,
        Self::Unignored,
        Self::Frequency,
        Self::UserCount,
        Self::Test,
        Self::Manual,
    ];

    /// The stored name, also the webhook payload's `trigger`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NewIssue => "new_issue",
            Self::Regression => "regression",
            Self::Unignored => "unignored",
            Self::Frequency => "frequency",
            Self::UserCount => "user_count",
            Self::Test => "test",
            Self::Manual => "manual",
        }
    }

    pub fn parse(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
            .ok_or_else(|| StoreError::invalid(format!("unknown trigger {name:?}")))
    }

    /// How a person reads it ("New issue", "Regression"...).
    pub fn label(self) -> &'static str {
        match self {
            Self::NewIssue => "New issue",
            Self::Regression => "Regression",
            Self::Unignored => "Back from ignored",
            Self::Frequency => "Frequent issue",
            Self::UserCount => "Issue hitting many users",
            Self::Test => "Test notification",
            Self::Manual => "Sent by hand",
        }
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// "At least `count` within `minutes`".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WindowCondition {
    pub count: u32,
    pub minutes: u32,
}

impl WindowCondition {
    fn check(self, what: &str) -> Result<()> {
        if self.count == 0 || self.count > MAX_CONDITION_COUNT {
            return Err(StoreError::invalid(format!(
                "the {what} condition's count must be between 1 and {MAX_CONDITION_COUNT}"
            )));
        }
        if self.minutes == 0 || self.minutes > MAX_WINDOW_MINUTES {
            return Err(StoreError::invalid(format!(
                "the {what} condition's window must be between 1 and {MAX_WINDOW_MINUTES} minutes"
            )));
        }
        Ok(())
    }

    /// The start (Unix ms) of the window ending at `now_ms`.
    pub fn since_ms(self, now_ms: i64) -> i64 {
        now_ms.saturating_sub(i64::from(self.minutes) * 60_000)
    }
}

/// When a rule fires: any of these.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleTriggers {
    pub new_issue: bool,
    pub regression: bool,
    pub unignored: bool,
    pub frequency: Option<WindowCondition>,
    pub user_count: Option<WindowCondition>,
}

/// Which events may fire a rule: all of these that are set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleFilters {
    pub min_level: Option<Level>,
    pub environment: Option<String>,
    pub release: Option<String>,
    /// A tag `key:value` the event must carry.
    pub tag: Option<(String, String)>,
}

/// What an event offers the filters.
#[derive(Debug, Clone, Copy)]
pub struct AlertEvent<'a> {
    pub level: Level,
    pub environment: Option<&'a str>,
    pub release: Option<&'a str>,
    pub tags: &'a [(String, String)],
}

impl RuleFilters {
    pub fn matches(&self, event: &AlertEvent<'_>) -> bool {
        self.min_level.is_none_or(|min| event.level >= min)
            && self
                .environment
                .as_deref()
                .is_none_or(|env| event.environment == Some(env))
            && self
                .release
                .as_deref()
                .is_none_or(|rel| event.release == Some(rel))
            && self
                .tag
                .as_ref()
                .is_none_or(|(k, v)| event.tags.iter().any(|(tk, tv)| tk == k && tv == v))
    }
}

/// Where a firing rule sends: every notifying channel of the project (Slack, webhook,
/// email; not trackers), named channels, and the project's members by email.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleActions {
    pub all_channels: bool,
    pub channels: Vec<ChannelId>,
    /// Email every member who has not turned it off (when the server has SMTP).
    pub email_members: bool,
}

/// A rule as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRule {
    pub id: AlertRuleId,
    pub project_id: ProjectId,
    pub spec: RuleSpec,
    pub created_ms: i64,
}

/// A rule's content, to create or replace one ([`RuleSpec::normalized`] checks it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSpec {
    pub name: String,
    pub enabled: bool,
    pub triggers: RuleTriggers,
    pub filters: RuleFilters,
    pub actions: RuleActions,
    /// After firing for an issue, the rule stays quiet for that issue this long.
    pub cooldown_minutes: u32,
}

impl RuleSpec {
    /// The rule every new project gets: new issues and regressions, to all its channels
    /// and its members' email.
    pub fn default_rule() -> Self {
        Self {
            name: "New issues and regressions".to_owned(),
            enabled: true,
            triggers: RuleTriggers {
                new_issue: true,
                regression: true,
                ..RuleTriggers::default()
            },
            filters: RuleFilters::default(),
            actions: RuleActions {
                all_channels: true,
                channels: Vec::new(),
                email_members: true,
            },
            cooldown_minutes: DEFAULT_COOLDOWN_MINUTES,
        }
    }

    /// Trims and checks the rule: a name, at least one trigger and one action, bounded
    /// conditions, filters and cooldown; channels listed once.
    pub fn normalized(&self) -> Result<Self> {
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.len() > MAX_RULE_NAME_LEN {
            return Err(StoreError::invalid(format!(
                "a rule needs a name of 1 to {MAX_RULE_NAME_LEN} bytes"
            )));
        }
        let t = &self.triggers;
        if !(t.new_issue
            || t.regression
            || t.unignored
            || t.frequency.is_some()
            || t.user_count.is_some())
        {
            return Err(StoreError::invalid("a rule needs at least one trigger"));
        }
        if let Some(c) = t.frequency {
            c.check("frequency")?;
        }
        if let Some(c) = t.user_count {
            c.check("user count")?;
        }
        let text = |v: &Option<String>, what: &str| -> Result<Option<String>> {
            let v = v
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned);
            if v.as_ref().is_some_and(|v| v.len() > MAX_FILTER_LEN) {
                return Err(StoreError::invalid(format!(
                    "the {what} filter is longer than {MAX_FILTER_LEN} bytes"
                )));
            }
            Ok(v)
        };
        let tag = match &self.filters.tag {
            None => None,
            Some((k, v)) => {
                let (k, v) = (k.trim(), v.trim());
                if k.is_empty() || v.is_empty() {
                    return Err(StoreError::invalid("the tag filter is key:value"));
                }
                if k.len() + v.len() > MAX_FILTER_LEN {
                    return Err(StoreError::invalid(format!(
                        "the tag filter is longer than {MAX_FILTER_LEN} bytes"
                    )));
                }
                Some((k.to_owned(), v.to_owned()))
            }
        };
        let filters = RuleFilters {
            min_level: self.filters.min_level,
            environment: text(&self.filters.environment, "environment")?,
            release: text(&self.filters.release, "release")?,
            tag,
        };
        let mut channels = self.actions.channels.clone();
        channels.sort_unstable();
        channels.dedup();
        let actions = RuleActions {
            all_channels: self.actions.all_channels,
            channels,
            email_members: self.actions.email_members,
        };
        if !actions.all_channels && actions.channels.is_empty() && !actions.email_members {
            return Err(StoreError::invalid(
                "a rule needs an action: all channels, a channel or the members' email",
            ));
        }
        if self.cooldown_minutes > MAX_COOLDOWN_MINUTES {
            return Err(StoreError::invalid(format!(
                "the cooldown is longer than {MAX_COOLDOWN_MINUTES} minutes"
            )));
        }
        Ok(Self {
            name,
            enabled: self.enabled,
            triggers: self.triggers.clone(),
            filters,
            actions,
            cooldown_minutes: self.cooldown_minutes,
        })
    }

    /// The state-change trigger of this rule that `kind` sets off, if any (frequency and
    /// user-count conditions are checked by the backend against the issue's recent events).
    pub fn fires_on(&self, trigger: Trigger) -> bool {
        match trigger {
            Trigger::NewIssue => self.triggers.new_issue,
            Trigger::Regression => self.triggers.regression,
            Trigger::Unignored => self.triggers.unignored,
            Trigger::Frequency => self.triggers.frequency.is_some(),
            Trigger::UserCount => self.triggers.user_count.is_some(),
            Trigger::Test | Trigger::Manual => false,
        }
    }

    /// Whether the rule, having last fired for an issue at `last_fired_ms`, is quiet at
    /// `now_ms`. The cooldown ends exactly `cooldown_minutes` after the firing.
    pub fn cooling_down(&self, last_fired_ms: Option<i64>, now_ms: i64) -> bool {
        last_fired_ms.is_some_and(|at| now_ms < at + i64::from(self.cooldown_minutes) * 60_000)
    }
}

/// Who a delivery goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Recipient {
    Channel(ChannelId),
    /// A member, by email (with the server's SMTP).
    Member(UserId),
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryState {
    /// Waiting for its (next) attempt.
    Pending,
    Delivered,
    /// Given up: failed for [`GIVE_UP_AFTER_MS`], or refused for good (a 4xx, a bad
    /// address).
    Failed,
    /// Not sent on purpose (no SMTP, the member turned email off, the hourly cap).
    Skipped,
}

impl DeliveryState {
    pub const ALL: [Self; 4] = [Self::Pending, Self::Delivered, Self::Failed, Self::Skipped];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }

    pub fn parse(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
            .ok_or_else(|| StoreError::corrupt(format!("unknown delivery state {name:?}")))
    }
}

impl fmt::Display for DeliveryState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A row of the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: DeliveryId,
    pub project_id: ProjectId,
    pub recipient: Recipient,
    pub rule_id: Option<AlertRuleId>,
    pub issue_id: IssueId,
    /// The event that set it off (none for a timed trigger without an event).
    pub event_id: Option<Uuid>,
    pub trigger: Trigger,
    pub state: DeliveryState,
    pub attempts: u32,
    pub created_ms: i64,
    pub next_attempt_ms: i64,
    pub finished_ms: Option<i64>,
    /// The last attempt's error, if it failed.
    pub last_error: Option<String>,
}

impl Delivery {
    /// The id receivers de-duplicate on (the Standard Webhooks `webhook-id`): the same for
    /// every attempt of this delivery, different for every other.
    pub fn message_id(&self) -> String {
        format!("errata_{}", self.id.0)
    }
}

/// A delivery to queue outside ingest (a test notification, a tracker issue asked for
/// from the issue page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub project_id: ProjectId,
    pub recipient: Recipient,
    pub issue_id: IssueId,
    pub event_id: Option<Uuid>,
    pub trigger: Trigger,
}

/// What one attempt gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptResult {
    Delivered,
    /// Failed for now: try again (the store computes when, or gives up after a day).
    Retry,
    /// Failed for good (a refusal that retrying cannot change).
    Failed,
    /// Not sent on purpose.
    Skipped,
}

/// One attempt, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    pub delivery_id: DeliveryId,
    pub at_ms: i64,
    /// The receiver's HTTP status (SMTP: none).
    pub status: Option<u16>,
    /// What went wrong, or why it was skipped; `None` when delivered.
    pub error: Option<String>,
    pub duration_ms: i64,
    pub result: AttemptResult,
}

impl AttemptResult {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Retry => "retry",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }

    pub fn parse(name: &str) -> Result<Self> {
        Ok(match name {
            "delivered" => Self::Delivered,
            "retry" => Self::Retry,
            "failed" => Self::Failed,
            "skipped" => Self::Skipped,
            other => return Err(StoreError::corrupt(format!("unknown attempt {other:?}"))),
        })
    }
}

/// When the attempt after `attempts` failed ones is due: 10 s, 20 s, 40 s... capped at an
/// hour, with up to a fifth of jitter from `jitter` (any number, e.g. the delivery id) so
/// that a receiver coming back is not hit by every delivery at once.
pub fn retry_delay_ms(attempts: u32, jitter: u64) -> i64 {
    let base: i64 = 10_000i64
        .saturating_mul(1i64 << attempts.saturating_sub(1).min(20))
        .min(3_600_000);
    let spread = (base / 5).max(1);
    let jitter =
        i64::try_from(jitter.wrapping_mul(0x9E37_79B9_7F4A_7C15) % (spread as u64)).unwrap_or(0);
    base + jitter
}

/// The state a delivery moves to after an attempt at `now_ms`, and its next attempt time.
pub fn after_attempt(
    delivery: &Delivery,
    result: &AttemptResult,
    now_ms: i64,
) -> (DeliveryState, i64) {
    match result {
        AttemptResult::Delivered => (DeliveryState::Delivered, now_ms),
        AttemptResult::Failed => (DeliveryState::Failed, now_ms),
        AttemptResult::Skipped => (DeliveryState::Skipped, now_ms),
        AttemptResult::Retry => {
            let next =
                now_ms + retry_delay_ms(delivery.attempts + 1, delivery.id.0.cast_unsigned());
            if next > delivery.created_ms + GIVE_UP_AFTER_MS {
                (DeliveryState::Failed, now_ms)
            } else {
                (DeliveryState::Pending, next)
            }
        }
    }
}

/// A link from an issue to an issue made from it in a tracker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueLink {
    pub issue_id: IssueId,
    pub kind: ChannelKind,
    /// The tracker issue's web page.
    pub url: String,
    /// How it is shown: `owner/repo#12`, `group/project#3`.
    pub reference: String,
    pub created_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event<'a>(tags: &'a [(String, String)]) -> AlertEvent<'a> {
        AlertEvent {
            level: Level::Error,
            environment: Some("prod"),
            release: Some("1.0"),
            tags,
        }
    }

    #[test]
    fn filters_match_all_set_conditions() {
        let tags = vec![("browser".to_owned(), "Firefox".to_owned())];
        let e = event(&tags);
        assert!(RuleFilters::default().matches(&e));
        let f = |f: RuleFilters| f.matches(&e);
        assert!(f(RuleFilters {
            min_level: Some(Level::Warning),
            ..Default::default()
        }));
        assert!(!f(RuleFilters {
            min_level: Some(Level::Fatal),
            ..Default::default()
        }));
        assert!(!f(RuleFilters {
            environment: Some("staging".into()),
            ..Default::default()
        }));
        assert!(f(RuleFilters {
            release: Some("1.0".into()),
            tag: Some(("browser".into(), "Firefox".into())),
            ..Default::default()
        }));
        assert!(!f(RuleFilters {
            tag: Some(("browser".into(), "Chrome".into())),
            ..Default::default()
        }));
    }

    #[test]
    fn rules_need_a_trigger_and_an_action() {
        let mut spec = RuleSpec::default_rule();
        assert!(spec.normalized().is_ok());
        spec.triggers = RuleTriggers::default();
        assert!(spec.normalized().unwrap_err().is_invalid());
        spec.triggers.frequency = Some(WindowCondition {
            count: 0,
            minutes: 5,
        });
        assert!(spec.normalized().unwrap_err().is_invalid());
        spec.triggers.frequency = Some(WindowCondition {
            count: 10,
            minutes: 5,
        });
        assert!(spec.normalized().is_ok());
        spec.actions = RuleActions::default();
        assert!(spec.normalized().unwrap_err().is_invalid());
    }

    #[test]
    fn cooldown_ends_exactly_after_its_minutes() {
        let spec = RuleSpec {
            cooldown_minutes: 10,
            ..RuleSpec::default_rule()
        };
        assert!(!spec.cooling_down(None, 0));
        assert!(spec.cooling_down(Some(0), 599_999));
        assert!(!spec.cooling_down(Some(0), 600_000));
    }

    #[test]
    fn retries_back_off_and_give_up_after_a_day() {
        assert!((10_000..12_001).contains(&retry_delay_ms(1, 7)));
        assert!((20_000..24_001).contains(&retry_delay_ms(2, 7)));
        assert!(retry_delay_ms(40, 7) <= 3_600_000 + 720_000);
        let d = Delivery {
            id: DeliveryId(1),
            project_id: ProjectId(1),
            recipient: Recipient::Channel(ChannelId(1)),
            rule_id: None,
            issue_id: IssueId(1),
            event_id: None,
            trigger: Trigger::NewIssue,
            state: DeliveryState::Pending,
            attempts: 3,
            created_ms: 0,
            next_attempt_ms: 0,
            finished_ms: None,
            last_error: None,
        };
        assert_eq!(
            after_attempt(&d, &AttemptResult::Retry, 1000).0,
            DeliveryState::Pending
        );
        assert_eq!(
            after_attempt(&d, &AttemptResult::Retry, GIVE_UP_AFTER_MS).0,
            DeliveryState::Failed
        );
    }

    #[test]
    fn channels_check_their_target() {
        let new = |kind, target: &str, secret: Option<&str>| NewChannel {
            project_id: ProjectId(1),
            kind,
            name: String::new(),
            target: target.to_owned(),
            secret: secret.map(str::to_owned),
            api_base: None,
        };
        assert!(
            new(ChannelKind::Slack, "https://hooks.slack.com/x", None)
                .normalized()
                .is_ok()
        );
        assert!(
            new(ChannelKind::Webhook, "ftp://x", None)
                .normalized()
                .is_err()
        );
        assert!(new(ChannelKind::Email, "a@b.c", None).normalized().is_ok());
        assert!(new(ChannelKind::Email, "a b@c", None).normalized().is_err());
        assert!(
            new(ChannelKind::GitHub, "octo/repo", None)
                .normalized()
                .is_err()
        );
        assert!(
            new(ChannelKind::GitHub, "octo/repo", Some("t"))
                .normalized()
                .is_ok()
        );
        assert!(
            new(ChannelKind::GitLab, "group/sub/proj", Some("t"))
                .normalized()
                .is_ok()
        );
        let c = new(ChannelKind::Slack, " https://h/x ", None)
            .normalized()
            .unwrap();
        assert_eq!(c.name, "https://h/x");
        for k in ChannelKind::ALL {
            assert_eq!(ChannelKind::parse(k.as_str()).unwrap(), k);
        }
        for t in Trigger::ALL {
            assert_eq!(Trigger::parse(t.as_str()).unwrap(), t);
        }
    }
}
