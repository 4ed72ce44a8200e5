//! The ingest core's cost per event: for every event of the SDK corpus, from the
//! decompressed item payload to a grouping. Measured against a baseline in the same
//! run: parsing the same bytes into a `serde_json::Value` and nothing else, the floor
//! any JSON-reading server pays. Throughput is in bytes of decompressed event JSON.
//!
//! Run: `cargo bench -p errata-grouping --bench pipeline`

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use errata_protocol::envelope::ItemType;
use errata_protocol::{NormalizeContext, normalize};
use std::hint::black_box;

const RECEIVED_AT: f64 = 1_795_288_800.0;

/// The decompressed payload of every event item in the corpus.
fn payloads() -> Vec<bytes::Bytes> {
    let mut out = Vec::new();
    for request in errata_corpus::load() {
        let (_, envelope) = request.decode().expect("corpus request decodes");
        for item in envelope.items() {
            if *item.ty() == ItemType::Event {
                out.push(item.payload().clone());
            }
        }
    }
    out
}

fn pipeline(c: &mut Criterion) {
    let payloads = payloads();
    let total: usize = payloads.iter().map(bytes::Bytes::len).sum();
    let ctx = NormalizeContext::new(RECEIVED_AT);
    let mut group = c.benchmark_group("corpus_events");
    group.throughput(Throughput::Bytes(total as u64));
    group.bench_function(
        BenchmarkId::new("baseline_json_parse", payloads.len()),
        |b| {
            b.iter(|| {
                for p in &payloads {
                    let v: serde_json::Value = serde_json::from_slice(p).expect("json");
                    black_box(v);
                }
            });
        },
    );
    group.bench_function(BenchmarkId::new("normalize", payloads.len()), |b| {
        b.iter(|| {
            for p in &payloads {
                black_box(normalize(p, &ctx).expect("normalizes"));
            }
        });
    });
    group.bench_function(BenchmarkId::new("normalize_group", payloads.len()), |b| {
        b.iter(|| {
            for p in &payloads {
                let event = normalize(p, &ctx).expect("normalizes");
                black_box(errata_grouping::group(&event));
            }
        });
    });
    // Grouping alone, per SDK (Rust events carry ~60 native frames, Python ones ~3).
    let events: Vec<(String, errata_protocol::Event)> = errata_corpus::load()
        .into_iter()
        .flat_map(|r| {
            let (_, envelope) = r.decode().expect("decodes");
            envelope
                .items()
                .iter()
                .filter(|i| *i.ty() == ItemType::Event)
                .map(|i| {
                    (
                        r.name.clone(),
                        normalize(i.payload(), &ctx).expect("normalizes"),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    for sdk in ["python", "rust"] {
        let subset: Vec<_> = events
            .iter()
            .filter(|(n, _)| n.starts_with(sdk))
            .map(|(_, e)| e)
            .collect();
        group.throughput(Throughput::Elements(subset.len() as u64));
        group.bench_function(
            BenchmarkId::new(format!("group_only_{sdk}"), subset.len()),
            |b| {
                b.iter(|| {
                    for event in &subset {
                        black_box(errata_grouping::group(event));
                    }
                });
            },
        );
    }
    group.finish();

    // The whole request path: content decoding, envelope parsing, normalize, group.
    let requests: Vec<_> = errata_corpus::load()
        .into_iter()
        .filter(|r| r.decode().is_ok_and(|(_, e)| e.event_item().is_some()))
        .collect();
    let raw: usize = requests.iter().map(|r| r.body.len()).sum();
    let mut group = c.benchmark_group("corpus_requests");
    group.throughput(Throughput::Bytes(raw as u64));
    group.bench_function(
        BenchmarkId::new("decode_parse_normalize_group", requests.len()),
        |b| {
            b.iter(|| {
                for r in &requests {
                    let (_, envelope) = r.decode().expect("decodes and parses");
                    for item in envelope
                        .items()
                        .iter()
                        .filter(|i| *i.ty() == ItemType::Event)
                    {
                        let event = normalize(item.payload(), &ctx).expect("normalizes");
                        black_box(errata_grouping::group(&event));
                    }
                }
            });
        },
    );
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
