//! The shop against a real Errata server (in process, on a loopback port, with a `SQLite`
//! file in a temp dir): the official `sentry` transport delivers the layer's events, and
//! the issues Errata makes of them carry the shop's own code as the culprit, on axum and on
//! actix-web; a wrapped error's culprit is its innermost cause.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use errata_server::{Config, Server};
use errata_store::{Issue, IssueFilter, IssueQuery, ProjectId, Store};
use http::Request;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

/// A running Errata server and a hub whose client reports to it.
struct Errata {
    _dir: tempfile::TempDir,
    store: Arc<dyn Store>,
    hub: Arc<sentry::Hub>,
    stop: tokio::sync::oneshot::Sender<()>,
    running: tokio::task::JoinHandle<Result<(), errata_server::ServerError>>,
}

impl Errata {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            bind: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.path().to_owned(),
            ..Config::default()
        };
        let server = {
            let store = errata_store_sqlite::SqliteStore::open(&config.data_dir).unwrap();
            Server::start_with_store(config, std::sync::Arc::new(store))
                .await
                .unwrap()
        };
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
        Self {
            _dir: dir,
            store,
            hub,
            stop,
            running,
        }
    }

    fn issues(&self) -> Vec<Issue> {
        self.store
            .issues(&IssueQuery {
                project_id: Some(ProjectId(1)),
                sort: errata_store::IssueSort::LastSeen,
                filter: IssueFilter::default(),
                cursor: None,
                limit: 20,
            })
            .unwrap()
            .items
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.running.await.unwrap().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panics_and_private_errors_become_issues_in_errata() {
    let errata = Errata::start().await;
    let store = errata.store.clone();
    let hub = errata.hub.clone();
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

    let issues = errata.issues();
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

    errata.stop().await;
}

/// One HTTP/1.1 POST over a fresh connection; returns the status code.
async fn post(addr: std::net::SocketAddr, path: &str) -> u16 {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).await.unwrap();
    out[9..12].parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrapped_and_anyhow_errors_name_their_innermost_cause_on_axum_and_actix() {
    let errata = Errata::start().await;
    let options = errata_tower::Options::new()
        .hub(errata.hub.clone())
        .wait_for_delivery(true);

    // axum (errata-tower).
    let app = errata_shop::app(options.clone());
    for path in ["/orders/42/reorder", "/prices/import"] {
        let req = Request::post(path).body(Body::empty()).unwrap();
        assert_eq!(app.clone().oneshot(req).await.unwrap().status(), 500);
    }

    // actix-web (errata-actix), served on its own system thread.
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let actix = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server =
                actix_web::HttpServer::new(move || errata_shop::actix_app(options.clone()))
                    .workers(1)
                    .disable_signals()
                    .bind("127.0.0.1:0")
                    .unwrap();
            addr_tx.send(server.addrs()[0]).unwrap();
            let server = server.run();
            let handle = server.handle();
            actix_web::rt::spawn(async move {
                actix_web::rt::time::sleep(Duration::from_secs(60)).await;
                handle.stop(false).await;
            });
            server.await
        })
    });
    let addr = addr_rx.recv().unwrap();
    assert_eq!(post(addr, "/orders/42/reorder").await, 500);
    assert_eq!(post(addr, "/prices/import").await, 500);

    let issues = errata.issues();
    let reorders: Vec<&Issue> = issues
        .iter()
        .filter(|i| i.title == "Context: reordering order 42")
        .collect();
    // One issue per framework (their handler frames differ), both blaming the ledger call.
    assert_eq!(reorders.len(), 2, "{issues:#?}");
    for issue in reorders {
        assert!(
            issue
                .culprit
                .ends_with("errata_shop::orders::ledger_balance"),
            "{}",
            issue.culprit
        );
        let event = errata.store.latest_event(issue.id).unwrap();
        let payload: serde_json::Value = serde_json::from_slice(&event.payload).unwrap();
        let values: Vec<&str> = payload["exception"]["values"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["value"].as_str())
            .collect();
        assert_eq!(
            values,
            [
                "ledger refused account 4042",
                "checking the customer's credit",
                "reordering order 42"
            ]
        );
    }
    let imports: Vec<&Issue> = issues
        .iter()
        .filter(|i| {
            i.title
                .starts_with("AnyhowError: importing the supplier price list")
        })
        .collect();
    assert_eq!(imports.len(), 2, "{issues:#?}");
    for issue in imports {
        assert!(
            issue.culprit.contains("errata_shop::orders::"),
            "{}",
            issue.culprit
        );
    }
    drop(actix);
    errata.stop().await;
}
