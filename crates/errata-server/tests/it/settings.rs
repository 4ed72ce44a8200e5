//! Per-project settings as ingest applies them, set through the Web API: extra sensitive
//! fields and dropping IP addresses change what is stored, and an event quota refuses
//! events past it with its own reason (429, `quota_exceeded`), counted in the outcomes, and
//! counts what other nodes on the database accepted.

use axum::body::Body;
use axum::http::{Method, Request};
use serde_json::{Value, json};

use crate::support::TestServer;

async fn send_event(server: &TestServer, event: &Value) -> (u16, Option<String>, Value) {
    let payload = event.to_string();
    let request = Request::post(format!("/api/{}/envelope/", server.project_id))
        .header(
            "x-sentry-auth",
            format!("Sentry sentry_key={}, sentry_version=7", server.public_key),
        )
        .header("x-forwarded-for", "198.51.100.23")
        .body(Body::from(format!(
            "{{}}\n{{\"type\":\"event\"}}\n{payload}\n"
        )))
        .unwrap();
    let reply = server.raw(request).await;
    let limits = reply.header("x-sentry-rate-limits").map(str::to_owned);
    let json = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
    (reply.status.as_u16(), limits, json)
}

async fn stored(server: &TestServer, answer: &Value) -> Value {
    let id = answer["id"].as_str().expect("an event id");
    server
        .get(&server.project_path(&format!("/events/{id}/")))
        .await
        .json()
}

#[tokio::test]
async fn extra_fields_and_ip_dropping_change_what_is_stored() {
    let server = TestServer::start().await;
    let event = json!({
        "message": "checkout failed",
        "user": {"id": "42", "ip_address": "203.0.113.9"},
        "extra": {"tenant": "acme-secret", "cart": 3},
    });
    let (status, _, answer) = send_event(&server, &event).await;
    assert_eq!(status, 200, "{answer}");
    let before = stored(&server, &answer).await.to_string();
    assert!(before.contains("acme-secret"), "{before}");
    assert!(before.contains("203.0.113.9"), "{before}");

    let reply = server
        .call(
            Method::PUT,
            &server.project_path("/"),
            Some(r#"{"sensitiveFields": ["Tenant"], "scrubIPAddresses": true}"#),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{:?}", reply.json());
    let (status, _, answer) = send_event(&server, &event).await;
    assert_eq!(status, 200, "{answer}");
    let after = stored(&server, &answer).await.to_string();
    assert!(!after.contains("acme-secret"), "{after}");
    assert!(!after.contains("203.0.113.9"), "{after}");
    assert!(after.contains("[Filtered]"), "{after}");
    assert!(after.contains("\"cart\":3"), "{after}");
    server.stop().await;
}

/// Sets a daily event quota of `limit`, then sends `n` events that must be accepted.
async fn quota_then_accepted(server: &TestServer, limit: u64, n: u64) {
    let body = json!({"eventQuota": {"limit": limit, "window": "day"}}).to_string();
    let reply = server
        .call(Method::PUT, &server.project_path("/"), Some(&body))
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{:?}", reply.json());
    for n in 0..n {
        let (status, _, answer) = send_event(server, &json!({"message": format!("n{n}")})).await;
        assert_eq!(status, 200, "{answer}");
    }
}

#[tokio::test]
async fn an_event_quota_counts_what_other_nodes_accepted() {
    let server = TestServer::start().await;
    quota_then_accepted(&server, 10, 2).await;
    // Another node on the same database accepted 8 more of this project's events: its
    // writer counted them in the shared outcome counters.
    let now_ms = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    let project_id = errata_store::ProjectId(server.project_id);
    server
        .store_call(move |store| {
            store.add_outcomes(&[errata_store::OutcomeDelta {
                project_id,
                timestamp_ms: now_ms,
                category: "error".into(),
                reason: "accepted".into(),
                quantity: 8,
            }])
        })
        .await
        .unwrap();
    // Within one sync period this node reads the shared count and the quota is used up.
    tokio::time::sleep(errata_server::quota::SYNC + std::time::Duration::from_millis(200)).await;
    let (status, limits, answer) = send_event(&server, &json!({"message": "over"})).await;
    assert_eq!(status, 429, "{answer}");
    assert!(
        limits.unwrap().ends_with(":project:quota_exceeded"),
        "the refusal names the quota"
    );
    server.stop().await;
}

#[tokio::test]
async fn an_event_quota_refuses_past_its_limit_with_its_own_reason() {
    let server = TestServer::start().await;
    quota_then_accepted(&server, 3, 3).await;
    let (status, limits, answer) = send_event(&server, &json!({"message": "over"})).await;
    assert_eq!(status, 429, "{answer}");
    let limits = limits.expect("a rate-limits header");
    assert!(
        limits.ends_with(":error;default;security:project:quota_exceeded"),
        "{limits}"
    );
    let secs: u64 = limits.split(':').next().unwrap().parse().unwrap();
    assert!((1..=86_400).contains(&secs), "{limits}");
    // Counted under its own reason (written with the next commit).
    let reply = server
        .call(
            Method::PUT,
            &server.project_path("/"),
            Some(r#"{"eventQuota": null}"#),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 200);
    let (status, _, _) = send_event(&server, &json!({"message": "quota lifted"})).await;
    assert_eq!(status, 200);
    let project = errata_store::ProjectId(server.project_id);
    let counts = server
        .store_call(move |store| store.outcomes(project, 0))
        .await
        .unwrap();
    let refused: u64 = counts
        .iter()
        .filter(|c| c.reason == "quota_exceeded")
        .map(|c| c.quantity)
        .sum();
    assert_eq!(refused, 1, "{counts:?}");
    server.stop().await;
}
