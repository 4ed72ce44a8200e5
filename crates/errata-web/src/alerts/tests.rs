//! Tests of the alerting pages: hooks, masking of URLs, summaries, escaping of hostile
//! channel and rule names, the write-only forms.

use super::*;

const HOSTILE: &str = "\"><script>alert(1)</script>";
const NOW: i64 = 1_800_000_000_000;

fn layout() -> Layout {
    Layout {
        csrf: "tok".into(),
        user: Some("ann".into()),
        ..Layout::default()
    }
}

fn channel(id: i64, kind: &str, name: &str, target: &str) -> ChannelRow {
    ChannelRow {
        id,
        kind: kind.into(),
        name: name.into(),
        target: target.into(),
        api_base: None,
        enabled: true,
        has_secret: kind != "slack" && kind != "email",
        created: Moment::from_millis(NOW - 60_000, NOW),
    }
}

fn page(can_write: bool) -> AlertsPage {
    AlertsPage {
        layout: layout(),
        slug: "backend".into(),
        name: "Backend".into(),
        can_write,
        channels: vec![
            channel(
                1,
                "slack",
                HOSTILE,
                "https://hooks.slack.com/services/T000/B000/XXXXSECRET",
            ),
            channel(
                2,
                "webhook",
                "hook",
                "https://user:pw@example.com/h?k=SECRET2",
            ),
            channel(3, "github", "gh", "octo/repo"),
        ],
        rules: vec![RuleRow {
            id: 7,
            name: HOSTILE.into(),
            enabled: false,
            summary: format!("New issue → {HOSTILE}"),
        }],
        new_secret: None,
        channel_form: ChannelForm::default(),
    }
}

#[test]
fn urls_are_masked_after_the_host() {
    assert_eq!(
        mask_target("slack", "https://hooks.slack.com/services/T/B/X"),
        "https://hooks.slack.com/…"
    );
    assert_eq!(
        mask_target("webhook", "http://u:p@example.com:8080?x=1"),
        "http://example.com:8080/…"
    );
    assert_eq!(
        mask_target("webhook", "https://example.com/"),
        "https://example.com"
    );
    assert_eq!(mask_target("webhook", "javascript:alert(1)"), "…");
    assert_eq!(mask_target("email", "a@b.c"), "a@b.c");
    assert_eq!(mask_target("github", "octo/repo"), "octo/repo");
}

#[test]
fn the_overview_lists_channels_without_secrets_and_escapes_names() {
    let html = page(true).render();
    for hook in [
        "<code class=\"channel-target\">https://hooks.slack.com/…</code>",
        "<code class=\"channel-target\">https://example.com/…</code>",
        "<code class=\"channel-target\">octo/repo</code>",
        "action=\"/projects/backend/alerts/channels/1\"",
        "name=\"action\" value=\"test\">Send test notification</button>",
        "name=\"action\" value=\"disable\"",
        "name=\"action\" value=\"delete\"",
        "<form method=\"post\" action=\"/projects/backend/alerts/channels\">",
        "<input type=\"hidden\" name=\"kind\" value=\"gitlab\">",
        "name=\"token\" required",
        "href=\"/projects/backend/alerts/rules/7\"",
        "id=\"rule-new\" href=\"/projects/backend/alerts/rules/new\"",
        "href=\"/projects/backend/alerts/deliveries/\"",
        "Signing secret set",
        "Token set",
        "name=\"csrf\" value=\"tok\"",
    ] {
        assert!(html.contains(hook), "missing {hook}: {html}");
    }
    for secret in ["XXXXSECRET", "SECRET2", "user:pw", "T000"] {
        assert!(!html.contains(secret), "{secret} shown: {html}");
    }
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(
        html.contains("&#34;&#62;&#60;script&#62;alert(1)"),
        "{html}"
    );
    // Trackers get no test button.
    assert_eq!(html.matches("value=\"test\"").count(), 2, "{html}");
    assert!(!html.contains("secret-once"));
}

#[test]
fn readers_see_no_forms() {
    let html = page(false).render();
    assert!(
        !html.contains("method=\"post\" action=\"/projects/backend/alerts"),
        "{html}"
    );
    assert!(!html.contains("rule-new"), "{html}");
    assert!(html.contains("<span class=\"rule-name\">"), "{html}");
}

#[test]
fn a_new_secret_is_shown_once_and_a_refused_form_comes_back() {
    let mut p = page(true);
    p.new_secret = Some(NewSecret {
        channel_name: HOSTILE.into(),
        secret: "whsec_abc".into(),
    });
    p.channel_form = ChannelForm {
        kind: "email".into(),
        name: "ops".into(),
        target: HOSTILE.into(),
        api_base: String::new(),
        error: Some(format!("bad {HOSTILE}")),
    };
    let html = p.render();
    assert!(html.contains("<code class=\"secret\" id=\"new-secret\">whsec_abc</code>"));
    assert!(html.contains("data-copy=\"new-secret\""));
    assert!(
        html.contains("<details class=\"channel-add\" id=\"add-email\" open>"),
        "{html}"
    );
    assert!(
        html.contains("class=\"form-error\" role=\"alert\">bad &#34;&#62;"),
        "{html}"
    );
    assert!(html.contains("name=\"name\" value=\"ops\""), "{html}");
    assert!(!html.contains("<script>alert"), "{html}");
}

