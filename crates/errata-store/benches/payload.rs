//! Payload compression settings measured on real SDK events: the corpus events, varied as
//! the load generator varies them (new event ids, timestamps, one of 200 group names in the
//! exception type or message) and normalized and serialized as the server stores them.
//! For zstd levels 1, 2, 3 (the old default), 5 and 7 without a dictionary, and with a
//! dictionary trained on one half of the events and tested on the other, it prints bytes
//! per event, compression and decompression time per event, and their ratios to level 3
//! without a dictionary, measured in the same run; then criterion times a few settings.
//!
//! Two splits: "same traffic" trains and tests on the same templates with different ids
//! and groups (what a dictionary trained on an installation's own recent events sees), and
//! "unseen" tests on templates the dictionary never saw (the worst case: a new SDK or a
//! new kind of event after training).
//!
//! Run: `cargo bench -p errata-store --bench payload -- --warm-up-time 1 --measurement-time 2`

#![allow(clippy::print_stderr, clippy::cast_precision_loss)] // the table is the report

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use errata_protocol::NormalizeContext;
use serde_json::{Value, json};

/// Events generated (half to train, half to test).
const EVENTS: usize = 4000;
const GROUPS: usize = 200;
const RECEIVED_AT: f64 = 1_795_288_800.0;

/// Base-26 group names, as the load generator makes them.
fn letters(mut n: usize) -> String {
    let mut out = String::new();
    loop {
        out.push(char::from(b'a' + u8::try_from(n % 26).unwrap_or(0)));
        n /= 26;
        if n == 0 {
            return out;
        }
    }
}

/// One generated event: its template (corpus event index) and normalized JSON.
struct Generated {
    template: usize,
    json: Vec<u8>,
}

fn generate() -> Vec<Generated> {
    let templates: Vec<Value> = errata_corpus::event_payloads()
        .iter()
        .filter_map(|p| serde_json::from_slice(p).ok())
        .collect();
    assert!(!templates.is_empty(), "the corpus has events");
    (0..EVENTS)
        .map(|i| {
            let template = i % templates.len();
            let mut event = templates[template].clone();
            let suffix = letters(i % GROUPS);
            let received = RECEIVED_AT + i as f64 * 0.37;
            event["event_id"] = json!(uuid::Uuid::new_v4().simple().to_string());
            event["timestamp"] = json!(received - 0.25);
            let exception = event
                .pointer_mut("/exception/values")
                .and_then(Value::as_array_mut)
                .and_then(|values| values.last_mut());
            if let Some(exception) = exception {
                let ty = exception["type"].as_str().unwrap_or("Error");
                exception["type"] = json!(format!("{ty}Bench{}", suffix.to_uppercase()));
            } else {
                let text = event
                    .pointer("/logentry/message")
                    .or_else(|| event.pointer("/message"))
                    .and_then(Value::as_str)
                    .unwrap_or("bench message")
                    .to_owned();
                if let Some(obj) = event.as_object_mut() {
                    obj.remove("logentry");
                }
                event["message"] = json!(format!("{text} (bench group {suffix})"));
            }
            let raw = serde_json::to_vec(&event).expect("serializes");
            let mut ctx = NormalizeContext::new(received);
            ctx.client_ip = Some("203.0.113.7".into());
            ctx.client = Some("sentry.python/2.75.0".into());
            let normalized = errata_protocol::normalize(&raw, &ctx).expect("normalizes");
            Generated {
                template,
                json: serde_json::to_vec(&normalized).expect("serializes"),
            }
        })
        .collect()
}

/// A train/test split of the generated events.
struct Split {
    name: &'static str,
    train: Vec<Vec<u8>>,
    test: Vec<Vec<u8>>,
}

fn splits(events: &[Generated]) -> [Split; 2] {
    let templates = events.iter().map(|e| e.template).max().unwrap_or(0) + 1;
    let mut same = Split {
        name: "same traffic",
        train: Vec::new(),
        test: Vec::new(),
    };
    let mut unseen = Split {
        name: "unseen",
        train: Vec::new(),
        test: Vec::new(),
    };
    for (i, e) in events.iter().enumerate() {
        if (i / templates) % 2 == 0 {
            same.train.push(e.json.clone());
        } else {
            same.test.push(e.json.clone());
        }
        if e.template % 2 == 0 {
            unseen.train.push(e.json.clone());
        } else {
            unseen.test.push(e.json.clone());
        }
    }
    [same, unseen]
}

/// One measured setting.
struct Measured {
    name: String,
    bytes: f64,
    compress_us: f64,
    decompress_us: f64,
}

