//! What every attack needs besides the process harness: the honest client (the official
//! Python `sentry-sdk`, run by `honest_sdk.py` in a subprocess started while the attack
//! runs, timing its own HTTP request), a sampler of the server's RSS from `/proc`, raw
//! HTTP/1.1 over `std::net::TcpStream` for the slow attackers, timed probes of `/healthz`
//! and the Web API, a lock that runs one attack at a time (so one attack's load never
//! slows another's honest client on a 2-core machine), and [`Checks`], which collects
//! every failed expectation of an attack so that one run reports all of them.

use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use errata_store::Uuid;
use serde_json::Value;

use crate::harness::{Reply, ServerProcess, python};

/// The honest SDK's deadline (the spec: HTTP 200 within 2 s, measured by the SDK's side).
pub(crate) const HONEST_DEADLINE: Duration = Duration::from_secs(2);

/// Attacks run one at a time: each has the two cores to itself and its honest client.
pub(crate) fn one_attack_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Prints a measured figure (seen with `--nocapture`).
pub(crate) fn report(attack: &str, what: &str) {
    #[allow(
        clippy::print_stderr,
        reason = "the measured figures are the tests' report"
    )]
    {
        eprintln!("hostile[{attack}]: {what}");
    }
}

/// Every failed expectation of one attack, reported together at the end.
#[derive(Debug)]
pub(crate) struct Checks {
    attack: &'static str,
    failed: Vec<String>,
    started: Instant,
}

impl Checks {
    pub(crate) fn new(attack: &'static str) -> Self {
        Self {
            attack,
            failed: Vec::new(),
            started: Instant::now(),
        }
    }

    /// Records `what` as failed unless `ok`.
    pub(crate) fn check(&mut self, ok: bool, what: impl FnOnce() -> String) -> bool {
        if !ok {
            let what = what();
            report(self.attack, &format!("FAILED: {what}"));
            self.failed.push(what);
        }
        ok
    }

    /// Panics listing every failed expectation (with the server's log tail).
    pub(crate) fn finish(self, server: &ServerProcess) {
        report(
            self.attack,
            &format!(
                "{} after {:.1} s",
                if self.failed.is_empty() {
                    "passed"
                } else {
                    "failed"
                },
                self.started.elapsed().as_secs_f64()
            ),
        );
        if self.failed.is_empty() {
            return;
        }
        let mut message = format!(
            "{}: {} expectation(s) failed:\n",
            self.attack,
            self.failed.len()
        );
        for failed in &self.failed {
            let _ = writeln!(message, "  - {failed}");
        }
        let log = server.log();
        let tail: String = log
            .lines()
            .rev()
            .take(15)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n");
        panic!("{message}server log (tail):\n{tail}");
    }
}

/// One HTTP request the SDK made, as its transport saw it.
#[derive(Debug, Clone)]
pub(crate) struct SdkRequest {
    pub(crate) status: Option<u16>,
    pub(crate) elapsed: Duration,
    pub(crate) rate_limits: Option<String>,
    #[allow(dead_code, reason = "kept for failure messages (Debug)")]
    pub(crate) retry_after: Option<String>,
    pub(crate) error: Option<String>,
}

/// What the honest SDK did.
#[derive(Debug, Clone)]
pub(crate) struct HonestResult {
    pub(crate) event_id: Option<Uuid>,
    pub(crate) requests: Vec<SdkRequest>,
    /// The categories the SDK backs off from after the answer (`None` = all).
    pub(crate) disabled: Vec<String>,
    /// Why there is no result, when the script failed.
    pub(crate) failure: Option<String>,
}

impl HonestResult {
    /// The event request (the script sends one event; client reports are off).
    pub(crate) fn request(&self) -> Option<&SdkRequest> {
        self.requests.first()
    }

    /// A one-line account for reports and failure messages.
    pub(crate) fn describe(&self) -> String {
        match (&self.failure, self.request()) {
            (Some(failure), _) => format!("the SDK script failed: {failure}"),
            (None, None) => "the SDK made no request".to_owned(),
            (None, Some(r)) => format!(
                "status {:?} after {} ms{}{}",
                r.status,
                r.elapsed.as_millis(),
                r.error
                    .as_ref()
                    .map(|e| format!(", error {e}"))
                    .unwrap_or_default(),
                r.rate_limits
                    .as_ref()
                    .map(|l| format!(", X-Sentry-Rate-Limits {l:?}"))
                    .unwrap_or_default(),
            ),
        }
    }

