//! The error log: every recovered panic and every 5xx with recorded errors is logged through
//! `tracing` (message, causes, location, stack), also under the panics-only policy, and goes to
//! stderr when no subscriber is active (checked in a child process of this test binary).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::get;
use errata_errors::Error;
use errata_tower::sentry_core::Hub;
use errata_tower::{LOG_TARGET, Options, ReportPolicy};
use tracing::field::{Field, Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, SubscriberExt};

use crate::support::{get as get_req, layered, recording, send};

/// One captured `tracing` record: level, target and fields (`message` included).
#[derive(Debug)]
struct Record {
    level: tracing::Level,
    target: String,
    fields: BTreeMap<String, String>,
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Record>>>);

impl Capture {
    fn take(&self) -> Vec<Record> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        self.0.lock().unwrap().push(Record {
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            fields,
        });
    }
}

#[derive(Debug)]
struct LedgerError(std::io::Error);

impl std::fmt::Display for LedgerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ledger call failed")
    }
}

impl std::error::Error for LedgerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[inline(never)]
fn reconcile_ledger() -> u32 {
    panic!("ledger totals disagree")
}

fn app(hub: &Arc<Hub>, options: Options) -> Router {
    layered(
        Router::new()
            .route("/panic", get(|| async { reconcile_ledger().to_string() }))
            .route(
                "/failing",
                get(|| async {
                    Err::<(), _>(Error::from(LedgerError(std::io::Error::other(
                        "connection reset by 10.9.8.7",
                    ))))
                }),
            ),
        hub,
        options,
    )
}

fn error_log(records: Vec<Record>) -> Vec<Record> {
    records
        .into_iter()
        .filter(|r| r.target == LOG_TARGET && r.level == tracing::Level::ERROR)
        .collect()
}

#[test]
fn panics_and_5xx_are_logged_with_message_causes_location_and_stack_even_if_panics_only() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry()
        .with(capture.clone())
        .with(sentry_tracing::ErrorLayer::new().with_filter(LevelFilter::ERROR));
    let _subscriber = tracing::subscriber::set_default(subscriber);
    let (transport, hub) = recording();
    let app = app(&hub, Options::new().report(ReportPolicy::PanicsOnly));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    Hub::run(hub.clone(), || {
        let (res, _) = rt.block_on(send(&app, get_req("/panic")));
        assert_eq!(res.status(), 500);
        let logged = error_log(capture.take());
        assert_eq!(logged.len(), 1, "{logged:#?}");
        let f = &logged[0].fields;
        assert_eq!(f["panic.message"], "ledger totals disagree");
        assert!(
            f["panic.location"].contains("tests/it/error_log.rs:"),
            "{f:?}"
        );
        let message = &f["message"];
        assert!(
            message.starts_with("handler panicked: ledger totals disagree\n"),
            "{message}"
        );
        assert!(message.contains("\n  location: "), "{message}");
        assert!(
            message.contains("  at it::error_log::reconcile_ledger (") && message.contains(".rs:"),
            "{message}"
        );
        assert_eq!(transport.take_events().len(), 1, "the panic event only");

        let (res, _) = rt.block_on(send(&app, get_req("/failing")));
        assert_eq!(res.status(), 500);
        let logged = error_log(capture.take());
        assert_eq!(logged.len(), 1, "{logged:#?}");
        let f = &logged[0].fields;
        assert_eq!(f["http.status"], "500");
        let message = &f["message"];
        assert!(
            message.starts_with(
                "request failed with 500 Internal Server Error\nError #01: ledger call failed\n"
            ),
            "{message}"
        );
        assert!(
            message.contains("\n  caused by: connection reset by 10.9.8.7"),
            "{message}"
        );
        assert!(
            message.contains("\n  location: crates/errata-tower/tests/it/error_log.rs:"),
            "{message}"
        );
        assert!(
            transport.take_events().is_empty(),
            "PanicsOnly: logged, not reported (and the log line is no event either)"
        );
    });
}

/// Set in the child process: run the requests with no subscriber at all.
const CHILD: &str = "ERRATA_TOWER_ERROR_LOG_CHILD";

#[test]
fn without_a_subscriber_the_error_log_goes_to_stderr() {
    if std::env::var_os(CHILD).is_some() {
        let (_, hub) = recording();
        let app = app(&hub, Options::new());
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            send(&app, get_req("/panic")).await;
            send(&app, get_req("/failing")).await;
        });
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "error_log::without_a_subscriber_the_error_log_goes_to_stderr",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    for line in [
        "ERROR errata_tower::log: handler panicked: ledger totals disagree\n",
        "\n  location: crates/errata-tower/tests/it/error_log.rs:",
        "\n  at it::error_log::reconcile_ledger (",
        "ERROR errata_tower::log: request failed with 500 Internal Server Error\nError #01: ledger call failed\n  caused by: connection reset by 10.9.8.7\n  location: crates/errata-tower/tests/it/error_log.rs:",
    ] {
        assert!(stderr.contains(line), "{line:?} not in {stderr}");
    }
}
