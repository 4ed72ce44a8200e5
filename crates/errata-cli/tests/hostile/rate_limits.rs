//! Floods that a valid key is allowed to send, bounded per category: with
//! `ERRATA_RATE_LIMIT_USER_REPORTS_KEY_PER_MINUTE=10`, 50 `user_report` envelopes get 429
//! after the 10th, with `Retry-After` and an `X-Sentry-Rate-Limits` naming the
//! `feedback` category; with `ERRATA_RATE_LIMIT_ATTACHMENT_BYTES_KEY_PER_MINUTE=1000000`,
//! events with a 300 kB attachment lose their attachment after about three (the event is
//! stored, 200, and `X-Sentry-Rate-Limits` names `attachment`, as Relay answers); in both
//! floods the official Python SDK's plain event is answered 200 within 2 s and stored.
//! And a project quota set with the CLI beside the running server (`errata project quota
//! default --events 5 --per day`, as a user would): the 6th event gets 429 whose
//! `X-Sentry-Rate-Limits` (`secs:categories:scope:reason`) gives the reason
//! `quota_exceeded`, the official SDK itself understands that answer (it backs off), and
//! the outcomes count the refusals under `quota_exceeded`.

use std::time::{Duration, Instant};

use errata_store::Uuid;
use serde_json::json;

use crate::common::{
    Checks, HonestSdk, PROJECT_PATH, RssSampler, api, one_attack_at_a_time, report,
};
use crate::harness::{Reply, ServerProcess, event_envelope, message_event};

const MAX_RSS_MIB: u64 = 200;

/// One group of `X-Sentry-Rate-Limits`: `secs:categories:scope[:reason[:namespaces]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LimitGroup {
    secs: Option<u64>,
    categories: Vec<String>,
    scope: String,
    reason: String,
}

fn limit_groups(header: &str) -> Vec<LimitGroup> {
    header
        .split(',')
        .map(|group| {
            let mut parts = group.trim().split(':');
            LimitGroup {
                secs: parts.next().and_then(|s| s.trim().parse().ok()),
                categories: parts
                    .next()
                    .unwrap_or_default()
                    .split(';')
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned)
                    .collect(),
                scope: parts.next().unwrap_or_default().to_owned(),
                reason: parts.next().unwrap_or_default().to_owned(),
            }
        })
        .collect()
}

/// Checks a 429 has `Retry-After` and an `X-Sentry-Rate-Limits` group naming `category`.
fn check_429_names(checks: &mut Checks, what: &str, reply: &Reply, category: &str) {
    let retry_after = reply
        .header("retry-after")
        .and_then(|v| v.parse::<u64>().ok());
    checks.check(retry_after.is_some_and(|s| s >= 1), || {
        format!("{what}: no valid Retry-After in {:?}", reply.headers)
    });
    let groups = reply
        .header("x-sentry-rate-limits")
        .map(limit_groups)
        .unwrap_or_default();
    checks.check(
        groups
            .iter()
            .any(|g| g.secs.is_some() && g.categories.iter().any(|c| c == category)),
        || {
            format!(
                "{what}: X-Sentry-Rate-Limits {:?} names no `{category}` category",
                reply.header("x-sentry-rate-limits")
            )
        },
    );
}

fn send(server: &ServerProcess, body: &[u8]) -> Reply {
    server.send_envelope(body)
}

fn user_report_envelope(i: usize) -> Vec<u8> {
    let id = Uuid::new_v4().simple().to_string();
    let payload = json!({
        "event_id": id,
        "name": format!("Flooder {i}"),
        "email": "flood@example.com",
        "comments": "the same complaint, again",
    })
    .to_string();
    format!(
        "{{\"event_id\":\"{id}\"}}\n{{\"type\":\"user_report\",\"length\":{}}}\n{payload}\n",
        payload.len()
    )
    .into_bytes()
}

