//! Event payloads as stored: the normalized event JSON compressed with zstd (level 3).
//! Compression lives here, not in a backend, so every backend stores the same bytes and so
//! the server can compress on its request handlers, off the single writer thread.

use std::cell::RefCell;

use crate::error::{Result, StoreError};

/// The zstd level: fast to compress (hundreds of MB/s) and ~4x on event JSON.
const LEVEL: i32 = 3;

/// Payloads larger than this are refused (the protocol's limits are far lower).
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024 * 1024;

thread_local! {
    static COMPRESSOR: RefCell<Option<zstd::bulk::Compressor<'static>>> = const { RefCell::new(None) };
}

/// A compressed event payload and the length of the JSON it decompresses to.
#[derive(Clone, PartialEq, Eq)]
pub struct Payload {
    compressed: Vec<u8>,
    raw_len: usize,
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payload")
            .field("compressed_len", &self.compressed.len())
            .field("raw_len", &self.raw_len)
            .finish()
    }
}

impl Payload {
    /// Compresses `raw` (the normalized event's JSON). Reuses one zstd context per thread.
    pub fn compress(raw: &[u8]) -> Result<Self> {
        if raw.len() > MAX_PAYLOAD_BYTES {
            return Err(StoreError::invalid(format!(
                "payload of {} bytes is too large",
                raw.len()
            )));
        }
        let compressed = COMPRESSOR.with(|cell| {
            let mut cell = cell.borrow_mut();
            if cell.is_none() {
                *cell = Some(zstd::bulk::Compressor::new(LEVEL).map_err(zstd_error)?);
            }
            cell.as_mut().map_or_else(
                || Err(StoreError::backend("no zstd compressor")),
                |c| c.compress(raw).map_err(zstd_error),
            )
        })?;
        Ok(Self {
            compressed,
            raw_len: raw.len(),
        })
    }

    /// Wraps bytes read back from a database.
    pub fn from_compressed(compressed: Vec<u8>, raw_len: usize) -> Self {
        Self {
            compressed,
            raw_len,
        }
    }

    /// The bytes to store.
    pub fn compressed(&self) -> &[u8] {
        &self.compressed
    }

    /// The length of the uncompressed JSON.
    pub fn raw_len(&self) -> usize {
        self.raw_len
    }

    /// The original JSON bytes.
    pub fn decompress(&self) -> Result<Vec<u8>> {
        if self.raw_len > MAX_PAYLOAD_BYTES {
            return Err(StoreError::corrupt(
                "stored payload length is out of bounds",
            ));
        }
        let raw = zstd::bulk::decompress(&self.compressed, self.raw_len).map_err(|e| {
            StoreError::corrupt("stored payload does not decompress").with_source(e)
        })?;
        if raw.len() != self.raw_len {
            return Err(StoreError::corrupt("stored payload has the wrong length"));
        }
        Ok(raw)
    }
}

fn zstd_error(e: std::io::Error) -> StoreError {
    StoreError::backend("zstd compression failed").with_source(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_shrinks_json() {
        let raw =
            br#"{"message":"hello","tags":[["a","b"]],"extra":{"x":"hello hello hello hello"}}"#
                .repeat(20);
        let payload = Payload::compress(&raw).unwrap();
        assert_eq!(payload.raw_len(), raw.len());
        assert!(payload.compressed().len() < raw.len() / 4);
        assert_eq!(payload.decompress().unwrap(), raw);
    }

    #[test]
    fn refuses_garbage_and_wrong_lengths() {
        assert!(
            Payload::from_compressed(b"not zstd".to_vec(), 10)
                .decompress()
                .is_err()
        );
        let payload = Payload::compress(b"{}").unwrap();
        let wrong = Payload::from_compressed(payload.compressed().to_vec(), 1);
        assert!(wrong.decompress().is_err());
    }
}
