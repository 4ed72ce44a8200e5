//! Slow bodies ("trickle", or slow POST): 128 connections send a valid envelope request
//! head with `Content-Length: 100000` and then the body at one byte per second. The server
//! must not wait for them: after the body grace (default 5 s) a body arriving slower than
//! the minimum rate (default 1024 B/s) is answered `408` (or its connection is closed),
//! and an honest event sent by the official Python SDK in the middle of the attack is
//! answered 200 within 2 s and stored. Run with the server's defaults, to test those.

use std::time::Duration;

use errata_store::Uuid;

use crate::common::{
    Checks, Fate, HonestSdk, RssSampler, SlowClients, envelope_head, one_attack_at_a_time, report,
    summarize,
};
use crate::harness::{ServerProcess, event_envelope, message_event};

const ATTACKERS: usize = 128;
const DECLARED: usize = 100_000;
/// Default body grace; the minimum-rate check follows it.
const GRACE: Duration = Duration::from_secs(5);
/// How long after the grace every trickler must have been answered or closed.
const SLACK: Duration = Duration::from_secs(10);
/// Peak RSS bound (the debug build idles near 20 MiB; 128 bodies of a few bytes each).
const MAX_RSS_MIB: u64 = 128;

#[test]
fn trickled_bodies_get_408_and_the_honest_sdk_is_served() {
    let _one = one_attack_at_a_time();
    let mut checks = Checks::new("trickle");
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_with(&dir.path().join("data"), &[]);
    server.stored(); // the token is made before the attack

    // A valid envelope padded to the declared length; only its first bytes are ever sent.
    let mut body = event_envelope(&message_event(Uuid::new_v4(), "trickled"));
    body.resize(DECLARED, b' ');
    let head = envelope_head(
        &server,
        &server.key,
        &format!("Content-Length: {DECLARED}\r\n"),
    );
    let rss = RssSampler::start(server.pid());
    let attack = {
        let addr = server.addr;
        std::thread::spawn(move || {
            SlowClients::open(ATTACKERS, addr, head.as_bytes(), &body).run(GRACE + SLACK)
        })
    };
    // In the middle of the attack: every trickler has connected and is sending.
    std::thread::sleep(Duration::from_millis(1500));
    let honest = HonestSdk::start(&server, "trickle").finish();
    let fates = attack.join().expect("the attack thread");
    let rss = rss.stop();

    honest.check_served(&mut checks, &server);
    report("trickle", &summarize(&fates));
    report("trickle", &rss.describe());
    let unanswered = fates.iter().filter(|f| **f == Fate::Open).count();
    checks.check(unanswered == 0, || {
        format!(
            "{unanswered} of {ATTACKERS} tricklers were neither answered nor closed within \
             {:?} (grace {GRACE:?} + {SLACK:?})",
            GRACE + SLACK
        )
    });
    let wrong: Vec<u16> = fates
        .iter()
        .filter_map(|f| match f {
            Fate::Answered(status, _) if *status != 408 => Some(*status),
            _ => None,
        })
        .collect();
    checks.check(wrong.is_empty(), || {
        format!("tricklers were answered {wrong:?} instead of 408")
    });
    checks.check(rss.peak_mib() < MAX_RSS_MIB, || {
        format!("{} (bound {MAX_RSS_MIB} MiB)", rss.describe())
    });
    checks.finish(&server);
}
