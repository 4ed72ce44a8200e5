//! Grouping: turns one normalized [`errata_protocol::Event`] into the hashes that decide
//! which issue it belongs to, plus the title, culprit and metadata and an
//! explanation of which values contributed. Pure: no IO, no clock, no randomness.
