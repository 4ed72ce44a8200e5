//! A short-lived cache of DSN keys (with their project's ingest settings) by public key,
//! so ingest authenticates without a database read per request. Misses are cached too (a
//! flood of bad keys costs one read each per TTL), and the cache is bounded: when full it
//! is cleared. Settings changed through the API clear it, so they apply at once.

use errata_store::{Project, ProjectKey, Store};
use rustc_hash::FxHashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a looked-up key is trusted.
const TTL: Duration = Duration::from_secs(10);
/// Most cached keys.
const MAX_ENTRIES: usize = 10_000;

/// A key with the project it belongs to.
#[derive(Debug, Clone)]
pub struct KeyEntry {
    /// The DSN key.
    pub key: ProjectKey,
    /// Its project (for per-project ingest settings such as scrubbing).
    pub project: Project,
}

type Entries = FxHashMap<String, (Option<Arc<KeyEntry>>, Instant)>;

/// The cache.
#[derive(Debug, Default)]
pub struct KeyCache {
    entries: Mutex<Entries>,
}

impl KeyCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The cached answer for this public key: `None` when not cached (or stale),
    /// `Some(None)` for a cached miss.
    pub fn cached(&self, public_key: &str) -> Option<Option<Arc<KeyEntry>>> {
        let entries = self.lock();
        let (entry, at) = entries.get(public_key)?;
        (at.elapsed() < TTL).then(|| entry.clone())
    }

    /// Looks the key and its project up in the store (blocking: call off the async
    /// runtime) and caches them.
    pub fn load(
        &self,
        store: &Arc<dyn Store>,
        public_key: &str,
    ) -> errata_store::Result<Option<Arc<KeyEntry>>> {
        let entry = match store.project_key(public_key)? {
            Some(key) => Some(Arc::new(KeyEntry {
                project: store.project(key.project_id)?,
                key,
            })),
            None => None,
        };
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(public_key.to_owned(), (entry.clone(), Instant::now()));
        Ok(entry)
    }

    /// Forgets everything (after keys or project settings change).
    pub fn clear(&self) {
        self.lock().clear();
    }
}
