//! Verified keys, cached by hash so that a request needs no database round trip. Every change to a
//! key (rotate, revoke, edit) drops it here at once in the process that made it, and every other
//! process drops it when it reads the change feed (`api_key_changes`, polled every 200 ms).
//! Expiry needs no invalidation: it is checked against the clock on every request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

use crate::db::ids::KeyId;
use crate::models::api_keys::KeyForAuth;

const MAX_ENTRIES: usize = 50_000;

pub struct KeyCache {
    by_hash: RwLock<HashMap<String, KeyForAuth>>,
    /// Bumped by every invalidation, so a lookup that raced with one does not re-insert stale data.
    generation: AtomicU64,
}

impl Default for KeyCache {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyCache {
    pub fn new() -> Self {
        Self {
            by_hash: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
        }
    }

    pub fn get(&self, hash: &str) -> Option<KeyForAuth> {
        self.by_hash
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(hash)
            .cloned()
    }

    /// The generation to pass to `insert` after a database read.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Caches a row read from the database, unless a key changed since the read began.
    pub fn insert(&self, hash: String, key: KeyForAuth, read_at_generation: u64) {
        let mut map = self.by_hash.write().unwrap_or_else(|p| p.into_inner());
        if self.generation.load(Ordering::SeqCst) != read_at_generation {
            return;
        }
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(hash, key);
    }

    pub fn invalidate(&self, key_id: KeyId) {
        let mut map = self.by_hash.write().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        map.retain(|_, k| k.id != key_id);
    }

    pub fn clear(&self) {
        let mut map = self.by_hash.write().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        map.clear();
    }

    pub fn len(&self) -> usize {
        self.by_hash.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: i64) -> KeyForAuth {
        KeyForAuth {
            id: KeyId(id),
            public_id: format!("key_{id}"),
            name: "n".into(),
            workspace_id: crate::db::ids::WorkspaceId(1),
            workspace_public_id: "ws_1".into(),
            workspace_name: "W".into(),
            access_level: crate::domain::key::AccessLevel::ReadOnly,
            expires_at: None,
            revoked_at: None,
        }
    }

    #[test]
    fn invalidation_drops_the_key() {
        let c = KeyCache::new();
        c.insert("h1".into(), key(1), c.generation());
        c.insert("h2".into(), key(2), c.generation());
        c.invalidate(KeyId(1));
        assert!(c.get("h1").is_none());
        assert!(c.get("h2").is_some());
    }

    #[test]
    fn a_read_that_raced_an_invalidation_is_not_cached() {
        let c = KeyCache::new();
        let before = c.generation();
        c.invalidate(KeyId(1)); // a revoke commits while the read is in flight
        c.insert("h1".into(), key(1), before);
        assert!(c.get("h1").is_none());
    }
}
