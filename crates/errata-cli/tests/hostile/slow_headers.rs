//! Slow headers ("slowloris"): 128 connections send an envelope request line and then
//! their headers at one byte per second. With `ERRATA_HTTP_HEADER_TIMEOUT_SECS=2` the
//! server must close each (or answer `408`) soon after 2 s, long before the headers could
//! ever be complete, while the official Python SDK's event, sent in the middle of the
//! attack, is answered 200 within 2 s and stored.

use std::time::Duration;

use crate::common::{
    Checks, Fate, HonestSdk, RssSampler, SlowClients, one_attack_at_a_time, report, summarize,
};
use crate::harness::ServerProcess;

const ATTACKERS: usize = 128;
const HEADER_TIMEOUT: Duration = Duration::from_secs(2);
/// Every connection must be gone this long after it opened (timeout + generous slack).
const CLOSED_BY: Duration = Duration::from_secs(8);
const MAX_RSS_MIB: u64 = 128;

#[test]
fn slowloris_headers_are_cut_off_and_the_honest_sdk_is_served() {
    let _one = one_attack_at_a_time();
    let mut checks = Checks::new("slowloris");
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_with(
        &dir.path().join("data"),
        &[("ERRATA_HTTP_HEADER_TIMEOUT_SECS", "2")],
    );
    server.stored();

    let opening = format!("POST /api/{}/envelope/ HTTP/1.1\r\n", server.project_id);
    // Far more header bytes than the attack lasts seconds: they never end.
    let trickle = format!(
        "Host: {}\r\nX-Sentry-Auth: Sentry sentry_key={}, sentry_version=7\r\n\
         X-Padding: {}\r\n",
        server.addr,
        server.key,
        "a".repeat(200)
    );
    let rss = RssSampler::start(server.pid());
    let attack = {
        let addr = server.addr;
        std::thread::spawn(move || {
            SlowClients::open(ATTACKERS, addr, opening.as_bytes(), trickle.as_bytes())
                .run(CLOSED_BY + Duration::from_secs(2))
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    let honest = HonestSdk::start(&server, "slowloris").finish();
    let fates = attack.join().expect("the attack thread");
    let rss = rss.stop();

    honest.check_served(&mut checks, &server);
    report("slowloris", &summarize(&fates));
    report("slowloris", &rss.describe());
    let late = fates
        .iter()
        .filter(|f| f.at().is_none_or(|at| at > CLOSED_BY))
        .count();
    checks.check(late == 0, || {
        format!(
            "{late} of {ATTACKERS} slow-header connections were still open {CLOSED_BY:?} after \
             they opened (header timeout {HEADER_TIMEOUT:?})"
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
        format!("slow-header connections were answered {wrong:?} instead of 408 or a close")
    });
    checks.check(rss.peak_mib() < MAX_RSS_MIB, || {
        format!("{} (bound {MAX_RSS_MIB} MiB)", rss.describe())
    });
    checks.finish(&server);
}
