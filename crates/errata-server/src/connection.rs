//! Accepting and serving connections through hyper, with every deadline a hostile client
//! could otherwise stretch: a cap on open connections (more wait in the kernel's accept
//! queue), a header-read timeout, a deadline and minimum rate for every request body
//! ([`crate::deadline`]), an idle keep-alive timeout, and a graceful shutdown that waits
//! for requests in flight at most `shutdown_timeout` before closing what is left.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tower_service::Service as _;

use crate::config::HttpConfig;
use crate::deadline::{BodyDeadline, DeadlineBody};

/// How often an idle connection's keep-alive clock is checked.
const IDLE_CHECK: Duration = Duration::from_millis(500);

/// Serves `app` on `listener` until `shutdown` resolves, then drains connections for at
/// most `http.shutdown_timeout`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    http: HttpConfig,
    shutdown: impl Future<Output = ()> + Send,
) {
    let slots = Arc::new(Semaphore::new(http.max_connections));
    let (closing_tx, closing) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = pin!(shutdown);
    loop {
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(error) => {
                // Out of file descriptors and the like: wait instead of spinning.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let closing = closing.clone();
        connections.spawn(async move {
            serve_connection(stream, peer, app, http, closing).await;
            drop(slot);
        });
        // Reap finished connections so the set does not grow.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = closing_tx.send(true);
    let deadline = http.shutdown_timeout();
    let drained = tokio::time::timeout(deadline, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = connections.len(),
            "shutdown deadline reached: closing the connections still open"
        );
        connections.shutdown().await;
    }
}

/// What the idle timer of one connection reads.
#[derive(Debug)]
struct Activity {
    started: Instant,
    /// Milliseconds since `started` of the last request's end (or the connection's start).
    last_ms: AtomicU64,
    /// Requests being answered now.
    in_flight: AtomicUsize,
}

impl Activity {
    fn touch(&self) {
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn idle_for(&self) -> Duration {
        self.started
            .elapsed()
            .saturating_sub(Duration::from_millis(self.last_ms.load(Ordering::Relaxed)))
    }
}

/// Ends a request's activity when dropped (also when the request is cancelled).
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    http: HttpConfig,
    mut closing: watch::Receiver<bool>,
) {
    let activity = Arc::new(Activity {
        started: Instant::now(),
        last_ms: AtomicU64::new(0),
        in_flight: AtomicUsize::new(0),
    });
    let body_limits = BodyDeadline {
        timeout: http.body_timeout(),
        grace: http.body_grace(),
        min_rate: http.min_body_rate,
    };
    let service = {
        let activity = activity.clone();
        hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            activity.in_flight.fetch_add(1, Ordering::Relaxed);
            let guard = InFlight(activity.clone());
            let mut app = app.clone();
            let mut request = request.map(|body| Body::new(DeadlineBody::new(body, body_limits)));
            request.extensions_mut().insert(ConnectInfo(peer));
            async move {
                let response = app.call(request).await;
                drop(guard);
                response
            }
        })
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(http.header_timeout())
        .keep_alive(true);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    let mut connection = pin!(connection);
    let keep_alive = http.keep_alive();
    let mut shutting_down = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, %peer, "connection ended with an error");
                }
                return;
            }
            changed = closing.changed(), if !shutting_down => {
                if changed.is_ok() {
                    shutting_down = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
            () = tokio::time::sleep(IDLE_CHECK), if !shutting_down => {
                if activity.in_flight.load(Ordering::Relaxed) == 0
                    && activity.idle_for() >= keep_alive
                {
                    shutting_down = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}
