//! Integration tests of `errata-grouping`, one binary for the whole crate: the real SDK
//! corpus through decode, parse, normalize and group, checked against how Sentry groups
//! the same scenarios, with the explanations pinned as snapshots.

mod corpus;
