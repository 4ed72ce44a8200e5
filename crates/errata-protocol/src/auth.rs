//! Client auth: which project key a request speaks for, read from wherever the SDK put it.
//!
//! SDKs authenticate in one of four places: the `X-Sentry-Auth` header (Python, Rust,
//! Java), an `Authorization: Sentry ...` (or `Basic`) header, the query string (every
//! JavaScript SDK), or the `dsn` of the envelope header (tunnels). This module reads each
//! form into one [`ClientAuth`], rejects requests that carry two request-level forms, and
//! reconciles the request's auth with the envelope header's `dsn` ([`resolve`]). It only
//! parses: looking the key up is the server's job.
//!
//! The server calls [`ClientAuth::from_request`] with the raw header values and query
//! string before reading the body, then [`resolve`] once the envelope header is known.

use std::borrow::Cow;

use base64::Engine as _;
use percent_encoding::percent_decode_str;

use crate::Error;
use crate::dsn::Dsn;
pub use crate::error::AuthSource;

/// The highest protocol version (`sentry_version`) we speak.
pub const PROTOCOL_VERSION: u32 = 7;

/// The length of a public key, as Relay requires.
const KEY_LEN: usize = 32;

/// Client auth read from one source.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientAuth {
    /// The public key (`sentry_key`): 32 ASCII alphanumerics; Relay-style `.flag`
    /// suffixes are stripped.
    pub public_key: String,
    /// The protocol version (`sentry_version`, 7 when absent).
    pub version: u32,
    /// The SDK's name and version (`sentry_client`), e.g. `sentry.python/2.75.0`.
    pub client: Option<String>,
    /// The deprecated secret key (`sentry_secret`).
    pub secret: Option<String>,
    /// The client's clock when it sent the request (`sentry_timestamp`, seconds since
    /// the epoch); ignored when unparsable.
    pub timestamp: Option<f64>,
    /// Where this auth was read from.
    pub source: AuthSource,
}

fn bad(origin: AuthSource, detail: impl Into<String>) -> Error {
    Error::BadAuth {
        origin,
        detail: detail.into(),
    }
}

/// Strips a case-insensitive `prefix` followed by at least one space.
fn strip_scheme<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let head = value.get(..scheme.len())?;
    let rest = value.get(scheme.len()..)?;
    (head.eq_ignore_ascii_case(scheme) && rest.starts_with([' ', '\t'])).then(|| rest.trim_start())
}

/// Validates a public key and strips Relay's `.flag` suffixes.
fn validate_key(key: &str, origin: AuthSource) -> Result<String, Error> {
    let key = key.split('.').next().unwrap_or_default();
    if key.is_empty() {
        return Err(bad(origin, "empty sentry_key"));
    }
    if key.len() != KEY_LEN || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(bad(
            origin,
            format!("malformed sentry_key (expected {KEY_LEN} ASCII letters or digits)"),
        ));
    }
    Ok(key.to_owned())
}

/// Parses `sentry_version`: only the part before the first `.` counts.
fn parse_version(value: &str, origin: AuthSource) -> Result<u32, Error> {
    let major = value.split('.').next().unwrap_or_default().trim();
    if major.is_empty() || !major.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(origin, format!("invalid sentry_version {value:?}")));
    }
    // All digits: a parse failure can only be an overflow, which is "too new".
    let version = major.parse::<u32>().unwrap_or(u32::MAX);
    if version > PROTOCOL_VERSION {
        return Err(Error::UnsupportedVersion(version));
    }
    Ok(version)
}

