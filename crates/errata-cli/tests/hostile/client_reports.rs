//! Forged client reports: 40 envelopes, each with a `client_report` item of 200 made-up
//! reasons and categories and quantities near 2^62. Client reports are the SDK's own
//! account of what it dropped, so they are accepted (200), but they must not let anyone
//! grow the outcome table or corrupt its counts: read back through the Web API
//! (`/api/0/projects/{org}/{project}/outcomes/`, raw, so a negative count cannot hide),
//! the made-up reasons and categories fold into a few rows (fewer than 50 distinct
//! `(category, reason)`: made-up reasons count as `client_discard:other`, made-up
//! categories as `unknown`), every quantity is a non-negative integer no larger than
//! `i64::MAX`, and each reported quantity is clamped to 2^32 before it is summed, so the
//! one row holding them all reads exactly entries x 2^32. The official Python SDK's event, sent during the flood, is answered 200
//! within 2 s and stored.

use std::collections::BTreeMap;
use std::time::Duration;

use errata_store::Uuid;
use serde_json::json;

use crate::common::{
    Checks, HonestSdk, PROJECT_PATH, RssSampler, api, one_attack_at_a_time, report,
};
use crate::harness::ServerProcess;

const ENVELOPES: usize = 40;
const ENTRIES: usize = 200;
const MAX_ROWS: usize = 50;
const MAX_RSS_MIB: u64 = 160;

/// An envelope with one `client_report` of 200 made-up `(reason, category)` entries.
fn forged_report(n: usize) -> Vec<u8> {
    let discarded: Vec<_> = (0..ENTRIES)
        .map(|i| {
            json!({
                "reason": format!("made-up-reason-{n}-{i}-{}", Uuid::new_v4().simple()),
                "category": format!("made-up-category-{n}-{i}"),
                "quantity": (1u64 << 62) + (n * ENTRIES + i) as u64,
            })
        })
        .collect();
    let payload = json!({
        "timestamp": std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64(),
        "discarded_events": discarded,
    })
    .to_string();
    format!(
        "{{}}\n{{\"type\":\"client_report\",\"length\":{}}}\n{payload}\n",
        payload.len()
    )
    .into_bytes()
}

#[allow(clippy::too_many_lines, reason = "one attack, read top to bottom")]
#[test]
fn forged_client_reports_fold_into_few_saturating_outcomes() {
    let _one = one_attack_at_a_time();
    let mut checks = Checks::new("client-reports");
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_with(&dir.path().join("data"), &[]);
    server.stored();

    let rss = RssSampler::start(server.pid());
    // Four senders of ten envelopes each.
    let senders: Vec<_> = (0..4)
        .map(|s| {
            let url = server.envelope_url();
            let auth = server.auth();
            std::thread::spawn(move || {
                (0..ENVELOPES / 4)
                    .map(|i| {
                        crate::harness::post(
                            &url,
                            &[
                                ("X-Sentry-Auth", &auth),
                                ("Content-Type", "application/x-sentry-envelope"),
                            ],
                            &forged_report(s * ENVELOPES / 4 + i),
                        )
                        .status
                    })
                    .collect::<Vec<u16>>()
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let honest = HonestSdk::start(&server, "client-reports").finish();
    let statuses: Vec<u16> = senders
        .into_iter()
        .flat_map(|s| s.join().expect("a sender"))
        .collect();
    let rss = rss.stop();
    honest.check_served(&mut checks, &server);
    let refused = statuses.iter().filter(|s| **s != 200).count();
    checks.check(refused == 0, || {
        format!("{refused} of {ENVELOPES} client reports were not answered 200: {statuses:?}")
    });

    // A committed event writes the pending counters with its batch.
    server.send_event("flushes the outcome counters");
    let reply = api(&server, &format!("{PROJECT_PATH}/outcomes/?statsPeriod=1d"));
    let ok = checks.check(reply.status == 200, || {
        format!(
            "the outcomes API answered {}: {} (an overflowing sum?)",
            reply.status, reply.body
        )
    });
    if ok {
        let view = reply.json();
        let rows = view["outcomes"].as_array().cloned().unwrap_or_default();
        let mut garbage = Vec::new();
        let mut by_row: BTreeMap<(String, String), u64> = BTreeMap::new();
        for row in &rows {
            let quantity = row["quantity"]
                .as_u64()
                .filter(|q| i64::try_from(*q).is_ok());
            match quantity {
                Some(q) => {
                    let key = (
                        row["category"].as_str().unwrap_or_default().to_owned(),
                        row["reason"].as_str().unwrap_or_default().to_owned(),
                    );
                    let sum = by_row.entry(key).or_default();
                    *sum = sum.saturating_add(q);
                }
                None => garbage.push(row.clone()),
            }
        }
        let largest = by_row.values().copied().max().unwrap_or(0);
        report(
            "client-reports",
            &format!(
                "{} outcome rows ({} distinct (category, reason)); largest quantity {largest} \
                 (i64::MAX = {}); e.g. {:?}",
                rows.len(),
                by_row.len(),
                i64::MAX,
                by_row.iter().take(5).collect::<Vec<_>>()
            ),
        );
        checks.check(by_row.len() < MAX_ROWS, || {
            format!(
                "{} distinct (category, reason) outcome rows after {} made-up entries (bound \
                 {MAX_ROWS}): made-up reasons and categories are stored as they came",
                by_row.len(),
                ENVELOPES * ENTRIES
            )
        });
        checks.check(garbage.is_empty(), || {
            format!(
                "{} outcome rows with a quantity that is not an integer in 0..=i64::MAX, e.g. \
                 {:?}",
                garbage.len(),
                garbage.first()
            )
        });
        // 8,000 quantities of about 2^62, each clamped to 2^32, in one row.
        let other = by_row
            .get(&("unknown".to_owned(), "client_discard:other".to_owned()))
            .copied();
        let expected = (ENVELOPES * ENTRIES) as u64 * (1u64 << 32);
        checks.check(other == Some(expected), || {
            format!(
                "the made-up entries read {other:?} under (unknown, client_discard:other), \
                 expected {expected} ({} entries clamped to 2^32; largest row {largest})",
                ENVELOPES * ENTRIES
            )
        });
    }
    report("client-reports", &rss.describe());
    checks.check(rss.peak_mib() < MAX_RSS_MIB, || {
        format!("{} (bound {MAX_RSS_MIB} MiB)", rss.describe())
    });
    checks.finish(&server);
}
