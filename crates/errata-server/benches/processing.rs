//! What ingest's worker does with one event, per byte, on hostile events against the SDK
//! corpus: the server's whole processing of an envelope (normalize, scrub with the
//! default rules, group, serialize, compress, build the store input), as the worker pool
//! runs it. The aim: an adversarial event (70,000 tags, 10,000-deep JSON, 50,000
//! breadcrumbs, 70,000 `extra` keys, each within 1 MiB) costs at most 5 times a corpus
//! event per byte. Throughput is in bytes of event JSON; the ratio of two throughputs is
//! the per-byte ratio.
//!
//! Run: `cargo bench -p errata-server --bench processing -- --warm-up-time 1 --measurement-time 3`

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use errata_corpus::adversarial;
use errata_protocol::envelope::Envelope;
use errata_server::ingest::process::{RequestInfo, process};
use errata_server::outcome::Outcomes;
use errata_server::scrub::ScrubRules;
use errata_store::{PayloadCodec, ProjectId};
use std::hint::black_box;
use std::sync::Arc;

fn envelope(payload: &Bytes) -> Envelope {
    Envelope::from_event_payload(payload.clone())
}

fn info() -> RequestInfo {
    RequestInfo {
        project_id: ProjectId(1),
        received_ms: 1_795_288_800_000,
        client_ip: Some("203.0.113.7".into()),
        client: Some("sentry.python/2.75.0".into()),
        scrub: Some(Arc::new(ScrubRules::default())),
        max_attachment_bytes: 20 << 20,
        codec: Arc::new(PayloadCodec::new()),
    }
}

fn processing(c: &mut Criterion) {
    let info = info();
    let outcomes = Outcomes::default();
    let corpus: Vec<Envelope> = errata_corpus::event_payloads()
        .iter()
        .map(envelope)
        .collect();
    let total: usize = errata_corpus::event_payloads().iter().map(Bytes::len).sum();
    let mut group = c.benchmark_group("process_per_byte");
    group.throughput(Throughput::Bytes(total as u64));
    group.bench_function(BenchmarkId::new("corpus", corpus.len()), |b| {
        b.iter(|| {
            for envelope in &corpus {
                black_box(process(envelope, &info, &outcomes).expect("processes"));
            }
        });
    });
    for (name, payload) in adversarial::all() {
        let payload = Bytes::from(payload);
        let envelope = envelope(&payload);
        let processed =
            process(&envelope, &info, &outcomes).expect("an adversarial event is stored");
        assert!(processed.event.is_some(), "{name}");
        group.throughput(Throughput::Bytes(payload.len() as u64));
        group.bench_function(BenchmarkId::new(name, payload.len()), |b| {
            b.iter(|| black_box(process(&envelope, &info, &outcomes).expect("processes")));
        });
    }
    group.finish();
}

criterion_group!(benches, processing);
criterion_main!(benches);
