//! Integration tests of errata-tower (work in progress).
