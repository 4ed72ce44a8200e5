//! The frame every page shares: the head linking the hashed stylesheet and script, the skip
//! link, the navigation (admin entries for admins only), the signed-in user with the logout
//! form (carrying the CSRF token), flash messages in a live region, and the theme.

use crate::asset::{AssetKind, asset_path};

/// What the shared frame needs to know about the request.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// The `<title>` (the page's own part; " · Errata" is appended).
    pub title: String,
    /// The signed-in user's display name; `None` on the login page (and then no navigation
    /// and no logout form are shown).
    pub user: Option<String>,
    /// The session's CSRF token, put into every form.
    pub csrf: String,
    /// Which navigation entry is current.
    pub nav: NavItem,
    /// A one-line message shown once (after an action).
    pub flash: Option<String>,
    /// `light`, `dark` or `auto` (follows the system); anything else counts as `auto`.
    pub theme: String,
    /// Whether the user may administer (shows the admin entries).
    pub is_admin: bool,
}

/// The navigation entries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NavItem {
    #[default]
    Issues,
    Projects,
    /// The user's own settings (API tokens).
    Settings,
    /// Administering users (admins only).
    Users,
    /// Storage use and retention (admins only).
    Storage,
    None,
}

impl Layout {
    /// The theme for `<html data-theme>`: `light`, `dark` or `auto`.
    pub fn theme(&self) -> &'static str {
        match self.theme.as_str() {
            "light" => "light",
            "dark" => "dark",
            _ => "auto",
        }
    }

    /// The stylesheet's hashed URL path.
    pub fn stylesheet(&self) -> &'static str {
        asset_path(AssetKind::Stylesheet)
    }

    /// The script's hashed URL path.
    pub fn script(&self) -> &'static str {
        asset_path(AssetKind::Script)
    }
}

#[cfg(test)]
mod tests {
    use askama::Template;

    use super::*;

    #[derive(Template)]
    #[template(
        source = "{% extends \"layout.html\" %}{% block content %}<p>{{ text }}</p>{% endblock %}",
        ext = "html"
    )]
    struct Probe<'a> {
        layout: &'a Layout,
        text: &'a str,
    }

    fn render(layout: &Layout) -> String {
        Probe {
            layout,
            text: "<script>",
        }
        .render()
        .unwrap()
    }

    #[test]
    fn pages_extend_the_layout_and_escape() {
        let layout = Layout {
            title: "<t>".into(),
            ..Layout::default()
        };
        let html = render(&layout);
        assert!(html.contains("<p>&#60;script&#62;</p>"), "{html}");
        assert!(html.contains("&#60;t&#62; · Errata"), "{html}");
    }

    #[test]
    fn signed_in_frame_has_nav_user_logout_flash_and_assets() {
        let layout = Layout {
            title: "Issues".into(),
            user: Some("<b>Ann</b>".into()),
            csrf: "tok\"en".into(),
            nav: NavItem::Projects,
            flash: Some("Resolved <3> issues".into()),
            theme: "dark".into(),
            is_admin: false,
        };
        let html = render(&layout);
        assert!(
            html.contains("<html lang=\"en\" data-theme=\"dark\">"),
            "{html}"
        );
        assert!(html.contains("&#60;b&#62;Ann&#60;/b&#62;"), "{html}");
        assert!(!html.contains("<b>Ann"), "{html}");
        assert!(html.contains("<form id=\"logout\" method=\"post\" action=\"/logout\">"));
        assert!(
            html.contains("name=\"csrf\" value=\"tok&#34;en\""),
            "{html}"
        );
        assert!(html.contains("<a href=\"/projects/\" aria-current=\"page\">Projects</a>"));
        assert!(html.contains("<a href=\"/issues/\">Issues</a>"), "{html}");
        assert!(
            !html.contains("/settings/users/"),
            "no admin entries: {html}"
        );
        assert!(html.contains("aria-live=\"polite\""));
        assert!(html.contains("Resolved &#60;3&#62; issues"), "{html}");
        assert!(html.contains(&format!(
            "<link rel=\"stylesheet\" href=\"{}\">",
            asset_path(AssetKind::Stylesheet)
        )));
        assert!(html.contains(&format!(
            "<script src=\"{}\" defer></script>",
            asset_path(AssetKind::Script)
        )));
        assert!(html.contains("class=\"skip-link\" href=\"#main\""));
        assert!(!html.contains("style="), "{html}");
    }

    #[test]
    fn admins_see_users_and_signed_out_pages_show_no_nav() {
        let admin = Layout {
            user: Some("root".into()),
            nav: NavItem::Users,
            is_admin: true,
            ..Layout::default()
        };
        let html = render(&admin);
        assert!(html.contains("<a href=\"/settings/users/\" aria-current=\"page\">Users</a>"));
        let anonymous = render(&Layout::default());
        assert!(!anonymous.contains("<nav"), "{anonymous}");
        assert!(!anonymous.contains("id=\"logout\""), "{anonymous}");
        assert!(anonymous.contains("id=\"flash\""), "{anonymous}");
    }

    #[test]
    fn unknown_themes_fall_back_to_auto() {
        let layout = Layout {
            theme: "\"><script>".into(),
            ..Layout::default()
        };
        assert!(render(&layout).contains("data-theme=\"auto\""));
    }
}
