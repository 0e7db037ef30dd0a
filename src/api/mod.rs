//! The JSON API: `/api/v1` handlers, Bearer authentication with a cache of verified keys that
//! every change invalidates, coalesced last-used tracking, invalid-key throttling, and the OpenAPI
//! document generated from the handlers.

pub mod auth;
pub mod cache;
pub mod caller;
pub mod error;
pub mod last_used;
pub mod limiter;
pub mod openapi;
pub mod rate;
pub mod usage;
pub mod v1;

use std::sync::Arc;

/// The maps every API call touches (verified keys, usage, last use, buckets) are keyed by ids and
/// hashes of keys that exist, or by the caller's address: a fast hasher, seeded per process
/// (foldhash, the one hashbrown uses by default), instead of SipHash.
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

use crate::clock::SharedClock;
use crate::db::Pool;

/// Per-process state of the API, shared by every worker.
pub struct ApiRuntime {
    pub keys: cache::KeyCache,
    pub last_used: last_used::LastUsed,
    /// Last use of apps' access tokens, per grant.
    pub grant_last_used: last_used::LastUsed,
    pub limiter: limiter::InvalidKeyLimiter,
    pub rejections: limiter::RejectionLog,
    /// Keys' requests-per-minute limits, counted in this process.
    pub rates: rate::KeyBuckets,
    /// Requests per key and day, written once a minute.
    pub usage: usage::UsageCounter,
}

impl ApiRuntime {
    /// With room for `cached_keys` verified keys and `pending_uses` unwritten last uses.
    pub fn new(cached_keys: usize, pending_uses: usize) -> Arc<Self> {
        Arc::new(Self {
            keys: cache::KeyCache::new(cached_keys),
            last_used: last_used::LastUsed::new(pending_uses),
            grant_last_used: last_used::LastUsed::for_grants(pending_uses),
            limiter: limiter::InvalidKeyLimiter::new(),
            rejections: limiter::RejectionLog::new(),
            rates: rate::KeyBuckets::default(),
            usage: usage::UsageCounter::default(),
        })
    }

    /// Writes pending last-used facts now (tests, shutdown).
    pub async fn flush_last_used(&self, pool: &Pool, clock: &SharedClock) -> anyhow::Result<usize> {
        let keys = self.last_used.flush(pool, clock, true).await?;
        self.usage.flush(pool, clock.now().date()).await?;
        Ok(keys + self.grant_last_used.flush(pool, clock, true).await?)
    }
}
