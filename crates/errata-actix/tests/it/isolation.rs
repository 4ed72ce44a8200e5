//! Per-request hubs: the same hub through every accessor, and no tag or breadcrumb crossing
//! between 100 requests interleaved on one actix worker, nor accumulating on the parent hub.

use std::rc::Rc;
use std::sync::Arc;

use actix_web::{App, HttpRequest, test, web};
use errata_actix::{Ctx, Errata, HttpError, RequestHub};
use errata_errors::Error;
use errata_tower::Options;
use errata_tower::sentry_core::protocol::Breadcrumb;
use errata_tower::sentry_core::{Hub, Level};

use crate::support::{get, recording, send};

async fn tagged(
    i: web::Path<u32>,
    RequestHub(hub): RequestHub,
    ctx: Ctx,
    req: HttpRequest,
) -> Result<String, HttpError> {
    let i = i.into_inner();
    assert!(
        Arc::ptr_eq(&hub, &Hub::current()),
        "extractor hub is the current hub"
    );
    assert!(Arc::ptr_eq(&hub, ctx.hub()));
    assert!(Arc::ptr_eq(
        &hub,
        &errata_actix::hub_from_request(&req).unwrap()
    ));
    Hub::current().configure_scope(|s| s.set_tag("req", i));
    hub.add_breadcrumb(Breadcrumb {
        message: Some(format!("crumb {i}")),
        ..Breadcrumb::default()
    });
    for _ in 0..(i % 7) {
        tokio::task::yield_now().await;
    }
    // Still the request's hub after interleaving with other requests on this thread.
    assert!(Arc::ptr_eq(&hub, &Hub::current()));
    Err(Error::private(format!("request {i}")).into())
}

#[actix_web::test]
async fn interleaved_requests_do_not_cross_contaminate() {
    let (transport, hub) = recording();
    let app = Rc::new(
        test::init_service(
            App::new()
                .route("/t/{i}", web::get().to(tagged))
                .wrap(Errata::new(Options::new().hub(hub.clone()))),
        )
        .await,
    );
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let app = app.clone();
            actix_web::rt::spawn(async move { send(&*app, get(&format!("/t/{i}"))).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().status, 500);
    }
    let events = transport.fetch_and_clear_events();
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
    let after = transport.fetch_and_clear_events().pop().unwrap();
    assert_eq!(after.message.as_deref(), Some("after"));
    assert!(after.tags.is_empty() && after.breadcrumbs.values.is_empty());
}

#[actix_web::test]
async fn errata_tower_spawn_keeps_the_request_hub_under_actix() {
    let (transport, hub) = recording();
    let app = test::init_service(
        App::new()
            .route(
                "/bg",
                web::get().to(|RequestHub(hub): RequestHub| async move {
                    hub.configure_scope(|s| s.set_tag("cart", "7"));
                    errata_tower::spawn(async {
                        Hub::current().capture_message("from the task", Level::Warning);
                    })
                    .await
                    .unwrap();
                    "done"
                }),
            )
            .wrap(Errata::new(Options::new().hub(hub))),
    )
    .await;
    let res = send(&app, get("/bg")).await;
    assert_eq!((res.status, res.body.as_str()), (200, "done"));
    let events = transport.fetch_and_clear_events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].tags.get("cart").map(String::as_str), Some("7"));
}
