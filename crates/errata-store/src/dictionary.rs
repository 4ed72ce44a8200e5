//! Payload dictionaries: a zstd dictionary trained on an installation's own recent event
//! payloads (Sentry SDK JSON repeats the same keys, SDK names, module paths and frames from
//! one event to the next), stored in the database forever because the payloads compressed
//! with it need it to decompress, and the [`PayloadCodec`] that compresses new payloads
//! with the newest one and reads payloads with whichever one their frame names.
//!
//! Measured on the SDK corpus (`benches/payload.rs`): a 64 KB dictionary at level 3 makes
//! payloads ~4x smaller than level 3 without one (0.16-0.22 of the bytes), compresses in
//! about half the time and decompresses in a third. A dictionary's id is the one zstd's
//! trainer writes in its header (a hash of its content), so every frame compressed with it
//! names it, and two nodes that train at once store two dictionaries with two ids.

use std::sync::{Arc, RwLock};

use rustc_hash::FxHashMap;
use zstd::dict::DecoderDictionary;
use zstd::zstd_safe;

use crate::error::{Result, StoreError};
use crate::payload::Payload;

/// The size of a trained dictionary: 64 KB was ~30% smaller than 32 KB on events of a kind
/// the dictionary never saw, and 112 KB no better.
pub const DICTIONARY_BYTES: usize = 64 * 1024;

/// How many recent payloads a dictionary is trained on (~12 MB of JSON, under a second).
pub const TRAINING_SAMPLES: usize = 1_000;

/// Larger payloads are not training samples: at most ~64 MB of samples in all (a typical
/// SDK event is 2 to 10 KB of JSON; the largest are rarely typical).
pub const MAX_SAMPLE_BYTES: usize = 32 * 1024;

/// Fewer stored events than this and no dictionary is trained yet: 250 samples gave a
/// dictionary 2.5x worse than 500 to 2,000 did.
pub const MIN_TRAINING_SAMPLES: usize = 1_000;

/// A dictionary older than this is replaced by one trained on the events of now (the old
/// one stays: its payloads still need it).
pub const RETRAIN_AFTER_MS: i64 = 30 * 24 * 3600 * 1000;

/// One stored dictionary.
#[derive(Clone, PartialEq, Eq)]
pub struct PayloadDictionary {
    /// zstd's id for it, in its header and in every frame compressed with it.
    pub id: u32,
    /// When it was trained, Unix milliseconds.
    pub created_ms: i64,
    /// The dictionary as zstd's trainer wrote it.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for PayloadDictionary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayloadDictionary")
            .field("id", &self.id)
            .field("created_ms", &self.created_ms)
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl PayloadDictionary {
    /// Trains a dictionary of [`DICTIONARY_BYTES`] on `samples` (event JSON). Invalid when
    /// zstd cannot train one from them (too few or too small samples).
    pub fn train<S: AsRef<[u8]>>(samples: &[S], created_ms: i64) -> Result<Self> {
        let bytes = zstd::dict::from_samples(samples, DICTIONARY_BYTES).map_err(|e| {
            StoreError::invalid("a payload dictionary cannot be trained on these samples")
                .with_source(e)
        })?;
        Self::from_stored(None, created_ms, bytes)
    }

    /// A dictionary read back from a database, checked: its header must carry the id it
    /// was stored under (`None`: take the header's).
    pub fn from_stored(id: Option<u32>, created_ms: i64, bytes: Vec<u8>) -> Result<Self> {
        let header = zstd_safe::get_dict_id(&bytes)
            .map(std::num::NonZeroU32::get)
            .ok_or_else(|| StoreError::corrupt("a payload dictionary has no zstd header"))?;
        if id.is_some_and(|id| id != header) {
            return Err(StoreError::corrupt(format!(
                "payload dictionary {id:?} has id {header} in its header"
            )));
        }
        Ok(Self {
            id: header,
            created_ms,
            bytes,
        })
    }
}

/// A store's payload compression: the dictionaries it knows, the newest of which new
/// payloads are compressed with. The store fills it from its table when it opens and when a
/// payload names a dictionary it lacks (another node trained it); the server compresses
/// with it on its request workers and refreshes it periodically. Payloads without a
/// dictionary (everything stored before the first one) read as before.
#[derive(Debug, Default)]
pub struct PayloadCodec {
    state: RwLock<CodecState>,
}

#[derive(Default)]
struct CodecState {
    /// The newest dictionary (by creation, then id): new payloads are compressed with it.
    current: Option<Arc<PayloadDictionary>>,
    /// Every known dictionary, prepared for decompression.
    decoders: FxHashMap<u32, Arc<DecoderDictionary<'static>>>,
}

impl std::fmt::Debug for CodecState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodecState")
            .field("current", &self.current)
            .field("known", &self.decoders.len())
            .finish()
    }
}

