//! Last-used tracking without a database write per request: each use updates memory; a flusher
//! writes a key's latest use at most about once a minute, and everything at shutdown. The map is
//! bounded: past `max` keys it forgets uses already written and, if still full, wakes the flusher
//! to write everything at once.

use super::FastMap;
use std::sync::Mutex;

use time::PrimitiveDateTime;

use crate::clock::SharedClock;
use crate::db::ids::{GrantId, KeyId};
use crate::db::Pool;
use crate::models::api_keys::{self, SecretUsed};

pub const FLUSH_EVERY: time::Duration = time::Duration::seconds(60);

#[derive(Debug, Clone)]
struct Usage {
    /// The first use held in memory (for a secret's first use) and the latest.
    first_at: PrimitiveDateTime,
    at: PrimitiveDateTime,
    ip: String,
    user_agent: String,
    dirty: bool,
    flushed_at: Option<PrimitiveDateTime>,
}

/// Whose last use is tracked: API keys, or OAuth grants (apps).
#[derive(Default, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Target {
    #[default]
    Keys,
    Grants,
}

pub struct LastUsed {
    map: Mutex<FastMap<(i64, SecretUsed), Usage>>,
    target: Target,
    max: usize,
    /// Told when the map is full of unwritten uses: the flusher writes them now.
    pressure: tokio::sync::Notify,
}

impl LastUsed {
    pub fn new(max: usize) -> Self {
        Self {
            map: Mutex::new(FastMap::default()),
            target: Target::Keys,
            max: max.max(1),
            pressure: tokio::sync::Notify::new(),
        }
    }

    pub fn for_grants(max: usize) -> Self {
        Self {
            target: Target::Grants,
            ..Self::new(max)
        }
    }

    /// Resolves when the map filled up with unwritten uses.
    pub async fn under_pressure(&self) {
        self.pressure.notified().await;
    }

    /// Keys held in memory (written or not).
    pub fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A use of a key's only secret, or of an app's grant.
    pub fn record(&self, key_id: i64, at: PrimitiveDateTime, ip: &str, user_agent: &str) {
        self.record_secret(
            key_id,
            SecretUsed::Current { since: None },
            at,
            ip,
            user_agent,
        );
    }

    /// A use, and which secret of the key it was made with.
    pub fn record_secret(
        &self,
        key_id: i64,
        secret: SecretUsed,
        at: PrimitiveDateTime,
        ip: &str,
        user_agent: &str,
    ) {
        let key_id = (key_id, secret);
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= self.max && !map.contains_key(&key_id) {
            // Uses already written are only kept to space out writes: they go first.
            map.retain(|_, u| u.dirty);
            if map.len() >= self.max {
                self.pressure.notify_one();
            }
        }
        match map.get_mut(&key_id) {
            Some(u) => {
                u.first_at = u.first_at.min(at);
                if at >= u.at {
                    u.at = at;
                    if u.ip != ip {
                        u.ip = ip.to_owned();
                    }
                    if u.user_agent != user_agent {
                        u.user_agent = user_agent.to_owned();
                    }
                }
                u.dirty = true;
            }
            None => {
                map.insert(
                    key_id,
                    Usage {
                        first_at: at,
                        at,
                        ip: ip.to_owned(),
                        user_agent: user_agent.to_owned(),
                        dirty: true,
                        flushed_at: None,
                    },
                );
            }
        }
    }

