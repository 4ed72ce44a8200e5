//! TLS to a real `PostgreSQL` server with libpq's `sslmode` meanings. Debian's cluster
//! serves TLS with the "snakeoil" certificate (self-signed, `CN=localhost`), so: `require`
//! encrypts without checking it, `disable` does not encrypt, `verify-full` refuses it
//! against the Mozilla roots and accepts it with `sslrootcert` pointing at it for host
//! `localhost` (not for `127.0.0.1`, which it does not name), and `verify-ca` accepts it for
//! `127.0.0.1`. Runs against the default local server only (`ERRATA_TEST_POSTGRES_URL`
//! unset); skipped without one unless `CI` is set, like every test here.

use std::path::Path;

use errata_store_postgres::testing::TestDatabase;
use errata_store_postgres::{PgPool, PgStoreConfig};

/// Debian's self-signed certificate of the local cluster.
const SNAKEOIL: &str = "/etc/ssl/certs/ssl-cert-snakeoil.pem";

/// A server to test against, or `None` (the test is skipped, saying why).
#[allow(clippy::print_stderr, reason = "a skipped test says so")]
fn local_server() -> Option<TestDatabase> {
    if std::env::var_os("ERRATA_TEST_POSTGRES_URL").is_some() {
        eprintln!("skipped: the TLS tests use the local server's snakeoil certificate");
        return None;
    }
    let db = TestDatabase::create()?;
    let pool = PgPool::connect(&db.config()).unwrap();
    let ssl: String = pool
        .with_client(async |c| Ok(c.query_one("SHOW ssl", &[]).await?.get(0)))
        .unwrap();
    assert_eq!(
        ssl, "on",
        "the test server serves no TLS (ssl = off in postgresql.conf)"
    );
    assert!(Path::new(SNAKEOIL).is_file(), "{SNAKEOIL} is missing");
    Some(db)
}

/// Connects with `query` added to the URL; answers whether the session is encrypted.
fn encrypted(db: &TestDatabase, host: &str, query: &str) -> Result<bool, String> {
    let url = format!("postgres://postgres@{host}:5432/{}?{query}", db.name());
    let config = PgStoreConfig::from_url(&url).map_err(|e| e.to_string())?;
    let pool = PgPool::connect(&config).map_err(|e| e.to_string())?;
    pool.with_client(async |c| {
        Ok(c.query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await?
        .get(0))
    })
    .map_err(|e| e.to_string())
}

#[test]
fn sslmode_encrypts_and_checks_the_certificate_as_libpq_does() {
    let Some(db) = local_server() else {
        return;
    };
    assert_eq!(encrypted(&db, "127.0.0.1", "sslmode=require"), Ok(true));
    assert_eq!(encrypted(&db, "127.0.0.1", "sslmode=disable"), Ok(false));
    // The default (prefer) encrypts when the server offers it.
    assert_eq!(encrypted(&db, "127.0.0.1", "application_name=t"), Ok(true));

    // A self-signed certificate is not among the Mozilla roots.
    let refused = encrypted(&db, "localhost", "sslmode=verify-full").unwrap_err();
    assert!(refused.contains("certificate"), "{refused}");

    let trusted = format!("sslrootcert={SNAKEOIL}");
    assert_eq!(
        encrypted(&db, "localhost", &format!("sslmode=verify-full&{trusted}")),
        Ok(true)
    );
    // Trusted, but it names localhost, not 127.0.0.1: verify-full refuses, verify-ca not.
    let wrong_name =
        encrypted(&db, "127.0.0.1", &format!("sslmode=verify-full&{trusted}")).unwrap_err();
    assert!(wrong_name.contains("certificate"), "{wrong_name}");
    assert_eq!(
        encrypted(&db, "127.0.0.1", &format!("sslmode=verify-ca&{trusted}")),
        Ok(true)
    );
}
