//! How much room a store takes on disk, and how much of it the events take: what the
//! ingest benchmark divides by the events it stored to get bytes per event, and where it
//! reads whether payloads or indexes grow fastest. Backends measure it their own way (see
//! [`crate::Store::storage_usage`]); the figures are comparable within one backend, before
//! and after a run, not byte for byte between backends.

/// Bytes a store occupies, with the events' share.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StorageUsage {
    /// Everything the database occupies, WAL excluded (`SQLite`: its pages as of the latest
    /// commit, i.e. the database file after a checkpoint; `PostgreSQL`: `pg_database_size`
    /// of the current database).
    pub total_bytes: u64,
    /// The events table's rows with their payloads, indexes excluded (`SQLite`: the
    /// table's b-tree pages, overflow pages included; `PostgreSQL`: heap, TOAST, free space
    /// and visibility maps).
    pub events_bytes: u64,
    /// The part of [`StorageUsage::events_bytes`] stored out of line: payloads too big for
    /// a row's page (`SQLite` overflow pages, `PostgreSQL` TOAST with its index).
    pub events_out_of_line_bytes: u64,
    /// The events table's indexes.
    pub events_index_bytes: u64,
}

impl StorageUsage {
    /// The growth from `before` to `self`, field by field (0 where a figure shrank).
    #[must_use]
    pub fn since(&self, before: &Self) -> Self {
        Self {
            total_bytes: self.total_bytes.saturating_sub(before.total_bytes),
            events_bytes: self.events_bytes.saturating_sub(before.events_bytes),
            events_out_of_line_bytes: self
                .events_out_of_line_bytes
                .saturating_sub(before.events_out_of_line_bytes),
            events_index_bytes: self
                .events_index_bytes
                .saturating_sub(before.events_index_bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_is_per_field_and_never_negative() {
        let before = StorageUsage {
            total_bytes: 100,
            events_bytes: 50,
            events_out_of_line_bytes: 10,
            events_index_bytes: 20,
        };
        let after = StorageUsage {
            total_bytes: 180,
            events_bytes: 40,
            events_out_of_line_bytes: 15,
            events_index_bytes: 30,
        };
        assert_eq!(
            after.since(&before),
            StorageUsage {
                total_bytes: 80,
                events_bytes: 0,
                events_out_of_line_bytes: 5,
                events_index_bytes: 10,
            }
        );
    }
}
