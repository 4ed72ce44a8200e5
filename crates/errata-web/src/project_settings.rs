//! A project's settings page: the settings form (rename, rate limit per minute, event quota
//! per UTC day or month, data scrubbing, extra sensitive fields one per line, IP scrubbing),
//! the client keys with their DSNs (copy, enable/disable, rotate, create), the setup
//! snippets built from the first enabled key's DSN, the inbound filters, and, for admins,
//! deleting the project.
//!
//! The settings form posts to `/projects/{slug}/settings/` with `csrf`, `name`,
//! `rate_limit`, `quota_limit`, `quota_window` (`day`/`month`), `scrub_data` and
//! `scrub_ip_addresses` (checkboxes: `on` when ticked, absent otherwise) and
//! `sensitive_fields` (one per line). Empty numbers mean "no limit".
//!
//! The inbound filters' form posts to `/projects/{slug}/filters` with `csrf`,
//! `environments`, `releases` and `error_messages` (one entry per line) and the checkboxes
//! `web_crawlers`, `browser_extensions` and `localhost`.

use askama::Template;

use crate::issue_list::ProjectLink;
use crate::layout::Layout;
use crate::page::render_page;
use crate::setup_snippet::{DSN_PLACEHOLDER, SetupSnippet, setup_snippets};

/// A client key (DSN) of the project.
#[derive(Debug, Clone, Default)]
pub struct KeyRow {
    /// The key's id (the store's row id), posted as `key`.
    pub id: i64,
    pub label: String,
    /// The full DSN (`https://<public key>@<host>/<project id>`).
    pub dsn: String,
    pub enabled: bool,
    /// Relative and exact creation times.
    pub created: String,
    pub created_iso: String,
}

impl KeyRow {
    /// The DSN element's id, which the copy button names.
    pub fn dsn_id(&self) -> String {
        format!("dsn-{}", self.id)
    }
}

/// The inbound filters as the form shows them.
#[derive(Debug, Clone, Default)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "three independent checkboxes of a form"
)]
pub struct FilterFields {
    /// Environment names dropped (one per line).
    pub environments: Vec<String>,
    /// Release glob patterns (one per line).
    pub releases: Vec<String>,
    /// Error message glob patterns (one per line).
    pub error_messages: Vec<String>,
    pub web_crawlers: bool,
    pub browser_extensions: bool,
    pub localhost: bool,
}

impl FilterFields {
    fn environments_text(&self) -> String {
        self.environments.join("\n")
    }

    fn releases_text(&self) -> String {
        self.releases.join("\n")
    }

    fn error_messages_text(&self) -> String {
        self.error_messages.join("\n")
    }
}

/// The project settings page.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "project_settings.html")]
pub struct ProjectSettingsPage {
    pub layout: Layout,
    pub slug: String,
    pub name: String,
    pub platform: String,
    /// Events accepted per minute; `None` = unlimited.
    pub rate_limit_per_minute: Option<u64>,
    /// Events accepted per quota window; `None` = no quota.
    pub quota_limit: Option<u64>,
    /// `day` or `month` (UTC); anything else counts as `day`.
    pub quota_window: String,
    pub scrub_data: bool,
    /// Extra field names to scrub (shown one per line).
    pub sensitive_fields: Vec<String>,
    pub scrub_ip_addresses: bool,
    pub keys: Vec<KeyRow>,
    /// The inbound filters.
    pub filters: FilterFields,
    /// Why the last settings change was refused.
    pub error: Option<String>,
    /// Why the last change of the inbound filters was refused.
    pub filters_error: Option<String>,
}

impl ProjectSettingsPage {
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

    /// `/projects/{slug}/settings/`, where the settings form posts.
    pub fn settings_href(&self) -> String {
        self.link().settings_href()
    }

    /// `/projects/{slug}/issues/`.
    pub fn issues_href(&self) -> String {
        self.link().issues_href()
    }

    /// `/projects/{slug}/alerts/`.
    pub fn alerts_href(&self) -> String {
        self.link().alerts_href()
    }

    /// `/projects/{slug}/stats/`.
    pub fn stats_href(&self) -> String {
        self.link().stats_href()
    }

    /// `/projects/{slug}/filters`, where the inbound filters' form posts.
    pub fn filters_action(&self) -> String {
        format!("{}filters", self.project_prefix())
    }

    /// `/projects/{slug}/keys`, where the key forms post.
    pub fn keys_action(&self) -> String {
        format!("{}keys", self.project_prefix())
    }

    /// `/projects/{slug}/delete`.
    pub fn delete_action(&self) -> String {
        format!("{}delete", self.project_prefix())
    }

    fn project_prefix(&self) -> String {
        self.settings_href()
            .trim_end_matches("settings/")
            .to_owned()
    }

    /// The quota window, `day` or `month`.
    pub fn quota_window(&self) -> &'static str {
        if self.quota_window == "month" {
            "month"
        } else {
            "day"
        }
    }

    fn rate_limit_text(&self) -> String {
        self.rate_limit_per_minute
            .map(|limit| limit.to_string())
            .unwrap_or_default()
    }

    fn quota_limit_text(&self) -> String {
        self.quota_limit
            .map(|limit| limit.to_string())
            .unwrap_or_default()
    }

    fn sensitive_fields_text(&self) -> String {
        self.sensitive_fields.join("\n")
    }

    /// The DSN the snippets use: the first enabled key's, if any.
    pub fn snippet_dsn(&self) -> Option<&str> {
        self.keys
            .iter()
            .find(|key| key.enabled)
            .map(|key| key.dsn.as_str())
    }

    /// The setup snippets (with a placeholder DSN when no key is enabled).
    pub fn snippets(&self) -> Vec<SetupSnippet> {
        setup_snippets(self.snippet_dsn().unwrap_or(DSN_PLACEHOLDER))
    }
}

#[cfg(test)]
#[path = "project_settings_tests.rs"]
mod tests;