impl PayloadCodec {
    /// A codec without dictionaries: it compresses as [`Payload::compress`] does.
    pub fn new() -> Self {
        Self::default()
    }

    /// Learns `dictionaries` (those it knows are skipped); the newest it knows becomes the
    /// one new payloads are compressed with. Returns how many were new.
    pub fn install(&self, dictionaries: &[PayloadDictionary]) -> usize {
        let mut state = self
            .state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut added = 0;
        for dictionary in dictionaries {
            if state.decoders.contains_key(&dictionary.id) {
                continue;
            }
            state.decoders.insert(
                dictionary.id,
                Arc::new(DecoderDictionary::copy(&dictionary.bytes)),
            );
            added += 1;
            let newer = state.current.as_ref().is_none_or(|current| {
                (dictionary.created_ms, dictionary.id) > (current.created_ms, current.id)
            });
            if newer {
                state.current = Some(Arc::new(dictionary.clone()));
            }
        }
        added
    }

    /// The dictionary new payloads are compressed with, if any.
    pub fn current(&self) -> Option<Arc<PayloadDictionary>> {
        self.read(|state| state.current.clone())
    }

    /// Whether a dictionary should be trained at `now_ms`: there is none yet, or the
    /// newest is older than [`RETRAIN_AFTER_MS`].
    pub fn needs_training(&self, now_ms: i64) -> bool {
        self.current()
            .is_none_or(|d| now_ms.saturating_sub(d.created_ms) >= RETRAIN_AFTER_MS)
    }

    /// The dictionary `payload` needs when this codec does not know it.
    pub fn missing(&self, payload: &Payload) -> Option<u32> {
        let id = payload.dictionary_id()?;
        (!self.read(|state| state.decoders.contains_key(&id))).then_some(id)
    }

    /// Compresses `raw` with the current dictionary (or without, when there is none yet).
    pub fn compress(&self, raw: &[u8]) -> Result<Payload> {
        Payload::compress_with(raw, self.current().as_deref())
    }

    /// The original JSON of `payload`, with the dictionary its frame names; an unknown
    /// dictionary is a corrupt-data error.
    pub fn decompress(&self, payload: &Payload) -> Result<Vec<u8>> {
        match payload.dictionary_id() {
            None => payload.decompress_with(None),
            Some(id) => {
                let decoder = self
                    .read(|state| state.decoders.get(&id).cloned())
                    .ok_or_else(|| {
                        StoreError::corrupt(format!(
                            "stored payload needs dictionary {id}, which is unknown"
                        ))
                    })?;
                payload.decompress_with(Some(&decoder))
            }
        }
    }

    /// [`Self::decompress`], first learning the stored dictionaries from `load` when the
    /// payload names one this codec lacks (a dictionary another node trained).
    pub fn decompress_loading(
        &self,
        payload: &Payload,
        load: impl FnOnce() -> Result<Vec<PayloadDictionary>>,
    ) -> Result<Vec<u8>> {
        if self.missing(payload).is_some() {
            self.install(&load()?);
        }
        self.decompress(payload)
    }

    fn read<T>(&self, f: impl FnOnce(&CodecState) -> T) -> T {
        f(&self
            .state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Event-like JSON with varying ids and messages.
    fn samples(n: usize) -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| {
                format!(
                    r#"{{"event_id":"{i:032x}","level":"error","platform":"python","message":"item {i} failed","sdk":{{"name":"sentry.python","version":"2.{}.0"}},"exception":{{"values":[{{"type":"KeyError{}","value":"'k{i}'","stacktrace":{{"frames":[{{"filename":"app/views.py","function":"index","lineno":{}}}]}}}}]}}}}"#,
                    i % 7,
                    i % 13,
                    i % 300
                )
                .into_bytes()
            })
            .collect()
    }

