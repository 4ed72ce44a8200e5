//! The `[retention]` section: how long events are kept (`days`, 90 by default as Sentry's),
//! how many events a project keeps at most (`project_max_events`), and the disk budget of
//! the whole installation (`max_bytes`, e.g. `"50MB"` or `"20GiB"`), with how often the
//! background task checks them and how long it pauses between its short deletions so the
//! ingest writer never waits behind it. See the server's `retention` module.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

use super::{ConfigError, env_number, invalid};

/// A number of bytes, written as a plain number or with a unit: `KB`, `MB`, `GB`, `TB`
/// (powers of 1000) or `KiB`, `MiB`, `GiB`, `TiB` (powers of 1024); `K`, `M`, `G` alone are
/// binary, as most tools read them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(pub u64);

impl ByteSize {
    /// Parses `50MB`, `20 GiB`, `1048576`, `1.5GB`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let number = number.replace('_', "");
        if number.is_empty() {
            return Err(format!("{text:?} is not a size like 50MB or 20GiB"));
        }
        let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "kb" => 1_000,
            "mb" => 1_000_000,
            "gb" => 1_000_000_000,
            "tb" => 1_000_000_000_000,
            "k" | "kib" => 1 << 10,
            "m" | "mib" => 1 << 20,
            "g" | "gib" => 1 << 30,
            "t" | "tib" => 1 << 40,
            other => {
                return Err(format!(
                    "{text:?}: unknown unit {other:?} (use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)"
                ));
            }
        };
        let value: f64 = number
            .parse()
            .map_err(|_| format!("{text:?} is not a size like 50MB or 20GiB"))?;
        let bytes = value * multiplier as f64;
        if !bytes.is_finite() || bytes < 0.0 || bytes > u64::MAX as f64 {
            return Err(format!("{text:?} is out of range"));
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok(Self(bytes.round() as u64))
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(u64, &str); 4] = [
            (1 << 40, "TiB"),
            (1 << 30, "GiB"),
            (1 << 20, "MiB"),
            (1 << 10, "KiB"),
        ];
        for (size, unit) in UNITS {
            if self.0 >= size && self.0.is_multiple_of(size) {
                return write!(f, "{}{unit}", self.0 / size);
            }
        }
        for (size, unit) in [(1_000_000_000, "GB"), (1_000_000, "MB"), (1_000, "KB")] {
            if self.0 >= size && self.0.is_multiple_of(size) {
                return write!(f, "{}{unit}", self.0 / size);
            }
        }
        write!(f, "{}B", self.0)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Number(n) => Ok(Self(n)),
            Raw::Text(text) => Self::parse(&text).map_err(serde::de::Error::custom),
        }
    }
}

impl Serialize for ByteSize {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Retention limits and pacing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Events older than this many days (by arrival) are deleted; 0 keeps them forever.
    pub days: u32,
    /// Events a project keeps at most (the most valuable ones, see
    /// `errata_store::retention`); unset: no limit.
    pub project_max_events: Option<u64>,
    /// The disk budget of the whole installation (`SQLite`: the database and its WAL;
    /// `PostgreSQL`: the database's live data); unset: no budget.
    pub max_bytes: Option<ByteSize>,
    /// Seconds between checks.
    pub period_secs: u64,
    /// Milliseconds the task pauses after each deletion of at most 250 events, so the
    /// ingest writer gets the database between them.
    pub pause_ms: u64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            days: 90,
            project_max_events: None,
            max_bytes: None,
            period_secs: 5,
            pause_ms: 10,
        }
    }
}

impl RetentionConfig {
    /// The age limit in milliseconds, if any.
    pub fn max_age_ms(&self) -> Option<i64> {
        (self.days > 0).then(|| i64::from(self.days) * 86_400_000)
    }

    /// The pause between deletions.
    pub fn pause(&self) -> Duration {
        Duration::from_millis(self.pause_ms)
    }

    /// The period between checks.
    pub fn period(&self) -> Duration {
        Duration::from_secs(self.period_secs)
    }

