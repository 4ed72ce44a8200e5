//! The errata-tower crate (work in progress).
