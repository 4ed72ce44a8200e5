//! Shared test support: a real [`Server`] on `127.0.0.1:0` in a temporary data dir with
//! an API token, captured SDK requests from `../shared/sdk-corpus` replayed through the
//! real ingest endpoint over HTTP (the corpus DSN's key and project id replaced by the
//! server's), and Web API calls through the router with `oneshot` (no socket needed).
//! The store is `SQLite` or `PostgreSQL`, as `ERRATA_TEST_BACKEND` says ([`Backend`]).

#![allow(
    dead_code,
    reason = "helpers are shared by modules that use different subsets"
)]

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use errata_corpus::CapturedRequest;
use errata_server::config::Secret;
use errata_server::{AppState, Config, Server};
use errata_store::{NewToken, Store};
use errata_store_postgres::PgStore;
use errata_store_postgres::testing::TestDatabase;
use errata_store_sqlite::SqliteStore;
use http_body_util::BodyExt;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

/// The store backend the tests run on, from `ERRATA_TEST_BACKEND`: `sqlite` (the default)
/// or `postgres` (a throwaway database per server on the `PostgreSQL` of
/// `ERRATA_TEST_POSTGRES_URL`, see [`TestDatabase`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend chosen for this run.
    ///
    /// # Panics
    ///
    /// When `ERRATA_TEST_BACKEND` names no backend.
    pub(crate) fn current() -> Self {
        match std::env::var("ERRATA_TEST_BACKEND").as_deref() {
            Err(_) | Ok("" | "sqlite") => Self::Sqlite,
            Ok("postgres") => Self::Postgres,
            Ok(other) => panic!("ERRATA_TEST_BACKEND={other:?}: expected sqlite or postgres"),
        }
    }
}

/// Whether a test that only makes sense on `SQLite` runs: on another backend it prints
/// why it is skipped and returns `false`.
#[allow(
    clippy::print_stderr,
    reason = "a skipped test says so on the test's output"
)]
pub(crate) fn sqlite_only(reason: &str) -> bool {
    let backend = Backend::current();
    if backend != Backend::Sqlite {
        eprintln!("skipped on {backend:?}: SQLite only ({reason})");
    }
    backend == Backend::Sqlite
}

/// A store for one test server, and what must outlive the server: on `PostgreSQL`, its
/// throwaway database, dropped (from a plain thread: dropping it blocks) after the store.
pub(crate) struct TestStore {
    pub(crate) store: Arc<dyn Store>,
    database: Option<TestDatabase>,
}

impl TestStore {
    /// Opens a store of the [`Backend::current`] backend: `SQLite` in `data_dir`, or a
    /// `PgStore` with a small pool (every test has its own database and the tests run in
    /// parallel) on a fresh [`TestDatabase`].
    ///
    /// # Panics
    ///
    /// When the store cannot be opened, or `PostgreSQL` was asked for and none answers.
    pub(crate) async fn open(data_dir: &Path) -> Self {
        let data_dir = data_dir.to_owned();
        // Both may block (and the PostgreSQL pool refuses to run inside an async context).
        tokio::task::spawn_blocking(move || match Backend::current() {
            Backend::Sqlite => Self {
                store: Arc::new(SqliteStore::open(&data_dir).expect("opening the SQLite store")),
                database: None,
            },
            Backend::Postgres => {
                let database = TestDatabase::create().expect(
                    "ERRATA_TEST_BACKEND=postgres needs a PostgreSQL server \
                     (ERRATA_TEST_POSTGRES_URL, default 127.0.0.1:5432)",
                );
                let config = database.config().with_max_connections(POSTGRES_POOL);
                let store = PgStore::open(&config).expect("opening the PostgreSQL store");
                Self {
                    store: Arc::new(store),
                    database: Some(database),
                }
            }
        })
        .await
        .expect("store task")
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        if let Some(database) = self.database.take() {
            // Its pool blocks on its own runtime, which a tokio worker may not do.
            let _ = std::thread::spawn(move || drop(database)).join();
        }
    }
}

