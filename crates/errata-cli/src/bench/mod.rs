//! `errata bench ingest`: a load generator for the ingest endpoint. It sends envelopes
//! shaped like the official SDKs' (the event items of the captured SDK corpus, with fresh
//! event ids, spread over `--groups` issues by varying the exception type or the message)
//! from `--concurrency` workers with keep-alive connections, spread round-robin over one
//! or more nodes (the DSN's, plus every `--target`), closed-loop or at a fixed `--rate`,
//! and reports accepted events/s, processed events/s (until every accepted event is
//! visible through the Web API, or counted in the store), p50/p99 response times, the
//! nodes' memory and CPU and `PostgreSQL`'s CPU (from `/proc`), and the bytes the store
//! grew per event against the raw event JSON, with the events table's and its indexes'
//! share. The store is opened through `crate::database` (`--database-url`, or `SQLite` in
//! `--data-dir`), so this file names no backend. With `--baseline` the same load first goes
//! to a trivial responder in this process (`baseline.rs`), and the report gives Errata's
//! rate as a share of it.
//!
//! A benchmark, not a test: it measures whatever machine it runs on. Workers are OS
//! threads with blocking `ureq` clients: a bounded set, one connection each. The parts:
//! `corpus` (the envelopes), `load` (the workers), `counter` (processed events), `cpu`
//! (`/proc`), `report` (the printed report and its JSON summary).

mod baseline;
mod corpus;
mod counter;
mod cpu;
mod load;
mod report;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Subcommand;
use errata_protocol::dsn::Dsn;
use errata_server::Config;
use errata_server::config::Secret;
use errata_store::{ProjectId, Store};

pub(crate) use corpus::{load_events, prepare};
pub(crate) use load::{StartLine, Target, percentile, worker};

use counter::Counter;
use cpu::{CpuSnapshot, CpuSplit, PeakRss};
use load::WorkerStats;
use report::Report;

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
    /// The DSN to send to (its node is the first target).
    #[arg(long, env = "SENTRY_DSN")]
    dsn: String,
    /// Another node of the same installation to send to, as a base URL
    /// (`http://127.0.0.1:9001`; repeatable): workers are spread round-robin over the
    /// DSN's node and these.
    #[arg(long = "target", value_name = "URL")]
    targets: Vec<String>,
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
    /// The servers' database (`sqlite:<dir>` or `postgres://...`, as `errata serve`
    /// takes it): enables bytes stored per event with the events table's share (and
    /// processed events/s read from the store, when no --token is given).
    #[arg(long, value_name = "URL", conflicts_with = "data_dir")]
    database_url: Option<String>,
    /// The server's data dir, for a server on `SQLite` there: the same as
    /// `--database-url sqlite:<dir>`.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// A Web API token (`errata token create`): processed events/s counts the events
    /// visible through the API (the sum of the project's issue counts).
    #[arg(long, env = "ERRATA_TOKEN")]
    token: Option<String>,
    /// A server process id (repeatable, one per node): enables its RSS and CPU figures
    /// (Linux `/proc`).
    #[arg(long = "pid", alias = "server-pid", value_name = "PID")]
    pids: Vec<u32>,
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
    /// Also write the figures as one JSON object to this file (for scripts comparing
    /// setups, such as `scripts/bench-backends`).
    #[arg(long, value_name = "FILE")]
    summary_json: Option<PathBuf>,
    /// First send the same load to a trivial responder in this process (it reads each
    /// body and answers 200), and report Errata's events/s as a share of its rate.
    #[arg(long)]
    baseline: bool,
}

pub(crate) fn run(config: &Config, command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Ingest(args) => ingest(config, &args),
        BenchCommand::Fill(args) => crate::fill::run(config, &args),
        BenchCommand::Ui(args) => crate::ui_bench::run(&args),
        BenchCommand::Alerts(args) => crate::alert_bench::run(&args),
    }
}

/// The servers' store, when `--database-url` or `--data-dir` names it: opened as the
/// server opens it (`crate::database`), with this configuration's pool settings.
fn open_store(config: &Config, args: &IngestArgs) -> anyhow::Result<Option<Arc<dyn Store>>> {
    let database_url = match (&args.database_url, &args.data_dir) {
        (Some(url), _) => url.clone(),
        (None, Some(dir)) => format!("sqlite:{}", dir.display()),
        (None, None) => return Ok(None),
    };
    let config = Config {
        database_url: Some(Secret::new(database_url)),
        ..config.clone()
    };
    crate::database::open_store(&config)
        .context("opening the servers' database")
        .map(Some)
}

/// One target per node: the DSN's, then every `--target` base URL.
fn targets(dsn: &Dsn, extra: &[String], gzip: bool) -> Vec<Target> {
    let auth = format!(
        "Sentry sentry_key={}, sentry_version=7, sentry_client=errata-bench/{}",
        dsn.public_key(),
        env!("CARGO_PKG_VERSION")
    );
    std::iter::once(dsn.envelope_url())
        .chain(extra.iter().map(|base| {
            format!(
                "{}/api/{}/envelope/",
                base.trim_end_matches('/'),
                dsn.project_id()
            )
        }))
        .map(|url| Target {
            url,
            auth: auth.clone(),
            gzip,
        })
        .collect()
}

