//! Transport timeouts (feature `ureq`): a service stops within its `shutdown_timeout` when the
//! error server accepts connections and never answers.
//!
//! Exiting is a property of a whole process, so the service runs in a child process: this test
//! binary re-invoked on [`child_service`] with [`CHILD`] set, which calls `sentry::init`
//! against a black hole in that process, captures an event and drops the guard. With
//! `prepare_client_options` (our transport) the child exits right after `shutdown_timeout`; with
//! `sentry`'s plain ureq transport it is still hanging long after, and is killed. A third test
//! shows the request timeout in process: a flush comes back once the request to the black hole
//! times out.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use errata_tower::sentry_core::{
    ClientOptions, Envelope, Level, Transport, TransportFactory, TransportOptions,
};
use errata_tower::transport::UreqTransportFactory;
use sentry::transports::UreqHttpTransportOptions;

/// The variable that turns [`child_service`] on, naming the transport: `ours` or `plain`.
const CHILD: &str = "ERRATA_TOWER_TRANSPORT_CHILD";

/// The child's `shutdown_timeout`.
const SHUTDOWN: Duration = Duration::from_secs(1);

/// Room for the child's start, its event and its exit, beyond `SHUTDOWN`.
const MARGIN: Duration = Duration::from_millis(2500);

/// A server that accepts connections and never answers (a black hole).
fn black_hole() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming() {
            held.push(conn);
        }
    });
    port
}

/// `sentry`'s ureq transport as `sentry::init` builds it by default: no timeouts.
struct PlainUreq;

impl TransportFactory for PlainUreq {
    fn create_transport_with_options(&self, options: TransportOptions) -> Arc<dyn Transport> {
        Arc::new(UreqHttpTransportOptions::from(options).build())
    }
}

/// The service in the child process: `sentry::init` against a black hole, one event, exit.
#[test]
#[ignore = "a child process of the tests of this module; does nothing without its variable"]
fn child_service() {
    let Ok(mode) = std::env::var(CHILD) else {
        return;
    };
    let port = black_hole();
    let options = ClientOptions::new()
        .dsn(&format!("http://public@127.0.0.1:{port}/42"))
        .shutdown_timeout(SHUTDOWN);
    let options = match mode.as_str() {
        "ours" => errata_tower::prepare_client_options(options),
        "plain" => options.transport(PlainUreq),
        other => panic!("unknown child mode {other}"),
    };
    let guard = sentry::init(options);
    sentry::capture_message("the black hole swallows this", Level::Error);
    // Let the transport's worker take the envelope into its request.
    std::thread::sleep(Duration::from_millis(100));
    say("closing the client");
    drop(guard);
    say("client closed");
}

/// A line on the child's stdout, which the parent reads.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// Starts this test binary on [`child_service`] with the given transport.
fn spawn_child(mode: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "transport_timeouts::child_service",
            "--exact",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, mode)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits up to `bound` for the child to exit; `None` if it is still running.
fn wait_for(child: &mut Child, bound: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + bound;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The child's stdout and stderr (after it exited or was killed).
fn output(child: &mut Child) -> String {
    let mut text = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[test]
fn a_service_exits_within_its_shutdown_timeout_when_the_server_never_answers() {
    let started = Instant::now();
    let mut child = spawn_child("ours");
    let status = wait_for(&mut child, SHUTDOWN + MARGIN);
    let elapsed = started.elapsed();
    if status.is_none() {
        child.kill().unwrap();
        child.wait().unwrap();
        panic!(
            "the service still runs {elapsed:?} after it started:\n{}",
            output(&mut child)
        );
    }
    let out = output(&mut child);
    assert!(status.unwrap().success(), "{out}");
    assert!(
        out.contains("client closed"),
        "the child service ran: {out}"
    );
    // The close did wait for the stuck envelope until the deadline, and no longer.
    assert!(elapsed >= SHUTDOWN, "{elapsed:?}\n{out}");
}

#[test]
fn without_it_sentrys_plain_ureq_transport_hangs_at_exit() {
    let mut child = spawn_child("plain");
    let status = wait_for(&mut child, SHUTDOWN + MARGIN + Duration::from_secs(2));
    child.kill().unwrap();
    child.wait().unwrap();
    let out = output(&mut child);
    assert!(
        status.is_none(),
        "the plain transport exited ({status:?}): is this test still needed?\n{out}"
    );
    assert!(out.contains("closing the client"), "{out}");
    assert!(!out.contains("client closed"), "{out}");
}

#[test]
fn a_delivery_to_a_black_hole_ends_at_the_request_timeout() {
    let port = black_hole();
    let options = ClientOptions::new().dsn(&format!("http://public@127.0.0.1:{port}/42"));
    let transport = UreqTransportFactory::new()
        .request_timeout(Duration::from_millis(300))
        .create_transport_with_options(
            TransportOptions::try_from_client_options(&options).unwrap(),
        );
    let started = Instant::now();
    transport.send_envelope(Envelope::from(
        errata_tower::sentry_core::protocol::Event::default(),
    ));
    // The flush is queued behind the envelope: it completes when the request gives up.
    assert!(transport.flush(Duration::from_secs(5)));
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(250), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    // Released without a shutdown: the worker is idle, so this joins at once.
    drop(transport);
}
