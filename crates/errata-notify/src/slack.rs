//! Slack (and Mattermost) messages: the incoming-webhook body of an alert and the body that
//! replaces it after a button click.
//!
//! A message carries Block Kit `blocks` for Slack, the plain `text` Slack shows in
//! notifications (its fallback) and Slack-style `attachments` for Mattermost, which ignores
//! `blocks` (Slack shows them too, as a colored card under the blocks). Every user string is
//! escaped for mrkdwn (`&`, `<`, `>`, so no mention, `<!channel>` or link can be injected)
//! and cut to Slack's limits: header 150 characters, section text 3000, field 2000, button
//! text 75, button value 2000.

use std::fmt::Write as _;

use errata_store::Trigger;
use serde_json::{Value, json};

use crate::escape::{self, single_line};
use crate::notification::{Notification, utc};

/// Slack's limit for a header block's text.
pub const HEADER_MAX: usize = 150;
/// Slack's limit for a section's text.
pub const SECTION_MAX: usize = 3000;
/// Slack's limit for one section field.
pub const FIELD_MAX: usize = 2000;
/// Slack's limit for a button's text.
pub const BUTTON_TEXT_MAX: usize = 75;
/// Slack's limit for a button's value.
pub const BUTTON_VALUE_MAX: usize = 2000;
/// The `action_id` of the Resolve button.
pub const ACTION_RESOLVE: &str = "errata_resolve";
/// The `action_id` of the Ignore button.
pub const ACTION_IGNORE: &str = "errata_ignore";
/// The `action_id` of the "View issue" link button (Slack still posts its clicks).
pub const ACTION_VIEW: &str = "errata_view";

/// The color of the Mattermost card by level.
fn color(level: &str) -> &'static str {
    match level {
        "fatal" => "#7b1fa2",
        "error" => "#e03e2f",
        "warning" => "#f5a623",
        "info" => "#2f80ed",
        _ => "#9e9e9e",
    }
}

fn plain(text: &str, max: usize) -> Value {
    // Escaped like mrkdwn: Slack reads the three entities in plain text too.
    json!({"type": "plain_text", "text": escape::slack(&single_line(text), max), "emoji": false})
}

fn mrkdwn(text: &str) -> Value {
    json!({"type": "mrkdwn", "text": text})
}

/// `*<url|PROJ-12>*`: the issue's short id linked to its page.
fn linked_short_id(n: &Notification) -> String {
    format!(
        "*<{}|{}>*",
        escape::slack_url(&n.issue_url),
        escape::slack(&single_line(&n.issue.short_id), 100)
    )
}

/// The labelled values shown as fields (label, value), empty values left out.
fn fields(n: &Notification) -> Vec<(&'static str, String)> {
    let mut out = vec![("Level", n.issue.level.clone())];
    if let Some(env) = n.environment() {
        out.push(("Environment", env.to_owned()));
    }
    if let Some(release) = n.release() {
        out.push(("Release", release.to_owned()));
    }
    out.push(("Events", n.issue.times_seen.to_string()));
    out.push(("Users", n.issue.user_count.to_string()));
    out.push(("First seen", utc(n.issue.first_seen_ms)));
    out.push(("Trigger", n.trigger.label().to_owned()));
    out
}

/// The stack excerpt as a mrkdwn code block (backticks inside replaced, so it stays one).
fn frames_block(n: &Notification) -> Option<String> {
    let frames = n.frames();
    if frames.is_empty() {
        return None;
    }
    let lines: Vec<String> = frames
        .iter()
        .map(|f| escape::truncate(&single_line(f).replace('`', "'"), 280))
        .collect();
    Some(format!(
        "```{}```",
        escape::slack(&lines.join("\n"), SECTION_MAX - 6)
    ))
}

/// The plain `text` of a message: `[project] PROJ-12: title`.
fn fallback(n: &Notification) -> String {
    escape::slack(
        &single_line(&format!(
            "[{}] {}: {}",
            n.project.name, n.issue.short_id, n.issue.title
        )),
        300,
    )
}

