//! The issue list, across projects (`/issues/`) or for one (`/projects/{slug}/issues/`):
//! the search box with the query, the sort, status tabs, the 24h/14d trend toggle, the
//! project filter, `table#issues` inside the bulk form, the cursor's next-page link and an
//! empty state that explains how to send a first event. Links keep the query, sort and
//! period; the script polls `data-poll-url` for the "N new issues" banner.

use askama::Template;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use crate::layout::Layout;
use crate::page::render_page;
use crate::sparkline::sparkline;

/// The sorts the list offers: (`sort` value, label).
const SORTS: [(&str, &str); 4] = [
    ("last_seen", "Last seen"),
    ("first_seen", "First seen"),
    ("events", "Events"),
    ("users", "Users"),
];

/// The status tabs: (`query`, label).
const STATUS_TABS: [(&str, &str); 4] = [
    ("is:unresolved", "Unresolved"),
    ("is:resolved", "Resolved"),
    ("is:ignored", "Ignored"),
    ("", "All"),
];

/// A project as the list links it (breadcrumb, filter).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectLink {
    pub slug: String,
    pub name: String,
}

impl ProjectLink {
    /// `/projects/{slug}/issues/`.
    pub fn issues_href(&self) -> String {
        project_path(Some(&self.slug))
    }

    /// `/projects/{slug}/settings/`.
    pub fn settings_href(&self) -> String {
        format!("/projects/{}/settings/", encode(&self.slug))
    }

    /// `/projects/{slug}/alerts/`.
    pub fn alerts_href(&self) -> String {
        format!("/projects/{}/alerts/", encode(&self.slug))
    }

    /// `/projects/{slug}/stats/`.
    pub fn stats_href(&self) -> String {
        format!("/projects/{}/stats/", encode(&self.slug))
    }
}

/// One issue in the list.
#[derive(Debug, Clone, Default)]
pub struct IssueRow {
    /// The issue's id (the store's row id).
    pub id: i64,
    /// The project-scoped short id ("BACKEND-1A").
    pub short_id: String,
    pub title: String,
    /// Where it happened (function or transaction); may be empty.
    pub culprit: String,
    /// `fatal`, `error`, `warning`, `info` or `debug`.
    pub level: String,
    pub project_slug: String,
    pub events: u64,
    pub users: u64,
    /// Relative ("3h ago") and exact (ISO 8601) times.
    pub first_seen: String,
    pub first_seen_iso: String,
    pub last_seen: String,
    pub last_seen_iso: String,
    /// Events per bucket over the period (24 hours or 14 days), oldest first.
    pub sparkline: Vec<u64>,
    /// First seen within the period.
    pub is_new: bool,
    /// Came back after being resolved.
    pub is_regressed: bool,
    /// `unresolved`, `resolved` or `ignored`.
    pub status: String,
    /// The detail page (`/issues/{id}/`).
    pub href: String,
}

impl IssueRow {
    /// The level's CSS class suffix, one of the five known levels.
    pub fn level_class(&self) -> &'static str {
        level_class(&self.level)
    }

    /// The status's CSS class suffix: `unresolved`, `resolved` or `ignored`.
    pub fn status_class(&self) -> &'static str {
        match self.status.as_str() {
            "resolved" => "resolved",
            "ignored" | "muted" => "ignored",
            _ => "unresolved",
        }
    }

    /// The status as shown in a badge.
    pub fn status_label(&self) -> &'static str {
        match self.status_class() {
            "resolved" => "Resolved",
            "ignored" => "Ignored",
            _ => "Unresolved",
        }
    }

    /// The event count, compact ("12k").
    pub fn events_text(&self) -> String {
        compact(self.events)
    }

    /// The user count, compact.
    pub fn users_text(&self) -> String {
        compact(self.users)
    }

    /// The trend as inline SVG (numbers only, hence safe unescaped).
    pub fn sparkline_svg(&self) -> String {
        sparkline(&self.sparkline)
    }
}

