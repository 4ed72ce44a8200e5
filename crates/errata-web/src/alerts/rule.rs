//! Alert rules: [`RuleView`] (a rule as plain values, with its one-line summary),
//! [`RuleForm`] (the form's fields as typed, to show again after a refusal) and
//! [`RuleFormPage`] (create or edit).
//!
//! The form posts `csrf`, `name`, `enabled`, `new_issue`, `regression`, `unignored`,
//! `frequency` with `frequency_count` and `frequency_minutes`, `user_count` with
//! `user_count_count` and `user_count_minutes`, `min_level` (empty for any),
//! `environment`, `release`, `tag` (`key:value`), `all_channels`, `channel` (repeated
//! ids), `email_members` and `cooldown_minutes`. Checkboxes are `on` when ticked and
//! absent otherwise.

use std::fmt::Write as _;

use askama::Template;

use crate::issue_list::ProjectLink;
use crate::layout::Layout;
use crate::page::render_page;

/// The levels the minimum-level filter offers, lowest first.
pub const LEVELS: [&str; 5] = ["debug", "info", "warning", "error", "fatal"];

/// "At least `count` within `minutes`".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub count: u32,
    pub minutes: u32,
}

/// A rule as plain values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "a rule's independent switches, as the form shows them"
)]
pub struct RuleView {
    pub name: String,
    pub enabled: bool,
    pub new_issue: bool,
    pub regression: bool,
    pub unignored: bool,
    pub frequency: Option<Window>,
    pub user_count: Option<Window>,
    /// `debug` ... `fatal`; `None` for any level.
    pub min_level: Option<String>,
    pub environment: Option<String>,
    pub release: Option<String>,
    pub tag: Option<(String, String)>,
    pub all_channels: bool,
    /// Channel ids.
    pub channels: Vec<i64>,
    pub email_members: bool,
    pub cooldown_minutes: u32,
}

/// A number of minutes as a person reads it: `30 min`, `2 h`, `1 d`, `90 min`.
pub fn duration(minutes: u32) -> String {
    if minutes >= 1440 && minutes.is_multiple_of(1440) {
        format!("{} d", minutes / 1440)
    } else if minutes >= 60 && minutes.is_multiple_of(60) {
        format!("{} h", minutes / 60)
    } else {
        format!("{minutes} min")
    }
}

impl RuleView {
    /// One line: triggers · filters → actions · cooldown, e.g. "New issue or regression ·
    /// level ≥ error · env prod → all channels, members' email · cooldown 30 min".
    /// `channel_names` names the channels by id (an unknown id reads "channel N").
    pub fn summary(&self, channel_names: &[(i64, String)]) -> String {
        let mut triggers: Vec<String> = Vec::new();
        if self.new_issue {
            triggers.push("new issue".into());
        }
        if self.regression {
            triggers.push("regression".into());
        }
        if self.unignored {
            triggers.push("back from ignored".into());
        }
        if let Some(w) = self.frequency {
            triggers.push(format!("{}+ events in {}", w.count, duration(w.minutes)));
        }
        if let Some(w) = self.user_count {
            triggers.push(format!("{}+ users in {}", w.count, duration(w.minutes)));
        }
        let mut out = capitalized(&triggers.join(" or "));
        if out.is_empty() {
            out.push_str("No trigger");
        }
        if let Some(level) = &self.min_level {
            let _ = write!(out, " · level ≥ {level}");
        }
        if let Some(env) = &self.environment {
            let _ = write!(out, " · env {env}");
        }
        if let Some(release) = &self.release {
            let _ = write!(out, " · release {release}");
        }
        if let Some((key, value)) = &self.tag {
            let _ = write!(out, " · tag {key}:{value}");
        }
        let mut actions: Vec<String> = Vec::new();
        if self.all_channels {
            actions.push("all channels".into());
        }
        for id in &self.channels {
            actions.push(
                channel_names
                    .iter()
                    .find(|(c, _)| c == id)
                    .map_or_else(|| format!("channel {id}"), |(_, name)| name.clone()),
            );
        }
        if self.email_members {
            actions.push("members' email".into());
        }
        if actions.is_empty() {
            actions.push("nobody".into());
        }
        let _ = write!(out, " → {}", actions.join(", "));
        if self.cooldown_minutes == 0 {
            out.push_str(" · no cooldown");
        } else {
            let _ = write!(out, " · cooldown {}", duration(self.cooldown_minutes));
        }
        out
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// The rule form's fields as text, exactly as typed (so a refused form comes back as it
/// was sent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "the form's checkboxes, one field each"
)]
pub struct RuleForm {
    pub name: String,
    pub enabled: bool,
    pub new_issue: bool,
    pub regression: bool,
    pub unignored: bool,
    pub frequency: bool,
    pub frequency_count: String,
    pub frequency_minutes: String,
    pub user_count: bool,
    pub user_count_count: String,
    pub user_count_minutes: String,
    pub min_level: String,
    pub environment: String,
    pub release: String,
    /// `key:value`.
    pub tag: String,
    pub all_channels: bool,
    pub channels: Vec<i64>,
    pub email_members: bool,
    pub cooldown_minutes: String,
}

