//! The issue page rendered from real events: the contract's DOM hooks are there, frames
//! and breadcrumbs show, and a hostile event's text arrives escaped everywhere.

use serde_json::{Value, json};

use super::*;
use crate::event_view::tests::{browser_error, corpus_event};
use crate::event_view::{EventView, Moment};

const NOW_MS: i64 = 1_795_300_000_000;

fn page(event: &Value) -> IssueDetail {
    let view = EventView::new(event);
    let id = view.event_id.clone();
    IssueDetail {
        layout: Layout {
            title: "Issue".into(),
            csrf: "tok123".into(),
            theme: "auto".into(),
            user: Some("ana".into()),
            ..Layout::default()
        },
        issue: IssueHeader {
            id: 42,
            short_id: "SHOP-1A".into(),
            title: "KeyError: 'A-17'".into(),
            culprit: "load_order".into(),
            level: "error".into(),
            status: IssueStatus::Unresolved,
            is_regressed: true,
            project_slug: "shop".into(),
            project_name: "Shop".into(),
            first_seen: Moment::from_millis(NOW_MS - 86_400_000, NOW_MS),
            last_seen: Moment::from_millis(NOW_MS - 60_000, NOW_MS),
            first_release: Some("shop@1.0".into()),
            events: 17,
            users: 3,
            ..IssueHeader::default()
        },
        trend: Trend {
            counts: vec![0, 2, 5, 1],
            start_secs: 1_795_280_400,
            period: Period::Day,
        },
        tags: vec![TagDistribution::new(
            "sentry:user",
            17,
            vec![("ip:127.0.0.1".into(), 12), ("id:7".into(), 3)],
        )],
        nav: EventNav::new(42, &id, Some("aa"), Some("aa"), None, None),
        event: Some(view),
        attachments: vec![Attachment::new(42, "9", "log.txt", 2048)],
        feedback: vec![Feedback {
            name: "Ana".into(),
            email: "ana@example.com".into(),
            comments: "It broke".into(),
            when: Moment::from_millis(NOW_MS - 5_000, NOW_MS),
        }],
        grouping: GroupingView::from_json(&json!({"hashes": ["ab"], "variants": [
            {"name": "app", "contributes": true, "hash": "ab", "component": {"id": "app",
             "contributes": true, "values": [{"id": "type", "contributes": true, "values": ["KeyError"]},
             {"id": "value", "contributes": false, "hint": "stacktrace takes precedence", "values": ["'A-17'"]}]}}]})),
        activity: vec![ActivityEntry {
            when: Moment::from_millis(NOW_MS - 3_600_000, NOW_MS),
            who: "Errata".into(),
            text: "first seen".into(),
        }],
        trackers: Trackers::default(),
    }
}

fn render(event: &Value) -> String {
    page(event).render_html().unwrap()
}

