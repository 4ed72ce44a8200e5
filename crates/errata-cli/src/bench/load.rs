//! The load itself: worker threads, each with one keep-alive connection (a blocking `ureq`
//! agent) to one target node, sending envelopes closed-loop or on a fixed schedule and
//! tallying statuses and response times.

use std::sync::{Barrier, OnceLock};
use std::time::{Duration, Instant};

use super::corpus::Prepared;

/// What one worker saw.
#[derive(Debug, Default)]
pub(crate) struct WorkerStats {
    pub(crate) latencies_us: Vec<u32>,
    pub(crate) accepted: u64,
    pub(crate) accepted_json_bytes: u64,
    pub(crate) statuses: std::collections::BTreeMap<u16, u64>,
    pub(crate) transport_errors: u64,
    pub(crate) last_error: Option<String>,
    /// `(ms since the start, latency ms)` of answers slower than `--slow-ms`.
    pub(crate) slow: Vec<(u64, u64)>,
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

/// When the load starts: every worker first builds its HTTP client (building 64 of them
/// takes the load generator a noticeable time, which must not count as the server's
/// latency), then waits at `ready`; the starter takes the time once all are ready and
/// opens `go`.
pub(crate) struct StartLine {
    ready: Barrier,
    go: Barrier,
    start: OnceLock<Instant>,
    duration: Duration,
}

impl StartLine {
    /// A start line for `workers` workers and one starter, the load lasting `duration`.
    pub(crate) fn new(workers: usize, duration: Duration) -> Self {
        Self {
            ready: Barrier::new(workers + 1),
            go: Barrier::new(workers + 1),
            start: OnceLock::new(),
            duration,
        }
    }

    /// The starter's side: waits until every worker is ready, starts the clock, lets them
    /// go; the start time.
    pub(crate) fn start(&self) -> Instant {
        self.ready.wait();
        let start = *self.start.get_or_init(Instant::now);
        self.go.wait();
        start
    }

    /// A worker's side: the start and end of the load.
    fn wait(&self) -> (Instant, Instant) {
        self.ready.wait();
        self.go.wait();
        let start = *self.start.get_or_init(Instant::now);
        (start, start + self.duration)
    }
}

pub(crate) fn worker(
    target: &Target,
    prepared: &[Prepared],
    seed: u64,
    line: &StartLine,
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
    // The connection is opened (and the client's first-request setup done) before the
    // clock starts, with a CORS preflight that stores nothing: without it, 64 clients'
    // first requests at once made the first half second look slow, against a trivial
    // responder as much as against Errata.
    let _ = agent
        .options(&target.url)
        .header("Origin", "http://bench.invalid")
        .call()
        .map(|response| response.into_body().read_to_vec());
    let (start, end) = line.wait();
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
