//! The `[metrics]` section: who may read `GET /metrics` and where, and when `/readyz`
//! calls the disk full.
//!
//! On the main listener `/metrics` needs `Authorization: Bearer <token>`: a Web API token
//! whose scopes include `org:read`, or the secret `metrics.token`
//! (`ERRATA_METRICS_TOKEN`), meant for a Prometheus scrape config. With `metrics.bind`
//! (`ERRATA_METRICS_BIND`) a second listener on that address serves `/metrics`, `/healthz`
//! and `/readyz` without any token (bind it to an address only the monitoring network
//! reaches); the main listener's `/metrics` still wants a token. `/readyz` answers 503 when
//! the filesystem of the local database has less than `metrics.min_free_disk_bytes` free
//! (`ERRATA_METRICS_MIN_FREE_DISK_BYTES`, 256 MiB by default, 0 turns the check off).

use std::net::SocketAddr;

use serde::{Deserialize, Serialize, Serializer};

use super::{ConfigError, Secret, env_number, invalid};

/// The shortest `metrics.token` accepted: a scrape secret is a credential.
const MIN_TOKEN_LEN: usize = 16;

/// The `[metrics]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// A secret that `Authorization: Bearer` may carry to read `/metrics` on the main
    /// listener (besides a Web API token with `org:read`).
    #[serde(serialize_with = "redacted")]
    pub token: Option<Secret>,
    /// A second listener serving `/metrics`, `/healthz` and `/readyz` without a token.
    pub bind: Option<SocketAddr>,
    /// `/readyz` fails when the database's filesystem has fewer bytes free (0: never).
    pub min_free_disk_bytes: u64,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            token: None,
            bind: None,
            min_free_disk_bytes: 256 * 1024 * 1024,
        }
    }
}

/// A secret serializes as `[redacted]` (or nothing when unset).
#[allow(
    clippy::ref_option,
    reason = "serde's `serialize_with` passes the field by reference"
)]
fn redacted<S: Serializer>(secret: &Option<Secret>, serializer: S) -> Result<S::Ok, S::Error> {
    match secret {
        Some(_) => serializer.serialize_some("[redacted]"),
        None => serializer.serialize_none(),
    }
}

impl MetricsConfig {
    pub(crate) fn merge_env(
        &mut self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        if let Some(v) = env("ERRATA_METRICS_TOKEN") {
            self.token = (!v.is_empty()).then(|| Secret::new(v));
        }
        if let Some(v) = env("ERRATA_METRICS_BIND") {
            self.bind = if v.trim().is_empty() {
                None
            } else {
                Some(super::parse_bind("ERRATA_METRICS_BIND", v.trim())?)
            };
        }
        env_number(
            env,
            "ERRATA_METRICS_MIN_FREE_DISK_BYTES",
            &mut self.min_free_disk_bytes,
        )
    }

