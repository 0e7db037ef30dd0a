//! Background writes of many rows (the API's last-used facts and usage counts, the daily roll of
//! the usage week) in short transactions, with a pause between them, so that the console's writes
//! (a revoke, a sign-in's session) get in between.
//!
//! At a million keys a key's last-use write costs 150-250 µs on SQLite (the key's row and the
//! five indexes that carry its last use, at random pages): the 50,000 keys a flush may hold kept
//! the database's one write lock for about 10 s in one transaction, and the console's writes gave
//! up after `busy_timeout` (5 s) with an error page. On PostgreSQL the same transaction held the
//! row of every key it wrote until its end: revoking one of them waited for it.

use std::collections::VecDeque;
use std::time::Duration;

use super::{run_db, AnyConnection, Pool, Unavailable};

/// Rows written in one transaction: about 40-50 ms at a million keys on SQLite (this machine).
pub const WRITE_CHUNK: usize = 200;

/// The pause between two transactions. A writer waiting for SQLite's lock retries after sleeps
/// that grow to 100 ms: with pauses half as long as a transaction, each retry has a good chance
/// (one in three) of finding the lock free.
pub const WRITE_PAUSE: Duration = Duration::from_millis(25);

/// Writes `items` with `write`, at most `WRITE_CHUNK` in each transaction (`write_transaction`),
/// pausing `WRITE_PAUSE` between two. Returns how many were written; on an error, the error and
/// the items not written (those of the failed transaction and every later one), for the caller
/// to keep for its next try or to drop.
pub async fn write_in_chunks<T, E, F>(
    pool: &Pool,
    items: Vec<T>,
    write: F,
) -> Result<usize, (E, Vec<T>)>
where
    T: Clone + Send + 'static,
    E: From<Unavailable> + From<diesel::result::Error> + Send + 'static,
    F: Fn(&mut AnyConnection, &[T]) -> Result<(), E> + Clone + Send + 'static,
{
    let mut left: VecDeque<T> = items.into();
    let mut written = 0;
    while !left.is_empty() {
        if written > 0 {
            tokio::time::sleep(WRITE_PAUSE).await;
        }
        let chunk: Vec<T> = left.iter().take(WRITE_CHUNK).cloned().collect();
        let n = chunk.len();
        let write = write.clone();
        let done = run_db(pool, move |c| c.write_transaction(|c| write(c, &chunk))).await;
        if let Err(e) = done {
            return Err((e, left.into()));
        }
        left.drain(..n);
        written += n;
    }
    Ok(written)
}

/// Runs `step` (one transaction each) until it says it is done, pausing `WRITE_PAUSE` between
/// two: for a write whose rows are found as it goes (`step` writes at most `WRITE_CHUNK` rows
/// from `at`, and returns where the next one starts, or `None`). Returns what the steps wrote.
pub async fn write_in_steps<E, F>(pool: &Pool, step: F) -> Result<usize, E>
where
    E: From<Unavailable> + From<diesel::result::Error> + Send + 'static,
    F: Fn(&mut AnyConnection, i64) -> Result<(usize, Option<i64>), E> + Clone + Send + 'static,
{
    let mut at = i64::MIN;
    let mut written = 0;
    loop {
        let step = step.clone();
        let (n, next) = run_db(pool, move |c| c.write_transaction(|c| step(c, at))).await?;
        written += n;
        let Some(next) = next else {
            return Ok(written);
        };
        at = next;
        tokio::time::sleep(WRITE_PAUSE).await;
    }
}
