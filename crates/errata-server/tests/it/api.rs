//! The Web API end to end: SDK requests from the corpus go through the real ingest
//! endpoint over HTTP, then every route is read back through the router with a token.

use std::collections::HashSet;

use axum::http::{Method, StatusCode};
use errata_protocol::envelope::ItemType;
use errata_store::{NewUserReport, ProjectId, UserReportFields, Uuid};
use serde_json::{Value, json};

use crate::support::{PUBLIC_URL, TestServer, link};

/// The ids of every issue of the default project matching `query`, following the
/// `Link` header's `next` cursor `limit` at a time.
async fn all_issue_ids(server: &TestServer, query: &str, limit: usize) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor = String::new();
    for _ in 0..100 {
        let reply = server
            .get(&server.project_path(&format!(
                "/issues/?query={query}&limit={limit}&cursor={cursor}"
            )))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
        let page = reply.json();
        let page = page.as_array().expect("a list");
        assert!(page.len() <= limit);
        ids.extend(
            page.iter()
                .map(|i| i["id"].as_str().expect("id").to_owned()),
        );
        let header = reply.header("link").expect("a Link header");
        let (_, previous) = link(header, "previous");
        assert!(!previous, "cursors only go forward: {header}");
        let (next, more) = link(header, "next");
        if !more {
            return ids;
        }
        cursor = next;
    }
    panic!("pagination never ended");
}

/// The issue (as JSON) whose title starts with `prefix`.
async fn issue_titled(server: &TestServer, prefix: &str) -> Value {
    let list = server
        .get(&server.project_path("/issues/?query="))
        .await
        .json();
    list.as_array()
        .expect("a list")
        .iter()
        .find(|i| i["title"].as_str().is_some_and(|t| t.starts_with(prefix)))
        .unwrap_or_else(|| panic!("no issue titled {prefix}... in {list}"))
        .clone()
}

fn detail(reply: &crate::support::Reply) -> String {
    reply.json()["detail"]
        .as_str()
        .unwrap_or_else(|| panic!("no detail in {}", reply.json()))
        .to_owned()
}

#[tokio::test]
async fn root_answers_sentry_cli_info_with_and_without_the_trailing_slash() {
    let server = TestServer::start().await;
    for path in ["/api/0/", "/api/0"] {
        let reply = server.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        let body = reply.json();
        assert!(
            body["auth"]["scopes"]
                .as_array()
                .expect("scopes")
                .contains(&json!("project:read"))
        );
        // sentry-cli needs `user` to be null or to have string `id` and `email`; every
        // token has a user (the test token is the owner's).
        assert_eq!(
            body["user"],
            json!({ "id": "1", "email": "admin@errata.local" })
        );
    }
}

