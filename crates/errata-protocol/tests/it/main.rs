//! Integration tests of `errata-protocol`, one binary for the whole crate.
//!
//! Each module owns one area and reads the shared SDK corpus (`../shared/sdk-corpus`, real
//! requests captured from official SDKs) where it can, so these tests exercise the public
//! API on what SDKs actually send rather than on hand-written examples.

mod dump;
mod limits;
mod normalize;
mod transport;