    /// Checks the spec for the honest client: 200 within [`HONEST_DEADLINE`], and the
    /// event is stored (read back through the Web API).
    pub(crate) fn check_served(&self, checks: &mut Checks, server: &ServerProcess) {
        report(checks.attack, &format!("honest SDK: {}", self.describe()));
        let answered_in_time = self
            .request()
            .is_some_and(|r| r.status == Some(200) && r.elapsed < HONEST_DEADLINE);
        let ok = checks.check(answered_in_time, || {
            format!(
                "the honest SDK was not answered 200 within {HONEST_DEADLINE:?}: {}",
                self.describe()
            )
        });
        if ok && let Some(id) = self.event_id {
            let stored = server.stored().event(id).is_some();
            checks.check(stored, || {
                format!("the honest SDK's event {id} was answered 200 but is not stored")
            });
        }
    }
}

/// The honest SDK, running.
#[derive(Debug)]
pub(crate) struct HonestSdk {
    child: Child,
    label: String,
}

impl HonestSdk {
    /// Starts `honest_sdk.py` against `server` (it imports the SDK, then sends at once).
    pub(crate) fn start(server: &ServerProcess, label: &str) -> Self {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/hostile/honest_sdk.py");
        let python = python();
        let child = Command::new(&python)
            .arg(&script)
            .arg(label)
            .env("DSN", server.dsn())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("running {}: {e}", python.display()));
        Self {
            child,
            label: label.to_owned(),
        }
    }

    /// Waits (at most 45 s, then kills it) and reads what the SDK did.
    pub(crate) fn finish(mut self) -> HonestResult {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break Some(status);
            }
            if start.elapsed() > Duration::from_secs(45) {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut stdout = String::new();
        let mut stderr = String::new();
        if let Some(mut out) = self.child.stdout.take() {
            let _ = out.read_to_string(&mut stdout);
        }
        if let Some(mut err) = self.child.stderr.take() {
            let _ = err.read_to_string(&mut stderr);
        }
        let failed = |why: String| HonestResult {
            event_id: None,
            requests: Vec::new(),
            disabled: Vec::new(),
            failure: Some(format!("{} ({why}): {stdout}\n{stderr}", self.label)),
        };
        let Some(status) = status else {
            return failed("killed after 45 s".into());
        };
        if !status.success() {
            return failed(format!("exited {status}"));
        }
        let Some(line) = stdout.lines().rev().find(|l| l.starts_with('{')) else {
            return failed("no JSON line".into());
        };
        let v: Value = serde_json::from_str(line).expect("the SDK script's JSON line");
        let requests = v["requests"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| SdkRequest {
                status: r["status"].as_u64().and_then(|s| u16::try_from(s).ok()),
                elapsed: Duration::from_secs_f64(r["elapsed_ms"].as_f64().unwrap_or(0.0) / 1e3),
                rate_limits: r["rate_limits"].as_str().map(str::to_owned),
                retry_after: r["retry_after"].as_str().map(str::to_owned),
                error: r["error"].as_str().map(str::to_owned),
            })
            .collect();
        HonestResult {
            event_id: v["event_id"].as_str().and_then(|s| Uuid::try_parse(s).ok()),
            requests,
            disabled: v["disabled"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect(),
            failure: None,
        }
    }
}

/// Samples a process's `VmRSS` every 20 ms on a thread until stopped.
#[derive(Debug)]
pub(crate) struct RssSampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    baseline_kib: u64,
    thread: Option<JoinHandle<()>>,
}

/// What the sampler saw, in KiB.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rss {
    pub(crate) baseline_kib: u64,
    pub(crate) peak_kib: u64,
}

impl Rss {
    pub(crate) fn growth_mib(self) -> u64 {
        self.peak_kib.saturating_sub(self.baseline_kib) / 1024
    }

    pub(crate) fn peak_mib(self) -> u64 {
        self.peak_kib / 1024
    }

    pub(crate) fn describe(self) -> String {
        format!(
            "RSS before {} MiB, peak {} MiB (growth {} MiB)",
            self.baseline_kib / 1024,
            self.peak_mib(),
            self.growth_mib()
        )
    }
}

