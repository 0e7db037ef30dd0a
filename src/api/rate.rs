//! Requests-per-minute limits of keys: a token bucket per key in each server process (so N
//! processes allow up to N times the limit). Nothing is written to the database per request.

use super::FastMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::db::ids::KeyId;
pub use crate::domain::restrictions::Standing;

struct Bucket {
    tokens: f64,
    at: Instant,
    limit: u32,
}

/// When a call is refused: how many seconds until one more is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub limit: u32,
    pub retry_after: u64,
}

#[derive(Default)]
pub struct KeyBuckets {
    map: Mutex<FastMap<KeyId, Bucket>>,
}

/// Buckets kept before idle full ones are forgotten.
const MAX_BUCKETS: usize = 100_000;

impl KeyBuckets {
    /// Takes one request from the key's bucket (`limit` a minute, bursts up to `limit`); the
    /// requests left this minute, or when to retry.
    pub fn take(&self, key: KeyId, limit: u32, now: Instant) -> Result<Standing, Limited> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_BUCKETS && !map.contains_key(&key) {
            map.retain(|_, b| now.duration_since(b.at).as_secs() < 60);
        }
        let per_second = f64::from(limit) / 60.0;
        let b = map.entry(key).or_insert(Bucket {
            tokens: f64::from(limit),
            at: now,
            limit,
        });
        if b.limit != limit {
            // The limit was edited: start afresh at the new one.
            b.limit = limit;
            b.tokens = b.tokens.min(f64::from(limit));
        }
        let elapsed = now.duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * per_second).min(f64::from(limit));
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(Standing {
                limit,
                remaining: b.tokens.floor() as u32,
                reset: ((f64::from(limit) - b.tokens) / per_second).ceil() as u64,
            })
        } else {
            let wait = ((1.0 - b.tokens) / per_second).ceil().max(1.0);
            Err(Limited {
                limit,
                retry_after: wait as u64,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_bucket_allows_its_limit_then_refills() {
        let b = KeyBuckets::default();
        let t = Instant::now();
        let k = KeyId(1);
        for left in (0..3).rev() {
            let s = b.take(k, 3, t).unwrap();
            assert_eq!((s.limit, s.remaining), (3, left));
            assert_eq!(s.reset, 20 * u64::from(3 - left), "full again after");
        }
        let refused = b.take(k, 3, t).unwrap_err();
        assert_eq!(
            refused,
            Limited {
                limit: 3,
                retry_after: 20
            }
        );
        assert_eq!(
            b.take(k, 3, t + Duration::from_secs(20))
                .map(|s| s.remaining),
            Ok(0),
            "one more after 20 s"
        );
        assert!(b.take(KeyId(2), 3, t).is_ok(), "keys are counted apart");
    }
}
