//! Delivery: flushing without blocking a runtime worker, and carrying the hub into spawned tasks.
//!
//! `Client::flush` blocks its thread until the transport drains or the timeout elapses. Called
//! on a tokio worker that would stall every other request on that worker (on a `current_thread`
//! runtime, all of them), so [`flush`] runs it on the blocking pool and awaits it. [`spawn`]
//! fixes the other classic loss: `tokio::spawn` runs the task with the worker's own hub, so
//! events from it lose the request's tags and request data.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use sentry_core::{Hub, SentryFutureExt};
use tokio::task::JoinHandle;

use crate::panic::{CatchPanic, resume_reported};

/// Flushes the hub's client within `timeout` without blocking the calling runtime worker.
/// Returns whether everything queued was delivered (true when there is no client).
///
/// Use it at shutdown, after the server stops accepting requests.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let hub = sentry_core::Hub::main();
/// assert!(errata_tower::flush(&hub, std::time::Duration::from_secs(2)).await);
/// # }
/// ```
pub async fn flush(hub: &Hub, timeout: Duration) -> bool {
    let Some(client) = hub.client() else {
        return true;
    };
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle
            .spawn_blocking(move || client.flush(Some(timeout)))
            .await
            .unwrap_or(false),
        Err(_) => client.flush(Some(timeout)),
    }
}

/// `tokio::spawn` with the current hub carried into the task (a child hub of it), and a panic
/// in the task reported on that hub before it propagates to the `JoinHandle` as usual.
///
/// Inside a handler, the current hub is the request's, so events from the task carry the
/// request's scope (tags, breadcrumbs, request data). Plain `tokio::spawn` does not.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let handle = errata_tower::spawn(async { 1 + 1 });
/// assert_eq!(handle.await.unwrap(), 2);
/// # }
/// ```
pub fn spawn<F>(fut: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    crate::panic::ensure_installed();
    let hub = Arc::new(Hub::new_from_top(Hub::current()));
    tokio::spawn(async move {
        match CatchPanic::new(fut.bind_hub(hub.clone())).await {
            Ok(v) => v,
            Err(mut caught) => {
                let (_, id) = caught.report_on(&hub, "spawned task");
                resume_reported(caught.payload, id)
            }
        }
    })
}
