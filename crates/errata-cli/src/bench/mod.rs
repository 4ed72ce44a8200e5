//! `errata bench ingest`: a load generator for the ingest endpoint. It sends envelopes
//! shaped like the official SDKs' (the event items of the captured SDK corpus, with fresh
//! event ids, spread over `--groups` issues by varying the exception type or the message)
//! from `--concurrency` workers with keep-alive connections, closed-loop or at a fixed
//! `--rate`, and reports accepted events/s, processed events/s (until every accepted
//! event is visible through the Web API, or counted in the store), p50/p99 response
//! times, the server's memory and CPU (from `/proc/PID`) and the bytes on disk per event
//! against the raw event JSON.
//!
//! A benchmark, not a test: it measures whatever machine it runs on. Workers are OS
//! threads with blocking `ureq` clients: a bounded set, one connection each.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use clap::Subcommand;
use errata_protocol::dsn::Dsn;
use errata_protocol::envelope::{Envelope, ItemType};
use errata_store::{IssueFilter, IssueQuery, ProjectId, Store as _};
use errata_store_sqlite::SqliteStore;
use serde_json::{Value, json};

#[derive(Debug, Subcommand)]
pub(crate) enum BenchCommand {
    /// Load the ingest endpoint with SDK-shaped events and report throughput and latency.
    Ingest(IngestArgs),
    /// Fill a data dir (server stopped) with N issues and M realistic events, through the
    /// server's processing and the store.
    Fill(crate::fill::FillArgs),
    /// Measure the web UI's pages over HTTP: latency percentiles, HTML size, requests.
    Ui(crate::ui_bench::UiArgs),
    /// Measure alert latency (from sending the event that opens an issue to the Slack
    /// message arriving at a local receiver) under background load.
    Alerts(crate::alert_bench::AlertArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct IngestArgs {
    /// The DSN to send to.
    #[arg(long, env = "SENTRY_DSN")]
    dsn: String,
    /// Concurrent connections (one worker thread each).
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// How long to send, in seconds.
    #[arg(long, default_value_t = 20.0)]
    duration: f64,
    /// Send at this many events/s in total (open loop; latency counts from the scheduled
    /// send time) instead of as fast as the server answers.
    #[arg(long)]
    rate: Option<f64>,
    /// The server's data dir: enables bytes on disk per event (and processed events/s,
    /// read from the store, when no --token is given).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// A Web API token (`errata token create`): processed events/s counts the events
    /// visible through the API (the sum of the project's issue counts).
    #[arg(long, env = "ERRATA_TOKEN")]
    token: Option<String>,
    /// The server's process id: enables its RSS and CPU figures (Linux `/proc`).
    #[arg(long)]
    server_pid: Option<u32>,
    /// The captured SDK requests to take events from.
    #[arg(long, env = "ERRATA_CORPUS", default_value = "../shared/sdk-corpus")]
    corpus: PathBuf,
    /// How many distinct issues the events spread over.
    #[arg(long, default_value_t = 200)]
    groups: usize,
    /// Gzip every body (as the Python SDK does) instead of sending it as is.
    #[arg(long)]
    gzip: bool,
    /// Also list when answers slower than this many milliseconds happened (per half
    /// second of the run), to tell stalls from a steady tail.
    #[arg(long)]
    slow_ms: Option<u64>,
}

pub(crate) fn run(config: &errata_server::Config, command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Ingest(args) => ingest(&args),
        BenchCommand::Fill(args) => crate::fill::run(config, &args),
        BenchCommand::Ui(args) => crate::ui_bench::run(&args),
        BenchCommand::Alerts(args) => crate::alert_bench::run(&args),
    }
}

/// A placeholder event id, overwritten in place for every request.
const PLACEHOLDER: &[u8; 32] = b"beefbeefbeefbeefbeefbeefbeefbeef";

/// One ready envelope with the byte offsets of its event id.
#[derive(Debug)]
pub(crate) struct Prepared {
    body: Vec<u8>,
    id_offsets: Vec<usize>,
    raw_json: usize,
}

impl Prepared {
    fn instantiate(&self, id: &uuid::Uuid) -> Vec<u8> {
        let mut body = self.body.clone();
        let mut hex = [0u8; 32];
        id.simple().encode_lower(&mut hex);
        for &at in &self.id_offsets {
            body[at..at + 32].copy_from_slice(&hex);
        }
        body
    }
}

/// The event payloads of the corpus (every SDK, every scenario), in a stable order.
pub(crate) fn load_events(corpus: &Path) -> anyhow::Result<Vec<(String, Value)>> {
    let mut requests = Vec::new();
    for sdk in sorted(corpus)?.into_iter().filter(|p| p.is_dir()) {
        for scenario in sorted(&sdk)?.into_iter().filter(|p| p.is_dir()) {
            for meta in sorted(&scenario)? {
                if meta.extension().is_some_and(|e| e == "json") {
                    requests.push(meta);
                }
            }
        }
    }
    let mut events = Vec::new();
    for meta_path in requests {
        let meta: Value = serde_json::from_slice(&std::fs::read(&meta_path)?)
            .with_context(|| format!("reading {}", meta_path.display()))?;
        let encoding = meta["headers"].as_array().and_then(|headers| {
            headers.iter().find_map(|h| {
                let name = h.get(0)?.as_str()?;
                name.eq_ignore_ascii_case("content-encoding")
                    .then(|| h.get(1)?.as_str().map(str::to_owned))?
            })
        });
        let body = std::fs::read(meta_path.with_extension("body"))?;
        let decoded = errata_protocol::encoding::decode(&body, encoding.as_deref(), 64 << 20)
            .with_context(|| format!("decoding {}", meta_path.display()))?
            .into_owned();
        let Ok(envelope) = Envelope::parse(decoded) else {
            continue;
        };
        for item in envelope.items() {
            if *item.ty() == ItemType::Event
                && let Ok(event) = serde_json::from_slice::<Value>(item.payload())
            {
                events.push((meta_path.display().to_string(), event));
            }
        }
    }
    if events.is_empty() {
        bail!(
            "no events found in the corpus at {} (pass --corpus DIR)",
            corpus.display()
        );
    }
    Ok(events)
}

fn sorted(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    Ok(entries)
}

/// Base-26 letters: group names that survive message parameterization (digits do not).
fn letters(mut n: usize) -> String {
    let mut out = String::new();
    loop {
        out.push(char::from(b'a' + (n % 26) as u8));
        n /= 26;
        if n == 0 {
            return out;
        }
    }
}

/// One envelope per group: group `g` takes event `g % events`, renamed by `g`.
pub(crate) fn prepare(events: &[(String, Value)], groups: usize) -> anyhow::Result<Vec<Prepared>> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    let placeholder = std::str::from_utf8(PLACEHOLDER)?;
    (0..groups)
        .map(|g| {
            let (_, template) = &events[g % events.len()];
            let mut event = template.clone();
            let suffix = letters(g);
            event["event_id"] = json!(placeholder);
            event["timestamp"] = json!(now);
            let exception = event
                .pointer_mut("/exception/values")
                .and_then(Value::as_array_mut)
                .and_then(|values| values.last_mut());
            if let Some(exception) = exception {
                let ty = exception["type"].as_str().unwrap_or("Error");
                exception["type"] = json!(format!("{ty}Bench{}", suffix.to_uppercase()));
            } else {
                let text = event
                    .pointer("/logentry/message")
                    .or_else(|| event.pointer("/message"))
                    .and_then(Value::as_str)
                    .unwrap_or("bench message")
                    .to_owned();
                if let Some(obj) = event.as_object_mut() {
                    obj.remove("logentry");
                    obj.remove("fingerprint");
                }
                event["message"] = json!(format!("{text} (bench group {suffix})"));
            }
            let payload = serde_json::to_vec(&event)?;
            let mut body = Vec::with_capacity(payload.len() + 200);
            body.extend_from_slice(json!({ "event_id": placeholder }).to_string().as_bytes());
            body.push(b'\n');
            body.extend_from_slice(
                json!({ "type": "event", "content_type": "application/json", "length": payload.len() })
                    .to_string()
                    .as_bytes(),
            );
            body.push(b'\n');
            body.extend_from_slice(&payload);
            body.push(b'\n');
            let id_offsets = body
                .windows(PLACEHOLDER.len())
                .enumerate()
                .filter(|(_, w)| *w == PLACEHOLDER)
                .map(|(i, _)| i)
                .collect();
            Ok(Prepared {
                body,
                id_offsets,
                raw_json: payload.len(),
            })
        })
        .collect()
}

