//! The integration tests of `errata-server`, in one binary: each module tests one area
//! against a real server in a temporary data dir (see `support`).

mod api;
mod support;
