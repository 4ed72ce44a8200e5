//! The integration tests of `errata-server`, in one binary: each module tests one area
//! against a real server (a real `SQLite` file in a temporary data dir, the real writer
//! thread), driven through its router.

mod api;
mod ingest;
mod support;
