//! Idle keep-alive: 32 connections each make one request and then stay open, sending
//! nothing. With `ERRATA_HTTP_KEEP_ALIVE_SECS=2` the server must close every one of them
//! soon after 2 s idle (keep-alive itself must still work: a second request 0.5 s after
//! the first is answered on the same connection), and the official Python SDK's event,
//! sent while they idle, is answered 200 within 2 s and stored.

use std::io::Read as _;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::common::{Checks, HonestSdk, RssSampler, one_attack_at_a_time, report, request_on};
use crate::harness::ServerProcess;

const IDLERS: usize = 32;
const KEEP_ALIVE: Duration = Duration::from_secs(2);
/// Every idle connection must be closed this long after its last answer.
const CLOSED_BY: Duration = Duration::from_secs(6);
const MAX_RSS_MIB: u64 = 128;

#[test]
fn idle_keep_alive_connections_are_closed_and_the_honest_sdk_is_served() {
    let _one = one_attack_at_a_time();
    let mut checks = Checks::new("keep-alive");
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_with(
        &dir.path().join("data"),
        &[("ERRATA_HTTP_KEEP_ALIVE_SECS", "2")],
    );
    server.stored();
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", server.addr);

    let rss = RssSampler::start(server.pid());
    let mut idlers: Vec<(TcpStream, Option<Duration>)> = Vec::new();
    for i in 0..IDLERS {
        let mut stream = TcpStream::connect(server.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let status = request_on(&mut stream, request.as_bytes());
        assert_eq!(status, Some(200), "connection {i}: the first request");
        idlers.push((stream, None));
    }
    // Keep-alive works: a second request on the first connection, 0.5 s later.
    std::thread::sleep(Duration::from_millis(500));
    let second = request_on(&mut idlers[0].0, request.as_bytes());
    checks.check(second == Some(200), || {
        format!("a second request 0.5 s after the first on the same connection: {second:?}")
    });
    let idle_since = Instant::now();
    for (stream, _) in &idlers {
        stream.set_nonblocking(true).unwrap();
    }
    let honest = HonestSdk::start(&server, "keep-alive");
    // Watch for the server closing them (bounded).
    while idle_since.elapsed() < CLOSED_BY + Duration::from_secs(2) {
        for (stream, closed) in &mut idlers {
            if closed.is_some() {
                continue;
            }
            let mut buf = [0u8; 1024];
            match stream.read(&mut buf) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                // Closed, reset, or unexpected bytes: no longer an idle open connection.
                Ok(_) | Err(_) => *closed = Some(idle_since.elapsed()),
            }
        }
        if idlers.iter().all(|(_, closed)| closed.is_some()) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let honest = honest.finish();
    let rss = rss.stop();

    honest.check_served(&mut checks, &server);
    let closed: Vec<Duration> = idlers.iter().filter_map(|(_, c)| *c).collect();
    report(
        "keep-alive",
        &format!(
            "{} of {IDLERS} idle connections closed by the server, after {:.1}..{:.1} s idle",
            closed.len(),
            closed.iter().min().map_or(-1.0, Duration::as_secs_f64),
            closed.iter().max().map_or(-1.0, Duration::as_secs_f64),
        ),
    );
    report("keep-alive", &rss.describe());
    let late = idlers
        .iter()
        .filter(|(_, c)| c.is_none_or(|at| at > CLOSED_BY))
        .count();
    checks.check(late == 0, || {
        format!(
            "{late} of {IDLERS} idle keep-alive connections were still open {CLOSED_BY:?} \
             after their last answer (keep-alive timeout {KEEP_ALIVE:?})"
        )
    });
    checks.check(rss.peak_mib() < MAX_RSS_MIB, || {
        format!("{} (bound {MAX_RSS_MIB} MiB)", rss.describe())
    });
    checks.finish(&server);
}