/// What one worker saw.
#[derive(Debug, Default)]
pub(crate) struct WorkerStats {
    latencies_us: Vec<u32>,
    pub(crate) accepted: u64,
    accepted_json_bytes: u64,
    statuses: std::collections::BTreeMap<u16, u64>,
    transport_errors: u64,
    last_error: Option<String>,
    /// `(ms since the start, latency ms)` of answers slower than `--slow-ms`.
    slow: Vec<(u64, u64)>,
}

fn gzip_bytes(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 4),
        flate2::Compression::fast(),
    );
    let _ = encoder.write_all(data);
    encoder.finish().unwrap_or_default()
}

/// A small xorshift generator: the mix of groups, not cryptography.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

pub(crate) struct Target {
    pub(crate) url: String,
    pub(crate) auth: String,
    pub(crate) gzip: bool,
}

#[allow(clippy::too_many_arguments, reason = "one worker's whole setup")]
pub(crate) fn worker(
    target: &Target,
    prepared: &[Prepared],
    seed: u64,
    start: Instant,
    end: Instant,
    interval: Option<Duration>,
    offset: Duration,
    slow_ms: Option<u64>,
) -> WorkerStats {
    let agent = ureq::Agent::new_with_config(
        ureq::config::Config::builder()
            .http_status_as_error(false)
            // Per-phase timeouts, not a global one: with a global timeout ureq resolves
            // the host on a new thread for every request, which costs the client more
            // than the request.
            .timeout_send_request(Some(Duration::from_secs(30)))
            .timeout_send_body(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(30)))
            .timeout_recv_body(Some(Duration::from_secs(30)))
            .build(),
    );
    let mut rng = Rng(seed | 1);
    let mut tally = WorkerStats::default();
    let mut scheduled = start + offset;
    loop {
        if interval.is_some() {
            let now = Instant::now();
            if scheduled > now {
                std::thread::sleep(scheduled - now);
            }
        }
        let began = Instant::now();
        if began >= end {
            break;
        }
        let group = &prepared[(rng.next() % prepared.len() as u64) as usize];
        let id = uuid::Uuid::new_v4();
        let body = group.instantiate(&id);
        let mut request = agent
            .post(&target.url)
            .header("X-Sentry-Auth", &target.auth)
            .header("Content-Type", "application/x-sentry-envelope");
        let body = if target.gzip {
            request = request.header("Content-Encoding", "gzip");
            gzip_bytes(&body)
        } else {
            body
        };
        let result = request.send(&body[..]);
        // Open loop: the wait counts from when the request should have left.
        let from = if interval.is_some() { scheduled } else { began };
        let elapsed = from.elapsed();
        match result {
            Ok(response) => {
                let status = response.status().as_u16();
                let _ = response.into_body().read_to_vec();
                tally
                    .latencies_us
                    .push(elapsed.as_micros().min(u128::from(u32::MAX)) as u32);
                let millis = elapsed.as_millis() as u64;
                if slow_ms.is_some_and(|slow| millis > slow) {
                    tally.slow.push(((from - start).as_millis() as u64, millis));
                }
                *tally.statuses.entry(status).or_default() += 1;
                if status == 200 {
                    tally.accepted += 1;
                    tally.accepted_json_bytes += group.raw_json as u64;
                }
            }
            Err(e) => {
                tally.transport_errors += 1;
                tally.last_error = Some(e.to_string());
            }
        }
        if let Some(interval) = interval {
            scheduled += interval;
        }
    }
    tally
}

