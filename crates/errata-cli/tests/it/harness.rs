//! The real parts the tests drive: an `errata serve` child process on `127.0.0.1:0` with
//! its own data dir ([`ServerProcess`]), a small HTTP client that never treats a status
//! as an error ([`post`], [`get`]), envelope builders, and [`Stored`], the one place the
//! tests read what the server kept, through the Web API as a user would.
//!
//! The store is `SQLite` in the data dir, or with `ERRATA_TEST_BACKEND=postgres` a
//! throwaway `PostgreSQL` database per server (`backend.rs`).

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use errata_store::Uuid;

use crate::backend::ServerEnv;
use serde_json::{Value, json};

/// How long a server may take to start, and a condition to become true.
pub(crate) const DEADLINE: Duration = Duration::from_secs(60);

/// Polls `check` until it returns `Some`, panicking with `what` after [`DEADLINE`].
pub(crate) fn poll<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "timed out after {DEADLINE:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A running `errata serve` child process; killed when dropped.
#[derive(Debug)]
pub(crate) struct ServerProcess {
    child: Child,
    /// The address it listens on.
    pub(crate) addr: SocketAddr,
    /// The first project's public key.
    pub(crate) key: String,
    /// The first project's id.
    pub(crate) project_id: i64,
    /// The data dir.
    pub(crate) data_dir: PathBuf,
    /// The DSN exactly as `serve` printed it.
    pub(crate) printed_dsn: String,
    /// The admin login `serve` printed (`Login:`), and its password: the generated one
    /// when printed, else the configured `ERRATA_ADMIN_PASSWORD`.
    pub(crate) login: (String, String),
    env: ServerEnv,
    stderr: Arc<Mutex<String>>,
    /// A Web API token, made on first use.
    token: std::sync::OnceLock<String>,
}

impl ServerProcess {
    /// Starts a server on a fresh data dir inside `dir`.
    pub(crate) fn start(dir: &Path) -> Self {
        Self::start_with(&dir.join("data"), &[])
    }

    /// Starts a server on `data_dir` with extra `ERRATA_*` variables (and on a fresh
    /// `PostgreSQL` test database when the tests run on `PostgreSQL` and `env` names no
    /// `ERRATA_DATABASE_URL`).
    pub(crate) fn start_with(data_dir: &Path, env: &[(&str, &str)]) -> Self {
        Self::spawn(data_dir, ServerEnv::new(env))
    }

