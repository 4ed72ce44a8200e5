//! The server's configuration: typed, layered and validated.
//!
//! Layers, each overriding the one before: built-in defaults, a TOML file (`--config` or
//! `ERRATA_CONFIG`), `ERRATA_*` environment variables, then command-line flags (the CLI
//! applies those last through [`Config::apply`]). A value that does not parse is an error
//! naming the variable or key, never a silent default; a variable or key that names no
//! setting is a warning naming the nearest one (`warning.rs`). Secrets are redacted in
//! `Debug` and when serialized; `source.rs` tells where each value came from (`errata
//! config show`).

mod alerts;
mod http;
mod limits;
mod metrics;
mod retention;
mod source;
mod warning;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub use alerts::AlertsConfig;
pub use http::HttpConfig;
pub use limits::{LimitsConfig, QueueConfig, RateLimitConfig, ScopeLimits, WorkerConfig};
pub use metrics::MetricsConfig;
pub use retention::{ByteSize, RetentionConfig};
pub use source::{Setting, Source, render_text, settings};
pub use warning::ConfigWarning;

/// A secret string: compared and used as usual, printed and serialized as `[redacted]`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("[redacted]")
    }
}

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Everything `errata serve` and the CLI commands need. Serialized (secrets redacted),
/// its dotted keys are the file's keys and name the variables (see `source.rs`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Config {
    /// Where the HTTP server listens.
    pub bind: SocketAddr,
    /// Where the `SQLite` database and other state live.
    pub data_dir: PathBuf,
    /// Which database to open (`sqlite:<dir>`); unset means `SQLite` in `data_dir`. The server
    /// never reads it: the binary opens the store it names and hands it to the server. A
    /// secret, since a database URL may carry a password.
    pub database_url: Option<Secret>,
    /// Connections a `PostgreSQL` store opens at most (per node); ignored by `SQLite`.
    pub database_max_connections: u32,
    /// The address SDKs and people use (DSNs and links); derived from `bind` when unset.
    pub public_url: Option<String>,
    /// The first admin's email (first start only).
    pub admin_email: String,
    /// The first admin's password; generated and printed once when unset.
    pub admin_password: Option<Secret>,
    /// Size limits.
    pub limits: LimitsConfig,
    /// Rate limits.
    pub rate_limits: RateLimitConfig,
    /// The queue between the HTTP handlers and the writer.
    pub queue: QueueConfig,
    /// Connections: timeouts, deadlines and the connection cap.
    pub http: HttpConfig,
    /// The pool of threads that does ingest's CPU work.
    pub workers: WorkerConfig,
    /// Scrub sensitive data before storing. Each project has its own switch (on by
    /// default, changed through the API); this one turns scrubbing off server-wide.
    pub scrub_data: bool,
    /// Alerting: SMTP, the Slack signing secret, the outbound network policy.
    pub alerts: AlertsConfig,
    /// Seconds between rounds of upkeep (expired ignores come back, expired sessions go):
    /// an ignore ends at most this late. Every node runs its own rounds.
    pub maintenance_period_secs: u64,
    /// Stored events needed before upkeep trains the installation's payload dictionary
    /// (payloads ~4x smaller); 0 never trains one (dictionaries already stored are still
    /// used). See `errata_store::PayloadCodec`.
    pub payload_dictionary_min_events: usize,
    /// Retention: the age limit, the per-project event limit and the disk budget.
    pub retention: RetentionConfig,
    /// Metrics and health: who may read `/metrics`, its own listener, the free disk
    /// `/readyz` wants.
    pub metrics: MetricsConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 9000)),
            data_dir: PathBuf::from("./errata-data"),
            database_url: None,
            database_max_connections: 16,
            public_url: None,
            admin_email: "admin@errata.local".to_owned(),
            admin_password: None,
            limits: LimitsConfig::default(),
            rate_limits: RateLimitConfig::default(),
            queue: QueueConfig::default(),
            http: HttpConfig::default(),
            workers: WorkerConfig::default(),
            scrub_data: true,
            alerts: AlertsConfig::default(),
            maintenance_period_secs: 30,
            payload_dictionary_min_events: errata_store::MIN_TRAINING_SAMPLES,
            retention: RetentionConfig::default(),
            metrics: MetricsConfig::default(),
        }
    }
}

