//! Tests of the project settings page: every form and hook, escaping of hostile values,
//! the admin-only delete form and the snippets' DSN.

use super::*;

const HOSTILE: &str = "\"><script>alert(1)</script>";

fn page() -> ProjectSettingsPage {
    ProjectSettingsPage {
        layout: Layout {
            csrf: "tok".into(),
            user: Some("ann".into()),
            ..Layout::default()
        },
        slug: "backend".into(),
        name: "Backend".into(),
        platform: "rust".into(),
        rate_limit_per_minute: Some(600),
        quota_limit: None,
        quota_window: "month".into(),
        scrub_data: true,
        sensitive_fields: vec!["card_no".into(), "pin".into()],
        scrub_ip_addresses: false,
        keys: vec![
            KeyRow {
                id: 4,
                label: "Old".into(),
                dsn: "https://old@errata.example/1".into(),
                enabled: false,
                created: "1y ago".into(),
                created_iso: "2025-01-01T00:00:00Z".into(),
            },
            KeyRow {
                id: 5,
                label: "Default".into(),
                dsn: "https://k5@errata.example/1".into(),
                enabled: true,
                created: "3d ago".into(),
                created_iso: "2026-01-01T00:00:00Z".into(),
            },
        ],
        filters: FilterFields {
            environments: vec!["staging".into()],
            releases: vec!["1.0.*".into(), "*-beta".into()],
            error_messages: Vec::new(),
            web_crawlers: true,
            browser_extensions: false,
            localhost: false,
        },
        error: None,
        filters_error: None,
    }
}

#[test]
fn the_inbound_filters_form_shows_the_current_filters() {
    let html = page().render();
    for hook in [
        "<h2 id=\"filters-heading\">Inbound filters</h2>",
        "<form id=\"project-filters\" method=\"post\" action=\"/projects/backend/filters\">",
        "name=\"web_crawlers\" value=\"on\" checked>",
        "name=\"browser_extensions\" value=\"on\">",
        "name=\"localhost\" value=\"on\">",
        ">1.0.*\n*-beta</textarea>",
        "name=\"error_messages\" rows=\"3\" spellcheck=\"false\" aria-describedby=\"filters-error-messages-hint\"></textarea>",
        ">staging</textarea>",
        "href=\"/projects/backend/stats/\"",
    ] {
        assert!(html.contains(hook), "missing {hook}: {html}");
    }
    let form = &html[html.find("id=\"project-filters\"").unwrap()..];
    assert!(form.contains("name=\"csrf\" value=\"tok\""), "{form}");
}

#[test]
fn the_settings_form_shows_the_current_values() {
    let html = page().render();
    for hook in [
        "<form id=\"project-settings\" method=\"post\" action=\"/projects/backend/settings/\">",
        "name=\"name\" value=\"Backend\"",
        "name=\"rate_limit\" value=\"600\"",
        "name=\"quota_limit\" value=\"\"",
        "<option value=\"month\" selected>",
        "name=\"scrub_data\" value=\"on\" checked",
        "name=\"scrub_ip_addresses\" value=\"on\">",
        ">card_no\npin</textarea>",
        "name=\"csrf\" value=\"tok\"",
    ] {
        assert!(html.contains(hook), "missing {hook}: {html}");
    }
    assert!(!html.contains("style="), "{html}");
}

#[test]
fn keys_have_dsn_copy_and_actions() {
    let html = page().render();
    for hook in [
        "<code class=\"dsn\" id=\"dsn-5\">https://k5@errata.example/1</code>",
        "<button type=\"button\" class=\"small\" data-copy=\"dsn-5\" hidden>Copy</button>",
        "<form class=\"key-actions inline-form\" method=\"post\" action=\"/projects/backend/keys\">",
        "<input type=\"hidden\" name=\"key\" value=\"5\">",
        "name=\"action\" value=\"disable\"",
        "name=\"action\" value=\"enable\"",
        "name=\"action\" value=\"rotate\" data-confirm=",
        "name=\"action\" value=\"create\"",
    ] {
        assert!(html.contains(hook), "missing {hook}: {html}");
    }
}

#[test]
fn snippets_use_the_first_enabled_key() {
    let page = page();
    assert_eq!(page.snippet_dsn(), Some("https://k5@errata.example/1"));
    let html = page.render();
    assert!(html.contains("id=\"snippet-rust\""), "{html}");
    assert!(html.contains("errata_tower::ErrataLayer::new("), "{html}");
    assert!(
        html.contains("dsn=&#34;https://k5@errata.example/1&#34;"),
        "{html}"
    );
    let mut no_keys = page.clone();
    no_keys.keys.clear();
    let html = no_keys.render();
    assert!(html.contains("&#60;public key&#62;"), "{html}");
}

#[test]
fn delete_is_for_admins_only_and_confirms() {
    let html = page().render();
    assert!(!html.contains("/projects/backend/delete"), "{html}");
    let mut admin = page();
    admin.layout.is_admin = true;
    let html = admin.render();
    assert!(
        html.contains(
            "<form id=\"project-delete\" method=\"post\" action=\"/projects/backend/delete\">"
        ),
        "{html}"
    );
    assert!(
        html.contains("data-confirm=\"Delete the project Backend"),
        "{html}"
    );
}

#[test]
fn hostile_values_are_escaped() {
    let mut page = page();
    page.name = HOSTILE.into();
    page.slug = HOSTILE.into();
    page.sensitive_fields = vec![HOSTILE.into(), "</textarea><script>".into()];
    page.filters.releases = vec![HOSTILE.into(), "</textarea><script>".into()];
    page.filters.environments = vec![HOSTILE.into()];
    page.keys[1].label = HOSTILE.into();
    page.keys[1].dsn = HOSTILE.into();
    page.error = Some(HOSTILE.into());
    page.filters_error = Some(HOSTILE.into());
    page.layout.is_admin = true;
    let html = page.render();
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains("</textarea><"), "{html}");
    assert!(html.contains("/projects/%22%3E%3Cscript%3E"), "{html}");
    assert!(
        html.contains("&#34;&#62;&#60;script&#62;alert(1)"),
        "{html}"
    );
}