    fn spawn(data_dir: &Path, env: ServerEnv) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_errata"));
        // Hermetic: no ERRATA_* setting of the caller's environment leaks in.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("ERRATA_") {
                command.env_remove(name);
            }
        }
        command
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--bind", "127.0.0.1:0", "serve"])
            .env("ERRATA_LOG", "info")
            .env("ERRATA_ADMIN_PASSWORD", "e2e-password")
            .envs(env.vars.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawning errata serve");
        let stderr = keep_tail(child.stderr.take().expect("stderr is piped"));
        let (lines_tx, lines_rx) = mpsc::channel();
        {
            let stdout = child.stdout.take().expect("stdout is piped");
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if lines_tx.send(line).is_err() {
                        // Nobody listens any more: keep draining so the child never blocks.
                    }
                }
            });
        }
        let start = Instant::now();
        let mut addr = None;
        let mut dsn = None;
        let mut login = (String::new(), String::new());
        while dsn.is_none() {
            match lines_rx.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    if let Some(rest) = line.split("listening on ").nth(1) {
                        addr = Some(
                            rest.trim_end_matches(')')
                                .parse::<SocketAddr>()
                                .expect("the listening address"),
                        );
                    }
                    if let Some(rest) = line.trim().strip_prefix("Login:") {
                        let mut words = rest.split_whitespace();
                        words.next().unwrap_or_default().clone_into(&mut login.0);
                        if words.next() == Some("/") {
                            words.next().unwrap_or_default().clone_into(&mut login.1);
                        }
                    }
                    if let Some(rest) = line.trim().strip_prefix("DSN:") {
                        dsn = Some(rest.trim().to_owned());
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = child.wait().expect("waiting for errata serve");
                    panic!(
                        "errata serve exited ({status}) before printing its DSN:\n{}",
                        stderr.lock().unwrap()
                    );
                }
            }
            if start.elapsed() > DEADLINE {
                let _ = child.kill();
                panic!(
                    "errata serve did not print its DSN within {DEADLINE:?}:\n{}",
                    stderr.lock().unwrap()
                );
            }
        }
        let addr = addr.expect("errata serve printed no listening address before the DSN");
        let dsn = dsn.unwrap_or_default();
        let (key, project) = parse_dsn(&dsn);
        if login.1.is_empty() {
            env.vars
                .iter()
                .find(|(k, _)| k == "ERRATA_ADMIN_PASSWORD")
                .map_or("e2e-password", |(_, v)| v.as_str())
                .clone_into(&mut login.1);
        }
        Self {
            child,
            addr,
            key,
            project_id: project,
            data_dir: data_dir.to_owned(),
            printed_dsn: dsn.clone(),
            login,
            env,
            stderr,
            token: std::sync::OnceLock::new(),
        }
    }

    /// The DSN SDKs use (the printed one names the bound port only when the bind port
    /// was not 0; this one always does).
    pub(crate) fn dsn(&self) -> String {
        format!("http://{}@{}/{}", self.key, self.addr, self.project_id)
    }

    /// `http://addr` + `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The envelope endpoint of the first project.
    pub(crate) fn envelope_url(&self) -> String {
        self.url(&format!("/api/{}/envelope/", self.project_id))
    }

    /// The `X-Sentry-Auth` header for the first project's key.
    pub(crate) fn auth(&self) -> String {
        format!(
            "Sentry sentry_key={}, sentry_version=7, sentry_client=errata-e2e/1.0",
            self.key
        )
    }

    /// Posts an envelope body to the first project with `X-Sentry-Auth`.
    pub(crate) fn send_envelope(&self, body: &[u8]) -> Reply {
        post(
            &self.envelope_url(),
            &[
                ("X-Sentry-Auth", &self.auth()),
                ("Content-Type", "application/x-sentry-envelope"),
            ],
            body,
        )
    }

    /// Sends a fresh event (message `message`) and asserts it was accepted; returns its id.
    pub(crate) fn send_event(&self, message: &str) -> Uuid {
        let id = Uuid::new_v4();
        let reply = self.send_envelope(&event_envelope(&message_event(id, message)));
        assert_eq!(reply.status, 200, "sending {message:?}: {reply:?}");
        assert_eq!(reply.json()["id"], id.simple().to_string(), "{reply:?}");
        id
    }

    /// The child's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `VmRSS` and `VmHWM` of the child, in KiB.
    pub(crate) fn memory_kib(&self) -> (u64, u64) {
        memory_kib(self.pid())
    }

    /// The server's log so far.
    pub(crate) fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Asserts the process runs, answers `/healthz`, and its peak RSS is under `max_mib`.
    pub(crate) fn assert_healthy(&mut self, max_mib: u64) {
        if let Some(status) = self.child.try_wait().expect("try_wait") {
            panic!("the server exited ({status}):\n{}", self.log());
        }
        let health = get(&self.url("/healthz"));
        assert_eq!(health.status, 200, "healthz: {health:?}\n{}", self.log());
        let (rss, hwm) = self.memory_kib();
        assert!(
            hwm < max_mib * 1024,
            "peak RSS {hwm} KiB (now {rss} KiB) is over {max_mib} MiB"
        );
    }

    /// `kill -9`: no chance to flush anything.
    pub(crate) fn sigkill(mut self) -> PathBuf {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("wait");
        self.data_dir.clone()
    }

    /// SIGTERM, then waits for a clean exit (status 0).
    pub(crate) fn stop(mut self) -> PathBuf {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("running kill");
        assert!(status.success(), "kill -TERM failed");
        let start = Instant::now();
        let exit = loop {
            if let Some(exit) = self.child.try_wait().expect("try_wait") {
                break exit;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "the server did not stop within {DEADLINE:?} after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(
            exit.success(),
            "errata serve exited with {exit}:\n{}",
            self.log()
        );
        self.data_dir.clone()
    }

    /// Starts another server on the same data dir and configuration (and database).
    pub(crate) fn restart_on(data_dir: &Path, env: &ServerEnv) -> Self {
        Self::spawn(data_dir, env.clone())
    }

    /// The extra environment this server was started with (which keeps its database).
    pub(crate) fn env(&self) -> ServerEnv {
        self.env.clone()
    }

    /// The server's store, opened beside it (for what the Web API does not show).
    pub(crate) fn store(&self) -> Box<dyn errata_store::Store> {
        match self.env.database_url() {
            Some(url) => Box::new(
                errata_store_postgres::PgStore::open_url(url).expect("opening the database"),
            ),
            None => Box::new(
                errata_store_sqlite::SqliteStore::open(&self.data_dir).expect("opening the store"),
            ),
        }
    }

    /// The `errata` binary on this server's data dir and database, for its subcommands.
    pub(crate) fn errata(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_errata"));
        command.arg("--data-dir").arg(&self.data_dir);
        self.env.database_to(&mut command);
        command
    }

    /// A Web API token from `errata token create --json` (made once per process).
    pub(crate) fn token(&self) -> String {
        self.token
            .get_or_init(|| {
                let output = self
                    .errata()
                    .args(["token", "create", "--json", "--label", "e2e"])
                    .output()
                    .expect("running errata token create");
                assert!(
                    output.status.success(),
                    "errata token create: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
                let created: Value = serde_json::from_slice(&output.stdout).expect("token JSON");
                created["token"].as_str().expect("a token").to_owned()
            })
            .clone()
    }

    /// Uses `token` for the Web API instead of making one (one made before a migration).
    pub(crate) fn use_token(&self, token: String) {
        self.token.set(token).expect("no token was made yet");
    }

    /// What the server stored.
    pub(crate) fn stored(&self) -> Stored {
        Stored::new(self)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Drains `pipe` on a thread, keeping the last half MiB or so of it.
fn keep_tail(mut pipe: impl std::io::Read + Send + 'static) -> Arc<Mutex<String>> {
    let kept = Arc::new(Mutex::new(String::new()));
    let log = kept.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            let mut log = log.lock().unwrap();
            if log.len() > 1 << 20 {
                let cut = log.len() - (1 << 19);
                let cut = (cut..log.len())
                    .find(|i| log.is_char_boundary(*i))
                    .unwrap_or(0);
                log.drain(..cut);
            }
            log.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    kept
}

/// `(public key, project id)` of a DSN like `http://key@host:port/7`.
pub(crate) fn parse_dsn(dsn: &str) -> (String, i64) {
    let rest = dsn.split_once("://").map_or(dsn, |(_, r)| r);
    let (key, host_path) = rest.split_once('@').expect("a DSN has a key");
    let project = host_path
        .rsplit('/')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no project id in DSN {dsn}"));
    (key.to_owned(), project)
}

/// `VmRSS` and `VmHWM` of a process, in KiB.
pub(crate) fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| panic!("/proc/{pid}/status: {e}"));
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /proc/{pid}/status"))
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// An HTTP answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    /// The body as text (lossy).
    pub(crate) body: String,
    /// The body's bytes.
    pub(crate) raw: Vec<u8>,
}

impl Reply {
    /// The body as JSON (panics with the body when it is not).
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    /// The `detail` of an error answer.
    pub(crate) fn detail(&self) -> String {
        self.json()["detail"]
            .as_str()
            .unwrap_or_else(|| panic!("no detail in {:?}", self.body))
            .to_owned()
    }

    /// A header's value.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A client that returns every status as an answer.
pub(crate) fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::config::Config::builder()
            .http_status_as_error(false)
            // Per-phase timeouts: a global one makes ureq resolve on a new thread per request.
            .timeout_send_request(Some(DEADLINE))
            .timeout_send_body(Some(DEADLINE))
            .timeout_recv_response(Some(DEADLINE))
            .timeout_recv_body(Some(DEADLINE))
            .build(),
    )
}

