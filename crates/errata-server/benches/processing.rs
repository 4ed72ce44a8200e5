//! What ingest's worker does with one event, per byte, on hostile events against the SDK
//! corpus: the server's whole processing of an envelope (normalize, scrub with the
//! default rules, group, serialize, compress, build the store input), as the worker pool
//! runs it. The aim: an adversarial event (70,000 tags, 10,000-deep JSON, 50,000
//! breadcrumbs, 70,000 `extra` keys, each within 1 MiB) costs at most 5 times a corpus
//! event per byte. Throughput is in bytes of event JSON; the ratio of two throughputs is
//! the per-byte ratio.
//!
//! `inbound_filter` measures what the inbound filters add per event: every corpus event
//! (normalized beforehand, as screening hands it on) checked against a project with its
//! filters on (localhost off: the corpus was captured there) and its lists full (50 environments, 50 release and 50 error-message globs;
//! the events no filter drops, so every check runs to the end).
//!
//! Run: `cargo bench -p errata-server --bench processing -- --warm-up-time 1 --measurement-time 3`

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use errata_corpus::adversarial;
use errata_protocol::envelope::Envelope;
use errata_server::filter::InboundFilter;
use errata_server::ingest::process::{RequestInfo, process};
use errata_server::outcome::Outcomes;
use errata_server::scrub::ScrubRules;
use errata_store::{InboundFilters, MAX_FILTER_PATTERNS, PayloadCodec, ProjectId};
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

/// A project with its filters on (but localhost) and every list full.
fn busy_filter() -> InboundFilter {
    let list = |f: &dyn Fn(usize) -> String| (0..MAX_FILTER_PATTERNS).map(f).collect();
    InboundFilter::new(&InboundFilters {
        environments: list(&|n| format!("env-{n}")),
        releases: list(&|n| format!("9{n}.*-nightly")),
        error_messages: list(&|n| format!("*NoSuchError{n}*timeout*")),
        web_crawlers: true,
        browser_extensions: true,
        // The corpus was captured on localhost: its events would all stop there.
        localhost: false,
    })
}

fn inbound_filter(c: &mut Criterion) {
    let filter = busy_filter();
    let context = errata_protocol::NormalizeContext::new(1_795_288_800.0);
    let events: Vec<errata_protocol::Event> = errata_corpus::event_payloads()
        .iter()
        .filter_map(|payload| errata_protocol::normalize(payload, &context).ok())
        .filter(|event| filter.check(event).is_none())
        .collect();
    assert!(events.len() > 30, "{} corpus events", events.len());
    let mut group = c.benchmark_group("inbound_filter");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function(BenchmarkId::new("corpus_events", events.len()), |b| {
        b.iter(|| {
            for event in &events {
                black_box(filter.check(event));
            }
        });
    });
    group.finish();
}

criterion_group!(benches, processing, inbound_filter);
criterion_main!(benches);
