//! DSNs: the one string a user pastes into an SDK, parsed and formatted.
//!
//! A DSN is `{scheme}://{public_key}[:{secret}]@{host}[:{port}]{/path}/{project_id}`. This
//! module owns reading it (with an error that names the broken part), writing it back
//! unchanged, and deriving the ingest URLs an SDK posts to (`{base}/api/{id}/envelope/`).
//! The server uses it to print DSNs for projects and to read the `dsn` of an envelope
//! header; [`crate::auth`] turns a parsed DSN into client auth.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// The URL scheme of a DSN: SDKs only speak HTTP(S).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain `http`.
    Http,
    /// `https`.
    Https,
}

impl Scheme {
    /// The scheme as written in a URL.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }

    /// The port used when the DSN names none.
    pub fn default_port(self) -> u16 {
        match self {
            Self::Http => 80,
            Self::Https => 443,
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed DSN.
///
/// Parsing normalizes only what cannot change the meaning: the scheme is lowercased,
/// repeated slashes in the path prefix are folded, and a single trailing slash after the
/// project id is accepted. [`Display`](fmt::Display) writes the canonical form back.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Dsn {
    scheme: Scheme,
    public_key: String,
    secret_key: Option<String>,
    host: String,
    port: Option<u16>,
    /// Always starts and ends with `/` (just `/` without a prefix).
    path: String,
    project_id: u64,
}

impl Dsn {
    /// The scheme (`http` or `https`).
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The public key, the user part of the DSN.
    pub fn public_key(&self) -> &str {
        &self.public_key
    }

    /// The deprecated secret key, if the DSN has one.
    pub fn secret_key(&self) -> Option<&str> {
        self.secret_key.as_deref()
    }

    /// The host name or address (IPv6 addresses without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The explicit port, if the DSN names one.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The port to connect to: the explicit one or the scheme's default.
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or_else(|| self.scheme.default_port())
    }

    /// The path prefix before the project id, starting and ending with `/`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The numeric project id.
    pub fn project_id(&self) -> u64 {
        self.project_id
    }

    /// `{scheme}://{host}[:{port}]{path}`: the base every endpoint hangs off.
    pub fn base_url(&self) -> String {
        let mut out = String::with_capacity(16 + self.host.len() + self.path.len());
        self.write_origin(&mut out);
        out.push_str(&self.path);
        out
    }

    /// The URL of an API endpoint: `{base}api/{project_id}/{endpoint}/`.
    pub fn api_url(&self, endpoint: &str) -> String {
        format!("{}api/{}/{}/", self.base_url(), self.project_id, endpoint)
    }

    /// The envelope endpoint, `{base}api/{project_id}/envelope/`.
    pub fn envelope_url(&self) -> String {
        self.api_url("envelope")
    }

    /// The legacy store endpoint, `{base}api/{project_id}/store/`.
    pub fn store_url(&self) -> String {
        self.api_url("store")
    }

    fn write_origin(&self, out: &mut String) {
        use fmt::Write as _;
        out.push_str(self.scheme.as_str());
        out.push_str("://");
        self.write_host(out);
        if let Some(port) = self.port {
            let _ = write!(out, ":{port}");
        }
    }

    fn write_host(&self, out: &mut String) {
        if self.host.contains(':') {
            out.push('[');
            out.push_str(&self.host);
            out.push(']');
        } else {
            out.push_str(&self.host);
        }
    }
}

fn invalid(detail: impl Into<String>) -> Error {
    Error::InvalidDsn(detail.into())
}

/// Characters allowed in a DSN key or secret: what the SDKs' own parsers accept, plus
/// `-` and `.` (Relay's key flags).
fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

fn parse_scheme(s: &str) -> Result<Scheme, Error> {
    if s.eq_ignore_ascii_case("https") {
        Ok(Scheme::Https)
    } else if s.eq_ignore_ascii_case("http") {
        Ok(Scheme::Http)
    } else if s.is_empty() {
        Err(invalid("missing scheme before '://'"))
    } else {
        Err(invalid(format!(
            "unsupported scheme {s:?}, expected http or https"
        )))
    }
}

fn parse_host_port(s: &str) -> Result<(String, Option<u16>), Error> {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| invalid("unterminated '[' in IPv6 host"))?;
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| invalid(format!("unexpected {p:?} after IPv6 host")))?,
            ),
        };
        (host, port)
    } else {
        match s.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (s, None),
        }
    };
    if host.is_empty() {
        return Err(invalid("missing host"));
    }
    if host
        .chars()
        .any(|c| c.is_whitespace() || matches!(c, '/' | '@' | '?' | '#'))
    {
        return Err(invalid(format!("invalid host {host:?}")));
    }
    let port = match port {
        None => None,
        Some(p) => Some(
            p.parse::<u16>()
                .map_err(|_| invalid(format!("invalid port {p:?}")))?,
        ),
    };
    Ok((host.to_owned(), port))
}

/// Folds `//` into `/` and makes the prefix start and end with `/`.
fn normalize_prefix(prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + 2);
    out.push('/');
    for segment in prefix.split('/').filter(|s| !s.is_empty()) {
        out.push_str(segment);
        out.push('/');
    }
    out
}

