//! Recorded errors: one event per failed request with the chain and the creation stack; report
//! policies; no private text in bodies; public messages rendered.

use axum::Router;
use axum::routing::get;
use errata_errors::{Error, ErrorType};
use errata_tower::{Options, Outcome, ReportPolicy, RequestContext};

use crate::support::{assert_no_leak, get as get_req, layered, recording, send};

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

async fn private_failure() -> Result<String, Error> {
    Ok(call_inventory()?.to_string())
}

fn make_app(options: Options) -> (std::sync::Arc<crate::support::RecordingTransport>, Router) {
    let (transport, hub) = recording();
    let router = Router::new()
        .route("/private", get(private_failure))
        .route(
            "/public",
            get(|| async { Err::<(), _>(Error::public("quantity must be at most 10")) }),
        )
        .route(
            "/recorded",
            get(|ctx: RequestContext| async move {
                ctx.error(Error::private("cache warmup failed"));
                (http::StatusCode::SERVICE_UNAVAILABLE, "try later")
            }),
        )
        .route(
            "/bind",
            get(|| async {
                Err::<(), _>(Error::message(
                    "expected u32 at line 1",
                    ErrorType::BIND,
                    None,
                ))
            }),
        );
    (transport.clone(), layered(router, &hub, options))
}

#[tokio::test]
async fn server_error_with_recorded_error_gives_one_event_with_chain_and_creation_stack() {
    let (transport, app) = make_app(Options::new());
    let (res, body) = send(&app, get_req("/private")).await;
    assert_eq!(res.status(), 500);
    assert_no_leak(&body, &["inventory", "connection refused", "10.1.2.3"]);
    let events = transport.events();
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
    let st = values[1].stacktrace.as_ref().unwrap();
    let top = st
        .frames
        .iter()
        .rev()
        .find(|f| f.in_app != Some(false))
        .and_then(|f| f.function.clone())
        .unwrap();
    assert!(top.ends_with("call_inventory"), "top in-app frame: {top}");
    assert_eq!(
        res.headers()["x-sentry-event"].to_str().unwrap(),
        events[0].event_id.simple().to_string()
    );
    let outcome = res.extensions().get::<Outcome>().unwrap();
    assert_eq!(outcome.errors.len(), 1);
    assert!(outcome.errors.last().unwrap().is_private());
}

#[tokio::test]
async fn errors_recorded_on_the_context_are_reported_for_5xx() {
    let (transport, app) = make_app(Options::new());
    let (res, body) = send(&app, get_req("/recorded")).await;
    assert_eq!(res.status(), 503);
    assert_eq!(body, "try later");
    let events = transport.events();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].exception.values[0].value.as_deref(),
        Some("cache warmup failed")
    );
}

#[tokio::test]
async fn client_errors_render_public_messages_and_are_not_reported_by_default() {
    let (transport, app) = make_app(Options::new());
    let (res, body) = send(&app, get_req("/public")).await;
    assert_eq!(res.status(), 400);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        serde_json::json!({"error": "quantity must be at most 10"})
    );
    let (res, body) = send(&app, get_req("/bind")).await;
    assert_eq!(res.status(), 400);
    assert!(!body.contains("expected u32"), "{body}");
    assert!(transport.events().is_empty());
    assert!(res.headers().get("x-sentry-event").is_none());
    assert_eq!(res.extensions().get::<Outcome>().unwrap().errors.len(), 1);
}

#[tokio::test]
async fn report_policies() {
    let (transport, app) = make_app(Options::new().report(ReportPolicy::AllRecorded));
    send(&app, get_req("/public")).await;
    assert_eq!(transport.events().len(), 1, "AllRecorded reports 4xx");

    let (transport, app) = make_app(Options::new().report(ReportPolicy::PanicsOnly));
    send(&app, get_req("/private")).await;
    assert!(transport.events().is_empty(), "PanicsOnly is hertzsentry");

    let (transport, app) =
        make_app(Options::new().report(ReportPolicy::custom(|o| o.status == 503)));
    send(&app, get_req("/private")).await;
    send(&app, get_req("/recorded")).await;
    assert_eq!(transport.events().len(), 1);
}

#[tokio::test]
async fn every_response_carries_an_outcome() {
    let (_transport, hub) = recording();
    let app = layered(
        Router::new().route("/ok", get(|| async { "ok" })),
        &hub,
        Options::new(),
    );
    let (res, body) = send(&app, get_req("/ok")).await;
    assert_eq!(body, "ok");
    let o = res.extensions().get::<Outcome>().unwrap();
    assert!(o.errors.is_empty() && o.panic.is_none() && o.event_id.is_none());
    let (res, _) = send(&app, get_req("/missing")).await;
    assert_eq!(res.status(), 404);
    assert!(res.extensions().get::<Outcome>().is_some());
}

#[tokio::test]
async fn extractor_without_the_layer_is_a_500() {
    let app: Router = Router::new().route("/ctx", get(|_ctx: RequestContext| async { "ok" }));
    let (res, body) = send(&app, get_req("/ctx")).await;
    assert_eq!(res.status(), 500);
    assert_eq!(body, "Internal Server Error");
}

/// A `thiserror` enum that declares its types and statuses once (`Classify`).
#[derive(Debug, thiserror::Error)]
enum CartError {
    #[error("item {0} is sold out")]
    SoldOut(u32),
    #[error("cart store unreachable")]
    Store(#[source] std::io::Error),
}

impl errata_errors::Classify for CartError {
    fn error_type(&self) -> ErrorType {
        match self {
            Self::SoldOut(_) => ErrorType::PUBLIC,
            Self::Store(_) => ErrorType::PRIVATE,
        }
    }
    fn status(&self) -> Option<u16> {
        match self {
            Self::SoldOut(_) => Some(409),
            Self::Store(_) => Some(503),
        }
    }
}

errata_errors::into_response!(CartError);

#[tokio::test]
async fn a_classified_enum_is_rendered_and_reported_as_it_declares() {
    use errata_errors::Classified;
    let (transport, hub) = recording();
    let app = layered(
        Router::new()
            .route(
                "/sold-out",
                get(|| async { Err::<(), _>(CartError::SoldOut(4)) }),
            )
            .route(
                "/store",
                get(|| async {
                    Err::<(), _>(CartError::Store(std::io::Error::other("10.0.0.7 refused")))
                }),
            )
            .route(
                "/question-mark",
                get(|| async {
                    let qty: u32 = Err(CartError::SoldOut(9)).classified()?;
                    Ok::<_, Error>(qty.to_string())
                }),
            ),
        &hub,
        Options::new(),
    );
    let (res, body) = send(&app, get_req("/sold-out")).await;
    assert_eq!(res.status(), 409);
    assert!(body.contains("item 4 is sold out"), "{body}");
    let (res, body) = send(&app, get_req("/question-mark")).await;
    assert_eq!(res.status(), 409);
    assert!(body.contains("item 9 is sold out"), "{body}");
    assert!(transport.take_events().is_empty(), "4xx are not reported");

    let (res, body) = send(&app, get_req("/store")).await;
    assert_eq!(res.status(), 503);
    assert_no_leak(&body, &["unreachable", "10.0.0.7"]);
    let events = transport.take_events();
    assert_eq!(events.len(), 1, "{events:#?}");
    let values: Vec<_> = events[0]
        .exception
        .values
        .iter()
        .filter_map(|e| e.value.as_deref())
        .collect();
    assert!(values.contains(&"cart store unreachable"), "{values:?}");
    assert!(values.contains(&"10.0.0.7 refused"), "{values:?}");
}