/// `VmRSS`, `VmHWM` (KiB) and CPU seconds (user + system) of a process.
fn process_stats(pid: u32) -> Option<(u64, u64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start at field 3.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // Linux reports CPU time in USER_HZ, 100 on every mainstream configuration.
    Some((field("VmRSS:")?, field("VmHWM:")?, ticks / 100.0))
}

/// Where processed events are counted: the Web API, or the store in the data dir.
enum Counter<'a> {
    Api {
        agent: ureq::Agent,
        base: String,
        token: String,
        /// `/api/0/projects/{org}/{project}`.
        project_path: String,
    },
    Store(&'a SqliteStore, ProjectId),
}

impl Counter<'_> {
    /// Finds the DSN's project through the API.
    fn api(dsn: &Dsn, token: &str) -> anyhow::Result<Self> {
        let agent = ureq::Agent::new_with_config(
            ureq::config::Config::builder()
                .timeout_global(Some(Duration::from_secs(30)))
                .build(),
        );
        let base = format!(
            "{}://{}:{}",
            dsn.scheme().as_str(),
            dsn.host(),
            dsn.effective_port()
        );
        let mut counter = Counter::Api {
            agent,
            base,
            token: token.to_owned(),
            project_path: String::new(),
        };
        let organizations = counter.get("/api/0/organizations/")?.0;
        for org in organizations.as_array().into_iter().flatten() {
            let slug = org["slug"].as_str().unwrap_or_default();
            let projects = counter
                .get(&format!("/api/0/organizations/{slug}/projects/"))?
                .0;
            let wanted = dsn.project_id().to_string();
            let found = projects.as_array().into_iter().flatten().find(|p| {
                p["id"].as_str() == Some(wanted.as_str())
                    || p["id"].as_u64() == Some(dsn.project_id())
            });
            if let Some(project) = found {
                let path = format!(
                    "/api/0/projects/{slug}/{}",
                    project["slug"].as_str().unwrap_or_default()
                );
                if let Counter::Api { project_path, .. } = &mut counter {
                    *project_path = path;
                }
                return Ok(counter);
            }
        }
        bail!(
            "project {} is not visible through the API",
            dsn.project_id()
        )
    }

    /// GETs an API path: the JSON body and the next page's cursor.
    fn get(&self, path: &str) -> anyhow::Result<(Value, Option<String>)> {
        let Counter::Api {
            agent, base, token, ..
        } = self
        else {
            bail!("not an API counter");
        };
        let url = format!("{base}{path}");
        let response = agent
            .get(&url)
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .with_context(|| format!("GET {url}"))?;
        let next = response
            .headers()
            .get("link")
            .and_then(|v| v.to_str().ok())
            .and_then(|link| {
                let next = link.split(", <").find(|p| p.contains("rel=\"next\""))?;
                next.contains("results=\"true\"")
                    .then(|| next.split("cursor=\"").nth(1)?.split('"').next())?
                    .map(str::to_owned)
            });
        let body = serde_json::from_slice(&response.into_body().read_to_vec()?)?;
        Ok((body, next))
    }

    /// Events stored for the project: the sum of its issues' counts.
    fn count(&self) -> anyhow::Result<u64> {
        match self {
            Counter::Store(store, project) => stored_events(store, *project),
            Counter::Api { project_path, .. } => {
                let mut total = 0;
                let mut cursor: Option<String> = None;
                loop {
                    let path = match &cursor {
                        Some(c) => format!("{project_path}/issues/?query=&limit=100&cursor={c}"),
                        None => format!("{project_path}/issues/?query=&limit=100"),
                    };
                    let (issues, next) = self.get(&path)?;
                    total += issues
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|i| {
                            i["count"]
                                .as_str()
                                .and_then(|c| c.parse::<u64>().ok())
                                .or_else(|| i["count"].as_u64())
                                .unwrap_or(0)
                        })
                        .sum::<u64>();
                    match next {
                        Some(next) => cursor = Some(next),
                        None => return Ok(total),
                    }
                }
            }
        }
    }

    fn describe(&self) -> &'static str {
        match self {
            Counter::Api { .. } => "visible through the API",
            Counter::Store(..) => "stored (read from the data dir)",
        }
    }
}