impl FromStr for Dsn {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let s = s.trim();
        if s.is_empty() {
            return Err(invalid("empty DSN"));
        }
        let (scheme, rest) = s
            .split_once("://")
            .ok_or_else(|| invalid("missing '://' after the scheme"))?;
        let scheme = parse_scheme(scheme)?;
        // Query strings and fragments carry nothing we use.
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let (userinfo, hostport) = authority
            .rsplit_once('@')
            .ok_or_else(|| invalid("missing public key (expected 'key@host')"))?;
        let (public_key, secret_key) = match userinfo.split_once(':') {
            Some((key, secret)) => (key, Some(secret)),
            None => (userinfo, None),
        };
        if public_key.is_empty() {
            return Err(invalid("empty public key"));
        }
        if !public_key.chars().all(is_key_char) {
            return Err(invalid(format!(
                "invalid character in public key {public_key:?}"
            )));
        }
        let secret_key = match secret_key {
            Some("") | None => None,
            Some(secret) if secret.chars().all(is_key_char) => Some(secret.to_owned()),
            Some(_) => return Err(invalid("invalid character in secret key")),
        };
        let (host, port) = parse_host_port(hostport)?;

        let path = path.strip_suffix('/').unwrap_or(path);
        let (prefix, project) = path.rsplit_once('/').unwrap_or(("", path));
        if project.is_empty() {
            return Err(invalid("missing project id (expected '.../{project_id}')"));
        }
        if !project.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(format!("project id {project:?} is not numeric")));
        }
        let project_id = project
            .parse::<u64>()
            .map_err(|_| invalid(format!("project id {project:?} is too large")))?;

        Ok(Self {
            scheme,
            public_key: public_key.to_owned(),
            secret_key,
            host,
            port,
            path: normalize_prefix(prefix),
            project_id,
        })
    }
}

impl fmt::Display for Dsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.public_key)?;
        if let Some(secret) = &self.secret_key {
            write!(f, ":{secret}")?;
        }
        f.write_str("@")?;
        let mut host = String::new();
        self.write_host(&mut host);
        f.write_str(&host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        write!(f, "{}{}", self.path, self.project_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Dsn {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn err(s: &str) -> String {
        match s.parse::<Dsn>() {
            Err(Error::InvalidDsn(detail)) => detail,
            other => panic!("{s}: expected InvalidDsn, got {other:?}"),
        }
    }

    #[test]
    fn parses_the_corpus_dsn() {
        let dsn = parse("http://a1b2c3d4e5f60718293a4b5c6d7e8f90@127.0.0.1:33712/7");
        assert_eq!(dsn.scheme(), Scheme::Http);
        assert_eq!(dsn.public_key(), "a1b2c3d4e5f60718293a4b5c6d7e8f90");
        assert_eq!(dsn.secret_key(), None);
        assert_eq!(dsn.host(), "127.0.0.1");
        assert_eq!(dsn.port(), Some(33712));
        assert_eq!(dsn.path(), "/");
        assert_eq!(dsn.project_id(), 7);
        assert_eq!(dsn.envelope_url(), "http://127.0.0.1:33712/api/7/envelope/");
        assert_eq!(dsn.store_url(), "http://127.0.0.1:33712/api/7/store/");
    }

    #[test]
    fn path_prefix_and_secret() {
        let dsn = parse("https://key:sec@host/sentry/42");
        assert_eq!(dsn.secret_key(), Some("sec"));
        assert_eq!(dsn.path(), "/sentry/");
        assert_eq!(dsn.port(), None);
        assert_eq!(dsn.effective_port(), 443);
        assert_eq!(dsn.envelope_url(), "https://host/sentry/api/42/envelope/");
        let deep = parse("https://k@host//a//b/42/");
        assert_eq!(deep.path(), "/a/b/");
        assert_eq!(deep.to_string(), "https://k@host/a/b/42");
    }

    #[test]
    fn ipv6_host() {
        let dsn = parse("http://k@[::1]:9000/3");
        assert_eq!(dsn.host(), "::1");
        assert_eq!(dsn.port(), Some(9000));
        assert_eq!(dsn.envelope_url(), "http://[::1]:9000/api/3/envelope/");
        assert_eq!(dsn.to_string(), "http://k@[::1]:9000/3");
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "http://a1b2c3d4e5f60718293a4b5c6d7e8f90@127.0.0.1:33712/7",
            "https://key:secret@o1.ingest.example.com/sentry/42",
            "https://k@host:443/1",
            "http://k@[2001:db8::1]/5",
        ] {
            assert_eq!(parse(s).to_string(), s);
            assert_eq!(parse(&parse(s).to_string()), parse(s));
        }
    }

    #[test]
    fn scheme_is_case_insensitive_and_query_ignored() {
        let dsn = parse("HTTPS://k@host/9?timeout=3#x");
        assert_eq!(dsn.scheme(), Scheme::Https);
        assert_eq!(dsn.project_id(), 9);
    }

    #[test]
    fn errors_name_the_broken_part() {
        assert!(err("").contains("empty"));
        assert!(err("k@host/1").contains("://"));
        assert!(err("ftp://k@host/1").contains("scheme"));
        assert!(err("://k@host/1").contains("scheme"));
        assert!(err("https://host/1").contains("public key"));
        assert!(err("https://@host/1").contains("public key"));
        assert!(err("https://k y@host/1").contains("public key"));
        assert!(err("https://k@host").contains("project id"));
        assert!(err("https://k@host/").contains("project id"));
        assert!(err("https://k@host/abc").contains("not numeric"));
        assert!(err("https://k@host/-1").contains("not numeric"));
        assert!(err("https://k@host/99999999999999999999999").contains("too large"));
        assert!(err("https://k@/1").contains("host"));
        assert!(err("https://k@host:port/1").contains("port"));
        assert!(err("https://k@host:70000/1").contains("port"));
        assert!(err("https://k@[::1/1").contains("IPv6"));
    }
}
