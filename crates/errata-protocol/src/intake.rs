//! One way to read an ingest request: auth from the request head, then the body decoded,
//! parsed into an envelope and its auth resolved against the envelope header's `dsn`.
//!
//! The server, the corpus loader, the benchmarks and the fuzz target all read requests
//! through this module, so they apply the same order and the same limits. The steps are
//! separate so that the server can check the client key between them: [`open`] looks
//! only at the head (size announced, auth in the headers or query string) and says how
//! much body may be read; a request whose auth is only inside the body (the envelope
//! header's `dsn`, as tunnels send) may send at most
//! [`IntakeLimits::max_unauthenticated_bytes`], and [`Opened::auth_from_body`] reads its
//! header line by decoding only that line. [`Opened::read`] then decodes (within the
//! envelope limit, per layer and in total), parses and resolves. [`read`] runs all steps
//! at once for callers that have no key to check.

use bytes::Bytes;

use crate::auth::{self, ClientAuth};
use crate::encoding;
use crate::envelope::Envelope;
use crate::{Error, store};

/// The longest envelope header line read from a body before its key is known.
pub const MAX_HEADER_LINE: usize = 64 * 1024;

/// Which ingest endpoint the request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/api/{project_id}/envelope/`.
    Envelope,
    /// `/api/{project_id}/store/` (legacy single events, or an envelope by content type).
    Store,
}

/// What ingest reads of a request before its body.
#[derive(Debug, Clone, Copy)]
pub struct RequestHead<'a> {
    /// The endpoint.
    pub endpoint: Endpoint,
    /// The `{project_id}` of the path, when it is a number.
    pub project_id: Option<u64>,
    /// `X-Sentry-Auth`.
    pub x_sentry_auth: Option<&'a str>,
    /// `Authorization`.
    pub authorization: Option<&'a str>,
    /// The query string, without `?`.
    pub query: Option<&'a str>,
    /// `Content-Encoding`.
    pub content_encoding: Option<&'a str>,
    /// `Content-Type`.
    pub content_type: Option<&'a str>,
    /// `Content-Length`, when sent and valid.
    pub content_length: Option<u64>,
}

impl RequestHead<'_> {
    /// A head with nothing but the endpoint and project.
    pub fn new(endpoint: Endpoint, project_id: Option<u64>) -> Self {
        Self {
            endpoint,
            project_id,
            x_sentry_auth: None,
            authorization: None,
            query: None,
            content_encoding: None,
            content_type: None,
            content_length: None,
        }
    }
}

/// The size limits of reading a request, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntakeLimits {
    /// The body as sent (still compressed).
    pub max_request_bytes: usize,
    /// The body after `Content-Encoding` is undone.
    pub max_envelope_bytes: usize,
    /// The body as sent when the auth is only inside it (the envelope header's `dsn`).
    pub max_unauthenticated_bytes: usize,
}

impl Default for IntakeLimits {
    fn default() -> Self {
        Self {
            max_request_bytes: 20 << 20,
            max_envelope_bytes: 100 << 20,
            max_unauthenticated_bytes: 1 << 20,
        }
    }
}

/// A request whose head was accepted: its auth (when the head carries it) and how many
/// body bytes may be read.
#[derive(Debug, Clone)]
pub struct Opened {
    auth: Option<ClientAuth>,
    body_limit: usize,
    limits: IntakeLimits,
}

/// Step one: checks the announced size and reads the auth from the head.
pub fn open(head: &RequestHead<'_>, limits: IntakeLimits) -> Result<Opened, Error> {
    let auth = ClientAuth::from_request(head.x_sentry_auth, head.authorization, head.query)?;
    if auth.is_none() && head.endpoint == Endpoint::Store {
        // Legacy bodies carry no envelope header: the auth must be in the head.
        return Err(Error::MissingAuth);
    }
    let body_limit = if auth.is_some() {
        limits.max_request_bytes
    } else {
        limits.max_unauthenticated_bytes
    };
    if let Some(length) = head.content_length
        && length > body_limit as u64
    {
        return Err(Error::TooLarge {
            what: if auth.is_some() {
                format!("request body of {length} bytes")
            } else {
                format!("request body of {length} bytes without auth in its headers or query")
            },
            limit: body_limit,
        });
    }
    Ok(Opened {
        auth,
        body_limit,
        limits,
    })
}

impl Opened {
    /// The auth of the head, if it had one (check its key before reading the body).
    pub fn auth(&self) -> Option<&ClientAuth> {
        self.auth.as_ref()
    }