    #[test]
    fn payloads_round_trip_with_and_without_a_dictionary() {
        let samples = samples(600);
        let codec = PayloadCodec::new();
        let plain = codec.compress(&samples[0]).unwrap();
        assert_eq!(plain.dictionary_id(), None);

        let dictionary = PayloadDictionary::train(&samples[..500], 7).unwrap();
        assert_eq!(codec.install(std::slice::from_ref(&dictionary)), 1);
        assert_eq!(codec.install(std::slice::from_ref(&dictionary)), 0);
        assert_eq!(codec.current().unwrap().id, dictionary.id);
        for raw in &samples[500..] {
            let payload = codec.compress(raw).unwrap();
            assert_eq!(payload.dictionary_id(), Some(dictionary.id));
            assert!(
                payload.compressed().len() < Payload::compress(raw).unwrap().compressed().len()
            );
            assert_eq!(&codec.decompress(&payload).unwrap(), raw);
        }
        // Payloads stored before the dictionary still read.
        assert_eq!(codec.decompress(&plain).unwrap(), samples[0]);
        assert_eq!(plain.decompress().unwrap(), samples[0]);
    }

    #[test]
    fn an_unknown_dictionary_is_a_corrupt_payload_until_loaded() {
        let samples = samples(600);
        let dictionary = PayloadDictionary::train(&samples, 7).unwrap();
        let trained = PayloadCodec::new();
        trained.install(std::slice::from_ref(&dictionary));
        let payload = trained.compress(&samples[1]).unwrap();

        let other = PayloadCodec::new();
        assert_eq!(other.missing(&payload), Some(dictionary.id));
        assert_eq!(
            other.decompress(&payload).unwrap_err().kind(),
            crate::ErrorKind::Corrupt
        );
        assert_eq!(
            payload.decompress().unwrap_err().kind(),
            crate::ErrorKind::Corrupt
        );
        let loaded = other
            .decompress_loading(&payload, || Ok(vec![dictionary.clone()]))
            .unwrap();
        assert_eq!(loaded, samples[1]);
        assert_eq!(other.missing(&payload), None);
    }

    #[test]
    fn the_newest_dictionary_compresses_and_old_ones_still_read() {
        let samples = samples(1200);
        let old = PayloadDictionary::train(&samples[..600], 1).unwrap();
        let new = PayloadDictionary::train(&samples[600..], 2).unwrap();
        assert_ne!(old.id, new.id);
        let codec = PayloadCodec::new();
        codec.install(&[new.clone(), old.clone()]);
        assert_eq!(codec.current().unwrap().id, new.id);
        assert!(!codec.needs_training(2 + RETRAIN_AFTER_MS - 1));
        assert!(codec.needs_training(2 + RETRAIN_AFTER_MS));
        let by_old = PayloadCodec::new();
        by_old.install(std::slice::from_ref(&old));
        let payload = by_old.compress(&samples[3]).unwrap();
        assert_eq!(codec.decompress(&payload).unwrap(), samples[3]);
    }

    #[test]
    fn stored_dictionaries_are_checked() {
        let dictionary = PayloadDictionary::train(&samples(600), 7).unwrap();
        let again =
            PayloadDictionary::from_stored(Some(dictionary.id), 7, dictionary.bytes.clone());
        assert_eq!(again.unwrap(), dictionary);
        let wrong = PayloadDictionary::from_stored(Some(dictionary.id ^ 1), 7, dictionary.bytes);
        assert_eq!(wrong.unwrap_err().kind(), crate::ErrorKind::Corrupt);
        let garbage = PayloadDictionary::from_stored(None, 7, b"not a dictionary".to_vec());
        assert_eq!(garbage.unwrap_err().kind(), crate::ErrorKind::Corrupt);
        assert!(
            PayloadDictionary::train(&[b"{}".to_vec()], 7)
                .unwrap_err()
                .is_invalid()
        );
    }
}
