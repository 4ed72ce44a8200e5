//! Per-request hubs: the same hub through every accessor, and no tag or breadcrumb crossing
//! between 100 concurrent requests or accumulating on the parent hub.

use std::sync::Arc;

use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use errata_errors::Error;
use errata_tower::sentry_core::protocol::Breadcrumb;
use errata_tower::sentry_core::{Hub, Level};
use errata_tower::{Options, RequestContext, RequestHub};

use crate::support::{get as get_req, layered, recording, send};

async fn tagged(Path(i): Path<u32>, RequestHub(hub): RequestHub, ctx: RequestContext) -> Error {
    assert!(
        Arc::ptr_eq(&hub, &Hub::current()),
        "extractor hub is the current hub"
    );
    assert!(Arc::ptr_eq(&hub, ctx.hub()));
    Hub::current().configure_scope(|s| s.set_tag("req", i));
    hub.add_breadcrumb(Breadcrumb {
        message: Some(format!("crumb {i}")),
        ..Breadcrumb::default()
    });
    for _ in 0..(i % 7) {
        tokio::task::yield_now().await;
    }
    Error::private(format!("request {i}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_do_not_cross_contaminate() {
    let (transport, hub) = recording();
    let app = layered(
        Router::new().route("/t/{i}", get(tagged)),
        &hub,
        Options::new(),
    );
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move { send(&app, get_req(&format!("/t/{i}"))).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().0.status(), 500);
    }
    let events = transport.events();
    assert_eq!(events.len(), 100);
    for ev in &events {
        let msg = ev.exception.values[0].value.clone().unwrap();
        let i = msg.strip_prefix("request ").unwrap();
        assert_eq!(ev.tags.get("req").map(String::as_str), Some(i), "{msg}");
        let crumbs: Vec<_> = ev
            .breadcrumbs
            .values
            .iter()
            .filter_map(|b| b.message.clone())
            .collect();
        assert_eq!(crumbs, vec![format!("crumb {i}")]);
    }
    // Nothing accumulated on the parent hub.
    hub.capture_message("after", Level::Info);
    let after = transport.events().pop().unwrap();
    assert_eq!(after.message.as_deref(), Some("after"));
    assert!(after.tags.is_empty() && after.breadcrumbs.values.is_empty());
}

#[tokio::test]
async fn hub_from_request_sees_the_request_hub() {
    let (_transport, hub) = recording();
    let app = layered(
        Router::new().route(
            "/h",
            get(|req: http::Request<axum::body::Body>| async move {
                let from_req = errata_tower::hub_from_request(&req).unwrap();
                assert!(Arc::ptr_eq(&from_req, &Hub::current()));
                "same"
            }),
        ),
        &hub,
        Options::new(),
    );
    let (res, body) = send(&app, get_req("/h")).await;
    assert_eq!((res.status().as_u16(), body.as_str()), (200, "same"));
}