    /// Takes the uses due for writing: a key's first use at once, later ones a minute after the
    /// previous write, or all of them when `force`.
    fn take_due(&self, now: PrimitiveDateTime, force: bool) -> Vec<((i64, SecretUsed), Usage)> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let mut due = Vec::new();
        for (id, u) in map.iter_mut() {
            let ready = force || u.flushed_at.is_none_or(|f| now - f >= FLUSH_EVERY);
            if u.dirty && ready {
                u.dirty = false;
                u.flushed_at = Some(now);
                due.push((*id, u.clone()));
            }
        }
        // Forget keys idle for a long while, so the map stays small.
        map.retain(|_, u| u.dirty || now - u.at < time::Duration::hours(1));
        due
    }

    /// Writes what is due, in key order, in short transactions (`db::write_in_chunks`: the
    /// console's writes get in between); returns how many keys were written. What a failed
    /// transaction did not write is kept for the next flush.
    pub async fn flush(
        &self,
        pool: &Pool,
        clock: &SharedClock,
        force: bool,
    ) -> anyhow::Result<usize> {
        let mut due = self.take_due(clock.now(), force);
        if due.is_empty() {
            return Ok(0);
        }
        // Neighbouring keys share the table's pages.
        due.sort_unstable_by_key(|((id, _), _)| *id);
        crate::telemetry::metrics::last_used_flush(due.len());
        let target = self.target;
        let written = crate::db::write_in_chunks(pool, due, move |c, due| {
            for ((id, secret), u) in due {
                match target {
                    Target::Keys => api_keys::record_last_used(
                        c,
                        KeyId(*id),
                        *secret,
                        u.first_at,
                        u.at,
                        &u.ip,
                        &u.user_agent,
                    )?,
                    Target::Grants => crate::models::oauth::record_last_used(
                        c,
                        GrantId(*id),
                        u.at,
                        &u.ip,
                        &u.user_agent,
                    )?,
                };
            }
            Ok::<_, crate::services::Error>(())
        })
        .await;
        match written {
            Ok(n) => Ok(n),
            Err((e, unwritten)) => {
                self.keep(unwritten);
                Err(e.into())
            }
        }
    }

    /// Puts uses that could not be written back, to be written by the next flush (merged with
    /// any use recorded since).
    fn keep(&self, unwritten: Vec<((i64, SecretUsed), Usage)>) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        for (id, old) in unwritten {
            match map.get_mut(&id) {
                Some(u) => {
                    u.first_at = u.first_at.min(old.first_at);
                    if old.at > u.at {
                        u.at = old.at;
                        u.ip = old.ip;
                        u.user_agent = old.user_agent;
                    }
                    u.dirty = true;
                }
                None => {
                    map.insert(id, Usage { dirty: true, ..old });
                }
            }
        }
    }

    /// Keys with uses not yet written.
    pub fn pending(&self) -> usize {
        self.map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .filter(|u| u.dirty)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn coalesces_to_at_most_one_write_a_minute_per_key() {
        let t = LastUsed::new(100);
        let start = datetime!(2026-11-27 10:00);
        t.record(1, start, "1.1.1.1", "a");
        assert_eq!(
            t.take_due(start, false).len(),
            1,
            "a first use is written promptly"
        );
        for s in 1..50 {
            t.record(1, start + time::Duration::seconds(s), "1.1.1.1", "a");
            assert!(t
                .take_due(start + time::Duration::seconds(s), false)
                .is_empty());
        }
        let due = t.take_due(start + time::Duration::seconds(60), false);
        assert_eq!(due.len(), 1);
        assert_eq!(
            due[0].1.at,
            start + time::Duration::seconds(49),
            "the latest use"
        );
    }

    #[test]
    fn a_full_map_forgets_written_uses_first() {
        let t = LastUsed::new(3);
        let start = datetime!(2026-11-27 10:00);
        t.record(1, start, "ip", "ua");
        t.record(2, start, "ip", "ua");
        t.take_due(start, false); // 1 and 2 written
        t.record(3, start, "ip", "ua");
        t.record(4, start, "ip", "ua");
        assert_eq!(t.len(), 2, "the written ones made room");
        assert_eq!(t.pending(), 2);
    }

    #[tokio::test]
    async fn a_map_full_of_unwritten_uses_wakes_the_flusher() {
        let t = LastUsed::new(2);
        let start = datetime!(2026-11-27 10:00);
        t.record(1, start, "ip", "ua");
        t.record(2, start, "ip", "ua");
        t.record(3, start, "ip", "ua");
        tokio::time::timeout(std::time::Duration::from_secs(1), t.under_pressure())
            .await
            .expect("the flusher is told at once");
    }

    #[test]
    fn force_writes_everything_pending() {
        let t = LastUsed::new(100);
        let start = datetime!(2026-11-27 10:00);
        t.record(1, start, "ip", "ua");
        t.take_due(start, false);
        t.record(1, start + time::Duration::seconds(5), "ip", "ua");
        t.record(2, start, "ip", "ua");
        assert_eq!(
            t.take_due(start + time::Duration::seconds(5), true).len(),
            2
        );
        assert_eq!(t.pending(), 0);
    }
}