#[test]
fn python_issue_page_has_the_contract_hooks() {
    let html = render(&corpus_event("python/flask_request/0000"));
    for hook in [
        "<h1 id=\"issue-title\">KeyError: &#39;A-17&#39;</h1>",
        "<p id=\"issue-culprit\">load_order</p>",
        "id=\"issue-status\" class=\"status status-unresolved\">Unresolved</span>",
        "class=\"badge badge-regressed\"",
        "<form id=\"actions\" method=\"post\" action=\"/issues/42/status\">",
        "<input type=\"hidden\" name=\"csrf\" value=\"tok123\">",
        "name=\"action\" value=\"resolve\"",
        "name=\"action\" value=\"resolve_next_release\"",
        "name=\"action\" value=\"ignore\"",
        "name=\"action\" value=\"delete\" class=\"danger\" data-confirm=",
        "<select name=\"ignore_minutes\">",
        "name=\"ignore_count\"",
        "name=\"ignore_users\"",
        "<svg class=\"chart\" role=\"img\"",
        "<section id=\"tags\"",
        "<span class=\"tag-key\">user</span>",
        "<meter class=\"tag-bar\" min=\"0\" max=\"100\" value=\"71\"",
        "<a id=\"event-oldest\" href=\"/issues/42/events/aa/\">",
        "<a id=\"event-prev\" href=\"/issues/42/events/aa/\">",
        "<span class=\"disabled\">Newer</span>",
        "id=\"raw-json\" href=\"/issues/42/events/",
        "<section id=\"exceptions\"",
        "<span class=\"exception-type\">KeyError</span>",
        "<pre class=\"exception-value\">&#39;B-9&#39;</pre>",
        "<li class=\"frame in-app\">",
        "<details class=\"system-frames\"><summary>",
        "<span class=\"frame-function\">load_order</span>",
        "<span class=\"frame-filename\"",
        "<span class=\"frame-lineno\">23</span>",
        "<ol class=\"context\"",
        "<li class=\"current\" value=\"23\"><code>    return orders[order_id]</code></li>",
        "<table class=\"frame-vars\">",
        "<section id=\"request\"",
        "<code class=\"request-url\">http://localhost/orders/B-9</code>",
        "<section id=\"user\"",
        "<section id=\"contexts\"",
        "<section id=\"sdk\"",
        "<section id=\"event-tags\"",
        "<section id=\"extra\"",
        "<section id=\"attachments\"",
        "<a href=\"/issues/42/attachments/9\" download>log.txt</a>",
        "<section id=\"user-feedback\"",
        "<section id=\"grouping\"",
        "<li class=\"component not-contributing\"><span class=\"component-id\">value</span>",
        "(stacktrace takes precedence)",
        "<section id=\"activity\"",
        "<span class=\"activity-who\">Errata</span>",
    ] {
        assert!(html.contains(hook), "missing {hook}");
    }
    assert!(
        !html.contains("value=\"unresolve\""),
        "unresolved issues offer no unresolve"
    );
    assert_eq!(html.matches("<ul").count(), html.matches("</ul>").count());
    assert_eq!(html.matches("<ol").count(), html.matches("</ol>").count());
    assert_eq!(
        html.matches("<details").count(),
        html.matches("</details>").count()
    );
}

#[test]
fn rust_panic_page_folds_system_frames_and_shows_breadcrumbs_elsewhere() {
    let html = render(&corpus_event("rust/panic/"));
    assert!(html.contains("<span class=\"exception-type\">panic</span>"));
    assert!(html.contains("badge-unhandled"));
    assert!(html.matches("<details class=\"system-frames\">").count() >= 1);
    assert!(html.contains("<li class=\"frame in-app\">"));

    let html = render(&corpus_event("python/breadcrumbs/"));
    let crumbs = html.split("<section id=\"breadcrumbs\"").nth(1).unwrap();
    let crumbs = crumbs.split("</section>").next().unwrap();
    assert_eq!(crumbs.matches("<li class=\"breadcrumb").count(), 3);
    assert!(crumbs.contains("<span class=\"breadcrumb-message\">Authenticated user ana</span>"));
    assert!(crumbs.contains("<time class=\"breadcrumb-time\" datetime=\"2026-11-21T"));
}

#[test]
fn browser_and_message_events_render() {
    let html = render(&browser_error());
    assert!(html.contains("<span class=\"frame-function\">renderCart</span>"));
    assert!(html.contains("<span class=\"frame-colno\">:17</span>"));
    // Event URLs are shown as text, never linked.
    assert!(!html.contains("href=\"https://shop.example"));
    let html = render(&corpus_event("rust/tracing_integration/"));
    assert!(html.contains("<pre class=\"event-message\">payment provider timeout</pre>"));
    assert!(html.contains("<section id=\"threads\""));
    assert!(!html.contains("<section id=\"exceptions\""));
}

#[test]
fn statuses_change_the_actions() {
    let mut page = page(&corpus_event("rust/panic/"));
    page.issue.status = IssueStatus::Ignored;
    page.issue.status_detail = Some(ignore_detail(None, Some(2), None));
    let html = page.render_html().unwrap();
    assert!(html.contains(
        ">Ignored</span> <span class=\"status-detail\">Ignored until 2 more events</span>"
    ));
    assert!(html.contains("value=\"unresolve\""));
    let actions = html.split("<form id=\"actions\"").nth(1).unwrap();
    let actions = actions.split("</form>").next().unwrap();
    assert!(!actions.contains("value=\"ignore\""));
    page.issue.status = IssueStatus::Resolved;
    page.event = None;
    page.grouping = None;
    let html = page.render_html().unwrap();
    assert!(!html.contains("value=\"resolve\""));
    assert!(html.contains("No event of this issue is stored any more."));
}