    /// `main_bind` is the main listener's address: the metrics listener needs another.
    pub(crate) fn validate(&self, main_bind: SocketAddr) -> Result<(), ConfigError> {
        if let Some(token) = &self.token {
            let token = token.expose();
            if token.len() < MIN_TOKEN_LEN {
                return Err(invalid(
                    "metrics.token (ERRATA_METRICS_TOKEN)",
                    &format!("must be at least {MIN_TOKEN_LEN} characters"),
                ));
            }
            if !token.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(invalid(
                    "metrics.token (ERRATA_METRICS_TOKEN)",
                    "must be printable ASCII without spaces (it travels in a header)",
                ));
            }
        }
        if let Some(bind) = self.bind
            && bind.port() != 0
            && bind == main_bind
        {
            return Err(invalid(
                "metrics.bind (ERRATA_METRICS_BIND)",
                "must differ from bind (the main listener)",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    const MAIN: SocketAddr =
        SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 9000);

    #[test]
    fn env_sets_every_field_and_empty_unsets() {
        let mut c = MetricsConfig::default();
        c.merge_env(&env(&[
            ("ERRATA_METRICS_TOKEN", "a-long-scrape-secret"),
            ("ERRATA_METRICS_BIND", "127.0.0.1:9100"),
            ("ERRATA_METRICS_MIN_FREE_DISK_BYTES", "1_000"),
        ]))
        .unwrap();
        c.validate(MAIN).unwrap();
        assert_eq!(c.token.as_ref().unwrap().expose(), "a-long-scrape-secret");
        assert_eq!(c.bind, Some("127.0.0.1:9100".parse().unwrap()));
        assert_eq!(c.min_free_disk_bytes, 1000);
        assert!(!format!("{c:?}").contains("a-long-scrape-secret"));
        let shown = serde_json::to_string(&c).unwrap();
        assert!(
            !shown.contains("a-long-scrape-secret") && shown.contains("[redacted]"),
            "{shown}"
        );
        c.merge_env(&env(&[
            ("ERRATA_METRICS_TOKEN", ""),
            ("ERRATA_METRICS_BIND", ""),
        ]))
        .unwrap();
        assert_eq!((c.token, c.bind), (None, None));
    }

    #[test]
    fn the_file_section_loads_and_the_environment_overrides_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("errata.toml");
        std::fs::write(
            &file,
            "[metrics]\ntoken = \"file-scrape-secret-1\"\nbind = \"127.0.0.1:9100\"\n\
             min_free_disk_bytes = 1_024\n",
        )
        .unwrap();
        let config = crate::Config::load(
            Some(&file),
            env(&[("ERRATA_METRICS_BIND", "127.0.0.1:9200")]),
        )
        .unwrap();
        assert_eq!(
            config.metrics.token.as_ref().unwrap().expose(),
            "file-scrape-secret-1"
        );
        assert_eq!(config.metrics.bind, Some("127.0.0.1:9200".parse().unwrap()));
        assert_eq!(config.metrics.min_free_disk_bytes, 1024);
        std::fs::write(&file, "[metrics]\ntokn = \"x\"\n").unwrap();
        let e = crate::Config::load(Some(&file), env(&[]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field"), "{e}");
        std::fs::write(
            &file,
            "bind = \"127.0.0.1:9300\"\n[metrics]\nbind = \"127.0.0.1:9300\"\n",
        )
        .unwrap();
        let e = crate::Config::load(Some(&file), env(&[]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("metrics.bind"), "{e}");
    }

    #[test]
    fn bad_values_name_the_option() {
        let message = |c: &MetricsConfig| c.validate(MAIN).unwrap_err().to_string();
        let short = MetricsConfig {
            token: Some(Secret::new("short")),
            ..MetricsConfig::default()
        };
        assert!(message(&short).contains("ERRATA_METRICS_TOKEN"));
        let spaced = MetricsConfig {
            token: Some(Secret::new("a token with spaces in it")),
            ..MetricsConfig::default()
        };
        assert!(message(&spaced).contains("printable"));
        let same = MetricsConfig {
            bind: Some(MAIN),
            ..MetricsConfig::default()
        };
        assert!(message(&same).contains("ERRATA_METRICS_BIND"));
        let e = MetricsConfig::default()
            .merge_env(&env(&[("ERRATA_METRICS_BIND", "nine thousand")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("ERRATA_METRICS_BIND"), "{e}");
        let e = MetricsConfig::default()
            .merge_env(&env(&[("ERRATA_METRICS_MIN_FREE_DISK_BYTES", "lots")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("ERRATA_METRICS_MIN_FREE_DISK_BYTES"), "{e}");
        // Port 0 picks a free port: never the main listener's.
        let any = MetricsConfig {
            bind: Some("127.0.0.1:0".parse().unwrap()),
            ..MetricsConfig::default()
        };
        any.validate("127.0.0.1:0".parse().unwrap()).unwrap();
    }
}
