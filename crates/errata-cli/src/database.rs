//! Which database the binary opens: the one place that names a storage backend.
//!
//! `database_url` (`--database-url`, `ERRATA_DATABASE_URL`, or `database_url` in the file)
//! names it: `sqlite:<dir>`, or `postgres://...` for `PostgreSQL` (several nodes may share
//! one); unset means `SQLite` in the data dir. The server is handed the opened store as an
//! `Arc<dyn Store>` and never knows which backend it got, so adding one touches this file and
//! a new `errata-store-*` crate, not the server.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use errata_server::Config;
use errata_store::Store;
use errata_store_postgres::{PgStore, PgStoreConfig};
use errata_store_sqlite::SqliteStore;

/// A parsed `database_url`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum StoreUrl {
    /// `SQLite` in this directory (`sqlite:<dir>`, `sqlite://<dir>`, or unset: the data dir).
    Sqlite(PathBuf),
    /// `PostgreSQL` at this URL (`postgres://` or `postgresql://`; it may hold a password).
    Postgres(String),
}

/// The URL's password stays out of logs.
impl std::fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(dir) => f.debug_tuple("Sqlite").field(dir).finish(),
            Self::Postgres(_) => f.write_str("Postgres(..)"),
        }
    }
}

impl StoreUrl {
    /// The database `config` names; an unknown scheme is an error naming the option.
    pub(crate) fn of(config: &Config) -> anyhow::Result<Self> {
        let Some(url) = &config.database_url else {
            return Ok(Self::Sqlite(config.data_dir.clone()));
        };
        let url = url.expose();
        let (scheme, rest) = url.split_once(':').with_context(|| {
            "invalid database_url (--database-url, ERRATA_DATABASE_URL): expected \
             sqlite:<directory>"
        })?;
        match scheme {
            "sqlite" => {
                let dir = rest.strip_prefix("//").unwrap_or(rest);
                anyhow::ensure!(
                    !dir.is_empty(),
                    "invalid database_url (--database-url, ERRATA_DATABASE_URL): \
                     sqlite: needs a directory, as in sqlite:/var/lib/errata"
                );
                Ok(Self::Sqlite(PathBuf::from(dir)))
            }
            "postgres" | "postgresql" => Ok(Self::Postgres(url.to_owned())),
            other => anyhow::bail!(
                "invalid database_url (--database-url, ERRATA_DATABASE_URL): expected \
                 sqlite:<directory> or postgres://..., not a {other:?} URL"
            ),
        }
    }
}

/// The database `config` names, for the startup banner (no credentials).
pub(crate) fn describe(config: &Config) -> anyhow::Result<String> {
    Ok(match StoreUrl::of(config)? {
        StoreUrl::Sqlite(dir) => format!("SQLite in {}", dir.display()),
        StoreUrl::Postgres(url) => format!(
            "PostgreSQL {}",
            PgStoreConfig::from_url(&url)
                .context("invalid database_url (--database-url, ERRATA_DATABASE_URL)")?
                .location()
        ),
    })
}

/// Opens (creating and migrating) the store `config` names.
pub(crate) fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    match StoreUrl::of(config)? {
        StoreUrl::Sqlite(dir) => {
            let store = SqliteStore::open(&dir)
                .with_context(|| format!("opening the SQLite database in {}", dir.display()))?;
            Ok(Arc::new(store))
        }
        StoreUrl::Postgres(url) => {
            let pg = PgStoreConfig::from_url(&url)
                .context("invalid database_url (--database-url, ERRATA_DATABASE_URL)")?
                .with_max_connections(config.database_max_connections as usize);
            let store = PgStore::open(&pg).context("opening the PostgreSQL database")?;
            Ok(Arc::new(store))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use errata_server::config::Secret;

    fn url(value: Option<&str>) -> anyhow::Result<StoreUrl> {
        let config = Config {
            data_dir: PathBuf::from("/data"),
            database_url: value.map(|v| Secret::new(v.to_owned())),
            ..Config::default()
        };
        StoreUrl::of(&config)
    }

    #[test]
    fn unset_means_sqlite_in_the_data_dir_and_sqlite_urls_name_a_directory() {
        assert_eq!(url(None).unwrap(), StoreUrl::Sqlite("/data".into()));
        assert_eq!(
            url(Some("sqlite:///var/lib/errata")).unwrap(),
            StoreUrl::Sqlite("/var/lib/errata".into())
        );
        assert_eq!(
            url(Some("sqlite:relative/dir")).unwrap(),
            StoreUrl::Sqlite("relative/dir".into())
        );
    }

    #[test]
    fn postgres_urls_name_postgres_and_keep_their_password_out_of_debug() {
        let parsed = url(Some("postgres://errata:hunter2@db/errata")).unwrap();
        assert_eq!(
            parsed,
            StoreUrl::Postgres("postgres://errata:hunter2@db/errata".into())
        );
        assert!(!format!("{parsed:?}").contains("hunter2"));
        assert!(matches!(
            url(Some("postgresql://db/errata")).unwrap(),
            StoreUrl::Postgres(_)
        ));
    }

    #[test]
    fn other_urls_are_errors_naming_the_option() {
        for bad in ["mysql://errata:pw@db/errata", "sqlite:", "/no/scheme"] {
            let err = url(Some(bad)).unwrap_err().to_string();
            assert!(err.contains("database_url"), "{bad}: {err}");
            assert!(
                !err.contains("errata@db"),
                "the URL may hold a password: {err}"
            );
        }
    }
}