/// Connections per test server's `PostgreSQL` pool: the writer, the blocking store calls
/// and the dispatchers share them, and ~60 tests at once stay under `max_connections`.
const POSTGRES_POOL: usize = 4;

/// Starts a server on a store of the [`Backend::current`] backend (the server itself never
/// names a backend). Keep the [`TestStore`] until the server has stopped.
pub(crate) async fn start_server(
    config: Config,
) -> Result<(Server, TestStore), errata_server::ServerError> {
    let store = TestStore::open(&config.data_dir).await;
    let server = Server::start_with_store(config, store.store.clone()).await?;
    Ok((server, store))
}

/// The public URL the test servers announce (in DSNs, permalinks and `Link` headers).
pub(crate) const PUBLIC_URL: &str = "http://errata.test";

/// A running server with a token, stopped (everything accepted committed) on drop.
pub(crate) struct TestServer {
    pub(crate) state: AppState,
    pub(crate) addr: SocketAddr,
    /// The unauthenticated metrics listener's address (`metrics.bind`).
    pub(crate) metrics_addr: Option<SocketAddr>,
    /// A valid API token's secret.
    pub(crate) token: String,
    /// The first project's DSN key and id.
    pub(crate) public_key: String,
    pub(crate) project_id: i64,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    /// Dropped after the fields above: the server has stopped (or been told to) first.
    _store: TestStore,
    _dir: tempfile::TempDir,
}

