//! The sign-in page: `form#login` posting `email`, `password`, the pre-session `csrf` and the
//! optional `next` (where to go afterwards), with the failure message in `.form-error`.

use askama::Template;

use crate::layout::Layout;
use crate::page::render_page;

/// The sign-in form, empty or after a failed attempt.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    /// The frame, with `user: None`; `csrf` is the pre-session token.
    pub layout: Layout,
    /// The email typed before (kept after a failed attempt), or empty.
    pub email: String,
    /// Where to go after signing in (a local path; the server checks it).
    pub next: Option<String>,
    /// Why the last attempt failed ("Wrong email or password.").
    pub error: Option<String>,
}

impl LoginPage {
    /// The page as HTML.
    pub fn render(&self) -> String {
        render_page(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_has_its_hooks_and_escapes_everything_echoed() {
        let page = LoginPage {
            layout: Layout {
                title: "Sign in".into(),
                csrf: "c\"srf".into(),
                ..Layout::default()
            },
            email: "\"><script>alert(1)</script>".into(),
            next: Some("/issues/?query=\"<x>".into()),
            error: Some("Wrong <email> or password.".into()),
        };
        let html = page.render();
        assert!(html.contains("<form id=\"login\" method=\"post\" action=\"/login\""));
        assert!(
            html.contains("name=\"email\" value=\"&#34;&#62;&#60;script&#62;"),
            "{html}"
        );
        assert!(
            html.contains("type=\"password\" name=\"password\""),
            "{html}"
        );
        assert!(html.contains("<button type=\"submit\""), "{html}");
        assert!(html.contains("name=\"csrf\" value=\"c&#34;srf\""), "{html}");
        assert!(html.contains("name=\"next\" value=\"/issues/?query=&#34;&#60;x&#62;\""));
        assert!(html.contains("class=\"form-error\" role=\"alert\">Wrong &#60;email&#62;"));
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("id=\"logout\""), "{html}");
        assert!(html.contains("<label for=\"login-email\">"));
        assert!(html.contains("<label for=\"login-password\">"));
    }

    #[test]
    fn snapshot() {
        let page = LoginPage {
            layout: Layout {
                title: "Sign in".into(),
                csrf: "CSRF".into(),
                ..Layout::default()
            },
            email: "ann@example.com".into(),
            next: Some("/issues/".into()),
            error: Some("Wrong email or password.".into()),
        };
        // The asset hashes change with every stylesheet edit; the snapshot names them.
        let html = page
            .render()
            .replace(page.layout.stylesheet(), "/static/app.HASH.css")
            .replace(page.layout.script(), "/static/app.HASH.js");
        insta::assert_snapshot!(html);
    }

    #[test]
    fn no_error_no_next_when_fresh() {
        let html = LoginPage::default().render();
        assert!(!html.contains("form-error"), "{html}");
        assert!(!html.contains("name=\"next\""), "{html}");
    }
}
