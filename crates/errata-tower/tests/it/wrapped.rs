//! Wrapped errors (`Error::wrap`/`Context`): one event whose exceptions are the layers, each with
//! its own creation stack, plus the plain `source()` causes, chained Sentry's way.

use axum::Router;
use axum::routing::get;
use errata_errors::{Context, Error};
use errata_tower::Options;
use errata_tower::sentry_core::protocol::{Exception, Value};

use crate::support::{assert_no_leak, get as get_req, layered, recording, send};

#[derive(Debug)]
struct StockError(std::io::Error);

impl std::fmt::Display for StockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stock table unavailable")
    }
}

impl std::error::Error for StockError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[inline(never)]
fn read_stock() -> Result<u32, Error> {
    Err(Error::from(StockError(std::io::Error::other(
        "connection reset by 10.9.8.7",
    ))))
}

#[inline(never)]
fn reserve_stock() -> Result<u32, Error> {
    read_stock().context("reserving stock for sku 42")
}

#[inline(never)]
fn place_order() -> Result<u32, Error> {
    reserve_stock().with_context(|| format!("placing order {}", 7))
}

async fn checkout() -> Result<String, Error> {
    Ok(place_order()?.to_string())
}

#[inline(never)]
fn read_config() -> Result<String, Error> {
    Err::<String, _>(std::io::Error::other("permission denied")).context("reading pricing.toml")
}

fn id(e: &Exception, key: &str) -> Option<u64> {
    e.mechanism
        .as_ref()
        .and_then(|m| m.data.get(key))
        .and_then(Value::as_u64)
}

/// The newest in-app function of an exception's stack.
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
        .route("/checkout", get(checkout))
        .route("/config", get(|| async { read_config().map(|_| ()) }));
    (transport, layered(router, &hub, Options::new()))
}

#[tokio::test]
async fn three_layer_wrapped_error_is_one_event_with_chained_exceptions_and_own_stacks() {
    let (transport, app) = app();
    let (res, body) = send(&app, get_req("/checkout")).await;
    assert_eq!(res.status(), 500);
    assert_no_leak(&body, &["order", "stock", "10.9.8.7"]);
    let events = transport.events();
    assert_eq!(events.len(), 1);
    let values = &events[0].exception.values;
    let summary: Vec<(&str, Option<&str>)> = values
        .iter()
        .map(|e| (e.ty.as_str(), e.value.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [
            ("Custom", Some("connection reset by 10.9.8.7")),
            ("StockError", Some("stock table unavailable")),
            ("Context", Some("reserving stock for sku 42")),
            ("Context", Some("placing order 7")),
        ]
    );
    // The plain io cause has no stack; every layer has its own, topped by its own function.
    assert!(values[0].stacktrace.is_none());
    let tops: Vec<String> = values[1..].iter().map(top_in_app).collect();
    assert!(tops[0].ends_with("read_stock"), "{tops:?}");
    assert!(tops[1].ends_with("reserve_stock"), "{tops:?}");
    assert!(tops[2].ends_with("place_order"), "{tops:?}");
    let stacks: Vec<_> = values[1..].iter().map(|e| &e.stacktrace).collect();
    assert!(stacks[0] != stacks[1] && stacks[1] != stacks[2] && stacks[0] != stacks[2]);
    // Chaining: the outermost layer is the root (id 0); each cause points at its wrapper.
    let ids: Vec<(Option<u64>, Option<u64>)> = values
        .iter()
        .map(|e| (id(e, "exception_id"), id(e, "parent_id")))
        .collect();
    assert_eq!(
        ids,
        [
            (Some(3), Some(2)),
            (Some(2), Some(1)),
            (Some(1), Some(0)),
            (Some(0), None)
        ]
    );
    let mechanisms: Vec<&str> = values
        .iter()
        .map(|e| e.mechanism.as_ref().unwrap().ty.as_str())
        .collect();
    assert_eq!(mechanisms, ["chained", "chained", "chained", "errata"]);
    // The culprit is the innermost cause's origin; the title stays the outermost layer's.
    let culprit = events[0].culprit.as_deref().unwrap();
    assert!(
        culprit.starts_with("wrapped.rs in ") && culprit.ends_with("read_stock"),
        "{culprit}"
    );
}

#[tokio::test]
async fn context_on_a_std_error_chains_the_std_error_under_the_layer() {
    let (transport, app) = app();
    let (res, _) = send(&app, get_req("/config")).await;
    assert_eq!(res.status(), 500);
    let events = transport.events();
    // One layer with a stack: the server derives the culprit itself.
    assert_eq!(events[0].culprit, None);
    let values = &events[0].exception.values;
    assert_eq!(values.len(), 2);
    assert_eq!(values[0].value.as_deref(), Some("permission denied"));
    assert_eq!(values[1].value.as_deref(), Some("reading pricing.toml"));
    assert!(top_in_app(&values[1]).ends_with("read_config"));
    assert_eq!(id(&values[0], "parent_id"), Some(0));
}
