//! Integration tests of `errata-server`, one binary for the crate: a real server (real
//! `SQLite` file in a temp dir, the real writer thread) driven through its router.

mod ingest;
