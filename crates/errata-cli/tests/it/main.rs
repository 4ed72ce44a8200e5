//! Process-level tests of the `errata` binary: a real `errata serve` child process on
//! `127.0.0.1:0` with its own data dir, driven by the official SDKs (Python `sentry-sdk`
//! in a venv, the Rust `sentry` crate), by every captured request of the SDK corpus, by a
//! `kill -9` in the middle of a stream of events, by hostile input, and by a short run of
//! the load generator (`errata bench ingest`) and of `errata bench fill`, and by alerts
//! reaching a local receiver and a real SMTP server, by two nodes sharing one
//! `PostgreSQL` database (their events, and the jobs and caches beside them), and by a
//! `SQLite` installation moved to `PostgreSQL` with `errata migrate-store`, by backups
//! taken during ingest and restored (`backup`), by schema upgrades and refused downgrades
//! (`upgrade`), by `errata config show` (`config_show`), by JSON log lines that carry
//! their request's id (`logs`), and by retention filled past its limits (`retention`).
//! `harness` holds
//! the process, HTTP and read-back helpers they share; `backend` runs them on `SQLite` or,
//! with `ERRATA_TEST_BACKEND=postgres`, on `PostgreSQL`.

mod alerts;
mod backend;
mod backup;
mod bad_input;
mod bench;
mod channel;
mod cli;
mod config_show;
mod corpus_replay;
mod durability;
mod fill;
mod harness;
mod logs;
mod migrate_store;
mod multinode;
mod multinode_jobs;
mod multinode_limits;
mod receiver;
mod retention;
mod sdk_python;
mod sdk_rust;
mod sentry_cli;
mod upgrade;
