//! The frame every signed-in page shares: the navigation, the signed-in user with the
//! logout form (carrying the CSRF token), flash messages and the theme.

/// What the shared frame needs to know about the request.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// The `<title>` (the page's own part; " · Errata" is appended).
    pub title: String,
    /// The signed-in user's display name; `None` on the login page.
    pub user: Option<String>,
    /// The session's CSRF token, put into every form.
    pub csrf: String,
    /// Which navigation entry is current.
    pub nav: NavItem,
    /// A one-line message shown once (after an action).
    pub flash: Option<String>,
    /// `light`, `dark` or `auto` (follows the system).
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
    Settings,
    None,
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

    #[test]
    fn pages_extend_the_layout_and_escape() {
        let layout = Layout {
            title: "<t>".into(),
            ..Layout::default()
        };
        let html = Probe {
            layout: &layout,
            text: "<script>",
        }
        .render()
        .unwrap();
        assert!(html.contains("<p>&#60;script&#62;</p>"), "{html}");
        assert!(html.contains("&#60;t&#62; · Errata"), "{html}");
    }
}
