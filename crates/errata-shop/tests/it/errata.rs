//! The shop against a real Errata server (in process, on a loopback port, with a `SQLite`
//! file in a temp dir): the official `sentry` transport delivers the layer's events, and
//! the issues Errata makes of them carry the shop's own code as the culprit.

use std::sync::Arc;

use axum::body::Body;
use errata_server::{Config, Server};
use errata_store::{IssueFilter, IssueQuery, ProjectId};
use http::Request;
use tower::ServiceExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panics_and_private_errors_become_issues_in_errata() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_owned(),
        ..Config::default()
    };
    let server = Server::start(config).await.unwrap();
    let dsn = server.welcome().dsn.clone();
    let store = server.state().store.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));

    // A client of our own (not the process-global one other tests could share).
    let mut options = sentry::ClientOptions::new();
    options.dsn = Some(dsn.parse().unwrap());
    // Prepared before the defaults, so the transport is errata-tower's (with timeouts).
    let options = sentry::apply_defaults(errata_tower::prepare_client_options(options));
    let client = Arc::new(sentry::Client::from(options));
    let hub = Arc::new(sentry::Hub::new(
        Some(client),
        Arc::new(sentry::Scope::default()),
    ));
    let app = errata_shop::app(
        errata_tower::Options::new()
            .hub(hub)
            .send_request(true)
            .wait_for_delivery(true),
    );
    for path in ["/panic", "/error/private", "/error/public"] {
        let request = Request::get(path)
            .header("authorization", "Bearer shop-secret")
            .body(Body::empty())
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        assert!(response.status().is_client_error() || response.status().is_server_error());
    }

    let issues = store
        .issues(&IssueQuery {
            project_id: Some(ProjectId(1)),
            sort: errata_store::IssueSort::LastSeen,
            filter: IssueFilter::default(),
            cursor: None,
            limit: 10,
        })
        .unwrap()
        .items;
    let mut summary: Vec<(String, String)> = issues
        .iter()
        .map(|i| (i.title.clone(), i.culprit.clone()))
        .collect();
    summary.sort();
    assert_eq!(summary.len(), 2, "the 422 is not reported: {summary:?}");
    assert!(
        summary[0].0.starts_with("InventoryUnavailable"),
        "{summary:?}"
    );
    assert!(
        summary[0].1.contains("errata_shop::pricing::stock_level"),
        "{summary:?}"
    );
    assert!(
        summary[1].0.starts_with("panic: index out of bounds"),
        "{summary:?}"
    );
    assert!(
        summary[1]
            .1
            .contains("errata_shop::pricing::discount_percent"),
        "{summary:?}"
    );

    // The request came along without its credentials.
    let panic_issue = issues
        .iter()
        .find(|i| i.title.starts_with("panic"))
        .unwrap();
    let event = store.latest_event(panic_issue.id).unwrap();
    let payload: serde_json::Value = serde_json::from_slice(&event.payload).unwrap();
    assert_eq!(
        payload["request"]["url"]
            .as_str()
            .map(|u| u.ends_with("/panic")),
        Some(true),
        "{payload}"
    );
    assert!(!payload.to_string().contains("shop-secret"), "{payload}");
    let frames = payload["exception"]["values"][0]["stacktrace"]["frames"]
        .as_array()
        .unwrap();
    let top = frames.last().unwrap();
    assert_eq!(
        top["function"], "errata_shop::pricing::discount_percent",
        "{top}"
    );

    let _ = stop.send(());
    running.await.unwrap().unwrap();
}
