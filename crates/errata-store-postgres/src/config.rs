//! What to connect to and how: a `postgres://` (or `postgresql://`) URL, parsed by
//! `tokio-postgres` (its TLS options by [`crate::tls`]), plus the pool's size and timeouts. The password stays inside the
//! parsed config, whose `Debug` redacts it; no error built here quotes the URL.

use std::fmt::Write as _;
use std::str::FromStr as _;
use std::time::Duration;

use crate::error::PgError;
use crate::tls::TlsOptions;

/// Connections the pool opens at most, unless told otherwise.
pub const DEFAULT_MAX_CONNECTIONS: usize = 16;
/// How long opening one connection (TCP, startup, authentication) may take.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a caller waits for a free connection when all are busy.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(10);
/// The server-side limit on any one statement (migrations are exempt).
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);

/// How to reach the database and size the pool.
#[derive(Debug, Clone)]
pub struct PgStoreConfig {
    pg: tokio_postgres::Config,
    /// Connections the pool opens at most (at least 1).
    pub max_connections: usize,
    /// Limit on opening one connection, handshake and authentication included.
    pub connect_timeout: Duration,
    /// Limit on waiting for a free connection.
    pub wait_timeout: Duration,
    /// Server-side `statement_timeout` of every connection; `None`: the server's own.
    pub statement_timeout: Option<Duration>,
    /// TLS: the URL's `sslmode` and `sslrootcert`.
    pub tls: TlsOptions,
}

impl PgStoreConfig {
    /// Parses a `postgres://user:password@host:port/database?options` URL.
    pub fn from_url(url: &str) -> Result<Self, PgError> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(PgError::Config(
                "expected a postgres:// or postgresql:// URL".to_owned(),
            ));
        }
        let (tls, url) = TlsOptions::take_from_url(url)?;
        // tokio-postgres's parse errors name the offending option, never its value.
        let pg = tokio_postgres::Config::from_str(&url)
            .map_err(|e| PgError::Config(format!("invalid PostgreSQL URL: {e}")))?;
        if pg.get_dbname().is_none() {
            return Err(PgError::Config(
                "the PostgreSQL URL names no database (postgres://host/DATABASE)".to_owned(),
            ));
        }
        Ok(Self {
            pg,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            wait_timeout: DEFAULT_WAIT_TIMEOUT,
            statement_timeout: Some(DEFAULT_STATEMENT_TIMEOUT),
            tls,
        })
    }

    #[must_use]
    pub fn with_max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }

    #[must_use]
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    #[must_use]
    pub fn with_wait_timeout(mut self, timeout: Duration) -> Self {
        self.wait_timeout = timeout;
        self
    }

    #[must_use]
    pub fn with_statement_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.statement_timeout = timeout;
        self
    }

    /// The same server and credentials, another database (tests, maintenance).
    #[must_use]
    pub fn with_dbname(mut self, name: &str) -> Self {
        self.pg.dbname(name);
        self
    }

    /// Where it connects, for people: `database NAME on HOST:PORT (sslmode MODE)`, never the
    /// user or password.
    pub fn location(&self) -> String {
        use tokio_postgres::config::Host;
        let hosts: Vec<String> = self
            .pg
            .get_hosts()
            .iter()
            .zip(self.pg.get_ports().iter().chain(std::iter::repeat(&5432)))
            .map(|(host, port)| match host {
                Host::Tcp(name) => format!("{name}:{port}"),
                #[cfg(unix)]
                Host::Unix(dir) => format!("{}/.s.PGSQL.{port}", dir.display()),
            })
            .collect();
        let hosts = if hosts.is_empty() {
            "localhost:5432".to_owned()
        } else {
            hosts.join(",")
        };
        let mode = match self.tls.mode {
            crate::TlsMode::Disable => "disable",
            crate::TlsMode::Prefer => "prefer",
            crate::TlsMode::Require => "require",
            crate::TlsMode::VerifyCa => "verify-ca",
            crate::TlsMode::VerifyFull => "verify-full",
        };
        format!("database {} on {hosts} (sslmode {mode})", self.dbname())
    }

    /// The database connected to.
    pub fn dbname(&self) -> &str {
        self.pg.get_dbname().unwrap_or_default()
    }

    /// The driver's config with the timeouts and an application name applied.
    pub(crate) fn driver_config(&self) -> tokio_postgres::Config {
        let mut pg = self.pg.clone();
        pg.connect_timeout(self.connect_timeout);
        pg.ssl_mode(self.tls.mode.driver_mode());
        if pg.get_application_name().is_none() {
            pg.application_name("errata");
        }
        if let Some(timeout) = self.statement_timeout {
            let mut options = pg.get_options().unwrap_or_default().to_owned();
            if !options.is_empty() {
                options.push(' ');
            }
            // Whole milliseconds, at least one (0 would mean "no limit").
            let ms = timeout.as_millis().max(1);
            let _ = write!(options, "-c statement_timeout={ms}");
            pg.options(&options);
        }
        pg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls_and_refuses_others() {
        let c = PgStoreConfig::from_url("postgres://u:pw@db.internal:6543/errata").unwrap();
        assert_eq!(c.dbname(), "errata");
        assert_eq!(c.max_connections, DEFAULT_MAX_CONNECTIONS);
        assert!(PgStoreConfig::from_url("postgresql://u@h/d").is_ok());
        for bad in ["sqlite:/var/lib", "host=h dbname=d", "postgres://u@h", ""] {
            let e = PgStoreConfig::from_url(bad).unwrap_err();
            assert!(errata_store::StoreError::from(e).is_invalid(), "{bad}");
        }
        let e = PgStoreConfig::from_url("postgres://u:pw-sekrit@h:notaport/d").unwrap_err();
        assert!(!format!("{e} {e:?}").contains("pw-sekrit"));
    }

    #[test]
    fn the_location_names_database_host_and_tls_never_the_credentials() {
        let c = PgStoreConfig::from_url(
            "postgres://errata:s3cret@db.internal:6543/errata?sslmode=verify-full",
        )
        .unwrap();
        assert_eq!(
            c.location(),
            "database errata on db.internal:6543 (sslmode verify-full)"
        );
        let c = PgStoreConfig::from_url("postgres://u@10.0.0.5/e").unwrap();
        assert_eq!(c.location(), "database e on 10.0.0.5:5432 (sslmode prefer)");
    }

    #[test]
    fn timeouts_and_name_reach_the_driver() {
        let c = PgStoreConfig::from_url("postgres://u:hunter2@h/d?options=-c%20search_path%3Dx")
            .unwrap()
            .with_statement_timeout(Some(Duration::from_millis(1500)))
            .with_connect_timeout(Duration::from_secs(2))
            .with_max_connections(0);
        assert_eq!(c.max_connections, 1);
        let pg = c.driver_config();
        assert_eq!(
            pg.get_options(),
            Some("-c search_path=x -c statement_timeout=1500")
        );
        assert_eq!(pg.get_connect_timeout(), Some(&Duration::from_secs(2)));
        assert_eq!(pg.get_application_name(), Some("errata"));
        assert!(!format!("{c:?}").contains("hunter2"));
        assert_eq!(c.with_dbname("other").dbname(), "other");
    }
}