/// The issue list page.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "issue_list.html")]
pub struct IssueListPage {
    pub layout: Layout,
    /// The project when listing one project's issues; `None` across projects.
    pub project: Option<ProjectLink>,
    /// The projects to filter by (empty hides the filter).
    pub projects: Vec<ProjectLink>,
    /// The search as typed (Sentry syntax), shown in the box.
    pub query: String,
    /// `last_seen`, `first_seen`, `events` or `users` (anything else counts as `last_seen`).
    pub sort: String,
    /// `24h` or `14d` (anything else counts as `24h`).
    pub period: String,
    pub rows: Vec<IssueRow>,
    /// The cursor this page was asked with (`None` on the first page).
    pub cursor: Option<String>,
    /// The cursor of the next page, if there is one.
    pub next_cursor: Option<String>,
    /// When this page was made (ms since the epoch): the poll counts issues new since then.
    pub poll_since_ms: u64,
    /// Why the search could not run (a query that does not parse).
    pub error: Option<String>,
}

impl IssueListPage {
    /// The page as HTML.
    pub fn render(&self) -> String {
        render_page(self)
    }

    /// The list's own path: `/issues/` or `/projects/{slug}/issues/`.
    pub fn base_path(&self) -> String {
        project_path(self.project.as_ref().map(|project| project.slug.as_str()))
    }

    /// The sort, one of the known ones.
    pub fn sort(&self) -> &'static str {
        SORTS
            .iter()
            .find(|(value, _)| *value == self.sort)
            .map_or("last_seen", |(value, _)| value)
    }

    /// The period, `24h` or `14d`.
    pub fn period(&self) -> &'static str {
        if self.period == "14d" { "14d" } else { "24h" }
    }

    /// The sorts and status tabs, for the template.
    const SORTS: [(&str, &str); 4] = SORTS;
    const STATUS_TABS: [(&str, &str); 4] = STATUS_TABS;

    fn sort_is(&self, value: &str) -> bool {
        self.sort() == value
    }

    fn query_is(&self, value: &str) -> bool {
        self.query.trim() == value
    }

    fn sort_label(&self) -> &'static str {
        SORTS
            .iter()
            .find(|(value, _)| *value == self.sort())
            .map_or("Last seen", |(_, label)| label)
    }

    fn is_current_project(&self, option: &ProjectLink) -> bool {
        self.project
            .as_ref()
            .is_some_and(|project| project.slug == option.slug)
    }

    /// This page again (the bulk form's `next`, the banner's "show").
    pub fn current_href(&self) -> String {
        self.href(
            &self.base_path(),
            &self.query,
            self.period(),
            self.cursor.as_deref(),
        )
    }

    /// The next page, when there is one.
    pub fn next_page_href(&self) -> String {
        self.href(
            &self.base_path(),
            &self.query,
            self.period(),
            self.next_cursor.as_deref(),
        )
    }

    fn first_page_href(&self) -> String {
        self.href(&self.base_path(), &self.query, self.period(), None)
    }

    fn query_href(&self, query: &str) -> String {
        self.href(&self.base_path(), query, self.period(), None)
    }

    fn period_href(&self, period: &str) -> String {
        self.href(
            &self.base_path(),
            &self.query,
            period,
            self.cursor.as_deref(),
        )
    }

    fn project_href(&self, slug: Option<&str>) -> String {
        self.href(&project_path(slug), &self.query, self.period(), None)
    }

    /// Where the empty state sends people to set up an SDK.
    fn setup_href(&self) -> String {
        self.project
            .as_ref()
            .map_or_else(|| "/projects/".to_owned(), ProjectLink::settings_href)
    }

    /// `/issues/poll?since=…&query=…[&project=…]`, read by the script.
    pub fn poll_url(&self) -> String {
        let mut url = format!(
            "/issues/poll?since={}&query={}",
            self.poll_since_ms,
            encode(&self.query)
        );
        if let Some(project) = &self.project {
            url.push_str("&project=");
            url.push_str(&encode(&project.slug));
        }
        url
    }

    fn href(&self, path: &str, query: &str, period: &str, cursor: Option<&str>) -> String {
        let mut url = format!(
            "{path}?query={}&sort={}&period={}",
            encode(query),
            self.sort(),
            encode(period)
        );
        if let Some(cursor) = cursor {
            url.push_str("&cursor=");
            url.push_str(&encode(cursor));
        }
        url
    }
}

