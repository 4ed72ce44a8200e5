//! Third-party and unusual error values: an `anyhow::Error` converted with `.errata()?` keeps
//! its chain as chained causes; a panic whose payload is an `errata_errors::Error` is reported
//! with that error's message, type and stack.

use axum::Router;
use axum::routing::get;
use errata_errors::{AnyhowExt, Error};
use errata_tower::Options;
use errata_tower::sentry_core::protocol::{Exception, Level};

use crate::support::{assert_no_leak, get as get_req, layered, recording, send};

#[inline(never)]
fn fetch_prices() -> anyhow::Result<u32> {
    use anyhow::Context as _;
    Err::<u32, _>(std::io::Error::other("connection reset by 10.4.4.4"))
        .context("fetching prices")
        .context("pricing the cart")
}

async fn anyhow_handler() -> Result<String, Error> {
    Ok(fetch_prices().errata()?.to_string())
}

#[inline(never)]
fn close_the_day() -> u32 {
    let err = Error::private("ledger out of balance by 0.01").context("closing the day");
    std::panic::panic_any(err)
}

async fn panic_error_handler() -> String {
    close_the_day().to_string()
}

fn top_in_app(e: &Exception) -> String {
    e.stacktrace
        .as_ref()
        .unwrap()
        .frames
        .iter()
        .rev()
        .find(|f| f.in_app != Some(false))
        .and_then(|f| f.function.clone())
        .unwrap()
}

fn app() -> (std::sync::Arc<crate::support::RecordingTransport>, Router) {
    let (transport, hub) = recording();
    let router = Router::new()
        .route("/anyhow", get(anyhow_handler))
        .route("/panic-error", get(panic_error_handler));
    (transport, layered(router, &hub, Options::new()))
}

#[tokio::test]
async fn anyhow_errors_keep_their_chain_as_chained_causes() {
    let (transport, app) = app();
    let (res, body) = send(&app, get_req("/anyhow")).await;
    assert_eq!(res.status(), 500);
    assert_no_leak(&body, &["prices", "10.4.4.4"]);
    let events = transport.events();
    assert_eq!(events.len(), 1);
    let values = &events[0].exception.values;
    let summary: Vec<(&str, Option<&str>)> = values
        .iter()
        .map(|e| (e.ty.as_str(), e.value.as_deref()))
        .collect();
    assert_eq!(summary[0].1, Some("connection reset by 10.4.4.4"));
    assert_eq!(summary[1].1, Some("fetching prices"));
    assert_eq!(summary[2], ("AnyhowError", Some("pricing the cart")));
    assert_eq!(values.len(), 3);
    // With RUST_(LIB_)BACKTRACE anyhow's own stack (fetch_prices) is used; without, the
    // conversion's (the handler). Either way a frame of this file is on top.
    let top = top_in_app(&values[2]);
    assert!(
        top.ends_with("fetch_prices") || top.contains("anyhow_handler"),
        "{top}"
    );
    let root = values[2].mechanism.as_ref().unwrap();
    assert_eq!(root.data.get("exception_id"), Some(&0.into()));
    assert_eq!(
        values[0].mechanism.as_ref().unwrap().data.get("parent_id"),
        Some(&1.into())
    );
}

#[cfg(feature = "eyre")]
#[tokio::test]
async fn eyre_reports_keep_their_chain_as_chained_causes() {
    use errata_errors::EyreExt;
    use eyre::WrapErr as _;
    async fn handler() -> Result<(), Error> {
        Err::<(), _>(std::io::Error::other("quota exceeded"))
            .wrap_err("uploading invoice")
            .errata()
    }
    let (transport, hub) = recording();
    let app = layered(
        Router::new().route("/eyre", get(handler)),
        &hub,
        Options::new(),
    );
    let (res, _) = send(&app, get_req("/eyre")).await;
    assert_eq!(res.status(), 500);
    let events = transport.events();
    let values: Vec<(&str, Option<&str>)> = events[0]
        .exception
        .values
        .iter()
        .map(|e| (e.ty.as_str(), e.value.as_deref()))
        .collect();
    assert_eq!(
        values,
        [
            ("Custom", Some("quota exceeded")),
            ("EyreReport", Some("uploading invoice"))
        ]
    );
    assert!(top_in_app(&events[0].exception.values[1]).contains("third_party::"));
}

#[tokio::test]
async fn a_panic_with_an_errata_error_payload_reports_that_error() {
    let (transport, app) = app();
    let (res, body) = send(&app, get_req("/panic-error")).await;
    assert_eq!(res.status(), 500);
    assert_no_leak(&body, &["ledger", "closing"]);
    let events = transport.events();
    assert_eq!(events.len(), 1);
    let ev = &events[0];
    assert_eq!(ev.level, Level::Fatal);
    let values = &ev.exception.values;
    assert_eq!(values.len(), 2);
    assert_eq!(values[0].ty, "Message");
    assert_eq!(
        values[0].value.as_deref(),
        Some("ledger out of balance by 0.01")
    );
    assert_eq!(values[1].ty, "Context");
    assert_eq!(values[1].value.as_deref(), Some("closing the day"));
    let mechanism = values[1].mechanism.as_ref().unwrap();
    assert_eq!(
        (mechanism.ty.as_str(), mechanism.handled),
        ("panic", Some(false))
    );
    for v in values {
        assert!(
            top_in_app(v).ends_with("close_the_day"),
            "{}",
            top_in_app(v)
        );
    }
    let outcome = res.extensions().get::<errata_tower::Outcome>().unwrap();
    let panic = outcome.panic.as_ref().unwrap();
    assert_eq!(panic.message, "closing the day");
    assert!(panic.error.is_some());
}
