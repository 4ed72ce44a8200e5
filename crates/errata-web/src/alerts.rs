//! A project's alerting pages, under `/projects/{slug}/alerts/`: the overview
//! ([`AlertsPage`]: channels with their add forms, enable/disable/delete/test buttons, and
//! the rules with a readable summary), the rule form ([`RuleFormPage`], to create or edit a
//! rule), and the delivery log ([`DeliveriesPage`]: the latest deliveries with their
//! attempts). Channel secrets never reach these view models; Slack and webhook URLs are
//! shown with their path masked ([`mask_target`]), since such a URL is itself a secret.
//!
//! Forms post to:
//! - `/projects/{slug}/alerts/channels` with `csrf`, `kind` (`slack`, `webhook`, `email`,
//!   `github`, `gitlab`), `name`, `target`, and for trackers `token` and `api_base`;
//! - `/projects/{slug}/alerts/channels/{id}` with `csrf` and `action` (`enable`,
//!   `disable`, `delete`, `test`);
//! - `/projects/{slug}/alerts/rules/new` and `/projects/{slug}/alerts/rules/{id}` with the
//!   rule's fields (see [`RuleForm`]); `/projects/{slug}/alerts/rules/{id}/delete`.

mod deliveries;
mod rule;

use askama::Template;

use crate::event_view::Moment;
use crate::issue_list::ProjectLink;
use crate::layout::Layout;
use crate::page::render_page;

pub use deliveries::{AttemptRow, DeliveriesPage, DeliveryRow};
pub use rule::{ChannelChoice, LEVELS, RuleForm, RuleFormPage, RuleView, Window, duration};

/// The channel kinds the add forms offer, with how they are named.
pub const CHANNEL_KINDS: [(&str, &str); 5] = [
    ("slack", "Slack or Mattermost"),
    ("webhook", "Webhook"),
    ("email", "Email"),
    ("github", "GitHub issues"),
    ("gitlab", "GitLab issues"),
];

/// How a channel kind is named (`slack` -> "Slack"); unknown kinds as they are.
pub fn kind_label(kind: &str) -> &str {
    match kind {
        "slack" => "Slack",
        "webhook" => "Webhook",
        "email" => "Email",
        "github" => "GitHub",
        "gitlab" => "GitLab",
        other => other,
    }
}

/// A channel target as it may be shown: Slack and webhook URLs keep their scheme and host
/// (credentials dropped) and lose their path and query, which often carry the secret
/// (`https://hooks.slack.com/…`); other targets (an address, `owner/repo`) as they are.
pub fn mask_target(kind: &str, target: &str) -> String {
    if !matches!(kind, "slack" | "webhook") {
        return target.to_owned();
    }
    let (scheme, rest) = match target.split_once("://") {
        Some((scheme, rest)) if scheme == "http" || scheme == "https" => (scheme, rest),
        _ => return "…".to_owned(),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = authority.rsplit('@').next().unwrap_or(authority);
    if end < rest.len() && rest[end..] != *"/" {
        format!("{scheme}://{host}/…")
    } else {
        format!("{scheme}://{host}")
    }
}

/// A channel in the list (never its secret: only whether one is set).
#[derive(Debug, Clone, Default)]
pub struct ChannelRow {
    /// The store's row id, in the action forms' URLs.
    pub id: i64,
    /// `slack`, `webhook`, `email`, `github` or `gitlab`.
    pub kind: String,
    pub name: String,
    /// The raw target; shown only through [`ChannelRow::shown_target`].
    pub target: String,
    /// The tracker's API base, when not the public service.
    pub api_base: Option<String>,
    pub enabled: bool,
    pub has_secret: bool,
    pub created: Moment,
}

impl ChannelRow {
    /// The target, masked for URLs ([`mask_target`]).
    pub fn shown_target(&self) -> String {
        mask_target(&self.kind, &self.target)
    }

    pub fn kind_label(&self) -> &str {
        kind_label(&self.kind)
    }

    /// What the secret column says for this kind.
    pub fn secret_label(&self) -> &'static str {
        match (self.kind.as_str(), self.has_secret) {
            ("webhook", true) => "Signing secret set",
            ("webhook", false) => "Unsigned",
            ("github" | "gitlab", true) => "Token set",
            ("github" | "gitlab", false) => "No token",
            _ => "",
        }
    }

    /// Whether "Send test notification" applies (trackers open issues; no test for them).
    pub fn can_test(&self) -> bool {
        matches!(self.kind.as_str(), "slack" | "webhook" | "email")
    }
}