fn reply(response: ureq::http::Response<ureq::Body>) -> Reply {
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into()))
        .collect();
    let raw = response
        .into_body()
        .with_config()
        .limit(64 << 20)
        .read_to_vec()
        .unwrap_or_else(|e| format!("<unreadable body: {e}>").into_bytes());
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&raw).into_owned(),
        raw,
    }
}

/// POSTs `body` with `headers`; any status is an answer.
pub(crate) fn post(url: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    try_post(&agent(), url, headers, body).unwrap_or_else(|e| panic!("POST {url}: {e}"))
}

/// POSTs `body` with `headers` through `agent`; a transport failure is an `Err`.
pub(crate) fn try_post(
    agent: &ureq::Agent,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Reply, ureq::Error> {
    let mut request = agent.post(url);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    request.send(body).map(reply)
}

/// PUTs `body` as JSON with `headers`; any status is an answer.
pub(crate) fn put_json(url: &str, headers: &[(&str, &str)], body: &Value) -> Reply {
    let mut request = agent().put(url).header("Content-Type", "application/json");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    reply(
        request
            .send(body.to_string().as_bytes())
            .unwrap_or_else(|e| panic!("PUT {url}: {e}")),
    )
}

/// GETs `url`; any status is an answer.
pub(crate) fn get(url: &str) -> Reply {
    get_with(url, &[])
}

/// GETs `url` with `headers`; any status is an answer.
pub(crate) fn get_with(url: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = agent().get(url);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    reply(request.call().unwrap_or_else(|e| panic!("GET {url}: {e}")))
}

/// A message event with id `id`.
pub(crate) fn message_event(id: Uuid, message: &str) -> Value {
    json!({
        "event_id": id.simple().to_string(),
        "timestamp": std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64(),
        "level": "error",
        "platform": "other",
        "message": message,
    })
}

/// An envelope holding one `event` item (with its `length`).
pub(crate) fn event_envelope(event: &Value) -> Vec<u8> {
    let payload = serde_json::to_vec(event).unwrap();
    let mut body = Vec::with_capacity(payload.len() + 128);
    body.extend_from_slice(
        json!({ "event_id": event["event_id"] })
            .to_string()
            .as_bytes(),
    );
    body.push(b'\n');
    body.extend_from_slice(
        json!({ "type": "event", "length": payload.len() })
            .to_string()
            .as_bytes(),
    );
    body.push(b'\n');
    body.extend_from_slice(&payload);
    body.push(b'\n');
    body
}

/// What the server kept, read the way a user would: through the Web API with a Bearer
/// token from `errata token create --json`. The one place the tests read back from.
#[derive(Debug)]
pub(crate) struct Stored {
    base: String,
    token: String,
    /// `/api/0/projects/{org}/{project}`.
    project_path: String,
}

/// An issue as the API shows it, with the fields the tests check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IssueInfo {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) culprit: String,
    pub(crate) level: String,
    pub(crate) status: String,
    /// Events seen (`count`).
    pub(crate) count: u64,
    pub(crate) user_count: u64,
    pub(crate) last_release: Option<String>,
}

