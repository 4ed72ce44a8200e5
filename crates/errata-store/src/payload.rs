//! Event payloads as stored: the normalized event JSON compressed with zstd (level 3),
//! with the installation's trained dictionary once it has one (see [`crate::PayloadCodec`]).
//! Compression lives here, not in a backend, so every backend stores the same bytes and so
//! the server can compress on its request handlers, off the single writer thread. A frame
//! names its dictionary in its header (zstd's dictionary id), so a payload says by itself
//! which dictionary, if any, it needs.

use std::cell::RefCell;

use zstd::dict::DecoderDictionary;
use zstd::zstd_safe;

use crate::dictionary::PayloadDictionary;
use crate::error::{Result, StoreError};

/// The zstd level: fast to compress (hundreds of MB/s) and ~4x on event JSON; with a
/// dictionary, ~4x smaller again and twice as fast (`benches/payload.rs`).
const LEVEL: i32 = 3;

/// Payloads larger than this are refused (the protocol's limits are far lower).
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024 * 1024;

thread_local! {
    static COMPRESSORS: RefCell<Compressors> = RefCell::new(Compressors::default());
    static DECOMPRESSOR: RefCell<Option<zstd_safe::DCtx<'static>>> = const { RefCell::new(None) };
}

/// A thread's compression contexts, reused from one payload to the next: one without a
/// dictionary, one with the latest dictionary it was asked for (loading a dictionary
/// builds tables, so it is done once per thread and dictionary, not per payload).
#[derive(Default)]
struct Compressors {
    plain: Option<zstd::bulk::Compressor<'static>>,
    with_dictionary: Option<(u32, zstd::bulk::Compressor<'static>)>,
}

impl Compressors {
    fn get(
        &mut self,
        dictionary: Option<&PayloadDictionary>,
    ) -> Result<&mut zstd::bulk::Compressor<'static>> {
        match dictionary {
            None => {
                if self.plain.is_none() {
                    self.plain = Some(zstd::bulk::Compressor::new(LEVEL).map_err(zstd_error)?);
                }
                self.plain
                    .as_mut()
                    .ok_or_else(|| StoreError::backend("no zstd compressor"))
            }
            Some(d) => {
                if self
                    .with_dictionary
                    .as_ref()
                    .is_none_or(|(id, _)| *id != d.id)
                {
                    let compressor = zstd::bulk::Compressor::with_dictionary(LEVEL, &d.bytes)
                        .map_err(zstd_error)?;
                    self.with_dictionary = Some((d.id, compressor));
                }
                self.with_dictionary
                    .as_mut()
                    .map(|(_, c)| c)
                    .ok_or_else(|| StoreError::backend("no zstd compressor"))
            }
        }
    }
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
    /// Compresses `raw` (the normalized event's JSON) without a dictionary. Reuses one zstd
    /// context per thread. The server compresses with its store's
    /// [`crate::PayloadCodec`] instead, which uses the dictionary when there is one.
    pub fn compress(raw: &[u8]) -> Result<Self> {
        Self::compress_with(raw, None)
    }

    /// Compresses `raw` with `dictionary` (the frame records its id), or without one.
    pub(crate) fn compress_with(
        raw: &[u8],
        dictionary: Option<&PayloadDictionary>,
    ) -> Result<Self> {
        if raw.len() > MAX_PAYLOAD_BYTES {
            return Err(StoreError::invalid(format!(
                "payload of {} bytes is too large",
                raw.len()
            )));
        }
        let compressed = COMPRESSORS.with(|cell| {
            cell.borrow_mut()
                .get(dictionary)?
                .compress(raw)
                .map_err(zstd_error)
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

    /// The id of the dictionary the payload was compressed with (from its frame header),
    /// `None` without one.
    pub fn dictionary_id(&self) -> Option<u32> {
        zstd_safe::get_dict_id_from_frame(&self.compressed).map(std::num::NonZeroU32::get)
    }

    /// The original JSON bytes of a payload compressed without a dictionary; one that needs
    /// a dictionary is a corrupt-data error here (read it with [`crate::PayloadCodec`]).
    pub fn decompress(&self) -> Result<Vec<u8>> {
        match self.dictionary_id() {
            None => self.decompress_with(None),
            Some(id) => Err(StoreError::corrupt(format!(
                "stored payload needs dictionary {id}, which is unknown"
            ))),
        }
    }

    /// The original JSON bytes, with `dictionary` (the one whose id the frame names).
    pub(crate) fn decompress_with(
        &self,
        dictionary: Option<&DecoderDictionary<'static>>,
    ) -> Result<Vec<u8>> {
        if self.raw_len > MAX_PAYLOAD_BYTES {
            return Err(StoreError::corrupt(
                "stored payload length is out of bounds",
            ));
        }
        let raw = match dictionary {
            None => zstd::bulk::decompress(&self.compressed, self.raw_len).map_err(|e| {
                StoreError::corrupt("stored payload does not decompress").with_source(e)
            })?,
            Some(dictionary) => DECOMPRESSOR.with(|cell| {
                let mut cell = cell.borrow_mut();
                let context = cell.get_or_insert_with(zstd_safe::DCtx::create);
                let mut raw = Vec::with_capacity(self.raw_len);
                context
                    .decompress_using_ddict(&mut raw, &self.compressed, dictionary.as_ddict())
                    .map_err(|code| {
                        StoreError::corrupt(format!(
                            "stored payload does not decompress: {}",
                            zstd_safe::get_error_name(code)
                        ))
                    })?;
                Ok::<_, StoreError>(raw)
            })?,
        };
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

    #[test]
    fn a_payload_naming_a_dictionary_is_corrupt_without_it() {
        let samples: Vec<Vec<u8>> = (0..400)
            .map(|i| {
                format!(r#"{{"event_id":"{i:032x}","message":"item {i} failed"}}"#).into_bytes()
            })
            .collect();
        let dictionary = PayloadDictionary::train(&samples, 1).unwrap();
        let payload = Payload::compress_with(&samples[0], Some(&dictionary)).unwrap();
        assert_eq!(payload.dictionary_id(), Some(dictionary.id));
        assert_eq!(
            Payload::compress(&samples[0]).unwrap().dictionary_id(),
            None
        );
        let error = payload.decompress().unwrap_err();
        assert_eq!(error.kind(), crate::ErrorKind::Corrupt);
        // A frame whose dictionary id was damaged neither panics nor reads.
        let decoder = DecoderDictionary::copy(&dictionary.bytes);
        let mut damaged = payload.compressed().to_vec();
        damaged[5] ^= 0x55;
        let damaged = Payload::from_compressed(damaged, payload.raw_len());
        assert!(damaged.decompress_with(Some(&decoder)).is_err());
        assert_eq!(payload.decompress_with(Some(&decoder)).unwrap(), samples[0]);
    }
}
