//! Storage: one diesel connection type over SQLite and PostgreSQL, a pool whose backend is chosen
//! by the URL scheme (never by trial), SQLite pragmas on every pooled connection, and the embedded
//! migrations of both backends.

mod chunks;
pub mod ids;
mod pool;
pub mod schema;
pub mod types;
mod url;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub use chunks::{write_in_chunks, write_in_steps, WRITE_CHUNK, WRITE_PAUSE};
pub use pool::{
    build_pool, connect, is_timeout, run_db, run_db_short, run_on, within, Conn, ConnOptions,
    Manager, ManagerError, Pool, PoolOptions, PoolRole, PooledConn, Reading, Unavailable,
};
pub use url::DatabaseUrl;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

diesel::define_sql_function!(
    /// `lower(text)`: both backends, for case-insensitive comparison and sorting.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text
);

/// How long a connection attempt (and a wait for a pooled connection) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
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

/// SQLite: `PRAGMA optimize`, which re-runs `ANALYZE` on tables whose statistics went stale (as
/// SQLite recommends for long-lived connections). PostgreSQL's autovacuum does this itself.
pub fn optimize(conn: &mut AnyConnection) -> diesel::QueryResult<()> {
    match conn {
        AnyConnection::Sqlite(c) => c.batch_execute("PRAGMA optimize"),
        AnyConnection::Postgresql(_) => Ok(()),
    }
}

/// Whether an error is a unique-constraint violation (a concurrent twin won the race).
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}
