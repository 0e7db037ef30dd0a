//! `spawn_app()`: the real server on port 0 over a fresh database (a temp-file SQLite database,
//! or a new PostgreSQL database when `TEST_DATABASE_URL` is set).

use std::path::PathBuf;
use std::sync::Arc;

use diesel::{Connection, RunQueryDsl};
use mailrith::clock::ManualClock;
use mailrith::config::Settings;
use mailrith::db::{DatabaseUrl, Pool};
use mailrith::startup::Application;

use super::client::Client;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn(TestApp)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let app = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await;
                    super::$name(app).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(app) = $crate::helpers::spawn_postgres_app().await {
                        super::$name(app).await;
                    }
                }
            }
        )*
    };
}

pub struct TestApp {
    pub clock: ManualClock,
    pub pool: Pool,
    pub database: DatabaseUrl,
    pub backend: Backend,
    pub setup_token: Option<String>,
    pub client: Client,
    pub api: Arc<mailrith::api::ApiRuntime>,
    pub base: String,
    /// Where `/metrics` is served, with `--metrics-bind`.
    pub metrics_port: Option<u16>,
    _dir: Option<Arc<TempDir>>,
}

/// A throwaway folder, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let path = std::env::temp_dir().join(format!(
            "mailrith-test-{}",
            mailrith::domain::ids::random_base62(12)
        ));
        std::fs::create_dir_all(&path).expect("temp dir");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// PostgreSQL is required (not skipped) when `MAILRITH_REQUIRE_POSTGRES` is set, as in CI.
pub async fn spawn_postgres_app() -> Option<TestApp> {
    if std::env::var("TEST_DATABASE_URL").is_err() {
        if std::env::var("MAILRITH_REQUIRE_POSTGRES").is_ok() {
            panic!("MAILRITH_REQUIRE_POSTGRES is set but TEST_DATABASE_URL is not: the PostgreSQL suite cannot be skipped");
        }
        eprintln!("skipping the PostgreSQL variant: TEST_DATABASE_URL is not set");
        return None;
    }
    Some(spawn_app(Backend::Postgres).await)
}

/// A fresh, empty database for one test.
pub fn fresh_database(backend: Backend) -> (DatabaseUrl, Option<Arc<TempDir>>) {
    match backend {
        Backend::Sqlite => {
            let dir = Arc::new(TempDir::new());
            let path = dir.0.join("mailrith.db");
            (
                DatabaseUrl::Sqlite(path.to_string_lossy().into_owned()),
                Some(dir),
            )
        }
        Backend::Postgres => {
            let admin_url = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
            let name = format!(
                "mailrith_test_{}",
                mailrith::domain::ids::random_base62(12).to_lowercase()
            );
            let mut conn =
                diesel::PgConnection::establish(&admin_url).expect("connect to TEST_DATABASE_URL");
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .expect("create test database");
            let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
            url.set_path(&format!("/{name}"));
            (DatabaseUrl::Postgres(url.to_string()), None)
        }
    }
}

pub fn start_time() -> time::OffsetDateTime {
    time::macros::datetime!(2026-11-27 09:00 UTC)
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    let (database, dir) = fresh_database(backend);
    spawn_app_on(
        backend,
        database,
        dir,
        ManualClock::new(start_time()),
        |_| {},
    )
    .await
}

pub async fn spawn_app_on(
    backend: Backend,
    database: DatabaseUrl,
    dir: Option<Arc<TempDir>>,
    clock: ManualClock,
    tweak: impl FnOnce(&mut Settings),
) -> TestApp {
    let mut settings = Settings::new("127.0.0.1:0", database.clone());
    settings.workers = 2;
    settings.pool_size = 4;
    settings.api_pool_size = 2;
    tweak(&mut settings);
    let app = Application::build_with_clock(settings, Arc::new(clock.clone()))
        .await
        .expect("application builds");
    let port = app.port();
    let pool = app.pool().clone();
    let setup_token = app.setup_token().map(str::to_owned);
    let api = app.api();
    let metrics_port = app.metrics_port();
    tokio::spawn(app.run_until_stopped());
    let base = format!("http://127.0.0.1:{port}");
    TestApp {
        client: Client::new(&base),
        api,
        base,
        metrics_port,
        clock,
        pool,
        database,
        backend,
        setup_token,
        _dir: dir,
    }
}

impl TestApp {
    /// A second server process on this app's database and clock (its own pools and caches).
    pub async fn sibling(&self, tweak: impl FnOnce(&mut Settings)) -> TestApp {
        spawn_app_on(
            self.backend,
            self.database.clone(),
            self._dir.clone(),
            self.clock.clone(),
            tweak,
        )
        .await
    }

    /// A new server on this app's (still empty) database, with changed settings.
    pub async fn respawn(self, tweak: impl FnOnce(&mut Settings)) -> TestApp {
        let TestApp {
            backend,
            database,
            clock,
            _dir,
            ..
        } = self;
        spawn_app_on(backend, database, _dir, clock, tweak).await
    }
}
