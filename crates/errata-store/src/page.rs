//! Cursor pagination shared by every backend: a page of rows and the opaque cursor of the
//! next one. Cursors are keyset positions (sort value, id), not offsets, so rows inserted
//! while a client pages never shift a page and never make one repeat or skip a row. A row
//! whose sort value grows while a client pages (an issue that gets an event) moves ahead
//! of the cursor: it is never listed twice; if it had not been listed yet it shows on the
//! next first page, as in Sentry.

use crate::error::{Result, StoreError};

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The cursor of the next page, or `None` on the last one.
    pub next_cursor: Option<String>,
}

/// A keyset position: the last row's sort value and id. Encoded as `"<sort>:<id>"`;
/// callers must treat it as opaque.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub sort: i64,
    pub id: i64,
}

impl Cursor {
    /// The string handed to clients.
    pub fn encode(self) -> String {
        format!("{}:{}", self.sort, self.id)
    }

    /// Reads a client's cursor back.
    pub fn decode(s: &str) -> Result<Self> {
        let bad = || StoreError::invalid(format!("invalid cursor {s:?}"));
        let (sort, id) = s.split_once(':').ok_or_else(bad)?;
        Ok(Self {
            sort: sort.parse().map_err(|_| bad())?,
            id: id.parse().map_err(|_| bad())?,
        })
    }
}

/// The page size actually used for a requested `limit`.
pub fn clamp_limit(limit: usize) -> usize {
    limit.clamp(1, crate::issue::MAX_PAGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = Cursor { sort: -5, id: 42 };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        for bad in ["", "1", "a:b", "1:2:3", ":"] {
            assert!(Cursor::decode(bad).unwrap_err().is_invalid(), "{bad}");
        }
        assert_eq!(clamp_limit(0), 1);
        assert_eq!(clamp_limit(1000), 100);
    }
}