/// The body to POST to a Slack or Mattermost incoming webhook. With `buttons`, an actions
/// block offers Resolve and Ignore (clicks go to the Slack app's Request URL, see
/// [`crate::slack_interactive`]) and a "View issue" link.
pub fn slack_message(n: &Notification, buttons: bool) -> Value {
    let title = single_line(&n.issue.title);
    let culprit = single_line(&n.issue.culprit);
    let headline = n.headline().map(|h| single_line(&h));
    let mut summary = format!("{} {}", linked_short_id(n), escape::slack(&title, 1000));
    if !culprit.is_empty() {
        summary.push('\n');
        summary.push_str(&escape::slack(&culprit, 500));
    }
    if let Some(h) = headline.as_deref().filter(|h| *h != title) {
        summary.push('\n');
        summary.push_str(&escape::slack(h, 1000));
    }
    let fields = fields(n);
    let mut blocks = vec![
        json!({"type": "header", "text": plain(&format!("{}: {}", n.trigger.label(), title), HEADER_MAX)}),
        json!({"type": "section", "text": mrkdwn(&escape::truncate(&summary, SECTION_MAX))}),
        json!({
            "type": "section",
            "fields": fields
                .iter()
                .map(|(label, value)| mrkdwn(&format!("*{label}*\n{}", escape::slack(&single_line(value), 200))))
                .collect::<Vec<_>>(),
        }),
    ];
    if let Some(frames) = frames_block(n) {
        blocks.push(json!({"type": "section", "text": mrkdwn(&frames)}));
    }
    let mut context = format!(
        "Project *{}*",
        escape::slack(&single_line(&n.project.name), 200)
    );
    if let Some(rule) = &n.rule {
        let _ = write!(
            context,
            " · Rule *{}*",
            escape::slack(&single_line(rule), 200)
        );
    }
    blocks.push(json!({"type": "context", "elements": [mrkdwn(&context)]}));
    if buttons {
        let value = escape::truncate(&n.issue.id.to_string(), BUTTON_VALUE_MAX);
        let mut elements = Vec::new();
        // A test notification's made-up issue cannot be resolved or ignored.
        if n.trigger != Trigger::Test && n.issue.id > 0 {
            elements.push(
                json!({"type": "button", "text": plain("Resolve", BUTTON_TEXT_MAX),
                "style": "primary", "action_id": ACTION_RESOLVE, "value": value}),
            );
            elements.push(
                json!({"type": "button", "text": plain("Ignore", BUTTON_TEXT_MAX),
                "action_id": ACTION_IGNORE, "value": value}),
            );
        }
        elements.push(
            json!({"type": "button", "text": plain("View issue", BUTTON_TEXT_MAX),
            "action_id": ACTION_VIEW, "url": escape::truncate(&n.issue_url, 3000)}),
        );
        blocks.push(json!({
            "type": "actions",
            "block_id": format!("errata_issue:{}", n.issue.id),
            "elements": elements,
        }));
    }
    let mut text = String::new();
    if !culprit.is_empty() {
        text.push_str(&escape::slack(&culprit, 500));
    }
    if let Some(h) = headline.as_deref().filter(|h| *h != title) {
        text.push('\n');
        text.push_str(&escape::slack(h, 1000));
    }
    if let Some(frames) = frames_block(n) {
        text.push('\n');
        text.push_str(&frames);
    }
    let attachment = json!({
        "fallback": fallback(n),
        "color": color(&n.issue.level),
        "pretext": escape::slack(n.trigger.label(), 100),
        "title": escape::slack(&format!("{}: {title}", single_line(&n.issue.short_id)), 250),
        "title_link": escape::truncate(&n.issue_url, 3000),
        "text": escape::truncate(&text, SECTION_MAX),
        "fields": fields
            .iter()
            .map(|(label, value)| json!({"title": label, "value": escape::slack(&single_line(value), 200), "short": true}))
            .collect::<Vec<_>>(),
        "footer": escape::slack(&single_line(&n.project.name), 200),
    });
    json!({"text": fallback(n), "blocks": blocks, "attachments": [attachment]})
}

