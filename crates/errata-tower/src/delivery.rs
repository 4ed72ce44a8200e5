//! Delivery: flushing without blocking a runtime worker, and carrying the hub into spawned tasks.
//!
//! `Client::flush` blocks its thread until the transport drains or the timeout elapses. Called
//! on a tokio worker that would stall every other request on that worker (on a `current_thread`
//! runtime, all of them), so [`flush`] waits on the blocking pool. It also trusts the transport
//! to honour the timeout, so the flush itself runs on a helper thread and the wait has its own
//! deadline: the call returns within the timeout whatever the transport does. [`spawn`] fixes
//! the other classic loss: `tokio::spawn` runs the task with the worker's own hub, so events
//! from it lose the request's tags and request data.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use sentry_core::{Client, Hub, SentryFutureExt};
use tokio::task::JoinHandle;

use crate::panic::{CatchPanic, resume_reported};

/// Flushes the hub's client, returning within `timeout` (plus a few milliseconds) whatever the
/// transport does, without blocking the calling runtime worker. Returns whether everything
/// queued was delivered: false at the timeout, and false when the hub has no client.
///
/// `Client::flush` trusts the transport to honour its timeout; a custom transport that blocks
/// anyway would hold the request (and, on the blocking pool, a thread) forever. So the flush
/// runs on a helper thread and the wait for its verdict has its own deadline. A helper stuck in
/// such a transport is left behind; at most [`MAX_STUCK_FLUSHES`] are, after which flushes
/// fail at once until one returns.
///
/// Use it at shutdown, after the server stops accepting requests.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::sync::Arc;
/// use sentry_core::{Client, ClientOptions, Hub, Scope, test::TestTransport};
/// let client = Client::from(ClientOptions::new().dsn("https://k@e.example/1").transport(TestTransport::new()));
/// let hub = Hub::new(Some(Arc::new(client)), Arc::new(Scope::default()));
/// assert!(errata_tower::flush(&hub, std::time::Duration::from_secs(2)).await);
/// let no_client = Hub::new(None, Arc::new(Scope::default()));
/// assert!(!errata_tower::flush(&no_client, std::time::Duration::from_secs(2)).await);
/// # }
/// ```
pub async fn flush(hub: &Hub, timeout: Duration) -> bool {
    let Some(client) = hub.client() else {
        return false;
    };
    let Some(verdict) = start_flush(client, timeout) else {
        return false;
    };
    // The deadline is fixed now, so time spent queueing for the blocking pool counts against it.
    let deadline = Instant::now() + timeout + GRACE;
    let wait = move || {
        verdict
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or(false)
    };
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle.spawn_blocking(wait).await.unwrap_or(false),
        Err(_) => wait(),
    }
}

/// How many flush helper threads may be stuck in a transport that ignores its timeout before
/// further flushes fail at once instead of starting more threads.
pub const MAX_STUCK_FLUSHES: usize = 8;

/// Extra wait beyond `timeout`, so a transport that honours the timeout gives its own verdict.
const GRACE: Duration = Duration::from_millis(50);

/// Flush helper threads that have not returned yet.
static PENDING: AtomicUsize = AtomicUsize::new(0);

/// Decrements [`PENDING`] when the helper ends, even if the transport panicked.
struct Pending;

impl Drop for Pending {
    fn drop(&mut self) {
        PENDING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Starts `client.flush(timeout)` on a helper thread; the receiver gets its verdict. `None` when
/// too many helpers are stuck or no thread could be started.
fn start_flush(client: Arc<Client>, timeout: Duration) -> Option<mpsc::Receiver<bool>> {
    if PENDING.fetch_add(1, Ordering::SeqCst) >= MAX_STUCK_FLUSHES {
        PENDING.fetch_sub(1, Ordering::SeqCst);
        return None;
    }
    let pending = Pending;
    let (tx, rx) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("errata-flush".to_owned())
        .spawn(move || {
            let _pending = pending;
            let _ = tx.send(client.flush(Some(timeout)));
        })
        .ok()?;
    Some(rx)
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

/// `tokio::task::spawn_blocking` with the current hub carried into the closure (bound as its
/// current hub, a child of the request's), and a panic in it reported on that hub before it
/// propagates to the `JoinHandle` as usual: the counterpart of [`spawn`] for CPU-heavy or
/// blocking work started from a handler.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let handle = errata_tower::spawn_blocking(|| "x".repeat(3));
/// assert_eq!(handle.await.unwrap(), "xxx");
/// # }
/// ```
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    crate::panic::ensure_installed();
    let hub = Arc::new(Hub::new_from_top(Hub::current()));
    tokio::task::spawn_blocking(move || {
        Hub::run(hub.clone(), || match crate::panic::catch(f) {
            Ok(v) => v,
            Err(mut caught) => {
                let (_, id) = caught.report_on(&hub, "blocking task");
                resume_reported(caught.payload, id)
            }
        })
    })
}
