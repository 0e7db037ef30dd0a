//! The pools: a manager that opens the backend its URL names (SQLite pragmas and functions on every
//! connection, PostgreSQL's statement timeout), a connection that is checked after an error
//! instead of on every checkout, one pool per role, `run_db`, and the statement budget.

use std::time::Duration;

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::Connection;

use super::url::postgres_url_with_timeout;
use super::{AnyConnection, DatabaseUrl, CONNECT_TIMEOUT};

/// What every connection of a pool is opened with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnOptions {
    /// Give up on a statement that runs longer (PostgreSQL `statement_timeout`; on SQLite, a
    /// budget for each `run_db` call, checked as the console's list reads rows).
    pub statement_timeout: Option<Duration>,
    /// SQLite's page cache per connection, in KiB (`PRAGMA cache_size`).
    pub sqlite_cache_kib: u32,
    /// SQLite: plans that never depend on bound values, so that a statement is prepared once
    /// per connection (see `stable_plans`). For pools whose statements read by unique or
    /// per-workspace index only.
    pub sqlite_stable_plans: bool,
}

impl Default for ConnOptions {
    fn default() -> Self {
        Self {
            statement_timeout: None,
            sqlite_cache_kib: 2048,
            sqlite_stable_plans: false,
        }
    }
}

/// The message a statement stopped by its time budget fails with, on SQLite.
const BUDGET_EXCEEDED: &str = "statement time budget exceeded";

thread_local! {
    /// When the `run_db` call running on this thread must give up (SQLite's statement budget).
    static DEADLINE: std::cell::Cell<Option<std::time::Instant>> = const { std::cell::Cell::new(None) };
}

/// `mlr_deadline()`, a condition the console's list adds to every read: true, or an error once the
/// current `run_db` call is past its budget, which ends the statement.
#[derive(Debug)]
struct WithinBudget;

impl diesel::serialize::ToSql<diesel::sql_types::Bool, diesel::sqlite::Sqlite> for WithinBudget {
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, diesel::sqlite::Sqlite>,
    ) -> diesel::serialize::Result {
        if DEADLINE
            .get()
            .is_some_and(|d| std::time::Instant::now() > d)
            || budget::cpu_spent()
        {
            return Err(BUDGET_EXCEEDED.into());
        }
        out.set_value(1);
        Ok(diesel::serialize::IsNull::No)
    }
}

/// Whether a statement was stopped for running past its time budget (PostgreSQL's
/// `statement_timeout`, or the SQLite budget). PostgreSQL names a timeout that fires as its
/// statement ends a cancel "due to user request" (the next statement, often the COMMIT, gets it);
/// this server never cancels its own statements, so such a cancel is a budget spent too (and an
/// operator's `pg_cancel_backend` is best answered the same way: try again, or narrow it).
pub fn is_timeout(e: &diesel::result::Error) -> bool {
    match e {
        diesel::result::Error::DatabaseError(_, info) => {
            let m = info.message();
            m.contains("canceling statement due to statement timeout")
                || m.contains("canceling statement due to user request")
                || m.contains(BUDGET_EXCEEDED)
        }
        _ => false,
    }
}

pub type PooledConn = r2d2::PooledConnection<Manager>;

/// An r2d2 manager that opens the one backend its URL names.
#[derive(Clone, Debug)]
pub struct Manager {
    url: DatabaseUrl,
    options: ConnOptions,
}

impl Manager {
    pub fn new(url: DatabaseUrl, options: ConnOptions) -> Self {
        Self { url, options }
    }

    fn establish(&self) -> anyhow::Result<AnyConnection> {
        let mut conn = self.open()?;
        if tracing::enabled!(target: "mailrith::sql", tracing::Level::DEBUG) {
            conn.set_instrumentation(log_statements());
        }
        Ok(conn)
    }

