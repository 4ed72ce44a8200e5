//! The ingest core's cost per byte on hostile events, against its cost per byte on the
//! SDK corpus: every DSN key is public, so an event built to be slow must cost about as
//! much per byte as a real one (the aim is at most 5 times). Each adversarial event is
//! within the 1 MiB event limit: 70,000 distinct tags, one value of `extra` nested
//! 10,000 levels deep, 50,000 breadcrumbs, and 70,000 keys in `extra` (a map the parser
//! does not skim, so it pays for building every key). Each is normalized and grouped, as
//! ingest does; throughput is in bytes of event JSON, so the per-byte ratio is the ratio
//! of the reported throughputs. Each case is also parsed into a `serde_json::Value` and
//! nothing else (`*_json_parse`): the floor any JSON-reading server pays for those bytes.
//!
//! Run: `cargo bench -p errata-grouping --bench adversarial -- --warm-up-time 1 --measurement-time 3`

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use errata_corpus::adversarial;
use errata_protocol::{NormalizeContext, normalize};
use std::hint::black_box;

const RECEIVED_AT: f64 = 1_795_288_800.0;

fn adversarial(c: &mut Criterion) {
    let ctx = NormalizeContext::new(RECEIVED_AT);
    let corpus = errata_corpus::event_payloads();
    let total: usize = corpus.iter().map(bytes::Bytes::len).sum();
    let mut group = c.benchmark_group("per_byte");
    group.throughput(Throughput::Bytes(total as u64));
    group.bench_function(BenchmarkId::new("corpus_json_parse", corpus.len()), |b| {
        b.iter(|| {
            for p in &corpus {
                let v: serde_json::Value = serde_json::from_slice(p).expect("json");
                black_box(v);
            }
        });
    });
    group.bench_function(BenchmarkId::new("corpus", corpus.len()), |b| {
        b.iter(|| {
            for p in &corpus {
                let event = normalize(p, &ctx).expect("normalizes");
                black_box(errata_grouping::group(&event));
            }
        });
    });
    for (name, payload) in adversarial::all() {
        // Cut, not rejected: each is an event.
        normalize(&payload, &ctx).expect("an adversarial event normalizes");
        group.throughput(Throughput::Bytes(payload.len() as u64));
        if name != "deep_extra_10k" {
            // (`serde_json` alone refuses the deep one.)
            let parse = format!("{name}_json_parse");
            group.bench_function(BenchmarkId::new(parse, payload.len()), |b| {
                b.iter(|| {
                    let v: serde_json::Value = serde_json::from_slice(&payload).expect("json");
                    black_box(v);
                });
            });
        }
        group.bench_function(BenchmarkId::new(name, payload.len()), |b| {
            b.iter(|| {
                let event = normalize(&payload, &ctx).expect("normalizes");
                black_box(errata_grouping::group(&event));
            });
        });
    }
    group.finish();
}

criterion_group!(benches, adversarial);
criterion_main!(benches);