#[tokio::test]
async fn every_route_needs_a_valid_token_with_and_without_the_trailing_slash() {
    let server = TestServer::start().await;
    let routes = errata_server::api::routes();
    assert!(routes.len() >= 25, "{routes:?}");
    for (path, method) in routes {
        let concrete = path
            .replace("{org}", "errata")
            .replace("{project}", "default")
            .replace("{issue_id}", "1")
            .replace("{event_id}", "0123456789abcdef0123456789abcdef")
            .replace("{attachment_id}", "1");
        let method: Method = method.to_uppercase().parse().expect("method");
        for uri in [concrete.clone(), concrete.trim_end_matches('/').to_owned()] {
            for token in [None, Some("not-a-token")] {
                let reply = server.call_as(token, method.clone(), &uri, None).await;
                assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {uri}");
                assert!(!detail(&reply).is_empty());
            }
        }
    }
    let reply = server
        .call_as(Some("x"), Method::GET, "/api/0/", None)
        .await;
    assert_eq!(detail(&reply), "Invalid token.");
    let reply = server.get("/api/0/no-such-thing/").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn organizations_projects_and_keys() {
    let server = TestServer::start().await;
    let orgs = server.get("/api/0/organizations/").await.json();
    assert_eq!(orgs[0]["slug"], "errata");
    assert!(orgs[0]["id"].is_string());
    for field in ["dateCreated", "isEarlyAdopter", "require2FA", "features"] {
        assert!(orgs[0].get(field).is_some(), "{field} in {orgs}");
    }
    let org = server.get("/api/0/organizations/errata/").await.json();
    assert_eq!(org["name"], "Errata");
    let missing = server.get("/api/0/organizations/nope/").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(detail(&missing).contains("nope"));

    let projects = server
        .get("/api/0/organizations/errata/projects/")
        .await
        .json();
    assert_eq!(projects[0]["slug"], "default");
    assert_eq!(projects[0]["id"], server.project_id.to_string());
    assert_eq!(projects[0]["organization"]["slug"], "errata");
    let project = server.get("/api/0/projects/errata/default/").await.json();
    assert_eq!(project["name"], "Default");
    for path in [
        "/api/0/projects/errata/nope/",
        "/api/0/projects/nope/default/",
        "/api/0/organizations/nope/projects/",
        "/api/0/projects/errata/nope/keys/",
    ] {
        assert_eq!(
            server.get(path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }

    let keys = server
        .get("/api/0/projects/errata/default/keys/")
        .await
        .json();
    let key = &keys[0];
    assert_eq!(key["public"], server.public_key.as_str());
    assert_eq!(key["isActive"], true);
    assert_eq!(
        key["dsn"]["public"],
        format!(
            "http://{}@errata.test/{}",
            server.public_key, server.project_id
        )
    );
    let secret = key["secret"].as_str().expect("secret");
    assert_eq!(
        key["dsn"]["secret"],
        format!(
            "http://{}:{secret}@errata.test/{}",
            server.public_key, server.project_id
        )
    );
}

#[tokio::test]
async fn issue_list_pages_with_sentry_link_headers() {
    let server = TestServer::start().await;
    server.send_scenario("python/grouping_repeat").await;
    server.send_scenario("python/exception_chained").await;
    let everything = all_issue_ids(&server, "", 100).await;
    assert!(everything.len() >= 4, "{everything:?}");
    for limit in [1, 2, 3] {
        assert_eq!(
            all_issue_ids(&server, "", limit).await,
            everything,
            "{limit}"
        );
    }
    let unique: HashSet<_> = everything.iter().collect();
    assert_eq!(unique.len(), everything.len());

    // The links repeat the query, with the cursor replaced, under the public URL.
    let reply = server
        .get(&server.project_path("/issues/?query=is%3Aunresolved&limit=1&cursor="))
        .await;
    let header = reply.header("link").expect("link").to_owned();
    assert!(
        header.starts_with(&format!(
            "<{PUBLIC_URL}/api/0/projects/errata/default/issues/?query=is%3Aunresolved&limit=1&cursor="
        )),
        "{header}"
    );
    let (next, more) = link(&header, "next");
    assert!(more && !next.is_empty(), "{header}");
    assert!(header.contains(&format!("cursor=\"{next}\"")));

    // Without `query`, Sentry's default `is:unresolved` applies; the bare path works.
    let bare = server
        .get("/api/0/projects/errata/default/issues?limit=100")
        .await;
    assert_eq!(
        bare.json().as_array().expect("list").len(),
        everything.len()
    );

    for (uri, expected) in [
        ("/issues/?limit=0", "limit"),
        ("/issues/?limit=101", "limit"),
        ("/issues/?limit=ten", "limit"),
        ("/issues/?cursor=garbage", "cursor"),
        ("/issues/?query=is:bogus", "bogus"),
    ] {
        let reply = server.get(&server.project_path(uri)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(
            detail(&reply).contains(expected),
            "{uri}: {}",
            detail(&reply)
        );
    }
}

#[tokio::test]
async fn issue_filters_free_text_tags_and_status() {
    let server = TestServer::start().await;
    server.send_scenario("python/grouping_repeat").await;
    let total = all_issue_ids(&server, "", 100).await.len();
    let titles = |query: &'static str| {
        let server = &server;
        async move {
            let reply = server
                .get(&server.project_path(&format!("/issues/?query={query}")))
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{query}");
            reply
                .json()
                .as_array()
                .expect("list")
                .iter()
                .map(|i| i["title"].as_str().expect("title").to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        titles("ZeroDivisionError").await,
        vec!["ZeroDivisionError: division by zero"]
    );
    assert_eq!(
        titles("%22division%20by%20zero%22").await,
        vec!["ZeroDivisionError: division by zero"]
    );
    assert!(titles("zerodivisionerror%20nomatch").await.is_empty());
    let info = titles("level%3Ainfo").await;
    assert!(
        !info.is_empty() && info.iter().all(|t| t.starts_with("login failed")),
        "{info:?}"
    );
    assert_eq!(titles("release%3A%22shop%401.4.2%22").await.len(), total);
    assert_eq!(
        titles("release%3Ashop%401.4.2%20level%3Aerror").await.len(),
        2
    );
    assert!(titles("level%3Afatal").await.is_empty());
    assert!(titles("is%3Aresolved").await.is_empty());
    assert!(titles("is%3Aignored").await.is_empty());
    assert_eq!(titles("is%3Aunresolved").await.len(), total);
}

#[tokio::test]
async fn status_changes_and_their_validation() {
    let server = TestServer::start().await;
    server.send_scenario("python/grouping_repeat").await;
    let issue = issue_titled(&server, "ZeroDivisionError").await;
    let id = issue["id"].as_str().expect("id").to_owned();
    let total = all_issue_ids(&server, "", 100).await.len();

    let reply = server
        .call(
            Method::PUT,
            &format!("/api/0/issues/{id}/"),
            Some(r#"{"status": "resolved"}"#),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["status"], "resolved");
    assert!(reply.json()["statusDetails"]["resolvedAt"].is_string());
    assert_eq!(
        all_issue_ids(&server, "is%3Aresolved", 100).await,
        vec![id.clone()]
    );
    let unresolved = all_issue_ids(&server, "is%3Aunresolved", 100).await;
    assert_eq!(unresolved.len(), total - 1);
    assert!(!unresolved.contains(&id));

    // The organization path, without the trailing slash.
    let reply = server
        .call(
            Method::PUT,
            &format!("/api/0/organizations/errata/issues/{id}"),
            Some(r#"{"status": "ignored"}"#),
        )
        .await;
    assert_eq!(reply.json()["status"], "ignored");
    let got = server.get(&format!("/api/0/issues/{id}/")).await.json();
    assert_eq!(got["status"], "ignored");
    assert_eq!(
        all_issue_ids(&server, "is%3Aignored", 100).await,
        vec![id.clone()]
    );

    for (body, expected) in [
        (r#"{"status": "fixed"}"#, "\"fixed\""),
        (r#"{"status": 3}"#, "status"),
        (r"{}", "status"),
        ("not json", "JSON"),
        ("", "JSON"),
    ] {
        let reply = server
            .call(Method::PUT, &format!("/api/0/issues/{id}/"), Some(body))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            detail(&reply).contains(expected),
            "{body}: {}",
            detail(&reply)
        );
    }
    for uri in [
        "/api/0/issues/999999/".to_owned(),
        "/api/0/issues/abc/".to_owned(),
        format!("/api/0/organizations/nope/issues/{id}/"),
    ] {
        let reply = server
            .call(Method::PUT, &uri, Some(r#"{"status": "resolved"}"#))
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{uri}");
    }
}

#[tokio::test]
async fn bulk_status_changes_as_sentry_cli_sends_them() {
    let server = TestServer::start().await;
    server.send_scenario("python/grouping_repeat").await;
    let issue = issue_titled(&server, "ZeroDivisionError").await;
    let id = issue["id"].as_str().expect("id").to_owned();
    let total = all_issue_ids(&server, "", 100).await.len();
    // `sentry-cli issues resolve --id ID`, then `--status unresolved`.
    let reply = server
        .call(
            Method::PUT,
            &server.project_path(&format!("/issues/?id={id}")),
            Some(r#"{"status": "unresolved"}"#),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        all_issue_ids(&server, "is%3Aunresolved", 100).await.len(),
        total
    );
    let reply = server
        .call(
            Method::PUT,
            &server.project_path("/issues/?status=unresolved"),
            Some(r#"{"status": "resolved"}"#),
        )
        .await;
    assert_eq!(
        reply.json(),
        json!({"status": "resolved", "statusDetails": {}})
    );
    assert_eq!(
        all_issue_ids(&server, "is%3Aresolved", 100).await.len(),
        total
    );
    let reply = server
        .call(
            Method::PUT,
            &server.project_path("/issues/?id=999999"),
            Some(r#"{"status": "resolved"}"#),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    // `sentry-cli issues unresolve --all` names no issue: every issue matching `query`
    // (here every resolved one), then `resolve --all` (default query: unresolved ones).
    let put_all = |query: &'static str, status: &'static str| {
        let path = server.project_path(&format!("/issues/{query}"));
        let body = format!(r#"{{"status": "{status}"}}"#);
        let server = &server;
        async move { server.call(Method::PUT, &path, Some(&body)).await.status }
    };
    assert_eq!(
        put_all("?query=is%3Aresolved", "unresolved").await,
        StatusCode::OK
    );
    assert_eq!(
        all_issue_ids(&server, "is%3Aunresolved", 100).await.len(),
        total
    );
    assert_eq!(put_all("", "resolved").await, StatusCode::OK);
    assert_eq!(
        all_issue_ids(&server, "is%3Aresolved", 100).await.len(),
        total
    );
    assert_eq!(
        put_all("?query=is%3Abogus", "resolved").await,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn delete_removes_the_issue_and_its_events() {
    let server = TestServer::start().await;
    server.send_scenario("python/grouping_repeat").await;
    let issue = issue_titled(&server, "ZeroDivisionError").await;
    let id = issue["id"].as_str().expect("id");
    let events = server
        .get(&format!("/api/0/issues/{id}/events/"))
        .await
        .json();
    let event_id = events[0]["eventID"].as_str().expect("event id").to_owned();
    assert_eq!(
        server
            .get(&server.project_path(&format!("/events/{event_id}/")))
            .await
            .status,
        StatusCode::OK
    );

    let reply = server
        .call(
            Method::DELETE,
            &format!("/api/0/organizations/errata/issues/{id}/"),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    for uri in [
        format!("/api/0/issues/{id}/"),
        format!("/api/0/issues/{id}/events/"),
        format!("/api/0/issues/{id}/events/latest/"),
        server.project_path(&format!("/events/{event_id}/")),
    ] {
        assert_eq!(
            server.get(&uri).await.status,
            StatusCode::NOT_FOUND,
            "{uri}"
        );
    }
    assert!(
        !all_issue_ids(&server, "", 100)
            .await
            .contains(&id.to_owned())
    );
    let again = server
        .call(Method::DELETE, &format!("/api/0/issues/{id}/"), None)
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn issue_events_latest_and_one_event() {
    let server = TestServer::start().await;
    let sent = server.send_scenario("python/grouping_repeat").await;
    let issue = issue_titled(&server, "KeyError").await;
    let id = issue["id"].as_str().expect("id");
    assert_eq!(issue["count"], "5");

    // Five events, two per page.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let reply = server
            .get(&format!(
                "/api/0/issues/{id}/events/?limit=2&cursor={cursor}"
            ))
            .await;
        pages += 1;
        let page = reply.json();
        seen.extend(
            page.as_array()
                .expect("list")
                .iter()
                .map(|e| e["eventID"].as_str().expect("id").to_owned()),
        );
        let (next, more) = link(reply.header("link").expect("link"), "next");
        if !more {
            break;
        }
        cursor = next;
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 5);
    let sent: HashSet<_> = sent.into_iter().collect();
    assert!(seen.iter().all(|e| sent.contains(e)), "{seen:?}");

    // The latest is the most recently received: the first of the list.
    let latest = server
        .get(&format!("/api/0/issues/{id}/events/latest/"))
        .await
        .json();
    assert_eq!(latest["eventID"], seen[0].as_str());
    assert_eq!(latest["groupID"], id);

    let event = server
        .get(&server.project_path(&format!("/events/{}/", seen[4])))
        .await
        .json();
    assert_eq!(event["id"], seen[4].as_str());
    assert_eq!(event["groupID"], id);
    assert_eq!(event["projectID"], server.project_id.to_string());
    assert!(
        event["title"]
            .as_str()
            .expect("title")
            .starts_with("KeyError")
    );
    let date = event["dateCreated"].as_str().expect("date");
    assert!(
        date.len() == 24 && date.ends_with('Z') && date.as_bytes()[10] == b'T',
        "{date}"
    );
    let tags = event["tags"].as_array().expect("tags");
    assert!(
        tags.contains(&json!({"key": "server_name", "value": "web-1"})),
        "{tags:?}"
    );
    assert_eq!(event["entries"][0]["type"], "exception");
    // The normalized payload's fields are all there.
    assert_eq!(event["platform"], "python");
    assert_eq!(event["exception"]["values"][0]["type"], "KeyError");
    assert!(
        event["sdk"]["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("sentry.python"))
    );

    // A dashed id works; unknown and malformed ids do not.
    let dashed = Uuid::try_parse(&seen[4])
        .expect("uuid")
        .hyphenated()
        .to_string();
    assert_eq!(
        server
            .get(&server.project_path(&format!("/events/{dashed}")))
            .await
            .status,
        StatusCode::OK
    );
    for raw in ["0123456789abcdef0123456789abcdef", "nope"] {
        let reply = server
            .get(&server.project_path(&format!("/events/{raw}/")))
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{raw}");
        assert!(detail(&reply).contains(raw));
    }
    let reply = server
        .get(&format!("/api/0/projects/errata/nope/events/{}/", seen[0]))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn attachments_list_and_download_round_trip() {
    let server = TestServer::start().await;
    let request = &errata_corpus::scenario("python/attachment")[0];
    let (_, envelope) = request.decode().expect("corpus request decodes");
    let item = envelope
        .items()
        .iter()
        .find(|i| *i.ty() == ItemType::Attachment)
        .expect("an attachment item");
    let original = item.payload().to_vec();
    let ids = server.send_scenario("python/attachment").await;
    let event_id = &ids[0];

    let list = server
        .get(&server.project_path(&format!("/events/{event_id}/attachments/")))
        .await
        .json();
    let attachments = list.as_array().expect("list");
    assert_eq!(attachments.len(), 1);
    let attachment = &attachments[0];
    assert_eq!(attachment["name"], "order.csv");
    assert_eq!(attachment["mimetype"], "text/csv");
    assert_eq!(attachment["size"], original.len());
    assert_eq!(attachment["event_id"], event_id.as_str());
    let attachment_id = attachment["id"].as_str().expect("id");

    let path = server.project_path(&format!("/events/{event_id}/attachments/{attachment_id}/"));
    let download = server.get(&format!("{path}?download=1")).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.body, original);
    assert_eq!(download.header("content-type"), Some("text/csv"));
    assert!(
        download
            .header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment; filename=\"order.csv\"")),
        "{:?}",
        download.headers
    );
    let described = server.get(&path).await.json();
    assert_eq!(described["name"], "order.csv");

    // Another event's id in the path, an unknown attachment, an unknown event.
    let other = "0123456789abcdef0123456789abcdef";
    for uri in [
        server.project_path(&format!(
            "/events/{other}/attachments/{attachment_id}/?download=1"
        )),
        server.project_path(&format!("/events/{event_id}/attachments/999/?download=1")),
        server.project_path(&format!("/events/{event_id}/attachments/x/")),
        server.project_path(&format!("/events/{other}/attachments/")),
    ] {
        assert_eq!(
            server.get(&uri).await.status,
            StatusCode::NOT_FOUND,
            "{uri}"
        );
    }
}

#[tokio::test]
async fn grouping_info_explains_why_the_event_is_in_its_issue() {
    let server = TestServer::start().await;
    let ids = server.send_scenario("python/exception_simple").await;
    let issue = server.get(&server.project_path("/issues/")).await.json();
    let path = server.project_path(&format!("/events/{}/grouping-info/", ids[0]));
    let info = server.get(&path).await.json();
    assert_eq!(info["title"], issue[0]["title"]);
    assert_eq!(info["config"], "newstyle:2023-01-11");
    let hashes = info["hashes"].as_array().expect("hashes");
    assert!(!hashes.is_empty());
    let variants = info["variants"].as_array().expect("variants");
    let contributing = variants
        .iter()
        .find(|v| v["contributes"] == true)
        .expect("a contributing variant");
    assert!(contributing["component"].is_object(), "{contributing}");
    assert!(hashes.contains(&contributing["hash"]));
    let explanation = info["explanation"].as_str().expect("text");
    assert!(explanation.contains(issue[0]["title"].as_str().expect("title")));

    let text = server.get(&format!("{path}?format=text")).await;
    assert_eq!(
        text.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(String::from_utf8_lossy(&text.body), explanation);
    let missing = server
        .get(&server.project_path("/events/0123456789abcdef0123456789abcdef/grouping-info/"))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn tag_value_counts_and_user_reports() {
    let server = TestServer::start().await;
    server.send_scenario("python/grouping_repeat").await;
    let issue = issue_titled(&server, "ZeroDivisionError").await;
    let id = issue["id"].as_str().expect("id");
    let tags = server
        .get(&format!("/api/0/issues/{id}/tags/"))
        .await
        .json();
    let level = tags
        .as_array()
        .expect("list")
        .iter()
        .find(|t| t["key"] == "level")
        .expect("a level tag");
    assert_eq!(level["totalValues"], 3);
    assert_eq!(level["topValues"][0]["value"], "error");
    assert_eq!(level["topValues"][0]["count"], 3);

    let ids = server.send_scenario("python/user_feedback").await;
    let issue = issue_titled(&server, "checkout page crashed").await;
    let id = issue["id"].as_str().expect("id").to_owned();
    let reports = server
        .get(&format!("/api/0/issues/{id}/user-reports/"))
        .await;
    assert_eq!(reports.json(), json!([]));
    let store = server.state.store.clone();
    let event_id = Uuid::try_parse(&ids[0]).expect("uuid");
    let project_id = ProjectId(server.project_id);
    tokio::task::spawn_blocking(move || {
        store.add_user_reports(&[NewUserReport {
            project_id,
            event_id,
            received_ms: 1_795_288_800_000,
            fields: UserReportFields {
                name: "Ana".into(),
                email: "ana@example.com".into(),
                comments: "The checkout page went blank.".into(),
            },
        }])
    })
    .await
    .expect("task")
    .expect("report stored");
    let reports = server
        .get(&format!(
            "/api/0/organizations/errata/issues/{id}/user-reports/"
        ))
        .await
        .json();
    assert_eq!(reports[0]["eventID"], ids[0].as_str());
    assert_eq!(reports[0]["email"], "ana@example.com");
    assert_eq!(reports[0]["comments"], "The checkout page went blank.");
    assert_eq!(reports[0]["issue"], id.as_str());
    assert_eq!(reports[0]["dateCreated"], "2026-11-21T19:20:00.000Z");
}

#[tokio::test]
async fn outcomes_count_accepted_events_and_client_discards() {
    let server = TestServer::start().await;
    server.send_scenario("python/before_send_filter").await;
    // The writer writes counters after each commit: once this event is committed,
    // everything counted before it is on disk.
    server.send_scenario("python/exception_simple").await;
    let reply = server.get(&server.project_path("/outcomes/")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    assert_eq!(body["statsPeriod"], "24h");
    let outcomes = body["outcomes"].as_array().expect("list");
    let quantity = |category: &str, reason: &str| {
        outcomes
            .iter()
            .filter(|o| o["category"] == category && o["reason"] == reason)
            .map(|o| o["quantity"].as_u64().expect("quantity"))
            .sum::<u64>()
    };
    assert!(quantity("error", "accepted") >= 1, "{body}");
    let discarded = outcomes
        .iter()
        .find(|o| {
            o["reason"]
                .as_str()
                .is_some_and(|r| r.contains("before_send"))
        })
        .unwrap_or_else(|| panic!("no client discard in {body}"));
    assert_eq!(discarded["quantity"], 1);

    let reply = server
        .get(&server.project_path("/outcomes/?statsPeriod=forever"))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(detail(&reply).contains("statsPeriod"));
}

#[tokio::test]
async fn snapshots_of_the_issue_list_one_issue_and_one_event() {
    let server = TestServer::start().await;
    let ids = server.send_scenario("python/exception_simple").await;
    let list = server.get(&server.project_path("/issues/")).await.json();
    insta::assert_json_snapshot!("issue_list", list, {
        "[].id" => "[id]",
        "[].permalink" => "[permalink]",
        "[].firstSeen" => "[date]",
        "[].lastSeen" => "[date]",
        "[].project.id" => "[id]",
    });
    let id = list[0]["id"].as_str().expect("id");
    let issue = server.get(&format!("/api/0/issues/{id}/")).await.json();
    insta::assert_json_snapshot!("issue", issue, {
        ".id" => "[id]",
        ".permalink" => "[permalink]",
        ".firstSeen" => "[date]",
        ".lastSeen" => "[date]",
        ".project.id" => "[id]",
    });
    let event = server
        .get(&server.project_path(&format!("/events/{}/", ids[0])))
        .await
        .json();
    insta::assert_json_snapshot!("event", event, {
        ".id" => "[event id]",
        ".eventID" => "[event id]",
        ".event_id" => "[event id]",
        ".groupID" => "[id]",
        ".projectID" => "[id]",
        ".dateCreated" => "[date]",
        ".dateReceived" => "[date]",
        ".size" => "[size]",
        ".**.timestamp" => "[timestamp]",
        ".received" => "[timestamp]",
        ".errors" => "[errors]",
    });
}

/// The settings fields of a project as the API shows it.
fn settings(project: &Value) -> Value {
    json!({
        "dataScrubber": project["dataScrubber"],
        "sensitiveFields": project["sensitiveFields"],
        "scrubIPAddresses": project["scrubIPAddresses"],
        "eventQuota": project["eventQuota"],
    })
}

#[tokio::test]
async fn project_settings_are_shown_and_changed() {
    let server = TestServer::start().await;
    let path = server.project_path("/");
    let put = |body: &'static str| server.call(Method::PUT, &path, Some(body));
    let project = server.get(&path).await.json();
    assert_eq!(project["dataScrubber"], true);
    assert_eq!(project["sensitiveFields"], json!([]));
    assert_eq!(project["scrubIPAddresses"], false);
    assert_eq!(project["eventQuota"], Value::Null);

    // Settings apply to the next ingest request: the cached key and project are dropped.
    let (store, key) = (server.state.store.clone(), server.public_key.clone());
    let keys = server.state.clone();
    tokio::task::spawn_blocking(move || keys.keys.load(&store, &key))
        .await
        .expect("task")
        .expect("key loaded");
    assert!(server.state.keys.cached(&server.public_key).is_some());

    let reply = put(
        r#"{"dataScrubber": false, "sensitiveFields": ["SSN", "card.number", "ssn"],
            "scrubIPAddresses": true, "eventQuota": {"limit": 1000, "window": "day"}}"#,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    assert!(server.state.keys.cached(&server.public_key).is_none());
    let expected = json!({
        "dataScrubber": false,
        "sensitiveFields": ["ssn", "card.number"],
        "scrubIPAddresses": true,
        "eventQuota": {"limit": 1000, "window": "day"},
    });
    assert_eq!(settings(&reply.json()), expected);
    assert_eq!(reply.json()["slug"], "default");
    assert_eq!(settings(&server.get(&path).await.json()), expected);
    let listed = server
        .get("/api/0/organizations/errata/projects/")
        .await
        .json();
    assert_eq!(settings(&listed[0]), expected);

    // A field left out keeps its value; an empty object changes nothing.
    let reply = put(r#"{"eventQuota": {"limit": 5, "window": "month"}}"#).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    let mut monthly = expected.clone();
    monthly["eventQuota"] = json!({"limit": 5, "window": "month"});
    assert_eq!(settings(&reply.json()), monthly);
    assert_eq!(settings(&put("{}").await.json()), monthly);
    let reply = put(r#"{"eventQuota": null, "sensitiveFields": []}"#).await;
    let mut cleared = monthly.clone();
    cleared["eventQuota"] = Value::Null;
    cleared["sensitiveFields"] = json!([]);
    assert_eq!(settings(&reply.json()), cleared);
}

#[tokio::test]
async fn project_settings_refusals_are_400s_saying_why() {
    let server = TestServer::start().await;
    let path = server.project_path("/");
    let before = settings(&server.get(&path).await.json());
    let too_many = format!(
        r#"{{"sensitiveFields": [{}]}}"#,
        (0..51)
            .map(|n| format!("\"f{n}\""))
            .collect::<Vec<_>>()
            .join(",")
    );
    let bad: Vec<(String, &str)> = vec![
        (r#"{"quota": 5}"#.into(), "\"quota\""),
        (
            r#"{"sensitiveFields": "ssn"}"#.into(),
            "sensitiveFields must be an array of strings",
        ),
        (
            r#"{"sensitiveFields": [1]}"#.into(),
            "sensitiveFields must be an array of strings",
        ),
        (
            r#"{"sensitiveFields": ["has space"]}"#.into(),
            "invalid sensitive field \"has space\"",
        ),
        (too_many, "at most 50 sensitive fields"),
        (
            r#"{"scrubIPAddresses": "yes"}"#.into(),
            "scrubIPAddresses must be true or false",
        ),
        (
            r#"{"dataScrubber": null}"#.into(),
            "dataScrubber must be true or false",
        ),
        (r#"{"eventQuota": 5}"#.into(), "eventQuota is not an object"),
        (
            r#"{"eventQuota": {"window": "day"}}"#.into(),
            "eventQuota.limit is missing",
        ),
        (
            r#"{"eventQuota": {"limit": 5}}"#.into(),
            "eventQuota.window is missing",
        ),
        (
            r#"{"eventQuota": {"limit": -5, "window": "day"}}"#.into(),
            "eventQuota.limit -5 is not a positive integer",
        ),
        (
            r#"{"eventQuota": {"limit": 1.5, "window": "day"}}"#.into(),
            "eventQuota.limit 1.5 is not a positive integer",
        ),
        (
            r#"{"eventQuota": {"limit": 0, "window": "day"}}"#.into(),
            "between 1 and 1000000000000",
        ),
        (
            r#"{"eventQuota": {"limit": 1000000000001, "window": "day"}}"#.into(),
            "between 1 and 1000000000000",
        ),
        (
            r#"{"eventQuota": {"limit": 5, "window": "week"}}"#.into(),
            "eventQuota.window \"week\" is not",
        ),
        (
            r#"{"eventQuota": {"limit": 5, "window": "day", "burst": 9}}"#.into(),
            "unknown field eventQuota.burst",
        ),
        // One bad field refuses the whole change.
        (
            r#"{"dataScrubber": false, "sensitiveFields": ["ok", "not ok"]}"#.into(),
            "\"not ok\"",
        ),
        (
            r#"{"scrubIPAddresses": true, "eventQuota": {"limit": 0, "window": "day"}}"#.into(),
            "between 1",
        ),
    ];
    for (body, expected_detail) in &bad {
        let reply = server.call(Method::PUT, &path, Some(body)).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            reply.json()
        );
        let detail = detail(&reply);
        assert!(detail.contains(expected_detail), "{body}: {detail}");
    }
    // Nothing of a refused change is applied.
    assert_eq!(settings(&server.get(&path).await.json()), before);
    let missing = server
        .call(Method::PUT, "/api/0/projects/errata/nope/", Some("{}"))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}
