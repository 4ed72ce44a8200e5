//! The integration tests of `errata-server`, in one binary: one module per area, most
//! against a real server in a temporary data dir (see `support`).

mod api;
mod openapi;
mod support;
