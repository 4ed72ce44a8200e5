//! A short-lived cache of DSN keys (with their project's ingest settings) by public key,
//! so ingest authenticates without a database read per request. Misses are cached too (a
//! flood of bad keys costs one read each per TTL), in their own bounded table: a flood of
//! random keys clears only the misses, never the keys of real projects. Both tables are
//! bounded (when one is full it is cleared). Settings changed through the API clear the
//! cache, so they apply at once. A project's inbound filters are compiled when its key is
//! first loaded and kept across reloads while its filter settings stay the same, so
//! patterns are compiled once per settings change, never per request.
//!
//! One request at a time loads a key ([`KeyCache::gate`]): when an entry expires under
//! load, the first request reads it again while the others keep using the expired entry
//! for up to [`STALE_GRACE`] (or, with none, wait for that one read). Without the gate,
//! every request in flight when an entry expired (or on a fresh start) read the key on a
//! blocking thread and a reader connection of its own: 64 connections meant 64 threads and
//! 64 database connections opened at once, a stall of up to half a second.

use errata_store::{Project, ProjectKey, Store};

use crate::filter::InboundFilter;
use crate::scrub::ScrubRules;
use rustc_hash::FxHashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a looked-up key (with its project's settings) is trusted: a change made on
/// another node, or in the database, reaches this node's ingest at most this late.
pub const TTL: Duration = Duration::from_secs(10);
/// Most cached keys that exist.
const MAX_ENTRIES: usize = 10_000;
/// Most cached misses (keys that do not exist).
const MAX_MISSES: usize = 10_000;
/// How long past [`TTL`] an entry still answers while one request reads the key again.
pub const STALE_GRACE: Duration = Duration::from_secs(5);

/// A key with the project it belongs to.
#[derive(Debug, Clone)]
pub struct KeyEntry {
    /// The DSN key.
    pub key: ProjectKey,
    /// Its project (for per-project ingest settings such as scrubbing).
    pub project: Project,
    /// The project's scrubbing rules, built once per load rather than per request.
    pub scrub: Arc<ScrubRules>,
    /// The project's inbound filters, compiled (see the module's doc).
    pub filter: Arc<InboundFilter>,
}

#[derive(Debug, Default)]
struct Entries {
    found: FxHashMap<String, (Arc<KeyEntry>, Instant)>,
    missing: FxHashMap<String, Instant>,
    /// The gates of the keys being read now (removed when the read ends).
    loading: FxHashMap<String, Arc<tokio::sync::Mutex<()>>>,
}

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
        if let Some((entry, at)) = entries.found.get(public_key) {
            return (at.elapsed() < TTL).then(|| Some(entry.clone()));
        }
        let at = entries.missing.get(public_key)?;
        (at.elapsed() < TTL).then_some(None)
    }

    /// An entry past its [`TTL`] by less than [`STALE_GRACE`]: it answers while another
    /// request reads the key again.
    pub fn stale(&self, public_key: &str) -> Option<Arc<KeyEntry>> {
        let entries = self.lock();
        let (entry, at) = entries.found.get(public_key)?;
        (at.elapsed() < TTL + STALE_GRACE).then(|| entry.clone())
    }

    /// The gate of `public_key`'s read: the request that locks it reads the key
    /// ([`KeyCache::load`] opens the gate again); the others use [`KeyCache::stale`] or
    /// wait on it.
    pub fn gate(&self, public_key: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.lock()
            .loading
            .entry(public_key.to_owned())
            .or_default()
            .clone()
    }

    /// Looks the key and its project up in the store (blocking: call off the async
    /// runtime) and caches them.
    pub fn load(
        &self,
        store: &Arc<dyn Store>,
        public_key: &str,
    ) -> errata_store::Result<Option<Arc<KeyEntry>>> {
        let previous = self
            .lock()
            .found
            .get(public_key)
            .map(|(entry, _)| entry.clone());
        let read = Self::read(store, public_key, previous.as_deref());
        let mut entries = self.lock();
        entries.loading.remove(public_key);
        let entry = read?;
        let now = Instant::now();
        if let Some(found) = &entry {
            entries.missing.remove(public_key);
            if entries.found.len() >= MAX_ENTRIES {
                entries.found.clear();
            }
            entries
                .found
                .insert(public_key.to_owned(), (found.clone(), now));
        } else {
            entries.found.remove(public_key);
            if entries.missing.len() >= MAX_MISSES {
                entries.missing.clear();
            }
            entries.missing.insert(public_key.to_owned(), now);
        }
        Ok(entry)
    }

    /// Reads the key and its project (reusing `previous`'s compiled filters when the
    /// project's filter settings did not change).
    fn read(
        store: &Arc<dyn Store>,
        public_key: &str,
        previous: Option<&KeyEntry>,
    ) -> errata_store::Result<Option<Arc<KeyEntry>>> {
        Ok(match store.project_key(public_key)? {
            Some(key) => {
                let project = store.project(key.project_id)?;
                let scrub = Arc::new(ScrubRules::new(
                    &project.sensitive_fields,
                    project.scrub_ip_addresses,
                ));
                let filter = match previous {
                    Some(previous) if previous.project.filters == project.filters => {
                        previous.filter.clone()
                    }
                    _ => Arc::new(InboundFilter::new(&project.filters)),
                };
                Some(Arc::new(KeyEntry {
                    key,
                    project,
                    scrub,
                    filter,
                }))
            }
            None => None,
        })
    }

    /// Forgets everything (after keys or project settings change).
    pub fn clear(&self) {
        let mut entries = self.lock();
        entries.found.clear();
        entries.missing.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store in `dir` with one project, and its DSN public key.
    fn store_with_key(dir: &tempfile::TempDir) -> (Arc<dyn Store>, String) {
        let store: Arc<dyn Store> =
            Arc::new(errata_store_sqlite::SqliteStore::open(dir.path()).unwrap());
        let done = store
            .bootstrap(&errata_store::BootstrapSpec {
                organization_slug: "o".into(),
                organization_name: "O".into(),
                admin_email: "a@b.c".into(),
                admin_password_hash: "$argon2id$test".into(),
                project_slug: "p".into(),
                project_name: "P".into(),
            })
            .unwrap();
        (store, done.key.public_key)
    }

    #[test]
    fn a_flood_of_unknown_keys_does_not_evict_real_ones() {
        let dir = tempfile::tempdir().unwrap();
        let (store, real) = store_with_key(&dir);
        let cache = KeyCache::default();
        assert!(cache.load(&store, &real).unwrap().is_some());
        for i in 0..=MAX_MISSES {
            let bogus = format!("{i:032x}");
            assert!(cache.load(&store, &bogus).unwrap().is_none());
        }
        // The real key is still answered from the cache; a recent miss too.
        assert!(matches!(cache.cached(&real), Some(Some(_))));
        assert!(matches!(
            cache.cached(&format!("{MAX_MISSES:032x}")),
            Some(None)
        ));
        // An old miss was cleared with its table: it is looked up again.
        assert!(cache.cached(&format!("{:032x}", 0)).is_none());
    }

    /// One read per key at a time: concurrent misses share one gate, which the read
    /// removes; an expired entry answers within its grace (while the gate's holder reads
    /// it), then not at all.
    #[test]
    fn one_read_per_key_and_expired_entries_answer_within_their_grace() {
        let dir = tempfile::tempdir().unwrap();
        let (store, key) = store_with_key(&dir);
        let cache = KeyCache::default();
        let first = cache.gate(&key);
        let guard = first.try_lock().unwrap();
        let second = cache.gate(&key);
        assert!(Arc::ptr_eq(&first, &second), "two gates for one key");
        assert!(second.try_lock().is_err(), "a second reader got through");
        assert!(cache.stale(&key).is_none(), "nothing read yet");
        assert!(cache.load(&store, &key).unwrap().is_some());
        drop(guard);
        assert!(
            !Arc::ptr_eq(&cache.gate(&key), &first),
            "the read left its gate"
        );

        // Age the entry: past its TTL it is no longer fresh, but answers within the grace.
        let age = |by: Duration| {
            let mut entries = cache.lock();
            let (_, at) = entries.found.get_mut(&key).unwrap();
            *at = Instant::now().checked_sub(by).unwrap();
        };
        age(TTL + Duration::from_secs(1));
        assert!(cache.cached(&key).is_none());
        assert!(cache.stale(&key).is_some());
        age(TTL + STALE_GRACE + Duration::from_secs(1));
        assert!(cache.stale(&key).is_none());
        // A reload keeps the compiled filters while the settings stay the same.
        let before = cache.lock().found.get(&key).unwrap().0.filter.clone();
        let reloaded = cache.load(&store, &key).unwrap().unwrap();
        assert!(
            Arc::ptr_eq(&before, &reloaded.filter),
            "the filters were compiled again"
        );
        // A cleared cache has nothing stale: a settings change applies at once.
        assert!(cache.load(&store, &key).unwrap().is_some());
        cache.clear();
        assert!(cache.stale(&key).is_none());
    }
}
