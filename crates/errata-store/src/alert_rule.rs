//! Alert rules: when a notification is sent (triggers, filters, actions, cooldown), with
//! the checks and the pure decisions every backend shares, so they all fire alike.

use std::fmt;

use crate::error::{Result, StoreError};
use crate::id::{AlertRuleId, ChannelId, ProjectId};
use crate::level::Level;

/// The longest rule name accepted.
pub const MAX_RULE_NAME_LEN: usize = 200;
/// The longest filter value accepted.
pub const MAX_FILTER_LEN: usize = 200;
/// The longest window a frequency or user-count condition may count over (a week).
pub const MAX_WINDOW_MINUTES: u32 = 7 * 24 * 60;
/// The highest count a frequency or user-count condition may ask for.
pub const MAX_CONDITION_COUNT: u32 = 100_000;
/// The longest cooldown accepted (30 days).
pub const MAX_COOLDOWN_MINUTES: u32 = 30 * 24 * 60;
/// The cooldown of a new rule unless told otherwise.
pub const DEFAULT_COOLDOWN_MINUTES: u32 = 30;
/// A user-count condition reads at most this many of the issue's recent events (a bound on
/// its cost; an issue past it has that many events in the window, usually enough users).
pub const USER_COUNT_SCAN_LIMIT: u32 = 10_000;
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
    /// After firing for an issue, the rule's frequency and user-count conditions stay
    /// quiet for that issue this long (see [`RuleSpec::cooling_down`]).
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
    ///
    /// The cooldown holds back the conditions events alone can repeat (frequency, user
    /// count): a noisy issue fires such a rule at most once per cooldown. A state change
    /// (new issue, regression, back from ignored) always fires: each follows a person's
    /// resolve or ignore, so events alone cannot repeat it, and each is news.
    pub fn cooling_down(&self, last_fired_ms: Option<i64>, now_ms: i64) -> bool {
        last_fired_ms.is_some_and(|at| now_ms < at + i64::from(self.cooldown_minutes) * 60_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(tags: &[(String, String)]) -> AlertEvent<'_> {
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
}
