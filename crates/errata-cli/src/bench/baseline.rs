//! `errata bench ingest --baseline`: the same load against a trivial responder first, in the
//! same run, so the report can say what share of the machine's raw HTTP capacity Errata
//! reaches rather than only an absolute number that depends on the machine. The responder
//! is an axum server on loopback in this process, on as many runtime threads as the machine
//! has cores (as `errata serve`): it reads each whole body and answers 200 with a fixed
//! event id, doing none of the work (the role nginx answering 200 plays in a wrk
//! comparison).

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::body::Bytes;
use axum::routing::post;

use super::load::{Target, WorkerStats, percentile};

/// The responder's answer: what Errata answers an accepted envelope, minus the work.
const ANSWER: &str = r#"{"id":"00000000000000000000000000000000"}"#;

/// A running responder; stopped when dropped.
pub(crate) struct Responder {
    addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Responder {
    /// Starts it on `127.0.0.1:0`.
    pub(crate) fn start() -> anyhow::Result<Self> {
        let threads = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("bench-baseline")
            .enable_all()
            .build()
            .context("starting the baseline responder's runtime")?;
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .context("binding the baseline responder")?;
        let addr = listener.local_addr()?;
        let app = Router::new().route(
            "/api/{project}/envelope/",
            post(|body: Bytes| async move {
                // The body is read whole, as any server must before answering.
                drop(body);
                ([("content-type", "application/json")], ANSWER)
            }),
        );
        runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            addr,
            runtime: Some(runtime),
        })
    }

    /// Targets for `nodes` workers' round-robin, all at the responder, with the same
    /// headers as the real targets.
    pub(crate) fn targets(&self, real: &[Target], project: u64) -> Vec<Target> {
        real.iter()
            .map(|t| Target {
                url: format!("http://{}/api/{project}/envelope/", self.addr),
                auth: t.auth.clone(),
                gzip: t.gzip,
            })
            .collect()
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// What the baseline run measured.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Baseline {
    /// Requests answered 200 per second.
    pub(crate) per_sec: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
}

impl Baseline {
    /// Sums the workers' tallies over `elapsed`.
    pub(crate) fn of(stats: &[WorkerStats], elapsed: Duration) -> Self {
        let answered: u64 = stats.iter().map(|s| s.accepted).sum();
        let mut latencies: Vec<u32> = stats
            .iter()
            .flat_map(|s| s.latencies_us.iter().copied())
            .collect();
        latencies.sort_unstable();
        #[allow(clippy::cast_precision_loss, reason = "a rate")]
        let per_sec = answered as f64 / elapsed.as_secs_f64().max(1e-9);
        Self {
            per_sec,
            p50_ms: percentile(&latencies, 50.0),
            p99_ms: percentile(&latencies, 99.0),
        }
    }

    /// Prints [`Self::lines`] for `accepted` events over `sent`, and `processed` (count,
    /// when) if counted.
    #[allow(clippy::print_stdout, reason = "the command's output")]
    pub(crate) fn print(&self, accepted: u64, sent: Duration, processed: Option<(u64, Duration)>) {
        #[allow(clippy::cast_precision_loss, reason = "rates")]
        let rate = |n: u64, over: Duration| n as f64 / over.as_secs_f64().max(1e-9);
        println!(
            "{}",
            self.lines(rate(accepted, sent), processed.map(|(n, at)| rate(n, at)))
        );
    }

    /// The report's lines: the baseline, and Errata's accepted (and processed) events/s as
    /// a share of it.
    pub(crate) fn lines(&self, accepted_per_sec: f64, processed_per_sec: Option<f64>) -> String {
        let share = |x: f64| {
            if self.per_sec > 0.0 {
                x / self.per_sec
            } else {
                0.0
            }
        };
        let mut out = format!(
            "baseline:     a trivial responder in this process answered {:.0} requests/s \
             (p50 {:.2} ms, p99 {:.2} ms), the same load\n\
             vs baseline:  accepted {:.2}x",
            self.per_sec,
            self.p50_ms,
            self.p99_ms,
            share(accepted_per_sec)
        );
        if let Some(processed) = processed_per_sec {
            let _ = write!(out, ", processed {:.2}x", share(processed));
        }
        out.push_str(" of the baseline's rate");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_responder_answers_an_envelope_post_with_200() {
        let responder = Responder::start().unwrap();
        let url = format!("http://{}/api/1/envelope/", responder.addr);
        let mut response = ureq::post(&url)
            .send("{}\n{\"type\":\"event\"}\n{}")
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.body_mut().read_to_string().unwrap(), ANSWER);
    }

    #[test]
    fn the_share_is_of_the_baselines_rate() {
        let b = Baseline {
            per_sec: 20_000.0,
            p50_ms: 1.0,
            p99_ms: 3.0,
        };
        let lines = b.lines(5_000.0, Some(4_000.0));
        assert!(lines.contains("answered 20000 requests/s"), "{lines}");
        assert!(lines.contains("accepted 0.25x, processed 0.20x"), "{lines}");
    }
}