impl RuleForm {
    /// The form filled from a stored rule (conditions that are off show their defaults).
    pub fn from_view(rule: &RuleView) -> Self {
        let window = |w: Option<Window>, count: u32, minutes: u32| {
            let w = w.unwrap_or(Window { count, minutes });
            (w.count.to_string(), w.minutes.to_string())
        };
        let (frequency_count, frequency_minutes) = window(rule.frequency, 100, 60);
        let (user_count_count, user_count_minutes) = window(rule.user_count, 10, 60);
        Self {
            name: rule.name.clone(),
            enabled: rule.enabled,
            new_issue: rule.new_issue,
            regression: rule.regression,
            unignored: rule.unignored,
            frequency: rule.frequency.is_some(),
            frequency_count,
            frequency_minutes,
            user_count: rule.user_count.is_some(),
            user_count_count,
            user_count_minutes,
            min_level: rule.min_level.clone().unwrap_or_default(),
            environment: rule.environment.clone().unwrap_or_default(),
            release: rule.release.clone().unwrap_or_default(),
            tag: rule
                .tag
                .as_ref()
                .map(|(k, v)| format!("{k}:{v}"))
                .unwrap_or_default(),
            all_channels: rule.all_channels,
            channels: rule.channels.clone(),
            email_members: rule.email_members,
            cooldown_minutes: rule.cooldown_minutes.to_string(),
        }
    }

    /// The form of a new rule: new issues and regressions, to all channels and the
    /// members' email, with a 30-minute cooldown.
    pub fn new_rule() -> Self {
        Self::from_view(&RuleView {
            name: String::new(),
            enabled: true,
            new_issue: true,
            regression: true,
            all_channels: true,
            email_members: true,
            cooldown_minutes: 30,
            ..RuleView::default()
        })
    }

    #[allow(
        clippy::trivially_copy_pass_by_ref,
        reason = "templates pass arguments by reference"
    )]
    fn has_channel(&self, id: &i64) -> bool {
        self.channels.contains(id)
    }
}

/// A channel a rule may name.
#[derive(Debug, Clone, Default)]
pub struct ChannelChoice {
    pub id: i64,
    /// `slack`, `webhook`, `email`, `github`, `gitlab`.
    pub kind: String,
    pub name: String,
    pub enabled: bool,
}

impl ChannelChoice {
    pub fn kind_label(&self) -> &str {
        super::kind_label(&self.kind)
    }
}

/// `GET /projects/{slug}/alerts/rules/new` and `/projects/{slug}/alerts/rules/{id}`.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "alerts/rule_form.html")]
pub struct RuleFormPage {
    pub layout: Layout,
    pub slug: String,
    /// The project's name.
    pub name: String,
    /// The rule edited; `None` for a new one.
    pub rule_id: Option<i64>,
    pub form: RuleForm,
    pub channels: Vec<ChannelChoice>,
    /// Why the last submission was refused.
    pub error: Option<String>,
}

impl RuleFormPage {
    /// The page as HTML.
    pub fn render(&self) -> String {
        render_page(self)
    }

    pub fn issues_href(&self) -> String {
        ProjectLink {
            slug: self.slug.clone(),
            name: self.name.clone(),
        }
        .issues_href()
    }

    pub fn alerts_href(&self) -> String {
        super::alerts_href(&self.slug)
    }

    /// Where the form posts.
    pub fn action(&self) -> String {
        match self.rule_id {
            Some(id) => format!("{}rules/{id}", self.alerts_href()),
            None => format!("{}rules/new", self.alerts_href()),
        }
    }

    /// Where the delete form posts (an existing rule only).
    pub fn delete_action(&self) -> Option<String> {
        self.rule_id
            .map(|id| format!("{}rules/{id}/delete", self.alerts_href()))
    }

    const LEVELS: [&str; 5] = LEVELS;
}
