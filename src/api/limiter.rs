//! Throttling of invalid keys per client, and coalescing of rejection events in a key's history.

use super::FastMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

use time::{Duration, PrimitiveDateTime};

/// Invalid keys allowed from one client per window before it is answered 429.
pub const INVALID_LIMIT: u32 = 20;
pub const WINDOW: Duration = Duration::seconds(60);

struct Window {
    started: PrimitiveDateTime,
    failures: u32,
}

#[derive(Default)]
pub struct InvalidKeyLimiter {
    map: Mutex<FastMap<String, Window>>,
    /// When the last throttle of any client ends (Unix seconds; 0 when none ever began): until a
    /// client is throttled, `check` needs no lock.
    throttled_until: AtomicI64,
}

impl InvalidKeyLimiter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Seconds to wait if this client is throttled now.
    pub fn check(&self, client: &str, now: PrimitiveDateTime) -> Option<u64> {
        if now.assume_utc().unix_timestamp() >= self.throttled_until.load(Ordering::Relaxed) {
            return None;
        }
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let w = map.get(client)?;
        let ends = w.started + WINDOW;
        (w.failures >= INVALID_LIMIT && now < ends)
            .then(|| (ends - now).whole_seconds().max(1) as u64)
    }

    pub fn fail(&self, client: &str, now: PrimitiveDateTime) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, w| now - w.started < WINDOW);
        }
        let w = map.entry(client.to_owned()).or_insert(Window {
            started: now,
            failures: 0,
        });
        if now - w.started >= WINDOW {
            *w = Window {
                started: now,
                failures: 0,
            };
        }
        w.failures += 1;
        if w.failures >= INVALID_LIMIT {
            // Rounded up: the lock-free answer never ends a throttle early.
            let ends = (w.started + WINDOW).assume_utc().unix_timestamp() + 1;
            self.throttled_until.fetch_max(ends, Ordering::Relaxed);
        }
    }
}

/// At most one "rejected" event per key and reason per minute in a key's history.
#[derive(Default)]
pub struct RejectionLog {
    last: Mutex<FastMap<(i64, &'static str), PrimitiveDateTime>>,
}

impl RejectionLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether this refusal was written to the key's history less than a minute ago (so that
    /// another one now writes nothing). Changes nothing.
    pub fn recorded_lately(
        &self,
        key_id: i64,
        reason: &'static str,
        now: PrimitiveDateTime,
    ) -> bool {
        let map = self.last.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&(key_id, reason))
            .is_some_and(|t| now - *t < Duration::minutes(1))
    }

    pub fn should_record(&self, key_id: i64, reason: &'static str, now: PrimitiveDateTime) -> bool {
        let mut map = self.last.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(&(key_id, reason)) {
            Some(t) if now - *t < Duration::minutes(1) => false,
            _ => {
                map.insert((key_id, reason), now);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn throttles_after_the_limit_and_forgets_after_the_window() {
        let l = InvalidKeyLimiter::new();
        let now = datetime!(2026-11-27 10:00);
        for _ in 0..INVALID_LIMIT {
            assert!(l.check("a", now).is_none());
            l.fail("a", now);
        }
        assert_eq!(l.check("a", now), Some(60));
        assert!(
            l.check("b", now).is_none(),
            "other clients are not affected"
        );
        assert!(l.check("a", now + WINDOW).is_none());
    }

    #[test]
    fn rejections_are_coalesced() {
        let r = RejectionLog::new();
        let now = datetime!(2026-11-27 10:00);
        assert!(!r.recorded_lately(1, "revoked", now));
        assert!(r.should_record(1, "revoked", now));
        assert!(r.recorded_lately(1, "revoked", now + Duration::seconds(30)));
        assert!(!r.should_record(1, "revoked", now + Duration::seconds(30)));
        assert!(!r.recorded_lately(1, "expired", now));
        assert!(r.should_record(1, "expired", now));
        assert!(!r.recorded_lately(1, "revoked", now + Duration::seconds(61)));
        assert!(r.should_record(1, "revoked", now + Duration::seconds(61)));
    }
}