impl IssueInfo {
    fn from_json(v: &Value) -> Self {
        let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
        Self {
            id: text("id"),
            title: text("title"),
            culprit: text("culprit"),
            level: text("level"),
            status: text("status"),
            count: v["count"]
                .as_str()
                .and_then(|c| c.parse().ok())
                .or_else(|| v["count"].as_u64())
                .unwrap_or_else(|| panic!("no count in {v}")),
            user_count: v["userCount"].as_u64().unwrap_or_default(),
            last_release: v["lastRelease"]["version"].as_str().map(str::to_owned),
        }
    }
}

/// One stored event: its issue and the API's event (the normalized payload in Sentry's
/// shape: `tags` as `[{key, value}]`, `entries`, and the normalized fields).
#[derive(Debug, Clone)]
pub(crate) struct StoredEvent {
    pub(crate) issue: IssueInfo,
    pub(crate) payload: Value,
}

/// The `cursor` of a `Link` header's `rel="next"` when it has results.
fn next_cursor(reply: &Reply) -> Option<String> {
    let link = reply.header("link")?;
    let next = link
        .split(", <")
        .find(|part| part.contains("rel=\"next\""))?;
    if !next.contains("results=\"true\"") {
        return None;
    }
    let cursor = next.split("cursor=\"").nth(1)?.split('"').next()?;
    Some(cursor.to_owned())
}

impl Stored {
    fn new(server: &ServerProcess) -> Self {
        let token = server.token();
        let mut stored = Self {
            base: format!("http://{}", server.addr),
            token,
            project_path: String::new(),
        };
        let orgs = stored.api("/api/0/organizations/");
        for org in orgs.as_array().expect("organizations") {
            let slug = org["slug"].as_str().expect("an organization slug");
            let projects = stored.api(&format!("/api/0/organizations/{slug}/projects/"));
            let found = projects.as_array().expect("projects").iter().find(|p| {
                p["id"].as_str() == Some(&server.project_id.to_string())
                    || p["id"].as_i64() == Some(server.project_id)
            });
            if let Some(project) = found {
                let project = project["slug"].as_str().expect("a project slug");
                stored.project_path = format!("/api/0/projects/{slug}/{project}");
                return stored;
            }
        }
        panic!("project {} is not in the API", server.project_id);
    }

    fn get(&self, path: &str) -> Reply {
        get_with(
            &format!("{}{path}", self.base),
            &[("Authorization", &format!("Bearer {}", self.token))],
        )
    }

