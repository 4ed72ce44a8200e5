//! The alerting Web API: rules and channels created, read, changed and deleted; secrets
//! never read back (a generated webhook secret only in its 201); a 403 naming the missing
//! scope; a 400 with the reason for an invalid rule; the delivery log with attempts.

#![allow(
    clippy::too_many_lines,
    reason = "each test walks one resource's life end to end"
)]

use axum::http::{Method, StatusCode};
use errata_store::{NewToken, Scope, Scopes};
use serde_json::{Value, json};

use crate::support::TestServer;

async fn token_with(server: &TestServer, scopes: &[Scope]) -> String {
    let store = server.state.store.clone();
    let owner = server.state.config.admin_email.clone();
    let scopes: Scopes = scopes.iter().copied().collect();
    tokio::task::spawn_blocking(move || {
        store.create_token(&NewToken {
            user_id: store.user_by_email(&owner)?.id,
            label: "limited".into(),
            scopes,
        })
    })
    .await
    .unwrap()
    .unwrap()
    .secret
}

#[tokio::test]
async fn rules_are_created_read_replaced_and_deleted() {
    let server = TestServer::start().await;
    let rules = server.project_path("/rules/");
    let list = server.get(&rules).await;
    assert_eq!(list.status, StatusCode::OK);
    let list = list.json();
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "the default rule: {list}"
    );
    assert_eq!(list[0]["triggers"]["newIssue"], true);
    assert_eq!(list[0]["actions"]["allChannels"], true);
    let body = json!({
        "name": "Busy issues",
        "triggers": {"frequency": {"count": 100, "minutes": 60}},
        "filters": {"minLevel": "error", "tag": {"key": "browser", "value": "Firefox"}},
        "actions": {"emailMembers": true},
        "cooldownMinutes": 15
    });
    let created = server
        .call(Method::POST, &rules, Some(&body.to_string()))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.json());
    let created = created.json();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["enabled"], true);
    assert_eq!(created["triggers"]["frequency"]["count"], 100);
    assert_eq!(created["triggers"]["userCount"], Value::Null);
    assert_eq!(created["filters"]["tag"]["value"], "Firefox");
    assert_eq!(created["cooldownMinutes"], 15);
    let one = format!("{rules}{id}/");
    assert_eq!(server.get(&one).await.json()["name"], "Busy issues");
    let replaced = server
        .call(
            Method::PUT,
            &one,
            Some(&json!({"name": "Renamed", "enabled": false, "triggers": {"regression": true}, "actions": {"allChannels": true}}).to_string()),
        )
        .await;
    assert_eq!(replaced.status, StatusCode::OK);
    let replaced = replaced.json();
    assert_eq!(replaced["name"], "Renamed");
    assert_eq!(replaced["enabled"], false);
    assert_eq!(replaced["triggers"]["frequency"], Value::Null);
    assert_eq!(replaced["filters"]["minLevel"], Value::Null);
    // What GET shows may be sent back.
    let mut again = server.get(&one).await.json();
    again["cooldownMinutes"] = json!(45);
    let reply = server
        .call(Method::PUT, &one, Some(&again.to_string()))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json());
    assert_eq!(reply.json()["cooldownMinutes"], 45);
    assert_eq!(reply.json()["name"], "Renamed");
    // Invalid rules: 400 with the reason.
    let bad = server
        .call(
            Method::POST,
            &rules,
            Some(&json!({"name": "x", "actions": {"allChannels": true}}).to_string()),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let detail = bad.json()["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("at least one trigger"), "{detail}");
    let bad = server
        .call(Method::POST, &rules, Some(r#"{"name": "x", "colour": 1}"#))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.json()["detail"].as_str().unwrap().contains("colour"));
    // A channel of no such project cannot be named.
    let bad = server
        .call(
            Method::POST,
            &rules,
            Some(&json!({"name": "x", "triggers": {"newIssue": true}, "actions": {"channels": ["999"]}}).to_string()),
        )
        .await;
    assert!(bad.status.is_client_error(), "{:?}", bad.status);
    let deleted = server.call(Method::DELETE, &one, None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(server.get(&one).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        server.get(&format!("{rules}nope/")).await.status,
        StatusCode::NOT_FOUND
    );
    server.stop().await;
}

#[tokio::test]
async fn channels_never_show_their_secrets() {
    let server = TestServer::start().await;
    let channels = server.project_path("/alert-channels/");
    let hook = server
        .call(
            Method::POST,
            &channels,
            Some(
                &json!({"kind": "webhook", "target": "http://127.0.0.1:9/hook/PATHSECRET"})
                    .to_string(),
            ),
        )
        .await;
    assert_eq!(hook.status, StatusCode::CREATED, "{:?}", hook.json());
    let hook = hook.json();
    let secret = hook["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert_eq!(hook["hasSecret"], true);
    assert_eq!(hook["target"], "http://127.0.0.1:9/…");
    let github = server
        .call(
            Method::POST,
            &channels,
            Some(&json!({"kind": "github", "target": "octo/repo", "secret": "ghp_TOKEN", "name": "gh"}).to_string()),
        )
        .await;
    assert_eq!(github.status, StatusCode::CREATED);
    let github = github.json();
    assert!(
        github.get("secret").is_none(),
        "a given secret is not echoed: {github}"
    );
    let listed = server.get(&channels).await;
    assert_eq!(listed.status, StatusCode::OK);
    let body = String::from_utf8_lossy(&listed.body).into_owned();
    for hidden in [secret.as_str(), "ghp_TOKEN", "PATHSECRET"] {
        assert!(!body.contains(hidden), "{hidden} in {body}");
    }
    // The webhook as GET shows it, sent back renamed: its masked URL changes nothing.
    let hook_path = format!("{channels}{}/", hook["id"].as_str().unwrap());
    let mut shown = server.get(&hook_path).await.json();
    shown["name"] = json!("hook");
    let reply = server
        .call(Method::PUT, &hook_path, Some(&shown.to_string()))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json());
    let store = server.state.store.clone();
    let stored = tokio::task::spawn_blocking(move || store.channels(errata_store::ProjectId(1)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored[0].name, "hook");
    assert_eq!(stored[0].target, "http://127.0.0.1:9/hook/PATHSECRET");
    shown["kind"] = json!("slack");
    let reply = server
        .call(Method::PUT, &hook_path, Some(&shown.to_string()))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let one = format!("{channels}{}/", github["id"].as_str().unwrap());
    let changed = server
        .call(
            Method::PUT,
            &one,
            Some(r#"{"enabled": false, "name": "renamed"}"#),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK);
    let changed = changed.json();
    assert_eq!(changed["enabled"], false);
    assert_eq!(changed["name"], "renamed");
    assert_eq!(changed["hasSecret"], true);
    assert!(
        !server
            .get(&one)
            .await
            .body
            .windows(9)
            .any(|w| w == b"ghp_TOKEN")
    );
    // A tracker needs its token: removing it is refused.
    let refused = server
        .call(Method::PUT, &one, Some(r#"{"secret": null}"#))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let bad = server
        .call(
            Method::POST,
            &channels,
            Some(r#"{"kind": "pager", "target": "x"}"#),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.json()["detail"].as_str().unwrap().contains("pager"));
    // A test send answers what happened (nothing listens on port 9).
    let tested = server
        .call(
            Method::POST,
            &format!("{channels}{}/test/", hook["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(tested.status, StatusCode::OK);
    let tested = tested.json();
    assert_eq!(tested["delivered"], false, "{tested}");
    assert!(tested["detail"].is_string());
    assert_eq!(
        server.call(Method::DELETE, &one, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(server.get(&one).await.status, StatusCode::NOT_FOUND);
    server.stop().await;
}

#[tokio::test]
async fn scopes_are_enforced_and_named() {
    let server = TestServer::start().await;
    let reader = token_with(&server, &[Scope::ProjectRead]).await;
    let rules = server.project_path("/rules/");
    let channels = server.project_path("/alert-channels/");
    for path in [
        &rules,
        &channels,
        &server.project_path("/alert-deliveries/"),
    ] {
        let reply = server.call_as(Some(&reader), Method::GET, path, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
    }
    let reply = server
        .call_as(
            Some(&reader),
            Method::POST,
            &channels,
            Some(r#"{"kind": "email", "target": "a@b.c"}"#),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let detail = reply.json()["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("project:write"), "{detail}");
    let reply = server
        .call_as(Some(&reader), Method::DELETE, &format!("{rules}1/"), None)
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let nobody = token_with(&server, &[Scope::EventRead]).await;
    let reply = server
        .call_as(Some(&nobody), Method::GET, &rules, None)
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(
        reply.json()["detail"]
            .as_str()
            .unwrap()
            .contains("project:read")
    );
    assert_eq!(
        server.call_as(None, Method::GET, &rules, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    server.stop().await;
}

#[tokio::test]
async fn the_delivery_log_lists_what_an_event_queued() {
    let server = TestServer::start().await;
    let channels = server.project_path("/alert-channels/");
    let created = server
        .call(
            Method::POST,
            &channels,
            Some(&json!({"kind": "slack", "target": "http://127.0.0.1:9/services/X"}).to_string()),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let channel_id = created.json()["id"].as_str().unwrap().to_owned();
    server.send_scenario("python/exception_simple").await;
    let log = server.get(&server.project_path("/alert-deliveries/")).await;
    assert_eq!(log.status, StatusCode::OK);
    let log = log.json();
    let delivery = log
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["recipient"]["type"] == "channel" && d["recipient"]["id"] == channel_id)
        .unwrap_or_else(|| panic!("a delivery to the channel: {log}"));
    assert_eq!(delivery["trigger"], "new_issue");
    assert!(delivery["attempts"].is_array(), "{delivery}");
    assert!(delivery["issueId"].is_string(), "{delivery}");
    server.stop().await;
}
