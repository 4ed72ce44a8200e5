//! `GoFrame`'s `r.GetError()` after `Next()`: a middleware inside the layer reads the request's
//! errors and panic with `RequestContext::outcome_of`, and the innermost `PanicGuardLayer` lets it
//! run after a panic; the layer still reports the panic once, with the friendly body.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use errata_errors::ErrorType;
use errata_tower::sentry_core::protocol::Level;
use errata_tower::{ErrataLayer, Options, Outcome, PanicGuardLayer, RequestContext};
use http::StatusCode;

use crate::support::{assert_no_leak, get as get_req, recording, send};

/// What the post-middleware saw: status, error messages, panic message.
type Seen = Arc<Mutex<Vec<(u16, Vec<String>, Option<String>)>>>;

fn app(seen: &Seen, guard: bool, options: Options) -> Router {
    let routes = Router::new()
        .route(
            "/panic",
            get(|ctx: RequestContext| async move {
                ctx.error(errata_errors::Error::private("cache cold"));
                if ctx.errors().len() == 1 {
                    panic!("tax table missing");
                }
                "unreachable"
            }),
        )
        .route(
            "/error",
            get(|ctx: RequestContext| async move {
                ctx.error(std::io::Error::other("ledger unreachable"))
                    .set_type(ErrorType::PRIVATE | ErrorType::RENDER)
                    .set_meta(serde_json::json!({"ledger": "eu-1"}));
                Err::<(), _>(errata_errors::Error::public("try again later").with_status(503))
            }),
        );
    let routes = if guard {
        routes.route_layer(PanicGuardLayer)
    } else {
        routes
    };
    let seen = seen.clone();
    routes
        .layer(middleware::from_fn(
            move |ctx: RequestContext, req: Request, next: Next| {
                let seen = seen.clone();
                async move {
                    let res: Response = next.run(req).await;
                    let o = ctx.outcome_of(&res);
                    seen.lock().unwrap().push((
                        o.status.as_u16(),
                        o.errors.errors(),
                        o.panic.map(|p| p.message.clone()),
                    ));
                    res
                }
            },
        ))
        .layer(ErrataLayer::new(options))
}

#[tokio::test]
async fn a_middleware_after_next_sees_the_panic_and_the_layer_reports_it_once() {
    let (transport, hub) = recording();
    let seen = Seen::default();
    let app = app(&seen, true, Options::new().hub(hub));
    let (res, body) = send(&app, get_req("/panic")).await;

    assert_eq!(res.status(), 500);
    assert!(body.starts_with("Internal Server Error"), "{body}");
    assert_no_leak(&body, &["tax table", "cache cold"]);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        vec![(
            500,
            vec!["cache cold".to_owned()],
            Some("tax table missing".to_owned())
        )]
    );
    let events = transport.events();
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0].level, Level::Fatal);
    assert_eq!(
        events[0].exception.values[0].value.as_deref(),
        Some("tax table missing")
    );
    let frames = &events[0].exception.values[0]
        .stacktrace
        .as_ref()
        .expect("the guard keeps the stack")
        .frames;
    assert!(
        frames.iter().any(|f| f
            .abs_path
            .as_deref()
            .is_some_and(|p| p.ends_with("tests/it/guard.rs"))),
        "{frames:#?}"
    );
    let outcome = res.extensions().get::<Outcome>().unwrap();
    assert_eq!(outcome.errors.errors(), vec!["cache cold".to_owned()]);
    assert_eq!(
        outcome
            .event_id
            .map(|id| id.simple().to_string())
            .as_deref(),
        res.headers()
            .get("x-sentry-event")
            .and_then(|v| v.to_str().ok())
    );
}

#[tokio::test]
async fn without_the_guard_the_panic_skips_the_middleware() {
    let (transport, hub) = recording();
    let seen = Seen::default();
    let app = app(&seen, false, Options::new().hub(hub));
    let (res, _) = send(&app, get_req("/panic")).await;
    assert_eq!(res.status(), 500);
    assert!(seen.lock().unwrap().is_empty());
    assert_eq!(transport.events().len(), 1);
}

#[tokio::test]
async fn re_panic_resumes_a_guarded_panic_after_one_report() {
    let (transport, hub) = recording();
    let seen = Seen::default();
    let app = app(&seen, true, Options::new().hub(hub).re_panic(true));
    let joined = tokio::spawn(async move { send(&app, get_req("/panic")).await }).await;
    assert!(joined.unwrap_err().is_panic());
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert_eq!(transport.events().len(), 1);
}

#[tokio::test]
async fn a_middleware_after_next_sees_recorded_and_returned_errors() {
    let (transport, hub) = recording();
    let seen = Seen::default();
    let app = app(&seen, true, Options::new().hub(hub));
    let (res, body) = send(&app, get_req("/error")).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("try again later"), "{body}");
    assert_eq!(
        seen.lock().unwrap().clone(),
        vec![(
            503,
            vec![
                "ledger unreachable".to_owned(),
                "try again later".to_owned()
            ],
            None
        )]
    );
    // `ctx.error(..)` returned the recorded error: its type and meta were set in place.
    let outcome = res.extensions().get::<Outcome>().unwrap();
    let first = outcome.errors.iter().next().unwrap();
    assert!(first.is_type(ErrorType::RENDER));
    assert_eq!(first.meta(), Some(&serde_json::json!({"ledger": "eu-1"})));
    assert_eq!(transport.events().len(), 1);
}

#[tokio::test]
async fn the_guard_without_the_layer_lets_the_panic_unwind() {
    let app = Router::new()
        .route(
            "/panic",
            get(|| async {
                if true {
                    panic!("no layer");
                }
                "unreachable"
            }),
        )
        .route_layer(PanicGuardLayer);
    let joined = tokio::spawn(async move { send(&app, get_req("/panic")).await }).await;
    assert!(joined.unwrap_err().is_panic());
}