impl ClientAuth {
    /// Builds auth from `(key, value)` pairs. Keys may carry the `sentry_` prefix or not
    /// (`sentry_key` and `key` are the same); unknown keys are ignored; the last value of
    /// a repeated key wins.
    pub fn from_pairs<'a, I, K, V>(pairs: I, origin: AuthSource) -> Result<Self, Error>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<Cow<'a, str>>,
    {
        let mut key = None;
        let mut version = None;
        let mut client = None;
        let mut secret = None;
        let mut timestamp = None;
        for (k, v) in pairs {
            let k = k.as_ref();
            let k = k.strip_prefix("sentry_").unwrap_or(k);
            match k {
                "key" => key = Some(v.into()),
                "version" => version = Some(v.into()),
                "client" => client = Some(v.into().into_owned()),
                "secret" => secret = Some(v.into().into_owned()),
                "timestamp" => timestamp = v.into().trim().parse::<f64>().ok(),
                _ => {}
            }
        }
        let key = key.ok_or_else(|| bad(origin, "missing sentry_key"))?;
        let public_key = validate_key(&key, origin)?;
        let version = match version {
            Some(v) => parse_version(&v, origin)?,
            None => PROTOCOL_VERSION,
        };
        Ok(Self {
            public_key,
            version,
            client: client.filter(|c| !c.is_empty()),
            secret: secret.filter(|s| !s.is_empty()),
            timestamp: timestamp.filter(|t: &f64| t.is_finite()),
            source: origin,
        })
    }

    /// Parses the pairs of a `Sentry k=v, k=v` header value (the `Sentry ` prefix already
    /// stripped or absent).
    fn from_header_pairs(pairs: &str, origin: AuthSource) -> Result<Self, Error> {
        let iter = pairs.split(',').filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            Some((k.trim(), v))
        });
        Self::from_pairs(iter, origin)
    }

    /// Reads an `X-Sentry-Auth` header value: `Sentry k=v, k=v` (the prefix is matched
    /// case-insensitively and may be omitted). A blank value counts as absent.
    pub fn from_x_sentry_auth(value: &str) -> Result<Option<Self>, Error> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(None);
        }
        let pairs = strip_scheme(value, "sentry").unwrap_or(value);
        Self::from_header_pairs(pairs, AuthSource::XSentryAuth).map(Some)
    }

    /// Reads an `Authorization` header value: `Sentry k=v, ...` or
    /// `Basic base64(public_key:secret)`. Other schemes (`Bearer`...) are not Sentry auth
    /// and count as absent.
    pub fn from_authorization(value: &str) -> Result<Option<Self>, Error> {
        let origin = AuthSource::Authorization;
        let value = value.trim();
        if let Some(pairs) = strip_scheme(value, "sentry") {
            return Self::from_header_pairs(pairs, origin).map(Some);
        }
        if let Some(encoded) = strip_scheme(value, "basic") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .map_err(|_| bad(origin, "Basic credentials are not valid base64"))?;
            let decoded = std::str::from_utf8(&decoded)
                .map_err(|_| bad(origin, "Basic credentials are not UTF-8"))?;
            let (key, secret) = decoded.split_once(':').unwrap_or((decoded, ""));
            let pairs = [("sentry_key", key), ("sentry_secret", secret)];
            return Self::from_pairs(pairs, origin).map(Some);
        }
        Ok(None)
    }

    /// Reads the query string (without the `?`), form-urlencoded. A query without any
    /// `sentry_` parameter carries no auth and counts as absent.
    pub fn from_query(query: &str) -> Result<Option<Self>, Error> {
        let query = query.strip_prefix('?').unwrap_or(query);
        let mut pairs = Vec::new();
        for part in query.split('&') {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let k = form_decode(k);
            if k.starts_with("sentry_") {
                pairs.push((k, form_decode(v)));
            }
        }
        if pairs.is_empty() {
            return Ok(None);
        }
        Self::from_pairs(pairs, AuthSource::Query).map(Some)
    }

    /// Auth from a DSN (the envelope header's `dsn`).
    pub fn from_dsn(dsn: &Dsn) -> Result<Self, Error> {
        let origin = AuthSource::EnvelopeDsn;
        Ok(Self {
            public_key: validate_key(dsn.public_key(), origin)?,
            version: PROTOCOL_VERSION,
            client: None,
            secret: dsn.secret_key().map(str::to_owned),
            timestamp: None,
            source: origin,
        })
    }

    /// Reads client auth from the parts of an HTTP request, trying the `X-Sentry-Auth`
    /// header, the `Authorization` header and the query string.
    ///
    /// Returns `Ok(None)` when the request carries no auth (it may still be in the
    /// envelope header: see [`resolve`]), and [`Error::MultipleAuth`] when two sources
    /// carry it.
    pub fn from_request(
        x_sentry_auth: Option<&str>,
        authorization: Option<&str>,
        query: Option<&str>,
    ) -> Result<Option<Self>, Error> {
        let mut found: Option<Self> = None;
        let candidates = [
            (AuthSource::XSentryAuth, x_sentry_auth),
            (AuthSource::Authorization, authorization),
            (AuthSource::Query, query),
        ];
        for (source, value) in candidates {
            let Some(value) = value else { continue };
            let parsed = match source {
                AuthSource::XSentryAuth => Self::from_x_sentry_auth(value)?,
                AuthSource::Authorization => Self::from_authorization(value)?,
                AuthSource::Query | AuthSource::EnvelopeDsn => Self::from_query(value)?,
            };
            if let Some(auth) = parsed {
                if let Some(first) = &found {
                    return Err(Error::MultipleAuth(first.source, auth.source));
                }
                found = Some(auth);
            }
        }
        Ok(found)
    }
}

