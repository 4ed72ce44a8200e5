//! [`prepare_client_options`]: a `before_send` guard against double panic reports.
//!
//! The layer suppresses `sentry-panic`'s hook for panics it catches, as long as its own hook is
//! installed on top (the layer is created after `sentry::init`). If the order cannot be
//! guaranteed, wrapping the client options makes the client drop any *unhandled panic* event
//! captured while the panicking thread is inside one of the layer's catch scopes: such an event
//! can only come from another panic hook, since the layer reports after the scope is left.

use std::sync::Arc;

use sentry_core::ClientOptions;
use sentry_core::protocol::Event;

use crate::panic::in_catch_scope;

/// Wraps `before_send` so panic events from other hooks are dropped for panics the layer owns;
/// with the `ureq` feature, also installs [`UreqTransportFactory`] (timeouts, a close bounded by
/// `shutdown_timeout`) when `options` has no transport yet. `sentry::apply_defaults` sets the
/// plain transport, so prepare the options before it (`sentry::init` applies it afterwards).
///
/// [`UreqTransportFactory`]: crate::transport::UreqTransportFactory
///
/// ```
/// let options = errata_tower::prepare_client_options(
///     sentry_core::ClientOptions::new().dsn("https://key@errata.example/1"),
/// );
/// assert!(options.before_send.is_some());
/// // let _guard = sentry::init(options);
/// ```
pub fn prepare_client_options(mut options: ClientOptions) -> ClientOptions {
    #[cfg(feature = "ureq")]
    crate::transport::install_default(&mut options);
    let user = options.before_send.take();
    options.before_send = Some(Arc::new(move |event: Event<'static>| {
        if in_catch_scope() && is_unhandled_panic(&event) {
            tracing::debug!("dropping a duplicate panic event for a panic errata-tower owns");
            return None;
        }
        match &user {
            Some(f) => f(event),
            None => Some(event),
        }
    }));
    options
}

fn is_unhandled_panic(event: &Event<'static>) -> bool {
    event.exception.values.iter().any(|e| {
        e.mechanism
            .as_ref()
            .is_some_and(|m| m.ty == "panic" && m.handled == Some(false))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sentry_core::protocol::{Exception, Mechanism};
    use sentry_core::test::TestTransport;
    use sentry_core::{Client, Hub, Scope};

    fn panic_event() -> Event<'static> {
        Event {
            exception: vec![Exception {
                ty: "panic".into(),
                mechanism: Some(Mechanism {
                    ty: "panic".into(),
                    handled: Some(false),
                    ..Mechanism::default()
                }),
                ..Exception::default()
            }]
            .into(),
            ..Event::default()
        }
    }

    #[test]
    fn panic_events_inside_a_catch_scope_are_dropped_and_others_kept() {
        let transport = TestTransport::new();
        let seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = seen.clone();
        let options = prepare_client_options(
            ClientOptions::new()
                .dsn("https://key@errata.example/1")
                .transport(transport.clone())
                .before_send(move |e| {
                    counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    Some(e)
                }),
        );
        let hub = Hub::new(
            Some(Arc::new(Client::from(options))),
            Arc::new(Scope::default()),
        );
        let _ = crate::panic::catch(|| {
            hub.capture_event(panic_event()); // what sentry-panic's hook would do
            panic!("owned by the layer");
        });
        hub.capture_event(panic_event()); // the layer's own report, after the scope
        hub.capture_message("unrelated", sentry_core::Level::Info);
        assert_eq!(transport.fetch_and_clear_events().len(), 2);
        assert_eq!(
            seen.load(std::sync::atomic::Ordering::SeqCst),
            2,
            "user hook still runs"
        );
    }
}