/// The TOML file's shape: every key optional; unknown keys are ignored here and reported
/// as warnings ([`ConfigWarning::UnknownKey`]).
#[derive(Debug, Default, Deserialize)]
struct FileConfig {
    bind: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<Secret>,
    database_max_connections: Option<u32>,
    public_url: Option<String>,
    admin_email: Option<String>,
    admin_password: Option<Secret>,
    scrub_data: Option<bool>,
    limits: Option<LimitsConfig>,
    rate_limits: Option<RateLimitConfig>,
    queue: Option<QueueConfig>,
    http: Option<HttpConfig>,
    workers: Option<WorkerConfig>,
    alerts: Option<AlertsConfig>,
    maintenance_period_secs: Option<u64>,
    payload_dictionary_min_events: Option<usize>,
    retention: Option<RetentionConfig>,
    metrics: Option<MetricsConfig>,
}

/// What went wrong reading the configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this configuration.
    #[error("invalid config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        message: String,
    },
    /// A value (from the file, the environment or a flag) is invalid.
    #[error("invalid {name}: {message}")]
    Invalid {
        /// The key, variable or flag.
        name: String,
        /// Why.
        message: String,
    },
}

/// Overrides from flags (the CLI fills in what the user passed).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--bind`.
    pub bind: Option<String>,
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--database-url`.
    pub database_url: Option<String>,
    /// `--public-url`.
    pub public_url: Option<String>,
}

/// A loaded configuration and what was wrong with its sources short of an error.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The configuration.
    pub config: Config,
    /// Unknown variables and file keys (already logged).
    pub warnings: Vec<ConfigWarning>,
}

impl Config {
    /// Defaults, then the file at `path` (when given), then `ERRATA_*` variables from
    /// `env` (a lookup function, so tests do not touch the process environment). Unknown
    /// file keys are logged as warnings (see [`Config::load_reporting`]).
    pub fn load(
        path: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        Ok(Self::load_reporting(path, env, std::iter::empty())?.config)
    }

    /// [`Config::load`], also checking the names of the environment's variables
    /// (`variables`: every name set, of which only `ERRATA_*` ones are looked at): each
    /// unknown variable or file key is logged with `tracing::warn!` and returned.
    pub fn load_reporting(
        path: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
        variables: impl IntoIterator<Item = String>,
    ) -> Result<Loaded, ConfigError> {
        let mut config = Config::default();
        let mut warnings = Vec::new();
        if let Some(path) = path {
            warnings.extend(config.merge_file(path)?);
        }
        warnings.extend(warning::unknown_variables(variables));
        config.merge_env(env)?;
        config.validate()?;
        for warning in &warnings {
            tracing::warn!("configuration: {warning}");
        }
        Ok(Loaded { config, warnings })
    }

    /// Applies flag overrides (the last layer) and validates again.
    pub fn apply(&mut self, overrides: &Overrides) -> Result<(), ConfigError> {
        if let Some(bind) = &overrides.bind {
            self.bind = parse_bind("--bind", bind)?;
        }
        if let Some(dir) = &overrides.data_dir {
            self.data_dir.clone_from(dir);
        }
        if let Some(url) = &overrides.database_url {
            self.database_url = Some(Secret::new(url.clone()));
        }
        if let Some(url) = &overrides.public_url {
            self.public_url = Some(url.clone());
        }
        self.validate()
    }

    /// Merges the file at `path`; returns its unknown keys as warnings.
    fn merge_file(&mut self, path: &Path) -> Result<Vec<ConfigWarning>, ConfigError> {
        let (text, table) = read_file(path)?;
        let warnings = warning::unknown_keys(path, &source::table_keys(&table));
        let file = parse_file(path, &text)?;
        if let Some(bind) = file.bind {
            self.bind = parse_bind("bind", &bind)?;
        }
        if let Some(dir) = file.data_dir {
            self.data_dir = dir;
        }
        if file.database_url.is_some() {
            self.database_url = file.database_url;
        }
        if let Some(n) = file.database_max_connections {
            self.database_max_connections = n;
        }
        if file.public_url.is_some() {
            self.public_url = file.public_url;
        }
        if let Some(email) = file.admin_email {
            self.admin_email = email;
        }
        if file.admin_password.is_some() {
            self.admin_password = file.admin_password;
        }
        if let Some(scrub) = file.scrub_data {
            self.scrub_data = scrub;
        }
        if let Some(limits) = file.limits {
            self.limits = limits;
        }
        if let Some(rate_limits) = file.rate_limits {
            self.rate_limits = rate_limits;
        }
        if let Some(queue) = file.queue {
            self.queue = queue;
        }
        if let Some(http) = file.http {
            self.http = http;
        }
        if let Some(workers) = file.workers {
            self.workers = workers;
        }
        if let Some(alerts) = file.alerts {
            self.alerts = alerts;
        }
        if let Some(secs) = file.maintenance_period_secs {
            self.maintenance_period_secs = secs;
        }
        if let Some(events) = file.payload_dictionary_min_events {
            self.payload_dictionary_min_events = events;
        }
        if let Some(retention) = file.retention {
            self.retention = retention;
        }
        if let Some(metrics) = file.metrics {
            self.metrics = metrics;
        }
        Ok(warnings)
    }

    fn merge_env(&mut self, env: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let env: &dyn Fn(&str) -> Option<String> = &env;
        if let Some(v) = env("ERRATA_BIND") {
            self.bind = parse_bind("ERRATA_BIND", &v)?;
        }
        if let Some(v) = env("ERRATA_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = env("ERRATA_DATABASE_URL") {
            self.database_url = Some(Secret::new(v));
        }
        if let Some(v) = env("ERRATA_DATABASE_MAX_CONNECTIONS") {
            self.database_max_connections = parse_number("ERRATA_DATABASE_MAX_CONNECTIONS", &v)?;
        }
        if let Some(v) = env("ERRATA_PUBLIC_URL") {
            self.public_url = Some(v);
        }
        if let Some(v) = env("ERRATA_ADMIN_EMAIL") {
            self.admin_email = v;
        }
        if let Some(v) = env("ERRATA_ADMIN_PASSWORD") {
            self.admin_password = Some(Secret::new(v));
        }
        if let Some(v) = env("ERRATA_SCRUB_DATA") {
            self.scrub_data = parse_bool("ERRATA_SCRUB_DATA", &v)?;
        }
        if let Some(v) = env("ERRATA_MAINTENANCE_PERIOD_SECS") {
            self.maintenance_period_secs = parse_number("ERRATA_MAINTENANCE_PERIOD_SECS", &v)?;
        }
        if let Some(v) = env("ERRATA_PAYLOAD_DICTIONARY_MIN_EVENTS") {
            self.payload_dictionary_min_events =
                parse_number("ERRATA_PAYLOAD_DICTIONARY_MIN_EVENTS", &v)?;
        }
        self.limits.merge_env(env)?;
        self.rate_limits.merge_env(env)?;
        self.queue.merge_env(env)?;
        self.http.merge_env(env)?;
        self.workers.merge_env(env)?;
        self.alerts.merge_env(env)?;
        self.retention.merge_env(env)?;
        self.metrics.merge_env(env)?;
        Ok(())
    }

    /// Checks values against each other and their ranges; an error names the key and,
    /// when it has one, its variable.
    fn validate(&self) -> Result<(), ConfigError> {
        self.check().map_err(|e| match e {
            ConfigError::Invalid { name, message } if source::known_keys().contains(&name) => {
                ConfigError::Invalid {
                    name: format!("{name} ({})", source::variable_for(&name)),
                    message,
                }
            }
            e => e,
        })
    }

    fn check(&self) -> Result<(), ConfigError> {
        if let Some(url) = &self.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(invalid("public_url", "must start with http:// or https://"));
        }
        if self.database_max_connections == 0 {
            return Err(invalid("database_max_connections", "must be at least 1"));
        }
        if self.maintenance_period_secs == 0 {
            return Err(invalid(
                "maintenance_period_secs (ERRATA_MAINTENANCE_PERIOD_SECS)",
                "must be at least 1",
            ));
        }
        self.queue.validate()?;
        self.limits.validate()?;
        self.http.validate()?;
        self.workers.validate()?;
        self.alerts.validate()?;
        self.retention.validate()?;
        self.metrics.validate(self.bind)?;
        if !self.admin_email.contains('@') {
            return Err(invalid("admin_email", "must be an email address"));
        }
        Ok(())
    }

    /// The public base URL without a trailing slash: the configured one, or one derived
    /// from `bind` (an unspecified address becomes `127.0.0.1`).
    pub fn public_base_url(&self) -> String {
        if let Some(url) = &self.public_url {
            return url.trim_end_matches('/').to_owned();
        }
        let mut addr = self.bind;
        if addr.ip().is_unspecified() {
            addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        format!("http://{addr}")
    }

    /// The local directory the database keeps its files in: `sqlite:<dir>`, or the data
    /// dir when no database URL is set; `None` for a database behind a network URL
    /// (`PostgreSQL`), whose disk this node cannot see.
    pub fn local_database_dir(&self) -> Option<PathBuf> {
        let Some(url) = &self.database_url else {
            return Some(self.data_dir.clone());
        };
        let rest = url.expose().strip_prefix("sqlite:")?;
        let dir = rest.strip_prefix("//").unwrap_or(rest);
        (!dir.is_empty()).then(|| PathBuf::from(dir))
    }
}

/// The file's text and its TOML table (a syntax error names the line).
fn read_file(path: &Path) -> Result<(String, toml::Table), ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    let table = toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    Ok((text, table))
}

/// The file's TOML table.
pub(crate) fn read_table(path: &Path) -> Result<toml::Table, ConfigError> {
    Ok(read_file(path)?.1)
}

/// The file's typed shape; a value of the wrong type is an error naming its key and line.
fn parse_file(path: &Path, text: &str) -> Result<FileConfig, ConfigError> {
    let parse = |message: String| ConfigError::Parse {
        path: path.to_owned(),
        message,
    };
    let deserializer = toml::Deserializer::parse(text).map_err(|e| parse(e.to_string()))?;
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let key = e.path().to_string();
        let inner = e.into_inner();
        let line = inner
            .span()
            .map(|span| text[..span.start.min(text.len())].lines().count().max(1));
        ConfigError::Invalid {
            name: match line {
                Some(line) => format!("{key} (file {}, line {line})", path.display()),
                None => format!("{key} (file {})", path.display()),
            },
            message: inner.message().to_owned(),
        }
    })
}

fn parse_bind(name: &str, value: &str) -> Result<SocketAddr, ConfigError> {
    value.parse().map_err(|e| ConfigError::Invalid {
        name: name.to_owned(),
        message: format!("{value:?} is not an address like 127.0.0.1:9000 ({e})"),
    })
}

pub(crate) fn parse_bool(name: &str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::Invalid {
            name: name.to_owned(),
            message: format!("{value:?} is not a boolean (true/false)"),
        }),
    }
}

pub(crate) fn parse_number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, ConfigError>
where
    T::Err: fmt::Display,
{
    value
        .trim()
        .replace('_', "")
        .parse()
        .map_err(|e| ConfigError::Invalid {
            name: name.to_owned(),
            message: format!("{value:?} is not a number ({e})"),
        })
}

/// An [`ConfigError::Invalid`] for `name`.
pub(crate) fn invalid(name: &str, message: &str) -> ConfigError {
    ConfigError::Invalid {
        name: name.to_owned(),
        message: message.to_owned(),
    }
}

/// Sets `slot` from the variable `name` when it is set (a number; `_` separators allowed).
pub(crate) fn env_number<T: std::str::FromStr>(
    env: &dyn Fn(&str) -> Option<String>,
    name: &str,
    slot: &mut T,
) -> Result<(), ConfigError>
where
    T::Err: fmt::Display,
{
    if let Some(v) = env(name) {
        *slot = parse_number(name, &v)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("errata.toml");
        std::fs::write(
            &file,
            "bind = \"127.0.0.1:7000\"\npublic_url = \"http://file\"\n[queue]\ncapacity = 5\nmax_batch = 2\nmax_in_flight = 3\n",
        )
        .unwrap();
        let mut config = Config::load(
            Some(&file),
            env(&[("ERRATA_PUBLIC_URL", "https://env.example/")]),
        )
        .unwrap();
        assert_eq!(config.bind.port(), 7000);
        assert_eq!(config.queue.capacity, 5);
        assert_eq!(config.public_base_url(), "https://env.example");
        config
            .apply(&Overrides {
                bind: Some("127.0.0.1:7100".into()),
                ..Overrides::default()
            })
            .unwrap();
        assert_eq!(config.bind.port(), 7100);
        assert_eq!(Config::default().public_base_url(), "http://127.0.0.1:9000");
    }

    #[test]
    fn bad_values_are_errors_that_name_the_source() {
        let err = Config::load(None, env(&[("ERRATA_BIND", "nine thousand")])).unwrap_err();
        assert!(err.to_string().contains("ERRATA_BIND"), "{err}");
        let err = Config::load(None, env(&[("ERRATA_QUEUE_CAPACITY", "lots")])).unwrap_err();
        assert!(err.to_string().contains("ERRATA_QUEUE_CAPACITY"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "[queue]\ncapacity = \"lots\"\n").unwrap();
        let err = Config::load(Some(&file), env(&[])).unwrap_err().to_string();
        assert!(
            err.contains("queue.capacity") && err.contains("line 2"),
            "{err}"
        );
        std::fs::write(&file, "bind = 9000\n").unwrap();
        let err = Config::load(Some(&file), env(&[])).unwrap_err().to_string();
        assert!(err.starts_with("invalid bind (file"), "{err}");
        std::fs::write(&file, "bind = \"nine thousand\"\n").unwrap();
        let err = Config::load(Some(&file), env(&[])).unwrap_err().to_string();
        assert!(err.starts_with("invalid bind:"), "{err}");
        std::fs::write(&file, "[http]\nkeep_alive_secs = -1\n").unwrap();
        let err = Config::load(Some(&file), env(&[])).unwrap_err().to_string();
        assert!(err.contains("http.keep_alive_secs"), "{err}");
        std::fs::write(&file, "[alerts\n").unwrap();
        let err = Config::load(Some(&file), env(&[])).unwrap_err().to_string();
        assert!(err.contains("line 1"), "{err}");
        let err = Config::load(None, env(&[("ERRATA_MAINTENANCE_PERIOD_SECS", "0")])).unwrap_err();
        assert!(
            err.to_string().contains("ERRATA_MAINTENANCE_PERIOD_SECS"),
            "{err}"
        );
        let err = Config::load(None, env(&[("ERRATA_HTTP_KEEP_ALIVE_SECS", "0")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid http.keep_alive_secs (ERRATA_HTTP_KEEP_ALIVE_SECS): must be at least 1 \
             second"
        );
        let config = Config::load(None, env(&[("ERRATA_MAINTENANCE_PERIOD_SECS", "2")])).unwrap();
        assert_eq!(config.maintenance_period_secs, 2);
        assert_eq!(Config::default().maintenance_period_secs, 30);
        let config =
            Config::load(None, env(&[("ERRATA_PAYLOAD_DICTIONARY_MIN_EVENTS", "0")])).unwrap();
        assert_eq!(config.payload_dictionary_min_events, 0);
        assert_eq!(Config::default().payload_dictionary_min_events, 1_000);
    }

    #[test]
    fn the_local_database_dir_is_the_sqlite_one() {
        let with = |url: Option<&str>| Config {
            database_url: url.map(Secret::new),
            ..Config::default()
        };
        assert_eq!(
            with(None).local_database_dir(),
            Some(PathBuf::from("./errata-data"))
        );
        assert_eq!(
            with(Some("sqlite:/var/lib/errata")).local_database_dir(),
            Some(PathBuf::from("/var/lib/errata"))
        );
        assert_eq!(
            with(Some("sqlite:///srv/e")).local_database_dir(),
            Some(PathBuf::from("/srv/e"))
        );
        assert_eq!(
            with(Some("postgres://db/errata")).local_database_dir(),
            None
        );
    }

    #[test]
    fn unknown_keys_and_variables_are_warnings_not_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("errata.toml");
        std::fs::write(&file, "bnd = \"x\"\n[queue]\ncapacity = 5\nmax_bach = 2\n").unwrap();
        let loaded = Config::load_reporting(
            Some(&file),
            env(&[]),
            ["ERRATA_QUEU_CAPACITY".to_owned(), "HOME".to_owned()],
        )
        .unwrap();
        assert_eq!(loaded.config.queue.capacity, 5);
        let text: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
        let path = file.display();
        assert_eq!(
            text,
            [
                format!("unknown key bnd in {path}; did you mean bind?"),
                format!("unknown key queue.max_bach in {path}; did you mean queue.max_batch?"),
                "unknown variable ERRATA_QUEU_CAPACITY; did you mean ERRATA_QUEUE_CAPACITY?"
                    .to_owned(),
            ]
        );
        assert_eq!(Config::load(Some(&file), env(&[])).unwrap(), loaded.config);
    }

    #[test]
    fn every_bad_variable_is_an_error_naming_it() {
        for key in source::known_keys() {
            let variable = source::variable_for(&key);
            let default =
                source::flatten(&serde_json::to_value(Config::default()).unwrap())[&key].clone();
            // Only numbers and booleans can be malformed; strings and paths take anything.
            if !(default.is_number() || default.is_boolean()) {
                continue;
            }
            let err = Config::load(None, env(&[(&variable, "not-a-value")]))
                .expect_err(&variable)
                .to_string();
            assert!(err.contains(&variable), "{variable}: {err}");
        }
    }

    #[test]
    fn secrets_are_redacted() {
        let config = Config::load(None, env(&[("ERRATA_ADMIN_PASSWORD", "hunter2")])).unwrap();
        let debug = format!("{config:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("[redacted]"));
        let json = serde_json::to_string(&config).unwrap();
        assert!(
            !json.contains("hunter2") && json.contains("[redacted]"),
            "{json}"
        );
        assert_eq!(config.admin_password.unwrap().expose(), "hunter2");
    }
}
