//! Legacy `/api/{project_id}/store/` bodies: one event, in whichever old form it came.
//!
//! Before envelopes, SDKs posted a single event to `/store/` as plain JSON, as base64, or
//! as base64 of zlib-compressed JSON (old Python and Java clients), and a few post an
//! envelope there with `Content-Type: application/x-sentry-envelope`. This module owns
//! telling these apart the way Relay does (by the first byte: `{` is JSON, anything else
//! base64, and decoded bytes that are not `{` are inflated) and decoding them within a
//! size limit. `Content-Encoding` is undone before, by [`crate::encoding`].

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use bytes::Bytes;

use crate::Error;
use crate::encoding;
use crate::envelope::Envelope;

/// The content type that makes a `/store/` body an envelope.
pub const ENVELOPE_CONTENT_TYPE: &str = "application/x-sentry-envelope";

/// Standard base64, padding optional (clients disagree on it).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// What a `/store/` body turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreBody {
    /// One event's JSON (not yet validated: the normalizer reads it).
    Event(Bytes),
    /// An envelope, posted with the envelope content type.
    Envelope(Envelope),
}

impl StoreBody {
    /// The body as an envelope: an event becomes an envelope with one `event` item.
    pub fn into_envelope(self) -> Envelope {
        match self {
            Self::Event(payload) => Envelope::from_event_payload(payload),
            Self::Envelope(envelope) => envelope,
        }
    }
}

fn too_large(limit: usize) -> Error {
    Error::TooLarge {
        what: "store body".to_owned(),
        limit,
    }
}

fn is_envelope_content_type(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|essence| essence.trim().eq_ignore_ascii_case(ENVELOPE_CONTENT_TYPE))
    })
}

/// Decodes a `/store/` body (already stripped of its `Content-Encoding`) into at most
/// `limit` bytes of event JSON, or an envelope when `content_type` says so.
///
/// JSON bodies are returned without a copy. Leading whitespace is skipped before looking
/// at the first byte; whitespace inside base64 (line breaks) is ignored.
pub fn decode(body: Bytes, content_type: Option<&str>, limit: usize) -> Result<StoreBody, Error> {
    if body.len() > limit && !is_compressed_candidate(&body) {
        return Err(too_large(limit));
    }
    if is_envelope_content_type(content_type) {
        if body.len() > limit {
            return Err(too_large(limit));
        }
        return Envelope::parse(body).map(StoreBody::Envelope);
    }
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else {
        return Err(Error::InvalidPayload("empty store body".to_owned()));
    };
    if body.get(start) == Some(&b'{') {
        return Ok(StoreBody::Event(body.slice(start..)));
    }
    decode_base64_event(&body, limit).map(|event| StoreBody::Event(Bytes::from(event)))
}

/// Whether a body over the limit might still decode to something within it. Base64 only
/// shrinks by a quarter before inflating, so only a base64 body may exceed the limit.
fn is_compressed_candidate(body: &[u8]) -> bool {
    body.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b != b'{')
}

/// Decodes the base64 (and, unless it is JSON already, zlib) form of an event.
fn decode_base64_event(body: &[u8], limit: usize) -> Result<Vec<u8>, Error> {
    let compact: Cow<'_, [u8]> = if body.iter().any(u8::is_ascii_whitespace) {
        Cow::Owned(
            body.iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect(),
        )
    } else {
        Cow::Borrowed(body)
    };
    let decoded = BASE64.decode(&compact).map_err(|e| Error::Decompression {
        encoding: "base64",
        detail: format!("store body is neither JSON nor base64: {e}"),
    })?;
    drop(compact);
    if decoded.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        if decoded.len() > limit {
            return Err(too_large(limit));
        }
        return Ok(decoded);
    }
    // zlib as the old clients send it; raw deflate accepted too.
    let zlib = encoding::is_zlib_header(&decoded);
    encoding::inflate(&decoded, zlib, limit, "zlib")
}

