//! Ingest throughput of the `SQLite` store: batches of 1, 64, 512, 2048 events of ~4 KB JSON
//! spread over ~200 groups, reported per event (criterion's element throughput), under
//! both durability levels; plus payload compression alone, and bytes on disk per event
//! against the raw JSON size (printed once, before the timed groups), also with a payload
//! dictionary trained after the first 2,048 events.

#![allow(clippy::print_stderr)] // the disk-size figures are the bench's report

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use errata_store::{BootstrapSpec, Level, NewEvent, Payload, PayloadCodec, ProjectId, Store, Uuid};
use errata_store_sqlite::{Durability, SqliteOptions, SqliteStore};
use serde_json::json;

const GROUPS: u64 = 200;

/// A small deterministic PRNG (xorshift64*), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A Python-SDK-shaped error event of about 4 KB.
fn raw_event(rng: &mut Rng, event_id: Uuid, group: u64, user: u64) -> Vec<u8> {
    let frames: Vec<_> = (0..12)
        .map(|i| {
            json!({
                "filename": format!("app/module_{group}/file_{i}.py"),
                "abs_path": format!("/srv/app/module_{group}/file_{i}.py"),
                "function": format!("handler_{i}_{}", group % 17),
                "module": format!("app.module_{group}.file_{i}"),
                "lineno": 10 + rng.below(400),
                "context_line": format!("    result = compute_{i}(request, value={})", rng.below(1000)),
                "in_app": i > 3,
            })
        })
        .collect();
    let breadcrumbs: Vec<_> = (0..6)
        .map(|i| {
            json!({
                "timestamp": 1_700_000_000.0 + f64::from(i),
                "category": "http",
                "message": format!("GET /api/items/{} -> 200", rng.below(100_000)),
                "level": "info",
            })
        })
        .collect();
    let event = json!({
        "event_id": event_id.simple().to_string(),
        "timestamp": 1_700_000_000.5 + rng.below(86_400) as f64,
        "platform": "python",
        "level": "error",
        "logger": "app.errors",
        "server_name": format!("web-{}", rng.below(10)),
        "release": format!("app@1.{}.0", group % 5),
        "environment": "production",
        "exception": {"values": [{
            "type": format!("Error{}", group % 23),
            "value": format!("item {} of group {group} is invalid", rng.below(1_000_000)),
            "module": "app.errors",
            "mechanism": {"type": "generic", "handled": true},
            "stacktrace": {"frames": frames},
        }]},
        "breadcrumbs": {"values": breadcrumbs},
        "user": {"id": user.to_string(), "ip_address": format!("10.0.{}.{}", user / 250, user % 250)},
        "request": {
            "url": format!("https://example.com/api/items/{}", rng.below(100_000)),
            "method": "GET",
            "headers": {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0", "Accept": "application/json"},
        },
        "contexts": {
            "runtime": {"name": "CPython", "version": "3.12.1"},
            "os": {"name": "Linux", "version": "6.1"},
            "trace": {"trace_id": Uuid::new_v4().simple().to_string(), "span_id": format!("{:016x}", rng.next())},
        },
        "tags": {"server_name": format!("web-{}", rng.below(10)), "browser": "Firefox 120"},
        "sdk": {"name": "sentry.python", "version": "2.75.0"},
        "extra": {"sys.argv": ["/srv/app/manage.py", "runserver"], "request_id": Uuid::new_v4().to_string()},
    });
    serde_json::to_vec(&event).expect("json")
}

fn new_event(
    rng: &mut Rng,
    project: ProjectId,
    received_ms: i64,
    codec: &PayloadCodec,
) -> (NewEvent, usize) {
    let event_id = Uuid::new_v4();
    let group = rng.below(GROUPS);
    let user = rng.below(1000);
    let raw = raw_event(rng, event_id, group, user);
    let raw_len = raw.len();
    let event = NewEvent {
        project_id: project,
        event_id,
        received_ms,
        timestamp_ms: received_ms,
        hashes: vec![
            format!("{group:032x}"),
            format!("{:032x}", group + 1_000_000),
        ],
        title: format!("Error{}: item of group {group} is invalid", group % 23),
        culprit: format!("app.module_{group}.file_11 in handler_11"),
        level: Level::Error,
        event_type: "error".into(),
        metadata: format!(
            r#"{{"type":"Error{}","value":"item is invalid"}}"#,
            group % 23
        )
        .into_bytes(),
        release: Some(format!("app@1.{}.0", group % 5)),
        environment: Some("production".into()),
        user: Some(format!("id:{user}")),
        tags: vec![
            ("environment".into(), "production".into()),
            ("release".into(), format!("app@1.{}.0", group % 5)),
            ("server_name".into(), format!("web-{}", rng.below(10))),
            ("browser".into(), "Firefox 120".into()),
            ("os".into(), "Linux".into()),
            ("level".into(), "error".into()),
            (
                "url".into(),
                format!("https://example.com/api/{}", rng.below(50)),
            ),
        ],
        payload: codec.compress(&raw).expect("compress"),
        attachments: Vec::new(),
        user_reports: Vec::new(),
    };
    (event, raw_len)
}

fn open(dir: &std::path::Path, durability: Durability) -> (SqliteStore, ProjectId) {
    let store = SqliteStore::open_with(
        dir,
        SqliteOptions {
            durability,
            ..SqliteOptions::default()
        },
    )
    .expect("open");
    let project = store
        .bootstrap(&BootstrapSpec {
            organization_slug: "bench".into(),
            organization_name: "Bench".into(),
            admin_email: "bench@example.com".into(),
            admin_password_hash: "x".into(),
            project_slug: "bench".into(),
            project_name: "Bench".into(),
        })
        .expect("bootstrap")
        .project
        .id;
    (store, project)
}

/// CPU time (user + system) of the calling thread, from `/proc` (Linux); `None` elsewhere.
/// Unlike wall time it does not count time the thread waited for a core, which on a shared
/// machine is most of the wall time.
fn thread_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10)) // USER_HZ is 100 on Linux
}