/// The body to POST to a click's `response_url`: the message replaced by its title, link
/// and `outcome` (e.g. "✅ Resolved by Ada", see
/// [`crate::slack_interactive::outcome_text`]), without buttons.
pub fn slack_action_update(short_id: &str, title: &str, issue_url: &str, outcome: &str) -> Value {
    let line = format!(
        "*<{}|{}>* {}",
        escape::slack_url(issue_url),
        escape::slack(&single_line(short_id), 100),
        escape::slack(&single_line(title), 1000)
    );
    let outcome = escape::slack(&single_line(outcome), 500);
    json!({
        "replace_original": true,
        "text": escape::truncate(&format!("{outcome}: {}", escape::slack(&single_line(title), 1000)), 1500),
        "blocks": [
            {"type": "section", "text": mrkdwn(&line)},
            {"type": "context", "elements": [mrkdwn(&outcome)]},
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notification::tests::hostile;

    fn all_strings(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|v| all_strings(v, out)),
            Value::Object(o) => o.values().for_each(|v| all_strings(v, out)),
            _ => {}
        }
    }

    #[test]
    fn hostile_messages_are_escaped_and_within_limits() {
        let m = slack_message(&hostile(), true);
        let body = serde_json::to_string(&m).unwrap();
        assert!(body.len() < 40_000, "{}", body.len());
        let mut strings = Vec::new();
        all_strings(&m, &mut strings);
        for s in &strings {
            assert!(!s.contains("<!channel>") && !s.contains("<script"), "{s}");
            assert!(!s.contains('\r'), "{s:?}");
        }
        let blocks = m["blocks"].as_array().unwrap();
        assert!(blocks[0]["text"]["text"].as_str().unwrap().chars().count() <= HEADER_MAX);
        for b in blocks {
            if let Some(t) = b["text"]["text"].as_str() {
                assert!(t.chars().count() <= SECTION_MAX);
            }
        }
        let actions = blocks.iter().find(|b| b["type"] == "actions").unwrap();
        let buttons = actions["elements"].as_array().unwrap();
        assert_eq!(buttons[0]["action_id"], ACTION_RESOLVE);
        assert_eq!(buttons[0]["style"], "primary");
        assert_eq!(buttons[0]["value"], "42");
        assert_eq!(buttons[1]["action_id"], ACTION_IGNORE);
        assert!(
            buttons[2]["url"]
                .as_str()
                .unwrap()
                .starts_with("https://errata.example/")
        );
        // The frames stay one code block.
        let frames = blocks
            .iter()
            .find(|b| {
                b["text"]["text"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("```"))
            })
            .unwrap();
        let t = frames["text"]["text"].as_str().unwrap();
        assert_eq!(t.matches("```").count(), 2, "{t}");
        assert!(m["attachments"][0]["title_link"].is_string());
        assert!(!m["text"].as_str().unwrap().is_empty());
    }

    #[test]
    fn test_notifications_only_link_to_the_issue() {
        let n = Notification::sample(
            crate::ProjectSummary {
                slug: "api".into(),
                name: "API".into(),
            },
            "errata_1",
            "https://e/i/0/",
            0,
        );
        let m = slack_message(&n, true);
        let actions = m["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["type"] == "actions")
            .unwrap();
        assert_eq!(actions["elements"].as_array().unwrap().len(), 1);
        assert_eq!(actions["elements"][0]["action_id"], ACTION_VIEW);
    }

    #[test]
    fn messages_without_buttons_have_no_actions() {
        let m = slack_message(&hostile(), false);
        assert!(
            m["blocks"]
                .as_array()
                .unwrap()
                .iter()
                .all(|b| b["type"] != "actions")
        );
    }

    #[test]
    fn updates_replace_the_message_without_buttons() {
        let u = slack_action_update(
            "API-42",
            "<b>x</b>",
            "https://e/i/42",
            "✅ Resolved by <Ada>",
        );
        assert_eq!(u["replace_original"], true);
        let s = u.to_string();
        assert!(s.contains("Resolved by &lt;Ada&gt;"));
        assert!(s.contains("<https://e/i/42|API-42>"));
        assert!(!s.contains("\"actions\""));
    }
}