#[allow(clippy::too_many_lines, reason = "one attack, read top to bottom")]
#[test]
fn user_report_flood_is_limited_per_key_and_the_honest_sdk_is_served() {
    const FLOOD: usize = 50;
    const LIMIT: usize = 10;
    let _one = one_attack_at_a_time();
    let mut checks = Checks::new("user-reports");
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_with(
        &dir.path().join("data"),
        &[("ERRATA_RATE_LIMIT_USER_REPORTS_KEY_PER_MINUTE", "10")],
    );
    server.stored();

    let rss = RssSampler::start(server.pid());
    let started = Instant::now();
    let flood = {
        let server_url = server.envelope_url();
        let auth = server.auth();
        std::thread::spawn(move || {
            (0..FLOOD)
                .map(|i| {
                    let reply = crate::harness::post(
                        &server_url,
                        &[
                            ("X-Sentry-Auth", &auth),
                            ("Content-Type", "application/x-sentry-envelope"),
                        ],
                        &user_report_envelope(i),
                    );
                    std::thread::sleep(Duration::from_millis(40));
                    reply
                })
                .collect::<Vec<Reply>>()
        })
    };
    std::thread::sleep(Duration::from_millis(600));
    let honest = HonestSdk::start(&server, "user-reports").finish();
    let replies = flood.join().expect("the flood");
    let took = started.elapsed();
    let rss = rss.stop();

    honest.check_served(&mut checks, &server);
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    report(
        "user-reports",
        &format!(
            "{FLOOD} user reports in {:.1} s: {statuses:?}; first 429 headers: {:?}",
            took.as_secs_f64(),
            replies
                .iter()
                .find(|r| r.status == 429)
                .map(|r| (r.header("retry-after"), r.header("x-sentry-rate-limits")))
        ),
    );
    report("user-reports", &rss.describe());
    checks.check(statuses[..LIMIT].iter().all(|s| *s == 200), || {
        format!("the first {LIMIT} user reports were not all 200: {statuses:?}")
    });
    // The bucket refills 1 report per 6 s: the flood can earn at most that many more.
    let refill = (took.as_secs() / 6) as usize;
    let accepted = statuses.iter().filter(|s| **s == 200).count();
    checks.check(accepted <= LIMIT + refill, || {
        format!(
            "{accepted} of {FLOOD} user reports accepted at {LIMIT} per minute (+{refill} \
             refilled): {statuses:?}"
        )
    });
    let limited: Vec<&Reply> = replies[LIMIT..]
        .iter()
        .filter(|r| r.status != 200)
        .collect();
    checks.check(limited.iter().all(|r| r.status == 429), || {
        format!("user reports over the limit got other than 429: {statuses:?}")
    });
    if let Some(first) = limited.first() {
        check_429_names(&mut checks, "a limited user report", first, "feedback");
    }
    checks.check(rss.peak_mib() < MAX_RSS_MIB, || {
        format!("{} (bound {MAX_RSS_MIB} MiB)", rss.describe())
    });
    checks.finish(&server);
}

/// An event with a 300,000-byte attachment.
fn event_with_attachment(id: Uuid) -> Vec<u8> {
    let mut body = event_envelope(&message_event(id, "with a 300 kB attachment"));
    let blob = vec![b'a'; 300_000];
    body.extend_from_slice(
        json!({
            "type": "attachment",
            "length": blob.len(),
            "filename": "dump.bin",
            "content_type": "application/octet-stream",
        })
        .to_string()
        .as_bytes(),
    );
    body.push(b'\n');
    body.extend_from_slice(&blob);
    body.push(b'\n');
    body
}

