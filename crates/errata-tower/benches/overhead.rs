//! Overhead benchmark (work in progress).
fn main() {}
