//! Signed webhooks, the Standard Webhooks way: the JSON payload an endpoint receives, the
//! signing secret (`whsec_` + base64 of 24 random bytes) and the signature headers
//! (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of
//! "{id}.{timestamp}.{body}">`). The key is the base64-decoded secret after the optional
//! `whsec_` prefix, as the `standardwebhooks` libraries read it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::error::{NotifyError, Result};
use crate::notification::{Notification, rfc3339};

/// The prefix of a signing secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// The longest string field in a payload (characters); longer values are cut with `…`.
pub const MAX_FIELD_CHARS: usize = 8192;

/// The JSON body sent to a webhook (documented in the crate's top-level docs).
pub fn webhook_payload(n: &Notification, now_ms: i64) -> Value {
    let s = |v: &str| crate::escape::truncate(v, MAX_FIELD_CHARS);
    let event = n.event.as_ref().map(|e| {
        json!({
            "event_id": s(&e.event_id),
            "environment": e.environment.as_deref().map(s),
            "release": e.release.as_deref().map(s),
            "message": e.message.as_deref().map(s),
            "exception": e.exception.as_ref().map(|(ty, value)| json!({"type": s(ty), "value": s(value)})),
            "frames": n.frames().iter().map(|f| s(f)).collect::<Vec<_>>(),
            "tags": e.tags.iter().take(100).map(|(k, v)| json!([s(k), s(v)])).collect::<Vec<_>>(),
        })
    });
    let i = &n.issue;
    json!({
        "trigger": n.trigger.as_str(),
        "delivery_id": n.delivery_id,
        "project": {"slug": s(&n.project.slug), "name": s(&n.project.name)},
        "issue": {
            "id": i.id,
            "short_id": s(&i.short_id),
            "title": s(&i.title),
            "culprit": s(&i.culprit),
            "level": s(&i.level),
            "status": s(&i.status),
            "count": i.times_seen,
            "user_count": i.user_count,
            "first_seen": rfc3339(i.first_seen_ms),
            "last_seen": rfc3339(i.last_seen_ms),
            "url": n.issue_url,
        },
        "event": event,
        "rule": n.rule.as_deref().map(s),
        "sent_at": rfc3339(now_ms),
    })
}

/// A new signing secret: `whsec_` + base64 of 24 random bytes (from two v4 UUIDs, i.e. the
/// operating system's random source).
pub fn generate_secret() -> String {
    let a = *uuid::Uuid::new_v4().as_bytes();
    let b = *uuid::Uuid::new_v4().as_bytes();
    // A v4 UUID has fixed version (byte 6) and variant (byte 8) bits: those bytes of `a`
    // are mixed with fully random bytes of `b`, and `b`'s are left out.
    let mut bytes = [0u8; 24];
    bytes[..16].copy_from_slice(&a);
    bytes[6] ^= b[0];
    bytes[8] ^= b[1];
    bytes[16..22].copy_from_slice(&b[10..16]);
    bytes[22] = b[2];
    bytes[23] = b[3];
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

fn key(secret: &str) -> Result<Vec<u8>> {
    let encoded = secret.trim();
    let encoded = encoded.strip_prefix(SECRET_PREFIX).unwrap_or(encoded);
    let key = STANDARD
        .decode(encoded)
        .map_err(|_| NotifyError::invalid("the webhook secret is not whsec_ followed by base64"))?;
    if key.is_empty() {
        return Err(NotifyError::invalid("the webhook secret is empty"));
    }
    Ok(key)
}

/// `v1,<base64 HMAC-SHA256 of "{msg_id}.{timestamp_secs}.{body}">`.
pub fn sign(secret: &str, msg_id: &str, timestamp_secs: i64, body: &[u8]) -> Result<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(&key(secret)?)
        .map_err(|_| NotifyError::invalid("the webhook secret cannot be used as a key"))?;
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp_secs.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The headers of a webhook request: `content-type`, `webhook-id`, `webhook-timestamp`
/// and, when a secret is set, `webhook-signature`.
pub fn headers(
    secret: Option<&str>,
    msg_id: &str,
    timestamp_secs: i64,
    body: &[u8],
) -> Result<HeaderMap> {
    let value = |v: &str| {
        HeaderValue::from_str(v).map_err(|_| NotifyError::invalid("a header value is not valid"))
    };
    let mut h = HeaderMap::new();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert("webhook-id", value(msg_id)?);
    h.insert("webhook-timestamp", value(&timestamp_secs.to_string())?);
    if let Some(secret) = secret {
        h.insert(
            "webhook-signature",
            value(&sign(secret, msg_id, timestamp_secs, body)?)?,
        );
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notification::tests::hostile;

    #[test]
    fn secrets_are_prefixed_random_24_bytes() {
        let a = generate_secret();
        let b = generate_secret();
        assert_ne!(a, b);
        assert!(a.starts_with("whsec_"));
        assert_eq!(key(&a).unwrap().len(), 24);
    }

    #[test]
    fn signature_matches_the_standard_webhooks_example() {
        // The example of the Standard Webhooks libraries' own tests.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let sig = sign(
            secret,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        // Without the prefix the same key is read.
        assert_eq!(
            sign(
                "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                br#"{"test": 2432232314}"#
            )
            .unwrap(),
            sig
        );
        assert!(
            sign("whsec_not base64!", "m", 1, b"")
                .unwrap_err()
                .is_invalid()
        );
    }

    #[test]
    fn signatures_verify_with_the_standardwebhooks_crate() {
        let secret = generate_secret();
        let body = serde_json::to_vec(&webhook_payload(&hostile(), 0)).unwrap();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let h = headers(Some(&secret), "errata_7", now, &body).unwrap();
        let wh = standardwebhooks::Webhook::new(&secret).unwrap();
        wh.verify(&body, &h).unwrap();
        let mut tampered = body.clone();
        tampered[0] = b' ';
        assert!(wh.verify(&tampered, &h).is_err());
    }

    #[test]
    fn payloads_are_bounded() {
        let body = serde_json::to_vec(&webhook_payload(&hostile(), 0)).unwrap();
        assert!(body.len() < 2_000_000, "{}", body.len());
        let v = webhook_payload(&hostile(), 1_700_000_000_000);
        assert_eq!(v["trigger"], "new_issue");
        assert_eq!(
            v["issue"]["url"],
            "https://errata.example/organizations/o/issues/42/"
        );
        assert_eq!(v["sent_at"], "2023-11-14T22:13:20Z");
        assert_eq!(v["event"]["frames"].as_array().unwrap().len(), 10);
    }
}