    /// How many body bytes may be read.
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }

    /// For a request without auth in its head: the auth of the envelope header's `dsn`,
    /// decoding only the header line (at most [`MAX_HEADER_LINE`] bytes).
    pub fn auth_from_body(&self, head: &RequestHead<'_>, body: &[u8]) -> Result<ClientAuth, Error> {
        if let Some(auth) = &self.auth {
            return Ok(auth.clone());
        }
        let line = encoding::decode_first_line(body, head.content_encoding, MAX_HEADER_LINE)?;
        let headers = Envelope::parse_headers(&line)?;
        auth::resolve(None, headers.dsn.as_deref(), head.project_id)
    }

    /// Steps two to four: decodes the body, parses the envelope (or legacy store body)
    /// and resolves the auth against the envelope header.
    pub fn read(
        self,
        head: &RequestHead<'_>,
        body: Bytes,
    ) -> Result<(ClientAuth, Envelope), Error> {
        if body.is_empty() {
            return Err(Error::InvalidPayload("empty request body".to_owned()));
        }
        if body.len() > self.body_limit {
            return Err(Error::TooLarge {
                what: "request body".to_owned(),
                limit: self.body_limit,
            });
        }
        let limit = self.limits.max_envelope_bytes;
        let decoded = encoding::decode_bytes(body, head.content_encoding, limit)?;
        let envelope = match head.endpoint {
            Endpoint::Envelope => Envelope::parse(decoded)?,
            Endpoint::Store => store::decode(decoded, head.content_type, limit)?.into_envelope(),
        };
        envelope.validate()?;
        let auth = auth::resolve(self.auth, envelope.dsn(), head.project_id)?;
        Ok((auth, envelope))
    }
}

/// Every step at once, for callers with no key to check between them (the corpus
/// loader, benchmarks, the fuzz target).
pub fn read(
    head: &RequestHead<'_>,
    body: Bytes,
    limits: IntakeLimits,
) -> Result<(ClientAuth, Envelope), Error> {
    open(head, limits)?.read(head, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    const KEY: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90";

    fn envelope_with_dsn() -> Vec<u8> {
        format!(
            "{{\"dsn\":\"https://{KEY}@example.com/42\"}}\n{{\"type\":\"event\"}}\n{{\"message\":\"hi\"}}\n"
        )
        .into_bytes()
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn auth_in_the_head_allows_the_full_body() {
        let auth = format!("Sentry sentry_key={KEY}, sentry_version=7");
        let mut head = RequestHead::new(Endpoint::Envelope, Some(42));
        head.x_sentry_auth = Some(&auth);
        head.content_length = Some(5 << 20);
        let opened = open(&head, IntakeLimits::default()).unwrap();
        assert_eq!(opened.auth().unwrap().public_key, KEY);
        assert_eq!(opened.body_limit(), 20 << 20);
    }

    #[test]
    fn auth_only_in_the_body_is_read_under_the_small_limit() {
        let mut head = RequestHead::new(Endpoint::Envelope, Some(42));
        head.content_length = Some(2 << 20);
        let err = open(&head, IntakeLimits::default()).unwrap_err();
        assert!(err.is_too_large(), "{err}");

        let body = gzip(&envelope_with_dsn());
        head.content_length = Some(body.len() as u64);
        head.content_encoding = Some("gzip");
        let opened = open(&head, IntakeLimits::default()).unwrap();
        assert!(opened.auth().is_none());
        let auth = opened.auth_from_body(&head, &body).unwrap();
        assert_eq!(auth.public_key, KEY);
        let (auth, envelope) = opened.read(&head, Bytes::from(body)).unwrap();
        assert_eq!(auth.public_key, KEY);
        assert_eq!(envelope.items().len(), 1);
    }

    #[test]
    fn the_header_line_of_a_bomb_costs_only_the_line() {
        // A header line, then 8 MiB of zeros, gzipped twice: small on the wire, twice the
        // envelope limit once decoded.
        let mut raw = envelope_with_dsn();
        raw.extend(std::iter::repeat_n(b'0', 8 << 20));
        let body = gzip(&gzip(&raw));
        assert!(body.len() < 64 << 10, "{}", body.len());
        let mut head = RequestHead::new(Endpoint::Envelope, Some(42));
        head.content_encoding = Some("gzip, gzip");
        let limits = IntakeLimits {
            max_envelope_bytes: 4 << 20,
            ..IntakeLimits::default()
        };
        let opened = open(&head, limits).unwrap();
        assert_eq!(opened.auth_from_body(&head, &body).unwrap().public_key, KEY);
        // The whole body is over the envelope limit.
        let err = opened.read(&head, Bytes::from(body)).unwrap_err();
        assert!(err.is_too_large(), "{err}");
    }

    #[test]
    fn legacy_store_bodies_need_auth_in_the_head() {
        let head = RequestHead::new(Endpoint::Store, Some(42));
        assert!(matches!(
            open(&head, IntakeLimits::default()),
            Err(Error::MissingAuth)
        ));
    }

    #[test]
    fn empty_and_oversized_bodies_are_errors() {
        let auth = format!("sentry_key={KEY}&sentry_version=7");
        let mut head = RequestHead::new(Endpoint::Envelope, Some(42));
        head.query = Some(&auth);
        let limits = IntakeLimits {
            max_request_bytes: 10,
            ..IntakeLimits::default()
        };
        let err = read(&head, Bytes::new(), limits).unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
        let err = read(&head, Bytes::from(vec![b'{'; 11]), limits).unwrap_err();
        assert!(err.is_too_large(), "{err}");
    }
}