/// Ingests `total` events in batches of `batch_size`, then prints the writer's CPU and wall
/// time per event and the bytes on disk per event against the raw JSON. With `dictionary`,
/// a payload dictionary is trained once 2,048 events are stored, as the server's upkeep
/// would, and the later events are compressed with it.
fn report(total: u64, batch_size: u64, durability: Durability, dictionary: bool) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, project) = open(dir.path(), durability);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut events, mut raw_total, mut compressed_total) = (0u64, 0u64, 0u64);
    let (mut cpu, mut wall) = (Duration::ZERO, Duration::ZERO);
    for batch in 0..total.div_ceil(batch_size) {
        let batch: Vec<_> = (0..batch_size)
            .map(|i| {
                let received = (batch * batch_size + i).cast_signed();
                new_event(&mut rng, project, received, store.payload_codec())
            })
            .collect();
        raw_total += batch.iter().map(|(_, raw)| *raw as u64).sum::<u64>();
        compressed_total += batch
            .iter()
            .map(|(e, _)| e.payload.compressed().len() as u64)
            .sum::<u64>();
        events += batch.len() as u64;
        let batch: Vec<_> = batch.into_iter().map(|(e, _)| e).collect();
        let (cpu0, wall0) = (thread_cpu(), std::time::Instant::now());
        store.ingest(&batch).expect("ingest");
        wall += wall0.elapsed();
        if let (Some(before), Some(after)) = (cpu0, thread_cpu()) {
            cpu += after.saturating_sub(before);
        }
        if dictionary && events >= 2048 && store.payload_codec().current().is_none() {
            store
                .train_payload_dictionary(0, 1000)
                .expect("training")
                .expect("enough events");
        }
    }
    store.checkpoint().expect("checkpoint");
    let disk = store.disk_usage();
    let per_event = |d: Duration| d.as_secs_f64() * 1e6 / events as f64;
    let with = if dictionary {
        ", dictionary after 2,048"
    } else {
        ""
    };
    eprintln!(
        "{durability:?}{with}, {events} events in batches of {batch_size}: writer CPU {:.1} us/event \
         ({:.0} events/s per core), wall {:.1} us/event",
        per_event(cpu),
        1e6 / per_event(cpu),
        per_event(wall),
    );
    eprintln!(
        "  disk: raw JSON {:.0} B/event, zstd payload {:.0} B/event, \
         on disk {:.0} B/event = {:.1}% of raw JSON",
        raw_total as f64 / events as f64,
        compressed_total as f64 / events as f64,
        disk as f64 / events as f64,
        100.0 * disk as f64 / raw_total as f64,
    );
}

fn bench_ingest(c: &mut Criterion) {
    report(20_480, 512, Durability::PowerLoss, false);
    report(102_400, 512, Durability::PowerLoss, false);
    report(102_400, 512, Durability::PowerLoss, true);
    report(102_400, 2048, Durability::PowerLoss, false);

    let mut rng = Rng(42);
    let mut group = c.benchmark_group("compress");
    let raw = raw_event(&mut rng, Uuid::new_v4(), 7, 7);
    group.throughput(Throughput::Elements(1));
    group.bench_function("zstd3_4KB", |b| {
        b.iter(|| Payload::compress(black_box(&raw)));
    });
    group.finish();

    for (name, durability) in [
        ("ingest_full", Durability::PowerLoss),
        ("ingest_normal", Durability::ProcessCrash),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, project) = open(dir.path(), durability);
        let mut group = c.benchmark_group(name);
        group
            .sample_size(10)
            .measurement_time(Duration::from_secs(5));
        let mut clock = 0;
        for batch in [1u64, 64, 512, 2048] {
            group.throughput(Throughput::Elements(batch));
            group.bench_with_input(BenchmarkId::from_parameter(batch), &batch, |b, &batch| {
                b.iter_batched(
                    || {
                        clock += 1;
                        (0..batch)
                            .map(|_| new_event(&mut rng, project, clock, store.payload_codec()).0)
                            .collect::<Vec<_>>()
                    },
                    |events| store.ingest(&events).expect("ingest"),
                    BatchSize::PerIteration,
                );
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench_ingest);
criterion_main!(benches);
