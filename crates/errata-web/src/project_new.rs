//! The new-project form: `name` and `platform`, posted to `/projects/new`, with the form's
//! previous values and error after a refused attempt.

use askama::Template;

use crate::layout::Layout;
use crate::page::render_page;
use crate::platform::PLATFORMS;

/// The new-project page.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "project_new.html")]
pub struct ProjectNewPage {
    pub layout: Layout,
    /// The name typed before, or empty.
    pub name: String,
    /// The platform chosen before (one of [`PLATFORMS`]), or empty.
    pub platform: String,
    /// Why the last attempt was refused.
    pub error: Option<String>,
}

impl ProjectNewPage {
    const PLATFORMS: [(&str, &str); 6] = PLATFORMS;

    /// The page as HTML.
    pub fn render(&self) -> String {
        render_page(self)
    }

    fn platform_is(&self, value: &str) -> bool {
        self.platform == value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_keeps_values_escaped_with_labels_and_csrf() {
        let page = ProjectNewPage {
            layout: Layout {
                csrf: "t".into(),
                ..Layout::default()
            },
            name: "\"><img src=x>".into(),
            platform: "rust".into(),
            error: Some("Name <taken>".into()),
        };
        let html = page.render();
        assert!(html.contains("<form id=\"project-new\" method=\"post\" action=\"/projects/new\""));
        assert!(
            html.contains("name=\"name\" value=\"&#34;&#62;&#60;img src=x&#62;\""),
            "{html}"
        );
        assert!(
            html.contains("<option value=\"rust\" selected>Rust</option>"),
            "{html}"
        );
        assert!(html.contains("class=\"form-error\" role=\"alert\">Name &#60;taken&#62;"));
        assert!(html.contains("name=\"csrf\" value=\"t\""), "{html}");
        assert!(html.contains("<label for=\"project-name\">"), "{html}");
        assert!(html.contains("<label for=\"project-platform\">"), "{html}");
    }
}
