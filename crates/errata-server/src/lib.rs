//! Errata's HTTP server: Sentry-compatible ingest, the writer that commits events in
//! groups, and the Web API.
//!
//! The path of an event through this crate: [`router`] sends `POST
//! /api/{id}/envelope/` to [`ingest::handle`], which authenticates the key
//! ([`keys`]), reads and decodes the body within the configured limits, parses the
//! envelope, applies the rate limits ([`ratelimit`]), drops oversized items, and
//! processes the items ([`ingest::process`]: normalize, [`scrub`], group). The event goes
//! to the [`writer`] thread's bounded queue; the writer commits everything queued in one
//! transaction and only then does the handler answer `200 {"id": ...}`. Items that are
//! not stored are counted per named reason ([`outcome`]).
//!
//! Connections are served by [`connection`] (hyper, with header, body and keep-alive
//! deadlines and a connection cap); CPU work runs on [`workers`], never on the async
//! runtime; request bodies share one [`budget`] of bytes. Every request gets an id and a
//! `tracing` span ([`request_id`]); what the server does is counted in [`metrics`]
//! (`GET /metrics`, also on its own listener when `metrics.bind` is set).
//!
//! [`Server::start`] opens the store in the data dir, runs the migrations, creates the
//! organization, admin, first project and DSN key on first start, and binds the socket;
//! [`Server::run`] serves until the shutdown signal, then stops accepting, commits what
//! was accepted, and returns. If the writer thread dies, `run` stops serving and returns
//! an error, so the process exits non-zero and a supervisor restarts it.

pub mod alert;
pub mod api;
pub mod auth;
pub mod budget;
pub mod config;
pub mod connection;
pub mod deadline;
pub mod disk;
pub mod filter;
mod health;
pub mod ingest;
pub mod keys;
pub mod maintenance;
pub mod membership;
pub mod metrics;
pub mod outcome;
pub mod quota;
pub mod ratelimit;
pub mod request_id;
pub mod retention;
pub mod router;
pub mod scrub;
pub mod state;
pub mod storage;
mod ui;
pub mod workers;
pub mod writer;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use errata_store::{BootstrapSpec, Store};

pub use config::Config;
pub use state::AppState;

/// Why the server could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The database failed to open, migrate or bootstrap.
    #[error("database: {0}")]
    Store(#[from] errata_store::StoreError),
    /// The socket could not be bound, or serving failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Serving failed.
    #[error("server failed: {0}")]
    Serve(std::io::Error),
    /// The writer thread could not start or panicked.
    #[error("writer thread: {0}")]
    Writer(String),
    /// Alerting could not start (its HTTP client or SMTP settings).
    #[error("alerts: {0}")]
    Alerts(String),
    /// The admin password could not be hashed.
    #[error("password hashing failed: {0}")]
    Password(String),
}

/// What the first start created, for the operator.
#[derive(Debug, Clone)]
pub struct Welcome {
    /// The public address (Web API; the UI later).
    pub url: String,
    /// The admin login.
    pub admin_email: String,
    /// The generated admin password, shown once (`None` when configured or not new).
    pub generated_password: Option<String>,
    /// True on the first start of this data dir.
    pub created: bool,
    /// The first project's DSN.
    pub dsn: String,
}

/// A started server, bound but not yet serving.
#[derive(Debug)]
pub struct Server {
    state: AppState,
    listener: tokio::net::TcpListener,
    /// The unauthenticated `/metrics` listener (`metrics.bind`).
    metrics_listener: Option<tokio::net::TcpListener>,
    writer_thread: writer::WriterThreads,
    welcome: Welcome,
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

/// Creates the organization, admin, project and key on an empty store (on a store that
/// has them, finds them: the password is hashed only when the admin is created).
pub fn bootstrap(config: &Config, store: &dyn Store) -> Result<Welcome, ServerError> {
    let fresh = store.organizations()?.is_empty();
    let (password, generated) = match &config.admin_password {
        Some(secret) => (secret.expose().to_owned(), false),
        None => (generate_password(), true),
    };
    let spec = BootstrapSpec {
        organization_slug: "errata".into(),
        organization_name: "Errata".into(),
        admin_email: config.admin_email.clone(),
        // Not used when the admin exists: skip the (deliberately costly) hash.
        admin_password_hash: if fresh {
            hash_password(&password)?
        } else {
            String::new()
        },
        project_slug: "default".into(),
        project_name: "Default".into(),
    };
    let done = store.bootstrap(&spec)?;
    let url = config.public_base_url();
    Ok(Welcome {
        dsn: state::dsn_for(&url, &done.key.public_key, done.project.id.0),
        url,
        admin_email: done.admin.email.clone(),
        generated_password: (done.created && generated).then_some(password),
        created: done.created,
    })
}

/// A new random password to show once: 20 lowercase hex digits (80 bits).
pub fn generate_password() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..20].to_owned()
}

/// An argon2id PHC string for `password`, with OWASP's low-memory parameters (7 MiB,
/// 5 passes): the server's idle footprint stays small after the first start.
pub fn hash_password(password: &str) -> Result<String, ServerError> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt_bytes = *uuid::Uuid::new_v4().as_bytes();
    let salt =
        SaltString::encode_b64(&salt_bytes).map_err(|e| ServerError::Password(e.to_string()))?;
    let params = argon2::Params::new(7 * 1024, 5, 1, None)
        .map_err(|e| ServerError::Password(e.to_string()))?;
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| ServerError::Password(e.to_string()))
}