/// The fastest of a few passes, per event.
fn per_event(events: usize, mut pass: impl FnMut()) -> f64 {
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        pass();
        best = best.min(start.elapsed());
    }
    best.as_secs_f64() * 1e6 / events as f64
}

fn measure(name: String, level: i32, dict: &[u8], test: &[Vec<u8>]) -> Measured {
    let mut compressor = zstd::bulk::Compressor::with_dictionary(level, dict).expect("compressor");
    let compressed: Vec<Vec<u8>> = test
        .iter()
        .map(|raw| compressor.compress(raw).expect("compresses"))
        .collect();
    let compress_us = per_event(test.len(), || {
        for raw in test {
            black_box(compressor.compress(raw).expect("compresses"));
        }
    });
    let mut decompressor = zstd::bulk::Decompressor::with_dictionary(dict).expect("decompressor");
    let decompress_us = per_event(test.len(), || {
        for (c, raw) in compressed.iter().zip(test) {
            black_box(decompressor.decompress(c, raw.len()).expect("decompresses"));
        }
    });
    Measured {
        name,
        bytes: compressed.iter().map(Vec::len).sum::<usize>() as f64 / test.len() as f64,
        compress_us,
        decompress_us,
    }
}

fn train(samples: &[Vec<u8>], size: usize) -> (Vec<u8>, Duration) {
    let start = Instant::now();
    let dict = zstd::dict::from_samples(samples, size).expect("trains");
    (dict, start.elapsed())
}

fn print_table(title: &str, raw: f64, rows: &[Measured]) {
    let base = rows
        .iter()
        .find(|r| r.name == "level 3")
        .expect("level 3 is measured");
    eprintln!("\n{title}: raw JSON {raw:.0} B/event");
    eprintln!(
        "{:<34} {:>8} {:>7} {:>9} {:>7} {:>9} {:>7}",
        "setting", "B/event", "ratio", "comp µs", "ratio", "decomp µs", "ratio"
    );
    for r in rows {
        eprintln!(
            "{:<34} {:>8.0} {:>7.2} {:>9.2} {:>7.2} {:>9.2} {:>7.2}",
            r.name,
            r.bytes,
            r.bytes / base.bytes,
            r.compress_us,
            r.compress_us / base.compress_us,
            r.decompress_us,
            r.decompress_us / base.decompress_us
        );
    }
}

fn report(split: &Split) {
    let raw = split.test.iter().map(Vec::len).sum::<usize>() as f64 / split.test.len() as f64;
    let mut rows: Vec<Measured> = [1, 2, 3, 5, 7]
        .into_iter()
        .map(|level| measure(format!("level {level}"), level, &[], &split.test))
        .collect();
    for size_kb in [16, 32, 64, 112] {
        let (dict, took) = train(&split.train, size_kb * 1024);
        for level in [1, 3] {
            rows.push(measure(
                format!(
                    "level {level} + {size_kb} KB dict ({} ms)",
                    took.as_millis()
                ),
                level,
                &dict,
                &split.test,
            ));
        }
    }
    for samples in [250, 500, 1000] {
        let (dict, took) = train(&split.train[..samples], 64 * 1024);
        rows.push(measure(
            format!("level 3 + 64 KB of {samples} ({} ms)", took.as_millis()),
            3,
            &dict,
            &split.test,
        ));
    }
    print_table(
        &format!(
            "{} ({} train, {} test events)",
            split.name,
            split.train.len(),
            split.test.len()
        ),
        raw,
        &rows,
    );
}

fn payload(c: &mut Criterion) {
    let events = generate();
    let splits = splits(&events);
    for split in &splits {
        report(split);
    }
    let split = &splits[0];
    let (dict, _) = train(&split.train, 64 * 1024);
    let mut group = c.benchmark_group("payload_compress");
    group.throughput(Throughput::Elements(split.test.len() as u64));
    for (name, level, dict) in [
        ("level3", 3, &[][..]),
        ("level1", 1, &[][..]),
        ("level1_dict64k", 1, &dict[..]),
        ("level3_dict64k", 3, &dict[..]),
    ] {
        let mut compressor = zstd::bulk::Compressor::with_dictionary(level, dict).expect("ok");
        group.bench_function(BenchmarkId::new(name, split.test.len()), |b| {
            b.iter(|| {
                for raw in &split.test {
                    black_box(compressor.compress(raw).expect("compresses"));
                }
            });
        });
    }
    group.finish();
}

criterion_group!(benches, payload);
criterion_main!(benches);
