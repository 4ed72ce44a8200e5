//! Fuzzes the whole ingest core as the server drives it: the intake (content decoding,
//! the first input byte picks the encoding; envelope or legacy store parsing), size limits,
//! the server's processing (normalization, scrubbing, grouping, compression, client
//! reports), and normalization and grouping again on their own. Any panic, or any
//! allocation beyond the limits, is a bug.
#![no_main]

use bytes::Bytes;
use errata_protocol::envelope::ItemType;
use errata_protocol::limits::Limits;
use errata_protocol::intake::{self, Endpoint, IntakeLimits, RequestHead};
use errata_protocol::{NormalizeContext, normalize};
use errata_server::ingest::process::{RequestInfo, process};
use errata_server::outcome::Outcomes;
use errata_server::scrub::ScrubRules;
use errata_store::ProjectId;
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;

const LIMIT: usize = 4 << 20;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else { return };
    let content_encoding = match selector % 7 {
        0 => None,
        1 => Some("gzip"),
        2 => Some("deflate"),
        3 => Some("br"),
        4 => Some("zstd"),
        5 => Some("gzip, br"),
        _ => Some("UTF-8"),
    };
    let endpoint = if selector & 0x80 == 0 { Endpoint::Envelope } else { Endpoint::Store };
    let mut head = RequestHead::new(endpoint, Some(42));
    head.content_encoding = content_encoding;
    head.query = Some("sentry_key=a1b2c3d4e5f60718293a4b5c6d7e8f90&sentry_version=7");
    let limits = IntakeLimits {
        max_request_bytes: LIMIT,
        max_envelope_bytes: LIMIT,
        max_unauthenticated_bytes: LIMIT,
    };
    let envelope = intake::read(&head, Bytes::copy_from_slice(body), limits).map(|(_, e)| e);
    let Ok(envelope) = envelope else { return };
    let _ = Limits::default().check(&envelope);
    // The server's processing of the whole envelope: normalize, scrub (with an extra
    // field and IP dropping), group, compress, client reports and the other items.
    let info = RequestInfo {
        project_id: ProjectId(1),
        received_ms: 1_795_288_800_000,
        client_ip: Some("203.0.113.7".into()),
        client: Some("fuzz/1.0".into()),
        scrub: Some(Arc::new(ScrubRules::new(&["tenant".to_owned()], selector & 0x40 != 0))),
        max_attachment_bytes: LIMIT,
    };
    let _ = process(&envelope, &info, &Outcomes::default());
    let ctx = NormalizeContext::new(1_795_288_800.0);
    for item in envelope.items() {
        if matches!(item.ty(), ItemType::Event | ItemType::Transaction | ItemType::Feedback)
            && let Ok(event) = normalize(item.payload(), &ctx)
        {
            let grouping = errata_grouping::group(&event);
            assert!(!grouping.hashes.is_empty());
            let _ = serde_json_roundtrip(&event);
        }
    }
});

/// The normalized event must serialize and normalize again.
fn serde_json_roundtrip(event: &errata_protocol::Event) -> Option<()> {
    let text = errata_protocol_json(event)?;
    normalize(&text, &NormalizeContext::new(1_795_288_800.0)).ok().map(|_| ())
}

fn errata_protocol_json(event: &errata_protocol::Event) -> Option<Vec<u8>> {
    serde_json::to_vec(event).ok()
}
