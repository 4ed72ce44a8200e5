//! End to end with the official Rust `sentry` crate (ureq transport, panic integration)
//! against a real `errata serve`: an error with its source chain, a message with scope
//! data, and a caught panic, each checked in what the server stored. The client is bound
//! to a hub of its own (not the process-wide one), so other tests' panics never report.

use std::error::Error;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use sentry::protocol::User;
use sentry::{ClientOptions, Hub, Level, Scope};

use crate::harness::ServerProcess;
use crate::sdk_python::pair;

#[derive(Debug)]
struct PaymentError {
    source: std::io::Error,
}

impl fmt::Display for PaymentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("payment declined for order A-17")
    }
}

impl Error for PaymentError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.source)
    }
}

fn charge(order: &str) -> Result<(), PaymentError> {
    let _ = order;
    Err(PaymentError {
        source: std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "gateway refused"),
    })
}

fn discount_percent(codes: &[u8], index: usize) -> u8 {
    codes[index]
}

#[test]
fn rust_sdk_error_message_and_panic() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let mut options = ClientOptions::new();
    options.dsn = Some(server.dsn().parse().expect("a DSN"));
    options.release = Some("shop-rs@0.9.1".into());
    options.environment = Some("e2e".into());
    let options = sentry::apply_defaults(options);
    let client = Arc::new(sentry::Client::from(options));
    let hub = Arc::new(Hub::new(Some(client.clone()), Arc::new(Scope::default())));
    let (error_id, message_id, panic_id) = Hub::run(hub.clone(), || {
        let error = charge("A-17").unwrap_err();
        let error_id = sentry::capture_error(&error);
        let message_id = sentry::with_scope(
            |scope| {
                scope.set_tag("tenant", "acme");
                scope.set_user(Some(User {
                    id: Some("7".into()),
                    email: Some("bo@example.com".into()),
                    ..User::default()
                }));
            },
            || sentry::capture_message("inventory sync is late", Level::Warning),
        );
        let caught = std::panic::catch_unwind(|| discount_percent(&[], 3));
        assert!(caught.is_err());
        let panic_id = sentry::last_event_id().expect("the panic was captured");
        (error_id, message_id, panic_id)
    });
    assert!(
        client.flush(Some(Duration::from_secs(30))),
        "the SDK did not deliver within 30 s"
    );
    assert_ne!(panic_id, message_id);
    let stored = server.stored();

    let error = stored.wait_event(error_id);
    assert_eq!(
        error.issue.title,
        "PaymentError: payment declined for order A-17"
    );
    let values = error.payload["exception"]["values"]
        .as_array()
        .expect("an exception chain");
    assert_eq!(values.len(), 2, "{values:?}");
    assert!(
        values
            .iter()
            .any(|e| e["value"].as_str() == Some("gateway refused")),
        "{values:?}"
    );
    assert_eq!(error.payload["release"], "shop-rs@0.9.1");

    let message = stored.wait_event(message_id);
    assert_eq!(message.issue.title, "inventory sync is late");
    assert_eq!(message.issue.level, "warning");
    assert_eq!(pair(&message.payload["tags"], "tenant"), Some("acme"));
    assert_eq!(message.payload["user"]["id"], "7");

    let panic = stored.wait_event(panic_id);
    assert!(
        panic
            .issue
            .title
            .contains("index out of bounds: the len is 0 but the index is 3"),
        "{}",
        panic.issue.title
    );
    assert_eq!(panic.payload["level"], "fatal");
    assert_eq!(panic.payload["exception"]["values"][0]["type"], "panic");
    for (a, b) in [(&error, &message), (&error, &panic), (&message, &panic)] {
        assert_ne!(a.issue.id, b.issue.id);
    }
}