fn ingest(config: &Config, args: &IngestArgs) -> anyhow::Result<()> {
    let dsn: Dsn = args.dsn.parse().context("parsing the DSN")?;
    if args.concurrency == 0 || args.groups == 0 || args.duration <= 0.0 {
        bail!("--concurrency, --groups and --duration must be positive");
    }
    let events = load_events(&args.corpus)?;
    let prepared = prepare(&events, args.groups)?;
    let targets = targets(&dsn, &args.targets, args.gzip);
    let project = ProjectId(i64::try_from(dsn.project_id()).context("project id")?);
    let store = open_store(config, args)?;
    let storage_before = match &store {
        Some(store) => Some(store.storage_usage().context("measuring the store")?),
        None => None,
    };
    let counter = match (&args.token, &store) {
        (Some(token), _) => Some(Counter::api(&dsn, token)?),
        (None, Some(store)) => Some(Counter::Store(Arc::clone(store), project)),
        (None, None) => None,
    };
    let baseline_events = match &counter {
        Some(counter) => counter.count()?,
        None => 0,
    };

    #[allow(clippy::print_stdout, reason = "the command's output")]
    {
        let mean_json = prepared.iter().map(|p| p.raw_json).sum::<usize>() / prepared.len().max(1);
        println!(
            "errata bench ingest: {} events from the corpus over {} groups (mean event JSON {mean_json} B), {} connections to {} node(s), {} s, {}{}",
            events.len(),
            prepared.len(),
            args.concurrency,
            targets.len(),
            args.duration,
            args.rate
                .map_or_else(|| "closed loop".to_owned(), |r| format!("{r} events/s")),
            if args.gzip { ", gzip" } else { "" },
        );
    }

    let baseline = args
        .baseline
        .then(|| measure_baseline(args, &targets, &prepared, dsn.project_id()))
        .transpose()?;

    let cpu_before = CpuSnapshot::take(&args.pids);
    let peak_rss = PeakRss::start(&args.pids);
    let (stats, start) = run_load(args, &targets, &prepared);
    let sent = start.elapsed();
    let accepted: u64 = stats.iter().map(|s| s.accepted).sum();

    let processed = match &counter {
        Some(counter) => Some(wait_processed(counter, baseline_events, accepted, start)?),
        None => None,
    };
    let peaks = peak_rss.stop();
    let cpu_after = CpuSnapshot::take(&args.pids);
    let storage = match (&store, storage_before) {
        (Some(store), Some(before)) => Some(
            store
                .storage_usage()
                .context("measuring the store after the run")?
                .since(&before),
        ),
        _ => None,
    };

    let report = Report {
        rate: args.rate,
        nodes: targets.len(),
        stats: &stats,
        sent,
        processed,
        counted: counter.as_ref().map(Counter::describe),
        pids: &args.pids,
        idle: &cpu_before.nodes,
        after: &cpu_after.nodes,
        peak_rss_kib: &peaks,
        cpu: CpuSplit::between(&cpu_before, &cpu_after),
        storage,
        slow_ms: args.slow_ms,
    };
    report.print();
    if let Some(baseline) = baseline {
        baseline.print(accepted, sent, processed);
    }
    if let Some(path) = &args.summary_json {
        std::fs::write(path, report.summary().to_string())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// The same load against a trivial responder in this process (`--baseline`).
fn measure_baseline(
    args: &IngestArgs,
    targets: &[Target],
    prepared: &[corpus::Prepared],
    project: u64,
) -> anyhow::Result<baseline::Baseline> {
    let responder = baseline::Responder::start()?;
    let (stats, start) = run_load(args, &responder.targets(targets, project), prepared);
    Ok(baseline::Baseline::of(&stats, start.elapsed()))
}

/// Runs the workers until `--duration` has passed since they all were ready: each worker
/// sends to one target, round-robin. The workers' statistics, and when the load started.
fn run_load(
    args: &IngestArgs,
    targets: &[Target],
    prepared: &[corpus::Prepared],
) -> (Vec<WorkerStats>, Instant) {
    let interval = args
        .rate
        .map(|rate| Duration::from_secs_f64(args.concurrency as f64 / rate.max(1e-3)));
    let line = StartLine::new(args.concurrency, Duration::from_secs_f64(args.duration));
    let line = &line;
    let seed = uuid::Uuid::new_v4().as_u64_pair().0;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..args.concurrency)
            .map(|i| {
                let target = &targets[i % targets.len()];
                let offset = interval.map_or(Duration::ZERO, |iv| {
                    iv.mul_f64(i as f64 / args.concurrency as f64)
                });
                scope.spawn(move || {
                    worker(
                        target,
                        prepared,
                        seed.wrapping_add(i as u64 * 0x9E37_79B9),
                        line,
                        interval,
                        offset,
                        args.slow_ms,
                    )
                })
            })
            .collect();
        let start = line.start();
        let stats = handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect();
        (stats, start)
    })
}

/// Waits until every accepted event is counted (through the API or in the store): how many
/// were, and when, since `start`.
fn wait_processed(
    counter: &Counter,
    baseline: u64,
    accepted: u64,
    start: Instant,
) -> anyhow::Result<(u64, Duration)> {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let stored = counter.count()?.saturating_sub(baseline);
        if stored >= accepted {
            return Ok((stored, start.elapsed()));
        }
        if Instant::now() > deadline {
            bail!("only {stored} of {accepted} accepted events were stored after 300 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