const PAYLOADS: [&str; 3] = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "javascript:alert(1)",
];

/// Every string of `value` replaced by all payloads (keys too).
fn poison(value: &Value) -> Value {
    let bad = PAYLOADS.join(" ");
    match value {
        Value::String(_) => Value::String(bad),
        Value::Array(items) => Value::Array(items.iter().map(poison).collect()),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                let key = if k == "type" || k == "values" || k == "frames" || k == "in_app" {
                    k.clone()
                } else {
                    format!("{k}{bad}")
                };
                // Keep the structural keys readable so every section is shown.
                let known = matches!(
                    k.as_str(),
                    "exception"
                        | "values"
                        | "stacktrace"
                        | "frames"
                        | "breadcrumbs"
                        | "request"
                        | "user"
                        | "contexts"
                        | "sdk"
                        | "tags"
                        | "extra"
                        | "errors"
                        | "level"
                        | "timestamp"
                        | "lineno"
                        | "context_line"
                        | "pre_context"
                        | "post_context"
                        | "vars"
                        | "function"
                        | "filename"
                        | "abs_path"
                        | "module"
                        | "mechanism"
                        | "value"
                        | "data"
                        | "headers"
                        | "cookies"
                        | "query_string"
                        | "url"
                        | "method"
                        | "message"
                        | "category"
                        | "name"
                        | "version"
                        | "integrations"
                        | "packages"
                        | "event_id"
                        | "email"
                        | "id"
                        | "os"
                        | "runtime"
                        | "threads"
                        | "logentry"
                        | "formatted"
                        | "reason"
                        | "release"
                        | "environment"
                        | "platform"
                        | "fingerprint"
                        | "help_link"
                        | "colno"
                        | "in_app"
                        | "fragment"
                        | "env"
                );
                (if known { k.clone() } else { key }, poison(v))
            })
            .collect(),
        other => other.clone(),
    }
}

/// Tag names the templates write; anything else means event text became markup.
const TAGS: [&str; 40] = [
    "!doctype", "html", "head", "meta", "title", "body", "main", "article", "aside", "header", "p",
    "a", "span", "h1", "h2", "h3", "dl", "dt", "dd", "div", "time", "section", "form", "input",
    "button", "label", "select", "option", "nav", "svg", "g", "rect", "text", "line", "meter",
    "ul", "ol", "li", "pre", "code",
];
const MORE_TAGS: [&str; 10] = [
    "details",
    "summary",
    "table",
    "tbody",
    "tr",
    "th",
    "td",
    "caption",
    "blockquote",
    "polyline",
];

/// Checks every tag of `html`: known names, no `on*` attributes, links only to our paths.
fn assert_markup_is_ours(html: &str) {
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let tag = &rest[start + 1..];
        let end = tag.find('>').expect("unclosed tag");
        let inner = &tag[..end];
        rest = &tag[end..];
        let inner = inner.trim_start_matches('/').trim_end_matches('/');
        let name = inner
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        assert!(
            TAGS.contains(&name.as_str()) || MORE_TAGS.contains(&name.as_str()),
            "unexpected tag <{inner}>"
        );
        // Attributes: name="value" pairs; values cannot hold a raw quote (escaped).
        let mut attrs = inner[name.len().min(inner.len())..].trim();
        while !attrs.is_empty() {
            let (attr, after) = match attrs.find(|c: char| c == '=' || c.is_whitespace()) {
                Some(i) if attrs.as_bytes()[i] == b'=' => {
                    let value = &attrs[i + 1..];
                    assert!(value.starts_with('"'), "unquoted attribute in <{inner}>");
                    let close = value[1..].find('"').expect("unterminated attribute") + 1;
                    let v = &value[1..close];
                    let attr = &attrs[..i];
                    if attr == "href" || attr == "src" || attr == "action" {
                        assert!(v.starts_with('/'), "link to {v} in <{inner}>");
                    }
                    (attr, &value[close + 1..])
                }
                Some(i) => (&attrs[..i], &attrs[i..]),
                None => (attrs, ""),
            };
            assert!(
                !attr.to_ascii_lowercase().starts_with("on") && !attr.contains('<'),
                "attribute {attr} in <{inner}>"
            );
            attrs = after.trim();
        }
    }
}

