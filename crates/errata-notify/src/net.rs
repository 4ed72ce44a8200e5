//! The outbound HTTP client every HTTP channel goes through, and its address guard.
//!
//! Channel URLs and API bases are typed in by users, so a request could be pointed at the
//! server's own network. The guard refuses, always, link-local and cloud-metadata addresses
//! (IPv4 `169.254.0.0/16`, IPv6 `fe80::/10`, AWS's `fd00:ec2::254`) and unspecified ones
//! (`0.0.0.0/8`, `::`); with [`NetPolicy::allow_private`] false it also refuses loopback,
//! private and shared ranges (`127/8`, `10/8`, `172.16/12`, `192.168/16`, `100.64/10`,
//! `fc00::/7`, `::1`). IPv4-mapped (`::ffff:a.b.c.d`) and NAT64 (`64:ff9b::/96`) forms are
//! judged by their IPv4 address. Host names are checked after resolution, by a resolver
//! installed in reqwest (only allowed addresses are connected to, so a name answering both
//! a public and a metadata address reaches the public one only); IP-literal URLs never reach
//! a resolver and are checked before sending. Redirects are not followed and proxies are
//! not used, so neither can route around the guard.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use http::HeaderMap;
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::error::{NotifyError, Result};

/// The most bytes of a response body read (the rest is dropped).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Which destinations may be contacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NetPolicy {
    /// Whether loopback and private addresses may be contacted (a self-hosted GitLab or an
    /// internal webhook). Link-local and metadata addresses are refused regardless.
    pub allow_private: bool,
}

/// The client's time limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    /// For the whole request, response body included.
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            total: Duration::from_secs(15),
        }
    }
}

const NEVER: &str = "link-local and cloud-metadata addresses are never contacted";
const UNSPECIFIED: &str = "unspecified addresses are never contacted";
const PRIVATE: &str =
    "loopback and private addresses are not allowed (the network policy refuses them)";

/// Whether `ip` may be contacted under `policy`.
pub fn check_ip(ip: IpAddr, policy: NetPolicy) -> Result<()> {
    let reason = match ip {
        IpAddr::V4(v4) => v4_reason(v4, policy),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => v4_reason(v4, policy),
            None => v6_reason(v6, policy),
        },
    };
    match reason {
        Some(reason) => Err(NotifyError::Refused { addr: ip, reason }),
        None => Ok(()),
    }
}

fn v4_reason(ip: Ipv4Addr, policy: NetPolicy) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_link_local() {
        Some(NEVER)
    } else if a == 0 {
        Some(UNSPECIFIED)
    } else if !policy.allow_private
        && (ip.is_loopback() || ip.is_private() || (a == 100 && (64..128).contains(&b)))
    {
        Some(PRIVATE)
    } else {
        None
    }
}

fn v6_reason(ip: Ipv6Addr, policy: NetPolicy) -> Option<&'static str> {
    let first = ip.segments()[0];
    if (first & 0xffc0) == 0xfe80 || ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
        Some(NEVER)
    } else if ip.is_unspecified() {
        Some(UNSPECIFIED)
    } else if !policy.allow_private && (ip.is_loopback() || (first & 0xfe00) == 0xfc00) {
        Some(PRIVATE)
    } else {
        None
    }
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:0:0/96`) or NAT64 (`64:ff9b::/96`)
/// address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let segments = ip.segments();
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., a, b, c, d] = ip.octets();
        return Some(Ipv4Addr::new(a, b, c, d));
    }
    None
}

/// Checks an outbound URL: http or https, and an IP-literal host allowed by `policy`
/// (host names are checked when resolved).
pub fn check_url(url: &str, policy: NetPolicy) -> Result<Url> {
    let parsed = Url::parse(url).map_err(|e| NotifyError::invalid(format!("bad URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(NotifyError::invalid(format!(
            "only http and https URLs are sent to, not {}",
            parsed.scheme()
        )));
    }
    // The parser canonicalizes IP literals (`http://2130706433/` is `127.0.0.1`).
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| NotifyError::invalid("the URL has no host"))?;
    let literal = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(ip) = literal.parse::<IpAddr>() {
        check_ip(ip, policy)?;
    }
    Ok(parsed)
}

