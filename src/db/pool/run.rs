//! Running a closure with a pooled connection: on the blocking thread pool (`run_db`), or, for a
//! short SQLite read, on the calling thread (`run_db_short`).

use super::*;

/// The database could not be reached, or the blocking task failed.
#[derive(Debug)]
pub struct Unavailable(pub anyhow::Error);

/// Why a connection was dropped from its pool: the database closed it (a restart, a failover).
#[derive(Debug, thiserror::Error)]
#[error("the database closed the connection")]
pub struct ConnectionClosed;

impl Unavailable {
    /// Whether a call failed because the database had closed its connection (now dropped from
    /// the pool): the same call on another connection may well succeed.
    pub fn connection_closed(&self) -> bool {
        self.0.is::<ConnectionClosed>()
    }
}

/// Runs `f` with a pooled connection on the blocking thread pool, in the caller's tracing span.
pub async fn run_db<F, T, E>(pool: &Pool, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<Unavailable> + Send + 'static,
{
    run_on(pool, None, f).await
}

/// Runs `f` on the blocking thread pool with `conn` (one `Pool::spare` handed out), or, without
/// one, with a connection from the pool.
pub async fn run_on<F, T, E>(pool: &Pool, conn: Option<PooledConn>, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<Unavailable> + Send + 'static,
{
    let pool = pool.clone();
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        let mut conn = match conn {
            Some(conn) => conn,
            None => pool
                .get()
                .map_err(|e| Unavailable(anyhow::anyhow!("database unavailable: {e}")))?,
        };
        let sqlite = matches!(**conn, AnyConnection::Sqlite(_));
        let budget = Budget::start(pool.budget.filter(|_| sqlite));
        let result = f(&mut conn);
        drop(budget);
        conn.check_after_error(result)
    })
    .await
    .map_err(|e| Unavailable(anyhow::anyhow!("blocking task failed: {e}")))?
}

/// A short read (a row by a unique index, a page of at most 100 rows in index order): on SQLite,
/// run on the calling thread when a pooled connection is free at once. Such a read takes a few
/// microseconds in this process, less than handing it to the blocking pool and back (two thread
/// wake-ups); the API's contacts and key lookups use it. Everything else, a SQLite pool with no
/// connection free, and PostgreSQL always (a network round trip must not stall the worker's other
/// requests) go the `run_db` way. Never for writes: they may wait for SQLite's write lock.
pub async fn run_db_short<F, T, E>(pool: &Pool, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<Unavailable> + Send + 'static,
{
    let conn = if pool.sqlite {
        pool.inner.try_get()
    } else {
        None
    };
    let Some(mut conn) = conn else {
        return run_db(pool, f).await;
    };
    let budget = Budget::start(pool.budget);
    // A panic is the same answer as on the blocking pool (an error, not a lost worker).
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut conn)));
    drop(budget);
    match result {
        Ok(result) => conn.check_after_error(result),
        Err(_) => {
            conn.broken = true;
            Err(Unavailable(anyhow::anyhow!("a database read panicked")).into())
        }
    }
}