    pub(super) fn merge_env(
        &mut self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        env_number(env, "ERRATA_RETENTION_DAYS", &mut self.days)?;
        if let Some(v) = env("ERRATA_RETENTION_PROJECT_MAX_EVENTS") {
            self.project_max_events = match v.trim() {
                "" | "none" | "off" => None,
                _ => Some(super::parse_number(
                    "ERRATA_RETENTION_PROJECT_MAX_EVENTS",
                    &v,
                )?),
            };
        }
        if let Some(v) = env("ERRATA_RETENTION_MAX_BYTES") {
            self.max_bytes = match v.trim() {
                "" | "none" | "off" => None,
                _ => Some(ByteSize::parse(&v).map_err(|message| ConfigError::Invalid {
                    name: "ERRATA_RETENTION_MAX_BYTES".into(),
                    message,
                })?),
            };
        }
        env_number(env, "ERRATA_RETENTION_PERIOD_SECS", &mut self.period_secs)?;
        env_number(env, "ERRATA_RETENTION_PAUSE_MS", &mut self.pause_ms)?;
        Ok(())
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.period_secs == 0 {
            return Err(invalid(
                "retention.period_secs (ERRATA_RETENTION_PERIOD_SECS)",
                "must be at least 1",
            ));
        }
        if self.project_max_events == Some(0) {
            return Err(invalid(
                "retention.project_max_events (ERRATA_RETENTION_PROJECT_MAX_EVENTS)",
                "must be at least 1 (leave it unset for no limit)",
            ));
        }
        if self.max_bytes.is_some_and(|b| b.0 < 1 << 20) {
            return Err(invalid(
                "retention.max_bytes (ERRATA_RETENTION_MAX_BYTES)",
                "must be at least 1MiB",
            ));
        }
        if self.pause_ms > 10_000 {
            return Err(invalid(
                "retention.pause_ms (ERRATA_RETENTION_PAUSE_MS)",
                "must be at most 10000",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_decimal_and_binary_units() {
        let cases = [
            ("50MB", 50_000_000),
            ("20GiB", 20 << 30),
            ("20 gib", 20 << 30),
            ("1048576", 1 << 20),
            ("1_000", 1_000),
            ("1.5GB", 1_500_000_000),
            ("512K", 512 << 10),
            ("3B", 3),
        ];
        for (text, bytes) in cases {
            assert_eq!(ByteSize::parse(text), Ok(ByteSize(bytes)), "{text}");
        }
        for bad in ["", "MB", "12 parsecs", "-5MB", "1e400GB", "1..5GB"] {
            assert!(ByteSize::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(ByteSize(20 << 30).to_string(), "20GiB");
        assert_eq!(ByteSize(50_000_000).to_string(), "50MB");
        assert_eq!(ByteSize(1_234).to_string(), "1234B");
    }

    #[test]
    fn env_and_file_values_are_checked() {
        let mut config = RetentionConfig::default();
        config
            .merge_env(&|name| match name {
                "ERRATA_RETENTION_MAX_BYTES" => Some("2GiB".into()),
                "ERRATA_RETENTION_DAYS" => Some("30".into()),
                "ERRATA_RETENTION_PROJECT_MAX_EVENTS" => Some("10_000".into()),
                _ => None,
            })
            .unwrap();
        assert_eq!(config.max_bytes, Some(ByteSize(2 << 30)));
        assert_eq!(config.max_age_ms(), Some(30 * 86_400_000));
        assert_eq!(config.project_max_events, Some(10_000));
        let err = RetentionConfig::default()
            .merge_env(&|name| (name == "ERRATA_RETENTION_MAX_BYTES").then(|| "lots".into()))
            .unwrap_err();
        assert!(
            err.to_string().contains("ERRATA_RETENTION_MAX_BYTES"),
            "{err}"
        );
        let file: RetentionConfig = toml::from_str("max_bytes = \"50MB\"\ndays = 0\n").unwrap();
        assert_eq!(file.max_bytes, Some(ByteSize(50_000_000)));
        assert_eq!(file.max_age_ms(), None);
        let file: RetentionConfig = toml::from_str("max_bytes = 104857600\n").unwrap();
        assert_eq!(file.max_bytes, Some(ByteSize(100 << 20)));
        assert!(toml::from_str::<RetentionConfig>("max_bytes = \"5 parsecs\"\n").is_err());
        let tiny = RetentionConfig {
            max_bytes: Some(ByteSize(1000)),
            ..RetentionConfig::default()
        };
        assert!(tiny.validate().is_err());
    }
}