/// Decodes the `sentry_data` query parameter of a `GET /api/{id}/store/` request (already
/// percent-decoded): the same forms as a body.
pub fn decode_query_data(sentry_data: &str, limit: usize) -> Result<StoreBody, Error> {
    decode(Bytes::copy_from_slice(sentry_data.as_bytes()), None, limit)
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use flate2::Compression;
    use flate2::write::ZlibEncoder;

    use super::*;
    use crate::envelope::ItemType;

    const EVENT: &[u8] = br#"{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","message":"hi"}"#;

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).expect("write");
        e.finish().expect("finish")
    }

    fn event(body: StoreBody) -> Bytes {
        match body {
            StoreBody::Event(b) => b,
            StoreBody::Envelope(e) => panic!("expected an event, got {e:?}"),
        }
    }

    #[test]
    fn plain_json_is_not_copied() {
        let body = Bytes::from_static(EVENT);
        let out = event(decode(body.clone(), Some("application/json"), 1024).expect("json"));
        assert_eq!(out.as_ptr(), body.as_ptr());
        let out = event(decode(Bytes::from_static(b"\n  {}"), None, 1024).expect("json"));
        assert_eq!(out.as_ref(), b"{}");
    }

    #[test]
    fn base64_json() {
        let b64 = BASE64.encode(EVENT);
        assert_eq!(
            event(decode(b64.clone().into(), None, 1024).expect("b64")).as_ref(),
            EVENT
        );
        // Line-wrapped, unpadded.
        let wrapped = format!("{}\n{}", &b64[..20], b64[20..].trim_end_matches('='));
        assert_eq!(
            event(decode(wrapped.into(), None, 1024).expect("wrapped")).as_ref(),
            EVENT
        );
    }

    #[test]
    fn base64_zlib_json() {
        let b64 = BASE64.encode(zlib(EVENT));
        assert_eq!(
            event(decode(b64.into(), None, 1024).expect("zlib")).as_ref(),
            EVENT
        );
        let raw = {
            let mut e = flate2::write::DeflateEncoder::new(Vec::new(), Compression::default());
            e.write_all(EVENT).expect("write");
            e.finish().expect("finish")
        };
        assert_eq!(
            event(decode(BASE64.encode(raw).into(), None, 1024).expect("raw")).as_ref(),
            EVENT
        );
    }

    #[test]
    fn envelope_content_type() {
        let body = Bytes::from_static(b"{}\n{\"type\":\"event\"}\n{}\n");
        let out = decode(
            body,
            Some("application/x-sentry-envelope; charset=utf-8"),
            1024,
        )
        .expect("envelope");
        let StoreBody::Envelope(env) = out else {
            panic!("expected an envelope")
        };
        assert_eq!(env.items()[0].ty(), &ItemType::Event);
        let env = StoreBody::Event(Bytes::from_static(EVENT)).into_envelope();
        assert_eq!(env.items().len(), 1);
        assert_eq!(env.items()[0].payload().as_ref(), EVENT);
    }

    #[test]
    fn errors() {
        assert!(matches!(
            decode(Bytes::new(), None, 10),
            Err(Error::InvalidPayload(_))
        ));
        assert!(matches!(
            decode(Bytes::from_static(b" \n"), None, 10),
            Err(Error::InvalidPayload(_))
        ));
        let r = decode(Bytes::from_static(b"not base64 at all!"), None, 1024);
        assert!(
            matches!(
                r,
                Err(Error::Decompression {
                    encoding: "base64",
                    ..
                })
            ),
            "{r:?}"
        );
        // Valid base64 of neither JSON nor zlib.
        let r = decode(BASE64.encode(b"\x01\x02garbage").into(), None, 1024);
        assert!(
            matches!(
                r,
                Err(Error::Decompression {
                    encoding: "zlib",
                    ..
                })
            ),
            "{r:?}"
        );
        // Truncated zlib.
        let z = zlib(EVENT);
        let r = decode(BASE64.encode(&z[..z.len() / 2]).into(), None, 1024);
        assert!(
            matches!(
                r,
                Err(Error::Decompression {
                    encoding: "zlib",
                    ..
                })
            ),
            "{r:?}"
        );
    }

    #[test]
    fn limits_apply_to_every_form() {
        let limit = EVENT.len() - 1;
        assert!(decode(Bytes::from_static(EVENT), None, limit).is_err_and(|e| e.is_too_large()));
        assert!(decode(BASE64.encode(EVENT).into(), None, limit).is_err_and(|e| e.is_too_large()));
        assert!(
            decode(BASE64.encode(zlib(EVENT)).into(), None, limit).is_err_and(|e| e.is_too_large())
        );
        // A zlib bomb in base64 stops at the limit.
        let bomb = BASE64.encode(zlib(&vec![b' '; 8 * 1024 * 1024]));
        assert!(decode(bomb.into(), None, 1024).is_err_and(|e| e.is_too_large()));
        let env = Bytes::from_static(b"{}\n{\"type\":\"event\"}\n{}\n");
        assert!(decode(env, Some(ENVELOPE_CONTENT_TYPE), 5).is_err_and(|e| e.is_too_large()));
    }

    #[test]
    fn query_data() {
        let b64 = BASE64.encode(EVENT);
        assert_eq!(
            event(decode_query_data(&b64, 1024).expect("query")).as_ref(),
            EVENT
        );
    }
}