/// The resolver installed in the client: resolves with the system (through tokio) and keeps
/// only the addresses the policy allows.
#[derive(Debug, Clone, Copy)]
struct GuardedResolver {
    policy: NetPolicy,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| NotifyError::transport(format!("could not resolve {host}: {e}")))?
                .collect();
            let mut refused = None;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| match check_ip(a.ip(), policy) {
                    Ok(()) => true,
                    Err(e) => {
                        refused.get_or_insert(e);
                        false
                    }
                })
                .collect();
            if allowed.is_empty() {
                let err = refused
                    .unwrap_or_else(|| NotifyError::transport(format!("{host} has no address")));
                return Err(Box::new(err) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// A response: its status, headers and (at most [`MAX_RESPONSE_BYTES`] of) its body.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The body as text (lossy), for error messages.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The guarded HTTP client (cheap to clone).
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    policy: NetPolicy,
    timeouts: Timeouts,
}

impl HttpClient {
    /// A client with `policy`: no redirects, no proxy, the given time limits and the
    /// `errata/<version>` User-Agent. Installs rustls' ring provider as the process default
    /// if none is installed yet.
    pub fn new(policy: NetPolicy, timeouts: Timeouts) -> Result<Self> {
        // Fails only when a provider is already installed, which is then used.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.total)
            .user_agent(concat!("errata/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(GuardedResolver { policy }))
            .build()
            .map_err(|e| NotifyError::invalid(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            client,
            policy,
            timeouts,
        })
    }

    pub fn policy(&self) -> NetPolicy {
        self.policy
    }

    /// POSTs `body` to `url` with `headers`. Any status is an `Ok` response (the caller
    /// classifies it); refused addresses, bad URLs, connection failures and timeouts are
    /// errors. Error messages never contain the URL (Slack webhook URLs are secrets).
    pub async fn post(&self, url: &str, headers: HeaderMap, body: Vec<u8>) -> Result<HttpResponse> {
        let url = check_url(url, self.policy)?;
        let mut response = self
            .client
            .post(url)
            .headers(headers)
            .body(body)
            .send()
            .await
            .map_err(|e| self.classify(e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        // A body that fails half-way still leaves the status, which is what counts.
        while let Ok(Some(chunk)) = response.chunk().await {
            let room = MAX_RESPONSE_BYTES - body.len();
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if body.len() >= MAX_RESPONSE_BYTES {
                break;
            }
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }

    fn classify(&self, err: reqwest::Error) -> NotifyError {
        let err = err.without_url();
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
        while let Some(e) = source {
            if let Some(NotifyError::Refused { addr, reason }) = e.downcast_ref::<NotifyError>() {
                return NotifyError::Refused {
                    addr: *addr,
                    reason,
                };
            }
            source = e.source();
        }
        if err.is_timeout() {
            return NotifyError::transport(format!(
                "timed out (connect limit {} s, total {} s)",
                self.timeouts.connect.as_secs_f32(),
                self.timeouts.total.as_secs_f32()
            ));
        }
        let mut message = if err.is_connect() {
            "could not connect".to_owned()
        } else {
            "request failed".to_owned()
        };
        let mut source = std::error::Error::source(&err);
        while let Some(e) = source {
            message.push_str(": ");
            message.push_str(&e.to_string());
            source = e.source();
        }
        NotifyError::transport(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: NetPolicy = NetPolicy {
        allow_private: false,
    };
    const LAX: NetPolicy = NetPolicy {
        allow_private: true,
    };

    fn refused(ip: &str, policy: NetPolicy) -> bool {
        check_ip(ip.parse().unwrap(), policy).is_err()
    }

    #[test]
    fn link_local_metadata_and_unspecified_are_always_refused() {
        for ip in [
            "169.254.169.254",
            "169.254.0.1",
            "169.254.255.255",
            "fe80::1",
            "febf::1",
            "fd00:ec2::254",
            "0.0.0.0",
            "0.1.2.3",
            "::",
            "::ffff:169.254.169.254",
            "64:ff9b::169.254.169.254",
            "::ffff:0.0.0.0",
        ] {
            assert!(refused(ip, LAX), "{ip} allowed with allow_private");
            assert!(refused(ip, STRICT), "{ip} allowed");
        }
        let err = check_ip("169.254.169.254".parse().unwrap(), LAX).unwrap_err();
        assert!(err.is_refused());
        assert_eq!(
            err.to_string(),
            "refused 169.254.169.254: link-local and cloud-metadata addresses are never contacted"
        );
    }

    #[test]
    fn private_ranges_are_refused_unless_allowed() {
        for ip in [
            "127.0.0.1",
            "127.255.0.1",
            "10.0.0.1",
            "10.255.255.255",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.255",
            "fc00::1",
            "fd12:3456::1",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:192.168.0.1",
            "64:ff9b::10.0.0.1",
        ] {
            assert!(refused(ip, STRICT), "{ip} allowed");
            assert!(!refused(ip, LAX), "{ip} refused with allow_private");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "8.8.8.8",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "169.253.255.255",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "fec0::1",
        ] {
            assert!(!refused(ip, STRICT), "{ip} refused");
        }
    }

    #[test]
    fn ip_literal_urls_are_checked() {
        assert!(
            check_url("http://169.254.169.254/latest/meta-data", LAX)
                .unwrap_err()
                .is_refused()
        );
        assert!(
            check_url("http://[fd00:ec2::254]/", LAX)
                .unwrap_err()
                .is_refused()
        );
        assert!(
            check_url("http://[::ffff:127.0.0.1]:8080/", STRICT)
                .unwrap_err()
                .is_refused()
        );
        // The URL parser reads decimal and hex hosts as IPv4.
        assert!(
            check_url("http://2130706433/", STRICT)
                .unwrap_err()
                .is_refused()
        );
        assert!(
            check_url("http://0xa9fea9fe/", LAX)
                .unwrap_err()
                .is_refused()
        );
        assert!(
            check_url("ftp://example.com/", LAX)
                .unwrap_err()
                .is_invalid()
        );
        assert!(check_url("http://127.0.0.1:9/", LAX).is_ok());
        assert!(check_url("https://hooks.slack.com/services/x", STRICT).is_ok());
    }

    #[tokio::test]
    async fn refused_addresses_are_not_contacted() {
        let client = HttpClient::new(STRICT, Timeouts::default()).unwrap();
        let err = client
            .post("http://169.254.169.254/", HeaderMap::new(), Vec::new())
            .await
            .unwrap_err();
        assert!(err.is_refused(), "{err}");
        // A host name that resolves to a refused address goes through the resolver.
        let err = client
            .post("http://localhost:9/hook", HeaderMap::new(), Vec::new())
            .await
            .unwrap_err();
        assert!(err.is_refused(), "{err}");
        assert!(
            err.to_string().contains("refused 127.0.0.1")
                || err.to_string().contains("refused ::1")
        );
        assert!(!err.to_string().contains("/hook"));
    }
}
