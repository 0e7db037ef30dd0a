//! Storage: one diesel connection type over SQLite and PostgreSQL, a pool whose backend is chosen
//! by the URL scheme (never by trial), SQLite pragmas on every pooled connection, and the embedded
//! migrations of both backends.

pub mod ids;
pub mod schema;
pub mod types;

use std::time::Duration;

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

diesel::define_sql_function!(
    /// `lower(text)`: both backends, for case-insensitive comparison and sorting.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text
);

/// How long a connection attempt (and a wait for a pooled connection) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// What every connection of a pool is opened with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnOptions {
    /// Give up on a statement that runs longer (PostgreSQL `statement_timeout`; on SQLite, a
    /// budget for each `run_db` call, checked as the console's list reads rows).
    pub statement_timeout: Option<Duration>,
    /// SQLite's page cache per connection, in KiB (`PRAGMA cache_size`).
    pub sqlite_cache_kib: u32,
}

impl Default for ConnOptions {
    fn default() -> Self {
        Self {
            statement_timeout: None,
            sqlite_cache_kib: 4096,
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
        {
            return Err(BUDGET_EXCEEDED.into());
        }
        out.set_value(1);
        Ok(diesel::serialize::IsNull::No)
    }
}

/// Whether a statement was stopped for running past its time budget (PostgreSQL's
/// `statement_timeout`, or the SQLite budget).
pub fn is_timeout(e: &diesel::result::Error) -> bool {
    match e {
        diesel::result::Error::DatabaseError(_, info) => {
            let m = info.message();
            m.contains("canceling statement due to statement timeout")
                || m.contains(BUDGET_EXCEEDED)
        }
        _ => false,
    }
}

#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

pub type PooledConn = r2d2::PooledConnection<Manager>;

/// Which database a URL names, decided from its scheme alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A libpq connection URL (`postgres://` or `postgresql://`).
    Postgres(String),
    /// A path (or `file:` URI) handed to SQLite.
    Sqlite(String),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        let raw = raw.trim();
        if raw.is_empty() {
            anyhow::bail!("the database URL is empty");
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_owned()));
        }
        if let Some(path) = raw.strip_prefix("sqlite://") {
            if path.is_empty() {
                anyhow::bail!("the SQLite URL `sqlite://` names no file");
            }
            return Ok(Self::Sqlite(path.to_owned()));
        }
        if let Some(path) = raw.strip_prefix("sqlite:") {
            return Ok(Self::Sqlite(path.to_owned()));
        }
        if raw.starts_with("file:") {
            return Ok(Self::Sqlite(raw.to_owned()));
        }
        if let Some((scheme, _)) = raw.split_once("://") {
            anyhow::bail!(
                "unsupported database URL scheme `{scheme}://` (use postgres://, postgresql://, sqlite:// or a file path)"
            );
        }
        Ok(Self::Sqlite(raw.to_owned()))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Postgres(_) => "PostgreSQL",
            Self::Sqlite(_) => "SQLite",
        }
    }

    /// The URL with any password replaced, for messages and logs.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{path}"),
            Self::Postgres(raw) => match url::Url::parse(raw) {
                Ok(mut u) => {
                    if u.password().is_some() {
                        let _ = u.set_password(Some("****"));
                    }
                    u.to_string()
                }
                Err(_) => "postgres://(unparseable)".to_owned(),
            },
        }
    }
}

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
                if let Some(t) = self.options.statement_timeout {
                    conn.batch_execute(&format!("SET statement_timeout = {}", t.as_millis()))
                        .context("cannot set statement_timeout")?;
                }
                Ok(AnyConnection::Postgresql(conn))
            }
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path).map_err(|e| {
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

/// libpq waits as long as the OS lets a TCP connect hang unless told otherwise.
fn postgres_url_with_timeout(raw: &str) -> String {
    if raw.contains("connect_timeout=") {
        return raw.to_owned();
    }
    let sep = if raw.contains('?') { '&' } else { '?' };
    format!("{raw}{sep}connect_timeout={}", CONNECT_TIMEOUT.as_secs())
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
    /// restarted, the socket closed) is marked, so the pool replaces it.
    fn check_after_error(&mut self) {
        if self.conn.batch_execute("SELECT 1").is_err() {
            self.broken = true;
        }
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
    role: PoolRole,
    budget: Option<Duration>,
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

/// Opens one connection first (so a wrong password or an unreachable server is reported as
/// itself, at once), then builds the pool. A checkout runs no `SELECT 1`.
pub fn build_pool(url: &DatabaseUrl, options: PoolOptions) -> anyhow::Result<Pool> {
    let manager = Manager::new(url.clone(), options.conn.clone());
    let first = manager.establish()?;
    drop(first);
    let inner = r2d2::Pool::builder()
        .max_size(options.max_size.max(1))
        .min_idle(Some(1))
        .test_on_check_out(false)
        .connection_timeout(CONNECT_TIMEOUT)
        .build(manager)
        .with_context(|| format!("cannot build the {} pool", url.backend_name()))?;
    Ok(Pool {
        inner,
        role: options.role,
        budget: options.conn.statement_timeout,
    })
}

/// Applies every pending migration of the connection's backend; returns how many ran.
pub fn run_migrations(conn: &mut AnyConnection) -> anyhow::Result<usize> {
    let applied = match conn {
        AnyConnection::Postgresql(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.len()),
        AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
    }
    .map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
    Ok(applied)
}

impl AnyConnection {
    /// A transaction that will write. On SQLite it takes the write lock with its first statement,
    /// so that two writers wait for each other (`busy_timeout`) instead of one failing with
    /// "database is locked" when it upgrades a read snapshot to a write. On PostgreSQL it is an
    /// ordinary transaction.
    pub fn write_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        self.transaction(|c| {
            if let AnyConnection::Sqlite(sqlite) = c {
                sqlite.batch_execute("UPDATE instance_secrets SET value = value WHERE 0")?;
            }
            f(c)
        })
    }
}

/// The database could not be reached, or the blocking task failed.
#[derive(Debug)]
pub struct Unavailable(pub anyhow::Error);

/// Runs `f` with a pooled connection on the blocking thread pool, in the caller's tracing span.
pub async fn run_db<F, T, E>(pool: &Pool, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<Unavailable> + Send + 'static,
{
    let pool = pool.clone();
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        let mut conn = pool
            .get()
            .map_err(|e| Unavailable(anyhow::anyhow!("database unavailable: {e}")))?;
        let sqlite = matches!(**conn, AnyConnection::Sqlite(_));
        let budget = Budget::start(pool.budget.filter(|_| sqlite));
        let result = f(&mut conn);
        drop(budget);
        if result.is_err() {
            conn.check_after_error();
        }
        result
    })
    .await
    .map_err(|e| Unavailable(anyhow::anyhow!("blocking task failed: {e}")))?
}

/// Sets this thread's SQLite deadline for one `run_db` call, and clears it when dropped.
struct Budget;

impl Budget {
    fn start(budget: Option<Duration>) -> Self {
        DEADLINE.set(budget.map(|b| std::time::Instant::now() + b));
        Self
    }
}

impl Drop for Budget {
    fn drop(&mut self) {
        DEADLINE.set(None);
    }
}

/// Whether an error is a unique-constraint violation (a concurrent twin won the race).
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_picks_backend() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u:p@h/db").unwrap(),
            DatabaseUrl::Postgres("postgres://u:p@h/db".into())
        );
        assert!(matches!(
            DatabaseUrl::parse("postgresql://h/db").unwrap(),
            DatabaseUrl::Postgres(_)
        ));
        assert_eq!(
            DatabaseUrl::parse("sqlite://mailrith.db").unwrap(),
            DatabaseUrl::Sqlite("mailrith.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db").unwrap(),
            DatabaseUrl::Sqlite("/tmp/x.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("file:x.db?mode=rwc").unwrap(),
            DatabaseUrl::Sqlite("file:x.db?mode=rwc".into())
        );
        assert_eq!(
            DatabaseUrl::parse("data/x.db").unwrap(),
            DatabaseUrl::Sqlite("data/x.db".into())
        );
    }

    #[test]
    fn typos_are_errors_not_new_files() {
        assert!(DatabaseUrl::parse("postgress://h/db").is_err());
        assert!(DatabaseUrl::parse("mysql://h/db").is_err());
        assert!(DatabaseUrl::parse("").is_err());
    }

    #[test]
    fn redacts_password() {
        let u = DatabaseUrl::parse("postgres://me:secret@localhost/db").unwrap();
        assert!(!u.redacted().contains("secret"));
    }

    #[test]
    fn adds_connect_timeout() {
        assert_eq!(
            postgres_url_with_timeout("postgres://h/db"),
            "postgres://h/db?connect_timeout=5"
        );
        assert_eq!(
            postgres_url_with_timeout("postgres://h/db?sslmode=disable"),
            "postgres://h/db?sslmode=disable&connect_timeout=5"
        );
    }
}