/// `VmRSS` of `pid` in KiB (0 once the process is gone).
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

impl RssSampler {
    pub(crate) fn start(pid: u32) -> Self {
        let baseline_kib = rss_kib(pid);
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(baseline_kib));
        let thread = {
            let (stop, peak) = (stop.clone(), peak.clone());
            std::thread::spawn(move || {
                // Bounded: an attack never lasts 10 minutes.
                let start = Instant::now();
                while !stop.load(Ordering::Relaxed) && start.elapsed() < Duration::from_secs(600) {
                    peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(20));
                }
            })
        };
        Self {
            stop,
            peak,
            baseline_kib,
            thread: Some(thread),
        }
    }

    pub(crate) fn stop(mut self) -> Rss {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        Rss {
            baseline_kib: self.baseline_kib,
            peak_kib: self.peak.load(Ordering::Relaxed),
        }
    }
}

/// How many sockets the process holds open (`/proc/{pid}/fd` links to `socket:`).
pub(crate) fn open_sockets(pid: u32) -> usize {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return 0;
    };
    dir.filter_map(Result::ok)
        .filter(|fd| {
            std::fs::read_link(fd.path())
                .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"))
        })
        .count()
}

/// A client with short timeouts for probes (a probe slower than this has failed anyway).
fn probe_agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::config::Config::builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(3)))
            .build(),
    )
}

/// GETs `url` with `headers`, timing it; a transport failure is `None`.
pub(crate) fn timed_get(url: &str, headers: &[(&str, &str)]) -> (Option<u16>, Duration) {
    let start = Instant::now();
    let mut request = probe_agent().get(url);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let status = request.call().ok().map(|r| r.status().as_u16());
    (status, start.elapsed())
}

/// The first project's path in the Web API (the bootstrap names them `errata`/`default`).
pub(crate) const PROJECT_PATH: &str = "/api/0/projects/errata/default";

/// A Web API `GET` with the server's Bearer token; any status is an answer.
pub(crate) fn api(server: &ServerProcess, path: &str) -> Reply {
    crate::harness::get_with(
        &server.url(path),
        &[("Authorization", &format!("Bearer {}", server.token()))],
    )
}

/// The head of an envelope POST to the first project with `key`, without a body.
pub(crate) fn envelope_head(server: &ServerProcess, key: &str, extra: &str) -> String {
    format!(
        "POST /api/{}/envelope/ HTTP/1.1\r\nHost: {}\r\n\
         X-Sentry-Auth: Sentry sentry_key={key}, sentry_version=7, sentry_client=hostile/1.0\r\n\
         Content-Type: application/x-sentry-envelope\r\n{extra}\r\n",
        server.project_id, server.addr
    )
}

/// How a slow connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    /// Still open when the attacker gave up.
    Open,
    /// The server answered with this status.
    Answered(u16, Duration),
    /// The server closed (or reset) it without an answer.
    Closed(Duration),
}

impl Fate {
    pub(crate) fn at(self) -> Option<Duration> {
        match self {
            Self::Open => None,
            Self::Answered(_, at) | Self::Closed(at) => Some(at),
        }
    }
}

/// Connections that send `trickle` one byte per second after an opening burst.
#[derive(Debug)]
pub(crate) struct SlowClients {
    conns: Vec<SlowConn>,
    trickle: Vec<u8>,
    started: Instant,
}

#[derive(Debug)]
struct SlowConn {
    stream: Option<TcpStream>,
    read: Vec<u8>,
    sent: usize,
    fate: Fate,
}

/// The status code of an HTTP answer's first line, once it is complete.
fn status_of(read: &[u8]) -> Option<u16> {
    let end = read.windows(2).position(|w| w == b"\r\n")?;
    let line = String::from_utf8_lossy(&read[..end]);
    line.split(' ').nth(1)?.parse().ok()
}

