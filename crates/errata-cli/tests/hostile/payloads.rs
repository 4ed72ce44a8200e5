//! Costly payloads with a valid key: events built to make normalization slow or big.
//! Two concurrent 770 kB events with 70,000 distinct tags each must be answered 200 and
//! stored cut to 200 tags, with a processing error recorded in the stored event's
//! `errors`, while `/healthz` and the Web API keep answering within milliseconds (the
//! work must not stall the server's other requests) and the official Python SDK's event
//! is answered 200 within 2 s. A 10,000-deep JSON value in `extra` and 50,000 breadcrumbs
//! (under 1 MiB) are stored too, cut down (breadcrumbs to the latest 100) with processing
//! errors, never refused.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use errata_store::Uuid;
use serde_json::Value;

use crate::common::{
    Checks, HonestSdk, PROJECT_PATH, RssSampler, one_attack_at_a_time, post_within, report,
    timed_get,
};
use crate::harness::{Reply, ServerProcess, StoredEvent};

const TAGS: usize = 70_000;
const KEPT_TAGS: usize = 200;
const BREADCRUMBS: usize = 50_000;
const KEPT_BREADCRUMBS: usize = 100;
const DEPTH: usize = 10_000;
/// `/healthz` and the Web API while the payloads are processed.
const PROBE_BOUND: Duration = Duration::from_millis(500);
const MAX_RSS_MIB: u64 = 200;

/// An envelope with one event whose JSON is `{..., <fields>}` (`fields` is raw JSON).
fn raw_event_envelope(id: Uuid, message: &str, fields: &str) -> Vec<u8> {
    let id = id.simple().to_string();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let payload = format!(
        r#"{{"event_id":"{id}","timestamp":{now},"level":"error","platform":"other","message":"{message}",{fields}}}"#
    );
    format!(
        "{{\"event_id\":\"{id}\"}}\n{{\"type\":\"event\",\"length\":{}}}\n{payload}\n",
        payload.len()
    )
    .into_bytes()
}

/// `n` in base 36, 4 digits.
fn base36(mut n: usize) -> String {
    let digits = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = [b'0'; 4];
    for slot in out.iter_mut().rev() {
        *slot = digits[n % 36];
        n /= 36;
    }
    String::from_utf8(out.to_vec()).unwrap()
}

/// An event with 70,000 distinct valid tags (`"0a1z":"1"`): about 770 kB.
fn huge_tags_event(id: Uuid) -> Vec<u8> {
    let mut tags = String::with_capacity(TAGS * 11);
    for i in 0..TAGS {
        if i > 0 {
            tags.push(',');
        }
        let _ = write!(tags, "\"{}\":\"1\"", base36(i));
    }
    raw_event_envelope(id, "70,000 tags", &format!("\"tags\":{{{tags}}}"))
}

