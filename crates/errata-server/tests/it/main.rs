//! The integration tests of `errata-server`, in one binary: one module per area, most
//! against a real server (a real store, the real writer thread), driven through its
//! router. The store is a `SQLite` file in a temporary data dir, or with
//! `ERRATA_TEST_BACKEND=postgres` a throwaway `PostgreSQL` database per server
//! (`support::Backend`); the few tests that only make sense on `SQLite` say why and skip.

mod abuse;
mod alerts_api;
mod alerts_ui;
mod api;
mod auth;
mod dictionary;
mod filters;
mod ingest;
mod metrics;
mod openapi;
mod settings;
mod support;
mod ui;
mod writer_death;