impl Server {
    /// Binds the socket, bootstraps the store the caller opened (the server never names a
    /// backend: the binary picks it from `database_url`), and starts the writer. With no
    /// public URL configured, the URL (and DSNs) use the address actually bound, so port 0
    /// works.
    pub async fn start_with_store(
        mut config: Config,
        store: Arc<dyn Store>,
    ) -> Result<Self, ServerError> {
        let addr = config.bind;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| ServerError::Bind { addr, source })?;
        if config.public_url.is_none() {
            let mut bound = listener
                .local_addr()
                .map_err(|source| ServerError::Bind { addr, source })?;
            if bound.ip().is_unspecified() {
                bound.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
            }
            config.public_url = Some(format!("http://{bound}"));
        }
        let metrics_listener = match config.metrics.bind {
            Some(addr) => Some(
                tokio::net::TcpListener::bind(addr)
                    .await
                    .map_err(|source| ServerError::Bind { addr, source })?,
            ),
            None => None,
        };
        let welcome = {
            let store = store.clone();
            let config = config.clone();
            tokio::task::spawn_blocking(move || bootstrap(&config, &*store))
                .await
                .map_err(|e| ServerError::Writer(e.to_string()))??
        };
        let metrics = Arc::new(metrics::Metrics::new());
        let outcomes = Arc::new(outcome::Outcomes::with_metrics(metrics.pipeline.clone()));
        let workers = workers::Workers::start(
            config.workers.thread_count(),
            config.workers.queue,
            metrics.pipeline.depth(metrics::pipeline::Queue::Workers),
        )
        .map_err(|e| ServerError::Writer(format!("worker threads: {e}")))?;
        let (writer, writer_thread) = writer::spawn(
            &store,
            &outcomes,
            config.queue.capacity,
            writer::Batching {
                max_batch: config.queue.max_batch,
                window: Duration::from_micros(config.queue.group_commit_us),
            },
            store.parallel_writes(),
            &metrics.pipeline.writer,
        )
        .map_err(|e| ServerError::Writer(e.to_string()))?;
        let alerts = alert::Alerts::new(&config).map_err(|e| ServerError::Alerts(e.to_string()))?;
        store.set_member_email(config.alerts.smtp_url.is_some());
        let state = AppState::new(
            config,
            store,
            writer,
            outcomes,
            workers,
            Arc::new(alerts),
            metrics,
        );
        Ok(Self {
            state,
            listener,
            metrics_listener,
            writer_thread,
            welcome,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The address of the unauthenticated metrics listener, when `metrics.bind` is set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|listener| listener.local_addr().ok())
    }

    /// What the start created or found.
    pub fn welcome(&self) -> &Welcome {
        &self.welcome
    }

    /// The shared state (for tests and embedding).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then stops accepting, lets in-flight requests
    /// finish, commits everything queued, and returns.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let Self {
            state,
            listener,
            metrics_listener,
            writer_thread,
            ..
        } = self;
        let app = router::router(state.clone());
        let (metrics_stop, metrics_stopped) = tokio::sync::oneshot::channel::<()>();
        let metrics_server = metrics_listener.map(|listener| {
            if let Ok(addr) = listener.local_addr() {
                tracing::info!(%addr, "serving /metrics, /healthz and /readyz without a token");
            }
            tokio::spawn(connection::serve(
                listener,
                router::metrics_router(state.clone()),
                state.config.http,
                async {
                    let _ = metrics_stopped.await;
                },
            ))
        });
        let upkeep = tokio::spawn(maintenance::run(state.clone()));
        let heartbeat = tokio::spawn(membership::run(state.clone()));
        let dispatcher = tokio::spawn(alert::dispatcher::run(state.clone()));
        let retention = tokio::spawn(retention::run(state.clone()));
        let writer_died = {
            let writer = state.writer.clone();
            async move { writer.died().await }
        };
        let mut died = false;
        let stop = async {
            tokio::select! {
                () = shutdown => {},
                () = writer_died => died = true,
            }
        };
        connection::serve(listener, app, state.config.http, stop).await;
        let _ = metrics_stop.send(());
        if let Some(metrics_server) = metrics_server {
            let _ = metrics_server.await;
        }
        upkeep.abort();
        heartbeat.abort();
        dispatcher.abort();
        retention.abort();
        membership::leave(&state).await;
        if died {
            return Err(ServerError::Writer(
                "the writer thread died; stopped serving".into(),
            ));
        }
        let writer = state.writer.clone();
        drop(state);
        let panicked = tokio::task::spawn_blocking(move || {
            writer.shutdown();
            writer_thread.join()
        })
        .await
        .map_err(|e| ServerError::Writer(e.to_string()))?;
        if panicked {
            return Err(ServerError::Writer("a writer thread panicked".into()));
        }
        tracing::info!("stopped; everything accepted is committed");
        Ok(())
    }
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received: no longer accepting requests");
}
