//! The one error type of `errata-protocol`, with predicates the server uses to pick an
//! HTTP status without matching on every variant.

use std::fmt;

/// Where a request's client auth came from (see [`crate::auth`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthSource {
    /// The `X-Sentry-Auth` header.
    XSentryAuth,
    /// An `Authorization: Sentry ...` header.
    Authorization,
    /// The `sentry_key`/`sentry_version` query string parameters.
    Query,
    /// The `dsn` of the envelope header.
    EnvelopeDsn,
}

impl fmt::Display for AuthSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::XSentryAuth => "the X-Sentry-Auth header",
            Self::Authorization => "the Authorization header",
            Self::Query => "the query string",
            Self::EnvelopeDsn => "the envelope header's dsn",
        })
    }
}

/// Everything that can go wrong while reading what an SDK sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A DSN that does not follow `{proto}://{key}[:{secret}]@{host}{/path}/{project_id}`.
    #[error("invalid DSN: {0}")]
    InvalidDsn(String),
    /// No auth in the request at all.
    #[error("missing authorization information")]
    MissingAuth,
    /// Two auth sources in one request.
    #[error("multiple authorization payloads detected: {0} and {1}")]
    MultipleAuth(AuthSource, AuthSource),
    /// Auth present but unreadable (no `sentry_key`, bad key, bad version).
    #[error("bad authorization in {origin}: {detail}")]
    BadAuth {
        /// Where the auth came from.
        origin: AuthSource,
        /// What was wrong with it.
        detail: String,
    },
    /// `sentry_version` above the protocol version we speak (7).
    #[error("unsupported protocol version {0}; the highest supported is 7")]
    UnsupportedVersion(u32),
    /// A `Content-Encoding` we cannot decode.
    #[error("unsupported content encoding {0:?}")]
    UnsupportedEncoding(String),
    /// A compressed body that does not decompress.
    #[error("invalid {encoding} body: {detail}")]
    Decompression {
        /// The encoding named by the request.
        encoding: &'static str,
        /// What the decoder said.
        detail: String,
    },
    /// Something is over a size limit.
    #[error("{what} exceeded the size limit of {limit} bytes")]
    TooLarge {
        /// What was too large: "request body", "decompressed body", "event item"...
        what: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// The envelope grammar was violated.
    #[error("invalid envelope: {0}")]
    InvalidEnvelope(String),
    /// An event payload that is not a JSON object at all (one bad field never gets here).
    #[error("invalid event payload: {0}")]
    InvalidPayload(String),
}

impl Error {
    /// Auth is missing, duplicated or unreadable: HTTP 401.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            Self::MissingAuth | Self::MultipleAuth(..) | Self::BadAuth { .. }
        )
    }

    /// Something was over a size limit: HTTP 413.
    pub fn is_too_large(&self) -> bool {
        matches!(self, Self::TooLarge { .. })
    }

    /// The body or its encoding is malformed: HTTP 400.
    pub fn is_malformed(&self) -> bool {
        matches!(
            self,
            Self::InvalidDsn(_)
                | Self::UnsupportedVersion(_)
                | Self::UnsupportedEncoding(_)
                | Self::Decompression { .. }
                | Self::InvalidEnvelope(_)
                | Self::InvalidPayload(_)
        )
    }
}
