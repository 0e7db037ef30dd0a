//! Requests per key and day, counted in memory (successful and refused) and added to the database
//! by the flusher once a minute: at most one write per key per minute per process.

use super::FastMap;
use std::sync::Mutex;

use time::Date;

use crate::db::ids::KeyId;
use crate::db::Pool;
use crate::domain::usage::{chart_start, week_start};

/// Key-days held before the flusher is woken early: memory stays bounded when very many
/// distinct keys call within a minute (each is still written once per flush).
pub const MAX_PENDING: usize = 20_000;

#[derive(Default)]
pub struct UsageCounter {
    map: Mutex<FastMap<(i64, Date), (i64, i64)>>,
    pressure: tokio::sync::Notify,
}

impl UsageCounter {
    pub fn ok(&self, key: i64, day: Date) {
        self.count(key, day, 1, 0);
    }

    pub fn refused(&self, key: i64, day: Date) {
        self.count(key, day, 0, 1);
    }

    fn count(&self, key: i64, day: Date, ok: i64, refused: i64) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let e = map.entry((key, day)).or_default();
        e.0 += ok;
        e.1 += refused;
        if map.len() >= MAX_PENDING {
            self.pressure.notify_one();
        }
    }

    /// Resolves when more than `MAX_PENDING` key-days wait to be written.
    pub async fn under_pressure(&self) {
        self.pressure.notified().await;
    }

    fn take(&self) -> Vec<((i64, Date), (i64, i64))> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.drain().collect()
    }

    /// Adds what was counted to the database, with each counted key's requests this week, in
    /// key order and short transactions (`db::write_in_chunks`: the console's writes get in
    /// between); what a failed transaction did not write is put back for the next try. Returns
    /// how many key-days were written.
    pub async fn flush(&self, pool: &Pool, today: Date) -> anyhow::Result<usize> {
        let mut counts = self.take();
        if counts.is_empty() {
            return Ok(0);
        }
        counts.sort_unstable_by_key(|(key_day, _)| *key_day);
        let written = crate::db::write_in_chunks(pool, counts, move |c, counts| {
            for ((key, day), (ok, refused)) in counts {
                crate::models::usage::add(c, KeyId(*key), *day, *ok, *refused)?;
            }
            // A key's days are neighbours: counted once per transaction it has days in.
            let mut used: Vec<i64> = counts
                .iter()
                .filter(|(_, (ok, _))| *ok > 0)
                .map(|((key, _), _)| *key)
                .collect();
            used.dedup();
            for key in used {
                crate::models::usage::refresh_week(c, KeyId(key), week_start(today))?;
            }
            Ok::<_, crate::services::Error>(())
        })
        .await;
        match written {
            Ok(n) => Ok(n),
            Err((e, unwritten)) => {
                let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
                for (k, (ok, refused)) in unwritten {
                    let e = map.entry(k).or_default();
                    e.0 += ok;
                    e.1 += refused;
                }
                Err(e.into())
            }
        }
    }

    /// Once a day (and at start-up, unless a process did it today already): the week moved on
    /// for every key used in the last one, and days past the chart are forgotten, in short
    /// transactions (`db::write_in_steps`). Two processes may run it at once: it only recounts.
    /// Returns how many keys' weeks changed.
    pub async fn roll(&self, pool: &Pool, today: Date) -> anyhow::Result<usize> {
        use crate::db::{run_db, write_in_steps, WRITE_CHUNK};
        use crate::models::usage;
        type E = crate::services::Error;
        let done = run_db(pool, move |c| -> Result<_, E> {
            Ok(usage::rolled_on(c)? == Some(today))
        })
        .await?;
        if done {
            return Ok(0);
        }
        let (from, keep_from) = (week_start(today), chart_start(today));
        let rolled = write_in_steps(pool, move |c, after| -> Result<_, E> {
            Ok(usage::roll_week_step(c, from, after, WRITE_CHUNK)?)
        })
        .await?;
        write_in_steps(pool, move |c, _| -> Result<_, E> {
            let n = usage::forget_days(c, keep_from, WRITE_CHUNK * 5)?;
            Ok((n, (n == WRITE_CHUNK * 5).then_some(0)))
        })
        .await?;
        run_db(pool, move |c| -> Result<_, E> {
            Ok(usage::set_rolled_on(c, today)?)
        })
        .await?;
        Ok(rolled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[tokio::test]
    async fn counts_add_up_per_key_and_day_and_a_full_map_wakes_the_flusher() {
        let u = UsageCounter::default();
        let day = date!(2026 - 12 - 01);
        u.ok(1, day);
        u.ok(1, day);
        u.refused(1, day);
        u.ok(1, day.next_day().unwrap());
        let mut taken = u.take();
        taken.sort();
        assert_eq!(
            taken,
            vec![((1, day), (2, 1)), ((1, day.next_day().unwrap()), (1, 0))]
        );
        // Not under pressure yet: the wait times out.
        let quiet = tokio::time::timeout(std::time::Duration::from_millis(20), u.under_pressure());
        assert!(quiet.await.is_err());
        for key in 0..MAX_PENDING as i64 {
            u.ok(key, day);
        }
        let woken = tokio::time::timeout(std::time::Duration::from_secs(1), u.under_pressure());
        assert!(woken.await.is_ok(), "a full map wakes the flusher");
    }
}
