//! A short-lived cache of DSN keys by public key, so ingest authenticates without a
//! database read per request. Misses are cached too (a flood of bad keys costs one read
//! each per TTL), and the cache is bounded: when full it is cleared.

use errata_store::{ProjectKey, Store};
use rustc_hash::FxHashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a looked-up key is trusted.
const TTL: Duration = Duration::from_secs(10);
/// Most cached keys.
const MAX_ENTRIES: usize = 10_000;

/// The cache.
#[derive(Debug, Default)]
pub struct KeyCache {
    entries: Mutex<FxHashMap<String, (Option<ProjectKey>, Instant)>>,
}

impl KeyCache {
    /// The cached answer for this public key: `None` when not cached (or stale),
    /// `Some(None)` for a cached miss.
    pub fn cached(&self, public_key: &str) -> Option<Option<ProjectKey>> {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (key, at) = entries.get(public_key)?;
        (at.elapsed() < TTL).then(|| key.clone())
    }

    /// Looks the key up in the store (blocking: call off the async runtime) and caches it.
    pub fn load(
        &self,
        store: &Arc<dyn Store>,
        public_key: &str,
    ) -> errata_store::Result<Option<ProjectKey>> {
        let key = store.project_key(public_key)?;
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(public_key.to_owned(), (key.clone(), Instant::now()));
        Ok(key)
    }

    /// Forgets everything (after keys change).
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }
}