impl SlowClients {
    /// Opens `n` connections to `addr` and sends `opening` on each.
    pub(crate) fn open(n: usize, addr: SocketAddr, opening: &[u8], trickle: &[u8]) -> Self {
        let started = Instant::now();
        let conns = (0..n)
            .map(|i| {
                let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(10))
                    .unwrap_or_else(|e| panic!("connection {i}: {e}"));
                stream.set_nodelay(true).unwrap();
                let fate = match stream.write_all(opening) {
                    Ok(()) => Fate::Open,
                    Err(_) => Fate::Closed(started.elapsed()),
                };
                stream.set_nonblocking(true).unwrap();
                SlowConn {
                    stream: Some(stream),
                    read: Vec::new(),
                    sent: 0,
                    fate,
                }
            })
            .collect();
        Self {
            conns,
            trickle: trickle.to_vec(),
            started,
        }
    }

    /// Trickles one byte per second on every open connection and watches for answers,
    /// until every connection is answered or closed, or `give_up` after the start.
    pub(crate) fn run(mut self, give_up: Duration) -> Vec<Fate> {
        let mut next_byte = Instant::now() + Duration::from_secs(1);
        while self.started.elapsed() < give_up {
            let now = self.started.elapsed();
            let write = Instant::now() >= next_byte;
            if write {
                next_byte += Duration::from_secs(1);
            }
            for conn in &mut self.conns {
                if conn.fate != Fate::Open {
                    continue;
                }
                let Some(stream) = conn.stream.as_mut() else {
                    continue;
                };
                let mut buf = [0u8; 4096];
                match stream.read(&mut buf) {
                    Ok(0) => {
                        conn.fate = status_of(&conn.read)
                            .map_or(Fate::Closed(now), |s| Fate::Answered(s, now));
                    }
                    Ok(n) => {
                        conn.read.extend_from_slice(&buf[..n]);
                        if let Some(status) = status_of(&conn.read) {
                            conn.fate = Fate::Answered(status, now);
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        if write && conn.sent < self.trickle.len() {
                            let byte = [self.trickle[conn.sent]];
                            match stream.write(&byte) {
                                Ok(_) => conn.sent += 1,
                                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                                Err(_) => conn.fate = Fate::Closed(now),
                            }
                        }
                    }
                    Err(_) => conn.fate = Fate::Closed(now),
                }
                if conn.fate != Fate::Open {
                    conn.stream = None;
                }
            }
            if self.conns.iter().all(|c| c.fate != Fate::Open) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.conns.iter().map(|c| c.fate).collect()
    }
}

/// `n answered (statuses), n closed, n still open; first/last end at`.
pub(crate) fn summarize(fates: &[Fate]) -> String {
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    let mut closed = 0;
    let mut open = 0;
    for fate in fates {
        match fate {
            Fate::Answered(s, _) => *statuses.entry(*s).or_default() += 1,
            Fate::Closed(_) => closed += 1,
            Fate::Open => open += 1,
        }
    }
    let ends: Vec<Duration> = fates.iter().filter_map(|f| f.at()).collect();
    let first = ends.iter().min().map_or(-1.0, Duration::as_secs_f64);
    let last = ends.iter().max().map_or(-1.0, Duration::as_secs_f64);
    format!(
        "{} connections: answered {statuses:?}, closed without answer {closed}, still open \
         {open}; ended between {first:.1} s and {last:.1} s",
        fates.len()
    )
}

/// Writes a complete request on a fresh connection and reads the whole answer (with
/// `Content-Length`), leaving the connection open; `None` if the server closed it.
pub(crate) fn request_on(stream: &mut TcpStream, request: &[u8]) -> Option<u16> {
    stream.write_all(request).ok()?;
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
        let Some(start) = data
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|p| p + 4)
        else {
            continue;
        };
        let head = String::from_utf8_lossy(&data[..start]).to_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        if data.len() >= start + length {
            return status_of(&data);
        }
    }
}

/// POSTs `body` with `headers`, waiting at most `within` for the answer (an attack must
/// end even when the server never answers); a transport failure or timeout is an `Err`.
pub(crate) fn post_within(
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    within: Duration,
) -> Result<Reply, String> {
    let agent = ureq::Agent::new_with_config(
        ureq::config::Config::builder()
            .http_status_as_error(false)
            .timeout_send_request(Some(within))
            .timeout_send_body(Some(within))
            .timeout_recv_response(Some(within))
            .timeout_recv_body(Some(within))
            .build(),
    );
    crate::harness::try_post(&agent, url, headers, body).map_err(|e| e.to_string())
}