#[test]
fn attachment_bytes_are_limited_per_key_the_event_kept_and_the_honest_sdk_is_served() {
    const SENT: usize = 8;
    let _one = one_attack_at_a_time();
    let mut checks = Checks::new("attachments");
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_with(
        &dir.path().join("data"),
        &[(
            "ERRATA_RATE_LIMIT_ATTACHMENT_BYTES_KEY_PER_MINUTE",
            "1000000",
        )],
    );
    server.stored();

    let rss = RssSampler::start(server.pid());
    let mut replies = Vec::new();
    let mut honest = None;
    for i in 0..SENT {
        replies.push(send(&server, &event_with_attachment(Uuid::new_v4())));
        if i == 2 {
            honest = Some(HonestSdk::start(&server, "attachments"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let honest = honest.expect("started").finish();
    let rss = rss.stop();

    honest.check_served(&mut checks, &server);
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    report(
        "attachments",
        &format!(
            "{SENT} events with 300 kB attachments: {statuses:?}; first 429 headers: {:?}",
            replies
                .iter()
                .find(|r| r.status == 429)
                .map(|r| (r.header("retry-after"), r.header("x-sentry-rate-limits")))
        ),
    );
    report("attachments", &rss.describe());
    // Relay's answer to a partly limited envelope: the event is stored (200) and the
    // attachment dropped, with X-Sentry-Rate-Limits naming the attachment category.
    let names_attachment = |r: &Reply| {
        r.header("x-sentry-rate-limits")
            .map(limit_groups)
            .unwrap_or_default()
            .iter()
            .any(|g| g.secs.is_some() && g.categories.iter().any(|c| c == "attachment"))
    };
    let limited: Vec<bool> = replies.iter().map(names_attachment).collect();
    checks.check(statuses.iter().all(|s| *s == 200), || {
        format!("every event is stored even when its attachment is refused: {statuses:?}")
    });
    let first_refused = limited.iter().position(|l| *l);
    checks.check(first_refused.is_some_and(|i| (2..=4).contains(&i)), || {
        format!(
            "at 1,000,000 attachment bytes per minute, 300 kB attachments were refused from \
             number {first_refused:?} (expected after about 3): {limited:?}"
        )
    });
    if let Some(i) = first_refused {
        checks.check(limited[i..].iter().all(|l| *l), || {
            format!("after the first refusal, not every answer names `attachment`: {limited:?}")
        });
        let stored = server.stored();
        for (reply, limited) in replies.iter().zip(&limited) {
            let Some(id) = reply.json()["id"]
                .as_str()
                .and_then(|s| Uuid::try_parse(s).ok())
            else {
                continue;
            };
            let kept = stored.attachments(id).len();
            checks.check(kept == usize::from(!*limited), || {
                format!("event {id}: {kept} attachments kept, limited: {limited}")
            });
        }
    }
    checks.check(rss.peak_mib() < MAX_RSS_MIB, || {
        format!("{} (bound {MAX_RSS_MIB} MiB)", rss.describe())
    });
    checks.finish(&server);
}

#[allow(clippy::too_many_lines, reason = "one attack, read top to bottom")]
#[test]
fn project_event_quota_answers_429_quota_exceeded_and_counts_it() {
    const QUOTA: usize = 5;
    let _one = one_attack_at_a_time();
    let mut checks = Checks::new("quota");
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_with(&dir.path().join("data"), &[]);

    // `errata project quota` beside the running server, on its data dir.
    let set = std::process::Command::new(env!("CARGO_BIN_EXE_errata"))
        .arg("--data-dir")
        .arg(&server.data_dir)
        .args(["project", "quota", "default", "--events"])
        .arg(QUOTA.to_string())
        .args(["--per", "day"])
        .output()
        .expect("running errata project quota");
    report(
        "quota",
        &format!(
            "errata project quota default --events {QUOTA} --per day: {} {}{}",
            set.status,
            String::from_utf8_lossy(&set.stdout).trim(),
            String::from_utf8_lossy(&set.stderr).trim()
        ),
    );
    checks.check(set.status.success(), || {
        format!(
            "errata project quota failed ({}): {}",
            set.status,
            String::from_utf8_lossy(&set.stderr)
        )
    });
    let shown = api(&server, &format!("{PROJECT_PATH}/"));
    report(
        "quota",
        &format!(
            "the Web API shows eventQuota {}",
            shown.json()["eventQuota"]
        ),
    );

    let replies: Vec<Reply> = (0..=QUOTA)
        .map(|i| {
            send(
                &server,
                &event_envelope(&message_event(Uuid::new_v4(), &format!("quota {i}"))),
            )
        })
        .collect();
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    let sixth = &replies[QUOTA];
    report(
        "quota",
        &format!(
            "{} events: {statuses:?}; the 6th: Retry-After {:?}, X-Sentry-Rate-Limits {:?}",
            QUOTA + 1,
            sixth.header("retry-after"),
            sixth.header("x-sentry-rate-limits")
        ),
    );
    checks.check(statuses[..QUOTA].iter().all(|s| *s == 200), || {
        format!("the first {QUOTA} events were not all accepted: {statuses:?}")
    });
    checks.check(sixth.status == 429, || {
        format!(
            "the event over a quota of {QUOTA} per day was answered {}",
            sixth.status
        )
    });
    let groups = sixth
        .header("x-sentry-rate-limits")
        .map(limit_groups)
        .unwrap_or_default();
    checks.check(
        groups
            .iter()
            .any(|g| g.secs.is_some_and(|s| s >= 1) && g.reason == "quota_exceeded"),
        || {
            format!(
                "the 6th event's X-Sentry-Rate-Limits {:?} has no `secs:categories:scope:\
                 quota_exceeded` group ({groups:?})",
                sixth.header("x-sentry-rate-limits")
            )
        },
    );

    // The official SDK is told the same, and understands it.
    let sdk = HonestSdk::start(&server, "quota").finish();
    report(
        "quota",
        &format!(
            "SDK over quota: {}; it now backs off {:?}",
            sdk.describe(),
            sdk.disabled
        ),
    );
    let sdk_status = sdk.request().and_then(|r| r.status);
    checks.check(sdk_status == Some(429), || {
        format!(
            "the SDK's event over the quota was answered {sdk_status:?}: {}",
            sdk.describe()
        )
    });
    checks.check(!sdk.disabled.is_empty(), || {
        "the SDK did not back off after the quota's 429 (its rate limits are empty)".to_owned()
    });

    // The refusals are counted (the writer writes counters within a second when idle).
    let start = Instant::now();
    let counted = loop {
        let counted: u64 = server
            .stored()
            .outcomes()
            .iter()
            .filter(|((_, reason), _)| reason == "quota_exceeded")
            .map(|(_, quantity)| *quantity)
            .sum();
        if counted >= 2 || start.elapsed() > Duration::from_secs(5) {
            break counted;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    report(
        "quota",
        &format!("outcomes: {counted} counted under quota_exceeded"),
    );
    checks.check(counted >= 2, || {
        format!(
            "{counted} events counted under reason quota_exceeded in the outcomes (2 were \
             refused): {:?}",
            server.stored().outcomes()
        )
    });
    checks.finish(&server);
}
