//! `errata bench alerts`: how long an alert takes, from sending the event that opens a
//! new issue to its Slack message arriving, while the server ingests a background load.
//! It listens as a Slack receiver on `--receiver` (add it first:
//! `errata channel add default slack http://ADDR/slack`), sends `--rate` events/s of
//! known issues from the SDK corpus (as `errata bench ingest --rate` does) and, besides,
//! `--probes` events per second that each open an issue of their own (a fingerprint and
//! a message of their own), and matches every message the receiver gets to its probe.
//!
//! A benchmark, not a test: it measures whatever machine it runs on.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use errata_protocol::dsn::Dsn;
use serde_json::json;

use crate::bench::{StartLine, Target, load_events, percentile, prepare, worker};

#[derive(Debug, clap::Args)]
pub(crate) struct AlertArgs {
    /// The DSN to send to.
    #[arg(long, env = "SENTRY_DSN")]
    dsn: String,
    /// Where to listen as the Slack receiver (the channel's URL is `http://ADDR/slack`).
    #[arg(long, default_value = "127.0.0.1:9931")]
    receiver: String,
    /// Background events/s (known issues).
    #[arg(long, default_value_t = 1000.0)]
    rate: f64,
    /// Connections for the background load.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// New-issue probes per second.
    #[arg(long, default_value_t = 4.0)]
    probes: f64,
    /// How long to send, in seconds.
    #[arg(long, default_value_t = 20.0)]
    duration: f64,
    /// How many distinct issues the background events spread over.
    #[arg(long, default_value_t = 200)]
    groups: usize,
    /// The captured SDK requests to take background events from.
    #[arg(long, env = "ERRATA_CORPUS", default_value = "../shared/sdk-corpus")]
    corpus: PathBuf,
}

/// Probe token -> when its event was sent, and when its alert arrived.
type Probes = Arc<Mutex<HashMap<String, (Instant, Option<Instant>)>>>;

const PROBE_PREFIX: &str = "errata-alert-probe-";

pub(crate) fn run(args: &AlertArgs) -> anyhow::Result<()> {
    let dsn: Dsn = args.dsn.parse().context("parsing the DSN")?;
    if args.probes <= 0.0 || args.rate <= 0.0 || args.duration <= 0.0 || args.concurrency == 0 {
        bail!("--probes, --rate, --duration and --concurrency must be positive");
    }
    let listener = TcpListener::bind(&args.receiver)
        .with_context(|| format!("listening on {}", args.receiver))?;
    let probes: Probes = Arc::default();
    {
        let probes = probes.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let probes = probes.clone();
                std::thread::spawn(move || receive(stream, &probes));
            }
        });
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
        gzip: false,
    };
    let interval = Duration::from_secs_f64(args.concurrency as f64 / args.rate);
    let line = StartLine::new(args.concurrency, Duration::from_secs_f64(args.duration));
    let line = &line;
    let seed = uuid::Uuid::new_v4().as_u64_pair().0;
    let (accepted, sent_probes, start) = std::thread::scope(|scope| {
        let load: Vec<_> = (0..args.concurrency)
            .map(|i| {
                let (target, prepared) = (&target, &prepared);
                let offset = interval.mul_f64(i as f64 / args.concurrency as f64);
                scope.spawn(move || {
                    worker(
                        target,
                        prepared,
                        seed.wrapping_add(i as u64 * 0x9E37_79B9),
                        line,
                        Some(interval),
                        offset,
                        None,
                    )
                })
            })
            .collect();
        let start = line.start();
        let end = start + Duration::from_secs_f64(args.duration);
        let sent = send_probes(&target, &probes, args.probes, end);
        let accepted: u64 = load
            .into_iter()
            .map(|h| h.join().unwrap_or_default().accepted)
            .sum();
        (accepted, sent, start)
    });
    let secs = start.elapsed().as_secs_f64();
    // Wait for the last alerts (at most 30 s).
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline
        && probes
            .lock()
            .is_ok_and(|p| p.values().any(|(_, got)| got.is_none()))
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    let table = probes
        .lock()
        .map_err(|_| anyhow::anyhow!("receiver panicked"))?;
    let mut latencies: Vec<u32> = table
        .values()
        .filter_map(|(sent, got)| got.map(|g| g.duration_since(*sent)))
        .map(|d| d.as_micros().min(u128::from(u32::MAX)) as u32)
        .collect();
    latencies.sort_unstable();
    #[allow(clippy::print_stdout, reason = "the command's output")]
    {
        println!(
            "errata bench alerts: {:.0} background events/s requested over {} connections, {} probes/s, {} s",
            args.rate, args.concurrency, args.probes, args.duration
        );
        println!(
            "background:   {accepted} events accepted = {:.0} events/s",
            accepted as f64 / secs
        );
        println!(
            "alerts:       {} of {sent_probes} probes alerted; latency p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms (event sent -> Slack message received)",
            latencies.len(),
            percentile(&latencies, 50.0),
            percentile(&latencies, 95.0),
            percentile(&latencies, 100.0),
        );
    }
    Ok(())
}

/// Sends one new-issue event every `1 / per_second` s until `end`; returns how many.
fn send_probes(target: &Target, probes: &Probes, per_second: f64, end: Instant) -> usize {
    let agent = ureq::Agent::new_with_config(
        ureq::config::Config::builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build(),
    );
    let every = Duration::from_secs_f64(1.0 / per_second);
    let mut next = Instant::now();
    let mut sent = 0;
    while next < end {
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        }
        let id = uuid::Uuid::new_v4();
        let token = format!("{PROBE_PREFIX}{}", id.simple());
        let event = json!({
            "event_id": id.simple().to_string(),
            "level": "error",
            "platform": "python",
            "message": format!("alert probe {token}"),
            "fingerprint": [token],
        });
        let header = json!({"event_id": id.simple().to_string()});
        let body = format!("{header}\n{{\"type\":\"event\"}}\n{event}\n");
        let at = Instant::now();
        if let Ok(mut p) = probes.lock() {
            p.insert(token.clone(), (at, None));
        }
        let ok = agent
            .post(&target.url)
            .header("X-Sentry-Auth", &target.auth)
            .header("Content-Type", "application/x-sentry-envelope")
            .send(body.as_bytes())
            .is_ok_and(|r| r.status() == 200);
        if ok {
            sent += 1;
        } else if let Ok(mut p) = probes.lock() {
            p.remove(&token);
        }
        next += every;
    }
    sent
}

/// One request to the receiver: records the probe it names and answers 200 `ok`.
fn receive(stream: std::net::TcpStream, probes: &Probes) {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    let mut length = 0usize;
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length.min(1 << 20)];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let arrived = Instant::now();
    let text = String::from_utf8_lossy(&body);
    if let Some(at) = text.find(PROBE_PREFIX) {
        let token: String = text[at..].chars().take(PROBE_PREFIX.len() + 32).collect();
        if let Ok(mut p) = probes.lock()
            && let Some(entry) = p.get_mut(&token)
            && entry.1.is_none()
        {
            entry.1 = Some(arrived);
        }
    }
    let _ = reader
        .get_mut()
        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
}
