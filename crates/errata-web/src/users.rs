//! Administering users (`/settings/users/`, admins only): the list with email, name and
//! role, a reset-password button per user (`reset` = id), the create form (`email`, `name`,
//! `role`: admin or member; owners are not created here), and a generated password shown
//! once after creating a user or resetting one.

use askama::Template;

use crate::layout::Layout;
use crate::page::render_page;

/// The roles the create form offers: (`role` value, label).
pub const CREATABLE_ROLES: [(&str, &str); 2] = [("member", "Member"), ("admin", "Admin")];

/// One user account.
#[derive(Debug, Clone, Default)]
pub struct UserRow {
    /// The user's id (the store's row id), posted as `reset`.
    pub id: i64,
    pub email: String,
    pub name: String,
    /// `owner`, `admin` or `member`.
    pub role: String,
    /// The signed-in admin themselves.
    pub is_self: bool,
}

/// A password the server generated, shown once.
#[derive(Debug, Clone, Default)]
pub struct GeneratedPassword {
    /// Whose password it is.
    pub email: String,
    pub password: String,
}

/// The users page.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "users.html")]
pub struct UsersPage {
    pub layout: Layout,
    pub users: Vec<UserRow>,
    /// After creating a user or resetting a password.
    pub generated: Option<GeneratedPassword>,
    /// Why the last create was refused.
    pub error: Option<String>,
    /// The create form's values typed before.
    pub email: String,
    pub name: String,
    pub role: String,
}

impl UsersPage {
    const ROLES: [(&str, &str); 2] = CREATABLE_ROLES;

    /// The page as HTML.
    pub fn render(&self) -> String {
        render_page(self)
    }

    fn role_is(&self, value: &str) -> bool {
        self.role == value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "\"><script>alert(1)</script>";

    fn page() -> UsersPage {
        UsersPage {
            layout: Layout {
                csrf: "tok".into(),
                user: Some("root".into()),
                is_admin: true,
                nav: crate::NavItem::Users,
                ..Layout::default()
            },
            users: vec![
                UserRow {
                    id: 1,
                    email: "root@example.com".into(),
                    name: "Root".into(),
                    role: "owner".into(),
                    is_self: true,
                },
                UserRow {
                    id: 2,
                    email: HOSTILE.into(),
                    name: HOSTILE.into(),
                    role: HOSTILE.into(),
                    is_self: false,
                },
            ],
            generated: None,
            error: Some(HOSTILE.into()),
            email: HOSTILE.into(),
            name: String::new(),
            role: "admin".into(),
        }
    }

    #[test]
    fn list_reset_and_create_form() {
        let html = page().render();
        for hook in [
            "<table id=\"users\"",
            "<button type=\"submit\" class=\"small\" name=\"reset\" value=\"2\"",
            "<form id=\"user-create\" method=\"post\" action=\"/settings/users/\">",
            "<option value=\"admin\" selected>Admin</option>",
            "<label for=\"user-email\">",
            "<label for=\"user-name\">",
            "<label for=\"user-role\">",
            "name=\"csrf\" value=\"tok\"",
            "aria-current=\"page\">Users</a>",
        ] {
            assert!(html.contains(hook), "missing {hook}: {html}");
        }
        assert!(
            !html.contains("value=\"owner\""),
            "owners are not creatable: {html}"
        );
        assert!(
            !html.contains("name=\"reset\" value=\"1\""),
            "not for oneself: {html}"
        );
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(
            html.contains("name=\"email\" value=\"&#34;&#62;&#60;script&#62;"),
            "{html}"
        );
    }

    #[test]
    fn a_generated_password_is_shown_once() {
        let mut page = page();
        page.generated = Some(GeneratedPassword {
            email: "bob@example.com".into(),
            password: "p<w>".into(),
        });
        let html = page.render();
        assert!(
            html.contains("<code class=\"secret\" id=\"generated-password\">p&#60;w&#62;</code>")
        );
        assert!(html.contains("data-copy=\"generated-password\""), "{html}");
        assert!(html.contains("bob@example.com"), "{html}");
    }
}
