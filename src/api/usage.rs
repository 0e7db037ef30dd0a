//! Requests per key and day, counted in memory (successful and refused) and added to the database
//! by the flusher once a minute: at most one write per key per minute per process.

use std::collections::HashMap;
use std::sync::Mutex;

use time::Date;

use crate::db::ids::KeyId;
use crate::db::Pool;
use crate::domain::usage::{chart_start, week_start};

#[derive(Default)]
pub struct UsageCounter {
    map: Mutex<HashMap<(i64, Date), (i64, i64)>>,
}

impl UsageCounter {
    pub fn ok(&self, key: i64, day: Date) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.entry((key, day)).or_default().0 += 1;
    }

    pub fn refused(&self, key: i64, day: Date) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.entry((key, day)).or_default().1 += 1;
    }

    fn take(&self) -> Vec<((i64, Date), (i64, i64))> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.drain().collect()
    }

    /// Adds what was counted to the database in one transaction, with each counted key's
    /// requests this week; on failure the counts are put back for the next try. Returns how many
    /// key-days were written.
    pub async fn flush(&self, pool: &Pool, today: Date) -> anyhow::Result<usize> {
        let counts = self.take();
        if counts.is_empty() {
            return Ok(0);
        }
        let n = counts.len();
        let kept = counts.clone();
        let written = crate::db::run_db(pool, move |c| -> Result<(), crate::services::Error> {
            c.write_transaction(|c| {
                for ((key, day), (ok, refused)) in &counts {
                    crate::models::usage::add(c, KeyId(*key), *day, *ok, *refused)?;
                }
                let mut used: Vec<i64> = counts
                    .iter()
                    .filter(|(_, (ok, _))| *ok > 0)
                    .map(|((key, _), _)| *key)
                    .collect();
                used.sort_unstable();
                used.dedup();
                for key in used {
                    crate::models::usage::refresh_week(c, KeyId(key), week_start(today))?;
                }
                Ok(())
            })
        })
        .await;
        if let Err(e) = written {
            let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
            for (k, (ok, refused)) in kept {
                let e = map.entry(k).or_default();
                e.0 += ok;
                e.1 += refused;
            }
            return Err(e.into());
        }
        Ok(n)
    }

    /// Once a day (and at start-up): the week moved on for every key used in the last one, and
    /// days past the chart are forgotten. Every process may run it: it only recounts.
    pub async fn roll(&self, pool: &Pool, today: Date) -> anyhow::Result<usize> {
        let rolled = crate::db::run_db(pool, move |c| -> Result<usize, crate::services::Error> {
            c.write_transaction(|c| {
                Ok(crate::models::usage::roll_week(
                    c,
                    week_start(today),
                    chart_start(today),
                )?)
            })
        })
        .await?;
        Ok(rolled)
    }
}