#[test]
fn hostile_events_arrive_escaped_everywhere() {
    let mut sources = vec![
        corpus_event("python/flask_request/0000"),
        corpus_event("python/breadcrumbs/"),
        corpus_event("rust/tracing_integration/"),
        corpus_event("python/large_payload/"),
        browser_error(),
    ];
    sources.push(json!({"_meta": {"message": {"": {"err": [["x", {"reason": PAYLOADS[1]}]], "val": PAYLOADS[0]}}}}));
    let bad = PAYLOADS.join(" ");
    for source in &sources {
        let event = poison(source);
        let mut page = page(&event);
        page.issue.title.clone_from(&bad);
        page.issue.culprit.clone_from(&bad);
        page.issue.level.clone_from(&bad);
        page.issue.project_slug.clone_from(&bad);
        page.issue.project_name.clone_from(&bad);
        page.issue.short_id.clone_from(&bad);
        page.issue.status_detail = Some(bad.clone());
        page.issue.first_release = Some(bad.clone());
        page.tags = vec![TagDistribution::new(&bad, 3, vec![(bad.clone(), 2)])];
        page.nav = EventNav::new(42, &bad, Some(&bad), Some(&bad), Some(&bad), Some(&bad));
        page.attachments = vec![Attachment::new(42, &bad, &bad, 1)];
        page.feedback[0].name.clone_from(&bad);
        page.feedback[0].email.clone_from(&bad);
        page.feedback[0].comments.clone_from(&bad);
        page.activity[0].who.clone_from(&bad);
        page.activity[0].text.clone_from(&bad);
        page.grouping = GroupingView::from_json(&poison(&json!({"config": "c", "hashes": ["h"],
            "variants": [{"name": "n", "description": "d", "hash": "h", "hint": "x",
            "fingerprint": ["f"], "contributes": true, "component": {"id": "i", "hint": "y",
            "contributes": true, "values": ["v", {"id": "j", "values": ["w"]}]}}]})));
        page.layout.title.clone_from(&bad);
        page.layout.flash = Some(bad.clone());
        let html = page.render_html().unwrap();
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "payload shown, escaped"
        );
        // The layout's own script is the only one.
        assert_eq!(html.matches("<script").count(), 1, "{html}");
        assert!(html.contains("<script src=\"/static/app."), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("href=\"javascript"), "{html}");
        // The page's own part (the layout's head and header are web-pages' and tested there).
        let main = &html[html.find("<main").unwrap()..html.rfind("</main>").unwrap()];
        assert_markup_is_ours(main);
    }
}

#[test]
fn tracker_links_and_buttons_are_shown_and_only_http_urls_linked() {
    let mut page = page(&corpus_event("python/flask_request/0000"));
    assert!(!page.render_html().unwrap().contains("id=\"trackers\""));
    page.trackers = Trackers {
        links: vec![
            TrackerLink {
                kind: "github".into(),
                url: "https://github.com/octo/repo/issues/12".into(),
                reference: "octo/repo#12".into(),
            },
            TrackerLink {
                kind: "gitlab".into(),
                url: "javascript:alert(1)".into(),
                reference: "\"><script>alert(1)</script>".into(),
            },
        ],
        targets: vec![
            TrackerTarget {
                channel_id: 3,
                kind: "github".into(),
                name: "octo".into(),
            },
            TrackerTarget {
                channel_id: 4,
                kind: "gitlab".into(),
                name: "<b>gl</b>".into(),
            },
        ],
    };
    let html = page.render_html().unwrap();
    for hook in [
        "<section id=\"trackers\"",
        "GitHub <a href=\"https://github.com/octo/repo/issues/12\" rel=\"noopener noreferrer\">octo/repo#12</a>",
        "<form id=\"tracker-create\" class=\"inline-form\" method=\"post\" action=\"/issues/42/tracker\">",
        "name=\"channel\" value=\"3\"",
        ">Create GitHub issue <span class=\"muted\">(octo)</span>",
        "Create GitLab issue",
    ] {
        assert!(html.contains(hook), "missing {hook}: {html}");
    }
    assert!(!html.contains("javascript:"), "{html}");
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(!html.contains("<b>gl"), "{html}");
}
