//! The integration test binary of the `SQLite` backend: runs `errata-store`'s conformance
//! suite against real database files in temporary directories, plus `SQLite`-specific
//! checks (WAL mode, file layout).

mod durability;
mod harness;
mod sqlite;

errata_store::conformance_tests!(harness::TempHarness::default());
