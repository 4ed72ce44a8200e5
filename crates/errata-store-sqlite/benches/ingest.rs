//! Placeholder for the ingest benchmark.

fn main() {}