/// A rule in the list.
#[derive(Debug, Clone, Default)]
pub struct RuleRow {
    pub id: i64,
    pub name: String,
    pub enabled: bool,
    /// "New issue or regression · level ≥ error → all channels · cooldown 30 min".
    pub summary: String,
}

/// A webhook's signing secret, just generated: shown this once.
#[derive(Debug, Clone, Default)]
pub struct NewSecret {
    pub channel_name: String,
    pub secret: String,
}

/// What the add-channel form held when it was refused (shown again with the error).
#[derive(Debug, Clone, Default)]
pub struct ChannelForm {
    pub kind: String,
    pub name: String,
    pub target: String,
    pub api_base: String,
    /// Why it was refused.
    pub error: Option<String>,
}

/// `GET /projects/{slug}/alerts/`.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "alerts/index.html")]
pub struct AlertsPage {
    pub layout: Layout,
    pub slug: String,
    /// The project's name.
    pub name: String,
    /// Whether the viewer may change channels and rules (`project:write`): the forms are
    /// shown only then.
    pub can_write: bool,
    pub channels: Vec<ChannelRow>,
    pub rules: Vec<RuleRow>,
    pub new_secret: Option<NewSecret>,
    /// The add-channel form refused last, if any.
    pub channel_form: ChannelForm,
}

impl AlertsPage {
    /// The page as HTML.
    pub fn render(&self) -> String {
        render_page(self)
    }

    fn link(&self) -> ProjectLink {
        ProjectLink {
            slug: self.slug.clone(),
            name: self.name.clone(),
        }
    }

    pub fn issues_href(&self) -> String {
        self.link().issues_href()
    }

    pub fn settings_href(&self) -> String {
        self.link().settings_href()
    }

    /// `/projects/{slug}/alerts/`.
    pub fn alerts_href(&self) -> String {
        alerts_href(&self.slug)
    }

    const KINDS: [(&str, &str); 5] = CHANNEL_KINDS;

    /// Whether the add form of `kind` should open with the refused values.
    fn form_is(&self, kind: &str) -> bool {
        self.channel_form.kind == kind
    }

    fn form_name(&self, kind: &str) -> &str {
        if self.form_is(kind) {
            &self.channel_form.name
        } else {
            ""
        }
    }

    fn form_target(&self, kind: &str) -> &str {
        if self.form_is(kind) {
            &self.channel_form.target
        } else {
            ""
        }
    }

    fn form_api_base(&self, kind: &str) -> &str {
        if self.form_is(kind) {
            &self.channel_form.api_base
        } else {
            ""
        }
    }
}

/// The target field's label and placeholder for `kind`.
fn target_label(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "slack" => ("Incoming webhook URL", "https://hooks.slack.com/services/…"),
        "webhook" => ("URL", "https://example.com/errata-hook"),
        "email" => ("Email address", "oncall@example.com"),
        "github" => ("Repository", "owner/repo"),
        _ => ("Project", "group/project or its id"),
    }
}

fn is_tracker(kind: &str) -> bool {
    matches!(kind, "github" | "gitlab")
}

/// `/projects/{slug}/alerts/` (the slug percent-encoded).
pub fn alerts_href(slug: &str) -> String {
    ProjectLink {
        slug: slug.to_owned(),
        name: String::new(),
    }
    .alerts_href()
}

#[cfg(test)]
mod tests;