    fn open(&self) -> anyhow::Result<AnyConnection> {
        match &self.url {
            DatabaseUrl::Postgres(raw) => {
                let with_timeout = postgres_url_with_timeout(raw);
                let mut conn = PgConnection::establish(&with_timeout).map_err(|e| {
                    anyhow::anyhow!(
                        "cannot connect to PostgreSQL at {}: {}",
                        self.url.redacted(),
                        e.to_string().trim()
                    )
                })?;
                // The console's statements are index reads bounded by a page, under a budget: a
                // parallel plan only comes up for a fallback scan that the budget ends anyway, and
                // starting its workers (processes) cost more than they saved, cancelled or not.
                if let Some(t) = self.options.statement_timeout {
                    conn.batch_execute(&format!(
                        "SET statement_timeout = {}; SET max_parallel_workers_per_gather = 0",
                        t.as_millis()
                    ))
                    .context("cannot set statement_timeout")?;
                }
                Ok(AnyConnection::Postgresql(conn))
            }
            DatabaseUrl::Sqlite(path) => {
                let opened = stable_plans::open(self.options.sqlite_stable_plans, || {
                    SqliteConnection::establish(path)
                });
                let mut conn = opened.map_err(|e| {
                    anyhow::anyhow!(
                        "cannot open SQLite database {path}: {}",
                        e.to_string().trim()
                    )
                })?;
                conn.batch_execute(&format!(
                    "PRAGMA journal_mode = WAL;
                     PRAGMA foreign_keys = ON;
                     PRAGMA busy_timeout = 5000;
                     PRAGMA synchronous = NORMAL;
                     PRAGMA cache_size = -{};",
                    self.options.sqlite_cache_kib
                ))
                .with_context(|| format!("cannot set pragmas on SQLite database {path}"))?;
                register_sqlite_functions(&mut conn).with_context(|| {
                    format!("cannot register functions on SQLite database {path}")
                })?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }
}

diesel::define_sql_function!(
    /// `mlr_fold(text)`: lower case for every script (SQLite's `lower` folds ASCII only).
    fn mlr_fold(x: diesel::sql_types::Text) -> diesel::sql_types::Text
);

diesel::define_sql_function!(
    /// `mlr_deadline()`: see `WithinBudget`.
    fn mlr_deadline() -> diesel::sql_types::Bool
);

fn register_sqlite_functions(conn: &mut SqliteConnection) -> diesel::QueryResult<()> {
    mlr_fold_utils::register_impl(conn, |x: String| x.to_lowercase())?;
    mlr_deadline_utils::register_nondeterministic_impl(conn, || WithinBudget)?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ManagerError(String);

/// A pooled connection, and whether it was found dead (it is then closed, not reused).
pub struct Conn {
    conn: AnyConnection,
    broken: bool,
}

impl std::ops::Deref for Conn {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }
}

impl Conn {
    /// After a failed call: whether the connection still answers. A dead one (the server
    /// restarted, the socket closed) is marked, so the pool replaces it, and the call's error is
    /// then `Unavailable` (the database, not the request, failed: a 503 to try again).
    fn check_after_error<T, E: From<Unavailable>>(&mut self, result: Result<T, E>) -> Result<T, E> {
        if result.is_err() && self.conn.batch_execute("SELECT 1").is_err() {
            self.broken = true;
            return Err(Unavailable(run::ConnectionClosed.into()).into());
        }
        result
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = ManagerError;

    fn connect(&self) -> Result<Conn, ManagerError> {
        self.establish()
            .map(|conn| Conn {
                conn,
                broken: false,
            })
            .map_err(|e| ManagerError(format!("{e:#}")))
    }

    /// Only asked when a pool is built with `test_on_check_out` (ours are not: a checkout costs
    /// no round trip; a connection is checked after an error instead, see `run_db`).
    fn is_valid(&self, conn: &mut Conn) -> Result<(), ManagerError> {
        conn.batch_execute("SELECT 1")
            .map_err(|e| ManagerError(e.to_string()))
    }

    /// A connection whose transaction manager is broken (a failed rollback, a panic inside a
    /// transaction) or that failed a check after an error (see `run_db`) is dropped rather than
    /// returned to the pool.
    fn has_broken(&self, conn: &mut Conn) -> bool {
        use diesel::connection::TransactionManager;
        conn.broken
            || std::thread::panicking()
            || <AnyConnection as Connection>::TransactionManager::is_broken_transaction_manager(
                &mut conn.conn,
            )
    }
}

/// One connection, outside any pool: for short-lived commands, which must not exit while a pool
/// thread is still opening connections in the background (libpq would crash at exit).
pub fn connect(url: &DatabaseUrl) -> anyhow::Result<AnyConnection> {
    Manager::new(url.clone(), ConnOptions::default()).establish()
}

/// Which part of the server a pool serves: the console (pages people wait on, with a statement
/// budget) or the API (key lookups, the change feed, last-used writes), kept apart so that a slow
/// console page never makes an integration wait for a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolRole {
    Console,
    Api,
}

impl PoolRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Console => "console",
            Self::Api => "api",
        }
    }
}

