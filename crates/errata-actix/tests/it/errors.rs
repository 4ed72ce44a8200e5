//! Recorded and returned errors: a 5xx with errors is one event with the chain and the creation
//! stack; 4xx are not reported by default (but are under `AllRecorded`); no private text in
//! bodies; public messages rendered; foreign `ResponseError`s recorded; the `Outcome` present.

use actix_web::{App, HttpResponse, test, web};
use errata_actix::{Ctx, Errata, HttpError};
use errata_errors::Error;
use errata_tower::{Options, ReportPolicy};

use crate::support::{assert_no_leak, get, recording, send};

#[derive(Debug)]
struct DownstreamError(std::io::Error);

impl std::fmt::Display for DownstreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("inventory service call failed")
    }
}

impl std::error::Error for DownstreamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[inline(never)]
fn call_inventory() -> Result<u32, Error> {
    Err(Error::from(DownstreamError(std::io::Error::other(
        "connection refused by 10.1.2.3",
    ))))
}

async fn returned_private() -> Result<String, HttpError> {
    Ok(call_inventory()?.to_string())
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/private", web::get().to(returned_private))
        .route(
            "/public",
            web::get().to(|| async {
                Err::<String, HttpError>(Error::public("quantity must be at most 10").into())
            }),
        )
        .route(
            "/recorded",
            web::get().to(|ctx: Ctx| async move {
                ctx.error(Error::private("cache warmup failed"));
                HttpResponse::ServiceUnavailable().body("try later")
            }),
        )
        .route(
            "/recorded-4xx",
            web::get().to(|ctx: Ctx| async move {
                ctx.error(Error::private("coupon lookup failed"));
                HttpResponse::NotFound().finish()
            }),
        )
        .route(
            "/foreign",
            web::get().to(|| async {
                Err::<String, actix_web::Error>(actix_web::error::ErrorBadGateway(
                    "upstream pricing returned garbage",
                ))
            }),
        );
}

macro_rules! app {
    ($options:expr) => {{
        let (transport, hub) = recording();
        let app = test::init_service(
            App::new()
                .configure(routes)
                .wrap(Errata::new($options.hub(hub))),
        )
        .await;
        (transport, app)
    }};
}

#[actix_web::test]
async fn a_returned_error_gives_one_event_with_chain_and_creation_stack() {
    let (transport, app) = app!(Options::new());
    let res = send(&app, get("/private")).await;
    assert_eq!(res.status, 500);
    assert_no_leak(&res.body, &["inventory", "connection refused", "10.1.2.3"]);
    assert_eq!(res.body, r#"{"error":"Internal Server Error"}"#);
    let events = transport.fetch_and_clear_events();
    assert_eq!(events.len(), 1);
    let values = &events[0].exception.values;
    assert_eq!(
        values[0].value.as_deref(),
        Some("connection refused by 10.1.2.3")
    );
    assert_eq!(
        values[1].value.as_deref(),
        Some("inventory service call failed")
    );
    let frames = &values[1]
        .stacktrace
        .as_ref()
        .expect("creation stack")
        .frames;
    let newest = frames.last().unwrap().function.as_deref().unwrap();
    assert!(newest.ends_with("call_inventory"), "newest frame: {newest}");
    assert_eq!(
        res.header("x-sentry-event"),
        Some(events[0].event_id.simple().to_string().as_str())
    );
    let outcome = res.outcome.expect("outcome");
    assert_eq!(outcome.errors.len(), 1);
    assert_eq!(outcome.event_id, Some(events[0].event_id));
    assert!(outcome.panic.is_none());
}

#[actix_web::test]
async fn a_recorded_error_on_a_5xx_is_one_event() {
    let (transport, app) = app!(Options::new());
    let res = send(&app, get("/recorded")).await;
    assert_eq!((res.status, res.body.as_str()), (503, "try later"));
    let events = transport.fetch_and_clear_events();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].exception.values[0].value.as_deref(),
        Some("cache warmup failed")
    );
    assert!(res.header("x-sentry-event").is_some());
}

#[actix_web::test]
async fn a_4xx_is_not_reported_by_default_but_is_under_all_recorded() {
    let (transport, app) = app!(Options::new());
    let res = send(&app, get("/recorded-4xx")).await;
    assert_eq!(res.status, 404);
    assert!(transport.fetch_and_clear_events().is_empty());
    assert!(res.header("x-sentry-event").is_none());
    let outcome = res.outcome.expect("outcome on every response");
    assert_eq!(outcome.errors.len(), 1);
    assert_eq!(outcome.event_id, None);

    let res = send(&app, get("/public")).await;
    assert_eq!(res.status, 400);
    assert_eq!(res.body, r#"{"error":"quantity must be at most 10"}"#);
    assert!(transport.fetch_and_clear_events().is_empty());

    let (transport, app) = app!(Options::new().report(ReportPolicy::AllRecorded));
    assert_eq!(send(&app, get("/recorded-4xx")).await.status, 404);
    assert_eq!(transport.fetch_and_clear_events().len(), 1);
}

#[actix_web::test]
async fn panics_only_reports_no_recorded_errors() {
    let (transport, app) = app!(Options::new().report(ReportPolicy::PanicsOnly));
    assert_eq!(send(&app, get("/recorded")).await.status, 503);
    assert!(transport.fetch_and_clear_events().is_empty());
}

#[actix_web::test]
async fn a_foreign_response_error_on_a_5xx_is_recorded_and_reported() {
    let (transport, app) = app!(Options::new());
    let res = send(&app, get("/foreign")).await;
    assert_eq!(res.status, 502);
    let events = transport.fetch_and_clear_events();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].exception.values[0].value.as_deref(),
        Some("upstream pricing returned garbage")
    );
}

#[actix_web::test]
async fn the_extractors_fail_with_a_plain_500_without_the_middleware() {
    let app = test::init_service(App::new().configure(routes)).await;
    let res = send(&app, get("/recorded")).await;
    assert_eq!(res.status, 500);
    assert_eq!(res.body, "Internal Server Error");
    assert!(res.outcome.is_none());
}

/// An error returned by an inner *middleware* (not a handler) is recorded and reported, and
/// passed on unchanged for actix to render.
#[actix_web::test]
async fn an_inner_middleware_error_is_reported_and_passed_on() {
    use actix_web::dev::Service;

    let (transport, hub) = recording();
    let app = test::init_service(
        App::new()
            .configure(routes)
            .wrap_fn(|req, srv| {
                let fail = req.path() == "/recorded";
                let fut = srv.call(req);
                async move {
                    if fail {
                        drop(fut);
                        return Err(actix_web::error::ErrorServiceUnavailable(
                            "session store down",
                        ));
                    }
                    fut.await
                }
            })
            .wrap(Errata::new(Options::new().hub(hub))),
    )
    .await;
    let err = app.call(get("/recorded")).await.unwrap_err();
    assert_eq!(err.to_string(), "session store down");
    assert_eq!(err.error_response().status(), 503);
    let events = transport.fetch_and_clear_events();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].exception.values[0].value.as_deref(),
        Some("session store down")
    );
}
