//! The integration tests of `errata-server`, in one binary: one module per area, most
//! against a real server (a real `SQLite` file in a temporary data dir, the real writer
//! thread), driven through its router.

mod abuse;
mod alerts_api;
mod alerts_ui;
mod api;
mod auth;
mod ingest;
mod openapi;
mod settings;
mod support;
mod ui;
mod writer_death;
