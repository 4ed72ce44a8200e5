//! Ingest under attack: every DSN key is public, so anyone can send anything. Each test
//! starts the real `errata serve` (a child process, through the shared harness of
//! `tests/it`), attacks it over loopback, and checks two things at once: the attacker gets
//! a clear 4xx (or its connection is closed after the deadline), and an honest event sent
//! in the middle of the attack by the official Python `sentry-sdk` (a subprocess timing
//! its own request) is answered 200 within 2 s and stored. The server's RSS is sampled
//! from `/proc` during each attack and bounded. Attacks run one at a time (so an honest
//! client never competes with another attack for the two cores), every loop is bounded
//! in time and count, and each test reports all its failed expectations together with
//! the figures it measured (`--nocapture` shows them: lines starting `hostile[`).
//! One module per attack family.

#[allow(
    dead_code,
    reason = "the harness is shared with tests/it, which uses all of it"
)]
#[path = "../it/harness.rs"]
mod harness;

#[allow(
    dead_code,
    reason = "shared with tests/it: the harness picks the backend, tests/it uses the rest"
)]
#[path = "../it/backend.rs"]
mod backend;

mod client_reports;
mod common;
mod compression;
mod connections;
mod keep_alive;
mod payloads;
mod rate_limits;
mod slow_body;
mod slow_headers;