    /// GETs an API path that must answer 200 with JSON.
    fn api(&self, path: &str) -> Value {
        let reply = self.get(path);
        assert_eq!(reply.status, 200, "GET {path}: {reply:?}");
        reply.json()
    }

    /// Every issue of the project, whatever its status.
    pub(crate) fn issues(&self) -> Vec<IssueInfo> {
        let mut out = Vec::new();
        let mut path = format!("{}/issues/?query=&limit=100", self.project_path);
        loop {
            let reply = self.get(&path);
            assert_eq!(reply.status, 200, "GET {path}: {reply:?}");
            out.extend(
                reply
                    .json()
                    .as_array()
                    .expect("a list of issues")
                    .iter()
                    .map(IssueInfo::from_json),
            );
            match next_cursor(&reply) {
                Some(cursor) => {
                    path = format!(
                        "{}/issues/?query=&limit=100&cursor={cursor}",
                        self.project_path
                    );
                }
                None => return out,
            }
        }
    }

    /// The issue with this id.
    pub(crate) fn issue(&self, id: &str) -> IssueInfo {
        IssueInfo::from_json(&self.api(&format!("/api/0/issues/{id}/")))
    }

    /// The event with this id, if stored.
    pub(crate) fn event(&self, id: Uuid) -> Option<StoredEvent> {
        let path = format!("{}/events/{}/", self.project_path, id.simple());
        let reply = self.get(&path);
        match reply.status {
            200 => {
                let payload = reply.json();
                let issue = payload["groupID"]
                    .as_str()
                    .unwrap_or_else(|| panic!("no groupID in {payload}"));
                Some(StoredEvent {
                    issue: self.issue(issue),
                    payload,
                })
            }
            404 => None,
            _ => panic!("GET {path}: {reply:?}"),
        }
    }

    /// The event with this id; waits for it (a 200 means committed, so it is there at
    /// once; the wait only bounds a surprise).
    pub(crate) fn wait_event(&self, id: Uuid) -> StoredEvent {
        poll(&format!("event {id} to be stored"), || self.event(id))
    }

    /// The event's attachments as `(name, bytes)`.
    pub(crate) fn attachments(&self, id: Uuid) -> Vec<(String, Vec<u8>)> {
        let list = format!("{}/events/{}/attachments/", self.project_path, id.simple());
        self.api(&list)
            .as_array()
            .expect("a list of attachments")
            .iter()
            .map(|a| {
                let attachment = a["id"].as_str().expect("an attachment id");
                let reply = self.get(&format!("{list}{attachment}/?download=1"));
                assert_eq!(reply.status, 200, "{reply:?}");
                (a["name"].as_str().unwrap_or_default().to_owned(), reply.raw)
            })
            .collect()
    }

    /// The user reports of an issue as `(name, email, comments)`.
    pub(crate) fn user_reports(&self, issue: &IssueInfo) -> Vec<(String, String, String)> {
        self.api(&format!("/api/0/issues/{}/user-reports/", issue.id))
            .as_array()
            .expect("a list of user reports")
            .iter()
            .map(|r| {
                let text = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
                (text("name"), text("email"), text("comments"))
            })
            .collect()
    }

    /// The project's outcome totals over the last day as `(category, reason) -> quantity`.
    pub(crate) fn outcomes(&self) -> std::collections::BTreeMap<(String, String), u64> {
        let view = self.api(&format!("{}/outcomes/?statsPeriod=1d", self.project_path));
        let mut out = std::collections::BTreeMap::new();
        for o in view["outcomes"].as_array().expect("outcomes") {
            let text = |k: &str| o[k].as_str().unwrap_or_default().to_owned();
            *out.entry((text("category"), text("reason"))).or_default() +=
                o["quantity"].as_u64().unwrap_or_default();
        }
        out
    }
}

/// The interpreter with `sentry-sdk` installed: `ERRATA_TEST_PYTHON`, else the venv
/// `scripts/test` creates. Missing is a failure, never a skip.
pub(crate) fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("ERRATA_TEST_PYTHON") {
        return python.into();
    }
    let venv = std::env::var_os("HOME")
        .map(|home| PathBuf::from(home).join(".cache/errata/venv/bin/python"));
    match venv {
        Some(python) if python.is_file() => python,
        _ => panic!(
            "no Python with sentry-sdk: set ERRATA_TEST_PYTHON, or run ./scripts/test \
             (it creates the venv ~/.cache/errata/venv with sentry-sdk==2.75.0)"
        ),
    }
}