/// A pool of connections for one role.
#[derive(Clone, Debug)]
pub struct Pool {
    inner: r2d2::Pool<Manager>,
    /// Reads in flight that may spread over several connections (`Pool::reading`).
    readers: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    role: PoolRole,
    budget: Option<Duration>,
    sqlite: bool,
}

impl Pool {
    /// A connection, waiting up to `CONNECT_TIMEOUT` for one to come free.
    pub fn get(&self) -> Result<PooledConn, r2d2::Error> {
        let waiting = crate::telemetry::metrics::pool_waiting(self.role.as_str());
        let conn = self.inner.get();
        drop(waiting);
        if conn.is_err() {
            crate::telemetry::metrics::pool_timeout(self.role.as_str());
        }
        conn
    }

    pub fn role(&self) -> PoolRole {
        self.role
    }

    /// Connections open and idle.
    pub fn state(&self) -> r2d2::State {
        self.inner.state()
    }

    pub fn max_size(&self) -> u32 {
        self.inner.max_size()
    }
}

/// How a pool is sized and what its connections are opened with.
#[derive(Clone, Debug)]
pub struct PoolOptions {
    pub role: PoolRole,
    pub max_size: u32,
    pub conn: ConnOptions,
}

/// How many of the console pool's connections are kept open while idle (all of them, up to
/// this): enough for a page's three parts at once and one more request.
const CONSOLE_OPEN: u32 = 4;

/// Opens one connection first (so a wrong password or an unreachable server is reported as
/// itself, at once), then builds the pool. A checkout runs no `SELECT 1`.
pub fn build_pool(url: &DatabaseUrl, options: PoolOptions) -> anyhow::Result<Pool> {
    let manager = Manager::new(url.clone(), options.conn.clone());
    let first = manager.establish()?;
    drop(first);
    let inner = r2d2::Pool::builder()
        .max_size(options.max_size.max(1))
        .min_idle(Some(match options.role {
            // Kept open, so that a page may read its parts at once on free ones (`spare`).
            PoolRole::Console => options.max_size.clamp(1, CONSOLE_OPEN),
            PoolRole::Api => 1,
        }))
        .test_on_check_out(false)
        .connection_timeout(CONNECT_TIMEOUT)
        .build(manager)
        .with_context(|| format!("cannot build the {} pool", url.backend_name()))?;
    Ok(Pool {
        inner,
        readers: Default::default(),
        role: options.role,
        budget: options.conn.statement_timeout,
        sqlite: matches!(url, DatabaseUrl::Sqlite(_)),
    })
}

/// `RUST_LOG=mailrith::sql=debug`: every statement and how long it took, for reading query plans.
/// Never its binds: they hold session state and search text.
fn log_statements() -> impl diesel::connection::Instrumentation {
    use diesel::connection::InstrumentationEvent;
    let mut started = std::time::Instant::now();
    move |event: InstrumentationEvent<'_>| match event {
        InstrumentationEvent::StartQuery { .. } => started = std::time::Instant::now(),
        InstrumentationEvent::FinishQuery { query, error, .. } => {
            let text = query.to_string();
            let sql = text.split(" -- binds:").next().unwrap_or_default();
            tracing::debug!(
                target: "mailrith::sql",
                ms = format!("{:.2}", started.elapsed().as_secs_f64() * 1000.0),
                failed = error.is_some(),
                "{sql}"
            )
        }
        _ => {}
    }
}

mod budget;
mod reading;
mod run;
mod stable_plans;
pub use budget::within;
use budget::Budget;
pub use reading::Reading;
pub use run::{run_db, run_db_short, run_on, Unavailable};
