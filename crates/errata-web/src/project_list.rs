//! The projects list: each project with its platform, unresolved issues and events of the
//! last 24 hours, linking to its issues and settings, plus the link to create one.

use askama::Template;

use crate::issue_list::ProjectLink;
use crate::layout::Layout;
use crate::page::render_page;
use crate::sparkline::sparkline;

/// One project in the list.
#[derive(Debug, Clone, Default)]
pub struct ProjectRow {
    pub slug: String,
    pub name: String,
    /// `python`, `rust`... or empty.
    pub platform: String,
    pub unresolved_issues: u64,
    pub events_24h: u64,
    /// Events per hour over the last 24 hours, oldest first (empty draws nothing).
    pub sparkline: Vec<u64>,
}

impl ProjectRow {
    fn link(&self) -> ProjectLink {
        ProjectLink {
            slug: self.slug.clone(),
            name: self.name.clone(),
        }
    }

    /// `/projects/{slug}/issues/`.
    pub fn issues_href(&self) -> String {
        self.link().issues_href()
    }

    /// `/projects/{slug}/settings/`.
    pub fn settings_href(&self) -> String {
        self.link().settings_href()
    }

    /// The trend as inline SVG (numbers only, hence safe unescaped).
    pub fn sparkline_svg(&self) -> String {
        if self.sparkline.is_empty() {
            String::new()
        } else {
            sparkline(&self.sparkline)
        }
    }
}

/// The projects page.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "project_list.html")]
pub struct ProjectListPage {
    pub layout: Layout,
    pub projects: Vec<ProjectRow>,
    /// Whether to offer "New project" (the server checks again on submit).
    pub can_create: bool,
}

impl ProjectListPage {
    /// The page as HTML.
    pub fn render(&self) -> String {
        render_page(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_link_issues_and_settings_and_escape() {
        let page = ProjectListPage {
            layout: Layout::default(),
            projects: vec![ProjectRow {
                slug: "a b".into(),
                name: "<script>x</script>".into(),
                platform: "\"rust\"".into(),
                unresolved_issues: 3,
                events_24h: 1_500,
                sparkline: vec![1, 2],
            }],
            can_create: true,
        };
        let html = page.render();
        assert!(html.contains("<table id=\"projects\""), "{html}");
        assert!(
            html.contains("href=\"/projects/a%20b/issues/\">&#60;script&#62;x"),
            "{html}"
        );
        assert!(
            html.contains("href=\"/projects/a%20b/settings/\""),
            "{html}"
        );
        assert!(html.contains("&#34;rust&#34;"), "{html}");
        assert!(html.contains("<svg class=\"sparkline\""), "{html}");
        assert!(html.contains("href=\"/projects/new\""), "{html}");
        assert!(!html.contains("<script>x"), "{html}");
        assert!(html.contains("<th scope=\"col\""), "{html}");
    }

    #[test]
    fn no_projects_shows_the_empty_state() {
        let html = ProjectListPage::default().render();
        assert!(html.contains("class=\"empty\""), "{html}");
        assert!(!html.contains("href=\"/projects/new\""), "{html}");
    }
}
