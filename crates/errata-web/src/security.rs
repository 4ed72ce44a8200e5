//! The security headers every HTML page is sent with. The server sets exactly these values;
//! the templates are written for them: no inline scripts, no `style` attributes, no inline
//! event handlers, SVG drawn with presentation attributes only.

/// `Content-Security-Policy`: scripts, styles and fetches from this origin only, forms post
/// only here, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
base-uri 'none'; frame-ancestors 'none'";

/// `X-Content-Type-Options`: browsers must not guess content types.
pub const X_CONTENT_TYPE_OPTIONS: &str = "nosniff";

/// `Referrer-Policy`: issue URLs do not leak to other sites.
pub const REFERRER_POLICY: &str = "same-origin";

/// `X-Frame-Options`: no framing (for browsers that ignore `frame-ancestors`).
pub const X_FRAME_OPTIONS: &str = "DENY";

/// Every header above as (name, value) pairs, for the server to set in one loop.
pub const SECURITY_HEADERS: [(&str, &str); 4] = [
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", X_CONTENT_TYPE_OPTIONS),
    ("referrer-policy", REFERRER_POLICY),
    ("x-frame-options", X_FRAME_OPTIONS),
];

/// The cookie holding the theme (`light`, `dark` or `auto`); the script sets it.
pub const THEME_COOKIE: &str = "errata_theme";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_is_the_contracts() {
        assert_eq!(
            CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        );
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe"));
    }
}

/// Every page, rendered with sample data, obeys the policy: no inline scripts, styles or
/// event handlers, and every state-changing form carries the CSRF token.
#[cfg(test)]
mod page_tests {
    use crate::{
        ErrorKind, ErrorPage, IssueListPage, IssueRow, KeyRow, Layout, LoginPage, ProjectListPage,
        ProjectNewPage, ProjectRow, ProjectSettingsPage, TokenRow, TokensPage, UserRow, UsersPage,
    };

    fn layout() -> Layout {
        Layout {
            title: "t".into(),
            user: Some("ann".into()),
            csrf: "CSRF".into(),
            flash: Some("done".into()),
            is_admin: true,
            ..Layout::default()
        }
    }

    fn pages() -> Vec<String> {
        vec![
            LoginPage {
                layout: Layout {
                    csrf: "CSRF".into(),
                    ..Layout::default()
                },
                ..LoginPage::default()
            }
            .render(),
            ErrorPage {
                layout: layout(),
                kind: ErrorKind::CsrfFailure,
            }
            .render(),
            IssueListPage {
                layout: layout(),
                rows: vec![IssueRow {
                    sparkline: vec![1, 0, 3],
                    ..IssueRow::default()
                }],
                next_cursor: Some("c".into()),
                ..IssueListPage::default()
            }
            .render(),
            ProjectListPage {
                layout: layout(),
                projects: vec![ProjectRow::default()],
                can_create: true,
            }
            .render(),
            ProjectNewPage {
                layout: layout(),
                ..ProjectNewPage::default()
            }
            .render(),
            ProjectSettingsPage {
                layout: layout(),
                keys: vec![KeyRow::default()],
                ..ProjectSettingsPage::default()
            }
            .render(),
            TokensPage {
                layout: layout(),
                tokens: vec![TokenRow::default()],
                new_token: Some("secret".into()),
                ..TokensPage::default()
            }
            .render(),
            UsersPage {
                layout: layout(),
                users: vec![UserRow::default()],
                ..UsersPage::default()
            }
            .render(),
        ]
    }

    #[test]
    fn no_inline_script_style_or_handlers() {
        for html in pages() {
            let lower = html.to_ascii_lowercase();
            assert!(!lower.contains(" style="), "{html}");
            assert!(!lower.contains("<style"), "{html}");
            assert!(!lower.contains("javascript:"), "{html}");
            for (at, _) in lower.match_indices("<script") {
                assert!(lower[at..].starts_with("<script src=\"/static/"), "{html}");
            }
            for handler in [
                " onclick=",
                " onload=",
                " onchange=",
                " onsubmit=",
                " onerror=",
            ] {
                assert!(!lower.contains(handler), "{handler} in {html}");
            }
        }
    }

    #[test]
    fn every_post_form_carries_the_csrf_token() {
        for html in pages() {
            let lower = html.to_ascii_lowercase();
            for (at, _) in lower.match_indices("<form") {
                let form = &lower[at..at + lower[at..].find("</form>").unwrap()];
                if form.contains("method=\"post\"") {
                    assert!(
                        form.contains("<input type=\"hidden\" name=\"csrf\" value=\"csrf\">"),
                        "{form}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_table_header_has_a_scope() {
        for html in pages() {
            assert!(!html.contains("<th>"), "{html}");
            for (at, _) in html.match_indices("<th ") {
                assert!(
                    html[at..].starts_with("<th scope="),
                    "{}",
                    &html[at..at + 60]
                );
            }
        }
    }
}