/// Decodes one `application/x-www-form-urlencoded` component (`+` is a space).
fn form_decode(s: &str) -> Cow<'_, str> {
    if s.contains('+') {
        let replaced = s.replace('+', " ");
        Cow::Owned(
            percent_decode_str(&replaced)
                .decode_utf8_lossy()
                .into_owned(),
        )
    } else {
        percent_decode_str(s).decode_utf8_lossy()
    }
}

/// Combines the request's auth with the envelope header's `dsn` into the auth the request
/// is processed with.
///
/// - Only the request has auth: it is used as is.
/// - Only the envelope has a `dsn`: it becomes the auth ([`AuthSource::EnvelopeDsn`]).
/// - Both: the `dsn`'s public key must equal the request's ([`Error::HeaderMismatch`]).
/// - Neither: [`Error::MissingAuth`].
///
/// Whenever a `dsn` is present and `path_project_id` (the `{project_id}` of the route)
/// is known, the `dsn`'s project id must equal it. An unparsable `dsn` is
/// [`Error::BadAuth`] from [`AuthSource::EnvelopeDsn`].
pub fn resolve(
    request: Option<ClientAuth>,
    envelope_dsn: Option<&str>,
    path_project_id: Option<u64>,
) -> Result<ClientAuth, Error> {
    let Some(dsn_str) = envelope_dsn else {
        return request.ok_or(Error::MissingAuth);
    };
    let dsn: Dsn = dsn_str.parse().map_err(|e| match e {
        Error::InvalidDsn(detail) => bad(AuthSource::EnvelopeDsn, detail),
        other => other,
    })?;
    let from_dsn = ClientAuth::from_dsn(&dsn)?;
    if let Some(pid) = path_project_id
        && pid != dsn.project_id()
    {
        return Err(Error::HeaderMismatch(format!(
            "the envelope header's dsn is for project {} but the request is for project {pid}",
            dsn.project_id()
        )));
    }
    match request {
        None => Ok(from_dsn),
        Some(auth) if auth.public_key == from_dsn.public_key => Ok(auth),
        Some(auth) => Err(Error::HeaderMismatch(format!(
            "the envelope header's dsn has public key {} but {} has {}",
            from_dsn.public_key, auth.source, auth.public_key
        ))),
    }
}