fn rule() -> RuleView {
    RuleView {
        name: "R".into(),
        enabled: true,
        new_issue: true,
        regression: true,
        min_level: Some("error".into()),
        environment: Some("prod".into()),
        all_channels: true,
        email_members: true,
        cooldown_minutes: 30,
        ..RuleView::default()
    }
}

#[test]
fn summaries_read_as_one_line() {
    assert_eq!(
        rule().summary(&[]),
        "New issue or regression · level ≥ error · env prod → all channels, members' email · cooldown 30 min"
    );
    let other = RuleView {
        frequency: Some(Window {
            count: 100,
            minutes: 60,
        }),
        user_count: Some(Window {
            count: 5,
            minutes: 1440,
        }),
        tag: Some(("browser".into(), "Firefox".into())),
        release: Some("1.0".into()),
        channels: vec![4, 9],
        cooldown_minutes: 0,
        ..RuleView::default()
    };
    assert_eq!(
        other.summary(&[(4, "#ops".into())]),
        "100+ events in 1 h or 5+ users in 1 d · release 1.0 · tag browser:Firefox → #ops, channel 9 · no cooldown"
    );
    assert_eq!(duration(90), "90 min");
}

#[test]
fn the_rule_form_shows_values_and_escapes() {
    let mut form = RuleForm::from_view(&RuleView {
        channels: vec![3],
        ..rule()
    });
    form.name = HOSTILE.into();
    form.tag = HOSTILE.into();
    let page = RuleFormPage {
        layout: layout(),
        slug: "backend".into(),
        name: "Backend".into(),
        rule_id: Some(7),
        form,
        channels: vec![
            ChannelChoice {
                id: 3,
                kind: "github".into(),
                name: HOSTILE.into(),
                enabled: true,
            },
            ChannelChoice {
                id: 4,
                kind: "slack".into(),
                name: "ops".into(),
                enabled: false,
            },
        ],
        error: Some("a rule needs at least one trigger".into()),
    };
    let html = page.render();
    for hook in [
        "<form id=\"rule-form\" method=\"post\" action=\"/projects/backend/alerts/rules/7\">",
        "<form id=\"rule-delete\" method=\"post\" action=\"/projects/backend/alerts/rules/7/delete\">",
        "name=\"new_issue\" value=\"on\" checked>",
        "name=\"unignored\" value=\"on\">",
        "name=\"frequency\" value=\"on\">",
        "name=\"frequency_count\" value=\"100\"",
        "<option value=\"error\" selected>error</option>",
        "name=\"environment\" value=\"prod\"",
        "name=\"channel\" value=\"3\" checked>",
        "name=\"channel\" value=\"4\">",
        "(disabled)",
        "name=\"cooldown_minutes\" value=\"30\"",
        "role=\"alert\">a rule needs at least one trigger</p>",
    ] {
        assert!(html.contains(hook), "missing {hook}: {html}");
    }
    assert!(!html.contains("<script>alert"), "{html}");
    let new = RuleFormPage {
        layout: layout(),
        slug: "backend".into(),
        form: RuleForm::new_rule(),
        ..RuleFormPage::default()
    };
    let html = new.render();
    assert!(html.contains("action=\"/projects/backend/alerts/rules/new\""));
    assert!(!html.contains("rule-delete"));
    assert!(html.contains("<option value=\"\" selected>Any level</option>"));
}

#[test]
fn the_delivery_log_shows_attempts_and_escapes() {
    let page = DeliveriesPage {
        layout: layout(),
        slug: "backend".into(),
        name: "Backend".into(),
        limit: 100,
        deliveries: vec![DeliveryRow {
            id: 5,
            created: Moment::from_millis(NOW - 5_000, NOW),
            trigger: "Regression".into(),
            issue_id: 42,
            issue_label: HOSTILE.into(),
            recipient: format!("Slack {HOSTILE}"),
            state: HOSTILE.into(),
            attempts: 2,
            last_error: Some(format!("HTTP 500 {HOSTILE}")),
            attempt_log: vec![
                AttemptRow {
                    at: Moment::from_millis(NOW - 4_000, NOW),
                    status: Some(500),
                    result: "retry".into(),
                    error: Some(HOSTILE.into()),
                    duration_ms: 12,
                },
                AttemptRow {
                    at: Moment::from_millis(NOW - 1_000, NOW),
                    status: Some(200),
                    result: "delivered".into(),
                    error: None,
                    duration_ms: 8,
                },
            ],
        }],
    };
    let html = page.render();
    for hook in [
        "<tr class=\"delivery\" data-delivery-id=\"5\">",
        "<a href=\"/issues/42/\">&#34;&#62;",
        "class=\"badge delivery-pending\"",
        "<details class=\"attempts\">",
        "retry · HTTP 500 · 12 ms",
        "delivered · HTTP 200 · 8 ms",
    ] {
        assert!(html.contains(hook), "missing {hook}: {html}");
    }
    assert!(!html.contains("<script>alert"), "{html}");
    let empty = DeliveriesPage {
        layout: layout(),
        slug: "b".into(),
        ..DeliveriesPage::default()
    }
    .render();
    assert!(empty.contains("Nothing was sent yet."));
}