/// The list's path for a project, or across projects.
fn project_path(slug: Option<&str>) -> String {
    slug.map_or_else(
        || "/issues/".to_owned(),
        |slug| format!("/projects/{}/issues/", encode(slug)),
    )
}

/// Percent-encodes a query value or path segment.
fn encode(value: &str) -> String {
    utf8_percent_encode(value, NON_ALPHANUMERIC).to_string()
}

/// The CSS class suffix for an event level (Sentry's aliases folded in).
pub(crate) fn level_class(level: &str) -> &'static str {
    match level.to_ascii_lowercase().as_str() {
        "fatal" | "critical" => "fatal",
        "warning" | "warn" => "warning",
        "info" | "log" => "info",
        "debug" => "debug",
        _ => "error",
    }
}

/// A count for a dense column: `999`, `1.2k`, `12k`, `3.4M`, `5.6B`.
fn compact(count: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")];
    for (size, unit) in UNITS {
        if count >= size {
            let tenths = count / (size / 10);
            return if tenths < 100 && !tenths.is_multiple_of(10) {
                format!("{}.{}{unit}", tenths / 10, tenths % 10)
            } else {
                format!("{}{unit}", count / size)
            };
        }
    }
    count.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "\"><script>alert(1)</script>";

    fn row(id: i64) -> IssueRow {
        IssueRow {
            id,
            short_id: format!("BACKEND-{id}"),
            title: format!("TypeError <{id}>"),
            culprit: "app.views in <lambda>".into(),
            level: "warning".into(),
            project_slug: "backend".into(),
            events: 12_345,
            users: 7,
            first_seen: "3d ago".into(),
            first_seen_iso: "2026-01-01T00:00:00Z".into(),
            last_seen: "3h ago".into(),
            last_seen_iso: "2026-01-04T09:00:00Z".into(),
            sparkline: vec![0, 1, 4],
            is_new: false,
            is_regressed: true,
            status: "unresolved".into(),
            href: format!("/issues/{id}/"),
        }
    }

    fn page() -> IssueListPage {
        IssueListPage {
            layout: Layout {
                title: "Issues".into(),
                user: Some("ann".into()),
                csrf: "csrf-token".into(),
                ..Layout::default()
            },
            project: None,
            projects: vec![ProjectLink {
                slug: "backend".into(),
                name: "Back<end>".into(),
            }],
            query: "is:unresolved".into(),
            sort: "events".into(),
            period: "14d".into(),
            rows: vec![row(1), row(2)],
            cursor: None,
            next_cursor: Some("0:100:0".into()),
            poll_since_ms: 1_700_000_000_000,
            error: None,
        }
    }

    #[test]
    fn rows_carry_every_hook() {
        let html = page().render();
        assert!(html.contains("<table id=\"issues\""), "{html}");
        assert!(html.contains("<tr class=\"issue status-unresolved\" data-issue-id=\"1\">"));
        assert!(
            html.contains("<a class=\"issue-title\" href=\"/issues/1/\">TypeError &#60;1&#62;</a>")
        );
        for hook in [
            "class=\"issue-culprit\"",
            "class=\"issue-level level-warning\"",
            "issue-events\"",
            "issue-users\"",
            "class=\"issue-first-seen\"",
            "class=\"issue-last-seen\"",
            "<svg class=\"sparkline\"",
            "class=\"badge badge-regressed\"",
            "<input type=\"checkbox\" name=\"issue\" value=\"2\"",
            "<input id=\"search\" type=\"search\" name=\"query\" value=\"is:unresolved\"",
            "<form id=\"bulk\" method=\"post\" action=\"/issues/bulk\">",
            "name=\"action\" value=\"resolve\"",
            "name=\"action\" value=\"ignore\"",
            "name=\"action\" value=\"delete\" data-confirm=",
            "name=\"csrf\" value=\"csrf-token\"",
            "datetime=\"2026-01-04T09:00:00Z\"",
            ">12k</td>",
            "<option value=\"events\" selected>",
        ] {
            assert!(html.contains(hook), "missing {hook}: {html}");
        }
        assert!(!html.contains("badge-new"), "{html}");
        assert!(!html.contains("style="), "{html}");
        assert!(!html.contains("class=\"empty\""), "{html}");
    }

    #[test]
    fn links_keep_query_sort_and_period() {
        let html = page().render();
        let next = "<a id=\"next-page\" class=\"button\" \
                    href=\"/issues/?query=is%3Aunresolved&#38;sort=events&#38;period=14d&#38;cursor=0%3A100%3A0\"";
        assert!(html.contains(next), "{html}");
        assert!(html.contains("name=\"next\" value=\"/issues/?query=is%3Aunresolved&#38;sort=events&#38;period=14d\""), "{html}");
        assert!(
            html.contains(
                "href=\"/issues/?query=is%3Aunresolved&#38;sort=events&#38;period=24h\">24h</a>"
            ),
            "{html}"
        );
        assert!(
            html.contains("period=14d\" aria-current=\"page\">14d</a>"),
            "{html}"
        );
        assert!(
            html.contains("href=\"/projects/backend/issues/?query="),
            "{html}"
        );
        assert!(
            html.contains(
                "data-poll-url=\"/issues/poll?since=1700000000000&#38;query=is%3Aunresolved\""
            ),
            "{html}"
        );
    }

    #[test]
    fn hostile_strings_are_escaped_everywhere() {
        let mut page = page();
        page.query = HOSTILE.into();
        page.cursor = Some(HOSTILE.into());
        page.project = Some(ProjectLink {
            slug: HOSTILE.into(),
            name: HOSTILE.into(),
        });
        page.layout.flash = Some(HOSTILE.into());
        let mut hostile = row(3);
        hostile.title = HOSTILE.into();
        hostile.culprit = HOSTILE.into();
        hostile.short_id = HOSTILE.into();
        hostile.level = HOSTILE.into();
        hostile.status = HOSTILE.into();
        hostile.href = HOSTILE.into();
        hostile.first_seen = HOSTILE.into();
        hostile.last_seen_iso = HOSTILE.into();
        hostile.project_slug = HOSTILE.into();
        page.rows = vec![hostile];
        let html = page.render();
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(html.contains("&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;"));
        assert!(html.contains("class=\"issue-level level-error\""), "{html}");
        assert!(html.contains("/projects/%22%3E%3Cscript%3E"), "{html}");
    }

    #[test]
    fn the_empty_state_explains_the_first_event_and_still_polls() {
        let mut page = page();
        page.rows.clear();
        page.next_cursor = None;
        page.project = Some(ProjectLink {
            slug: "backend".into(),
            name: "Backend".into(),
        });
        let html = page.render();
        assert!(
            html.contains("<div class=\"empty\" data-poll-url=\"/issues/poll?since="),
            "{html}"
        );
        assert!(html.contains("&#38;project=backend"), "{html}");
        assert!(
            html.contains("href=\"/projects/backend/settings/\""),
            "{html}"
        );
        assert!(html.contains("sentry-cli send-event"), "{html}");
        assert!(!html.contains("id=\"issues\""), "{html}");
        assert!(!html.contains("id=\"next-page\""), "{html}");
        assert!(html.contains("aria-label=\"Breadcrumb\""), "{html}");
    }

    #[test]
    fn unknown_sorts_and_periods_fall_back() {
        let mut page = page();
        page.sort = "<x>".into();
        page.period = "1y".into();
        assert_eq!(page.sort(), "last_seen");
        assert_eq!(page.period(), "24h");
        assert!(
            page.render()
                .contains("<option value=\"last_seen\" selected>")
        );
    }

    #[test]
    fn counts_and_levels_are_compact_and_known() {
        assert_eq!(compact(999), "999");
        assert_eq!(compact(1_000), "1k");
        assert_eq!(compact(1_250), "1.2k");
        assert_eq!(compact(12_345), "12k");
        assert_eq!(compact(3_400_000), "3.4M");
        assert_eq!(compact(u64::MAX), "18446744073B");
        assert_eq!(level_class("FATAL"), "fatal");
        assert_eq!(level_class("log"), "info");
        assert_eq!(level_class("nonsense"), "error");
    }
}
