//! The user's API tokens (`/settings/tokens/`): the list with label, scopes, creation and
//! last use, each with a revoke button (`revoke` = id); the create form (`label`, `scope`
//! repeated, one checkbox per scope); and a just-created token's secret, shown once in a
//! copyable box.

use askama::Template;

use crate::layout::Layout;
use crate::page::render_page;

/// The scopes a token can carry, in the order the form offers them.
pub const TOKEN_SCOPES: [&str; 10] = [
    "project:read",
    "project:write",
    "project:admin",
    "event:read",
    "event:write",
    "event:admin",
    "org:read",
    "org:write",
    "org:admin",
    "member:read",
];

/// One of the user's tokens.
#[derive(Debug, Clone, Default)]
pub struct TokenRow {
    /// The token's id (the store's row id), posted as `revoke`.
    pub id: i64,
    pub label: String,
    pub scopes: Vec<String>,
    /// Relative and exact creation times.
    pub created: String,
    pub created_iso: String,
    /// Relative and exact time of last use, when known.
    pub last_used: Option<String>,
    pub last_used_iso: Option<String>,
}

/// A project whose alert email the user may turn on or off.
#[derive(Debug, Clone, Default)]
pub struct AlertEmailRow {
    /// The project's id (the store's row id), posted as `project` and `email`.
    pub project_id: i64,
    pub project_name: String,
    /// Whether the user gets the project's alert email.
    pub enabled: bool,
}

/// The tokens page (the user's own settings: API tokens and alert email).
#[derive(Debug, Clone, Default, Template)]
#[template(path = "tokens.html")]
pub struct TokensPage {
    pub layout: Layout,
    pub tokens: Vec<TokenRow>,
    /// The secret of the token just created: shown this once.
    pub new_token: Option<String>,
    /// Why the last create was refused.
    pub error: Option<String>,
    /// The create form's label typed before.
    pub label: String,
    /// The create form's scopes ticked before.
    pub scopes: Vec<String>,
    /// Alert email per project ("Email me about new issues and regressions"): a form
    /// posting `csrf`, `project` (every id shown) and `email` (the ids ticked) to
    /// `/settings/alert-email`.
    pub alert_email: Vec<AlertEmailRow>,
}

impl TokensPage {
    const SCOPES: [&str; 10] = TOKEN_SCOPES;

    /// The page as HTML.
    pub fn render(&self) -> String {
        render_page(self)
    }

    fn scope_checked(&self, scope: &str) -> bool {
        self.scopes.iter().any(|checked| checked == scope)
    }
}

/// The checkbox id for a scope (`scope-project-read`).
fn scope_id(scope: &str) -> String {
    format!("scope-{}", scope.replace(':', "-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "\"><script>alert(1)</script>";

    fn page() -> TokensPage {
        TokensPage {
            layout: Layout {
                csrf: "tok".into(),
                user: Some("ann".into()),
                ..Layout::default()
            },
            tokens: vec![TokenRow {
                id: 9,
                label: HOSTILE.into(),
                scopes: vec!["event:read".into(), HOSTILE.into()],
                created: "2d ago".into(),
                created_iso: "2026-01-01T00:00:00Z".into(),
                last_used: None,
                last_used_iso: None,
            }],
            new_token: None,
            error: None,
            label: String::new(),
            scopes: vec!["event:write".into()],
            alert_email: Vec::new(),
        }
    }

    #[test]
    fn list_revoke_and_create_form() {
        let html = page().render();
        for hook in [
            "<table id=\"tokens\"",
            "<button type=\"submit\" class=\"small danger\" name=\"revoke\" value=\"9\"",
            "<form id=\"token-create\" method=\"post\" action=\"/settings/tokens/\">",
            "<input type=\"checkbox\" id=\"scope-member-read\" name=\"scope\" value=\"member:read\">",
            "name=\"scope\" value=\"event:write\" checked>",
            "<label for=\"token-label\">",
            "name=\"csrf\" value=\"tok\"",
            "Never used",
        ] {
            assert!(html.contains(hook), "missing {hook}: {html}");
        }
        assert_eq!(html.matches("name=\"scope\"").count(), TOKEN_SCOPES.len());
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("secret-once"), "{html}");
    }

    #[test]
    fn a_new_secret_is_shown_once_copyable_and_escaped() {
        let mut page = page();
        page.new_token = Some(format!("errata_{HOSTILE}"));
        let html = page.render();
        assert!(html.contains("class=\"secret-once\""), "{html}");
        assert!(
            html.contains("<code class=\"secret\" id=\"new-token\">errata_&#34;&#62;&#60;script")
        );
        assert!(html.contains("data-copy=\"new-token\""), "{html}");
    }

    #[test]
    fn alert_email_is_one_checkbox_per_project() {
        let mut page = page();
        assert!(!page.render().contains("alert-email"));
        page.alert_email = vec![
            AlertEmailRow {
                project_id: 3,
                project_name: HOSTILE.into(),
                enabled: true,
            },
            AlertEmailRow {
                project_id: 4,
                project_name: "Web".into(),
                enabled: false,
            },
        ];
        let html = page.render();
        for hook in [
            "<form id=\"alert-email\" method=\"post\" action=\"/settings/alert-email\">",
            "<input type=\"hidden\" name=\"project\" value=\"3\">",
            "name=\"email\" value=\"3\" checked>",
            "name=\"email\" value=\"4\">",
            "Email me about new issues and regressions",
        ] {
            assert!(html.contains(hook), "missing {hook}: {html}");
        }
        assert!(!html.contains("<script>alert"), "{html}");
    }
}
