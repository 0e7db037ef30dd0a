//! A statement budget tighter than the pool's, for one call (`within`).

use std::cell::Cell;

use super::*;

thread_local! {
    /// The thread CPU time at which the innermost `within` on this thread is spent (SQLite).
    static CPU_DEADLINE: Cell<Option<Duration>> = const { Cell::new(None) };
    /// Rows checked against it (the clock is read on every 16th: it costs a system call).
    static CHECKS: Cell<u32> = const { Cell::new(0) };
}

/// This thread's CPU time (zero if the clock cannot be read: then no `within` budget is spent).
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a pointer to a live local.
    let read = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0;
    match (read, u64::try_from(ts.tv_sec), u32::try_from(ts.tv_nsec)) {
        (true, Ok(secs), Ok(nanos)) => Duration::new(secs, nanos),
        _ => Duration::ZERO,
    }
}

/// Whether the innermost `within` on this thread has used its CPU time (checked by
/// `mlr_deadline()` on the rows a statement reads: first row, then every 16th).
pub(super) fn cpu_spent() -> bool {
    let Some(deadline) = CPU_DEADLINE.get() else {
        return false;
    };
    let n = CHECKS.get().wrapping_add(1);
    CHECKS.set(n);
    n % 16 == 1 && thread_cpu() > deadline
}

/// Runs `f` within a statement budget of its own (tighter than the pool's): `Ok(None)` when the
/// budget ran out. SQLite: CPU time of this thread, so that the choice it serves (scan a search,
/// or read its matches by index) depends on the data, not on how busy the machine is: measured
/// as wall time, 8 people searching at once on 2 cores ran out of it, and each then did the
/// slower way's work as well (the pool's wall-clock deadline still holds). PostgreSQL: `SET LOCAL
/// statement_timeout` in a transaction of its own.
pub fn within<T>(
    c: &mut AnyConnection,
    budget: Duration,
    f: impl FnOnce(&mut AnyConnection) -> diesel::QueryResult<T>,
) -> diesel::QueryResult<Option<T>> {
    let result = match c {
        AnyConnection::Sqlite(_) => {
            let outer = CPU_DEADLINE.get();
            let mine = thread_cpu() + budget;
            CPU_DEADLINE.set(Some(outer.map_or(mine, |o| o.min(mine))));
            CHECKS.set(0);
            let result = f(c);
            CPU_DEADLINE.set(outer);
            result
        }
        AnyConnection::Postgresql(_) => {
            let started = std::time::Instant::now();
            let result = c.transaction(|c| {
                c.batch_execute(&format!(
                    "SET LOCAL statement_timeout = {}",
                    budget.as_millis().max(1)
                ))?;
                f(c)
            });
            // A timeout that fires as the last statement ends is not lost: PostgreSQL keeps the
            // cancel pending and raises it in the connection's next statement, which then fails
            // with "canceling statement due to statement timeout" at once, outside this budget
            // (seen at 1M keys with 8 people searching: a text search answered "narrow it" after
            // 46 ms, about once in 4,000 requests). A statement of our own takes it here; only
            // when the budget could have run out (a statement's timer starts with it, so none
            // fired in a transaction shorter than the budget): no round trip on the usual path.
            if result.is_ok() && started.elapsed() >= budget {
                let _ = c.batch_execute("SELECT 1");
            }
            result
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::prelude::*;
    use diesel::sql_types::BigInt;

    fn sqlite() -> AnyConnection {
        let mut c = SqliteConnection::establish(":memory:").unwrap();
        register_sqlite_functions(&mut c).unwrap();
        AnyConnection::Sqlite(c)
    }

    /// Reads rows 1..=n, each checked against the budget (as the console's reads are).
    fn read(c: &mut AnyConnection, n: i64) -> QueryResult<i64> {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        diesel::sql_query(format!(
            "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < {n}) \
             SELECT count(*) AS n FROM r WHERE mlr_deadline()"
        ))
        .get_result::<N>(c)
        .map(|r| r.n)
    }

    #[test]
    fn a_budget_is_cpu_time_spent_not_time_waited() {
        let mut c = sqlite();
        // Waiting (as for a core, on a busy machine) spends none of it …
        let waited = within(&mut c, Duration::from_millis(20), |c| {
            std::thread::sleep(Duration::from_millis(60));
            read(c, 100)
        });
        assert_eq!(waited.unwrap(), Some(100));
        // … work does: ten million rows take far more than a millisecond.
        let worked = within(&mut c, Duration::from_millis(1), |c| read(c, 10_000_000));
        assert_eq!(worked.unwrap(), None);
        // The budget ends with the call.
        assert_eq!(read(&mut c, 1000).unwrap(), 1000);
    }
}