/// An API answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    /// The body as JSON (panics with the body when it is not).
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} is not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// A header's value as text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl TestServer {
    /// Starts a server in a fresh data dir and creates a token.
    pub(crate) async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// [`Self::start`] with the configuration changed by `tune`.
    pub(crate) async fn start_with(tune: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: dir.path().to_owned(),
            public_url: Some(PUBLIC_URL.to_owned()),
            admin_password: Some(Secret::new("correct horse battery staple")),
            ..Config::default()
        };
        tune(&mut config);
        let (server, store) = start_server(config).await.expect("server starts");
        let addr = server.local_addr().expect("bound address");
        let metrics_addr = server.metrics_addr();
        let state = server.state().clone();
        let dsn = server.welcome().dsn.clone();
        let (public_key, project_id) = parse_dsn(&dsn);
        let token = {
            let store = state.store.clone();
            let owner = server.welcome().admin_email.clone();
            tokio::task::spawn_blocking(move || {
                store.create_token(&NewToken {
                    user_id: store.user_by_email(&owner)?.id,
                    label: "tests".into(),
                    scopes: errata_store::Scopes::all(),
                })
            })
            .await
            .expect("token task")
            .expect("token created")
            .secret
        };
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            server
                .run(async {
                    let _ = stopped.await;
                })
                .await
                .expect("server runs and stops cleanly");
        });
        Self {
            state,
            addr,
            metrics_addr,
            token,
            public_key,
            project_id,
            shutdown: Some(shutdown),
            task: Some(task),
            _store: store,
            _dir: dir,
        }
    }

    /// Stops the server: every accepted event is committed when this returns.
    pub(crate) async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task");
        }
    }

    /// Replays one captured request through the ingest endpoint over HTTP, with the
    /// server's key and project id; returns the status and the JSON body.
    pub(crate) async fn send(&self, request: &CapturedRequest) -> (u16, Value) {
        let path = request.path.replacen(
            &format!("/api/{}/", errata_corpus::PROJECT_ID),
            &format!("/api/{}/", self.project_id),
            1,
        );
        let target = if request.query.is_empty() {
            path
        } else {
            format!(
                "{path}?{}",
                request
                    .query
                    .replace(errata_corpus::PUBLIC_KEY, &self.public_key)
            )
        };
        let mut head = format!(
            "{} {target} HTTP/1.1\r\nHost: {}\r\n",
            request.method, self.addr
        );
        for (name, value) in &request.headers {
            if ["host", "content-length", "connection", "transfer-encoding"]
                .iter()
                .any(|h| name.eq_ignore_ascii_case(h))
            {
                continue;
            }
            let value = value.replace(errata_corpus::PUBLIC_KEY, &self.public_key);
            let _ = write!(head, "{name}: {value}\r\n");
        }
        let _ = write!(
            head,
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            request.body.len()
        );
        let mut stream = tokio::net::TcpStream::connect(self.addr)
            .await
            .expect("connect");
        stream.write_all(head.as_bytes()).await.expect("write head");
        stream.write_all(&request.body).await.expect("write body");
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .await
            .expect("read response");
        let text = String::from_utf8_lossy(&response);
        let status: u16 = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status line in {text:?}"));
        let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        let json = serde_json::from_str(body).unwrap_or(Value::Null);
        (status, json)
    }

    /// Replays every request of a corpus scenario; each must be accepted. Returns the
    /// event ids answered, in order.
    pub(crate) async fn send_scenario(&self, scenario: &str) -> Vec<String> {
        let mut ids = Vec::new();
        for request in errata_corpus::scenario(scenario) {
            let (status, body) = self.send(&request).await;
            assert_eq!(status, 200, "{}: {body}", request.name);
            if let Some(id) = body.get("id").and_then(Value::as_str) {
                ids.push(id.to_owned());
            }
        }
        ids
    }

    /// A Web API call with the test token.
    pub(crate) async fn call(&self, method: Method, uri: &str, body: Option<&str>) -> Reply {
        self.call_as(Some(&self.token), method, uri, body).await
    }

    /// Runs `f` on the server's store from a blocking thread, as the server does (the
    /// `PostgreSQL` store may not be called from an async context).
    pub(crate) async fn store_call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Store) -> T + Send + 'static,
    ) -> T {
        let store = self.state.store.clone();
        tokio::task::spawn_blocking(move || f(store.as_ref()))
            .await
            .expect("store task")
    }

    /// `GET` with the test token.
    pub(crate) async fn get(&self, uri: &str) -> Reply {
        self.call(Method::GET, uri, None).await
    }

    /// A Web API call with the given token (or none).
    pub(crate) async fn call_as(
        &self,
        token: Option<&str>,
        method: Method,
        uri: &str,
        body: Option<&str>,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let request = request
            .body(Body::from(body.unwrap_or_default().to_owned()))
            .expect("request");
        self.raw(request).await
    }

    /// Any request through the router (no socket).
    pub(crate) async fn raw(&self, request: Request<Body>) -> Reply {
        let response = errata_server::router::router(self.state.clone())
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    /// `/api/0/projects/errata/default` + `rest`.
    #[allow(
        clippy::unused_self,
        reason = "every test server has the bootstrap's project; a method reads best in tests"
    )]
    pub(crate) fn project_path(&self, rest: &str) -> String {
        format!("/api/0/projects/errata/default{rest}")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The public key and project id of `http://KEY@host/ID`.
/// The public key and project id of a DSN.
pub(crate) fn parse_dsn(dsn: &str) -> (String, i64) {
    let (_, rest) = dsn.split_once("://").expect("scheme");
    let (key, host_path) = rest.split_once('@').expect("key");
    let id = host_path.rsplit('/').next().expect("project id");
    (key.to_owned(), id.parse().expect("numeric project id"))
}

/// The `cursor` and `results` of the `rel` link of a Sentry `Link` header.
pub(crate) fn link(header: &str, rel: &str) -> (String, bool) {
    let part = header
        .split(", <")
        .find(|p| p.contains(&format!("rel=\"{rel}\"")))
        .unwrap_or_else(|| panic!("no {rel} link in {header}"));
    let attr = |name: &str| {
        let start = part
            .find(&format!("{name}=\""))
            .unwrap_or_else(|| panic!("no {name} in {part}"))
            + name.len()
            + 2;
        part[start..]
            .split('"')
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    (attr("cursor"), attr("results") == "true")
}