/// Reads all four auth sources at once: [`ClientAuth::from_request`] then [`resolve`].
pub fn extract(
    x_sentry_auth: Option<&str>,
    authorization: Option<&str>,
    query: Option<&str>,
    envelope_dsn: Option<&str>,
    path_project_id: Option<u64>,
) -> Result<ClientAuth, Error> {
    let request = ClientAuth::from_request(x_sentry_auth, authorization, query)?;
    resolve(request, envelope_dsn, path_project_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90";

    fn req(x: Option<&str>, a: Option<&str>, q: Option<&str>) -> Result<Option<ClientAuth>, Error> {
        ClientAuth::from_request(x, a, q)
    }

    fn ok(x: Option<&str>, a: Option<&str>, q: Option<&str>) -> ClientAuth {
        req(x, a, q).expect("auth parses").expect("auth present")
    }

    fn bad_detail(r: Result<Option<ClientAuth>, Error>) -> (AuthSource, String) {
        match r {
            Err(Error::BadAuth { origin, detail }) => (origin, detail),
            other => panic!("expected BadAuth, got {other:?}"),
        }
    }

    #[test]
    fn x_sentry_auth_python() {
        let auth = ok(
            Some(&format!(
                "Sentry sentry_key={KEY}, sentry_version=7, sentry_client=sentry.python/2.75.0"
            )),
            None,
            Some(""),
        );
        assert_eq!(auth.public_key, KEY);
        assert_eq!(auth.version, 7);
        assert_eq!(auth.client.as_deref(), Some("sentry.python/2.75.0"));
        assert_eq!(auth.source, AuthSource::XSentryAuth);
        assert_eq!(auth.timestamp, None);
    }

    #[test]
    fn x_sentry_auth_rust_with_timestamp_and_odd_spacing() {
        let auth = ok(
            Some(&format!(
                "  sEnTrY   sentry_key = {KEY} ,sentry_version=7.1,sentry_timestamp=1795288793.12, \
                 sentry_secret=shh, unknown=1, novalue"
            )),
            None,
            None,
        );
        assert_eq!(auth.public_key, KEY);
        assert_eq!(auth.version, 7);
        assert_eq!(auth.secret.as_deref(), Some("shh"));
        assert_eq!(auth.timestamp, Some(1_795_288_793.12));
    }

    #[test]
    fn unprefixed_keys_and_missing_version() {
        let auth = ok(Some(&format!("key={KEY}")), None, None);
        assert_eq!(auth.version, PROTOCOL_VERSION);
        assert_eq!(auth.public_key, KEY);
    }

    #[test]
    fn authorization_sentry_and_basic() {
        let auth = ok(None, Some(&format!("Sentry sentry_key={KEY}")), None);
        assert_eq!(auth.source, AuthSource::Authorization);
        assert_eq!(auth.public_key, KEY);

        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:"));
        let auth = ok(None, Some(&format!("Basic {basic}")), None);
        assert_eq!(auth.public_key, KEY);
        assert_eq!(auth.secret, None);

        // A bearer token is someone else's auth, not ours.
        assert_eq!(req(None, Some("Bearer abc"), None).expect("ok"), None);
        let (origin, _) = bad_detail(req(None, Some("Basic !!!"), None));
        assert_eq!(origin, AuthSource::Authorization);
    }

    #[test]
    fn query_string_js() {
        let q = format!(
            "sentry_version=7&sentry_key={KEY}&sentry_client=sentry.javascript.node%2F11.12.0"
        );
        let auth = ok(None, None, Some(&q));
        assert_eq!(auth.source, AuthSource::Query);
        assert_eq!(
            auth.client.as_deref(),
            Some("sentry.javascript.node/11.12.0")
        );
        let auth = ok(
            None,
            None,
            Some(&format!("?sentry_key={KEY}&sentry_client=a+b")),
        );
        assert_eq!(auth.client.as_deref(), Some("a b"));
        // Encoded key name.
        let auth = ok(None, None, Some(&format!("sentry%5Fkey={KEY}")));
        assert_eq!(auth.public_key, KEY);
    }

    #[test]
    fn query_without_sentry_params_is_absent() {
        assert_eq!(req(None, None, Some("foo=bar&x")).expect("ok"), None);
        assert_eq!(req(None, None, Some("")).expect("ok"), None);
        assert_eq!(req(Some("   "), None, None).expect("ok"), None);
        assert!(matches!(
            resolve(None, None, Some(7)),
            Err(Error::MissingAuth)
        ));
    }

    #[test]
    fn two_sources_are_rejected() {
        let header = format!("Sentry sentry_key={KEY}");
        let query = format!("sentry_key={KEY}");
        let r = req(Some(&header), None, Some(&query));
        assert!(matches!(
            r,
            Err(Error::MultipleAuth(
                AuthSource::XSentryAuth,
                AuthSource::Query
            ))
        ));
        let r = req(Some(&header), Some(&header), None);
        assert!(matches!(
            r,
            Err(Error::MultipleAuth(
                AuthSource::XSentryAuth,
                AuthSource::Authorization
            ))
        ));
        assert!(r.is_err_and(|e| e.is_auth()));
    }

    #[test]
    fn missing_or_malformed_key() {
        let (origin, detail) = bad_detail(req(Some("Sentry sentry_version=7"), None, None));
        assert_eq!(origin, AuthSource::XSentryAuth);
        assert!(detail.contains("missing sentry_key"), "{detail}");
        let (_, detail) = bad_detail(req(Some("Sentry sentry_key=short"), None, None));
        assert!(detail.contains("malformed"), "{detail}");
        let (_, detail) = bad_detail(req(Some("Sentry sentry_key="), None, None));
        assert!(detail.contains("empty"), "{detail}");
        let (origin, _) = bad_detail(req(None, None, Some("sentry_key=%ZZ-not-a-key")));
        assert_eq!(origin, AuthSource::Query);
        // Non-ASCII of the right byte length is still malformed.
        let (_, detail) = bad_detail(req(
            Some(&format!("Sentry sentry_key={}é", &KEY[..30])),
            None,
            None,
        ));
        assert!(detail.contains("malformed"), "{detail}");
    }

    #[test]
    fn key_flags_are_stripped() {
        let auth = ok(
            Some(&format!("Sentry sentry_key={KEY}.internal")),
            None,
            None,
        );
        assert_eq!(auth.public_key, KEY);
    }

    #[test]
    fn versions() {
        let v = |s: &str| {
            req(
                Some(&format!("Sentry sentry_key={KEY}, sentry_version={s}")),
                None,
                None,
            )
        };
        assert_eq!(v("5").expect("ok").expect("some").version, 5);
        assert_eq!(v("7.0.1").expect("ok").expect("some").version, 7);
        assert!(matches!(v("8"), Err(Error::UnsupportedVersion(8))));
        assert!(matches!(
            v("99999999999999"),
            Err(Error::UnsupportedVersion(u32::MAX))
        ));
        assert!(matches!(v("abc"), Err(Error::BadAuth { .. })));
        assert!(matches!(v(""), Err(Error::BadAuth { .. })));
        assert!(v("8").is_err_and(|e| e.is_malformed()));
    }

    #[test]
    fn envelope_dsn_alone() {
        let dsn = format!("http://{KEY}@127.0.0.1:1234/7");
        let auth = resolve(None, Some(&dsn), Some(7)).expect("dsn auth");
        assert_eq!(auth.source, AuthSource::EnvelopeDsn);
        assert_eq!(auth.public_key, KEY);
        let auth = extract(None, None, None, Some(&dsn), None).expect("dsn auth");
        assert_eq!(auth.public_key, KEY);
    }

    #[test]
    fn envelope_dsn_must_agree_with_request() {
        let dsn = format!("http://{KEY}@host/7");
        let header = format!("Sentry sentry_key={KEY}");
        let auth = extract(Some(&header), None, None, Some(&dsn), Some(7)).expect("agree");
        assert_eq!(auth.source, AuthSource::XSentryAuth);

        let other = format!("Sentry sentry_key={}", "f".repeat(32));
        let r = extract(Some(&other), None, None, Some(&dsn), Some(7));
        assert!(
            matches!(r, Err(Error::HeaderMismatch(ref d)) if d.contains("public key")),
            "{r:?}"
        );

        let r = extract(Some(&header), None, None, Some(&dsn), Some(8));
        assert!(
            matches!(r, Err(Error::HeaderMismatch(ref d)) if d.contains("project")),
            "{r:?}"
        );
        assert!(r.is_err_and(|e| e.is_malformed()));
    }

    #[test]
    fn envelope_dsn_invalid() {
        let r = resolve(None, Some("not a dsn"), None);
        assert!(
            matches!(
                r,
                Err(Error::BadAuth {
                    origin: AuthSource::EnvelopeDsn,
                    ..
                })
            ),
            "{r:?}"
        );
        let r = resolve(None, Some("http://short@host/1"), None);
        assert!(
            matches!(
                r,
                Err(Error::BadAuth {
                    origin: AuthSource::EnvelopeDsn,
                    ..
                })
            ),
            "{r:?}"
        );
    }
}
