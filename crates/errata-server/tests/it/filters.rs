//! Inbound filters end to end: set through Sentry's API (project `options` and
//! `/filters/{id}/`), applied by the real ingest endpoint: a matching event is answered
//! 200 with its id but not stored, counted as `filtered:<reason>` in the outcome counters
//! (also per hour through the outcomes API and on the project's stats page), and does not
//! use the project's event quota: past the quota in filtered events, real events are still
//! accepted up to the quota.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request};
use serde_json::{Value, json};

use crate::support::TestServer;

/// Sends `event` in an envelope with the server's key; the status and the JSON answer.
async fn send(server: &TestServer, event: &Value) -> (u16, Value) {
    let request = Request::post(format!("/api/{}/envelope/", server.project_id))
        .header(
            "x-sentry-auth",
            format!("Sentry sentry_key={}, sentry_version=7", server.public_key),
        )
        .body(Body::from(format!(
            "{{}}\n{{\"type\":\"event\"}}\n{event}\n"
        )))
        .unwrap();
    let reply = server.raw(request).await;
    let json = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
    (reply.status.as_u16(), json)
}

/// The project's outcome quantities for `reason` (all categories), as the API reads them.
async fn counted(server: &TestServer, reason: &str) -> u64 {
    let outcomes = server.get(&server.project_path("/outcomes/")).await.json();
    outcomes["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["reason"] == reason)
        .map(|o| o["quantity"].as_u64().unwrap())
        .sum()
}

/// Waits (up to 10 s) until the counters show `expected` for every reason.
async fn wait_for_counts(server: &TestServer, expected: &[(&str, u64)]) {
    let mut seen = Vec::new();
    for _ in 0..100 {
        seen.clear();
        for (reason, _) in expected {
            seen.push((*reason, counted(server, reason).await));
        }
        if seen == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("outcome counters: {seen:?}, expected {expected:?}");
}

/// Sets a quota of 3 events a day and filters of every kind through the API.
async fn set_quota_and_filters(server: &TestServer) {
    let settings = json!({
        "eventQuota": {"limit": 3, "window": "day"},
        "options": {
            "filters:releases": "1.0.*\nlegacy-*",
            "filters:error_messages": "*IgnoreMe*",
            "errata:filters:environments": "staging",
        },
    });
    let reply = server
        .call(
            Method::PUT,
            &server.project_path("/"),
            Some(&settings.to_string()),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{:?}", reply.json());
    let project = reply.json();
    assert_eq!(project["options"]["filters:releases"], "1.0.*\nlegacy-*");
    assert_eq!(project["options"]["errata:filters:environments"], "staging");
    for id in ["web-crawlers", "browser-extensions"] {
        let reply = server
            .call(
                Method::PUT,
                &server.project_path(&format!("/filters/{id}/")),
                Some(r#"{"active": true}"#),
            )
            .await;
        assert_eq!(reply.status.as_u16(), 204, "{id}");
    }
    let unknown = server
        .call(
            Method::PUT,
            &server.project_path("/filters/legacy-browsers/"),
            Some(r#"{"active": true}"#),
        )
        .await;
    assert_eq!(unknown.status.as_u16(), 404);
    let listed = server.get(&server.project_path("/filters/")).await.json();
    let active: Vec<(&str, bool)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["id"].as_str().unwrap(), f["active"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        active,
        [
            ("browser-extensions", true),
            ("localhost", false),
            ("web-crawlers", true)
        ]
    );
}

#[tokio::test]
async fn filtered_events_are_answered_not_stored_counted_and_free_of_quota() {
    let server = TestServer::start().await;
    set_quota_and_filters(&server).await;

    // Ten filtered events, far past the quota of 3: each answered 200 with its id.
    let filtered = [
        json!({"message": "r1", "release": "1.0.0"}),
        json!({"message": "r2", "release": "1.0.7"}),
        json!({"message": "r3", "release": "LEGACY-2019"}),
        json!({"message": "r4", "release": "1.0.1"}),
        json!({"exception": {"values": [{"type": "IgnoreMeError", "value": "noise"}]}}),
        json!({"message": "please ignoreme"}),
        json!({"message": "c", "request": {"url": "https://shop.example/",
            "headers": {"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}}}),
        json!({"exception": {"values": [{"type": "TypeError", "value": "x is null",
            "stacktrace": {"frames": [{"abs_path": "chrome-extension://abc/content.js"}]}}]}}),
        json!({"message": "e", "environment": "Staging"}),
        json!({"message": "r5", "release": "1.0.2"}),
    ];
    let mut filtered_ids = Vec::new();
    for event in &filtered {
        let (status, answer) = send(&server, event).await;
        assert_eq!(status, 200, "{event}: {answer}");
        filtered_ids.push(answer["id"].as_str().expect("an id").to_owned());
    }
    // Real events: the quota's 3 are all accepted (the filtered ones used none of it).
    let mut kept_ids = Vec::new();
    for n in 0..3 {
        let event = json!({"message": format!("real {n}"), "release": "1.1.0",
            "environment": "production"});
        let (status, answer) = send(&server, &event).await;
        assert_eq!(status, 200, "real event {n}: {answer}");
        kept_ids.push(answer["id"].as_str().unwrap().to_owned());
    }
    // The quota holds for real events.
    let (status, _) = send(&server, &json!({"message": "one too many"})).await;
    assert_eq!(status, 429);
    // And a filtered event past the quota is still filtered, not refused.
    let (status, _) = send(&server, &json!({"message": "late", "release": "1.0.9"})).await;
    assert_eq!(status, 200);

    for id in &filtered_ids {
        let reply = server
            .get(&server.project_path(&format!("/events/{id}/")))
            .await;
        assert_eq!(reply.status.as_u16(), 404, "filtered event {id} was stored");
    }
    for id in &kept_ids {
        let reply = server
            .get(&server.project_path(&format!("/events/{id}/")))
            .await;
        assert_eq!(reply.status.as_u16(), 200, "real event {id}");
    }
    wait_for_counts(
        &server,
        &[
            ("filtered:release-version", 6),
            ("filtered:error-message", 2),
            ("filtered:web-crawlers", 1),
            ("filtered:browser-extensions", 1),
            ("filtered:environment", 1),
            ("accepted", 3),
            ("quota_exceeded", 1),
        ],
    )
    .await;

    hourly_counts_and_stats_page(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn filter_changes_apply_to_the_next_event() {
    let server = TestServer::start().await;
    let event = json!({"message": "from a crawler", "request": {"url": "https://a.example/",
        "headers": {"User-Agent": "Mozilla/5.0 (compatible; bingbot/2.0)"}}});
    let (status, answer) = send(&server, &event).await;
    assert_eq!(status, 200);
    let id = answer["id"].as_str().unwrap().to_owned();
    let stored = server
        .get(&server.project_path(&format!("/events/{id}/")))
        .await;
    assert_eq!(stored.status.as_u16(), 200, "off by default: stored");

    let on = server
        .call(
            Method::PUT,
            &server.project_path("/filters/web-crawlers/"),
            Some(r#"{"active": true}"#),
        )
        .await;
    assert_eq!(on.status.as_u16(), 204);
    let (status, answer) = send(&server, &event).await;
    assert_eq!(status, 200);
    let id = answer["id"].as_str().unwrap().to_owned();
    let stored = server
        .get(&server.project_path(&format!("/events/{id}/")))
        .await;
    assert_eq!(stored.status.as_u16(), 404, "filtered at once");

    // Bad values are refused and change nothing.
    for body in [
        r#"{"options": {"filters:releases": 5}}"#,
        r#"{"options": {"filters:blacklisted_ips": "1.2.3.4"}}"#,
    ] {
        let reply = server
            .call(Method::PUT, &server.project_path("/"), Some(body))
            .await;
        assert_eq!(reply.status.as_u16(), 400, "{body}");
    }
    let long = "x".repeat(201);
    let reply = server
        .call(
            Method::PUT,
            &server.project_path("/"),
            Some(&json!({"options": {"filters:error_messages": long}}).to_string()),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 400);
    let bad = server
        .call(
            Method::PUT,
            &server.project_path("/filters/web-crawlers/"),
            Some(r#"{"active": "yes"}"#),
        )
        .await;
    assert_eq!(bad.status.as_u16(), 400);
    server.stop().await;
}

/// The filtered events of the test above, hour by hour (API) and on the stats page.
async fn hourly_counts_and_stats_page(server: &TestServer) {
    // Per hour through the outcomes API: this hour holds every filtered event.
    let hourly = server
        .get(&server.project_path("/outcomes/?interval=1h"))
        .await
        .json();
    let intervals = hourly["intervals"].as_array().expect("intervals");
    let filtered_this_hour: u64 = intervals
        .iter()
        .filter(|i| i["reason"].as_str().unwrap().starts_with("filtered:"))
        .map(|i| i["quantity"].as_u64().unwrap())
        .sum();
    assert_eq!(filtered_this_hour, 11, "{hourly}");
    assert!(
        intervals
            .iter()
            .all(|i| i["start"].as_str().unwrap().ends_with(":00:00.000Z")),
        "{hourly}"
    );

    // The stats page shows the drops by reason.
    let page = server.get("/projects/default/stats/?period=1d").await;
    assert_eq!(page.status.as_u16(), 200);
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains("<svg class=\"chart stacked\""), "{html}");
    assert!(html.contains("Filtered: release"), "{html}");
    assert!(html.contains("filtered:release-version"), "{html}");
}

/// A form post through the UI (a Bearer token: no session, so no CSRF token to carry).
async fn post_form(server: &TestServer, uri: &str, form: &str) -> crate::support::Reply {
    let request = Request::post(uri)
        .header("authorization", format!("Bearer {}", server.token))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form.to_owned()))
        .unwrap();
    server.raw(request).await
}

#[tokio::test]
async fn the_settings_page_edits_the_filters_and_the_stats_page_shows_each_period() {
    let server = TestServer::start().await;
    let reply = post_form(
        &server,
        "/projects/default/filters",
        "environments=staging%0D%0Aqa&releases=1.0.*&error_messages=&web_crawlers=on&localhost=on",
    )
    .await;
    assert_eq!(
        reply.status.as_u16(),
        303,
        "{:?}",
        String::from_utf8_lossy(&reply.body)
    );
    let project = server.get(&server.project_path("/")).await.json();
    assert_eq!(
        project["options"]["errata:filters:environments"],
        "staging\nqa"
    );
    assert_eq!(project["options"]["filters:releases"], "1.0.*");
    let listed = server.get(&server.project_path("/filters/")).await.json();
    assert_eq!(
        listed[0]["active"], false,
        "browser extensions left unticked"
    );
    assert_eq!(listed[1]["active"], true, "localhost");
    assert_eq!(listed[2]["active"], true, "web crawlers");
    let page = server.get("/projects/default/settings/").await;
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains(">staging\nqa</textarea>"), "{html}");
    assert!(
        html.contains("name=\"web_crawlers\" value=\"on\" checked>"),
        "{html}"
    );

    // A list past its bound is refused on the page, and nothing changes.
    let many: Vec<String> = (0..=errata_store::MAX_FILTER_PATTERNS)
        .map(|n| format!("{n}.*"))
        .collect();
    let reply = post_form(
        &server,
        "/projects/default/filters",
        &format!("releases={}", many.join("%0A")),
    )
    .await;
    assert_eq!(reply.status.as_u16(), 400);
    let html = String::from_utf8_lossy(&reply.body);
    let filters_form = &html[html
        .find("id=\"inbound-filters\"")
        .expect("the filters section")..];
    assert!(
        filters_form
            .contains("<p class=\"form-error\" role=\"alert\">invalid input: at most 50 entries"),
        "the refusal is shown by the filters' form: {html}"
    );
    let project = server.get(&server.project_path("/")).await.json();
    assert_eq!(project["options"]["filters:releases"], "1.0.*");

    // The filter works, and the stats page shows it for each period.
    let (status, _) = send(&server, &json!({"message": "x", "environment": "QA"})).await;
    assert_eq!(status, 200);
    let (status, _) = send(&server, &json!({"message": "kept"})).await;
    assert_eq!(status, 200);
    wait_for_counts(&server, &[("filtered:environment", 1), ("accepted", 1)]).await;
    for (period, bars) in [("1d", 24), ("7d", 168), ("30d", 30), ("bogus", 168)] {
        let page = server
            .get(&format!("/projects/default/stats/?period={period}"))
            .await;
        assert_eq!(page.status.as_u16(), 200, "{period}");
        let html = String::from_utf8_lossy(&page.body);
        assert_eq!(html.matches("<g class=\"bar\">").count(), bars, "{period}");
        assert!(
            html.contains("1 accepted, 1 filtered, 0 rate limited, 0 invalid, 0 client discarded"),
            "{period}: {html}"
        );
        assert!(
            html.contains(
                "Filtered: environment <code class=\"muted\">filtered:environment</code>"
            ),
            "{period}: {html}"
        );
    }
    let missing = server.get("/projects/nope/stats/").await;
    assert_eq!(missing.status.as_u16(), 404);
    server.stop().await;
}

#[tokio::test]
async fn filtered_events_use_no_rate_limit_either() {
    let server = TestServer::start().await;
    let reply = server
        .call(
            Method::PUT,
            &server.project_path("/"),
            Some(r#"{"rateLimitPerMinute": 2, "options": {"filters:releases": "old-*"}}"#),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{:?}", reply.json());
    for n in 0..6 {
        let (status, _) = send(&server, &json!({"message": n, "release": "old-1"})).await;
        assert_eq!(status, 200, "filtered event {n}");
    }
    for n in 0..2 {
        let (status, answer) = send(&server, &json!({"message": n, "release": "new-1"})).await;
        assert_eq!(status, 200, "real event {n}: {answer}");
    }
    let (status, _) = send(&server, &json!({"message": "third", "release": "new-1"})).await;
    assert_eq!(status, 429, "the rate limit holds for real events");
    wait_for_counts(
        &server,
        &[
            ("filtered:release-version", 6),
            ("accepted", 2),
            ("rate_limited", 1),
        ],
    )
    .await;
    server.stop().await;
}
