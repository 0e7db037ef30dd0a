//! A statement budget tighter than the pool's, for one call (`within`).

use super::*;

/// Runs `f` within a statement budget of its own (tighter than the pool's): `Ok(None)` when the
/// budget ran out. SQLite: a nearer deadline for this thread; PostgreSQL: `SET LOCAL
/// statement_timeout` in a transaction of its own.
pub fn within<T>(
    c: &mut AnyConnection,
    budget: Duration,
    f: impl FnOnce(&mut AnyConnection) -> diesel::QueryResult<T>,
) -> diesel::QueryResult<Option<T>> {
    let result = match c {
        AnyConnection::Sqlite(_) => {
            let outer = DEADLINE.get();
            let mine = std::time::Instant::now() + budget;
            DEADLINE.set(Some(outer.map_or(mine, |o| o.min(mine))));
            let result = f(c);
            DEADLINE.set(outer);
            result
        }
        AnyConnection::Postgresql(_) => c.transaction(|c| {
            c.batch_execute(&format!(
                "SET LOCAL statement_timeout = {}",
                budget.as_millis().max(1)
            ))?;
            f(c)
        }),
    };
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if is_timeout(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Sets this thread's SQLite deadline for one `run_db` call, and clears it when dropped.
pub(super) struct Budget;

impl Budget {
    pub(super) fn start(budget: Option<Duration>) -> Self {
        DEADLINE.set(budget.map(|b| std::time::Instant::now() + b));
        Self
    }
}

impl Drop for Budget {
    fn drop(&mut self) {
        DEADLINE.set(None);
    }
}