/// Events stored for the project (the sum of its issues' counters), read from the data dir.
fn stored_events(store: &SqliteStore, project: ProjectId) -> anyhow::Result<u64> {
    let mut total = 0;
    let mut cursor = None;
    loop {
        let page = store.issues(&IssueQuery {
            project_id: Some(project),
            sort: errata_store::IssueSort::LastSeen,
            filter: IssueFilter::default(),
            cursor: cursor.take(),
            limit: errata_store::MAX_PAGE,
        })?;
        total += page.items.iter().map(|i| i.times_seen).sum::<u64>();
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(total),
        }
    }
}

pub(crate) fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let last = sorted.len() - 1;
    let rank = ((p / 100.0).clamp(0.0, 1.0) * last as f64).round();
    #[allow(clippy::cast_sign_loss, reason = "rank is within 0..=last")]
    let rank = rank as usize;
    f64::from(sorted[rank.min(last)]) / 1000.0
}

#[allow(clippy::too_many_lines, reason = "one linear report")]
fn ingest(args: &IngestArgs) -> anyhow::Result<()> {
    let dsn: Dsn = args.dsn.parse().context("parsing the DSN")?;
    if args.concurrency == 0 || args.groups == 0 || args.duration <= 0.0 {
        bail!("--concurrency, --groups and --duration must be positive");
    }
    let events = load_events(&args.corpus)?;
    let prepared = prepare(&events, args.groups)?;
    let target = Target {
        url: dsn.envelope_url(),
        auth: format!(
            "Sentry sentry_key={}, sentry_version=7, sentry_client=errata-bench/{}",
            dsn.public_key(),
            env!("CARGO_PKG_VERSION")
        ),
        gzip: args.gzip,
    };
    let project = ProjectId(i64::try_from(dsn.project_id()).context("project id")?);
    let store = match &args.data_dir {
        Some(dir) => Some(SqliteStore::open(dir).context("opening the server's data dir")?),
        None => None,
    };
    let baseline_disk = match &store {
        Some(store) => {
            store.checkpoint().context("checkpointing before the run")?;
            store.disk_usage()
        }
        None => 0,
    };
    let counter = match (&args.token, &store) {
        (Some(token), _) => Some(Counter::api(&dsn, token)?),
        (None, Some(store)) => Some(Counter::Store(store, project)),
        (None, None) => None,
    };
    let baseline_events = match &counter {
        Some(counter) => counter.count()?,
        None => 0,
    };
    let idle = args.server_pid.and_then(process_stats);

    #[allow(clippy::print_stdout, reason = "the command's output")]
    {
        let mean_json = prepared.iter().map(|p| p.raw_json).sum::<usize>() / prepared.len().max(1);
        println!(
            "errata bench ingest: {} events from the corpus over {} groups (mean event JSON {mean_json} B), {} connections, {} s, {}{}",
            events.len(),
            prepared.len(),
            args.concurrency,
            args.duration,
            args.rate
                .map_or_else(|| "closed loop".to_owned(), |r| format!("{r} events/s")),
            if args.gzip { ", gzip" } else { "" },
        );
    }

    // Sample the server's RSS while the load runs (VmHWM covers its whole life).
    let sampling = Arc::new(AtomicBool::new(true));
    let peak_rss = Arc::new(AtomicU64::new(0));
    let sampler = args.server_pid.map(|pid| {
        let (sampling, peak) = (sampling.clone(), peak_rss.clone());
        std::thread::spawn(move || {
            while sampling.load(Ordering::Relaxed) {
                if let Some((rss, _, _)) = process_stats(pid) {
                    peak.fetch_max(rss, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    });

    let interval = args
        .rate
        .map(|rate| Duration::from_secs_f64(args.concurrency as f64 / rate.max(1e-3)));
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(args.duration);
    let seed = uuid::Uuid::new_v4().as_u64_pair().0;
    let stats: Vec<WorkerStats> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..args.concurrency)
            .map(|i| {
                let (target, prepared) = (&target, &prepared);
                let offset = interval.map_or(Duration::ZERO, |iv| {
                    iv.mul_f64(i as f64 / args.concurrency as f64)
                });
                scope.spawn(move || {
                    worker(
                        target,
                        prepared,
                        seed.wrapping_add(i as u64 * 0x9E37_79B9),
                        start,
                        end,
                        interval,
                        offset,
                        args.slow_ms,
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let sent_elapsed = start.elapsed();

    let accepted: u64 = stats.iter().map(|s| s.accepted).sum();
    let json_bytes: u64 = stats.iter().map(|s| s.accepted_json_bytes).sum();
    let mut statuses = std::collections::BTreeMap::new();
    for s in &stats {
        for (status, n) in &s.statuses {
            *statuses.entry(*status).or_insert(0u64) += n;
        }
    }
    let transport_errors: u64 = stats.iter().map(|s| s.transport_errors).sum();
    let mut latencies: Vec<u32> = stats
        .iter()
        .flat_map(|s| s.latencies_us.iter().copied())
        .collect();
    latencies.sort_unstable();

    // Processed: every accepted event counted through the API (or in the store).
    let processed = match &counter {
        Some(counter) => {
            let deadline = Instant::now() + Duration::from_secs(300);
            loop {
                let now_stored = counter.count()?.saturating_sub(baseline_events);
                if now_stored >= accepted {
                    break Some((now_stored, start.elapsed()));
                }
                if Instant::now() > deadline {
                    bail!(
                        "only {now_stored} of {accepted} accepted events were stored after 300 s"
                    );
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        None => None,
    };
    sampling.store(false, Ordering::Relaxed);
    if let Some(sampler) = sampler {
        let _ = sampler.join();
    }
    let after = args.server_pid.and_then(process_stats);
    let disk = match &store {
        Some(store) => {
            store.checkpoint().context("checkpointing after the run")?;
            Some(store.disk_usage().saturating_sub(baseline_disk))
        }
        None => None,
    };

    #[allow(clippy::print_stdout, reason = "the command's output")]
    {
        let secs = sent_elapsed.as_secs_f64();
        let total: u64 = statuses.values().sum();
        println!(
            "requests:     {total} answered, statuses {statuses:?}, {transport_errors} transport errors"
        );
        if let Some(e) = stats.iter().find_map(|s| s.last_error.as_ref()) {
            println!("last error:   {e}");
        }
        println!(
            "accepted:     {accepted} events in {secs:.2} s = {:.0} events/s",
            accepted as f64 / secs
        );
        if let Some(slow_ms) = args.slow_ms {
            let mut windows: std::collections::BTreeMap<u64, (u64, u64)> =
                std::collections::BTreeMap::new();
            for (at, millis) in stats.iter().flat_map(|s| s.slow.iter()) {
                let window = windows.entry(at / 500).or_default();
                window.0 += 1;
                window.1 = window.1.max(*millis);
            }
            println!("slow (> {slow_ms} ms) answers by when they were sent:");
            for (window, (count, max)) in windows.iter().take(60) {
                println!("  {:6.1} s: {count:6} (max {max} ms)", *window as f64 / 2.0);
            }
        }
        match processed {
            Some((n, at)) => println!(
                "processed:    {n} events {} {:.2} s after the start = {:.0} events/s",
                counter.as_ref().map_or("", Counter::describe),
                at.as_secs_f64(),
                n as f64 / at.as_secs_f64()
            ),
            None => println!("processed:    n/a (pass --token or --data-dir)"),
        }
        println!(
            "latency:      p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({})",
            percentile(&latencies, 50.0),
            percentile(&latencies, 90.0),
            percentile(&latencies, 99.0),
            percentile(&latencies, 100.0),
            if args.rate.is_some() {
                "from the scheduled send time"
            } else {
                "closed loop"
            }
        );
        match (idle, after) {
            (Some((idle_rss, _, cpu0)), Some((rss, hwm, cpu1))) => println!(
                "server:       RSS {:.1} MiB before, peak sampled {:.1} MiB, VmHWM {:.1} MiB (since start), {:.1} MiB after; CPU {:.1} s = {:.2} cores",
                idle_rss as f64 / 1024.0,
                peak_rss.load(Ordering::Relaxed) as f64 / 1024.0,
                hwm as f64 / 1024.0,
                rss as f64 / 1024.0,
                cpu1 - cpu0,
                (cpu1 - cpu0) / secs
            ),
            _ => println!("server:       n/a (pass --server-pid)"),
        }
        match disk {
            Some(disk) if accepted > 0 => println!(
                "disk:         {:.0} B per event on disk vs {:.0} B of raw event JSON = {:.1}%",
                disk as f64 / accepted as f64,
                json_bytes as f64 / accepted as f64,
                100.0 * disk as f64 / json_bytes.max(1) as f64
            ),
            _ => println!("disk:         n/a (pass --data-dir)"),
        }
    }
    Ok(())
}
