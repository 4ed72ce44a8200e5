//! Connection failures: a refused port and a server that accepts TCP but never answers
//! both fail fast as "unavailable" (the HTTP layer's 503), and the URL's password is in
//! neither the error's `Display` nor its `Debug`. No `PostgreSQL` server is needed.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use errata_store::StoreError;
use errata_store_postgres::{PgPool, PgStoreConfig};

const PASSWORD: &str = "hunter2-not-for-logs";

fn config(port: u16) -> PgStoreConfig {
    PgStoreConfig::from_url(&format!(
        "postgres://errata:{PASSWORD}@127.0.0.1:{port}/errata"
    ))
    .unwrap()
    .with_connect_timeout(Duration::from_millis(500))
}

fn assert_unavailable_without_password(e: errata_store_postgres::PgError) {
    assert!(e.is_unavailable(), "{e}");
    let text = format!("{e} {e:?}");
    assert!(!text.contains(PASSWORD), "{text}");
    let e = StoreError::from(e);
    assert!(e.is_unavailable(), "{e}");
    let text = format!("{e} {e:?}");
    assert!(!text.contains(PASSWORD), "{text}");
}

#[test]
fn a_refused_connection_is_unavailable_and_quiet_about_the_password() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let started = Instant::now();
    let e = PgPool::connect(&config(port)).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_unavailable_without_password(e);
}

#[test]
fn a_silent_server_times_out_as_unavailable() {
    // Accepts the TCP connection (the kernel's backlog) but never answers the startup.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let started = Instant::now();
    let e = PgPool::connect(&config(port)).unwrap_err();
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert_unavailable_without_password(e);
    drop(listener);
}

#[test]
fn config_debug_hides_the_password() {
    let c = config(5432);
    assert!(!format!("{c:?}").contains(PASSWORD));
}
