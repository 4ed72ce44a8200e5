//! Fuzzes the whole ingest core as the server drives it: content decoding (the first
//! input byte picks the encoding), envelope or legacy store parsing, size limits,
//! normalization and grouping. Any panic, or any allocation beyond the limits, is a bug.
#![no_main]

use bytes::Bytes;
use errata_protocol::envelope::{Envelope, ItemType};
use errata_protocol::limits::Limits;
use errata_protocol::{NormalizeContext, encoding, normalize, store};
use libfuzzer_sys::fuzz_target;

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
    let Ok(decoded) = encoding::decode_bytes(Bytes::copy_from_slice(body), content_encoding, LIMIT)
    else {
        return;
    };
    let envelope = if selector & 0x80 == 0 {
        Envelope::parse(decoded)
    } else {
        store::decode(decoded, None, LIMIT).map(store::StoreBody::into_envelope)
    };
    let Ok(envelope) = envelope else { return };
    let _ = Limits::default().check(&envelope);
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
