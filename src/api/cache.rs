//! Verified keys, cached by hash so that a request needs no database round trip. Every change to a
//! key (rotate, revoke, edit) drops it here at once in the process that made it, and every other
//! process drops it when it hears of the change (PostgreSQL NOTIFY, or the `api_key_changes`
//! feed read every 200 ms). Expiry needs no invalidation: it is checked against the clock on every
//! request. The cache holds at most `capacity` keys and drops the least recently used first, so
//! keys in steady use stay cached however many others come and go.

use super::FastMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use lru::LruCache;

use crate::db::ids::KeyId;
use crate::models::api_keys::KeyForAuth;
use crate::telemetry::metrics;

/// A SHA-256, as bytes (half the memory of its hex, and no hex to compute on a hit).
pub type Hash = [u8; 32];

struct Inner {
    by_hash: LruCache<Hash, Arc<KeyForAuth>, foldhash::fast::RandomState>,
    /// Which hashes each key is cached under, to drop a key without a scan.
    by_key: FastMap<KeyId, Vec<Hash>>,
}

impl Inner {
    fn forget(&mut self, hash: &Hash, key: KeyId) {
        if let Some(hashes) = self.by_key.get_mut(&key) {
            hashes.retain(|h| h != hash);
            if hashes.is_empty() {
                self.by_key.remove(&key);
            }
        }
    }
}

pub struct KeyCache {
    inner: Mutex<Inner>,
    /// Bumped by every invalidation, so a lookup that raced with one does not re-insert stale data.
    generation: AtomicU64,
}

/// The default size: 50,000 keys take about 15 MB.
pub const DEFAULT_CAPACITY: usize = 50_000;

impl Default for KeyCache {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl KeyCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                by_hash: LruCache::with_hasher(
                    NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN),
                    foldhash::fast::RandomState::default(),
                ),
                by_key: FastMap::default(),
            }),
            generation: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached key for this hash (and it becomes the most recently used). Shared, not copied:
    /// a hit allocates nothing.
    pub fn get(&self, hash: &Hash) -> Option<Arc<KeyForAuth>> {
        let found = self.lock().by_hash.get(hash).cloned();
        if found.is_some() {
            metrics::key_cache_hit();
        } else {
            metrics::key_cache_miss();
        }
        found
    }

    /// The generation to pass to `insert` after a database read.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Caches a row read from the database, unless a key changed since the read began. When
    /// full, the least recently used key goes.
    pub fn insert(&self, hash: Hash, key: Arc<KeyForAuth>, read_at_generation: u64) {
        let mut inner = self.lock();
        if self.generation.load(Ordering::SeqCst) != read_at_generation {
            return;
        }
        let id = key.id;
        if let Some((old_hash, old)) = inner.by_hash.push(hash, key) {
            if old_hash != hash {
                inner.forget(&old_hash, old.id);
                metrics::key_cache_evicted();
            } else {
                inner.forget(&old_hash, old.id);
            }
        }
        let hashes = inner.by_key.entry(id).or_default();
        if !hashes.contains(&hash) {
            hashes.push(hash);
        }
        metrics::key_cache_size(inner.by_hash.len());
    }

    pub fn invalidate(&self, key_id: KeyId) {
        let mut inner = self.lock();
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Some(hashes) = inner.by_key.remove(&key_id) {
            for h in hashes {
                inner.by_hash.pop(&h);
            }
        }
    }

    pub fn clear(&self) {
        let mut inner = self.lock();
        self.generation.fetch_add(1, Ordering::SeqCst);
        inner.by_hash.clear();
        inner.by_key.clear();
        metrics::key_cache_size(0);
    }

    pub fn len(&self) -> usize {
        self.lock().by_hash.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn capacity(&self) -> usize {
        self.lock().by_hash.cap().get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: i64) -> Arc<KeyForAuth> {
        Arc::new(KeyForAuth {
            id: KeyId(id),
            public_id: format!("key_{id}"),
            name: "n".into(),
            workspace_id: crate::db::ids::WorkspaceId(1),
            workspace_public_id: "ws_1".into(),
            workspace_name: "W".into(),
            access_level: crate::domain::key::AccessLevel::ReadOnly,
            expires_at: None,
            revoked_at: None,
            rotated_at: None,
            old_until: None,
            allowed_ips: None,
            rate_limit: None,
            about_json: Default::default(),
            about_asked: Default::default(),
        })
    }

    #[test]
    fn a_key_keeps_its_about_answer_only_once_asked_again() {
        let k = key(1);
        let made = std::cell::Cell::new(0);
        let make = || {
            made.set(made.get() + 1);
            bytes::Bytes::from_static(b"{}")
        };
        // The first call keeps nothing (a key that calls once costs the cache no more memory) …
        assert!(k.kept_about(make).is_none());
        assert!(k.about_json.get().is_none());
        // … the second makes it once, and later calls share it.
        assert_eq!(k.kept_about(make).map(|b| &b[..]), Some(&b"{}"[..]));
        assert_eq!(k.kept_about(make).map(|b| &b[..]), Some(&b"{}"[..]));
        assert_eq!(made.get(), 1);
    }

    fn h(n: i64) -> Hash {
        use sha2::Digest;
        sha2::Sha256::digest(n.to_string().as_bytes()).into()
    }

    #[test]
    fn invalidation_drops_the_key() {
        let c = KeyCache::new(10);
        c.insert(h(1), key(1), c.generation());
        c.insert(h(2), key(2), c.generation());
        c.invalidate(KeyId(1));
        assert!(c.get(&h(1)).is_none());
        assert!(c.get(&h(2)).is_some());
    }

    #[test]
    fn a_read_that_raced_an_invalidation_is_not_cached() {
        let c = KeyCache::new(10);
        let before = c.generation();
        c.invalidate(KeyId(1)); // a revoke commits while the read is in flight
        c.insert(h(1), key(1), before);
        assert!(c.get(&h(1)).is_none());
    }

    #[test]
    fn a_full_cache_drops_the_least_recently_used_and_keeps_hot_keys() {
        let c = KeyCache::new(100);
        c.insert(h(0), key(0), c.generation());
        for n in 1..=1000 {
            c.insert(h(n), key(n), c.generation());
            assert!(
                c.get(&h(0)).is_some(),
                "the hot key is still cached after {n} others"
            );
        }
        assert_eq!(c.len(), 100, "never more than its capacity");
        assert!(c.get(&h(1)).is_none(), "a cold key went");
        assert!(c.get(&h(1000)).is_some(), "the newest stays");
        // Evicted keys leave no trace in the reverse index: invalidating them is a no-op.
        assert!(c.lock().by_key.len() <= 100);
        c.invalidate(KeyId(0));
        assert!(c.get(&h(0)).is_none());
    }

    #[test]
    fn a_second_secret_of_the_same_key_is_dropped_with_it() {
        let c = KeyCache::new(10);
        c.insert(h(1), key(7), c.generation());
        c.insert(h(2), key(7), c.generation());
        c.invalidate(KeyId(7));
        assert!(c.is_empty());
    }
}