/// The processing errors of a stored event whose `name` contains `field`.
fn errors_about(event: &StoredEvent, field: &str) -> Vec<Value> {
    event.payload["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["name"].as_str().is_some_and(|n| n.contains(field)))
        .cloned()
        .collect()
}

/// The most an attacker waits for its answer (a debug build on a loaded machine is slow;
/// a server that is slower than this has stalled).
const ANSWER_WITHIN: Duration = Duration::from_secs(20);

/// An answer, or why there was none.
type Answer = Result<Reply, String>;

/// Posts envelopes concurrently, each on its own thread.
fn post_all(server: &ServerProcess, bodies: Vec<Vec<u8>>) -> Vec<std::thread::JoinHandle<Answer>> {
    bodies
        .into_iter()
        .map(|body| {
            let url = server.envelope_url();
            let auth = server.auth();
            std::thread::spawn(move || {
                post_within(
                    &url,
                    &[
                        ("X-Sentry-Auth", &auth),
                        ("Content-Type", "application/x-sentry-envelope"),
                    ],
                    &body,
                    ANSWER_WITHIN,
                )
            })
        })
        .collect()
}

/// `status body`, or why there was no answer.
fn describe(answer: &Answer) -> String {
    match answer {
        Ok(reply) => format!("{} {}", reply.status, reply.body),
        Err(e) => format!("no answer within {ANSWER_WITHIN:?} ({e})"),
    }
}

/// Checks a reply is 200 and the event stored; returns it.
fn stored(
    checks: &mut Checks,
    server: &ServerProcess,
    what: &str,
    answer: &Answer,
    id: Uuid,
) -> Option<StoredEvent> {
    let ok = checks.check(answer.as_ref().is_ok_and(|r| r.status == 200), || {
        format!("{what}: expected 200, got {}", describe(answer))
    });
    if !ok {
        return None;
    }
    let event = server.stored().event(id);
    checks.check(event.is_some(), || {
        format!("{what}: answered 200 but not stored")
    });
    event
}

#[allow(clippy::too_many_lines, reason = "one attack, read top to bottom")]
#[test]
fn huge_tag_sets_are_cut_without_stalling_the_server() {
    let _one = one_attack_at_a_time();
    let mut checks = Checks::new("huge-tags");
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_with(&dir.path().join("data"), &[]);
    let token = format!("Bearer {}", server.token());
    let ids = [Uuid::new_v4(), Uuid::new_v4()];
    let bodies: Vec<Vec<u8>> = ids.iter().map(|id| huge_tags_event(*id)).collect();
    report(
        "huge-tags",
        &format!("2 events of {} bytes, {TAGS} tags each", bodies[0].len()),
    );

    let rss = RssSampler::start(server.pid());
    let started = Instant::now();
    let posts = post_all(&server, bodies);
    let in_flight = Arc::new(AtomicUsize::new(2));
    let waiter = {
        let in_flight = in_flight.clone();
        std::thread::spawn(move || {
            posts
                .into_iter()
                .map(|post| {
                    let reply = post.join().expect("a post thread");
                    in_flight.fetch_sub(1, Ordering::Relaxed);
                    (reply, started.elapsed())
                })
                .collect::<Vec<_>>()
        })
    };
    std::thread::sleep(Duration::from_millis(100));
    let honest = HonestSdk::start(&server, "huge-tags");
    // Probe while the two are in flight (bounded by their answer deadline).
    let (mut health_max, mut api_max, mut probes) = (Duration::ZERO, Duration::ZERO, 0);
    let mut bad_probes = Vec::new();
    while in_flight.load(Ordering::Relaxed) > 0
        && started.elapsed() < ANSWER_WITHIN + Duration::from_secs(5)
    {
        let (health, took) = timed_get(&server.url("/healthz"), &[]);
        health_max = health_max.max(took);
        if health != Some(200) {
            bad_probes.push(format!("/healthz {health:?}"));
        }
        let (project, took) = timed_get(
            &server.url(&format!("{PROJECT_PATH}/")),
            &[("Authorization", &token)],
        );
        api_max = api_max.max(took);
        if project != Some(200) {
            bad_probes.push(format!("project API {project:?}"));
        }
        probes += 1;
        std::thread::sleep(Duration::from_millis(50));
    }
    let replies = waiter.join().expect("the waiter");
    let honest = honest.finish();
    let rss = rss.stop();

    honest.check_served(&mut checks, &server);
    report(
        "huge-tags",
        &format!(
            "answered {:?}; {probes} probe rounds while in flight: /healthz max {} ms, Web API \
             max {} ms",
            replies
                .iter()
                .map(|(r, at)| format!(
                    "{} after {:.1} s",
                    describe(r).chars().take(120).collect::<String>(),
                    at.as_secs_f64()
                ))
                .collect::<Vec<_>>(),
            health_max.as_millis(),
            api_max.as_millis()
        ),
    );
    report("huge-tags", &rss.describe());
    checks.check(
        health_max < PROBE_BOUND && api_max < PROBE_BOUND && bad_probes.is_empty(),
        || {
            format!(
                "while the tags were processed, /healthz took up to {} ms and the Web API up to \
                 {} ms (bound {} ms); failed probes: {bad_probes:?}",
                health_max.as_millis(),
                api_max.as_millis(),
                PROBE_BOUND.as_millis()
            )
        },
    );
    for ((reply, _), id) in replies.iter().zip(ids) {
        let Some(event) = stored(&mut checks, &server, "a 70,000-tag event", reply, id) else {
            continue;
        };
        let tags = event.payload["tags"].as_array().map_or(0, Vec::len);
        report("huge-tags", &format!("event {id}: {tags} tags stored"));
        checks.check((1..=KEPT_TAGS).contains(&tags), || {
            format!("{tags} tags stored of {TAGS}; expected them cut to {KEPT_TAGS}")
        });
        let errors = errors_about(&event, "tags");
        checks.check(!errors.is_empty(), || {
            format!(
                "no processing error about the tags in the stored event's errors: {}",
                event.payload["errors"]
            )
        });
    }
    checks.check(rss.peak_mib() < MAX_RSS_MIB, || {
        format!("{} (bound {MAX_RSS_MIB} MiB)", rss.describe())
    });
    checks.finish(&server);
}

#[allow(clippy::too_many_lines, reason = "one attack, read top to bottom")]
#[test]
fn deep_json_and_many_breadcrumbs_are_stored_cut_down() {
    let _one = one_attack_at_a_time();
    let mut checks = Checks::new("deep-json+breadcrumbs");
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_with(&dir.path().join("data"), &[]);
    server.stored();

    let deep_id = Uuid::new_v4();
    let deep = format!("{}1{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
    let deep_body = raw_event_envelope(
        deep_id,
        "10,000 levels deep",
        &format!("\"extra\":{{\"deep\":{deep}}}"),
    );
    let crumbs_id = Uuid::new_v4();
    let crumbs: Vec<String> = (0..BREADCRUMBS)
        .map(|i| format!("{{\"message\":\"{i}\"}}"))
        .collect();
    let crumbs_body = raw_event_envelope(
        crumbs_id,
        "50,000 breadcrumbs",
        &format!("\"breadcrumbs\":{{\"values\":[{}]}}", crumbs.join(",")),
    );
    assert!(
        crumbs_body.len() < 1 << 20,
        "{} bytes: over 1 MiB",
        crumbs_body.len()
    );
    report(
        "deep-json+breadcrumbs",
        &format!(
            "deep event {} bytes, breadcrumbs event {} bytes",
            deep_body.len(),
            crumbs_body.len()
        ),
    );

    let rss = RssSampler::start(server.pid());
    let posts = post_all(&server, vec![deep_body, crumbs_body]);
    std::thread::sleep(Duration::from_millis(100));
    let honest = HonestSdk::start(&server, "deep-json+breadcrumbs").finish();
    let replies: Vec<Answer> = posts
        .into_iter()
        .map(|p| p.join().expect("a post thread"))
        .collect();
    let rss = rss.stop();

    honest.check_served(&mut checks, &server);
    report(
        "deep-json+breadcrumbs",
        &format!(
            "answered {:?}",
            replies.iter().map(describe).collect::<Vec<_>>()
        ),
    );
    report("deep-json+breadcrumbs", &rss.describe());
    if let Some(event) = stored(
        &mut checks,
        &server,
        "the 10,000-deep event",
        &replies[0],
        deep_id,
    ) {
        let errors = errors_about(&event, "extra");
        checks.check(!errors.is_empty(), || {
            format!(
                "no processing error about `extra` in the stored event's errors: {}",
                event.payload["errors"]
            )
        });
    }
    if let Some(event) = stored(
        &mut checks,
        &server,
        "the 50,000-breadcrumb event",
        &replies[1],
        crumbs_id,
    ) {
        let kept: Vec<&str> = event.payload["breadcrumbs"]["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["message"].as_str())
            .collect();
        report(
            "deep-json+breadcrumbs",
            &format!(
                "{} breadcrumbs stored: first {:?}, last {:?}",
                kept.len(),
                kept.first(),
                kept.last()
            ),
        );
        let latest: Vec<String> = (BREADCRUMBS - KEPT_BREADCRUMBS..BREADCRUMBS)
            .map(|i| i.to_string())
            .collect();
        checks.check(kept == latest, || {
            format!(
                "{} breadcrumbs stored (first {:?}, last {:?}); expected the latest \
                 {KEPT_BREADCRUMBS} ({}..={})",
                kept.len(),
                kept.first(),
                kept.last(),
                BREADCRUMBS - KEPT_BREADCRUMBS,
                BREADCRUMBS - 1
            )
        });
        let errors = errors_about(&event, "breadcrumbs");
        checks.check(!errors.is_empty(), || {
            format!(
                "no processing error about the breadcrumbs in the stored event's errors: {}",
                event.payload["errors"]
            )
        });
    }
    checks.check(rss.peak_mib() < MAX_RSS_MIB, || {
        format!("{} (bound {MAX_RSS_MIB} MiB)", rss.describe())
    });
    checks.finish(&server);
}
